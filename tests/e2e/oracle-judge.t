#!/usr/bin/env bash
# oracle-judge.t: the inference step's accuracy, per-class recall, McNemar,
# segment and OOD metrics agree with numpy and scipy (scipy.stats.binomtest,
# scipy.special.logsumexp); tests/e2e/judge/oracle.py writes the data and
# checks the JSON report. One test point a comparison.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if ! "$PY" -c 'import numpy, scipy.special, scipy.stats' >/dev/null 2>&1; then
	echo "1..0 # SKIP numpy/scipy not installed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" "$here/judge/oracle.py" gen "$tmp"
NO_COLOR=1 "$PARITY" run "$tmp/contract.yaml" --report "json:$tmp/r.json" --quiet > "$tmp/stdout" 2> "$tmp/stderr"
"$PY" "$here/judge/oracle.py" check "$tmp" "$tmp/r.json" || {
	echo "# oracle.py check failed; parity's stderr:"
	sed 's/^/#   /' "$tmp/stderr"
}
