#!/usr/bin/env bash
# http.t: the `http` step kind (and `inference` over HTTP) through the real
# binary against tests/e2e/servers/model_server.py on 127.0.0.1: statuses,
# JSON Pointer matchers, latency metrics, status across environments,
# refused connections, secrets in headers masked in every report, TLS with
# a certificate made here, retries on 500 counted, and load-time errors
# with their exact text. Every server started here is stopped at exit.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
no_shared_note || exit 1
export PARITY NO_COLOR=1 PARITY_TODAY=2026-11-22
server="$here/servers/model_server.py"

tmp=$(mktemp -d) || exit 1
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
# proxies from the environment must not intercept loopback requests
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

echo "1..12"
n=0
point() { # point OK|FAIL|SKIP description [file of diagnostic lines | skip reason]
	n=$((n + 1))
	case $1 in
	OK) echo "ok $n - $2" ;;
	SKIP) echo "ok $n - $2 # SKIP ${3:-}"; return ;;
	*) echo "not ok $n - $2" ;;
	esac
	if [ -n "${3:-}" ] && [ -s "$3" ]; then sed 's/^/# /' "$3" | head -60; fi
}
# check DESCRIPTION COMMAND...: one point, the command's output as comments on failure
check() {
	local what=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then point OK "$what"; else point FAIL "$what" "$tmp/out"; fi
}

# start NAME [FLAGS...]: starts a server, sets $NAME_port; on failure the port is 0
start() {
	local name=$1 port=""
	shift
	"$PY" "$server" --port 0 --max-seconds 300 "$@" >"$tmp/$name.port" 2>"$tmp/$name.err" &
	pids+=($!)
	for _ in $(seq 100); do
		port=$(head -1 "$tmp/$name.port" 2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.1
	done
	printf -v "${name}_port" '%s' "${port:-0}"
}

# closed_port: a loopback port where nothing listens
closed_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# run_case DIR ARGS...: runs parity in DIR; stdout, stderr and status in DIR/.out .err .rc
run_case() {
	local dir=$1
	shift
	(cd "$dir" && "$PARITY" "$@" >.out 2>.err </dev/null)
	echo $? >"$dir/.rc"
}

# report_has FILE PYTHON: asserts over the JSON report r (helpers: chk(step, name))
report_has() {
	"$PY" - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def step(sid):
    return next(s for s in r["steps"] if s["id"] == sid)
def chk(sid, name):
    for c in step(sid)["checks"]:
        if c["name"] == name:
            return c
    raise AssertionError("no check %r in step %r; checks: %s" % (name, sid,
        [c["name"] for c in step(sid)["checks"]]))
exec(sys.argv[2])
PY
}

start ok
start down --status-for-path /health=503
start flaky --fail-every 50
start flaky2 --fail-every 37

# ---- 1. statuses
d=$tmp/status; mkdir -p "$d"
cat >"$d/c.yaml" <<EOF
parity: 1
name: status
environments:
  staging: {url: "http://127.0.0.1:$ok_port"}
steps:
  - id: health
    http: {request: {path: /health}}
  - id: missing
    http: {request: {path: /missing}}
  - id: gone-on-purpose
    http: {request: {path: /missing}, status: {one_of: [404, 410]}}
  - id: head
    http: {request: {method: HEAD, path: /health}, status: {min: 200, max: 299}}
EOF
run_case "$d" run c.yaml --report json:r.json
status_ok() {
	[ "$(cat "$d/.rc")" = 1 ] || { echo "exit status $(cat "$d/.rc"), expected 1"; cat "$d/.err"; return 1; }
	report_has "$d/r.json" '
assert step("health")["status"] == "pass", step("health")
c = chk("missing", "staging: status")
assert c["status"] == "fail" and c["message"] == "status does not match the pin", c
assert c["expected"] == "\"200\"" and c["actual"] == "404", c
assert c["detail"] == "body: {\"error\": \"no route /missing\"}", c
assert step("gone-on-purpose")["status"] == "pass", step("gone-on-purpose")
assert step("head")["status"] == "pass", step("head")
assert r["summary"]["first_divergence"]["stage"] == "service", r["summary"]
'
}
check "status: 200 passes, 404 fails with the body in the detail, one_of and min/max matchers" status_ok

# ---- 2. JSON Pointer matchers
d=$tmp/json; mkdir -p "$d"
cat >"$d/c.yaml" <<EOF
parity: 1
name: json
environments:
  staging: {url: "http://127.0.0.1:$ok_port"}
steps:
  - id: model
    http:
      request: {path: /health}
      json:
        /model/version: {regex: "^1\\\\.4\\\\."}
        /status: ok
        /model/name: scorer
        /model/missing: 1
        /model: '{"name":"fraud","version":"1.4.2"}'
  - id: text
    http: {request: {path: /text}, json: {/status: ok}}
  - id: big
    http: {request: {path: /big}, json: {/outputs/0/0: 0.5}}
  - id: posted
    http:
      request: {method: POST, path: /echo, body: '{"features": [1, 2.5]}'}
      json: {/headers/Content-Type: application/json, /body: '{"features": [1, 2.5]}'}
EOF
run_case "$d" run c.yaml --report json:r.json
json_ok() {
	[ "$(cat "$d/.rc")" = 1 ] || { echo "exit status $(cat "$d/.rc"), expected 1"; cat "$d/.err"; return 1; }
	report_has "$d/r.json" '
assert chk("model", "staging: json /model/version")["status"] == "pass"
assert chk("model", "staging: json /status")["status"] == "pass"
assert chk("model", "staging: json /model")["status"] == "pass", chk("model", "staging: json /model")
c = chk("model", "staging: json /model/name")
assert c["status"] == "fail" and c["actual"] == "fraud" and c["expected"] == "\"scorer\"", c
c = chk("model", "staging: json /model/missing")
assert c["status"] == "fail" and c["message"].startswith("\x27/model/missing\x27 not found: "), c
c = chk("text", "staging: json /status")
assert c["status"] == "fail", c
assert c["message"] == "the response is not JSON (content type text/plain)", c
assert c["actual"] == "plain text\\n", c
c = chk("big", "staging: json /outputs/0/0")
assert c["status"] == "fail" and c["message"] == "the response is too large to read as JSON", c
assert step("posted")["status"] == "pass", step("posted")
'
}
check "json: pointer matchers pass and fail, a missing pointer, a body that is not JSON, one too large" json_ok

# ---- 3. latency
d=$tmp/latency; mkdir -p "$d"
cat >"$d/c.yaml" <<EOF
parity: 1
name: latency
environments:
  staging: {url: "http://127.0.0.1:$ok_port"}
  production: {url: "http://127.0.0.1:$ok_port/"}
steps:
  - id: fast-enough
    http: {request: {path: /health}, latency: {requests: 12, p50_ms: 10000, p95_ms: 10000}}
  - id: impossible
    http: {request: {path: /health}, latency: {requests: 5, p99_ms: 0}}
EOF
run_case "$d" run c.yaml --report json:r.json --save-facts facts
latency_ok() {
	[ "$(cat "$d/.rc")" = 1 ] || { echo "exit status $(cat "$d/.rc"), expected 1"; cat "$d/.err"; return 1; }
	report_has "$d/r.json" '
for sid in ("fast-enough", "impossible"):
    for env in ("staging", "production"):
        m = step(sid)["metrics"][env]
        assert set(m) >= {"p50_ms", "p95_ms", "p99_ms"}, m
        assert 0 < m["p50_ms"] <= m["p95_ms"] <= m["p99_ms"], m
c = chk("fast-enough", "production: latency p95")
assert c["status"] == "pass" and c["expected"] == "<= 10000 ms", c
assert c["message"].endswith(" ms <= 10000 ms over 12 requests"), c
c = chk("impossible", "staging: latency p99")
assert c["status"] == "fail" and c["message"].endswith(" ms > 0 ms over 5 requests"), c
names = [c["name"] for c in step("impossible")["checks"]]
assert "staging: latency p50" not in names, names
'
	"$PY" - "$d/facts/staging.facts.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["steps"]["fast-enough"]
lat = f["value"]["latency"]
assert lat["requests"] == 12 and set(lat) == {"requests", "p50_ms", "p95_ms", "p99_ms"}, lat
assert f["value"]["status"] == 200 and f["value"]["content_type"] == "application/json", f
PY
}
check "latency: p50/p95/p99 in the JSON report's metrics and in facts, bounds pass and fail" latency_ok

# ---- 4. the status across environments
d=$tmp/same; mkdir -p "$d"
cat >"$d/c.yaml" <<EOF
parity: 1
name: same
environments:
  staging: {url: "http://127.0.0.1:$ok_port"}
  production: {url: "http://127.0.0.1:$down_port"}
steps:
  - id: health
    http: {request: {path: /health}, status: {min: 200, max: 599}}
EOF
run_case "$d" run c.yaml --report json:r.json
same_ok() {
	[ "$(cat "$d/.rc")" = 1 ] || { echo "exit status $(cat "$d/.rc"), expected 1"; cat "$d/.err"; return 1; }
	report_has "$d/r.json" '
assert chk("health", "production: status")["status"] == "pass"
c = chk("health", "production: same status as staging")
assert c["status"] == "fail" and c["message"] == "status 503 differs from staging\x27s 200", c
assert c["expected"] == "200" and c["actual"] == "503", c
'
}
check "same status: a 503 in production differs from staging's 200 even when both are allowed" same_ok

# ---- 5. no server, no url
refused=$(closed_port)
d=$tmp/refused; mkdir -p "$d"
cat >"$d/c.yaml" <<EOF
parity: 1
name: refused
environments:
  staging: {url: "http://127.0.0.1:$refused"}
  production: {}
steps:
  - id: health
    http: {request: {path: /health}}
EOF
run_case "$d" run c.yaml --report json:r.json
refused_ok() {
	[ "$(cat "$d/.rc")" = 1 ] || { echo "exit status $(cat "$d/.rc"), expected 1"; cat "$d/.err"; return 1; }
	REFUSED=$refused report_has "$d/r.json" '
import os
c = chk("health", "staging: run")
want = "could not run in staging: cannot reach http://127.0.0.1:%s/health: " % os.environ["REFUSED"]
assert c["status"] == "error" and c["message"].startswith(want), c
c = chk("health", "production: run")
assert c["message"] == "could not run in production: environment \x27production\x27 has no \x27url\x27", c
'
}
check "errors: a refused connection names the URL, an environment without url says so" refused_ok

# ---- 6. secrets in headers
d=$tmp/secrets; mkdir -p "$d"
cat >"$d/c.yaml" <<EOF
parity: 1
name: secrets
environments:
  staging:
    url: "http://127.0.0.1:$ok_port"
    headers: {Authorization: "Bearer \${env.PARITY_HTTP_TOKEN}"}
  production:
    url: "http://127.0.0.1:$ok_port"
    headers: {Authorization: "Bearer \${env.PARITY_HTTP_TOKEN}"}
  broken: {url: "http://127.0.0.1:$(closed_port)"}
steps:
  - id: echo
    only: [staging, production]
    http:
      request: {path: /echo, headers: {X-Api-Key: "\${env.PARITY_HTTP_KEY}", X-Env: "\${environment}"}}
      body: {regex: "never matches"}
  - id: echo-json
    only: [staging, production]
    http:
      request: {path: /echo, headers: {X-Api-Key: "k-\${env.PARITY_HTTP_KEY}"}}
      json: {/headers/Authorization: "Bearer wrong", /headers/X-Api-Key: "k-nope"}
  - id: refused-with-secret
    only: [broken]
    http: {request: {path: "/health?key=\${env.PARITY_HTTP_KEY}"}}
EOF
(cd "$d" && PARITY_HTTP_TOKEN=tok-5ecr3t-value PARITY_HTTP_KEY=key-5ecr3t-value "$PARITY" run c.yaml \
	--report json:r.json --report tap:r.tap --report tap13:r.tap13 --report junit:r.xml \
	--report markdown:r.md --save-facts facts >.out 2>.err </dev/null)
echo $? >"$d/.rc"
secrets_ok() {
	[ "$(cat "$d/.rc")" = 1 ] || { echo "exit status $(cat "$d/.rc"), expected 1"; cat "$d/.err"; return 1; }
	if grep -r -l -e 'tok-5ecr3t-value' -e 'key-5ecr3t-value' "$d"; then
		echo "a secret appears in the files above"
		return 1
	fi
	report_has "$d/r.json" '
c = chk("echo-json", "staging: json /headers/Authorization")
assert c["status"] == "fail" and c["actual"] == "Bearer ***", c
assert chk("echo-json", "production: json /headers/X-Api-Key")["actual"] == "k-***"
c = chk("echo", "staging: body")
assert "\"X-Api-Key\": \"***\"" in c["actual"] and "\"X-Env\": \"staging\"" in c["actual"], c
c = chk("refused-with-secret", "broken: run")
assert c["status"] == "error" and "/health?key=***: " in c["message"], c
'
	grep -q 'Bearer \*\*\*' "$d/facts/staging.facts.json" || { echo "no masked header in facts"; return 1; }
}
check "secrets: \${env.X} header values never appear in reports, facts, stdout or stderr" secrets_ok
reports_ok() {
	local f bad=0
	for f in "$d/r.json" "$d/r.tap" "$d/r.tap13" "$d/r.xml" "$d"/facts/*.facts.json; do
		validate "$f" || { echo "invalid: $f"; bad=1; }
	done
	return $bad
}
check "secrets: every report of that run is valid for its format" reports_ok

# ---- 7. TLS with a certificate made here
d=$tmp/tls; mkdir -p "$d"
if ! command -v openssl >/dev/null 2>&1; then
	point SKIP "tls: verify against the contract's ca, fail without it, pass with verify false" "openssl not found"
elif ! openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext "subjectAltName=IP:127.0.0.1" -keyout "$d/key.pem" -out "$d/cert.pem" \
		>"$d/openssl.log" 2>&1; then
	point SKIP "tls: verify against the contract's ca, fail without it, pass with verify false" \
		"openssl req failed: $(head -1 "$d/openssl.log")"
else
	start tls --tls-cert "$d/cert.pem" --tls-key "$d/key.pem"
	cat >"$d/c.yaml" <<EOF
parity: 1
name: tls
environments:
  pinned-ca: {url: "https://127.0.0.1:$tls_port", tls: {ca: cert.pem, verify: true}}
  system-ca: {url: "https://127.0.0.1:$tls_port"}
  unverified: {url: "https://127.0.0.1:$tls_port", tls: {verify: false}}
steps:
  - id: health
    http: {request: {path: /health}, json: {/status: ok}}
EOF
	run_case "$d" run c.yaml --report json:r.json
	tls_ok() {
		[ "$(cat "$d/.rc")" = 1 ] || { echo "exit status $(cat "$d/.rc"), expected 1"; cat "$d/.err"; return 1; }
		TLS_PORT=$tls_port report_has "$d/r.json" '
import os
assert chk("health", "pinned-ca: json /status")["status"] == "pass"
assert chk("health", "unverified: json /status")["status"] == "pass"
c = chk("health", "system-ca: run")
want = "could not run in system-ca: cannot reach https://127.0.0.1:%s/health: " % os.environ["TLS_PORT"]
assert c["status"] == "error" and c["message"].startswith(want), c
assert "certificate" in c["message"], c
'
	}
	check "tls: verify against the contract's ca, fail without it, pass with verify false" tls_ok
fi

# ---- 8. inference over HTTP: 2000 rows at concurrency 8, retries on 500 counted
d=$tmp/inference; mkdir -p "$d"
"$PY" - "$d/golden.csv" <<'PY'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("a,b,c,d\n")
    for r in range(2000):
        f.write(",".join(repr(math.sin(r * 4 + c) * 3) for c in range(4)) + "\n")
PY
cat >"$d/c.yaml" <<EOF
parity: 1
name: scoring
environments:
  staging: {url: "http://127.0.0.1:$flaky_port"}
  production: {url: "http://127.0.0.1:$flaky2_port"}
steps:
  - id: equivalence
    timeout: 120s
    inference:
      inputs: golden.csv
      http: {path: /predict, output: /outputs/0, concurrency: 8, retries: 3}
      tolerance: {max_abs_diff: 0}
EOF
run_case "$d" run c.yaml --report json:r.json --save-facts facts
inference_ok() {
	[ "$(cat "$d/.rc")" = 0 ] || { echo "exit status $(cat "$d/.rc"), expected 0"; cat "$d/.out" "$d/.err"; return 1; }
	"$PY" - "$d/facts" <<'PY'
import json, sys
for env, every in (("staging", 50), ("production", 37)):
    v = json.load(open("%s/%s.facts.json" % (sys.argv[1], env)))["steps"]["equivalence"]["value"]
    assert v["rows"] == 2000, v["rows"]
    assert v["outputs"]["shape"] == [2000, 3], v["outputs"]["shape"]  # packed: 4096+ values
    # every Nth request fails: at least 2000/N retries, each one counted as a request
    assert v["retries"] >= 2000 // every, (env, v["retries"])
    assert v["requests"] == 2000 + v["retries"], (env, v["requests"], v["retries"])
    assert v["http_version"] == "1.1", v["http_version"]
PY
}
if grep -q "not supported yet" "$d/.err" 2>/dev/null; then
	point SKIP "inference over http: 2000 rows at concurrency 8, retries on 500 counted" "the inference kind is not in this build"
else
	check "inference over http: 2000 rows at concurrency 8, retries on 500 counted" inference_ok
fi

# ---- 9. load-time errors, exact text
d=$tmp/invalid; mkdir -p "$d"
cat >"$d/c.yaml" <<'EOF'
parity: 1
name: invalid
environments: {staging: {url: "http://127.0.0.1:1"}}
steps:
  - id: a
    http: {request: {path: /x, verb: GET}}
  - id: b
    http: {request: {method: GTE, path: /x}}
  - id: c
    http: {request: {path: x}}
  - id: d
    http: {body: ok, json: {/a: 1}}
  - id: e
    http: {json: {a: 1}}
  - id: f
    http: {latency: {requests: 0}}
  - id: g
    http: {latency: {p95_ms: fast}}
  - id: h
    http: {latency: {p95: 10}}
  - id: i
    http: {request: {method: post}}
EOF
run_case "$d" validate c.yaml
cat >"$d/want" <<'EOF'
c.yaml:6:32: error: unknown key 'verb' in 'request' of http step 'a' (known keys: method, path, body, headers)
c.yaml:8:30: error: unknown HTTP method 'GTE' (did you mean 'GET'?)
c.yaml:10:28: error: 'path' must start with '/' (it is appended to the environment's url), got 'x'
c.yaml:12:28: error: http step 'd' has both 'body' and 'json': match the whole body, or values in it by JSON Pointer, not both
c.yaml:14:19: error: invalid JSON Pointer 'a': it must be empty or start with '/' (the keys of 'json' are JSON Pointers, like "/model/version")
c.yaml:16:32: error: 'requests' must be from 1 to 10000, got 0
c.yaml:18:30: error: 'p95_ms' must be a number of milliseconds >= 0, got fast
c.yaml:20:22: error: unknown key 'p95' in 'latency' of http step 'h' (known keys: requests, p50_ms, p95_ms, p99_ms, p50_ratio, p95_ratio, p99_ratio)
c.yaml:22:30: error: unknown HTTP method 'post' (did you mean 'POST'?)
9 errors
EOF
invalid_ok() {
	[ "$(cat "$d/.rc")" = 2 ] || { echo "exit status $(cat "$d/.rc"), expected 2"; cat "$d/.err"; return 1; }
	local f
	while IFS= read -r f; do
		grep -q -F -- "$f" "$d/.err" || { echo "missing: $f"; echo "stderr was:"; cat "$d/.err"; return 1; }
	done <"$d/want"
}
check "validate: http step errors name the place and say what is wrong" invalid_ok

# ---- 10. nothing left running
alive_ok() {
	local p
	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null || { echo "server $p died during the tests:"; cat "$tmp"/*.err; return 1; }
	done
}
check "the test servers ran until the end" alive_ok
stopped_ok() {
	local p i bad=0
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		for i in $(seq 1 40); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$p" 2>/dev/null; then
			echo "server $p still running 2 s after SIGTERM"
			kill -KILL "$p" 2>/dev/null
			bad=1
		fi
		wait "$p" 2>/dev/null
	done
	pids=()
	return $bad
}
check "every test server is stopped" stopped_ok
