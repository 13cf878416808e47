#!/usr/bin/env bash
# html.t: the serving example's HTML report in a real browser: headless
# Chromium renders it to a PNG (the screenshot a sign-off note shows) and
# dumps the DOM it built; the page must say the verdict, the first
# divergence and the sign-off facts, and hold its plots as SVG elements with
# data. HTML_PNG=FILE keeps the screenshot.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
	echo "1..0 # SKIP chromium not installed (scripts/deps.sh installs it)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..4"

NO_COLOR=1 sh "$top/examples/serving/run.sh" "$PARITY" different-threshold \
	--report "html:$tmp/report.html" --report "json:$tmp/report.json" --quiet \
	> "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
if [ "$rc" = 1 ] && [ -s "$tmp/report.html" ]; then
	echo "ok 1 - the serving example writes an HTML report (exit 1: post-processing divergence)"
else
	echo "not ok 1 - the serving example writes an HTML report (exit $rc)"
	sed 's/^/# /' "$tmp/stderr" | head -20
fi

# headless: no sandbox (containers), a profile of its own, bounded in time
browse() {
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$tmp/profile" "$@" "file://$tmp/report.html" 2> "$tmp/chromium.log"
}

browse --screenshot="$tmp/report.png" --window-size=1280,2000 > /dev/null
size=$($PY - "$tmp/report.png" <<'PY' 2>&1
import struct, sys
d = open(sys.argv[1], "rb").read(32)
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
print("%dx%d" % struct.unpack(">II", d[16:24]))
PY
)
if [ "$size" = 1280x2000 ]; then
	echo "ok 2 - chromium renders it to a 1280x2000 PNG"
	[ -n "${HTML_PNG:-}" ] && cp "$tmp/report.png" "$HTML_PNG"
else
	echo "not ok 2 - chromium renders it to a 1280x2000 PNG: $size"
	sed 's/^/# /' "$tmp/chromium.log" | tail -10
fi

browse --dump-dom > "$tmp/dom.html"
# the page's text, as the browser parsed it
out=$($PY - "$tmp/dom.html" "$tmp/report.json" <<'PY'
import html.parser, json, sys
class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.parts = []; self.skip = 0
    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "title") and 1 or 0
    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "title") and 1 or 0
    def handle_data(self, d):
        if not self.skip: self.parts.append(d)
p = Text(); p.feed(open(sys.argv[1]).read())
text = " ".join(" ".join(p.parts).split())
doc = json.load(open(sys.argv[2]))
want = ["parity: fraud-scorer", "gate: FAIL",
        "first divergence: postprocess (step 'served-decisions'): decisions differ while model outputs agree",
        "8 passed, 1 failed, 0 errors", "served-decisions", "first divergence",
        "max_abs_diff 1 > 0", "Sign-off", doc["contract"]["sha256"], "runner 0.1.0",
        "staging (baseline)", "Waivers none", "signed off by"]
for w in want:
    if w not in text:
        print("the page lacks: %s" % w)
PY
)
if [ -z "$out" ]; then
	echo "ok 3 - the rendered page says the verdict, the first divergence and the sign-off"
else
	echo "not ok 3 - the rendered page says the verdict, the first divergence and the sign-off"
	printf '%s\n' "$out" | sed 's/^/# /'
fi

# the plots, as SVG elements with data, in the DOM chromium built
out=$($PY - "$tmp/dom.html" <<'PY'
import html.parser, sys
class Plots(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.plot = None; self.marks = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "data-plot" in a:
            self.plot = a["data-plot"]; self.marks.setdefault(self.plot, []).append(0)
        elif self.plot and tag in ("rect", "circle") and "data-value" in a:
            self.marks[self.plot][-1] += 1
    def handle_endtag(self, tag):
        if tag == "svg": self.plot = None
p = Plots(); p.feed(open(sys.argv[1]).read())
# plot kind: (figures, data marks in each at least)
want = {"histogram": (3, 17), "scores": (2, 100), "psi": (1, 20)}
for kind, (figs, marks) in want.items():
    got = p.marks.get(kind, [])
    if len(got) != figs or min(got, default=0) < marks:
        print("%s: %d figures with %s data marks, expected %d with %d or more" % (kind, len(got), got, figs, marks))
PY
)
if [ -z "$out" ]; then
	echo "ok 4 - the plots are there: |diff| histograms, scores against the threshold, PSI bins"
else
	echo "not ok 4 - the plots are there"
	printf '%s\n' "$out" | sed 's/^/# /'
fi
