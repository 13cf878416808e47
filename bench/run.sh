#!/bin/sh
# bench/run.sh: parity's performance goals, measured side by side with a
# reference in one run, and a final table. `make bench` runs it as
#   sh bench/run.sh build/parity
#
#  a. hashing a 1 GiB file (page cache warm): `parity run` of a one-step
#     artifact contract against `openssl dgst -sha256` (best of 3 each):
#     throughput ratio >= 0.95; peak RSS of parity < 64 MiB (/usr/bin/time);
#  b. four 256 MiB artifacts in one environment, --jobs 1 against --jobs 2:
#     speedup near 2x on two or more cores (median of 3 each);
#  c. `parity validate` of a generated 200-step contract: median of 20 runs
#     < 50 ms;
#  d. scoring over HTTP at concurrency 8 (an `inference` step with `http:`)
#     against a fixed-answer nginx on loopback (bench/nginx.conf, started
#     here in the foreground and killed at the end), interleaved with wrk:
#     20,000 rows one per request at least 0.8x `wrk -t2 -c8`'s requests/s
#     (same connections, POST with the same body) and at least 50x a
#     sequential python requests.post loop (bench/requests_loop.py, timed on
#     1,000 rows); 319,488 rows with `batch: 64` at least 0.5x wrk sending
#     the same 64-row body, in rows (its requests/s x 64);
#  e. the metrics pass over two 100,000 x 1,000 float32 matrices
#     (bench/make_data.py): parity's metrics_compute, timed by a small driver
#     (bench/metrics_bench.c, built here against build/libparity.a), no
#     slower than numpy's np.abs(a - b).max() on the same .npy files; numpy
#     computing the whole set parity computes is shown beside it.
#  f. an inference step with a command scorer that echoes (`cat`), two
#     environments, over a 1,000,000 x 16 float32 .npy: `parity run` against
#     numpy doing the same step (bench/numpy_step.py: load, the echo read
#     back with np.load, every metric; median of 3 each, interleaved):
#     no slower than 1.5x numpy, peak RSS (the larger of --jobs 1 and
#     --jobs 2, the default on two cores) at most 1.5x numpy's; and the same
#     step over 4,000,000 rows must work (timed once);
#  g. the same step through .csv (100,000 x 16) against numpy.loadtxt and
#     np.savetxt, and through .jsonl against Python's json module: no slower.
#
# d and e need nginx, wrk, python3-requests and python3-numpy: missing ones
# are installed with `sh scripts/deps.sh bench` where that can be done, and
# a row whose tool is still missing is skipped with the reason.
#
# Data lives in ${BENCH_DIR:-/tmp/parity-bench} (about 2.8 GiB on disk; e
# also holds 800 MB of float32 in memory), made once and reused while
# present; removed at the end unless BENCH_KEEP=1. POSIX sh.
# shellcheck disable=SC2046 # `set -- $(stats ...)` splits "best median" on purpose
# shellcheck disable=SC2086 # so do $drop and $pkgs, lists of words
set -u

PARITY=${1:-build/parity}
case $PARITY in /*) ;; *) PARITY=$PWD/$PARITY ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
LIBPARITY=$(dirname "$PARITY")/libparity.a
DIR=${BENCH_DIR:-/tmp/parity-bench}
KEEP=${BENCH_KEEP:-0}
MIB=1048576

die() {
	echo "bench: $*" >&2
	exit 1
}

[ -x "$PARITY" ] || die "no parity binary at '$PARITY' (run make first)"
command -v openssl >/dev/null 2>&1 || die "openssl is needed as the reference (Debian package openssl)"
mkdir -p "$DIR" || die "cannot create '$DIR'"
CORES=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)

NGINX_PID=""
# stop_nginx: ends the nginx this script started (its master, by pid; the
# master takes its worker with it), if it runs
stop_nginx() {
	[ -n "$NGINX_PID" ] || return 0
	kill -TERM "$NGINX_PID" 2>/dev/null
	i=0
	while kill -0 "$NGINX_PID" 2>/dev/null && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$NGINX_PID" 2>/dev/null && kill -KILL "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=""
}
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	stop_nginx
	[ "$KEEP" = 1 ] && return 0
	rm -f "$DIR"/big.bin "$DIR"/part?.bin "$DIR"/*.yaml "$DIR"/http.csv "$DIR"/http64.csv "$DIR"/post.lua \
		"$DIR"/post64.lua "$DIR"/score.json "$DIR"/mat_a.npy "$DIR"/mat_b.npy "$DIR"/metrics_bench \
		"$DIR"/step_*.npy "$DIR"/step_in.csv "$DIR"/step_in.jsonl
	rm -rf "$DIR/nginx"
	rmdir "$DIR" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() {
	date +%s.%N
}

# elapsed START END: seconds between two `now` readings
elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", b - a }'
}

# stats: reads numbers, one a line; prints "best median"
stats() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan nan"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.6f %.6f\n", v[1], m }'
}

# timeit N FILE CMD...: runs CMD N times, appending each wall time (s) to
# FILE; fails when CMD fails
timeit() {
	n=$1 file=$2
	shift 2
	: > "$file"
	i=0
	while [ "$i" -lt "$n" ]; do
		t0=$(now)
		"$@" > /dev/null 2> "$DIR/last.err" || {
			echo "bench: command failed: $*" >&2
			sed 's/^/  /' "$DIR/last.err" >&2
			return 1
		}
		t1=$(now)
		elapsed "$t0" "$t1" >> "$file"
		i=$((i + 1))
	done
}

# make_file PATH MIB: PATH with MIB MiB of pseudo-random bytes, kept when
# it already has that size
make_file() {
	want=$(($2 * MIB))
	if [ -f "$1" ] && [ "$(wc -c < "$1")" -eq "$want" ]; then
		return 0
	fi
	echo "bench: writing $1 ($2 MiB)" >&2
	# AES-CTR over zeros is random enough for hashing and much faster than urandom
	if ! openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:parity-bench -in /dev/zero 2>/dev/null |
			head -c "$want" > "$1.tmp" ||
			[ "$(wc -c < "$1.tmp")" -ne "$want" ]; then
		head -c "$want" /dev/urandom > "$1.tmp" || die "cannot write $1"
	fi
	mv "$1.tmp" "$1"
}

ratio() {
	# an empty or non-numeric side is "nan", which no check passes
	awk -v a="$1" -v b="$2" 'BEGIN {
		num = "^[+-]?[0-9]*[.]?[0-9]+([eE][+-]?[0-9]+)?$"
		if (a !~ num || b !~ num || b == 0) print "nan"
		else printf "%.2f\n", a / b
	}'
}

# check VALUE OP LIMIT: PASS or FAIL
check() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v !~ /^[+-]?[0-9]*[.]?[0-9]+([eE][+-]?[0-9]+)?$/) ok = 0   # "nan", "-"
		else if (op == ">=") ok = v + 0 >= l + 0
		else if (op == "<") ok = v + 0 < l + 0
		else if (op == "<=") ok = v + 0 <= l + 0
		else ok = 0
		print ok ? "PASS" : "FAIL" }'
}

# python3 with Debian's packages (numpy, requests) where it is; a python3
# earlier on PATH (pyenv, a venv) may not see them
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3 2>/dev/null || echo python3)
NGINX=$(command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; })
has_py() {
	"$PY" -c "import $1" >/dev/null 2>&1
}
# what d and e measure against: install what is missing, once
if [ -z "$NGINX" ] || ! command -v wrk >/dev/null 2>&1 || ! has_py requests || ! has_py numpy; then
	echo "bench: installing the references of d and e: sh scripts/deps.sh bench" >&2
	sh "$HERE/../scripts/deps.sh" bench >&2 || echo "bench: could not install them; rows that need them are skipped" >&2
	NGINX=$(command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; })
fi

echo "parity bench: $($PARITY --version 2>/dev/null | head -1), $(openssl version | cut -d' ' -f1-2), $CORES cores, data in $DIR"

# ---------------------------------------------------------------- a
big=$DIR/big.bin
make_file "$big" 1024
cat > "$DIR/hash.yaml" <<EOF
parity: 1
name: bench-hash
defaults: {timeout: 10m}
environments: {local: {}}
steps:
  - id: big
    artifact: {path: $big}
EOF
"$PARITY" validate "$DIR/hash.yaml" > /dev/null || die "the hashing contract does not validate"
cat "$big" > /dev/null
timeit 3 "$DIR/a.openssl" openssl dgst -sha256 "$big" || die "openssl failed"
timeit 3 "$DIR/a.parity" "$PARITY" run "$DIR/hash.yaml" --no-color || die "parity run failed"
set -- $(stats < "$DIR/a.openssl")
o_best=$1 o_med=$2
set -- $(stats < "$DIR/a.parity")
p_best=$1 p_med=$2
o_tp=$(awk -v t="$o_best" 'BEGIN { printf "%.0f\n", 1024 / t }')
p_tp=$(awk -v t="$p_best" 'BEGIN { printf "%.0f\n", 1024 / t }')
a_ratio=$(ratio "$p_tp" "$o_tp")
a_status=$(check "$a_ratio" ">=" 0.95)
printf '\na. sha256 of 1 GiB (warm cache, 3 runs each)\n'
printf '   %-24s best %8.3f s  median %8.3f s  %6s MiB/s\n' "openssl dgst -sha256" "$o_best" "$o_med" "$o_tp"
printf '   %-24s best %8.3f s  median %8.3f s  %6s MiB/s\n' "parity run" "$p_best" "$p_med" "$p_tp"

if [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o "$DIR/a.rss" "$PARITY" run "$DIR/hash.yaml" --no-color > /dev/null 2>&1 ||
		die "parity run failed under /usr/bin/time"
	rss_kib=$(tail -n 1 "$DIR/a.rss")
	rss=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f\n", k / 1024 }')
	/usr/bin/time -f %M -o "$DIR/a.rss" openssl dgst -sha256 "$big" > /dev/null 2>&1
	o_rss=$(awk -v k="$(tail -n 1 "$DIR/a.rss")" 'BEGIN { printf "%.1f\n", k / 1024 }')
	rss_status=$(check "$rss" "<" 64)
	printf '   peak RSS: parity %s MiB, openssl %s MiB\n' "$rss" "$o_rss"
else
	rss="n/a" o_rss="-" rss_status="SKIP"
	echo "   peak RSS: skipped: /usr/bin/time is absent (Debian package 'time')"
fi

# ---------------------------------------------------------------- b
{
	cat <<EOF
parity: 1
name: bench-jobs
defaults: {timeout: 10m}
environments: {local: {}}
steps:
EOF
	for i in 1 2 3 4; do
		make_file "$DIR/part$i.bin" 256
		printf '  - id: part%d\n    artifact: {path: %s}\n' "$i" "$DIR/part$i.bin"
	done
} > "$DIR/jobs.yaml"
"$PARITY" validate "$DIR/jobs.yaml" > /dev/null || die "the jobs contract does not validate"
cat "$DIR"/part?.bin > /dev/null
timeit 3 "$DIR/b.1" "$PARITY" run "$DIR/jobs.yaml" --no-color --jobs 1 || die "parity run --jobs 1 failed"
timeit 3 "$DIR/b.2" "$PARITY" run "$DIR/jobs.yaml" --no-color --jobs 2 || die "parity run --jobs 2 failed"
set -- $(stats < "$DIR/b.1")
j1_best=$1 j1_med=$2
set -- $(stats < "$DIR/b.2")
j2_best=$1 j2_med=$2
speedup=$(ratio "$j1_med" "$j2_med")
if [ "$CORES" -ge 2 ]; then
	b_status=$(check "$speedup" ">=" 1.8)
else
	b_status="SKIP"
fi
printf '\nb. 4 artifacts of 256 MiB, one environment (3 runs each)\n'
printf '   %-24s best %8.3f s  median %8.3f s\n' "--jobs 1" "$j1_best" "$j1_med"
printf '   %-24s best %8.3f s  median %8.3f s  speedup %sx\n' "--jobs 2" "$j2_best" "$j2_med" "$speedup"
[ "$CORES" -ge 2 ] || echo "   (one core: no speedup to expect)"

# ---------------------------------------------------------------- c
awk 'BEGIN {
	print "parity: 1"
	print "name: bench-validate"
	print "description: 200 generated steps, artifact and command, with matchers and vars"
	print "vars: {root: /srv/models, release: \"1.4.2\", py: python3}"
	print "defaults: {timeout: 30s, retries: 0}"
	print "environments:"
	print "  staging: {dir: /srv/staging, vars: {root: /srv/staging/models}}"
	print "  production: {dir: /srv/production, headers: {X-Env: \"${environment}\"}}"
	print "steps:"
	for (i = 0; i < 200; i++) {
		printf "  - id: step-%03d\n", i
		printf "    description: generated step %d\n", i
		k = i % 5
		if (k == 0) {
			print "    artifact:"
			printf "      path: \"${vars.root}/shard-%03d.bin\"\n", i
			printf "      sha256: %064x\n", i
		} else if (k == 1) {
			printf "    artifact: {path: \"${vars.root}/dir-%d\", same: true}\n", i
		} else if (k == 2) {
			print "    tags: [release, generated]"
			print "    command:"
			printf "      run: [\"${vars.py}\", -c, \"print(%d)\"]\n", i
			print "      capture: \"(\\\\d+)\""
			print "      expect: {min: 1, max: 1e6}"
		} else if (k == 3) {
			print "    timeout: 5s"
			print "    command:"
			print "      run: [cat, release.txt]"
			print "      capture: \"version=(?<value>\\\\S+)\""
			print "      expect: {one_of: [\"${vars.release}\", {regex: \"^1\\\\.4\\\\.\"}]}"
		} else {
			print "    severity: warning"
			print "    command:"
			printf "      shell: \"echo ${vars.release} %d\"\n", i
			print "      stdout: {regex: \"^1\\\\.[0-9]+\\\\.[0-9]+ [0-9]+$\"}"
			print "      stderr: \"\""
			print "      exit: 0"
		}
	}
}' > "$DIR/validate.yaml"
"$PARITY" validate "$DIR/validate.yaml" > "$DIR/last.err" 2>&1 || {
	sed 's/^/  /' "$DIR/last.err" >&2
	die "the generated 200-step contract does not validate"
}
timeit 20 "$DIR/c.parity" "$PARITY" validate "$DIR/validate.yaml" || die "parity validate failed"
set -- $(stats < "$DIR/c.parity")
v_best=$(awk -v t="$1" 'BEGIN { printf "%.1f\n", t * 1000 }')
v_med=$(awk -v t="$2" 'BEGIN { printf "%.1f\n", t * 1000 }')
c_status=$(check "$v_med" "<" 50)
printf '\nc. parity validate, 200 steps (%s lines; 20 runs)\n' "$(wc -l < "$DIR/validate.yaml")"
printf '   best %s ms  median %s ms\n' "$v_best" "$v_med"

# ---------------------------------------------------------------- d
# Scoring over HTTP against nginx's fixed answer, interleaved with wrk under
# the same load (D_RUNS rounds: parity batch 1, wrk batch 1, parity batch
# 64, wrk batch 64; medians):
#  - batch 1: 20,000 rows, one POST each, concurrency 8; wrk -t2 -c8 (both
#    cores, as parity's http_batch uses one thread per core) POSTing the
#    body parity sends for the first row;
#  - batch 64: the 20,000 rows sixteen times over (319,488 rows, 4,992
#    requests of 64 rows, concurrency 8); wrk -t2 -c8 POSTing the body
#    parity sends for the first 64 rows to /predict64, its req/s x 64.
# parity's rate is the step's own, as it reports it: rows over the seconds
# http_batch took (its "rows_per_second" fact: every body written, sent,
# answered and read into the output matrix), the part wrk does too; the
# step's whole time (reading the CSV, writing the fact) is shown beside it.
D_ROWS=20000 D_COLS=8 D_CONC=8 D_SECONDS=${BENCH_WRK_SECONDS:-3} D_RUNS=5 PY_ROWS=${BENCH_PY_ROWS:-1000}
D64_ROWS=319488
d_rate="-" w_rate="-" py_rate="-" d_wrk_ratio="-" d_py_ratio="-" d64_rate="-" d64_ratio="-" w64_rate="-"
d_wrk_status="SKIP" d_py_status="SKIP" d64_status="SKIP" d_why=""

# start_nginx: bench/nginx.conf in a fresh prefix under $DIR on a free
# loopback port, in the foreground of a background job (daemon off), as
# nobody when this runs as root; sets NGINX_PID and URL
start_nginx() {
	prefix=$DIR/nginx
	tries=0
	while [ "$tries" -lt 5 ]; do
		tries=$((tries + 1))
		port=$((20000 + ($$ * 7 + tries * 131) % 20000))
		rm -rf "$prefix"
		mkdir -p "$prefix/tmp" || return 1
		sed "s/@PORT@/$port/" "$HERE/nginx.conf" > "$prefix/nginx.conf" || return 1
		set -- "$NGINX" -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/error.log" -g 'daemon off;'
		if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
			chown -R nobody "$prefix"
			drop="setpriv --reuid=$(id -u nobody) --regid=$(id -g nobody) --clear-groups"
			# only where nobody can reach the prefix (not under a private folder)
			$drop test -w "$prefix/tmp" 2>/dev/null && set -- $drop "$@"
		fi
		"$@" > "$prefix/stdout" 2>&1 &
		NGINX_PID=$!
		# the master writes its pid file after it has bound the port
		i=0
		while [ ! -s "$prefix/nginx.pid" ] && kill -0 "$NGINX_PID" 2>/dev/null && [ "$i" -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		if [ -s "$prefix/nginx.pid" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
			URL=http://127.0.0.1:$port
			return 0
		fi
		stop_nginx
		grep -q 'in use' "$prefix/error.log" "$prefix/stdout" 2>/dev/null || break
	done
	sed 's/^/  /' "$prefix/error.log" "$prefix/stdout" >&2 2>/dev/null
	return 1
}

# score_run YAML ROWS: one `parity run` of a scoring contract; appends the
# step's seconds to $DIR/d.step.$2 and the scoring rate to $DIR/d.rate.$2
score_run() {
	rm -rf "$DIR/d.facts"
	"$PARITY" run "$1" --no-color --quiet --report "json:$DIR/score.json" --save-facts "$DIR/d.facts" \
		> /dev/null 2> "$DIR/last.err" || {
		sed 's/^/  /' "$DIR/last.err" >&2
		die "parity run of $1 failed"
	}
	grep -q "$2 rows scored" "$DIR/score.json" || die "parity did not score $2 rows (see $DIR/score.json)"
	grep -o '"seconds": *[0-9.eE+-]*' "$DIR/score.json" | head -n 1 | sed 's/.*: *//' >> "$DIR/d.step.$2"
	grep -o '"rows_per_second": *[0-9.eE+-]*' "$DIR"/d.facts/*.json | head -n 1 | sed 's/.*: *//' >> "$DIR/d.rate.$2"
}

# wrk_run LUA PATH OUT: wrk -t2 -c8 for D_SECONDS; appends its req/s to OUT
wrk_run() {
	wrk -t2 -c"$D_CONC" -d"${D_SECONDS}s" -s "$1" "$URL$2" > "$DIR/d.wrk" 2>&1 || {
		sed 's/^/  /' "$DIR/d.wrk" >&2
		return 1
	}
	w_bad=$(awk '/Non-2xx|Socket errors/' "$DIR/d.wrk")
	[ -n "$w_bad" ] && printf '   wrk: %s\n' "$w_bad"
	awk '/^Requests\/sec:/ { printf "%.0f\n", $2 }' "$DIR/d.wrk" >> "$3"
}

# the inputs: D_ROWS x D_COLS numbers; the 64-row file is them 16 times over
awk -v rows="$D_ROWS" -v cols="$D_COLS" 'BEGIN {
	srand(20261122)
	for (r = 0; r < rows; r++)
		for (c = 0; c < cols; c++)
			printf "%.6f%s", 2 * rand() - 1, c + 1 < cols ? "," : "\n"
}' > "$DIR/http.csv"
: > "$DIR/http64.csv"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	head -n 19968 "$DIR/http.csv" >> "$DIR/http64.csv"
done
# wrk's bodies: what parity sends for row 0 and for rows 0-63 (it writes
# "-0.500000" as "-0.5", the fewest digits that read back)
awk -v n=64 'function num(v) { sub(/0+$/, "", v); sub(/\.$/, "", v); return v }
NR <= n {
	k = split($0, a, ",")
	row = "["
	for (i = 1; i <= k; i++)
		row = row (i > 1 ? "," : "") num(a[i])
	row = row "]"
	if (NR == 1)
		one = row
	rows = rows (NR > 1 ? "," : "") row
}
END {
	print "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"" > (dir "/post.lua")
	printf "wrk.body = \"{\\\"inputs\\\": %s}\"\n", one > (dir "/post.lua")
	print "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"" > (dir "/post64.lua")
	printf "wrk.body = \"{\\\"instances\\\": [%s]}\"\n", rows > (dir "/post64.lua")
}' dir="$DIR" "$DIR/http.csv"

if [ -z "$NGINX" ]; then
	d_why="d: nginx is absent (Debian package nginx-light; sh scripts/deps.sh bench)"
elif ! command -v wrk >/dev/null 2>&1; then
	d_why="d: wrk is absent (Debian package wrk)"
elif ! start_nginx; then
	d_why="d: nginx did not start (its log is above)"
else
	cat > "$DIR/score.yaml" <<YAML
parity: 1
name: bench-score
defaults: {timeout: 5m}
environments: {local: {url: "$URL"}}
steps:
  - id: score
    inference:
      inputs: $DIR/http.csv
      http: {path: /predict, body: '{"inputs": \${row}}', output: /outputs, concurrency: $D_CONC}
YAML
	sed -e "s|http.csv|http64.csv|" -e "s|path: /predict,.*|path: /predict64, body: '{\"instances\": \${rows}}', output: /predictions, concurrency: $D_CONC, batch: 64}|" \
		"$DIR/score.yaml" > "$DIR/score64.yaml"
	rm -f "$DIR/d.step.$D_ROWS" "$DIR/d.rate.$D_ROWS" "$DIR/d.step.$D64_ROWS" "$DIR/d.rate.$D64_ROWS" \
		"$DIR/d.wrk1" "$DIR/d.wrk64"
	load0=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
	r=0
	while [ "$r" -lt "$D_RUNS" ]; do
		r=$((r + 1))
		score_run "$DIR/score.yaml" "$D_ROWS"
		wrk_run "$DIR/post.lua" /predict "$DIR/d.wrk1" || d_why="d: wrk failed (its output is above)"
		score_run "$DIR/score64.yaml" "$D64_ROWS"
		wrk_run "$DIR/post64.lua" /predict64 "$DIR/d.wrk64" || d_why="d: wrk failed (its output is above)"
	done
	load1=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
	median() {
		set -- $(stats < "$1")
		echo "$2"
	}
	d_rate=$(median "$DIR/d.rate.$D_ROWS" | awk '{ printf "%.0f\n", $1 }')
	d_step=$(median "$DIR/d.step.$D_ROWS")
	d64_rate=$(median "$DIR/d.rate.$D64_ROWS" | awk '{ printf "%.0f\n", $1 }')
	d64_step=$(median "$DIR/d.step.$D64_ROWS")
	printf '\nd. scoring over HTTP, concurrency %d, nginx fixed answer at %s (%d rounds, interleaved; load average %s, then %s)\n' \
		"$D_CONC" "$URL" "$D_RUNS" "$load0" "$load1"
	printf '   %-24s median %8s rows/s scoring; the step %.3f s (%.0f rows/s with the CSV)\n' \
		"parity, batch 1" "$d_rate" "$d_step" "$(awk -v n="$D_ROWS" -v t="$d_step" 'BEGIN { print n / t }')"
	printf '   %-24s median %8s rows/s scoring; the step %.3f s (%.0f rows/s with the CSV)\n' \
		"parity, batch: 64" "$d64_rate" "$d64_step" "$(awk -v n="$D64_ROWS" -v t="$d64_step" 'BEGIN { print n / t }')"
	if [ -s "$DIR/d.wrk1" ] && [ -s "$DIR/d.wrk64" ]; then
		w_rate=$(median "$DIR/d.wrk1" | awk '{ printf "%.0f\n", $1 }')
		w64_rate=$(median "$DIR/d.wrk64" | awk '{ printf "%.0f\n", $1 * 64 }')
		d_wrk_ratio=$(ratio "$d_rate" "$w_rate")
		d_wrk_status=$(check "$d_wrk_ratio" ">=" 0.8)
		d64_ratio=$(ratio "$d64_rate" "$w64_rate")
		d64_status=$(check "$d64_ratio" ">=" 0.5)
		printf '   %-24s median %8s req/s (%d s each)\n' "wrk -t2 -c$D_CONC, 1 row" "$w_rate" "$D_SECONDS"
		printf '   %-24s median %8s rows/s (req/s x 64)\n' "wrk -t2 -c$D_CONC, 64 rows" "$w64_rate"
	fi

	# the python loop: PY_ROWS rows, its rate taken as it is for 20,000
	if has_py requests; then
		if "$PY" "$HERE/requests_loop.py" "$URL/predict" "$DIR/http.csv" "$PY_ROWS" > "$DIR/d.py" 2> "$DIR/last.err"; then
			set -- $(cat "$DIR/d.py")
			py_rate=$(awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f\n", n / t }')
			d_py_ratio=$(ratio "$d_rate" "$py_rate")
			d_py_status=$(check "$d_py_ratio" ">=" 50)
			printf '   %-24s %d rows in %.3f s  %8s rows/s (20,000 rows: ~%.0f s)\n' "python requests.post" \
				"$1" "$2" "$py_rate" "$(awk -v r="$py_rate" -v n="$D_ROWS" 'BEGIN { print n / r }')"
		else
			sed 's/^/  /' "$DIR/last.err" >&2
			d_why="${d_why:+$d_why; }d: the python requests loop failed (its errors are above)"
		fi
	else
		d_why="${d_why:+$d_why; }d: python3 cannot import requests (Debian package python3-requests)"
	fi
	stop_nginx
fi

# ---------------------------------------------------------------- e
# parity's side is metrics_compute alone (the one pass over both matrices
# that gives every inference metric), timed with clock_gettime by
# bench/metrics_bench.c after npy_read has loaded both files; numpy's side
# times the expression alone after np.load. Best of 3 each. Both keep the
# files' float32, 2 x 400 MB (numpy also makes temporaries); parity
# computes each difference in double precision.
E_ROWS=100000 E_COLS=1000
e_parity="-" e_np="-" e_np_full="-" e_ratio="-" e_full_ratio="-"
e_status="SKIP" e_full_status="-" e_why=""
mem_kib=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo 2>/dev/null)
pkgs="yaml-0.1 libpcre2-8 libcurl libcrypto jansson"
if ! has_py numpy; then
	e_why="e: python3 cannot import numpy to write the .npy files (Debian package python3-numpy)"
elif [ ! -f "$LIBPARITY" ]; then
	e_why="e: no $LIBPARITY to build the driver with (run make first)"
elif [ -n "$mem_kib" ] && [ "$mem_kib" -lt 4194304 ]; then
	e_why="e: less than 4 GiB of memory available (the matrices take 800 MB, numpy's temporaries as much again)"
elif ! ${CC:-cc} -std=c11 -O2 -I"$HERE/../runner" -D_GNU_SOURCE $(pkg-config --cflags $pkgs) \
		-o "$DIR/metrics_bench" "$HERE/metrics_bench.c" "$LIBPARITY" $(pkg-config --libs $pkgs) \
		-pthread -ldl -lm 2> "$DIR/last.err"; then
	sed 's/^/  /' "$DIR/last.err" >&2
	e_why="e: bench/metrics_bench.c did not build (the errors are above)"
else
	"$PY" "$HERE/make_data.py" "$DIR/mat_a.npy" "$DIR/mat_b.npy" "$E_ROWS" "$E_COLS" ||
		die "bench/make_data.py failed"
	"$DIR/metrics_bench" "$DIR/mat_a.npy" "$DIR/mat_b.npy" 3 > "$DIR/e.parity" || die "metrics_bench failed"
	"$PY" "$HERE/numpy_metrics.py" "$DIR/mat_a.npy" "$DIR/mat_b.npy" 3 > "$DIR/e.numpy" ||
		die "bench/numpy_metrics.py failed"
	# read S compute BEST MEDIAN max_abs_diff X mean_abs_diff Y allclose_violations N disagreements D
	set -- $(cat "$DIR/e.parity")
	p_read=$2 e_parity=$4 p_cmed=$5 p_max=$7 p_viol=${11} p_dis=${13}
	# load S maxabs BEST MEDIAN full BEST MEDIAN max_abs_diff X mean_abs_diff Y allclose_violations N disagreements D
	set -- $(cat "$DIR/e.numpy")
	n_load=$2 e_np=$4 n_med=$5 e_np_full=$7 n_fmed=$8 n_max=${10} n_viol=${14} n_dis=${16}
	e_ratio=$(ratio "$e_np" "$e_parity")
	e_full_ratio=$(ratio "$e_np_full" "$e_parity")
	e_status=$(check "$e_ratio" ">=" 1)
	e_full_status=INFO
	printf '\ne. metrics pass, two 100,000 x 1,000 float32 matrices (.npy, 400 MB each; 3 runs each)\n'
	printf '   %-24s best %8.3f s  median %8.3f s  (npy_read of both: %.2f s, float32)\n' \
		"parity metrics_compute" "$e_parity" "$p_cmed" "$p_read"
	printf '   %-24s best %8.3f s  median %8.3f s  (np.load of both: %.2f s, float32)\n' \
		"np.abs(a-b).max()" "$e_np" "$n_med" "$n_load"
	printf '   %-24s best %8.3f s  median %8.3f s  (max, mean, per-column mean, isclose, argmax)\n' \
		"numpy, the full set" "$e_np_full" "$n_fmed"
	printf '   max_abs_diff parity %s numpy %s; allclose violations %s / %s; disagreements %s / %s\n' \
		"$p_max" "$n_max" "$p_viol" "$n_viol" "$p_dis" "$n_dis"
fi

# ---------------------------------------------------------------- f, g
# rss_of FILE CMD...: runs CMD once under /usr/bin/time, appending its peak
# RSS (MiB) to FILE; fails when CMD fails
rss_of() {
	file=$1
	shift
	/usr/bin/time -f %M -o "$DIR/rss.tmp" "$@" > /dev/null 2> "$DIR/last.err" || {
		sed 's/^/  /' "$DIR/last.err" >&2
		return 1
	}
	awk -v k="$(tail -n 1 "$DIR/rss.tmp")" 'BEGIN { printf "%.0f\n", k / 1024 }' >> "$file"
}

# step_pair TAG INPUT FORMAT RUNS: parity's step and numpy's on INPUT,
# interleaved; sets s_p s_n (median s), r_p1 r_p2 r_n (peak RSS MiB, parity
# at --jobs 1 and 2, numpy)
step_pair() {
	sed "s/@FORMAT@/$3/" > "$DIR/step_$1.yaml" <<'YAML'
parity: 1
name: bench-step
defaults: {timeout: 10m}
environments: {a: {}, b: {}}
steps:
  - id: echo
    inference:
      inputs: ${vars.input}
      command: {run: [cat], output: @FORMAT@}
      tolerance: {max_abs_diff: 0}
YAML
	: > "$DIR/f.p"
	: > "$DIR/f.n"
	run=0  # not i: timeit counts with i
	while [ "$run" -lt "$4" ]; do
		timeit 1 "$DIR/f.t" "$PARITY" run "$DIR/step_$1.yaml" --var "input=$2" --quiet || return 1
		cat "$DIR/f.t" >> "$DIR/f.p"
		timeit 1 "$DIR/f.t" "$PY" "$HERE/numpy_step.py" "$2" || return 1
		cat "$DIR/f.t" >> "$DIR/f.n"
		run=$((run + 1))
	done
	set -- "$1" "$2" "$3" "$4" $(stats < "$DIR/f.p") $(stats < "$DIR/f.n")
	s_p=$6 s_n=$8
	: > "$DIR/f.r1"
	: > "$DIR/f.r2"
	: > "$DIR/f.rn"
	rss_of "$DIR/f.r1" "$PARITY" run "$DIR/step_$1.yaml" --var "input=$2" --quiet --jobs 1 || return 1
	rss_of "$DIR/f.r2" "$PARITY" run "$DIR/step_$1.yaml" --var "input=$2" --quiet --jobs 2 || return 1
	rss_of "$DIR/f.rn" "$PY" "$HERE/numpy_step.py" "$2" || return 1
	r_p1=$(cat "$DIR/f.r1") r_p2=$(cat "$DIR/f.r2") r_n=$(cat "$DIR/f.rn")
}

f_ratio="-" f_rss_ratio="-" f_status="SKIP" f_rss_status="SKIP" f_p="-" f_n="-" f_r="-" f_r2="-" f_rn="-"
f4_status="SKIP" f4_time="-" g_csv_ratio="-" g_jsonl_ratio="-" g_csv_status="SKIP"
g_jsonl_status="SKIP" g_cp="-" g_cn="-" g_jp="-" g_jn="-" f_why=""
if ! has_py numpy; then
	f_why="f, g: python3 cannot import numpy (Debian package python3-numpy)"
elif [ ! -x /usr/bin/time ]; then
	f_why="f, g: /usr/bin/time is absent (Debian package time)"
elif [ -n "$mem_kib" ] && [ "$mem_kib" -lt 6291456 ]; then
	f_why="f, g: less than 6 GiB of memory available (4,000,000 rows hold about 2.5 GB)"
else
	"$PY" - "$DIR" <<'PY' || die "writing the step inputs failed"
import json, sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(20261205)
np.save(d + "/step_1m.npy", rng.standard_normal((1000000, 16), dtype=np.float32))
np.save(d + "/step_4m.npy", rng.standard_normal((4000000, 16), dtype=np.float32))
a = rng.standard_normal((100000, 16)).round(6)
np.savetxt(d + "/step_in.csv", a, fmt="%.6f", delimiter=",")
with open(d + "/step_in.jsonl", "w") as f:
    f.writelines(json.dumps(r) + "\n" for r in a.tolist())
PY
	step_pair npy "$DIR/step_1m.npy" npy 3 || die "the .npy step failed"
	f_p=$s_p f_n=$s_n f_r=$r_p1 f_r2=$r_p2 f_rn=$r_n
	f_ratio=$(ratio "$f_n" "$f_p")
	f_status=$(check "$f_ratio" ">=" 0.667)
	# the larger of --jobs 1 and --jobs 2 (the default on two cores)
	f_rss_ratio=$(ratio "$(awk -v a="$f_r" -v b="$f_r2" 'BEGIN { print (a + 0 > b + 0 ? a : b) }')" "$f_rn")
	f_rss_status=$(check "$f_rss_ratio" "<=" 1.5)
	printf '\nf. inference step, command scorer `cat`, 2 environments, 1,000,000 x 16 float32 .npy (3 runs each)\n'
	printf '   %-24s median %8.3f s  peak RSS %s MiB (--jobs 1), %s MiB (--jobs 2)\n' "parity run" "$f_p" "$f_r" "$f_r2"
	printf '   %-24s median %8.3f s  peak RSS %s MiB\n' "numpy (numpy_step.py)" "$f_n" "$f_rn"
	t0=$(now)
	if "$PARITY" run "$DIR/step_npy.yaml" --var "input=$DIR/step_4m.npy" --quiet --jobs 1 > /dev/null 2> "$DIR/last.err"; then
		f4_time=$(elapsed "$t0" "$(now)")
		f4_status=PASS
	else
		sed 's/^/  /' "$DIR/last.err" >&2
		f4_status=FAIL
	fi
	printf '   4,000,000 rows: %s (%s s, --jobs 1)\n' "$f4_status" "$f4_time"

	step_pair csv "$DIR/step_in.csv" csv 3 || die "the .csv step failed"
	g_cp=$s_p g_cn=$s_n
	g_csv_ratio=$(ratio "$g_cn" "$g_cp")
	g_csv_status=$(check "$g_csv_ratio" ">=" 1)
	step_pair jsonl "$DIR/step_in.jsonl" jsonl 3 || die "the .jsonl step failed"
	g_jp=$s_p g_jn=$s_n
	g_jsonl_ratio=$(ratio "$g_jn" "$g_jp")
	g_jsonl_status=$(check "$g_jsonl_ratio" ">=" 1)
	printf '\ng. the same step, 100,000 x 16 (3 runs each)\n'
	printf '   %-24s median %8.3f s;  numpy.loadtxt/savetxt median %8.3f s\n' "parity run, .csv" "$g_cp" "$g_cn"
	printf '   %-24s median %8.3f s;  python json median %8.3f s\n' "parity run, .jsonl" "$g_jp" "$g_jn"
fi

# ---------------------------------------------------------------- table
# secs S: "0.123 s"; per N UNIT: "N UNIT"; both "-" for a row that did not run
secs() {
	case $1 in -) echo - ;; *) printf '%.3f s\n' "$1" ;; esac
}
per() {
	case $1 in -) echo - ;; *) echo "$1 $2" ;; esac
}
printf '\n'
{
	echo "benchmark|parity|reference|ratio|goal|status"
	echo "sha256 1 GiB throughput|$p_tp MiB/s|$o_tp MiB/s (openssl)|$a_ratio|>= 0.95|$a_status"
	echo "sha256 1 GiB peak RSS|$rss MiB|$o_rss MiB (openssl)|-|< 64 MiB|$rss_status"
	echo "4 x 256 MiB, --jobs 2|$(printf %.3f "$j2_med") s|$(printf %.3f "$j1_med") s (--jobs 1)|${speedup}x|~2x (>= 1.8) on $CORES cores|$b_status"
	echo "validate 200 steps (median)|$v_med ms|-|-|< 50 ms|$c_status"
	echo "score 20,000 rows, HTTP, c=8|$(per "$d_rate" rows/s)|$(per "$w_rate" req/s) (wrk -t2 -c8)|$d_wrk_ratio|>= 0.8|$d_wrk_status"
	echo "score 20,000 rows, HTTP, c=8|$(per "$d_rate" rows/s)|$(per "$py_rate" rows/s) (requests.post loop)|$d_py_ratio|>= 50|$d_py_status"
	echo "score 319,488 rows, HTTP, c=8, batch: 64|$(per "$d64_rate" rows/s)|$(per "$w64_rate" rows/s) (wrk -t2 -c8, 64 rows)|$d64_ratio|>= 0.5|$d64_status"
	echo "metrics 2 x 100,000 x 1,000|$(secs "$e_parity")|$(secs "$e_np") (np.abs(a-b).max())|$e_ratio|>= 1 (no slower)|$e_status"
	echo "metrics 2 x 100,000 x 1,000|$(secs "$e_parity")|$(secs "$e_np_full") (numpy, the full set)|$e_full_ratio|-|$e_full_status"
	echo "inference step 1e6 x 16 .npy|$(secs "$f_p")|$(secs "$f_n") (numpy_step.py)|$f_ratio|>= 0.67 (<= 1.5x)|$f_status"
	echo "inference step 1e6 peak RSS|$f_r MiB (--jobs 1), $f_r2 MiB (--jobs 2)|$f_rn MiB (numpy)|$f_rss_ratio (RSS)|<= 1.5|$f_rss_status"
	echo "inference step 4e6 x 16 .npy|$(secs "$f4_time")|-|-|works|$f4_status"
	echo "inference step 1e5 x 16 .csv|$(secs "$g_cp")|$(secs "$g_cn") (numpy.loadtxt)|$g_csv_ratio|>= 1|$g_csv_status"
	echo "inference step 1e5 x 16 .jsonl|$(secs "$g_jp")|$(secs "$g_jn") (python json)|$g_jsonl_ratio|>= 1|$g_jsonl_status"
} | awk -F'|' '
	{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR; nf = NF }
	END {
		for (r = 1; r <= n; r++) {
			line = ""
			for (i = 1; i <= nf; i++)
				line = line (i > 1 ? " | " : "") sprintf("%-" w[i] "s", cell[r, i])
			print line
			if (r == 1) {
				line = ""
				for (i = 1; i <= nf; i++) {
					dash = sprintf("%" w[i] "s", ""); gsub(/ /, "-", dash)
					line = line (i > 1 ? "-|-" : "") dash
				}
				print line
			}
		}
	}'

printf '(ratio: parity over the reference, as throughput or speed: above 1, parity is faster)\n'
for why in "$d_why" "$e_why" "$f_why"; do
	[ -n "$why" ] && printf 'skipped: %s\n' "$why"
done

rm -rf "$DIR"/d.facts
rm -f "$DIR"/a.* "$DIR"/b.? "$DIR"/c.parity "$DIR"/d.* "$DIR"/e.* "$DIR"/f.* "$DIR/rss.tmp" "$DIR/last.err"
[ "$KEEP" = 1 ] && echo "bench: data kept in $DIR (BENCH_KEEP=1)"
exit 0
