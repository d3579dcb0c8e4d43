#!/usr/bin/env bash
# Checks every routeros-scripts/*.rsc with routeros-lsp (pip install
# routeros-lsp), which knows the RouterOS 7.21.4 command list and RouterOS's
# scripting rules (an imported file gives every line its own scope, so the
# scripts keep their settings and commands in one { } block).
#
# Fails on any finding, warnings included (--strict), with one exception:
# the command list was read off a CHR without the container package, so it
# has no /container and no /interface/veth menus. In container-install.rsc,
# and nowhere else, findings that say exactly that are listed as expected
# and do not fail the check; those lines are checked only for syntax.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v routeros-lsp >/dev/null; then
    lsp=(routeros-lsp)
elif python3 -c "import routeros_lsp" 2>/dev/null; then
    lsp=(python3 -m routeros_lsp)
else
    echo "routeros-lsp not found: pip install routeros-lsp" >&2
    exit 2
fi

files=(routeros-scripts/*.rsc)
echo "== routeros-lsp $("${lsp[@]}" --version 2>&1 | awk '{print $NF}') check --strict: ${#files[@]} files"
set +e
json="$("${lsp[@]}" check --strict --format json "${files[@]}")"
rc=$?
set -e
if [ "$rc" -ge 2 ]; then
    echo "routeros-lsp could not check the files (exit $rc)" >&2
    exit "$rc"
fi
python3 - "$json" <<'PY'
import json, sys

findings = json.loads(sys.argv[1] or "[]")
# (file, rule, message start) accepted because the command list lacks the
# container package.
EXPECTED = [
    ("container-install.rsc", "schema/unknown-command", "'container' is not a menu or command in the top level "),
    ("container-install.rsc", "schema/unknown-command", "'veth' is not a menu or command in /interface "),
]
bad = 0
for f in findings:
    where = f"{f['path']}:{f['line']}:{f['column']}"
    if any(f["path"].endswith("/" + name) and f["rule"] == rule and f["message"].startswith(start)
           for name, rule, start in EXPECTED):
        print(f"expected (no container package in the command list): {where}: {f['message'].split(' (')[0]}")
    else:
        bad += 1
        print(f"{where}: {f['severity']}: {f['message']} [{f['rule']}]")
if bad:
    print(f"FAIL: {bad} finding(s)")
    sys.exit(1)
print("ok: no findings beyond the expected ones")
PY
