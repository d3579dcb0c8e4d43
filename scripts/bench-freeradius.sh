#!/usr/bin/env bash
# Benchmarks FreeRADIUS 3.2 (Debian package `freeradius`) on this machine with
# `lango bench radius`, so its figures can be compared with lango's.
#
# Usage: scripts/bench-freeradius.sh [path/to/lango]
#   default binary: target/release/lango (built with `cargo build --release`
#   if missing). Environment knobs: CONCURRENCY (50), DURATION (10),
#   WARMUP (1), USERS (10000), MODES ("pap chap mschapv2 acct"; "interim" too),
#   JSON=1 (print JSON reports), KEEP=1 (keep the temporary raddb and log).
#
# What it sets up, in a temporary copy of /etc/freeradius/3.0:
#   - one virtual server "bench" listening on 127.0.0.1:18120 (auth) and
#     127.0.0.1:18130 (acct): authorize { preprocess chap mschap files pap },
#     authenticate { PAP CHAP MS-CHAP }, accounting to the `detail` module only;
#     the stock sites (default, inner-tunnel: the latter also binds 18120) and
#     the eap module (it needs inner-tunnel) are removed;
#   - mods-config/files/authorize with userNNNNN Cleartext-Password := passNNNNN;
#   - one client 127.0.0.1, secret bench-secret;
#   - max_requests raised (see MAX_REQUESTS below), Message-Authenticator
#     added to every Access-Accept/Reject (as FreeRADIUS >= 3.2.5 does);
#   - runs as the invoking user (user/group lines removed), logs and detail
#     files inside the temporary directory.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANGO=${1:-$REPO/target/release/lango}
CONCURRENCY=${CONCURRENCY:-50}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
USERS=${USERS:-10000}
MODES=${MODES:-pap chap mschapv2 acct}
SECRET=bench-secret
# FreeRADIUS keeps every answered request for cleanup_delay (5 s) to detect
# duplicates and drops new ones beyond max_requests (stock: 16384, i.e. about
# 3,300 requests/s); raise it so the benchmark measures processing instead.
MAX_REQUESTS=${MAX_REQUESTS:-1048576}
AUTH_PORT=18120
ACCT_PORT=18130
FREERADIUS=${FREERADIUS:-/usr/sbin/freeradius}
SRC_RADDB=${SRC_RADDB:-/etc/freeradius/3.0}

command -v "$FREERADIUS" >/dev/null || { echo "no $FREERADIUS (apt-get install freeradius)" >&2; exit 1; }
if [[ ! -x $LANGO ]]; then
    if [[ $# -gt 0 ]]; then
        echo "$LANGO is not executable" >&2
        exit 1
    fi
    echo "building $LANGO" >&2
    (cd "$REPO" && cargo build --release)
fi

WORK=$(mktemp -d /tmp/bench-freeradius.XXXXXX)
RADDB=$WORK/raddb
LOG=$WORK/radiusd.log
FR_PID=

cleanup() {
    if [[ -n $FR_PID ]] && kill -0 "$FR_PID" 2>/dev/null; then
        kill "$FR_PID" 2>/dev/null || true
        wait "$FR_PID" 2>/dev/null || true
    fi
    if [[ ${KEEP:-0} == 1 ]]; then
        echo "kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

cp -a "$SRC_RADDB" "$RADDB"
mkdir -p "$WORK/log/radacct" "$WORK/run"

# Paths into the work dir; run as the invoking user (no setuid to freerad).
sed -i \
    -e "s|^logdir = .*|logdir = $WORK/log|" \
    -e "s|^run_dir = .*|run_dir = $WORK/run|" \
    -e 's|^\(\s*\)user = freerad|\1#user = freerad|' \
    -e 's|^\(\s*\)group = freerad|\1#group = freerad|' \
    -e "s|^max_requests = .*|max_requests = $MAX_REQUESTS|" \
    "$RADDB/radiusd.conf"

rm -f "$RADDB"/sites-enabled/* "$RADDB/mods-enabled/eap"

cat >"$RADDB/clients.conf" <<EOF
client bench {
	ipaddr = 127.0.0.1
	secret = $SECRET
	shortname = bench
	require_message_authenticator = no
}
EOF

cat >"$RADDB/sites-enabled/bench" <<EOF
server bench {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = $AUTH_PORT
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = $ACCT_PORT
	}
	authorize {
		preprocess
		chap
		mschap
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		Auth-Type CHAP {
			chap
		}
		Auth-Type MS-CHAP {
			mschap
		}
	}
	preacct {
		preprocess
		acct_unique
	}
	accounting {
		detail
	}
	# FreeRADIUS >= 3.2.5 signs every Access-Accept/Reject with
	# Message-Authenticator (Blast-RADIUS); 3.2.1 does not, so ask for it:
	# the generator insists on it and it makes the comparison fair.
	post-auth {
		update reply {
			&Message-Authenticator := 0x00
		}
		Post-Auth-Type REJECT {
			attr_filter.access_reject
			update reply {
				&Message-Authenticator := 0x00
			}
		}
	}
}
EOF

seq -f '%05g' 1 "$USERS" | awk '{ printf "user%s Cleartext-Password := \"pass%s\"\n", $1, $1 }' \
    >"$RADDB/mods-config/files/authorize"

if ! "$FREERADIUS" -C -d "$RADDB" >"$WORK/check.log" 2>&1; then
    echo "FreeRADIUS configuration check failed:" >&2
    tail -30 "$WORK/check.log" >&2
    exit 1
fi

"$FREERADIUS" -f -d "$RADDB" -l stdout >"$LOG" 2>&1 &
FR_PID=$!

# Ready when a PAP login of user00001 is accepted.
ready=0
for _ in $(seq 1 100); do
    if ! kill -0 "$FR_PID" 2>/dev/null; then
        echo "FreeRADIUS exited:" >&2
        tail -30 "$LOG" >&2
        exit 1
    fi
    if echo 'User-Name = "user00001", User-Password = "pass00001"' |
        radclient -q -r 1 -t 1 127.0.0.1:$AUTH_PORT auth "$SECRET" >/dev/null 2>&1; then
        ready=1
        break
    fi
    sleep 0.2
done
if [[ $ready != 1 ]]; then
    echo "FreeRADIUS did not accept user00001 on 127.0.0.1:$AUTH_PORT:" >&2
    tail -30 "$LOG" >&2
    exit 1
fi
echo "FreeRADIUS $("$FREERADIUS" -v | sed -n 's/.*Version \([0-9.]*\).*/\1/p' | head -1) pid $FR_PID ready; $(nproc) CPUs" >&2

for mode in $MODES; do
    port=$AUTH_PORT
    [[ $mode == acct || $mode == interim ]] && port=$ACCT_PORT
    args=(bench radius --target "127.0.0.1:$port" --secret "$SECRET" --mode "$mode"
        --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP"
        --users "$USERS" --server-pid "$FR_PID")
    [[ ${JSON:-0} == 1 ]] && args+=(--json)
    echo
    echo "== FreeRADIUS $mode: lango ${args[*]}"
    "$LANGO" "${args[@]}"
    if ! kill -0 "$FR_PID" 2>/dev/null; then
        echo "FreeRADIUS died during $mode:" >&2
        tail -30 "$LOG" >&2
        exit 1
    fi
done
