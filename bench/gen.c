/* gen.c - write the deterministic mixed CSV data set that bench/run uses. */
/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * usage: gen [rows [seed]]
 *
 * Writes a header and rows (default 1000000) of nine fields to stdout:
 * id, name (with non-ASCII UTF-8), email, city (20 values), amount (two
 * decimals), qty, ts (ISO 8601, UTC), active (true/false) and note (free
 * text with commas and double quotes, so it needs CSV quoting).  About one
 * field in fifty is empty.  The same rows and seed always give the same
 * bytes: the generator is a fixed 64-bit PRNG, nothing depends on the
 * locale, the clock or the C library.  Rows average about 118 bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const first[] = {
	"Zoë", "Ōsaka", "Anna", "José", "Björn", "Chloé", "Dmitri", "Émile",
	"Fatima", "Grace", "Håkon", "Ingrid", "Jürgen", "Kenji", "Léa",
	"Mateo", "Noah", "Olga", "Pierre", "Renée", "Søren", "Tomás", "Uma",
	"Wei", "Yuki", "Zeynep", "Ana", "Ben", "Çelik", "Ali",
};
/* The ASCII spelling of each first name, for the e-mail address. */
static const char *const first_ascii[] = {
	"zoe", "osaka", "anna", "jose", "bjorn", "chloe", "dmitri", "emile",
	"fatima", "grace", "hakon", "ingrid", "jurgen", "kenji", "lea",
	"mateo", "noah", "olga", "pierre", "renee", "soren", "tomas", "uma",
	"wei", "yuki", "zeynep", "ana", "ben", "celik", "ali",
};
static const char *const last[] = {
	"Müller", "太郎", "Smith", "García", "Øberg", "Dubois", "Ivanov",
	"Nguyễn", "Kowalski", "O'Brien", "Rossi", "Novák", "Yılmaz", "Silva",
	"Tanaka", "Schäfer", "Jensen", "Łukasz", "Brown", "Papadopoulos",
};
static const char *const last_ascii[] = {
	"muller", "taro", "smith", "garcia", "oberg", "dubois", "ivanov",
	"nguyen", "kowalski", "obrien", "rossi", "novak", "yilmaz", "silva",
	"tanaka", "schafer", "jensen", "lukasz", "brown", "papadopoulos",
};
static const char *const domain[] = {
	"example.com", "example.org", "mail.example.net", "corp.example",
};
static const char *const city[] = {
	"Berlin", "Paris", "London", "Madrid", "Roma", "Wien", "Zürich",
	"Oslo", "Kraków", "Lisboa", "Dublin", "Praha", "Tokyo", "Osaka",
	"São Paulo", "New York", "Toronto", "Sydney", "Istanbul", "Reykjavík",
};
/*
 * Notes are written as they appear after CSV unquoting; put_field quotes
 * the ones that hold a comma or a double quote.
 */
static const char *const note[] = {
	"ok, thanks",
	"left at the door as asked",
	"Delivered, signed by the neighbour",
	"customer said \"call first\" on the phone",
	"gift wrap, \"Happy birthday\" card inside",
	"backorder: 2 of 3 shipped, rest next week",
	"paid in cash at pickup",
	"returned, refund \"pending\", see ticket",
	"fragile: glass",
	"rush order for Monday",
	"address changed twice, please confirm",
	"\"VIP\" customer",
	"priority, weekend delivery",
	"no invoice needed",
	"invoice #4711, net 30 days",
	"ring the bell, then knock",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static uint64_t state;

/* splitmix64: small, fast and the same everywhere. */
static uint64_t
rnd(void)
{
	uint64_t z;

	z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned
pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* Write s as one CSV field, quoted when it holds a comma, quote or LF. */
static void
put_field(const char *s)
{
	const char *p;

	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void
civil(long days, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
parse_count(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	*v = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

int
main(int argc, char *argv[])
{
	static char obuf[1 << 20];
	unsigned long long rows = 1000000, seed = 20240501, i;
	long long t = 1704067200;	/* 2024-01-01T00:00:00Z */
	unsigned f, l, cents;
	int y, mo, d;

	if (argc > 3 || (argc > 1 && parse_count(argv[1], &rows) == -1) ||
	    (argc > 2 && parse_count(argv[2], &seed) == -1)) {
		fputs("usage: gen [rows [seed]]\n", stderr);
		return 2;
	}
	state = seed;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	fputs("id,name,email,city,amount,qty,ts,active,note\n", stdout);
	for (i = 1; i <= rows; i++) {
		f = pick(NELEM(first));
		l = pick(NELEM(last));
		printf("%llu,", i);
		if (pick(100) != 0)
			printf("%s %s", first[f], last[l]);
		putchar(',');
		if (pick(100) >= 3)
			printf("%s.%s%u@%s", first_ascii[f], last_ascii[l],
			    pick(1000), domain[pick(NELEM(domain))]);
		putchar(',');
		if (pick(100) >= 2)
			put_field(city[pick(NELEM(city))]);
		putchar(',');
		if (pick(100) != 0) {
			/* Mostly small sums, a few large ones. */
			cents = pick(10) == 0 ? pick(100000000) : pick(100000);
			printf("%u.%02u", cents / 100, cents % 100);
		}
		putchar(',');
		if (pick(100) >= 2)
			printf("%u", 1 + pick(pick(4) == 0 ? 99 : 9));
		putchar(',');
		t += pick(61);
		civil((long)(t / 86400), &y, &mo, &d);
		printf("%04d-%02d-%02dT%02d:%02d:%02dZ,%s,", y, mo, d,
		    (int)(t % 86400 / 3600), (int)(t % 3600 / 60),
		    (int)(t % 60), pick(3) != 0 ? "true" : "false");
		if (pick(10) != 0)
			put_field(note[pick(NELEM(note))]);
		putchar('\n');
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("gen: write error");
		return 3;
	}
	return 0;
}
