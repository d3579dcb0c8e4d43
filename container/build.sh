#!/usr/bin/env bash
# Build a lango container image without a Docker daemon:
#
#   container/build.sh [amd64|arm64|armv7] [--binary PATH] [--tag NAME:TAG] [--out FILE]
#
# writes target/container/lango-<arch>.tar in the `docker save` layout
# (manifest.json + image config + one layer), which RouterOS 7 imports with
# `/container add file=lango-<arch>.tar ...` and `docker load` reads too.
# The layer holds the static (musl) binary at /usr/local/bin/lango, the CA
# bundle, container/lango.toml as /etc/lango/lango.toml, and an empty /data.
#
# --binary packages an already-built static binary for <arch> (CI does this).
# Without it the binary is built with `cargo build --release --target <musl
# target>`; for arm64/armv7 with `cross` when cross and a container engine
# are present (config: cross.toml), else with cargo and Debian's cross
# compilers as C compiler and linker (arm64: gcc-aarch64-linux-gnu and
# libc6-dev-arm64-cross; armv7: gcc-arm-linux-gnueabihf and
# libc6-dev-armhf-cross; ring's C needs the libc headers).
# CARGO_BUILD_JOBS limits build parallelism as usual.
#
# Reproducible: SOURCE_DATE_EPOCH (default: the last commit's time) fixes
# every timestamp; the same binary gives the same tar, byte for byte.
# Needs: bash, python3 (standard library), and for the CA bundle Debian's
# ca-certificates (--ca PATH to use another bundle).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

arch=amd64 binary="" tag="" out="" ca=/etc/ssl/certs/ca-certificates.crt
while (($#)); do
    case "$1" in
        amd64 | arm64 | armv7) arch="$1" ;;
        --binary) binary="$2"; shift ;;
        --binary=*) binary="${1#*=}" ;;
        --tag) tag="$2"; shift ;;
        --out) out="$2"; shift ;;
        --ca) ca="$2"; shift ;;
        -h | --help) sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "build.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

case "$arch" in
    amd64) triple=x86_64-unknown-linux-musl gcc="" ;;
    arm64) triple=aarch64-unknown-linux-musl gcc=aarch64-linux-gnu-gcc debarch=arm64 ;;
    armv7) triple=armv7-unknown-linux-musleabihf gcc=arm-linux-gnueabihf-gcc debarch=armhf ;;
esac

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
tag="${tag:-lango:$version}"
out="${out:-target/container/lango-$arch.tar}"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH="$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)"
fi
export SOURCE_DATE_EPOCH

if [ -z "$binary" ]; then
    target_dir="${CARGO_TARGET_DIR:-$root/target}"
    if [ "$arch" != amd64 ] && command -v cross >/dev/null && { docker info || podman info; } >/dev/null 2>&1; then
        echo "== cross build --release --target $triple (CROSS_CONFIG=cross.toml)"
        CROSS_CONFIG="$root/cross.toml" cross build --release --locked --target "$triple"
    else
        rustup target list --installed 2>/dev/null | grep -qx "$triple" || {
            echo "build.sh: the Rust target $triple is missing: rustup target add $triple" >&2
            exit 1
        }
        if [ -n "$gcc" ]; then
            command -v "$gcc" >/dev/null || {
                echo "build.sh: $gcc not found: apt-get install gcc-${gcc%-gcc} libc6-dev-$debarch-cross (or use cross with Docker)" >&2
                exit 1
            }
            # ring compiles C and assembly: the cross C compiler matters as
            # much as the linker.
            upper="$(echo "$triple" | tr 'a-z-' 'A-Z_')"
            export "CARGO_TARGET_${upper}_LINKER=$gcc" "CC_${triple//-/_}=$gcc" "AR_${triple//-/_}=${gcc%gcc}ar"
        fi
        echo "== cargo build --release --target $triple"
        cargo build --release --locked --target "$triple"
    fi
    binary="$target_dir/$triple/release/lango"
fi

[ -f "$binary" ] || { echo "build.sh: no binary at $binary" >&2; exit 1; }
[ -f "$ca" ] || { echo "build.sh: no CA bundle at $ca (apt-get install ca-certificates, or --ca PATH)" >&2; exit 1; }
# A dynamically linked binary would not start in the image (no libc there).
if command -v file >/dev/null && file -L "$binary" | grep -q 'dynamically linked'; then
    echo "build.sh: $binary is dynamically linked; the image needs a static (musl) build" >&2
    exit 1
fi

mkdir -p "$(dirname "$out")"
python3 "$root/container/mkimage.py" --arch "$arch" --binary "$binary" --config "$root/container/lango.toml" \
    --ca "$ca" --tag "$tag" --version "$version" --out "$out"
