#!/usr/bin/env bash
# Build a lango container image without a Docker daemon:
#
#   container/build.sh [amd64|arm64|armv7] [--binary PATH] [--debian-toolchain]
#                      [--tag NAME:TAG] [--out FILE]
#
# writes target/container/lango-<arch>.tar ($CARGO_TARGET_DIR/container/...
# when that is set) in the `docker save` layout
# (manifest.json + image config + one layer), which RouterOS 7 imports with
# `/container add file=lango-<arch>.tar ...` and `docker load` reads too.
# The layer holds the static (musl) binary at /usr/local/bin/lango, the CA
# bundle, container/lango.toml as /etc/lango/lango.toml, and an empty /data.
#
# --binary packages an already-built static binary for <arch> (CI does this).
# Without it the binary is built with `cargo build --release --target <musl
# target>`; for arm64/armv7, the first of these that is there:
# 1. `cross` when cross and a container engine are present (cross.toml);
# 2. rustup's std for the target (`rustup target add <triple>`), with
#    Debian's cross compilers as C compiler and linker (arm64:
#    gcc-aarch64-linux-gnu and libc6-dev-arm64-cross; armv7:
#    gcc-arm-linux-gnueabihf and libc6-dev-armhf-cross; ring's C needs the
#    libc headers);
# 3. Debian's Rust (rustc-web 1.96 from bookworm-security, unpacked by
#    scripts/arm-toolchain.sh into $LANGO_RUST_WEB, default /opt/rust-web):
#    rustup's cargo with RUSTC=<that rustc>, RUSTC_BOOTSTRAP=1 and
#    -Zbuild-std=std,panic_abort builds the standard library from source,
#    linking musl from musl-dev:armhf/arm64; the slower route (std is
#    compiled too), taken when rustup's target is missing.
# --debian-toolchain takes route 3 even when 1 or 2 would do.
# CARGO_BUILD_JOBS limits build parallelism as usual.
#
# Reproducible: SOURCE_DATE_EPOCH (default: the last commit's time) fixes
# every timestamp; the same binary gives the same tar, byte for byte.
# Needs: bash, python3 (standard library), and for the CA bundle Debian's
# ca-certificates (--ca PATH to use another bundle).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

arch=amd64 binary="" tag="" out="" ca=/etc/ssl/certs/ca-certificates.crt debian_toolchain=0
while (($#)); do
    case "$1" in
        amd64 | arm64 | armv7) arch="$1" ;;
        --binary) binary="$2"; shift ;;
        --binary=*) binary="${1#*=}" ;;
        --debian-toolchain) debian_toolchain=1 ;;
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
    arm64) triple=aarch64-unknown-linux-musl gcc=aarch64-linux-gnu-gcc debarch=arm64 musl_cc=aarch64-linux-musl-gcc ;;
    armv7) triple=armv7-unknown-linux-musleabihf gcc=arm-linux-gnueabihf-gcc debarch=armhf musl_cc=arm-linux-musleabihf-gcc ;;
esac
if ((debian_toolchain)) && [ "$arch" = amd64 ]; then
    echo "build.sh: --debian-toolchain is for arm64 and armv7 (amd64 builds with rustup's x86_64-unknown-linux-musl)" >&2
    exit 2
fi

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
tag="${tag:-lango:$version}"
out="${out:-${CARGO_TARGET_DIR:-target}/container/lango-$arch.tar}"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH="$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)"
fi
export SOURCE_DATE_EPOCH

if [ -z "$binary" ]; then
    target_dir="${CARGO_TARGET_DIR:-$root/target}"
    have_target=0
    rustup target list --installed 2>/dev/null | grep -x "$triple" >/dev/null && have_target=1
    if [ "$arch" != amd64 ] && ! ((debian_toolchain)) && command -v cross >/dev/null &&
        { docker info || podman info; } >/dev/null 2>&1; then
        echo "== cross build --release --target $triple (CROSS_CONFIG=cross.toml)"
        CROSS_CONFIG="$root/cross.toml" cross build --release --locked --target "$triple"
    elif [ "$arch" != amd64 ] && { ((debian_toolchain)) || ! ((have_target)); }; then
        # Debian's Rust with the standard library built from source; see
        # scripts/arm-toolchain.sh for what lies where.
        rust_web="${LANGO_RUST_WEB:-/opt/rust-web}"
        missing=()
        command -v "$gcc" >/dev/null || missing+=("$gcc")
        [ -x "$rust_web/bin/rustc" ] || missing+=("$rust_web/bin/rustc")
        [ -f "$rust_web/usr/lib/rustlib/src/rust/library/Cargo.lock" ] || missing+=("the standard library's source")
        [ -x "$rust_web/bin/$musl_cc" ] || missing+=("$rust_web/bin/$musl_cc")
        [ -f "$rust_web/usr/lib/rustlib/$triple/lib/self-contained/libc.a" ] || missing+=("musl for $triple")
        if ((${#missing[@]})); then
            ((debian_toolchain)) || echo "build.sh: the Rust target $triple is missing (rustup target add $triple, if rustup can download it)" >&2
            echo "build.sh: Debian's Rust toolchain for $triple is not set up, missing: ${missing[*]}" >&2
            echo "build.sh: run scripts/arm-toolchain.sh $arch (apt-get: rustc-web libstd-rust-web-1.96 libstd-rust-web-dev rust-web-src, unpacked into $rust_web; gcc-${gcc%-gcc}; musl-dev:$debarch)" >&2
            exit 1
        fi
        upper="$(echo "$triple" | tr 'a-z-' 'A-Z_')"
        export RUSTC="$rust_web/bin/rustc" RUSTC_BOOTSTRAP=1 \
            "CARGO_TARGET_${upper}_LINKER=$gcc" "CC_${triple//-/_}=$rust_web/bin/$musl_cc" "AR_${triple//-/_}=${gcc%gcc}ar"
        echo "== cargo build --release --target $triple -Zbuild-std=std,panic_abort (RUSTC=$RUSTC: $("$RUSTC" --version))"
        cargo build --release --locked --target "$triple" -Zbuild-std=std,panic_abort
    else
        ((have_target)) || {
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
