"""A feature pipeline with one switchable fault, for the shape-*.case tests.

  features.py --golden          writes the golden rows (CSV with a header) to stdout
  FAULT=name features.py        reads golden rows on stdin, prints the features

The healthy pipeline imputes a missing amount with the training median and
standardizes every column with the training statistics. FAULT (default none):
  affine         amount scaled with another scaler (production = 1.25 x staging - 0.5)
  swap           age and tenure change places
  fit_transform  amount standardized with the batch's own mean and deviation
  missing0       a missing amount imputed with 0 instead of the median
  float16        every feature rounded to IEEE half precision
  digits6        every feature printed with 6 significant digits
  clip           amount clipped at 1.5
"""
import os
import random
import statistics
import struct
import sys

NAMES = ["age", "amount", "tenure", "income"]
MEANS = [50.0, 2500.0, 12.0, 40000.0]
SCALES = [20.0, 1400.0, 7.0, 15000.0]
MEDIAN_AMOUNT = 2400.0


def golden():
    rnd = random.Random(11)
    print(",".join(NAMES))
    for i in range(100):
        amount = "" if i % 10 == 3 else "%.2f" % rnd.uniform(1, 5000)
        print("%d,%s,%d,%.2f" % (rnd.randint(18, 90), amount, rnd.randint(0, 30),
                                 rnd.uniform(10000, 90000)))


def features(fault):
    lines = [l.strip() for l in sys.stdin if l.strip()][1:]
    rows = []
    for line in lines:
        v = line.split(",")
        missing = v[1] == ""
        v[1] = (0.0 if fault == "missing0" else MEDIAN_AMOUNT) if missing else v[1]
        rows.append([(float(x) - m) / s for x, m, s in zip(v, MEANS, SCALES)])
    if fault == "affine":
        for r in rows:
            r[1] = 1.25 * r[1] - 0.5
    if fault == "fit_transform":
        raw = [r[1] * SCALES[1] + MEANS[1] for r in rows]
        mu, sd = statistics.fmean(raw), statistics.pstdev(raw)
        for r, x in zip(rows, raw):
            r[1] = (x - mu) / sd
    if fault == "swap":
        for r in rows:
            r[0], r[2] = r[2], r[0]
    if fault == "clip":
        for r in rows:
            r[1] = min(r[1], 1.5)
    for r in rows:
        if fault == "float16":
            r = [struct.unpack("e", struct.pack("e", x))[0] for x in r]
        fmt = "%.6g" if fault == "digits6" else "%.17g"
        print(",".join(fmt % x for x in r))


if __name__ == "__main__":
    if sys.argv[1:] == ["--golden"]:
        golden()
    else:
        features(os.environ.get("FAULT", "none"))
