#!/usr/bin/env bash
# history.t: --history appends each run to an SQLite file, and `parity
# history` reads the trend back (TAP). Every metric of a run round-trips
# (the JSON report's value against the file's, exactly); two writers at
# once (parallel runs) lose no run; a fact that changed is said in words;
# the command line's mistakes are clear errors.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export NO_COLOR=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
echo "1..9"
n=0
point() { # point OK|FAIL description [details]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
	[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	return 0
}
check() { # check description command...: OK when the command exits 0
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then point OK "$what"; else point FAIL "$what" "$out"; fi
}

# a contract with numeric, postprocess and drift metrics, all from files
python3 - <<'PY'
import random
random.seed(3)
with open("golden.csv", "w") as f:
    f.write("a,b\n" + "".join("%.4f,%.4f\n" % (random.random(), random.random()) for _ in range(50)))
with open("reference.csv", "w") as f:
    f.write("amount\n" + "".join("%.3f\n" % random.gauss(100, 15) for _ in range(500)))
with open("traffic.csv", "w") as f:
    f.write("amount\n" + "".join("%.3f\n" % random.gauss(104, 15) for _ in range(500)))
PY
cat > score.sh <<'EOF2'
#!/bin/sh
# scores each row; SCALE differs by environment
awk -F, -v s="${SCALE:-1}" '{ printf "%.9g,%.9g\n", $1 * s, $2 }'
EOF2
cat > contract.yaml <<'EOF2'
parity: 1
name: trend
environments:
  staging: {exec: [env, SCALE=1]}
  production: {exec: [env, "SCALE=${vars.scale}"]}
vars: {scale: "1"}
steps:
  - id: version
    command: {shell: 'echo "release=${RELEASE:-1.0}"', capture: "release=(?<value>\\S+)"}
  - id: scores
    inference:
      inputs: golden.csv
      command: {run: [sh, score.sh], output: csv}
      tolerance: {max_abs_diff: 1e-3}
  - id: decisions
    postprocess: {from: scores, score: {softmax: 0}, threshold: 0.5, max_flips: 0, near: 0.01}
  - id: traffic
    drift: {reference: {path: reference.csv, field: amount}, sample: traffic.csv, psi: {bins: 10, max: 0.5}, ks: {max: 0.5}}
EOF2

"$PARITY" run contract.yaml --quiet --history h.db --report json:r1.json >/dev/null 2>err1
rc1=$?
RELEASE=1.1 "$PARITY" run contract.yaml --quiet --var scale=1.01 --history h.db --report json:r2.json >/dev/null 2>err2
rc2=$?
if [ "$rc1" = 0 ] && [ "$rc2" = 1 ] && [ -s h.db ]; then point OK "runs with --history exit as without (0, then 1)"
else point FAIL "runs with --history exit as without (0, then 1)" "$rc1 $rc2: $(cat err1 err2)"; fi

check "every metric of every run round-trips exactly" python3 - <<'PY'
import json, sqlite3
db = sqlite3.connect("h.db")
runs = [r[0] for r in db.execute("SELECT id FROM runs ORDER BY id")]
assert len(runs) == 2, runs
total = 0
for run, report in zip(runs, ["r1.json", "r2.json"]):
    r = json.load(open(report))
    want = {}
    for s in r["steps"]:
        for env, ms in (s.get("metrics") or {}).items():
            for name, v in ms.items():
                want[(s["id"], env, name)] = v
    got = {(st, env, name): json.loads(text) for st, env, name, text in
           db.execute("SELECT step, env, name, json FROM metrics WHERE run = ?", (run,))}
    assert want, "the report has no metrics"
    assert got == want, (sorted(set(got) ^ set(want)), [k for k in want if got.get(k) != want[k]][:5])
    total += len(want)
    row = db.execute("SELECT contract, sha256, status, environments FROM runs WHERE id = ?", (run,)).fetchone()
    assert row[0] == "trend" and row[1] == r["contract"]["sha256"], row
    assert json.loads(row[3]) == ["staging", "production"], row
    checks = db.execute("SELECT COUNT(*) FROM checks WHERE run = ?", (run,)).fetchone()[0]
    assert checks == sum(len(s["checks"]) for s in r["steps"]), checks
print(total, "metrics")
PY

"$PARITY" history h.db --contract trend >out 2>&1
if grep -q 'contract .trend. in .h.db.: the last 2 runs' out && grep -q '^  scores  production  max_abs_diff: 0 ' out &&
   grep -q "production: value 1.0 -> 1.1 between the runs of" out; then
	point OK "parity history prints the runs, each metric's series, and the fact that changed"
else point FAIL "parity history prints the runs, each metric's series, and the fact that changed" "$(cat out)"; fi

"$PARITY" history h.db --step decisions --last 1 >out 2>&1
if grep -q 'the last 1 run,' out && grep -q '^  decisions  production  flips: ' out && ! grep -q '^  scores ' out; then
	point OK "--step and --last narrow the trend"
else point FAIL "--step and --last narrow the trend" "$(cat out)"; fi

# two writers at once, 10 runs each, into one new file
rm -f c.db
( for i in 1 2 3 4 5 6 7 8 9 10; do "$PARITY" run contract.yaml --quiet --only version --history c.db >/dev/null 2>>w1.err || echo "run $i: $?" >>w1.err; done ) &
a=$!
( for i in 1 2 3 4 5 6 7 8 9 10; do "$PARITY" run contract.yaml --quiet --only version --history c.db >/dev/null 2>>w2.err || echo "run $i: $?" >>w2.err; done ) &
b=$!
wait $a $b
runs=$(python3 -c 'import sqlite3; d = sqlite3.connect("c.db"); print(d.execute("SELECT COUNT(*) FROM runs").fetchone()[0], d.execute("PRAGMA integrity_check").fetchone()[0], d.execute("PRAGMA journal_mode").fetchone()[0])')
if [ "$runs" = "20 ok wal" ] && [ ! -s w1.err ] && [ ! -s w2.err ]; then point OK "two concurrent writers, 10 runs each: 20 runs, intact, WAL"
else point FAIL "two concurrent writers, 10 runs each: 20 runs, intact, WAL" "$runs $(cat w1.err w2.err 2>/dev/null)"; fi

"$PARITY" history h.db --contract tren >out 2>&1
rc=$?
if [ $rc = 2 ] && [ "$(cat out)" = "parity: error: history 'h.db' has no runs of contract 'tren' (it has 'trend')" ]; then
	point OK "an unknown contract is an error naming those there"
else point FAIL "an unknown contract is an error naming those there" "exit $rc: $(cat out)"; fi

"$PARITY" history nothing.db >out 2>&1
rc=$?
if [ $rc = 2 ] && [ "$(cat out)" = "parity: error: cannot read history 'nothing.db': No such file or directory (write one with 'parity run CONTRACT --history nothing.db')" ]; then
	point OK "a missing history file is an error saying how to write one"
else point FAIL "a missing history file is an error saying how to write one" "exit $rc: $(cat out)"; fi

"$PARITY" history h.db --step nope --contract trend >out 2>&1
rc=$?
if [ $rc = 2 ] && [ "$(cat out)" = "parity: error: history 'h.db': contract 'trend' has no step 'nope' in its runs" ]; then
	point OK "an unknown step is an error"
else point FAIL "an unknown step is an error" "exit $rc: $(cat out)"; fi

# the serving example: the stale artifact from the 2nd of 3 runs
OUT="$tmp/serving" sh "$top/examples/serving/history.sh" "$PARITY" 3 2 >out 2>&1
if grep -q '^run 1: fault none, exit 0$' out && grep -q '^run 2: fault stale-artifact, exit 1$' out &&
   grep -q '^ *2  [0-9T:-]*Z  fail    [0-9a-f]*  weights$' out &&
   grep -q "^  production: sha256 [0-9a-f]* -> [0-9a-f]* between the runs of .* (runs 1 and 2, step 'weights', fact 'sha256')$" out; then
	point OK "serving example: the history shows the stale artifact from the run it started"
else point FAIL "serving example: the history shows the stale artifact from the run it started" "$(cat out)"; fi
