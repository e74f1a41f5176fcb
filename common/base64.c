/* base64.c - base64 and base64url (RFC 4648): blobs, bytea, ciphertexts. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "base64.h"

static const char std_digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encode p[0..n) into o; '=' pads to a multiple of 4 when pad is set. */
static size_t
encode(const char *digits, int pad, const unsigned char *p, size_t n,
    char *o)
{
	char *start = o;
	uint32_t v;

	for (; n >= 3; n -= 3, p += 3) {
		v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
		*o++ = digits[v >> 18];
		*o++ = digits[v >> 12 & 63];
		*o++ = digits[v >> 6 & 63];
		*o++ = digits[v & 63];
	}
	if (n > 0) {
		v = (uint32_t)p[0] << 16 | (n == 2 ? (uint32_t)p[1] << 8 : 0);
		*o++ = digits[v >> 18];
		*o++ = digits[v >> 12 & 63];
		if (n == 2)
			*o++ = digits[v >> 6 & 63];
		else if (pad)
			*o++ = '=';
		if (pad)
			*o++ = '=';
	}
	return (size_t)(o - start);
}

void
dmo_base64_encode(struct dmo_buf *b, const void *src, size_t n)
{
	dmo_buf_grow(b, (n + 2) / 3 * 4);
	b->len += encode(std_digits, 1, src, n, b->p + b->len);
}

/*
 * base64url digit x (0..63) as a constant expression, and the table of
 * digit pairs it builds: each 12 bits of input become two characters in
 * one lookup.  Ciphertexts are encoded once a value, so this halves the
 * lookups of the hottest loop of dmo-encrypt; encode() remains the
 * reference it is tested against.
 */
#define U(x)	((x) < 26 ? 'A' + (x) : (x) < 52 ? 'a' + (x) - 26 : \
	(x) < 62 ? '0' + (x) - 52 : (x) == 62 ? '-' : '_')
#define P1(h, l)	{ (char)U(h), (char)U(l) }
#define P4(h, l)	P1(h, l), P1(h, l + 1), P1(h, l + 2), P1(h, l + 3)
#define P16(h, l)	P4(h, l), P4(h, l + 4), P4(h, l + 8), P4(h, l + 12)
#define P64(h)		P16(h, 0), P16(h, 16), P16(h, 32), P16(h, 48)
#define Q4(h)		P64(h), P64(h + 1), P64(h + 2), P64(h + 3)
#define Q16(h)		Q4(h), Q4(h + 4), Q4(h + 8), Q4(h + 12)

static const char url_pairs[4096][2] = {
	Q16(0), Q16(16), Q16(32), Q16(48)
};

/*
 * 6 bytes to 8 digits a step with the pair table, read as one big-endian
 * word where that is one load and a byte swap (8 bytes read, 6 used);
 * then 3 to 4, then encode() for the last one or two bytes.  This is the
 * whole encoder where there is no SIMD, and the tail of the SIMD one.
 */
static void
url_scalar(const unsigned char *p, size_t n, char *out)
{
	uint64_t w;
	uint32_t v;

	for (; n >= 8; n -= 6, p += 6, out += 8) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(&w, p, 8);
		w = __builtin_bswap64(w) >> 16;
#else
		w = (uint64_t)p[0] << 40 | (uint64_t)p[1] << 32 |
		    (uint64_t)p[2] << 24 | (uint64_t)p[3] << 16 |
		    (uint64_t)p[4] << 8 | p[5];
#endif
		memcpy(out, url_pairs[w >> 36], 2);
		memcpy(out + 2, url_pairs[w >> 24 & 0xfff], 2);
		memcpy(out + 4, url_pairs[w >> 12 & 0xfff], 2);
		memcpy(out + 6, url_pairs[w & 0xfff], 2);
	}
	for (; n >= 3; n -= 3, p += 3, out += 4) {
		v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
		memcpy(out, url_pairs[v >> 12], 2);
		memcpy(out + 2, url_pairs[v & 0xfff], 2);
	}
	(void)encode(url_digits, 0, p, n, out);
}

/* The widest SIMD code used (base64.h): 2 AVX2, 1 SSSE3, 0 none. */
int dmo_base64_simd = 2;

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/*
 * SIMD base64url (W. Mula and D. Lemire, "Faster Base64 Encoding and
 * Decoding Using AVX2 Instructions", ACM TWEB 2018): a byte shuffle puts
 * each 3 input bytes in a 32-bit lane as b1 b0 b2 b1, two multiplies
 * move the four 6-bit digits to the four bytes of the lane, and a
 * second shuffle maps each digit's range (A-Z, a-z, 0-9, '-', '_') to
 * the offset that makes it its character.  A ciphertext of a short
 * value is some 80 bytes: the pair table costs about 330 instructions
 * for it, these some 100.  The SSSE3 loop stops while 16 bytes remain
 * readable and the pair table does the rest; the AVX2 code reads
 * exactly its input (url_avx2).  Each is
 * used only where the CPU has it (__builtin_cpu_supports), and the
 * tests compare all three with encode() at every length.
 */
__attribute__((target("ssse3"))) static inline __m128i
mula_ssse3(__m128i in)
{
	const __m128i spread = _mm_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4,
	    7, 6, 8, 7, 10, 9, 11, 10);
	const __m128i shift = _mm_setr_epi8('a' - 26, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '-' - 62, '_' - 63, 'A', 0, 0);
	__m128i t0, t1, t2, t3, ix, r;

	in = _mm_shuffle_epi8(in, spread);
	t0 = _mm_and_si128(in, _mm_set1_epi32(0x0fc0fc00));
	t1 = _mm_mulhi_epu16(t0, _mm_set1_epi32(0x04000040));
	t2 = _mm_and_si128(in, _mm_set1_epi32(0x003f03f0));
	t3 = _mm_mullo_epi16(t2, _mm_set1_epi32(0x01000010));
	ix = _mm_or_si128(t1, t3);
	r = _mm_subs_epu8(ix, _mm_set1_epi8(51));
	r = _mm_or_si128(r, _mm_and_si128(_mm_cmpgt_epi8(_mm_set1_epi8(26),
	    ix), _mm_set1_epi8(13)));
	return _mm_add_epi8(_mm_shuffle_epi8(shift, r), ix);
}

/* 12 bytes to 16 digits a step while 16 bytes can be read; bytes done. */
__attribute__((target("ssse3"))) static size_t
url_ssse3(const unsigned char *p, size_t n, char *out)
{
	size_t done;

	for (done = 0; n - done >= 16; done += 12, out += 16)
		_mm_storeu_si128((__m128i *)(void *)out, mula_ssse3(
		    _mm_loadu_si128((const __m128i *)(const void *)
		    (p + done))));
	return done;
}

/*
 * The same on two lanes of 12 bytes: the 24 bytes at p[0..24).  The
 * second lane is loaded from p + 8 and shuffled from 4 bytes further
 * on, so that nothing past the 24 bytes is read.
 */
__attribute__((target("avx2"))) static inline __m256i
mula_avx2(const unsigned char *p)
{
	const __m256i spread = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4,
	    7, 6, 8, 7, 10, 9, 11, 10, 5, 4, 6, 5, 8, 7, 9, 8,
	    11, 10, 12, 11, 14, 13, 15, 14);
	const __m256i shift = _mm256_setr_epi8('a' - 26, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '-' - 62, '_' - 63, 'A', 0, 0,
	    'a' - 26, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '-' - 62, '_' - 63, 'A', 0, 0);
	__m256i in, t0, t1, t2, t3, ix, r;

	in = _mm256_inserti128_si256(_mm256_castsi128_si256(
	    _mm_loadu_si128((const __m128i *)(const void *)p)),
	    _mm_loadu_si128((const __m128i *)(const void *)(p + 8)), 1);
	in = _mm256_shuffle_epi8(in, spread);
	t0 = _mm256_and_si256(in, _mm256_set1_epi32(0x0fc0fc00));
	t1 = _mm256_mulhi_epu16(t0, _mm256_set1_epi32(0x04000040));
	t2 = _mm256_and_si256(in, _mm256_set1_epi32(0x003f03f0));
	t3 = _mm256_mullo_epi16(t2, _mm256_set1_epi32(0x01000010));
	ix = _mm256_or_si256(t1, t3);
	r = _mm256_subs_epu8(ix, _mm256_set1_epi8(51));
	r = _mm256_or_si256(r, _mm256_and_si256(_mm256_cmpgt_epi8(
	    _mm256_set1_epi8(26), ix), _mm256_set1_epi8(13)));
	return _mm256_add_epi8(_mm256_shuffle_epi8(shift, r), ix);
}

/*
 * 24 bytes to 32 digits a step.  Then, when there were 24 bytes or
 * more, one step over the last 24 bytes of whole groups, overlapping
 * what is done (it writes the same digits again), and the pair table
 * for the last one or two bytes; under 24 bytes, one step over a zeroed
 * copy: the digits of a short group read as zero bits are the ones the
 * portable encoder writes, and only those are copied out.
 */
__attribute__((target("avx2"))) static void
url_avx2(const unsigned char *p, size_t n, char *out)
{
	unsigned char in[24];
	char o[32];
	size_t whole;

	if (n >= 24) {
		for (; n >= 24; n -= 24, p += 24, out += 32)
			_mm256_storeu_si256((__m256i *)(void *)out,
			    mula_avx2(p));
		whole = n / 3 * 3;
		if (whole > 0)
			_mm256_storeu_si256((__m256i *)(void *)
			    (out + whole / 3 * 4 - 32),
			    mula_avx2(p + whole - 24));
		/* One or two bytes left: two or three digits. */
		p += whole;
		out += whole / 3 * 4;
		if (n - whole > 0) {
			uint32_t v = (uint32_t)p[0] << 16 |
			    (n - whole == 2 ? (uint32_t)p[1] << 8 : 0);

			memcpy(out, url_pairs[v >> 12], 2);
			if (n - whole == 2)
				out[2] = url_pairs[v & 0xfff][0];
		}
		return;
	}
	if (n == 0)
		return;
	memset(in, 0, sizeof(in));
	memcpy(in, p, n);
	_mm256_storeu_si256((__m256i *)(void *)o, mula_avx2(in));
	memcpy(out, o, dmo_b64url_len(n));
}
#endif

void
dmo_b64url_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;

#if defined(__x86_64__) && defined(__GNUC__)
	size_t done;

	if (dmo_base64_simd >= 2 && __builtin_cpu_supports("avx2")) {
		url_avx2(p, n, out);
		return;
	}
	if (dmo_base64_simd >= 1 && n >= 16 &&
	    __builtin_cpu_supports("ssse3")) {
		done = url_ssse3(p, n, out);
		p += done;
		n -= done;
		out += done / 3 * 4;
	}
#endif
	url_scalar(p, n, out);
}

/* The value of base64 digit c (url: the URL-safe alphabet), or -1. */
static int
value(int c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* The value of each byte as a base64url digit, -1 for the others. */
#define D(c)	((c) >= 'A' && (c) <= 'Z' ? (c) - 'A' : \
	(c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26 : \
	(c) >= '0' && (c) <= '9' ? (c) - '0' + 52 : \
	(c) == '-' ? 62 : (c) == '_' ? 63 : -1)
#define D4(c)	D(c), D(c + 1), D(c + 2), D(c + 3)
#define D16(c)	D4(c), D4(c + 4), D4(c + 8), D4(c + 12)
#define D64(c)	D16(c), D16(c + 16), D16(c + 32), D16(c + 48)

static const signed char url_values[256] = {
	D64(0), D64(64), D64(128), D64(192)
};

/*
 * Four digits to three bytes a step from the table; an invalid byte
 * makes one of the values negative, and so their OR.  The last two or
 * three digits must leave their unused low bits zero (canonical form).
 */
long
dmo_b64url_decode(const char *s, size_t n, uint8_t *out)
{
	const unsigned char *p = (const unsigned char *)s;
	uint8_t *o = out;
	int a, b, c, d;

	if (n % 4 == 1 || n > (size_t)LONG_MAX / 4 * 3)
		return -1;
	for (; n >= 4; n -= 4, p += 4, o += 3) {
		a = url_values[p[0]];
		b = url_values[p[1]];
		c = url_values[p[2]];
		d = url_values[p[3]];
		if ((a | b | c | d) < 0)
			return -1;
		o[0] = (uint8_t)(a << 2 | b >> 4);
		o[1] = (uint8_t)(b << 4 | c >> 2);
		o[2] = (uint8_t)(c << 6 | d);
	}
	if (n >= 2) {
		a = url_values[p[0]];
		b = url_values[p[1]];
		c = n == 3 ? url_values[p[2]] : 0;
		if ((a | b | c) < 0 || (n == 2 ? b & 15 : c & 3) != 0)
			return -1;
		*o++ = (uint8_t)(a << 2 | b >> 4);
		if (n == 3)
			*o++ = (uint8_t)(b << 4 | c >> 2);
	}
	return (long)(o - out);
}

int
dmo_base64_decode(struct dmo_buf *b, const char *p, size_t n)
{
	size_t i;
	int v[4], k, pad;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		pad = 0;
		for (k = 0; k < 4; k++) {
			if (p[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad > 0 || (v[k] = value(
			    (unsigned char)p[i + k], 0)) < 0)
				return -1;
		}
		dmo_buf_addc(b, v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			dmo_buf_addc(b, (v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			dmo_buf_addc(b, (v[2] & 3) << 6 | v[3]);
	}
	return 0;
}
