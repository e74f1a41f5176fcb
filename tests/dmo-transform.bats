#!/usr/bin/env bats
# dmo-transform.bats - the program: operands, -f, errors at compile time
# with a caret, errors at run time as rejects or a stop, wire formats,
# control frames, and streaming.  The language itself: dmo-expr.bats.
# SPDX-License-Identifier: BSD-2-Clause

load test_helper

@test "dmo-transform: the bench program over CSV text" {
	run -1 --separate-stderr dmo-transform 'where amount > 500; total = amount * qty' transform/sales.csv
	assert_output - <<'OUT'
{"id":"1","city":"Oslo","amount":"600","qty":"2","total":1200}
{"id":"3","city":"Oslo","amount":"500.01","qty":"3","total":1500.03}
OUT
	# An empty field is null (not true: dropped); "abc" cannot be compared.
	[ "$stderr" = 'dmo-transform: transform/sales.csv:7: where: cannot compare string "abc" with number "500"' ]
}

@test "dmo-transform: -f reads a longer program; untouched values keep their text" {
	run -0 --separate-stderr dmo-transform --max-rejects 1 -f transform/enrich.dmo transform/sales.csv
	assert_line --index 0 '{"id":"1","city":"Oslo","amount":"600","total":1200,"band":"mid","city_key":"oslo-43152cc9"}'
	assert_line --index 1 '{"id":"3","city":"Oslo","amount":"500.01","total":1500.03,"band":"high","city_key":"oslo-43152cc9"}'
}

@test "dmo-transform: -f with a file that is not there: status 2" {
	run -2 --separate-stderr dmo-transform -f nope.dmo
	[ "$stderr" = "dmo-transform: nope.dmo: No such file or directory" ]
}

@test "dmo-transform: no program is a usage error" {
	run -2 --separate-stderr dmo-transform
	[ "${stderr_lines[0]}" = "dmo-transform: no program given" ]
	[ "${stderr_lines[2]}" = "Try 'dmo-transform --help' for more information." ]
}

# syntax PROGRAM: run it on no input; status 2 and the message in $stderr.
syntax() {
	run -2 --separate-stderr dmo-transform "$1" /dev/null
	[ -z "$output" ] || fail "stdout: $output"
}

@test "dmo-transform: an unknown function: the line and a caret under it" {
	syntax 'where lenght(name) > 3'
	[ "$stderr" = "dmo-transform: program:1:7: unknown function 'lenght'
  where lenght(name) > 3
        ^" ]
}

@test "dmo-transform: a syntax error on line 2 of a -f file" {
	printf 'a = 1\nb = (2 +\n 3\nc = 4\n' >"$BATS_TEST_TMPDIR/p.dmo"
	run -2 --separate-stderr dmo-transform -f "$BATS_TEST_TMPDIR/p.dmo" /dev/null
	[ "$stderr" = "dmo-transform: $BATS_TEST_TMPDIR/p.dmo:4:1: expected ')', found \"c\"
  c = 4
  ^" ]
}

@test "dmo-transform: a bad regular expression points into the pattern" {
	syntax 'ok = match(s, "ab(c")'
	[ "$stderr" = "dmo-transform: program:1:20: bad regular expression: missing closing parenthesis
  ok = match(s, \"ab(c\")
                     ^" ]
}

@test "dmo-transform: syntax errors say what was expected" {
	syntax 'where a = 1'
	[ "$stderr" = "dmo-transform: program:1:9: unexpected \"=\" (use '==' to compare)
  where a = 1
          ^" ]
	syntax 'x = 1 < 2 < 3'
	[ "${stderr_lines[0]}" = "dmo-transform: program:1:11: comparisons do not chain: \"<\" (use 'and')" ]
	syntax 'x = "open'
	[ "${stderr_lines[0]}" = "dmo-transform: program:1:5: unterminated string" ]
	syntax 'x = if a then 1 else 2'
	[ "${stderr_lines[0]}" = "dmo-transform: program:1:23: expected 'end', found end of program" ]
	syntax 'x = round()'
	[ "${stderr_lines[0]}" = "dmo-transform: program:1:5: function 'round' takes 1 to 2 arguments, not 0" ]
	syntax 'x = 007'
	[ "${stderr_lines[0]}" = "dmo-transform: program:1:5: bad number \"00\" (no leading zeros)" ]
	syntax 'x = a !b'
	[ "${stderr_lines[0]}" = "dmo-transform: program:1:7: unexpected character \"!\" (use 'not')" ]
	syntax 'x = 1 2'
	[ "${stderr_lines[0]}" = "dmo-transform: program:1:7: expected ';' or the end of the statement, found \"2\"" ]
	syntax '1 = x'
	[ "${stderr_lines[0]}" = "dmo-transform: program:1:1: expected a statement, found \"1\"" ]
	syntax 'drop'
	[ "${stderr_lines[0]}" = "dmo-transform: program:1:5: expected a field name, found end of program" ]
	syntax 'x = `unclosed'
	[ "${stderr_lines[0]}" = "dmo-transform: program:1:5: unterminated quoted name" ]
	syntax 'x = to_tz(t, "Mars/Olympus")'
	[ "$stderr" = 'dmo-transform: program:1:14: unknown time zone: "Mars/Olympus"
  x = to_tz(t, "Mars/Olympus")
               ^' ]
	syntax "$(printf 'x = "a\377"')"
	[ "${stderr_lines[0]}" = "dmo-transform: program:1:7: invalid UTF-8 in the program" ]
}

@test "dmo-transform: the caret lines up under multibyte text and tabs" {
	syntax "$(printf 'x = "Zoë"\t+ ?')"
	[ "$stderr" = "$(printf 'dmo-transform: program:1:14: expected a value, found "?"\n  x = "Zoë"\t+ ?\n           \t  ^')" ]
}

@test "dmo-transform: an empty program passes records through byte for byte" {
	run -0 dmo-transform ';' extract/fidelity.ndjson
	[ "$output" = "$(dmo-extract extract/fidelity.ndjson)" ]
	run -0 dmo-transform '# nothing but a comment' extract/fidelity.ndjson
	[ "$output" = "$(dmo-extract extract/fidelity.ndjson)" ]
}

@test "dmo-transform: a run-time error rejects the record with its reason" {
	printf '{"a":1,"b":0}\n{"a":4,"b":2}\n{"a":9223372036854775807,"b":-1}\n' >"$BATS_TEST_TMPDIR/in.ndjson"
	run -1 --separate-stderr dmo-transform --rejects "$BATS_TEST_TMPDIR/rej.ndjson" 'c = a / b; d = a - b' "$BATS_TEST_TMPDIR/in.ndjson"
	[ "$output" = '{"a":4,"b":2,"c":2,"d":2}' ]
	run -0 cat "$BATS_TEST_TMPDIR/rej.ndjson"
	assert_line --index 0 --partial '"reason":"field '"'"'c'"'"': division by zero"'
	assert_line --index 1 --partial '"reason":"field '"'"'d'"'"': integer overflow: 9223372036854775807 - -1"'
	assert_line --index 0 --partial '"record":{"a":1,"b":0}'
}

@test "dmo-transform: --max-rejects allows run-time errors" {
	printf '{"a":1,"b":0}\n{"a":4,"b":2}\n' >"$BATS_TEST_TMPDIR/in.ndjson"
	run -0 --separate-stderr dmo-transform --max-rejects 1 'c = a / b' "$BATS_TEST_TMPDIR/in.ndjson"
	[ "$output" = '{"a":4,"b":2,"c":2}' ]
	[ "$stderr" = "dmo-transform: $BATS_TEST_TMPDIR/in.ndjson:1: field 'c': division by zero" ]
}

@test "dmo-transform: --on-error stop ends the run at the first error, status 1" {
	printf '{"a":1,"b":1}\n{"a":1,"b":0}\n{"a":4,"b":2}\n' >"$BATS_TEST_TMPDIR/in.ndjson"
	run -1 --separate-stderr dmo-transform --on-error stop 'c = a / b' "$BATS_TEST_TMPDIR/in.ndjson"
	[ "$output" = '{"a":1,"b":1,"c":1}' ]
	[ "$stderr" = "dmo-transform: $BATS_TEST_TMPDIR/in.ndjson:2: field 'c': division by zero" ]
}

@test "dmo-transform: --on-error takes reject or stop" {
	run -2 --separate-stderr dmo-transform --on-error maybe ';'
	[ "${stderr_lines[0]}" = "dmo-transform: option '--on-error': not reject or stop: \"maybe\"" ]
}

@test "dmo-transform: -B and DMO_WIRE=binary write frames that read back the same" {
	dmo-transform 'total = amount * qty' transform/sales.csv >"$BATS_TEST_TMPDIR/a.ndjson" 2>/dev/null || true
	dmo-transform -B 'total = amount * qty' transform/sales.csv 2>/dev/null >"$BATS_TEST_TMPDIR/b.dmo" || true
	DMO_WIRE=binary dmo-transform 'total = amount * qty' transform/sales.csv 2>/dev/null >"$BATS_TEST_TMPDIR/c.dmo" || true
	cmp "$BATS_TEST_TMPDIR/b.dmo" "$BATS_TEST_TMPDIR/c.dmo"
	run -0 dmo-load - "$BATS_TEST_TMPDIR/b.dmo"
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/a.ndjson")" ]
}

@test "dmo-transform: binary input in, binary out, through a three-stage pipeline" {
	run -0 --separate-stderr sh -c 'DMO_WIRE=binary dmo-extract transform/sales.csv | DMO_WIRE=binary dmo-transform --max-rejects 1 "where amount > 500; total = amount * qty" | dmo-load -'
	assert_output - <<'OUT'
{"id":"1","city":"Oslo","amount":"600","qty":"2","total":1200}
{"id":"3","city":"Oslo","amount":"500.01","qty":"3","total":1500.03}
OUT
}

@test "dmo-transform: control frames pass through untouched, in place" {
	local t=$BATS_TEST_TMPDIR
	printf '{"a":1}\n' | dmo-load -B - >"$t/plain.dmo"
	# The header (10 bytes), a checkpoint frame 'c' of 3 bytes, the rest.
	{ head -c 10 "$t/plain.dmo"; printf 'c\003\000\000\000abc'; tail -c +11 "$t/plain.dmo"; } >"$t/ctl.dmo"
	dmo-transform -B 'b = a + 1' "$t/ctl.dmo" >"$t/out.dmo"
	[ "$(head -c 18 "$t/out.dmo" | od -An -c | tr -s ' ')" = "$(head -c 18 "$t/ctl.dmo" | od -An -c | tr -s ' ')" ]
	run -0 dmo-load - "$t/out.dmo"
	[ "$output" = '{"a":1,"b":2}' ]
}

@test "dmo-transform: --stats counts records in and out" {
	printf '{"id":1}\n{"id":2}\n{"id":3}\n' >"$BATS_TEST_TMPDIR/in.ndjson"
	run -0 dmo-transform --stats "$BATS_TEST_TMPDIR/s.json" 'where id > 1' "$BATS_TEST_TMPDIR/in.ndjson"
	run -0 jq -c '[.records_in, .records_out, .rejected, .status]' "$BATS_TEST_TMPDIR/s.json"
	[ "$output" = "[3,2,0,0]" ]
}

@test "dmo-transform: --list-functions names every function once" {
	run -0 dmo-transform --list-functions
	[ "${#lines[@]}" -ge 40 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort | uniq -d)" = "" ]
	assert_line sha256
}

@test "dmo-transform: a record appended upstream comes out at once (streaming)" {
	cd "$BATS_TEST_TMPDIR"
	mkfifo in
	dmo-transform 'n2 = n * 2' <in >out 2>err 3>&- &
	local pid=$! start now
	exec 5>in
	printf '{"n":1}\n' >&5
	start=$(date +%s%N)
	while ! grep -qx '{"n":1,"n2":2}' out 2>/dev/null; do
		now=$(date +%s%N)
		if [ $(( (now - start) / 1000000 )) -gt 2000 ]; then
			exec 5>&-
			wait "$pid" || true
			fail "no output after 2 s while the input stays open"
		fi
		sleep 0.005
	done
	now=$(date +%s%N)
	echo "# latency: $(( (now - start) / 1000000 )) ms" >&3
	printf '{"n":2}\n' >&5
	exec 5>&-
	wait "$pid"
	[ "$(cat out)" = '{"n":1,"n2":2}
{"n":2,"n2":4}' ]
}

@test "dmo-transform: hostile programs: deep nesting is refused, not a crash" {
	local deep
	deep=$(printf '%*s' 5000 '' | tr ' ' '(')
	syntax "x = ${deep}1"
	[[ ${stderr_lines[0]} == "dmo-transform: program:1:"*": expression nested too deeply" ]]
	deep=$(printf '%*s' 5000 '' | sed 's/ /not /g')
	syntax "x = ${deep}true"
	[[ ${stderr_lines[0]} == *": expression nested too deeply" ]]
	syntax "x = $(printf '%*s' 5000 '' | tr ' ' '-')1"
	[[ ${stderr_lines[0]} == *": expression nested too deeply" ]]
}

@test "dmo-transform: hostile records: a name of 20000 parts, 400 nested arrays" {
	local name
	name=$(printf 'a.%.0s' $(seq 20000))
	printf '{"%s":1}\n' "${name%.}" >"$BATS_TEST_TMPDIR/h.ndjson"
	run -1 --separate-stderr dmo-transform unflatten "$BATS_TEST_TMPDIR/h.ndjson"
	[ "$stderr" = "dmo-transform: $BATS_TEST_TMPDIR/h.ndjson:1: unflatten: field 'a': nested too deeply" ]
	printf '{"x":%s%s}\n' "$(printf '%*s' 400 '' | tr ' ' '[')" "$(printf '%*s' 400 '' | tr ' ' ']')" >"$BATS_TEST_TMPDIR/a.ndjson"
	run -0 dmo-transform 'flatten' "$BATS_TEST_TMPDIR/a.ndjson"
	[[ $output == '{"x.0.0.0.0.0.0.0.0.0.0.0.0.'* ]]
}

@test "dmo-transform: the summary accounts for where, explode, rejects and aggregates" {
	cd "$BATS_TEST_TMPDIR"
	printf '%s\n' '{"a":1,"l":[1,2,3]}' '{"a":2,"l":[]}' '{"a":3,"l":[4]}' \
	    '{"a":"x","l":[5]}' >in.ndjson
	# a=1 gives 3 (2 added), a=2 is filtered, a=3 gives 1, a="x" fails.
	run -1 --separate-stderr dmo-transform --stats st.json \
	    'where a != 2; b = a * 2; explode l' in.ndjson
	[ "${#lines[@]}" -eq 4 ]
	run -0 jq -c '[.records_in, .records_out, .rejected, .filtered, .added, .aggregated]' st.json
	[ "$output" = '[4,4,1,1,2,0]' ]
	# records_in + added = records_out + filtered + rejected
	run -0 dmo-transform --stats st2.json --group-by a --agg count \
	    'where a != 2; explode l' in.ndjson
	run -0 jq -c '[.records_in, .records_out, .filtered, .added, .aggregated]' st2.json
	[ "$output" = '[4,3,1,2,5]' ]
}

@test "dmo-transform: a filter passes binary frames on byte for byte" {
	local t=$BATS_TEST_TMPDIR
	printf '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n{"a":3,"b":"z"}\n' >"$t/in.ndjson"
	DMO_WIRE=binary dmo-load - "$t/in.ndjson" >"$t/in.dmo"
	printf '{"a":1,"b":"x"}\n{"a":3,"b":"z"}\n' | DMO_WIRE=binary dmo-load - >"$t/want.dmo"
	dmo-transform -B 'where a != 2' "$t/in.dmo" >"$t/got.dmo"
	cmp "$t/want.dmo" "$t/got.dmo"
}
