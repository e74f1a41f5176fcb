/* schema.c - the JSON Schema subset and x-dmo- extensions of dmo-schema(5). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "json.h"
#include "schema.h"
#include "value.h"

struct ctx {
	const char	*file;
	struct dmo_err	*err;
	char		 path[256];	/* "properties.age" */
};

static int __attribute__((format(printf, 2, 3)))
fail(struct ctx *c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dmo_err_set(c->err, DMO_EXIT_USAGE, NULL, "%s: %s%s%s", c->file,
	    c->path, c->path[0] != '\0' ? ": " : "", msg);
	return -1;
}

static int
want_bool(struct ctx *c, struct dmo_doc *v, const char *kw, int *out)
{
	enum dmo_doc_type t = dmo_doc_type(v);

	if (t != DMO_DOC_TRUE && t != DMO_DOC_FALSE)
		return fail(c, "'%s' must be true or false", kw);
	*out = t == DMO_DOC_TRUE;
	return 0;
}

static int
want_count(struct ctx *c, struct dmo_doc *v, const char *kw, long long *out)
{
	if (dmo_doc_type(v) != DMO_DOC_INT || dmo_doc_integer(v) < 0)
		return fail(c, "'%s' must be a non-negative integer", kw);
	*out = dmo_doc_integer(v);
	return 0;
}

static int
want_number(struct ctx *c, struct dmo_doc *v, const char *kw,
    struct dmo_dec *d)
{
	if (dmo_doc_type(v) == DMO_DOC_INT)
		dmo_dec_set_int(d, dmo_doc_integer(v));
	else if (dmo_doc_type(v) == DMO_DOC_REAL)
		dmo_dec_from_double(d, dmo_doc_number(v));
	else
		return fail(c, "'%s' must be a number", kw);
	return 0;
}

static int
want_string(struct ctx *c, struct dmo_doc *v, const char *kw,
    const char **s)
{
	size_t len;

	if (dmo_doc_type(v) != DMO_DOC_STRING ||
	    strlen(*s = dmo_doc_string(v, &len)) != len)
		return fail(c, "'%s' must be a string", kw);
	return 0;
}

/* A string or an array of strings (single: 1 allows a lone string). */
static int
want_list(struct ctx *c, struct dmo_doc *v, const char *kw, int single,
    struct dmo_slist *l)
{
	size_t i, n;
	const char *s;

	if (single && dmo_doc_type(v) == DMO_DOC_STRING) {
		if (want_string(c, v, kw, &s) != 0)
			return -1;
		l->v = dmo_xcalloc(2, sizeof(char *));
		l->v[0] = dmo_xstrdup(s);
		l->n = 1;
		l->set = 1;
		return 0;
	}
	if (dmo_doc_type(v) != DMO_DOC_ARRAY)
		return fail(c, "'%s' must be %san array of strings", kw,
		    single ? "a string or " : "");
	n = dmo_doc_size(v);
	l->v = dmo_xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		size_t len;
		struct dmo_doc *e = dmo_doc_index(v, i);

		if (dmo_doc_type(e) != DMO_DOC_STRING)
			return fail(c, "'%s' must be %san array of strings",
			    kw, single ? "a string or " : "");
		s = dmo_doc_string(e, &len);
		l->v[i] = dmo_xmemdup(s, len);
	}
	l->n = n;
	l->set = 1;
	return 0;
}

static void
slist_free(struct dmo_slist *l)
{
	size_t i;

	if (l->v == NULL)
		return;
	for (i = 0; l->v[i] != NULL; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
}

/* A JSON value from the schema as a record-like value. */
static void
sval_set(struct dmo_sval *s, struct dmo_doc *v)
{
	const char *p;
	size_t len;
	char tmp[64];

	memset(s, 0, sizeof(*s));
	switch (dmo_doc_type(v)) {
	case DMO_DOC_NULL:
		s->type = DMO_NULL;
		break;
	case DMO_DOC_TRUE:
		s->type = DMO_TRUE;
		break;
	case DMO_DOC_FALSE:
		s->type = DMO_FALSE;
		break;
	case DMO_DOC_INT:
		s->type = DMO_NUMBER;
		dmo_dec_set_int(&s->num, dmo_doc_integer(v));
		snprintf(tmp, sizeof(tmp), "%lld", dmo_doc_integer(v));
		s->text = dmo_xstrdup(tmp);
		break;
	case DMO_DOC_REAL: {
		struct dmo_buf b = DMO_BUF_INIT;

		s->type = DMO_NUMBER;
		dmo_dec_from_double(&s->num, dmo_doc_number(v));
		dmo_dec_put(&s->num, &b);
		s->text = dmo_xmemdup(b.p, b.len);
		dmo_buf_release(&b);
		break;
	}
	case DMO_DOC_STRING:
		s->type = DMO_STRING;
		p = dmo_doc_string(v, &len);
		s->text = dmo_xmemdup(p, len);
		s->len = len;
		return;
	case DMO_DOC_ARRAY:
	case DMO_DOC_OBJECT:
		s->type = dmo_doc_type(v) == DMO_DOC_ARRAY ? DMO_ARRAY :
		    DMO_OBJECT;
		s->text = dmo_doc_dump(v);
		break;
	}
	if (s->text == NULL)
		s->text = dmo_xstrdup("");
	s->len = strlen(s->text);
}

static void
sval_free(struct dmo_sval *s)
{
	free(s->text);
	dmo_dec_release(&s->num);
}

int
dmo_sval_equal(const struct dmo_sval *s, enum dmo_type t, const char *p,
    size_t n, struct dmo_dec *tmp)
{
	if (s->type != t)
		return 0;
	if (t == DMO_STRING)
		return s->len == n && (n == 0 || (s->text[0] == p[0] &&
		    memcmp(s->text, p, n) == 0));
	switch (t) {
	case DMO_NUMBER:
		return dmo_dec_parse(tmp, p, n) == 0 &&
		    dmo_dec_cmp(&s->num, tmp) == 0;
	case DMO_NULL:
	case DMO_TRUE:
	case DMO_FALSE:
		return 1;
	default:
		return s->len == n && memcmp(s->text, p, n) == 0;
	}
}

/* A hash index of the string members, so that long enums cost one probe. */
static void
enum_index(struct dmo_prop *p)
{
	size_t i, cap = 8;

	while (cap < p->nenums * 2)
		cap *= 2;
	free(p->enum_slots);
	p->enum_slots = dmo_xcalloc(cap, sizeof(*p->enum_slots));
	p->enum_cap = cap;
	for (i = 0; i < p->nenums; i++) {
		size_t h;

		if (p->enums[i].type != DMO_STRING)
			continue;
		h = dmo_hash(p->enums[i].text, p->enums[i].len) & (cap - 1);
		while (p->enum_slots[h] != 0)
			h = (h + 1) & (cap - 1);
		p->enum_slots[h] = i + 1;
	}
}

int
dmo_schema_in_enum(const struct dmo_prop *p, enum dmo_type t, const char *v,
    size_t n, struct dmo_dec *tmp)
{
	size_t i, h;

	if (t == DMO_STRING && p->enum_cap > 0) {
		for (h = dmo_hash(v, n) & (p->enum_cap - 1);
		    p->enum_slots[h] != 0; h = (h + 1) & (p->enum_cap - 1)) {
			const struct dmo_sval *e = &p->enums[p->enum_slots[h] - 1];

			if (e->len == n && memcmp(e->text, v, n) == 0)
				return 1;
		}
		return 0;
	}
	for (i = 0; i < p->nenums; i++)
		if (dmo_sval_equal(&p->enums[i], t, v, n, tmp))
			return 1;
	return 0;
}

static int
type_bit(const char *s)
{
	static const struct {
		const char *name;
		unsigned bit;
	} t[] = {
		{ "null", DMO_T_NULL }, { "boolean", DMO_T_BOOLEAN },
		{ "integer", DMO_T_INTEGER }, { "number", DMO_T_NUMBER },
		{ "string", DMO_T_STRING }, { "array", DMO_T_ARRAY },
		{ "object", DMO_T_OBJECT },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].name) == 0)
			return (int)t[i].bit;
	return 0;
}

static int
parse_type(struct ctx *c, struct dmo_doc *v, unsigned *types)
{
	size_t i;
	int b;

	*types = 0;
	if (dmo_doc_type(v) == DMO_DOC_STRING) {
		if ((b = type_bit(dmo_doc_string(v, NULL))) == 0)
			return fail(c, "unknown type %s",
			    dmo_quote(dmo_doc_string(v, NULL),
			    strlen(dmo_doc_string(v, NULL))));
		*types = (unsigned)b;
		return 0;
	}
	if (dmo_doc_type(v) != DMO_DOC_ARRAY || dmo_doc_size(v) == 0)
		return fail(c, "'type' must be a type name or an array of them");
	for (i = 0; i < dmo_doc_size(v); i++) {
		struct dmo_doc *e = dmo_doc_index(v, i);

		if (dmo_doc_type(e) != DMO_DOC_STRING)
			return fail(c, "'type' must be a type name or an "
			    "array of them");
		if ((b = type_bit(dmo_doc_string(e, NULL))) == 0)
			return fail(c, "unknown type %s",
			    dmo_quote(dmo_doc_string(e, NULL),
			    strlen(dmo_doc_string(e, NULL))));
		if (*types & (unsigned)b)
			return fail(c, "type %s given twice",
			    dmo_doc_string(e, NULL));
		*types |= (unsigned)b;
	}
	return 0;
}

/* Keywords that only annotate: accepted and ignored (JSON Schema). */
static int
annotation(const char *kw)
{
	static const char *const a[] = {
		"$schema", "$id", "$comment", "title", "description",
		"default", "examples", "deprecated", "readOnly", "writeOnly",
		"x-dmo-profile", NULL
	};
	size_t i;

	for (i = 0; a[i] != NULL; i++)
		if (strcmp(kw, a[i]) == 0)
			return 1;
	return 0;
}

/* The text rules, at the top or in a property: 1 when kw is one. */
static int
text_rule(struct ctx *c, const char *kw, struct dmo_doc *v,
    struct dmo_textrules *t, int *rc)
{
	const char *s;

	*rc = 0;
	if (strcmp(kw, "x-dmo-trim") == 0)
		*rc = want_bool(c, v, kw, &t->trim);
	else if (strcmp(kw, "x-dmo-squeeze") == 0)
		*rc = want_bool(c, v, kw, &t->squeeze);
	else if (strcmp(kw, "x-dmo-nfc") == 0)
		*rc = want_bool(c, v, kw, &t->nfc);
	else if (strcmp(kw, "x-dmo-null") == 0) {
		slist_free(&t->nulls);
		*rc = want_list(c, v, kw, 0, &t->nulls);
	} else if (strcmp(kw, "x-dmo-case") == 0) {
		if ((*rc = want_string(c, v, kw, &s)) != 0)
			return 1;
		if (strcmp(s, "keep") == 0)
			t->casemap = DMO_CASE_KEEP;
		else if (strcmp(s, "lower") == 0)
			t->casemap = DMO_CASE_LOWER;
		else if (strcmp(s, "upper") == 0)
			t->casemap = DMO_CASE_UPPER;
		else if (strcmp(s, "fold") == 0)
			t->casemap = DMO_CASE_FOLD;
		else
			*rc = fail(c, "'x-dmo-case' must be keep, lower, upper "
			    "or fold: %s", dmo_quote(s, strlen(s)));
	} else
		return 0;
	return 1;
}

static void
text_init(struct dmo_textrules *t)
{
	memset(t, 0, sizeof(*t));
	t->trim = t->squeeze = t->nfc = t->casemap = -1;
}

static int
parse_format(struct ctx *c, const char *s, enum dmo_sformat *f)
{
	static const struct {
		const char *name;
		enum dmo_sformat f;
	} t[] = {
		{ "date", DMO_SF_DATE }, { "date-time", DMO_SF_DATETIME },
		{ "time", DMO_SF_TIME }, { "email", DMO_SF_EMAIL },
		{ "uri", DMO_SF_URI }, { "uuid", DMO_SF_UUID },
		{ "ipv4", DMO_SF_IPV4 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].name) == 0) {
			*f = t[i].f;
			return 0;
		}
	return fail(c, "unsupported format %s", dmo_quote(s, strlen(s)));
}

static int
parse_tz(struct ctx *c, struct dmo_doc *v, const char *kw,
    struct dmo_tz **tz)
{
	const char *s;
	struct dmo_err e;

	if (want_string(c, v, kw, &s) != 0)
		return -1;
	dmo_tz_free(*tz);
	if ((*tz = dmo_tz_open(s, &e)) == NULL)
		return fail(c, "'%s': %s", kw, e.msg);
	return 0;
}

static int
parse_prop(struct ctx *c, struct dmo_prop *p, struct dmo_doc *def)
{
	void *it;
	const char *s;

	p->minlen = p->maxlen = -1;
	p->scale = -1;
	p->round = 1;
	text_init(&p->text);
	if (dmo_doc_type(def) == DMO_DOC_TRUE)
		return 0;
	if (dmo_doc_type(def) != DMO_DOC_OBJECT)
		return fail(c, "a property must be a schema object");
	for (it = dmo_doc_iter(def); it != NULL;
	    it = dmo_doc_iter_next(def, it)) {
		const char *kw = dmo_doc_iter_key(it);
		struct dmo_doc *v = dmo_doc_iter_value(it);
		int rc;

		if (annotation(kw))
			continue;
		if (text_rule(c, kw, v, &p->text, &rc)) {
			if (rc != 0)
				return -1;
		} else if (strcmp(kw, "type") == 0) {
			if (parse_type(c, v, &p->types) != 0)
				return -1;
		} else if (strcmp(kw, "format") == 0) {
			if (want_string(c, v, kw, &s) != 0 ||
			    parse_format(c, s, &p->format) != 0)
				return -1;
		} else if (strcmp(kw, "pattern") == 0) {
			int e;

			if (want_string(c, v, kw, &s) != 0)
				return -1;
			p->pattern = dmo_xstrdup(s);
			if ((e = regcomp(&p->re, s, REG_EXTENDED | REG_NOSUB))
			    != 0) {
				char msg[128];

				regerror(e, &p->re, msg, sizeof(msg));
				return fail(c, "'pattern' %s: %s",
				    dmo_quote(s, strlen(s)), msg);
			}
			p->has_re = 1;
		} else if (strcmp(kw, "minimum") == 0) {
			if (want_number(c, v, kw, &p->min) != 0)
				return -1;
			p->has_min = 1;
		} else if (strcmp(kw, "maximum") == 0) {
			if (want_number(c, v, kw, &p->max) != 0)
				return -1;
			p->has_max = 1;
		} else if (strcmp(kw, "exclusiveMinimum") == 0) {
			if (want_number(c, v, kw, &p->xmin) != 0)
				return -1;
			p->has_xmin = 1;
		} else if (strcmp(kw, "exclusiveMaximum") == 0) {
			if (want_number(c, v, kw, &p->xmax) != 0)
				return -1;
			p->has_xmax = 1;
		} else if (strcmp(kw, "minLength") == 0) {
			if (want_count(c, v, kw, &p->minlen) != 0)
				return -1;
		} else if (strcmp(kw, "maxLength") == 0) {
			if (want_count(c, v, kw, &p->maxlen) != 0)
				return -1;
		} else if (strcmp(kw, "enum") == 0) {
			size_t i;

			if (dmo_doc_type(v) != DMO_DOC_ARRAY ||
			    dmo_doc_size(v) == 0)
				return fail(c, "'enum' must be a non-empty "
				    "array");
			p->nenums = dmo_doc_size(v);
			p->enums = dmo_xcalloc(p->nenums, sizeof(*p->enums));
			for (i = 0; i < p->nenums; i++)
				sval_set(&p->enums[i], dmo_doc_index(v, i));
			enum_index(p);
		} else if (strcmp(kw, "const") == 0) {
			sval_set(&p->konst, v);
			p->has_const = 1;
		} else if (strcmp(kw, "x-dmo-default") == 0) {
			sval_set(&p->def, v);
			p->has_default = 1;
		} else if (strcmp(kw, "x-dmo-from") == 0) {
			if (want_list(c, v, kw, 1, &p->from) != 0)
				return -1;
		} else if (strcmp(kw, "x-dmo-formats") == 0) {
			if (want_list(c, v, kw, 1, &p->formats) != 0)
				return -1;
		} else if (strcmp(kw, "x-dmo-true") == 0) {
			if (want_list(c, v, kw, 0, &p->truev) != 0)
				return -1;
		} else if (strcmp(kw, "x-dmo-false") == 0) {
			if (want_list(c, v, kw, 0, &p->falsev) != 0)
				return -1;
		} else if (strcmp(kw, "x-dmo-timezone") == 0) {
			if (parse_tz(c, v, kw, &p->tz) != 0)
				return -1;
		} else if (strcmp(kw, "x-dmo-output-timezone") == 0) {
			if (parse_tz(c, v, kw, &p->outtz) != 0)
				return -1;
		} else if (strcmp(kw, "x-dmo-dst") == 0) {
			if (want_string(c, v, kw, &s) != 0)
				return -1;
			if (strcmp(s, "compatible") == 0)
				p->dst = DMO_TZ_COMPAT;
			else if (strcmp(s, "earlier") == 0)
				p->dst = DMO_TZ_EARLIER;
			else if (strcmp(s, "later") == 0)
				p->dst = DMO_TZ_LATER;
			else if (strcmp(s, "reject") == 0)
				p->dst = DMO_TZ_REJECT;
			else
				return fail(c, "'x-dmo-dst' must be compatible, "
				    "earlier, later or reject: %s",
				    dmo_quote(s, strlen(s)));
		} else if (strcmp(kw, "x-dmo-scale") == 0) {
			long long sc = 0;

			if (want_count(c, v, kw, &sc) != 0)
				return -1;
			if (sc > 1000)
				return fail(c, "'x-dmo-scale' is at most 1000");
			p->scale = (long)sc;
		} else if (strcmp(kw, "x-dmo-rounding") == 0) {
			if (want_string(c, v, kw, &s) != 0)
				return -1;
			if (strcmp(s, "half-even") == 0)
				p->round = 1;
			else if (strcmp(s, "reject") == 0)
				p->round = 0;
			else
				return fail(c, "'x-dmo-rounding' must be "
				    "half-even or reject: %s",
				    dmo_quote(s, strlen(s)));
		} else
			return fail(c, "unknown keyword '%s'", kw);
	}
	/* Keywords that need another one. */
	if (p->scale >= 0 && !(p->types & DMO_T_NUMBER))
		return fail(c, "'x-dmo-scale' needs type number");
	if ((p->formats.set || p->tz != NULL || p->outtz != NULL) &&
	    p->format != DMO_SF_DATE && p->format != DMO_SF_DATETIME &&
	    p->format != DMO_SF_TIME)
		return fail(c, "'x-dmo-formats' and the time zone keywords "
		    "need format date, date-time or time");
	if ((p->truev.set || p->falsev.set) && !(p->types & DMO_T_BOOLEAN))
		return fail(c, "'x-dmo-true' and 'x-dmo-false' need type "
		    "boolean");
	if (p->types != 0 && (p->types & (DMO_T_INTEGER | DMO_T_NUMBER)) ==
	    (DMO_T_INTEGER | DMO_T_NUMBER))
		p->types &= ~(unsigned)DMO_T_INTEGER;	/* number covers it */
	return 0;
}

static void
prop_release(struct dmo_prop *p)
{
	size_t i;

	free(p->name);
	slist_free(&p->from);
	free(p->pattern);
	if (p->has_re)
		regfree(&p->re);
	dmo_dec_release(&p->min);
	dmo_dec_release(&p->max);
	dmo_dec_release(&p->xmin);
	dmo_dec_release(&p->xmax);
	for (i = 0; i < p->nenums; i++)
		sval_free(&p->enums[i]);
	free(p->enums);
	free(p->enum_slots);
	if (p->has_const)
		sval_free(&p->konst);
	if (p->has_default)
		sval_free(&p->def);
	slist_free(&p->text.nulls);
	slist_free(&p->formats);
	slist_free(&p->truev);
	slist_free(&p->falsev);
	dmo_tz_free(p->tz);
	dmo_tz_free(p->outtz);
}

void
dmo_schema_free(struct dmo_schema *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nprops; i++)
		prop_release(&s->props[i]);
	free(s->props);
	slist_free(&s->text.nulls);
	dmo_tz_free(s->utc);
	free(s);
}

static int
parse_top(struct ctx *c, struct dmo_schema *s, struct dmo_doc *doc)
{
	struct dmo_doc *props = NULL, *req = NULL;
	void *it;
	size_t i, j;

	if (dmo_doc_type(doc) != DMO_DOC_OBJECT)
		return fail(c, "a schema must be a JSON object");
	for (it = dmo_doc_iter(doc); it != NULL;
	    it = dmo_doc_iter_next(doc, it)) {
		const char *kw = dmo_doc_iter_key(it);
		struct dmo_doc *v = dmo_doc_iter_value(it);
		int rc;

		if (annotation(kw))
			continue;
		if (text_rule(c, kw, v, &s->text, &rc)) {
			if (rc != 0)
				return -1;
		} else if (strcmp(kw, "type") == 0) {
			if (dmo_doc_type(v) != DMO_DOC_STRING ||
			    strcmp(dmo_doc_string(v, NULL), "object") != 0)
				return fail(c, "'type' at the top must be "
				    "\"object\"");
		} else if (strcmp(kw, "properties") == 0) {
			if (dmo_doc_type(v) != DMO_DOC_OBJECT)
				return fail(c, "'properties' must be an object");
			props = v;
		} else if (strcmp(kw, "required") == 0) {
			if (dmo_doc_type(v) != DMO_DOC_ARRAY)
				return fail(c, "'required' must be an array of "
				    "strings");
			req = v;
		} else if (strcmp(kw, "additionalProperties") == 0) {
			if (want_bool(c, v, kw, &s->additional) != 0)
				return -1;
		} else
			return fail(c, "unknown keyword '%s'", kw);
	}
	if (props != NULL) {
		s->nprops = dmo_doc_size(props);
		s->props = dmo_xcalloc(s->nprops, sizeof(*s->props));
		for (i = 0, it = dmo_doc_iter(props); it != NULL;
		    it = dmo_doc_iter_next(props, it), i++) {
			struct dmo_prop *p = &s->props[i];

			p->name = dmo_xstrdup(dmo_doc_iter_key(it));
			snprintf(c->path, sizeof(c->path), "properties.%s",
			    p->name);
			if (parse_prop(c, p, dmo_doc_iter_value(it)) != 0)
				return -1;
			if (!p->from.set) {
				p->from.v = dmo_xcalloc(2, sizeof(char *));
				p->from.v[0] = dmo_xstrdup(p->name);
				p->from.n = 1;
			}
		}
		c->path[0] = '\0';
	}
	if (req != NULL)
		for (i = 0; i < dmo_doc_size(req); i++) {
			struct dmo_doc *e = dmo_doc_index(req, i);
			const char *name;

			if (dmo_doc_type(e) != DMO_DOC_STRING)
				return fail(c, "'required' must be an array "
				    "of strings");
			name = dmo_doc_string(e, NULL);
			for (j = 0; j < s->nprops; j++)
				if (strcmp(s->props[j].name, name) == 0)
					break;
			if (j == s->nprops)
				return fail(c, "required field '%s' is not in "
				    "'properties'", name);
			s->props[j].required = 1;
		}
	/* Two properties must not read the same input name. */
	for (i = 0; i < s->nprops; i++) {
		size_t a, b;

		for (j = i; j < s->nprops; j++)
			for (a = 0; a < s->props[i].from.n; a++)
				for (b = 0; b < s->props[j].from.n; b++) {
					if (i == j && a >= b)
						continue;
					if (strcmp(s->props[i].from.v[a],
					    s->props[j].from.v[b]) == 0)
						return fail(c, "input name "
						    "'%s' is read by two "
						    "properties",
						    s->props[i].from.v[a]);
				}
	}
	return 0;
}

struct dmo_schema *
dmo_schema_load(const char *path, struct dmo_err *err)
{
	struct dmo_doc *doc;
	struct dmo_schema *s;
	struct ctx c;

	if ((doc = dmo_doc_load(path, err)) == NULL)
		return NULL;
	s = dmo_xcalloc(1, sizeof(*s));
	s->additional = 1;
	text_init(&s->text);
	memset(&c, 0, sizeof(c));
	c.file = path;
	c.err = err;
	if (parse_top(&c, s, doc) != 0) {
		dmo_doc_free(doc);
		dmo_schema_free(s);
		return NULL;
	}
	dmo_doc_free(doc);
	s->utc = dmo_tz_open("UTC", err);
	return s;
}

long
dmo_schema_find(const struct dmo_schema *s, const char *name, size_t len)
{
	size_t i, j;

	for (i = 0; i < s->nprops; i++)
		for (j = 0; j < s->props[i].from.n; j++)
			if (strlen(s->props[i].from.v[j]) == len &&
			    memcmp(s->props[i].from.v[j], name, len) == 0)
				return (long)i;
	return -1;
}
