#!/usr/bin/env python3
"""numpy_step.py: numpy doing what parity's inference step with a command
scorer does, the reference of bench/run.sh's step rows:

  numpy_step.py INPUTS.npy|.csv|.jsonl [ENVS]

for each of ENVS environments (default 2): load the inputs (np.load,
np.loadtxt or the json module), send them to `cat` on stdin in the same
format (.npy in numpy's own dtype, CSV with %.17g, JSON Lines by
json.dumps), read the echo back from stdout (np.load, np.loadtxt or
json.loads on the bytes), then
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


def score(inputs, fmt):
    """inputs to `cat` in fmt (as parity sends them), the echo read back"""
    buf = io.BytesIO()
    if fmt == "npy":
        np.save(buf, inputs)
    elif fmt == "csv":
        np.savetxt(buf, inputs, fmt="%.17g", delimiter=",")
    else:
        buf.write("".join(json.dumps(r) + "\n" for r in inputs.tolist()).encode())
    out = subprocess.run(["cat"], input=buf.getbuffer(), stdout=subprocess.PIPE, check=True).stdout
    if fmt == "npy":
        return np.load(io.BytesIO(out))
    if fmt == "csv":
        return np.loadtxt(io.BytesIO(out), delimiter=",", ndmin=2)
    return np.array([json.loads(line) for line in out.splitlines()], dtype=np.float64)


def main():
    envs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    fmt = sys.argv[1].rsplit(".", 1)[-1]
    outs = [score(load(sys.argv[1]), fmt) for _ in range(envs)]
    print("max_abs_diff %g" % max(full(outs[0], o)["max_abs_diff"] for o in outs[1:]))


if __name__ == "__main__":
    main()
