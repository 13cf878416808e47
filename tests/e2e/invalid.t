#!/usr/bin/env bash
# invalid.t: every tests/invalid/*.yaml is refused with the exact error text
# it asserts (TAP, one test point a file). jq's %%FAIL cases, as YAML comments.
#
# A case is one contract with one mistake. Its leading comment block:
#
#   # expect: artifact without 'path'                  what is wrong, in words
#   # schema: 'path' is a required property            the JSON Schema's error, or
#                                                      'accepts: ...' (schemacheck.py)
#   # stderr: artifact-missing-path.yaml:11:15: error: artifact step 'model' needs 'path'
#   # stderr: 1 error
#   parity: 1
#   ...
#
# The `# stderr:` lines are what `parity validate NAME.yaml`, run from inside
# tests/invalid (so the file is named NAME.yaml, fragments DIR/NAME.yaml),
# prints on stderr, line for line and in order, less the source line and
# caret under each error (the lines that start with blanks and `|`): every
# `file:line:col: error: ...` line, `parity: error: ...` lines, and the
# count ("1 error"). parity must exit 2 and print nothing on stdout. A case
# without `# stderr:` lines fails, and so does any difference (shown as a
# diff, - asserted + actual).
# Line numbers count the header too. Folders under tests/invalid hold files
# that cases include or read; they are not cases.
#
# After changing a message on purpose, or to fill in a new case:
#
#   UPDATE=1 prove -v tests/e2e/invalid.t                  every case
#   UPDATE=1 tests/e2e/invalid.t tests/invalid/NAME.yaml   the cases named
#
# rewrites the `# stderr:` lines (at the end of the leading comment block)
# from the current binary, again until the line numbers, which move with
# the header, are stable; then review `git diff tests/invalid`. A case that
# does not exit 2 is never rewritten. make test never sets UPDATE.
#
# The run: NO_COLOR=1, LC_ALL=C, PARITY_TODAY=2026-11-22. PARITY is the
# binary, default ./build/parity.
set -u

case ${PARITY:-} in
'' | /*) ;;
*/*) PARITY=$PWD/$PARITY ;;
esac
root=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
PARITY=${PARITY:-$root/build/parity}
dir=$root/tests/invalid
update=${UPDATE:-}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ $# -gt 0 ]; then
	cases=()
	for a in "$@"; do
		case $a in /*) ;; *) a=$PWD/$a ;; esac
		cases+=("$dir/$(basename "$a")")
	done
else
	shopt -s nullglob
	cases=("$dir"/*.yaml)
	shopt -u nullglob
fi
echo "1..${#cases[@]}"
if [ ! -x "$PARITY" ]; then
	have_parity=0
else
	have_parity=1
fi

# asserted FILE: the `# stderr:` lines of FILE's leading comment block, unprefixed
asserted() {
	awk '!/^#/ { exit } /^# stderr:/ { sub(/^# stderr: ?/, ""); print }' "$1"
}

# actual NAME: runs the case; stderr less source excerpts in $tmp/actual, status in $rc
actual() {
	(cd "$dir" && env NO_COLOR=1 LC_ALL=C PARITY_TODAY=2026-11-22 \
		timeout 30 "$PARITY" validate "$1") >"$tmp/stdout" 2>"$tmp/stderr" </dev/null
	rc=$?
	grep -v -E '^ +[0-9]* \|' "$tmp/stderr" >"$tmp/actual"
}

# rewrite FILE: puts $tmp/actual into FILE's header as `# stderr:` lines
rewrite() {
	awk -v lines="$tmp/actual" '
		function put() { while ((getline l < lines) > 0) print (l == "" ? "# stderr:" : "# stderr: " l); done = 1 }
		!done && !/^#/ { put() }
		!done && /^# stderr:/ { next }
		{ print }
		END { if (!done) put() }
	' "$1" >"$tmp/new" && cat "$tmp/new" >"$1"
}

n=0
for f in "${cases[@]}"; do
	n=$((n + 1))
	name=$(basename "$f")
	what=$(sed -n '1s/^# expect: *//p' "$f" 2>/dev/null)
	desc="$name: ${what:-(no '# expect:' line)}"
	desc=${desc//#/\\#}
	if [ ! -f "$f" ]; then
		echo "not ok $n - $desc"
		echo "# no such case"
		continue
	fi
	if [ "$have_parity" = 0 ]; then
		echo "not ok $n - $desc"
		echo "# no parity binary at $PARITY (make)"
		continue
	fi
	actual "$name"
	if [ -n "$update" ] && [ "$rc" = 2 ]; then
		for _ in 1 2 3 4 5; do
			asserted "$f" >"$tmp/want"
			cmp -s "$tmp/want" "$tmp/actual" && break
			rewrite "$f"
			actual "$name"
		done
	fi
	asserted "$f" >"$tmp/want"
	problems=()
	[ "$rc" = 2 ] || problems+=("exit status $rc, want 2")
	[ -s "$tmp/stdout" ] && problems+=("stdout is not empty:" "$(head -n 5 "$tmp/stdout")")
	if [ ! -s "$tmp/want" ]; then
		problems+=("no '# stderr:' lines: fill them in with UPDATE=1 $0 tests/invalid/$name")
	elif ! diff -u "$tmp/want" "$tmp/actual" >"$tmp/diff"; then
		problems+=("stderr differs from the '# stderr:' lines (- asserted, + actual):")
		problems+=("$(tail -n +3 "$tmp/diff")")
	fi
	if [ ${#problems[@]} = 0 ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		printf '%s\n' "${problems[@]}" | sed 's/^/# /'
		[ "$rc" = 2 ] || sed 's/^/#   /' "$tmp/stderr" | head -n 20
	fi
done
exit 0
