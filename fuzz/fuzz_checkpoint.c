/* fuzz_checkpoint.c - libFuzzer target: checkpoint payloads and bookmarks. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include "fuzzhelp.h"

#include "bookmark.h"

/*
 * Each input is:
 *  A. a checkpoint frame's payload (dmo-frame(5)): when it decodes, its
 *     encoding decodes to the same fields, and no decoded string runs
 *     outside the input;
 *  B. two bookmark values, split at the first NUL byte: the comparison
 *     is antisymmetric, and each value equals itself.
 */
static int
same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nul, *q;
	struct dmo_checkpoint cp, again;
	struct dmo_buf b = DMO_BUF_INIT;
	struct dmo_err err;
	size_t alen, blen;
	int c;

	if (dmo_checkpoint_decode(p, size, &cp, &err) == 0) {
		ASSERT(cp.state >= p && cp.state + cp.statelen <= p + size);
		ASSERT(cp.field >= p && cp.field + cp.fieldlen <= p + size);
		ASSERT(cp.bookmark == NULL || (cp.bookmark >= p &&
		    cp.bookmark + cp.bookmarklen <= p + size));
		dmo_checkpoint_encode(&cp, &b);
		ASSERT(b.len <= size);	/* the encoder's varints are shortest */
		ASSERT(dmo_checkpoint_decode(b.p, b.len, &again, &err) == 0);
		ASSERT(same(cp.state, cp.statelen, again.state,
		    again.statelen));
		ASSERT(same(cp.field, cp.fieldlen, again.field,
		    again.fieldlen));
		ASSERT((cp.bookmark == NULL) == (again.bookmark == NULL));
		ASSERT(cp.bookmark == NULL || same(cp.bookmark,
		    cp.bookmarklen, again.bookmark, again.bookmarklen));
		ASSERT(cp.records == again.records);
		dmo_buf_release(&b);
	} else
		ASSERT(err.code == DMO_EXIT_DATA);

	nul = size > 0 ? memchr(p, '\0', size) : NULL;
	alen = nul != NULL ? (size_t)(nul - p) : size / 2;
	q = nul != NULL ? nul + 1 : p + alen;
	blen = (size_t)(p + size - q);
	c = dmo_bookmark_compare(p, alen, q, blen);
	ASSERT(c >= -1 && c <= 1);
	ASSERT(dmo_bookmark_compare(q, blen, p, alen) == -c);
	ASSERT(dmo_bookmark_compare(p, alen, p, alen) == 0);
	ASSERT(dmo_bookmark_compare(q, blen, q, blen) == 0);
	return 0;
}
