#!/usr/bin/python3
"""schemacheck.py: check parity's JSON Schemas and the YAML contract corpus.

    schemacheck.py [ROOT]          TAP test points without numbers (schema.t numbers them)
    schemacheck.py --explain FILE  print every schema error of one YAML file

Checks: every schemas/*.json is a valid schema for its draft; the facts schema
accepts and rejects a few built-in samples; tests/valid/*.yaml, examples with
a top-level `parity:` key and contracts/*.yaml match the schema (a file in
contracts/ or in a fragments/ folder is a fragment); every tests/invalid/*.yaml
is rejected, with its errors all at one place (one mistake), and the
`# schema: NEEDLE` line of its header names text found in those errors.
Except a case the schema accepts, marked `# schema: accepts: loader only, WHY`
(JSON Schema cannot express the rule: a reference to a step or an
environment, a duplicate id, a file to read) or `# schema: accepts: schema
gap, WHY` (it could, and schemas/ does not yet): the schema must accept it,
and once it rejects it the header names the error instead. What the loader
says about every case is tests/e2e/invalid.t's business.

YAML is read the way the C loader reads it (YAML 1.2 core scalars): only
true/false are booleans, 1e-4 is a float, dates stay strings, no merge keys,
and a duplicated key is an error. Needs Debian's python3-jsonschema and
python3-yaml.
"""
import copy
import json
import os
import pathlib
import re
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:  # reported as a failed test point by the caller
    print("not ok - python3 modules for schemacheck.py")
    print("# %s: install python3-jsonschema python3-yaml (make deps)" % e)
    sys.exit(0)


# ---------------------------------------------------------------- YAML 1.2 core
class Loader(yaml.SafeLoader):
    pass


Loader.yaml_implicit_resolvers = {}
_RESOLVERS = [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", list("~nN") + [""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+.0123456789")),
]
for _tag, _re, _first in _RESOLVERS:
    Loader.add_implicit_resolver(_tag, re.compile(_re), _first)


def _int(loader, node):
    v = loader.construct_scalar(node)
    if v.startswith("0o"):
        return int(v[2:], 8)
    if v.startswith("0x"):
        return int(v[2:], 16)
    return int(v, 10)


def _float(loader, node):
    v = loader.construct_scalar(node).lower()
    if v.endswith(".inf"):
        return float("-inf") if v.startswith("-") else float("inf")
    if v == ".nan":
        return float("nan")
    return float(v)


def _mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "found duplicate key %r" % (key,), key_node.start_mark)
        seen[key] = True
    return loader.construct_mapping(node, deep=deep)


Loader.add_constructor("tag:yaml.org,2002:int", _int)
Loader.add_constructor("tag:yaml.org,2002:float", _float)
Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def stringify_dates(x):
    """Safety net: the loader treats dates as strings."""
    import datetime
    if isinstance(x, dict):
        return {stringify_dates(k): stringify_dates(v) for k, v in x.items()}
    if isinstance(x, list):
        return [stringify_dates(v) for v in x]
    if isinstance(x, (datetime.date, datetime.datetime)):
        return x.isoformat()
    return x


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return stringify_dates(yaml.load(f, Loader=Loader))


# ---------------------------------------------------------------- schemas
class Schemas:
    def __init__(self, root):
        self.dir = pathlib.Path(root, "schemas").resolve()
        self.docs = {}
        self.store = {}
        for p in sorted(self.dir.glob("*.json")):
            try:
                with open(p, encoding="utf-8") as f:
                    doc = json.load(f)
            except (OSError, ValueError) as e:
                doc = e
            self.docs[p.name] = doc
            if isinstance(doc, dict):
                self.store[p.as_uri()] = doc

    def validator(self, name):
        doc = self.docs.get(name)
        if not isinstance(doc, dict):
            raise RuntimeError("schemas/%s is missing or not JSON: %s" % (name, doc))
        uri = (self.dir / name).as_uri()
        resolver = jsonschema.RefResolver(base_uri=uri, referrer=doc, store=dict(self.store))
        return jsonschema.Draft7Validator(doc, resolver=resolver,
                                          format_checker=jsonschema.draft7_format_checker)


def where(err):
    return "/" + "/".join(str(p) for p in err.absolute_path)


def message(err):
    """The error message, with a long repr of the instance cut short."""
    msg, r = err.message, repr(err.instance)
    if len(r) > 60 and msg.startswith(r):
        msg = "(%s)%s" % (type(err.instance).__name__, msg[len(r):])
    return msg


def relevant(err):
    """The sub-errors of a oneOf/anyOf worth showing. When some branches fail
    only below the value itself (a step whose kind key matched but whose
    fields are wrong), those branches; else the branches with the fewest
    errors (the step kind that matched best); else all of them."""
    branches = {}
    for sub in err.context or []:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    depth = len(err.absolute_path)
    keep = [b for b in branches.values() if all(len(e.absolute_path) > depth for e in b)]
    if not keep or len(keep) == len(branches):
        fewest = min((len(b) for b in branches.values()), default=0)
        keep = [b for b in branches.values() if len(b) == fewest]
    return [e for b in keep for e in b]


def flatten(err, depth=0):
    """Lines for an error and, for oneOf/anyOf, the errors of its relevant branches."""
    out = ["%s%s: %s" % ("  " * depth, where(err), message(err))]
    for sub in sorted(relevant(err), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        out.extend(flatten(sub, depth + 1))
    return out


def short(err):
    best = jsonschema.exceptions.best_match([err])
    return "%s: %s" % (where(best), message(best))


def is_fragment(rel):
    parts = pathlib.PurePosixPath(rel).parts
    return parts[0] == "contracts" or "fragments" in parts[:-1]


def header(path):
    """The '# key: value' lines at the top of a file."""
    h = {}
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            m = re.match(r"^#\s*([a-z-]+):\s*(.*?)\s*$", line)
            if not m:
                break
            h.setdefault(m.group(1), m.group(2))
            if i == 0:
                h["_first"] = m.group(1)
    return h


# ---------------------------------------------------------------- TAP
class Tap:
    def __init__(self):
        self.failed = 0

    def point(self, ok, desc, diag=()):
        desc = desc.replace("#", "\\#")
        print("%s - %s" % ("ok" if ok else "not ok", desc))
        if not ok:
            self.failed += 1
        for d in diag:
            for line in str(d).splitlines():
                print("# " + line)


FACTS_OK = {
    "parity": 1, "type": "facts",
    "contract": {"name": "fraud-scorer", "path": "gate.yaml", "sha256": "0" * 64},
    "runner": {"version": "0.1.0"},
    "environment": "production",
    "captured_at": "2026-11-22T10:00:00Z",
    "host": {"hostname": "ci-7", "gpu": None},
    "steps": {
        "model": {"kind": "artifact", "status": "ok", "value": "ab" * 32, "seconds": 0.01, "attempts": 1},
        "release": {"kind": "command", "status": "error", "error": "exit 127: cat: not found",
                    "seconds": 0.2, "attempts": 3},
    },
}


def facts_cases():
    def mut(f):
        d = copy.deepcopy(FACTS_OK)
        f(d)
        return d
    return [
        ("a captured facts file", FACTS_OK, True),
        ("no value on an ok step", mut(lambda d: d["steps"]["model"].pop("value")), False),
        ("no error on an error step", mut(lambda d: d["steps"]["release"].pop("error")), False),
        ("status skipped", mut(lambda d: d["steps"]["model"].update(status="skipped")), False),
        ("attempts 0", mut(lambda d: d["steps"]["model"].update(attempts=0)), False),
        ("captured_at with an offset", mut(lambda d: d.update(captured_at="2026-11-22T10:00:00+01:00")), False),
        ("short contract sha256", mut(lambda d: d["contract"].update(sha256="0" * 63)), False),
        ("type lock", mut(lambda d: d.update(type="lock")), False),
        ("no host", mut(lambda d: d.pop("host")), False),
        ("unknown key", mut(lambda d: d.update(extra=1)), False),
    ]


def discover(root):
    """(relative path, schema name) of every file expected to match."""
    out = []
    for p in sorted(root.glob("tests/valid/*.y*ml")):
        out.append(p)
    for p in sorted(root.glob("tests/valid/fragments/*.y*ml")):
        out.append(p)
    for p in sorted(root.glob("contracts/*.y*ml")):
        out.append(p)
    for p in sorted(root.glob("examples/**/*.y*ml")):
        if p.suffix not in (".yaml", ".yml") or ".lock." in p.name:
            continue
        rel = p.relative_to(root).as_posix()
        if not is_fragment(rel):
            try:
                doc = load_yaml(p)
            except Exception:
                doc = None  # not a contract we can tell; a contract would fail elsewhere
            if not isinstance(doc, dict) or "parity" not in doc or "type" in doc:
                continue
        out.append(p)
    res = []
    for p in out:
        rel = p.relative_to(root).as_posix()
        res.append((rel, "fragment.schema.json" if is_fragment(rel) else "contract.schema.json"))
    return res


def main(root):
    root = pathlib.Path(root)
    tap = Tap()
    schemas = Schemas(root)

    # (a) each schema is itself a valid schema for its draft (draft-07 for ours)
    for name in ("contract.schema.json", "fragment.schema.json", "facts.schema.json"):
        if name not in schemas.docs:
            tap.point(False, "schemas/%s exists" % name)
    for name, doc in schemas.docs.items():
        if not isinstance(doc, dict):
            tap.point(False, "schemas/%s is a valid JSON Schema" % name, ["not JSON: %s" % doc])
            continue
        cls = jsonschema.validators.validator_for(doc, default=jsonschema.Draft7Validator)
        ours = name in ("contract.schema.json", "fragment.schema.json", "facts.schema.json")
        diag = []
        try:
            cls.check_schema(doc)
            ok = not ours or cls is jsonschema.Draft7Validator
            if not ok:
                diag.append("$schema is %r, not draft-07" % doc.get("$schema"))
        except jsonschema.SchemaError as e:
            ok = False
            diag.append("%s: %s" % ("/" + "/".join(map(str, e.absolute_path)), e.message))
        tap.point(ok, "schemas/%s is a valid %s schema" % (name, cls.__name__.replace("Validator", "")), diag)

    try:
        facts = schemas.validator("facts.schema.json")
    except RuntimeError as e:
        facts = None
        tap.point(False, "facts schema loads", [e])
    if facts:
        for desc, doc, want in facts_cases():
            errs = list(facts.iter_errors(doc))
            got = not errs
            tap.point(got == want, "facts schema %s %s" % ("accepts" if want else "rejects", desc),
                      [short(e) for e in errs] if want else ["accepted"] if got else [])

    validators = {}

    def validate(rel, schema_name):
        if schema_name not in validators:
            validators[schema_name] = schemas.validator(schema_name)
        doc = load_yaml(root / rel)
        return list(validators[schema_name].iter_errors(doc))

    # (b) contracts and fragments that must match
    for rel, schema_name in discover(root):
        try:
            errs = validate(rel, schema_name)
            diag = []
            for e in errs:
                diag.extend(flatten(e))
        except Exception as e:
            errs, diag = [e], ["%s: %s" % (type(e).__name__, e)]
        tap.point(not errs, "%s matches %s" % (rel, schema_name), diag)

    # (c) the invalid corpus: rejected, once, for the stated reason
    for p in sorted(root.glob("tests/invalid/*.y*ml")):
        rel = p.relative_to(root).as_posix()
        h = header(p)
        what = h.get("expect", "")
        diag = []
        ok = True
        if h.get("_first") != "expect" or not what:
            ok = False
            diag.append("first line must be '# expect: <what is wrong>'")
        needle = h.get("schema")
        if not needle:
            ok = False
            diag.append("no '# schema: <text of the expected error>' header line")
        accepts = bool(needle) and needle.startswith("accepts:")
        try:
            errs = validate(rel, "contract.schema.json")
        except yaml.YAMLError as e:
            errs = None
            ok = False
            diag.append("not YAML (the corpus must be schema-level mistakes): %s" % e)
        if errs is not None and accepts:
            if errs:
                ok = False
                diag.append("marked 'schema: accepts:', but the schema rejects it: name its error instead")
                for e in errs:
                    diag.extend(flatten(e))
            else:
                diag.append("accepted: " + needle[len("accepts:"):].strip())
        elif errs is not None:
            if not errs:
                ok = False
                diag.append("the schema accepts it")
            else:
                lines = []
                for e in errs:
                    lines.extend(flatten(e))
                if len({where(e) for e in errs}) != 1:
                    ok = False
                    diag.append("errors at %d places, want exactly one mistake:" % len({where(e) for e in errs}))
                    diag.extend(lines)
                elif needle and needle not in "\n".join(lines):
                    ok = False
                    diag.append("rejected, but not for %r:" % needle)
                    diag.extend(lines)
                else:
                    diag.extend(lines[:12])
        tap.point(ok, "schema %s %s: %s" % ("accepts" if accepts else "rejects", rel, what), diag)
    return 0


def explain(path):
    root = pathlib.Path(__file__).resolve().parents[2]
    p = pathlib.Path(path).resolve()
    try:
        rel = p.relative_to(root).as_posix()
    except ValueError:
        rel = p.name
    name = "fragment.schema.json" if is_fragment(rel) else "contract.schema.json"
    v = Schemas(root).validator(name)
    errs = list(v.iter_errors(load_yaml(p)))
    print("%s against %s: %d top-level error(s)" % (path, name, len(errs)))
    for e in errs:
        print("best: " + short(e))
        print("\n".join(flatten(e)))
    return 1 if errs else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--explain"]:
        sys.exit(max(explain(a) for a in args[1:]))
    sys.exit(main(args[0] if args else "."))
