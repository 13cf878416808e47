#!/usr/bin/env bash
# fuzz.t: short libFuzzer runs of every fuzz target (TAP).
#
# Builds each tests/fuzz/fuzz_NAME.c into $BUILD/fuzz/fuzz_NAME with the
# Makefile's rules (make rebuilds only what changed; its runner/*/*.c glob
# picks up new folders), then for each target: replays its seed corpus
# tests/fuzz/corpus/NAME/, fuzzes a copy of it for a bounded time (at most
# FUZZ_SECONDS per target, default 4, and FUZZ_RUNS runs, default 100000;
# seed FUZZ_SEED, default 1) with tests/fuzz/NAME.dict when there is one,
# and replays tests/fuzz/crashes/NAME/, known findings not yet fixed, as a
# TODO test point (fix, then move them into the corpus). tests/fuzz/corpus
# is never modified. Without clang's libFuzzer: skipped. A finding is kept
# under $BUILD/fuzz/findings/NAME/ and its report is shown.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
cd "$root" || exit 1
BUILD=${BUILD:-$root/build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
RUNS=${FUZZ_RUNS:-100000}
SECONDS_MAX=${FUZZ_SECONDS:-4}
out=$BUILD/fuzz

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# clang with the libFuzzer runtime, or skip the whole file
if ! command -v clang >/dev/null 2>&1; then
	echo "1..0 # SKIP no clang libFuzzer"
	exit 0
fi
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$tmp/probe.c"
if ! clang -fsanitize=fuzzer,address,undefined -o "$tmp/probe" "$tmp/probe.c" >/dev/null 2>&1; then
	echo "1..0 # SKIP no clang libFuzzer"
	exit 0
fi

names=()
for src in tests/fuzz/fuzz_*.c; do
	name=${src#tests/fuzz/fuzz_}
	names+=("${name%.c}")
done
echo "1..$((2 + 3 * ${#names[@]}))"

# 1: build, through make but outside the make that may be running this test
bins=("${names[@]/#/$out/fuzz_}")
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -j2 -C "$root" BUILD="$BUILD" "${bins[@]}" \
	> "$tmp/build.log" 2>&1; then
	echo "ok 1 - build ${#bins[@]} fuzz targets in $out"
else
	echo "not ok 1 - build the fuzz targets in $out"
	sed 's/^/# /' "$tmp/build.log" | tail -40
	for ((i = 2; i <= 2 + 3 * ${#names[@]}; i++)); do echo "not ok $i # SKIP no fuzz targets"; done
	exit 0
fi

# the targets' own temporary folders go under $tmp, removed even after a crash
export TMPDIR=$tmp
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Keeps what the fuzzer left (crash-*, leak-*, timeout-*, oom-*) and shows its report.
report_finding() {
	local name=$1 log=$2
	mkdir -p "$out/findings/$name"
	cp "$tmp/art/$name"/* "$out/findings/$name/" 2>/dev/null
	grep -E 'ERROR: |SUMMARY: |runtime error: |Test unit written to|#[0-9]+ 0x' "$log" |
		head -40 | sed 's/^/# /'
	echo "# findings kept in $out/findings/$name/; replay: $out/fuzz_$name FILE"
}

corpus_digest() {
	(cd tests/fuzz/corpus && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 cat -- && find . | LC_ALL=C sort) | cksum
}
before=$(corpus_digest)

n=1
for name in "${names[@]}"; do
	bin=$out/fuzz_$name
	seeds=tests/fuzz/corpus/$name
	mkdir -p "$tmp/art/$name" "$tmp/corpus/$name"
	[ -d "$seeds" ] && cp "$seeds"/* "$tmp/corpus/$name/" 2>/dev/null
	count=$(find "$tmp/corpus/$name" -type f | wc -l)

	# every seed runs without a finding
	n=$((n + 1))
	if [ "$count" = 0 ]; then
		echo "not ok $n - $name: no seeds in $seeds"
	elif "$bin" -artifact_prefix="$tmp/art/$name/" "$tmp/corpus/$name"/* > "$tmp/seeds.log" 2>&1; then
		echo "ok $n - $name: the $count seeds of $seeds run cleanly"
	else
		echo "not ok $n - $name: a seed of $seeds crashes or leaks"
		report_finding "$name" "$tmp/seeds.log"
	fi

	# a bounded fuzzing run over the copy
	n=$((n + 1))
	dict=()
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	if "$bin" -seed="${FUZZ_SEED:-1}" -runs="$RUNS" -max_total_time="$SECONDS_MAX" -max_len=4096 \
		-timeout=10 -rss_limit_mb=2048 "${dict[@]}" -artifact_prefix="$tmp/art/$name/" \
		-print_final_stats=1 "$tmp/corpus/$name" > "$tmp/fuzz.log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/fuzz.log")
		echo "ok $n - $name: fuzzing, ${execs:-?} inputs, no crash, leak or timeout"
	else
		echo "not ok $n - $name: fuzzing found a problem"
		report_finding "$name" "$tmp/fuzz.log"
	fi

	# the known findings, until they are fixed
	n=$((n + 1))
	known=()
	for f in tests/fuzz/crashes/"$name"/*; do
		[ -f "$f" ] || continue
		if ! "$bin" -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$tmp/known-" "$f" \
			> "$tmp/known.log" 2>&1; then
			known+=("${f#tests/fuzz/crashes/}")
		fi
	done
	if [ "${#known[@]}" = 0 ]; then
		echo "ok $n - $name: no known finding in tests/fuzz/crashes/$name reproduces"
	else
		echo "not ok $n - $name: known findings still reproduce: ${known[*]} # TODO fix, then move them into $seeds"
	fi
done

# last: the repository's corpus was left alone
n=$((n + 1))
after=$(corpus_digest)
if [ "$after" = "$before" ]; then
	echo "ok $n - tests/fuzz/corpus unchanged"
else
	echo "not ok $n - tests/fuzz/corpus was modified"
fi
