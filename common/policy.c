/* policy.c - read role policies (dmo-policy(5)) and answer for a field. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exitcode.h"
#include "json.h"
#include "policy.h"

static const char *const action_names[] = {
	[DMO_ACT_PASS] = "pass",
	[DMO_ACT_ENCRYPT] = "encrypt",
	[DMO_ACT_DETERM] = "deterministic",
	[DMO_ACT_PSEUDO] = "pseudonymise",
	[DMO_ACT_MASK] = "mask",
	[DMO_ACT_REDACT] = "redact",
	[DMO_ACT_DROP] = "drop",
	[DMO_ACT_DECRYPT] = "decrypt",
	[DMO_ACT_REWRAP] = "rewrap",
};

#define NACTIONS	(sizeof(action_names) / sizeof(action_names[0]))

struct pattern {
	char	*glob;
	size_t	 cls;		/* index into classes */
};

struct class {
	char		*name;
	enum dmo_action	 action;
	int		 decrypt;
};

struct dmo_policy {
	char		*role;
	struct pattern	*pat;
	size_t		 npat;
	struct class	*cls;
	size_t		 ncls;
	size_t		 def;		/* the default class */
};

/* dmo_doc_type, for a member that may be missing (NULL). */
static enum dmo_doc_type
type_of(const struct dmo_doc *d)
{
	return d == NULL ? DMO_DOC_NULL : dmo_doc_type(d);
}

const char *
dmo_action_name(enum dmo_action a)
{
	return (size_t)a < NACTIONS ? action_names[a] : "?";
}

int
dmo_action_parse(const char *s)
{
	size_t i;

	for (i = 0; i < NACTIONS; i++)
		if (strcmp(s, action_names[i]) == 0)
			return (int)i;
	return -1;
}

void
dmo_policy_free(struct dmo_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->npat; i++)
		free(p->pat[i].glob);
	for (i = 0; i < p->ncls; i++)
		free(p->cls[i].name);
	free(p->pat);
	free(p->cls);
	free(p->role);
	free(p);
}

static long
class_index(const struct dmo_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->ncls; i++)
		if (strcmp(p->cls[i].name, name) == 0)
			return (long)i;
	return -1;
}

static size_t
class_add(struct dmo_policy *p, const char *name)
{
	long i = class_index(p, name);

	if (i >= 0)
		return (size_t)i;
	p->cls = dmo_xreallocarray(p->cls, p->ncls + 1, sizeof(*p->cls));
	p->cls[p->ncls].name = dmo_xstrdup(name);
	p->cls[p->ncls].action = DMO_ACT_PASS;
	p->cls[p->ncls].decrypt = 0;
	return p->ncls++;
}

static int
bad(struct dmo_err *err, const char *path, const char *fmt, const char *s)
{
	char what[256];

	snprintf(what, sizeof(what), fmt, s);
	dmo_err_set(err, DMO_EXIT_USAGE, NULL, "%s: %s", path, what);
	return -1;
}

static int
parse(struct dmo_policy *p, const struct dmo_doc *d, const char *path,
    const char *role, struct dmo_err *err)
{
	const struct dmo_doc *classes, *roles, *r, *acts, *dec;
	const char *fmt, *def;
	void *it;
	size_t i, j;
	int *seen;

	fmt = dmo_doc_string(dmo_doc_get(d, "format"), NULL);
	if (type_of(d) != DMO_DOC_OBJECT || fmt == NULL ||
	    strcmp(fmt, "dmo-policy") != 0)
		return bad(err, path, "not a policy: no \"format\":\"%s\"",
		    "dmo-policy");
	if (dmo_doc_integer(dmo_doc_get(d, "version")) != 1)
		return bad(err, path, "unsupported policy version%s", "");
	if ((def = dmo_doc_string(dmo_doc_get(d, "default"), NULL)) == NULL)
		return bad(err, path, "no \"default\" class for fields "
		    "without one%s", "");
	classes = dmo_doc_get(d, "classes");
	if (type_of(classes) != DMO_DOC_OBJECT)
		return bad(err, path, "\"classes\" is not an object%s", "");
	for (it = dmo_doc_iter(classes); it != NULL;
	    it = dmo_doc_iter_next(classes, it)) {
		const struct dmo_doc *pats = dmo_doc_iter_value(it);
		size_t c = class_add(p, dmo_doc_iter_key(it));

		if (type_of(pats) != DMO_DOC_ARRAY)
			return bad(err, path, "class '%s': not an array of "
			    "field names", dmo_doc_iter_key(it));
		for (i = 0; i < dmo_doc_size(pats); i++) {
			const char *g = dmo_doc_string(dmo_doc_index(pats, i),
			    NULL);

			if (g == NULL || *g == '\0')
				return bad(err, path, "class '%s': a field "
				    "name is not a non-empty string",
				    dmo_doc_iter_key(it));
			p->pat = dmo_xreallocarray(p->pat, p->npat + 1,
			    sizeof(*p->pat));
			p->pat[p->npat].glob = dmo_xstrdup(g);
			p->pat[p->npat++].cls = c;
		}
	}
	p->def = class_add(p, def);
	roles = dmo_doc_get(d, "roles");
	if (type_of(roles) != DMO_DOC_OBJECT)
		return bad(err, path, "\"roles\" is not an object%s", "");
	if ((r = dmo_doc_get(roles, role)) == NULL)
		return bad(err, path, "no role '%s'", role);
	acts = dmo_doc_get(r, "actions");
	if (type_of(acts) != DMO_DOC_OBJECT)
		return bad(err, path, "role '%s': \"actions\" is not an "
		    "object", role);
	seen = dmo_xcalloc(p->ncls, sizeof(*seen));
	for (it = dmo_doc_iter(acts); it != NULL;
	    it = dmo_doc_iter_next(acts, it)) {
		const char *a = dmo_doc_string(dmo_doc_iter_value(it), NULL);
		long c = class_index(p, dmo_doc_iter_key(it));
		int act = a != NULL ? dmo_action_parse(a) : -1;

		if (c < 0) {
			free(seen);
			return bad(err, path, "role's actions name an unknown "
			    "class '%s'", dmo_doc_iter_key(it));
		}
		if (act < 0 || act == DMO_ACT_REWRAP) {
			free(seen);
			return bad(err, path, "unknown action for class '%s'",
			    dmo_doc_iter_key(it));
		}
		p->cls[c].action = (enum dmo_action)act;
		seen[c] = 1;
	}
	for (j = 0; j < p->ncls; j++)
		if (!seen[j]) {
			free(seen);
			return bad(err, path, "role has no action for class "
			    "'%s'", p->cls[j].name);
		}
	free(seen);
	dec = dmo_doc_get(r, "decrypt");
	if (dec != NULL && type_of(dec) != DMO_DOC_ARRAY)
		return bad(err, path, "role '%s': \"decrypt\" is not an array",
		    role);
	for (i = 0; i < dmo_doc_size(dec); i++) {
		const char *c = dmo_doc_string(dmo_doc_index(dec, i), NULL);
		long k = c != NULL ? class_index(p, c) : -1;

		if (k < 0)
			return bad(err, path, "\"decrypt\" names an unknown "
			    "class '%s'", c != NULL ? c : "?");
		p->cls[k].decrypt = 1;
	}
	for (j = 0; j < p->ncls; j++)
		if (p->cls[j].action == DMO_ACT_DECRYPT && !p->cls[j].decrypt)
			return bad(err, path, "class '%s': action decrypt, "
			    "but the role may not decrypt it",
			    p->cls[j].name);
	return 0;
}

struct dmo_policy *
dmo_policy_load(const char *path, const char *role, struct dmo_err *err)
{
	struct dmo_doc *d = dmo_doc_load(path, err);
	struct dmo_policy *p;

	if (d == NULL)
		return NULL;
	p = dmo_xcalloc(1, sizeof(*p));
	p->role = dmo_xstrdup(role);
	if (parse(p, d, path, role, err) != 0) {
		dmo_policy_free(p);
		p = NULL;
	}
	dmo_doc_free(d);
	return p;
}

const char *
dmo_policy_class(const struct dmo_policy *p, const char *field)
{
	size_t i;

	for (i = 0; i < p->npat; i++)
		if (fnmatch(p->pat[i].glob, field, 0) == 0)
			return p->cls[p->pat[i].cls].name;
	return p->cls[p->def].name;
}

enum dmo_action
dmo_policy_action(const struct dmo_policy *p, const char *cls)
{
	long i = class_index(p, cls);

	return i < 0 ? DMO_ACT_PASS : p->cls[i].action;
}

int
dmo_policy_may_decrypt(const struct dmo_policy *p, const char *cls)
{
	long i = class_index(p, cls);

	return i >= 0 && p->cls[i].decrypt;
}

const char *
dmo_policy_role(const struct dmo_policy *p)
{
	return p->role;
}
