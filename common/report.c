/* report.c - a profile document rendered as one self-contained HTML page. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <math.h>		/* macros only: no libm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "exitcode.h"
#include "json.h"
#include "report.h"
#include "value.h"

#ifndef DMO_VERSION
#define DMO_VERSION "0.1.0"
#endif

/* Longest value shown in a cell, in bytes; the page stays readable. */
#define CELL_MAX	80
#define NAME_MAX_SHOWN	200

static const char *const type_names[] = {
	"integer", "decimal", "float", "boolean", "date", "timestamp",
	"string", "nested"
};
#define NTYPES	(sizeof(type_names) / sizeof(type_names[0]))

static const char *const quantile_names[] = {
	"p0", "p1", "p5", "p25", "p50", "p75", "p95", "p99", "p100"
};
#define NQUANTILES	(sizeof(quantile_names) / sizeof(quantile_names[0]))

/*
 * The style: system fonts, a light and a dark palette chosen by the
 * reader's system, cards that do not break across printed pages.  Charts
 * take their colours from the same variables.
 */
static const char style[] =
":root{--bg:#f6f7f9;--card:#fff;--fg:#1c2230;--muted:#5b6475;"
"--line:#dde1e8;--accent:#2456c7;--bar:#3b6fd8;--bar2:#8aa8e8;"
"--integer:#2f6fde;--decimal:#0f8f86;--float:#13a3c4;--boolean:#8a4fd3;"
"--date:#d9822b;--timestamp:#c7a21a;--string:#3c9a4a;--nested:#7d8593;"
"--null:#c9ced8;--empty:#e3e6ec;--ok:#2e8540;--fail:#c62828;"
"color-scheme:light dark}\n"
"@media (prefers-color-scheme:dark){:root{--bg:#14171d;--card:#1c2028;"
"--fg:#e6e9ef;--muted:#9aa3b2;--line:#2e3440;--accent:#8fb0ff;"
"--bar:#6d95f0;--bar2:#34507f;--null:#3a404c;--empty:#2c313b}}\n"
"*{box-sizing:border-box}\n"
"body{margin:0;background:var(--bg);color:var(--fg);"
"font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
"\"Noto Sans\",\"DejaVu Sans\",sans-serif}\n"
"main,header,footer{max-width:1100px;margin:0 auto;padding:0 20px}\n"
"header{padding-top:28px}\n"
"h1{font-size:26px;margin:0 0 4px}h1 .src{color:var(--muted);"
"font-weight:400}\n"
"h2{font-size:19px;margin:0;overflow-wrap:anywhere}h2.v{font-size:18px}\n"
"h3{font-size:13px;text-transform:uppercase;letter-spacing:.06em;"
"color:var(--muted);margin:18px 0 6px}\n"
"a{color:var(--accent)}\n"
".summary{display:flex;flex-wrap:wrap;gap:12px;margin:18px 0}\n"
".summary div{background:var(--card);border:1px solid var(--line);"
"border-radius:10px;padding:10px 16px;min-width:150px}\n"
".summary dt{font-size:12px;color:var(--muted);text-transform:uppercase;"
"letter-spacing:.06em}.summary dd{margin:0;font-size:22px;"
"font-weight:600;font-variant-numeric:tabular-nums}\n"
"table{border-collapse:collapse;width:100%;"
"font-variant-numeric:tabular-nums}\n"
"th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);"
"vertical-align:top;overflow-wrap:anywhere}\n"
"th{font-size:12px;color:var(--muted);font-weight:600}\n"
"td.n,th.n,td.t{text-align:right;white-space:nowrap}td.t{text-align:left}\n"
".overview{background:var(--card);border:1px solid var(--line);"
"border-radius:10px;padding:8px 12px;margin-bottom:20px}\n"
".card{background:var(--card);border:1px solid var(--line);"
"border-radius:12px;padding:18px 20px;margin:0 0 20px;"
"break-inside:avoid}\n"
".head{display:flex;align-items:baseline;gap:10px;flex-wrap:wrap}\n"
".badge{font-size:12px;padding:2px 8px;border-radius:99px;color:#fff;"
"background:var(--nested)}\n"
".cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));"
"gap:0 28px}\n"
"dl.stats{display:grid;grid-template-columns:auto 1fr;gap:2px 14px;"
"margin:0}dl.stats dt{color:var(--muted)}dl.stats dd{margin:0;"
"font-variant-numeric:tabular-nums;overflow-wrap:anywhere}\n"
".v{font-family:ui-monospace,\"SFMono-Regular\",Menlo,Consolas,"
"\"DejaVu Sans Mono\",monospace;font-size:13px}\n"
".muted{color:var(--muted)}\n"
".mix{display:block;width:100%;height:14px;border-radius:7px;"
"margin:12px 0 6px}\n"
".legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px}\n"
".legend i{display:inline-block;width:10px;height:10px;border-radius:2px;"
"margin-right:5px}\n"
"svg text{fill:var(--muted);font:11px system-ui,sans-serif}\n"
"svg.hist{width:100%;height:auto;max-height:200px}\n"
"svg.hist rect{fill:var(--bar)}svg.hist line{stroke:var(--line)}\n"
"svg.bar{width:100%;height:12px;display:block}\n"
"svg.bar rect.bg{fill:var(--line)}svg.bar rect.fg{fill:var(--bar)}\n"
"td.bar{width:35%;vertical-align:middle}\n"
"footer{color:var(--muted);font-size:13px;padding-bottom:30px}\n"
".st{font-size:12px;font-weight:700;padding:1px 7px;border-radius:4px;"
"white-space:nowrap;color:#fff;background:var(--ok)}"
"tr.fail .st{background:var(--fail)}\n"
"@media print{body{background:#fff;color:#000}.card,.summary div,"
".overview{border-color:#bbb}header{padding-top:0}}\n";

/* dmo_doc_type for a member that may be absent (NULL). */
static enum dmo_doc_type
dtype(const struct dmo_doc *d)
{
	return d == NULL ? DMO_DOC_NULL : dmo_doc_type(d);
}

/* --- escaping and numbers ------------------------------------------------ */

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t k = dmo_utf8_check((const char *)p, n < 4 ? n : 4);

	if (k == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xe0)
		return k >= 2 ? 2 : 0;
	if (p[0] < 0xf0)
		return k >= 3 ? 3 : 0;
	return k >= 4 ? 4 : 0;
}

void
dmo_report_escape(struct dmo_buf *b, const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (max != 0 && i >= max) {
			dmo_buf_adds(b, "\xe2\x80\xa6");	/* … */
			return;
		}
		switch (p[i]) {
		case '&':
			dmo_buf_adds(b, "&amp;");
			i++;
			continue;
		case '<':
			dmo_buf_adds(b, "&lt;");
			i++;
			continue;
		case '>':
			dmo_buf_adds(b, "&gt;");
			i++;
			continue;
		case '"':
			dmo_buf_adds(b, "&quot;");
			i++;
			continue;
		case '\'':
			dmo_buf_adds(b, "&#39;");
			i++;
			continue;
		default:
			break;
		}
		if (p[i] < 0x20 || p[i] == 0x7f) {
			/* The control pictures: NUL shows as U+2400. */
			unsigned cp = p[i] == 0x7f ? 0x2421 : 0x2400 + p[i];

			dmo_buf_addc(b, (char)(0xe0 | (cp >> 12)));
			dmo_buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
			dmo_buf_addc(b, (char)(0x80 | (cp & 0x3f)));
			i++;
			continue;
		}
		k = utf8_len(p + i, n - i);
		if (k == 0) {
			dmo_buf_adds(b, "\xef\xbf\xbd");	/* U+FFFD */
			i++;
			continue;
		}
		dmo_buf_add(b, p + i, k);
		i += k;
	}
}

/* An integer with thousands separators: 1,234,567. */
static void
put_count(struct dmo_buf *b, long long v)
{
	char digits[32];
	size_t n, i;

	if (v < 0) {
		dmo_buf_addc(b, '-');
		v = v == -9223372036854775807LL - 1 ? 9223372036854775807LL : -v;
	}
	n = (size_t)snprintf(digits, sizeof(digits), "%lld", v);
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			dmo_buf_addc(b, ',');
		dmo_buf_addc(b, digits[i]);
	}
}

static void
put_real(struct dmo_buf *b, double v)
{
	if (isnan(v) || isinf(v)) {
		dmo_buf_adds(b, isnan(v) ? "NaN" : v > 0 ? "∞" : "−∞");
		return;
	}
	if (v > -1e15 && v < 1e15 && v == (double)(long long)v) {
		put_count(b, (long long)v);
		return;
	}
	dmo_buf_printf(b, "%.10g", v);
}

static void
put_number(struct dmo_buf *b, const struct dmo_doc *d)
{
	if (dtype(d) == DMO_DOC_INT)
		put_count(b, dmo_doc_integer(d));
	else
		put_real(b, dmo_doc_number(d));
}

static int
is_number(const struct dmo_doc *d)
{
	return d != NULL && (dtype(d) == DMO_DOC_INT ||
	    dtype(d) == DMO_DOC_REAL);
}

/* Any value of the document, escaped and cut to max bytes. */
static void
put_value(struct dmo_buf *b, const struct dmo_doc *d, size_t max)
{
	const char *s;
	size_t len;
	char *text;

	switch (dtype(d)) {
	case DMO_DOC_STRING:
		s = dmo_doc_string(d, &len);
		dmo_report_escape(b, s, len, max);
		break;
	case DMO_DOC_INT:
	case DMO_DOC_REAL:
		put_number(b, d);
		break;
	default:
		text = dmo_doc_dump(d);
		if (text != NULL)
			dmo_report_escape(b, text, strlen(text), max);
		free(text);
		break;
	}
}

static void
put_pct(struct dmo_buf *b, double part, double whole)
{
	double p;

	if (whole <= 0) {
		dmo_buf_adds(b, "–");
		return;
	}
	p = 100.0 * part / whole;
	if (p > 0 && p < 0.1)
		dmo_buf_adds(b, "&lt;0.1%");
	else if (p < 100 && p > 99.9)
		dmo_buf_adds(b, "&gt;99.9%");
	else
		dmo_buf_printf(b, "%.1f%%", p);
}

static void
put_bytes(struct dmo_buf *b, double v)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		dmo_buf_printf(b, "%.0f B", v);
	else
		dmo_buf_printf(b, "%.1f %s", v, unit[u]);
}

static double
num(const struct dmo_doc *obj, const char *key)
{
	return dmo_doc_number(dmo_doc_get(obj, key));
}

/* --- parts of a card ----------------------------------------------------- */

static void
stat_row(struct dmo_buf *b, const char *label, const struct dmo_doc *v,
    int mono)
{
	if (v == NULL || dtype(v) == DMO_DOC_NULL)
		return;
	dmo_buf_printf(b, "<dt>%s</dt><dd%s>", label,
	    mono && !is_number(v) ? " class=\"v\"" : "");
	put_value(b, v, CELL_MAX);
	dmo_buf_adds(b, "</dd>\n");
}

/* A derived number (mean, deviation): six significant digits do. */
static void
stat_round(struct dmo_buf *b, const char *label, const struct dmo_doc *v)
{
	if (!is_number(v))
		return;
	dmo_buf_printf(b, "<dt>%s</dt><dd>%.6g</dd>\n", label,
	    dmo_doc_number(v));
}

/*
 * The type mix: one stacked bar and its legend.  Values that have no type
 * are the nulls and the empty strings, shown after the types.
 */
static void
type_mix(struct dmo_buf *b, const struct dmo_doc *f)
{
	const struct dmo_doc *types = dmo_doc_get(f, "types");
	const char *name[NTYPES + 2];
	double part[NTYPES + 2], count = num(f, "count"), total = 0, x = 0;
	double rest, w;
	size_t i, n = 0;

	for (i = 0; i < NTYPES; i++) {
		name[n] = type_names[i];
		part[n] = num(types, type_names[i]);
		total += part[n];
		n += part[n] > 0;
	}
	rest = count - total;
	if (rest > 0) {
		double nulls = num(f, "nulls");

		if (nulls > rest)
			nulls = rest;
		if (nulls > 0) {
			name[n] = "null";
			part[n++] = nulls;
		}
		if (rest - nulls > 0) {
			name[n] = "empty";
			part[n++] = rest - nulls;
		}
		total = count;
	}
	if (n == 0 || total <= 0)
		return;
	dmo_buf_adds(b, "<svg class=\"mix\" viewBox=\"0 0 1000 14\" "
	    "preserveAspectRatio=\"none\" role=\"img\" "
	    "aria-label=\"type mix\">");
	for (i = 0; i < n; i++) {
		w = 1000.0 * part[i] / total;
		dmo_buf_printf(b, "<rect x=\"%.2f\" width=\"%.2f\" height=\"14\" "
		    "style=\"fill:var(--%s)\"><title>%s: ", x, w, name[i],
		    name[i]);
		put_real(b, part[i]);
		dmo_buf_adds(b, "</title></rect>");
		x += w;
	}
	dmo_buf_adds(b, "</svg>\n<div class=\"legend\">");
	for (i = 0; i < n; i++) {
		dmo_buf_printf(b, "<span><i style=\"background:var(--%s)\">"
		    "</i>%s ", name[i], name[i]);
		put_pct(b, part[i], total);
		dmo_buf_adds(b, "</span>");
	}
	dmo_buf_adds(b, "</div>\n");
}

static void
quantiles(struct dmo_buf *b, const struct dmo_doc *q)
{
	const struct dmo_doc *v, *e;
	size_t i, shown = 0;

	if (q == NULL || dtype(q) != DMO_DOC_OBJECT)
		return;
	for (i = 0; i < NQUANTILES; i++)
		if (dmo_doc_get(q, quantile_names[i]) != NULL)
			shown++;
	if (shown == 0)
		return;
	dmo_buf_adds(b, "<div><h3>Quantiles</h3><table class=\"q\"><tr>");
	for (i = 0; i < NQUANTILES; i++)
		if (dmo_doc_get(q, quantile_names[i]) != NULL)
			dmo_buf_printf(b, "<th class=\"n\">%s</th>",
			    quantile_names[i]);
	dmo_buf_adds(b, "</tr><tr>");
	for (i = 0; i < NQUANTILES; i++) {
		if ((v = dmo_doc_get(q, quantile_names[i])) == NULL)
			continue;
		dmo_buf_adds(b, "<td class=\"n\">");
		put_value(b, v, 24);
		dmo_buf_adds(b, "</td>");
	}
	dmo_buf_adds(b, "</tr></table>");
	if ((e = dmo_doc_get(q, "error")) != NULL && is_number(e)) {
		if (dmo_doc_number(e) <= 0)
			dmo_buf_adds(b, "<p class=\"muted\">exact</p>");
		else {
			dmo_buf_adds(b, "<p class=\"muted\">estimates: rank "
			    "error at most ±");
			put_real(b, dmo_doc_number(e) * 100);
			dmo_buf_adds(b, "% of the values</p>");
		}
	}
	dmo_buf_adds(b, "</div>\n");
}

/* An axis label for a histogram edge. */
static void
edge_label(struct dmo_buf *b, const struct dmo_doc *v)
{
	if (is_number(v))
		put_number(b, v);
	else if (v != NULL)
		put_value(b, v, 24);
}

static void
histogram(struct dmo_buf *b, const struct dmo_doc *h)
{
	const struct dmo_doc *edges = dmo_doc_get(h, "edges");
	const struct dmo_doc *counts = dmo_doc_get(h, "counts");
	size_t n = dmo_doc_size(counts), i;
	double max = 0, c, bw, x0 = 40, width = 660, top = 10, height = 120;

	if (n == 0 || dmo_doc_size(edges) != n + 1)
		return;
	for (i = 0; i < n; i++) {
		c = dmo_doc_number(dmo_doc_index(counts, i));
		if (c > max)
			max = c;
	}
	dmo_buf_adds(b, "<h3>Histogram</h3>\n<svg class=\"hist\" "
	    "viewBox=\"0 0 720 150\" role=\"img\" aria-label=\"histogram\">");
	dmo_buf_printf(b, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\"/>",
	    x0, top + height, x0 + width, top + height);
	dmo_buf_printf(b, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\"/>",
	    x0, top, x0 + width, top);
	dmo_buf_printf(b, "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">",
	    x0 - 6, top + 4);
	put_real(b, max);
	dmo_buf_printf(b, "</text><text x=\"%g\" y=\"%g\" "
	    "text-anchor=\"end\">0</text>", x0 - 6, top + height + 4);
	bw = width / (double)n;
	for (i = 0; i < n; i++) {
		double bh;

		c = dmo_doc_number(dmo_doc_index(counts, i));
		bh = max > 0 ? height * c / max : 0;
		if (c > 0 && bh < 1)
			bh = 1;
		dmo_buf_printf(b, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
		    "height=\"%.2f\" rx=\"1.5\"><title>[", x0 + bw * (double)i +
		    (bw > 4 ? 1 : 0), top + height - bh,
		    bw > 4 ? bw - 2 : bw, bh);
		edge_label(b, dmo_doc_index(edges, i));
		dmo_buf_adds(b, ", ");
		edge_label(b, dmo_doc_index(edges, i + 1));
		dmo_buf_adds(b, i + 1 == n ? "]: " : "): ");
		put_real(b, c);
		dmo_buf_adds(b, "</title></rect>");
	}
	dmo_buf_printf(b, "<text x=\"%g\" y=\"%g\">", x0, top + height + 18);
	edge_label(b, dmo_doc_index(edges, 0));
	dmo_buf_printf(b, "</text><text x=\"%g\" y=\"%g\" "
	    "text-anchor=\"middle\">", x0 + width / 2, top + height + 18);
	edge_label(b, dmo_doc_index(edges, n / 2));
	dmo_buf_printf(b, "</text><text x=\"%g\" y=\"%g\" "
	    "text-anchor=\"end\">", x0 + width, top + height + 18);
	edge_label(b, dmo_doc_index(edges, n));
	dmo_buf_adds(b, "</text></svg>\n");
}

/* A count and an inline SVG bar, in two cells. */
static void
bar_cells(struct dmo_buf *b, double c, double max, double whole)
{
	double w = max > 0 ? 100.0 * c / max : 0;

	dmo_buf_adds(b, "<td class=\"n\">");
	put_real(b, c);
	dmo_buf_adds(b, "</td><td class=\"n muted\">");
	put_pct(b, c, whole);
	dmo_buf_printf(b, "</td><td class=\"bar\"><svg class=\"bar\" "
	    "viewBox=\"0 0 100 12\" preserveAspectRatio=\"none\">"
	    "<rect class=\"bg\" width=\"100\" height=\"12\" rx=\"2\"/>"
	    "<rect class=\"fg\" width=\"%.2f\" height=\"12\" rx=\"2\"/>"
	    "</svg></td>", w);
}

/* A table of {key, count} rows with bars: top values, patterns, formats. */
static void
count_table(struct dmo_buf *b, const char *title, const char *col,
    const struct dmo_doc *arr, const char *key, double whole)
{
	size_t n = dmo_doc_size(arr), i;
	double max = 0, c;

	if (dtype(arr) != DMO_DOC_ARRAY || n == 0)
		return;
	for (i = 0; i < n; i++)
		if ((c = num(dmo_doc_index(arr, i), "count")) > max)
			max = c;
	dmo_buf_printf(b, "<h3>%s</h3>\n<table class=\"top\"><tr><th>%s</th>"
	    "<th class=\"n\">count</th><th class=\"n\">share</th><th></th>"
	    "</tr>\n", title, col);
	for (i = 0; i < n; i++) {
		const struct dmo_doc *row = dmo_doc_index(arr, i);
		const struct dmo_doc *v = dmo_doc_get(row, key);
		size_t vl;

		dmo_buf_adds(b, "<tr><td class=\"v\">");
		if (dmo_doc_string(v, &vl) != NULL && vl == 0)
			dmo_buf_adds(b, "<span class=\"muted\">(empty)</span>");
		else if (v != NULL)
			put_value(b, v, CELL_MAX);
		dmo_buf_adds(b, "</td>");
		bar_cells(b, num(row, "count"), max, whole);
		dmo_buf_adds(b, "</tr>\n");
	}
	dmo_buf_adds(b, "</table>\n");
	/* Space-Saving counts may overstate by up to "error". */
	if (strcmp(key, "value") == 0) {
		double err = 0;

		for (i = 0; i < n; i++)
			if ((c = num(dmo_doc_index(arr, i), "error")) > err)
				err = c;
		if (err > 0) {
			dmo_buf_adds(b, "<p class=\"muted\">counts may be high "
			    "by at most ");
			put_real(b, err);
			dmo_buf_adds(b, "</p>\n");
		}
	}
}

static const char *
field_type(const struct dmo_doc *f)
{
	const char *t = dmo_doc_string(dmo_doc_get(f, "type"), NULL);
	size_t i;

	/* Only known names become class names and colours. */
	for (i = 0; t != NULL && i < NTYPES; i++)
		if (strcmp(t, type_names[i]) == 0)
			return type_names[i];
	return NULL;
}

static void
field_name(struct dmo_buf *b, const struct dmo_doc *f, size_t max)
{
	const struct dmo_doc *name = dmo_doc_get(f, "name");
	size_t len;
	const char *s = dmo_doc_string(name, &len);

	if (s != NULL)
		dmo_report_escape(b, s, len, max);
	else
		dmo_buf_adds(b, "(no name)");
}

static void
card(struct dmo_buf *b, const struct dmo_doc *f, size_t idx)
{
	const struct dmo_doc *d, *len;
	const char *type = field_type(f);
	double count = num(f, "count");

	dmo_buf_printf(b, "<section class=\"card\" id=\"field-%zu\">\n"
	    "<div class=\"head\"><h2 class=\"v\">", idx + 1);
	field_name(b, f, NAME_MAX_SHOWN);
	dmo_buf_adds(b, "</h2>");
	if (type != NULL)
		dmo_buf_printf(b, "<span class=\"badge\" style=\"background:"
		    "var(--%s)\">%s</span>", type, type);
	else if ((d = dmo_doc_get(f, "type")) != NULL &&
	    dtype(d) == DMO_DOC_STRING) {
		dmo_buf_adds(b, "<span class=\"badge\">");
		put_value(b, d, 40);
		dmo_buf_adds(b, "</span>");
	}
	dmo_buf_adds(b, "</div>\n");
	type_mix(b, f);

	dmo_buf_adds(b, "<div class=\"cols\"><div><h3>Values</h3>"
	    "<dl class=\"stats\">\n");
	stat_row(b, "count", dmo_doc_get(f, "count"), 0);
	if ((d = dmo_doc_get(f, "nulls")) != NULL && is_number(d)) {
		dmo_buf_adds(b, "<dt>nulls</dt><dd>");
		put_number(b, d);
		dmo_buf_adds(b, " <span class=\"muted\">(");
		put_pct(b, dmo_doc_number(d), count);
		dmo_buf_adds(b, ")</span></dd>\n");
	}
	stat_row(b, "empty", dmo_doc_get(f, "empties"), 0);
	if ((d = dmo_doc_get(f, "distinct")) != NULL) {
		const struct dmo_doc *exact = dmo_doc_get(d, "exact");
		double e = num(d, "error");

		dmo_buf_adds(b, "<dt>distinct</dt><dd>");
		if (exact != NULL && dtype(exact) == DMO_DOC_FALSE)
			dmo_buf_adds(b, "≈ ");
		put_value(b, dmo_doc_get(d, "value") != NULL ?
		    dmo_doc_get(d, "value") : d, 24);
		if (exact != NULL && dtype(exact) == DMO_DOC_FALSE &&
		    e > 0) {
			dmo_buf_adds(b, " <span class=\"muted\">(±");
			put_real(b, e * 100);
			dmo_buf_adds(b, "%)</span>");
		}
		dmo_buf_adds(b, "</dd>\n");
	}
	stat_row(b, "min", dmo_doc_get(f, "min"), 1);
	stat_row(b, "max", dmo_doc_get(f, "max"), 1);
	stat_round(b, "mean", dmo_doc_get(f, "mean"));
	stat_round(b, "std dev", dmo_doc_get(f, "stddev"));
	stat_row(b, "leading zeros", dmo_doc_get(f, "leading_zeros"), 0);
	if ((len = dmo_doc_get(f, "length")) != NULL &&
	    dtype(len) == DMO_DOC_OBJECT) {
		stat_row(b, "shortest", dmo_doc_get(len, "min"), 0);
		stat_row(b, "longest", dmo_doc_get(len, "max"), 0);
		stat_round(b, "mean length", dmo_doc_get(len, "mean"));
	}
	dmo_buf_adds(b, "</dl></div>\n");
	quantiles(b, dmo_doc_get(f, "quantiles"));
	dmo_buf_adds(b, "</div>\n");

	if ((d = dmo_doc_get(f, "histogram")) != NULL)
		histogram(b, d);
	count_table(b, "Top values", "value", dmo_doc_get(f, "top"), "value",
	    count);
	count_table(b, "Patterns", "pattern", dmo_doc_get(f, "patterns"),
	    "pattern", count);
	count_table(b, "Date formats", "format",
	    dmo_doc_get(f, "date_formats"), "format", count);
	dmo_buf_adds(b, "</section>\n");
}

/* The table of all fields, each name a link to its card. */
static void
overview(struct dmo_buf *b, const struct dmo_doc *fields)
{
	size_t n = dmo_doc_size(fields), i;

	dmo_buf_adds(b, "<div class=\"overview\"><table><tr><th>field</th>"
	    "<th>type</th><th class=\"n\">nulls</th><th class=\"n\">empty</th>"
	    "<th class=\"n\">distinct"
	    "</th><th>min</th><th>max</th></tr>\n");
	for (i = 0; i < n; i++) {
		const struct dmo_doc *f = dmo_doc_index(fields, i);
		const struct dmo_doc *d;
		const char *type = field_type(f);

		dmo_buf_printf(b, "<tr><td class=\"v\"><a href=\"#field-%zu\">",
		    i + 1);
		field_name(b, f, 48);
		dmo_buf_adds(b, "</a></td><td class=\"t\">");
		if (type != NULL)
			dmo_buf_printf(b, "<i class=\"dot\" style=\"color:var(--%s)"
			    "\">●</i> %s", type, type);
		dmo_buf_adds(b, "</td><td class=\"n\">");
		if ((d = dmo_doc_get(f, "nulls")) != NULL)
			put_pct(b, dmo_doc_number(d), num(f, "count"));
		dmo_buf_adds(b, "</td><td class=\"n\">");
		if ((d = dmo_doc_get(f, "empties")) != NULL)
			put_pct(b, dmo_doc_number(d), num(f, "count"));
		dmo_buf_adds(b, "</td><td class=\"n\">");
		if ((d = dmo_doc_get(f, "distinct")) != NULL) {
			if (dtype(dmo_doc_get(d, "exact")) ==
			    DMO_DOC_FALSE)
				dmo_buf_adds(b, "≈ ");
			if ((d = dmo_doc_get(d, "value")) != NULL)
				put_value(b, d, 24);
		}
		dmo_buf_adds(b, "</td><td class=\"v\">");
		if ((d = dmo_doc_get(f, "min")) != NULL)
			put_value(b, d, 30);
		dmo_buf_adds(b, "</td><td class=\"v\">");
		if ((d = dmo_doc_get(f, "max")) != NULL)
			put_value(b, d, 30);
		dmo_buf_adds(b, "</td></tr>\n");
	}
	dmo_buf_adds(b, "</table></div>\n");
}

static void
field_sets(struct dmo_buf *b, const struct dmo_doc *sets)
{
	size_t n = dmo_doc_size(sets), i, j;

	if (dtype(sets) != DMO_DOC_ARRAY || n < 2)
		return;
	dmo_buf_adds(b, "<div class=\"overview\"><h3>Field sets</h3><table>"
	    "<tr><th class=\"n\">from record</th><th>fields</th></tr>\n");
	for (i = 0; i < n; i++) {
		const struct dmo_doc *s = dmo_doc_index(sets, i);
		const struct dmo_doc *names = dmo_doc_get(s, "fields");

		dmo_buf_adds(b, "<tr><td class=\"n\">");
		put_value(b, dmo_doc_get(s, "from_record"), 24);
		dmo_buf_adds(b, "</td><td class=\"v\">");
		for (j = 0; j < dmo_doc_size(names); j++) {
			if (j > 0)
				dmo_buf_adds(b, ", ");
			put_value(b, dmo_doc_index(names, j), CELL_MAX);
		}
		dmo_buf_adds(b, "</td></tr>\n");
	}
	dmo_buf_adds(b, "</table></div>\n");
}

static void
inputs(struct dmo_buf *b, const struct dmo_doc *in)
{
	size_t n = dmo_doc_size(in), i;

	if (dtype(in) != DMO_DOC_ARRAY || n < 2)
		return;
	dmo_buf_adds(b, "<div class=\"overview\"><h3>Inputs</h3><table>"
	    "<tr><th>source</th><th class=\"n\">records</th>"
	    "<th class=\"n\">bytes</th></tr>\n");
	for (i = 0; i < n; i++) {
		const struct dmo_doc *s = dmo_doc_index(in, i);

		dmo_buf_adds(b, "<tr><td class=\"v\">");
		if (dmo_doc_get(s, "source") != NULL)
			put_value(b, dmo_doc_get(s, "source"), CELL_MAX);
		dmo_buf_adds(b, "</td><td class=\"n\">");
		put_real(b, num(s, "records"));
		dmo_buf_adds(b, "</td><td class=\"n\">");
		put_bytes(b, num(s, "bytes"));
		dmo_buf_adds(b, "</td></tr>\n");
	}
	dmo_buf_adds(b, "</table></div>\n");
}

static void
summary_item(struct dmo_buf *b, const char *label, const char *value)
{
	dmo_buf_printf(b, "<div><dt>%s</dt><dd>%s</dd></div>", label, value);
}

/* The check report: a line a rule, failed ones with their samples. */
static void
checks_section(struct dmo_buf *b, const struct dmo_doc *c)
{
	const struct dmo_doc *res = dmo_doc_get(c, "results");
	size_t n = dmo_doc_size(res), i, j;
	double failed = num(c, "failed");

	if (dtype(res) != DMO_DOC_ARRAY)
		return;
	dmo_buf_printf(b, "<div class=\"overview checks\"><h3>Checks: %s</h3>"
	    "<table><tr><th></th><th>rule</th><th>measured</th>"
	    "<th>threshold</th></tr>\n", failed > 0 ? "failed" : "all passed");
	for (i = 0; i < n; i++) {
		const struct dmo_doc *r = dmo_doc_index(res, i);
		const struct dmo_doc *smp = dmo_doc_get(r, "samples");
		const char *st = dmo_doc_string(dmo_doc_get(r, "status"), NULL);
		int bad = st != NULL && strcmp(st, "ok") != 0;

		dmo_buf_printf(b, "<tr class=\"%s\"><td><span class=\"st\">%s"
		    "</span></td><td class=\"v\">", bad ? "fail" : "ok",
		    bad ? "FAIL" : "ok");
		put_value(b, dmo_doc_get(r, "name"), NAME_MAX_SHOWN);
		dmo_buf_adds(b, "</td><td>");
		put_value(b, dmo_doc_get(r, "measured"), 0);
		for (j = 0; j < dmo_doc_size(smp); j++) {
			const struct dmo_doc *e = dmo_doc_index(smp, j);
			const struct dmo_doc *v = dmo_doc_get(e, "value");

			dmo_buf_adds(b, "<br><span class=\"muted\">");
			put_value(b, dmo_doc_get(e, "where"), CELL_MAX);
			dmo_buf_adds(b, ":</span> <span class=\"v\">");
			if (dtype(v) == DMO_DOC_STRING)
				dmo_buf_adds(b, "\xe2\x80\x9c");	/* open quote */
			put_value(b, v, CELL_MAX);
			if (dtype(v) == DMO_DOC_STRING)
				dmo_buf_adds(b, "\xe2\x80\x9d");	/* close quote */
			dmo_buf_adds(b, "</span>");
		}
		dmo_buf_adds(b, "</td><td>");
		put_value(b, dmo_doc_get(r, "threshold_text"), 0);
		dmo_buf_adds(b, "</td></tr>\n");
	}
	dmo_buf_adds(b, "</table></div>\n");
}

int
dmo_report_html(struct dmo_buf *b, const struct dmo_doc *doc,
    const struct dmo_doc *checks, const char *title, struct dmo_err *err)
{
	const struct dmo_doc *fields, *d;
	struct dmo_buf tmp = DMO_BUF_INIT;
	size_t n, i;

	if (doc == NULL || dtype(doc) != DMO_DOC_OBJECT) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL,
		    "profile: not an object: %s",
		    doc == NULL ? "null" : dmo_doc_type_name(doc));
		return -1;
	}
	fields = dmo_doc_get(doc, "fields");
	if (dtype(fields) != DMO_DOC_ARRAY)
		fields = NULL;
	n = dmo_doc_size(fields);

	dmo_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    /* The browser itself holds the page to "no script, no network". */
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'\">\n"
	    "<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"dmo-profile " DMO_VERSION
	    "\">\n<title>Profile");
	if (title != NULL) {
		dmo_buf_adds(b, " of ");
		dmo_report_escape(b, title, strlen(title), NAME_MAX_SHOWN);
	}
	dmo_buf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n"
	    "<header>\n<h1>Profile", style);
	if (title != NULL) {
		dmo_buf_adds(b, " <span class=\"src\">of ");
		dmo_report_escape(b, title, strlen(title), NAME_MAX_SHOWN);
		dmo_buf_adds(b, "</span>");
	}
	dmo_buf_adds(b, "</h1>\n<dl class=\"summary\">");
	if ((d = dmo_doc_get(doc, "records")) != NULL && is_number(d)) {
		put_number(&tmp, d);
		summary_item(b, "records", dmo_buf_cstr(&tmp));
		tmp.len = 0;
	}
	if ((d = dmo_doc_get(doc, "bytes")) != NULL && is_number(d)) {
		put_bytes(&tmp, dmo_doc_number(d));
		summary_item(b, "bytes", dmo_buf_cstr(&tmp));
		tmp.len = 0;
	}
	put_count(&tmp, (long long)n);
	summary_item(b, "fields", dmo_buf_cstr(&tmp));
	tmp.len = 0;
	if ((d = dmo_doc_get(doc, "field_sets")) != NULL &&
	    dtype(d) == DMO_DOC_ARRAY) {
		put_count(&tmp, (long long)dmo_doc_size(d));
		summary_item(b, "field sets", dmo_buf_cstr(&tmp));
		tmp.len = 0;
	}
	if ((d = dmo_doc_get(doc, "fields_dropped")) != NULL &&
	    dmo_doc_number(d) > 0) {
		put_number(&tmp, d);
		summary_item(b, "fields not profiled", dmo_buf_cstr(&tmp));
		tmp.len = 0;
	}
	dmo_buf_release(&tmp);
	dmo_buf_adds(b, "</dl>\n</header>\n<main>\n");
	if (checks != NULL)
		checks_section(b, checks);
	inputs(b, dmo_doc_get(doc, "inputs"));
	if (n > 0)
		overview(b, fields);
	field_sets(b, dmo_doc_get(doc, "field_sets"));
	for (i = 0; i < n; i++)
		card(b, dmo_doc_index(fields, i), i);
	if (n == 0)
		dmo_buf_adds(b, "<p class=\"muted\">No fields: the input held "
		    "no records.</p>\n");
	dmo_buf_adds(b, "</main>\n<footer>Made by dmo-profile " DMO_VERSION
	    ".</footer>\n</body>\n</html>\n");
	return 0;
}
