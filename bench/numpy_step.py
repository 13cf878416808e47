#!/usr/bin/env python3
"""numpy_step.py: numpy doing what parity's inference step with a command
scorer does, the reference of bench/run.sh's step rows:

  numpy_step.py INPUTS.npy|.csv|.jsonl [ENVS]

for each of ENVS environments (default 2): load the inputs (np.load,
np.loadtxt or json), send them to `cat` as .npy on stdin (numpy's own
dtype), read the echoed .npy back from stdout (np.load on the bytes), then
every metric of the second environment's outputs against the first's
(bench/numpy_metrics.py's full set). Prints the max |a-b| (0 for an echo)."""
import io
import json
import subprocess
import sys

import numpy as np

sys.path.insert(0, __import__("os").path.dirname(__file__))
from numpy_metrics import full  # noqa: E402


def load(path):
    if path.endswith(".npy"):
        return np.load(path)
    if path.endswith(".csv"):
        return np.loadtxt(path, delimiter=",", ndmin=2)
    with open(path) as f:
        return np.array([json.loads(line) for line in f], dtype=np.float64)


def score(inputs):
    buf = io.BytesIO()
    np.save(buf, inputs)
    out = subprocess.run(["cat"], input=buf.getbuffer(), stdout=subprocess.PIPE, check=True).stdout
    return np.load(io.BytesIO(out))


def main():
    envs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    outs = [score(load(sys.argv[1])) for _ in range(envs)]
    print("max_abs_diff %g" % max(full(outs[0], o)["max_abs_diff"] for o in outs[1:]))


if __name__ == "__main__":
    main()
