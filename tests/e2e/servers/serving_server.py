#!/usr/bin/env python3
"""serving_server: one tiny deterministic model (logits = x . W, W fixed)
served over the published serving protocols, for parity's protocol tests,
on the Python standard library only. It binds to 127.0.0.1, prints the
chosen port on stdout's first line, and exits by itself after --max-seconds.

  POST /predict                     parity's json protocol: a JSON array of
                                    numbers (one row) -> {"outputs": [[...]]};
                                    {"instances": [[...], ...]} -> {"predictions": [[...], ...]}
  POST /v2/models/M[/versions/V]/infer
                                    Open Inference Protocol v2 (KServe, Triton):
                                    {"inputs": [{"name", "shape": [N, C], "datatype",
                                    "data": flat or nested}]} ->
                                    {"model_name", "model_version", "outputs": [
                                     {"name": "logits", "shape": [N, 3], "datatype", "data"},
                                     {"name": "label", "shape": [N], "datatype": "INT64", "data"}]}
  GET  /v2/health/ready, GET /v2/models/M    readiness and model metadata
  POST /v1/models/M[/versions/V]:predict
                                    TensorFlow Serving REST, row format:
                                    {"instances": [...]} -> {"predictions": [...]}
  POST /invocations                 MLflow scoring server: {"inputs": [...]} or
                                    {"dataframe_split": {"columns", "data"}} ->
                                    {"predictions": [...]}
  GET  /version                     {"version": "..."}

Switches: --fewer (every batch answer lacks its last row), --batch-dependent
(a row's output shifts with the size of its batch, as padding or BatchNorm in
train mode do), --delay-ms (before every answer), --nested (v2 data nested
by shape), --datatype FP32|FP64 (v2 output datatype), --predictions
list|object|number (tf-serving and mlflow prediction per row).
"""
import argparse
import json
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLASSES = 3
MODEL = "fraud"


def weight(k, i):
    return (((k + 1) * (i + 3)) % 5 - 2) / 4.0


def logits(row, shift):
    return [sum(x * weight(k, i) for i, x in enumerate(row)) + 0.25 * k + shift
            for k in range(CLASSES)]


def argmax(v):
    return max(range(len(v)), key=lambda k: v[k])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "serving_server/1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, doc):
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, text):
        self.send_json(status, {"error": text})

    def score(self, rows):
        """The outputs of a batch: one list of logits per row."""
        opts = self.server.opts
        shift = 1e-3 * (len(rows) - 1) if opts.batch_dependent else 0.0
        out = [logits(r, shift) for r in rows]
        if opts.fewer and len(out) > 1:
            out = out[:-1]
        return out

    def prediction(self, out):
        kind = self.server.opts.predictions
        if kind == "object":
            return {"scores": out, "label": argmax(out)}
        if kind == "number":
            return out[0]
        return out

    def do_GET(self):
        if self.server.opts.delay_ms:
            time.sleep(self.server.opts.delay_ms / 1000.0)
        path = self.path.split("?", 1)[0]
        if path == "/version":
            self.send_json(200, {"version": self.server.opts.version, "model": MODEL})
        elif path == "/v2/health/ready":
            self.send_json(200, {"ready": True})
        elif path == "/v2/models/" + MODEL:
            self.send_json(200, {"name": MODEL, "versions": ["1"], "platform": "python",
                                 "inputs": [{"name": "input-0", "datatype": "FP32",
                                             "shape": [-1, -1]}],
                                 "outputs": [{"name": "logits", "datatype": self.server.opts.datatype,
                                              "shape": [-1, CLASSES]},
                                             {"name": "label", "datatype": "INT64", "shape": [-1]}]})
        else:
            self.error(404, "no route %s" % path)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.server.opts.delay_ms:
            time.sleep(self.server.opts.delay_ms / 1000.0)
        try:
            doc = json.loads(body)
        except ValueError as e:
            self.error(400, "bad JSON: %s" % e)
            return
        path = self.path.split("?", 1)[0]
        m2 = re.fullmatch(r"/v2/models/([^/]+)(?:/versions/([^/]+))?/infer", path)
        m1 = re.fullmatch(r"/v1/models/([^/:]+)(?:/versions/([^/:]+))?:predict", path)
        try:
            if path == "/predict":
                self.json_protocol(doc)
            elif m2:
                self.v2(doc, m2.group(1), m2.group(2))
            elif m1:
                self.tf_serving(doc, m1.group(1))
            elif path == "/invocations":
                self.mlflow(doc)
            else:
                self.error(404, "no route %s" % path)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            self.error(400, "bad request: %r" % (e,))

    def json_protocol(self, doc):
        if isinstance(doc, dict) and "instances" in doc:
            self.send_json(200, {"predictions": self.score(doc["instances"])})
        elif isinstance(doc, list):
            self.send_json(200, {"outputs": self.score([doc])})
        else:
            self.error(400, "expected a row or {\"instances\": rows}")

    def v2(self, doc, model, version):
        if model != MODEL:
            self.error(404, "model %s not found" % model)
            return
        inp = doc["inputs"][0]
        shape, data = inp["shape"], inp["data"]
        if data and isinstance(data[0], list):
            rows = data
        else:
            cols = shape[1]
            rows = [data[i:i + cols] for i in range(0, len(data), cols)]
        if len(rows) != shape[0]:
            self.error(400, "shape %s does not match the data" % shape)
            return
        out = self.score(rows)
        flat = [v for r in out for v in r]
        data = out if self.server.opts.nested else flat
        resp = {"model_name": model, "outputs": [
            {"name": "logits", "shape": [len(out), CLASSES],
             "datatype": self.server.opts.datatype, "data": data},
            {"name": "label", "shape": [len(out)], "datatype": "INT64",
             "data": [argmax(r) for r in out]}]}
        if version:
            resp["model_version"] = version
        if "id" in doc:
            resp["id"] = doc["id"]
        self.send_json(200, resp)

    def tf_serving(self, doc, model):
        if model != MODEL:
            self.error(404, "Servable not found for request: Latest(%s)" % model)
            return
        out = self.score(doc["instances"])
        self.send_json(200, {"predictions": [self.prediction(o) for o in out]})

    def mlflow(self, doc):
        if "dataframe_split" in doc:
            rows = doc["dataframe_split"]["data"]
        else:
            rows = doc["inputs"]
        out = self.score(rows)
        self.send_json(200, {"predictions": [self.prediction(o) for o in out]})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128    # the default 5 drops concurrent connects (1 s SYN retries)

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--fewer", action="store_true", help="batch answers lack their last row")
    ap.add_argument("--batch-dependent", action="store_true",
                    help="outputs shift with the batch's size")
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--nested", action="store_true", help="v2 output data nested by shape")
    ap.add_argument("--datatype", default="FP32", choices=["FP32", "FP64"])
    ap.add_argument("--predictions", default="list", choices=["list", "object", "number"])
    ap.add_argument("--version", default="1.4.2")
    ap.add_argument("--max-seconds", type=float, default=300)
    opts = ap.parse_args()

    srv = Server(("127.0.0.1", opts.port), Handler)
    srv.opts = opts
    print(srv.server_address[1], flush=True)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    timer = threading.Timer(opts.max_seconds, stop)
    timer.daemon = True
    timer.start()
    srv.serve_forever(poll_interval=0.1)
    srv.server_close()


if __name__ == "__main__":
    sys.exit(main())
