/* checks.c - quality rules for cron: load, measure, judge, report. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <math.h>		/* macros only: no libm */
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "checks.h"
#include "err.h"
#include "exitcode.h"
#include "json.h"
#include "record.h"
#include "value.h"

enum kind {
	K_RECORDS,
	K_NULL_RATE,
	K_UNIQUE,
	K_RANGE,
	K_ALLOWED,
	K_PATTERN,
	K_MAX_AGE,
	K_DISTINCT,
	K_NONE
};

static const char *const kind_names[] = {
	"records", "null_rate", "unique", "range", "allowed", "pattern",
	"max_age", "distinct"
};

/* Sample values kept for the report: up to this many bytes each. */
#define SAMPLE_MAX	256

struct sample {
	char		*val;		/* the value's text, cut */
	size_t		 len;
	int		 isnull;
	char		*where;		/* "file:line" */
};

struct allowed {
	int		 isnum;
	double		 num;
	char		*s;
	size_t		 len;
};

/* The set of values seen by a unique rule (open addressing). */
struct uslot {
	uint32_t	 hash;
	uint32_t	 len;		/* records are far below 4 GiB */
	size_t		 off;		/* into the arena; 0: empty */
};

struct uset {
	struct dmo_buf	 arena;		/* type byte, then the bytes */
	struct uslot	*slot;
	size_t		 cap, n;
	int		 full;
};

struct rule {
	enum kind	 kind;
	char		*name;
	char		*field;
	size_t		 fieldlen;
	unsigned long	 line, col;
	/* Thresholds. */
	int		 has_min, has_max;
	double		 min, max;
	int		 strbounds;	/* range: compare as text */
	char		*smin, *smax;
	struct allowed	*allowed;
	size_t		 nallowed;
	regex_t		 re;
	int		 re_ok;
	char		*regex;
	double		 max_age;
	char		*max_age_text;
	/* Measures. */
	unsigned long long values;	/* non-null values seen */
	unsigned long long nulls;
	unsigned long long bad;		/* offending values */
	int		 have_num;
	double		 vmin, vmax;
	struct dmo_buf	 tmin, tmax;	/* range over text */
	int		 have_text;
	double		 newest;
	int		 have_newest;
	struct sample	 newest_sample;
	struct sample	 samples[DMO_CHECKS_SAMPLES];
	size_t		 nsamples;
	struct uset	 set;
	unsigned long	 shape;		/* the record shape idx is for */
	long		 idx;
	/* The judgement. */
	int		 failed;
	struct dmo_buf	 measured;
	struct dmo_buf	 threshold;
	double		 mvalue;	/* the measured number, for JSON */
	int		 has_mvalue;
};

struct dmo_checks {
	char		*file;
	struct rule	*rules;
	size_t		 n;
	unsigned long long records;
	double		 now;
	size_t		 failed;
	int		 finished;
};

/* dmo_doc_type for a member that may be absent (NULL). */
static enum dmo_doc_type
dtype(const struct dmo_doc *d)
{
	return d == NULL ? DMO_DOC_NULL : dmo_doc_type(d);
}

/* Is v a whole number small enough to print as an integer? */
static int
whole(double v)
{
	return v > -9e15 && v < 9e15 && v == (double)(long long)v;
}

static int
is_number(const struct dmo_doc *d)
{
	return dtype(d) == DMO_DOC_INT || dtype(d) == DMO_DOC_REAL;
}

/* --- where things are in the rules file ---------------------------------- */

/*
 * jansson says where a syntax error is but not where a valid value is.
 * Once the text has parsed, this scanner walks it again and notes the
 * position of every value and member key in document order; the loader
 * walks the document in the same order, so node i of the one is value i
 * of the other.
 */
struct jnode {
	unsigned long	 line, col;	/* the value */
	unsigned long	 kline, kcol;	/* its key, in an object */
	size_t		 end;		/* the node after its subtree */
};

struct jscan {
	const char	*p;
	size_t		 n, i;
	unsigned long	 line, col;
	struct jnode	*node;
	size_t		 nnode, cap;
};

static void
js_adv(struct jscan *s)
{
	if (s->p[s->i] == '\n') {
		s->line++;
		s->col = 1;
	} else if (((unsigned char)s->p[s->i] & 0xc0) != 0x80)
		s->col++;
	s->i++;
}

/* jansson passes over a NUL byte between tokens; so must the scanner. */
static void
js_ws(struct jscan *s)
{
	while (s->i < s->n && (s->p[s->i] == ' ' || s->p[s->i] == '\t' ||
	    s->p[s->i] == '\n' || s->p[s->i] == '\r' || s->p[s->i] == '\0'))
		js_adv(s);
}

static void
js_string(struct jscan *s)
{
	js_adv(s);			/* the opening quote */
	while (s->i < s->n && s->p[s->i] != '"') {
		if (s->p[s->i] == '\\')
			js_adv(s);
		if (s->i < s->n)
			js_adv(s);
	}
	if (s->i < s->n)
		js_adv(s);
}

static void
js_value(struct jscan *s, unsigned long kline, unsigned long kcol)
{
	size_t me;

	js_ws(s);
	if (s->nnode == s->cap) {
		s->cap = s->cap == 0 ? 64 : 2 * s->cap;
		s->node = dmo_xreallocarray(s->node, s->cap, sizeof(*s->node));
	}
	me = s->nnode++;
	s->node[me].line = s->line;
	s->node[me].col = s->col;
	s->node[me].kline = kline;
	s->node[me].kcol = kcol;
	if (s->i >= s->n) {
		s->node[me].end = s->nnode;
		return;
	}
	switch (s->p[s->i]) {
	case '{':
	case '[': {
		char close = s->p[s->i] == '{' ? '}' : ']';

		js_adv(s);
		for (;;) {
			unsigned long kl = 0, kc = 0;

			js_ws(s);
			if (s->i >= s->n || s->p[s->i] == close)
				break;
			if (close == '}') {
				kl = s->line;
				kc = s->col;
				js_string(s);
				js_ws(s);
				if (s->i < s->n)
					js_adv(s);	/* : */
			}
			js_value(s, kl, kc);
			js_ws(s);
			if (s->i < s->n && s->p[s->i] == ',')
				js_adv(s);
		}
		if (s->i < s->n)
			js_adv(s);
		break;
	}
	case '"':
		js_string(s);
		break;
	default:
		while (s->i < s->n && strchr(",]} \t\r\n", s->p[s->i]) == NULL)
			js_adv(s);
		break;
	}
	s->node[me].end = s->nnode;
}

/* The loader's cursor: a document value and its node. */
struct at {
	const struct dmo_doc	*d;
	size_t			 node;
};

struct loader {
	struct jscan	 scan;
	const char	*file;
	struct dmo_err	*err;
};

/* Child k of a container node. */
static size_t
child_node(const struct loader *l, size_t node, size_t k)
{
	size_t i = node + 1;

	while (k-- > 0 && i < l->scan.nnode)
		i = l->scan.node[i].end;
	return i;
}

static int
fail_at(struct loader *l, size_t node, int key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail_at(struct loader *l, size_t node, int key, const char *fmt, ...)
{
	struct dmo_loc loc = { l->file, 0, 0 };
	va_list ap;

	if (node < l->scan.nnode) {
		loc.line = key ? l->scan.node[node].kline :
		    l->scan.node[node].line;
		loc.col = key ? l->scan.node[node].kcol :
		    l->scan.node[node].col;
	}
	va_start(ap, fmt);
	dmo_err_vset(l->err, DMO_EXIT_USAGE, &loc, fmt, ap);
	va_end(ap);
	return -1;
}

/* --- small parsers ------------------------------------------------------- */

static int
digits(const char *p, size_t n, size_t *i, int count, int *v)
{
	int k;

	*v = 0;
	for (k = 0; k < count; k++, (*i)++) {
		if (*i >= n || p[*i] < '0' || p[*i] > '9')
			return -1;
		*v = *v * 10 + (p[*i] - '0');
	}
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Hinnant). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
dmo_checks_parse_time(const char *p, size_t n, double *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, s = 0, oh, om, sign;
	double frac = 0, scale = 0.1;
	char *end;

	if (n > 1 && p[0] == '@') {
		char buf[64];

		if (n - 1 >= sizeof(buf))
			return -1;
		memcpy(buf, p + 1, n - 1);
		buf[n - 1] = '\0';
		errno = 0;
		*t = strtod(buf, &end);
		return *end == '\0' && errno == 0 && isfinite(*t) &&
		    (buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')) ?
		    0 : -1;
	}
	if (digits(p, n, &i, 4, &y) || i >= n || p[i++] != '-' ||
	    digits(p, n, &i, 2, &mo) || i >= n || p[i++] != '-' ||
	    digits(p, n, &i, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 != 0 ||
	    (y % 100 == 0 && y % 400 != 0))))
		return -1;
	if (i < n) {
		if (p[i] != 'T' && p[i] != 't' && p[i] != ' ')
			return -1;
		i++;
		if (digits(p, n, &i, 2, &h) || i >= n || p[i++] != ':' ||
		    digits(p, n, &i, 2, &mi))
			return -1;
		if (i < n && p[i] == ':') {
			i++;
			if (digits(p, n, &i, 2, &s))
				return -1;
			if (i < n && (p[i] == '.' || p[i] == ',')) {
				i++;
				if (i >= n || p[i] < '0' || p[i] > '9')
					return -1;
				while (i < n && p[i] >= '0' && p[i] <= '9') {
					frac += (p[i++] - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (h > 23 || mi > 59 || s > 60)
			return -1;
		if (i < n && (p[i] == 'Z' || p[i] == 'z'))
			i++;
		else if (i < n && (p[i] == '+' || p[i] == '-')) {
			sign = p[i++] == '-' ? -1 : 1;
			if (digits(p, n, &i, 2, &oh))
				return -1;
			if (i < n && p[i] == ':')
				i++;
			if (digits(p, n, &i, 2, &om) || oh > 23 || om > 59)
				return -1;
			h -= sign * oh;
			mi -= sign * om;
		}
		if (i != n)
			return -1;
	}
	*t = (double)days_from_civil(y, mo, d) * 86400.0 + h * 3600.0 +
	    mi * 60.0 + s + frac;
	return 0;
}

int
dmo_checks_parse_duration(const char *p, size_t n, double *secs)
{
	size_t i = 0;
	double total = 0;

	if (n == 0)
		return -1;
	while (i < n) {
		double v = 0, unit;
		size_t start = i;

		while (i < n && p[i] >= '0' && p[i] <= '9')
			v = v * 10 + (p[i++] - '0');
		if (i == start || v > 1e12)
			return -1;
		if (i == n) {
			if (start != 0)
				return -1;	/* "1d5": a unit is needed */
			unit = 1;
		} else {
			switch (p[i++]) {
			case 's': unit = 1; break;
			case 'm': unit = 60; break;
			case 'h': unit = 3600; break;
			case 'd': unit = 86400; break;
			case 'w': unit = 604800; break;
			default: return -1;
			}
		}
		total += v * unit;
	}
	*secs = total;
	return 0;
}

/* "1d2h3m4s", or "0s". */
static void
put_duration(struct dmo_buf *b, double secs)
{
	static const struct {
		double		 n;
		char		 u;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	long long left;
	size_t i;
	int any = 0;

	if (secs < 0) {
		dmo_buf_addc(b, '-');
		secs = -secs;
	}
	left = (long long)(secs + 0.5);
	for (i = 0; i < 4; i++) {
		long long q = left / (long long)units[i].n;

		if (q > 0) {
			dmo_buf_printf(b, "%lld%c", q, units[i].u);
			left -= q * (long long)units[i].n;
			any = 1;
		}
	}
	if (!any)
		dmo_buf_adds(b, "0s");
}

/* A value of a record as a number: numbers and numeric text. */
static int
value_number(enum dmo_type t, const char *p, size_t n, double *v)
{
	char *end;

	if (t != DMO_NUMBER && t != DMO_STRING)
		return -1;
	if (n == 0 || strlen(p) != n)
		return -1;
	if (!(p[0] == '-' || p[0] == '+' || p[0] == '.' ||
	    (p[0] >= '0' && p[0] <= '9')))
		return -1;
	errno = 0;
	*v = strtod(p, &end);
	if (*end != '\0' || !isfinite(*v))
		return -1;
	return 0;
}

/* --- loading ------------------------------------------------------------- */

static int
get_number(struct loader *l, struct at a, const char *what, double lo,
    double hi, int integer, double *out)
{
	double v;

	if (!is_number(a.d))
		return fail_at(l, a.node, 0, "'%s': expected a number, not %s",
		    what, dmo_doc_type_name(a.d));
	v = dmo_doc_number(a.d);
	if (v < lo || v > hi || (integer && !whole(v))) {
		char *text = dmo_doc_dump(a.d);

		fail_at(l, a.node, 0, "'%s': expected %s from %g to %g: %s",
		    what, integer ? "an integer" : "a number", lo, hi,
		    text != NULL ? text : "?");
		free(text);
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * {"min": x, "max": y}, at least one.  kind_lo/hi bound the numbers;
 * with text set, strings are accepted too (range over dates).
 */
static int
load_bounds(struct loader *l, struct rule *r, struct at a, const char *what,
    double lo, double hi, int integer, int text)
{
	void *it;
	size_t k = 0;

	if (dtype(a.d) != DMO_DOC_OBJECT)
		return fail_at(l, a.node, 0, "'%s': expected an object with "
		    "\"min\" and/or \"max\", not %s", what,
		    dmo_doc_type_name(a.d));
	for (it = dmo_doc_iter(a.d); it != NULL;
	    it = dmo_doc_iter_next(a.d, it), k++) {
		const char *key = dmo_doc_iter_key(it);
		struct at v = { dmo_doc_iter_value(it),
			child_node(l, a.node, k) };
		int ismin = strcmp(key, "min") == 0;
		char label[64];

		if (!ismin && strcmp(key, "max") != 0)
			return fail_at(l, v.node, 1, "'%s': unknown keyword "
			    "'%s' (expected min, max)", what, key);
		snprintf(label, sizeof(label), "%s.%s", what, key);
		if (text && dtype(v.d) == DMO_DOC_STRING) {
			if (k > 0 && !r->strbounds)
				return fail_at(l, v.node, 0, "'%s': min and "
				    "max must both be numbers or both strings",
				    what);
			r->strbounds = 1;
			*(ismin ? &r->smin : &r->smax) =
			    dmo_xstrdup(dmo_doc_string(v.d, NULL));
		} else {
			if (r->strbounds)
				return fail_at(l, v.node, 0, "'%s': min and "
				    "max must both be numbers or both strings",
				    what);
			if (get_number(l, v, label, lo, hi, integer,
			    ismin ? &r->min : &r->max) != 0)
				return -1;
		}
		*(ismin ? &r->has_min : &r->has_max) = 1;
	}
	if (k == 0)
		return fail_at(l, a.node, 0, "'%s': expected \"min\" and/or "
		    "\"max\"", what);
	if (r->has_min && r->has_max && (r->strbounds ?
	    strcmp(r->smin, r->smax) > 0 : r->min > r->max))
		return fail_at(l, a.node, 0, "'%s': min is above max", what);
	return 0;
}

static int
load_allowed(struct loader *l, struct rule *r, struct at a)
{
	size_t i, n = dmo_doc_size(a.d);

	if (dtype(a.d) != DMO_DOC_ARRAY || n == 0)
		return fail_at(l, a.node, 0, "'allowed': expected a non-empty "
		    "array of strings and numbers");
	r->allowed = dmo_xcalloc(n, sizeof(*r->allowed));
	for (i = 0; i < n; i++) {
		struct at v = { dmo_doc_index(a.d, i),
			child_node(l, a.node, i) };
		struct allowed *al = &r->allowed[r->nallowed++];
		const char *s;

		switch (dtype(v.d)) {
		case DMO_DOC_STRING:
			s = dmo_doc_string(v.d, &al->len);
			al->s = dmo_xmemdup(s, al->len);
			break;
		case DMO_DOC_INT:
		case DMO_DOC_REAL:
			al->isnum = 1;
			al->num = dmo_doc_number(v.d);
			al->s = dmo_doc_dump(v.d);
			al->len = strlen(al->s);
			break;
		case DMO_DOC_TRUE:
		case DMO_DOC_FALSE:
			al->s = dmo_xstrdup(dtype(v.d) == DMO_DOC_TRUE ?
			    "true" : "false");
			al->len = strlen(al->s);
			break;
		default:
			return fail_at(l, v.node, 0, "'allowed': expected "
			    "strings, numbers or booleans, not %s",
			    dmo_doc_type_name(v.d));
		}
	}
	return 0;
}

/*
 * glibc's regcomp builds an automaton whose size grows with the product
 * of the repetition bounds, and takes gigabytes for an expression such as
 * "(a{255}){255}" or "a++++++++++": one line of a rules file must not
 * exhaust memory.  So stacked quantifiers, which POSIX leaves undefined
 * for EREs anyway, are refused, and the expression's length times the
 * product of its bounds must stay under ERE_BUDGET.  Returns NULL, or why
 * not.
 */
#define ERE_BUDGET	100000.0

static const char *
ere_too_big(const char *re)
{
	const char *p, *q;
	double cost = (double)strlen(re) + 1;
	int prevq = 0, c;
	unsigned long lo, hi;
	char *end;

	for (p = re; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			if (p[1] != '\0')
				p++;
			prevq = 0;
			continue;
		case '[':
			/* A bracket expression: ']' first is a member. */
			q = p + 1;
			if (*q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q != '\0' && *q != ']') {
				if (*q == '[' && (q[1] == ':' || q[1] == '.' ||
				    q[1] == '=')) {
					c = q[1];
					for (q += 2; *q != '\0' &&
					    !(*q == c && q[1] == ']'); q++)
						;
					if (*q != '\0')
						q += 2;
					continue;
				}
				q++;
			}
			if (*q == '\0')
				return NULL;	/* regcomp says what is wrong */
			p = q;
			prevq = 0;
			continue;
		case '*':
		case '+':
		case '?':
			if (prevq)
				return "a repeated quantifier";
			prevq = 1;
			cost *= *p == '+' ? 2 : 1;
			continue;
		case '{':
			if (p[1] < '0' || p[1] > '9')
				break;
			if (prevq)
				return "a repeated quantifier";
			lo = strtoul(p + 1, &end, 10);
			hi = lo;
			if (*end == ',') {
				hi = end[1] >= '0' && end[1] <= '9' ?
				    strtoul(end + 1, &end, 10) : lo + 1;
				if (end[0] == ',')
					end++;
			}
			if (*end != '}')
				return NULL;
			cost *= (double)(hi > lo ? hi : lo) + 1;
			if (cost > ERE_BUDGET)
				return "too large to compile (lower its "
				    "repetition bounds)";
			p = end;
			prevq = 1;
			continue;
		default:
			break;
		}
		prevq = 0;
	}
	return cost > ERE_BUDGET ? "too large to compile (lower its "
	    "repetition bounds)" : NULL;
}

static int
load_regex(struct loader *l, struct rule *r, struct at a, const char *what)
{
	const char *why;
	const char *s;
	size_t len;
	int rc;
	char msg[200];

	if ((s = dmo_doc_string(a.d, &len)) == NULL)
		return fail_at(l, a.node, 0, "'%s': expected a string, "
		    "not %s", what, dmo_doc_type_name(a.d));
	if (strlen(s) != len)
		return fail_at(l, a.node, 0, "'%s': holds a NUL byte", what);
	if ((why = ere_too_big(s)) != NULL)
		return fail_at(l, a.node, 0, "'%s': %s: %s", what, why,
		    dmo_quote(s, len));
	r->regex = dmo_xstrdup(s);
	if ((rc = regcomp(&r->re, s, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, &r->re, msg, sizeof(msg));
		return fail_at(l, a.node, 0, "'%s': %s: %s", what, msg,
		    dmo_quote(s, len));
	}
	r->re_ok = 1;
	return 0;
}

static int
load_pattern(struct loader *l, struct rule *r, struct at a)
{
	void *it;
	size_t k = 0;
	int have_regex = 0;

	r->has_min = 1;
	r->min = 1;
	if (dtype(a.d) == DMO_DOC_STRING)
		return load_regex(l, r, a, "pattern");
	if (dtype(a.d) != DMO_DOC_OBJECT)
		return fail_at(l, a.node, 0, "'pattern': expected a regular "
		    "expression or {\"regex\": ..., \"min_rate\": ...}, not %s",
		    dmo_doc_type_name(a.d));
	for (it = dmo_doc_iter(a.d); it != NULL;
	    it = dmo_doc_iter_next(a.d, it), k++) {
		const char *key = dmo_doc_iter_key(it);
		struct at v = { dmo_doc_iter_value(it),
			child_node(l, a.node, k) };

		if (strcmp(key, "regex") == 0) {
			if (load_regex(l, r, v, "pattern.regex") != 0)
				return -1;
			have_regex = 1;
		} else if (strcmp(key, "min_rate") == 0) {
			if (get_number(l, v, "pattern.min_rate", 0, 1, 0,
			    &r->min) != 0)
				return -1;
		} else
			return fail_at(l, v.node, 1, "'pattern': unknown "
			    "keyword '%s' (expected regex, min_rate)", key);
	}
	if (!have_regex)
		return fail_at(l, a.node, 0, "'pattern': \"regex\" is "
		    "required");
	return 0;
}

static int
load_check(struct loader *l, struct rule *r, struct at a)
{
	const char *s;
	size_t len;

	switch (r->kind) {
	case K_RECORDS:
		return load_bounds(l, r, a, "records", 0, 9e15, 1, 0);
	case K_DISTINCT:
		return load_bounds(l, r, a, "distinct", 0, 9e15, 1, 0);
	case K_NULL_RATE:
		return load_bounds(l, r, a, "null_rate", 0, 1, 0, 0);
	case K_RANGE:
		return load_bounds(l, r, a, "range", -HUGE_VAL, HUGE_VAL, 0, 1);
	case K_ALLOWED:
		return load_allowed(l, r, a);
	case K_PATTERN:
		return load_pattern(l, r, a);
	case K_UNIQUE:
		if (dtype(a.d) != DMO_DOC_TRUE)
			return fail_at(l, a.node, 0, "'unique': expected "
			    "true");
		return 0;
	case K_MAX_AGE:
		if (is_number(a.d)) {
			r->max_age = dmo_doc_number(a.d);
			r->max_age_text = dmo_doc_dump(a.d);
			if (r->max_age >= 0)
				return 0;
		} else if ((s = dmo_doc_string(a.d, &len)) != NULL &&
		    dmo_checks_parse_duration(s, len, &r->max_age) == 0) {
			r->max_age_text = dmo_xstrdup(s);
			return 0;
		}
		s = dmo_doc_dump(a.d);
		fail_at(l, a.node, 0, "'max_age': not a duration (90s, 15m, "
		    "36h, 7d): %s", s != NULL ? s : "?");
		free((char *)s);
		return -1;
	case K_NONE:
		break;
	}
	return -1;
}

static int
load_rule(struct loader *l, struct rule *r, struct at a, size_t index)
{
	void *it;
	size_t k = 0, checknode = 0;
	struct at check = { NULL, 0 };
	size_t i;

	r->kind = K_NONE;
	if (dtype(a.d) != DMO_DOC_OBJECT)
		return fail_at(l, a.node, 0, "rule %zu: expected an object, "
		    "not %s", index + 1, dmo_doc_type_name(a.d));
	r->line = l->scan.node[a.node].line;
	r->col = l->scan.node[a.node].col;
	for (it = dmo_doc_iter(a.d); it != NULL;
	    it = dmo_doc_iter_next(a.d, it), k++) {
		const char *key = dmo_doc_iter_key(it);
		struct at v = { dmo_doc_iter_value(it),
			child_node(l, a.node, k) };
		const char *s;
		size_t len;

		if (strcmp(key, "name") == 0 || strcmp(key, "field") == 0) {
			if ((s = dmo_doc_string(v.d, &len)) == NULL ||
			    len == 0)
				return fail_at(l, v.node, 0, "'%s': expected "
				    "a non-empty string", key);
			if (key[0] == 'n')
				r->name = dmo_xmemdup(s, len);
			else {
				r->field = dmo_xmemdup(s, len);
				r->fieldlen = len;
			}
			continue;
		}
		for (i = 0; i < K_NONE; i++)
			if (strcmp(key, kind_names[i]) == 0)
				break;
		if (i == K_NONE)
			return fail_at(l, v.node, 1, "unknown keyword '%s'",
			    key);
		if (r->kind != K_NONE)
			return fail_at(l, v.node, 1, "rule %zu: a second "
			    "check '%s' after '%s' (write one rule a check)",
			    index + 1, key, kind_names[r->kind]);
		r->kind = (enum kind)i;
		check = v;
		checknode = v.node;
	}
	if (r->kind == K_NONE)
		return fail_at(l, a.node, 0, "rule %zu: no check (one of "
		    "records, null_rate, unique, range, allowed, pattern, "
		    "max_age, distinct)", index + 1);
	if (r->kind == K_RECORDS && r->field != NULL)
		return fail_at(l, checknode, 1, "'records' counts records: "
		    "it takes no \"field\"");
	if (r->kind != K_RECORDS && r->field == NULL)
		return fail_at(l, checknode, 1, "'%s': \"field\" is required",
		    kind_names[r->kind]);
	if (load_check(l, r, check) != 0)
		return -1;
	if (r->name == NULL) {
		struct dmo_buf b = DMO_BUF_INIT;

		if (r->field != NULL) {
			dmo_buf_add(&b, r->field, r->fieldlen);
			dmo_buf_addc(&b, ' ');
		}
		dmo_buf_adds(&b, kind_names[r->kind]);
		dmo_buf_cstr(&b);
		r->name = b.p;
	}
	return 0;
}

struct dmo_checks *
dmo_checks_parse(const char *text, size_t len, const char *name,
    struct dmo_err *err)
{
	struct loader l;
	struct dmo_doc *doc;
	struct dmo_checks *c;
	struct at rules = { NULL, 0 };
	void *it;
	size_t k = 0, i;

	dmo_err_clear(err);
	if ((doc = dmo_doc_parse(text, len, name, err)) == NULL)
		return NULL;
	memset(&l, 0, sizeof(l));
	l.file = name;
	l.err = err;
	l.scan.p = text;
	l.scan.n = len;
	l.scan.line = 1;
	l.scan.col = 1;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		l.scan.i = 3;
	js_value(&l.scan, 0, 0);

	c = dmo_xcalloc(1, sizeof(*c));
	c->file = dmo_xstrdup(name);
	c->now = (double)time(NULL);
	if (dtype(doc) != DMO_DOC_OBJECT) {
		fail_at(&l, 0, 0, "expected an object {\"rules\": [...]}, "
		    "not %s", dmo_doc_type_name(doc));
		goto fail;
	}
	for (it = dmo_doc_iter(doc); it != NULL;
	    it = dmo_doc_iter_next(doc, it), k++) {
		const char *key = dmo_doc_iter_key(it);

		if (strcmp(key, "rules") != 0) {
			fail_at(&l, child_node(&l, 0, k), 1,
			    "unknown keyword '%s' (expected rules)", key);
			goto fail;
		}
		rules.d = dmo_doc_iter_value(it);
		rules.node = child_node(&l, 0, k);
	}
	if (rules.d == NULL) {
		fail_at(&l, 0, 0, "\"rules\" is required");
		goto fail;
	}
	if (dtype(rules.d) != DMO_DOC_ARRAY) {
		fail_at(&l, rules.node, 0, "'rules': expected an array, not %s",
		    dmo_doc_type_name(rules.d));
		goto fail;
	}
	if (dmo_doc_size(rules.d) == 0) {
		/* Most likely a mistake, and a check that cannot fail. */
		fail_at(&l, rules.node, 0, "'rules': empty: no rule to check");
		goto fail;
	}
	c->rules = dmo_xcalloc(dmo_doc_size(rules.d) + 1, sizeof(*c->rules));
	for (i = 0; i < dmo_doc_size(rules.d); i++) {
		struct at a = { dmo_doc_index(rules.d, i),
			child_node(&l, rules.node, i) };

		c->n++;
		if (load_rule(&l, &c->rules[i], a, i) != 0)
			goto fail;
	}
	free(l.scan.node);
	dmo_doc_free(doc);
	return c;
fail:
	free(l.scan.node);
	dmo_doc_free(doc);
	dmo_checks_free(c);
	return NULL;
}

struct dmo_checks *
dmo_checks_load(const char *path, struct dmo_err *err)
{
	struct dmo_buf b = DMO_BUF_INIT;
	struct dmo_loc loc = { path, 0, 0 };
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct dmo_checks *c;
	char chunk[8192];
	size_t n;

	loc.file = name;
	if (f == NULL) {
		dmo_err_set(err, DMO_EXIT_IO, &loc, "%s", strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		dmo_buf_add(&b, chunk, n);
	if (ferror(f)) {
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "read error");
		c = NULL;
	} else
		c = dmo_checks_parse(b.len > 0 ? b.p : "", b.len, name, err);
	if (f != stdin)
		fclose(f);
	dmo_buf_release(&b);
	return c;
}

static void
sample_free(struct sample *s)
{
	free(s->val);
	free(s->where);
	memset(s, 0, sizeof(*s));
}

void
dmo_checks_free(struct dmo_checks *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		struct rule *r = &c->rules[i];

		free(r->name);
		free(r->field);
		free(r->smin);
		free(r->smax);
		for (j = 0; j < r->nallowed; j++)
			free(r->allowed[j].s);
		free(r->allowed);
		if (r->re_ok)
			regfree(&r->re);
		free(r->regex);
		free(r->max_age_text);
		dmo_buf_release(&r->tmin);
		dmo_buf_release(&r->tmax);
		sample_free(&r->newest_sample);
		for (j = 0; j < r->nsamples; j++)
			sample_free(&r->samples[j]);
		dmo_buf_release(&r->set.arena);
		free(r->set.slot);
		dmo_buf_release(&r->measured);
		dmo_buf_release(&r->threshold);
	}
	free(c->rules);
	free(c->file);
	free(c);
}

void
dmo_checks_set_now(struct dmo_checks *c, double now)
{
	c->now = now;
}

size_t
dmo_checks_count(const struct dmo_checks *c)
{
	return c->n;
}

/* --- measuring ----------------------------------------------------------- */

static void
sample_set(struct sample *s, const struct dmo_record *rec, const char *p,
    size_t n, int isnull)
{
	char where[64];

	sample_free(s);
	s->isnull = isnull;
	s->len = n > SAMPLE_MAX ? SAMPLE_MAX : n;
	s->val = dmo_xmemdup(p != NULL ? p : "", s->len);
	snprintf(where, sizeof(where), ":%lu", rec->loc.line);
	s->where = dmo_xmalloc(strlen(rec->loc.file != NULL ?
	    rec->loc.file : "<stdin>") + strlen(where) + 1);
	strcpy(s->where, rec->loc.file != NULL ? rec->loc.file : "<stdin>");
	strcat(s->where, where);
}

static void
offend(struct rule *r, const struct dmo_record *rec, const char *p, size_t n,
    int isnull)
{
	r->bad++;
	if (r->nsamples < DMO_CHECKS_SAMPLES)
		sample_set(&r->samples[r->nsamples++], rec, p, n, isnull);
}

/* Has the unique set seen this value?  Adds it if not. */
static int
uset_seen(struct uset *u, enum dmo_type t, const char *p, size_t n)
{
	size_t h, i, mask;
	char tag = t == DMO_STRING ? 's' : 'v';

	h = (uint32_t)(dmo_hash(p, n) ^ (size_t)tag);
	/* Three quarters full at most: 16-byte slots, so 1M values take 32 MB. */
	if ((u->n + 1) * 4 > u->cap * 3) {
		size_t ncap = u->cap == 0 ? 1024 : u->cap * 2, j;
		struct uslot *old = u->slot;
		size_t ocap = u->cap;

		u->slot = dmo_xcalloc(ncap, sizeof(*u->slot));
		u->cap = ncap;
		for (j = 0; j < ocap; j++) {
			struct uslot *e = old + j;

			if (e->off == 0)
				continue;
			i = e->hash & (ncap - 1);
			while (u->slot[i].off != 0)
				i = (i + 1) & (ncap - 1);
			u->slot[i] = *e;
		}
		free(old);
	}
	mask = u->cap - 1;
	for (i = h & mask; u->slot[i].off != 0; i = (i + 1) & mask) {
		if (u->slot[i].hash == (uint32_t)h && u->slot[i].len == n &&
		    u->arena.p[u->slot[i].off - 1] == tag &&
		    memcmp(u->arena.p + u->slot[i].off, p, n) == 0)
			return 1;
	}
	/* off 0 marks an empty slot: the arena starts with a pad byte. */
	if (u->arena.len == 0)
		dmo_buf_addc(&u->arena, 0);
	dmo_buf_addc(&u->arena, tag);
	u->slot[i].hash = (uint32_t)h;
	u->slot[i].off = u->arena.len;
	u->slot[i].len = (uint32_t)n;
	dmo_buf_add(&u->arena, p, n);
	u->n++;
	if (u->arena.len + u->cap * sizeof(*u->slot) > DMO_CHECKS_UNIQUE_MAX)
		u->full = 1;
	return 0;
}

static int
is_allowed(const struct rule *r, enum dmo_type t, const char *p, size_t n)
{
	double v;
	int isnum = value_number(t, p, n, &v) == 0;
	size_t i;

	for (i = 0; i < r->nallowed; i++) {
		const struct allowed *a = &r->allowed[i];

		if (a->isnum ? isnum && v == a->num :
		    a->len == n && memcmp(a->s, p, n) == 0)
			return 1;
	}
	return 0;
}

static void
text_minmax(struct rule *r, const char *p, size_t n)
{
	if (!r->have_text) {
		dmo_buf_add(&r->tmin, p, n);
		dmo_buf_add(&r->tmax, p, n);
		r->have_text = 1;
		return;
	}
	if (memcmp(p, r->tmin.p, n < r->tmin.len ? n : r->tmin.len) < 0 ||
	    (n < r->tmin.len && memcmp(p, r->tmin.p, n) == 0)) {
		r->tmin.len = 0;
		dmo_buf_add(&r->tmin, p, n);
	}
	if (memcmp(p, r->tmax.p, n < r->tmax.len ? n : r->tmax.len) > 0 ||
	    (n > r->tmax.len && memcmp(p, r->tmax.p, r->tmax.len) == 0)) {
		r->tmax.len = 0;
		dmo_buf_add(&r->tmax, p, n);
	}
}

/* Byte order, shorter first on a common prefix (as strcmp). */
static int
bytecmp(const char *a, size_t an, const char *b, size_t bn)
{
	int d = memcmp(a, b, an < bn ? an : bn);

	return d != 0 ? d : an < bn ? -1 : an > bn;
}

static void
measure(struct rule *r, const struct dmo_record *rec, enum dmo_type t,
    const char *p, size_t n)
{
	double v;

	switch (r->kind) {
	case K_UNIQUE:
		if (r->set.full)
			return;
		if (uset_seen(&r->set, t, p, n))
			offend(r, rec, p, n, 0);
		break;
	case K_RANGE:
		if (r->strbounds) {
			text_minmax(r, p, n);
			if ((r->has_min && bytecmp(p, n, r->smin,
			    strlen(r->smin)) < 0) || (r->has_max &&
			    bytecmp(p, n, r->smax, strlen(r->smax)) > 0))
				offend(r, rec, p, n, 0);
			break;
		}
		if (value_number(t, p, n, &v) != 0) {
			offend(r, rec, p, n, 0);	/* not a number */
			break;
		}
		/* Keep the lexemes too: "1200.50" is reported as written. */
		if (!r->have_num || v < r->vmin) {
			r->vmin = v;
			r->tmin.len = 0;
			dmo_buf_add(&r->tmin, p, n);
		}
		if (!r->have_num || v > r->vmax) {
			r->vmax = v;
			r->tmax.len = 0;
			dmo_buf_add(&r->tmax, p, n);
		}
		r->have_num = 1;
		if ((r->has_min && v < r->min) || (r->has_max && v > r->max))
			offend(r, rec, p, n, 0);
		break;
	case K_ALLOWED:
		if (!is_allowed(r, t, p, n))
			offend(r, rec, p, n, 0);
		break;
	case K_PATTERN:
		/* A value holding a NUL byte cannot be matched: it fails. */
		if (strlen(p) != n || regexec(&r->re, p, 0, NULL, 0) != 0)
			offend(r, rec, p, n, 0);
		break;
	case K_MAX_AGE:
		if ((t == DMO_NUMBER ? value_number(t, p, n, &v) :
		    t == DMO_STRING ? dmo_checks_parse_time(p, n, &v) : -1) != 0) {
			offend(r, rec, p, n, 0);	/* not a time */
			break;
		}
		if (!r->have_newest || v > r->newest) {
			r->newest = v;
			r->have_newest = 1;
			sample_set(&r->newest_sample, rec, p, n, 0);
		}
		break;
	default:
		break;
	}
}

void
dmo_checks_record(struct dmo_checks *c, const struct dmo_record *rec)
{
	size_t i;

	c->records++;
	for (i = 0; i < c->n; i++) {
		struct rule *r = &c->rules[i];
		long k;
		enum dmo_type t = DMO_NULL;
		const char *p, *what;
		size_t n;

		if (r->kind == K_RECORDS || r->kind == K_DISTINCT)
			continue;
		/*
		 * Missing: absent, null, or an empty string, which is how
		 * CSV writes a null.
		 */
		if (rec->shape == 0 || rec->shape != r->shape) {
			r->idx = dmo_record_find(rec, r->field, r->fieldlen);
			r->shape = rec->shape;
		}
		k = r->idx;
		what = k < 0 ? "absent" : NULL;
		if (k >= 0) {
			t = dmo_record_type(rec, (size_t)k);
			if (t == DMO_NULL)
				what = "null";
			else if (t == DMO_STRING && rec->val[k].len == 0)
				what = "empty";
		}
		if (what != NULL) {
			r->nulls++;
			if (r->kind == K_NULL_RATE &&
			    r->nsamples < DMO_CHECKS_SAMPLES)
				sample_set(&r->samples[r->nsamples++], rec,
				    what, strlen(what), 1);
			continue;
		}
		r->values++;
		if (t == DMO_TRUE || t == DMO_FALSE) {
			p = t == DMO_TRUE ? "true" : "false";
			n = strlen(p);
		} else
			p = dmo_record_value(rec, (size_t)k, &n);
		measure(r, rec, t, p, n);
	}
}

/* --- judging ------------------------------------------------------------- */

static void
put_num(struct dmo_buf *b, double v)
{
	if (whole(v))
		dmo_buf_printf(b, "%.0f", v);
	else
		dmo_buf_printf(b, "%.15g", v);
}

static void
put_rate(struct dmo_buf *b, double v)
{
	dmo_buf_printf(b, "%.6g", v);
}

/* "min 1, max 9" */
static void
put_bounds(struct dmo_buf *b, const struct rule *r, int rate)
{
	if (r->has_min) {
		dmo_buf_adds(b, "min ");
		if (r->strbounds)
			dmo_buf_adds(b, dmo_quote(r->smin, strlen(r->smin)));
		else if (rate)
			put_rate(b, r->min);
		else
			put_num(b, r->min);
	}
	if (r->has_max) {
		dmo_buf_adds(b, r->has_min ? ", max " : "max ");
		if (r->strbounds)
			dmo_buf_adds(b, dmo_quote(r->smax, strlen(r->smax)));
		else if (rate)
			put_rate(b, r->max);
		else
			put_num(b, r->max);
	}
}

/* Within [min, max]?  Rates get a hair of slack for 3/10 != 0.3. */
static int
within(const struct rule *r, double v, int rate)
{
	double eps = rate ? 1e-12 : 0;

	return !(r->has_min && v < r->min - eps) &&
	    !(r->has_max && v > r->max + eps);
}

static const struct dmo_doc *
profile_field(const struct dmo_doc *profile, const struct rule *r)
{
	const struct dmo_doc *fields = dmo_doc_get(profile, "fields");
	size_t i, len;

	for (i = 0; i < dmo_doc_size(fields); i++) {
		const struct dmo_doc *f = dmo_doc_index(fields, i);
		const char *s = dmo_doc_string(dmo_doc_get(f, "name"), &len);

		if (s != NULL && len == r->fieldlen &&
		    memcmp(s, r->field, len) == 0)
			return f;
	}
	return NULL;
}

static void
judge(struct dmo_checks *c, struct rule *r, const struct dmo_doc *profile)
{
	struct dmo_buf *m = &r->measured, *th = &r->threshold;
	double rate;

	m->len = th->len = 0;
	switch (r->kind) {
	case K_RECORDS:
		r->mvalue = (double)c->records;
		r->has_mvalue = 1;
		r->failed = !within(r, r->mvalue, 0);
		dmo_buf_printf(m, "%llu records", c->records);
		put_bounds(th, r, 0);
		break;
	case K_NULL_RATE:
		rate = c->records == 0 ? 0 :
		    (double)r->nulls / (double)c->records;
		r->mvalue = rate;
		r->has_mvalue = 1;
		r->failed = !within(r, rate, 1);
		dmo_buf_adds(m, "null rate ");
		put_rate(m, rate);
		dmo_buf_printf(m, " (%llu of %llu records)", r->nulls,
		    c->records);
		put_bounds(th, r, 1);
		break;
	case K_UNIQUE:
		if (r->set.full) {
			r->failed = 1;
			dmo_buf_printf(m, "not measured: the values took more "
			    "than %lu MiB", DMO_CHECKS_UNIQUE_MAX >> 20);
		} else {
			r->mvalue = (double)r->bad;
			r->has_mvalue = 1;
			r->failed = r->bad > 0;
			dmo_buf_printf(m, "%llu duplicate value%s (of %llu)",
			    r->bad, r->bad == 1 ? "" : "s", r->values);
		}
		dmo_buf_adds(th, "no duplicates");
		break;
	case K_RANGE:
		r->mvalue = (double)r->bad;
		r->has_mvalue = 1;
		r->failed = r->bad > 0;
		dmo_buf_printf(m, "%llu of %llu values out of range", r->bad,
		    r->values);
		if (r->strbounds && r->have_text)
			dmo_buf_printf(m, ", min %s, max %s",
			    dmo_quote(r->tmin.p, r->tmin.len),
			    dmo_quote(r->tmax.p, r->tmax.len));
		else if (r->have_num)
			dmo_buf_printf(m, ", min %.40s, max %.40s",
			    dmo_buf_cstr(&r->tmin), dmo_buf_cstr(&r->tmax));
		put_bounds(th, r, 0);
		break;
	case K_ALLOWED: {
		size_t i;

		r->mvalue = (double)r->bad;
		r->has_mvalue = 1;
		r->failed = r->bad > 0;
		dmo_buf_printf(m, "%llu of %llu values not allowed", r->bad,
		    r->values);
		dmo_buf_adds(th, "one of ");
		for (i = 0; i < r->nallowed && i < 8; i++) {
			if (i > 0)
				dmo_buf_adds(th, ", ");
			if (r->allowed[i].isnum)
				dmo_buf_adds(th, r->allowed[i].s);
			else
				dmo_buf_adds(th, dmo_quote(r->allowed[i].s,
				    r->allowed[i].len));
		}
		if (r->nallowed > 8)
			dmo_buf_printf(th, " and %zu more", r->nallowed - 8);
		break;
	}
	case K_PATTERN:
		rate = r->values == 0 ? 1 :
		    (double)(r->values - r->bad) / (double)r->values;
		r->mvalue = rate;
		r->has_mvalue = 1;
		r->failed = rate < r->min - 1e-12;
		dmo_buf_adds(m, "match rate ");
		put_rate(m, rate);
		dmo_buf_printf(m, " (%llu of %llu values)", r->values - r->bad,
		    r->values);
		dmo_buf_adds(th, "min rate ");
		put_rate(th, r->min);
		dmo_buf_printf(th, " for %s", dmo_quote(r->regex,
		    strlen(r->regex)));
		break;
	case K_MAX_AGE:
		if (!r->have_newest) {
			r->failed = 1;
			dmo_buf_printf(m, "no timestamp in %llu values",
			    r->values);
		} else {
			double age = c->now - r->newest;

			r->mvalue = age;
			r->has_mvalue = 1;
			r->failed = age > r->max_age;
			dmo_buf_adds(m, "age ");
			put_duration(m, age);
			dmo_buf_printf(m, " of the newest, %s",
			    dmo_quote(r->newest_sample.val,
			    r->newest_sample.len));
			if (r->bad > 0)
				dmo_buf_printf(m, "; %llu %s", r->bad,
				    r->bad == 1 ? "value not a timestamp" :
				    "values not timestamps");
		}
		dmo_buf_adds(th, "max age ");
		put_duration(th, r->max_age);
		/*
		 * The newest value is the one to show when it is too old,
		 * before the values that are not timestamps.
		 */
		if (r->failed && r->have_newest) {
			if (r->nsamples == DMO_CHECKS_SAMPLES)
				sample_free(&r->samples[--r->nsamples]);
			memmove(r->samples + 1, r->samples,
			    r->nsamples * sizeof(r->samples[0]));
			r->samples[0] = r->newest_sample;
			memset(&r->newest_sample, 0, sizeof(r->newest_sample));
			r->nsamples++;
		}
		break;
	case K_DISTINCT: {
		const struct dmo_doc *f = profile_field(profile, r);
		const struct dmo_doc *d = dmo_doc_get(f, "distinct");
		const struct dmo_doc *v = dmo_doc_get(d, "value");
		int exact = dtype(dmo_doc_get(d, "exact")) != DMO_DOC_FALSE;

		if (profile == NULL) {
			r->failed = 1;
			dmo_buf_adds(m, "not measured: no profile");
		} else {
			r->mvalue = is_number(v) ? dmo_doc_number(v) : 0;
			r->has_mvalue = 1;
			r->failed = !within(r, r->mvalue, 0);
			dmo_buf_adds(m, exact ? "" : "about ");
			put_num(m, r->mvalue);
			dmo_buf_adds(m, " distinct values");
			if (!exact) {
				dmo_buf_adds(m, " (estimate, error ");
				put_rate(m, 100 *
				    dmo_doc_number(dmo_doc_get(d, "error")));
				dmo_buf_adds(m, "%)");
			}
		}
		put_bounds(th, r, 0);
		break;
	}
	case K_NONE:
		break;
	}
	dmo_buf_cstr(m);
	dmo_buf_cstr(th);
}

size_t
dmo_checks_finish(struct dmo_checks *c, const struct dmo_doc *profile)
{
	size_t i;

	c->failed = 0;
	for (i = 0; i < c->n; i++) {
		judge(c, &c->rules[i], profile);
		c->failed += c->rules[i].failed != 0;
	}
	c->finished = 1;
	return c->failed;
}

/* --- reporting ----------------------------------------------------------- */

/* A name in single quotes, as messages quote names: escaped and cut. */
static const char *
squote(const char *name)
{
	static char buf[256];
	const char *q = dmo_quote(name, strlen(name));
	size_t n = strlen(q);

	snprintf(buf, sizeof(buf), "'%.*s'", (int)(n - 2), q + 1);
	return buf;
}

void
dmo_checks_text(const struct dmo_checks *c, struct dmo_buf *b)
{
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		const struct rule *r = &c->rules[i];

		dmo_buf_printf(b, "%s rule %s (%s:%lu): measured %s; "
		    "threshold %s\n", r->failed ? "FAIL" : "ok  ",
		    squote(r->name), c->file, r->line,
		    r->measured.p != NULL ? r->measured.p : "",
		    r->threshold.p != NULL ? r->threshold.p : "");
		if (!r->failed)
			continue;
		for (j = 0; j < r->nsamples; j++)
			dmo_buf_printf(b, "  %s: %s\n", r->samples[j].where,
			    r->samples[j].isnull ? r->samples[j].val :
			    dmo_quote(r->samples[j].val, r->samples[j].len));
	}
	dmo_buf_printf(b, "checks: %zu of %zu rules failed\n", c->failed,
	    c->n);
}

static struct dmo_doc *
doc_text(const char *p, size_t n)
{
	struct dmo_buf b = DMO_BUF_INIT;
	struct dmo_doc *d;

	dmo_utf8_replace(&b, p, n);
	d = dmo_doc_strn(b.p != NULL ? b.p : "", b.len);
	dmo_buf_release(&b);
	return d;
}

static struct dmo_doc *
doc_bounds(const struct rule *r)
{
	struct dmo_doc *o = dmo_doc_object();

	if (r->has_min)
		dmo_doc_set(o, "min", r->strbounds ? dmo_doc_str(r->smin) :
		    whole(r->min) ?
		    dmo_doc_int((long long)r->min) : dmo_doc_real(r->min));
	if (r->has_max)
		dmo_doc_set(o, "max", r->strbounds ? dmo_doc_str(r->smax) :
		    whole(r->max) ?
		    dmo_doc_int((long long)r->max) : dmo_doc_real(r->max));
	return o;
}

struct dmo_doc *
dmo_checks_json(const struct dmo_checks *c)
{
	struct dmo_doc *doc = dmo_doc_object(), *arr = dmo_doc_array();
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		const struct rule *r = &c->rules[i];
		struct dmo_doc *o = dmo_doc_object(), *th, *s;

		dmo_doc_set(o, "name", doc_text(r->name, strlen(r->name)));
		dmo_doc_set_str(o, "check", kind_names[r->kind]);
		if (r->field != NULL)
			dmo_doc_set(o, "field", doc_text(r->field,
			    r->fieldlen));
		dmo_doc_set_int(o, "line", (long long)r->line);
		dmo_doc_set_str(o, "status", r->failed ? "fail" : "ok");
		if (r->has_mvalue)
			dmo_doc_set(o, "value", whole(r->mvalue) ?
			    dmo_doc_int((long long)r->mvalue) :
			    dmo_doc_real(r->mvalue));
		else
			dmo_doc_set(o, "value", dmo_doc_null());
		dmo_doc_set_str(o, "measured", r->measured.p != NULL ?
		    r->measured.p : "");
		switch (r->kind) {
		case K_UNIQUE:
			th = dmo_doc_object();
			dmo_doc_set(th, "unique", dmo_doc_bool(1));
			break;
		case K_ALLOWED:
			th = dmo_doc_object();
			s = dmo_doc_array();
			for (j = 0; j < r->nallowed; j++)
				dmo_doc_append(s, r->allowed[j].isnum ?
				    dmo_doc_real(r->allowed[j].num) :
				    doc_text(r->allowed[j].s,
				    r->allowed[j].len));
			dmo_doc_set(th, "allowed", s);
			break;
		case K_PATTERN:
			th = dmo_doc_object();
			dmo_doc_set_str(th, "regex", r->regex);
			dmo_doc_set(th, "min_rate", dmo_doc_real(r->min));
			break;
		case K_MAX_AGE:
			th = dmo_doc_object();
			dmo_doc_set(th, "max_age", dmo_doc_real(r->max_age));
			break;
		default:
			th = doc_bounds(r);
			break;
		}
		dmo_doc_set(o, "threshold", th);
		dmo_doc_set_str(o, "threshold_text", r->threshold.p != NULL ?
		    r->threshold.p : "");
		dmo_doc_set_int(o, "offending", (long long)(r->kind ==
		    K_NULL_RATE ? r->nulls : r->bad));
		s = dmo_doc_array();
		for (j = 0; r->failed && j < r->nsamples; j++) {
			struct dmo_doc *e = dmo_doc_object();

			dmo_doc_set_str(e, "where", r->samples[j].where);
			/* Missing: null, or "" for an empty string. */
			dmo_doc_set(e, "value", !r->samples[j].isnull ?
			    doc_text(r->samples[j].val, r->samples[j].len) :
			    strcmp(r->samples[j].val, "empty") == 0 ?
			    dmo_doc_str("") : dmo_doc_null());
			dmo_doc_append(s, e);
		}
		dmo_doc_set(o, "samples", s);
		dmo_doc_append(arr, o);
	}
	dmo_doc_set_int(doc, "rules", (long long)c->n);
	dmo_doc_set_int(doc, "failed", (long long)c->failed);
	dmo_doc_set(doc, "results", arr);
	return doc;
}
