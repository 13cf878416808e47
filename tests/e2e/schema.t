#!/usr/bin/env bash
# schema.t: the contract JSON Schema and the loader agree (TAP).
#
#  (a) schemas/*.json are valid schemas (draft-07 for ours); the facts schema
#      accepts and rejects built-in samples;
#  (b) tests/valid, tests/valid/fragments, contracts/ and the contracts in
#      examples/ match the schema (fragments: fragment.schema.json);
#  (c) every tests/invalid/*.yaml is rejected by the schema for the reason its
#      `# schema:` line states, or accepted when that line says
#      `accepts: loader only, ...` or `accepts: schema gap, ...`; every
#      tests/valid/*.yaml passes `parity validate`. What the loader says
#      about tests/invalid, to the letter, is tests/e2e/invalid.t's business;
#  (d) `parity schema` prints schemas/contract.schema.json byte for byte.
#
# The schema half runs in tests/e2e/schemacheck.py under Debian's python3
# (python3-jsonschema, python3-yaml: `make deps`). PARITY is the binary,
# default ./build/parity.
set -u

case ${PARITY:-} in
'') ;;
/*) ;;
*/*) PARITY=$PWD/$PARITY ;;
esac
root=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
cd "$root" || exit 1
PARITY=${PARITY:-$root/build/parity}
PYTHON=/usr/bin/python3

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
point() { # point OK|FAIL description [file of diagnostic lines]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
	if [ -n "${3:-}" ]; then sed 's/^/# /' "$3"; fi
}

# ---- the schema half, gathered first so that the plan can be printed
if [ -x "$PYTHON" ]; then
	"$PYTHON" tests/e2e/schemacheck.py "$root" >"$tmp/py.out" 2>&1
	py_rc=$?
else
	echo "no $PYTHON: install python3, python3-jsonschema, python3-yaml (make deps)" >"$tmp/py.out"
	py_rc=127
fi
py_points=$(grep -cE '^(not )?ok - ' "$tmp/py.out")

shopt -s nullglob
valid=(tests/valid/*.yaml)
shopt -u nullglob

echo "1..$((py_points + 1 + ${#valid[@]} + 1))"

while IFS= read -r line; do
	case $line in
	'ok - '*) point OK "${line#ok - }" ;;
	'not ok - '*) point FAIL "${line#not ok - }" ;;
	'#'*) echo "$line" ;;
	*) echo "# $line" ;;
	esac
done <"$tmp/py.out"
if [ "$py_rc" = 0 ]; then
	point OK "schemacheck.py ran to the end"
else
	echo "exit status $py_rc" >"$tmp/diag"
	point FAIL "schemacheck.py ran to the end" "$tmp/diag"
fi

# ---- the loader half
have_parity=1
if [ ! -x "$PARITY" ] && ! command -v "$PARITY" >/dev/null 2>&1; then
	have_parity=0
fi
run_parity() { # run_parity ARGS...: stdout in $tmp/out, stderr in $tmp/err, status in $rc
	if [ "$have_parity" = 0 ]; then
		echo "no parity binary at $PARITY (make)" >"$tmp/err"
		: >"$tmp/out"
		rc=127
		return
	fi
	timeout 30 "$PARITY" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

for f in ${valid[@]+"${valid[@]}"}; do
	run_parity validate "$f"
	if [ "$rc" = 0 ]; then
		point OK "parity validate $f exits 0"
	else
		{ echo "exit status $rc, want 0"; head -n 20 "$tmp/err"; } >"$tmp/diag"
		point FAIL "parity validate $f exits 0" "$tmp/diag"
	fi
done

run_parity schema
if [ "$rc" = 0 ] && cmp -s "$tmp/out" schemas/contract.schema.json; then
	point OK "parity schema prints schemas/contract.schema.json"
else
	{
		echo "exit status $rc"
		head -n 5 "$tmp/err"
		[ -s "$tmp/out" ] && diff "$tmp/out" schemas/contract.schema.json | head -n 20
	} >"$tmp/diag"
	point FAIL "parity schema prints schemas/contract.schema.json" "$tmp/diag"
fi
exit 0
