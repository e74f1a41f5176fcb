/* err.h - error values that carry their location, and the message helpers. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_ERR_H
#define DMO_ERR_H

#include <stdarg.h>

/*
 * Where a record or an error comes from.  file is the source name as the
 * user should read it: a path, "<stdin>", or "archive.zip/member.csv".  It
 * is owned by the reader and stays valid until the reader is freed.  line
 * is the physical line (1-based) where the record starts, counted in LF;
 * col is 1-based in bytes, 0 when unknown.
 */
struct dmo_loc {
	const char	*file;
	unsigned long	 line;
	unsigned long	 col;
};

/*
 * common/ never prints and never exits: it fills in a dmo_err and returns.
 * code is the exit status class (DMO_EXIT_*); msg is the message without
 * the program name and without the location, e.g.
 * "field 'age': not an integer: \"twelve\"".
 */
struct dmo_err {
	int		 code;
	struct dmo_loc	 loc;
	char		 msg[512];
};

void	 dmo_err_clear(struct dmo_err *);
void	 dmo_err_set(struct dmo_err *, int code, const struct dmo_loc *,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	 dmo_err_vset(struct dmo_err *, int code, const struct dmo_loc *,
	    const char *fmt, va_list) __attribute__((format(printf, 4, 0)));
/* As dmo_err_set, with ": strerror(errno)" appended. */
void	 dmo_err_sys(struct dmo_err *, int code, const struct dmo_loc *,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Quote a value for a message: at most about 40 bytes, in double quotes,
 * control bytes and invalid UTF-8 escaped, "..." when cut.  The result
 * lives in one of a few static buffers (rotating, so a message may quote
 * twice).
 */
const char *dmo_quote(const char *p, size_t len);

/* Message helpers for programs (these do print). */
void	 dmo_setprogname(const char *argv0);
const char *dmo_getprogname(void);
void	 dmo_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 dmo_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 dmo_errx(int code, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
/* "prog: file:line[:col]: msg" on stderr. */
void	 dmo_report(const struct dmo_err *);
/* The same message, formatted into buf (no program name, no newline). */
void	 dmo_err_format(const struct dmo_err *, char *buf, size_t len);

#endif
