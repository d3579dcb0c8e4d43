#!/usr/bin/env bash
# Admin UI list pages at scale: lango's demo tenant plus 50,000 customers,
# each with a PPPoE service (imported from a generated CSV through
# `lango import csv`, one transaction), 10,000 of them online (one
# Accounting-Start each through radclient). Then one signed-in admin asks
# for every list page, searches included, REPEAT times each, one request
# at a time, and the script prints the median, p95 and worst answer time
# per page as curl measured it (connection included).
#
# Usage: scripts/bench-admin.sh [path/to/lango]
# Environment: CUSTOMERS (50000), ONLINE (10000), REPEAT (30).
# Needs radclient (freeradius-utils) and curl.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANGO=${1:-$REPO/target/release/lango}
CUSTOMERS=${CUSTOMERS:-50000}
ONLINE=${ONLINE:-10000}
REPEAT=${REPEAT:-30}
[ -x "$LANGO" ] || (cd "$REPO" && cargo build --release)
. "$REPO/scripts/demo-server.sh"
HTTP=127.0.0.1:28380
# Plain HTTP: with HTTPS on, the admin pages redirect there.
export LANGO_HTTP_TLS=false
start_demo "$LANGO" --radius-auth 127.0.0.1:28320 --radius-acct 127.0.0.1:28330 --http "$HTTP"

python3 - "$CUSTOMERS" "$ONLINE" "$DATA" <<'PY'
import sys
n, online, data = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with open(f"{data}/customers.csv", "w") as f:
    f.write("name,phone,username,password,plan,type,expires\r\n")
    for i in range(1, n + 1):
        f.write(f"Customer {i:05d},07{10000000 + i:08d},c{i:05d},pw{i:05d},Home 10M,pppoe,2030-01-01 00:00\r\n")
with open(f"{data}/starts", "w") as f:
    for i in range(1, online + 1):
        ip = f"10.{1 + i // 65536}.{(i // 256) % 256}.{i % 256}"
        f.write(f"User-Name=c{i:05d},Acct-Status-Type=Start,Acct-Session-Id=b{i},Framed-IP-Address={ip}\n\n")
PY
t0=$(date +%s.%N)
"$LANGO" --data "$DATA" import csv --tenant demo "$DATA/customers.csv" | tail -2
t1=$(date +%s.%N)
echo "import of $CUSTOMERS customers: $(python3 -c "print(f'{$t1-$t0:.1f}')") s"
radclient -q -p 256 -r 3 -t 3 -f "$DATA/starts" 127.0.0.1:28330 acct demo-secret || true
sleep 3

# Sign in as the demo tenant admin.
JAR="$DATA/jar"
CSRF=$(curl -s "http://$HTTP/admin/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | cut -d'"' -f4)
curl -s -c "$JAR" -o /dev/null -d "csrf=$CSRF&username=demo&password=demo-admin-pass" "http://$HTTP/admin/login"
MID=$((CUSTOMERS / 2 + 100))
CID=$(curl -s -b "$JAR" "http://$HTTP/admin/customers?q=Customer+$(printf %05d 777)" | grep -o '/admin/customers/[0-9]*"' | head -1 | tr -dc 0-9)
PAGES=(
    "/admin"
    "/admin/customers"
    "/admin/customers?q=Customer+00002"
    "/admin/customers?q=no-such-customer"
    "/admin/customers?q=c$(printf %05d "$CUSTOMERS")"
    "/admin/customers?before=$MID"
    "/admin/customers/$CID"
    "/admin/services"
    "/admin/services?q=c0000"
    "/admin/services?q=zzz"
    "/admin/sessions"
    "/admin/sessions?q=c09999"
    "/admin/audit"
    "/admin/audit?object=customer%2F$CID"
    "/admin/plans"
    "/admin/nas"
    "/admin/vouchers"
    "/admin/payments"
    "/admin/invoices"
    "/admin/admins"
    "/admin/webhooks"
)
printf '%-46s %6s %8s %8s %8s\n' PAGE HTTP "p50 ms" "p95 ms" "max ms"
for p in "${PAGES[@]}"; do
    code=$(curl -s -b "$JAR" -o /dev/null -w '%{http_code}' "http://$HTTP$p")
    for _ in $(seq 1 "$REPEAT"); do
        curl -s -b "$JAR" -o /dev/null -w '%{time_total}\n' "http://$HTTP$p"
    done | sort -n | awk -v p="$p" -v c="$code" '{ t[NR] = $1 * 1000 } END {
        printf "%-46s %6s %8.1f %8.1f %8.1f\n", p, c, t[int(NR * 0.5 + 0.5)], t[int(NR * 0.95 + 0.5)], t[NR] }'
done
echo "RSS: $(awk '/VmRSS/ {print $2 / 1024 " MB"}' /proc/$PID/status), peak $(awk '/VmHWM/ {print $2 / 1024 " MB"}' /proc/$PID/status)"
