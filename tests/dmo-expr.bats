#!/usr/bin/env bats
# dmo-expr.bats - the expression language (dmo-expr(7)): a golden file
# per topic, and every example of the manual run as written.
# SPDX-License-Identifier: BSD-2-Clause
#
# Each tests/fixtures/expr/NAME.dmo is run on NAME.ndjson with every
# reject allowed; stdout and the reject messages are compared with
# tests/expected/dmo-expr/NAME.out and NAME.err (DMO_UPDATE=1 rewrites).

load test_helper

# run_case NAME: the program on its input, output and messages captured.
run_case() {
	local name=$1
	dmo-transform --max-rejects 100% -f "expr/$name.dmo" "expr/$name.ndjson" \
	    >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || true
	golden "$name"
}

@test "expr: arithmetic: exact integers and decimals, overflow, division by zero" { run_case arith; }
@test "expr: three-valued logic, is null, coalesce" { run_case logic; }
@test "expr: comparison of numbers, numeric text, strings, booleans, arrays" { run_case compare; }
@test "expr: a string literal is text, numeric text from a record is a number" { run_case literal; }
@test "expr: string functions count characters" { run_case strings; }
@test "expr: string functions reject bad arguments with the reason" { run_case strerr; }
@test "expr: regular expressions: match, extract, re_replace, a bad computed pattern" { run_case regex; }
@test "expr: round, floor, ceil, abs, min, max" { run_case numbers; }
@test "expr: min and max of strings and numeric text" { run_case minmax; }
@test "expr: sha256, md5, xxh64" { run_case hash; }
@test "expr: types and casts" { run_case types; }
@test "expr: bool()" { run_case bool; }
@test "expr: nested values: members, indexes, keys, to_json, parse_json" { run_case json; }
@test "expr: statements: where, assign, drop, rename, reorder, keep" { run_case stmts; }
@test "expr: rename onto an existing field" { run_case rename; }
@test "expr: a copy of a field is still numeric text" { run_case copy; }
@test "expr: explode: arrays, empty arrays, null, not an array" { run_case explode; }
@test "expr: two explodes and a where" { run_case explode2; }
@test "expr: flatten" { run_case flatten; }
@test "expr: unflatten and its clashes" { run_case unflatten; }

@test "expr: dates: epoch, zones, formats, parts, add, diff" { run_case dates; }
@test "expr: parse_date and to_epoch with formats and zones" { run_case datefmt; }
@test "expr: time zones and DST: gaps, overlaps, days of 23 and 25 hours" { run_case dst; }
@test "expr: bad dates, units, parts and zones reject the record" { run_case daterr; }
@test "expr: Unicode case mapping and lengths" { run_case unicode; }

@test "expr: every golden program has its test" {
	local f name
	for f in expr/*.dmo; do
		name=${f#expr/}
		name=${name%.dmo}
		grep -q "run_case $name;" "$BATS_TEST_FILENAME" ||
		    fail "expr/$name.dmo has no test"
	done
}

# The manual's examples: in dmo-expr.7, each display that starts with
# "$ " is a shell command followed by its exact output.
@test "expr: every example in dmo-expr(7) gives the output shown" {
	local n=0
	awk '
		/^\.Bd -literal/ { inb = 1; cmd = ""; next }
		/^\.Ed/ { if (cmd != "") print "END"; inb = 0; cmd = ""; next }
		inb && /^\$ / { if (cmd != "") print "END"; cmd = substr($0, 3); print "CMD " cmd; next }
		inb && cmd != "" { print "OUT " $0 }
	' "$REPO/man/dmo-expr.7" | sed 's/\\e/\\/g; s/\\&//g' >"$BATS_TEST_TMPDIR/examples"
	local line cmd="" want="" got
	while IFS= read -r line; do
		case $line in
		"CMD "*) cmd=${line#CMD }; want= ;;
		"OUT "*) want+="${line#OUT }"$'\n' ;;
		END)
			got=$(cd "$BATS_TEST_TMPDIR" && sh -c "$cmd" 2>&1) || true
			[ "$got"$'\n' = "$want" ] ||
			    fail "example: $cmd"$'\n'"want: $want"$'\n'"got:  $got"
			n=$((n + 1)) ;;
		esac
	done <"$BATS_TEST_TMPDIR/examples"
	[ "$n" -ge 10 ] || fail "only $n examples found"
	echo "# $n examples" >&3
}

@test "expr: every function is documented in dmo-expr(7)" {
	local f
	for f in $(dmo-transform --list-functions); do
		grep -qE "^\.It (.* )?Fn $f " "$REPO/man/dmo-expr.7" ||
		    fail "function $f is not in dmo-expr.7"
	done
}
