#!/usr/bin/env bats
# fuzz.bats - every fuzz corpus replays through its target without a finding.
# SPDX-License-Identifier: BSD-2-Clause
#
# The targets (fuzz/fuzz_NAME.c) are linked with fuzz/standalone.c instead
# of libFuzzer, so the replay needs no clang and runs with the compiler and
# sanitizers of the rest of the suite: `make check` builds them with
# `make fuzz-replay`, and fuzz/replay builds any that are missing or stale
# from $CC, $CFLAGS and $SANITIZE.  `make fuzz` does the fuzzing itself.

load test_helper

@test "fuzz: every fuzz target has a corpus and every corpus a target" {
	local c n missing=()
	for c in "$REPO"/fuzz/fuzz_*.c; do
		[ -f "$c" ] || continue
		n=${c##*/fuzz_}
		n=${n%.c}
		[ -d "$REPO/fuzz/corpus/$n" ] ||
		    missing+=("fuzz/fuzz_$n.c: no fuzz/corpus/$n/")
	done
	for c in "$REPO"/fuzz/corpus/*/; do
		[ -d "$c" ] || continue
		n=${c%/}
		n=${n##*/}
		[ -f "$REPO/fuzz/fuzz_$n.c" ] ||
		    missing+=("fuzz/corpus/$n/: no fuzz/fuzz_$n.c")
	done
	[ ${#missing[@]} -eq 0 ] || {
		printf '%s\n' "${missing[@]}" >&2
		return 1
	}
}

@test "fuzz: every corpus file runs through its target with status 0" {
	run -0 sh "$REPO/fuzz/replay"
	assert_line --regexp '^fuzz/replay: [0-9]+ inputs, no failure$'
}

# The replay itself must be able to fail: a target that aborts on one
# input, in a tree of its own, is named with that input.
make_boom_tree() {
	local t=$BATS_TEST_TMPDIR/tree
	mkdir -p "$t/common" "$t/fuzz/corpus/boom"
	cp "$REPO/fuzz/replay" "$REPO/fuzz/standalone.c" "$t/fuzz/"
	cat >"$t/fuzz/fuzz_boom.c" <<-'EOF'
	#include <stddef.h>
	#include <stdint.h>
	#include <stdlib.h>
	#include <string.h>

	int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

	int
	LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
	{
		if (len >= 4 && memcmp(data, "boom", 4) == 0)
			abort();
		return 0;
	}
	EOF
	printf 'fine' >"$t/fuzz/corpus/boom/good"
	printf 'boom!' >"$t/fuzz/corpus/boom/bad"
	: >"$t/fuzz/corpus/boom/empty"
	echo "$t"
}

@test "fuzz: replay names the corpus file that makes its target fail" {
	local t
	t=$(make_boom_tree)
	run -1 sh "$t/fuzz/replay"
	assert_line 'fuzz/replay: fuzz_boom: fuzz/corpus/boom/bad: exit status 134'
	refute_line --partial 'fuzz/corpus/boom/good'
	refute_line --partial 'fuzz/corpus/boom/empty'
}

@test "fuzz: replay reports a corpus directory without a target" {
	local t
	t=$(make_boom_tree)
	rm "$t/fuzz/corpus/boom/bad"
	mkdir "$t/fuzz/corpus/orphan"
	printf 'x' >"$t/fuzz/corpus/orphan/x"
	run -1 sh "$t/fuzz/replay"
	assert_line 'fuzz/replay: fuzz/corpus/orphan/: no fuzz target fuzz/fuzz_orphan.c'
	assert_line 'fuzz_boom: 2 inputs from fuzz/corpus/boom/: ok'
}
