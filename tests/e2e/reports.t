#!/usr/bin/env bash
# reports.t: every report format of the sample run (test_report --emit) is
# one well-formed document by its own format's validator: TAP 14 by taplint
# (tap-parser), TAP 13 by prove, JUnit by xmllint against the Jenkins and
# Surefire schemas, JSON by python3-jsonschema against schemas/report.schema.json,
# HTML by html-validate (tests/e2e/htmllint).
# BUILD is the build folder (default ./build); the validators' files live in
# ../shared next to the repository (skipped when it is absent).
set -u

root=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
case ${BUILD:-} in
'') BUILD=$root/build ;;
/*) ;;
*) BUILD=$PWD/$BUILD ;;
esac
cd "$root" || exit 1
shared=$(cd "$(dirname "$0")/../../../shared" 2>/dev/null && pwd) || shared=
bin=$BUILD/tests/test_report
PYTHON=/usr/bin/python3

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..14"
n=0
point() { # point OK|FAIL|SKIP description [file of diagnostic lines]
	n=$((n + 1))
	case $1 in
	OK) echo "ok $n - $2" ;;
	SKIP) echo "ok $n - $2 # SKIP ${3:-}"; return ;;
	*) echo "not ok $n - $2" ;;
	esac
	if [ -n "${3:-}" ] && [ -s "$3" ]; then sed 's/^/# /' "$3"; fi
}

# check DESCRIPTION COMMAND...: one point, the command's output as comments on failure
check() {
	local what=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then point OK "$what"; else point FAIL "$what" "$tmp/out"; fi
}

# ---- the documents
emitted=OK
for f in tap tap13 junit json markdown console html; do
	if ! "$bin" --emit "$f" >"$tmp/report.$f" 2>"$tmp/emit.err"; then
		echo "$bin --emit $f failed" >>"$tmp/emit.err"
		emitted=FAIL
	fi
done
point $emitted "test_report --emit writes every format" "$tmp/emit.err"

# ---- TAP 14
if [ -z "$shared" ] || [ ! -x "$shared/tools/taplint" ]; then
	point SKIP "tap: taplint (tap-parser, strict) finds the TAP 14 report well-formed" "../shared not found"
else
	"$shared/tools/taplint" "$tmp/report.tap" >"$tmp/out" 2>&1
	case $? in
	0) point OK "tap: taplint (tap-parser, strict) finds the TAP 14 report well-formed" ;;
	2) point SKIP "tap: taplint (tap-parser, strict) finds the TAP 14 report well-formed" \
		"taplint unavailable: $(head -1 "$tmp/out")" ;;
	*) point FAIL "tap: taplint (tap-parser, strict) finds the TAP 14 report well-formed" "$tmp/out" ;;
	esac
fi

one_document() { # FILE: one version line, first; one top-level plan, kept
	local versions plans planned points
	versions=$(grep -c '^TAP version' "$1")
	plans=$(grep -cE '^1\.\.[0-9]+$' "$1")
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$1" | head -1)
	points=$(grep -cE '^(not )?ok [0-9]+' "$1")
	echo "version lines: $versions, top-level plans: $plans, planned: $planned, top-level points: $points"
	head -1 "$1" | grep -q '^TAP version 1[34]$' && [ "$versions" = 1 ] && [ "$plans" = 1 ] &&
		[ "$planned" = "$points" ]
}
check "tap: one version line, one top-level plan, as many top-level points as planned" one_document "$tmp/report.tap"

# ---- TAP 13 under prove: failing points are expected, parse errors are not
prove_parses() {
	local planned out
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$1")
	out=$(prove --verbose --exec cat "$1" 2>&1)
	echo "$out" | tail -n 12
	! grep -q 'Parse errors' <<<"$out" && grep -q "Files=1, Tests=$planned," <<<"$out"
}
if command -v prove >/dev/null; then
	check "tap13: prove parses the TAP 13 report without parse errors" prove_parses "$tmp/report.tap13"
else
	point SKIP "tap13: prove parses the TAP 13 report without parse errors" "prove not installed"
fi
check "tap13: one version line, one plan, as many points as planned" one_document "$tmp/report.tap13"

# ---- JUnit
for xsd in jenkins-junit.xsd surefire-test-report.xsd; do
	what="junit: valid against $xsd"
	if [ -z "$shared" ] || [ ! -f "$shared/schemas/junit/$xsd" ]; then
		point SKIP "$what" "../shared not found"
	elif ! command -v xmllint >/dev/null; then
		point SKIP "$what" "xmllint not installed"
	else
		check "$what" xmllint --noout --schema "$shared/schemas/junit/$xsd" "$tmp/report.junit"
	fi
done

junit_counts() { # the suite's counts equal its children
	"$PYTHON" - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot()
cases = suite.findall('testcase')
got = {k: int(suite.get(k)) for k in ('tests', 'failures', 'errors', 'skipped')}
want = {'tests': len(cases),
        'failures': sum(len(c.findall('failure')) for c in cases),
        'errors': sum(len(c.findall('error')) for c in cases),
        'skipped': sum(len(c.findall('skipped')) for c in cases)}
names = [(c.get('classname'), c.get('name')) for c in cases]
print('attributes', got, 'children', want)
sys.exit(0 if got == want and len(set(names)) == len(names) and all(n for _, n in names) else 1)
EOF
}
check "junit: suite counts equal its test cases; names unique per classname" junit_counts "$tmp/report.junit"

# ---- JSON
json_valid() { # FILE [mutation]: 0 when the document (mutated) validates
	"$PYTHON" - "$root/schemas/report.schema.json" "$1" "${2:-}" <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
doc = json.load(open(sys.argv[2]))
if sys.argv[3] == 'extra-key':
    doc['steps'][0]['checks'][0]['colour'] = 'red'
errors = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
for e in errors:
    print('/'.join(str(p) for p in e.absolute_path) + ': ' + e.message)
sys.exit(1 if errors else 0)
EOF
}
json_rejects() { ! json_valid "$@"; }
if "$PYTHON" -c 'import jsonschema' 2>/dev/null; then
	check "json: valid against schemas/report.schema.json" json_valid "$tmp/report.json"
	check "json: the schema rejects an unknown key in a check" json_rejects "$tmp/report.json" extra-key
else
	point SKIP "json: valid against schemas/report.schema.json" "python3-jsonschema not installed"
	point SKIP "json: the schema rejects an unknown key in a check" "python3-jsonschema not installed"
fi

# ---- Markdown and console: plain text, checked for shape
markdown_shape() {
	head -1 "$1" | grep -q '^## parity: fraud-scorer — FAIL$' &&
		grep -q '^| | Step | Stage | Status | Checks | Details |$' "$1" &&
		grep -q '^### Failures$' "$1" && grep -q '^### Sign-off$' "$1" &&
		! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f]' "$1"
}
check "markdown: heading, step table, failures and sign-off; no control characters" \
	markdown_shape "$tmp/report.markdown"

console_shape() {
	grep -q '^VERDICT$' "$1" && [ "$(tail -1 "$1")" = "gate: FAIL" ] &&
		! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f]' "$1"
}
check "console: verdict block, gate line last; no control characters without colour" \
	console_shape "$tmp/report.console"

# ---- HTML: html-validate, nothing outside the file (the sample's nasty strings included)
"$root/tests/e2e/htmllint" "$tmp/report.html" >"$tmp/out" 2>&1
case $? in
0) point OK "html: valid (html-validate), nothing outside the file" ;;
2) point SKIP "html: valid (html-validate), nothing outside the file" "html-validate not installed (npm unreachable)" ;;
*) point FAIL "html: valid (html-validate), nothing outside the file" "$tmp/out" ;;
esac

# ---- HTML with every plot and a run history (test_html --emit)
"$BUILD/tests/test_html" --emit >"$tmp/plots.html" 2>"$tmp/out" &&
	"$root/tests/e2e/htmllint" "$tmp/plots.html" >"$tmp/out" 2>&1
case $? in
0) point OK "html: every plot and the history's sparklines valid (html-validate)" ;;
2) point SKIP "html: every plot and the history's sparklines valid (html-validate)" "html-validate not installed (npm unreachable)" ;;
*) point FAIL "html: every plot and the history's sparklines valid (html-validate)" "$tmp/out" ;;
esac
