#!/usr/bin/env bash
# schemathesis against lango's own OpenAPI document (/api/v1/openapi.json)
# on a demo server: every operation, generated and boundary inputs, with a
# read-only, an operator, a cashier and a tenant-admin token; every check
# (CHECKS=all: status codes, headers and bodies as documented, what the
# schema forbids refused, what it allows accepted, no server error).
# Usage: scripts/check-api.sh [path/to/lango]   (needs: pip install schemathesis)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANGO=${1:-$REPO/target/debug/lango}
[ -x "$LANGO" ] || (cd "$REPO" && cargo build --locked)
DATA=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"' EXIT
"$LANGO" --data "$DATA" serve --demo --radius-auth 127.0.0.1:0 --radius-acct 127.0.0.1:0 --http 127.0.0.1:0 2>"$DATA/log" &
PID=$!
for _ in $(seq 1 200); do
    grep -q "control listening" "$DATA/log" 2>/dev/null && grep -q "http listening" "$DATA/log" && break
    sleep 0.2
done
HTTP=$(grep -o "http listening on [0-9.:]*" "$DATA/log" | awk '{print $4}')
echo "lango on $HTTP"
RO=$("$LANGO" --data "$DATA" api-token create --tenant demo --name schemathesis-ro --role read-only)
OP=$("$LANGO" --data "$DATA" api-token create --tenant demo --name schemathesis-op --role operator)
CASH=$("$LANGO" --data "$DATA" api-token create --tenant demo --name schemathesis-cash --role cashier)
ADMIN=$("$LANGO" --data "$DATA" api-token create --tenant demo --name schemathesis-admin --role tenant-admin)
for token in "$RO" "$OP" "$CASH" "$ADMIN"; do
    schemathesis --config-file "$REPO/scripts/schemathesis.toml" run "http://$HTTP/api/v1/openapi.json" \
        -H "Authorization: Bearer $token" \
        --checks ${CHECKS:-all} \
        --max-examples 40 \
        --no-color
done
if grep -q "panicked" "$DATA/log"; then
    echo "lango panicked:"; grep -A3 panicked "$DATA/log"; exit 1
fi
echo "== schemathesis: no server errors"
