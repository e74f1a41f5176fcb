#!/usr/bin/env bats
# dmo-extract.bats - dmo-extract on CSV, NDJSON and JSON: fidelity, type
# inference, every class of bad input, rejects and limits, the run
# summary, source fields and streaming.
# SPDX-License-Identifier: BSD-2-Clause
#
# Fixtures are in fixtures/extract/ (tiny, text); inputs with CR, BOM,
# NUL or invalid UTF-8 bytes are made with printf in the test that uses
# them.  Golden files are expected/dmo-extract/NAME.out and NAME.err
# (see `golden` in test_helper.bash; DMO_UPDATE=1 rewrites them).
# Round trips, huge inputs, binary streams and chunked input are in
# roundtrip.bats; archives, follow mode, CLI conventions and SQLite have
# files of their own.

load test_helper

# Run dmo-extract with stdout and stderr in $BATS_TEST_TMPDIR/out and err,
# for `golden` and for byte-exact comparisons.
extract() {
	dmo-extract "$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
}

# The same, with stdin from a file.
extract_in() {
	local in=$1
	shift
	dmo-extract "$@" <"$in" >"$BATS_TEST_TMPDIR/out" \
	    2>"$BATS_TEST_TMPDIR/err"
}

# Compare a file with the text given (printf format and arguments).
file_is() {
	local file=$1
	shift
	# shellcheck disable=SC2059
	printf "$@" >"$BATS_TEST_TMPDIR/want"
	diff -u --label want --label "$file" "$BATS_TEST_TMPDIR/want" "$file" >&2
}

# --- fidelity ---------------------------------------------------------------

@test "dmo-extract: NDJSON numbers keep their lexemes, strings their bytes, fields their order" {
	run -0 extract extract/fidelity.ndjson
	golden fidelity
}

@test "dmo-extract: NDJSON that is already compact passes through byte for byte" {
	run -0 extract extract/sample.ndjson
	cmp extract/sample.ndjson "$BATS_TEST_TMPDIR/out"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "dmo-extract: NDJSON \\u escapes: NUL kept, surrogate pairs decoded, one form out" {
	run -0 --separate-stderr dmo-extract -f ndjson <<-'EOF'
	{"a":"\u0000","b":"\ud83d\ude00","c":"\uD83D\uDE00","d":"\u00e9\u0301","e":"\/\u002f","f":"\u001f\u0020"}
	EOF
	[ "$output" = '{"a":"\u0000","b":"😀","c":"😀","d":"é́","e":"//","f":"\u001f "}' ]
	[ -z "$stderr" ]
}

@test "dmo-extract: CSV values stay strings without --infer (\"007\" stays \"007\")" {
	run -0 extract extract/types.csv
	golden types
}

@test "dmo-extract: --infer types numbers and booleans; empty is null; leading zeros and quoted \"\" stay text" {
	run -0 extract --infer extract/types.csv
	golden types-infer
	run -0 extract -i extract/types.csv
	golden types-infer
}

@test "dmo-extract: CSV quoting, commas, doubled quotes, newlines and UTF-8 in fields" {
	run -0 extract extract/sample.csv
	golden sample-csv
}

# --- bad input: CSV ------------------------------------------------------------

@test "dmo-extract: ragged rows are rejected by default, the others kept" {
	run -1 extract extract/ragged.csv
	golden ragged
}

@test "dmo-extract: --ragged pad fills short rows with empty fields and rejects long ones" {
	run -1 extract --ragged pad extract/ragged.csv
	golden ragged-pad
	run -1 extract -r pad --infer extract/ragged.csv
	golden ragged-pad-infer
}

@test "dmo-extract: --ragged truncate drops extra fields and pads short rows" {
	run -0 extract --ragged truncate extract/ragged.csv
	golden ragged-truncate
	run -0 extract -r reject -r truncate extract/ragged.csv
	golden ragged-truncate
}

@test "dmo-extract: --ragged with a bad policy is a usage error" {
	run -2 --separate-stderr dmo-extract --ragged drop extract/ragged.csv
	[ "${stderr_lines[0]}" = "dmo-extract: option '--ragged': not reject, pad or truncate: \"drop\"" ]
	[ -z "$output" ]
}

@test "dmo-extract: an unterminated quote is rejected and the lines after it are read again" {
	run -1 extract extract/unterminated.csv
	golden unterminated
}

@test "dmo-extract: a stray quote closed by a later line's quote loses no good line" {
	run -1 extract extract/stray-quote.csv
	file_is "$BATS_TEST_TMPDIR/out" '%s\n' '{"id":"1","name":"ok"}' \
	    '{"id":"3","name":"fine"}' '{"id":"4","name":"quoted"}' \
	    '{"id":"5","name":"last"}'
	[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -eq 1 ]
	grep -Eqx 'dmo-extract: extract/stray-quote.csv:3: (unterminated quoted field|malformed quoting)' \
	    "$BATS_TEST_TMPDIR/err"
}

@test "dmo-extract: quoted newlines keep the line numbers of later records right" {
	run -1 extract extract/quoted.csv
	golden quoted
}

@test "dmo-extract: quotes inside an unquoted field or after a closing quote are malformed" {
	run -1 --separate-stderr dmo-extract -f csv <<-'EOF'
	id,name
	1,ok
	2,a"b"c
	3,"x"y
	4,fine
	EOF
	[ "$output" = "$(printf '%s\n' '{"id":"1","name":"ok"}' '{"id":"4","name":"fine"}')" ]
	[ "$stderr" = "$(printf '%s\n' 'dmo-extract: <stdin>:3: malformed quoting' \
	    'dmo-extract: <stdin>:4: malformed quoting')" ]
}

@test "dmo-extract: CSV with a BOM, CRLF, mixed line ends and no final newline" {
	cd "$BATS_TEST_TMPDIR"
	printf '\357\273\277id,name\r\n1,a\r\n2,b\n3,"c\r\nd"\r\n4,e' >crlf.csv
	run -0 --separate-stderr dmo-extract crlf.csv
	[ "$output" = "$(printf '%s\n' '{"id":"1","name":"a"}' '{"id":"2","name":"b"}' '{"id":"3","name":"c\r\nd"}' '{"id":"4","name":"e"}')" ]
	[ -z "$stderr" ]
}

@test "dmo-extract: CSV with invalid UTF-8: rejected by default, U+FFFD with --invalid-utf8 replace" {
	cd "$BATS_TEST_TMPDIR"
	printf 'id,name\n1,caf\351\n2,ok\n3,\300\257x\n' >latin1.csv
	run -1 extract latin1.csv
	file_is out '%s\n' '{"id":"2","name":"ok"}'
	file_is err '%s\n' \
	    "dmo-extract: latin1.csv:2: field 'name': invalid UTF-8 at byte 4" \
	    "dmo-extract: latin1.csv:4: field 'name': invalid UTF-8 at byte 1"
	run -0 extract --invalid-utf8 replace latin1.csv
	file_is out '%s\n' $'{"id":"1","name":"caf\357\277\275"}' \
	    '{"id":"2","name":"ok"}' \
	    $'{"id":"3","name":"\357\277\275\357\277\275x"}'
	[ ! -s err ]
	run -2 --separate-stderr dmo-extract --invalid-utf8 ignore latin1.csv
	[ "${stderr_lines[0]}" = "dmo-extract: option '--invalid-utf8': not reject or replace: \"ignore\"" ]
}

@test "dmo-extract: CSV header with invalid UTF-8 stops the file; replace names it with U+FFFD" {
	cd "$BATS_TEST_TMPDIR"
	printf 'n\377me,id\nx,1\n' >head.csv
	run -1 --separate-stderr dmo-extract head.csv
	[ "$stderr" = 'dmo-extract: head.csv:1: header field 1: invalid UTF-8 at byte 2' ]
	[ -z "$output" ]
	run -0 --separate-stderr dmo-extract --invalid-utf8 replace head.csv
	[ "$output" = "$(printf '{"n\357\277\275me":"x","id":"1"}')" ]
}

@test "dmo-extract: NUL bytes in CSV are data, written as \\u0000" {
	cd "$BATS_TEST_TMPDIR"
	printf 'id,name\n1,a\000b\n2,"\000"\n3,ok\n' >nul.csv
	run -0 extract nul.csv
	file_is out '%s\n' '{"id":"1","name":"a\u0000b"}' \
	    '{"id":"2","name":"\u0000"}' '{"id":"3","name":"ok"}'
	[ ! -s err ]
}

@test "dmo-extract: duplicate CSV header names: rejected, or --duplicate-keys first/last" {
	cd "$BATS_TEST_TMPDIR"
	printf 'a,b,a\n1,2,3\n' >dup.csv
	run -1 --separate-stderr dmo-extract dup.csv
	[ "$stderr" = "dmo-extract: dup.csv:1: duplicate field name 'a' in header" ]
	[ -z "$output" ]
	run -0 --separate-stderr dmo-extract --duplicate-keys first dup.csv
	[ "$output" = '{"a":"1","b":"2"}' ]
	run -0 --separate-stderr dmo-extract --duplicate-keys last dup.csv
	[ "$output" = '{"a":"3","b":"2"}' ]
}

@test "dmo-extract: a CSV record over --max-record-size is rejected and the next one read" {
	cd "$BATS_TEST_TMPDIR"
	printf 'id,text\n1,short\n2,%s\n3,"quoted\n%s"\n4,end\n' \
	    "$(printf '%050d' 0)" "$(printf '%050d' 0)" >long.csv
	run -1 extract --max-record-size 32 long.csv
	file_is out '%s\n' '{"id":"1","text":"short"}' '{"id":"4","text":"end"}'
	file_is err '%s\n' \
	    'dmo-extract: long.csv:3: record too long: more than 32 bytes' \
	    'dmo-extract: long.csv:4: record too long: more than 32 bytes'
}

# --- bad input: NDJSON ------------------------------------------------------------

@test "dmo-extract: bad NDJSON lines are rejected with line, column and reason; the rest kept" {
	run -1 extract extract/bad.ndjson
	golden bad-ndjson
}

@test "dmo-extract: NaN and Infinity are not JSON numbers" {
	run -1 --separate-stderr dmo-extract -f ndjson <<-'EOF'
	{"a":NaN}
	{"a":Infinity}
	{"a":-Infinity}
	{"a":[1,NaN]}
	{"a":1}
	EOF
	[ "$output" = '{"a":1}' ]
	[ "$stderr" = "$(printf '%s\n' \
	    'dmo-extract: <stdin>:1:6: invalid JSON: NaN is not a JSON number' \
	    'dmo-extract: <stdin>:2:6: invalid JSON: Infinity is not a JSON number' \
	    'dmo-extract: <stdin>:3:6: invalid JSON: Infinity is not a JSON number' \
	    'dmo-extract: <stdin>:4:9: invalid JSON: NaN is not a JSON number')" ]
}

@test "dmo-extract: duplicate NDJSON keys: rejected, or --duplicate-keys first/last" {
	local in='{"a":1,"b":2,"a":3}'
	run -1 --separate-stderr dmo-extract -f ndjson <<<"$in"
	[ "$stderr" = "dmo-extract: <stdin>:1: duplicate field name 'a'" ]
	[ -z "$output" ]
	run -0 --separate-stderr dmo-extract --duplicate-keys first <<<"$in"
	[ "$output" = '{"a":1,"b":2}' ]
	run -0 --separate-stderr dmo-extract --duplicate-keys last <<<"$in"
	[ "$output" = '{"a":3,"b":2}' ]
	run -0 --separate-stderr dmo-extract --duplicate-keys reject <<<'{"a":1,"A":2}'
	[ "$output" = '{"a":1,"A":2}' ]
	run -2 --separate-stderr dmo-extract --duplicate-keys any <<<"$in"
	[ "${stderr_lines[0]}" = "dmo-extract: option '--duplicate-keys': not reject, first or last: \"any\"" ]
}

@test "dmo-extract: a bad line does not let the next record's duplicate names through" {
	run -1 --separate-stderr dmo-extract -f ndjson <<-'EOF'
	{"a":1}
	{"a":1,"a":2 x
	{"a":1,"a":2}
	{"a":3}
	EOF
	[ "$output" = "$(printf '%s\n' '{"a":1}' '{"a":3}')" ]
	[ "$stderr" = "$(printf '%s\n' \
	    "dmo-extract: <stdin>:2:14: invalid JSON: expected ',' or '}', found 'x'" \
	    "dmo-extract: <stdin>:3: duplicate field name 'a'")" ]
}

@test "dmo-extract: NDJSON with a BOM, CRLF, mixed line ends and blank lines" {
	cd "$BATS_TEST_TMPDIR"
	printf '\357\273\277{"a":1}\r\n\r\n{"a":2}\n  \n{"a":"x\\r\\n"}\r\n{"a":NaN}\r\n' >crlf.ndjson
	run -1 extract crlf.ndjson
	file_is out '%s\n' '{"a":1}' '{"a":2}' '{"a":"x\r\n"}'
	file_is err '%s\n' \
	    'dmo-extract: crlf.ndjson:6:6: invalid JSON: NaN is not a JSON number'
}

@test "dmo-extract: NDJSON with invalid UTF-8: rejected by default, U+FFFD with --invalid-utf8 replace" {
	cd "$BATS_TEST_TMPDIR"
	printf '{"a":"caf\351"}\n{"a":"ok"}\n{"\377":1}\n{"a":"\355\240\200"}\n' >bad.ndjson
	run -1 extract bad.ndjson
	file_is out '%s\n' '{"a":"ok"}'
	file_is err '%s\n' \
	    "dmo-extract: bad.ndjson:1:10: field 'a': invalid UTF-8" \
	    "dmo-extract: bad.ndjson:3:3: invalid UTF-8" \
	    "dmo-extract: bad.ndjson:4:7: field 'a': invalid UTF-8"
	run -0 extract --invalid-utf8 replace bad.ndjson
	file_is out '%s\n' $'{"a":"caf\357\277\275"}' '{"a":"ok"}' \
	    $'{"\357\277\275":1}' \
	    $'{"a":"\357\277\275\357\277\275\357\277\275"}'
	[ ! -s err ]
}

@test "dmo-extract: lone surrogates are rejected, U+FFFD with --invalid-utf8 replace" {
	run -1 --separate-stderr dmo-extract -f ndjson <<<'{"a":"x\ud800y"}'
	[ "$stderr" = 'dmo-extract: <stdin>:1:8: invalid JSON: lone surrogate in \u escape' ]
	[ -z "$output" ]
	run -0 --separate-stderr dmo-extract -f ndjson --invalid-utf8 replace <<<'{"a":"x\ud800y"}'
	[ "$output" = "$(printf '{"a":"x\357\277\275y"}')" ]
}

@test "dmo-extract: raw NUL bytes in NDJSON are rejected; \\u0000 is kept" {
	cd "$BATS_TEST_TMPDIR"
	printf '{"a":"x\000y"}\n{"a":"x\\u0000y"}\n{"b":1}\000\n{"c":2}\n' >nul.ndjson
	run -1 extract nul.ndjson
	file_is out '%s\n' '{"a":"x\u0000y"}' '{"c":2}'
	file_is err '%s\n' \
	    'dmo-extract: nul.ndjson:1:8: invalid JSON: control character \x00 in string' \
	    'dmo-extract: nul.ndjson:3:8: invalid JSON: unexpected \x00 after the object'
}

@test "dmo-extract: integers beyond 64 bits and long decimals pass through NDJSON unchanged" {
	run -0 --separate-stderr dmo-extract -f ndjson <<-'EOF'
	{"a":18446744073709551616,"b":-18446744073709551617,"c":123456789012345678901234567890.000000000000000000001,"d":0.1,"e":12.30,"f":1e-400}
	EOF
	[ "$output" = '{"a":18446744073709551616,"b":-18446744073709551617,"c":123456789012345678901234567890.000000000000000000001,"d":0.1,"e":12.30,"f":1e-400}' ]
}

@test "dmo-extract: a last NDJSON line without newline is read when complete" {
	run -0 extract extract/no-newline.ndjson
	file_is "$BATS_TEST_TMPDIR/out" '%s\n' \
	    '{"id":1,"name":"complete, no newline at the end"}'
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "dmo-extract: a cut last NDJSON object is a reject, the records before it kept" {
	run -1 extract extract/cut.ndjson
	file_is "$BATS_TEST_TMPDIR/out" '%s\n' '{"id":1,"name":"whole"}'
	file_is "$BATS_TEST_TMPDIR/err" '%s\n' \
	    'dmo-extract: extract/cut.ndjson:2:16: invalid JSON: unterminated string'
}

@test "dmo-extract: an NDJSON object cut at the end of its line is reported on that line" {
	run -1 --separate-stderr dmo-extract -f ndjson <<-'EOF'
	{"a":
	{"a":[1,
	{"a":"open
	{"a":2}
	EOF
	[ "$output" = '{"a":2}' ]
	[ "$stderr" = "$(printf '%s\n' \
	    'dmo-extract: <stdin>:1:6: invalid JSON: unexpected end of input' \
	    'dmo-extract: <stdin>:2:9: invalid JSON: unexpected end of input' \
	    'dmo-extract: <stdin>:3:6: invalid JSON: unterminated string')" ]
}

@test "dmo-extract: an NDJSON record over --max-record-size is rejected and the next one read" {
	cd "$BATS_TEST_TMPDIR"
	printf '{"a":"%s"}\n{"a":1}\n' "$(printf '%0100d' 0)" >long.ndjson
	run -1 --separate-stderr dmo-extract --max-record-size 64 long.ndjson
	[ "$output" = '{"a":1}' ]
	[ "$stderr" = 'dmo-extract: long.ndjson:1: line too long: more than 64 bytes' ]
}

# --- JSON documents ----------------------------------------------------------------

@test "dmo-extract: a JSON document with a top-level array gives one record per object" {
	run -0 extract extract/array.json
	golden array
}

@test "dmo-extract: concatenated pretty-printed JSON objects are records" {
	run -0 extract extract/concatenated.json
	golden concatenated
	run -0 extract -f json <extract/concatenated.json
	golden concatenated
}

@test "dmo-extract: a truncated JSON array keeps the objects before the cut and says where" {
	run -1 extract extract/truncated.json
	file_is "$BATS_TEST_TMPDIR/out" '%s\n' '{"id":1}' '{"id":2}'
	file_is "$BATS_TEST_TMPDIR/err" '%s\n' \
	    'dmo-extract: extract/truncated.json:4: invalid JSON: unexpected end of input'
}

@test "dmo-extract: an unclosed JSON array is reported at the end" {
	run -1 --separate-stderr dmo-extract -f json <<<'[{"a":1},{"a":2}'
	[ "$output" = "$(printf '%s\n' '{"a":1}' '{"a":2}')" ]
	[ "$stderr" = 'dmo-extract: <stdin>:2: invalid JSON: unexpected end of input in the top-level array' ]
}

@test "dmo-extract: a bad object in a JSON array is rejected with its line and column" {
	run -1 --separate-stderr dmo-extract -f json <<-'EOF'
	[
	  {"a": 1},
	  {
	    "a": NaN
	  },
	  {"a": 3}
	]
	EOF
	[ "$output" = "$(printf '%s\n' '{"a":1}' '{"a":3}')" ]
	[ "$stderr" = 'dmo-extract: <stdin>:4:10: invalid JSON: NaN is not a JSON number' ]
}

@test "dmo-extract: JSON document columns count from the start of the line" {
	run -1 --separate-stderr dmo-extract -f json <<<'[{"a":1}, {"a":NaN}]'
	[ "$output" = '{"a":1}' ]
	[ "$stderr" = 'dmo-extract: <stdin>:1:16: invalid JSON: NaN is not a JSON number' ]
}

@test "dmo-extract: a JSON array of non-objects is refused" {
	run -1 --separate-stderr dmo-extract -f json <<<'[1,2]'
	[ "$stderr" = "dmo-extract: <stdin>:1: not a JSON object: found '1'" ]
	[ -z "$output" ]
}

# --- empty and nearly empty ----------------------------------------------------------

@test "dmo-extract: empty inputs give no records and status 0" {
	cd "$BATS_TEST_TMPDIR"
	: >empty.csv
	: >empty.ndjson
	: >empty.json
	printf '\n\n' >blank.ndjson
	printf '[]\n' >none.json
	for f in empty.csv empty.ndjson empty.json blank.ndjson none.json; do
		run -0 --separate-stderr dmo-extract "$f"
		[ -z "$output" ] || fail "$f: output: $output"
		[ -z "$stderr" ] || fail "$f: stderr: $stderr"
	done
	run -0 --separate-stderr dmo-extract </dev/null
	[ -z "$output$stderr" ]
}

@test "dmo-extract: a header-only CSV gives no records and status 0" {
	cd "$BATS_TEST_TMPDIR"
	printf 'id,name\n' >header.csv
	printf 'id,name' >header-nonl.csv
	printf '\357\273\277id,name\r\n' >header-bom.csv
	for f in header.csv header-nonl.csv header-bom.csv; do
		run -0 --separate-stderr dmo-extract -H "$f"
		[ -z "$output" ] || fail "$f: output: $output"
		[ -z "$stderr" ] || fail "$f: stderr: $stderr"
	done
}

# --- rejects, limits and the summary -------------------------------------------------

@test "dmo-extract: --rejects FILE gets each reject with source, line, reason and raw text" {
	mkdir "$BATS_TEST_TMPDIR/extract"
	cp extract/bad.ndjson "$BATS_TEST_TMPDIR/extract/"
	cd "$BATS_TEST_TMPDIR"
	run -1 extract --rejects rejects.ndjson extract/bad.ndjson
	golden bad-ndjson-rejects
	cp rejects.ndjson out
	rm err
	golden bad-ndjson-rejects-file
	# Each line is JSON that jq reads, with the four keys in order.
	run -0 jq -c 'keys_unsorted' rejects.ndjson
	[ "${#lines[@]}" -eq 5 ]
	[ "${lines[0]}" = '["source","line","reason","raw"]' ]
}

@test "dmo-extract: --rejects keeps the whole text of multi-line CSV records" {
	run -1 --separate-stderr dmo-extract --rejects - extract/quoted.csv
	[ "${#lines[@]}" -eq 6 ]
	[ "${lines[5]}" = '{"id":"9","text":"after","n":"f"}' ]
	[ "$stderr" = "$(printf '%s\n' \
	    '{"source":"extract/quoted.csv","line":6,"reason":"ragged row: 4 fields, expected 3","raw":"4,x,y,z"}' \
	    '{"source":"extract/quoted.csv","line":10,"reason":"ragged row: 4 fields, expected 3","raw":"6,too,many,fields"}' \
	    '{"source":"extract/quoted.csv","line":12,"reason":"ragged row: 4 fields, expected 3","raw":"8,\"multi\nline\",x,y"}' \
	    "dmo-extract: 3 records rejected, see '-'")" ]
	run -1 --separate-stderr dmo-extract --rejects - extract/unterminated.csv
	[ "${stderr_lines[0]}" = '{"source":"extract/unterminated.csv","line":3,"reason":"unterminated quoted field","raw":"2,\"never closed"}' ]
}

@test "dmo-extract: --max-rejects N: at the limit status 0, past it status 1" {
	# bad.ndjson: 10 records, 5 rejected.
	run -0 --separate-stderr dmo-extract --max-rejects 5 extract/bad.ndjson
	[ "${#lines[@]}" -eq 5 ]
	[ "${#stderr_lines[@]}" -eq 5 ]
	run -1 --separate-stderr dmo-extract --max-rejects 4 extract/bad.ndjson
	[ "${#lines[@]}" -eq 5 ]
	[ "${#stderr_lines[@]}" -eq 5 ]
	run -0 --separate-stderr dmo-extract --max-rejects 1000 extract/bad.ndjson
	run -1 --separate-stderr dmo-extract --max-rejects 0 extract/bad.ndjson
	run -1 --separate-stderr dmo-extract extract/bad.ndjson
	run -0 --separate-stderr dmo-extract --max-rejects 0 extract/sample.ndjson
}

@test "dmo-extract: --max-rejects P%: at the limit status 0, past it status 1" {
	# 5 of 10 records rejected: 50%.
	run -0 --separate-stderr dmo-extract --max-rejects 50% extract/bad.ndjson
	[ "${#lines[@]}" -eq 5 ]
	run -1 --separate-stderr dmo-extract --max-rejects 49.9% extract/bad.ndjson
	[ "${#lines[@]}" -eq 5 ]
	run -0 --separate-stderr dmo-extract --max-rejects 100% extract/bad.ndjson
	run -1 --separate-stderr dmo-extract --max-rejects 0% extract/bad.ndjson
	run -0 --separate-stderr dmo-extract --max-rejects 0% extract/sample.ndjson
}

@test "dmo-extract: --max-rejects with a bad value is a usage error" {
	for v in -1 x 10x 101% %; do
		run -2 --separate-stderr dmo-extract --max-rejects "$v" extract/bad.ndjson
		[ "${stderr_lines[0]}" = "dmo-extract: option '--max-rejects': not a count or a percentage: \"$v\"" ] ||
		    fail "$v: ${stderr_lines[0]}"
		[ -z "$output" ]
	done
}

@test "dmo-extract: more than 100 rejects: the first 100 messages, then a count" {
	cd "$BATS_TEST_TMPDIR"
	for _ in $(seq 1 150); do echo '{"a":NaN}'; done >nan.ndjson
	echo '{"a":1}' >>nan.ndjson
	run -1 extract nan.ndjson
	file_is out '%s\n' '{"a":1}'
	[ "$(wc -l <err)" -eq 101 ]
	[ "$(sed -n 100p err)" = 'dmo-extract: nan.ndjson:100:6: invalid JSON: NaN is not a JSON number' ]
	[ "$(sed -n 101p err)" = 'dmo-extract: 150 records rejected' ]
}

@test "dmo-extract: --stats FILE has the run summary, and in = out + rejected" {
	run -1 extract --stats "$BATS_TEST_TMPDIR/stats.json" extract/bad.ndjson extract/quoted.csv
	run -0 jq -c 'keys_unsorted' "$BATS_TEST_TMPDIR/stats.json"
	[ "$output" = '["program","records_in","records_out","rejected","bytes_in","bytes_out","seconds","status"]' ]
	run -0 jq -r '[.program, .records_in, .records_out, .rejected, .bytes_in, .bytes_out, .status] | @tsv' \
	    "$BATS_TEST_TMPDIR/stats.json"
	local bytes_in bytes_out
	bytes_in=$(cat extract/bad.ndjson extract/quoted.csv | wc -c)
	bytes_out=$(wc -c <"$BATS_TEST_TMPDIR/out")
	[ "$output" = "$(printf 'dmo-extract\t19\t11\t8\t%d\t%d\t1' "$bytes_in" "$bytes_out")" ]
	run -0 jq -e '.records_in == .records_out + .rejected and (.seconds | type) == "number"' \
	    "$BATS_TEST_TMPDIR/stats.json"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/stats.json")" -eq 1 ]
}

@test "dmo-extract: --stats on a clean run has status 0 and nothing rejected" {
	run -0 extract --stats "$BATS_TEST_TMPDIR/stats.json" extract/sample.csv
	run -0 jq -r '[.records_in, .records_out, .rejected, .status] | @tsv' \
	    "$BATS_TEST_TMPDIR/stats.json"
	[ "$output" = "$(printf '5\t5\t0\t0')" ]
}

@test "dmo-extract: -v prints the run summary on stderr after the messages" {
	run -1 extract -v extract/bad.ndjson
	[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -eq 6 ]
	tail -n 1 "$BATS_TEST_TMPDIR/err" | sed 's/^dmo-extract: //' >"$BATS_TEST_TMPDIR/summary"
	run -0 jq -r '[.records_in, .records_out, .rejected, .status] | @tsv' "$BATS_TEST_TMPDIR/summary"
	[ "$output" = "$(printf '10\t5\t5\t1')" ]
}

@test "dmo-extract: -s/--source-field adds each record's source, for files and stdin" {
	run -0 --separate-stderr dmo-extract -s src extract/sample.csv - <extract/no-newline.ndjson
	[ "${#lines[@]}" -eq 6 ]
	[ "${lines[0]}" = '{"id":"1","name":"Ada Lovelace","city":"London","note":"first, programmer","amount":"12.30","flag":"","src":"extract/sample.csv"}' ]
	[ "${lines[5]}" = '{"id":1,"name":"complete, no newline at the end","src":"<stdin>"}' ]
	run -0 --separate-stderr dmo-extract --source-field "from where" extract/array.json
	[ "${lines[1]}" = '{"id":2,"tags":[],"price":0.1,"from where":"extract/array.json"}' ]
	run -2 --separate-stderr dmo-extract -s '' extract/array.json
	[ "${stderr_lines[0]}" = "dmo-extract: option '--source-field': empty name" ]
}

@test "dmo-extract: -s naming a field the record has: rejected, or kept by --duplicate-keys" {
	run -1 --separate-stderr dmo-extract -s id extract/sample.ndjson
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = '{"other":"shape","big":18446744073709551616,"huge":1e400,"nested":{"k":[1,{"x":"\u0000"}]},"id":"extract/sample.ndjson"}' ]
	[ "${stderr_lines[0]}" = "dmo-extract: extract/sample.ndjson:1: duplicate field name 'id'" ]
	run -0 --separate-stderr dmo-extract -s id --duplicate-keys first extract/sample.ndjson
	[ "${lines[0]}" = '{"id":1,"name":"Ada","price":12.30,"tags":["a","b"],"ok":true,"none":null}' ]
	run -0 --separate-stderr dmo-extract -s id --duplicate-keys last extract/sample.ndjson
	[ "${lines[0]}" = '{"id":"extract/sample.ndjson","name":"Ada","price":12.30,"tags":["a","b"],"ok":true,"none":null}' ]
}

@test "dmo-extract: a record rejected for its -s field keeps its content in --rejects" {
	run -1 --separate-stderr dmo-extract -s id --rejects - -f ndjson <<<'{"id":1,"v":"x"}'
	[ "$stderr" = "$(printf '%s\n' \
	    '{"source":"<stdin>","line":1,"reason":"duplicate field name '\''id'\''","record":{"id":1,"v":"x"}}' \
	    "dmo-extract: 1 record rejected, see '-'")" ]
}

# --- streaming ---------------------------------------------------------------------------

# Write lines into a dmo-extract coprocess and read what it prints before
# its stdin is closed.  The read timeout only keeps a broken build from
# hanging the suite; nothing is timed.
# Usage: stream_check WANT [OPTION ...] -- LINE ...
stream_check() {
	local want=$1 got='' wfd rfd pid
	local -a opts=()
	shift
	while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	coproc EXTRACT { exec dmo-extract "${opts[@]}" 2>&1; }
	wfd=${EXTRACT[1]}
	rfd=${EXTRACT[0]}
	pid=$EXTRACT_PID
	printf '%s\n' "$@" >&"$wfd"
	IFS= read -r -t 60 got <&"$rfd" || true
	exec {wfd}>&-
	wait "$pid" || true
	[ "$got" = "$want" ] || fail "before EOF, got: '$got', want: '$want'"
}

@test "dmo-extract: an NDJSON record written to stdin comes out before stdin is closed" {
	stream_check '{"id":1,"v":"x"}' -- '{"id":1,"v":"x"}'
}

@test "dmo-extract: a CSV record written to stdin comes out before stdin is closed" {
	stream_check '{"id":"1","name":"ada"}' -f csv -H -- 'id,name' '1,ada'
	stream_check '{"id":"1","name":"ada"}' -- 'id,name' '1,ada'
}

@test "dmo-extract: a record through a FIFO operand comes out while the writer keeps it open" {
	local pid r w got=''
	cd "$BATS_TEST_TMPDIR"
	mkfifo in.fifo out.fifo
	dmo-extract in.fifo >out.fifo 2>&1 &
	pid=$!
	exec {r}<out.fifo
	exec {w}>in.fifo
	echo '{"a":1}' >&"$w"
	IFS= read -r -t 60 got <&"$r" || true
	exec {w}>&-
	wait "$pid"
	exec {r}<&-
	[ "$got" = '{"a":1}' ]
}

# 2026-11-21: repeated names were found by comparing every pair, so one
# hostile record or header of 200,000 fields took minutes.  The timeout
# only keeps a regression from hanging the suite; it measures nothing.
@test "dmo-extract: records and headers of 200,000 fields, with repeats, are read" {
	cd "$BATS_TEST_TMPDIR"
	awk 'BEGIN { printf "{"; for (i = 0; i < 200000; i++)
	    printf "%s\"k%d\":%d", i ? "," : "", i % 1000, i; print "}" }' >wide.ndjson
	run -0 timeout 60 dmo-extract --duplicate-keys last wide.ndjson
	[[ $output == '{"k0":199000,"k1":199001,'* ]]
	run -1 --separate-stderr timeout 60 dmo-extract wide.ndjson
	[ "$stderr" = "dmo-extract: wide.ndjson:1: duplicate field name 'k0'" ]
	awk 'BEGIN { for (r = 0; r < 2; r++) { for (i = 0; i < 200000; i++)
	    printf "%s%s%d", i ? "," : "", r ? "" : "c", r ? i : i % 1000
	    print "" } }' >wide.csv
	run -0 timeout 60 dmo-extract --duplicate-keys first wide.csv
	[[ $output == '{"c0":"0","c1":"1","c2":"2",'* ]]
	[ "$(printf '%s' "$output" | tr -cd ':' | wc -c)" -eq 1000 ]
}
