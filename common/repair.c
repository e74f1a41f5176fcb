/* repair.c - mend CSV rows that a stray line break split in two. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "repair.h"

long
dmo_csv_split(const char *p, size_t n, int delim, struct dmo_buf *vals,
    struct dmo_span *spans, size_t max)
{
	size_t i = 0, nf = 0;

	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	vals->len = 0;
	for (;;) {
		size_t start = vals->len;

		if (i < n && p[i] == '"') {
			for (i++;; i++) {
				if (i >= n)
					return -1;
				if (p[i] == '"') {
					if (i + 1 < n && p[i + 1] == '"') {
						dmo_buf_addc(vals, '"');
						i++;
						continue;
					}
					i++;
					break;
				}
				dmo_buf_addc(vals, p[i]);
			}
			/* Text after the closing quote, as libcsv keeps it. */
			while (i < n && p[i] != delim)
				dmo_buf_addc(vals, p[i++]);
		} else
			while (i < n && p[i] != delim)
				dmo_buf_addc(vals, p[i++]);
		if (nf < max) {
			spans[nf].off = start;
			spans[nf].len = vals->len - start;
		}
		dmo_buf_addc(vals, '\0');
		nf++;
		if (i >= n)
			break;
		i++;	/* the delimiter */
	}
	return (long)nf;
}

int
dmo_csv_join(const char *a, size_t alen, size_t na, const char *b,
    size_t blen, size_t nb, const struct dmo_buf *namebuf,
    const struct dmo_span *names, size_t ncols, struct dmo_record *rec,
    size_t *field, struct dmo_buf *before)
{
	static const int delims[] = { ',', '\t', ';', '|' };
	struct dmo_buf va = DMO_BUF_INIT, vb = DMO_BUF_INIT, joined = DMO_BUF_INIT;
	struct dmo_span *sa, *sb;
	size_t i, k;
	int rc = -1;

	if (na == 0 || nb == 0 || na + nb - 1 != ncols)
		return -1;
	sa = calloc(na, sizeof(*sa));
	sb = calloc(nb, sizeof(*sb));
	if (sa == NULL || sb == NULL)
		goto out;
	for (k = 0; k < sizeof(delims) / sizeof(delims[0]); k++) {
		if (dmo_csv_split(a, alen, delims[k], &va, sa, na) != (long)na ||
		    dmo_csv_split(b, blen, delims[k], &vb, sb, nb) != (long)nb)
			continue;
		dmo_record_reset(rec);
		for (i = 0; i < ncols; i++) {
			const char *nm = namebuf->p + names[i].off;

			if (i < na - 1)
				dmo_record_add(rec, nm, names[i].len, DMO_STRING,
				    va.p + sa[i].off, sa[i].len);
			else if (i == na - 1) {
				joined.len = 0;
				dmo_buf_add(&joined, va.p + sa[i].off, sa[i].len);
				if (sa[i].len > 0 && sb[0].len > 0)
					dmo_buf_addc(&joined, ' ');
				dmo_buf_add(&joined, vb.p + sb[0].off, sb[0].len);
				if (before != NULL) {
					before->len = 0;
					dmo_buf_add(before, va.p + sa[i].off,
					    sa[i].len);
					dmo_buf_addc(before, '\n');
					dmo_buf_add(before, vb.p + sb[0].off,
					    sb[0].len);
				}
				dmo_record_add(rec, nm, names[i].len, DMO_STRING,
				    joined.p, joined.len);
			} else
				dmo_record_add(rec, nm, names[i].len, DMO_STRING,
				    vb.p + sb[i - na + 1].off,
				    sb[i - na + 1].len);
		}
		*field = na - 1;
		rc = 0;
		break;
	}
out:
	free(sa);
	free(sb);
	dmo_buf_release(&va);
	dmo_buf_release(&vb);
	dmo_buf_release(&joined);
	return rc;
}
