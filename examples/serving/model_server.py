#!/usr/bin/env python3
"""model_server.py: a fraud-scoring model server for the serving example.

Python standard library only. Loads its model from an artifacts folder
(weights.json, scaler.json), serves on 127.0.0.1, and can be started with
one of the faults that make "the same model" answer differently:

  stale-artifact        (set up by run.sh: production gets last month's weights)
  preprocessing-drift   standardizes each request with its own statistics
                        (fit_transform where training called transform)
  reduced-precision     rounds the logits to float16 (an INT8/FP16 deployment)
  train-mode            leaves dropout on (model.train() in production)
  different-threshold   decides "fraud" at 0.65 instead of 0.5
  shifted-traffic       its recent traffic moved (amounts 40% higher)
  tiny-noise            adds 1e-7 to the logits: harmless, must pass

Endpoints: POST /predict {"features": [...]} -> {"logits", "probabilities",
"decision"}; POST /preprocess {"features": [...]} -> {"features": [...]};
GET /traffic -> recent request amounts, CSV; GET /config; GET /health.
The first line on stdout is the port (start with --port 0).
"""
import argparse
import json
import math
import os
import random
import struct
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ["none", "stale-artifact", "preprocessing-drift", "reduced-precision", "train-mode",
          "different-threshold", "shifted-traffic", "tiny-noise"]


def half(x):
    return struct.unpack("e", struct.pack("e", x))[0]


class Model:
    def __init__(self, folder, fault):
        with open(os.path.join(folder, "weights.json")) as f:
            w = json.load(f)
        with open(os.path.join(folder, "scaler.json")) as f:
            s = json.load(f)
        self.W, self.b = w["W"], w["b"]
        self.mean, self.scale = s["mean"], s["scale"]
        self.fault = fault
        self.threshold = 0.65 if fault == "different-threshold" else 0.5
        self.rng = random.Random(12345)

    def preprocess(self, x):
        if self.fault == "preprocessing-drift":
            mu = sum(x) / len(x)
            sd = math.sqrt(sum((v - mu) ** 2 for v in x) / len(x)) or 1.0
            return [(v - mu) / sd for v in x]
        return [(v - m) / s for v, m, s in zip(x, self.mean, self.scale)]

    def logits(self, z):
        out = [sum(w * v for w, v in zip(row, z)) + b for row, b in zip(self.W, self.b)]
        if self.fault == "reduced-precision":
            out = [half(v) for v in out]
        elif self.fault == "train-mode":
            out = [v * (0.0 if self.rng.random() < 0.1 else 1.0 / 0.9) for v in out]
        elif self.fault == "tiny-noise":
            out = [v + 1e-7 for v in out]
        return out

    def predict(self, x):
        lg = self.logits(self.preprocess(x))
        m = max(lg)
        e = [math.exp(v - m) for v in lg]
        p = [v / sum(e) for v in e]
        return {"logits": lg, "probabilities": p, "decision": 1 if p[1] >= self.threshold else 0}

    def traffic(self, n=2000):
        rng = random.Random(99)
        shift = 1.4 if self.fault == "shifted-traffic" else 1.0
        return [rng.lognormvariate(4.6, 0.5) * shift for _ in range(n)]


def handler(model):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms delayed-ACK wait

        def log_message(self, *args):
            pass

        def reply(self, status, body, ctype="application/json"):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def features(self):
            n = int(self.headers.get("Content-Length") or 0)
            doc = json.loads(self.rfile.read(n) or b"null")
            x = doc["features"] if isinstance(doc, dict) else doc
            if not isinstance(x, list) or len(x) != len(model.mean):
                raise ValueError("expected %d features" % len(model.mean))
            return [float(v) for v in x]

        def do_POST(self):
            try:
                x = self.features()
            except (ValueError, KeyError, TypeError) as e:
                return self.reply(400, json.dumps({"error": str(e)}))
            if self.path == "/predict":
                return self.reply(200, json.dumps(model.predict(x)))
            if self.path == "/preprocess":
                return self.reply(200, json.dumps({"features": model.preprocess(x)}))
            return self.reply(404, json.dumps({"error": "no such endpoint"}))

        def do_GET(self):
            if self.path == "/health":
                return self.reply(200, json.dumps({"status": "ok", "fault": model.fault}))
            if self.path == "/config":
                return self.reply(200, json.dumps({"threshold": model.threshold}))
            if self.path == "/traffic":
                return self.reply(200, "amount\n" + "".join("%.4f\n" % v for v in model.traffic()),
                                  "text/csv")
            return self.reply(404, json.dumps({"error": "no such endpoint"}))
    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--artifacts", required=True)
    ap.add_argument("--fault", choices=FAULTS, default="none")
    a = ap.parse_args()
    ThreadingHTTPServer.request_queue_size = 64  # the default 5 drops connects beyond it (1 s SYN retry)
    server = ThreadingHTTPServer(("127.0.0.1", a.port), handler(Model(a.artifacts, a.fault)))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
