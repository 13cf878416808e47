#!/usr/bin/env python3
"""model_server: a small JSON model server for parity's HTTP tests, on the
Python standard library only. It binds to 127.0.0.1, prints the chosen port
on stdout's first line, and exits by itself after --max-seconds so that a
test that dies cannot leave it running.

  POST /predict   a JSON array of numbers, or {"features": [...], "index": i}
                  -> {"outputs": [[p0, p1, p2]], "model": "fraud", "version": "1.4.2"}
                  p = softmax(W x + b), a fixed linear model, deterministic
  GET  /health    {"status": "ok", "model": {"name": "fraud", "version": "1.4.2"}}
  GET  /echo      {"headers": {...}}: the request's headers
  GET  /big       a 20 MiB JSON document
  GET  /stats     {"requests": n, "connections": m}: served so far
"""
import argparse
import json
import math
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLASSES = 3


def weight(k, i):
    return (((k + 1) * (i + 2)) % 7 - 3) / 5.0


def predict(row, bias):
    logits = [sum(x * weight(k, i) for i, x in enumerate(row)) + 0.1 * k + bias
              for k in range(CLASSES)]
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def big_document():
    # about 20 MiB: {"outputs": [[0.5, ...]], "pad": "xxxx..."}
    return json.dumps({"outputs": [[0.5, 0.25, 0.25]], "pad": "x" * (20 << 20)}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive
    server_version = "model_server/1"
    # headers and body go out in two writes: without TCP_NODELAY the second
    # waits for the client's delayed ACK (40 ms a response)
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def count(self):
        srv = self.server
        with srv.lock:
            srv.requests += 1
            return srv.requests

    def send_json(self, status, doc, raw=None):
        data = raw if raw is not None else json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def route(self):
        """The path asked for, without the query. A request through a proxy
        names the whole URL (absolute form, RFC 9112 3.2.2): this server
        plays the proxy and the origin at once."""
        target = self.path
        if target.startswith(("http://", "https://")):
            rest = target.split("/", 3)
            target = "/" + (rest[3] if len(rest) > 3 else "")
        return target.split("?", 1)[0]

    def common(self):
        """Counting, delays and injected failures; True when answered."""
        n = self.count()
        opts = self.server.opts
        if opts.delay_ms:
            time.sleep(opts.delay_ms / 1000.0)
        path = self.route()
        if path in opts.status_for:
            self.send_json(opts.status_for[path], {"error": "status %d for %s" % (opts.status_for[path], path)})
            return True
        if opts.fail_every and n % opts.fail_every == 0:
            self.send_json(500, {"error": "injected failure %d" % n})
            return True
        return False

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.common():
            return
        path = self.route()
        if path == "/health":
            self.send_json(200, {"status": "ok", "model": {"name": "fraud", "version": self.server.opts.version}})
        elif path == "/echo":
            self.send_json(200, {"headers": {k: v for k, v in self.headers.items()}})
        elif path == "/target":
            self.send_json(200, {"target": self.path})
        elif path == "/big":
            self.send_json(200, None, raw=big_document())
        elif path == "/stats":
            self.send_json(200, {"requests": self.server.requests,
                                 "connections": self.server.connections})
        elif path == "/text":
            data = b"plain text\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self.send_json(404, {"error": "no route %s" % path})

    do_HEAD = do_GET

    def do_POST(self):
        body = self.read_body()
        if self.common():
            return
        path = self.route()
        if path == "/echo":
            self.send_json(200, {"headers": {k: v for k, v in self.headers.items()},
                                 "body": body.decode("utf-8", "replace")})
            return
        if path != "/predict":
            self.send_json(404, {"error": "no route %s" % path})
            return
        try:
            doc = json.loads(body)
        except ValueError as e:
            self.send_json(400, {"error": "bad JSON: %s" % e})
            return
        index = None
        if isinstance(doc, dict):
            index = doc.get("index")
            doc = doc.get("features")
        if not isinstance(doc, list) or not all(isinstance(x, (int, float)) or x is None for x in doc):
            self.send_json(400, {"error": "expected an array of numbers"})
            return
        opts = self.server.opts
        if opts.big:
            self.send_json(200, None, raw=big_document())
            return
        row = [0.0 if x is None else float(x) for x in doc]
        out = predict(row, opts.bias)
        if opts.short_row is not None and index == opts.short_row:
            out = out[:-1]
        if opts.string_output:
            out = "not numbers"
        self.send_json(200, {"outputs": [out], "model": "fraud", "version": opts.version})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a client that hangs up early (a response cap, a timeout) is expected
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)


def status_pair(text):
    path, _, code = text.rpartition("=")
    if not path.startswith("/"):
        raise argparse.ArgumentTypeError("write PATH=STATUS, like /predict=503")
    return path, int(code)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    ap.add_argument("--fail-every", type=int, default=0, help="answer 500 to every Nth request")
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--status-for-path", type=status_pair, action="append", default=[],
                    metavar="PATH=STATUS")
    ap.add_argument("--big", action="store_true", help="/predict answers 20 MiB")
    ap.add_argument("--short-row", type=int, default=None,
                    help="the row whose body says this index gets one output less")
    ap.add_argument("--string-output", action="store_true", help="outputs are a string")
    ap.add_argument("--bias", type=float, default=0.0, help="added to every logit")
    ap.add_argument("--version", default="1.4.2", help="the model version reported")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--max-seconds", type=float, default=300, help="exit after this long")
    opts = ap.parse_args()
    opts.status_for = dict(opts.status_for_path)

    srv = Server(("127.0.0.1", opts.port), Handler)
    srv.opts = opts
    srv.requests = 0
    srv.connections = 0
    srv.lock = threading.Lock()
    if opts.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opts.tls_cert, opts.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
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
