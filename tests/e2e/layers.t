#!/usr/bin/env bash
# layers.t: the folders of runner/ form layers, and includes only go down
# (TAP). The rule, top down (docs/hacking.md explains it):
#
#   cli        runner/main.c: commands, options, exit statuses
#   engine     plan, worker pool, facts files, lock files, host facts
#   report     console, tap, junit, json, markdown: read only the model
#   steps      one file per kind, the registry, the bind pass, the kit
#   model      facts, results, matchers, versions
#   transport  processes, exec prefix, HTTP, CUDA and GPU facts
#   data       matrices, readers, metrics, statistics
#   load       YAML node tree, the contract (knows no kinds), interpolation
#   util       buffers, diagnostics, hashing, regex, secrets, text, memory
#
# A folder includes itself and the folders its row names, nothing else.
# Each folder's main header says its row ("Layer: X. May include: ...");
# this file checks that too, so the rule is written where a reader looks.
# Then: no function in runner/ longer than 100 lines (scripts/funcsize.sh).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
cd "$root" || exit 1

declare -A may=(
	[engine]="steps report model transport data load util"
	[report]="model util"
	[steps]="model transport data load util"
	[model]="load util"
	[transport]="util"
	[data]="util"
	[load]="util"
	[util]=""
)
declare -A main_header=(
	[engine]=engine/engine.h [report]=report/report.h [steps]=steps/step.h
	[model]=model/result.h [transport]=transport/process.h [data]=data/matrix.h
	[load]=load/contract.h [util]=util/xalloc.h
)
folders=(engine report steps model transport data load util)

echo "1..$((${#folders[@]} * 2 + 3))"
n=0
point() { # point OK|FAIL description [details]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
	[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	return 0
}

# every folder of runner/ has a row: a new folder needs a place in the rule
extra=""
for d in runner/*/; do
	d=${d%/}; d=${d#runner/}
	[ -n "${may[$d]+x}" ] || extra="$extra $d"
done
if [ -z "$extra" ]; then point OK "every folder of runner/ has a layer"
else point FAIL "folders without a layer:$extra (add them to tests/e2e/layers.t and docs/hacking.md)"; fi

for f in "${folders[@]}"; do
	bad=""
	for src in runner/"$f"/*.[ch]; do
		[ -f "$src" ] || continue
		while IFS=: read -r line inc; do
			to=${inc%%/*}
			[ "$to" = "$f" ] && continue
			case " ${may[$f]} " in *" $to "*) continue ;; esac
			bad="$bad$src:$line: includes \"$inc\" ($f may include: ${may[$f]:-nothing})"$'\n'
		done < <(grep -n -o '^#include "[^"]*"' "$src" | sed 's/#include "//; s/"$//')
	done
	if [ -z "$bad" ]; then point OK "$f includes only: ${may[$f]:-itself}"
	else point FAIL "$f includes against the layers" "${bad%$'\n'}"; fi

	h=runner/${main_header[$f]}
	want="Layer: $f. May include: "
	if [ -z "${may[$f]}" ]; then want="${want}nothing."
	else want="$want$(echo "${may[$f]}" | sed 's/ /, /g')."; fi
	if grep -q -F "$want" "$h" 2>/dev/null; then point OK "$h states its layer"
	else point FAIL "$h states its layer" "expected the line: $want"; fi
done

# the layers have no cycle (follows from the rows, checked for the record)
cyc=$(for f in "${folders[@]}"; do for t in ${may[$f]}; do echo "$f $t"; done; done | tsort 2>&1 >/dev/null)
if [ -z "$cyc" ]; then point OK "the layer rows form no cycle"
else point FAIL "the layer rows form a cycle" "$cyc"; fi

long=$(sh scripts/funcsize.sh 100)
if [ -z "$long" ]; then point OK "no function in runner/ is over 100 lines"
else point FAIL "functions over 100 lines (split them)" "$long"; fi
