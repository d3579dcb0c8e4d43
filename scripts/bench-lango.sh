#!/usr/bin/env bash
# Benchmarks lango on this machine with its own generator, the same way
# scripts/bench-freeradius.sh measures FreeRADIUS.
#
# Usage: scripts/bench-lango.sh [path/to/lango]
# Environment: USERS (10000 services seeded and cycled through),
# CONCURRENCY (50), DURATION (10), MODES ("pap chap mschapv2 acct interim"; interim keeps SESSIONS (10000) open).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANGO=${1:-$REPO/target/release/lango}
USERS=${USERS:-10000}
CONCURRENCY=${CONCURRENCY:-50}
DURATION=${DURATION:-10}
MODES=${MODES:-pap chap mschapv2 acct}
[ -x "$LANGO" ] || (cd "$REPO" && cargo build --release)
. "$REPO/scripts/demo-server.sh"
start_demo "$LANGO" --demo-users "$USERS" \
    --radius-auth 127.0.0.1:28120 --radius-acct 127.0.0.1:28130 --http 127.0.0.1:28180
echo "lango pid $PID ready with $USERS demo users; $(nproc) CPUs"
for mode in $MODES; do
    port=28120; case "$mode" in acct | interim) port=28130 ;; esac
    echo "== lango $mode"
    "$LANGO" bench radius --target 127.0.0.1:$port --secret demo-secret --mode "$mode" \
        --concurrency "$CONCURRENCY" --duration "$DURATION" --users "$USERS" --server-pid "$PID"
done
grep -E "VmRSS|VmHWM" "/proc/$PID/status"
