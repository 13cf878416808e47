#!/bin/sh
# demo.sh PARITY: the serving part of `make demo`. Starts staging and
# production model servers on loopback, production deciding "fraud" at a
# different threshold: hashes, model inputs and logits all agree, so only
# the served decisions differ, and parity says the divergence is in
# post-processing. Reports go to out/serving/. Exit 1 is the expected
# verdict; anything else is an error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../out/serving"
mkdir -p "$out"
out=$(cd "$out" && pwd)
echo "\$ examples/serving/run.sh build/parity different-threshold --report console ..."
echo
sh "$here/run.sh" "$1" different-threshold --report console \
	--report "tap:$out/report.tap" --report "junit:$out/report.xml" \
	--report "json:$out/report.json" --report "markdown:$out/report.md" \
	--report "html:$out/report.html"
rc=$?
echo
case $rc in
1) echo "demo: the decisions diverge while the logits agree: a post-processing bug, found" ;;
0) echo "demo: every step passed (unexpected)"; exit 1 ;;
*) echo "demo: parity failed with exit status $rc"; exit "$rc" ;;
esac
echo "reports written: out/serving/report.{tap,xml,json,md,html}"
echo "other faults: sh examples/serving/run.sh build/parity FAULT (see examples/serving/README.md)"
