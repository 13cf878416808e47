#!/bin/sh
# history.sh PARITY [RUNS] [FAULT_FROM]: the serving contract run RUNS times
# (default 10) with --history, production switched to the stale-artifact
# fault from run FAULT_FROM (default 6) on, then `parity history`: the runs
# turn from pass to fail at FAULT_FROM, the logits' metrics move there, and
# the weights' sha256 is the fact that changed between the two runs.
# The history and reports go to out/serving/ (OUT=DIR elsewhere).
set -u
here=$(cd "$(dirname "$0")" && pwd)
runs=${2:-10}
from=${3:-6}
out=${OUT:-$here/../../out/serving}
mkdir -p "$out"
db="$out/history.db"
rm -f "$db" "$db-wal" "$db-shm"
i=1
while [ "$i" -le "$runs" ]; do
	fault=none
	[ "$i" -ge "$from" ] && fault=stale-artifact
	sh "$here/run.sh" "$1" "$fault" --quiet --history "$db" --report "json:$out/run-$i.json" >/dev/null
	echo "run $i: fault $fault, exit $?"
	i=$((i + 1))
done
echo
"$1" history "$db" --last "$runs"
