#!/usr/bin/env bash
# Sourced by the bench scripts, not run:
#
#   . "$REPO/scripts/demo-server.sh"
#   start_demo "$LANGO" --demo-users 10000 --radius-auth ... --http ...
#
# start_demo makes a temporary data directory (DATA), starts `lango --data
# DATA serve --demo ARGS...` in the background (PID; its log in DATA/log),
# arranges for the server to be stopped and DATA removed when the script
# exits, and returns once the HTTP server listens (or after 300 s).
start_demo() {
    local lango=$1
    shift
    DATA=$(mktemp -d)
    trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA"' EXIT
    "$lango" --data "$DATA" serve --demo "$@" 2>"$DATA/log" &
    PID=$!
    for _ in $(seq 1 600); do
        grep -q "http listening" "$DATA/log" 2>/dev/null && break
        sleep 0.5
    done
}
