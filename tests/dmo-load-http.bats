#!/usr/bin/env bats
# dmo-load-http.bats - http:// and https:// targets (common/http.c): records
# POSTed in batches to tests/http_server.py, which keeps them by "id",
# honours Idempotency-Key and fails when told to, or at random but
# reproducibly.
# SPDX-License-Identifier: BSD-2-Clause

load test_helper
load http_helper

setup_file() {
	http_server_start SINK
}

teardown_file() {
	http_server_stop SINK
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	U="http://127.0.0.1:$SINK_PORT"
	S="$U/sink/t$BATS_TEST_NUMBER"
	R=(--retry-delay 1ms)
	# n records {"id":i,"v":"xi"}
	gen() {
		awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		    printf "{\"id\":%d,\"v\":\"x%d\"}\n", i, i }'
	}
}

@test "dmo-load-http: records arrive in batches of --batch-size, as NDJSON" {
	gen 25 >in.ndjson
	run -0 --separate-stderr dmo-load --batch-size 10 "$S" in.ndjson
	[ "$stderr" = "" ]
	run -0 curl -sS "$S/log"
	[ "$output" = "200 10 application/x-ndjson
200 10 application/x-ndjson
200 5 application/x-ndjson" ]
	curl -sS "$S/dump" >held
	cmp in.ndjson held
}

@test "dmo-load-http: --body json sends JSON arrays" {
	gen 3 >in.ndjson
	run -0 dmo-load --body json --batch-size 2 "$S" <in.ndjson
	run -0 curl -sS "$S/log"
	[ "$output" = "200 2 application/json
200 1 application/json" ]
	curl -sS "$S/dump" >held
	cmp in.ndjson held
}

@test "dmo-load-http: --batch-bytes bounds a request's body" {
	gen 9 >in.ndjson
	# Each record is 20 bytes and a newline: two fit in 50 bytes.
	run -0 dmo-load --batch-bytes 50 "$S" in.ndjson
	run -0 curl -sS "$S/log"
	[ "$output" = "200 2 application/x-ndjson
200 2 application/x-ndjson
200 2 application/x-ndjson
200 2 application/x-ndjson
200 1 application/x-ndjson" ]
}

@test "dmo-load-http: values keep their text on the way" {
	printf '%s\n' '{"id":1,"n":12.30,"big":18446744073709551616,"s":"a\u0000b","o":{"k":[1,2]},"t":true,"z":null}' >in.ndjson
	printf '%s\n' '{"id":2,"e":"\u00e9\t\"q\"","neg":-0.0,"exp":1E+2}' >>in.ndjson
	run -0 dmo-load "$S" in.ndjson
	run -0 curl -sS "$S/log"
	[ "$output" = "200 2 application/x-ndjson" ]
	# The body is the records as dmo writes NDJSON: lexemes kept.
	curl -sS "$S/raw" >raw
	printf '%s\n' '{"id":1,"n":12.30,"big":18446744073709551616,"s":"a\u0000b","o":{"k":[1,2]},"t":true,"z":null}' \
	    '{"id":2,"e":"é\t\"q\"","neg":-0.0,"exp":1E+2}' >want
	cmp want raw
	run -0 dmo-load --body json "$U/sink/t${BATS_TEST_NUMBER}j" in.ndjson
	curl -sS "$U/sink/t${BATS_TEST_NUMBER}j/raw" >raw
	printf '[%s,%s]' '{"id":1,"n":12.30,"big":18446744073709551616,"s":"a\u0000b","o":{"k":[1,2]},"t":true,"z":null}' \
	    '{"id":2,"e":"é\t\"q\"","neg":-0.0,"exp":1E+2}' >want
	cmp want raw
}

@test "dmo-load-http: a refused batch goes to the rejects with the server's reason" {
	gen 6 | sed 's/"id":4,/"id":4,"reject":true,/' >in.ndjson
	run -1 --separate-stderr dmo-load --batch-size 3 --rejects rej.ndjson "$S" in.ndjson
	[ "$stderr" = "dmo-load: 3 records rejected, see 'rej.ndjson'" ]
	run -0 cat rej.ndjson
	[ "${lines[0]}" = '{"source":"in.ndjson","line":4,"reason":"batch 2 refused: HTTP 422 Unprocessable Entity: \"{\\\"error\\\":\\\"record 0 refused: field '"'"'rejec\"...","record":{"id":4,"reject":true,"v":"x4"}}' ]
	[ "${lines[2]}" = '{"source":"in.ndjson","line":6,"reason":"batch 2 refused: HTTP 422 Unprocessable Entity: \"{\\\"error\\\":\\\"record 0 refused: field '"'"'rejec\"...","record":{"id":6,"v":"x6"}}' ]
	[ "${#lines[@]}" -eq 3 ]
	run -0 curl -sS "$S/report"
	[ "$output" = '{"records": 3, "duplicates": 0, "requests": 2}' ]
}

@test "dmo-load-http: refused records within --max-rejects: status 0" {
	gen 4 | sed 's/"id":2,/"id":2,"reject":true,/' >in.ndjson
	run -0 --separate-stderr dmo-load --batch-size 1 --max-rejects 1 "$S" in.ndjson
	[ "$stderr" = "dmo-load: in.ndjson:2: batch 2 refused: HTTP 422 Unprocessable Entity: \"{\\\"error\\\":\\\"record 0 refused: field 'rejec\"..." ]
	run -0 curl -sS "$S/report"
	[ "$output" = '{"records": 3, "duplicates": 0, "requests": 4}' ]
}

@test "dmo-load-http: 5xx, then success" {
	gen 5 >in.ndjson
	run -0 --separate-stderr dmo-load "${R[@]}" --stats st.json "$S?fail_first=2&status=503" in.ndjson
	[ "$stderr" = "" ]
	run -0 curl -sS "$S/log"
	[ "$output" = "503 scripted
503 scripted
200 5 application/x-ndjson" ]
	grep -q '"target":{"name":"'"$S"'?fail_first=2&status=503","records":5,"committed":5,"batches":1,"retries":2,' st.json
}

@test "dmo-load-http: 429 with Retry-After, and 408, are retried" {
	gen 2 >in.ndjson
	run -0 dmo-load "${R[@]}" "$S?fail_first=1&status=429&retry_after=0" in.ndjson
	run -0 dmo-load "${R[@]}" "$U/sink/t${BATS_TEST_NUMBER}b?fail_first=1&status=408" in.ndjson
	run -0 curl -sS "$U/sink/t${BATS_TEST_NUMBER}b/log"
	[ "$output" = "408 scripted
200 2 application/x-ndjson" ]
}

@test "dmo-load-http: after the last try, status 3 and what was sent stays sent" {
	gen 5 >in.ndjson
	run -3 --separate-stderr dmo-load "${R[@]}" --retries 2 --batch-size 2 \
	    "$S?fail_first=99&status=500" in.ndjson
	[ "$stderr" = "dmo-load: $S?fail_first=99&status=500: gave up after 3 tries: HTTP 500 Internal Server Error: \"scripted failure\"" ]
}

@test "dmo-load-http: 401 is status 4, not retried" {
	gen 2 >in.ndjson
	run -4 --separate-stderr dmo-load "${R[@]}" "$S?fail_first=99&status=401" in.ndjson
	[ "$stderr" = "dmo-load: $S?fail_first=99&status=401: HTTP 401 Unauthorized: \"scripted failure\"" ]
	run -0 curl -sS "$S/report"
	[ "$output" = '{"records": 0, "duplicates": 0, "requests": 1}' ]
}

@test "dmo-load-http: a refused connection is status 3" {
	gen 2 >in.ndjson
	run -3 --separate-stderr dmo-load "${R[@]}" --retries 0 http://127.0.0.1:1/x in.ndjson
	[[ $stderr == "dmo-load: http://127.0.0.1:1/x: Failed to connect to 127.0.0.1 port 1 after "*" ms: Couldn't connect to server" ]]
}

@test "dmo-load-http: the same key for a batch on retries and re-runs" {
	gen 6 >in.ndjson
	run -0 dmo-load --batch-size 3 "$S" in.ndjson
	run -0 dmo-load --batch-size 3 "$S" in.ndjson
	run -0 curl -sS "$S/log"
	[ "${#lines[@]}" -eq 4 ]
	[[ ${lines[2]} == "200 replay "* ]]
	[[ ${lines[3]} == "200 replay "* ]]
	[ "${lines[2]}" != "${lines[3]}" ]
	run -0 curl -sS "$S/report"
	[ "$output" = '{"records": 6, "duplicates": 0, "requests": 4}' ]
}

@test "dmo-load-http: the failing server: every record arrives exactly once in a keyed target" {
	gen 2000 >in.ndjson
	# 40% of requests fail: before storing (500, 503, dropped) or after
	# storing with the answer lost; seed 11 makes it the same every run.
	run -0 --separate-stderr dmo-load "${R[@]}" --retries 20 --batch-size 50 \
	    --stats st.json "$S?seed=11&rate=0.4" in.ndjson
	[ "$stderr" = "" ]
	curl -sS "$S/dump" >held
	cmp in.ndjson held
	run -0 curl -sS "$S/report"
	[[ $output == '{"records": 2000, "duplicates": 0, '* ]]
	# The failures happened, of every kind, and the lost answers were
	# replayed from the idempotency keys.
	run -0 curl -sS "$S/log"
	[[ $output == *"500 before"* ]]
	[[ $output == *"503 before"* ]]
	[[ $output == *"drop before"* ]]
	[[ $output == *"500 after"* ]]
	[[ $output == *"200 replay"* ]]
	grep -q '"records":2000,"committed":2000,"batches":40,' st.json
	# A re-run of the same input adds nothing.
	run -0 dmo-load "${R[@]}" --retries 20 --batch-size 50 "$S?seed=11&rate=0.4" in.ndjson
	curl -sS "$S/dump" >held
	cmp in.ndjson held
	run -0 curl -sS "$S/report"
	[[ $output == '{"records": 2000, "duplicates": 0, '* ]]
}

@test "dmo-load-http: options are checked" {
	run -2 --separate-stderr dmo-load --batch-size 0 "$U/sink/x"
	[ "${stderr%%$'\n'*}" = "dmo-load: option '--batch-size': not a count from 1 to 10000000: \"0\"" ]
	run -2 --separate-stderr dmo-load --body xml "$U/sink/x"
	[ "${stderr%%$'\n'*}" = "dmo-load: option '--body': not ndjson or json: \"xml\"" ]
	run -2 --separate-stderr dmo-load --batch-bytes 1x "$U/sink/x"
	[ "${stderr%%$'\n'*}" = "dmo-load: option '--batch-bytes': not a size: \"1x\"" ]
	run -2 --separate-stderr dmo-load --batch-size 5 out.ndjson
	[ "${stderr%%$'\n'*}" = "dmo-load: option '--batch-size' applies to HTTP targets only" ]
	run -2 --separate-stderr dmo-load -f csv "$U/sink/x"
	[ "${stderr%%$'\n'*}" = "dmo-load: option '--format' does not apply to an HTTP target: use --body" ]
	run -2 --separate-stderr dmo-load -m upsert -k id "$U/sink/x"
	[ "${stderr%%$'\n'*}" = "dmo-load: option '--mode' applies to SQLite and PostgreSQL targets only" ]
}

@test "dmo-load-http: a cut input sends no partial batch" {
	gen 5 >in.ndjson
	DMO_WIRE=binary dmo-extract in.ndjson 2>/dev/null | head -c 60 >cut.dmo || true
	run -1 --separate-stderr dmo-load --batch-size 100 "$S" cut.dmo
	[ "$stderr" = "dmo-load: cut.dmo: truncated binary stream: frame cut short at byte 60
dmo-load: $S: last batch of 3 records not sent" ]
	run -0 curl -sS "$S/report"
	[ "$output" = '{"records": 0, "duplicates": 0, "requests": 0}' ]
}

@test "dmo-load-http: HTTPS: verified by default, --cacert trusts the test's certificate" {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem 2>/dev/null
	http_server_start TLSSINK --tls cert.pem key.pem
	gen 3 >in.ndjson
	run -3 --separate-stderr dmo-load "${R[@]}" "https://127.0.0.1:$TLSSINK_PORT/sink/s" in.ndjson
	[[ $stderr == "dmo-load: https://127.0.0.1:$TLSSINK_PORT/sink/s: SSL certificate problem: "*"self"*"signed certificate"* ]]
	run -0 dmo-load --cacert cert.pem "https://127.0.0.1:$TLSSINK_PORT/sink/s" in.ndjson
	run -0 curl -sS --cacert cert.pem "https://127.0.0.1:$TLSSINK_PORT/sink/s/report"
	http_server_stop TLSSINK
	[ "$output" = '{"records": 3, "duplicates": 0, "requests": 1}' ]
}

@test "dmo-load-http: a header file and a bearer token go with every batch" {
	printf 'X-Trace: t1\n' >h
	printf 'tok\n' >b
	chmod 600 h b
	gen 2 >in.ndjson
	run -2 --separate-stderr dmo-load --bearer-file in.ndjson "$S" in.ndjson
	[ "$stderr" = "dmo-load: in.ndjson: permissions 0644 are too open for a secret: chmod 600 it" ] ||
	    [[ $stderr == "dmo-load: in.ndjson: permissions 0"*" are too open for a secret: chmod 600 it" ]]
	run -0 dmo-load --batch-size 1 --header-file h --bearer-file b "$S" in.ndjson
	run -0 curl -sS "$S/log"
	[ "$output" = "200 1 application/x-ndjson auth=Bearer tok trace=t1
200 1 application/x-ndjson auth=Bearer tok trace=t1" ]
}

@test "dmo-load-http: --commit-interval sends the batch when the input pauses" {
	mkfifo fifo
	dmo-load --commit-interval 1h --batch-size 1000 "$S" <fifo 3>&- &
	local pid=$! i n=
	exec 8>fifo
	echo '{"id":1}' >&8
	# At most 5 s for the record to arrive while dmo-load waits for more.
	for i in $(seq 1 50); do
		n=$(curl -sS "$S/report")
		[ "$n" = '{"records": 1, "duplicates": 0, "requests": 1}' ] && break
		sleep 0.1
	done
	echo '{"id":2}' >&8
	exec 8>&-
	wait "$pid"
	[ "$n" = '{"records": 1, "duplicates": 0, "requests": 1}' ]
	run -0 curl -sS "$S/report"
	[ "$output" = '{"records": 2, "duplicates": 0, "requests": 2}' ]
}

@test "dmo-load-http: --commit-interval applies to SQLite, PostgreSQL and HTTP targets only" {
	run -2 --separate-stderr dmo-load --commit-interval 1s out.ndjson
	[ "${stderr%%$'\n'*}" = "dmo-load: option '--commit-interval' applies to SQLite, PostgreSQL and HTTP targets only" ]
	run -2 --separate-stderr dmo-load --commit-interval soon "$S"
	[ "${stderr%%$'\n'*}" = "dmo-load: option '--commit-interval': not a duration: \"soon\"" ]
}

@test "dmo-load-http: a password in the URL is refused" {
	gen 1 >in.ndjson
	run -2 --separate-stderr dmo-load "http://u:s3cret@127.0.0.1:$SINK_PORT/sink/x" in.ndjson
	[ "$stderr" = "dmo-load: a password in a URL is a secret on the command line: use ~/.netrc or --header-file" ]
}
