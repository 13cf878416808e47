#!/usr/bin/env bash
# ci.t: every template under ci/ validates against the published schema of
# its format (TAP), with validators from npm installed into a cache folder
# the way ../shared/tools/taplint installs tap-parser: the GitHub workflow
# against SchemaStore's github-workflow schema (@action-validator/core), the
# GitLab CI file against GitLab's CI schema (bundled by gitlab-ci-local,
# under ajv), the Kubernetes manifests against the Kubernetes OpenAPI
# definitions (kubernetes-models). A broken copy of each must be refused,
# so a validator that accepts anything cannot pass. Without npm (no
# registry), every point is a SKIP saying so.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cache=${PARITY_CI_SCHEMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parity-ci-schemas}
templates=("$top/ci/github/parity.yml" "$top/ci/gitlab/.gitlab-ci.yml" "$top"/ci/kubernetes/*.yaml)
echo "1..$((${#templates[@]} + 3))"
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

why=""
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	why="node or npm not installed"
elif [ ! -d "$cache/node_modules/kubernetes-models" ] || [ ! -d "$cache/node_modules/gitlab-ci-local" ]; then
	mkdir -p "$cache"
	(cd "$cache" && timeout 600 npm install --silent --no-audit --no-fund ajv@8 @action-validator/core@0.6.0 \
		gitlab-ci-local@4.75.1 kubernetes-models@4.5.1 >/dev/null 2>&1) ||
		why="npm could not install the validators (no registry?)"
fi
cp "$here/civalidate.mjs" "$cache/civalidate.mjs" 2>/dev/null

# kind_of FILE: the validator for a template
kind_of() {
	case $1 in */github/*) echo github ;; */gitlab/*) echo gitlab ;; *) echo kubernetes ;; esac
}
# validate KIND FILE: the YAML as JSON (an array of documents for kubernetes)
validate() {
	python3 - "$1" "$2" "$tmp/doc.json" <<'PY' || return 1
import json, sys, yaml
kind, src, dst = sys.argv[1:]
docs = [d for d in yaml.safe_load_all(open(src)) if d is not None]
json.dump(docs if kind == "kubernetes" else docs[0], open(dst, "w"))
PY
	node "$cache/civalidate.mjs" "$1" "$2" "$tmp/doc.json"
}

for t in "${templates[@]}"; do
	what="${t#"$top"/}: valid against the $(kind_of "$t") schema"
	if [ -n "$why" ]; then point SKIP "$what" "$why"; continue; fi
	if out=$(validate "$(kind_of "$t")" "$t" 2>&1); then point OK "$what"
	else point FAIL "$what" "$out"; fi
done

# broken copies: each validator must refuse them
mkdir -p "$tmp/github" "$tmp/gitlab" "$tmp/kubernetes"
sed 's/^    runs-on: ubuntu-latest$/    runs_on: ubuntu-latest/' "$top/ci/github/parity.yml" >"$tmp/github/broken.yml"
sed 's/^  script:$/  scripts:/' "$top/ci/gitlab/.gitlab-ci.yml" >"$tmp/gitlab/broken.yml"
sed 's/^  schedule: "0 2 \* \* \*"$/  schedule: 2/' "$top/ci/kubernetes/cronjob.yaml" >"$tmp/kubernetes/broken.yaml"
declare -A original=([github/broken.yml]=ci/github/parity.yml [gitlab/broken.yml]=ci/gitlab/.gitlab-ci.yml
	[kubernetes/broken.yaml]=ci/kubernetes/cronjob.yaml)
for b in github/broken.yml gitlab/broken.yml kubernetes/broken.yaml; do
	k=${b%%/*}
	what="a broken $k template (a key misspelt or of the wrong type) is refused"
	if [ -n "$why" ]; then point SKIP "$what" "$why"; continue; fi
	if cmp -s "$tmp/$b" "$top/${original[$b]}"; then
		point FAIL "$what" "the test's sed no longer changes ${original[$b]}"
	elif out=$(validate "$k" "$tmp/$b" 2>&1); then point FAIL "$what" "accepted: $out"
	else point OK "$what"; fi
done
