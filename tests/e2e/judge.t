#!/usr/bin/env bash
# judge.t: labels, accuracy, segments and OOD rates of the inference step
# against the serving example's model server on loopback. judge/make_data.py
# writes labelled golden sets and the artifacts of each fault (a stale
# scaler, a scaler fit on the batch, a scaler that moves one segment); each
# case starts staging (healthy) and production (the fault's artifacts), runs
# judge/contract.yaml, and asserts the exit status, the status of named
# checks and named metrics in the JSON report, which must validate.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
server="$top/examples/serving/model_server.py"

# name | golden set | production's artifacts | exit status | expectations
# (check=status or metric:env:name=value, space-separated)
cases="healthy|golden.csv|artifacts|0|production:_accuracy_drop=pass production:_segment_disagreement=pass staging:_ood_rate=pass metric:production:mcnemar_p=1
healthy-batch|golden-batch.csv|artifacts|0|production:_per-class_accuracy_drop=pass staging:_ood_rate=pass
stale-scaler|golden.csv|stale|1|production:_accuracy_drop=fail production:_per-class_accuracy_drop=fail staging:_accuracy=pass
batch-fit-transform|golden-batch.csv|batch|1|production:_accuracy_drop=pass production:_per-class_accuracy_drop=fail
segment|golden.csv|segment|1|production:_segment_disagreement=fail production:_accuracy_drop=pass production:_segment_accuracy_drop=pass metric:production:argmax_agreement=0.98 metric:production:accuracy_drop=-0.02
shifted-inputs|shifted.csv|artifacts|1|staging:_ood_rate=fail production:_ood_rate=fail production:_ood_rate_diff=pass"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not found"
	exit 0
fi
tmp=$(mktemp -d)
pids=""
stop() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap stop EXIT
if ! $PY "$here/judge/make_data.py" "$tmp/data" > "$tmp/data.log" 2>&1; then
	echo "1..1"
	echo "not ok 1 - make_data.py wrote the golden sets"
	sed 's/^/# /' "$tmp/data.log"
	exit 0
fi
echo "# $(cat "$tmp/data.log")"

# start NAME ARTIFACTS: a server on a free port; its port in $tmp/NAME.port
start() {
	$PY "$server" --port 0 --artifacts "$tmp/data/$2" > "$tmp/$1.port" 2> "$tmp/$1.log" &
	pids="$pids $!"
}
port() {
	local i=0
	while [ ! -s "$tmp/$1.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	head -n 1 "$tmp/$1.port"
}
start staging artifacts
for a in artifacts stale batch segment; do start "prod-$a" "$a"; done

echo "1..$(printf '%s\n' "$cases" | wc -l)"
n=0
while IFS='|' read -r name golden prod want_rc expect; do
	n=$((n + 1))
	out="$tmp/$name"
	mkdir -p "$out"
	NO_COLOR=1 "$PARITY" run "$here/judge/contract.yaml" --var "golden=$tmp/data/$golden" \
		--var "staging_url=http://127.0.0.1:$(port staging)" \
		--var "production_url=http://127.0.0.1:$(port "prod-$prod")" \
		--report "json:$out/r.json" --report "markdown:$out/r.md" > "$out/stdout" 2> "$out/stderr"
	rc=$?
	problems=""
	[ "$rc" = "$want_rc" ] || problems="exit status $rc, expected $want_rc"
	if [ -f "$out/r.json" ]; then
		p=$($PY - "$out/r.json" $expect <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
step = r["steps"][0]
checks = {c["name"]: c["status"] for c in step["checks"]}
for e in sys.argv[2:]:
    what, want = e.rsplit("=", 1)
    if what.startswith("metric:"):
        _, env, name = what.split(":")
        got = step["metrics"].get(env, {}).get(name)
        if got is None or abs(float(got) - float(want)) > 1e-9:
            print("metric %s of %s is %s, expected %s" % (name, env, got, want))
    else:
        name = what.replace("_", " ")
        if checks.get(name) != want:
            print("check '%s' is %s, expected %s" % (name, checks.get(name), want))
PY
)
		[ -z "$p" ] || problems="$problems; $p"
		v=$(validate "$out/r.json" 2>&1) || problems="$problems; invalid report: $v"
	else
		problems="$problems; no JSON report"
	fi
	if [ -z "$problems" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		printf '%s\n' "$problems" | sed 's/^/# /'
		sed 's/^/#   /' "$out/stdout" | head -40
		sed 's/^/#   /' "$out/stderr" | head -20
	fi
done <<<"$cases"
