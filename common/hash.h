/* hash.h - the one fast 64-bit hash of bytes, for tables and sketches. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_HASH_H
#define DMO_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * dmo_hash64: a 64-bit hash of bytes whose every output bit depends on
 * every input bit (a multiply-xorshift over 8-byte words, finished with
 * the MurmurHash3 mixer), as HyperLogLog needs; seeded, so that the
 * exact tables and the sketch never disagree on a value.  Inline, with
 * its helpers: it runs for every value profiled, most of them short.
 * It reads 8 or 16 bytes a step where dmo_hash (buf.h, FNV-1a) reads
 * one: dmo_hash stays for the small tables of short names, and a
 * table of values should use this one.
 */
static inline uint64_t
dmo_hash_fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/*
 * SplitMix64's finaliser: spreads a word whose low bits are weak (an
 * FNV product) over all 64.  dedupe.c and http.c finish their own
 * hashes with it; their values must not change (keys already written).
 */
static inline uint64_t
dmo_hash_splitmix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* The 128-bit product folded to 64 bits (as wyhash): every bit mixed. */
__extension__ typedef unsigned __int128 dmo_hash_u128;

static inline uint64_t
dmo_hash_mum(uint64_t a, uint64_t b)
{
	dmo_hash_u128 r = (dmo_hash_u128)a * b;

	return (uint64_t)(r >> 64) ^ (uint64_t)r;
}

/*
 * The n <= 8 bytes at s as memcpy(&a, s, n) into a zeroed word gives
 * them, without calling memcpy for a length it cannot know: two loads
 * that overlap (the bytes both hold are the same), or three single
 * bytes below four.  Other byte orders keep memcpy.
 */
static inline uint64_t
dmo_hash_load_small(const unsigned char *s, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t lo, hi;

	if (n >= 4) {
		memcpy(&lo, s, 4);
		memcpy(&hi, s + n - 4, 4);
		return (uint64_t)lo | (uint64_t)hi << (8 * (n - 4));
	}
	if (n == 0)
		return 0;
	return (uint64_t)s[0] | (uint64_t)s[n / 2] << (8 * (n / 2)) |
	    (uint64_t)s[n - 1] << (8 * (n - 1));
#else
	uint64_t a = 0;

	memcpy(&a, s, n);
	return a;
#endif
}

__attribute__((always_inline)) static inline uint64_t
dmo_hash64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xa0761d6478bd642fULL ^ n, a, b;

	while (n > 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + 8, 8);
		h = dmo_hash_mum(a ^ 0xe7037ed1a0b428dbULL, b ^ h);
		s += 16;
		n -= 16;
	}
	b = 0;
	if (n > 8) {
		memcpy(&a, s, 8);
		b = dmo_hash_load_small(s + 8, n - 8);
	} else
		a = dmo_hash_load_small(s, n);
	h = dmo_hash_mum(a ^ 0xe7037ed1a0b428dbULL,
	    b ^ h ^ 0x8ebc6af09c88c6e3ULL);
	return dmo_hash_fmix64(h ^ (uint64_t)n);
}

#endif
