#!/usr/bin/env bats
# dmo-clean.bats - dmo-clean: cleaning rules, schemas, coercion, every
# reject reason, limits, the change log and dedupe.
# SPDX-License-Identifier: BSD-2-Clause

load test_helper

FIX="$BATS_TEST_DIRNAME/fixtures/clean"

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	cp "$FIX"/* .
}

# schema JSON: write a schema with the properties given (an object's
# inside) and more top-level keywords after a comma, if any.
schema() {
	printf '{"type":"object","properties":{%s}%s}\n' "$1" \
	    "${2:+,$2}" >s.json
}

# --- cleaning without a schema -------------------------------------

@test "dmo-clean: with no option, records pass byte for byte" {
	printf '%s\n' '{"a":"  x ","n":12.30,"b":1e400,"z":-0,"o":{"k":[1,2.50]},"t":true,"nul":null}' >in.ndjson
	run -0 dmo-clean in.ndjson
	assert_output "$(cat in.ndjson)"
}

@test "dmo-clean: -t trims, -S squeezes, white space includes U+00A0" {
	printf '%s\n' '{"a":"  two  words\t\n","b":"\u00a0x\u00a0","c":"a \t b"}' >in.ndjson
	run -0 dmo-clean -t in.ndjson
	assert_output '{"a":"two  words","b":"x","c":"a \t b"}'
	run -0 dmo-clean -tS in.ndjson
	assert_output '{"a":"two words","b":"x","c":"a b"}'
	# Runs across the 8-byte steps of the scan, and single spaces.
	printf '%s\n' '{"a":"abcdefg  hijklmn"}' '{"a":"abcdefgh ijklmnop"}' \
	    '{"a":"abcdefg\u00a0hijklmn"}' '{"a":"abcdefghijklmnopqrstuvw  x"}' \
	    '{"a":"a b c d e f g h i j k"}' '{"a":"abcdefg \u00a0"}' >in.ndjson
	run -0 dmo-clean -S in.ndjson
	assert_output "$(printf '{"a":"%s"}\n' 'abcdefg hijklmn' 'abcdefgh ijklmnop' \
	    'abcdefg hijklmn' 'abcdefghijklmnopqrstuvw x' 'a b c d e f g h i j k' 'abcdefg ')"
}

@test "dmo-clean: -n tokens and --null-defaults make nulls; other types untouched" {
	printf '%s\n' '{"a":"NA","b":"","c":"n/a","d":"None","e":"-","f":"na","g":7}' >in.ndjson
	run -0 dmo-clean -n NA -n - in.ndjson
	assert_output '{"a":null,"b":"","c":"n/a","d":"None","e":null,"f":"na","g":7}'
	run -0 dmo-clean --null-defaults in.ndjson
	assert_output '{"a":null,"b":null,"c":null,"d":null,"e":"-","f":"na","g":7}'
	run -0 dmo-clean -t -n NA <<<'{"a":"  NA  "}'
	assert_output '{"a":null}'
}

@test "dmo-clean: --snake-case renames fields and keeps them unique" {
	printf 'Customer Name,firstName,E-mail Address,customer_name,HTTPServer,!!!\n1,2,3,4,5,6\n' >in.csv
	run -0 dmo-clean --snake-case in.csv
	assert_output '{"customer_name":"1","first_name":"2","e_mail_address":"3","customer_name_2":"4","http_server":"5","field":"6"}'
}

@test "dmo-clean: --nfc composes, --case maps upper, lower and fold" {
	printf '%s\n' '{"a":"Zoe\u0301","b":"Straße"}' >in.ndjson
	run -0 dmo-clean --nfc in.ndjson
	assert_output '{"a":"Zoé","b":"Straße"}'
	run -0 dmo-clean --nfc --case upper <<<'{"a":"Zoe\u0301","b":"Ärger"}'
	assert_output '{"a":"ZOÉ","b":"ÄRGER"}'
	run -0 dmo-clean --case lower <<<'{"a":"ÀÉÎ"}'
	assert_output '{"a":"àéî"}'
	run -0 dmo-clean --case fold in.ndjson
	assert_output '{"a":"zoé","b":"strasse"}'
	run -2 dmo-clean --case title in.ndjson
	assert_line --index 0 "dmo-clean: option '--case': not lower, upper, fold or keep: \"title\""
}

@test "dmo-clean: -e drops empty records (EMPTY, not counted against the limit)" {
	printf 'a,b\n1,2\n,\n , \n3,\n' >in.csv
	run -0 --separate-stderr dmo-clean -e -t --rejects r.ndjson --stats st.json in.csv
	assert_output "$(printf '%s\n' '{"a":"1","b":"2"}' '{"a":"3","b":""}')"
	run -0 jq -c '[.code, .line]' r.ndjson
	assert_output "$(printf '%s\n' '["EMPTY",3]' '["EMPTY",4]')"
	run -0 jq -c '[.records_in, .records_out, .rejected, .dropped, .status]' st.json
	assert_output '[4,2,2,2,0]'
}

@test "dmo-clean: -E drops empty and null fields" {
	run -0 dmo-clean -E <<<'{"a":"","b":null,"c":0,"d":"x","e":[]}'
	assert_output '{"c":0,"d":"x","e":[]}'
}

@test "dmo-clean: --fill-down fills from the last record that had a value" {
	printf 'region,store,n\nnorth,Leeds,1\n,York,2\nNA,Hull,3\nsouth,,4\n,Exeter,5\n' >in.csv
	run -0 dmo-clean -n NA --fill-down region,store in.csv
	assert_output "$(printf '%s\n' \
	    '{"region":"north","store":"Leeds","n":"1"}' \
	    '{"region":"north","store":"York","n":"2"}' \
	    '{"region":"north","store":"Hull","n":"3"}' \
	    '{"region":"south","store":"Hull","n":"4"}' \
	    '{"region":"south","store":"Exeter","n":"5"}')"
	run -2 dmo-clean --fill-down a,,b in.csv
	assert_line --index 0 "dmo-clean: option '--fill-down': empty field name in \"a,,b\""
}

# --- schemas -----------------------------------------------------------

@test "dmo-clean: a schema coerces text to types, dates to ISO 8601, with a change log" {
	run -0 --separate-stderr dmo-clean -s people.schema.json -C changes.ndjson people.csv
	cp changes.ndjson "$BATS_TEST_TMPDIR/out"
	printf '%s\n' "$output" >>"$BATS_TEST_TMPDIR/out"
	golden people
}

@test "dmo-clean: the same from NDJSON and binary frames, out as binary" {
	dmo-clean -s people.schema.json people.csv >want.ndjson
	dmo-extract people.csv >in.ndjson
	run -0 dmo-clean -s people.schema.json in.ndjson
	assert_output "$(cat want.ndjson)"
	DMO_WIRE=binary dmo-extract people.csv >in.bin
	DMO_WIRE=binary dmo-clean -s people.schema.json in.bin >out.bin
	run -0 dmo-extract out.bin
	assert_output "$(cat want.ndjson)"
	run -0 dmo-clean -B -s people.schema.json in.bin
	[ "${output:0:4}" = $'\x89DMO' ] || fail "not binary frames"
}

@test "dmo-clean: integers: 007, -0, +7, 1e3 and 1.0 become plain integers; 1.5 and overflow reject" {
	schema '"n":{"type":"integer"}'
	printf '%s\n' n 007 -0 +7 1e3 1.0 ' 42 ' 9223372036854775807 \
	    -9223372036854775808 1.5 9223372036854775808 1e400 twelve 0x1F >in.csv
	run -1 --separate-stderr dmo-clean -s s.json in.csv
	assert_output "$(printf '{"n":%s}\n' 7 0 7 1000 1 42 9223372036854775807 -9223372036854775808)"
	output=$stderr
	assert_output "$(printf '%s\n' \
	    'dmo-clean: in.csv:10: field '\''n'\'': not an integer (it has a fraction): "1.5"' \
	    'dmo-clean: in.csv:11: field '\''n'\'': integer out of range (64 bits): "9223372036854775808"' \
	    'dmo-clean: in.csv:12: field '\''n'\'': integer out of range (64 bits): "1e400"' \
	    'dmo-clean: in.csv:13: field '\''n'\'': not an integer: "twelve"' \
	    'dmo-clean: in.csv:14: field '\''n'\'': not an integer: "0x1F"')"
}

@test "dmo-clean: integers from JSON numbers: 1.0 and 1e3 are integral, 2.5 is not" {
	schema '"n":{"type":"integer"}'
	printf '%s\n' '{"n":12}' '{"n":1.0}' '{"n":1e3}' '{"n":-0}' '{"n":2.5}' >in.ndjson
	run -1 --separate-stderr dmo-clean -s s.json --rejects r.ndjson in.ndjson
	assert_output "$(printf '{"n":%s}\n' 12 1 1000 0)"
	run -0 jq -c '[.code, .value]' r.ndjson
	assert_output '["TYPE",2.5]'
}

@test "dmo-clean: numbers stay exact: lexemes kept, loose text made JSON" {
	schema '"x":{"type":"number"}'
	printf '%s\n' x 12.30 0.1 1e400 18446744073709551616 -0 +5 .5 5. 007.50 NaN '"1,5"' >in.csv
	run -1 --separate-stderr dmo-clean -s s.json in.csv
	assert_output "$(printf '{"x":%s}\n' 12.30 0.1 1e400 18446744073709551616 -0 5 0.5 5 7.50)"
	assert_equal "$stderr" "$(printf '%s\n' \
	    'dmo-clean: in.csv:11: field '\''x'\'': not a number: "NaN"' \
	    'dmo-clean: in.csv:12: field '\''x'\'': not a number: "1,5"')"
}

@test "dmo-clean: x-dmo-scale rounds half to even, exactly; x-dmo-rounding reject says SCALE" {
	schema '"x":{"type":"number","x-dmo-scale":2}'
	printf '%s\n' x 2.675 0.125 0.135 9.995 12.5 1e3 -0.001 >in.csv
	run -0 dmo-clean -s s.json in.csv
	assert_output "$(printf '{"x":%s}\n' 2.68 0.12 0.14 10.00 12.50 1000.00 -0.00)"
	schema '"x":{"type":"number","x-dmo-scale":2,"x-dmo-rounding":"reject"}'
	run -1 --separate-stderr dmo-clean -s s.json --rejects r.ndjson in.csv
	assert_output "$(printf '{"x":%s}\n' 12.50 1000.00)"
	run -0 jq -r '.code + " " + .reason' r.ndjson
	assert_line --index 0 "SCALE field 'x': more than 2 decimals: \"2.675\""
	assert_equal "${#lines[@]}" 5
}

@test "dmo-clean: booleans from the documented spellings, and x-dmo-true/x-dmo-false" {
	schema '"b":{"type":"boolean"}'
	printf '%s\n' b true TRUE True t Y yes On 1 false F no OFF 0 ' n ' 2 ja >in.csv
	run -1 --separate-stderr dmo-clean -s s.json in.csv
	assert_output "$(printf '{"b":%s}\n' true true true true true true true true false false false false false false)"
	assert_equal "$stderr" "$(printf '%s\n' \
	    'dmo-clean: in.csv:16: field '\''b'\'': not a boolean: "2"' \
	    'dmo-clean: in.csv:17: field '\''b'\'': not a boolean: "ja"')"
	schema '"b":{"type":"boolean","x-dmo-true":["ja","oui"],"x-dmo-false":["nein","non"]}'
	printf 'b\nJA\nnon\nyes\n' >in.csv
	run -1 --separate-stderr dmo-clean -s s.json in.csv
	assert_output "$(printf '{"b":%s}\n' true false)"
	assert_equal "$stderr" 'dmo-clean: in.csv:4: field '\''b'\'': not a boolean: "yes"'
}

@test "dmo-clean: strings from numbers and booleans; 007 stays a string" {
	schema '"s":{"type":"string"}'
	printf '%s\n' '{"s":"007"}' '{"s":12.30}' '{"s":true}' '{"s":[1]}' >in.ndjson
	run -1 --separate-stderr dmo-clean -s s.json in.ndjson
	assert_output "$(printf '%s\n' '{"s":"007"}' '{"s":"12.30"}' '{"s":"true"}')"
	assert_equal "$stderr" "dmo-clean: in.ndjson:4: field 's': not a string: \"[1]\""
}

@test "dmo-clean: dates: leap days, formats, and what is not a date" {
	schema '"d":{"type":"string","format":"date","x-dmo-formats":["%d/%m/%Y","%Y-%m-%d"]}'
	printf '%s\n' d 29/02/2024 29/02/2000 2024-02-29 29/02/2023 29/02/1900 31/04/2024 2024-02-30 2024/02/01 >in.csv
	run -1 --separate-stderr dmo-clean -s s.json --rejects r.ndjson in.csv
	assert_output "$(printf '{"d":"%s"}\n' 2024-02-29 2000-02-29 2024-02-29)"
	run -0 jq -r .reason r.ndjson
	assert_output "$(printf '%s\n' \
	    'field '\''d'\'': not a date (not a leap year): "29/02/2023"' \
	    'field '\''d'\'': not a date (not a leap year): "29/02/1900"' \
	    'field '\''d'\'': not a date (day out of range for the month): "31/04/2024"' \
	    'field '\''d'\'': not a date (day out of range for the month): "2024-02-30"' \
	    'field '\''d'\'': not a date (matches none of the formats): "2024/02/01"')"
	run -0 jq -r .code r.ndjson
	assert_output "$(printf 'FORMAT\n%.0s' 1 2 3 4 5)"
}

@test "dmo-clean: date-times: offsets, Z, 24:00, and UTC out" {
	schema '"t":{"type":"string","format":"date-time"}'
	printf '%s\n' t 2024-06-01T12:00:00+05:30 2024-06-01T12:00:00Z \
	    '2024-06-01 12:00:00-0800' 2024-12-31T24:00:00Z 2024-06-01T12:00 \
	    2024-06-01T12:00:00.250Z 2024-06-01 2024-06-01T24:00:01Z \
	    2016-12-31T23:59:60Z 12:00:00 >in.csv
	run -1 --separate-stderr dmo-clean -s s.json --rejects r.ndjson in.csv
	assert_output "$(printf '{"t":"%s"}\n' 2024-06-01T06:30:00Z \
	    2024-06-01T12:00:00Z 2024-06-01T20:00:00Z 2025-01-01T00:00:00Z \
	    2024-06-01T12:00:00Z 2024-06-01T12:00:00.250Z 2024-06-01T00:00:00Z)"
	run -0 jq -r .reason r.ndjson
	assert_output "$(printf '%s\n' \
	    'field '\''t'\'': not a date-time (hour out of range): "2024-06-01T24:00:01Z"' \
	    'field '\''t'\'': not a date-time (leap seconds are not supported): "2016-12-31T23:59:60Z"' \
	    'field '\''t'\'': not a date-time (no date): "12:00:00"')"
}

@test "dmo-clean: a date-time in UTC is kept only in RFC 3339's layout; a comma becomes a point" {
	schema '"t":{"type":"string","format":"date-time"}'
	printf '%s\n' t 2024-06-01T12:00:00.5Z '"2024-06-01T12:00:00,5Z"' \
	    2024-06-01t12:00:00z '2024-06-01 12:00:00Z' \
	    2024-06-01T12:00:00.0000000000Z >in.csv
	run -0 dmo-clean -s s.json -C c.ndjson in.csv
	assert_output "$(printf '{"t":"%s"}\n' 2024-06-01T12:00:00.5Z \
	    2024-06-01T12:00:00.5Z 2024-06-01T12:00:00Z 2024-06-01T12:00:00Z \
	    2024-06-01T12:00:00.000000000Z)"
	run -0 jq -c '[.before, .rule]' c.ndjson
	assert_output "$(printf '%s\n' '["2024-06-01T12:00:00,5Z","date-time"]' \
	    '["2024-06-01t12:00:00z","date-time"]' \
	    '["2024-06-01 12:00:00Z","date-time"]' \
	    '["2024-06-01T12:00:00.0000000000Z","date-time"]')"
}

@test "dmo-clean: values the fast paths keep or retype come out as the general rules say" {
	# The bench schema on text values: canonical ones take the fast
	# paths, the others the general path; both in one stream, binary.
	cp "$REPO/bench/clean.schema.json" s.json
	printf '%s\n' \
	    '{"id":"1","name":"Ann Lee","email":"ann@example.com","city":"Osaka","amount":"1.50","qty":"0","ts":"2024-02-29T23:59:59Z","active":"true","note":"ok"}' \
	    '{"id":"007","name":" Ann  Lee ","email":"Ann@Example.COM","city":"Osaka","amount":"1.5","qty":"+3","ts":"2024-02-29T23:59:59+01:00","active":"yes","note":"a\u00a0 b"}' \
	    '{"id":"2","name":"","email":"","city":"","amount":"","qty":"","ts":"2024-01-01T00:00:00.250Z","active":"false","note":"","currency":"USD"}' \
	    '{"id":"3","name":"Ann","email":"ann@example.com","city":"Osaka ","amount":"1.50","qty":"3","ts":"2024-01-01T00:00:00Z","active":"true","note":"n"}' \
	    '{"id":"4","name":"Ann","email":"ann@example.com","city":"Osaka","amount":"-0.01","qty":"3","ts":"2024-01-01T00:00:00Z","active":"true","note":"n"}' \
	    >in.ndjson
	DMO_WIRE=binary dmo-extract in.ndjson >in.bin
	run -1 --separate-stderr dmo-clean -s s.json --rejects r.ndjson in.ndjson
	want=$output
	run -1 --separate-stderr dmo-clean -s s.json --rejects r.ndjson in.bin
	assert_output "$want"
	assert_output '{"id":1,"name":"Ann Lee","email":"ann@example.com","city":"Osaka","amount":1.50,"qty":0,"ts":"2024-02-29T23:59:59Z","active":true,"note":"ok","currency":"EUR"}
{"id":7,"name":"Ann Lee","email":"ann@example.com","city":"Osaka","amount":1.50,"qty":3,"ts":"2024-02-29T22:59:59Z","active":true,"note":"a b","currency":"EUR"}
{"id":2,"name":null,"email":null,"city":null,"amount":null,"qty":null,"ts":"2024-01-01T00:00:00.250Z","active":false,"note":null,"currency":"USD"}'
	run -0 jq -r '.code + " " + .field' r.ndjson
	assert_output "ENUM city
RANGE amount"
	# Binary frames out, back to NDJSON: the same records.
	DMO_WIRE=binary dmo-clean -s s.json --rejects r2.ndjson in.bin \
	    >out.bin || [ $? -eq 1 ]
	run -0 dmo-load <out.bin
	assert_output "$(dmo-clean -s s.json --rejects r3.ndjson in.ndjson)"
}

@test "dmo-clean: named time zones: DST gaps move on, overlaps take the earlier, or reject" {
	schema '"t":{"type":"string","format":"date-time","x-dmo-timezone":"Europe/London","x-dmo-formats":"%Y-%m-%d %H:%M"}'
	printf '%s\n' t '2024-01-15 12:00' '2024-07-15 12:00' '2024-03-31 01:30' '2024-10-27 01:30' >in.csv
	run -0 dmo-clean -s s.json in.csv
	assert_output "$(printf '{"t":"%s"}\n' 2024-01-15T12:00:00Z \
	    2024-07-15T11:00:00Z 2024-03-31T01:30:00Z 2024-10-27T00:30:00Z)"
	schema '"t":{"type":"string","format":"date-time","x-dmo-timezone":"Europe/London","x-dmo-dst":"later","x-dmo-formats":"%Y-%m-%d %H:%M"}'
	run -0 dmo-clean -s s.json in.csv
	assert_line --index 3 '{"t":"2024-10-27T01:30:00Z"}'
	schema '"t":{"type":"string","format":"date-time","x-dmo-timezone":"Europe/London","x-dmo-dst":"reject","x-dmo-formats":"%Y-%m-%d %H:%M"}'
	run -1 --separate-stderr dmo-clean -s s.json in.csv
	assert_equal "$stderr" "$(printf '%s\n' \
	    "dmo-clean: in.csv:4: field 't': not a date-time (the wall time is skipped or repeated in Europe/London): \"2024-03-31 01:30\"" \
	    "dmo-clean: in.csv:5: field 't': not a date-time (the wall time is skipped or repeated in Europe/London): \"2024-10-27 01:30\"")"
	schema '"t":{"type":"string","format":"date-time","x-dmo-output-timezone":"Asia/Kolkata"}'
	printf '%s\n' t 2024-06-01T00:00:00Z >in.csv
	run -0 dmo-clean -s s.json in.csv
	assert_output '{"t":"2024-06-01T05:30:00+05:30"}'
}

@test "dmo-clean: times keep their offset; 24:00 alone is no time" {
	schema '"t":{"type":"string","format":"time"}'
	printf '%s\n' t 09:30 09:30:15.5 '23:59:59+05:30' 24:00:00 25:00 >in.csv
	run -1 --separate-stderr dmo-clean -s s.json in.csv
	assert_output "$(printf '{"t":"%s"}\n' 09:30:00 09:30:15.5 23:59:59+05:30)"
	assert_line --index 0 --partial '"09:30:00"'
	assert_equal "${#stderr_lines[@]}" 2
	assert_equal "${stderr_lines[0]}" "dmo-clean: in.csv:5: field 't': not a time (24:00 is the end of a day: a date is needed): \"24:00:00\""
}

@test "dmo-clean: every reject reason, with its code, field and value in --rejects" {
	run -1 --separate-stderr dmo-clean -s people.schema.json --rejects r.ndjson bad-people.ndjson
	run -0 jq -c '[.line, .code, .field, .value]' r.ndjson
	cp r.ndjson "$BATS_TEST_TMPDIR/out"
	golden reasons
}

@test "dmo-clean: invalid UTF-8 is ENCODING, a ragged row RAGGED, bad JSON READ" {
	printf 'a,b\n1,2\n\xff,3\n4,5,6\n' >in.csv
	printf '{"a":1}\n{"a":\n' >in.ndjson
	run -1 --separate-stderr dmo-clean --rejects r.ndjson in.csv in.ndjson
	run -0 jq -c '[.source, .line, .code]' r.ndjson
	assert_output "$(printf '%s\n' '["in.csv",3,"ENCODING"]' '["in.csv",4,"RAGGED"]' '["in.ndjson",2,"READ"]')"
	run -0 dmo-clean --invalid-utf8 replace --ragged truncate in.csv
	assert_output "$(printf '{"a":"1","b":"2"}\n{"a":"\xef\xbf\xbd","b":"3"}\n{"a":"4","b":"5"}')"
}

@test "dmo-clean: --ragged join mends a row that a stray line break split" {
	printf 'id,name,note,n\n1,Ada,fine,1\n2,Bob,12 Main St\nApt 4,2\n3,Cy,"quoted, ok",3\n4,Di\n5,Ed,x,5\n6,Fay,a\n,6\n7,Gus\n' >in.csv
	run -1 --separate-stderr dmo-clean --ragged join -C ch.ndjson --rejects r.ndjson --stats st.json in.csv
	assert_output "$(printf '%s\n' \
	    '{"id":"1","name":"Ada","note":"fine","n":"1"}' \
	    '{"id":"2","name":"Bob","note":"12 Main St Apt 4","n":"2"}' \
	    '{"id":"3","name":"Cy","note":"quoted, ok","n":"3"}' \
	    '{"id":"5","name":"Ed","note":"x","n":"5"}' \
	    '{"id":"6","name":"Fay","note":"a","n":"6"}')"
	run -0 cat ch.ndjson
	assert_output "$(printf '%s\n' \
	    '{"record":2,"source":"in.csv","line":3,"field":"note","before":"12 Main St\nApt 4","after":"12 Main St Apt 4","rule":"join"}' \
	    '{"record":6,"source":"in.csv","line":8,"field":"note","before":"a\n","after":"a","rule":"join"}')"
	run -0 jq -c '[.line, .code, .raw]' r.ndjson
	assert_output "$(printf '%s\n' '[6,"RAGGED","4,Di"]' '[10,"RAGGED","7,Gus"]')"
	run -0 jq -c '[.records_in, .records_out, .rejected]' st.json
	assert_output '[7,5,2]'
}

@test "dmo-clean: --invalid-utf8 keep passes the bytes on in binary frames" {
	printf 'a,b\n1,x\xffy\n' >in.csv
	dmo-clean --invalid-utf8 keep -B in.csv >out.bin
	grep -q $'x\xffy' out.bin || fail "the byte was not kept"
	run -0 bash -c 'dmo-clean --invalid-utf8 keep -t --nfc --case upper < out.bin | od -An -c | tr -s " "'
	assert_output "$(printf '{"a":"1","b":"x\xef\xbf\xbdy"}\n' | od -An -c | tr -s ' ')"
	run -1 --separate-stderr dmo-clean out.bin
	assert_equal "$stderr" "dmo-clean: out.bin:1: field 'b': invalid UTF-8 at byte 31: \"x\\xffy\""
	run -2 --separate-stderr dmo-clean --invalid-utf8 drop in.csv
	assert_equal "${stderr_lines[0]}" "dmo-clean: option '--invalid-utf8': not reject, replace or keep: \"drop\""
}

@test "dmo-clean: without --rejects, reasons go to stderr in the house format" {
	schema '"age":{"type":"integer"}' '"required":["age"],"additionalProperties":false'
	printf '%s\n' '{"age":"x"}' '{"name":"Ada"}' '{}' '{"age":null}' >in.ndjson
	run -1 --separate-stderr dmo-clean -s s.json in.ndjson
	assert_output ''
	assert_equal "$stderr" "$(printf '%s\n' \
	    "dmo-clean: in.ndjson:1: field 'age': not an integer: \"x\"" \
	    "dmo-clean: in.ndjson:2: field 'name': not in the schema (additionalProperties is false): \"Ada\"" \
	    "dmo-clean: in.ndjson:3: field 'age': required but missing" \
	    "dmo-clean: in.ndjson:4: field 'age': required but null: null")"
}

@test "dmo-clean: --max-rejects: N rejects pass at N and fail at N-1; percentages too" {
	schema '"n":{"type":"integer"}'
	printf 'n\n1\nx\n2\ny\n' >in.csv
	run -0 --separate-stderr dmo-clean -s s.json --max-rejects 2 --stats st.json in.csv
	run -0 jq -c '[.records_in, .records_out, .rejected, .status]' st.json
	assert_output '[4,2,2,0]'
	run -1 --separate-stderr dmo-clean -s s.json --max-rejects 1 in.csv
	assert_equal "${#lines[@]}" 2
	run -0 --separate-stderr dmo-clean -s s.json --max-rejects 50% in.csv
	run -1 --separate-stderr dmo-clean -s s.json --max-rejects 49.9% in.csv
}

# --- schema errors -----------------------------------------------------

@test "dmo-clean: schema errors name the keyword's place and exit 2" {
	check() {
		printf '%s\n' "$1" >bad.json
		run -2 --separate-stderr dmo-clean -s bad.json people.csv
		assert_equal "$output" ''
		assert_equal "$stderr" "dmo-clean: bad.json: $2"
	}
	check '{"properties":{"age":{"type":"integer","minimun":0}}}' \
	    "properties.age: unknown keyword 'minimun'"
	check '{"type":"object","oneOf":[]}' "unknown keyword 'oneOf'"
	check '{"properties":{"a":{"type":"int"}}}' 'properties.a: unknown type "int"'
	check '{"properties":{"a":{"type":"string","pattern":"(["}}}' \
	    'properties.a: '\''pattern'\'' "([": Invalid regular expression'
	check '{"properties":{"a":{"type":"string","format":"date","x-dmo-timezone":"Mars/Olympus"}}}' \
	    "properties.a: 'x-dmo-timezone': unknown time zone: \"Mars/Olympus\""
	check '{"properties":{"a":{"type":"string","format":"hostname"}}}' \
	    'properties.a: unsupported format "hostname"'
	check '{"properties":{"a":{"type":"string","x-dmo-scale":2}}}' \
	    "properties.a: 'x-dmo-scale' needs type number"
	check '{"required":["b"],"properties":{"a":{}}}' \
	    "required field 'b' is not in 'properties'"
	check '{"properties":{"a":{"x-dmo-from":"x"},"b":{"x-dmo-from":["x"]}}}' \
	    "input name 'x' is read by two properties"
	check '[]' 'a schema must be a JSON object'
	check '{"additionalProperties":{"type":"string"}}' \
	    "'additionalProperties' must be true or false"
	printf '{"properties":\n' >bad.json
	run -2 --separate-stderr dmo-clean -s bad.json people.csv
	[[ $stderr == "dmo-clean: bad.json:2:"* ]] || fail "stderr: $stderr"
	run -3 --separate-stderr dmo-clean -s nope.json people.csv
	assert_equal "$stderr" "dmo-clean: nope.json: cannot open: No such file or directory"
}

@test "dmo-clean: annotations are accepted; x-dmo-from renames; defaults fill missing fields" {
	schema '"name":{"type":"string","title":"Name","description":"who","examples":["Ada"],"x-dmo-from":["Customer Name","cust"]},"tier":{"type":"string","x-dmo-default":"basic"},"n":{"type":"integer","x-dmo-default":0}' \
	    '"$id":"https://example.com/s","$comment":"test"'
	printf '%s\n' '{"Customer Name":"Ada","n":null}' '{"cust":"Bob","tier":"gold","n":"5"}' >in.ndjson
	run -0 dmo-clean -s s.json in.ndjson
	assert_output "$(printf '%s\n' '{"name":"Ada","n":0,"tier":"basic"}' '{"name":"Bob","tier":"gold","n":5}')"
}

@test "dmo-clean: enum and const compare JSON values, numbers by value" {
	schema '"n":{"enum":[1,2.5,"x",null,true]},"c":{"const":"EUR"}'
	printf '%s\n' '{"n":1.0,"c":"EUR"}' '{"n":2.50,"c":"EUR"}' '{"n":"x","c":"EUR"}' \
	    '{"n":null,"c":"EUR"}' '{"n":true,"c":"EUR"}' '{"n":"1","c":"EUR"}' '{"n":3,"c":"EUR"}' '{"n":1,"c":"USD"}' >in.ndjson
	run -1 --separate-stderr dmo-clean -s s.json --rejects r.ndjson in.ndjson
	assert_equal "${#lines[@]}" 5
	run -0 jq -c '[.code, .value]' r.ndjson
	assert_output "$(printf '%s\n' '["ENUM","1"]' '["ENUM",3]' '["CONST","USD"]')"
}

@test "dmo-clean: ranges compare exactly: minimum 0.1 is not 0.1000000000000000055" {
	schema '"x":{"type":"number","minimum":0.1,"exclusiveMaximum":1e3}'
	printf '%s\n' x 0.1 0.09999999999999999999 999.999999999999999999 1000 1e3 >in.csv
	run -1 --separate-stderr dmo-clean -s s.json --rejects r.ndjson in.csv
	assert_output "$(printf '{"x":%s}\n' 0.1 999.999999999999999999)"
	run -0 jq -r .reason r.ndjson
	assert_output "$(printf '%s\n' \
	    'field '\''x'\'': below the minimum 0.1: "0.09999999999999999999"' \
	    'field '\''x'\'': not below the exclusive maximum 1000: "1000"' \
	    'field '\''x'\'': not below the exclusive maximum 1000: "1e3"')"
}

@test "dmo-clean: lengths count code points; patterns are searched, not anchored" {
	schema '"s":{"type":"string","minLength":2,"maxLength":3,"pattern":"[0-9]"}'
	printf '%s\n' s 'z1' 'zö1' 'a' 'abcd1' 'xyz' >in.csv
	run -1 --separate-stderr dmo-clean -s s.json --rejects r.ndjson in.csv
	assert_output "$(printf '{"s":"%s"}\n' z1 zö1)"
	run -0 jq -c '[.code, .value]' r.ndjson
	assert_output "$(printf '%s\n' '["LENGTH","a"]' '["LENGTH","abcd1"]' '["PATTERN","xyz"]')"
}

@test "dmo-clean: formats email, uri, uuid, ipv4" {
	schema '"e":{"type":"string","format":"email"},"u":{"type":"string","format":"uri"},"i":{"type":"string","format":"uuid"},"p":{"type":"string","format":"ipv4"}'
	good='{"e":"a@b.example","u":"https://x.example/p?q=1","i":"123e4567-e89b-12d3-a456-426614174000","p":"10.0.0.1"}'
	printf '%s\n' "$good" \
	    '{"e":"a@","u":"https://x.example/p?q=1","i":"123e4567-e89b-12d3-a456-426614174000","p":"10.0.0.1"}' \
	    '{"e":"a@b.example","u":"x y","i":"123e4567-e89b-12d3-a456-426614174000","p":"10.0.0.1"}' \
	    '{"e":"a@b.example","u":"https://x.example/p?q=1","i":"123e4567","p":"10.0.0.1"}' \
	    '{"e":"a@b.example","u":"https://x.example/p?q=1","i":"123e4567-e89b-12d3-a456-426614174000","p":"10.0.0.256"}' >in.ndjson
	run -1 --separate-stderr dmo-clean -s s.json --rejects r.ndjson in.ndjson
	assert_output "$good"
	run -0 jq -r .reason r.ndjson
	assert_output "$(printf '%s\n' \
	    'field '\''e'\'': not an email address: "a@"' \
	    'field '\''u'\'': not a URI: "x y"' \
	    'field '\''i'\'': not a UUID: "123e4567"' \
	    'field '\''p'\'': not an IPv4 address: "10.0.0.256"')"
}

@test "dmo-clean: null needs \"null\" in the type; empty text is null for non-strings" {
	schema '"a":{"type":"integer"},"b":{"type":["integer","null"]},"s":{"type":"string"}'
	printf 'a,b,s\n1,,\n,2,x\n' >in.csv
	run -1 --separate-stderr dmo-clean -s s.json in.csv
	assert_output '{"a":1,"b":null,"s":""}'
	assert_equal "$stderr" "dmo-clean: in.csv:3: field 'a': null, not an integer: \"\""
}

# --- the change log ------------------------------------------------------

@test "dmo-clean: the change log has one line a changed value, none for rejected records" {
	schema '"n":{"type":"integer"}' '"x-dmo-trim":true'
	printf '%s\n' '{"n":" 1 ","s":"a"}' '{"n":"x","s":" b "}' '{"n":2,"s":" c"}' >in.ndjson
	run -1 --separate-stderr dmo-clean -s s.json -C ch.ndjson in.ndjson
	run -0 cat ch.ndjson
	assert_output "$(printf '%s\n' \
	    '{"record":1,"source":"in.ndjson","line":1,"field":"n","before":" 1 ","after":1,"rule":"trim,integer"}' \
	    '{"record":3,"source":"in.ndjson","line":3,"field":"s","before":" c","after":"c","rule":"trim"}')"
	run -0 --separate-stderr dmo-clean -E -C - <<<'{"a":"","b":1}'
	assert_output '{"b":1}'
	assert_equal "$stderr" '{"record":1,"source":"<stdin>","line":1,"field":"a","before":"","rule":"drop-empty"}'
}

@test "dmo-clean: -C to a file that cannot be written exits 3" {
	run -3 --separate-stderr dmo-clean -C /nonexistent/dir/ch.ndjson people.csv
	assert_equal "$stderr" "dmo-clean: /nonexistent/dir/ch.ndjson: No such file or directory"
	run -3 --separate-stderr dmo-clean -t -C /dev/full people.csv
	[[ $stderr == *"No space left on device"* ]] || fail "stderr: $stderr"
}

# --- dedupe --------------------------------------------------------------

@test "dmo-clean: -D drops repeated records, -k repeated keys, after cleaning" {
	schema '"id":{"type":"integer"}'
	printf 'id,v\n1,a\n001,a\n2,b\n2,c\n1,a\n' >in.csv
	run -0 --separate-stderr dmo-clean -s s.json -D --rejects r.ndjson --stats st.json in.csv
	assert_output "$(printf '%s\n' '{"id":1,"v":"a"}' '{"id":2,"v":"b"}' '{"id":2,"v":"c"}')"
	run -0 jq -c '[.line, .code, .reason]' r.ndjson
	assert_output "$(printf '%s\n' '[3,"DUPLICATE","duplicate record"]' '[6,"DUPLICATE","duplicate record"]')"
	run -0 jq -c '[.records_in, .records_out, .rejected, .dropped, .status]' st.json
	assert_output '[5,3,2,2,0]'
	run -0 --separate-stderr dmo-clean -s s.json -k id --rejects r.ndjson in.csv
	assert_output "$(printf '%s\n' '{"id":1,"v":"a"}' '{"id":2,"v":"b"}')"
	run -0 jq -c '[.line, .field, .value]' r.ndjson
	assert_output "$(printf '%s\n' '[3,"id",1]' '[5,"id",2]' '[6,"id",1]')"
	run -0 dmo-clean -k v,nope in.csv
	assert_equal "${#lines[@]}" 3
}

@test "dmo-clean: exact dedupe across spills to disk finds every duplicate" {
	seq 1 60000 | awk '{ printf "{\"k\":\"key-%d\"}\n", $1 % 40000 }' >in.ndjson
	run -0 --separate-stderr dmo-clean -k k --dedupe-memory 64K -v --stats st.json in.ndjson
	assert_equal "${#lines[@]}" 40000
	[[ ${stderr_lines[0]} =~ ^dmo-clean:\ dedupe:\ 40000\ keys,\ ([0-9]+)\ spills,\ ([0-9]+)\ merge ]] ||
	    fail "stderr: $stderr"
	[ "${BASH_REMATCH[1]}" -gt 16 ] || fail "only ${BASH_REMATCH[1]} spills"
	[ "${BASH_REMATCH[2]}" -gt 0 ] || fail "no merge"
	run -0 jq -c '[.records_in, .records_out, .dropped]' st.json
	assert_output '[60000,40000,20000]'
	# Spill files are gone.
	run -0 find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'dmo-dedupe.*' -newer in.ndjson
	assert_output ''
}

@test "dmo-clean: approximate dedupe never misses a duplicate" {
	seq 1 20000 | awk '{ printf "{\"k\":%d}\n", $1 % 5000 }' >in.ndjson
	run -0 dmo-clean -k k --dedupe-approx 0.1% in.ndjson
	# At most 0.1% of the 5000 distinct keys may be lost as false positives.
	[ "${#lines[@]}" -le 5000 ] && [ "${#lines[@]}" -ge 4990 ] || fail "${#lines[@]} lines"
	run -2 dmo-clean -k k --dedupe-approx 1.5 in.ndjson
	assert_line --index 0 "dmo-clean: option '--dedupe-approx': not a rate between 0 and 1: \"1.5\""
	run -2 dmo-clean --dedupe-approx 0.1 in.ndjson
	assert_line --index 0 "dmo-clean: the '--dedupe-' options need '--dedupe' or '--dedupe-key'"
}

@test "dmo-clean: --dedupe-window by count and by time" {
	printf '{"k":%s}\n' a b c a d e f a >in.ndjson
	sed -i 's/:\([a-z]\)}/:"\1"}/' in.ndjson
	run -0 dmo-clean -k k --dedupe-window 3 in.ndjson
	assert_output "$(printf '{"k":"%s"}\n' a b c d e f a)"
	run -0 dmo-clean -k k --dedupe-window 1h in.ndjson
	assert_output "$(printf '{"k":"%s"}\n' a b c d e f)"
	# A window of 0.2 s: the same key a second later is new again.
	run -0 bash -c '{ echo "{\"k\":1}"; echo "{\"k\":1}"; sleep 1; echo "{\"k\":1}"; } |
	    dmo-clean -k k --dedupe-window 200ms'
	assert_output "$(printf '{"k":1}\n{"k":1}')"
	run -2 dmo-clean -k k --dedupe-window 0 in.ndjson
	assert_line --index 0 "dmo-clean: option '--dedupe-window': not a count or a time: \"0\""
}

# --- streams, binary, hostile input ----------------------------------------

@test "dmo-clean: control frames pass; untouched values keep their bytes in binary" {
	printf '%s\n' '{"n":12.30,"big":18446744073709551616,"s":" x "}' >in.ndjson
	DMO_WIRE=binary dmo-extract in.ndjson >in.bin
	DMO_WIRE=binary dmo-clean in.bin >out.bin
	cmp in.bin out.bin
	run -0 bash -c 'DMO_WIRE=binary dmo-clean -t in.bin | dmo-clean'
	assert_output '{"n":12.30,"big":18446744073709551616,"s":"x"}'
}

@test "dmo-clean: NUL bytes, huge values and long names survive" {
	head -c 3000000 /dev/zero | tr '\0' 'x' >big.txt
	{ printf '{"a":"%s","b":"x\\u0000y","%s":1}\n' "$(cat big.txt)" "$(head -c 5000 big.txt)"; } >in.ndjson
	run -0 dmo-clean -t --nfc --case upper in.ndjson
	[ "${#output}" -gt 3000000 ] || fail "short output"
	[[ $output == *'"b":"X\u0000Y"'* ]] || fail "NUL lost"
}

# Wait until file $1 has $2 lines (at most 4 s); prints the time taken.
wait_lines() {
	local i
	for ((i = 0; i < 400; i++)); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.01
	done
	echo "# $1: $(wc -l <"$1") lines, waited for $2"
	return 1
}

@test "dmo-clean: each record leaves as soon as it arrives (streaming)" {
	schema '"n":{"type":"integer"}'
	mkfifo in
	dmo-clean -s s.json -k n <in >out 2>err 3>&- &
	local pid=$!
	exec 5>in
	printf '{"n":"1"}\n' >&5
	wait_lines out 1 || fail "record 1 did not come through"
	printf '{"n":"1"}\n{"n":"2"}\n' >&5
	wait_lines out 2 || fail "record 2 did not come through"
	printf '{"n":"x"}\n{"n":"3"}\n' >&5
	wait_lines out 3 || fail "record 3 did not come through"
	exec 5>&-
	wait "$pid" || true
	run -0 cat out
	assert_output "$(printf '{"n":%s}\n' 1 2 3)"
	run -0 cat err
	assert_output "dmo-clean: <stdin>:4: field 'n': not an integer: \"x\""
}

@test "dmo-clean: usage errors" {
	run -2 --separate-stderr dmo-clean --dedupe-memory 1K -D people.csv
	assert_equal "${stderr_lines[0]}" "dmo-clean: option '--dedupe-memory': not a size of 64K or more: \"1K\""
	run -2 --separate-stderr dmo-clean -k a --dedupe-approx 0.1 --dedupe-window 5 people.csv
	assert_equal "${stderr_lines[0]}" "dmo-clean: options '--dedupe-approx' and '--dedupe-window' exclude each other"
	run -2 --separate-stderr dmo-clean --ragged glue people.csv
	assert_equal "${stderr_lines[0]}" "dmo-clean: option '--ragged': not reject, pad, truncate or join: \"glue\""
	run -2 --separate-stderr dmo-clean -f xml people.csv
	assert_equal "${stderr_lines[0]}" "dmo-clean: option '--format': unknown format: \"xml\""
}
