/* test_base64.c - unit tests for base64 (base64.c). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

#include "testhelp.h"

static void
test_vectors(void)
{
	/* RFC 4648, section 10. */
	static const char *const plain[] = {
		"", "f", "fo", "foo", "foob", "fooba", "foobar"
	};
	static const char *const coded[] = {
		"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"
	};
	struct dmo_buf b = DMO_BUF_INIT;
	size_t i;
	int all = 1;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		b.len = 0;
		dmo_base64_encode(&b, plain[i], strlen(plain[i]));
		if (b.len != strlen(coded[i]) ||
		    memcmp(b.p != NULL ? b.p : "", coded[i], b.len) != 0) {
			printf("# encode \"%s\": got \"%.*s\"\n", plain[i],
			    (int)b.len, b.p != NULL ? b.p : "");
			all = 0;
		}
		b.len = 0;
		if (dmo_base64_decode(&b, coded[i], strlen(coded[i])) != 0 ||
		    b.len != strlen(plain[i]) ||
		    memcmp(b.p != NULL ? b.p : "", plain[i], b.len) != 0) {
			printf("# decode \"%s\" failed\n", coded[i]);
			all = 0;
		}
	}
	CHECK(all, "base64: the RFC 4648 test vectors, both ways");
	dmo_buf_release(&b);
}

static void
test_bytes(void)
{
	struct dmo_buf b = DMO_BUF_INIT, back = DMO_BUF_INIT;
	unsigned char all[256];
	size_t i, n;
	int ok = 1;

	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(255 - i);
	for (n = 0; n <= sizeof(all); n++) {
		b.len = back.len = 0;
		dmo_base64_encode(&b, all, n);
		if (dmo_base64_decode(&back, b.p, b.len) != 0 ||
		    back.len != n || (n > 0 && memcmp(back.p, all, n) != 0))
			ok = 0;
	}
	CHECK(ok, "base64: every byte value and every length round-trips");
	dmo_buf_release(&b);
	dmo_buf_release(&back);
}

static void
test_bad(void)
{
	static const char *const bad[] = {
		"Zg", "Zg=", "Z===", "Zm9v\n", "Zm 9", "Zg==Zg==", "Z=g=",
		"Zm9v!", "====", "Zm8=Zm9v", "-_8=", "Zm9vYg=A"
	};
	struct dmo_buf b = DMO_BUF_INIT;
	size_t i;
	int all = 1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b.len = 0;
		if (dmo_base64_decode(&b, bad[i], strlen(bad[i])) == 0) {
			printf("# accepted \"%s\"\n", bad[i]);
			all = 0;
		}
	}
	CHECK(all, "base64: bad length, padding, alphabet and whitespace "
	    "are refused");
	dmo_buf_release(&b);
}

/*
 * The base64url encoder (a table of digit pairs) against the base64
 * encoder (one digit at a time): the same text but for the alphabet's
 * last two digits and the padding, for every length up to 300 and bytes
 * of every value; and it decodes back.
 */
static void
test_url(void)
{
	struct dmo_buf b = DMO_BUF_INIT;
	unsigned char in[300], back[300];
	char url[401];
	size_t i, n, len;
	uint32_t x = 1;
	int same = 1, round = 1;

	for (i = 0; i < sizeof(in); i++) {
		x = x * 1103515245 + 12345;
		in[i] = i < 256 ? (unsigned char)i : (unsigned char)(x >> 16);
	}
	for (n = 0; n <= sizeof(in); n++) {
		const unsigned char *p = in + (n % 7);

		if (n + n % 7 > sizeof(in))
			p = in;
		len = dmo_b64url_len(n);
		memset(url, '!', sizeof(url));
		dmo_b64url_encode(p, n, url);
		b.len = 0;
		dmo_base64_encode(&b, p, n);
		while (b.len > 0 && b.p[b.len - 1] == '=')
			b.len--;
		for (i = 0; i < b.len; i++)
			b.p[i] = b.p[i] == '+' ? '-' : b.p[i] == '/' ? '_' :
			    b.p[i];
		if (b.len != len || (len > 0 && memcmp(url, b.p, len) != 0) ||
		    url[len] != '!')
			same = 0;
		if (dmo_b64url_decode(url, len, back) != (long)n ||
		    (n > 0 && memcmp(back, p, n) != 0))
			round = 0;
	}
	CHECK(same, "b64url: the pair table agrees with the base64 encoder");
	CHECK(round, "b64url: every length and byte value round-trips");
	dmo_buf_release(&b);
}

/*
 * The base64url decoder's table against the alphabet: every byte value
 * at every position of texts of 8, 7 and 6 digits is accepted exactly
 * when it is a digit and, last of a short group, leaves no bits set
 * that encode nothing.
 */
static void
test_url_bad(void)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char text[8];
	uint8_t out[8];
	size_t len, pos;
	int c, ok = 1, want, d;

	for (len = 6; len <= 8; len++)
		for (pos = 0; pos < len; pos++)
			for (c = 0; c < 256; c++) {
				memcpy(text, "AbC-_wEA", 8);
				text[pos] = (char)c;
				d = c != 0 && strchr(digits, c) != NULL ?
				    (int)(strchr(digits, c) - digits) : -1;
				want = d >= 0;
				if (want && pos == len - 1 && len == 6)
					want = (d & 15) == 0;
				if (want && pos == len - 1 && len == 7)
					want = (d & 3) == 0;
				if ((dmo_b64url_decode(text, len, out) >= 0) !=
				    want) {
					printf("# len %zu pos %zu byte %d\n",
					    len, pos, c);
					ok = 0;
				}
			}
	CHECK(ok, "b64url: every byte at every place, accepted as it must be");
}

/*
 * The SIMD encoders (AVX2, SSSE3) against the portable one, each forced
 * by dmo_base64_simd: every length 0..300 from every start offset 0..31
 * of random bytes, copied to a block of their size (a read past it is
 * an error under ASan), the digit after the text untouched.  Where the
 * CPU lacks an instruction set the level falls back and agrees
 * trivially.
 */
static void
test_url_simd(void)
{
	unsigned char in[340], *heap;
	char want[460], got[460];
	size_t i, n, off, len;
	uint32_t x = 7;
	int level, ok[3] = { 1, 1, 1 };

	for (i = 0; i < sizeof(in); i++) {
		x = x * 1103515245 + 12345;
		in[i] = (unsigned char)(x >> 16);
	}
	/* Every digit value at every position of a lane. */
	for (i = 0; i < 64; i++)
		in[i] = (unsigned char)(i * 4 + i % 4);
	for (n = 0; n <= 300; n++)
		for (off = 0; off < 32 && off + n <= sizeof(in); off++) {
			len = dmo_b64url_len(n);
			dmo_base64_simd = 0;
			memset(want, '!', sizeof(want));
			dmo_b64url_encode(in + off, n, want);
			/* From a block of n bytes: ASan sees a read past. */
			if ((heap = malloc(n > 0 ? n : 1)) == NULL)
				bail("out of memory");
			memcpy(heap, in + off, n);
			for (level = 1; level <= 2; level++) {
				dmo_base64_simd = level;
				memset(got, '!', sizeof(got));
				dmo_b64url_encode(heap, n, got);
				if (memcmp(got, want, len + 1) != 0 ||
				    got[len] != '!') {
					if (ok[level])
						printf("# level %d length %zu "
						    "offset %zu\n", level, n,
						    off);
					ok[level] = 0;
				}
			}
			free(heap);
		}
	dmo_base64_simd = 2;
	CHECK(ok[1], "b64url: SSSE3 agrees with the portable encoder");
	CHECK(ok[2], "b64url: AVX2 agrees with the portable encoder");
}

int
main(void)
{
	test_vectors();
	test_bytes();
	test_bad();
	test_url();
	test_url_bad();
	test_url_simd();
	return done();
}
