/* bytes.h - unaligned loads of machine words, for scanning bytes in words. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_BYTES_H
#define DMO_BYTES_H

#include <stdint.h>
#include <string.h>

/*
 * The bytes at p as a word in the machine's order.  memcpy is how C says
 * "an unaligned load" without breaking aliasing rules; compilers turn it
 * into one instruction.
 */
static inline uint64_t
dmo_load64(const void *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

static inline uint32_t
dmo_load32(const void *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

static inline uint16_t
dmo_load16(const void *p)
{
	uint16_t w;

	memcpy(&w, p, 2);
	return w;
}

#endif
