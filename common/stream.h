/* stream.h - whole-stream encryption in authenticated chunks (dmo-keyset(5)). */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_STREAM_H
#define DMO_STREAM_H

#include "err.h"
#include "io.h"
#include "keyset.h"

/*
 * A header of 30 bytes (magic, version, chunk size, key id, salt), then
 * chunks of 64 KiB sealed with AES-256-GCM under a key derived from the
 * salt; each chunk's nonce is its number and a last-chunk flag, as in
 * age's STREAM, so that truncation, reordering and swapped chunks fail.
 * Both directions hold two chunks in memory at most.
 */
#define DMO_STREAM_HEADER	30
#define DMO_STREAM_LOG2CHUNK	16
#define DMO_STREAM_MAX_LOG2CHUNK 24

/* Encrypt the bytes of fd under the primary key.  0 or -1 (err). */
int	 dmo_stream_encrypt(const struct dmo_keyset *, int fd, const char *name,
	    struct dmo_out *, struct dmo_err *);
/*
 * Decrypt; each chunk is written once it authenticates.  -1 with code
 * DMO_EXIT_CRYPTO when the stream is not ours, its key is unknown, or a
 * chunk fails (what was written before is then an authentic prefix).
 */
int	 dmo_stream_decrypt(const struct dmo_keyset *, int fd, const char *name,
	    struct dmo_out *, struct dmo_err *);

#endif
