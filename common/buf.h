/* buf.h - growable byte buffers and allocation that dies on exhaustion. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_BUF_H
#define DMO_BUF_H

#include <stddef.h>
#include <string.h>

/*
 * xmalloc and friends print "dmo-x: out of memory" and exit 3: the one
 * place common/ may exit (git and Miller do the same).
 */
void	*dmo_xmalloc(size_t);
void	*dmo_xcalloc(size_t, size_t);
void	*dmo_xrealloc(void *, size_t);
void	*dmo_xreallocarray(void *, size_t, size_t);
char	*dmo_xstrdup(const char *);
char	*dmo_xmemdup(const void *, size_t);	/* NUL-terminated copy */

/*
 * A byte buffer: p[0..len) is the content.  p is NULL until the first
 * append.  Appends keep room for a terminating NUL, which dmo_buf_cstr()
 * writes, so a buffer can always be handed to C string functions.
 */
struct dmo_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

#define DMO_BUF_INIT	{ NULL, 0, 0 }

/* FNV-1a over p[0..n): for the small hash tables of names. */
size_t	 dmo_hash(const void *p, size_t n);

void	 dmo_buf_grow_slow(struct dmo_buf *, size_t);
void	 dmo_buf_release(struct dmo_buf *);
void	 dmo_buf_printf(struct dmo_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* Make room for n more bytes plus a NUL. */
static inline void
dmo_buf_grow(struct dmo_buf *b, size_t n)
{
	if (b->cap - b->len <= n)
		dmo_buf_grow_slow(b, n);
}

static inline void
dmo_buf_add(struct dmo_buf *b, const void *p, size_t n)
{
	dmo_buf_grow(b, n);
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static inline void
dmo_buf_addc(struct dmo_buf *b, int c)
{
	dmo_buf_grow(b, 1);
	b->p[b->len++] = (char)c;
}

static inline void
dmo_buf_adds(struct dmo_buf *b, const char *s)
{
	dmo_buf_add(b, s, strlen(s));
}

static inline const char *
dmo_buf_cstr(struct dmo_buf *b)
{
	dmo_buf_grow(b, 0);
	b->p[b->len] = '\0';
	return b->p;
}

#endif
