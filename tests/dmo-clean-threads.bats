#!/usr/bin/env bats
# dmo-clean-threads.bats - dmo-clean --threads: what several threads
# write is what one thread writes, byte for byte, rejects, change log,
# dedupe, limits and control frames included; and records still stream.
# SPDX-License-Identifier: BSD-2-Clause

load test_helper

FIX="$BATS_TEST_DIRNAME/fixtures/clean"
PROG=dmo-clean
USAGE="usage: dmo-clean [-BDeEStv] [-C file] [-f format] [-k fields] [-n token] [-s schema] [--threads n] [file ...]"
TRY="Try 'dmo-clean --help' for more information."

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	cp "$FIX"/* .
}

# messy N: N people records (several batches' worth) for
# people.schema.json: most clean up, some reject (TYPE, REQUIRED,
# PATTERN, RANGE, ENCODING-free), some repeat an id, some are empty.
messy() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++) {
			if (i % 97 == 0) { print "{}"; continue }
			id = (i % 11 == 0) ? i - 1 : i
			if (i % 7 == 0) id = "\"x" i "\""
			else id = "\"00" id "\""
			code = (i % 13 == 0) ? "ab123" : "AB123"
			age = (i % 17 == 0) ? 150 : i % 120
			printf "{\"id\":%s,\"name\":\"  n  %d \",\"email\":\"E%d@X.example\",\"age\":\"%d\",\"balance\":\"%d.005\",\"joined\":\"0%d/02/2020\",\"active\":\"yes\",\"code\":\"%s\",\"Country\":\"no\"}\n", id, i % 37, i, age, i, i % 9 + 1, code
		}
	}'
}

# both ARGS...: run dmo-clean ARGS with --threads 1 and --threads 4,
# keeping stdout, stderr, --rejects, --changes and --stats (less the
# seconds) of each in out.T, err.T, rej.T, chg.T, stats.T, and the exit
# status in rc.T; then compare them.
both() {
	local t rc
	for t in 1 4; do
		rm -f rej chg stats
		rc=0
		dmo-clean --threads $t --rejects rej -C chg --stats stats "$@" \
		    >out.$t 2>err.$t || rc=$?
		echo $rc >rc.$t
		mv rej rej.$t
		mv chg chg.$t
		jq -c 'del(.seconds)' stats >stats.$t
	done
	for f in rc out err rej chg stats; do
		cmp $f.1 $f.4 || fail "$f differs with 4 threads"
	done
}

@test "dmo-clean --threads: the same output, rejects, change log and stats as one thread" {
	messy 5000 >in.ndjson
	both -s people.schema.json --max-rejects 100% in.ndjson
	assert_equal "$(cat rc.4)" 0
	# Not vacuous: every kind of line is there, in input order.
	[ "$(wc -l <out.4)" -gt 3000 ] || fail "few records out"
	[ "$(wc -l <rej.4)" -gt 1000 ] || fail "few rejects"
	[ "$(wc -l <chg.4)" -gt 10000 ] || fail "short change log"
	assert_equal "$(jq -r .code rej.4 | sort -u | tr '\n' ' ')" "PATTERN RANGE REQUIRED TYPE "
	jq -r .record chg.4 | sort -c -n
	assert_equal "$(head -1 chg.4 | jq -c '[.record, .field]')" '[1,"id"]'
	assert_equal "$(jq -c '[.records_in, .status]' stats.4)" '[5000,0]'
}

@test "dmo-clean --threads: dedupe, dropped empty records and the NDJSON and binary writers agree" {
	messy 4000 >in.ndjson
	both -s people.schema.json -k id --max-rejects 100% in.ndjson
	[ "$(jq -r 'select(.code == "DUPLICATE") | .code' rej.4 | wc -l)" -gt 150 ] ||
	    fail "few duplicates"
	both -D -e -t --nfc --case lower -n '' in.ndjson
	[ "$(grep -c EMPTY rej.4)" -eq 41 ]
	both -B -s people.schema.json --max-rejects 100% in.ndjson
	[ "$(wc -c <out.4)" -gt 100000 ] || fail "short binary output"
	DMO_WIRE=binary dmo-extract in.ndjson >in.bin
	both -B -s people.schema.json --max-rejects 100% in.bin
	both -s people.schema.json --max-rejects 100% in.bin
}

@test "dmo-clean --threads: over --max-rejects, and a write error that stops the run, as one thread" {
	messy 5000 >in.ndjson
	both -s people.schema.json --max-rejects 300 in.ndjson
	assert_equal "$(cat rc.4)" 1
	[ "$(wc -l <rej.4)" -gt 1000 ] || fail "few rejects"
	assert_equal "$(jq -c '[.records_in, .status]' stats.4)" '[5000,1]'
	# Without --rejects, the reasons on stderr are the same, in order.
	for t in 1 4; do
		run -1 --separate-stderr dmo-clean --threads $t -s people.schema.json \
		    --max-rejects 0.5% in.ndjson
		printf '%s\n' "$output" >o$t
		printf '%s\n' "$stderr" >e$t
	done
	cmp o1 o4
	cmp e1 e4
	[ "$(wc -l <e4)" -gt 50 ]
	# The output cannot be written: the run stops at the same record.
	for t in 1 4; do
		run -3 bash -c "dmo-clean --threads $t -s people.schema.json \
		    --rejects rej --stats st in.ndjson >/dev/full"
		printf '%s\n' "$output" >e$t
		mv rej rej$t
		mv st st$t
	done
	assert_equal "$(head -1 e4)" "dmo-clean: <stdout>: write error: No space left on device"
	cmp rej1 rej4
	cmp e1 e4
	assert_equal "$(jq -c 'del(.seconds)' st1)" "$(jq -c 'del(.seconds)' st4)"
	[ "$(jq .records_in st4)" -lt 5000 ] || fail "did not stop early"
}

@test "dmo-clean --threads: a control frame keeps its place among the records" {
	messy 3000 >in.ndjson
	DMO_WIRE=binary dmo-extract in.ndjson >plain.bin
	# A checkpoint frame 'c' of 3 bytes after the 1500th frame.
	python3 - plain.bin ctl.bin <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
out, pos, k = bytearray(b[:10]), 10, 0
while pos < len(b):
    n = struct.unpack("<I", b[pos + 1:pos + 5])[0]
    out += b[pos:pos + 5 + n]
    pos += 5 + n
    k += 1
    if k == 1500:
        out += b"c\x03\x00\x00\x00abc"
open(sys.argv[2], "wb").write(out)
PY
	both -B -s people.schema.json --max-rejects 100% ctl.bin
	grep -q -a 'abc' out.4 || fail "the control frame is gone"
	# Records before it are before it, records after it after it.
	python3 - out.4 <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
pos, before, after, seen = 10, 0, 0, False
while pos < len(b):
    t, n = b[pos:pos + 1], struct.unpack("<I", b[pos + 1:pos + 5])[0]
    if t == b"c":
        seen = True
    elif t == b"R":
        if seen:
            after += 1
        else:
            before += 1
    pos += 5 + n
assert seen and before > 500 and after > 500, (before, after)
PY
}

@test "dmo-clean --threads: --fill-down and --ragged join give what one thread gives" {
	printf 'id,city\n1,Oslo\n2,\n3,\n4,Roma\n5,\n' >f.csv
	for i in $(seq 1 2000); do printf '%d,\n' $((i + 5)); done >>f.csv
	both --fill-down city f.csv
	[ "$(tail -1 out.4)" = '{"id":"2005","city":"Roma"}' ]
	{ printf 'id,note,city\n'
	  for i in $(seq 1 3000); do
		if ((i % 100 == 0)); then printf '%d,a\nb,Oslo\n' $i
		else printf '%d,x,Oslo\n' $i; fi
	  done; } >r.csv
	both --ragged join r.csv
	[ "$(grep -c '"note":"a b"' out.4)" -eq 30 ]
}

@test "dmo-clean --threads: a record leaves before the input ends" {
	schema_file='{"type":"object","properties":{"n":{"type":"integer"}}}'
	printf '%s\n' "$schema_file" >s.json
	mkfifo in out
	dmo-clean --threads 4 -s s.json <in >out &
	pid=$!
	exec 7>in 8<out
	printf '{"n":"1"}\n' >&7
	read -r line <&8
	printf '{"n":"2"}\n' >&7
	read -r line2 <&8
	exec 7>&- 8<&-
	wait "$pid"
	assert_equal "$line" '{"n":1}'
	assert_equal "$line2" '{"n":2}'
}

@test "dmo-clean --threads takes a number from 1 to 256" {
	usage_error "option '--threads': not a number from 1 to 256: \"0\"" --threads 0 people.csv
	usage_error "option '--threads': not a number from 1 to 256: \"-1\"" --threads -1 people.csv
	usage_error "option '--threads': not a number from 1 to 256: \"257\"" --threads 257 people.csv
	usage_error "option '--threads': not a number from 1 to 256: \"x\"" --threads x people.csv
	usage_error "option '--threads': not a number from 1 to 256: \"\"" --threads '' people.csv
	run -0 dmo-clean --threads 256 -t people.csv
	run -0 dmo-clean --threads=1 -t people.csv
}

@test "dmo-clean --threads: frames the pool encodes are the writer's, for every kind of value" {
	head -c 3000000 /dev/zero | tr '\0' 'x' >big.txt
	{
		for i in $(seq 1 3000); do
			printf '{"s":" v%d ","n":%d.50,"z":-0,"b":true,"f":false,"u":null,"o":{"k":[1,2]},"e":"","nul":"a\\u0000b","long":"%s","u8":"Zürich \\ud83d\\ude00"}\n' \
			    "$i" "$i" "$(head -c $((i % 70)) big.txt)"
		done
		printf '{"s":"%s","n":1}\n' "$(cat big.txt)"
		printf '{"s":" last ","n":2}\n'
	} >in.ndjson
	both -B -t in.ndjson
	both -B in.ndjson
	DMO_WIRE=binary dmo-extract in.ndjson >in.bin
	both -B -t --case upper in.bin
	# The frames decode to what one thread writes as NDJSON.
	dmo-clean --threads 1 -t in.bin >want
	dmo-clean --threads 4 -B -t in.bin | dmo-clean --threads 1 >got
	cmp want got
	[ "$(wc -l <got)" -eq 3002 ]
}
