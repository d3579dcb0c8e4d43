#!/usr/bin/env bash
# Load on the zero-login payment page: lango with 10,000 demo users, each
# online (an Accounting-Start with its own Framed-IP-Address), plus the
# expired demo customer online at 127.0.0.1, the address wrk connects
# from; wrk then asks for /portal, which identifies that customer by
# address and renders their payment page.
#
# Usage: scripts/bench-portal.sh [path/to/lango]
# Environment: USERS (10000), CONNECTIONS (64), THREADS (2), DURATION (10).
# Needs radclient (freeradius-utils) and wrk (apt-get install wrk).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANGO=${1:-$REPO/target/release/lango}
USERS=${USERS:-10000}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10}
[ -x "$LANGO" ] || (cd "$REPO" && cargo build --release)
. "$REPO/scripts/demo-server.sh"
start_demo "$LANGO" --demo-users "$USERS" \
    --radius-auth 127.0.0.1:28220 --radius-acct 127.0.0.1:28230 --http 127.0.0.1:28280

# One Accounting-Start per demo user, addresses 10.1.0.1 upwards, and the
# expired customer at 127.0.0.1.
python3 - "$USERS" >"$DATA/starts" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(1, n + 1):
    ip = f"10.{1 + i // 65536}.{(i // 256) % 256}.{i % 256}"
    print(f"User-Name=user{i:05d},Acct-Status-Type=Start,Acct-Session-Id=b{i},Framed-IP-Address={ip}\n")
print("User-Name=demo-expired,Acct-Status-Type=Start,Acct-Session-Id=bench-me,Framed-IP-Address=127.0.0.1\n")
PY
radclient -q -p 256 -r 3 -t 3 -f "$DATA/starts" 127.0.0.1:28230 acct demo-secret
for _ in $(seq 1 120); do
    online=$("$LANGO" --data "$DATA" sessions --tenant demo | tail -n +2 | wc -l)
    [ "$online" -gt "$USERS" ] && break
    sleep 0.5
done
echo "lango pid $PID: $online sessions online; $(nproc) CPUs shared by lango and wrk"
curl -s http://127.0.0.1:28280/portal | grep -o 'Hello, [^<]*' || { echo "portal did not identify 127.0.0.1"; exit 1; }
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency http://127.0.0.1:28280/portal
grep -E "VmRSS|VmHWM" "/proc/$PID/status"
