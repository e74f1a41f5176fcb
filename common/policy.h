/* policy.h - role policies: field classes and what each role may see. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_POLICY_H
#define DMO_POLICY_H

#include "err.h"

/* What dmo-encrypt does to a field. */
enum dmo_action {
	DMO_ACT_PASS = 0,
	DMO_ACT_ENCRYPT,	/* randomised, AES-256-GCM */
	DMO_ACT_DETERM,		/* deterministic, AES-SIV */
	DMO_ACT_PSEUDO,		/* keyed pseudonym, HMAC-SHA-256 */
	DMO_ACT_MASK,
	DMO_ACT_REDACT,		/* the value becomes null */
	DMO_ACT_DROP,		/* the field goes */
	DMO_ACT_DECRYPT,
	DMO_ACT_REWRAP
};

/* "pass", "encrypt", ... and back (-1 when unknown). */
const char *dmo_action_name(enum dmo_action);
int	 dmo_action_parse(const char *);

/*
 * A policy file (dmo-policy(5)) for one role.  Errors: DMO_EXIT_USAGE
 * for a malformed policy or a role it does not name, DMO_EXIT_IO when
 * it cannot be read.
 */
struct dmo_policy;

struct dmo_policy *dmo_policy_load(const char *path, const char *role,
	    struct dmo_err *);
void	 dmo_policy_free(struct dmo_policy *);

/* The class of a field: the first class with a matching pattern, or the
 * default class. */
const char *dmo_policy_class(const struct dmo_policy *, const char *field);
enum dmo_action dmo_policy_action(const struct dmo_policy *, const char *cls);
int	 dmo_policy_may_decrypt(const struct dmo_policy *, const char *cls);
const char *dmo_policy_role(const struct dmo_policy *);

#endif
