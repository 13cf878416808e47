#!/usr/bin/env bash
# man.t: man/parity.1 is kept in step with `parity --help` (TAP): its
# COMMANDS section lists exactly the commands --help lists, every option
# of the usage lines is described under OPTIONS, the page formats without
# warnings, and `make install` installs it (uninstall removes it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
page="$top/man/parity.1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..5"
n=0
point() { # point OK|FAIL|SKIP description [details]
	n=$((n + 1))
	case $1 in
	OK) echo "ok $n - $2" ;;
	SKIP) echo "ok $n - $2 # SKIP ${3:-}"; return 0 ;;
	*) echo "not ok $n - $2" ;;
	esac
	[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	return 0
}

"$PARITY" --help >"$tmp/help"
# the names under "commands:" in --help, and the .TP heads of COMMANDS in the page
sed -n '/^commands:/,/^$/p' "$tmp/help" | awk 'NR > 1 && NF { print $1 }' | sort >"$tmp/help.cmds"
awk '/^\.SH /{ sec = $2 } sec == "COMMANDS" && prev == ".TP" && /^\.B / { print $2 } { prev = $0 }' "$page" |
	sort >"$tmp/man.cmds"
if [ -s "$tmp/help.cmds" ] && diff -u "$tmp/help.cmds" "$tmp/man.cmds" >"$tmp/diff"; then
	point OK "COMMANDS lists exactly the commands of --help ($(wc -l <"$tmp/help.cmds"))"
else point FAIL "COMMANDS lists exactly the commands of --help" "$(cat "$tmp/diff")"; fi

# every --option and -o of the usage lines, and every command's own --help
sed -n '/^usage:/,/^$/p' "$tmp/help" | grep -o -E '(^|[[ |])-(-[a-z][a-z-]*|o)\b' | sed 's/^[[ |]//' |
	sort -u >"$tmp/help.opts"
missing=""
while read -r opt; do
	case $opt in --help|--version) continue ;; esac
	esc=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
	awk '/^\.SH /{ sec = $2 } sec == "OPTIONS"' "$page" | grep -q -e "^\.BI\? $esc\b" || missing="$missing $opt"
done <"$tmp/help.opts"
if [ -s "$tmp/help.opts" ] && [ -z "$missing" ]; then
	point OK "OPTIONS describes every option of the usage lines ($(wc -l <"$tmp/help.opts"))"
else point FAIL "OPTIONS describes every option of the usage lines" "missing:$missing"; fi

version=$("$PARITY" --version | awk '{ print $2 }')
if grep -q "^\.TH PARITY 1 \"[0-9-]*\" \"parity $version\"" "$page"; then point OK "the page names this version ($version)"
else point FAIL "the page names this version ($version)" "$(grep '^\.TH' "$page")"; fi

if ! command -v groff >/dev/null; then
	point SKIP "the page formats without warnings" "groff not installed"
elif out=$(groff -man -Tutf8 -ww -z "$page" 2>&1) && [ -z "$out" ]; then
	point OK "the page formats without warnings"
else point FAIL "the page formats without warnings" "$out"; fi

dest="$tmp/root"
if make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr >"$tmp/make" 2>&1 &&
   cmp -s "$page" "$dest/usr/share/man/man1/parity.1" &&
   make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=/usr >>"$tmp/make" 2>&1 &&
   [ ! -e "$dest/usr/share/man/man1/parity.1" ] && [ ! -e "$dest/usr/bin/parity" ]; then
	point OK "make install puts the page in share/man/man1, make uninstall removes it"
else point FAIL "make install puts the page in share/man/man1, make uninstall removes it" "$(cat "$tmp/make")"; fi
