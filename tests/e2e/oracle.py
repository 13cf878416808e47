#!/usr/bin/env python3
"""oracle.py: the numpy/scipy side of tests/e2e/oracle.t. parity's metrics
are checked against an independent computation of the rules written in
shared/design/contract-v1.md and runner/data/{metrics,stats}.h:

  oracle.py gen DIR              seeded data, one folder per environment,
                                 and DIR/contract.yaml that runs parity's
                                 real inference, postprocess and drift steps
  oracle.py check DIR REPORT RC  compares every metric of REPORT (parity's
                                 JSON report, RC its exit status) with numpy
                                 and scipy, and prints TAP

Inference outputs are prepared .npy files that each environment `cat`s
(`exec: [env, OUTDIR=...]`), so that both sides see exactly the same
numbers. Floating-point metrics must agree to a relative 1e-12, counts
exactly; the MMD estimate, a difference of sums of ~10^6 kernel values,
to 1e-12 of the size of those sums."""
import json
import math
import os
import re
import sys

import numpy as np
import scipy.special
import scipy.stats

ENVS = ["base", "cand", "far"]          # base is the baseline
ROWS = 500
SEED = 20261122
REL = 1e-12
REPORT_INF = 1e308                      # how the JSON report writes +inf metrics

# step id -> (columns per environment, allclose rtol, atol as the contract gives them)
INFERENCE = {
    "noise": {"rtol": 1e-3, "atol": 1e-4,
              "tolerance": "{max_abs_diff: 1e-2, mean_abs_diff: 1e-3, allclose: {rtol: 1e-3, "
                           "atol: 1e-4}, argmax_agreement: 0.99, max_disagreements: 3}"},
    "nan-inf": {"rtol": 1e-4, "atol": 1e-6,
                "tolerance": "{max_abs_diff: 1, allclose: {rtol: 1e-4, atol: 1e-6}}"},
    "shape": {"rtol": 1e-5, "atol": 1e-8,       # numpy.isclose's defaults, parity's too
              "tolerance": "{max_abs_diff: 1e-2}"},
    "one-column": {"rtol": 0.0, "atol": 1e-3,
                   "tolerance": "{allclose: {rtol: 0, atol: 1e-3}}"},
}

# postprocess step id -> (score rule, index, threshold, near)
POSTPROCESS = {
    "decisions-softmax": ("softmax", 1, 0.3, 0.02),
    "decisions-sigmoid": ("sigmoid", 2, 0.55, 0.01),
    "decisions-index": ("index", 0, 0.25, 0.05),
}

# drift step id -> (reference file, sample file, psi options)
DRIFT = {
    "drift": ("ref.csv", "sample.csv", {"bins": 10, "strategy": "quantile", "epsilon": 1e-4}),
    "drift-ties": ("ref_ties.csv", "sample_ties.csv",
                   {"bins": 10, "strategy": "quantile", "epsilon": 1e-4}),
    "drift-uniform": ("ref.csv", "sample.csv", {"bins": 7, "strategy": "uniform", "epsilon": 1e-3}),
}


# ------------------------------------------------------------------ data

def gen(d):
    rng = np.random.default_rng(SEED)
    for env in ENVS:
        os.makedirs(os.path.join(d, env), exist_ok=True)
    np.save(os.path.join(d, "inputs.npy"), rng.standard_normal((ROWS, 4)))

    def save(env, name, a):
        np.save(os.path.join(d, env, name + ".npy"), a)

    # noise: logits, and the same plus small (cand) and larger (far) noise
    base = 2.0 * rng.standard_normal((ROWS, 5))
    save("base", "noise", base)
    save("cand", "noise", base + 1e-3 * rng.standard_normal((ROWS, 5)))
    save("far", "noise", base + 5e-2 * rng.standard_normal((ROWS, 5)))

    # nan-inf: NaN and infinities sprinkled into base and cand; far stays finite
    b = 2.0 * rng.standard_normal((ROWS, 5))
    c = b + 1e-5 * rng.standard_normal((ROWS, 5))
    f = b + 1e-2 * rng.standard_normal((ROWS, 5))
    col = rng.integers(0, 5, ROWS)
    for r in range(0, 10):                  # NaN in the baseline only
        b[r, col[r]] = np.nan
    for r in range(10, 20):                 # NaN on both sides
        b[r, col[r]] = c[r, col[r]] = np.nan
    for r in range(20, 30):                 # +inf on both sides
        b[r, col[r]] = c[r, col[r]] = np.inf
    for r in range(30, 40):                 # +inf against -inf
        b[r, col[r]], c[r, col[r]] = np.inf, -np.inf
    for r in range(40, 50):                 # +inf in cand only
        c[r, col[r]] = np.inf
    for r in range(50, 60):                 # -inf on both sides
        b[r, col[r]] = c[r, col[r]] = -np.inf
    for r in range(60, 65):                 # NaN and +inf in one row
        b[r, 1], b[r, 3] = np.inf, np.nan
        c[r, 1], c[r, 3] = np.inf, np.nan
    save("base", "nan-inf", b)
    save("cand", "nan-inf", c)
    save("far", "nan-inf", f)

    # shape: cand has a column fewer; far matches the baseline
    s = rng.standard_normal((ROWS, 5))
    save("base", "shape", s)
    save("cand", "shape", s[:, :4] + 1e-6)
    save("far", "shape", s + 1e-4 * rng.standard_normal((ROWS, 5)))

    # one-column: scores of one column
    o = rng.random((ROWS, 1))
    save("base", "one-column", o)
    save("cand", "one-column", o + 2e-3 * rng.standard_normal((ROWS, 1)))
    save("far", "one-column", o + 1e-4 * rng.standard_normal((ROWS, 1)))

    # drift: 1,504 reference values (3 of them NaN: 1,501 after dropping,
    # so that (n-1)k/10 is a whole number) and 1,200 shifted sample values;
    # the ties pair rounds both to 0.05
    ref = rng.normal(0.0, 1.0, 1504)
    ref[[7, 500, 1400]] = np.nan
    smp = rng.normal(0.3, 1.2, 1200)
    write_csv(os.path.join(d, "ref.csv"), ref)
    write_csv(os.path.join(d, "sample.csv"), smp)
    write_csv(os.path.join(d, "ref_ties.csv"), np.round(ref * 20) / 20)
    write_csv(os.path.join(d, "sample_ties.csv"), np.round(smp * 20) / 20)

    with open(os.path.join(d, "contract.yaml"), "w") as out:
        out.write(contract(d))


def write_csv(path, values):
    with open(path, "w") as f:
        f.write("value\n")
        for v in values:
            f.write("nan\n" if np.isnan(v) else "%r\n" % float(v))


def contract(d):
    lines = [
        "parity: 1",
        "name: oracle",
        "description: parity's metrics against numpy and scipy (tests/e2e/oracle.t)",
        "baseline: base",
        "defaults: {timeout: 60s}",
        "environments:",
    ]
    for env in ENVS:
        lines.append("  %s: {exec: [env, \"OUTDIR=%s\"]}" % (env, os.path.join(d, env)))
    lines.append("steps:")
    for step, o in INFERENCE.items():
        lines += [
            "  - id: %s" % step,
            "    inference:",
            "      inputs: inputs.npy",
            # read the inputs parity sends, then answer with the prepared outputs
            "      command: {shell: 'cat > /dev/null; cat \"$OUTDIR/%s.npy\"', output: npy}" % step,
            "      tolerance: %s" % o["tolerance"],
        ]
    for step, (kind, index, thr, near) in POSTPROCESS.items():
        lines += [
            "  - id: %s" % step,
            "    postprocess: {from: noise, score: {%s: %d}, threshold: %r, max_flips: 1000, near: %r}"
            % (kind, index, thr, near),
        ]
    for step, (ref, smp, psi) in DRIFT.items():
        lines += [
            "  - id: %s" % step,
            "    drift:",
            "      reference: {path: %s, field: value}" % ref,
            "      sample: %s" % smp,
            "      psi: {bins: %d, strategy: %s, max: 100, epsilon: %r}"
            % (psi["bins"], psi["strategy"], psi["epsilon"]),
            "      ks: {max: 1}",
            "      mmd: {max: 100}",
        ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ numpy's side

def abs_diff(a, b):
    """|a-b| by the rule of runner/data/metrics.h: two NaNs or two equal
    infinities differ by 0, any other pair with a NaN or an infinity by +inf."""
    with np.errstate(invalid="ignore"):
        d = np.abs(a - b)
    special = ~np.isfinite(a) | ~np.isfinite(b)
    same = (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))
    d[special] = np.inf
    d[same] = 0.0
    return d


def reported(x):
    """A metric as the JSON report writes it: +inf as 1e308."""
    return REPORT_INF if math.isinf(x) else float(x)


def inference_metrics(a, b, rtol, atol):
    d = abs_diff(a, b)
    disagree = int(np.count_nonzero(np.argmax(a, axis=1) != np.argmax(b, axis=1)))
    return {
        "rows": a.shape[0],
        "cols": a.shape[1],
        "max_abs_diff": reported(d.max()) if d.size else 0.0,
        "mean_abs_diff": reported(d.mean()) if d.size else 0.0,
        "per_class_mean_abs_diff": [reported(x) for x in d.mean(axis=0)],
        "allclose_violations": int(np.count_nonzero(~np.isclose(a, b, rtol=rtol, atol=atol))),
        "disagreements": disagree,
        "argmax_agreement": (a.shape[0] - disagree) / a.shape[0],
    }


def scores(m, kind, index):
    if kind == "softmax":
        with np.errstate(invalid="ignore", over="ignore"):
            return scipy.special.softmax(m, axis=1)[:, index]
    if kind == "sigmoid":
        return scipy.special.expit(m[:, index])
    return m[:, index]


def psi(ref, smp, bins, strategy, eps):
    """The spec's rule: quantile edges np.quantile(ref, k/bins) (or equal
    widths between min and max), bins [a,b) with the outer ones open (a
    value's bin is how many edges are <= it), empty shares floored at eps."""
    r, s = psi_shares(ref, smp, bins, strategy, eps)
    return float(np.sum((s - r) * np.log(s / r)))


def psi_shares(ref, smp, bins, strategy, eps):
    """Each bin's reference and sample shares, as psi() uses them."""
    if strategy == "quantile":
        edges = np.quantile(ref, np.arange(1, bins) / bins)
    else:
        lo, hi = ref.min(), ref.max()
        edges = np.array([lo + k * (hi - lo) / bins for k in range(1, bins)])
    rc = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=bins)
    sc = np.bincount(np.searchsorted(edges, smp, side="right"), minlength=bins)
    r = np.where(rc > 0, rc / ref.size, eps)
    s = np.where(sc > 0, sc / smp.size, eps)
    return r, s


def mmd2(x, y):
    """Unbiased squared MMD, RBF kernel, sigma the median of |z_i - z_j| over
    the pairs i < j of the pooled sample (of the nonzero ones when that is
    0). Returns (mmd2, sigma, size of the sums it is the difference of)."""
    z = np.concatenate([x, y])
    iu = np.triu_indices(z.size, 1)
    dist = np.abs(z[:, None] - z[None, :])[iu]
    if not np.any(dist > 0):
        return 0.0, 0.0, 0.0
    sigma = float(np.median(dist))
    if sigma == 0.0:
        sigma = float(np.median(dist[dist > 0]))

    def k(u, v):
        return np.exp(-(u[:, None] - v[None, :]) ** 2 / (2.0 * sigma ** 2))

    m, n = x.size, y.size
    kxx = np.sum(np.triu(k(x, x), 1)) * 2.0 / (m * (m - 1))
    kyy = np.sum(np.triu(k(y, y), 1)) * 2.0 / (n * (n - 1))
    kxy = np.sum(k(x, y)) / (m * n)
    return float(kxx + kyy - 2.0 * kxy), sigma, float(kxx + kyy + 2.0 * kxy)


def read_values(path):
    v = np.genfromtxt(path, delimiter=",", skip_header=1, missing_values="nan")
    return v[~np.isnan(v)]


# ------------------------------------------------------------------ TAP

class Tap:
    def __init__(self):
        self.points = []

    def add(self, ok, name, diag=()):
        self.points.append((bool(ok), name, list(diag)))

    def close(self, name, parity, numpy_value, rel=REL, scale=None):
        """parity's number against numpy's: equal, or within rel of the larger
        (or of scale, when given); integers exactly."""
        if parity is None:
            self.add(False, name, ["parity: (missing from the report)", "numpy:  %r" % numpy_value])
            return
        if isinstance(numpy_value, int) and not isinstance(numpy_value, bool):
            ok = isinstance(parity, int) and parity == numpy_value
        else:
            p, q = float(parity), float(numpy_value)
            bound = rel * (scale if scale is not None else max(abs(p), abs(q)))
            ok = p == q or abs(p - q) <= bound
        self.add(ok, name, [] if ok else ["parity: %r" % parity, "numpy:  %r" % numpy_value])

    def emit(self):
        print("1..%d" % len(self.points))
        failed = 0
        for i, (ok, name, diag) in enumerate(self.points, 1):
            print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
            for line in diag:
                print("#   " + line)
            failed += not ok
        return failed


def check(d, report_path, rc):
    t = Tap()
    rc = int(rc)
    try:
        with open(report_path) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        report = {"steps": []}
        t.add(False, "parity wrote a JSON report", ["%s" % e])
    t.add(rc == 1, "parity run exits 1 (the shape mismatch fails the gate)", [] if rc == 1 else
          ["exit status %d" % rc])
    steps = {s["id"]: s for s in report.get("steps", [])}

    def load(env, step):
        return np.load(os.path.join(d, env, step + ".npy"))

    # inference: every metric of every environment against the baseline
    for step, o in INFERENCE.items():
        s = steps.get(step, {})
        metrics = s.get("metrics", {})
        base = load("base", step)
        for env in ENVS[1:]:
            a = load(env, step)
            where = "%s: %s" % (step, env)
            if a.shape != base.shape:
                want = "shape (%d, %d) differs from the baseline's (%d, %d)" % (a.shape + base.shape)
                msgs = [c.get("message", "") for c in s.get("checks", []) if c.get("env") == env]
                ok = any(m == want for m in msgs) and env not in metrics and s.get("status") == "fail"
                t.add(ok, "%s: shape mismatch reported as numpy sees it: %s" % (where, want),
                      [] if ok else ["parity's checks: %r" % msgs, "metrics: %r" % metrics.get(env)])
                continue
            want = inference_metrics(a, base, o["rtol"], o["atol"])
            got = metrics.get(env, {})
            for name, value in want.items():
                label = "%s: %s vs numpy" % (where, name)
                if name == "per_class_mean_abs_diff":
                    g = got.get(name)
                    if not isinstance(g, list) or len(g) != len(value):
                        t.add(False, label, ["parity: %r" % g, "numpy:  %r" % value])
                        continue
                    bad = [(c, g[c], value[c]) for c in range(len(value))
                           if not (g[c] == value[c] or abs(g[c] - value[c]) <= REL * max(abs(g[c]), abs(value[c])))]
                    t.add(not bad, label, ["column %d: parity %r, numpy %r" % x for x in bad])
                else:
                    t.close(label, got.get(name), value)
            # the |diff| histogram the HTML report draws: decades 1e-12..1e+2, zeros apart
            h = got.get("abs_diff_histogram") or {}
            ad = abs_diff(a, base).ravel()
            edges = [10.0 ** k for k in range(-12, 3)]
            want = np.bincount(np.searchsorted(edges, ad[ad > 0], side="right"), minlength=len(edges) + 1)
            ok = (h.get("edges") == edges and h.get("counts") == [int(x) for x in want] and
                  h.get("zeros") == int(np.count_nonzero(ad == 0)))
            t.add(ok, "%s: abs_diff_histogram vs numpy" % where,
                  [] if ok else ["parity: %r" % h, "numpy:  %r, zeros %d" % (list(want), np.count_nonzero(ad == 0))])

    # postprocess: flips per environment, rows near the threshold
    outs = {env: load(env, "noise") for env in ENVS}
    for step, (kind, index, thr, near) in POSTPROCESS.items():
        metrics = steps.get(step, {}).get("metrics", {})
        sc = {env: scores(outs[env], kind, index) for env in ENVS}
        dec = {env: sc[env] >= thr for env in ENVS}
        is_near = np.zeros(ROWS, dtype=bool)
        for env in ENVS:
            is_near |= np.abs(sc[env] - thr) <= near
        ref = "scipy.special.%s" % ("softmax" if kind == "softmax" else "expit") if kind != "index" else "numpy"
        for env in ENVS[1:]:
            t.close("%s: %s: flips vs %s" % (step, env, ref), metrics.get(env, {}).get("flips"),
                    int(np.count_nonzero(dec[env] != dec["base"])))
            # the HTML report's sample: its scores, and the first 64 flipped rows marked
            ss = metrics.get(env, {}).get("score_sample") or {}
            idx, got_sc, fl = ss.get("index", []), ss.get("scores", []), ss.get("flipped", [])
            flipped = [int(k) for k in np.flatnonzero(dec[env] != dec["base"])]
            ok = (len(idx) == len(got_sc) and 0 < len(idx) <= 256 and set(fl) <= set(flipped) and
                  set(flipped[:64]) <= set(fl) and set(fl) <= set(idx) and
                  all(g is None and not np.isfinite(sc[env][k]) or
                      g is not None and abs(g - sc[env][k]) <= REL * max(abs(g), abs(sc[env][k]))
                      for k, g in zip(idx, got_sc)))
            t.add(ok, "%s: %s: score_sample vs %s" % (step, env, ref),
                  [] if ok else ["parity: %r" % ss, "numpy flipped rows: %r" % flipped[:70]])
        t.close("%s: near (within %g of %g in any environment) vs %s" % (step, near, thr, ref),
                metrics.get("base", {}).get("near"), int(np.count_nonzero(is_near)))

    # drift: ks, psi, mmd over the two local files
    for step, (rf, sf, o) in DRIFT.items():
        s = steps.get(step, {})
        got = next(iter(s.get("metrics", {}).values()), {})
        ref, smp = read_values(os.path.join(d, rf)), read_values(os.path.join(d, sf))
        t.close("%s: ks vs scipy.stats.ks_2samp (%d and %d values)" % (step, ref.size, smp.size),
                got.get("ks"), float(scipy.stats.ks_2samp(ref, smp).statistic))
        t.close("%s: psi vs numpy (%d %s bins, [a,b), epsilon %g)" % (step, o["bins"], o["strategy"], o["epsilon"]),
                got.get("psi"), psi(ref, smp, o["bins"], o["strategy"], o["epsilon"]))
        r, sh = psi_shares(ref, smp, o["bins"], o["strategy"], o["epsilon"])
        pb = got.get("psi_bins") or {}
        for key, want in (("reference", r), ("sample", sh)):
            g = pb.get(key)
            ok = isinstance(g, list) and len(g) == len(want) and all(
                abs(x - y) <= REL * max(abs(x), abs(y)) for x, y in zip(g, want))
            t.add(ok, "%s: psi_bins %s shares vs numpy" % (step, key),
                  [] if ok else ["parity: %r" % g, "numpy:  %r" % list(want)])
        t.close("%s: psi_bins ks vs scipy.stats.ks_2samp" % step, pb.get("ks"),
                float(scipy.stats.ks_2samp(ref, smp).statistic))
        value, sigma, scale = mmd2(ref, smp)
        t.close("%s: mmd (unbiased squared MMD, RBF, median heuristic) vs numpy" % step,
                got.get("mmd"), value, scale=scale)
        detail = " ".join(c.get("detail", "") or "" for c in s.get("checks", []) if c.get("name") == "mmd")
        m = re.search(r"sigma ([-+0-9.eE]+)", detail)
        t.close("%s: mmd sigma (median heuristic, 4 digits as reported) vs numpy" % step,
                float(m.group(1)) if m else None, float("%.4g" % sigma), rel=0)
    return t.emit()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "gen":
        gen(sys.argv[2])
        return 0
    if len(sys.argv) == 5 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4])
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
