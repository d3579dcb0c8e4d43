#!/usr/bin/env bash
# Installs the toolchain that container/build.sh uses for static ARM builds
# when rustup cannot add the target (its servers out of reach):
#
#   scripts/arm-toolchain.sh [armv7|arm64|all] [--prefix DIR] [--check]
#
# Debian's Rust (bookworm-security: rustc-web, libstd-rust-web-1.NN,
# libstd-rust-web-dev and rust-web-src, the standard library's source) is
# unpacked with dpkg -x into DIR (default: $LANGO_RUST_WEB, else
# /opt/rust-web), not installed: the packages would put a second rustc in
# /usr/bin and conflict with Debian's rustup. rustup's rustc and cargo stay
# the ones on PATH. Only their libraries (libllvmNN) are installed with
# apt-get. DIR/bin/rustc runs Debian's rustc with DIR/usr as its sysroot.
#
# For each architecture (default: all):
# - apt-get installs the cross compiler (armv7: gcc-arm-linux-gnueabihf,
#   arm64: gcc-aarch64-linux-gnu) and qemu-user-static;
# - musl-dev:armhf / musl-dev:arm64 is downloaded (apt-get download with a
#   private package list in DIR/apt, so no dpkg --add-architecture) and
#   unpacked into DIR/musl/<armhf|arm64>; DIR/bin/<arm-linux-musleabihf|
#   aarch64-linux-musl>-gcc is the cross gcc with musl's headers and libc
#   (musl-gcc's specs), the C compiler for ring;
# - the target's self-contained directory in the sysroot
#   (DIR/usr/lib/rustlib/<triple>/lib/self-contained) gets what rustup's
#   rust-std ships there for musl targets: musl's crt objects and libc.a,
#   gcc's crtbegin/crtend objects, and gcc's libgcc_eh.a as libunwind.a
#   (for arm64 with a _dl_find_object on dl_iterate_phdr added: gcc 12's
#   unwinder calls that glibc 2.35 function, which musl has not).
#
# container/build.sh arm64|armv7 then builds the standard library from
# source: RUSTC=DIR/bin/rustc RUSTC_BOOTSTRAP=1 cargo build
# -Zbuild-std=std,panic_abort (with rustup's cargo).
#
# Idempotent: a second run changes nothing unless Debian has a newer
# rustc-web (then DIR is unpacked anew). --check only checks and exits 1,
# naming what is missing. Needs root (or sudo) for apt-get; amd64 hosts only.
set -euo pipefail

arches=() prefix="${LANGO_RUST_WEB:-/opt/rust-web}" check=0
while (($#)); do
    case "$1" in
        armv7 | arm64) arches+=("$1") ;;
        all) arches+=(armv7 arm64) ;;
        --prefix) prefix="$2"; shift ;;
        --prefix=*) prefix="${1#*=}" ;;
        --check) check=1 ;;
        -h | --help) sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "arm-toolchain.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
((${#arches[@]})) || arches=(armv7 arm64)
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac

host_arch="$(dpkg --print-architecture 2>/dev/null || echo unknown)"
[ "$host_arch" = amd64 ] || { echo "arm-toolchain.sh: needs a Debian amd64 host (this is $host_arch)" >&2; exit 1; }

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() { ((updated)) || { $SUDO apt-get update -qq; updated=1; }; }
candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -vx '(none)' || true; }
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'ok installed' >/dev/null || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    ((check)) && { problems+=("apt packages not installed: ${missing[*]}"); return 0; }
    echo "== apt-get install ${missing[*]}"
    apt_update
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
problems=()

# --- Debian's Rust, unpacked into $prefix ---------------------------------
[ -n "$(candidate rustc-web)" ] || ((check)) || apt_update
version="$(candidate rustc-web)"
[ -n "$version" ] || { echo "arm-toolchain.sh: apt knows no rustc-web (bookworm-security in the apt sources?)" >&2; exit 1; }
# libstd-rust-web-1.NN holds librustc_driver; its own name carries the version.
libstd="$(apt-cache depends libstd-rust-web-dev 2>/dev/null | sed -n 's/^ *Depends: \(libstd-rust-web-1\.[0-9]*\)$/\1/p' | head -n1)"
[ -n "$libstd" ] || { echo "arm-toolchain.sh: cannot tell the libstd-rust-web-1.NN package from libstd-rust-web-dev" >&2; exit 1; }
# Their run-time libraries (libllvmNN and the like) are plain libraries: install those.
mapfile -t rust_libs < <(apt-cache depends "$libstd" | sed -n 's/^ *Depends: \([^<>]*\)$/\1/p' | sort -u)
apt_install "${rust_libs[@]}"

stamp="$prefix/.rust-web-version"
if [ "$(cat "$stamp" 2>/dev/null)" != "$version" ]; then
    if ((check)); then
        problems+=("Debian's Rust $version not unpacked in $prefix")
    else
        echo "== Debian's Rust $version (rustc-web $libstd libstd-rust-web-dev rust-web-src) → $prefix"
        debs="$(mktemp -d)"
        (cd "$debs" && apt-get -q -o APT::Sandbox::User=root download \
            "rustc-web=$version" "$libstd=$version" "libstd-rust-web-dev=$version" "rust-web-src=$version" >/dev/null)
        $SUDO rm -rf "$prefix/usr" "$prefix/bin"
        $SUDO mkdir -p "$prefix/bin"
        for deb in "$debs"/*.deb; do $SUDO dpkg -x "$deb" "$prefix"; done
        rm -rf "$debs"
        # -Zbuild-std reads library/ only: drop the compiler's source (~370 MB).
        $SUDO rm -rf "$prefix"/usr/src/rustc-*/{compiler,src,tests} "$prefix/usr/share/doc"
        # A wrapper: Debian's rustc finds librustc_driver beside it and takes
        # the sysroot from where that library lies, i.e. $prefix/usr.
        $SUDO tee "$prefix/bin/rustc" >/dev/null <<'EOF'
#!/usr/bin/env bash
# Debian's rustc-web unpacked by scripts/arm-toolchain.sh; sysroot: ../usr
set -euo pipefail
d="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LD_LIBRARY_PATH="$d/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$d/usr/bin/rustc" "$@"
EOF
        $SUDO chmod 755 "$prefix/bin/rustc"
        # The musl parts below live inside the sysroot: lay them anew too.
        $SUDO rm -rf "$prefix/musl"
        echo "$version" | $SUDO tee "$stamp" >/dev/null
    fi
fi
if [ -x "$prefix/bin/rustc" ]; then
    sysroot="$("$prefix/bin/rustc" --print sysroot 2>/dev/null || true)"
    [ "$sysroot" = "$prefix/usr" ] || problems+=("$prefix/bin/rustc does not run or has sysroot '$sysroot', not $prefix/usr")
    [ -f "$prefix/usr/lib/rustlib/src/rust/library/Cargo.lock" ] || problems+=("no standard library source in $prefix/usr/lib/rustlib/src/rust/library (rust-web-src)")
fi

# --- per architecture: cross gcc, musl, the self-contained objects ---------
for arch in "${arches[@]}"; do
    case "$arch" in
        armv7) triple=armv7-unknown-linux-musleabihf gnu=arm-linux-gnueabihf musl=arm-linux-musleabihf debarch=armhf ;;
        arm64) triple=aarch64-unknown-linux-musl gnu=aarch64-linux-gnu musl=aarch64-linux-musl debarch=arm64 ;;
    esac
    apt_install "gcc-$gnu" qemu-user-static
    gcc="$gnu-gcc"
    mdir="$prefix/musl/$debarch"
    sc="$prefix/usr/lib/rustlib/$triple/lib/self-contained"
    # The stamp: musl-dev's version and how this script lays things out.
    mversion="$(candidate musl-dev)" layout=3
    if [ "$(cat "$mdir/.version" 2>/dev/null)" != "$mversion layout $layout" ] || [ ! -f "$sc/libunwind.a" ]; then
        if ((check)); then
            problems+=("musl-dev:$debarch / the self-contained objects for $triple not set up in $prefix")
            continue
        fi
        command -v "$gcc" >/dev/null || { echo "arm-toolchain.sh: $gcc missing after apt-get install gcc-$gnu" >&2; exit 1; }
        echo "== musl-dev:$debarch $mversion → $mdir; self-contained objects for $triple"
        # A private package list that knows armhf and arm64, so that
        # apt-get download finds musl-dev:<arch> without dpkg --add-architecture.
        apt_dir="$prefix/apt"
        $SUDO mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
        apt_opts=(-o APT::Sandbox::User=root -o APT::Architecture=amd64 -o APT::Architectures::=amd64
            -o APT::Architectures::=armhf -o APT::Architectures::=arm64
            -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Dir::State::status=/dev/null)
        if ! apt-cache "${apt_opts[@]}" show "musl-dev:$debarch=$mversion" >/dev/null 2>&1; then
            $SUDO apt-get -qq "${apt_opts[@]}" update
        fi
        debs="$(mktemp -d)"
        (cd "$debs" && apt-get -q "${apt_opts[@]}" download "musl-dev:$debarch=$mversion" >/dev/null)
        $SUDO rm -rf "$mdir"
        $SUDO mkdir -p "$mdir" "$sc"
        $SUDO dpkg -x "$debs"/musl-dev_*.deb "$debs/x"
        $SUDO cp -a "$debs/x/usr/include/$musl" "$mdir/include"
        $SUDO cp -a "$debs/x/usr/lib/$musl" "$mdir/lib"
        $SUDO rm -rf "$debs"
        # musl-gcc's specs with the paths moved into $mdir.
        sed -e "s|/usr/include/$musl|$mdir/include|g; s|/usr/lib/$musl|$mdir/lib|g" "$mdir/lib/musl-gcc.specs" |
            $SUDO tee "$mdir/musl-gcc.specs" >/dev/null
        printf '#!/bin/sh\n# %s with musl'\''s headers and libc (scripts/arm-toolchain.sh)\nexec %s "$@" -specs "%s"\n' \
            "$gcc" "$gcc" "$mdir/musl-gcc.specs" | $SUDO tee "$prefix/bin/$musl-gcc" >/dev/null
        $SUDO chmod 755 "$prefix/bin/$musl-gcc"
        # What rustup's rust-std-<musl triple> has in self-contained/.
        for f in crt1.o crti.o crtn.o rcrt1.o Scrt1.o libc.a; do $SUDO cp "$mdir/lib/$f" "$sc/"; done
        for f in crtbegin.o crtbeginS.o crtend.o crtendS.o; do $SUDO cp "$("$gcc" -print-file-name="$f")" "$sc/"; done
        $SUDO cp "$("$gcc" -print-file-name=libgcc_eh.a)" "$sc/libunwind.a"
        # gcc 12's DWARF unwinder (arm64; armv7 unwinds with ARM EHABI tables)
        # finds the unwind tables with glibc 2.35's _dl_find_object, which
        # musl lacks: add one to libunwind.a, built on dl_iterate_phdr (which
        # musl has, static binaries too). glibc's <dlfcn.h> gives the struct.
        # (grep without -q: an early exit would fail nm with SIGPIPE, and pipefail the test.)
        if nm -u "$sc/libunwind.a" 2>/dev/null | grep -w _dl_find_object >/dev/null; then
            shim="$(mktemp -d)"
            cat >"$shim/dl_find_object.c" <<'EOF_C'
/* _dl_find_object for libgcc_eh on musl (scripts/arm-toolchain.sh). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

struct query { uintptr_t pc; struct dl_find_object *out; int found; };

static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
    struct query *q = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    void *eh = NULL;
    int hit = 0;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + p->p_vaddr;
        if (p->p_type == PT_LOAD) {
            if (start < lo) lo = start;
            if (start + p->p_memsz > hi) hi = start + p->p_memsz;
            if (q->pc >= start && q->pc < start + p->p_memsz) hit = 1;
        } else if (p->p_type == DLFO_EH_SEGMENT_TYPE) {
            eh = (void *)start;
        }
    }
    if (!hit)
        return 0;
    memset(q->out, 0, sizeof *q->out);
    q->out->dlfo_map_start = (void *)lo;
    q->out->dlfo_map_end = (void *)hi;
    q->out->dlfo_eh_frame = eh;
    q->found = 1;
    return 1;
}

int _dl_find_object(void *pc, struct dl_find_object *out)
{
    struct query q = { (uintptr_t)pc, out, 0 };
    dl_iterate_phdr(visit, &q);
    return q.found ? 0 : -1;
}
EOF_C
            "$gcc" -O2 -fPIC -Wall -Werror -c "$shim/dl_find_object.c" -o "$shim/dl_find_object.o"
            $SUDO "${gcc%gcc}ar" rs "$sc/libunwind.a" "$shim/dl_find_object.o"
            rm -rf "$shim"
        fi
        echo "$mversion layout $layout" | $SUDO tee "$mdir/.version" >/dev/null
    fi
    for f in "$prefix/bin/$musl-gcc" "$sc/libc.a" "$sc/libunwind.a" "$sc/crt1.o" "$sc/crtbegin.o"; do
        [ -e "$f" ] || problems+=("$f missing")
    done
    if [ -f "$sc/libunwind.a" ] && nm -u "$sc/libunwind.a" 2>/dev/null | grep -w _dl_find_object >/dev/null &&
        ! nm --defined-only "$sc/libunwind.a" 2>/dev/null | grep -w _dl_find_object >/dev/null; then
        problems+=("$sc/libunwind.a needs _dl_find_object and does not have it")
    fi
done

if ((${#problems[@]})); then
    printf 'arm-toolchain.sh: %s\n' "${problems[@]}" >&2
    ((check)) && echo "arm-toolchain.sh: run scripts/arm-toolchain.sh ${arches[*]} to set it up" >&2
    exit 1
fi
((check)) || echo "== ARM toolchain ready in $prefix: $("$prefix/bin/rustc" --version) (${arches[*]})"
