#!/usr/bin/env bash
# audit.t: `parity audit` over 20 contracts (TAP): each contract's reports
# under --out, one summary in every format (JUnit with one testsuite per
# contract, valid against the Jenkins XSD), --var given only to the
# contracts that declare it, and the exit status the worst of them.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export NO_COLOR=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
echo "1..9"
n=0
point() { # point OK|FAIL|SKIP description [details]
	n=$((n + 1))
	case $1 in
	OK) echo "ok $n - $2" ;;
	SKIP) echo "ok $n - $2 # SKIP ${3:-}"; return 0 ;;
	*) echo "not ok $n - $2" ;;
	esac
	[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	return 0
}

mkdir -p fleet/nested
for i in $(seq -w 1 17); do
	cat > "fleet/pass-$i.yaml" <<EOF2
parity: 1
name: pass-$i
environments: {staging: {}, production: {}}
steps:
  - id: greeting
    command: {run: [echo, hello $i], expect: "hello $i"}
EOF2
done
cat > fleet/fails.yaml <<'EOF2'
parity: 1
name: fails
environments: {staging: {}, production: {exec: [env, RELEASE=2]}}
steps:
  - id: release
    command: {shell: 'echo "release=${RELEASE:-1}"', capture: "release=(?<value>\\S+)"}
EOF2
cat > fleet/invalid.yaml <<'EOF2'
parity: 1
name: invalid
environments: {staging: {}}
steps:
  - id: x
    comand: {run: [true]}
EOF2
cat > fleet/nested/contract.yaml <<'EOF2'
parity: 1
name: with-var
vars: {who: nobody}
environments: {staging: {}, production: {}}
steps:
  - id: who
    command: {run: [echo, "${vars.who}"], expect: alice}
EOF2
echo "pins: {}" > fleet/pass-01.lock.yaml

"$PARITY" audit fleet --jobs 4 --var who=alice --out out >stdout 2>stderr
rc=$?
if [ $rc = 2 ]; then point OK "audit over 20 contracts exits with the worst status (2: one invalid)"
else point FAIL "audit over 20 contracts exits with the worst status (2: one invalid)" "exit $rc: $(cat stdout stderr)"; fi

if python3 - <<'PY'
import json
s = json.load(open("out/summary.json"))
assert s["type"] == "audit" and s["exit_status"] == 2, s
c = s["counts"]
assert (c["contracts"], c["passed"], c["failed"], c["invalid"]) == (20, 18, 1, 1), c
by = {x["name"]: x for x in s["contracts"]}
assert by["with-var"]["status"] == "pass", by["with-var"]
assert by["fails"]["status"] == "fail" and by["invalid"]["status"] == "invalid"
assert by["fails"]["verdict"].startswith("first divergence: "), by["fails"]["verdict"]
assert "unknown step kind 'comand'" in by["invalid"]["verdict"], by["invalid"]["verdict"]
PY
then point OK "summary.json: 20 contracts, 18 passed (with-var got --var who=alice), 1 failed, 1 invalid"
else point FAIL "summary.json: 20 contracts, 18 passed (with-var got --var who=alice), 1 failed, 1 invalid"; fi

missing=""
for d in pass-01 pass-17 fails with-var; do
	for f in report.json report.xml report.md console.txt; do [ -s "out/$d/$f" ] || missing="$missing $d/$f"; done
done
if [ -z "$missing" ]; then point OK "each contract's reports are under --out/NAME/"
else point FAIL "each contract's reports are under --out/NAME/" "missing:$missing"; fi

suites=$(grep -c '<testsuite ' out/junit.xml)
if [ "$suites" = 20 ]; then point OK "junit.xml holds one testsuite per contract"
else point FAIL "junit.xml holds one testsuite per contract" "$suites testsuites"; fi

if [ -z "$shared" ] || [ ! -f "$shared/schemas/junit/jenkins-junit.xsd" ]; then
	point SKIP "junit.xml is valid against the Jenkins JUnit XSD" "../shared not found"
elif out=$(xmllint --noout --schema "$shared/schemas/junit/jenkins-junit.xsd" out/junit.xml 2>&1); then
	point OK "junit.xml is valid against the Jenkins JUnit XSD"
else point FAIL "junit.xml is valid against the Jenkins JUnit XSD" "$out"; fi

rows=$(grep -c '^| \(pass\|fail\|invalid\) |' out/summary.md)
links=$(grep -c '<a href="[^"]*/report.md">' out/index.html)
lines=$(grep -c -E '^(pass|fail|invalid) ' stdout)
if [ "$rows" = 20 ] && [ "$links" = 20 ] && [ "$lines" = 20 ] && grep -q '20 contracts, 18 passed, 2 did not; exit status 2' stdout &&
   xmllint --html --noout out/index.html 2>/dev/null; then
	point OK "one summary: console, Markdown and index.html each list the 20 contracts"
else point FAIL "one summary: console, Markdown and index.html each list the 20 contracts" "$rows $links $lines $(tail -3 stdout)"; fi

"$PARITY" audit fleet/pass-01.yaml fleet/fails.yaml --out out2 >/dev/null 2>&1
rc=$?
if [ $rc = 1 ]; then point OK "a failing contract and a passing one: exit 1"
else point FAIL "a failing contract and a passing one: exit 1" "exit $rc"; fi

"$PARITY" audit fleet --var nobody=x --out out3 >stdout 2>stderr
rc=$?
if [ $rc = 2 ] && [ "$(cat stderr)" = "parity: error: no contract declares the variable 'nobody' of --var nobody=x: leave it out, or declare it under 'vars:'" ] && [ ! -e out3 ]; then
	point OK "a --var no contract declares is an error, and nothing runs"
else point FAIL "a --var no contract declares is an error, and nothing runs" "exit $rc: $(cat stderr)"; fi

"$PARITY" audit fleet/pass-01.yaml fleet/pass-02.yaml --history h.db --out out4 >/dev/null 2>&1
rc=$?
runs=$(python3 -c 'import sqlite3; print(sqlite3.connect("h.db").execute("SELECT COUNT(DISTINCT contract) FROM runs").fetchone()[0])' 2>&1)
if [ $rc = 0 ] && [ "$runs" = 2 ]; then point OK "--history records each contract's run"
else point FAIL "--history records each contract's run" "exit $rc, $runs"; fi
