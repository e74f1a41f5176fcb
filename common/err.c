/* err.c - error values with locations, and the programs' message helpers. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "progress.h"
#include "value.h"

static const char *progname = "dmo";

void
dmo_err_clear(struct dmo_err *e)
{
	e->code = 0;
	e->loc.file = NULL;
	e->loc.line = 0;
	e->loc.col = 0;
	e->msg[0] = '\0';
}

void
dmo_err_vset(struct dmo_err *e, int code, const struct dmo_loc *loc,
    const char *fmt, va_list ap)
{
	e->code = code;
	if (loc != NULL)
		e->loc = *loc;
	else {
		e->loc.file = NULL;
		e->loc.line = e->loc.col = 0;
	}
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

void
dmo_err_set(struct dmo_err *e, int code, const struct dmo_loc *loc,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dmo_err_vset(e, code, loc, fmt, ap);
	va_end(ap);
}

void
dmo_err_sys(struct dmo_err *e, int code, const struct dmo_loc *loc,
    const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	dmo_err_vset(e, code, loc, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, "%s%s",
	    n > 0 ? ": " : "", strerror(saved));
	errno = saved;
}

/*
 * Quote a value for a message.  Printable ASCII and valid UTF-8 appear as
 * they are; '"', '\\' and other bytes are escaped as in C, so a message
 * is always one line of text.  The result lasts for three more calls in
 * the same thread.
 */
const char *
dmo_quote(const char *p, size_t len)
{
	/* 40 chars of up to 4 bytes, quotes, "...": a set a thread. */
	static _Thread_local char bufs[4][200];
	static _Thread_local int next;
	char *out = bufs[next++ & 3], *o = out;
	size_t i = 0, room = 40;

	*o++ = '"';
	while (i < len && room > 0) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x80) {
			size_t ok = dmo_utf8_check(p + i, len - i < 4 ? len - i : 4);
			size_t cl = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

			if (ok >= cl) {
				memcpy(o, p + i, cl);
				o += cl;
				i += cl;
				room--;
				continue;
			}
			o += sprintf(o, "\\x%02x", c);
		} else if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c == '\r') {
			*o++ = '\\';
			*o++ = 'r';
		} else if (c == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
		i++;
		room--;
	}
	*o++ = '"';
	if (i < len) {
		memcpy(o, "...", 3);
		o += 3;
	}
	*o = '\0';
	return out;
}

void
dmo_setprogname(const char *argv0)
{
	const char *s = strrchr(argv0, '/');

	progname = s != NULL ? s + 1 : argv0;
}

const char *
dmo_getprogname(void)
{
	return progname;
}

static void
vwarnx(const char *fmt, va_list ap)
{
	dmo_progress_clear();	/* a status line would garble the message */
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
dmo_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

void
dmo_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	dmo_progress_clear();
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(saved));
}

void
dmo_errx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	exit(code);
}

void
dmo_err_format(const struct dmo_err *e, char *buf, size_t len)
{
	if (e->loc.file != NULL && e->loc.line > 0 && e->loc.col > 0)
		snprintf(buf, len, "%s:%lu:%lu: %s", e->loc.file, e->loc.line,
		    e->loc.col, e->msg);
	else if (e->loc.file != NULL && e->loc.line > 0)
		snprintf(buf, len, "%s:%lu: %s", e->loc.file, e->loc.line,
		    e->msg);
	else if (e->loc.file != NULL)
		snprintf(buf, len, "%s: %s", e->loc.file, e->msg);
	else
		snprintf(buf, len, "%s", e->msg);
}

void
dmo_report(const struct dmo_err *e)
{
	char buf[1024];

	dmo_err_format(e, buf, sizeof(buf));
	dmo_progress_clear();
	fprintf(stderr, "%s: %s\n", progname, buf);
}
