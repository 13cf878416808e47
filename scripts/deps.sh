#!/bin/sh
# deps.sh: install the Debian packages parity builds and tests with, only
# those missing. As root it runs apt-get; otherwise sudo; if neither works it
# prints the exact command to run and fails.
#   sh scripts/deps.sh          what `make` and `make test` need
#   sh scripts/deps.sh bench    that plus what `make bench` measures against
set -u
pkgs="build-essential pkg-config libyaml-dev libpcre2-dev libcurl4-openssl-dev libssl-dev libjansson-dev libcmocka-dev libsqlite3-dev"
# test tools: prove (perl), xmllint, python3 with jsonschema and yaml, node+npm for taplint, clang for asan/fuzz,
# time (/usr/bin/time) for the peak RSS in make bench, numpy and scipy for the metrics oracle (tests/e2e/oracle.t)
pkgs="$pkgs perl procps openssl libxml2-utils python3 python3-jsonschema python3-yaml clang libclang-rt-14-dev cppcheck time"
pkgs="$pkgs python3-numpy python3-scipy"
# chromium renders the HTML report in a test (tests/e2e/html.t)
pkgs="$pkgs chromium"
case ${1:-} in
"") ;;
bench)
	# the references `make bench` compares with: nginx (a fixed-answer model
	# endpoint), wrk and a python requests loop; numpy, for the metrics row,
	# is in the list above already
	pkgs="$pkgs nginx-light wrk python3-requests" ;;
*)
	echo "usage: sh scripts/deps.sh [bench]" >&2
	exit 2 ;;
esac
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"

missing=""
for p in $pkgs; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
echo "deps: installing$missing" >&2
if [ "$(id -u)" = 0 ]; then
	run=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	run="sudo"
else
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root: apt-get update && $cmd" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$run apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 && exit 0
# the package lists may be stale on a fresh machine
$run apt-get update >/dev/null 2>&1
if ! $run apt-get install -y --no-install-recommends $missing; then
	echo "deps: could not install:$missing" >&2
	echo "deps: run as root: apt-get update && $cmd" >&2
	exit 1
fi
