/* schema.h - the JSON Schema subset and x-dmo- extensions of dmo-schema(5). */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_SCHEMA_H
#define DMO_SCHEMA_H

#include <regex.h>
#include <stddef.h>

#include "datetime.h"
#include "decimal.h"
#include "err.h"
#include "record.h"

/* Types of the "type" keyword, as a bit set (0: any). */
#define DMO_T_NULL	0x01
#define DMO_T_BOOLEAN	0x02
#define DMO_T_INTEGER	0x04
#define DMO_T_NUMBER	0x08
#define DMO_T_STRING	0x10
#define DMO_T_ARRAY	0x20
#define DMO_T_OBJECT	0x40

enum dmo_sformat {
	DMO_SF_NONE = 0,
	DMO_SF_DATE,
	DMO_SF_DATETIME,
	DMO_SF_TIME,
	DMO_SF_EMAIL,
	DMO_SF_URI,
	DMO_SF_UUID,
	DMO_SF_IPV4
};

enum dmo_case {
	DMO_CASE_KEEP = 0,
	DMO_CASE_LOWER,
	DMO_CASE_UPPER,
	DMO_CASE_FOLD
};

/* A JSON value held for comparison or as a default. */
struct dmo_sval {
	enum dmo_type	 type;
	char		*text;		/* string bytes, number lexeme, JSON */
	size_t		 len;
	struct dmo_dec	 num;		/* numbers */
};

/* A list of strings (null tokens, boolean spellings, formats). */
struct dmo_slist {
	char		**v;		/* NULL-ended */
	size_t		 n;
	int		 set;		/* given in the schema */
};

/* The cleaning rules that apply to strings, schema-wide or per field. */
struct dmo_textrules {
	int		 trim;		/* -1 not said */
	int		 squeeze;
	int		 nfc;
	int		 casemap;	/* enum dmo_case, -1 not said */
	struct dmo_slist nulls;
};

struct dmo_prop {
	char		*name;		/* the output name */
	struct dmo_slist from;		/* input names (x-dmo-from) */
	unsigned	 types;
	enum dmo_sformat format;
	char		*pattern;
	regex_t		 re;
	int		 has_re;
	struct dmo_dec	 min, max, xmin, xmax;
	int		 has_min, has_max, has_xmin, has_xmax;
	long long	 minlen, maxlen;	/* -1: none */
	struct dmo_sval	*enums;
	size_t		 nenums;
	size_t		*enum_slots;	/* string members by hash: index + 1 */
	size_t		 enum_cap;	/* a power of two, or 0 */
	int		 has_const;
	struct dmo_sval	 konst;
	int		 has_default;
	struct dmo_sval	 def;
	int		 required;
	struct dmo_textrules text;
	struct dmo_slist formats;	/* x-dmo-formats */
	struct dmo_tz	*tz;		/* x-dmo-timezone (input) */
	struct dmo_tz	*outtz;		/* x-dmo-output-timezone */
	enum dmo_tz_rule dst;		/* x-dmo-dst */
	long		 scale;		/* x-dmo-scale, -1 none */
	int		 round;		/* x-dmo-rounding: 1 half-even, 0 reject */
	struct dmo_slist truev, falsev;	/* x-dmo-true, x-dmo-false */
};

struct dmo_schema {
	struct dmo_prop	*props;
	size_t		 nprops;
	int		 additional;	/* additionalProperties */
	struct dmo_textrules text;	/* schema-wide x-dmo- rules */
	struct dmo_tz	*utc;
};

/*
 * Read a schema file.  Anything outside the subset (an unknown keyword, a
 * keyword with a value of the wrong kind, a pattern that does not
 * compile, an unknown time zone) is an error: NULL, with err saying
 * where, e.g. "s.json: properties.age: unknown keyword 'minimun'", code
 * DMO_EXIT_USAGE (DMO_EXIT_IO when the file cannot be read).
 */
struct dmo_schema *dmo_schema_load(const char *path, struct dmo_err *);
void	 dmo_schema_free(struct dmo_schema *);

/* Index of the property for an input field name, or -1. */
long	 dmo_schema_find(const struct dmo_schema *, const char *name,
	    size_t len);

/* Is the value one of p's enum members?  1 yes, 0 no. */
int	 dmo_schema_in_enum(const struct dmo_prop *, enum dmo_type,
	    const char *p, size_t n, struct dmo_dec *tmp);

/* Compare a value to a schema value (JSON equality; numbers by value). */
int	 dmo_sval_equal(const struct dmo_sval *, enum dmo_type,
	    const char *p, size_t n, struct dmo_dec *tmp);

#endif
