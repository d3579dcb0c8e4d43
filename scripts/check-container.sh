#!/usr/bin/env bash
# Checks a container image end to end, without a Docker engine:
#
#   scripts/check-container.sh [amd64|arm64|armv7] [--binary PATH] [--keep-binary PATH]
#                              [--debian-toolchain]
#
# CI checks amd64. arm64/armv7 run the unpacked binary under
# qemu-<arch>-static (Debian's qemu-user-static) and are for by-hand checks;
# emulation is slow, so their waits are longer (serve: 180 s, radclient: 3
# tries of 20 s). --debian-toolchain is passed on to container/build.sh
# (Debian's Rust, see scripts/arm-toolchain.sh).
#
# 1. builds the static release binary (x86_64-unknown-linux-musl for
#    amd64; the others through container/build.sh), unless --binary gives one;
# 2. packages it with container/build.sh <arch>, twice, and compares the two
#    tars byte for byte (reproducible build); the image is
#    target/container/lango-<arch>.tar (under $CARGO_TARGET_DIR if set);
# 3. checks the archive: skopeo inspect (Architecture, Os), the config's
#    Entrypoint/Cmd/Healthcheck/ExposedPorts/Volumes, and that the layer's
#    sha256 is the diff_id and the config's sha256 its file name;
# 4. unpacks the layer and runs the binary from it: --version, then
#    `serve --demo` with the image's config, data in a temporary directory
#    and ports chosen by the kernel, `lango health` against it (by --url and
#    by the port from the environment), stops it, and expects `lango health`
#    to fail once it is gone. With radclient (freeradius-utils) on PATH, a
#    PAP Access-Request for the demo user must get an Access-Accept;
# 5. with --keep-binary, copies the binary unpacked from the image's layer
#    to PATH (CI's first-run browser test starts that very binary).
#
# Needs: cargo with the x86_64-unknown-linux-musl target (musl-tools helps
# ring's C build), python3, skopeo. Prints each check; exits non-zero on the
# first failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
started=$(date +%s)

arch=amd64 binary="" keep="" build_opts=()
while (($#)); do
    case "$1" in
        amd64 | arm64 | armv7) arch="$1" ;;
        --binary) binary="$2"; shift ;;
        --binary=*) binary="${1#*=}" ;;
        --keep-binary) keep="$2"; shift ;;
        --debian-toolchain) build_opts+=(--debian-toolchain) ;;
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

case "$arch" in
    amd64) triple=x86_64-unknown-linux-musl platform=amd64 variant="" runner=() ;;
    arm64) triple=aarch64-unknown-linux-musl platform=arm64 variant=v8 runner=(qemu-aarch64-static) ;;
    armv7) triple=armv7-unknown-linux-musleabihf platform=arm variant=v7 runner=(qemu-arm-static) ;;
esac
if [ "$arch" = amd64 ] && ((${#build_opts[@]})); then
    fail "--debian-toolchain is for arm64 and armv7"
fi
# Waits, in tenths of a second for serve and seconds for radclient.
serve_wait=300 rad_timeout=5 rad_retries=2
if ((${#runner[@]})); then
    command -v "${runner[0]}" >/dev/null || fail "${runner[0]} not found (apt-get install qemu-user-static)"
    serve_wait=1800 rad_timeout=20 rad_retries=3
fi
if [ -z "$binary" ]; then
    if [ "$arch" = amd64 ]; then
        echo "== cargo build --release --locked --target $triple"
        cargo build --release --locked --target "$triple"
    else
        echo "== container/build.sh $arch (builds the binary)"
        container/build.sh "$arch" ${build_opts[@]+"${build_opts[@]}"}
    fi
    binary="${CARGO_TARGET_DIR:-$root/target}/$triple/release/lango"
fi
[ -x "$binary" ] || fail "no executable binary at $binary"
pass "binary $binary ($(du -h "$binary" | cut -f1))"

echo "== container/build.sh $arch"
tar="${CARGO_TARGET_DIR:-target}/container/lango-$arch.tar"
container/build.sh "$arch" --binary "$binary" --out "$tar"
container/build.sh "$arch" --binary "$binary" --out "$tmp/again.tar" >/dev/null
cmp -s "$tar" "$tmp/again.tar" || fail "two builds of the same binary differ"
pass "image $tar ($(du -h "$tar" | cut -f1)); a second build is byte-identical"

echo "== skopeo inspect docker-archive:$tar"
command -v skopeo >/dev/null || fail "skopeo not found (apt-get install skopeo)"
skopeo inspect "docker-archive:$tar" >"$tmp/inspect.json" || fail "skopeo cannot read the archive"
skopeo inspect --config --raw "docker-archive:$tar" >"$tmp/config.json" || fail "skopeo cannot read the image config"
python3 - "$tmp/inspect.json" "$tmp/config.json" "$platform" "$variant" <<'PY' || fail "image metadata"
import json, sys
inspect = json.load(open(sys.argv[1]))
config = json.load(open(sys.argv[2]))
platform, variant = sys.argv[3], sys.argv[4] or None
c = config["config"]
entry = ["/usr/local/bin/lango", "--config", "/etc/lango/lango.toml"]
checks = [
    ("Architecture", inspect.get("Architecture"), platform),
    ("Os", inspect.get("Os"), "linux"),
    ("config architecture", config.get("architecture"), platform),
    ("config variant", config.get("variant"), variant),
    ("config os", config.get("os"), "linux"),
    ("layers", len(inspect.get("Layers", [])), 1),
    ("Entrypoint", c.get("Entrypoint"), entry),
    ("Cmd", c.get("Cmd"), ["serve"]),
    ("Healthcheck", c.get("Healthcheck", {}).get("Test"), ["CMD"] + entry + ["health"]),
    ("ExposedPorts", sorted(c.get("ExposedPorts", {})), ["1812/udp", "1813/udp", "8080/tcp", "8443/tcp"]),
    ("Volumes", sorted(c.get("Volumes", {})), ["/data"]),
    ("LANGO_DATA_DIR", "LANGO_DATA_DIR=/data" in c.get("Env", []), True),
]
bad = [f"{name}: {got!r}, expected {want!r}" for name, got, want in checks if got != want]
for line in bad:
    print("     " + line, file=sys.stderr)
if bad:
    sys.exit(1)
print(f"ok   skopeo: {inspect['Os']}/{inspect['Architecture']}{'/' + variant if variant else ''}, 1 layer; Entrypoint, Cmd, Healthcheck, ports, /data volume")
PY
# Copying reads every blob and verifies it against its digest.
skopeo copy --quiet "docker-archive:$tar" "oci:$tmp/oci:lango" || fail "skopeo copy to an OCI layout"
pass "skopeo copy docker-archive: → oci: (blobs verified against their digests)"

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
lango=(${runner[@]+"${runner[@]}"} "$tmp/rootfs/usr/local/bin/lango" --config "$tmp/rootfs/etc/lango/lango.toml")
version="$("${lango[@]}" --version)" || fail "lango --version"
pass "$version"

log="$tmp/serve.log"
env -u RUST_LOG "${lango[@]}" --data "$tmp/data" serve --demo \
    --radius-auth 127.0.0.1:0 --radius-acct 127.0.0.1:0 --http 127.0.0.1:0 2>"$log" >/dev/null &
server_pid=$!
http=""
for _ in $(seq 1 "$serve_wait"); do
    http="$(sed -n 's/.* http listening on \([0-9.]*:[0-9]*\).*/\1/p' "$log" | head -n1)"
    auth="$(sed -n 's/.* radius-auth listening on \([0-9.]*:[0-9]*\).*/\1/p' "$log" | head -n1)"
    [ -n "$http" ] && [ -n "$auth" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; fail "lango serve --demo exited"; }
    sleep 0.1
done
[ -n "$http" ] || { cat "$log" >&2; fail "lango serve --demo did not listen within $((serve_wait / 10)) s"; }
pass "serve --demo with the image's config${runner[0]:+ (under ${runner[0]})}: http on $http, RADIUS auth on $auth"

out="$("${lango[@]}" health --url "http://$http/healthz")" || fail "lango health --url: $out"
pass "lango health --url http://$http/healthz: $out"
out="$(LANGO_HTTP_LISTEN="0.0.0.0:${http##*:}" "${lango[@]}" health)" || fail "lango health (port from the environment): $out"
pass "lango health with LANGO_HTTP_LISTEN=0.0.0.0:${http##*:}"

if command -v radclient >/dev/null; then
    reply="$(echo 'User-Name=demo-pppoe,User-Password=demo-pass,Message-Authenticator=0x00' |
        radclient -x -r "$rad_retries" -t "$rad_timeout" "$auth" auth demo-secret 2>&1)" || true
    grep -q "Access-Accept" <<<"$reply" || { echo "$reply" >&2; fail "radclient: no Access-Accept for the demo user"; }
    pass "radclient PAP Access-Request for demo-pppoe: Access-Accept"
fi

kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
if "${lango[@]}" health --url "http://$http/healthz" --timeout 2 >/dev/null 2>&1; then
    fail "lango health succeeded with the server stopped"
fi
pass "server stopped; lango health now exits 1"

if [ -n "$keep" ]; then
    mkdir -p "$(dirname "$keep")"
    cp "$tmp/rootfs/usr/local/bin/lango" "$keep"
    pass "the image's binary kept at $keep"
fi

echo "== check-container: all checks passed in $(($(date +%s) - started)) s"
