#!/usr/bin/env python3
"""replay_server: a small fraud model served over HTTP, with faults to switch
on, and a recorder that writes its traffic as a recording for parity's replay
step, in the four formats the step reads. Python standard library only.

  serve  [--fault F] [--max-seconds S]    binds 127.0.0.1, prints the port on
                                         stdout's first line
  features [--fault F]                   requests as JSON Lines on stdin, each
                                         one's features as a JSON array out
  record --fault F --format FMT --rows N -o FILE
                                         starts the server with fault F on a
                                         loopback port, sends it N requests over
                                         HTTP and writes what went in and out

  POST /predict   {"age": 41, "amount": 120.5, "tenure": 3} (null: missing)
                  -> {"label": 0|1, "logits": [l0, l1], "features": [f0, f1, f2],
                      "served_at": time, "trace_id": "..."}
  POST /features  the same request -> [f0, f1, f2], the model's inputs

The model: fill a missing amount with the training median, standardize each
column with the training mean and standard deviation, logits = W f + b,
label = 1 when softmax(logits)[1] > 0.5. Faults:

  affine         amount standardized with another scaler (cents, not dollars)
  swap           age and tenure reach the model in each other's place
  fit_transform  every column standardized with the batch's own statistics
  missing_zero   a missing amount filled with 0, not the median
  float16        logits rounded to float16
  round6         logits written with six significant digits
  threshold      label = 1 when p1 > 0.3 (logits unchanged)
"""
import argparse
import base64
import http.client
import json
import math
import random
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAMES = ["age", "amount", "tenure"]
MEAN = [45.0, 80.0, 8.0]
STD = [12.0, 40.0, 5.0]
MEDIAN_AMOUNT = 72.0
W = [[0.4, -0.8, 0.3], [-0.5, 0.9, -0.2]]
B = [0.1, -0.1]
FAULTS = ["healthy", "affine", "swap", "fit_transform", "missing_zero", "float16", "round6",
          "threshold"]


def rows(n, seed=7):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        amount = None if i % 5 == 3 else round(rng.uniform(5, 300), 2)
        out.append({"age": rng.randint(19, 80), "amount": amount, "tenure": rng.randint(0, 20)})
    return out


def raw(req, fault):
    amount = req.get("amount")
    if amount is None:
        amount = 0.0 if fault == "missing_zero" else MEDIAN_AMOUNT
    return [float(req["age"]), float(amount), float(req["tenure"])]


def batch_stats(batch):
    cols = list(zip(*[raw(r, "fit_transform") for r in batch]))
    mean = [sum(c) / len(c) for c in cols]
    std = [math.sqrt(sum((x - m) ** 2 for x in c) / len(c)) for c, m in zip(cols, mean)]
    return mean, std


def features(req, fault, stats):
    x = raw(req, fault)
    mean, std = stats if fault == "fit_transform" else (MEAN, STD)
    f = [(x[j] - mean[j]) / std[j] for j in range(3)]
    if fault == "affine":       # the amount scaler fitted on cents
        f[1] = (x[1] * 100 - 8000.0) / 4000.0 * 1.25 + 0.5
    if fault == "swap":
        f[0], f[2] = f[2], f[0]
    return f


def f16(x):
    return struct.unpack("<e", struct.pack("<e", x))[0]


def predict(req, fault, stats):
    f = features(req, fault, stats)
    logits = [sum(w * v for w, v in zip(W[k], f)) + B[k] for k in range(2)]
    top = max(logits)
    p1 = math.exp(logits[1] - top) / sum(math.exp(v - top) for v in logits)
    label = int(p1 > (0.3 if fault == "threshold" else 0.5))
    if fault == "float16":
        logits = [f16(v) for v in logits]
    if fault == "round6":
        logits = [float("%.6g" % v) for v in logits]
    return {"label": label, "logits": logits, "features": f,
            "served_at": time.time(), "trace_id": uuid.uuid4().hex}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            req = json.loads(body)
            srv = self.server
            if self.path == "/predict":
                out = predict(req, srv.fault, srv.stats)
            elif self.path == "/features":
                out = features(req, srv.fault, srv.stats)
            else:
                self.send_error(404)
                return
            data = json.dumps(out).encode()
            self.send_response(200)
        except (ValueError, KeyError, TypeError) as e:
            data = json.dumps({"error": str(e)}).encode()
            self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def start(fault, batch):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.fault = fault
    srv.stats = batch_stats(batch) if batch else (MEAN, STD)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def b64(text):
    return base64.b64encode(text.encode()).decode()


def write_jsonl(out, pairs):
    for i, (req, resp) in enumerate(pairs):
        out.write(json.dumps({"request_id": "r-%d" % i, "request": req, "response": resp}) + "\n")


def write_sagemaker(out, pairs):
    for i, (req, resp) in enumerate(pairs):
        cd = {"endpointInput": {"observedContentType": "application/json", "mode": "INPUT",
                                "data": json.dumps(req), "encoding": "JSON"}}
        if resp is not None:   # BASE64 and JSON outputs, as Data Capture writes either
            text = json.dumps(resp)
            cd["endpointOutput"] = {"observedContentType": "application/json", "mode": "OUTPUT",
                                    "data": b64(text) if i % 2 else text,
                                    "encoding": "BASE64" if i % 2 else "JSON"}
        out.write(json.dumps({"captureData": cd, "eventMetadata": {
            "eventId": "e-%d" % i, "inferenceTime": "2026-12-03T10:00:%02dZ" % (i % 60)},
            "eventVersion": "0"}) + "\n")


def event(i, kind, payload, encoded):
    ev = {"specversion": "1.0", "id": "ce-%d" % i, "source": "http://localhost:9081/",
          "type": "org.kubeflow.serving.inference." + kind,
          "datacontenttype": "application/json", "time": "2026-12-03T10:00:00Z",
          "inferenceservicename": "fraud", "endpoint": "default"}
    if encoded:
        ev["data_base64"] = b64(json.dumps(payload))
    else:
        ev["data"] = payload
    return json.dumps(ev)


def write_cloudevents(out, pairs):
    # the logger writes a request when it comes and its response when it goes:
    # responses here trail their requests by up to two records
    waiting = []
    for i, (req, resp) in enumerate(pairs):
        out.write(event(i, "request", req, False) + "\n")
        if resp is not None:
            waiting.append(event(i, "response", resp, i % 2 == 1))
        if len(waiting) > 2 or i == len(pairs) - 1:
            for line in waiting:
                out.write(line + "\n")
            waiting = []


def write_har(out, pairs, port):
    entries = []
    for i, (req, resp) in enumerate(pairs):
        body = json.dumps(req)
        content = {"size": 0, "mimeType": "application/json"}
        if resp is not None:
            text = json.dumps(resp)
            content = {"size": len(text), "mimeType": "application/json",
                       "text": b64(text) if i % 2 else text}
            if i % 2:
                content["encoding"] = "base64"
        entries.append({
            "startedDateTime": "2026-12-03T10:00:00.000Z", "time": 1.0,
            "request": {"method": "POST", "url": "http://127.0.0.1:%d/predict" % port,
                        "httpVersion": "HTTP/1.1", "cookies": [], "queryString": [],
                        "headers": [{"name": "Content-Type", "value": "application/json"}],
                        "headersSize": -1, "bodySize": len(body),
                        "postData": {"mimeType": "application/json", "text": body}},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                         "cookies": [], "headers": [], "content": content, "redirectURL": "",
                         "headersSize": -1, "bodySize": content["size"]},
            "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}})
    json.dump({"log": {"version": "1.2", "creator": {"name": "replay_server", "version": "1"},
                       "entries": entries}}, out)


def record(args):
    batch = rows(args.rows)
    srv = start(args.fault, batch)
    port = srv.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port)
    pairs = []
    for req in batch:
        conn.request("POST", "/predict", json.dumps(req), {"Content-Type": "application/json"})
        r = conn.getresponse()
        pairs.append((req, json.loads(r.read())))
    if args.drop_last:          # one more request whose response was never logged
        pairs.append((rows(args.rows + 1)[-1], None))
    srv.shutdown()
    with open(args.output, "w") as out:
        if args.format == "jsonl":
            write_jsonl(out, pairs)
        elif args.format == "sagemaker":
            write_sagemaker(out, pairs)
        elif args.format == "cloudevents":
            write_cloudevents(out, pairs)
        else:
            write_har(out, pairs, port)


def features_cmd(args):
    # the features step of another environment, as a command: requests as
    # JSON Lines on stdin, one feature vector per line out
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(features(json.loads(line), args.fault, (MEAN, STD))))


def serve(args):
    srv = start(args.fault, rows(args.rows) if args.fault == "fit_transform" else None)
    print(srv.server_address[1], flush=True)
    time.sleep(args.max_seconds)
    srv.shutdown()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--fault", choices=FAULTS, default="healthy")
    s.add_argument("--rows", type=int, default=100)
    s.add_argument("--max-seconds", type=float, default=300)
    r = sub.add_parser("record")
    r.add_argument("--fault", choices=FAULTS, default="healthy")
    r.add_argument("--format", choices=["jsonl", "sagemaker", "cloudevents", "har"], default="jsonl")
    r.add_argument("--rows", type=int, default=100)
    r.add_argument("--drop-last", action="store_true",
                   help="add a request whose response is missing")
    r.add_argument("-o", "--output", required=True)
    f = sub.add_parser("features")
    f.add_argument("--fault", choices=FAULTS, default="healthy")
    args = ap.parse_args()
    {"serve": serve, "record": record, "features": features_cmd}[args.cmd](args)


if __name__ == "__main__":
    main()
