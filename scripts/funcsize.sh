#!/bin/sh
# funcsize.sh [MAX] [FILE...]: prints "file:line: name: N lines" for every C
# function longer than MAX lines (default 100) in runner/ (or the FILEs),
# and exits 1 when there is one. A function is a line starting in column 0
# whose head starts in column 0 (possibly over several lines, the last ending
# with ')') followed by a line '{', up to the next line '}'.
max=${1:-100}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- runner/*.c runner/*/*.c
awk -v max="$max" '
	FNR == 1 { prev = ""; head = ""; inside = 0 }
	!inside && /^[A-Za-z].*\(/ && !/;$/ { head = $0 }
	!inside && $0 == "{" && prev ~ /\)$/ && head != "" {
		inside = 1; start = FNR; name = head; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name); next
	}
	inside && $0 == "}" {
		n = FNR - start - 1
		if (n > max) { printf "%s:%d: %s: %d lines\n", FILENAME, start, name, n; bad = 1 }
		inside = 0
	}
	{ prev = $0 }
	END { exit bad }
' "$@"
