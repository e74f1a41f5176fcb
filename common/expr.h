/* expr.h - the dmo expression language: compile a program once, run it per record. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_EXPR_H
#define DMO_EXPR_H

#include <stddef.h>

#include "err.h"
#include "record.h"

/*
 * A program is a list of statements (dmo-expr(7)): assignments, where,
 * drop, keep, rename, reorder, flatten, unflatten, explode.  It is
 * compiled once (regular expressions included) and run per record.
 *
 * dmo_expr_compile parses text (name is what messages call it: "program"
 * or the -f file); on a syntax error it returns NULL with err set (code
 * DMO_EXIT_USAGE, err->loc the line and column) and
 * dmo_expr_caret() gives the program line and a caret under the column.
 */
struct dmo_expr;

/*
 * Called once per record the program produces (explode gives several).
 * out is valid until the next call; when the program changes nothing
 * (only where statements) it is the input record itself.
 */
typedef int	(*dmo_expr_emit)(void *ctx, struct dmo_record *out,
		    struct dmo_err *);

struct dmo_expr *dmo_expr_compile(const char *text, size_t len,
	    const char *name, struct dmo_err *);
void	 dmo_expr_free(struct dmo_expr *);

/*
 * Run the program on in.  Each record produced is passed to emit (which
 * may return non-zero to stop: that value is returned).  A record that
 * `where` drops produces nothing.  Returns 0, or -1 when the record
 * fails at run time (err says why, code DMO_EXIT_DATA; nothing was
 * emitted for it... unless an explode already emitted earlier elements),
 * or emit's non-zero return.
 */
int	 dmo_expr_run(struct dmo_expr *, const struct dmo_record *in,
	    dmo_expr_emit emit, void *ctx, struct dmo_err *);

/*
 * Two lines for a compile error: the program line the error is on and a
 * caret under its column, each ending in a newline.  "" when err has no
 * column.  The text lives in a static buffer.
 */
const char *dmo_expr_caret(const char *text, size_t len,
	    const struct dmo_err *);

/* The names of the functions, in order: NULL past the last. */
const char *dmo_expr_function(size_t i);

#endif
