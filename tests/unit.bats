#!/usr/bin/env bats
# unit.bats - run the C unit tests of common/ (tests/unit/test_*, built by
# `make units`), so that bats stays the one runner.
# SPDX-License-Identifier: BSD-2-Clause

load test_helper

# The unit test programs: tests/unit/test_NAME for each test_NAME.c.
unit_tests() {
	local src
	for src in "$REPO"/tests/unit/test_*.c; do
		[ -e "$src" ] && echo "${src%.c}"
	done
}

@test "unit: every unit test is built" {
	local t n=0
	for t in $(unit_tests); do
		[ -x "$t" ] || fail "${t#"$REPO"/}: not built (make units)"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip "no unit tests in tests/unit/"
}

@test "unit: every unit test exits 0" {
	local t n=0 failed=
	for t in $(unit_tests); do
		n=$((n + 1))
		run "$t"
		if [ "$status" -ne 0 ]; then
			echo "# ${t#"$REPO"/}: status $status"
			printf '%s\n' "$output" | sed "s/^/    /"
			failed="$failed ${t##*/}"
		fi
	done
	[ "$n" -gt 0 ] || skip "no unit tests in tests/unit/"
	[ -z "$failed" ] || fail "unit tests failed:$failed"
}
