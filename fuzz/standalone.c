/* standalone.c - run a libFuzzer target on given inputs, without libFuzzer. */
/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * usage: fuzz_NAME [file | directory ...]
 *
 * Linked with one fuzz/fuzz_NAME.c instead of libFuzzer, so that any C
 * compiler (gcc, with or without -fsanitize=address,undefined) can replay
 * a corpus: each file operand, and each regular file directly inside a
 * directory operand, is read into a buffer of exactly its size (so that
 * AddressSanitizer sees a read past the end) and passed once to
 * LLVMFuzzerTestOneInput.  No operand means one input from stdin.  A
 * crash is the target's or the sanitizer's to report; this program only
 * prints an error and exits 3 when it cannot read an input, and exits 0
 * when every input was run.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
/* Optional in a target, as in libFuzzer. */
int	LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

static const char *progname = "standalone";

/* Read all of fp into a buffer of exactly the right size. */
static int
run_stream(FILE *fp, const char *name)
{
	char chunk[65536];
	uint8_t *data = NULL, *p;
	size_t len = 0, n;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if ((p = realloc(data, len + n)) == NULL) {
			fprintf(stderr, "%s: %s: %s\n", progname, name,
			    strerror(errno));
			free(data);
			return -1;
		}
		data = p;
		memcpy(data + len, chunk, n);
		len += n;
	}
	if (ferror(fp)) {
		fprintf(stderr, "%s: %s: %s\n", progname, name,
		    strerror(errno));
		free(data);
		return -1;
	}
	/* An empty input is a valid input; give it a pointer of its own. */
	if (data == NULL && (data = malloc(1)) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, name,
		    strerror(errno));
		return -1;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int
run_file(const char *path)
{
	FILE *fp;
	int rv;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, path,
		    strerror(errno));
		return -1;
	}
	rv = run_stream(fp, path);
	fclose(fp);
	return rv;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run the regular files directly inside dir, in name order. */
static int
run_dir(const char *dir)
{
	struct dirent *de;
	struct stat st;
	char **names = NULL, **np, *path;
	size_t n = 0, i, len;
	DIR *dp;
	int rv = 0;

	if ((dp = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, dir,
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		len = strlen(dir) + strlen(de->d_name) + 2;
		if ((path = malloc(len)) == NULL ||
		    (np = realloc(names, (n + 1) * sizeof(*names))) == NULL) {
			fprintf(stderr, "%s: %s\n", progname, strerror(errno));
			free(path);
			rv = -1;
			break;
		}
		names = np;
		snprintf(path, len, "%s/%s", dir, de->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		names[n++] = path;
	}
	closedir(dp);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp);
	for (i = 0; i < n; i++) {
		if (rv == 0 && run_file(names[i]) == -1)
			rv = -1;
		free(names[i]);
	}
	free(names);
	return rv;
}

int
main(int argc, char *argv[])
{
	struct stat st;
	int i, rv = 0;

	if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
		progname = strrchr(argv[0], '/');
		progname = progname != NULL ? progname + 1 : argv[0];
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2)
		return run_stream(stdin, "<stdin>") == -1 ? 3 : 0;
	for (i = 1; i < argc && rv == 0; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			rv = run_dir(argv[i]);
		else
			rv = run_file(argv[i]);
	}
	return rv == -1 ? 3 : 0;
}
