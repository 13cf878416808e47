#!/bin/sh
# run.sh PARITY FAULT [parity run options...]: starts the staging and the
# production model servers on 127.0.0.1 (production with FAULT, or "none"),
# runs the serving contract against them, stops both, and exits with
# parity's status. Faults: none tiny-noise stale-artifact
# preprocessing-drift reduced-precision train-mode different-threshold
# shifted-traffic.
set -u
parity=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fault=${2:-none}
shift
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 3
tmp=$(mktemp -d)
pids=""
stop() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT TERM

# start NAME ARTIFACTS FAULT: a server on a free port, its pid remembered here
# (not in a subshell, so that stop() can end it)
start() {
	python3 model_server.py --port 0 --artifacts "$2" --fault "$3" > "$tmp/$1.port" 2> "$tmp/$1.log" &
	pids="$pids $!"
}

# port NAME: waits for the server to print its port (5 s at most)
port() {
	i=0
	while [ ! -s "$tmp/$1.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	if [ ! -s "$tmp/$1.port" ]; then
		echo "run.sh: the $1 server did not start:" >&2
		cat "$tmp/$1.log" >&2
		exit 3
	fi
	head -n 1 "$tmp/$1.port"
}

prod_artifacts=artifacts
server_fault=$fault
case $fault in
stale-artifact) prod_artifacts=artifacts-stale; server_fault=none ;;
esac
start staging artifacts none
start production "$prod_artifacts" "$server_fault"
staging=$(port staging) || exit 3
production=$(port production) || exit 3

# production's traffic, as its logger would keep it, for the replay step
python3 client.py record "http://127.0.0.1:$production" < ../../fixtures/serving/golden_inputs.csv \
	> "$tmp/production-traffic.jsonl" || exit 3

"$parity" run contract.yaml \
	--var "staging_url=http://127.0.0.1:$staging" --var "production_url=http://127.0.0.1:$production" \
	--var "recording=$tmp/production-traffic.jsonl" \
	--var "production_artifacts=$prod_artifacts" "$@"
