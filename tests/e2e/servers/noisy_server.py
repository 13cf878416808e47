#!/usr/bin/env python3
"""noisy_server: a fixed model whose every answer carries fresh noise, for
parity's noise-floor tests (calibrate, replica_of). Python standard library
only. It binds to 127.0.0.1, prints the chosen port on stdout's first line,
and exits by itself after --max-seconds.

  POST /predict   a JSON array of numbers, or {"features": [...]}
                  -> {"outputs": [[p0, p1, p2]]}: softmax(W x + b), the
                  model of model_server.py, each value plus N(0, sigma)
                  drawn anew per request (--sigma, default 0), then rounded
                  to IEEE float16 with --float16 (a half-precision build)
"""
import argparse
import json
import math
import random
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLASSES = 3


def weight(k, i):
    return (((k + 1) * (i + 2)) % 7 - 3) / 5.0


def predict(row):
    logits = [sum(x * weight(k, i) for i, x in enumerate(row)) + 0.1 * k
              for k in range(CLASSES)]
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def half(x):
    return struct.unpack("<e", struct.pack("<e", x))[0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            doc = json.loads(self.rfile.read(length) or b"null")
            row = doc["features"] if isinstance(doc, dict) else doc
            out = predict([float(x) for x in row])
        except (ValueError, KeyError, TypeError) as e:
            self.answer(400, {"error": str(e)})
            return
        opts = self.server.opts
        with self.server.lock:
            out = [v + self.server.rng.gauss(0.0, opts.sigma) if opts.sigma else v for v in out]
        if opts.float16:
            out = [half(v) for v in out]
        self.answer(200, {"outputs": [out]})

    def answer(self, status, doc):
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--sigma", type=float, default=0.0, help="noise per value and request")
    ap.add_argument("--float16", action="store_true", help="round every value to float16")
    ap.add_argument("--max-seconds", type=float, default=120)
    opts = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", opts.port), Handler)
    srv.daemon_threads = True
    srv.opts = opts
    srv.lock = threading.Lock()
    srv.rng = random.Random()
    print(srv.server_address[1], flush=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    time.sleep(opts.max_seconds)
    srv.shutdown()
    sys.exit(0)


if __name__ == "__main__":
    main()
