#!/usr/bin/env bash
# kinds.t: every step kind the binary knows (`parity kinds --json`, made from
# the descriptors in runner/steps/) is documented and known to the schemas
# (TAP): its page docs/steps/KIND.md, its row in the README's and the
# reference's kind tables (with its default stage), the facts schema's kind
# enum, and `parity schema` equal to schemas/contract.schema.json (run
# `make schema` after changing a kind's keys). A row for a kind that does
# not exist fails too.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
cd "$root" || exit 1
PARITY=${PARITY:-$root/build/parity}
PY=/usr/bin/python3

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$PARITY" kinds --json > "$tmp/kinds.json" || { echo "1..1"; echo "not ok 1 - parity kinds --json"; exit 0; }

"$PY" - "$tmp/kinds.json" <<'PYEOF'
import json, os, re, subprocess, sys
kinds = json.load(open(sys.argv[1]))
names = [k["name"] for k in kinds]
points = []
def point(ok, what, detail=""):
    points.append((ok, what, detail))

readme = open("README.md").read()
ref = open("docs/contract-reference.md").read()
for k in kinds:
    n, stage = k["name"], k["stage"]
    point(os.path.isfile("docs/steps/%s.md" % n), "%s: docs/steps/%s.md exists" % (n, n))
    point("[`%s`](docs/steps/%s.md) | %s |" % (n, n, stage) in readme,
          "%s: README's kind table has its row with stage %s" % (n, stage))
    point("| `%s` | %s |" % (n, stage) in ref,
          "%s: docs/contract-reference.md's kind table has its row with stage %s" % (n, stage))
    for key in k["keys"]:
        point(bool(key["doc"]), "%s: key '%s' has a line of doc" % (n, key["name"]))
readme_rows = set(re.findall(r"^\| \[`([a-z]+)`\]\(docs/steps/", readme, re.M))
ref_rows = set(re.findall(r"^\| `([a-z]+)` \| [a-z]+ \| .*\(steps/[a-z]+\.md\) \|$", ref, re.M))
pages = set(f[:-3] for f in os.listdir("docs/steps") if f.endswith(".md"))
point(readme_rows <= set(names), "README lists no kind that does not exist",
      "unknown: %s" % sorted(readme_rows - set(names)))
point(ref_rows <= set(names), "the reference lists no kind that does not exist",
      "unknown: %s" % sorted(ref_rows - set(names)))
point(pages <= set(names), "docs/steps/ has no page of a kind that does not exist",
      "unknown: %s" % sorted(pages - set(names)))
facts = json.load(open("schemas/facts.schema.json"))
def find_enum(node):
    if isinstance(node, dict):
        if "kind" in node.get("properties", {}) and "enum" in node["properties"]["kind"]:
            return node["properties"]["kind"]["enum"]
        for v in node.values():
            r = find_enum(v)
            if r is not None:
                return r
    elif isinstance(node, list):
        for v in node:
            r = find_enum(v)
            if r is not None:
                return r
    return None
enum = find_enum(facts) or []
point(sorted(enum) == sorted(names), "the facts schema's kind enum lists exactly the kinds",
      "schema: %s, kinds: %s" % (sorted(enum), sorted(names)))
print("1..%d" % len(points))
for i, (ok, what, detail) in enumerate(points, 1):
    print("%sok %d - %s" % ("" if ok else "not ", i, what))
    if not ok and detail:
        print("# " + detail)
PYEOF
