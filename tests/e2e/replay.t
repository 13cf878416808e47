#!/usr/bin/env bash
# replay.t: the `replay` step kind through the real binary. Recordings in
# all four formats (jsonl, SageMaker Data Capture, KServe CloudEvents, HAR)
# are made by tests/e2e/servers/replay_server.py with each fault switched
# on, then replayed against the healthy twin on 127.0.0.1; each fault must
# be named at its field or feature with its shape, and the healthy
# recording must pass. Also: every-leaf comparison with ignore, features
# from a command, capture then compare giving the same verdict, and
# malformed recordings named by file and line or entry.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export PARITY NO_COLOR=1 PARITY_TODAY=2026-12-05
server="$here/servers/replay_server.py"

tmp=$(mktemp -d) || exit 1
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

faults=(healthy affine swap fit_transform missing_zero float16 round6 threshold)
formats=(jsonl sagemaker cloudevents har)
echo "1..$(( ${#faults[@]} * ${#formats[@]} + 6 ))"
n=0
point() { # point OK|FAIL description [file of diagnostic lines]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
	if [ "$1" != OK ] && [ -n "${3:-}" ] && [ -s "$3" ]; then sed 's/^/# /' "$3" | head -40; fi
}

"$PY" "$server" serve --max-seconds 300 >"$tmp/port" 2>"$tmp/server.err" &
pids+=($!)
port=""
for _ in $(seq 100); do
	port=$(head -1 "$tmp/port" 2>/dev/null)
	[ -n "$port" ] && break
	sleep 0.1
done

# contract FILE FORMAT RECORDING [EXTRA YAML lines for the step]
contract() {
	cat >"$1" <<YAML
parity: 1
name: replay-e2e
baseline: staging
environments:
  staging: {url: "http://127.0.0.1:${port:-0}"}
  production: {}
steps:
  - id: replay
    replay:
      recording: $3
      format: $2
      recorded: production
      http: {path: /predict, concurrency: 4}
$4
YAML
}
compare_features='      compare:
        /logits: {max_abs_diff: 1e-12}
        /label: exact
      features:
        recorded: /response/features
        names: [age, amount, tenure]
        http: {path: /features}'

# expect REPORT: python asserting the JSON report, given as FAULT
expect() {
	"$PY" - "$1" "$2" <<'PY'
import json, sys
report, fault = json.load(open(sys.argv[1])), sys.argv[2]
checks = {c["name"]: c for s in report["steps"] for c in s["checks"]}
def has(name, status, *words):
    c = checks.get(name)
    assert c, "no check %r in %s" % (name, sorted(checks))
    assert c["status"] == status, "%s: %s, expected %s: %s" % (name, c["status"], status, c["message"])
    for w in words:
        assert w in c["message"], "%s: %r not in %r" % (name, w, c["message"])
has("staging: replayed", "pass", "40 records replayed", "(1 skipped: no response)")
feature = {"affine": ("amount", "production = 1.25 x staging + 0.5 (affine"),
           "swap": ("age", "production's 'age' equals staging's 'tenure' (permutation"),
           "fit_transform": ("amount", "production has mean 0 and standard deviation 1"),
           "missing_zero": ("amount", "production has -2 where staging has -0.2, nowhere else "
                            "(another missing-value default)")}
if fault == "healthy":
    bad = [c["name"] for c in checks.values() if c["status"] != "pass"]
    assert not bad, bad
elif fault in feature:
    name, words = feature[fault]
    has("staging: feature '%s'" % name, "fail", "feature '%s' differs in" % name, words)
    verdict = report["summary"]["first_divergence"]["verdict"]     # the verdict names it too
    named = "feature '" if fault == "fit_transform" else "feature '%s' differs in" % name
    assert named in verdict and words in verdict, verdict   # fit_transform: every feature
    if fault != "fit_transform":    # fit_transform moves every column
        has("staging: feature 'age'", "pass" if name == "amount" else "fail")
elif fault == "float16":
    has("staging: '/logits'", "fail", "production = staging rounded to float16")
    has("staging: feature 'amount'", "pass")
elif fault == "round6":
    has("staging: '/logits'", "fail", "rounded to 6 significant digits")
elif fault == "threshold":
    has("staging: '/label'", "fail", "'/label' differs in")
    has("staging: '/logits'", "pass", "agrees in 40 records")
    for f in ("age", "amount", "tenure"):
        has("staging: feature '%s'" % f, "pass")
metrics = report["steps"][0]["metrics"]["staging"]
assert metrics["records"] == 40, metrics
assert set(metrics["fields"]) == {"/logits", "/label"}, metrics["fields"]
assert set(metrics["features"]) == {"age", "amount", "tenure"}, metrics["features"]
if fault == "affine":
    s = metrics["features"]["amount"]["shape"]
    assert s["shape"] == "affine" and abs(s["slope"] - 1.25) < 1e-9, s
PY
}

for fmt in "${formats[@]}"; do
	for fault in "${faults[@]}"; do
		out="$tmp/$fmt-$fault"
		: >"$out.log"
		"$PY" "$server" record --fault "$fault" --format "$fmt" --rows 40 --drop-last \
			-o "$out.rec" >>"$out.log" 2>&1
		contract "$out.yaml" "$fmt" "$out.rec" "$compare_features"
		"$PARITY" run "$out.yaml" --report "json:$out.json" >>"$out.log" 2>&1
		rc=$?
		want=1
		[ "$fault" = healthy ] && want=0
		if [ "$rc" = "$want" ] && validate "$out.json" >>"$out.log" 2>&1 &&
			expect "$out.json" "$fault" >>"$out.log" 2>&1; then
			point OK "$fmt recording, $fault: named with its shape"
		else
			echo "exit $rc, expected $want" >>"$out.log"
			point FAIL "$fmt recording, $fault: named with its shape" "$out.log"
		fi
	done
done

# every leaf compared when 'compare' is absent: the serving time and the trace
# id differ on every record until ignored
rec="$tmp/jsonl-healthy.rec"
contract "$tmp/leaves.yaml" jsonl "$rec" "      id: /request_id"
"$PARITY" run "$tmp/leaves.yaml" >"$tmp/leaves.out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q "fail staging: '/served_at': '/served_at' differs in 40 of 40 records" "$tmp/leaves.out" &&
	grep -q "^            r-0: production " "$tmp/leaves.out" && grep -q "fail staging: '/trace_id'" "$tmp/leaves.out"; then
	point OK "every leaf compared without 'compare': paths pasteable, records by id"
else
	point FAIL "every leaf compared without 'compare': paths pasteable, records by id" "$tmp/leaves.out"
fi
contract "$tmp/ignore.yaml" jsonl "$rec" "      ignore: [/served_at, /trace_id]"
if "$PARITY" run "$tmp/ignore.yaml" >"$tmp/ignore.out" 2>&1; then
	point OK "ignore: leaves out what differs by nature"
else
	point FAIL "ignore: leaves out what differs by nature" "$tmp/ignore.out"
fi

# features computed by a command from the logged requests on stdin
contract "$tmp/cmd.yaml" har "$tmp/har-swap.rec" "      compare: {/label: exact}
      features:
        recorded: /response/features
        names_from: names.csv
        run: [python3, $server, features]"
echo "age,amount,tenure" >"$tmp/names.csv"
"$PARITY" run "$tmp/cmd.yaml" >"$tmp/cmd.out" 2>&1
if grep -q "feature 'tenure' differs in 40 of 40 records: production's 'tenure' equals staging's 'age'" "$tmp/cmd.out"; then
	point OK "features from a command, names from a .csv header"
else
	point FAIL "features from a command, names from a .csv header" "$tmp/cmd.out"
fi

# capture then compare: the recording is read at evaluation, the live
# environment's facts carry its responses
y="$tmp/cloudevents-affine.yaml"
"$PARITY" capture "$y" --env staging -o "$tmp/st.facts.json" >"$tmp/cap.out" 2>&1 &&
	"$PARITY" capture "$y" --env production -o "$tmp/pr.facts.json" >>"$tmp/cap.out" 2>&1
"$PARITY" compare "$y" --facts "staging=$tmp/st.facts.json" --facts "production=$tmp/pr.facts.json" \
	--report "json:$tmp/cmp.json" >>"$tmp/cap.out" 2>&1
rc=$?
if [ "$rc" = 1 ] && validate "$tmp/st.facts.json" >>"$tmp/cap.out" 2>&1 &&
	validate "$tmp/pr.facts.json" >>"$tmp/cap.out" 2>&1 &&
	"$PY" -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
strip = lambda r: [(c["name"], c["status"], c["message"]) for s in r["steps"] for c in s["checks"]]
assert strip(a) == strip(b), (strip(a), strip(b))' "$tmp/cloudevents-affine.json" "$tmp/cmp.json" >>"$tmp/cap.out" 2>&1; then
	point OK "capture and compare give the run's verdict"
else
	point FAIL "capture and compare give the run's verdict" "$tmp/cap.out"
fi

# malformed recordings: the file and the line, or the HAR entry
printf '{"request": {"age": 1}, "response": {}}\n\n{"request": \n' >"$tmp/bad.jsonl"
echo '{"captureData": {"endpointOutput": {}}}' >"$tmp/bad.sm"
echo '{"log": {"entries": [{"request": {"postData": {"text": "{}"}}, "response": {}}, {"request": {}}]}}' >"$tmp/bad.har"
: >"$tmp/bad.out"
for f in jsonl:bad.jsonl sagemaker:bad.sm har:bad.har; do
	contract "$tmp/bad.yaml" "${f%%:*}" "${f#*:}" ""
	"$PARITY" run "$tmp/bad.yaml" >>"$tmp/bad.out" 2>&1
done
if grep -q "could not run in staging: bad.jsonl:3: invalid JSON: " "$tmp/bad.out" &&
	grep -q "could not run in staging: bad.sm:1: not a SageMaker Data Capture record: no captureData.endpointInput" "$tmp/bad.out" &&
	grep -q "could not run in staging: bad.har: entry 1: no request.postData.text" "$tmp/bad.out"; then
	point OK "malformed records named by file and line or entry"
else
	point FAIL "malformed records named by file and line or entry" "$tmp/bad.out"
fi

# the recorded environment needs no url, and gets no request
if grep -q '"recorded": true' "$tmp/pr.facts.json" 2>/dev/null && ! grep -q '"responses"' "$tmp/pr.facts.json"; then
	point OK "the recorded environment's facts are the recording"
else
	point FAIL "the recorded environment's facts are the recording" "$tmp/pr.facts.json"
fi
