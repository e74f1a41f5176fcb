/* pg.c - PostgreSQL as a source and a target (the one file using libpq). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "base64.h"
#include "buf.h"
#include "exitcode.h"
#include "formatimpl.h"
#include "pg.h"
#include "value.h"

/* Type OIDs (pg_type.dat); stable since they are part of the protocol. */
#define OID_BOOL	16
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_TEXT	25
#define OID_OID		26
#define OID_JSON	114
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_DATE	1082
#define OID_TIMESTAMP	1114
#define OID_TIMESTAMPTZ	1184
#define OID_NUMERIC	1700
#define OID_JSONB	3802

/*
 * Rows fetched from the cursor at a time.  Measured on 1,000,000 rows of
 * 9 columns: 1,000 and 10,000 rows per FETCH both take 0.8 s (11 and 13
 * MB peak); 50,000 take 1.1 s and 24 MB, as the server and dmo-extract
 * then take turns instead of working at once.
 */
#define FETCH_ROWS	1000

/*
 * Rows per COPY before it is ended: bounds the line map kept to name the
 * record behind a server error.  Bytes are handed to libpq 64 KiB at a
 * time: 1,000,000 rows load in 0.75 s so, and in 1.1 s with 256 KiB,
 * since the server then waits for each large piece.  The server is the
 * busier side (dmo-load uses 0.3 s of CPU), and it loaded the same rows
 * no faster from binary COPY (psql \copy ... binary: 1.3-1.4 s against
 * 1.2-1.7 s for text, on a busy machine), so text it is.
 */
#define COPY_ROWS	65536
#define COPY_CHUNK	(64 * 1024)

/* Connections. */

int
dmo_pg_is_uri(const char *s)
{
	return strncmp(s, "postgres://", 11) == 0 ||
	    strncmp(s, "postgresql://", 13) == 0;
}

int
dmo_pg_split(const char *operand, char **urip, char **schemap, char **tablep,
    struct dmo_err *err)
{
	const char *hash = strchr(operand, '#'), *dot;
	PQconninfoOption *opts, *o;
	char *uri, *msg = NULL;
	int bad = 0;

	*urip = *schemap = *tablep = NULL;
	uri = hash != NULL ? dmo_xmemdup(operand, (size_t)(hash - operand)) :
	    dmo_xstrdup(operand);
	if ((opts = PQconninfoParse(uri, &msg)) == NULL) {
		char *nl;

		if (msg != NULL && (nl = strchr(msg, '\n')) != NULL)
			*nl = '\0';
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "%s: %s", operand,
		    msg != NULL ? msg : "not a PostgreSQL URI");
		PQfreemem(msg);
		free(uri);
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
			bad = 1;
	PQconninfoFree(opts);
	if (bad) {
		/* Not the operand: it holds the password. */
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "a password in a "
		    "PostgreSQL URI is visible to every user: use PGPASSFILE, "
		    "~/.pgpass or PGPASSWORD");
		free(uri);
		return -1;
	}
	if (hash != NULL) {
		hash++;
		dot = strchr(hash, '.');
		if (*hash == '\0' || (dot != NULL && (dot == hash ||
		    dot[1] == '\0'))) {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL,
			    "%s: empty table name",
			    dmo_quote(operand, strlen(operand)));
			free(uri);
			return -1;
		}
		if (dot != NULL) {
			*schemap = dmo_xmemdup(hash, (size_t)(dot - hash));
			*tablep = dmo_xstrdup(dot + 1);
		} else
			*tablep = dmo_xstrdup(hash);
	}
	*urip = uri;
	return 0;
}

/* The first line of a libpq message, without "ERROR:  " and the newline. */
static void
first_line(char *buf, size_t len, const char *msg)
{
	size_t n;

	if (msg == NULL || *msg == '\0')
		msg = "unknown error";
	if (strncmp(msg, "ERROR:  ", 8) == 0)
		msg += 8;
	else if (strncmp(msg, "FATAL:  ", 8) == 0)
		msg += 8;
	n = strcspn(msg, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, msg, n);
	buf[n] = '\0';
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Open a connection with the session settings both directions rely on. */
static PGconn *
connect_db(const char *uri, const char *operand, struct dmo_err *err)
{
	static const char setup[] =
	    "SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; "
	    "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'; "
	    "SET extra_float_digits = 1; SET bytea_output = 'hex'";
	struct dmo_loc loc = { operand, 0, 0 };
	char msg[400];
	PGconn *conn = PQconnectdb(uri);
	PGresult *res;

	if (conn == NULL) {
		dmo_err_set(err, DMO_EXIT_IO, &loc, "out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		first_line(msg, sizeof(msg), PQerrorMessage(conn));
		if (PQconnectionNeedsPassword(conn))
			dmo_err_set(err, DMO_EXIT_CRYPTO, &loc, "%s: the "
			    "server wants a password: use PGPASSFILE, "
			    "~/.pgpass or PGPASSWORD", msg);
		else
			dmo_err_set(err, strstr(msg, "authentication failed") !=
			    NULL ? DMO_EXIT_CRYPTO : DMO_EXIT_IO, &loc, "%s",
			    msg);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, quiet, NULL);
	res = PQexec(conn, setup);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		first_line(msg, sizeof(msg), PQerrorMessage(conn));
		dmo_err_set(err, DMO_EXIT_IO, &loc, "%s", msg);
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	return conn;
}

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
add_qname(struct dmo_buf *b, const char *schema, const char *table)
{
	if (schema != NULL) {
		add_ident(b, schema, strlen(schema));
		dmo_buf_addc(b, '.');
	}
	add_ident(b, table, strlen(table));
}

/* Values out: PostgreSQL text output to dmo values. */

/* What a result column holds, resolved once per query. */
struct coltype {
	unsigned	oid;		/* the type, or a domain's base type */
	unsigned	elem;		/* arrays: the element type, else 0 */
};

/* Compact JSON text: whitespace outside strings removed, lexemes kept. */
static void
json_compact(struct dmo_buf *b, const char *p, size_t n)
{
	size_t i;
	int instr = 0, esc = 0;

	dmo_buf_grow(b, n);
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (instr) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				instr = 0;
		} else if (c == '"')
			instr = 1;
		else if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		b->p[b->len++] = c;
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
put_utf8(struct dmo_buf *b, unsigned long cp)
{
	if (cp < 0x80)
		dmo_buf_addc(b, (int)cp);
	else if (cp < 0x800) {
		dmo_buf_addc(b, (int)(0xc0 | cp >> 6));
		dmo_buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		dmo_buf_addc(b, (int)(0xe0 | cp >> 12));
		dmo_buf_addc(b, (int)(0x80 | (cp >> 6 & 0x3f)));
		dmo_buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		dmo_buf_addc(b, (int)(0xf0 | cp >> 18));
		dmo_buf_addc(b, (int)(0x80 | (cp >> 12 & 0x3f)));
		dmo_buf_addc(b, (int)(0x80 | (cp >> 6 & 0x3f)));
		dmo_buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	}
}

static unsigned long
hex4(const char *p)
{
	unsigned long v = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		if ((h = hexval((unsigned char)p[i])) < 0)
			return 0xfffd;
		v = v << 4 | (unsigned long)h;
	}
	return v;
}

/* Decode a JSON string (the server validated it) without its quotes. */
static void
json_unquote(struct dmo_buf *b, const char *p, size_t n)
{
	size_t i;
	unsigned long cp, lo;

	for (i = 1; i + 1 < n; i++) {
		if (p[i] != '\\') {
			dmo_buf_addc(b, p[i]);
			continue;
		}
		switch (p[++i]) {
		case 'b': dmo_buf_addc(b, '\b'); break;
		case 'f': dmo_buf_addc(b, '\f'); break;
		case 'n': dmo_buf_addc(b, '\n'); break;
		case 'r': dmo_buf_addc(b, '\r'); break;
		case 't': dmo_buf_addc(b, '\t'); break;
		case 'u':
			if (i + 5 > n) {
				i = n;
				break;
			}
			cp = hex4(p + i + 1);
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 7 < n &&
			    p[i + 1] == '\\' && p[i + 2] == 'u' &&
			    (lo = hex4(p + i + 3)) >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			} else if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;
			put_utf8(b, cp);
			break;
		default:
			dmo_buf_addc(b, p[i]);
		}
	}
}

static int
is_special_number(const char *v, size_t n)
{
	return (n == 3 && memcmp(v, "NaN", 3) == 0) ||
	    (n == 8 && memcmp(v, "Infinity", 8) == 0) ||
	    (n == 9 && memcmp(v, "-Infinity", 9) == 0);
}

/*
 * Convert the text output of one value of type oid to a dmo value: the
 * bytes go to b, the type is returned.
 */
static enum dmo_type
convert(struct dmo_buf *b, unsigned oid, const char *v, size_t n)
{
	size_t i;

	switch (oid) {
	case OID_BOOL:
		return v[0] == 't' ? DMO_TRUE : DMO_FALSE;
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		dmo_buf_add(b, v, n);
		return DMO_NUMBER;
	case OID_NUMERIC:
	case OID_FLOAT4:
	case OID_FLOAT8:
		dmo_buf_add(b, v, n);
		/* NaN and the infinities have no JSON number: strings. */
		return is_special_number(v, n) || !dmo_number_valid(v, n) ?
		    DMO_STRING : DMO_NUMBER;
	case OID_TIMESTAMP:
	case OID_TIMESTAMPTZ:
		dmo_buf_add(b, v, n);
		if (n < 19 || v[10] != ' ' || (n > 3 &&
		    memcmp(v + n - 3, " BC", 3) == 0))
			return DMO_STRING;	/* infinity, BC: as written */
		b->p[b->len - n + 10] = 'T';
		if (oid == OID_TIMESTAMPTZ && n >= 22 &&
		    memcmp(v + n - 3, "+00", 3) == 0) {
			b->len -= 3;
			dmo_buf_addc(b, 'Z');
		}
		return DMO_STRING;
	case OID_BYTEA:
		if (n >= 2 && v[0] == '\\' && v[1] == 'x') {
			struct dmo_buf raw = DMO_BUF_INIT;

			for (i = 2; i + 1 < n; i += 2)
				dmo_buf_addc(&raw, hexval((unsigned char)v[i])
				    << 4 | hexval((unsigned char)v[i + 1]));
			dmo_base64_encode(b, raw.p, raw.len);
			dmo_buf_release(&raw);
			return DMO_STRING;
		}
		dmo_buf_add(b, v, n);
		return DMO_STRING;
	case OID_JSON:
	case OID_JSONB: {
		size_t start = b->len;

		json_compact(b, v, n);
		switch (b->p[start]) {
		case '{':
			return DMO_OBJECT;
		case '[':
			return DMO_ARRAY;
		case '"': {
			struct dmo_buf s = DMO_BUF_INIT;

			json_unquote(&s, b->p + start, b->len - start);
			b->len = start;
			dmo_buf_add(b, s.p, s.len);
			dmo_buf_release(&s);
			return DMO_STRING;
		}
		case 't':
			b->len = start;
			return DMO_TRUE;
		case 'f':
			b->len = start;
			return DMO_FALSE;
		case 'n':
			b->len = start;
			return DMO_NULL;
		default:
			return DMO_NUMBER;
		}
	}
	default:
		dmo_buf_add(b, v, n);
		return DMO_STRING;
	}
}

/*
 * An array in PostgreSQL's text form ("{1,2}", "{{a,\"b c\"},{NULL,d}}",
 * "[0:1]={x,y}") as a JSON array, each element converted as its type.
 * Returns the position after the array.
 */
static size_t
convert_array(struct dmo_buf *b, unsigned elem, const char *p, size_t n,
    size_t i)
{
	struct dmo_buf el = DMO_BUF_INIT, conv = DMO_BUF_INIT;
	int first = 1, quoted;
	enum dmo_type t;

	if (i < n && p[i] == '[') {	/* dimension decoration */
		while (i < n && p[i] != '=')
			i++;
		i++;
	}
	if (i >= n || p[i] != '{') {
		dmo_buf_adds(b, "[]");
		return n;
	}
	i++;
	dmo_buf_addc(b, '[');
	while (i < n && p[i] != '}') {
		if (!first)
			dmo_buf_addc(b, ',');
		first = 0;
		if (p[i] == '{') {
			i = convert_array(b, elem, p, n, i);
		} else {
			el.len = 0;
			quoted = 0;
			if (p[i] == '"') {
				quoted = 1;
				for (i++; i < n && p[i] != '"'; i++) {
					if (p[i] == '\\' && i + 1 < n)
						i++;
					dmo_buf_addc(&el, p[i]);
				}
				i++;
			} else {
				for (; i < n && p[i] != ',' && p[i] != '}';
				    i++) {
					if (p[i] == '\\' && i + 1 < n)
						i++;
					dmo_buf_addc(&el, p[i]);
				}
			}
			if (!quoted && el.len == 4 &&
			    strncasecmp(el.p, "NULL", 4) == 0)
				dmo_buf_adds(b, "null");
			else {
				conv.len = 0;
				dmo_buf_grow(&el, 0);
				t = convert(&conv, elem, el.p != NULL ? el.p :
				    "", el.len);
				dmo_json_buf_value(b, t, conv.p != NULL ? conv.p : "",
				    conv.len);
			}
		}
		if (i < n && p[i] == ',')
			i++;
	}
	dmo_buf_addc(b, ']');
	dmo_buf_release(&el);
	dmo_buf_release(&conv);
	return i + 1;
}

/* The source: a server-side cursor read FETCH_ROWS at a time. */

struct pgsrc {
	PGconn		*conn;
	PGresult	*res;
	int		 row;		/* next row of res */
	int		 ncols;
	struct coltype	*types;
	int		 done;
	struct dmo_buf	 v;
	struct dmo_loc	 loc;
};

static int
src_fail(struct dmo_reader *r, struct pgsrc *s, struct dmo_err *err)
{
	struct dmo_loc loc = { r->source, 0, 0 };
	char msg[400];

	first_line(msg, sizeof(msg), PQerrorMessage(s->conn));
	dmo_err_set(err, DMO_EXIT_IO, &loc, "%s", msg);
	return -1;
}

static int
src_exec(struct dmo_reader *r, struct pgsrc *s, const char *sql,
    struct dmo_err *err)
{
	PGresult *res = PQexec(s->conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	return ok ? 0 : src_fail(r, s, err);
}

/* Resolve each column's type: domains to their base, arrays to elements. */
static int
src_types(struct dmo_reader *r, struct pgsrc *s, struct dmo_err *err)
{
	struct dmo_buf sql = DMO_BUF_INIT;
	PGresult *res;
	int i, k;

	s->ncols = PQnfields(s->res);
	s->types = dmo_xcalloc((size_t)s->ncols + 1, sizeof(*s->types));
	dmo_buf_adds(&sql, "SELECT t.oid, coalesce(nullif(t.typbasetype, 0), "
	    "t.oid), CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE 0 END "
	    "FROM pg_type t WHERE t.oid IN (0");
	for (i = 0; i < s->ncols; i++) {
		s->types[i].oid = PQftype(s->res, i);
		dmo_buf_printf(&sql, ",%u", s->types[i].oid);
	}
	dmo_buf_addc(&sql, ')');
	res = PQexec(s->conn, dmo_buf_cstr(&sql));
	dmo_buf_release(&sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return src_fail(r, s, err);
	}
	for (k = 0; k < PQntuples(res); k++) {
		unsigned oid = (unsigned)strtoul(PQgetvalue(res, k, 0), NULL,
		    10);
		unsigned base = (unsigned)strtoul(PQgetvalue(res, k, 1), NULL,
		    10);
		unsigned elem = (unsigned)strtoul(PQgetvalue(res, k, 2), NULL,
		    10);

		for (i = 0; i < s->ncols; i++)
			if (PQftype(s->res, i) == oid) {
				s->types[i].oid = base;
				s->types[i].elem = elem;
			}
	}
	PQclear(res);
	return 0;
}

static int
src_fetch(struct dmo_reader *r, struct pgsrc *s, struct dmo_err *err)
{
	char sql[64];

	PQclear(s->res);
	snprintf(sql, sizeof(sql), "FETCH %d FROM dmo_cursor", FETCH_ROWS);
	s->res = PQexec(s->conn, sql);
	s->row = 0;
	if (PQresultStatus(s->res) != PGRES_TUPLES_OK)
		return src_fail(r, s, err);
	if (s->types == NULL && src_types(r, s, err) != 0)
		return -1;
	if (PQntuples(s->res) < FETCH_ROWS)
		s->done = 1;
	return 0;
}

static int
pg_reader_init(struct dmo_reader *r, struct dmo_err *err)
{
	struct pgsrc *s;
	struct dmo_buf sql = DMO_BUF_INIT;
	char *uri, *schema, *table;
	int rc;

	if (dmo_pg_split(r->source, &uri, &schema, &table, err) != 0)
		return -1;
	s = dmo_xcalloc(1, sizeof(*s));
	r->state = s;
	s->conn = connect_db(uri, r->source, err);
	free(uri);
	if (s->conn == NULL) {
		free(schema);
		free(table);
		return -1;
	}
	dmo_buf_adds(&sql, "DECLARE dmo_cursor NO SCROLL CURSOR FOR ");
	if (table != NULL) {
		dmo_buf_adds(&sql, "SELECT * FROM ");
		add_qname(&sql, schema, table);
	} else
		dmo_buf_adds(&sql, r->opts.query != NULL ? r->opts.query : "");
	free(schema);
	free(table);
	rc = src_exec(r, s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    err);
	if (rc == 0)
		rc = src_exec(r, s, dmo_buf_cstr(&sql), err);
	dmo_buf_release(&sql);
	if (rc == 0)
		rc = src_fetch(r, s, err);
	return rc;
}

static int
pg_reader_next(struct dmo_reader *r, struct dmo_record *rec,
    struct dmo_err *err)
{
	struct pgsrc *s = r->state;
	const char *v;
	size_t n;
	int i;
	enum dmo_type t;

	if (s->row >= PQntuples(s->res)) {
		if (s->done)
			return DMO_READ_EOF;
		if (src_fetch(r, s, err) != 0)
			return DMO_READ_FATAL;
		if (PQntuples(s->res) == 0)
			return DMO_READ_EOF;
	}
	dmo_record_reset(rec);
	rec->loc.file = r->source;
	rec->loc.line = (unsigned long)++r->recno;
	rec->loc.col = 0;
	rec->recno = r->recno;
	for (i = 0; i < s->ncols; i++) {
		const char *name = PQfname(s->res, i);

		if (PQgetisnull(s->res, s->row, i)) {
			dmo_record_add(rec, name, strlen(name), DMO_NULL,
			    NULL, 0);
			continue;
		}
		v = PQgetvalue(s->res, s->row, i);
		n = (size_t)PQgetlength(s->res, s->row, i);
		s->v.len = 0;
		if (s->types[i].elem != 0) {
			convert_array(&s->v, s->types[i].elem, v, n, 0);
			t = DMO_ARRAY;
		} else
			t = convert(&s->v, s->types[i].oid, v, n);
		dmo_record_add(rec, name, strlen(name), t,
		    s->v.p != NULL ? s->v.p : "", s->v.len);
	}
	s->row++;
	if (dmo_record_finish(rec, r->opts.dup, err) != 0) {
		r->raw.len = 0;
		return DMO_READ_BAD;
	}
	return DMO_READ_RECORD;
}

static void
pg_reader_fini(struct dmo_reader *r)
{
	struct pgsrc *s = r->state;

	if (s == NULL)
		return;
	PQclear(s->res);
	if (s->conn != NULL) {
		PGresult *res = PQexec(s->conn, "COMMIT");

		PQclear(res);
		PQfinish(s->conn);
	}
	free(s->types);
	dmo_buf_release(&s->v);
	free(s);
	r->state = NULL;
}

const struct dmo_reader_ops dmo_pg_reader_ops = {
	pg_reader_init, pg_reader_next, pg_reader_fini
};

/* The target. */

enum kind {
	K_TEXT = 0,	/* text and every type the server checks itself */
	K_INT,
	K_NUMERIC,
	K_FLOAT,
	K_BOOL,
	K_JSON,
	K_BYTEA,
	K_ARRAY		/* JSON arrays become array literals */
};

struct pgcol {
	char		*name;
	size_t		 len;
	unsigned	 oid;
	enum kind	 kind;
	long long	 min, max;	/* K_INT */
	int		 active;	/* in the COPY column list */
	int		 iskey;
	long		 field;		/* in the current shape, or -1 */
};

struct rowloc {
	unsigned long	 line;
	size_t		 file;		/* index into files */
};

struct dmo_pg {
	PGconn		*conn;
	char		*operand;
	char		*schema;
	char		*table;
	char		*label;		/* "schema.table" for messages */
	enum dmo_pg_mode mode;
	char		**keys;
	size_t		 nkeys;
	void		(*notice)(void *, const char *);
	void		*ctx;

	int		 loaded;	/* cols[] reflects the table */
	int		 exists;
	int		 intx;
	int		 replaced;
	int		 staged;	/* upsert: the staging table exists */
	int		 incopy;

	struct pgcol	*cols;
	size_t		 ncols;
	size_t		 nactive;
	unsigned long	 shape;		/* record shape cols[].field is for */
	int		 shape_ok;

	struct dmo_buf	 copy;		/* rows not yet handed to libpq */
	struct dmo_buf	 row;
	struct dmo_buf	 tmp;
	struct rowloc	*rows;		/* source of each row in this COPY */
	size_t		 nrows;
	char		**files;
	size_t		 nfiles;
	const char	*lastfile;
	unsigned long long seq;		/* upsert: order of staged rows */

	unsigned long long pending;
	unsigned long long committed;
	struct dmo_buf	 sql;
};

static void
pg_notice(struct dmo_pg *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
pg_notice(struct dmo_pg *g, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (g->notice == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	g->notice(g->ctx, msg);
}

/* A server error: "table 't': message", at the operand. */
static int
tgt_fail(struct dmo_pg *g, PGresult *res, struct dmo_err *err)
{
	struct dmo_loc loc = { g->operand, 0, 0 };
	const char *m = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[400];

	first_line(msg, sizeof(msg), m != NULL ? m : PQerrorMessage(g->conn));
	dmo_err_set(err, DMO_EXIT_IO, &loc, "table '%s': %s", g->label, msg);
	return -2;
}

static int
tgt_exec(struct dmo_pg *g, const char *sql, struct dmo_err *err)
{
	PGresult *res = PQexec(g->conn, sql);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = tgt_fail(g, res, err);
	PQclear(res);
	return rc;
}

static enum kind
kind_of(unsigned oid, long long *min, long long *max)
{
	switch (oid) {
	case OID_INT2:
		*min = INT16_MIN;
		*max = INT16_MAX;
		return K_INT;
	case OID_INT4:
		*min = INT32_MIN;
		*max = INT32_MAX;
		return K_INT;
	case OID_INT8:
		*min = INT64_MIN;
		*max = INT64_MAX;
		return K_INT;
	case OID_NUMERIC:
		return K_NUMERIC;
	case OID_FLOAT4:
	case OID_FLOAT8:
		return K_FLOAT;
	case OID_BOOL:
		return K_BOOL;
	case OID_JSON:
	case OID_JSONB:
		return K_JSON;
	case OID_BYTEA:
		return K_BYTEA;
	default:
		return K_TEXT;
	}
}

static int
is_key(const struct dmo_pg *g, const char *p, size_t n)
{
	size_t k;

	for (k = 0; k < g->nkeys; k++)
		if (strlen(g->keys[k]) == n && memcmp(g->keys[k], p, n) == 0)
			return 1;
	return 0;
}

static void
col_add(struct dmo_pg *g, const char *name, size_t len, unsigned oid,
    int isarray)
{
	struct pgcol *c;

	g->cols = dmo_xreallocarray(g->cols, g->ncols + 1, sizeof(*g->cols));
	c = &g->cols[g->ncols++];
	memset(c, 0, sizeof(*c));
	c->name = dmo_xmemdup(name, len);
	c->len = len;
	c->oid = oid;
	c->kind = isarray ? K_ARRAY : kind_of(oid, &c->min, &c->max);
	c->iskey = is_key(g, name, len);
	c->field = -1;
	g->shape_ok = 0;
}

/* Read the table's columns; g->exists says whether it is there. */
static int
load_schema(struct dmo_pg *g, struct dmo_err *err)
{
	const char *params[1];
	PGresult *res;
	int i, rc = 0;

	g->sql.len = 0;
	add_qname(&g->sql, g->schema, g->table);
	params[0] = dmo_buf_cstr(&g->sql);
	res = PQexecParams(g->conn, "SELECT a.attname, "
	    "coalesce(nullif(t.typbasetype, 0), t.oid), t.typcategory = 'A' "
	    "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
	    "WHERE a.attrelid = to_regclass($1) "
	    "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = tgt_fail(g, res, err);
	else {
		for (i = 0; i < PQntuples(res); i++) {
			const char *name = PQgetvalue(res, i, 0);

			col_add(g, name, strlen(name),
			    (unsigned)strtoul(PQgetvalue(res, i, 1), NULL, 10),
			    PQgetvalue(res, i, 2)[0] == 't');
		}
		g->exists = PQntuples(res) > 0;
		g->loaded = 1;
	}
	PQclear(res);
	return rc;
}

/* An integer lexeme that fits a long long? */
static int
int_lexeme(const char *v, size_t n, long long *out)
{
	char *end;

	if (!dmo_number_valid(v, n) || memchr(v, '.', n) != NULL ||
	    memchr(v, 'e', n) != NULL || memchr(v, 'E', n) != NULL)
		return 0;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return errno == 0 && end == v + n;
}

/* The column type a new column gets from its first value. */
static const char *
decl_type(const struct dmo_record *r, size_t i)
{
	long long iv;
	size_t len;
	const char *v;

	switch (dmo_record_type(r, i)) {
	case DMO_FALSE:
	case DMO_TRUE:
		return "boolean";
	case DMO_NUMBER:
		v = dmo_record_value(r, i, &len);
		return int_lexeme(v, len, &iv) ? "bigint" : "numeric";
	case DMO_ARRAY:
	case DMO_OBJECT:
		return "json";
	default:
		return "text";
	}
}

static unsigned
decl_oid(const char *decl)
{
	if (strcmp(decl, "boolean") == 0)
		return OID_BOOL;
	if (strcmp(decl, "bigint") == 0)
		return OID_INT8;
	if (strcmp(decl, "numeric") == 0)
		return OID_NUMERIC;
	if (strcmp(decl, "json") == 0)
		return OID_JSON;
	return OID_TEXT;
}

static int
create_table(struct dmo_pg *g, const struct dmo_record *r,
    struct dmo_err *err)
{
	size_t i, k, len;
	const char *name;

	g->sql.len = 0;
	dmo_buf_adds(&g->sql, "CREATE TABLE ");
	add_qname(&g->sql, g->schema, g->table);
	dmo_buf_adds(&g->sql, " (");
	for (i = 0; i < r->n; i++) {
		name = dmo_record_name(r, i, &len);
		if (i > 0)
			dmo_buf_adds(&g->sql, ", ");
		add_ident(&g->sql, name, len);
		dmo_buf_addc(&g->sql, ' ');
		dmo_buf_adds(&g->sql, decl_type(r, i));
	}
	if (g->mode == DMO_PG_UPSERT) {
		dmo_buf_adds(&g->sql, ", UNIQUE (");
		for (k = 0; k < g->nkeys; k++) {
			if (k > 0)
				dmo_buf_adds(&g->sql, ", ");
			add_ident(&g->sql, g->keys[k], strlen(g->keys[k]));
		}
		dmo_buf_addc(&g->sql, ')');
	}
	dmo_buf_addc(&g->sql, ')');
	if (tgt_exec(g, dmo_buf_cstr(&g->sql), err) != 0)
		return -2;
	for (i = 0; i < r->n; i++) {
		name = dmo_record_name(r, i, &len);
		col_add(g, name, len, decl_oid(decl_type(r, i)), 0);
	}
	g->exists = 1;
	pg_notice(g, "table '%s': created with %zu columns", g->label, r->n);
	return 0;
}

static int
add_column(struct dmo_pg *g, const struct dmo_record *r, size_t i,
    struct dmo_err *err)
{
	size_t len;
	const char *name = dmo_record_name(r, i, &len);
	const char *type = decl_type(r, i);

	g->sql.len = 0;
	dmo_buf_adds(&g->sql, "ALTER TABLE ");
	add_qname(&g->sql, g->schema, g->table);
	dmo_buf_adds(&g->sql, " ADD COLUMN ");
	add_ident(&g->sql, name, len);
	dmo_buf_printf(&g->sql, " %s", type);
	if (tgt_exec(g, dmo_buf_cstr(&g->sql), err) != 0)
		return -2;
	if (g->staged) {
		g->sql.len = 0;
		dmo_buf_adds(&g->sql, "ALTER TABLE pg_temp.dmo_stage "
		    "ADD COLUMN ");
		add_ident(&g->sql, name, len);
		dmo_buf_printf(&g->sql, " %s", type);
		if (tgt_exec(g, dmo_buf_cstr(&g->sql), err) != 0)
			return -2;
	}
	col_add(g, name, len, decl_oid(type), 0);
	pg_notice(g, "table '%s': added column '%.*s' %s", g->label,
	    (int)len, name, type);
	return 0;
}

static int
begin(struct dmo_pg *g, struct dmo_err *err)
{
	if (g->intx)
		return 0;
	if (tgt_exec(g, "BEGIN", err) != 0)
		return -2;
	g->intx = 1;
	if (!g->loaded && load_schema(g, err) != 0)
		return -2;
	if (g->mode == DMO_PG_REPLACE && !g->replaced) {
		if (g->exists) {
			g->sql.len = 0;
			dmo_buf_adds(&g->sql, "DELETE FROM ");
			add_qname(&g->sql, g->schema, g->table);
			if (tgt_exec(g, dmo_buf_cstr(&g->sql), err) != 0)
				return -2;
		}
		g->replaced = 1;
	}
	return 0;
}

/* upsert: a session's staging table, the target's columns and an order. */
static int
stage(struct dmo_pg *g, struct dmo_err *err)
{
	if (g->staged)
		return 0;
	g->sql.len = 0;
	dmo_buf_adds(&g->sql, "CREATE TEMP TABLE dmo_stage "
	    "ON COMMIT DELETE ROWS AS SELECT *, "
	    "0::bigint AS \"dmo stage seq\" FROM ");
	add_qname(&g->sql, g->schema, g->table);
	/*
	 * Emptied at each commit by truncating its file in place: a
	 * TRUNCATE per batch made a 100-commit load of 100,000 rows take
	 * 1.0 s instead of 0.6 s.
	 */
	dmo_buf_adds(&g->sql, " WITH NO DATA");
	if (tgt_exec(g, dmo_buf_cstr(&g->sql), err) != 0)
		return -2;
	g->staged = 1;
	return 0;
}

static int
start_copy(struct dmo_pg *g, struct dmo_err *err)
{
	PGresult *res;
	size_t c;
	int first = 1;

	g->sql.len = 0;
	dmo_buf_adds(&g->sql, "COPY ");
	if (g->mode == DMO_PG_UPSERT)
		dmo_buf_adds(&g->sql, "pg_temp.dmo_stage");
	else
		add_qname(&g->sql, g->schema, g->table);
	dmo_buf_adds(&g->sql, " (");
	for (c = 0; c < g->ncols; c++) {
		if (!g->cols[c].active)
			continue;
		if (!first)
			dmo_buf_adds(&g->sql, ", ");
		first = 0;
		add_ident(&g->sql, g->cols[c].name, g->cols[c].len);
	}
	if (g->mode == DMO_PG_UPSERT)
		dmo_buf_adds(&g->sql, ", \"dmo stage seq\"");
	dmo_buf_adds(&g->sql, ") FROM STDIN");
	res = PQexec(g->conn, dmo_buf_cstr(&g->sql));
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		tgt_fail(g, res, err);
		PQclear(res);
		return -2;
	}
	PQclear(res);
	g->incopy = 1;
	g->nrows = 0;
	return 0;
}

static int
put_copy(struct dmo_pg *g, struct dmo_err *err)
{
	if (g->copy.len > 0 && PQputCopyData(g->conn, g->copy.p,
	    (int)g->copy.len) != 1)
		return tgt_fail(g, NULL, err);
	g->copy.len = 0;
	return 0;
}

/*
 * A COPY failed: name the record behind the row the server names in its
 * context ("COPY t, line 3, column b: ...").
 */
static int
copy_fail(struct dmo_pg *g, PGresult *res, struct dmo_err *err)
{
	const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
	const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *p, *col;
	struct dmo_loc loc = { g->operand, 0, 0 };
	unsigned long line = 0;
	char msg[400], column[80];

	first_line(msg, sizeof(msg), m != NULL ? m : PQerrorMessage(g->conn));
	column[0] = '\0';
	if (ctx != NULL && (p = strstr(ctx, ", line ")) != NULL) {
		line = strtoul(p + 7, NULL, 10);
		if ((col = strstr(p, ", column ")) != NULL) {
			size_t n = strcspn(col + 9, ":\n");

			snprintf(column, sizeof(column), "column '%.*s': ",
			    (int)(n > 60 ? 60 : n), col + 9);
		}
	}
	if (line >= 1 && line <= g->nrows) {
		loc.file = g->files[g->rows[line - 1].file];
		loc.line = g->rows[line - 1].line;
	}
	dmo_err_set(err, DMO_EXIT_IO, &loc, "table '%s': %s%s", g->label,
	    column, msg);
	return -2;
}

/* upsert: move the staged rows into the table, the last per key winning. */
static int
merge(struct dmo_pg *g, int committing, struct dmo_err *err)
{
	struct dmo_buf cols = DMO_BUF_INIT, keys = DMO_BUF_INIT;
	size_t c, k, nset = 0;
	int rc;

	for (c = 0; c < g->ncols; c++) {
		if (!g->cols[c].active)
			continue;
		if (cols.len > 0)
			dmo_buf_adds(&cols, ", ");
		add_ident(&cols, g->cols[c].name, g->cols[c].len);
	}
	for (k = 0; k < g->nkeys; k++) {
		if (k > 0)
			dmo_buf_adds(&keys, ", ");
		add_ident(&keys, g->keys[k], strlen(g->keys[k]));
	}
	g->sql.len = 0;
	dmo_buf_adds(&g->sql, "INSERT INTO ");
	add_qname(&g->sql, g->schema, g->table);
	dmo_buf_printf(&g->sql, " AS t (%s) SELECT DISTINCT ON (%s) %s FROM "
	    "pg_temp.dmo_stage ORDER BY %s, \"dmo stage seq\" DESC "
	    "ON CONFLICT (%s) DO ", dmo_buf_cstr(&cols), dmo_buf_cstr(&keys),
	    dmo_buf_cstr(&cols), dmo_buf_cstr(&keys), dmo_buf_cstr(&keys));
	for (c = 0; c < g->ncols; c++) {
		if (!g->cols[c].active || g->cols[c].iskey)
			continue;
		dmo_buf_adds(&g->sql, nset++ == 0 ? "UPDATE SET " : ", ");
		add_ident(&g->sql, g->cols[c].name, g->cols[c].len);
		dmo_buf_adds(&g->sql, " = EXCLUDED.");
		add_ident(&g->sql, g->cols[c].name, g->cols[c].len);
	}
	if (nset == 0)
		dmo_buf_adds(&g->sql, "NOTHING");
	if (!committing)	/* else the commit empties it */
		dmo_buf_adds(&g->sql, "; DELETE FROM pg_temp.dmo_stage");
	rc = tgt_exec(g, dmo_buf_cstr(&g->sql), err);
	dmo_buf_release(&cols);
	dmo_buf_release(&keys);
	return rc;
}

/*
 * End the COPY in progress; in upsert mode, merge what it staged.
 * committing: a COMMIT follows at once.
 */
static int
end_copy(struct dmo_pg *g, int committing, struct dmo_err *err)
{
	PGresult *res;
	int rc = 0;

	if (!g->incopy)
		return 0;
	g->incopy = 0;
	if (put_copy(g, err) != 0)
		return -2;
	if (PQputCopyEnd(g->conn, NULL) != 1)
		return tgt_fail(g, NULL, err);
	while ((res = PQgetResult(g->conn)) != NULL) {
		if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = copy_fail(g, res, err);
		PQclear(res);
	}
	g->nrows = 0;
	if (rc == 0 && g->mode == DMO_PG_UPSERT)
		rc = merge(g, committing, err);
	return rc;
}

static void
copy_text(struct dmo_buf *b, const char *v, size_t n)
{
	size_t i;

	dmo_buf_grow(b, n);
	for (i = 0; i < n; i++) {
		char c = v[i];

		switch (c) {
		case '\\':
			dmo_buf_add(b, "\\\\", 2);
			break;
		case '\n':
			dmo_buf_add(b, "\\n", 2);
			break;
		case '\r':
			dmo_buf_add(b, "\\r", 2);
			break;
		case '\t':
			dmo_buf_add(b, "\\t", 2);
			break;
		default:
			dmo_buf_addc(b, c);
		}
	}
}

static int
reject(struct dmo_err *err, const struct dmo_record *r, const struct pgcol *c,
    const char *why, const char *v, size_t n)
{
	if (v != NULL)
		dmo_err_set(err, DMO_EXIT_DATA, &r->loc, "field '%s': %s: %s",
		    c->name, why, dmo_quote(v, n));
	else
		dmo_err_set(err, DMO_EXIT_DATA, &r->loc, "field '%s': %s",
		    c->name, why);
	return -1;
}

/* Append an array element, quoted as an array literal wants it. */
static void
array_quoted(struct dmo_buf *b, const char *p, size_t n)
{
	size_t i;

	dmo_buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			dmo_buf_addc(b, '\\');
		dmo_buf_addc(b, p[i]);
	}
	dmo_buf_addc(b, '"');
}

/* The end of the JSON string or container that starts at p[i]. */
static size_t
json_skip(const char *p, size_t n, size_t i)
{
	long depth = 0;
	int instr = 0, esc = 0;

	for (; i < n; i++) {
		char c = p[i];

		if (instr) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"') {
				instr = 0;
				if (depth == 0)
					return i + 1;
			}
		} else if (c == '"')
			instr = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return i + 1;
	}
	return n;
}

/*
 * A compact JSON array as a PostgreSQL array literal: [1,[2,null],"a"]
 * gives {1,{2,NULL},"a"}; objects go in as their JSON text.
 */
static void
json_to_array(struct dmo_buf *b, struct dmo_buf *tmp, const char *p, size_t n)
{
	size_t i = 0, end;

	while (i < n) {
		switch (p[i]) {
		case '[':
			dmo_buf_addc(b, '{');
			i++;
			break;
		case ']':
			dmo_buf_addc(b, '}');
			i++;
			break;
		case ',':
			dmo_buf_addc(b, ',');
			i++;
			break;
		case '"':
			end = json_skip(p, n, i);
			tmp->len = 0;
			json_unquote(tmp, p + i, end - i);
			array_quoted(b, tmp->p != NULL ? tmp->p : "", tmp->len);
			i = end;
			break;
		case '{':
			end = json_skip(p, n, i);
			array_quoted(b, p + i, end - i);
			i = end;
			break;
		case 'n':
			dmo_buf_adds(b, "NULL");
			i += 4;
			break;
		case 't':
			dmo_buf_adds(b, "true");
			i += 4;
			break;
		case 'f':
			dmo_buf_adds(b, "false");
			i += 5;
			break;
		default:
			end = i + dmo_number_scan(p + i, n - i);
			if (end == i)
				end = i + 1;
			dmo_buf_add(b, p + i, end - i);
			i = end;
		}
	}
}

/* Append field i as column c's COPY text, or reject the record. */
static int
put_field(struct dmo_pg *g, const struct dmo_record *r, const struct pgcol *c,
    struct dmo_err *err)
{
	struct dmo_buf *b = &g->row;
	enum dmo_type t;
	const char *v;
	size_t n, k;
	long long iv;
	double dv;
	char *end;

	if (c->field < 0 || (t = dmo_record_type(r, (size_t)c->field)) ==
	    DMO_NULL) {
		if (c->iskey)
			return reject(err, r, c, c->field < 0 ? "key is "
			    "missing" : "key is null", NULL, 0);
		dmo_buf_add(b, "\\N", 2);
		return 0;
	}
	v = dmo_record_value(r, (size_t)c->field, &n);
	if (t == DMO_STRING && (memchr(v, '\0', n) != NULL ||
	    dmo_utf8_check(v, n) != n))
		return reject(err, r, c, "PostgreSQL text holds no NUL bytes "
		    "or invalid UTF-8", v, n);
	switch (c->kind) {
	case K_INT:
		if ((t != DMO_NUMBER && t != DMO_STRING) ||
		    !int_lexeme(v, n, &iv))
			return reject(err, r, c, "not an integer", t ==
			    DMO_TRUE ? "true" : t == DMO_FALSE ? "false" : v,
			    t == DMO_TRUE ? 4 : t == DMO_FALSE ? 5 : n);
		if (iv < c->min || iv > c->max)
			return reject(err, r, c, "out of range for the "
			    "column", v, n);
		dmo_buf_add(b, v, n);
		return 0;
	case K_NUMERIC:
	case K_FLOAT:
		if ((t != DMO_NUMBER && t != DMO_STRING) ||
		    (!dmo_number_valid(v, n) && !is_special_number(v, n)))
			return reject(err, r, c, "not a number", t ==
			    DMO_TRUE ? "true" : t == DMO_FALSE ? "false" : v,
			    t == DMO_TRUE ? 4 : t == DMO_FALSE ? 5 : n);
		if (c->kind == K_FLOAT && !is_special_number(v, n)) {
			dv = strtod(v, &end);
			if (isinf(dv) || (c->oid == OID_FLOAT4 &&
			    isinf((float)dv)))
				return reject(err, r, c, "out of range for "
				    "the column", v, n);
		}
		dmo_buf_add(b, v, n);
		return 0;
	case K_BOOL:
		/* The text of a boolean too: a CSV column read without -i. */
		if (t == DMO_TRUE || (t == DMO_STRING && n == 4 &&
		    memcmp(v, "true", 4) == 0))
			dmo_buf_addc(b, 't');
		else if (t == DMO_FALSE || (t == DMO_STRING && n == 5 &&
		    memcmp(v, "false", 5) == 0))
			dmo_buf_addc(b, 'f');
		else
			return reject(err, r, c, "not a boolean", v, n);
		return 0;
	case K_JSON:
		g->tmp.len = 0;
		dmo_json_buf_value(&g->tmp, t, v, n);
		copy_text(b, g->tmp.p, g->tmp.len);
		return 0;
	case K_BYTEA:
		g->tmp.len = 0;
		if (t != DMO_STRING || dmo_base64_decode(&g->tmp, v, n) != 0)
			return reject(err, r, c, "not base64", v, n);
		dmo_buf_add(b, "\\\\x", 3);
		dmo_buf_grow(b, g->tmp.len * 2);
		for (k = 0; k < g->tmp.len; k++) {
			static const char hex[] = "0123456789abcdef";
			unsigned char ch = (unsigned char)g->tmp.p[k];

			b->p[b->len++] = hex[ch >> 4];
			b->p[b->len++] = hex[ch & 15];
		}
		return 0;
	case K_ARRAY:
		if (t == DMO_ARRAY) {
			struct dmo_buf lit = DMO_BUF_INIT;

			json_to_array(&lit, &g->tmp, v, n);
			copy_text(b, lit.p, lit.len);
			dmo_buf_release(&lit);
			return 0;
		}
		/* FALLTHROUGH */
	case K_TEXT:
		if (t == DMO_TRUE)
			dmo_buf_add(b, "true", 4);
		else if (t == DMO_FALSE)
			dmo_buf_add(b, "false", 5);
		else
			copy_text(b, v, n);
		return 0;
	}
	return 0;
}

/* Map the record's fields to columns, adding columns as needed. */
static int
map_fields(struct dmo_pg *g, const struct dmo_record *r, struct dmo_err *err)
{
	size_t i, c, len;
	const char *name;
	int rc;

	if (g->shape_ok && g->shape == r->shape && r->shape != 0)
		return 0;
	for (c = 0; c < g->ncols; c++)
		g->cols[c].field = -1;
	for (i = 0; i < r->n; i++) {
		name = dmo_record_name(r, i, &len);
		for (c = 0; c < g->ncols; c++)
			if (g->cols[c].len == len &&
			    memcmp(g->cols[c].name, name, len) == 0)
				break;
		if (c == g->ncols) {
			if ((rc = end_copy(g, 0, err)) != 0)
				return rc;
			if ((rc = add_column(g, r, i, err)) != 0)
				return rc;
		}
		g->cols[c].field = (long)i;
		if (!g->cols[c].active) {
			if ((rc = end_copy(g, 0, err)) != 0)
				return rc;
			g->cols[c].active = 1;
			g->nactive++;
		}
	}
	/* Keys must be in every COPY, so that a missing one is rejected. */
	for (c = 0; c < g->ncols; c++)
		if (g->cols[c].iskey && !g->cols[c].active) {
			if ((rc = end_copy(g, 0, err)) != 0)
				return rc;
			g->cols[c].active = 1;
			g->nactive++;
		}
	g->shape = r->shape;
	g->shape_ok = 1;
	return 0;
}

static size_t
file_index(struct dmo_pg *g, const char *file)
{
	if (file == NULL)
		file = "<stdin>";
	if (g->nfiles == 0 || file != g->lastfile ||
	    strcmp(g->files[g->nfiles - 1], file) != 0) {
		if (g->nfiles > 0 && strcmp(g->files[g->nfiles - 1], file) ==
		    0) {
			g->lastfile = file;
			return g->nfiles - 1;
		}
		g->files = dmo_xreallocarray(g->files, g->nfiles + 1,
		    sizeof(*g->files));
		g->files[g->nfiles++] = dmo_xstrdup(file);
		g->lastfile = file;
	}
	return g->nfiles - 1;
}

int
dmo_pg_write(struct dmo_pg *g, const struct dmo_record *r,
    struct dmo_err *err)
{
	size_t c;
	int rc, first = 1;

	if ((rc = begin(g, err)) != 0)
		return rc;
	if (!g->exists && (rc = create_table(g, r, err)) != 0)
		return rc;
	if ((rc = map_fields(g, r, err)) != 0)
		return rc;
	g->row.len = 0;
	for (c = 0; c < g->ncols; c++) {
		if (!g->cols[c].active)
			continue;
		if (!first)
			dmo_buf_addc(&g->row, '\t');
		first = 0;
		if (put_field(g, r, &g->cols[c], err) != 0)
			return -1;
	}
	if (g->mode == DMO_PG_UPSERT) {
		if ((rc = stage(g, err)) != 0)
			return rc;
		dmo_buf_printf(&g->row, "\t%llu", ++g->seq);
	}
	dmo_buf_addc(&g->row, '\n');
	if (!g->incopy && (rc = start_copy(g, err)) != 0)
		return rc;
	if (g->nrows % 4096 == 0)
		g->rows = dmo_xreallocarray(g->rows, g->nrows + 4096,
		    sizeof(*g->rows));
	g->rows[g->nrows].line = r->loc.line;
	g->rows[g->nrows].file = file_index(g, r->loc.file);
	g->nrows++;
	dmo_buf_add(&g->copy, g->row.p, g->row.len);
	g->pending++;
	if (g->copy.len >= COPY_CHUNK && put_copy(g, err) != 0)
		return -2;
	if (g->nrows >= COPY_ROWS && (rc = end_copy(g, 0, err)) != 0)
		return rc;
	return 0;
}

int
dmo_pg_commit(struct dmo_pg *g, struct dmo_err *err)
{
	size_t i;

	if (!g->intx)
		return 0;	/* nothing written since the last commit */
	if (end_copy(g, 1, err) != 0)
		return -2;
	if (tgt_exec(g, "COMMIT", err) != 0)
		return -2;
	g->intx = 0;
	g->committed += g->pending;
	g->pending = 0;
	for (i = 0; i < g->nfiles; i++)
		free(g->files[i]);
	g->nfiles = 0;
	g->lastfile = NULL;
	return 0;
}

int
dmo_pg_rollback(struct dmo_pg *g, struct dmo_err *err)
{
	PGresult *res;
	size_t i;
	int rc = 0;

	if (g->incopy) {
		g->incopy = 0;
		g->copy.len = 0;
		if (PQputCopyEnd(g->conn, "rolled back") == 1)
			while ((res = PQgetResult(g->conn)) != NULL)
				PQclear(res);
	}
	if (g->intx) {
		g->intx = 0;
		rc = tgt_exec(g, "ROLLBACK", err);
	}
	g->pending = 0;
	/* ROLLBACK may undo a CREATE or ALTER: read the schema again. */
	for (i = 0; i < g->ncols; i++)
		free(g->cols[i].name);
	g->ncols = g->nactive = 0;
	g->loaded = g->exists = g->staged = g->replaced = 0;
	g->shape_ok = 0;
	return rc;
}

unsigned long long
dmo_pg_pending(const struct dmo_pg *g)
{
	return g->pending;
}

unsigned long long
dmo_pg_committed(const struct dmo_pg *g)
{
	return g->committed;
}

struct dmo_pg *
dmo_pg_open(const struct dmo_pg_opts *o, struct dmo_err *err)
{
	struct dmo_pg *g;
	size_t k;

	dmo_err_clear(err);
	g = dmo_xcalloc(1, sizeof(*g));
	g->operand = dmo_xstrdup(o->operand);
	g->schema = o->schema != NULL ? dmo_xstrdup(o->schema) : NULL;
	g->table = dmo_xstrdup(o->table);
	g->sql.len = 0;
	if (o->schema != NULL)
		dmo_buf_printf(&g->sql, "%s.%s", o->schema, o->table);
	else
		dmo_buf_adds(&g->sql, o->table);
	g->label = dmo_xstrdup(dmo_buf_cstr(&g->sql));
	g->mode = (enum dmo_pg_mode)o->mode;
	g->nkeys = o->nkeys;
	g->keys = dmo_xcalloc(o->nkeys + 1, sizeof(*g->keys));
	for (k = 0; k < o->nkeys; k++)
		g->keys[k] = dmo_xstrdup(o->keys[k]);
	g->notice = o->notice;
	g->ctx = o->ctx;
	if ((g->conn = connect_db(o->uri, o->operand, err)) == NULL) {
		dmo_pg_close(g);
		return NULL;
	}
	return g;
}

void
dmo_pg_close(struct dmo_pg *g)
{
	struct dmo_err err;
	size_t i;

	if (g == NULL)
		return;
	if (g->conn != NULL) {
		if (g->intx || g->incopy)
			(void)dmo_pg_rollback(g, &err);
		PQfinish(g->conn);
	}
	for (i = 0; i < g->ncols; i++)
		free(g->cols[i].name);
	free(g->cols);
	for (i = 0; i < g->nkeys; i++)
		free(g->keys[i]);
	free(g->keys);
	for (i = 0; i < g->nfiles; i++)
		free(g->files[i]);
	free(g->files);
	free(g->rows);
	dmo_buf_release(&g->copy);
	dmo_buf_release(&g->row);
	dmo_buf_release(&g->tmp);
	dmo_buf_release(&g->sql);
	free(g->operand);
	free(g->schema);
	free(g->table);
	free(g->label);
	free(g);
}
