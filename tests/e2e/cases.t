#!/usr/bin/env bash
# cases.t: runs every tests/e2e/cases/*.case and speaks TAP (one test point
# a case). A case file is sections headed "=== NAME":
#   === args            the parity command line (shell words), run in a fresh folder
#   === file PATH       a file written into that folder before the run
#   === env             NAME=VALUE lines added to the environment
#   === setup / check   bash run before / after (with $PARITY); check must exit 0
#   === exit            the expected exit status
#   === stdout / stderr the exact expected output (trailing blank lines ignored)
#   === stdout-has / stderr-has   lines that must each appear in the output
#   === stdout-lacks / stderr-lacks   lines that must not appear
# Every report the run writes (*.tap, *.tap13, *.xml, *.json) must also pass
# its validator (taplint, prove, xmllint with the JUnit XSDs, JSON Schema).
# A run or compare case expected to reach a verdict (exit 0 or 1) also
# writes an HTML report (after '--report console' when it asks for none, so
# its output stays the same); the last test point validates them all in one
# htmllint call (html-validate from npm; SKIP when npm is unreachable).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
no_shared_note || exit 1
export PARITY PARITY_TODAY=2026-11-22 NO_COLOR=1 PARITY_TOP="$top"

# CASES=GLOB runs only the matching cases (CASES='serving-*')
cases=("$here"/cases/${CASES:-*}.case)
echo "1..$((${#cases[@]} + 1))"
htmldir=$(mktemp -d)
n=0
for case in "${cases[@]}"; do
	n=$((n + 1))
	name=$(basename "$case" .case)
	desc=$(sed -n '1s/^# *//p' "$case")
	tmp=$(mktemp -d)
	mkdir -p "$tmp/.case"
	awk -v dir="$tmp" '
		/^=== / {
			sec = $2; path = $3
			out = (sec == "file") ? dir "/" path : dir "/.case/" sec
			if (sec == "file" && path ~ /\//) { d = out; sub(/\/[^\/]*$/, "", d); system("mkdir -p \"" d "\"") }
			printf "" > out; next
		}
		sec != "" { print > out }
	' "$case"
	problems=()
	touch "$tmp/.case/.start"
	envs=()
	[ -f "$tmp/.case/env" ] && while IFS= read -r l; do [ -n "$l" ] && envs+=("$l"); done < "$tmp/.case/env"
	if [ -f "$tmp/.case/setup" ]; then
		(cd "$tmp" && env "${envs[@]}" bash -e .case/setup) > "$tmp/.case/setup.out" 2>&1 ||
			problems+=("setup failed: $(cat "$tmp/.case/setup.out")")
	fi
	args=$(cat "$tmp/.case/args" 2>/dev/null)
	want=$(tr -d ' \n' < "$tmp/.case/exit" 2>/dev/null)
	html=""
	case "$want:$args" in
	[01]:run\ *|[01]:compare\ *) html="$tmp/.case/report.html" ;;
	esac
	(cd "$tmp" && eval "set -- $args" && extra=() &&
		if [ -n "$html" ]; then
			case " $* " in *" --report"*) ;; *) extra+=(--report console) ;; esac
			extra+=(--report "html:$html")
		fi &&
		env "${envs[@]}" "$PARITY" "$@" "${extra[@]}" \
		> .case/actual.stdout 2> .case/actual.stderr < /dev/null)
	rc=$?
	if [ -n "$html" ]; then
		# the line the extra report adds when the console summary is on stderr
		grep -v -F -x "html report: $html" "$tmp/.case/actual.stderr" > "$tmp/.case/stderr.kept"
		mv "$tmp/.case/stderr.kept" "$tmp/.case/actual.stderr"
		if [ -f "$html" ]; then cp "$html" "$htmldir/$name.html"
		else problems+=("no HTML report written"); fi
	fi
	if [ -n "$want" ] && [ "$rc" != "$want" ]; then
		problems+=("exit status $rc, expected $want")
	fi
	for s in stdout stderr; do
		act="$tmp/.case/actual.$s"
		if [ -f "$tmp/.case/$s" ]; then
			if ! diff -u <(sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$tmp/.case/$s") \
					<(sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$act") > "$tmp/.case/diff" 2>&1; then
				problems+=("$s differs (- expected, + actual):"$'\n'"$(tail -n +3 "$tmp/.case/diff")")
			fi
		fi
		if [ -f "$tmp/.case/$s-has" ]; then
			while IFS= read -r l; do
				[ -z "$l" ] && continue
				grep -q -F -- "$l" "$act" || problems+=("$s lacks: $l")
			done < "$tmp/.case/$s-has"
		fi
		if [ -f "$tmp/.case/$s-lacks" ]; then
			while IFS= read -r l; do
				[ -z "$l" ] && continue
				grep -q -F -- "$l" "$act" && problems+=("$s has what it must not: $l")
			done < "$tmp/.case/$s-lacks"
		fi
	done
	if [ -f "$tmp/.case/check" ]; then
		(cd "$tmp" && env "${envs[@]}" bash -e .case/check) > "$tmp/.case/check.out" 2>&1 ||
			problems+=("check failed: $(cat "$tmp/.case/check.out")")
	fi
	# every report the run wrote must be valid
	while IFS= read -r f; do
		out=$(validate "$f" 2>&1) || problems+=("invalid report ${f#$tmp/}: $out")
	done < <(find "$tmp" -path "$tmp/.case" -prune -o -newer "$tmp/.case/.start" -type f \
		\( -name '*.tap' -o -name '*.tap13' -o -name '*.xml' -o -name '*.json' \) -print)
	if [ ${#problems[@]} -eq 0 ]; then
		echo "ok $n - $name: $desc"
	else
		echo "not ok $n - $name: $desc"
		for p in "${problems[@]}"; do printf '%s\n' "$p" | sed 's/^/# /'; done
		echo "# stderr was:"; sed 's/^/#   /' "$tmp/.case/actual.stderr" | head -40
	fi
	rm -rf "$tmp"
done
n=$((n + 1))
htmls=("$htmldir"/*.html)
if [ ! -f "${htmls[0]}" ]; then
	echo "ok $n - html reports # SKIP no case wrote one"
else
	out=$("$here/htmllint" "${htmls[@]}" 2>&1)
	case $? in
	0) echo "ok $n - html reports: ${#htmls[@]} valid, nothing outside the file" ;;
	2) echo "ok $n - html reports # SKIP html-validate not installed (npm unreachable)" ;;
	*) echo "not ok $n - html reports"; printf '%s\n' "$out" | sed "s|$htmldir/||; s/^/# /" | head -80 ;;
	esac
fi
rm -rf "$htmldir"
