#!/usr/bin/env bash
# shape-oracle.t: the affine map of the shape diagnosis (runner/data/shape.c)
# agrees with numpy.polyfit. tests/e2e/shape_oracle.py writes two seeded
# feature matrices (each column an affine map of the other's, with a little
# noise) that a preprocess step cats in each environment; the slope, offset
# and residual of every column in the JSON report's shapes are checked
# against numpy to a relative 1e-9.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if ! "$PY" -c 'import numpy' >/dev/null 2>&1; then
	echo "1..0 # SKIP numpy not installed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" "$here/shape_oracle.py" gen "$tmp"
NO_COLOR=1 "$PARITY" run "$tmp/contract.yaml" --report "json:$tmp/r.json" --quiet > "$tmp/stdout" 2> "$tmp/stderr"
"$PY" "$here/shape_oracle.py" check "$tmp" "$tmp/r.json" || {
	echo "# shape_oracle.py check failed; parity's stderr:"
	sed 's/^/#   /' "$tmp/stderr"
}
