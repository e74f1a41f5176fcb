#!/usr/bin/env bats
# dmo-extract-http.bats - http:// and https:// sources (common/http.c)
# against tests/http_server.py on 127.0.0.1: formats, JSON documents,
# pagination, retries, cut bodies, time-outs, secrets, TLS.
# SPDX-License-Identifier: BSD-2-Clause
#
# Nothing here is timed: a Retry-After that was not honoured is answered
# 400 by the server, and every wait is bounded (--retries, --timeout,
# --stall-timeout, the server's own lifetime).

load test_helper
load http_helper

setup_file() {
	cd "$BATS_FILE_TMPDIR" || return 1
	http_server_start WEB --root "$BATS_TEST_DIRNAME/fixtures/extract"
	# A self-signed certificate for 127.0.0.1, made here.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -keyout "$BATS_FILE_TMPDIR/key.pem" \
	    -out "$BATS_FILE_TMPDIR/cert.pem" 2>/dev/null
	http_server_start TLS --tls "$BATS_FILE_TMPDIR/cert.pem" \
	    "$BATS_FILE_TMPDIR/key.pem"
}

teardown_file() {
	http_server_stop WEB
	http_server_stop TLS
}

setup() {
	U="http://127.0.0.1:$WEB_PORT"
	# Quick retries: the backoff is not what these tests measure.
	R=(--retry-delay 1ms)
}

three='{"id":1,"name":"r1"}
{"id":2,"name":"r2"}
{"id":3,"name":"r3"}'

@test "dmo-extract-http: an NDJSON body streams into records" {
	run -0 --separate-stderr dmo-extract "$U/data.ndjson?n=3"
	[ "$output" = "$three" ]
	[ "$stderr" = "" ]
}

@test "dmo-extract-http: Content-Type chooses the reader (CSV)" {
	dmo-extract "$U/file/sample.csv" >"$BATS_TEST_TMPDIR/out"
	dmo-extract extract/sample.csv >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/out"
}

@test "dmo-extract-http: without a Content-Type, the extension chooses" {
	# /file/ serves .json as application/octet-stream.
	dmo-extract "$U/file/array.json" >"$BATS_TEST_TMPDIR/out"
	dmo-extract extract/array.json >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/out"
}

@test "dmo-extract-http: without either, the first bytes choose" {
	run -0 dmo-extract "$U/data?n=3&ctype=application/octet-stream"
	[ "$output" = "$three" ]
}

@test "dmo-extract-http: a gzip Content-Encoding is decoded" {
	run -0 dmo-extract "$U/data.ndjson?n=3&gzip=1"
	[ "$output" = "$three" ]
}

@test "dmo-extract-http: --records takes the array at a path of a document" {
	run -0 --separate-stderr dmo-extract --records data.items "$U/doc"
	[ "$output" = '{"id":1,"name":"r1"}
{"id":2,"name":"r2"}' ]
}

@test "dmo-extract-http: --records works on files too" {
	printf '{"x":{"n":[1,{"a":"]"}],"rows":[{"a":1},\n {"a":2}]},"y":"}"}\n' \
	    >"$BATS_TEST_TMPDIR/doc.json"
	run -0 dmo-extract --records x.rows "$BATS_TEST_TMPDIR/doc.json"
	[ "$output" = '{"a":1}
{"a":2}' ]
}

@test "dmo-extract-http: --records path missing from the document is status 1" {
	run -1 --separate-stderr dmo-extract --records data.nope "$U/doc"
	[ "$output" = "" ]
	[ "$stderr" = "dmo-extract: $U/doc: records path not found: \"data.nope\"" ]
}

@test "dmo-extract-http: --records on a cut document is an error" {
	printf '{"rows":[{"a":1},{"a":2}' >"$BATS_TEST_TMPDIR/cut.json"
	run -1 --separate-stderr dmo-extract --records rows "$BATS_TEST_TMPDIR/cut.json"
	[ "$output" = '{"a":1}
{"a":2}' ]
	[ "$stderr" = "dmo-extract: $BATS_TEST_TMPDIR/cut.json:1:25: invalid JSON: unexpected end of input in the records array" ]
}

@test "dmo-extract-http: --records with a body that is not a document is status 2" {
	run -2 --separate-stderr dmo-extract --records data "$U/data.ndjson"
	[ "$stderr" = "dmo-extract: $U/data.ndjson: option '--records' needs a JSON document, not ndjson" ]
}

@test "dmo-extract-http: Link rel=next pages, relative, several links and headers" {
	run -0 dmo-extract "$U/pages/link?page=1&last=4"
	[ "$output" = '{"id":10,"name":"r10"}
{"id":11,"name":"r11"}
{"id":20,"name":"r20"}
{"id":21,"name":"r21"}
{"id":30,"name":"r30"}
{"id":31,"name":"r31"}
{"id":40,"name":"r40"}
{"id":41,"name":"r41"}' ]
}

@test "dmo-extract-http: --max-pages stops early" {
	run -0 dmo-extract --max-pages 2 "$U/pages/link?page=1&last=4"
	[ "${#lines[@]}" -eq 4 ]
}

@test "dmo-extract-http: --next-field follows a URL in the body" {
	run -0 dmo-extract --records data.items --next-field links.next \
	    "$U/pages/next?page=1&last=3"
	[ "$output" = '{"id":10,"name":"r10"}
{"id":11,"name":"r11"}
{"id":20,"name":"r20"}
{"id":21,"name":"r21"}
{"id":30,"name":"r30"}
{"id":31,"name":"r31"}' ]
}

@test "dmo-extract-http: --cursor-field and --cursor-param" {
	run -0 dmo-extract --records items --cursor-field meta.cursor \
	    --cursor-param cursor "$U/pages/cursor?last=3"
	[ "${lines[*]}" = '{"id":10,"name":"r10"} {"id":11,"name":"r11"} {"id":20,"name":"r20"} {"id":21,"name":"r21"} {"id":30,"name":"r30"} {"id":31,"name":"r31"}' ]
}

@test "dmo-extract-http: --page-param counts pages up to an empty one" {
	run -0 dmo-extract --page-param page "$U/pages/num?last=3"
	[ "${#lines[@]}" -eq 6 ]
	[ "${lines[5]}" = '{"id":31,"name":"r31"}' ]
}

@test "dmo-extract-http: --offset-param with --page-size" {
	run -0 dmo-extract --offset-param offset --page-size 2 \
	    "$U/pages/offset?limit=2&total=5"
	[ "${lines[*]}" = '{"id":0,"name":"r0"} {"id":1,"name":"r1"} {"id":2,"name":"r2"} {"id":3,"name":"r3"} {"id":4,"name":"r4"}' ]
}

@test "dmo-extract-http: a next page that is the same page stops with status 3" {
	run -3 --separate-stderr dmo-extract "$U/pages/loop"
	[ "$output" = '{"id":1,"name":"r1"}' ]
	[ "$stderr" = "dmo-extract: $U/pages/loop: the next page is this page again: stopped" ]
}

@test "dmo-extract-http: pagination options are checked" {
	run -2 --separate-stderr dmo-extract --page-param p --offset-param o "$U/x"
	[ "${stderr%%$'\n'*}" = "dmo-extract: options '--page-param' and '--offset-param' cannot be used together" ]
	run -2 --separate-stderr dmo-extract --records a --cursor-field c "$U/x"
	[ "${stderr%%$'\n'*}" = "dmo-extract: options '--cursor-field' and '--cursor-param' go together" ]
	run -2 --separate-stderr dmo-extract --page-size 10 "$U/x"
	[ "${stderr%%$'\n'*}" = "dmo-extract: option '--page-size' needs '--offset-param'" ]
	run -2 --separate-stderr dmo-extract --next-field a "$U/x"
	[ "${stderr%%$'\n'*}" = "dmo-extract: option '--next-field' needs '--records'" ]
	run -2 --separate-stderr dmo-extract --max-pages 0 "$U/x"
	[ "${stderr%%$'\n'*}" = "dmo-extract: option '--max-pages': not a positive count: \"0\"" ]
	run -2 --separate-stderr dmo-extract --retries lots "$U/x"
	[ "${stderr%%$'\n'*}" = "dmo-extract: option '--retries': not a count from 0 to 1000: \"lots\"" ]
}

@test "dmo-extract-http: 500 twice, then the records" {
	run -0 --separate-stderr dmo-extract "${R[@]}" "$U/fail/a?times=2&status=500"
	[ "$output" = "$three" ]
	[ "$stderr" = "" ]
}

@test "dmo-extract-http: 503 with Retry-After in seconds is honoured" {
	run -0 --separate-stderr dmo-extract "${R[@]}" \
	    "$U/fail/b?times=1&status=503&retry_after=1"
	[ "$output" = "$three" ]
}

@test "dmo-extract-http: 429 with Retry-After as an HTTP-date is honoured" {
	run -0 --separate-stderr dmo-extract "${R[@]}" \
	    "$U/fail/c?times=1&status=429&retry_date=1"
	[ "$output" = "$three" ]
}

@test "dmo-extract-http: after the last try, a clear message and status 3" {
	run -3 --separate-stderr dmo-extract "${R[@]}" --retries 2 \
	    "$U/fail/d?times=9&status=502"
	[ "$output" = "" ]
	[ "$stderr" = "dmo-extract: $U/fail/d?times=9&status=502: gave up after 3 tries: HTTP 502 Bad Gateway: \"scripted failure 3 of d\"" ]
}

@test "dmo-extract-http: a Retry-After beyond --retry-max-time gives up at once" {
	run -3 --separate-stderr dmo-extract "${R[@]}" --retry-max-time 2s \
	    "$U/fail/e?times=9&status=503&retry_after=30"
	[ "$stderr" = "dmo-extract: $U/fail/e?times=9&status=503&retry_after=30: gave up after 1 try: the server asks to wait 30s, more than --retry-max-time allows: HTTP 503 Service Unavailable: \"scripted failure 1 of e\"" ]
}

@test "dmo-extract-http: 404 is not retried" {
	run -3 --separate-stderr dmo-extract "${R[@]}" "$U/status/404"
	[ "$stderr" = "dmo-extract: $U/status/404: HTTP 404 Not Found: \"scripted status 404\"" ]
}

@test "dmo-extract-http: 401 and 403 are status 4" {
	run -4 --separate-stderr dmo-extract "${R[@]}" "$U/status/401"
	[ "$stderr" = "dmo-extract: $U/status/401: HTTP 401 Unauthorized: \"scripted status 401\"" ]
	run -4 dmo-extract "${R[@]}" "$U/status/403"
}

@test "dmo-extract-http: a dropped connection is retried" {
	run -0 --separate-stderr dmo-extract "${R[@]}" "$U/drop/a?times=2"
	[ "$output" = "$three" ]
}

@test "dmo-extract-http: connections dropped every time: status 3" {
	run -3 --separate-stderr dmo-extract "${R[@]}" --retries 1 "$U/drop/b?times=9"
	[ "$stderr" = "dmo-extract: $U/drop/b?times=9: gave up after 2 tries: Empty reply from server" ]
}

@test "dmo-extract-http: a refused connection is status 3" {
	run -3 --separate-stderr dmo-extract "${R[@]}" --retries 0 http://127.0.0.1:1/x
	[[ $stderr == "dmo-extract: http://127.0.0.1:1/x: Failed to connect to 127.0.0.1 port 1 after "*" ms: Couldn't connect to server" ]]
}

@test "dmo-extract-http: a body shorter than its Content-Length is status 3" {
	run -3 --separate-stderr dmo-extract "${R[@]}" "$U/short"
	[ "$output" = '{"id":1,"name":"r1"}
{"id":2,"name":"r2"}' ]
	[ "$stderr" = "dmo-extract: $U/short: not retried, 2 records of this page already passed on: body cut short after 42 bytes: transfer closed with 100 bytes remaining to read" ]
}

@test "dmo-extract-http: a cut chunked body is status 3" {
	run -3 --separate-stderr dmo-extract "${R[@]}" "$U/cutchunk"
	[ "${#lines[@]}" -eq 2 ]
	[ "$stderr" = "dmo-extract: $U/cutchunk: not retried, 2 records of this page already passed on: body cut short after 50 bytes: transfer closed with outstanding read data remaining" ]
}

@test "dmo-extract-http: a page cut after records were passed on is not retried" {
	run -3 --separate-stderr dmo-extract "${R[@]}" "$U/cutmid/a?times=1"
	[ "${#lines[@]}" -eq 2 ]
	[[ $stderr == "dmo-extract: $U/cutmid/a?times=1: not retried, 2 records of this page already passed on: body cut short after 42 bytes: "* ]]
}

@test "dmo-extract-http: a page cut before its first record is retried whole" {
	run -0 --separate-stderr dmo-extract "${R[@]}" "$U/cutfirst/a?times=2"
	[ "${#lines[@]}" -eq 4 ]
	[ "$stderr" = "" ]
}

@test "dmo-extract-http: a stalled body fails after --stall-timeout" {
	run -3 --separate-stderr dmo-extract "${R[@]}" --stall-timeout 1 \
	    "$U/stall?after=2&delay=4"
	[ "${#lines[@]}" -eq 2 ]
	[ "$stderr" = "dmo-extract: $U/stall?after=2&delay=4: not retried, 2 records of this page already passed on: transfer stalled: no data for 1s (--stall-timeout)" ]
}

@test "dmo-extract-http: --timeout bounds a slow answer" {
	run -3 --separate-stderr dmo-extract "${R[@]}" --retries 1 --timeout 500ms \
	    "$U/slow?delay=3"
	[[ $stderr == "dmo-extract: $U/slow?delay=3: gave up after 2 tries: Operation timed out after "*" milliseconds with 0 bytes received" ]]
}

@test "dmo-extract-http: redirects are followed" {
	run -0 dmo-extract "$U/redirect?to=/data.ndjson"
	[ "$output" = "$three" ]
}

@test "dmo-extract-http: --header-file and --bearer-file send their secrets" {
	cd "$BATS_TEST_TMPDIR"
	printf '# a comment\nX-Api-Key: k1\r\n\nX-Trace: t 2\n' >h
	printf 'tok3n\n' >b
	chmod 600 h b
	run -0 --separate-stderr dmo-extract --header-file h --bearer-file b "$U/headers"
	[ "$output" = '{"user-agent":"dmo/0.1.0","x-api-key":"k1","x-trace":"t 2","authorization":"Bearer tok3n"}' ]
}

@test "dmo-extract-http: --bearer-env takes the token from the environment" {
	TOKEN=e1 run -0 dmo-extract --bearer-env TOKEN "$U/headers"
	[[ $output == *'"authorization":"Bearer e1"'* ]]
	run -2 --separate-stderr dmo-extract --bearer-env DMO_NO_SUCH_VAR "$U/headers"
	[ "${stderr%%$'\n'*}" = "dmo-extract: option '--bearer-env': environment variable 'DMO_NO_SUCH_VAR' is not set" ]
}

@test "dmo-extract-http: secret files readable by others are refused" {
	cd "$BATS_TEST_TMPDIR"
	printf 'tok\n' >b
	chmod 640 b
	run -2 --separate-stderr dmo-extract --bearer-file b "$U/headers"
	[ "$stderr" = "dmo-extract: b: permissions 0640 are too open for a secret: chmod 600 it" ]
	printf 'X-Api-Key k\n' >h
	chmod 600 h
	run -2 --separate-stderr dmo-extract --header-file h "$U/headers"
	[ "$stderr" = "dmo-extract: h:1: not a 'Name: value' header line" ]
	printf 'tok en\n' >b
	chmod 600 b
	run -2 --separate-stderr dmo-extract --bearer-file b "$U/headers"
	[ "$stderr" = "dmo-extract: b: bearer token has a space or control byte at offset 3" ]
}

@test "dmo-extract-http: ~/.netrc gives the credentials" {
	cd "$BATS_TEST_TMPDIR"
	printf 'machine 127.0.0.1 login u password p\n' >.netrc
	chmod 600 .netrc
	HOME=$BATS_TEST_TMPDIR run -0 dmo-extract "$U/headers"
	[[ $output == *'"authorization":"Basic dTpw"'* ]]
}

@test "dmo-extract-http: TLS is verified: a self-signed certificate is status 3" {
	run -3 --separate-stderr dmo-extract "${R[@]}" "https://127.0.0.1:$TLS_PORT/data.ndjson"
	[ "$output" = "" ]
	[[ $stderr == "dmo-extract: https://127.0.0.1:$TLS_PORT/data.ndjson: SSL certificate problem: "*"self"*"signed certificate"* ]]
}

@test "dmo-extract-http: --cacert trusts the test's certificate" {
	run -0 --separate-stderr dmo-extract --cacert "$BATS_FILE_TMPDIR/cert.pem" \
	    "https://127.0.0.1:$TLS_PORT/data.ndjson"
	[ "$output" = "$three" ]
}

@test "dmo-extract-http: --insecure skips verification" {
	run -0 dmo-extract --insecure "https://127.0.0.1:$TLS_PORT/data.ndjson"
	[ "$output" = "$three" ]
}

@test "dmo-extract-http: a bad record of a page is rejected, the rest read" {
	run -1 --separate-stderr dmo-extract "$U/file/bad.ndjson"
	dmo-extract extract/bad.ndjson >"$BATS_TEST_TMPDIR/want" 2>"$BATS_TEST_TMPDIR/wanterr" || true
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/want")" ]
}

@test "dmo-extract-http: --records: null is no records, a scalar is an error" {
	cd "$BATS_TEST_TMPDIR"
	printf '{"a":{"b":null}}' >null.json
	run -0 --separate-stderr dmo-extract --records a.b null.json
	[ "$output" = "" ]
	[ "$stderr" = "" ]
	printf '{"a":{"b":7}}' >num.json
	run -1 --separate-stderr dmo-extract --records a.b num.json
	[ "$stderr" = "dmo-extract: num.json:1:11: records path: not an array: found '7'" ]
	printf '[{"a":1}]' >top.json
	run -1 --separate-stderr dmo-extract --records a top.json
	[ "$stderr" = "dmo-extract: top.json:1:1: not a JSON object at the top level: found '['" ]
	run -2 --separate-stderr dmo-extract --records a..b top.json
	[ "$stderr" = "dmo-extract: top.json: empty key in JSON path: \"a..b\"" ]
}

@test "dmo-extract-http: --records: a document with junk after it is an error" {
	cd "$BATS_TEST_TMPDIR"
	printf '{"r":[{"a":1}]} x' >junk.json
	run -1 --separate-stderr dmo-extract --records r junk.json
	[ "$output" = '{"a":1}' ]
	[ "$stderr" = "dmo-extract: junk.json:1:17: invalid JSON: unexpected 'x' after the document" ]
}

@test "dmo-extract-http: records reach the next program while the body is still coming" {
	cd "$BATS_TEST_TMPDIR"
	# The server sends two records, then holds the rest back for 4 s:
	# they must be out before that (a deadline of 3 s, never a timing).
	dmo-extract "$U/stall?after=2&delay=4" >out 2>err 3>&- &
	local pid=$! i n=0
	for i in $(seq 1 30); do
		n=$(wc -l <out)
		[ "$n" -ge 2 ] && break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	[ "$n" -eq 2 ]
}

@test "dmo-extract-http: the run summary counts the body's bytes" {
	run -0 --separate-stderr dmo-extract --stats "$BATS_TEST_TMPDIR/st.json" "$U/data.ndjson?n=3"
	grep -q '"records_in":3,"records_out":3,"rejected":0,"bytes_in":63,' "$BATS_TEST_TMPDIR/st.json"
}

@test "dmo-extract-http: the bearer token does not follow a redirect to another host" {
	cd "$BATS_TEST_TMPDIR"
	printf 'tok\n' >b
	chmod 600 b
	run -0 dmo-extract --bearer-file b "$U/redirect?to=http://localhost:$WEB_PORT/headers"
	[ "$output" = '{"user-agent":"dmo/0.1.0"}' ]
	run -0 dmo-extract --bearer-file b "$U/redirect?to=/headers"
	[ "$output" = '{"user-agent":"dmo/0.1.0","authorization":"Bearer tok"}' ]
}

@test "dmo-extract-http: a gzip body without Content-Encoding is opened as a file would be" {
	run -0 --separate-stderr dmo-extract "$U/data.ndjson?n=3&raw_gzip=1"
	[ "$output" = "$three" ]
}

@test "dmo-extract-http: an archive body: each member a source, -m and -s as for files" {
	run -0 --separate-stderr dmo-extract -s src "$U/data.ndjson?n=2&zip=1"
	[ "$output" = "{\"id\":1,\"name\":\"r1\",\"src\":\"$U/data.ndjson?n=2&zip=1/a.ndjson\"}
{\"id\":2,\"name\":\"r2\",\"src\":\"$U/data.ndjson?n=2&zip=1/a.ndjson\"}
{\"id\":\"9\",\"name\":\"r9\",\"src\":\"$U/data.ndjson?n=2&zip=1/b/c.csv\"}" ]
	run -0 dmo-extract -m '*.csv' "$U/data.ndjson?n=2&zip=1"
	[ "$output" = '{"id":"9","name":"r9"}' ]
}

@test "dmo-extract-http: | head -1 ends quietly" {
	cd "$BATS_TEST_TMPDIR"
	run -0 bash -c 'dmo-extract "$1/data.ndjson?n=200000" 2>err | head -n 1; echo "${PIPESTATUS[0]}"; cat err' _ "$U"
	[ "$output" = '{"id":1,"name":"r1"}
141' ]
}

@test "dmo-extract-http: --follow does not take a URL" {
	run -2 --separate-stderr dmo-extract -F "$U/data.ndjson"
	[ "${stderr%%$'\n'*}" = "dmo-extract: option '--follow' takes a file, not a URL" ]
}

@test "dmo-extract-http: a password in the URL is refused, and not repeated" {
	run -2 --separate-stderr dmo-extract "http://u:s3cret@127.0.0.1:$WEB_PORT/headers"
	[ "$output" = "" ]
	[ "$stderr" = "dmo-extract: a password in a URL is a secret on the command line: use ~/.netrc or --header-file" ]
}
