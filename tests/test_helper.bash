# test_helper.bash - loaded by every .bats file: paths, locale, helpers.
# SPDX-License-Identifier: BSD-2-Clause
#
# Each .bats file starts with `load test_helper`.  After that:
#   - the built programs in bin/ come first in PATH;
#   - LC_ALL=C and TZ=UTC, so messages and dates do not depend on the host;
#   - the current directory is tests/fixtures, so messages name files by
#     relative paths ("dmo-extract: bad.csv:3: ...");
#   - $REPO is the top of the work tree, DMO_PROGRAMS the programs (from
#     the Makefile's PROGRAMS line: the one list to extend);
#   - bats-support and bats-assert are loaded (assert_output, assert_line).
#
# Golden files: write a program's output to "$BATS_TEST_TMPDIR/out" (and
# optionally its stderr to "$BATS_TEST_TMPDIR/err"), then call
# `golden NAME`: it compares them byte for byte with
# tests/expected/<prog>/NAME.out (and NAME.err) using diff -u, where <prog>
# is the .bats file's name (dmo-extract.bats -> dmo-extract), or give
# `golden PROG/NAME`.  With DMO_UPDATE=1 in the environment it rewrites
# the expected files instead; review them with `git diff`.

bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
export REPO

_dmo_load_lib() {
	local name=$1 dir
	for dir in /usr/lib/bats "$REPO/tests/lib" "${BATS_LIB_PATH:-}"; do
		if [ -n "$dir" ] && [ -f "$dir/$name/load.bash" ]; then
			load "$dir/$name/load"
			return 0
		fi
	done
	echo "test_helper: $name not found (apt-get install $name)" >&2
	return 1
}
_dmo_load_lib bats-support
_dmo_load_lib bats-assert

PATH="$REPO/bin:$PATH"
export PATH
export LC_ALL=C TZ=UTC
unset DMO_WIRE

# Under `make SANITIZE=...`, a sanitizer's report exits 99, which no dmo
# program uses: a test expecting status 1 cannot pass on a finding.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:exitcode=99}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-exitcode=99}"

# The programs, from the Makefile's "PROGRAMS = ..." line.
read -r -a DMO_PROGRAMS <<<"$(sed -n 's/^PROGRAMS[[:space:]]*[:?]*=[[:space:]]*//p' \
    "$REPO/Makefile" | head -n 1)"
export DMO_PROGRAMS_LIST="${DMO_PROGRAMS[*]}"

# The arguments a program needs before its file operands, for tests that
# run every program on a file (dmo-load takes its target first).
dmo_input_args() {
	case $1 in
	dmo-load)	echo - ;;
	dmo-transform)	echo ';' ;;	# the empty program
	*)		;;
	esac
}

# unprivileged CMD...: run CMD as the user nobody when the tests run as
# root, for whom chmod 000 changes nothing; as it is otherwise.
unprivileged() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
		return
	fi
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

# need_unprivileged: skip the test when root cannot run the built
# programs as nobody here (no setpriv, or a checkout nobody cannot reach).
need_unprivileged() {
	[ "$(id -u)" -ne 0 ] && return 0
	command -v setpriv >/dev/null || skip "running as root without setpriv"
	unprivileged "$REPO/bin/dmo-extract" --version >/dev/null 2>&1 ||
	    skip "the user nobody cannot run the programs in $REPO"
}

# The program a .bats file is about: dmo-extract.bats -> dmo-extract.
dmo_test_prog() {
	local base=${BATS_TEST_FILENAME##*/}
	echo "${base%.bats}"
}

# golden NAME | golden PROG/NAME: compare $BATS_TEST_TMPDIR/out (and err,
# if the test wrote it) with the expected files, or rewrite them when
# DMO_UPDATE=1.
golden() {
	local name=$1 dir base kind got want
	if [[ $name == */* ]]; then
		dir="$REPO/tests/expected/${name%/*}"
		base=${name##*/}
	else
		dir="$REPO/tests/expected/$(dmo_test_prog)"
		base=$name
	fi
	for kind in out err; do
		got="$BATS_TEST_TMPDIR/$kind"
		want="$dir/$base.$kind"
		if [ "$kind" = err ] && [ ! -e "$got" ]; then
			continue
		fi
		if [ ! -e "$got" ]; then
			echo "golden: $got: no output to compare (write it first)" >&2
			return 1
		fi
		if [ "${DMO_UPDATE:-0}" = 1 ]; then
			mkdir -p "$dir"
			if [ "$kind" = err ] && [ ! -s "$got" ]; then
				rm -f "$want"
			else
				cp "$got" "$want"
			fi
			continue
		fi
		if [ "$kind" = err ] && [ ! -e "$want" ]; then
			want=/dev/null	# no .err file: stderr must be empty
		fi
		if [ ! -e "$want" ]; then
			echo "golden: ${want#"$REPO"/}: missing (run with DMO_UPDATE=1 to create it)" >&2
			return 1
		fi
		diff -u --label "${want#"$REPO"/}" --label "$kind" "$want" "$got" >&2 ||
		    return 1
	done
}

# usage_error MESSAGE ARGS...: $PROG ARGS exits 2 with "$PROG: MESSAGE",
# then $USAGE and $TRY, on stderr, and nothing on stdout.  A test file
# that uses it sets PROG, USAGE and TRY.
usage_error() {
	local msg=$1
	shift
	run -2 --separate-stderr "$PROG" "$@"
	assert_equal "$output" ""
	assert_equal "$stderr" "$(printf '%s: %s\n%s\n%s' "$PROG" "$msg" "$USAGE" "$TRY")"
}

# A fresh clone has no empty directories; fixtures/ may not exist yet.
[ -d "$BATS_TEST_DIRNAME/fixtures" ] || mkdir -p "$BATS_TEST_DIRNAME/fixtures"
cd "$BATS_TEST_DIRNAME/fixtures" || return 1
