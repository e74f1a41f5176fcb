#!/usr/bin/env bats
# dmo-load-pg.bats - dmo-load into PostgreSQL: COPY, modes, transactions.
# SPDX-License-Identifier: BSD-2-Clause
#
# A private server (tests/pg_server.sh) runs for the whole file; each
# test gets a fresh database of its own, so tables never collide.  The
# tests skip, saying why, only when the server binaries are missing.

load test_helper

setup_file() {
	PGDIR=$(mktemp -u /tmp/dmo-pg.XXXXXX)
	export PGDIR PGURI0=
	if sh "$REPO/tests/pg_server.sh" bindir >/dev/null; then
		PGURI0=$(sh "$REPO/tests/pg_server.sh" start "$PGDIR") || return 1
	fi
}

teardown_file() {
	sh "$REPO/tests/pg_server.sh" stop "$PGDIR"
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	BGPIDS=()
	[ -n "$PGURI0" ] || skip "no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql"
	DB=t$BATS_TEST_NUMBER
	psql -Xq "$PGURI0" -c "CREATE DATABASE $DB" || return 1
	PGURI="postgresql:///$DB?host=$PGDIR&user=dmo"
}

teardown() {
	local pid
	for pid in "${BGPIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
	done
}

psqlc() {
	psql -XqtA -v ON_ERROR_STOP=1 "$PGURI" "$@"
}

PROG=dmo-load
TRY="Try 'dmo-load --help' for more information."
USAGE="usage: dmo-load [-Bv] [-d delim] [-f format] [-k fields] [-m mode] [target [file ...]]"

wait_for() {
	local i
	for ((i = 0; i < 600; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	echo "wait_for: gave up on: $*" >&2
	return 1
}

count_is() {
	[ "$(psqlc -c "SELECT count(*) FROM $1" 2>/dev/null)" = "$2" ]
}

@test "dmo-load: postgres: usage errors" {
	usage_error "a password in a PostgreSQL URI is visible to every user: use PGPASSFILE, ~/.pgpass or PGPASSWORD" \
	    'postgresql://dmo:secret@localhost/db#t'
	usage_error "\"postgres:///db#\": empty table name" 'postgres:///db#'
	usage_error "option '--format' does not apply to a PostgreSQL target" -f csv "$PGURI#t"
	usage_error "mode 'upsert' needs option '--key'" -m upsert "$PGURI#t"
	usage_error "option '--key' needs '--mode upsert'" -k id "$PGURI#t"
}

@test "dmo-load: postgres: creates the table with types from the first record" {
	cat >in.ndjson <<'EOF'
{"id":1,"big":123456789012345678901234567890,"amount":12.30,"ok":true,"name":"a\tb\\c\nd","tags":["x",1],"meta":{"k":null},"none":null}
{"id":2,"big":-1,"amount":-0.001,"ok":false,"name":"","tags":[],"meta":{},"none":"now text"}
EOF
	run -0 --separate-stderr dmo-load -v "$PGURI#t" in.ndjson
	assert_equal "${stderr_lines[0]}" "dmo-load: $PGURI#t: table 't': created with 8 columns"
	run -0 psqlc -c "SELECT column_name || ' ' || data_type FROM information_schema.columns
	    WHERE table_name = 't' ORDER BY ordinal_position"
	assert_output "$(printf '%s\n' 'id bigint' 'big numeric' 'amount numeric' 'ok boolean' \
	    'name text' 'tags json' 'meta json' 'none text')"
	# Read back through dmo-extract: the same records.
	dmo-extract -Q 'SELECT * FROM t ORDER BY id' "$PGURI" >back.ndjson
	run -0 diff in.ndjson back.ndjson
	# numeric keeps the value of an exponent form, written out.
	dmo-load "$PGURI#t" <<<'{"id":3,"amount":1e400}'
	run -0 psqlc -c 'SELECT amount = 1e400, length(amount::text) FROM t WHERE id = 3'
	assert_output 't|401'
}

@test "dmo-load: postgres: appends; new fields become columns; a schema-qualified table" {
	printf '%s\n' '{"a":1}' '{"a":2,"b":"x"}' >in.ndjson
	run -0 --separate-stderr dmo-load -v "$PGURI#t" in.ndjson
	assert_equal "${stderr_lines[1]}" "dmo-load: $PGURI#t: table 't': added column 'b' text"
	dmo-load "$PGURI#t" in.ndjson
	run -0 psqlc -c "SELECT a || ':' || coalesce(b, '-') FROM t ORDER BY a, b"
	assert_output "$(printf '%s\n' 1:- 1:- 2:x 2:x)"
	psqlc -c 'CREATE SCHEMA "My Schema"'
	dmo-load "$PGURI#My Schema.t" in.ndjson
	run -0 psqlc -c 'SELECT count(*) FROM "My Schema".t'
	assert_output 2
	# Without a table name: the input file's name.
	cp in.ndjson orders.ndjson
	dmo-load "$PGURI" orders.ndjson
	run -0 psqlc -c 'SELECT count(*) FROM orders'
	assert_output 2
}

@test "dmo-load: postgres: an existing table's types decide; values that do not fit are rejected" {
	psqlc -c "CREATE TABLE t (i int, s smallint, n numeric, f real, b bool, by bytea, d date, j jsonb, x text)"
	cat >in.ndjson <<'EOF'
{"i":1,"s":2,"n":"3.50","f":0.5,"b":"true","by":"AP8Q","d":"2024-01-02","j":{"a":[1]},"x":12.30}
{"i":"4x"}
{"i":2147483648}
{"s":40000}
{"n":"abc"}
{"f":1e39}
{"b":"yes"}
{"by":"not base64!"}
{"x":"nul\u0000byte"}
{"i":1.5}
{"i":"7","j":"just a string","x":true}
EOF
	run -0 --separate-stderr dmo-load --max-rejects 100 --rejects rej.ndjson "$PGURI#t" in.ndjson
	assert_equal "$stderr" "dmo-load: 9 records rejected, see 'rej.ndjson'"
	run -0 jq -r '"\(.line): \(.reason)"' rej.ndjson
	assert_output "$(cat <<'EOF'
2: field 'i': not an integer: "4x"
3: field 'i': out of range for the column: "2147483648"
4: field 's': out of range for the column: "40000"
5: field 'n': not a number: "abc"
6: field 'f': out of range for the column: "1e39"
7: field 'b': not a boolean: "yes"
8: field 'by': not base64: "not base64!"
9: field 'x': PostgreSQL text holds no NUL bytes or invalid UTF-8: "nul\x00byte"
10: field 'i': not an integer: "1.5"
EOF
)"
	run -0 psqlc -F ' ' -c "SELECT i, s, n, f, b, encode(by, 'hex'), d, j, x FROM t ORDER BY i"
	assert_output "$(printf '%s\n' '1 2 3.50 0.5 t 00ff10 2024-01-02 {"a": [1]} 12.30' \
	    '7       "just a string" true')"
}

@test "dmo-load: postgres: a row the server refuses names its input line; nothing is loaded" {
	psqlc -c "CREATE TABLE t (id int PRIMARY KEY, d date)"
	psqlc -c "INSERT INTO t VALUES (0, '2000-01-01')"
	printf '%s\n' '{"id":1,"d":"2024-01-01"}' '{"id":2,"d":"2024-02-30"}' '{"id":3,"d":"2024-01-03"}' >in.ndjson
	run -3 --separate-stderr dmo-load "$PGURI#t" in.ndjson
	assert_equal "$stderr" "$(cat <<EOF
dmo-load: in.ndjson:2: table 't': column 'd': date/time field value out of range: "2024-02-30"
dmo-load: $PGURI#t: table 't': rolled back, nothing loaded
EOF
)"
	printf '%s\n' '{"id":5}' '{"id":6}' '{"id":5}' >dup.ndjson
	run -3 --separate-stderr dmo-load "$PGURI#t" in.ndjson dup.ndjson
	[[ ${stderr_lines[0]} == "dmo-load: in.ndjson:2: table 't': column 'd': "* ]]
	sed -i 2d in.ndjson
	run -3 --separate-stderr dmo-load "$PGURI#t" in.ndjson dup.ndjson
	assert_equal "${stderr_lines[0]}" "dmo-load: dup.ndjson:3: table 't': duplicate key value violates unique constraint \"t_pkey\""
	run -0 psqlc -c 'SELECT id FROM t'
	assert_output 0
}

@test "dmo-load: postgres: rejects beyond the limit roll everything back" {
	printf '%s\n' '{"n":1}' 'not json' '{"n":2}' >in.ndjson
	run -1 --separate-stderr dmo-load "$PGURI#t" in.ndjson
	assert_equal "$stderr" "$(cat <<EOF
dmo-load: in.ndjson:2:1: not a JSON object: found 'n'
dmo-load: $PGURI#t: table 't': rolled back, nothing loaded: 1 record rejected, more than the 0 allowed
EOF
)"
	run -0 psqlc -c "SELECT to_regclass('t') IS NULL"
	assert_output t
	run -0 --separate-stderr dmo-load --max-rejects 1 "$PGURI#t" in.ndjson
	run -0 psqlc -c 'SELECT string_agg(n::text, $$,$$ ORDER BY n) FROM t'
	assert_output 1,2
}

@test "dmo-load: postgres: a cut binary stream is not committed" {
	seq 1 50000 | awk '{ printf "{\"id\":%d,\"s\":\"row %d\"}\n", $1, $1 }' >in.ndjson
	dmo-load -B - in.ndjson >full.dmo
	head -c 300000 full.dmo >cut.dmo
	dmo-load "$PGURI#t" <<<'{"id":0,"s":"before"}'
	run -1 --separate-stderr dmo-load "$PGURI#t" <cut.dmo
	[[ ${stderr_lines[0]} == 'dmo-load: <stdin>: truncated binary stream: '* ]]
	assert_equal "${stderr_lines[1]}" "dmo-load: $PGURI#t: table 't': rolled back, nothing loaded"
	run -0 psqlc -c 'SELECT count(*), min(s) FROM t'
	assert_output '1|before'
	# The whole stream loads.
	dmo-load "$PGURI#t" <full.dmo
	run -0 psqlc -c 'SELECT count(*), sum(id) FROM t'
	assert_output '50001|1250025000'
}

@test "dmo-load: postgres: replace swaps the rows in one transaction" {
	printf '%s\n' '{"n":1}' '{"n":2}' '{"n":3}' | dmo-load "$PGURI#t"
	mkfifo fifo
	dmo-load -m replace "$PGURI#t" <fifo &
	local pid=$!
	BGPIDS+=("$pid")
	exec 8>fifo
	printf '%s\n' '{"n":10}' '{"n":20}' >&8
	# dmo-load has deleted and copied inside its open transaction...
	wait_for bash -c "[ \"\$(psql -XqtA '$PGURI' -c \"SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' OR wait_event = 'CopyFromData' OR state = 'active' AND query LIKE 'COPY%'\")\" -ge 1 ]"
	# ...and another session still sees every old row.
	run -0 psqlc -c 'SELECT string_agg(n::text, $$,$$ ORDER BY n) FROM t'
	assert_output 1,2,3
	exec 8>&-
	wait "$pid"
	run -0 psqlc -c 'SELECT string_agg(n::text, $$,$$ ORDER BY n) FROM t'
	assert_output 10,20
}

@test "dmo-load: postgres: upsert updates by key, the last record of a key winning" {
	printf '%s\n' '{"id":1,"v":"a"}' '{"id":2,"v":"b"}' | dmo-load -m upsert -k id "$PGURI#t"
	run -0 psqlc -c "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 't'::regclass"
	assert_output 'UNIQUE (id)'
	printf '%s\n' '{"id":2,"v":"B"}' '{"id":3,"v":"c"}' '{"id":3,"v":"C"}' '{"id":4}' |
	    dmo-load -m upsert -k id "$PGURI#t"
	run -0 psqlc -c "SELECT id || '=' || coalesce(v, '-') FROM t ORDER BY id"
	assert_output "$(printf '%s\n' 1=a 2=B 3=C 4=-)"
	# Two key fields; a record without its key is rejected.
	printf '%s\n' '{"a":1,"b":1,"v":0}' '{"a":1,"b":2,"v":0}' '{"a":1,"b":1,"v":9}' '{"a":5,"v":1}' '{"a":null,"b":1}' >k.ndjson
	run -0 --separate-stderr dmo-load -m upsert -k a,b --max-rejects 2 "$PGURI#k" k.ndjson
	assert_equal "$stderr" "$(cat <<'EOF'
dmo-load: k.ndjson:4: field 'b': key is missing
dmo-load: k.ndjson:5: field 'a': key is null
EOF
)"
	run -0 psqlc -c "SELECT a || '/' || b || '=' || v FROM k ORDER BY a, b"
	assert_output "$(printf '%s\n' 1/1=9 1/2=0)"
}

@test "dmo-load: postgres: upsert into a table without a unique key on the fields fails cleanly" {
	psqlc -c 'CREATE TABLE t (id int, v text)'
	psqlc -c "INSERT INTO t VALUES (1, 'old')"
	run -3 --separate-stderr dmo-load -m upsert -k id "$PGURI#t" <<<'{"id":1,"v":"new"}'
	assert_equal "$stderr" "$(cat <<EOF
dmo-load: $PGURI#t: table 't': there is no unique or exclusion constraint matching the ON CONFLICT specification
dmo-load: $PGURI#t: table 't': rolled back, nothing loaded
EOF
)"
	run -0 psqlc -c 'SELECT v FROM t'
	assert_output old
}

@test "dmo-load: postgres: --commit-every commits as it goes, visible to other sessions" {
	mkfifo fifo
	dmo-load --commit-every 2 "$PGURI#t" <fifo &
	local pid=$!
	BGPIDS+=("$pid")
	exec 8>fifo
	printf '%s\n' '{"n":1}' '{"n":2}' '{"n":3}' >&8
	# 1 and 2 by the count, 3 because the input paused after it.
	wait_for count_is t 3
	printf '%s\n' '{"n":4}' >&8
	wait_for count_is t 4
	kill -9 "$pid"
	exec 8>&-
	wait "$pid" || true
	run -0 psqlc -c 'SELECT string_agg(n::text, $$,$$ ORDER BY n) FROM t'
	assert_output 1,2,3,4
}

@test "dmo-load: postgres: --commit-interval commits when the input pauses" {
	mkfifo fifo
	dmo-load --commit-interval 1h "$PGURI#t" <fifo &
	local pid=$!
	BGPIDS+=("$pid")
	exec 8>fifo
	echo '{"n":1}' >&8
	wait_for count_is t 1
	exec 8>&-
	wait "$pid"
}

@test "dmo-load: postgres: with --commit-every a failure loses only the uncommitted tail" {
	seq 1 50000 | awk '{ printf "{\"id\":%d}\n", $1 }' | dmo-load -B - >full.dmo
	head -c 200000 full.dmo >cut.dmo
	run -1 --separate-stderr dmo-load --commit-every 1000 "$PGURI#t" <cut.dmo
	[[ ${stderr_lines[0]} == 'dmo-load: <stdin>: truncated binary stream: '* ]]
	[[ ${stderr_lines[1]} =~ ^"dmo-load: $PGURI#t: table 't': rolled back the last "([0-9]+)" records, "([0-9]+)" committed before"$ ]]
	local tail=${BASH_REMATCH[1]} kept=${BASH_REMATCH[2]}
	[ "$tail" -gt 0 ] && [ "$tail" -lt 1000 ]
	[ "$kept" -gt 0 ] && [ $((kept % 1000)) -eq 0 ]
	run -0 psqlc -c 'SELECT count(*), max(id) FROM t'
	assert_output "$kept|$kept"
}

@test "dmo-load: postgres: the run summary has a target section" {
	seq 1 10 | awk '{ printf "{\"id\":%d}\n", $1 }' >in.ndjson
	dmo-load --stats stats.json --commit-every 4 "$PGURI#t" in.ndjson
	run -0 jq -c '.target | {records, batches, retries}, (.seconds >= 0), (.name | endswith("#t"))' stats.json
	assert_output "$(printf '%s\n' '{"records":10,"batches":3,"retries":0}' true true)"
}

@test "dmo-load: postgres: an unreachable server is status 3; nothing read" {
	run -3 --separate-stderr dmo-load 'postgresql:///db?host=/nonexistent&user=dmo#t' <<<'{"a":1}'
	assert_equal "$stderr" 'dmo-load: postgresql:///db?host=/nonexistent&user=dmo#t: connection to server on socket "/nonexistent/.s.PGSQL.5432" failed: No such file or directory'
}

@test "dmo-load: postgres: a round trip through dmo-extract keeps every type" {
	psqlc <<'EOF'
CREATE TABLE src (id int PRIMARY KEY, n numeric, f float8, b bool, d date,
  ts timestamptz, by bytea, j jsonb, a int[], t text);
INSERT INTO src VALUES (1, 123456789012345678901234567890.123, 0.1, true,
  '2024-01-02', '2024-01-02 03:04:05.25+01', '\x00ff', '{"k": [1, "x"]}',
  '{1,2}', E'multi\nline\\');
INSERT INTO src (id) VALUES (2);
CREATE TABLE dst (LIKE src);
EOF
	dmo-extract "$PGURI#src" | dmo-load "$PGURI#dst"
	run -0 psqlc -c 'SELECT count(*) FROM (SELECT * FROM src EXCEPT SELECT * FROM dst) x'
	assert_output 0
	run -0 psqlc -c 'SELECT count(*) FROM dst'
	assert_output 2
}

@test "dmo-load: postgres: the password comes from PGPASSFILE or PGPASSWORD; a wrong one is status 4" {
	local uri="postgresql:///$DB?host=$PGDIR&user=dmo_pw"
	psqlc -c "GRANT ALL ON SCHEMA public TO dmo_pw"
	run -4 --separate-stderr env -u PGPASSWORD PGPASSFILE=/nonexistent dmo-load "$uri#t" <<<'{"a":1}'
	assert_equal "$stderr" "dmo-load: $uri#t: connection to server on socket \"$PGDIR/.s.PGSQL.5432\" failed: fe_sendauth: no password supplied: the server wants a password: use PGPASSFILE, ~/.pgpass or PGPASSWORD"
	run -4 --separate-stderr env PGPASSWORD=wrong dmo-load "$uri#t" <<<'{"a":1}'
	assert_equal "$stderr" "dmo-load: $uri#t: connection to server on socket \"$PGDIR/.s.PGSQL.5432\" failed: FATAL:  password authentication failed for user \"dmo_pw\""
	echo "*:*:*:dmo_pw:dmo-secret" >pgpass
	chmod 600 pgpass
	run -0 env -u PGPASSWORD PGPASSFILE=pgpass dmo-load "$uri#t" <<<'{"a":1}'
	run -0 env PGPASSWORD=dmo-secret dmo-extract "$uri#t"
	assert_output '{"a":1}'
}
