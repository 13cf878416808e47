#!/usr/bin/env python3
"""client.py: the serving example's tiny HTTP client (standard library).
  client.py preprocess URL   CSV rows on stdin (header first) -> POST URL/preprocess
                             each row -> the model inputs as CSV on stdout
  client.py get URL          GET URL, body to stdout
  client.py record URL       CSV rows on stdin (header first) -> POST URL/predict
                             each row -> the traffic as JSON Lines on stdout
                             ({"request_id", "request", "response"}), a recording
                             for the contract's replay step
"""
import json
import sys
import urllib.request


def post(url, doc):
    req = urllib.request.Request(url, json.dumps(doc).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("preprocess", "get", "record"):
        sys.exit("usage: client.py preprocess|get|record URL")
    cmd, url = sys.argv[1], sys.argv[2].rstrip("/")
    if cmd == "get":
        with urllib.request.urlopen(url, timeout=30) as r:
            sys.stdout.write(r.read().decode())
        return
    lines = [l.strip() for l in sys.stdin if l.strip()]
    if cmd == "record":
        for i, line in enumerate(lines[1:]):
            req = {"features": [float(v) for v in line.split(",")]}
            print(json.dumps({"request_id": "req-%d" % i, "request": req,
                              "response": post(url + "/predict", req)}))
        return
    for line in lines[1:]:
        z = post(url + "/preprocess", {"features": [float(v) for v in line.split(",")]})["features"]
        print(",".join("%.9g" % v for v in z))


if __name__ == "__main__":
    main()
