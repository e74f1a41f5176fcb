/* expr_date.c - date and time functions of the language, on common/datetime.c. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "exprimpl.h"

const struct xfunc *
xdate_find(const char *name, size_t len)
{
	(void)name;
	(void)len;
	return NULL;
}

const char *
xdate_name(size_t i)
{
	(void)i;
	return NULL;
}

int
xdate_check_aux(struct xnode *n, struct dmo_err *err)
{
	(void)n;
	(void)err;
	return 0;
}

void
xdate_free_aux(struct xnode *n)
{
	(void)n;
}
