#!/usr/bin/env python3
"""oracle.py gen DIR | check DIR REPORT: the inference step's labels,
accuracy, segment and OOD metrics against numpy and scipy.

gen writes seeded logits for three environments (base, near: small noise,
far: large noise) as CSV files that each environment `cat`s, inputs.csv
with a label and a segment column beside one feature, and contract.yaml.
check recomputes every metric of the JSON report: accuracy and recall per
class with numpy, McNemar's p with scipy.stats.binomtest on the discordant
pairs, energy with scipy.special.logsumexp, segments with numpy; relative
1e-12 for rates, 1e-9 for p-values, exact for counts. Prints TAP.
"""
import json
import math
import os
import random
import sys

ENVS = {"base": 0.0, "near": 0.3, "far": 1.5}
ROWS, CLASSES = 2000, 4
SEGS = ["DE", "FR", "IT", "US", "ES"]
ENERGY = -1.5


def gen(d):
    rng = random.Random(7)
    base = [[rng.gauss(0, 2) for _ in range(CLASSES)] for _ in range(ROWS)]
    labels = [max(range(CLASSES), key=lambda k: r[k]) for r in base]
    for i in range(ROWS):
        if rng.random() < 0.15:
            labels[i] = rng.randrange(CLASSES)
    with open(os.path.join(d, "inputs.csv"), "w") as f:
        f.write("x,label,seg\n")
        for i in range(ROWS):
            f.write("%d,%d,%s\n" % (i, labels[i], SEGS[rng.randrange(len(SEGS))]))
    for env, sd in ENVS.items():
        os.makedirs(os.path.join(d, env), exist_ok=True)
        with open(os.path.join(d, env, "logits.csv"), "w") as f:
            for r in base:
                f.write(",".join("%.17g" % (v + rng.gauss(0, sd) if sd else v) for v in r) + "\n")
    lines = ["parity: 1", "name: judge-oracle", "baseline: base", "environments:"]
    for env in ENVS:
        lines.append("  %s: {exec: [env, \"OUTDIR=%s\"]}" % (env, os.path.join(d, env)))
    lines += [
        "steps:",
        "  - id: logits",
        "    inference:",
        "      inputs: inputs.csv",
        "      command: {shell: 'cat > /dev/null; cat \"$OUTDIR/logits.csv\"', output: csv}",
        "      tolerance: {max_abs_diff: 1000}",
        "      labels: {column: label}",
        "      segments: {column: seg}",
        "      accuracy: {max_drop: 1}",
        "      by_segment: {max_disagreement: 1, min_rows: 1}",
        "      ood: {energy_above: %r, max_rate: 1}" % ENERGY,
    ]
    with open(os.path.join(d, "contract.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def check(d, report):
    import numpy as np
    from scipy.special import logsumexp
    from scipy.stats import binomtest

    rep = json.load(open(report))
    metrics = rep["steps"][0]["metrics"]
    rows = [line.rstrip("\n").split(",") for line in open(os.path.join(d, "inputs.csv"))][1:]
    labels = np.array([int(r[1]) for r in rows])
    segs = np.array([r[2] for r in rows])
    out = {e: np.loadtxt(os.path.join(d, e, "logits.csv"), delimiter=",") for e in ENVS}
    pred = {e: np.argmax(v, axis=1) for e, v in out.items()}
    results = []

    def close(what, got, want, rel):
        ok = got is not None and (got == want or abs(got - want) <= rel * abs(want))
        results.append((ok, "%s: parity %r, numpy/scipy %r" % (what, got, want)))

    for e in ENVS:
        m = metrics.get(e, {})
        ok = pred[e] == labels
        close("%s accuracy" % e, m.get("accuracy"), float(ok.mean()), 1e-12)
        for k in range(CLASSES):
            close("%s recall of class %d" % (e, k), m.get("per_class_accuracy", {}).get(str(k)),
                  float(ok[labels == k].mean()), 1e-12)
        energy = -logsumexp(out[e], axis=1)
        close("%s ood_rate" % e, m.get("ood_rate"), float((energy > ENERGY).mean()), 1e-12)
        if e == "base":
            continue
        base_ok = pred["base"] == labels
        b = int((base_ok & ~ok).sum())
        c = int((~base_ok & ok).sum())
        close("%s mcnemar_b" % e, m.get("mcnemar_b"), b, 0)
        close("%s mcnemar_c" % e, m.get("mcnemar_c"), c, 0)
        p = binomtest(min(b, c), b + c).pvalue if b + c else 1.0
        close("%s mcnemar_p" % e, m.get("mcnemar_p"), float(p), 1e-9)
        close("%s accuracy_drop" % e, m.get("accuracy_drop"),
              float(base_ok.mean() - ok.mean()), 1e-12)
        by = {s["segment"]: s for s in m.get("segments", [])}
        for s in SEGS:
            sel = segs == s
            got = by.get(s, {})
            close("%s segment %s rows" % (e, s), got.get("rows"), int(sel.sum()), 0)
            close("%s segment %s disagreement" % (e, s), got.get("disagreement"),
                  float((pred[e][sel] != pred["base"][sel]).mean()), 1e-12)
            close("%s segment %s accuracy" % (e, s), got.get("accuracy"),
                  float(ok[sel].mean()), 1e-12)
    print("1..%d" % len(results))
    for i, (ok, msg) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, msg))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
