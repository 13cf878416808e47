#!/usr/bin/env python3
"""shape_oracle.py: the numpy side of tests/e2e/shape-oracle.t. The affine
map that runner/data/shape.c fits by least squares (docs/diagnosis.md) is
checked against numpy.polyfit(base, other, 1):

  shape_oracle.py gen DIR              seeded feature matrices for two
                                       environments and DIR/contract.yaml,
                                       whose preprocess step cats them
  shape_oracle.py check DIR REPORT     compares the slope, offset and residual
                                       of each column in REPORT (parity's JSON
                                       report) with numpy, and prints TAP

Each column is other = slope * base + offset + noise, the noise small
enough (1e-7 of the column's spread) that the fit explains the difference;
the residual is the root mean square of other - polyval(fit, base),
checked to 1e-12 of the largest value (it is rounding noise where the
noise is 0)."""
import json
import os
import sys

import numpy as np

SEED = 20261205
ROWS = 400
# (slope, offset, noise scale, base mean, base spread)
COLUMNS = [(1.23, -0.41, 1e-7, 0.0, 1.0), (0.001, 7.5, 1e-11, 3000.0, 900.0),
           (-2.5, 100.0, 1e-6, 40.0, 12.0), (1e3, 0.0, 1e-5, 0.5, 0.2),
           (0.5, -0.25, 0.0, -3.0, 0.01)]
REL = 1e-9


def matrices():
    rng = np.random.default_rng(SEED)
    base = np.empty((ROWS, len(COLUMNS)))
    other = np.empty_like(base)
    for j, (a, c, noise, mean, spread) in enumerate(COLUMNS):
        base[:, j] = rng.normal(mean, spread, ROWS)
        other[:, j] = a * base[:, j] + c + rng.normal(0, noise * abs(a) * spread + 1e-300, ROWS)
    return base, other


def gen(d):
    base, other = matrices()
    np.savetxt(os.path.join(d, "base.csv"), base, delimiter=",", fmt="%.17g")
    np.savetxt(os.path.join(d, "other.csv"), other, delimiter=",", fmt="%.17g")
    with open(os.path.join(d, "contract.yaml"), "w") as f:
        f.write("parity: 1\nname: shape-oracle\nenvironments:\n")
        for env in ("base", "other"):
            f.write("  %s: {exec: [env, \"MATRIX=%s\"]}\n" % (env, os.path.join(d, env + ".csv")))
        f.write("steps:\n  - id: features\n    preprocess:\n"
                "      shell: cat \"$MATRIX\"\n      output: csv\n"
                "      names: [%s]\n      tolerance: {max_abs_diff: 1e-12}\n"
                % ", ".join("c%d" % j for j in range(len(COLUMNS))))


def close(got, want, scale):
    return abs(got - want) <= REL * max(abs(want), scale)


def check(d, report):
    base = np.loadtxt(os.path.join(d, "base.csv"), delimiter=",")
    other = np.loadtxt(os.path.join(d, "other.csv"), delimiter=",")
    r = json.load(open(report))
    shapes = {s["name"]: s for s in r["steps"][0]["metrics"]["other"]["shapes"]}
    print("1..%d" % (3 * len(COLUMNS)))
    n = 0
    for j in range(len(COLUMNS)):
        name = "c%d" % j
        s = shapes.get(name, {})
        slope, offset = np.polyfit(base[:, j], other[:, j], 1)
        fit = np.polyval([slope, offset], base[:, j])
        residual = float(np.sqrt(np.mean((other[:, j] - fit) ** 2)))
        spread = float(np.abs(other[:, j]).max())
        for key, want, scale in (("slope", slope, 0.0), ("offset", offset, spread),
                                 ("residual", residual, 1e-3 * spread)):
            n += 1
            got = s.get(key)
            ok = s.get("shape") == "affine" and got is not None and close(got, want, scale)
            print("%s %d - %s %s: parity %r, numpy.polyfit %r" % (
                "ok" if ok else "not ok", n, name, key, got, float(want)))
            if not ok:
                print("# %s" % json.dumps(s))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
