#!/usr/bin/env bash
# Checks the amd64 container image end to end, without a Docker engine:
#
#   scripts/check-container.sh [--binary PATH]
#
# 1. builds the static release binary (x86_64-unknown-linux-musl), unless
#    --binary gives one;
# 2. packages it with container/build.sh amd64, twice, and compares the two
#    tars byte for byte (reproducible build);
# 3. checks the archive: skopeo inspect (Architecture, Os), the config's
#    Entrypoint/Cmd/Healthcheck/ExposedPorts/Volumes, and that the layer's
#    sha256 is the diff_id and the config's sha256 its file name;
# 4. unpacks the layer and runs the binary from it: --version, then
#    `serve --demo` with the image's config, data in a temporary directory
#    and ports chosen by the kernel, `lango health` against it (by --url and
#    by the port from the environment), stops it, and expects `lango health`
#    to fail once it is gone.
#
# Needs: cargo with the x86_64-unknown-linux-musl target (musl-tools helps
# ring's C build), python3, skopeo. Prints each check; exits non-zero on the
# first failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
started=$(date +%s)

binary=""
while (($#)); do
    case "$1" in
        --binary) binary="$2"; shift ;;
        --binary=*) binary="${1#*=}" ;;
        *) echo "check-container.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

pass() { echo "ok   $*"; }
fail() { echo "FAIL $*" >&2; exit 1; }

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

triple=x86_64-unknown-linux-musl
if [ -z "$binary" ]; then
    echo "== cargo build --release --locked --target $triple"
    cargo build --release --locked --target "$triple"
    binary="${CARGO_TARGET_DIR:-$root/target}/$triple/release/lango"
fi
[ -x "$binary" ] || fail "no executable binary at $binary"
pass "binary $binary ($(du -h "$binary" | cut -f1))"

echo "== container/build.sh amd64"
tar="target/container/lango-amd64.tar"
container/build.sh amd64 --binary "$binary"
container/build.sh amd64 --binary "$binary" --out "$tmp/again.tar" >/dev/null
cmp -s "$tar" "$tmp/again.tar" || fail "two builds of the same binary differ"
pass "image $tar ($(du -h "$tar" | cut -f1)); a second build is byte-identical"

echo "== skopeo inspect docker-archive:$tar"
command -v skopeo >/dev/null || fail "skopeo not found (apt-get install skopeo)"
skopeo inspect "docker-archive:$tar" >"$tmp/inspect.json" || fail "skopeo cannot read the archive"
skopeo inspect --config --raw "docker-archive:$tar" >"$tmp/config.json" || fail "skopeo cannot read the image config"
python3 - "$tmp/inspect.json" "$tmp/config.json" <<'PY' || fail "image metadata"
import json, sys
inspect = json.load(open(sys.argv[1]))
config = json.load(open(sys.argv[2]))
c = config["config"]
entry = ["/usr/local/bin/lango", "--config", "/etc/lango/lango.toml"]
checks = [
    ("Architecture", inspect.get("Architecture"), "amd64"),
    ("Os", inspect.get("Os"), "linux"),
    ("layers", len(inspect.get("Layers", [])), 1),
    ("Entrypoint", c.get("Entrypoint"), entry),
    ("Cmd", c.get("Cmd"), ["serve"]),
    ("Healthcheck", c.get("Healthcheck", {}).get("Test"), ["CMD"] + entry + ["health"]),
    ("ExposedPorts", sorted(c.get("ExposedPorts", {})), ["1812/udp", "1813/udp", "8080/tcp"]),
    ("Volumes", sorted(c.get("Volumes", {})), ["/data"]),
    ("LANGO_DATA_DIR", "LANGO_DATA_DIR=/data" in c.get("Env", []), True),
]
bad = [f"{name}: {got!r}, expected {want!r}" for name, got, want in checks if got != want]
for line in bad:
    print("     " + line, file=sys.stderr)
if bad:
    sys.exit(1)
print(f"ok   skopeo: {inspect['Os']}/{inspect['Architecture']}, 1 layer; Entrypoint, Cmd, Healthcheck, ports, /data volume")
PY

echo "== archive layout and digests"
mkdir -p "$tmp/archive" "$tmp/rootfs"
tar -xf "$tar" -C "$tmp/archive"
python3 - "$tmp/archive" <<'PY' || fail "digests"
import hashlib, json, os, sys
d = sys.argv[1]
sha = lambda p: hashlib.sha256(open(os.path.join(d, p), "rb").read()).hexdigest()
[m] = json.load(open(os.path.join(d, "manifest.json")))
config = json.load(open(os.path.join(d, m["Config"])))
assert m["Config"] == sha(m["Config"]) + ".json", "config file name is not its sha256"
[layer] = m["Layers"]
assert config["rootfs"]["diff_ids"] == ["sha256:" + sha(layer)], "diff_id is not the layer's sha256"
print(f"ok   manifest.json: {m['RepoTags']}, config and layer sha256 match their names and diff_ids")
PY
layer="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][0])' "$tmp/archive/manifest.json")"
tar -xf "$tmp/archive/$layer" -C "$tmp/rootfs"
for f in usr/local/bin/lango etc/lango/lango.toml etc/ssl/certs/ca-certificates.crt; do
    [ -s "$tmp/rootfs/$f" ] || fail "/$f missing from the layer"
done
[ -d "$tmp/rootfs/data" ] || fail "/data missing from the layer"
owners="$(tar -tvf "$tmp/archive/$layer" | awk '{print $2}' | sort -u | tr '\n' ' ')"
[ "$owners" = "0/0 " ] || fail "layer entries not owned by 0/0: $owners"
pass "layer: /usr/local/bin/lango, /etc/lango/lango.toml, CA bundle, /data; all entries 0/0"

echo "== run the binary from the unpacked layer"
lango=("$tmp/rootfs/usr/local/bin/lango" --config "$tmp/rootfs/etc/lango/lango.toml")
version="$("${lango[@]}" --version)" || fail "lango --version"
pass "$version"

log="$tmp/serve.log"
env -u RUST_LOG "${lango[@]}" --data "$tmp/data" serve --demo \
    --radius-auth 127.0.0.1:0 --radius-acct 127.0.0.1:0 --http 127.0.0.1:0 2>"$log" >/dev/null &
server_pid=$!
http=""
for _ in $(seq 1 300); do
    http="$(sed -n 's/.* http listening on \([0-9.]*:[0-9]*\).*/\1/p' "$log" | head -n1)"
    [ -n "$http" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; fail "lango serve --demo exited"; }
    sleep 0.1
done
[ -n "$http" ] || { cat "$log" >&2; fail "lango serve --demo did not listen within 30 s"; }
pass "serve --demo with the image's config: http on $http"

out="$("${lango[@]}" health --url "http://$http/healthz")" || fail "lango health --url: $out"
pass "lango health --url http://$http/healthz: $out"
out="$(LANGO_HTTP_LISTEN="0.0.0.0:${http##*:}" "${lango[@]}" health)" || fail "lango health (port from the environment): $out"
pass "lango health with LANGO_HTTP_LISTEN=0.0.0.0:${http##*:}"

kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
if "${lango[@]}" health --url "http://$http/healthz" --timeout 2 >/dev/null 2>&1; then
    fail "lango health succeeded with the server stopped"
fi
pass "server stopped; lango health now exits 1"

echo "== check-container: all checks passed in $(($(date +%s) - started)) s"
