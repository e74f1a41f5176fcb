/* fuzz_json.c - libFuzzer target: JSON documents, and their records read back. */
/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The same checks as fuzz_ndjson.c (see there), with the reader forced to
 * JSON documents: a top-level array of objects, or objects one after
 * another, pretty-printed or not.  The records are written as NDJSON and
 * read back with the NDJSON reader.
 *
 * Build: clang -fsanitize=fuzzer,address -iquote common -D_POSIX_C_SOURCE=200809L
 *     -D_DEFAULT_SOURCE fuzz/fuzz_json.c common/[a-z]*.c -lcsv -ljansson
 *     -larchive -lsqlite3 -lm
 */
#define FUZZ_FORMAT	DMO_FMT_JSON
#include "fuzz_ndjson.c"
