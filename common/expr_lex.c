/* expr_lex.c - the expression language's tokens: names, literals, operators. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "exprimpl.h"
#include "value.h"

static const struct {
	const char	*word;
	enum xtok	 t;
} keywords[] = {
	{ "and", T_AND }, { "or", T_OR }, { "not", T_NOT }, { "if", T_IF },
	{ "then", T_THEN }, { "elif", T_ELIF }, { "else", T_ELSE },
	{ "end", T_END }, { "true", T_TRUE }, { "false", T_FALSE },
	{ "null", T_NULL }, { "is", T_IS }, { "as", T_AS }
};

int
xlex_init(struct xlexer *lx, const char *text, size_t len, const char *name)
{
	memset(lx, 0, sizeof(*lx));
	lx->text = lx->cur = lx->linestart = text;
	lx->end = text + len;
	lx->name = name;
	lx->line = 1;
	lx->tok.t = T_SEMI;	/* as if after a separator */
	return 0;
}

void
xlex_release(struct xlexer *lx)
{
	dmo_buf_release(&lx->strs);
}

static int
lex_error(struct xlexer *lx, const char *at, struct dmo_err *err,
    const char *fmt, const char *what)
{
	struct dmo_loc loc = { lx->name, lx->line,
	    (unsigned long)(at - lx->linestart) + 1 };

	dmo_err_set(err, DMO_EXIT_USAGE, &loc, fmt, what);
	return -1;
}

static int
is_ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
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
		dmo_buf_addc(b, (int)(0xc0 | (cp >> 6)));
		dmo_buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		dmo_buf_addc(b, (int)(0xe0 | (cp >> 12)));
		dmo_buf_addc(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		dmo_buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		dmo_buf_addc(b, (int)(0xf0 | (cp >> 18)));
		dmo_buf_addc(b, (int)(0x80 | ((cp >> 12) & 0x3f)));
		dmo_buf_addc(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		dmo_buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	}
}

/* Read 4 hex digits at p; -1 if they are not. */
static long
hex4(const char *p, const char *end)
{
	long v = 0;
	int i, h;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((h = hexval((unsigned char)p[i])) < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* A double-quoted string with JSON's escapes; cur is after the quote. */
static int
lex_dq(struct xlexer *lx, const char *start, struct dmo_err *err)
{
	const char *p = lx->cur;

	lx->strs.len = 0;
	for (;;) {
		if (p >= lx->end || *p == '\n')
			return lex_error(lx, start, err,
			    "unterminated string%s", "");
		if (*p == '"')
			break;
		if (*p != '\\') {
			dmo_buf_addc(&lx->strs, *p++);
			continue;
		}
		if (++p >= lx->end)
			return lex_error(lx, start, err,
			    "unterminated string%s", "");
		switch (*p) {
		case '"': case '\\': case '/':
			dmo_buf_addc(&lx->strs, *p);
			break;
		case 'b': dmo_buf_addc(&lx->strs, '\b'); break;
		case 'f': dmo_buf_addc(&lx->strs, '\f'); break;
		case 'n': dmo_buf_addc(&lx->strs, '\n'); break;
		case 'r': dmo_buf_addc(&lx->strs, '\r'); break;
		case 't': dmo_buf_addc(&lx->strs, '\t'); break;
		case 'u': {
			long cp = hex4(p + 1, lx->end), lo;

			if (cp < 0)
				return lex_error(lx, p - 1, err,
				    "bad \\u escape%s", "");
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (p + 2 < lx->end && p[1] == '\\' &&
				    p[2] == 'u' &&
				    (lo = hex4(p + 3, lx->end)) >= 0xdc00 &&
				    lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					p += 6;
				} else
					return lex_error(lx, p - 5, err,
					    "lone surrogate in \\u escape%s",
					    "");
			} else if (cp >= 0xdc00 && cp < 0xe000)
				return lex_error(lx, p - 5, err,
				    "lone surrogate in \\u escape%s", "");
			put_utf8(&lx->strs, (unsigned long)cp);
			break;
		}
		default: {
			char esc[8];

			snprintf(esc, sizeof(esc), "%c", *p);
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				snprintf(esc, sizeof(esc), "x%02x",
				    (unsigned char)*p);
			return lex_error(lx, p - 1, err,
			    "unknown escape '\\%s' in string (raw strings: "
			    "'...')", esc);
		}
		}
		p++;
	}
	lx->cur = p + 1;
	return 0;
}

/*
 * Raw text between quote characters q ('...' strings, `...` names): a
 * doubled q stands for one, nothing else is special.
 */
static int
lex_raw(struct xlexer *lx, int q, const char *start, struct dmo_err *err)
{
	const char *p = lx->cur;

	lx->strs.len = 0;
	for (;;) {
		if (p >= lx->end)
			return lex_error(lx, start, err, q == '`' ?
			    "unterminated quoted name%s" :
			    "unterminated string%s", "");
		if (*p == '\n') {
			lx->line++;
			lx->linestart = p + 1;
		}
		if (*p == q) {
			if (p + 1 < lx->end && p[1] == q) {
				dmo_buf_addc(&lx->strs, q);
				p += 2;
				continue;
			}
			break;
		}
		dmo_buf_addc(&lx->strs, *p++);
	}
	lx->cur = p + 1;
	return 0;
}

/* Does a newline after token t end a statement?  Not after an operator. */
static int
nl_ends(enum xtok t)
{
	switch (t) {
	case T_NUMBER: case T_STRING: case T_IDENT: case T_QIDENT:
	case T_RP: case T_RB: case T_TRUE: case T_FALSE: case T_NULL:
	case T_END:
		return 1;
	default:
		return 0;
	}
}

static int
lex_one(struct xlexer *lx, struct xtoken *tk, struct dmo_err *err)
{
	const char *p;
	size_t i;
	int c;

again:
	while (lx->cur < lx->end && (*lx->cur == ' ' || *lx->cur == '\t' ||
	    *lx->cur == '\r'))
		lx->cur++;
	if (lx->cur < lx->end && *lx->cur == '#')
		while (lx->cur < lx->end && *lx->cur != '\n')
			lx->cur++;
	p = lx->cur;
	tk->p = p;
	tk->s = NULL;
	tk->slen = 0;
	tk->line = lx->line;
	tk->col = (unsigned long)(p - lx->linestart) + 1;
	if (p >= lx->end) {
		tk->t = T_EOF;
		tk->n = 0;
		return 0;
	}
	c = (unsigned char)*p;
	if (c == '\n') {
		lx->cur++;
		lx->line++;
		lx->linestart = lx->cur;
		if (lx->depth > 0 || !nl_ends(lx->tok.t))
			goto again;
		tk->t = T_NL;
		tk->n = 1;
		return 0;
	}
	lx->cur++;
	switch (c) {
	case ';': tk->t = T_SEMI; break;
	case ',': tk->t = T_COMMA; break;
	case '(': tk->t = T_LP; lx->depth++; break;
	case ')': tk->t = T_RP; lx->depth -= lx->depth > 0; break;
	case '[': tk->t = T_LB; lx->depth++; break;
	case ']': tk->t = T_RB; lx->depth -= lx->depth > 0; break;
	case '.': tk->t = T_DOT; break;
	case ':': tk->t = T_COLON; break;
	case '+': tk->t = T_PLUS; break;
	case '-': tk->t = T_MINUS; break;
	case '*': tk->t = T_STAR; break;
	case '%': tk->t = T_PERCENT; break;
	case '?':
		tk->t = T_QUEST;
		if (lx->cur < lx->end && *lx->cur == '?') {
			lx->cur++;
			tk->t = T_COALESCE;
		}
		break;
	case '/':
		tk->t = T_SLASH;
		if (lx->cur < lx->end && *lx->cur == '/') {
			lx->cur++;
			tk->t = T_DSLASH;
		}
		break;
	case '|':
		if (lx->cur < lx->end && *lx->cur == '|') {
			lx->cur++;
			tk->t = T_CONCAT;
			break;
		}
		return lex_error(lx, p, err, "unexpected character %s",
		    dmo_quote(p, 1));
	case '=':
		tk->t = T_ASSIGN;
		if (lx->cur < lx->end && *lx->cur == '=') {
			lx->cur++;
			tk->t = T_EQ;
		}
		break;
	case '!':
		if (lx->cur < lx->end && *lx->cur == '=') {
			lx->cur++;
			tk->t = T_NE;
			break;
		}
		return lex_error(lx, p, err, "unexpected character %s "
		    "(use 'not')", dmo_quote(p, 1));
	case '<':
		tk->t = T_LT;
		if (lx->cur < lx->end && *lx->cur == '=') {
			lx->cur++;
			tk->t = T_LE;
		} else if (lx->cur < lx->end && *lx->cur == '>') {
			lx->cur++;
			tk->t = T_NE;
		}
		break;
	case '>':
		tk->t = T_GT;
		if (lx->cur < lx->end && *lx->cur == '=') {
			lx->cur++;
			tk->t = T_GE;
		}
		break;
	case '"':
		if (lex_dq(lx, p, err) != 0)
			return -1;
		tk->t = T_STRING;
		break;
	case '\'':
		if (lex_raw(lx, '\'', p, err) != 0)
			return -1;
		tk->t = T_STRING;
		break;
	case '`':
		if (lex_raw(lx, '`', p, err) != 0)
			return -1;
		tk->t = T_QIDENT;
		if (lx->strs.len == 0)
			return lex_error(lx, p, err, "empty field name%s", "");
		break;
	case '$':
		if (lx->cur < lx->end && *lx->cur == '"') {
			lx->cur++;
			if (lex_dq(lx, p, err) != 0)
				return -1;
		} else if (lx->cur < lx->end && *lx->cur == '`') {
			lx->cur++;
			if (lex_raw(lx, '`', p, err) != 0)
				return -1;
		} else {
			const char *q = lx->cur;

			while (lx->cur < lx->end &&
			    is_ident((unsigned char)*lx->cur))
				lx->cur++;
			lx->strs.len = 0;
			dmo_buf_add(&lx->strs, q, (size_t)(lx->cur - q));
		}
		if (lx->strs.len == 0)
			return lex_error(lx, p, err, "empty field name%s", "");
		tk->t = T_QIDENT;
		break;
	default:
		if (c >= '0' && c <= '9') {
			if (c == '0' && lx->cur < lx->end && *lx->cur >= '0' &&
			    *lx->cur <= '9')
				return lex_error(lx, p, err, "bad number %s "
				    "(no leading zeros)", dmo_quote(p, 2));
			while (lx->cur < lx->end && *lx->cur >= '0' &&
			    *lx->cur <= '9')
				lx->cur++;
			if (lx->cur + 1 < lx->end && *lx->cur == '.' &&
			    lx->cur[1] >= '0' && lx->cur[1] <= '9') {
				lx->cur++;
				while (lx->cur < lx->end && *lx->cur >= '0' &&
				    *lx->cur <= '9')
					lx->cur++;
			}
			if (lx->cur < lx->end && (*lx->cur == 'e' ||
			    *lx->cur == 'E')) {
				const char *q = lx->cur + 1;

				if (q < lx->end && (*q == '+' || *q == '-'))
					q++;
				if (q < lx->end && *q >= '0' && *q <= '9') {
					while (q < lx->end && *q >= '0' &&
					    *q <= '9')
						q++;
					lx->cur = q;
				}
			}
			if (lx->cur < lx->end &&
			    is_ident((unsigned char)*lx->cur))
				return lex_error(lx, p, err,
				    "bad number %s", dmo_quote(p,
				    (size_t)(lx->cur - p) + 1));
			tk->t = T_NUMBER;
			break;
		}
		if (is_ident((unsigned char)c)) {
			while (lx->cur < lx->end &&
			    is_ident((unsigned char)*lx->cur))
				lx->cur++;
			tk->t = T_IDENT;
			for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]);
			    i++)
				if (strlen(keywords[i].word) ==
				    (size_t)(lx->cur - p) &&
				    memcmp(keywords[i].word, p,
				    (size_t)(lx->cur - p)) == 0)
					tk->t = keywords[i].t;
			if (dmo_utf8_check(p, (size_t)(lx->cur - p)) !=
			    (size_t)(lx->cur - p))
				return lex_error(lx, p, err,
				    "invalid UTF-8 in name%s", "");
			break;
		}
		return lex_error(lx, p, err, "unexpected character %s",
		    dmo_quote(p, 1));
	}
	tk->n = (size_t)(lx->cur - p);
	if (tk->t == T_STRING || tk->t == T_QIDENT) {
		tk->s = dmo_buf_cstr(&lx->strs);
		tk->slen = lx->strs.len;
	}
	return 0;
}

/*
 * The next token into tk (and lx->tok).  Decoded string text (tk->s)
 * is valid until the next call.
 */
int
xlex_next(struct xlexer *lx, struct xtoken *tk, struct dmo_err *err)
{
	if (lex_one(lx, tk, err) != 0)
		return -1;
	lx->tok = *tk;
	return 0;
}
