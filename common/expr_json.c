/* expr_json.c - nested values as JSON text: members, elements, flatten, unflatten. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "exprimpl.h"
#include "value.h"

static const char *
ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* The end of the string starting at p (on the quote); NULL if bad. */
static const char *
str_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

size_t
xjson_skip(const char *p, const char *end)
{
	const char *s = p, *q;
	int depth = 0;

	if (p >= end)
		return 0;
	if (*p != '[' && *p != '{') {
		if (*p == '"')
			return (q = str_end(p, end)) == NULL ? 0 :
			    (size_t)(q - p);
		while (p < end && *p != ',' && *p != ']' && *p != '}' &&
		    *p != ' ' && *p != ':' && *p != '\n' && *p != '\t' &&
		    *p != '\r')
			p++;
		return (size_t)(p - s);
	}
	for (; p < end; p++) {
		if (*p == '"') {
			if ((q = str_end(p, end)) == NULL)
				return 0;
			p = q - 1;
		} else if (*p == '[' || *p == '{')
			depth++;
		else if (*p == ']' || *p == '}') {
			if (--depth == 0)
				return (size_t)(p + 1 - s);
		}
	}
	return 0;
}

static int
hexv(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static unsigned long
u4(const char *p)
{
	return (unsigned long)(hexv(p[0]) << 12 | hexv(p[1]) << 8 |
	    hexv(p[2]) << 4 | hexv(p[3]));
}

/* Decode the JSON string p/n (quotes included) into the arena. */
static void
unescape(const char *p, size_t n, const char **out, size_t *olen,
    struct xarena *a)
{
	const char *s = p + 1, *end = p + n - 1;
	char *d, *o;

	if (memchr(s, '\\', (size_t)(end - s)) == NULL) {
		*out = s;
		*olen = (size_t)(end - s);
		return;
	}
	o = d = xarena_alloc(a, n + 1);
	while (s < end) {
		unsigned long cp;

		if (*s != '\\') {
			*d++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'b': *d++ = '\b'; break;
		case 'f': *d++ = '\f'; break;
		case 'n': *d++ = '\n'; break;
		case 'r': *d++ = '\r'; break;
		case 't': *d++ = '\t'; break;
		case 'u':
			cp = u4(s + 1);
			s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && s + 6 < end + 1 &&
			    s[1] == '\\' && s[2] == 'u') {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (u4(s + 3) - 0xdc00);
				s += 6;
			}
			if (cp < 0x80)
				*d++ = (char)cp;
			else if (cp < 0x800) {
				*d++ = (char)(0xc0 | (cp >> 6));
				*d++ = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				*d++ = (char)(0xe0 | (cp >> 12));
				*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
				*d++ = (char)(0x80 | (cp & 0x3f));
			} else {
				*d++ = (char)(0xf0 | (cp >> 18));
				*d++ = (char)(0x80 | ((cp >> 12) & 0x3f));
				*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
				*d++ = (char)(0x80 | (cp & 0x3f));
			}
			break;
		default: *d++ = *s; break;
		}
		s++;
	}
	*d = '\0';
	*out = o;
	*olen = (size_t)(d - o);
}

void
xjson_value(const char *p, size_t n, struct xval *v, struct xarena *a)
{
	memset(v, 0, sizeof(*v));
	switch (*p) {
	case '"':
		/* Text inside a record's nested value: numeric text counts. */
		v->t = XV_STR;
		v->field = 1;
		unescape(p, n, &v->p, &v->n, a);
		return;
	case 't': v->t = XV_BOOL; v->i = 1; return;
	case 'f': v->t = XV_BOOL; return;
	case 'n': v->t = XV_NULL; return;
	case '[': v->t = XV_ARR; break;
	case '{': v->t = XV_OBJ; break;
	default: v->t = XV_NUM; break;
	}
	v->p = p;
	v->n = n;
}

int
xjson_member(const char *p, size_t n, const char *key, size_t klen,
    struct xval *out, struct xarena *a)
{
	const char *end = p + n, *q, *k;
	size_t len, kl;

	p = ws(p + 1, end);
	while (p < end && *p == '"') {
		if ((q = str_end(p, end)) == NULL)
			return 0;
		unescape(p, (size_t)(q - p), &k, &kl, a);
		p = ws(q, end);
		if (p >= end || *p != ':')
			return 0;
		p = ws(p + 1, end);
		if ((len = xjson_skip(p, end)) == 0)
			return 0;
		if (kl == klen && memcmp(k, key, klen) == 0) {
			xjson_value(p, len, out, a);
			return 1;
		}
		p = ws(p + len, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
	}
	return 0;
}

int
xjson_next(const char *p, size_t n, size_t *pos, struct xval *out,
    struct xarena *a)
{
	const char *end = p + n, *s = p + (*pos == 0 ? 1 : *pos);
	size_t len;

	s = ws(s, end);
	if (s < end && *s == ',')
		s = ws(s + 1, end);
	if (s >= end || *s == ']' || (len = xjson_skip(s, end)) == 0)
		return 0;
	xjson_value(s, len, out, a);
	*pos = (size_t)(s + len - p);
	return 1;
}

int
xjson_index(const char *p, size_t n, long long i, struct xval *out,
    struct xarena *a)
{
	size_t pos = 0;
	long long k = 0, count = 0;
	struct xval v;

	memset(out, 0, sizeof(*out));
	if (i < 0) {
		while (xjson_next(p, n, &pos, &v, a))
			count++;
		i += count;
		if (i < 0)
			return 0;
		pos = 0;
	}
	while (xjson_next(p, n, &pos, &v, a))
		if (k++ == i) {
			*out = v;
			return 1;
		}
	return 0;
}

void
xjson_put(struct dmo_buf *b, const struct xval *v)
{
	char num[64];

	switch (v->t) {
	case XV_NULL: dmo_buf_adds(b, "null"); break;
	case XV_BOOL: dmo_buf_adds(b, v->i ? "true" : "false"); break;
	case XV_STR: dmo_json_buf_string(b, v->p, v->n); break;
	case XV_INT: case XV_DEC: case XV_FLOAT:
		dmo_buf_add(b, num, xnum_format(v, num, sizeof(num)));
		break;
	default: dmo_buf_add(b, v->p, v->n); break;
	}
}

/* Flatten: the leaves of nested values become fields a.b.0. */
static void
leaves(struct xctx *cx, struct xfields *out, const char *name, size_t nlen,
    const struct xval *v, const struct xstmt *st, int depth)
{
	struct xval el;
	const char *p = v->p, *q, *k;
	const char *end = p != NULL ? p + v->n : NULL;
	size_t pos = 0, i = 0, kl, len;
	char idx[24];
	int any = 0;

	if (depth > 512)
		;	/* deeper than that stays nested */
	else if (v->t == XV_ARR) {
		while (xjson_next(v->p, v->n, &pos, &el, cx->arena)) {
			size_t il = (size_t)snprintf(idx, sizeof(idx), "%zu",
			    i++);
			char *nm = xarena_alloc(cx->arena, nlen + st->seplen +
			    il + 1);

			memcpy(nm, name, nlen);
			memcpy(nm + nlen, st->sep, st->seplen);
			memcpy(nm + nlen + st->seplen, idx, il + 1);
			leaves(cx, out, nm, nlen + st->seplen + il, &el, st,
			    depth + 1);
			any = 1;
		}
	} else if (v->t == XV_OBJ) {
		p = ws(p + 1, end);
		while (p < end && *p == '"' && (q = str_end(p, end)) != NULL) {
			char *nm;

			unescape(p, (size_t)(q - p), &k, &kl, cx->arena);
			p = ws(q, end);
			p = ws(p + 1, end);	/* ':' */
			if ((len = xjson_skip(p, end)) == 0)
				break;
			xjson_value(p, len, &el, cx->arena);
			nm = xarena_alloc(cx->arena, nlen + st->seplen + kl + 1);
			memcpy(nm, name, nlen);
			memcpy(nm + nlen, st->sep, st->seplen);
			memcpy(nm + nlen + st->seplen, k, kl);
			nm[nlen + st->seplen + kl] = '\0';
			leaves(cx, out, nm, nlen + st->seplen + kl, &el, st,
			    depth + 1);
			any = 1;
			p = ws(p + len, end);
			if (p < end && *p == ',')
				p = ws(p + 1, end);
		}
	}
	if (any)
		return;
	/* A scalar, or an empty array or object, stays as it is. */
	if (out->n == out->cap) {
		out->cap = out->cap < 16 ? 16 : out->cap * 2;
		out->f = dmo_xreallocarray(out->f, out->cap, sizeof(*out->f));
	}
	out->f[out->n].name = name;
	out->f[out->n].nlen = nlen;
	out->f[out->n++].v = *v;
}

static int
selected(const struct xstmt *st, const char *name, size_t nlen)
{
	size_t j;

	if (st->nnames == 0)
		return 1;
	for (j = 0; j < st->nnames; j++)
		if (st->names[j].n == nlen &&
		    memcmp(st->names[j].p, name, nlen) == 0)
			return 1;
	return 0;
}

static void
swap_in(struct xfields *fs, struct xfields *tmp)
{
	struct xfields t = *fs;

	*fs = *tmp;
	*tmp = t;
}

int
xflatten(struct xctx *cx, struct xfields *fs, struct xfields *tmp,
    const struct xstmt *st)
{
	size_t j;

	tmp->n = 0;
	for (j = 0; j < fs->n; j++) {
		if (selected(st, fs->f[j].name, fs->f[j].nlen))
			leaves(cx, tmp, fs->f[j].name, fs->f[j].nlen,
			    &fs->f[j].v, st, 0);
		else
			leaves(cx, tmp, fs->f[j].name, fs->f[j].nlen,
			    &fs->f[j].v, st, 1000);	/* as it is */
	}
	swap_in(fs, tmp);
	return 0;
}

/* Unflatten: fields a.b and a.c become a field a = {"b":..,"c":..}. */
struct uent {
	const char	*path;	/* what is left of the name */
	size_t		 len;
	const struct xval *v;
};

static int
build(struct xctx *cx, struct uent *e, size_t n, const struct xstmt *st,
    const char *top, struct dmo_buf *b, int depth)
{
	size_t i, j, m;
	char *done;

	if (depth > 512) {
		dmo_err_set(cx->err, DMO_EXIT_DATA, NULL, "unflatten: field "
		    "'%s': nested too deeply", top);
		return -1;
	}
	done = xarena_alloc(cx->arena, n + 1);

	memset(done, 0, n);
	dmo_buf_addc(b, '{');
	for (i = m = 0; i < n; i++) {
		const char *sep;
		size_t seg;

		if (done[i])
			continue;
		sep = st->seplen == 1 ? memchr(e[i].path, st->sep[0], e[i].len) :
		    NULL;
		seg = sep != NULL ? (size_t)(sep - e[i].path) : e[i].len;
		if (m++ > 0)
			dmo_buf_addc(b, ',');
		dmo_json_buf_string(b, e[i].path, seg);
		dmo_buf_addc(b, ':');
		if (sep == NULL) {
			done[i] = 1;
			for (j = i + 1; j < n; j++)
				if (!done[j] && e[j].len >= seg &&
				    memcmp(e[j].path, e[i].path, seg) == 0 &&
				    (e[j].len == seg || e[j].path[seg] ==
				    st->sep[0]))
					goto clash;
			xjson_put(b, e[i].v);
		} else {
			struct uent *sub = (struct uent *)(void *)xarena_alloc(
			    cx->arena, n * sizeof(*sub));
			size_t k = 0;

			for (j = i; j < n; j++) {
				if (done[j] || e[j].len < seg ||
				    memcmp(e[j].path, e[i].path, seg) != 0)
					continue;
				if (e[j].len == seg)
					goto clash;
				if (e[j].path[seg] != st->sep[0])
					continue;
				done[j] = 1;
				sub[k].path = e[j].path + seg + 1;
				sub[k].len = e[j].len - seg - 1;
				sub[k++].v = e[j].v;
			}
			if (build(cx, sub, k, st, top, b, depth + 1) != 0)
				return -1;
		}
		continue;
	clash:
		dmo_err_set(cx->err, DMO_EXIT_DATA, NULL, "unflatten: field "
		    "'%s': a value and an object at %s", top,
		    dmo_quote(e[i].path, seg));
		return -1;
	}
	dmo_buf_addc(b, '}');
	return 0;
}

int
xunflatten(struct xctx *cx, struct xfields *fs, struct xfields *tmp,
    const struct xstmt *st)
{
	struct dmo_buf *b = &cx->prog->tmp2;
	size_t i, j;
	char *used = xarena_alloc(cx->arena, fs->n + 1);

	memset(used, 0, fs->n);
	tmp->n = 0;
	if (tmp->cap < fs->n) {
		tmp->cap = fs->n;
		tmp->f = dmo_xreallocarray(tmp->f, tmp->cap, sizeof(*tmp->f));
	}
	for (i = 0; i < fs->n; i++) {
		const char *name = fs->f[i].name, *sep;
		size_t seg, k = 0;
		struct uent *e;
		char top[256];

		if (used[i])
			continue;
		sep = memchr(name, st->sep[0], fs->f[i].nlen);
		seg = sep != NULL ? (size_t)(sep - name) : 0;
		if (sep == NULL || seg == 0 || !selected(st, name, seg)) {
			tmp->f[tmp->n++] = fs->f[i];
			continue;
		}
		e = (struct uent *)(void *)xarena_alloc(cx->arena,
		    fs->n * sizeof(*e));
		for (j = i; j < fs->n; j++) {
			if (used[j] || fs->f[j].nlen <= seg ||
			    memcmp(fs->f[j].name, name, seg) != 0 ||
			    fs->f[j].name[seg] != st->sep[0])
				continue;
			used[j] = 1;
			e[k].path = fs->f[j].name + seg + 1;
			e[k].len = fs->f[j].nlen - seg - 1;
			e[k++].v = &fs->f[j].v;
		}
		for (j = 0; j < fs->n; j++)
			if (fs->f[j].nlen == seg &&
			    memcmp(fs->f[j].name, name, seg) == 0) {
				dmo_err_set(cx->err, DMO_EXIT_DATA, NULL,
				    "unflatten: field '%.*s' is already there",
				    (int)seg, name);
				return -1;
			}
		snprintf(top, sizeof(top), "%.*s", (int)(seg < 200 ? seg :
		    200), name);
		b->len = 0;
		if (build(cx, e, k, st, top, b, 0) != 0)
			return -1;
		tmp->f[tmp->n].name = name;
		tmp->f[tmp->n].nlen = seg;
		memset(&tmp->f[tmp->n].v, 0, sizeof(tmp->f[tmp->n].v));
		tmp->f[tmp->n].v.t = XV_OBJ;
		tmp->f[tmp->n].v.p = xarena_dup(cx->arena, b->p, b->len);
		tmp->f[tmp->n++].v.n = b->len;
	}
	swap_in(fs, tmp);
	return 0;
}

/*
 * Parse JSON text (parse_json()): validated by a small recursive reader,
 * kept compact in the arena.  0, or -1 when it is not JSON.
 */
static const char *
compact(const char *p, const char *end, struct dmo_buf *b, int depth)
{
	const char *q;
	size_t len;

	p = ws(p, end);
	if (p >= end || depth > 512)
		return NULL;
	if (*p == '"') {
		if ((q = str_end(p, end)) == NULL ||
		    dmo_utf8_check(p, (size_t)(q - p)) != (size_t)(q - p))
			return NULL;
		for (const char *s = p + 1; s < q - 1; s++) {
			if ((unsigned char)*s < 0x20)
				return NULL;
			if (*s == '\\') {
				s++;
				if (*s == 'u') {
					if (q - 1 - s < 5 || hexv(s[1]) < 0 ||
					    hexv(s[2]) < 0 || hexv(s[3]) < 0 ||
					    hexv(s[4]) < 0)
						return NULL;
				} else if (strchr("\"\\/bfnrt", *s) == NULL)
					return NULL;
			}
		}
		dmo_buf_add(b, p, (size_t)(q - p));
		return q;
	}
	if (*p == '[' || *p == '{') {
		int obj = *p == '{', first = 1;
		char close = obj ? '}' : ']';

		dmo_buf_addc(b, *p);
		p = ws(p + 1, end);
		while (p < end && *p != close) {
			if (!first) {
				if (*p != ',')
					return NULL;
				dmo_buf_addc(b, ',');
				p = ws(p + 1, end);
			}
			first = 0;
			if (obj) {
				if (p >= end || *p != '"' ||
				    (p = compact(p, end, b, depth + 1)) == NULL)
					return NULL;
				p = ws(p, end);
				if (p >= end || *p != ':')
					return NULL;
				dmo_buf_addc(b, ':');
				p++;
			}
			if ((p = compact(p, end, b, depth + 1)) == NULL)
				return NULL;
			p = ws(p, end);
		}
		if (p >= end)
			return NULL;
		dmo_buf_addc(b, close);
		return p + 1;
	}
	if ((size_t)(end - p) >= 4 && (memcmp(p, "true", 4) == 0 ||
	    memcmp(p, "null", 4) == 0)) {
		dmo_buf_add(b, p, 4);
		return p + 4;
	}
	if ((size_t)(end - p) >= 5 && memcmp(p, "false", 5) == 0) {
		dmo_buf_add(b, p, 5);
		return p + 5;
	}
	if ((len = dmo_number_scan(p, (size_t)(end - p))) == 0)
		return NULL;
	dmo_buf_add(b, p, len);
	return p + len;
}

int
xjson_parse(const char *p, size_t n, struct xval *out, struct xarena *a)
{
	struct dmo_buf b = { 0 };
	const char *end = p + n, *q;
	char *s;

	q = compact(p, end, &b, 0);
	if (q == NULL || ws(q, end) != end) {
		dmo_buf_release(&b);
		return -1;
	}
	s = xarena_dup(a, b.p, b.len);
	xjson_value(s, b.len, out, a);
	dmo_buf_release(&b);
	return 0;
}
