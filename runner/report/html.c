/* html: one self-contained page for release sign-off and nightly audits:
 * the verdict first, a card per step with its checks and the plots drawn
 * from the step's metrics (inline SVG), the run history's sparklines, and
 * the sign-off block. Inline CSS with a print layout; no script, no font
 * or image fetched from anywhere, so it opens from disk or an artifact store. */
#include "report/report.h"
#include "util/buf.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DETAIL_CHARS 4000
#define VALUE_CHARS 600
#define MAX_BARS 60             /* bars a chart draws at most */
#define HISTORY_DEPTH 3         /* levels of the history object walked below a step */

/* Plot geometry: the SVG's box and the plotting area inside it. */
#define PW 480
#define PH 200
#define ML 52
#define MR 14
#define MT 22
#define MB 40
#define AW (PW - ML - MR)
#define AH (PH - MT - MB)

static const char css[] =
	":root{--pass:#1a7f37;--fail:#cf222e;--error:#9a6700;--skip:#6e7781;"
	"--waived:#8250df;--warn:#bf8700;--ink:#1f2328;--mute:#59636e;--line:#d1d9e0}"
	"*{box-sizing:border-box}"
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"color:var(--ink);margin:0 auto;max-width:1120px;padding:16px 20px}"
	"h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:.2em 0}"
	"h3{font-size:1em;margin:.8em 0 .3em}"
	"code,pre{font:13px/1.4 ui-monospace,'DejaVu Sans Mono',monospace}"
	"pre{background:#f6f8fa;border:1px solid var(--line);padding:8px;overflow-x:auto;"
	"white-space:pre;margin:.3em 0;max-width:100%}"
	"tr.detail td{border-bottom:1px solid var(--line)}"
	".verdict{border:2px solid var(--line);border-radius:8px;padding:12px 16px;margin:12px 0}"
	".verdict.pass{border-color:var(--pass);background:#dafbe1}"
	".verdict.fail{border-color:var(--fail);background:#ffebe9}"
	".gate{font-size:1.6em;font-weight:700;margin:0}"
	".verdict.pass .gate{color:var(--pass)}.verdict.fail .gate{color:var(--fail)}"
	".diagnosis{font-size:1.1em;font-weight:600;margin:.3em 0}"
	".muted{color:var(--mute)}"
	".overview{list-style:none;padding:0;margin:.5em 0;columns:2}"
	".overview li{break-inside:avoid}"
	".badge{display:inline-block;min-width:4.5em;text-align:center;font-size:.8em;"
	"font-weight:700;border-radius:4px;padding:0 6px;color:#fff;background:var(--skip)}"
	".badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}"
	".badge.error{background:var(--error)}.badge.waived{background:var(--waived)}"
	".badge.warning{background:var(--warn)}"
	".card{border:1px solid var(--line);border-left:6px solid var(--skip);border-radius:6px;"
	"padding:10px 14px;margin:12px 0;break-inside:avoid-page}"
	".card.pass{border-left-color:var(--pass)}.card.fail{border-left-color:var(--fail)}"
	".card.error{border-left-color:var(--error)}.card.waived{border-left-color:var(--waived)}"
	".card.warning{border-left-color:var(--warn)}"
	".note{font-weight:600}.note.first{color:var(--fail)}"
	"table{border-collapse:collapse;margin:.3em 0;width:100%}"
	"th,td{border-bottom:1px solid var(--line);padding:3px 6px;text-align:left;"
	"vertical-align:top}"
	"th{font-size:.85em;color:var(--mute)}"
	"td.num{text-align:right;font-variant-numeric:tabular-nums}"
	"td code{word-break:break-all}table.checks td:nth-child(n+5){max-width:16em}"
	"summary{cursor:pointer;color:var(--mute)}"
	".plots{display:flex;flex-wrap:wrap;gap:10px}"
	"figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px;"
	"break-inside:avoid}"
	"figcaption{font-size:.85em;color:var(--mute);max-width:480px}"
	"svg{display:block;max-width:100%;height:auto}"
	"svg text{font:11px system-ui,sans-serif;fill:var(--mute)}"
	"svg .axis{stroke:#8c959f;stroke-width:1}"
	"svg .bar{fill:#0969da}svg .bar.ref{fill:#8c959f}svg .bar.zero{fill:#1a7f37}"
	"svg .bar.over{fill:var(--fail)}svg .bar.tail{fill:#bc4c00}"
	"svg .bound{stroke:var(--fail);stroke-width:2;stroke-dasharray:5 3}"
	"svg .thr{stroke:var(--fail);stroke-width:1.5;stroke-dasharray:5 3}"
	"svg .pt{fill:#0969da;fill-opacity:.6}svg .pt.near{fill:var(--warn);fill-opacity:1}"
	"svg .pt.flip{fill:var(--fail);fill-opacity:1}"
	"svg .spark{fill:none;stroke:#0969da;stroke-width:1.5}svg .last{fill:#0969da}"
	".signoff dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:.3em 0}"
	".signoff dt{color:var(--mute)}.signoff dd{margin:0;word-break:break-all}"
	".sign{margin-top:1.5em;display:flex;gap:40px}.sign span{flex:1;"
	"border-top:1px solid var(--ink);padding-top:2px;font-size:.85em;color:var(--mute)}"
	"@media print{body{max-width:none;padding:0;font-size:11pt}"
	".verdict,.badge,.card{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"pre{white-space:pre-wrap}a{color:inherit;text-decoration:none}"
	".card,figure,table{break-inside:avoid}@page{margin:14mm}}";

/* ---- text ---- */

/* s escaped for HTML text and attribute values, secrets masked (the result
 * model masked its strings already; host facts and metrics keys pass here
 * too), invalid UTF-8 repaired; nothing for NULL. */
static void esc(struct buf *b, const char *s)
{
	if (!s)
		return;
	char *masked = secret_mask(s);
	char *e = xml_escape(masked, true);
	buf_puts(b, e);
	free(e);
	free(masked);
}

/* esc of s cut to max characters. */
static void esc_clip(struct buf *b, const char *s, size_t max)
{
	char *c = report_clip(s ? s : "", max);
	esc(b, c);
	free(c);
}

static void escf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void escf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	esc(b, s);
	free(s);
}

/* A value for a plot label: 4 significant digits. */
static void num(struct buf *b, double v)
{
	if (isfinite(v))
		buf_printf(b, "%.4g", v);
	else
		buf_puts(b, isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
}

static const char *status_class(const struct step_result *s)
{
	return s->warning ? "warning" : status_name(s->status);
}

static const char *status_word(const struct step_result *s)
{
	static const char *const words[] = {
		[ST_PASS] = "PASS", [ST_FAIL] = "FAIL", [ST_ERROR] = "ERROR",
		[ST_SKIP] = "SKIP", [ST_WAIVED] = "WAIVED",
	};
	return s->warning ? "WARN" : words[s->status];
}

/* ---- plots ---- */

static double json_num(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Opens a figure with an SVG of kind (data-plot) titled title. */
static void plot_open(struct buf *b, const char *kind, const char *title)
{
	buf_printf(b, "<figure><svg data-plot=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" "
		   "height=\"%d\" role=\"img\" aria-label=\"", kind, PW, PH, PW, PH);
	esc(b, title);
	buf_puts(b, "\"><title>");
	esc(b, title);
	buf_printf(b, "</title><text x=\"%d\" y=\"14\">", ML);
	esc(b, title);
	buf_printf(b, "</text><line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
		   ML, MT, ML, MT + AH, ML, MT + AH, ML + AW, MT + AH);
}

/* Closes the SVG and the figure with a caption (escaped). */
static void plot_close(struct buf *b, const char *caption)
{
	buf_puts(b, "</svg><figcaption>");
	esc(b, caption);
	buf_puts(b, "</figcaption></figure>\n");
}

/* An axis label: short enough for the margin ("176", "0.0002", "2.5e-07"). */
static void axis_num(struct buf *b, double v)
{
	double a = fabs(v);
	if (!isfinite(v) || a == 0 || (a >= 1e-3 && a < 1e5))
		num(b, v);
	else
		buf_printf(b, "%.2g", v);
}

/* A y-axis label at value v of ymax (linear from 0). */
static void y_label(struct buf *b, double v, double ymax)
{
	double y = MT + AH - (ymax > 0 ? v / ymax : 0) * AH;
	buf_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", ML - 4, y + 4);
	axis_num(b, v);
	buf_puts(b, "</text>");
}

/* An x-axis label centred at x. */
static void x_label(struct buf *b, double x, const char *text)
{
	buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x, MT + AH + 14);
	esc_clip(b, text, 12);
	buf_puts(b, "</text>");
}

/* One bar: slot i of n (group g of groups inside it), height by v / ymax. */
static void bar(struct buf *b, const char *cls, size_t i, size_t n, size_t g, size_t groups,
		double v, double ymax, const char *label)
{
	double slot = (double)AW / (double)n, w = slot * 0.8 / (double)groups;
	double x = ML + slot * (double)i + slot * 0.1 + w * (double)g;
	double h = ymax > 0 && v > 0 ? v / ymax * AH : 0;

	if (v > 0 && h < 1.5)
		h = 1.5;        /* a non-zero count stays visible */
	buf_printf(b, "<rect class=\"bar%s%s\" data-value=\"%.6g\" x=\"%.1f\" y=\"%.1f\" "
		   "width=\"%.1f\" height=\"%.1f\"><title>", *cls ? " " : "", cls,
		   isfinite(v) ? v : 0, x, MT + AH - h, w, h);
	esc(b, label);
	buf_puts(b, ": ");
	num(b, v);
	buf_puts(b, "</title></rect>");
}

/* A bar chart of n values (at most MAX_BARS are drawn) with labels. */
static void bars(struct buf *b, const char *kind, const char *title, const char *const *labels,
		 const double *v, size_t n, double ymax, const char *caption)
{
	size_t every;

	if (n > MAX_BARS)
		n = MAX_BARS;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]) && v[i] > ymax)
			ymax = v[i];
	every = n / 12 + 1;
	plot_open(b, kind, title);
	y_label(b, 0, ymax);
	y_label(b, ymax, ymax);
	for (size_t i = 0; i < n; i++) {
		bar(b, "", i, n, 0, 1, v[i], ymax, labels[i]);
		if (i % every == 0)
			x_label(b, ML + (double)AW / (double)n * ((double)i + 0.5), labels[i]);
	}
	plot_close(b, caption);
}

/* The |diff| histogram: exact zeros, then decade bins on a log axis, with
 * the tolerance bound drawn where it falls. */
static void plot_histogram(struct buf *b, const char *env, const json_t *h)
{
	const json_t *edges = json_object_get(h, "edges"), *counts = json_object_get(h, "counts");
	size_t ne = json_array_size(edges), nc = json_array_size(counts), n = nc + 1;
	double ymax = json_num(json_object_get(h, "zeros")), bound = json_num(json_object_get(h, "bound"));
	char *title = xasprintf("%s: |diff| per element", env);
	double slot;

	if (nc != ne + 1 || ne == 0 || !isfinite(ymax)) {
		free(title);
		return;
	}
	for (size_t k = 0; k < nc; k++)
		ymax = fmax(ymax, json_num(json_array_get(counts, k)));
	slot = (double)AW / (double)n;
	plot_open(b, "histogram", title);
	y_label(b, 0, ymax);
	y_label(b, ymax, ymax);
	bar(b, "zero", 0, n, 0, 1, json_num(json_object_get(h, "zeros")), ymax, "|diff| = 0");
	x_label(b, ML + slot * 0.5, "0");
	for (size_t k = 0; k < nc; k++) {
		double lo = k ? json_num(json_array_get(edges, k - 1)) : 0;
		bool over = isfinite(bound) && lo >= bound && k > 0;
		char *label = k == 0 ? xasprintf("0 < |diff| < %g", json_num(json_array_get(edges, 0)))
				     : xasprintf("|diff| >= %g", lo);
		bar(b, over ? "over" : "", k + 1, n, 0, 1, json_num(json_array_get(counts, k)), ymax, label);
		free(label);
	}
	for (size_t k = 0; k < ne; k += 2) {
		char t[16];
		snprintf(t, sizeof t, "1e%+d", (int)lround(log10(json_num(json_array_get(edges, k)))));
		x_label(b, ML + slot * (double)(k + 2), t);
	}
	if (isfinite(bound) && bound >= 0) {
		double lo = log10(json_num(json_array_get(edges, 0)));
		double pos = bound > 0 ? log10(bound) - lo + 2 : 1;
		double x = ML + slot * fmin(fmax(pos, 1), (double)n);
		buf_printf(b, "<line class=\"bound\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
			   "<text x=\"%d\" y=\"14\" text-anchor=\"end\">tolerance %g</text>", x, MT, x,
			   MT + AH, ML + AW, bound);
	}
	free(title);
	plot_close(b, "bars: elements per decade of |diff| (log axis), zeros apart; dashed: "
		   "the max_abs_diff tolerance, bars beyond it in red");
}

/* Values of a JSON array of numbers or an object of numbers (or of objects
 * with field) into v and labels (label strings owned by the caller). */
static size_t series(const json_t *j, const char *field, double *v, char **labels, size_t max)
{
	size_t n = 0;

	if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j) && n < max; i++, n++) {
			v[n] = json_num(json_array_get(j, i));
			labels[n] = xasprintf("%zu", i);
		}
	} else if (json_is_object(j)) {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)(uintptr_t)j, k, x) {
			if (n >= max)
				break;
			v[n] = json_is_object(x) ? json_num(json_object_get(x, field)) : json_num(x);
			labels[n++] = xstrdup(k);
		}
	}
	return n;
}

/* A bar chart of a metric that is an array or an object of numbers. */
static void plot_series(struct buf *b, const char *kind, const char *env, const char *what,
			const json_t *j, const char *field, double ymax, const char *caption)
{
	double v[MAX_BARS];
	char *labels[MAX_BARS];
	size_t n = series(j, field, v, labels, MAX_BARS);
	char *title = xasprintf("%s: %s", env, what);

	if (n > 0)
		bars(b, kind, title, (const char *const *)labels, v, n, ymax, caption);
	for (size_t i = 0; i < n; i++)
		free(labels[i]);
	free(title);
}

/* The PSI's bins: reference and sample shares side by side, with the KS distance. */
static void plot_psi(struct buf *b, const char *env, const json_t *p, const json_t *metrics)
{
	const json_t *ref = json_object_get(p, "reference"), *smp = json_object_get(p, "sample");
	size_t n = json_array_size(ref);
	double ymax = 0;
	char *title = xasprintf("%s: PSI bins, reference and sample shares", env);
	char *caption;

	if (n == 0 || n != json_array_size(smp) || n > MAX_BARS) {
		free(title);
		return;
	}
	for (size_t k = 0; k < n; k++)
		ymax = fmax(ymax, fmax(json_num(json_array_get(ref, k)), json_num(json_array_get(smp, k))));
	plot_open(b, "psi", title);
	y_label(b, 0, ymax);
	y_label(b, ymax, ymax);
	for (size_t k = 0; k < n; k++) {
		char label[32];
		snprintf(label, sizeof label, "bin %zu reference", k);
		bar(b, "ref", k, n, 0, 2, json_num(json_array_get(ref, k)), ymax, label);
		snprintf(label, sizeof label, "bin %zu sample", k);
		bar(b, "", k, n, 1, 2, json_num(json_array_get(smp, k)), ymax, label);
		snprintf(label, sizeof label, "%zu", k);
		x_label(b, ML + (double)AW / (double)n * ((double)k + 0.5), label);
	}
	caption = xasprintf("grey: reference share, blue: sample share, per bin; PSI %.4g, "
			    "KS distance %.4g", json_num(json_object_get(metrics, "psi")),
			    json_num(json_object_get(p, "ks")));
	free(title);
	plot_close(b, caption);
	free(caption);
}

static bool in_list(const json_t *list, json_int_t row)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (json_integer_value(json_array_get(list, i)) == row)
			return true;
	return false;
}

/* Scores of the sampled rows against the threshold, flipped and near rows marked. */
static void plot_scores(struct buf *b, const char *env, const json_t *s)
{
	const json_t *idx = json_object_get(s, "index"), *sc = json_object_get(s, "scores");
	const json_t *flip = json_object_get(s, "flipped"), *near = json_object_get(s, "near");
	double thr = json_num(json_object_get(s, "threshold")), lo = thr, hi = thr;
	size_t n = json_array_size(sc);
	char *title = xasprintf("%s: scores against the threshold %g", env, thr);
	char *caption;

	if (n == 0 || n != json_array_size(idx) || !isfinite(thr)) {
		free(title);
		return;
	}
	for (size_t k = 0; k < n; k++) {
		double v = json_num(json_array_get(sc, k));
		lo = isfinite(v) ? fmin(lo, v) : lo;
		hi = isfinite(v) ? fmax(hi, v) : hi;
	}
	if (hi - lo < 1e-12)
		hi = lo + 1;
	plot_open(b, "scores", title);
	for (int t = 0; t <= 1; t++) {
		buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", ML - 4, t ? MT + 4 : MT + AH + 4);
		axis_num(b, t ? hi : lo);
		buf_puts(b, "</text>");
	}
	double ty = MT + AH - (thr - lo) / (hi - lo) * AH;
	buf_printf(b, "<line class=\"thr\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>",
		   ML, ty, ML + AW, ty);
	for (size_t k = 0; k < n; k++) {
		double v = json_num(json_array_get(sc, k));
		json_int_t row = json_integer_value(json_array_get(idx, k));
		bool f = in_list(flip, row), nr = in_list(near, row);
		if (!isfinite(v))
			continue;
		buf_printf(b, "<circle class=\"pt%s\" data-value=\"%.6g\" cx=\"%.1f\" cy=\"%.1f\" "
			   "r=\"%s\"><title>row %lld: %.6g%s</title></circle>",
			   f ? " flip" : nr ? " near" : "", v,
			   ML + AW * ((double)k + 0.5) / (double)n, MT + AH - (v - lo) / (hi - lo) * AH,
			   f ? "4.5" : nr ? "3.5" : "2.5", (long long)row, v,
			   f ? " (flipped)" : nr ? " (near the threshold)" : "");
	}
	caption = xasprintf("%zu of %lld rows sampled; dashed: the threshold; red: decision "
			    "differs from the baseline's (%zu), orange: near the threshold (%zu)",
			    n, (long long)json_integer_value(json_object_get(s, "rows")),
			    json_array_size(flip), json_array_size(near));
	free(title);
	plot_close(b, caption);
	free(caption);
}

/* Latency percentiles, grouped by environment. */
static void plot_latency(struct buf *b, const json_t *metrics)
{
	static const char *const pct[] = {"p50_ms", "p95_ms", "p99_ms"};
	const char *env;
	json_t *m;
	size_t n = 0, i = 0;
	double ymax = 0;

	json_object_foreach((json_t *)(uintptr_t)metrics, env, m) {
		if (!json_is_number(json_object_get(m, "p50_ms")))
			continue;
		n++;
		for (int k = 0; k < 3; k++)
			ymax = fmax(ymax, json_num(json_object_get(m, pct[k])));
	}
	if (n == 0 || n > MAX_BARS)
		return;
	plot_open(b, "latency", "latency per environment (ms)");
	y_label(b, 0, ymax);
	y_label(b, ymax, ymax);
	json_object_foreach((json_t *)(uintptr_t)metrics, env, m) {
		if (!json_is_number(json_object_get(m, "p50_ms")))
			continue;
		for (size_t k = 0; k < 3; k++) {
			char *label = xasprintf("%s %.3s", env, pct[k]);
			bar(b, k == 0 ? "ref" : k == 2 ? "tail" : "", i, n, k, 3,
			    json_num(json_object_get(m, pct[k])), ymax, label);
			free(label);
		}
		x_label(b, ML + (double)AW / (double)n * ((double)i + 0.5), env);
		i++;
	}
	plot_close(b, "per environment: p50 (grey), p95 (blue), p99 (orange) in milliseconds");
}

/* Every plot the step's metrics allow, per environment. */
static void step_plots(struct buf *b, const struct step_result *s)
{
	const char *env;
	json_t *m;

	if (!json_is_object(s->metrics) || json_object_size(s->metrics) == 0)
		return;
	buf_puts(b, "<div class=\"plots\">\n");
	json_object_foreach(s->metrics, env, m) {
		const json_t *x = json_object_get(m, "abs_diff_histogram");
		if (x)
			plot_histogram(b, env, x);
		x = json_object_get(m, "per_class_mean_abs_diff");
		if (json_array_size(x) > 1 && json_num(json_object_get(m, "max_abs_diff")) > 0)
			plot_series(b, "per-class", env, "mean |diff| per class", x, NULL, 0,
				    "mean |diff| against the baseline, per output column");
		x = json_object_get(m, "psi_bins");
		if (x)
			plot_psi(b, env, x, m);
		x = json_object_get(m, "score_sample");
		if (x)
			plot_scores(b, env, x);
		x = json_object_get(m, "per_class_accuracy");
		if (x)
			plot_series(b, "accuracy", env, "accuracy per class", x, "accuracy", 1,
				    "accuracy (recall) per true class");
		x = json_object_get(m, "segments");
		if (x)
			plot_series(b, "segments", env, "accuracy per segment", x, "accuracy", 1,
				    "accuracy per segment");
	}
	plot_latency(b, s->metrics);
	buf_puts(b, "</div>\n");
}

/* The scalar metrics, one row per environment. */
static void metrics_table(struct buf *b, const struct step_result *s)
{
	const char *env, *name;
	json_t *m, *v;
	bool any = false;

	json_object_foreach(s->metrics, env, m) {
		const char *sep = "";
		json_object_foreach(m, name, v) {
			if (!json_is_number(v))
				continue;
			if (!any)
				buf_puts(b, "<table class=\"metrics\"><thead><tr><th scope=\"col\">environment</th>"
					 "<th scope=\"col\">metrics</th></tr></thead><tbody>\n");
			if (!*sep) {
				buf_puts(b, "<tr><td>");
				esc(b, env);
				buf_puts(b, "</td><td>");
			}
			any = true;
			buf_puts(b, sep);
			esc(b, name);
			buf_printf(b, " <code>%.6g</code>", json_number_value(v));
			sep = " &middot; ";
		}
		if (*sep)
			buf_puts(b, "</td></tr>\n");
	}
	if (any)
		buf_puts(b, "</tbody></table>\n");
}

/* A sparkline of a history series (numbers; null for a run without it). */
static void sparkline(struct buf *b, const char *label, const json_t *series)
{
	size_t n = json_array_size(series), drawn = 0;
	double lo = INFINITY, hi = -INFINITY, last = NAN;
	const int w = 160, h = 28;

	for (size_t i = 0; i < n; i++) {
		double v = json_num(json_array_get(series, i));
		if (isfinite(v)) {
			lo = fmin(lo, v);
			hi = fmax(hi, v);
			last = v;
		}
	}
	if (!isfinite(lo))
		return;
	if (hi - lo < 1e-300)
		hi = lo + 1;
	buf_puts(b, "<tr><td>");
	esc(b, label);
	buf_printf(b, "</td><td><svg data-plot=\"sparkline\" viewBox=\"0 0 %d %d\" width=\"%d\" "
		   "height=\"%d\" role=\"img\" aria-label=\"", w, h, w, h);
	escf(b, "%s over the last %zu runs", label, n);
	buf_puts(b, "\"><polyline class=\"spark\" data-points=\"");
	buf_printf(b, "%zu\" points=\"", n);
	double x = 0, y = 0;
	for (size_t i = 0; i < n; i++) {
		double v = json_num(json_array_get(series, i));
		if (!isfinite(v))
			continue;
		x = n > 1 ? 2 + (double)(w - 4) * (double)i / (double)(n - 1) : w / 2.0;
		y = h - 3 - (v - lo) / (hi - lo) * (h - 6);
		buf_printf(b, "%s%.1f,%.1f", drawn++ ? " " : "", x, y);
	}
	/* the last value the series has, marked */
	buf_printf(b, "\"/><circle class=\"last\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>", x, y);
	buf_puts(b, "</svg></td><td class=\"num\">");
	num(b, last);
	buf_puts(b, "</td><td class=\"num muted\">");
	num(b, lo);
	buf_puts(b, " &ndash; ");
	num(b, hi);
	buf_puts(b, "</td></tr>\n");
}

/* The series under j (an array, or objects of them, HISTORY_DEPTH deep),
 * labelled by their path below the step. */
static void history_walk(struct buf *b, const char *path, const json_t *j, int depth)
{
	const char *k;
	json_t *v;

	if (json_is_array(j)) {
		sparkline(b, path, j);
		return;
	}
	if (!json_is_object(j) || depth >= HISTORY_DEPTH)
		return;
	json_object_foreach((json_t *)(uintptr_t)j, k, v) {
		char *sub = *path ? xasprintf("%s / %s", path, k) : xstrdup(k);
		history_walk(b, sub, v, depth + 1);
		free(sub);
	}
}

static void step_history(struct buf *b, const struct run_result *r, const struct step_result *s)
{
	const json_t *h = json_is_object(r->history) ? json_object_get(r->history, s->id) : NULL;
	struct buf rows;

	if (!h)
		return;
	buf_init(&rows);
	history_walk(&rows, "", h, 0);
	if (rows.len) {
		buf_puts(b, "<table class=\"history\"><caption class=\"muted\">history: each metric "
			 "over the last runs, oldest first</caption><thead><tr><th scope=\"col\">metric</th>"
			 "<th scope=\"col\">trend</th><th scope=\"col\">last</th><th scope=\"col\">range</th></tr></thead><tbody>\n");
		buf_add(b, rows.data, rows.len);
		buf_puts(b, "</tbody></table>\n");
	}
	buf_release(&rows);
}

static void value_cell(struct buf *b, const char *v)
{
	buf_puts(b, "<td>");
	if (v) {
		buf_puts(b, "<code>");
		esc_clip(b, v, VALUE_CHARS);
		buf_puts(b, "</code>");
	}
	buf_puts(b, "</td>");
}

/* The checks; a passing step's behind a summary line a reader may open. */
static void checks_table(struct buf *b, const struct step_result *s)
{
	if (s->n_checks == 0) {
		buf_puts(b, "<p class=\"muted\">no checks</p>\n");
		return;
	}
	buf_printf(b, "<details%s><summary>%zu check%s</summary>\n",
		   s->status == ST_PASS || s->status == ST_SKIP ? "" : " open", s->n_checks,
		   s->n_checks == 1 ? "" : "s");
	buf_puts(b, "<table class=\"checks\"><thead><tr><th scope=\"col\">status</th><th scope=\"col\">environment</th>"
		 "<th scope=\"col\">check</th><th scope=\"col\">message</th><th scope=\"col\">expected</th><th scope=\"col\">actual</th></tr></thead>"
		 "<tbody>\n");
	for (size_t k = 0; k < s->n_checks; k++) {
		const struct check *c = &s->checks[k];
		const char *cls = c->warning ? "warning" : status_name(c->status);
		buf_printf(b, "<tr><td><span class=\"badge %s\">%s</span></td><td>", cls,
			   c->warning ? "warning" : status_name(c->status));
		esc(b, c->env ? c->env : "all");
		buf_puts(b, "</td><td>");
		esc(b, c->name);
		buf_puts(b, "</td><td>");
		esc_clip(b, c->message, VALUE_CHARS);
		buf_puts(b, "</td>");
		value_cell(b, c->expected);
		value_cell(b, c->actual);
		buf_puts(b, "</tr>\n");
		if (c->detail) {
			/* a row of its own: diffs and rows keep their columns */
			buf_puts(b, "<tr class=\"detail\"><td></td><td colspan=\"5\"><pre>");
			esc_clip(b, c->detail, DETAIL_CHARS);
			buf_puts(b, "</pre></td></tr>\n");
		}
	}
	buf_puts(b, "</tbody></table>\n</details>\n");
}

static void step_card(struct buf *b, const struct run_result *r, size_t i)
{
	const struct step_result *s = &r->steps[i];
	int fd = r->summary.first_divergence;

	buf_printf(b, "<section class=\"card %s\" id=\"step-%zu\">\n<h2><span class=\"badge %s\">%s"
		   "</span> ", status_class(s), i + 1, status_class(s), status_word(s));
	esc(b, s->id);
	buf_puts(b, " <small class=\"muted\">");
	esc(b, s->kind);
	buf_puts(b, " &middot; stage ");
	esc(b, s->stage);
	buf_printf(b, " &middot; %.2f s</small></h2>\n", isfinite(s->seconds) ? s->seconds : 0.0);
	if (s->description) {
		buf_puts(b, "<p>");
		esc(b, s->description);
		buf_puts(b, "</p>\n");
	}
	if (fd >= 0 && (size_t)fd == i)
		buf_printf(b, "<p class=\"note first\">first %s</p>\n",
			   r->summary.cause == CAUSE_ERROR ? "error" : "divergence");
	else if (s->consequence && fd >= 0) {
		buf_puts(b, "<p class=\"note\">probable consequence of ");
		esc(b, r->steps[fd].id);
		buf_puts(b, "</p>\n");
	}
	if (s->waiver) {
		buf_printf(b, "<p class=\"note\">%s ", s->waiver_expired ? "waiver expired" : "waived until");
		esc(b, s->waiver_until ? s->waiver_until : "?");
		buf_puts(b, ": ");
		esc(b, s->waiver);
		buf_puts(b, "</p>\n");
	}
	checks_table(b, s);
	step_plots(b, s);
	if (json_is_object(s->metrics))
		metrics_table(b, s);
	step_history(b, r, s);
	buf_puts(b, "</section>\n");
}

static void verdict(struct buf *b, const struct run_result *r)
{
	const struct summary *m = &r->summary;

	buf_printf(b, "<section class=\"verdict %s\" id=\"verdict\">\n<p class=\"gate\">gate: %s</p>\n",
		   m->ok ? "pass" : "fail", m->ok ? "PASS" : "FAIL");
	buf_puts(b, "<p class=\"diagnosis\">");
	esc(b, m->verdict ? m->verdict : "every step passed");
	buf_puts(b, "</p>\n");
	buf_printf(b, "<p>%d passed, %d failed, %d errors, %d skipped, %d waived, %d warnings "
		   "(%zu steps) in %.2f s</p>\n<ul class=\"overview\">\n", m->passed, m->failed,
		   m->errors, m->skipped, m->waived, m->warnings, r->n_steps,
		   isfinite(r->duration_s) && r->duration_s > 0 ? r->duration_s : 0.0);
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step_result *s = &r->steps[i];
		buf_printf(b, "<li><span class=\"badge %s\">%s</span> <a href=\"#step-%zu\">",
			   status_class(s), status_word(s), i + 1);
		esc(b, s->id);
		buf_puts(b, "</a> <span class=\"muted\">");
		esc(b, s->stage);
		buf_puts(b, "</span></li>\n");
	}
	buf_puts(b, "</ul>\n</section>\n");
}

/* Host facts flattened to "key: value" lines ("gpu.name: ..."). */
static void host_facts(struct buf *b, const char *prefix, const json_t *j)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)(uintptr_t)j, k, v) {
		char *key = *prefix ? xasprintf("%s.%s", prefix, k) : xstrdup(k);
		if (json_is_object(v)) {
			host_facts(b, key, v);
		} else {
			char *text = json_is_string(v) ? xstrdup(json_string_value(v))
						      : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			esc(b, key);
			buf_puts(b, ": ");
			esc_clip(b, text, VALUE_CHARS);
			buf_puts(b, "<br>");
			free(text);
		}
		free(key);
	}
}

static void dl_item(struct buf *b, const char *term, const char *value, bool code)
{
	buf_puts(b, "<dt>");
	buf_puts(b, term);
	buf_puts(b, code ? "</dt><dd><code>" : "</dt><dd>");
	esc(b, value ? value : "");
	buf_puts(b, code ? "</code></dd>\n" : "</dd>\n");
}

static void waivers(struct buf *b, const struct run_result *r)
{
	bool any = false;

	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step_result *s = &r->steps[i];
		if (!s->waiver)
			continue;
		if (!any)
			buf_puts(b, "<h3>Waivers</h3><table><thead><tr><th scope=\"col\">step</th><th scope=\"col\">reason</th>"
				 "<th scope=\"col\">until</th><th scope=\"col\">state</th></tr></thead><tbody>\n");
		any = true;
		buf_puts(b, "<tr><td>");
		esc(b, s->id);
		buf_puts(b, "</td><td>");
		esc(b, s->waiver);
		buf_puts(b, "</td><td>");
		esc(b, s->waiver_until ? s->waiver_until : "?");
		buf_printf(b, "</td><td>%s</td></tr>\n", s->waiver_expired ? "expired" : "in force");
	}
	buf_puts(b, any ? "</tbody></table>\n" : "<h3>Waivers</h3><p class=\"muted\">none</p>\n");
}

static void signoff(struct buf *b, const struct run_result *r)
{
	char dur[32];

	snprintf(dur, sizeof dur, "%.2f s", isfinite(r->duration_s) && r->duration_s > 0 ?
		 r->duration_s : 0.0);
	buf_puts(b, "<section class=\"signoff\" id=\"sign-off\">\n<h2>Sign-off</h2>\n<dl>\n");
	dl_item(b, "contract", r->contract_name, false);
	dl_item(b, "path", r->contract_path, true);
	dl_item(b, "contract sha256", r->contract_sha256, true);
	dl_item(b, "runner", r->runner_version, false);
	dl_item(b, "command", r->command ? r->command : "run", false);
	dl_item(b, "started", r->started_at, false);
	dl_item(b, "duration", dur, false);
	dl_item(b, "baseline", r->baseline, false);
	buf_puts(b, "</dl>\n<h3>Environments</h3><table><thead><tr><th scope=\"col\">environment</th>"
		 "<th scope=\"col\">source</th><th scope=\"col\">host facts</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < r->n_envs; i++) {
		const struct env_result *e = &r->envs[i];
		buf_puts(b, "<tr><td>");
		esc(b, e->name);
		buf_puts(b, e->baseline ? " (baseline)</td><td>" : "</td><td>");
		esc(b, e->source ? e->source : "live");
		if (e->facts_path) {
			buf_puts(b, " <code>");
			esc(b, e->facts_path);
			buf_puts(b, "</code>");
		}
		buf_puts(b, "</td><td>");
		if (json_is_object(e->host))
			host_facts(b, "", e->host);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody></table>\n");
	waivers(b, r);
	buf_puts(b, "<div class=\"sign\"><span>signed off by</span><span>date</span></div>\n"
		 "</section>\n");
}

int report_html(const struct run_result *r, FILE *f, const struct report_opts *o)
{
	struct buf b;
	int rc;

	(void)o;
	buf_init(&b);
	buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>parity: ");
	esc(&b, r->contract_name);
	buf_printf(&b, " &mdash; %s</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>parity: ",
		   r->summary.ok ? "PASS" : "FAIL", css);
	esc(&b, r->contract_name);
	buf_puts(&b, "</h1>\n<p class=\"muted\">");
	if (r->description) {
		esc(&b, r->description);
		buf_puts(&b, " &middot; ");
	}
	buf_puts(&b, "baseline ");
	esc(&b, r->baseline);
	buf_puts(&b, " &middot; started ");
	esc(&b, r->started_at);
	buf_puts(&b, " &middot; parity ");
	esc(&b, r->runner_version);
	buf_puts(&b, "</p>\n</header>\n<main>\n");
	verdict(&b, r);
	for (size_t i = 0; i < r->n_steps; i++)
		step_card(&b, r, i);
	signoff(&b, r);
	buf_puts(&b, "</main>\n</body>\n</html>\n");
	fwrite(b.data, 1, b.len, f);
	rc = ferror(f) ? -1 : 0;
	buf_release(&b);
	return rc;
}
