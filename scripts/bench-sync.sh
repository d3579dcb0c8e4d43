#!/usr/bin/env bash
# Replication figures on this machine, with real nats-server processes: a
# 3-node JetStream cluster (R3 streams), a hub lango, and a site lango
# behind its own leaf node.
#
#  1. Lag: accounting at RATE requests/s into the site for DURATION s; the
#     hub reports the lag of the changes it applied (capture at the site to
#     commit at the hub), p50 and p99 of the last 10,000.
#  2. Catch-up: the site's leaf node is stopped (the WAN is down) while
#     accounting goes on until BACKLOG records wait at the site (an hour at
#     200/s is 720,000); the leaf starts again while CATCHUP_RATE/s keep
#     arriving, and the time until the hub holds every record queued during
#     the outage is reported.
#
# Usage: scripts/bench-sync.sh [path/to/lango]
# Environment: RATE (2000), DURATION (30), BACKLOG (720000), CATCHUP_RATE (200)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANGO=${1:-$REPO/target/release/lango}
RATE=${RATE:-2000}
DURATION=${DURATION:-30}
BACKLOG=${BACKLOG:-720000}
CATCHUP_RATE=${CATCHUP_RATE:-200}
[ -x "$LANGO" ] || (cd "$REPO" && cargo build --release)
command -v nats-server >/dev/null || { echo "nats-server is needed (apt-get install nats-server)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/lango-bench-sync.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# The hub cluster: client 24221-3, cluster 26221-3, leaf 27221-3, monitor 28221-3.
for i in 1 2 3; do
    mkdir -p "$WORK/n$i"
    cat >"$WORK/n$i.conf" <<EOF
server_name: hub$i
listen: 127.0.0.1:2422$i
http: 127.0.0.1:2822$i
jetstream { domain: hub, store_dir: "$WORK/n$i", max_memory_store: 64MB, max_file_store: 8GB }
leafnodes { listen: 127.0.0.1:2722$i, advertise: "127.0.0.1:9" }
cluster { name: bench-hub, listen: 127.0.0.1:2622$i, routes: ["nats-route://127.0.0.1:26221", "nats-route://127.0.0.1:26222", "nats-route://127.0.0.1:26223"] }
EOF
    nats-server -c "$WORK/n$i.conf" >"$WORK/n$i.log" 2>&1 &
    PIDS+=($!)
done
cat >"$WORK/leaf.conf" <<EOF
server_name: leaf-site
listen: 127.0.0.1:24300
http: 127.0.0.1:28300
leafnodes { reconnect: 1, remotes: [ { url: "nats-leaf://127.0.0.1:27221" } ] }
EOF
start_leaf() {
    nats-server -c "$WORK/leaf.conf" >>"$WORK/leaf.log" 2>&1 &
    LEAF=$!
    PIDS+=($LEAF)
}
start_leaf
until curl -sf 127.0.0.1:28221/jsz | grep -q '"leader"'; do sleep 0.2; done

common=(LANGO_SYNC_KEY="$KEY" LANGO_SYNC_STREAM_MAX_MB=2048 RUST_LOG=warn)
env "${common[@]}" LANGO_SYNC_NODE=hub LANGO_SYNC_NATS_URLS=nats://127.0.0.1:24221,nats://127.0.0.1:24222,nats://127.0.0.1:24223 \
    "$LANGO" --data "$WORK/hub" serve --role hub --demo --demo-users 1000 --https off \
    --radius-auth 127.0.0.1:25120 --radius-acct 127.0.0.1:25130 --http 127.0.0.1:25180 >"$WORK/hub.log" 2>&1 &
PIDS+=($!)
HUB=$!
sleep 1
env "${common[@]}" LANGO_SYNC_NODE=site LANGO_SYNC_DOMAIN=hub LANGO_SYNC_NATS_URLS=nats://127.0.0.1:24300 \
    "$LANGO" --data "$WORK/site" serve --role site --https off \
    --radius-auth 127.0.0.1:25220 --radius-acct 127.0.0.1:25230 --http 127.0.0.1:25280 >"$WORK/site.log" 2>&1 &
PIDS+=($!)
SITE=$!

# Commands reach each server through its control socket (opening the
# database beside a starting server would take it from the server).
until [ -S "$WORK/hub/lango.ctl" ] && [ -S "$WORK/site/lango.ctl" ]; do
    kill -0 "$SITE" && kill -0 "$HUB" || { cat "$WORK/hub.log" "$WORK/site.log"; exit 1; }
    sleep 0.2
done
status() { "$LANGO" --data "$WORK/$1" sync status --json; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
hub_has() { status hub | field "sum(p['seq'] for p in d['peers'] if p['node']=='site')"; }
# The site holds the demo tenant and its 1,000 users.
until [ "$(status site | field "d['applied']")" -ge 1000 ]; do sleep 0.5; done
sleep 2
echo "hub pid $HUB, site pid $SITE; $(nproc) CPUs"

echo "== lag: $RATE accounting requests/s into the site for $DURATION s"
"$LANGO" bench radius --target 127.0.0.1:25230 --secret demo-secret --mode acct --rate "$RATE" \
    --concurrency 20 --duration "$DURATION" --users 1000 --server-pid "$SITE"
sleep 2
status hub | field "f\"hub applied {d['applied']} changes; lag of the last {d['lag_samples']}: p50 {d['lag_p50_ms']} ms, p99 {d['lag_p99_ms']} ms\""

echo "== catch-up: the site's link down until $BACKLOG records wait"
kill -9 "$LEAF"
while :; do
    have=$(status site | field "d['backlog']")
    [ "$have" -ge "$BACKLOG" ] && break
    "$LANGO" bench radius --target 127.0.0.1:25230 --secret demo-secret --mode acct \
        --concurrency 50 --duration 10 --users 1000 --json >/dev/null
done
queued=$(status site | field "d['own_seq']")
backlog=$(status site | field "d['backlog']")
echo "site backlog $backlog records (its last change: $queued); $(du -sh "$WORK/site" | cut -f1) on disk"
"$LANGO" bench radius --target 127.0.0.1:25230 --secret demo-secret --mode acct --rate "$CATCHUP_RATE" \
    --concurrency 4 --duration 3600 --users 1000 --json >/dev/null 2>&1 &
DRIVER=$!
PIDS+=($DRIVER)
t0=$(date +%s.%N)
start_leaf
until [ "$(hub_has)" -ge "$queued" ]; do sleep 0.5; done
t1=$(date +%s.%N)
kill "$DRIVER" 2>/dev/null || true
python3 -c "print(f'caught up {$backlog} records in {$t1 - $t0:.1f} s ({$backlog / ($t1 - $t0):.0f} records/s) while $CATCHUP_RATE/s kept arriving')"
grep -E "VmHWM" "/proc/$SITE/status" | sed 's/^/site /'
grep -E "VmHWM" "/proc/$HUB/status" | sed 's/^/hub /'
