/* buf.c - growable byte buffers and allocation that dies on exhaustion. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "exitcode.h"

static void __attribute__((noreturn))
nomem(void)
{
	static const char tail[] = ": out of memory\n";
	const char *p = dmo_getprogname();

	/* No stdio: it may want memory too. */
	(void)!write(STDERR_FILENO, p, strlen(p));
	(void)!write(STDERR_FILENO, tail, sizeof(tail) - 1);
	_exit(DMO_EXIT_IO);
}

void *
dmo_xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		nomem();
	return p;
}

void *
dmo_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

	if (p == NULL)
		nomem();
	return p;
}

void *
dmo_xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n == 0 ? 1 : n);

	if (p == NULL)
		nomem();
	return p;
}

void *
dmo_xreallocarray(void *old, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		nomem();
	return dmo_xrealloc(old, n * size);
}

char *
dmo_xstrdup(const char *s)
{
	return dmo_xmemdup(s, strlen(s));
}

char *
dmo_xmemdup(const void *p, size_t n)
{
	char *s = dmo_xmalloc(n + 1);

	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

size_t
dmo_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ULL;

	while (n-- > 0)
		h = (h ^ *s++) * 1099511628211ULL;
	return (size_t)h;
}

void
dmo_buf_grow_slow(struct dmo_buf *b, size_t n)
{
	size_t need, cap;

	if (n > SIZE_MAX - b->len - 1)
		nomem();
	need = b->len + n + 1;
	cap = b->cap < 64 ? 64 : b->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->p = dmo_xrealloc(b->p, cap);
	b->cap = cap;
}

void
dmo_buf_release(struct dmo_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
dmo_buf_printf(struct dmo_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	dmo_buf_grow(b, 64);
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		dmo_buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}
