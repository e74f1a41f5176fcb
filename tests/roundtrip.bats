#!/usr/bin/env bats
# roundtrip.bats - fidelity end to end: CSV -> NDJSON -> CSV and NDJSON ->
# binary -> NDJSON byte for byte, on the sample data and on 100,000
# generated rows; a 100 MB field; 100,000 levels of nesting; binary
# streams cut at every byte; input in 1-byte and random-sized chunks.
# SPDX-License-Identifier: BSD-2-Clause
#
# setup_file generates the large inputs with awk (and the NDJSON that
# dmo-extract must make of them, independently of dmo) and compiles
# `trickle`, which copies stdin to stdout in chunks of given sizes with a
# short pause after each, so that a reader sees partial records.  Nothing
# here is timed.

load test_helper

setup_file() {
	cd "$BATS_FILE_TMPDIR" || return 1
	set -e

	cat >trickle.c <<-'EOF'
	/* trickle - copy stdin to stdout in chunks of given sizes. */
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	#include <time.h>
	#include <unistd.h>

	/*
	 * usage: trickle N         chunks of N bytes
	 *        trickle r SEED M  chunks of 1..M bytes, sizes from SEED
	 * Each chunk is one write(2) and a pause of 50 microseconds, so that
	 * the reader mostly sees it as one read.
	 */
	int
	main(int argc, char *argv[])
	{
		static char buf[1 << 16];
		size_t have = 0, off = 0, max, k;
		unsigned long seed = 1;
		int random = 0;
		ssize_t r;
		struct timespec pause = { 0, 50000 };

		if (argc == 2)
			max = strtoul(argv[1], NULL, 10);
		else if (argc == 4 && strcmp(argv[1], "r") == 0) {
			random = 1;
			seed = strtoul(argv[2], NULL, 10);
			max = strtoul(argv[3], NULL, 10);
		} else {
			fprintf(stderr, "usage: trickle N | trickle r SEED MAX\n");
			return 2;
		}
		if (max == 0 || max > sizeof(buf))
			return 2;
		for (;;) {
			if (off == have) {
				r = read(0, buf, sizeof(buf));
				if (r <= 0)
					return r < 0;
				have = (size_t)r;
				off = 0;
			}
			k = max;
			if (random) {
				seed = seed * 1103515245 + 12345;
				k = 1 + (seed >> 16) % max;
			}
			if (k > have - off)
				k = have - off;
			if (write(1, buf + off, k) != (ssize_t)k)
				return 1;
			off += k;
			nanosleep(&pause, NULL);
		}
	}
	EOF
	${CC:-cc} -O2 -o trickle trickle.c

	# N rows of canonical CSV (quoted only where the writer must quote),
	# and the NDJSON that dmo-extract makes of them: quotes, commas,
	# newlines, CR LF, tabs, non-ASCII, empty fields, big numbers.
	cat >gen.awk <<-'EOF'
	function cq(s) {
		if (s ~ /[",\r\n]/) {
			gsub(/"/, "\"\"", s)
			return "\"" s "\""
		}
		return s
	}
	function jq(s) {
		gsub(/\\/, "\\\\", s)
		gsub(/"/, "\\\"", s)
		gsub(/\n/, "\\n", s)
		gsub(/\r/, "\\r", s)
		gsub(/\t/, "\\t", s)
		return "\"" s "\""
	}
	BEGIN {
		printf "id,name,amount,note,flag\n" >csv
		for (i = 1; i <= n; i++) {
			k = i % 7
			if (k == 0) name = "Smith, J" i
			else if (k == 1) name = "say \"hi\" " i
			else if (k == 2) name = "multi\nline " i
			else if (k == 3) name = "Zo\303\253 \303\221\303\272\303\261ez \346\227\245\346\234\254 \360\237\230\200 " i
			else if (k == 4) name = ""
			else if (k == 5) name = "plain" i
			else name = "tab\there " i
			k = i % 5
			if (k == 0) amount = "007"
			else if (k == 1) amount = sprintf("%d.%02d", i, i % 100)
			else if (k == 2) amount = ""
			else if (k == 3) amount = "-0"
			else amount = "18446744073709551616"
			if (i % 11 == 0) note = "c\r\nd"
			else if (i % 3 == 0) note = "a,b"
			else note = ""
			flag = i % 2 ? "true" : ""
			printf "%d,%s,%s,%s,%s\n", i, cq(name), cq(amount), \
			    cq(note), cq(flag) >csv
			printf "{\"id\":\"%d\",\"name\":%s,\"amount\":%s," \
			    "\"note\":%s,\"flag\":%s}\n", i, jq(name), \
			    jq(amount), jq(note), jq(flag) >ndjson
		}
	}
	EOF
	awk -v n=100000 -v csv=big.csv -v ndjson=big.ndjson -f gen.awk
	awk -v n=300 -v csv=medium.csv -v ndjson=medium.ndjson -f gen.awk

	# 100,000 levels of nesting, alternately arrays and objects; the
	# same value pretty-printed in a JSON document.
	awk 'BEGIN {
		d = 100000
		printf "{\"deep\":"
		for (i = 0; i < d; i++) printf "%s", (i % 2 ? "{\"k\":" : "[")
		printf "0"
		for (i = d; i-- > 0;) printf "%s", (i % 2 ? "}" : "]")
		print "}"
		print "{\"after\":true}"
	}' >deep.ndjson
	awk 'BEGIN {
		d = 100000
		printf "[\n {\n  \"deep\": "
		for (i = 0; i < d; i++) printf "%s", (i % 2 ? "{ \"k\" :\n" : "[ ")
		printf "0"
		for (i = d; i-- > 0;) printf "%s", (i % 2 ? " }" : "\n]")
		print "\n },\n {\"after\": true}\n]"
	}' >deep.json
}

# --- round trips -------------------------------------------------------------

@test "roundtrip: CSV -> NDJSON -> CSV is byte-identical on the sample data" {
	run -0 bash -c 'dmo-extract extract/sample.csv | dmo-load -f csv >"$1"' \
	    sh "$BATS_TEST_TMPDIR/back.csv"
	[ -z "$output" ]
	cmp extract/sample.csv "$BATS_TEST_TMPDIR/back.csv"
}

@test "roundtrip: NDJSON -> binary -> NDJSON is byte-identical on the sample data" {
	run -0 bash -c 'dmo-extract -B extract/sample.ndjson >"$1/s.dmo" &&
	    dmo-extract "$1/s.dmo" >"$1/back1" &&
	    dmo-extract <"$1/s.dmo" >"$1/back2" &&
	    dmo-load <"$1/s.dmo" >"$1/back3"' sh "$BATS_TEST_TMPDIR"
	[ -z "$output" ]
	cmp extract/sample.ndjson "$BATS_TEST_TMPDIR/back1"
	cmp extract/sample.ndjson "$BATS_TEST_TMPDIR/back2"
	cmp extract/sample.ndjson "$BATS_TEST_TMPDIR/back3"
	# The stream starts with the magic.
	[ "$(head -c 8 "$BATS_TEST_TMPDIR/s.dmo" | od -An -tx1 | tr -d ' ')" = 89444d4f0d0a1a0a ]
}

@test "roundtrip: DMO_WIRE=binary writes the same stream as -B" {
	dmo-extract -B extract/fidelity.ndjson >"$BATS_TEST_TMPDIR/b1"
	DMO_WIRE=binary dmo-extract extract/fidelity.ndjson >"$BATS_TEST_TMPDIR/b2"
	cmp "$BATS_TEST_TMPDIR/b1" "$BATS_TEST_TMPDIR/b2"
	dmo-extract "$BATS_TEST_TMPDIR/b1" >"$BATS_TEST_TMPDIR/back"
	dmo-extract extract/fidelity.ndjson | cmp - "$BATS_TEST_TMPDIR/back"
}

@test "roundtrip: every value type, lexeme and odd byte survives the binary wire" {
	local f
	for f in fidelity.ndjson array.json concatenated.json types.csv quoted.csv; do
		dmo-extract --max-rejects 100% "extract/$f" >"$BATS_TEST_TMPDIR/direct" 2>/dev/null
		dmo-extract -B --max-rejects 100% "extract/$f" 2>/dev/null |
		    dmo-extract >"$BATS_TEST_TMPDIR/wire"
		cmp "$BATS_TEST_TMPDIR/direct" "$BATS_TEST_TMPDIR/wire" || fail "$f"
	done
	dmo-extract -i extract/types.csv >"$BATS_TEST_TMPDIR/direct"
	dmo-extract -B -i extract/types.csv | dmo-extract >"$BATS_TEST_TMPDIR/wire"
	cmp "$BATS_TEST_TMPDIR/direct" "$BATS_TEST_TMPDIR/wire"
}

@test "roundtrip: 100,000 generated CSV rows become exactly the expected NDJSON" {
	run -0 bash -c 'dmo-extract "$1/big.csv" >"$2/out"' sh \
	    "$BATS_FILE_TMPDIR" "$BATS_TEST_TMPDIR"
	[ -z "$output" ]
	cmp "$BATS_FILE_TMPDIR/big.ndjson" "$BATS_TEST_TMPDIR/out"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 100000 ]
}

@test "roundtrip: 100,000 generated rows: CSV -> NDJSON -> CSV is byte-identical" {
	run -0 bash -c 'dmo-extract "$1/big.csv" | dmo-load -f csv >"$2/back.csv"' \
	    sh "$BATS_FILE_TMPDIR" "$BATS_TEST_TMPDIR"
	[ -z "$output" ]
	cmp "$BATS_FILE_TMPDIR/big.csv" "$BATS_TEST_TMPDIR/back.csv"
}

@test "roundtrip: 100,000 generated rows: NDJSON -> binary -> NDJSON is byte-identical" {
	run -0 bash -c 'dmo-extract -B "$1/big.ndjson" >"$2/big.dmo" &&
	    dmo-extract "$2/big.dmo" >"$2/back1" &&
	    dmo-load <"$2/big.dmo" >"$2/back2"' sh \
	    "$BATS_FILE_TMPDIR" "$BATS_TEST_TMPDIR"
	[ -z "$output" ]
	cmp "$BATS_FILE_TMPDIR/big.ndjson" "$BATS_TEST_TMPDIR/back1"
	cmp "$BATS_FILE_TMPDIR/big.ndjson" "$BATS_TEST_TMPDIR/back2"
}

@test "roundtrip: 100,000 generated rows: CSV -> binary -> CSV is byte-identical" {
	run -0 bash -c 'dmo-extract -B "$1/big.csv" | dmo-load -f csv >"$2/back.csv"' \
	    sh "$BATS_FILE_TMPDIR" "$BATS_TEST_TMPDIR"
	[ -z "$output" ]
	cmp "$BATS_FILE_TMPDIR/big.csv" "$BATS_TEST_TMPDIR/back.csv"
}

@test "roundtrip: a large CSV | head -1 stops quietly with status 0" {
	run -0 --separate-stderr bash -c \
	    'env --default-signal=PIPE dmo-extract "$1/big.csv" | head -n 1; echo "${PIPESTATUS[0]}"' \
	    sh "$BATS_FILE_TMPDIR"
	[ "${lines[0]}" = '{"id":"1","name":"say \"hi\" 1","amount":"1.01","note":"","flag":"true"}' ]
	[ "${lines[1]}" = 141 ]
	[ -z "$stderr" ]
}

# --- huge and deep ---------------------------------------------------------------

@test "roundtrip: a 100 MB CSV field comes out whole (checksum of the output field)" {
	local line want got
	cd "$BATS_TEST_TMPDIR"
	# Each line of the field: ten times 'ab,c"dé' (quotes doubled in
	# CSV, escaped in JSON) and a newline; 1,250,000 lines, 106 MB.
	line=$(printf 'ab,c""d\303\251%.0s' 1 2 3 4 5 6 7 8 9 10)
	{ printf 'id,big,after\n1,"'; yes "$line" | head -n 1250000; printf '",x\n'; } >huge.csv
	want=$({ printf '{"id":"1","big":"'
		yes "${line//\"\"/\\\"}\\n" | head -n 1250000 | tr -d '\n'
		printf '","after":"x"}\n'; } | sha256sum)
	run -0 --separate-stderr bash -c 'dmo-extract huge.csv | sha256sum'
	[ "$output" = "$want" ]
	[ -z "$stderr" ]
	rm huge.csv
}

@test "roundtrip: a 100 MB NDJSON field comes out whole, and through the binary wire" {
	local want
	cd "$BATS_TEST_TMPDIR"
	{ printf '{"id":1,"big":"'
	  yes $'ab,c\\"d\303\251\\t\\u0000' | head -n 6000000 | tr -d '\n'
	  printf '","after":12.30}\n{"id":2}\n'; } >huge.ndjson
	want=$(sha256sum <huge.ndjson)
	[ "$(wc -c <huge.ndjson)" -gt 100000000 ]
	run -0 --separate-stderr bash -c 'dmo-extract huge.ndjson | sha256sum'
	[ "$output" = "$want" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr bash -c 'dmo-extract -B huge.ndjson | dmo-extract | sha256sum'
	[ "$output" = "$want" ]
	[ -z "$stderr" ]
	rm huge.ndjson
}

@test "roundtrip: 100,000 levels of nesting pass through NDJSON and the binary wire" {
	run -0 bash -c 'dmo-extract "$1/deep.ndjson" >"$2/out" &&
	    dmo-extract -B "$1/deep.ndjson" | dmo-extract >"$2/wire"' \
	    sh "$BATS_FILE_TMPDIR" "$BATS_TEST_TMPDIR"
	[ -z "$output" ]
	cmp "$BATS_FILE_TMPDIR/deep.ndjson" "$BATS_TEST_TMPDIR/out"
	cmp "$BATS_FILE_TMPDIR/deep.ndjson" "$BATS_TEST_TMPDIR/wire"
}

@test "roundtrip: 100,000 levels of nesting in a pretty-printed JSON document" {
	run -0 bash -c 'dmo-extract "$1/deep.json" >"$2/out"' \
	    sh "$BATS_FILE_TMPDIR" "$BATS_TEST_TMPDIR"
	[ -z "$output" ]
	cmp "$BATS_FILE_TMPDIR/deep.ndjson" "$BATS_TEST_TMPDIR/out"
}

@test "roundtrip: 100,000 unclosed brackets are one reject; the next line is read" {
	cd "$BATS_TEST_TMPDIR"
	awk 'BEGIN { printf "{\"a\":"; for (i = 0; i < 100000; i++) printf "["; print ""; print "{\"b\":1}" }' >open.ndjson
	run -1 --separate-stderr dmo-extract open.ndjson
	[ "$output" = '{"b":1}' ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ ${stderr_lines[0]} == 'dmo-extract: open.ndjson:'*': invalid JSON: unexpected end of input' ]]
}

# --- binary streams cut short -------------------------------------------------

@test "roundtrip: a binary stream cut at every byte exits 1 or 3 with a message, inventing nothing" {
	local n i full rc lines
	cd "$BATS_TEST_TMPDIR"
	# A small stream with two schema frames, nested values and a string.
	printf '%s\n' '{"a":1,"b":"x\u0000"}' '{"a":2.50,"b":null}' \
	    '{"c":[1,{"d":true}]}' | dmo-extract -B >full.dmo
	dmo-extract full.dmo >full.out
	[ "$(wc -l <full.out)" -eq 3 ]
	n=$(wc -c <full.dmo)
	[ "$n" -gt 70 ]
	for ((i = 0; i < n; i++)); do
		head -c "$i" full.dmo >cut.dmo
		rc=0
		dmo-extract cut.dmo >cut.out 2>cut.err || rc=$?
		[ "$rc" -eq 1 ] || [ "$rc" -eq 3 ] ||
		    fail "cut at $i: status $rc: $(cat cut.err)"
		[ "$(wc -l <cut.err)" -eq 1 ] ||
		    fail "cut at $i: stderr: $(cat cut.err)"
		grep -q '^dmo-extract: cut\.dmo: truncated binary stream: ' cut.err ||
		    fail "cut at $i: message: $(cat cut.err)"
		head -c "$(wc -c <cut.out)" full.out | cmp -s - cut.out ||
		    fail "cut at $i: output is not a prefix of the whole stream's"
		[ ! -s cut.out ] || [ "$(tail -c 1 cut.out)" = "" ] ||
		    fail "cut at $i: a partial record"
		# The same cut through a pipe, where only the bytes tell.
		if [ "$i" -ge 4 ]; then
			rc=0
			dmo-extract <cut.dmo >pipe.out 2>pipe.err || rc=$?
			[ "$rc" -eq 1 ] || [ "$rc" -eq 3 ] ||
			    fail "stdin cut at $i: status $rc: $(cat pipe.err)"
			grep -q '^dmo-extract: <stdin>: truncated binary stream: ' pipe.err ||
			    fail "stdin cut at $i: message: $(cat pipe.err)"
			cmp -s cut.out pipe.out || fail "stdin cut at $i: output differs"
		fi
	done
	run -0 dmo-extract full.dmo
}

@test "roundtrip: a truncated binary stream names the records it had" {
	cd "$BATS_TEST_TMPDIR"
	dmo-extract -B "$REPO/tests/fixtures/extract/sample.ndjson" >full.dmo
	head -c "$(($(wc -c <full.dmo) - 1))" full.dmo >cut.dmo
	run -1 --separate-stderr dmo-extract cut.dmo
	[ "${#lines[@]}" -eq 6 ]
	[[ $stderr == 'dmo-extract: cut.dmo: truncated binary stream: '* ]]
}

# --- chunked input -------------------------------------------------------------

# Run dmo-extract on a file directly, then on the file through trickle in
# 1-byte chunks and in random-sized ones; outputs and messages must match.
same_when_trickled() {
	local f=$1 mode
	shift
	rm -f "$BATS_TEST_TMPDIR/direct.rc" "$BATS_TEST_TMPDIR/t.rc"
	dmo-extract "$@" <"$f" >"$BATS_TEST_TMPDIR/direct.out" \
	    2>"$BATS_TEST_TMPDIR/direct.err" || echo $? >"$BATS_TEST_TMPDIR/direct.rc"
	for mode in "1" "r 7 5" "r 11 97" "r 13 4096"; do
		# shellcheck disable=SC2086
		"$BATS_FILE_TMPDIR/trickle" $mode <"$f" |
		    dmo-extract "$@" >"$BATS_TEST_TMPDIR/t.out" \
		    2>"$BATS_TEST_TMPDIR/t.err" || echo $? >"$BATS_TEST_TMPDIR/t.rc"
		cmp "$BATS_TEST_TMPDIR/direct.out" "$BATS_TEST_TMPDIR/t.out" ||
		    fail "${f##*/} in chunks ($mode): output differs"
		cmp "$BATS_TEST_TMPDIR/direct.err" "$BATS_TEST_TMPDIR/t.err" ||
		    fail "${f##*/} in chunks ($mode): messages differ"
		[ "$(cat "$BATS_TEST_TMPDIR/direct.rc" 2>/dev/null)" = \
		    "$(cat "$BATS_TEST_TMPDIR/t.rc" 2>/dev/null)" ] ||
		    fail "${f##*/} in chunks ($mode): status differs"
		rm -f "$BATS_TEST_TMPDIR/t.rc"
	done
}

@test "roundtrip: CSV read in 1-byte and random-sized chunks gives the same output" {
	same_when_trickled "$BATS_FILE_TMPDIR/medium.csv"
	cmp "$BATS_FILE_TMPDIR/medium.ndjson" "$BATS_TEST_TMPDIR/direct.out"
	same_when_trickled extract/quoted.csv
	same_when_trickled extract/unterminated.csv
	same_when_trickled extract/types.csv -i
	same_when_trickled extract/ragged.csv -r pad
}

@test "roundtrip: NDJSON and JSON documents read in chunks give the same output" {
	same_when_trickled "$BATS_FILE_TMPDIR/medium.ndjson"
	same_when_trickled extract/fidelity.ndjson
	same_when_trickled extract/bad.ndjson
	# -f json: how the format is detected on a slow pipe is checked
	# below, on its own.
	same_when_trickled extract/array.json -f json
	same_when_trickled extract/concatenated.json -f json
	same_when_trickled extract/truncated.json -f json
}

@test "roundtrip: a binary stream read in chunks gives the same output" {
	dmo-extract -B "$BATS_FILE_TMPDIR/medium.ndjson" >"$BATS_TEST_TMPDIR/m.dmo"
	same_when_trickled "$BATS_TEST_TMPDIR/m.dmo" -f binary
	cmp "$BATS_FILE_TMPDIR/medium.ndjson" "$BATS_TEST_TMPDIR/direct.out"
}

# Send the first N bytes of a file, pause, then the rest: the reader's
# first read is short for sure.  The pause makes the condition, nothing
# is timed.
split_send() {
	head -c "$1" "$2"
	sleep 0.5
	tail -c +"$(($1 + 1))" "$2"
}

@test "roundtrip: the format is detected the same when the first read is one byte" {
	local f
	cd "$BATS_TEST_TMPDIR"
	dmo-extract -B "$REPO/tests/fixtures/extract/sample.ndjson" >s.dmo
	gzip -c "$REPO/tests/fixtures/extract/sample.csv" >s.csv.gz
	cp "$REPO/tests/fixtures/extract/concatenated.json" .
	cp "$REPO/tests/fixtures/extract/array.json" .
	for f in s.dmo s.csv.gz concatenated.json array.json; do
		dmo-extract <"$f" >direct.out 2>&1 || true
		split_send 1 "$f" | dmo-extract >split.out 2>&1 || true
		cmp direct.out split.out || fail "$f: $(head -n 2 split.out)"
	done
}

@test "roundtrip: CSV header sniffing on a pipe that pauses after the first line" {
	cd "$BATS_TEST_TMPDIR"
	printf '1,ada,12.5\n2,bob,7\n3,cy,8\n' >noheader.csv
	dmo-extract <noheader.csv >direct.out
	head -n 1 direct.out | grep -qx '{"field1":"1","field2":"ada","field3":"12.5"}'
	split_send 11 noheader.csv | dmo-extract >split.out
	cmp direct.out split.out
}
