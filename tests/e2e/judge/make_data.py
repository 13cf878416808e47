#!/usr/bin/env python3
"""make_data.py OUTDIR: the labelled golden sets and the model artifacts
for tests/e2e/judge.t, deterministic, on the standard library only. The
model is the serving example's (examples/serving/artifacts/weights.json):
logits = W (x - mean) / scale + b over age, amount, hour, risk, three
classes (legit, review, fraud). The rows are drawn, then kept or dropped
by what the healthy model and each faulty scaler answer, so that every
scenario has the verdict the test expects, by construction:

  artifacts/   the healthy weights and scaler
  stale/       last month's scaler (amount mean 100, scale 50; age mean 50):
               8 % of the golden rows change class
  batch/       the scaler fit on golden-batch.csv itself (fit_transform on the
               batch): a few rows change class; labelled so that the overall
               accuracy drops by under 0.006 and one class's by 0.035 or more
  segment/     a scaler with the risk mean moved by 0.03: exactly 10 of the 50
               FR rows of golden.csv change class, no other row, and to
               their labels: production is 2 points better overall
  golden.csv        500 rows, label (legit/review/fraud: the healthy model's
                    class but for 25 rows) and country
  golden-batch.csv  430 rows, label and country
  shifted.csv       golden.csv with risk scaled by 0.2: more rows above the
                    energy threshold -0.5 (out of distribution)
Prints one line of facts per set for the test's log.
"""
import json
import math
import os
import random
import sys

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(os.path.dirname(here)))
CLASSES = ["legit", "review", "fraud"]
COUNTRIES = ["DE", "US", "IT", "ES"]
with open(os.path.join(top, "examples", "serving", "artifacts", "weights.json")) as f:
    WEIGHTS = json.load(f)
HEALTHY = {"mean": [45.0, 120.0, 11.5, 0.4], "scale": [15.0, 60.0, 6.9, 0.25]}
STALE = {"mean": [50.0, 100.0, 11.5, 0.4], "scale": [15.0, 50.0, 6.9, 0.25]}
SEGMENT = {"mean": [45.0, 120.0, 11.5, 0.43], "scale": [15.0, 60.0, 6.9, 0.25]}
ENERGY_ABOVE = -0.5


def logits(x, sc):
    z = [(v - m) / s for v, m, s in zip(x, sc["mean"], sc["scale"])]
    return [sum(w * v for w, v in zip(row, z)) + b for row, b in zip(WEIGHTS["W"], WEIGHTS["b"])]


def cls(x, sc):
    lg = logits(x, sc)
    return max(range(3), key=lambda k: (lg[k], -k))


def energy(x, sc):
    lg = logits(x, sc)
    t = max(lg)
    return -(t + math.log(sum(math.exp(v - t) for v in lg)))


def draw(rng):
    return [float(rng.randint(18, 90)), round(rng.lognormvariate(4.6, 0.5), 2),
            float(rng.randint(0, 23)), round(rng.random(), 3)]


def draw_training(rng):
    """Rows whose statistics are the training scaler's, up to sampling noise."""
    return [float(round(rng.uniform(19, 71))), round(rng.lognormvariate(4.68, 0.47), 2),
            float(rng.randint(0, 23)), round(rng.uniform(0, 0.8), 3)]


def fit(rows):
    n = len(rows)
    mean = [sum(r[k] for r in rows) / n for k in range(4)]
    scale = [math.sqrt(sum((r[k] - mean[k]) ** 2 for r in rows) / n) for k in range(4)]
    return {"mean": mean, "scale": scale}


def write_csv(path, rows, labels, countries):
    with open(path, "w") as f:
        f.write("age,amount,hour,risk,label,country\n")
        for r, lab, c in zip(rows, labels, countries):
            f.write("%g,%g,%g,%g,%s,%s\n" % (r[0], r[1], r[2], r[3], CLASSES[lab], c))


def golden(rng):
    """500 rows: 50 FR (10 flip under SEGMENT), 450 elsewhere (none flip)."""
    fr_flip, fr_keep, other = [], [], []
    while len(fr_flip) < 10 or len(fr_keep) < 40 or len(other) < 450:
        x = draw(rng)
        if energy(x, HEALTHY) > ENERGY_ABOVE and rng.random() < 0.5:
            continue            # keep the golden set's OOD rate low
        flips = cls(x, HEALTHY) != cls(x, SEGMENT)
        if flips and len(fr_flip) < 10:
            fr_flip.append(x)
        elif not flips and len(fr_keep) < 40 and rng.random() < 0.1:
            fr_keep.append(x)
        elif not flips and len(other) < 450:
            other.append(x)
    rows = fr_flip + fr_keep + other
    countries = ["FR"] * 50 + [COUNTRIES[i % 4] for i in range(450)]
    order = list(range(500))
    rng.shuffle(order)
    rows = [rows[i] for i in order]
    countries = [countries[i] for i in order]
    # production is right on the FR rows it moves: better overall, yet it
    # disagrees with staging on a fifth of FR
    labels = [cls(x, SEGMENT) for x in rows]
    for i in rng.sample(range(500), 25):
        labels[i] = (labels[i] + 1) % 3
    return rows, labels, countries


def batch(rng):
    """430 rows drawn as the training set was; the batch's own scaler moves a
    few of them. The rows of the class it moves most are labelled with the
    healthy class (production gets them wrong), the other moved rows with
    production's (production gets them right): a small overall drop, one
    class far worse."""
    for _ in range(400):
        rows = []
        while len(rows) < 430:
            x = draw_training(rng)
            if energy(x, HEALTHY) <= ENERGY_ABOVE or rng.random() < 0.3:
                rows.append(x)
        sc = fit(rows)
        p0 = [cls(x, HEALTHY) for x in rows]
        p1 = [cls(x, sc) for x in rows]
        moved = [i for i in range(430) if p0[i] != p1[i]]
        if not moved:
            continue
        t = max(range(3), key=lambda k: sum(p0[i] == k for i in moved))
        labels = [p1[i] if i in moved and p0[i] != t else p0[i] for i in range(430)]
        drop = sum((p0[i] == labels[i]) - (p1[i] == labels[i]) for i in range(430)) / 430
        of_t = [i for i in range(430) if labels[i] == t]
        t_drop = sum((p0[i] == t) - (p1[i] == t) for i in of_t) / len(of_t)
        if 0 < drop <= 0.006 and t_drop >= 0.035:
            countries = [COUNTRIES[i % 4] for i in range(430)]
            return rows, labels, countries, sc, "%d moved, accuracy drop %.4f, %s drop %.4f" % (
                len(moved), drop, CLASSES[t], t_drop)
    sys.exit("make_data.py: no batch set found")


def write_artifacts(folder, scaler):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "weights.json"), "w") as f:
        json.dump(WEIGHTS, f)
    with open(os.path.join(folder, "scaler.json"), "w") as f:
        json.dump(scaler, f)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(2026)
    rows, labels, countries = golden(rng)
    write_csv(os.path.join(out, "golden.csv"), rows, labels, countries)
    shifted = [r[:3] + [round(r[3] * 0.2, 3)] for r in rows]
    write_csv(os.path.join(out, "shifted.csv"), shifted, labels, countries)
    brows, blabels, bcountries, bscaler, k = batch(rng)
    write_csv(os.path.join(out, "golden-batch.csv"), brows, blabels, bcountries)
    write_artifacts(os.path.join(out, "artifacts"), HEALTHY)
    write_artifacts(os.path.join(out, "stale"), STALE)
    write_artifacts(os.path.join(out, "segment"), SEGMENT)
    write_artifacts(os.path.join(out, "batch"), bscaler)
    rate = lambda rs: sum(energy(x, HEALTHY) > ENERGY_ABOVE for x in rs) / len(rs)
    stale = sum(cls(x, STALE) != cls(x, HEALTHY) for x in rows)
    print("golden: ood rate %.4f, stale scaler moves %d of 500; shifted: ood rate %.4f; "
          "batch: %s" % (rate(rows), stale, rate(shifted), k))


if __name__ == "__main__":
    main()
