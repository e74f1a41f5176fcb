/* sqlite.c - load records into a SQLite table, storing every value exactly. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "base64.h"
#include "buf.h"
#include "exitcode.h"
#include "formatimpl.h"
#include "jsonesc.h"
#include "sqlite.h"
#include "value.h"

#define BUSY_MS_DEFAULT	5000
#define NSHAPES		16	/* prepared INSERTs kept, one per name list */

/* Column affinity (https://sqlite.org/datatype3.html, 3.1). */
enum aff {
	AFF_NONE = 0,		/* BLOB or no declared type: stored as bound */
	AFF_TEXT,
	AFF_INTEGER,
	AFF_REAL,
	AFF_NUMERIC
};

struct col {
	char		*name;
	size_t		 len;
	enum aff	 aff;
	int		 pk;		/* position in the primary key, or 0 */
};

/* A record name list and the statement that inserts records of it. */
struct shape {
	char		*key;		/* the names, each followed by NUL */
	size_t		 keylen;
	size_t		 n;		/* fields */
	size_t		*colidx;	/* field i goes to cols[colidx[i]] */
	size_t		*keyfield;	/* upsert: field index of each key */
	sqlite3_stmt	*stmt;
	unsigned long	 recshape;	/* record shape number last seen */
	unsigned long long used;	/* for eviction */
};

struct dmo_sqlite {
	sqlite3		*db;
	char		*path;
	char		*table;
	enum dmo_sqlite_mode mode;
	char		**keys;
	size_t		 nkeys;
	char		*keylist;	/* "a,b" for messages */
	int		 busy_ms;
	void		(*notice)(void *, const char *);
	void		*ctx;

	int		 intx;		/* BEGIN done, no COMMIT yet */
	int		 loaded;	/* cols[] reflects the table */
	int		 exists;	/* the table exists */
	int		 replaced;	/* replace: DELETE done */
	int		 keyready;	/* upsert: unique index there */

	struct col	*cols;
	size_t		 ncols;
	size_t		 colcap;
	size_t		*hash;		/* column index + 1, or 0 */
	size_t		 hashcap;
	unsigned long long *stamp;	/* per column: duplicate check */
	unsigned long long stampgen;

	struct shape	 shapes[NSHAPES];
	size_t		 nshapes;
	struct shape	*last;
	unsigned long long tick;

	unsigned long long pending;
	unsigned long long committed;

	struct dmo_buf	 sql;
	struct dmo_buf	 key;
};

/* Errors. */

static void
db_error(struct dmo_sqlite *s, struct dmo_err *err, int code, const char *what)
{
	struct dmo_loc loc = { s->path, 0, 0 };
	int rc = sqlite3_extended_errcode(s->db) & 0xff;

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		dmo_err_set(err, code, &loc,
		    "table '%s': %s%sdatabase is locked (waited %g seconds)",
		    s->table, what != NULL ? what : "",
		    what != NULL ? ": " : "", s->busy_ms / 1000.0);
	else
		dmo_err_set(err, code, &loc, "table '%s': %s%s%s", s->table,
		    what != NULL ? what : "", what != NULL ? ": " : "",
		    sqlite3_errmsg(s->db));
}

static int
exec(struct dmo_sqlite *s, const char *sql, struct dmo_err *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		db_error(s, err, DMO_EXIT_IO, NULL);
		return -1;
	}
	return 0;
}

/* SQL text. */

static void
add_ident(struct dmo_buf *b, const char *p, size_t n)
{
	size_t i;

	dmo_buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		if (p[i] == '"')
			dmo_buf_addc(b, '"');
		dmo_buf_addc(b, p[i]);
	}
	dmo_buf_addc(b, '"');
}

static void
sql_begin(struct dmo_sqlite *s, const char *verb)
{
	s->sql.len = 0;
	dmo_buf_adds(&s->sql, verb);
	add_ident(&s->sql, s->table, strlen(s->table));
}

static enum aff
affinity(const char *decl)
{
	char up[64];
	size_t i;

	if (decl == NULL)
		return AFF_NONE;
	for (i = 0; decl[i] != '\0' && i < sizeof(up) - 1; i++)
		up[i] = (char)(decl[i] >= 'a' && decl[i] <= 'z' ?
		    decl[i] - 'a' + 'A' : decl[i]);
	up[i] = '\0';
	if (strstr(up, "INT") != NULL)
		return AFF_INTEGER;
	if (strstr(up, "CHAR") != NULL || strstr(up, "CLOB") != NULL ||
	    strstr(up, "TEXT") != NULL)
		return AFF_TEXT;
	if (up[0] == '\0' || strstr(up, "BLOB") != NULL)
		return AFF_NONE;
	if (strstr(up, "REAL") != NULL || strstr(up, "FLOA") != NULL ||
	    strstr(up, "DOUB") != NULL)
		return AFF_REAL;
	return AFF_NUMERIC;
}

static const char *
aff_column(enum aff a)
{
	switch (a) {
	case AFF_INTEGER:
		return "an INTEGER column";
	case AFF_REAL:
		return "a REAL column";
	case AFF_NUMERIC:
		return "a NUMERIC column";
	default:
		return "a column";
	}
}

/* Numbers. */

/*
 * A decimal number reduced to sign, significant digits (no leading or
 * trailing zeros) and exponent: value = 0.d[0]d[1]... * 10^e.  More than
 * 17 significant digits cannot come back from a double, so they are only
 * counted.
 */
struct dec {
	int	neg;
	int	n;
	char	d[17];
	long	e;
};

static void
parse_dec(const char *p, const char *end, struct dec *x)
{
	long point = -1, k = 0, first = -1, zeros = 0, ex = 0;
	int eneg = 0;

	x->neg = 0;
	x->n = 0;
	x->e = 0;
	if (p < end && (*p == '-' || *p == '+'))
		x->neg = *p++ == '-';
	for (; p < end; p++) {
		if (*p == '.') {
			point = k;
			continue;
		}
		if (*p < '0' || *p > '9')
			break;
		if (*p == '0') {
			if (first >= 0)
				zeros++;
		} else {
			if (first < 0)
				first = k;
			for (; zeros > 0; zeros--) {
				if (x->n < (int)sizeof(x->d))
					x->d[x->n] = '0';
				x->n++;
			}
			if (x->n < (int)sizeof(x->d))
				x->d[x->n] = *p;
			x->n++;
		}
		k++;
	}
	if (point < 0)
		point = k;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if (ex < 100000000)
				ex = ex * 10 + (*p - '0');
	}
	if (x->n > 0)
		x->e = point - first + (eneg ? -ex : ex);
}

static int
dec_equal(const struct dec *a, const struct dec *b)
{
	if (a->n == 0 || b->n == 0)
		return a->n == b->n;
	return a->neg == b->neg && a->n == b->n && a->e == b->e &&
	    a->n <= (int)sizeof(a->d) && memcmp(a->d, b->d, (size_t)a->n) == 0;
}

enum num {
	NUM_INT,	/* fits int64 */
	NUM_REAL,	/* a double gives back the same decimal value */
	NUM_INEXACT	/* neither: only text keeps it */
};

/*
 * Classify a number lexeme p[0..n) (NUL-terminated, JSON syntax).  A
 * double counts as exact when the shortest text that reads back as the
 * same double has the lexeme's decimal value: "12.30" is exact (12.3),
 * "0.1000000000000000000001", "18446744073709551616" and "1e400" are not.
 */
static enum num
classify(const char *p, size_t n, long long *iv, double *dv)
{
	const char *q = p, *end = p + n;
	struct dec lx, sx;
	char buf[40];
	int prec;

	if (q < end && *q == '-')
		q++;
	if (q < end) {
		const char *r = q;
		uint64_t u = 0;
		int ok = 1;

		for (; r < end && *r >= '0' && *r <= '9'; r++) {
			if (u > (UINT64_MAX - 9) / 10) {
				ok = 0;
				break;
			}
			u = u * 10 + (uint64_t)(*r - '0');
		}
		if (r == end && ok) {
			if (*p == '-' && u <= (uint64_t)INT64_MAX + 1) {
				*iv = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
				    -(long long)u;
				return NUM_INT;
			}
			if (*p != '-' && u <= (uint64_t)INT64_MAX) {
				*iv = (long long)u;
				return NUM_INT;
			}
		}
	}
	*dv = strtod(p, NULL);
	if (!isfinite(*dv))
		return NUM_INEXACT;
	parse_dec(p, end, &lx);
	if (lx.n == 0)
		return NUM_REAL;
	if (lx.n > 17 || *dv == 0)
		return NUM_INEXACT;
	/* Up to DBL_DIG digits survive a double in the normal range. */
	if (lx.n <= DBL_DIG && fabs(*dv) >= DBL_MIN)
		return NUM_REAL;
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, *dv);
		if (strtod(buf, NULL) == *dv)
			break;
	}
	parse_dec(buf, buf + strlen(buf), &sx);
	return dec_equal(&lx, &sx) ? NUM_REAL : NUM_INEXACT;
}

/* Does an integer survive the trip through a double (REAL affinity)? */
static int
int_fits_double(long long v)
{
	double d = (double)v;

	if (d >= 9223372036854775808.0 || d < -9223372036854775808.0)
		return 0;
	return (long long)d == v;
}

/*
 * Would SQLite's numeric affinity turn this text into a number?  Its
 * rule: optional spaces, sign, digits with an optional point, an optional
 * exponent, optional spaces.
 */
static int
looks_numeric(const char *p, size_t n)
{
	const char *end = p + n;
	int digits = 0;

	while (p < end && (*p == ' ' || (*p >= '\t' && *p <= '\r')))
		p++;
	if (p < end && (*p == '-' || *p == '+'))
		p++;
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		digits++;
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9'; p++)
			digits++;
	if (digits == 0)
		return 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '-' || *p == '+'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	while (p < end && (*p == ' ' || (*p >= '\t' && *p <= '\r')))
		p++;
	return p == end;
}

/* The declared type for a new column, from its first value. */
static const char *
decl_type(const struct dmo_record *r, size_t i)
{
	long long iv;
	double dv;
	size_t len;
	const char *v;

	switch (dmo_record_type(r, i)) {
	case DMO_FALSE:
	case DMO_TRUE:
		return "INTEGER";
	case DMO_NUMBER:
		v = dmo_record_value(r, i, &len);
		switch (classify(v, len, &iv, &dv)) {
		case NUM_INT:
			return "INTEGER";
		case NUM_REAL:
			return "REAL";
		default:
			return "";	/* no affinity: kept as exact text */
		}
	case DMO_STRING:
	case DMO_ARRAY:
	case DMO_OBJECT:
		return "TEXT";
	default:
		return "";
	}
}

/* Columns and the case-insensitive name index (SQLite ignores ASCII case). */

static size_t
name_hash(const char *p, size_t n)
{
	size_t h = 2166136261u, i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static int
name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 ||
	    (alen <= INT32_MAX && sqlite3_strnicmp(a, b, (int)alen) == 0));
}

static void
hash_put(struct dmo_sqlite *s, size_t ci)
{
	size_t h = name_hash(s->cols[ci].name, s->cols[ci].len);

	while (s->hash[h & (s->hashcap - 1)] != 0)
		h++;
	s->hash[h & (s->hashcap - 1)] = ci + 1;
}

static long
col_find(const struct dmo_sqlite *s, const char *p, size_t n)
{
	size_t h, ci;

	if (s->hashcap == 0)
		return -1;
	for (h = name_hash(p, n); (ci = s->hash[h & (s->hashcap - 1)]) != 0;
	    h++)
		if (name_eq(s->cols[ci - 1].name, s->cols[ci - 1].len, p, n))
			return (long)(ci - 1);
	return -1;
}

static void
col_add(struct dmo_sqlite *s, const char *name, size_t len, enum aff a,
    int pk)
{
	size_t i;

	if (s->ncols == s->colcap) {
		s->colcap = s->colcap == 0 ? 16 : s->colcap * 2;
		s->cols = dmo_xreallocarray(s->cols, s->colcap,
		    sizeof(*s->cols));
		s->stamp = dmo_xreallocarray(s->stamp, s->colcap,
		    sizeof(*s->stamp));
	}
	s->cols[s->ncols].name = dmo_xmemdup(name, len);
	s->cols[s->ncols].len = len;
	s->cols[s->ncols].aff = a;
	s->cols[s->ncols].pk = pk;
	s->stamp[s->ncols] = 0;
	s->ncols++;
	if (s->ncols * 2 > s->hashcap) {
		free(s->hash);
		s->hashcap = s->hashcap == 0 ? 64 : s->hashcap * 4;
		s->hash = dmo_xcalloc(s->hashcap, sizeof(*s->hash));
		for (i = 0; i < s->ncols; i++)
			hash_put(s, i);
	} else
		hash_put(s, s->ncols - 1);
}

static void
shape_free(struct shape *sh)
{
	sqlite3_finalize(sh->stmt);
	free(sh->key);
	free(sh->colidx);
	free(sh->keyfield);
	memset(sh, 0, sizeof(*sh));
}

/* Forget what we know of the table (after a rollback undid our DDL). */
static void
forget_schema(struct dmo_sqlite *s)
{
	size_t i;

	for (i = 0; i < s->nshapes; i++)
		shape_free(&s->shapes[i]);
	s->nshapes = 0;
	s->last = NULL;
	for (i = 0; i < s->ncols; i++)
		free(s->cols[i].name);
	s->ncols = 0;
	if (s->hash != NULL)
		memset(s->hash, 0, s->hashcap * sizeof(*s->hash));
	s->loaded = 0;
	s->exists = 0;
	s->keyready = 0;
}

static int
load_schema(struct dmo_sqlite *s, struct dmo_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
	    "SELECT name, type, pk FROM pragma_table_info(?1)", -1, &st,
	    NULL) != SQLITE_OK) {
		db_error(s, err, DMO_EXIT_IO, NULL);
		return -1;
	}
	sqlite3_bind_text(st, 1, s->table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		col_add(s, name != NULL ? name : "",
		    (size_t)sqlite3_column_bytes(st, 0),
		    affinity((const char *)sqlite3_column_text(st, 1)),
		    sqlite3_column_int(st, 2));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_error(s, err, DMO_EXIT_IO, NULL);
		return -1;
	}
	s->exists = s->ncols > 0;
	s->loaded = 1;
	return 0;
}

/* Start a transaction if none is open: the write lock, then the schema. */
static int
begin(struct dmo_sqlite *s, struct dmo_err *err)
{
	if (s->intx)
		return 0;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		db_error(s, err, DMO_EXIT_IO, NULL);
		return -1;
	}
	s->intx = 1;
	if (!s->loaded && load_schema(s, err) != 0)
		return -1;
	if (s->mode == DMO_SQLITE_REPLACE && !s->replaced) {
		if (s->exists) {
			sql_begin(s, "DELETE FROM ");
			if (exec(s, dmo_buf_cstr(&s->sql), err) != 0)
				return -1;
		}
		s->replaced = 1;
	}
	return 0;
}

static void
notice(struct dmo_sqlite *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
notice(struct dmo_sqlite *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (s->notice == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->notice(s->ctx, msg);
}

static int
is_key(const struct dmo_sqlite *s, const char *p, size_t n)
{
	size_t k;

	for (k = 0; k < s->nkeys; k++)
		if (name_eq(s->keys[k], strlen(s->keys[k]), p, n))
			return 1;
	return 0;
}

static int
create_table(struct dmo_sqlite *s, const struct dmo_record *r,
    struct dmo_err *err)
{
	size_t i, k, len;
	const char *name, *type;

	sql_begin(s, "CREATE TABLE ");
	dmo_buf_adds(&s->sql, " (");
	for (i = 0; i < r->n; i++) {
		name = dmo_record_name(r, i, &len);
		type = decl_type(r, i);
		if (i > 0)
			dmo_buf_adds(&s->sql, ", ");
		add_ident(&s->sql, name, len);
		if (*type != '\0') {
			dmo_buf_addc(&s->sql, ' ');
			dmo_buf_adds(&s->sql, type);
		}
	}
	if (s->mode == DMO_SQLITE_UPSERT) {
		dmo_buf_adds(&s->sql, ", UNIQUE (");
		for (k = 0; k < s->nkeys; k++) {
			if (k > 0)
				dmo_buf_adds(&s->sql, ", ");
			add_ident(&s->sql, s->keys[k], strlen(s->keys[k]));
		}
		dmo_buf_addc(&s->sql, ')');
	}
	dmo_buf_addc(&s->sql, ')');
	if (sqlite3_exec(s->db, dmo_buf_cstr(&s->sql), NULL, NULL, NULL) !=
	    SQLITE_OK) {
		db_error(s, err, DMO_EXIT_IO, "cannot create table");
		return -1;
	}
	for (i = 0; i < r->n; i++) {
		name = dmo_record_name(r, i, &len);
		col_add(s, name, len, affinity(decl_type(r, i)), 0);
	}
	s->exists = 1;
	s->keyready = s->mode == DMO_SQLITE_UPSERT;
	if (s->keyready)
		notice(s, "table '%s': created with %zu columns, unique "
		    "on key '%s'", s->table, r->n, s->keylist);
	else
		notice(s, "table '%s': created with %zu columns", s->table,
		    r->n);
	return 0;
}

static int
add_column(struct dmo_sqlite *s, const struct dmo_record *r, size_t i,
    struct dmo_err *err)
{
	size_t len;
	const char *name = dmo_record_name(r, i, &len);
	const char *type = decl_type(r, i);
	char what[128];

	sql_begin(s, "ALTER TABLE ");
	dmo_buf_adds(&s->sql, " ADD COLUMN ");
	add_ident(&s->sql, name, len);
	if (*type != '\0') {
		dmo_buf_addc(&s->sql, ' ');
		dmo_buf_adds(&s->sql, type);
	}
	if (sqlite3_exec(s->db, dmo_buf_cstr(&s->sql), NULL, NULL, NULL) !=
	    SQLITE_OK) {
		snprintf(what, sizeof(what), "cannot add column '%.*s'",
		    (int)(len > 60 ? 60 : len), name);
		db_error(s, err, DMO_EXIT_IO, what);
		return -1;
	}
	col_add(s, name, len, affinity(type), 0);
	notice(s, "table '%s': added column '%.*s'%s%s", s->table,
	    (int)len, name, *type != '\0' ? " " : "", type);
	return 0;
}

/* Do these column names equal the keys, as sets? */
static int
same_as_keys(const struct dmo_sqlite *s, char **names, size_t n)
{
	size_t i;

	if (n != s->nkeys)
		return 0;
	for (i = 0; i < n; i++)
		if (names[i] == NULL || !is_key(s, names[i], strlen(names[i])))
			return 0;
	return 1;
}

/* Is there a unique index (or primary key) on exactly the key columns? */
static int
has_unique_key(struct dmo_sqlite *s, int *found, struct dmo_err *err)
{
	sqlite3_stmt *il = NULL, *ii = NULL;
	char *names[64];
	size_t n = 0, i;
	int rc, ok = 0;

	*found = 0;
	for (i = 0; i < s->ncols && n < 64; i++)
		if (s->cols[i].pk > 0)
			names[n++] = s->cols[i].name;
	if (n > 0 && same_as_keys(s, names, n)) {
		*found = 1;
		return 0;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM pragma_index_list(?1)"
	    " WHERE \"unique\" AND NOT partial", -1, &il, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT name FROM pragma_index_info(?1)",
	    -1, &ii, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(il, 1, s->table, -1, SQLITE_STATIC);
	while (!*found && (rc = sqlite3_step(il)) == SQLITE_ROW) {
		sqlite3_bind_text(ii, 1, (const char *)sqlite3_column_text(il,
		    0), -1, SQLITE_TRANSIENT);
		n = 0;
		while ((rc = sqlite3_step(ii)) == SQLITE_ROW) {
			const char *c = (const char *)sqlite3_column_text(ii,
			    0);

			if (n < 64)
				names[n] = c != NULL ? dmo_xstrdup(c) : NULL;
			n++;
		}
		sqlite3_reset(ii);
		if (rc != SQLITE_DONE) {
			n = n > 64 ? 64 : n;
			for (i = 0; i < n; i++)
				free(names[i]);
			goto fail;
		}
		*found = n <= 64 && same_as_keys(s, names, n);
		for (i = 0; i < n && i < 64; i++)
			free(names[i]);
	}
	if (!*found && rc != SQLITE_DONE)
		goto fail;
	ok = 1;
fail:
	if (!ok)
		db_error(s, err, DMO_EXIT_IO, NULL);
	sqlite3_finalize(il);
	sqlite3_finalize(ii);
	return ok ? 0 : -1;
}

/* upsert on an existing table: make sure ON CONFLICT has its index. */
static int
ensure_key(struct dmo_sqlite *s, struct dmo_err *err)
{
	struct dmo_buf name = DMO_BUF_INIT;
	struct dmo_loc loc = { s->path, 0, 0 };
	size_t k;
	int found;

	if (has_unique_key(s, &found, err) != 0)
		return -1;
	if (found) {
		s->keyready = 1;
		return 0;
	}
	dmo_buf_adds(&name, s->table);
	for (k = 0; k < s->nkeys; k++) {
		dmo_buf_addc(&name, '_');
		dmo_buf_adds(&name, s->keys[k]);
	}
	dmo_buf_adds(&name, "_key");
	s->sql.len = 0;
	dmo_buf_adds(&s->sql, "CREATE UNIQUE INDEX ");
	add_ident(&s->sql, name.p, name.len);
	dmo_buf_adds(&s->sql, " ON ");
	add_ident(&s->sql, s->table, strlen(s->table));
	dmo_buf_adds(&s->sql, " (");
	for (k = 0; k < s->nkeys; k++) {
		if (k > 0)
			dmo_buf_adds(&s->sql, ", ");
		add_ident(&s->sql, s->keys[k], strlen(s->keys[k]));
	}
	dmo_buf_addc(&s->sql, ')');
	if (sqlite3_exec(s->db, dmo_buf_cstr(&s->sql), NULL, NULL, NULL) !=
	    SQLITE_OK) {
		if ((sqlite3_extended_errcode(s->db) & 0xff) ==
		    SQLITE_CONSTRAINT)
			dmo_err_set(err, DMO_EXIT_IO, &loc, "table '%s': "
			    "cannot create a unique index on key '%s': "
			    "existing rows have duplicate keys", s->table,
			    s->keylist);
		else
			db_error(s, err, DMO_EXIT_IO,
			    "cannot create a unique index on the key");
		dmo_buf_release(&name);
		return -1;
	}
	notice(s, "table '%s': created unique index '%s' on key '%s'",
	    s->table, dmo_buf_cstr(&name), s->keylist);
	dmo_buf_release(&name);
	s->keyready = 1;
	return 0;
}

static int
prepare_insert(struct dmo_sqlite *s, struct shape *sh, struct dmo_err *err)
{
	size_t i, set = 0;

	sql_begin(s, "INSERT INTO ");
	if (sh->n == 0)
		dmo_buf_adds(&s->sql, " DEFAULT VALUES");
	else {
		dmo_buf_adds(&s->sql, " (");
		for (i = 0; i < sh->n; i++) {
			const struct col *c = &s->cols[sh->colidx[i]];

			if (i > 0)
				dmo_buf_addc(&s->sql, ',');
			add_ident(&s->sql, c->name, c->len);
		}
		dmo_buf_adds(&s->sql, ") VALUES (");
		for (i = 0; i < sh->n; i++)
			dmo_buf_adds(&s->sql, i > 0 ? ",?" : "?");
		dmo_buf_addc(&s->sql, ')');
	}
	if (s->mode == DMO_SQLITE_UPSERT) {
		dmo_buf_adds(&s->sql, " ON CONFLICT (");
		for (i = 0; i < s->nkeys; i++) {
			if (i > 0)
				dmo_buf_addc(&s->sql, ',');
			add_ident(&s->sql, s->keys[i], strlen(s->keys[i]));
		}
		dmo_buf_adds(&s->sql, ") DO UPDATE SET ");
		for (i = 0; i < sh->n; i++) {
			const struct col *c = &s->cols[sh->colidx[i]];

			if (is_key(s, c->name, c->len))
				continue;
			if (set++ > 0)
				dmo_buf_addc(&s->sql, ',');
			add_ident(&s->sql, c->name, c->len);
			dmo_buf_adds(&s->sql, "=excluded.");
			add_ident(&s->sql, c->name, c->len);
		}
		if (set == 0) {
			/* Only key fields: nothing to update. */
			s->sql.len -= strlen("DO UPDATE SET ");
			dmo_buf_adds(&s->sql, "DO NOTHING");
		}
	}
	if (sqlite3_prepare_v2(s->db, dmo_buf_cstr(&s->sql), -1, &sh->stmt,
	    NULL) != SQLITE_OK) {
		db_error(s, err, DMO_EXIT_IO, NULL);
		return -1;
	}
	return 0;
}

/*
 * Check a record's names before anything is created: NUL bytes, names
 * that SQLite would take for the same column, missing keys.
 */
static int
check_names(struct dmo_sqlite *s, const struct dmo_record *r,
    struct dmo_err *err)
{
	size_t i, j, len, jlen;
	const char *name, *other;

	s->stampgen++;
	for (i = 0; i < r->n; i++) {
		long ci;

		name = dmo_record_name(r, i, &len);
		if (memchr(name, '\0', len) != NULL) {
			dmo_err_set(err, DMO_EXIT_DATA, &r->loc, "field %s: "
			    "name contains a NUL byte", dmo_quote(name, len));
			return -1;
		}
		ci = col_find(s, name, len);
		if (ci >= 0) {
			if (s->stamp[ci] == s->stampgen)
				goto dup;
			s->stamp[ci] = s->stampgen;
			continue;
		}
		/* Not a column yet: compare with the other new names. */
		for (j = 0; j < i; j++) {
			other = dmo_record_name(r, j, &jlen);
			if (name_eq(name, len, other, jlen))
				goto dup;
		}
	}
	if (s->mode == DMO_SQLITE_UPSERT)
		for (i = 0; i < s->nkeys; i++)
			if (dmo_record_find(r, s->keys[i],
			    strlen(s->keys[i])) < 0) {
				dmo_err_set(err, DMO_EXIT_DATA, &r->loc,
				    "key field '%s' is missing", s->keys[i]);
				return -1;
			}
	return 0;
dup:
	dmo_err_set(err, DMO_EXIT_DATA, &r->loc, "field '%.*s': same column "
	    "as another field (SQLite column names ignore case)",
	    (int)(len > 60 ? 60 : len), name);
	return -1;
}

/* The cached statement for this record's names, made when new. */
static struct shape *
get_shape(struct dmo_sqlite *s, const struct dmo_record *r, int *rc,
    struct dmo_err *err)
{
	struct shape *sh;
	size_t i, len;
	const char *name;

	*rc = 0;
	if (s->last != NULL && r->shape != 0 && s->last->recshape == r->shape) {
		s->last->used = ++s->tick;
		return s->last;
	}
	s->key.len = 0;
	for (i = 0; i < r->n; i++) {
		name = dmo_record_name(r, i, &len);
		dmo_buf_add(&s->key, name, len);
		dmo_buf_addc(&s->key, '\0');
	}
	for (i = 0; i < s->nshapes; i++) {
		sh = &s->shapes[i];
		if (sh->stmt != NULL && sh->keylen == s->key.len &&
		    sh->n == r->n && (s->key.len == 0 ||
		    memcmp(sh->key, s->key.p, s->key.len) == 0)) {
			sh->recshape = r->shape;
			sh->used = ++s->tick;
			return s->last = sh;
		}
	}

	/* A new list of names: check, extend the table, prepare. */
	if (check_names(s, r, err) != 0) {
		*rc = -1;
		return NULL;
	}
	if (!s->exists) {
		if (r->n == 0) {
			dmo_err_set(err, DMO_EXIT_DATA, &r->loc, "table '%s': "
			    "cannot create a table from a record without "
			    "fields", s->table);
			*rc = -1;
			return NULL;
		}
		if (create_table(s, r, err) != 0)
			goto fail;
	}
	for (i = 0; i < r->n; i++) {
		name = dmo_record_name(r, i, &len);
		if (col_find(s, name, len) < 0 && add_column(s, r, i, err) != 0)
			goto fail;
	}
	if (s->mode == DMO_SQLITE_UPSERT && !s->keyready &&
	    ensure_key(s, err) != 0)
		goto fail;

	if (s->nshapes < NSHAPES)
		sh = &s->shapes[s->nshapes++];
	else {
		sh = &s->shapes[0];
		for (i = 1; i < NSHAPES; i++)
			if (s->shapes[i].used < sh->used)
				sh = &s->shapes[i];
		shape_free(sh);
	}
	sh->key = dmo_xmemdup(dmo_buf_cstr(&s->key), s->key.len);
	sh->keylen = s->key.len;
	sh->n = r->n;
	sh->colidx = dmo_xreallocarray(NULL, r->n + 1, sizeof(*sh->colidx));
	for (i = 0; i < r->n; i++) {
		name = dmo_record_name(r, i, &len);
		sh->colidx[i] = (size_t)col_find(s, name, len);
	}
	if (s->mode == DMO_SQLITE_UPSERT) {
		sh->keyfield = dmo_xreallocarray(NULL, s->nkeys,
		    sizeof(*sh->keyfield));
		for (i = 0; i < s->nkeys; i++)
			sh->keyfield[i] = (size_t)dmo_record_find(r, s->keys[i],
			    strlen(s->keys[i]));
	}
	sh->recshape = r->shape;
	sh->used = ++s->tick;
	if (prepare_insert(s, sh, err) != 0) {
		shape_free(sh);		/* an empty slot: stmt is NULL */
		goto fail;
	}
	return s->last = sh;
fail:
	s->last = NULL;
	*rc = -2;
	return NULL;
}

static int
inexact(const struct dmo_record *r, size_t i, enum aff a, const char *what,
    struct dmo_err *err)
{
	size_t nlen, vlen;
	const char *name = dmo_record_name(r, i, &nlen);
	const char *v = dmo_record_value(r, i, &vlen);

	dmo_err_set(err, DMO_EXIT_DATA, &r->loc, "field '%.*s': %s %s: %s",
	    (int)(nlen > 60 ? 60 : nlen), name, what, aff_column(a),
	    dmo_quote(v, vlen));
	return -1;
}

/*
 * Bind value i to parameter i + 1 so that the column stores it exactly.
 * Returns 0, or -1 with err set when it cannot be.
 */
static int
bind_value(sqlite3_stmt *st, const struct dmo_record *r, size_t i,
    enum aff a, struct dmo_err *err)
{
	int idx = (int)i + 1;
	size_t len;
	const char *v = dmo_record_value(r, i, &len);
	long long iv;
	double dv;
	enum num k;

	switch (dmo_record_type(r, i)) {
	case DMO_NULL:
		sqlite3_bind_null(st, idx);
		return 0;
	case DMO_FALSE:
	case DMO_TRUE:
		if (a == AFF_TEXT)
			sqlite3_bind_text(st, idx, dmo_record_type(r, i) ==
			    DMO_TRUE ? "true" : "false", -1, SQLITE_STATIC);
		else
			sqlite3_bind_int(st, idx,
			    dmo_record_type(r, i) == DMO_TRUE);
		return 0;
	case DMO_NUMBER:
		if (a == AFF_TEXT)
			break;	/* the lexeme, as it is */
		k = classify(v, len, &iv, &dv);
		if (k == NUM_INT && (a != AFF_REAL || int_fits_double(iv)))
			sqlite3_bind_int64(st, idx, iv);
		else if (k == NUM_REAL)
			sqlite3_bind_double(st, idx, dv);
		else if (a == AFF_NONE)
			break;
		else
			return inexact(r, i, a, "number cannot be stored "
			    "exactly in", err);
		return 0;
	case DMO_STRING:
		if (a == AFF_TEXT || a == AFF_NONE || !looks_numeric(v, len))
			break;
		/*
		 * The column's affinity would make this text a number.  Allow
		 * it only when the text is that number, written as JSON would
		 * write it, and the number fits exactly.
		 */
		if (!dmo_number_valid(v, len))
			return inexact(r, i, a, "string would be changed "
			    "into a number by", err);
		k = classify(v, len, &iv, &dv);
		if (k == NUM_INT && (a != AFF_REAL || int_fits_double(iv)))
			sqlite3_bind_int64(st, idx, iv);
		else if (k == NUM_REAL)
			sqlite3_bind_double(st, idx, dv);
		else
			return inexact(r, i, a, "string would be changed "
			    "into a number by", err);
		return 0;
	default:
		break;	/* arrays and objects: their JSON text */
	}
	sqlite3_bind_text64(st, idx, v, len, SQLITE_STATIC, SQLITE_UTF8);
	return 0;
}

int
dmo_sqlite_write(struct dmo_sqlite *s, const struct dmo_record *r,
    struct dmo_err *err)
{
	struct shape *sh;
	size_t i;
	int rc;

	if (!s->intx && begin(s, err) != 0)
		return -2;
	if ((sh = get_shape(s, r, &rc, err)) == NULL)
		return rc;
	if (s->mode == DMO_SQLITE_UPSERT)
		for (i = 0; i < s->nkeys; i++)
			if (dmo_record_type(r, sh->keyfield[i]) == DMO_NULL) {
				dmo_err_set(err, DMO_EXIT_DATA, &r->loc,
				    "key field '%s' is null", s->keys[i]);
				return -1;
			}
	for (i = 0; i < sh->n; i++)
		if (bind_value(sh->stmt, r, i, s->cols[sh->colidx[i]].aff,
		    err) != 0)
			return -1;
	rc = sqlite3_step(sh->stmt);
	sqlite3_reset(sh->stmt);
	if (rc == SQLITE_DONE) {
		s->pending++;
		return 0;
	}
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
		dmo_err_set(err, DMO_EXIT_DATA, &r->loc, "table '%s': %s",
		    s->table, sqlite3_errmsg(s->db));
		return -1;
	default:
		db_error(s, err, DMO_EXIT_IO, NULL);
		return -2;
	}
}

int
dmo_sqlite_commit(struct dmo_sqlite *s, struct dmo_err *err)
{
	/* replace with no records still empties the table. */
	if (!s->intx && s->mode == DMO_SQLITE_REPLACE && !s->replaced &&
	    begin(s, err) != 0)
		return -2;
	if (!s->intx)
		return 0;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(s, err, DMO_EXIT_IO, "cannot commit");
		return -2;
	}
	s->intx = 0;
	s->committed += s->pending;
	s->pending = 0;
	return 0;
}

int
dmo_sqlite_rollback(struct dmo_sqlite *s, struct dmo_err *err)
{
	int rc = 0;

	if (!sqlite3_get_autocommit(s->db) &&
	    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(s, err, DMO_EXIT_IO, "cannot roll back");
		rc = -2;
	}
	s->intx = 0;
	s->pending = 0;
	forget_schema(s);
	if (s->committed == 0)
		s->replaced = 0;
	return rc;
}

unsigned long long
dmo_sqlite_pending(const struct dmo_sqlite *s)
{
	return s->pending;
}

unsigned long long
dmo_sqlite_committed(const struct dmo_sqlite *s)
{
	return s->committed;
}

static void
split_keys(struct dmo_sqlite *s, const struct dmo_sqlite_opts *o)
{
	struct dmo_buf b = DMO_BUF_INIT;
	size_t k;

	s->keys = dmo_xreallocarray(NULL, o->nkeys + 1, sizeof(*s->keys));
	for (k = 0; k < o->nkeys; k++) {
		s->keys[k] = dmo_xstrdup(o->keys[k]);
		if (k > 0)
			dmo_buf_addc(&b, ',');
		dmo_buf_adds(&b, o->keys[k]);
	}
	s->nkeys = o->nkeys;
	s->keylist = dmo_xstrdup(dmo_buf_cstr(&b));
	dmo_buf_release(&b);
}

struct dmo_sqlite *
dmo_sqlite_open(const struct dmo_sqlite_opts *o, struct dmo_err *err)
{
	struct dmo_sqlite *s = dmo_xcalloc(1, sizeof(*s));
	int rc;

	s->path = dmo_xstrdup(o->path);
	s->table = dmo_xstrdup(o->table);
	s->mode = o->mode;
	s->busy_ms = o->busy_ms > 0 ? o->busy_ms : BUSY_MS_DEFAULT;
	s->notice = o->notice;
	s->ctx = o->ctx;
	split_keys(s, o);
	/* One connection, one thread: no mutexes (they cost 3% of a load). */
	rc = sqlite3_open_v2(o->path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (s->db == NULL) {
		struct dmo_loc loc = { s->path, 0, 0 };

		dmo_err_set(err, DMO_EXIT_IO, &loc, "table '%s': %s", s->table,
		    sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (rc != SQLITE_OK) {
		db_error(s, err, DMO_EXIT_IO, NULL);
		goto fail;
	}
	sqlite3_busy_timeout(s->db, s->busy_ms);
	/*
	 * Read the schema now, so that "file is not a database" and the
	 * like are reported before any input is read.  The page cache stays
	 * at SQLite's default (2 MiB): a larger one was no faster for a
	 * 1M-row load (bench/run) and cost 70 MB of memory.
	 */
	if (exec(s, "SELECT count(*) FROM sqlite_schema", err) != 0)
		goto fail;
	return s;
fail:
	err->loc.file = o->path;	/* s->path goes with s */
	dmo_sqlite_close(s);
	return NULL;
}

void
dmo_sqlite_close(struct dmo_sqlite *s)
{
	size_t k;

	if (s == NULL)
		return;
	if (s->db != NULL) {
		if (!sqlite3_get_autocommit(s->db))
			(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		forget_schema(s);
		sqlite3_close_v2(s->db);
	}
	for (k = 0; k < s->nkeys; k++)
		free(s->keys[k]);
	free(s->keys);
	free(s->keylist);
	free(s->cols);
	free(s->hash);
	free(s->stamp);
	free(s->path);
	free(s->table);
	dmo_buf_release(&s->sql);
	dmo_buf_release(&s->key);
	free(s);
}

/* SQLite as a source: sqlite:PATH#TABLE or sqlite:PATH with a query. */

struct sqlsrc {
	sqlite3		*db;
	sqlite3_stmt	*st;
	int		 ncols;
	const char	**names;
	size_t		*namelen;
	struct dmo_buf	 v;
	/*
	 * With unique column names, the record's names are set once and
	 * each row only sets values by index (the rows' shape never
	 * changes); names repeated by a query go through dmo_record_add
	 * and the --duplicate-keys policy, row by row.
	 */
	int		 unique;
	struct dmo_buf	 nbuf;
	struct dmo_span	*spans;
	unsigned long	 shape;		/* rec->shape after our names */
	/* dmo_sqlite_next_json: each column's key as JSON text. */
	struct dmo_buf	 keys;		/* {"a": ,"b": ... */
	struct jkey	*key;		/* column i's, in keys */
	sqlite3_value	**vals;		/* the current row's values */
	/*
	 * A table with unique column names is read through fst, which
	 * hands each row to row_fn (see prepare_rows) with what the call
	 * needs in call; NULL: st is stepped.
	 */
	sqlite3_stmt	*fst;
	struct {
		struct dmo_reader	*r;
		struct dmo_out		*out;	/* NULL: make a record */
		struct dmo_record	*rec;
		struct dmo_err		*err;
		int			 rc;
	} call;
};

struct jkey {
	const char	*p;
	size_t		 len;
	/* Room needed besides the value's: the key in chunks, two quotes,
	   the "}\n" of the end, and the escaper's scratch. */
	size_t		 room;
};

#define KEY_CHUNK	16

static void	 prepare_rows(struct sqlsrc *, const char *);

/* Are the column names unique?  Then keep them as one name list. */
static void
set_unique_names(struct sqlsrc *q)
{
	const char *p;
	int i, j;

	for (i = 0; i < q->ncols; i++)
		for (j = 0; j < i; j++)
			if (q->namelen[i] == q->namelen[j] &&
			    memcmp(q->names[i], q->names[j], q->namelen[i]) == 0)
				return;
	q->spans = dmo_xcalloc((size_t)q->ncols + 1, sizeof(*q->spans));
	for (i = 0; i < q->ncols; i++) {
		q->spans[i].off = q->nbuf.len;
		q->spans[i].len = q->namelen[i];
		dmo_buf_add(&q->nbuf, q->names[i], q->namelen[i]);
		dmo_buf_addc(&q->nbuf, '\0');
	}
	q->unique = 1;
	/*
	 * Each key with what goes before it: "{" for the first, then ",";
	 * each padded to a multiple of KEY_CHUNK bytes, copied that many
	 * at a time (dmo_sqlite_next_json).
	 */
	q->key = dmo_xcalloc((size_t)q->ncols + 1, sizeof(*q->key));
	for (i = 0; i < q->ncols; i++) {
		size_t off = q->keys.len;

		dmo_buf_addc(&q->keys, i == 0 ? '{' : ',');
		dmo_json_buf_string(&q->keys, q->names[i], q->namelen[i]);
		dmo_buf_addc(&q->keys, ':');
		q->key[i].len = q->keys.len - off;
		q->key[i].room = q->key[i].len + KEY_CHUNK + 4 +
		    DMO_JSON_ESCAPE_ROOM(0);
		while (q->keys.len % KEY_CHUNK != 0)
			dmo_buf_addc(&q->keys, ' ');
	}
	/* The buffer no longer moves: point at each key. */
	for (i = 0, p = q->keys.p; i < q->ncols; i++) {
		q->key[i].p = p;
		p += (q->key[i].len + KEY_CHUNK - 1) / KEY_CHUNK * KEY_CHUNK;
	}
}

/* Value i of the row: by index with unique names, else appended. */
static void
put_col(struct sqlsrc *q, struct dmo_record *rec, int i, enum dmo_type t,
    const char *v, size_t n)
{
	if (q->unique)
		dmo_record_set(rec, (size_t)i, t, v, n);
	else
		dmo_record_add(rec, q->names[i], q->namelen[i], t, v, n);
}

static int
src_error(struct dmo_reader *r, struct sqlsrc *q, const char *path,
    struct dmo_err *err)
{
	struct dmo_loc loc = { r->source, 0, 0 };

	dmo_err_set(err, DMO_EXIT_IO, &loc, "%s", q->db != NULL ?
	    sqlite3_errmsg(q->db) : path);
	return -1;
}

static int
sqlite_reader_init(struct dmo_reader *r, struct dmo_err *err)
{
	const char *hash = strrchr(r->source + 7, '#'), *tail;
	struct dmo_loc loc = { r->source, 0, 0 };
	struct dmo_buf sql = DMO_BUF_INIT;
	struct sqlsrc *q;
	struct stat sb;
	char *path;
	int i, rc;

	path = hash != NULL ? dmo_xmemdup(r->source + 7,
	    (size_t)(hash - (r->source + 7))) : dmo_xstrdup(r->source + 7);
	q = dmo_xcalloc(1, sizeof(*q));
	r->state = q;
	/* SQLite's "unable to open database file" does not say why. */
	if (stat(path, &sb) != 0) {
		loc.file = r->source;
		dmo_err_sys(err, DMO_EXIT_IO, &loc, "%s", path);
		free(path);
		return -1;
	}
	rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL);
	free(path);
	if (rc != SQLITE_OK)
		return src_error(r, q, sqlite3_errstr(rc), err);
	sqlite3_busy_timeout(q->db, BUSY_MS_DEFAULT);
	if (hash != NULL) {
		dmo_buf_adds(&sql, "SELECT * FROM ");
		add_ident(&sql, hash + 1, strlen(hash + 1));
	} else
		dmo_buf_adds(&sql, r->opts.query);
	rc = sqlite3_prepare_v2(q->db, dmo_buf_cstr(&sql), -1, &q->st, &tail);
	if (rc == SQLITE_OK && q->st == NULL)
		dmo_err_set(err, DMO_EXIT_IO, &loc, "the query is empty");
	else if (rc == SQLITE_OK && tail != NULL &&
	    tail[strspn(tail, " \t\r\n;")] != '\0')
		dmo_err_set(err, DMO_EXIT_IO, &loc, "the query holds more "
		    "than one statement: %s", dmo_quote(tail, strlen(tail)));
	else if (rc != SQLITE_OK)
		src_error(r, q, NULL, err);
	else {
		dmo_buf_release(&sql);
		q->ncols = sqlite3_column_count(q->st);
		q->names = dmo_xcalloc((size_t)q->ncols + 1,
		    sizeof(*q->names));
		q->namelen = dmo_xcalloc((size_t)q->ncols + 1,
		    sizeof(*q->namelen));
		for (i = 0; i < q->ncols; i++) {
			q->names[i] = sqlite3_column_name(q->st, i);
			if (q->names[i] == NULL)
				q->names[i] = "";
			q->namelen[i] = strlen(q->names[i]);
		}
		q->vals = dmo_xcalloc((size_t)q->ncols + 1,
		    sizeof(*q->vals));
		set_unique_names(q);
		if (hash != NULL)
			prepare_rows(q, hash + 1);
		return 0;
	}
	dmo_buf_release(&sql);
	return -1;
}

/* All bytes below 0x80?  Eight at a time: most text is ASCII. */
static int
ascii(const unsigned char *p, size_t n)
{
	uint64_t w, acc = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= p[i];
	return (acc & 0x8080808080808080ULL) == 0;
}

/* m / 10^k as decimal text, with at least one decimal: "143.29", "1.0". */
static void
put_fixed(struct dmo_buf *b, int neg, unsigned long long m, int k)
{
	char digits[24], *p = digits + sizeof(digits);
	int n = 0;

	do {
		*--p = (char)('0' + m % 10);
		m /= 10;
		n++;
	} while (m > 0);
	while (n <= k) {	/* leading zeros: 0.05 */
		*--p = '0';
		n++;
	}
	dmo_buf_grow(b, (size_t)n + 4);
	if (neg)
		b->p[b->len++] = '-';
	memcpy(b->p + b->len, p, (size_t)(n - k));
	b->len += (size_t)(n - k);
	b->p[b->len++] = '.';
	if (k == 0)
		b->p[b->len++] = '0';
	else {
		memcpy(b->p + b->len, p + n - k, (size_t)k);
		b->len += (size_t)k;
	}
}

/* The shortest decimal text that reads back as the same double. */
static void
put_real(struct dmo_buf *b, double d)
{
	char text[40];
	int prec;

	if (isnan(d)) {
		dmo_buf_adds(b, "NaN");
		return;
	}
	if (isinf(d)) {
		dmo_buf_adds(b, d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	/*
	 * Most stored reals are short decimals (143.29): find the fewest
	 * decimals k with m / 10^k == d, exact since m < 2^53 and 10^k are
	 * both doubles and IEEE division rounds correctly.  This is five
	 * times faster than printf and strtod.
	 */
	if (fabs(d) >= 1e-4 && fabs(d) < 1e15) {
		static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5,
		    1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
		    1e16, 1e17 };
		double a = fabs(d), sc, m;
		int k;

		for (k = 0; k <= 17; k++) {
			sc = a * p10[k];
			if (sc >= 9007199254740992.0)
				break;
			m = floor(sc + 0.5);
			if (m / p10[k] == a) {
				put_fixed(b, d < 0, (unsigned long long)m, k);
				return;
			}
		}
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(text, sizeof(text), "%.*g", prec, d);
		if (strtod(text, NULL) == d)
			break;
	}
	/* A number that reads as a double, not an integer: 1.0, not 1. */
	if (strpbrk(text, ".en") == NULL && strlen(text) < sizeof(text) - 2)
		strcat(text, ".0");
	dmo_buf_adds(b, text);
}

/* Step to the next row: DMO_READ_RECORD, DMO_READ_EOF or DMO_READ_FATAL. */
static int
step(struct dmo_reader *r, struct sqlsrc *q, struct dmo_record *rec,
    struct dmo_err *err)
{
	int rc = sqlite3_step(q->st);

	if (rc == SQLITE_DONE)
		return DMO_READ_EOF;
	if (rc != SQLITE_ROW) {
		src_error(r, q, NULL, err);
		return DMO_READ_FATAL;
	}
	rec->loc.file = r->source;
	rec->loc.line = (unsigned long)++r->recno;
	rec->loc.col = 0;
	rec->recno = r->recno;
	return DMO_READ_RECORD;
}

/* The row of values vals as a record. */
static int
row_record(struct dmo_reader *r, struct sqlsrc *q, sqlite3_value **vals,
    struct dmo_record *rec, struct dmo_err *err)
{
	const unsigned char *t;
	const void *blob;
	double d;
	int i, n;

	if (!q->unique)
		dmo_record_reset(rec);
	else {
		if (rec->shape == 0 || rec->shape != q->shape ||
		    rec->nnames != (size_t)q->ncols) {
			/* Unique names: this cannot fail. */
			(void)dmo_record_set_names(rec, &q->nbuf, q->spans,
			    (size_t)q->ncols, err);
			q->shape = rec->shape;
		}
		dmo_record_reset_values(rec);
	}
	for (i = 0; i < q->ncols; i++) {
		switch (sqlite3_value_type(vals[i])) {
		case SQLITE_INTEGER: {
			/* Not sqlite3_value_text: that converts in place. */
			sqlite3_int64 iv = sqlite3_value_int64(vals[i]);
			unsigned long long u = iv < 0 ?
			    0 - (unsigned long long)iv : (unsigned long long)iv;
			char digits[24], *p = digits + sizeof(digits);

			do {
				*--p = (char)('0' + u % 10);
				u /= 10;
			} while (u > 0);
			if (iv < 0)
				*--p = '-';
			put_col(q, rec, i, DMO_NUMBER, p,
			    (size_t)(digits + sizeof(digits) - p));
			break;
		}
		case SQLITE_FLOAT:
			d = sqlite3_value_double(vals[i]);
			q->v.len = 0;
			put_real(&q->v, d);
			put_col(q, rec, i, isfinite(d) ? DMO_NUMBER :
			    DMO_STRING, q->v.p, q->v.len);
			break;
		case SQLITE_TEXT:
			t = sqlite3_value_text(vals[i]);
			n = sqlite3_value_bytes(vals[i]);
			if (!ascii(t, (size_t)n) && dmo_utf8_check(
			    (const char *)t, (size_t)n) != (size_t)n) {
				if (r->opts.utf8 == DMO_UTF8_REJECT) {
					dmo_err_set(err, DMO_EXIT_DATA,
					    &rec->loc, "field '%s': invalid "
					    "UTF-8", q->names[i]);
					r->raw.len = 0;
					return DMO_READ_BAD;
				}
				q->v.len = 0;
				dmo_utf8_replace(&q->v, (const char *)t,
				    (size_t)n);
				put_col(q, rec, i, DMO_STRING, q->v.p,
				    q->v.len);
			} else
				put_col(q, rec, i, DMO_STRING,
				    (const char *)t, (size_t)n);
			break;
		case SQLITE_BLOB:
			blob = sqlite3_value_blob(vals[i]);
			n = sqlite3_value_bytes(vals[i]);
			q->v.len = 0;
			dmo_base64_encode(&q->v, blob, (size_t)n);
			put_col(q, rec, i, DMO_STRING, q->v.p != NULL ?
			    q->v.p : "", q->v.len);
			break;
		default:
			if (!q->unique)
				dmo_record_add(rec, q->names[i],
				    q->namelen[i], DMO_NULL, NULL, 0);
		}
	}
	if (!q->unique && dmo_record_finish(rec, r->opts.dup, err) != 0) {
		r->raw.len = 0;
		return DMO_READ_BAD;
	}
	return DMO_READ_RECORD;
}

/*
 * The values of st's current row.  sqlite3_column_value gives what the
 * SQLite documentation calls unprotected values, which the
 * sqlite3_value_* functions may read when no mutex is in play: the
 * connection is opened with SQLITE_OPEN_NOMUTEX and used by one thread.
 */
static sqlite3_value **
row_values(struct sqlsrc *q)
{
	int i;

	for (i = 0; i < q->ncols; i++)
		q->vals[i] = sqlite3_column_value(q->st, i);
	return q->vals;
}

static int emit(struct dmo_reader *, struct sqlsrc *, sqlite3_value **,
    struct dmo_out *, struct dmo_record *, struct dmo_err *);

/*
 * SQLite calls this for each row of fst, with the row's values as its
 * arguments: the row is handled here, while they are valid.
 */
static void
row_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sqlsrc *q = sqlite3_user_data(ctx);

	(void)argc;
	q->call.rc = emit(q->call.r, q, argv, q->call.out, q->call.rec,
	    q->call.err);
}

/*
 * Reading a whole table, "SELECT dmo_row(\"a\", \"b\", ...) FROM t"
 * reads the same rows as "SELECT * FROM t", but SQLite hands each row's
 * values to row_fn at once, instead of them being fetched one by one
 * through sqlite3_column_value, whose locking and error handling cost
 * more than the rest of a short value's way to the output.  The function
 * exists on our connection only, may not be called from the schema
 * (SQLITE_DIRECTONLY: a view or trigger of a hostile database cannot
 * reach it), and takes exactly the table's columns.  When it cannot be
 * set up (more columns than a function takes, an old SQLite), st is
 * stepped as for a query.
 */
static void
prepare_rows(struct sqlsrc *q, const char *table)
{
	struct dmo_buf sql = DMO_BUF_INIT;
	int flags = SQLITE_UTF8, i;

#ifdef SQLITE_DIRECTONLY
	flags |= SQLITE_DIRECTONLY;
#else
	return;
#endif
	if (!q->unique || q->ncols == 0 || sqlite3_create_function(q->db,
	    "dmo_row", q->ncols, flags, q, row_fn, NULL, NULL) != SQLITE_OK)
		return;
	dmo_buf_adds(&sql, "SELECT dmo_row(");
	for (i = 0; i < q->ncols; i++) {
		if (i > 0)
			dmo_buf_addc(&sql, ',');
		add_ident(&sql, q->names[i], q->namelen[i]);
	}
	dmo_buf_adds(&sql, ") FROM ");
	add_ident(&sql, table, strlen(table));
	if (sqlite3_prepare_v2(q->db, dmo_buf_cstr(&sql), -1, &q->fst,
	    NULL) != SQLITE_OK || sqlite3_column_count(q->fst) != 1) {
		sqlite3_finalize(q->fst);
		q->fst = NULL;
	}
	dmo_buf_release(&sql);
}

/*
 * The next row: made a record in rec (out NULL), or written to out as
 * dmo_sqlite_next_json says.
 */
static int
next_row(struct dmo_reader *r, struct sqlsrc *q, struct dmo_out *out,
    struct dmo_record *rec, struct dmo_err *err)
{
	int rc;

	if (q->fst == NULL) {
		if ((rc = step(r, q, rec, err)) != DMO_READ_RECORD)
			return rc;
		return emit(r, q, row_values(q), out, rec, err);
	}
	/* row_fn reports errors at the row it is called for. */
	rec->loc.file = r->source;
	rec->loc.line = (unsigned long)r->recno + 1;
	rec->loc.col = 0;
	rec->recno = r->recno + 1;
	q->call.r = r;
	q->call.out = out;
	q->call.rec = rec;
	q->call.err = err;
	q->call.rc = DMO_READ_EOF;
	rc = sqlite3_step(q->fst);
	if (rc == SQLITE_DONE)
		return DMO_READ_EOF;
	if (rc != SQLITE_ROW) {
		src_error(r, q, NULL, err);
		return DMO_READ_FATAL;
	}
	if (q->call.rc == DMO_READ_EOF) {	/* cannot happen */
		dmo_err_set(err, DMO_EXIT_IO, &rec->loc, "a row came "
		    "without its values");
		return DMO_READ_FATAL;
	}
	r->recno++;
	return q->call.rc;
}

static int
sqlite_reader_next(struct dmo_reader *r, struct dmo_record *rec,
    struct dmo_err *err)
{
	return next_row(r, r->state, NULL, rec, err);
}

/* SQLite could not give a value (out of memory): the source is done. */
static int
fetch_failed(struct dmo_reader *r, struct sqlsrc *q, struct dmo_err *err)
{
	src_error(r, q, NULL, err);
	return DMO_READ_FATAL;
}

/* The decimal text of v at o; returns its end. */
static char *
put_int(char *o, sqlite3_int64 v)
{
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324252627282930"
	    "31323334353637383940414243444546474849505152535455565758596061"
	    "62636465666768697071727374757677787980818283848586878889909192"
	    "939495969798990";
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v :
	    (unsigned long long)v;
	char digits[24], *p = digits + sizeof(digits);
	size_t n;

	while (u >= 100) {
		p -= 2;
		memcpy(p, pairs + u % 100 * 2, 2);
		u /= 100;
	}
	if (u >= 10) {
		p -= 2;
		memcpy(p, pairs + u * 2, 2);
	} else
		*--p = (char)('0' + u);
	if (v < 0)
		*--p = '-';
	n = (size_t)(digits + sizeof(digits) - p);
	memcpy(o, p, n);
	return o + n;
}

/* Key k, with what goes before it, at o: in chunks (see set_unique_names). */
static inline char *
put_key(char *o, const struct jkey *k)
{
	size_t j;

	memcpy(o, k->p, KEY_CHUNK);
	for (j = KEY_CHUNK; j < k->len; j += KEY_CHUNK)
		memcpy(o + j, k->p + j, KEY_CHUNK);
	return o + k->len;
}

/*
 * Text p[0..n) of column i is not UTF-8: reject the row, or write it at
 * o with the policy's U+FFFD (o has room for DMO_JSON_ESCAPE_ROOM(n)).
 */
static char *
put_bad_text(struct dmo_reader *r, struct sqlsrc *q, int i, char *o,
    const char *p, size_t n, struct dmo_record *rec, struct dmo_err *err)
{
	size_t off = q->v.len;

	if (r->opts.utf8 == DMO_UTF8_REJECT) {
		dmo_err_set(err, DMO_EXIT_DATA, &rec->loc,
		    "field '%s': invalid UTF-8", q->names[i]);
		r->raw.len = 0;
		return NULL;
	}
	dmo_utf8_replace(&q->v, p, n);
	return dmo_json_escape(o, q->v.p + off, q->v.len - off);
}

/*
 * Write the row of values vals as one NDJSON line at o, with room up to
 * end.  Returns DMO_READ_WRITTEN with *endp set, DMO_READ_BAD (invalid
 * UTF-8, rejected), DMO_READ_FATAL, or 0 when the line might not fit
 * (each value is checked against its worst case, DMO_JSON_ESCAPE_ROOM).
 */
static int
put_row(struct dmo_reader *r, struct sqlsrc *q, sqlite3_value **vals,
    char *o, const char *end, char **endp, struct dmo_record *rec,
    struct dmo_err *err)
{
	const struct jkey *k = q->key;
	const char *p;
	size_t n;
	int i;

	q->v.len = 0;
	if (q->ncols == 0) {
		if (end - o < 3)
			return 0;
		*o++ = '{';
	}
	for (i = 0; i < q->ncols; i++, k++) {
		sqlite3_value *v = vals[i];
		int t = sqlite3_value_type(v);
		size_t off;

		if (t == SQLITE_TEXT) {		/* the common case first */
			char *e;

			p = (const char *)sqlite3_value_text(v);
			n = (size_t)sqlite3_value_bytes(v);
			if (p == NULL)		/* out of memory */
				return fetch_failed(r, q, err);
			if ((size_t)(end - o) < k->room + n * 6)
				return 0;
			o = put_key(o, k);
			*o++ = '"';
			if ((e = dmo_json_escape_inline(o, p, n, 1)) == NULL &&
			    (e = put_bad_text(r, q, i, o, p, n, rec,
			    err)) == NULL)
				return DMO_READ_BAD;
			o = e;
			*o++ = '"';
			continue;
		}
		if (t == SQLITE_FLOAT) {
			double d = sqlite3_value_double(v);

			off = q->v.len;
			if (!isfinite(d))	/* Infinity is a string */
				dmo_buf_addc(&q->v, '"');
			put_real(&q->v, d);
			if (!isfinite(d))
				dmo_buf_addc(&q->v, '"');
			p = q->v.p + off;
			n = q->v.len - off;
		} else if (t == SQLITE_BLOB) {
			const void *b = sqlite3_value_blob(v);

			n = (size_t)sqlite3_value_bytes(v);
			if (b == NULL && n > 0)
				return fetch_failed(r, q, err);
			off = q->v.len;
			dmo_buf_addc(&q->v, '"');
			dmo_base64_encode(&q->v, b, n);
			dmo_buf_addc(&q->v, '"');
			p = q->v.p + off;
			n = q->v.len - off;
		} else {
			p = NULL;
			n = 20;		/* an integer, null */
		}
		if ((size_t)(end - o) < k->room + n)
			return 0;
		o = put_key(o, k);
		if (t == SQLITE_INTEGER)
			o = put_int(o, sqlite3_value_int64(v));
		else if (p != NULL) {
			memcpy(o, p, n);
			o += n;
		} else {
			memcpy(o, "null", 4);
			o += 4;
		}
	}
	memcpy(o, "}\n", 2);
	*endp = o + 2;
	return DMO_READ_WRITTEN;
}

/*
 * Handle a row of values: a record in rec when out is NULL or the names
 * repeat, else the row written to out (see dmo_sqlite_next_json).
 */
static int
emit(struct dmo_reader *r, struct sqlsrc *q, sqlite3_value **vals,
    struct dmo_out *out, struct dmo_record *rec, struct dmo_err *err)
{
	char *e;
	int rc;

	if (out == NULL || !q->unique)
		return row_record(r, q, vals, rec, err);
	rc = put_row(r, q, vals, out->buf + out->len, out->buf + out->cap, &e,
	    rec, err);
	if (rc == 0 && out->len > 0) {
		(void)dmo_out_reserve(out, out->cap);	/* flushes */
		rc = put_row(r, q, vals, out->buf + out->len,
		    out->buf + out->cap, &e, rec, err);
	}
	if (rc == 0)
		return row_record(r, q, vals, rec, err);
	if (rc == DMO_READ_WRITTEN)
		out->len = (size_t)(e - out->buf);
	return rc;
}

/*
 * The fast path of dmo_reader_next_write (format.c) for a source with
 * unique column names: the row goes from SQLite's memory straight into
 * NDJSON text in out's buffer, with no record in between.  It writes
 * exactly what sqlite_reader_next and the NDJSON writer would (tests
 * compare them): the keys escaped once at the start, each value as
 * row_record types it, text escaped with its UTF-8 checked in one pass.
 *
 * out->len moves only once the line is whole, so a row rejected for
 * invalid UTF-8 leaves nothing behind.  A line that might not fit in
 * what is left of the buffer is written again after a flush, and one
 * that might not fit in the whole buffer is made a record for the
 * caller to write, as before (rows of many kilobytes).
 *
 * Returns DMO_READ_WRITTEN, DMO_READ_EOF, DMO_READ_BAD, DMO_READ_FATAL,
 * or DMO_READ_RECORD with the row in rec, for the caller to write.
 */
int
dmo_sqlite_next_json(struct dmo_reader *r, struct dmo_out *out,
    struct dmo_record *rec, struct dmo_err *err)
{
	return next_row(r, r->state, out, rec, err);
}

static void
sqlite_reader_fini(struct dmo_reader *r)
{
	struct sqlsrc *q = r->state;

	if (q == NULL)
		return;
	sqlite3_finalize(q->fst);
	sqlite3_finalize(q->st);
	sqlite3_close_v2(q->db);
	free(q->names);
	free(q->namelen);
	free(q->spans);
	free(q->key);
	free(q->vals);
	dmo_buf_release(&q->keys);
	dmo_buf_release(&q->nbuf);
	dmo_buf_release(&q->v);
	free(q);
	r->state = NULL;
}

const struct dmo_reader_ops dmo_sqlite_reader_ops = {
	sqlite_reader_init, sqlite_reader_next, sqlite_reader_fini
};
