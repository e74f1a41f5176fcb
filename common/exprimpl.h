/* exprimpl.h - the expression language's insides, shared by common/expr*.c. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_EXPRIMPL_H
#define DMO_EXPRIMPL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "expr.h"
#include "record.h"

/*
 * A value while a program runs.  Strings, number lexemes and nested JSON
 * text point into the input record, the program text or the run's arena
 * (all stable until the record is done), so evaluating copies nothing.
 */
enum xv_type {
	XV_NULL = 0,
	XV_BOOL,	/* i */
	XV_INT,		/* i, exact */
	XV_DEC,		/* i * 10^-scale, exact */
	XV_FLOAT,	/* f */
	XV_NUM,		/* a number lexeme from a record, p/n: not yet read */
	XV_STR,		/* p/n */
	XV_ARR,		/* JSON text p/n */
	XV_OBJ		/* JSON text p/n */
};

struct xval {
	enum xv_type	 t;
	int		 field;	/* a string from a record: numeric text compares as a number */
	int		 scale;
	int64_t		 i;
	double		 f;
	const char	*p;
	size_t		 n;
};

/* Memory for one record's values: blocks kept from record to record. */
struct xblock {
	struct xblock	*next;
	size_t		 cap, used;
	char		 data[];
};

struct xarena {
	struct xblock	*head;	/* the block in use; the rest follow */
	struct xblock	*full;	/* blocks filled during this record */
};

char	*xarena_alloc(struct xarena *, size_t);
char	*xarena_dup(struct xarena *, const char *, size_t);
void	 xarena_reset(struct xarena *);
void	 xarena_release(struct xarena *);

/* Tokens. */
enum xtok {
	T_EOF = 0, T_NL, T_SEMI, T_COMMA, T_LP, T_RP, T_LB, T_RB, T_DOT,
	T_QUEST, T_COLON, T_COALESCE, T_CONCAT,
	T_PLUS, T_MINUS, T_STAR, T_SLASH, T_DSLASH, T_PERCENT,
	T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_ASSIGN,
	T_NUMBER, T_STRING, T_IDENT, T_QIDENT,
	/* keywords */
	T_AND, T_OR, T_NOT, T_IF, T_THEN, T_ELIF, T_ELSE, T_END,
	T_TRUE, T_FALSE, T_NULL, T_IS, T_AS
};

struct xtoken {
	enum xtok	 t;
	const char	*p;	/* the text of the token */
	size_t		 n;
	const char	*s;	/* strings and quoted names, decoded: valid until the next token */
	size_t		 slen;
	unsigned long	 line, col;
};

struct xlexer {
	const char	*text, *end, *cur;
	const char	*name;
	unsigned long	 line;
	const char	*linestart;
	struct xtoken	 tok;	/* the current token */
	struct xtoken	 peek;
	int		 have_peek;
	int		 depth;	/* ( and [ open: newlines do not end statements */
	struct dmo_buf	 strs;	/* nothing points into it: decoded text is copied */
};

int	 xlex_init(struct xlexer *, const char *text, size_t len,
	    const char *name);
int	 xlex_next(struct xlexer *, struct xtoken *, struct dmo_err *);
void	 xlex_release(struct xlexer *);

/* Syntax tree. */
enum xop {
	N_LIT, N_FIELD, N_NEG, N_NOT, N_ADD, N_SUB, N_MUL, N_DIV, N_IDIV,
	N_MOD, N_CONCAT, N_EQ, N_NE, N_LT, N_LE, N_GT, N_GE, N_AND, N_OR,
	N_COALESCE, N_COND, N_CALL, N_MEMBER, N_INDEX, N_ISNULL, N_ISNOTNULL
};

struct xfunc;
struct xctx;

struct xnode {
	enum xop	 op;
	unsigned long	 line, col;
	struct xnode	*a, *b, *c;
	struct xnode	**args;
	size_t		 nargs;
	struct xval	 lit;
	char		*name;		/* field or member name (owned) */
	size_t		 nlen;
	size_t		 hint;		/* where the field was last found */
	const struct xfunc *fn;
	void		*re;		/* a literal pattern, compiled once */
	void		*aux;		/* a literal time zone, opened once */
};

typedef int	(*xfn)(struct xctx *, struct xnode *, struct xval *args,
		    size_t nargs, struct xval *res);

#define XF_NULLS	1	/* a null argument gives null without calling */
#define XF_LAZY		2	/* arguments are evaluated by the function */

struct xfunc {
	const char	*name;
	int		 min, max;	/* argument counts; max -1: any */
	int		 flags;
	xfn		 fn;
	/* arguments (0-based) that must be literals checked at compile time */
	int		 re_arg;	/* a regular expression, or -1 */
	int		 tz_arg;	/* a time zone, or -1 */
};

const struct xfunc *xfunc_find(const char *name, size_t len);
/* Literal arguments checked and prepared once (time zones); 0 or -1. */
int	 xfunc_check_aux(struct xnode *, struct dmo_err *);
void	 xfunc_free_aux(struct xnode *);

const char *xfunc_name(size_t i);	/* NULL past the last */
/* Dates and times (expr_date.c). */
const struct xfunc *xdate_find(const char *name, size_t len);
const char *xdate_name(size_t i);
int	 xdate_check_aux(struct xnode *, struct dmo_err *);
void	 xdate_free_aux(struct xnode *);

/* Statements. */
enum xst {
	S_ASSIGN, S_WHERE, S_DROP, S_KEEP, S_RENAME, S_REORDER, S_FLATTEN,
	S_UNFLATTEN, S_EXPLODE
};

struct xname {
	char		*p;
	size_t		 n;
};

struct xstmt {
	enum xst	 k;
	unsigned long	 line, col;
	struct xname	 target;	/* assign, explode, flatten field */
	struct xnode	*e;
	struct xname	*names;		/* drop/keep/reorder; rename: pairs */
	size_t		 nnames;
	char		 sep[8];	/* flatten/unflatten separator */
	size_t		 seplen;
};

/* A field while the program runs. */
struct xfield {
	const char	*name;
	size_t		 nlen;
	struct xval	 v;
};

struct xfields {
	struct xfield	*f;
	size_t		 n, cap;
};

struct dmo_expr {
	char		*text;
	size_t		 len;
	const char	*name;
	struct xstmt	*st;
	size_t		 nst;
	struct xarena	 arena;
	struct xfields	*levels;	/* one field list per explode depth + 1 */
	size_t		 nlevels;
	struct dmo_record out;
	int		 passthrough;	/* only where: records go out unchanged */
	struct dmo_buf	 tmp;
	struct dmo_buf	 tmp2;
};

/* The evaluation context of one record. */
struct xctx {
	struct dmo_expr	*prog;
	struct xfields	*fields;
	struct xarena	*arena;
	const struct dmo_record *in;
	struct dmo_err	*err;
};

int	 xeval(struct xctx *, struct xnode *, struct xval *);
/* Set err for node n: "program:LINE:COL" is not shown for run time errors. */
int	 xerr(struct xctx *, struct xnode *, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Numbers (expr_num.c). */
/* Read a value as a number: INT, DEC or FLOAT in *out.  0, or -1 not numeric. */
int	 xnum_get(const struct xval *, struct xval *out);
int	 xnum_lexeme(const char *p, size_t n, struct xval *out);
int	 xnum_arith(struct xctx *, struct xnode *, int op, const struct xval *,
	    const struct xval *, struct xval *);
/* Compare two numbers: -1, 0, 1. */
int	 xnum_cmp(const struct xval *, const struct xval *);
/* Text of a number value (INT, DEC, FLOAT, NUM) into buf; its length. */
size_t	 xnum_format(const struct xval *, char *buf, size_t cap);
double	 xnum_double(const struct xval *);
int	 xnum_is_numeric_text(const char *p, size_t n);

/* JSON text (expr_json.c). */
/* Find member key / element i of JSON text; type and slice.  1 found, 0 not. */
int	 xjson_member(const char *p, size_t n, const char *key, size_t klen,
	    struct xval *out, struct xarena *);
int	 xjson_index(const char *p, size_t n, long long i, struct xval *out,
	    struct xarena *);
/* The value of JSON text p/n (from a document) as an xval. */
void	 xjson_value(const char *p, size_t n, struct xval *out, struct xarena *);
/* Length of the JSON value starting at p (compact or not). 0 if bad. */
size_t	 xjson_skip(const char *p, const char *end);
/* Elements of an array in turn: *pos starts at 0.  1 an element, 0 end. */
int	 xjson_next(const char *p, size_t n, size_t *pos, struct xval *out,
	    struct xarena *);
/* Append a value as JSON text. */
void	 xjson_put(struct dmo_buf *, const struct xval *);
/* Parse a JSON text into a value (validated); 0 or -1. */
int	 xjson_parse(const char *p, size_t n, struct xval *out, struct xarena *);

/* Regular expressions (expr_regex.c): the only user of PCRE2. */
void	*xre_compile(const char *pat, size_t n, size_t *erroff, char *msg,
	    size_t msglen);
void	 xre_free(void *);
/* 1 match, 0 none, -1 error (msg). ovec: pairs of offsets of the groups. */
int	 xre_match(void *, const char *s, size_t n, size_t *ovec, size_t nvec,
	    size_t *ngroups);
/* Replace every match; appends to out.  0 or -1 (msg). */
int	 xre_replace(void *, const char *s, size_t n, const char *rep,
	    size_t rlen, struct dmo_buf *out, char *msg, size_t msglen);

/* Digests (expr_digest.c): the only user of libcrypto in the language. */
/* hex digest of p/n into hex (65 bytes); 0 or -1. */
int	 xdigest_hex(const char *alg, const char *p, size_t n, char *hex);
uint64_t xxh64(const void *p, size_t n, uint64_t seed);

/* Text of a non-null value (numbers as printed) for strings functions. */
int	 xval_text(struct xctx *, const struct xval *, const char **, size_t *);
/* flatten/unflatten a field list, using scratch; 0 or -1 (err set). */
int	 xflatten(struct xctx *, struct xfields *, struct xfields *scratch,
	    const struct xstmt *);
int	 xunflatten(struct xctx *, struct xfields *, struct xfields *scratch,
	    const struct xstmt *);

/* The run-time value of a node result as record bytes. */
enum dmo_type xval_put(const struct xval *, struct dmo_buf *);
const char *xval_type_name(const struct xval *);

#endif
