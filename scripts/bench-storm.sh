#!/usr/bin/env bash
# An accounting storm against lango with the memory budget of a small
# router, measuring the server's memory while it lasts.
#
# Usage: scripts/bench-storm.sh [path/to/lango]
# Environment: MAX_MB (32: memory.max_mb), USERS (50000 services seeded),
# SESSIONS (10000 kept online), CONCURRENCY (1000 in flight), DURATION (60).
#
# lango serve --demo seeds USERS services; once it is ready its peak RSS is
# reset (/proc/PID/clear_refs), so the figure is the storm's, not the
# seeding's. `lango bench radius --mode interim` starts SESSIONS sessions
# and then sends their Interim-Updates round-robin, CONCURRENCY in flight,
# every reply checked. RSS is sampled every 200 ms; the peak printed is the
# kernel's VmHWM over the run. Afterwards the script counts the sessions
# lango holds (it must equal SESSIONS: nothing acknowledged is lost).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANGO=${1:-$REPO/target/release/lango}
MAX_MB=${MAX_MB:-32}
USERS=${USERS:-50000}
SESSIONS=${SESSIONS:-10000}
CONCURRENCY=${CONCURRENCY:-1000}
DURATION=${DURATION:-60}
[ -x "$LANGO" ] || (cd "$REPO" && cargo build --release)
. "$REPO/scripts/demo-server.sh"
export LANGO_MEMORY_MAX_MB=$MAX_MB
start_demo "$LANGO" --demo-users "$USERS" \
    --radius-auth 127.0.0.1:28220 --radius-acct 127.0.0.1:28230 --http 127.0.0.1:28280
sleep 2
echo "lango pid $PID ready: memory.max_mb=$MAX_MB, $USERS services; $(nproc) CPUs"
grep -E "VmRSS|VmHWM" "/proc/$PID/status" | sed 's/^/before the storm (seeding included): /'
echo 5 >"/proc/$PID/clear_refs"
(
    while kill -0 "$PID" 2>/dev/null; do
        awk '/VmRSS/{print $2}' "/proc/$PID/status" 2>/dev/null
        sleep 0.2
    done
) >"$DATA/rss" &
SAMPLER=$!
"$LANGO" bench radius --target 127.0.0.1:28230 --secret demo-secret --mode interim --sessions "$SESSIONS" \
    --concurrency "$CONCURRENCY" --duration "$DURATION" --users "$USERS" --server-pid "$PID"
peak=$(sort -n "$DATA/rss" | tail -n1)
echo "RSS sampled every 200 ms during the storm: max ${peak} kB"
grep -E "VmRSS|VmHWM" "/proc/$PID/status" | sed 's/^/after the storm (peak since ready): /'
curl -s "http://127.0.0.1:28280/metrics" | grep -E "^lango_radius_(acct_responses|acct_duplicates|dropped_acct_queue_full|dropped_total)" || true
kill "$SAMPLER" 2>/dev/null || true
kill "$PID"; wait "$PID" 2>/dev/null || true
online=$("$LANGO" --data "$DATA" sessions --tenant demo --json | wc -l)
echo "sessions online after the storm: $online (expected $SESSIONS)"
