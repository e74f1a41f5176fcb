/* expr_regex.c - regular expressions for the language, the one user of PCRE2. */
/* SPDX-License-Identifier: BSD-2-Clause */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exprimpl.h"

/* A compiled pattern with its match data, made once. */
struct xre {
	pcre2_code		*code;
	pcre2_match_data	*md;
};

void *
xre_compile(const char *pat, size_t n, size_t *erroff, char *msg,
    size_t msglen)
{
	struct xre *re;
	int ec;
	PCRE2_SIZE off;
	PCRE2_UCHAR buf[120];

	re = dmo_xcalloc(1, sizeof(*re));
	re->code = pcre2_compile((PCRE2_SPTR)pat, n, PCRE2_UTF, &ec, &off,
	    NULL);
	if (re->code == NULL) {
		pcre2_get_error_message(ec, buf, sizeof(buf));
		snprintf(msg, msglen, "%s", (const char *)buf);
		*erroff = off;
		free(re);
		return NULL;
	}
	/* JIT when it is there; the interpreter is the fallback. */
	(void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	return re;
}

void
xre_free(void *p)
{
	struct xre *re = p;

	if (re == NULL)
		return;
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	free(re);
}

int
xre_match(void *p, const char *s, size_t n, size_t *ovec, size_t nvec,
    size_t *ngroups)
{
	struct xre *re = p;
	PCRE2_SIZE *ov;
	int rc;
	size_t i;

	rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, 0, re->md, NULL);
	if (rc < 0)
		return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
	ov = pcre2_get_ovector_pointer(re->md);
	*ngroups = (size_t)rc;
	for (i = 0; i < nvec && i < 2 * (size_t)rc; i++)
		ovec[i] = ov[i];
	for (; i < nvec; i++)
		ovec[i] = (size_t)-1;
	return 1;
}

int
xre_replace(void *p, const char *s, size_t n, const char *rep, size_t rlen,
    struct dmo_buf *out, char *msg, size_t msglen)
{
	struct xre *re = p;
	PCRE2_SIZE olen;
	int rc;

	for (;;) {
		dmo_buf_grow(out, n + rlen + 64);
		olen = out->cap - out->len;
		rc = pcre2_substitute(re->code, (PCRE2_SPTR)s, n, 0,
		    PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH,
		    re->md, NULL, (PCRE2_SPTR)rep, rlen,
		    (PCRE2_UCHAR *)out->p + out->len, &olen);
		if (rc == PCRE2_ERROR_NOMEMORY) {
			dmo_buf_grow(out, olen + 1);
			continue;
		}
		break;
	}
	if (rc < 0) {
		PCRE2_UCHAR buf[120];

		pcre2_get_error_message(rc, buf, sizeof(buf));
		snprintf(msg, msglen, "%s", (const char *)buf);
		return -1;
	}
	out->len += olen;
	return 0;
}
