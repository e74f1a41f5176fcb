/* keyset.h - keyset files: keys with ids, status and rotation (dmo-keyset(5)). */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_KEYSET_H
#define DMO_KEYSET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define DMO_KEY_SECRET		32
/* scrypt work factors, as log2(N): the default, the floor when writing,
 * the ceiling when reading (N = 2^20 with r = 8 needs 1 GiB). */
#define DMO_SCRYPT_LOG2N	17
#define DMO_SCRYPT_MIN_LOG2N	15
#define DMO_SCRYPT_MAX_LOG2N	20
#define DMO_PASSPHRASE_MAX	1024

enum dmo_key_status {
	DMO_KEY_PRIMARY = 0,	/* encrypts; exactly one per keyset */
	DMO_KEY_ACTIVE,		/* decrypts only */
	DMO_KEY_DISABLED	/* kept, but refused */
};

struct dmo_key {
	uint32_t		 id;
	char			 idhex[9];	/* "3f9a0c12" */
	char			 created[24];	/* "2026-11-21T15:40:00Z" */
	enum dmo_key_status	 status;
	uint8_t			 secret[DMO_KEY_SECRET];
};

struct dmo_keyset {
	struct dmo_key	*keys;
	size_t		 n;
	int		 log2n;		/* scrypt cost when protected, or 0 */
};

const char *dmo_key_status_name(enum dmo_key_status);

/*
 * Read the bytes of a key file, refusing one that group or others may
 * read or write (as ssh does; code DMO_EXIT_CRYPTO) or that is not a
 * regular file.  The check is made on the open descriptor.  The caller
 * wipes and releases buf.
 */
int	 dmo_keyset_read_file(const char *path, struct dmo_buf *,
	    struct dmo_err *);
int	 dmo_keyset_read_fd(int fd, const char *name, struct dmo_buf *,
	    struct dmo_err *);

/* 1 when the text is a passphrase-protected keyset. */
int	 dmo_keyset_is_protected(const char *text, size_t len);

/*
 * Parse a keyset (pass may be NULL when it is not protected).  Errors:
 * DMO_EXIT_USAGE for a malformed file, DMO_EXIT_CRYPTO for a wrong
 * passphrase or a work factor above the ceiling.  name is for messages.
 */
struct dmo_keyset *dmo_keyset_parse(const char *text, size_t len,
	    const char *name, const char *pass, size_t passlen,
	    struct dmo_err *);
void	 dmo_keyset_free(struct dmo_keyset *);	/* wipes the secrets */

/* A new keyset with one primary key. */
struct dmo_keyset *dmo_keyset_generate(struct dmo_err *);
/* Add a new primary key; the old primary becomes active. */
int	 dmo_keyset_rotate(struct dmo_keyset *, struct dmo_err *);
/* Set a key's status by its id ("3f9a0c12"); the primary cannot go. */
int	 dmo_keyset_set_status(struct dmo_keyset *, const char *idhex,
	    enum dmo_key_status, struct dmo_err *);

/*
 * The file's text, protected by pass when pass is not NULL (log2n at
 * least DMO_SCRYPT_MIN_LOG2N).  The caller wipes and releases out.
 */
int	 dmo_keyset_format(const struct dmo_keyset *, const char *pass,
	    size_t passlen, int log2n, struct dmo_buf *out, struct dmo_err *);
/* Write a new key file (mode 0600, refusing to replace one), or replace
 * an existing one atomically. */
int	 dmo_keyset_write(const char *path, int create, const struct dmo_buf *,
	    struct dmo_err *);

const struct dmo_key *dmo_keyset_primary(const struct dmo_keyset *);
const struct dmo_key *dmo_keyset_find(const struct dmo_keyset *, uint32_t id);

/*
 * A passphrase: from the terminal (prompt on /dev/tty, echo off), or the
 * first line of a file or descriptor.  At most DMO_PASSPHRASE_MAX bytes;
 * buf must hold that plus one.  Returns the length or -1.
 */
long	 dmo_passphrase_tty(const char *prompt, char *buf, struct dmo_err *);
long	 dmo_passphrase_fd(int fd, const char *name, char *buf,
	    struct dmo_err *);

#endif
