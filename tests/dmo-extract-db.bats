#!/usr/bin/env bats
# dmo-extract-db.bats - dmo-extract: SQLite and PostgreSQL sources.
# SPDX-License-Identifier: BSD-2-Clause
#
# A private PostgreSQL server (tests/pg_server.sh: initdb into a
# temporary directory, a Unix socket only, run as nobody when the tests
# run as root) is started once for the file and stopped in teardown_file.
# The PostgreSQL tests skip, saying why, only when the server binaries
# are not installed; CI installs them (scripts/install-deps).

load test_helper

setup_file() {
	PGDIR=$(mktemp -u /tmp/dmo-pg.XXXXXX)
	export PGDIR PGURI=
	if sh "$REPO/tests/pg_server.sh" bindir >/dev/null; then
		PGURI=$(sh "$REPO/tests/pg_server.sh" start "$PGDIR") || return 1
		psql -Xq -v ON_ERROR_STOP=1 "$PGURI" <<'EOF' || return 1
CREATE TABLE ty (id int PRIMARY KEY, n numeric, f8 float8, f4 real,
  b bool, d date, ts timestamp, tz timestamptz, t time, iv interval,
  by bytea, j json, jb jsonb, a int[], ta text[], u uuid, tx text,
  big bigint, sm smallint);
INSERT INTO ty VALUES (1, 1234567890123456789012345678901234567890.5,
  0.1, 0.1, true, '2024-01-02', '2024-01-02 03:04:05.123456',
  '2024-01-02 03:04:05.5+02', '03:04:05', '1 year 2 months 3 days 04:05:06',
  '\x00ff10', '{"a": [1, 2.50],  "b":"x y"}', '{"a": [1, 2.50], "b":"x y"}',
  '{1,NULL,3}', '{"a b","c,d",NULL,"NULL","q\"\\"}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', E'tab\there\nline', 9223372036854775807,
  -32768);
INSERT INTO ty (id, n, f8, f4, j, a, d) VALUES (2, 'NaN', '-Infinity', 1e30,
  '"caf\u00e9"', '{{1,2},{3,4}}', 'infinity');
INSERT INTO ty (id) VALUES (3);
CREATE SCHEMA s;
CREATE TABLE s."Odd ""name""" (x int);
INSERT INTO s."Odd ""name""" VALUES (7);
EOF
	fi
	# A SQLite database with each storage class.
	sqlite3 "$BATS_FILE_TMPDIR/t.db" <<'EOF'
CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n);
INSERT INTO t VALUES (1, 0.1, 'héllo', x'00ff10', NULL);
INSERT INTO t VALUES (-9223372036854775808, 1e300, '', x'', 3.5);
INSERT INTO t VALUES (2, 100.0, 'a"b', NULL, 'x');
INSERT INTO t VALUES (3, 0.1 + 0.2, char(9), NULL, -0.05);
EOF
}

teardown_file() {
	sh "$REPO/tests/pg_server.sh" stop "$PGDIR"
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	cp "$BATS_FILE_TMPDIR/t.db" t.db
}

need_pg() {
	[ -n "$PGURI" ] || skip "no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql"
}

psqlc() {
	psql -XqtA -v ON_ERROR_STOP=1 "$PGURI" "$@"
}

PROG=dmo-extract
TRY="Try 'dmo-extract --help' for more information."
USAGE="usage: dmo-extract [-BFHiNv] [-d delim] [-f format] [-m glob] [-Q sql] [-q quote] [-r policy] [-s field] [file ...]"

# --- SQLite ------------------------------------------------------------

@test "dmo-extract: sqlite:PATH#TABLE maps each storage class" {
	run -0 --separate-stderr dmo-extract 'sqlite:t.db#t'
	assert_equal "$stderr" ""
	assert_equal "$output" "$(cat <<'EOF'
{"i":1,"r":0.1,"s":"héllo","b":"AP8Q","n":null}
{"i":-9223372036854775808,"r":1e+300,"s":"","b":"","n":3.5}
{"i":2,"r":100.0,"s":"a\"b","b":null,"n":"x"}
{"i":3,"r":0.30000000000000004,"s":"\t","b":null,"n":-0.05}
EOF
)"
}

@test "dmo-extract: sqlite: with --query reads what the query selects" {
	run -0 --separate-stderr dmo-extract -Q 'SELECT i, i * 2 AS d FROM t WHERE i > 0 ORDER BY i' sqlite:t.db
	assert_equal "$output" "$(printf '%s\n' '{"i":1,"d":2}' '{"i":2,"d":4}' '{"i":3,"d":6}')"
	run -0 dmo-extract --query "SELECT 5e-324 AS tiny, 1.7976931348623157e308 AS big, 1e999 AS inf, 1.0 AS one" sqlite:t.db
	assert_output '{"tiny":5e-324,"big":1.7976931348623157e+308,"inf":"Infinity","one":1.0}'
}

@test "dmo-extract: sqlite: reals print as the shortest text that reads back the same" {
	sqlite3 t.db 'CREATE TABLE r (x REAL)'
	awk 'BEGIN { srand(7); for (i = 0; i < 2000; i++)
	    printf "INSERT INTO r VALUES (%.17g);\n", (rand() - 0.5) * 10 ^ int(rand() * 30 - 15) }' |
	    sqlite3 t.db
	dmo-extract 'sqlite:t.db#r' | sed 's/{"x":\(.*\)}/\1/' >got
	sqlite3 t.db 'SELECT printf("%!.17g", x) FROM r' >want
	# Same doubles, each read back by awk/strtod.
	run -0 awk 'NR == FNR { a[NR] = $1; next } { if (a[FNR] + 0 != $1 + 0) { print "differ: " a[FNR] " " $1; exit 1 } }' got want
	[ "$(wc -l <got)" -eq 2000 ]
	# None longer than it needs: 0.1 stays 0.1.
	run -0 dmo-extract -Q 'SELECT 0.1 AS x, 2.5 AS y, 123456789.125 AS z' sqlite:t.db
	assert_output '{"x":0.1,"y":2.5,"z":123456789.125}'
}

@test "dmo-extract: sqlite: rows stream with -B, --stats and a source field" {
	run -0 --separate-stderr dmo-extract -B --stats stats.json -s src 'sqlite:t.db#t'
	dmo-extract -B 'sqlite:t.db#t' | dmo-load >out.ndjson
	[ "$(wc -l <out.ndjson)" -eq 4 ]
	grep -q '"records_in":4,"records_out":4,"rejected":0' stats.json
	run -0 dmo-extract -s src -Q 'SELECT 1 AS a' sqlite:t.db
	assert_output '{"a":1,"src":"sqlite:t.db"}'
}

@test "dmo-extract: sqlite: repeated column names are rejected records" {
	run -1 --separate-stderr dmo-extract -Q 'SELECT 1 AS a, 2 AS a' sqlite:t.db
	assert_equal "$output" ""
	assert_equal "$stderr" "dmo-extract: sqlite:t.db:1: duplicate field name 'a'"
	run -0 dmo-extract --duplicate-keys last -Q 'SELECT 1 AS a, 2 AS a' sqlite:t.db
	assert_output '{"a":2}'
}

@test "dmo-extract: sqlite: invalid UTF-8 in TEXT follows --invalid-utf8" {
	sqlite3 t.db "CREATE TABLE u (s TEXT); INSERT INTO u VALUES (CAST(x'61ff62' AS TEXT))"
	run -1 --separate-stderr dmo-extract 'sqlite:t.db#u'
	assert_equal "$stderr" "dmo-extract: sqlite:t.db#u:1: field 's': invalid UTF-8"
	run -0 dmo-extract --invalid-utf8 replace 'sqlite:t.db#u'
	assert_output '{"s":"a�b"}'
}

# dmo-extract writes SQLite rows as NDJSON text itself (no record in
# between); with -B and a second dmo-extract they go through records and
# the NDJSON writer.  The two must agree byte for byte.
@test "dmo-extract: sqlite: rows written straight as NDJSON equal the records path" {
	sqlite3 t.db <<'EOF'
CREATE TABLE w (id INTEGER, s TEXT, b BLOB, r REAL, n);
INSERT INTO w VALUES (1, 'plain', NULL, 1.5, NULL);
INSERT INTO w VALUES (2, 'quote " backslash \ tab' || char(9) || 'nl' ||
  char(10) || 'cr' || char(13) || 'ctl' || char(1) || char(31) || char(127),
  x'', 1e308 * 10, -1);
INSERT INTO w VALUES (3, 'ünïcödé € 😀 Nguyễn, a longer value of text', x'000102fffe',
  -0.0, 'x');
INSERT INTO w VALUES (4, CAST(x'6100620063' AS TEXT), randomblob(100),
  123456789.125, 2);
INSERT INTO w VALUES (5, replace(hex(zeroblob(35000)), '0', 'y'), NULL, NULL,
  NULL);
INSERT INTO w VALUES (6, replace(hex(zeroblob(5000)), '0', '"'), NULL, NULL,
  NULL);
INSERT INTO w VALUES (-9223372036854775808, '', zeroblob(3), 5e-324,
  9223372036854775807);
CREATE TABLE many AS WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL
  SELECT i + 1 FROM c WHERE i < 3000) SELECT i, 'row "' || i || '" é' AS s,
  i * 0.5 AS h FROM c;
EOF
	dmo-extract 'sqlite:t.db#w' >fast
	dmo-extract -B 'sqlite:t.db#w' | dmo-extract >slow
	cmp fast slow
	assert_equal "$(wc -l <fast)" 7
	grep -q '"s":"a\\u0000b\\u0000c"' fast
	# A table's rows come through a function of ours; a query's are
	# fetched value by value.
	dmo-extract -Q 'SELECT * FROM w' sqlite:t.db >slow
	cmp fast slow
	# Thousands of rows: lines cross the output buffer's end.
	dmo-extract -Q 'SELECT * FROM many' sqlite:t.db >fast
	dmo-extract -B -Q 'SELECT * FROM many' sqlite:t.db | dmo-extract >slow
	cmp fast slow
	assert_equal "$(wc -l <fast)" 3000
}

@test "dmo-extract: sqlite: a table with more columns than a function takes" {
	local cols vals i
	cols=c1 vals=1
	for i in $(seq 2 300); do
		cols="$cols, c$i" vals="$vals, 'v$i'"
	done
	sqlite3 t.db "CREATE TABLE wide ($cols); INSERT INTO wide VALUES ($vals)"
	dmo-extract 'sqlite:t.db#wide' >fast
	dmo-extract -B 'sqlite:t.db#wide' | dmo-extract >slow
	cmp fast slow
	run -0 jq -c '[.c1, .c300, length]' fast
	assert_output '[1,"v300",300]'
}

@test "dmo-extract: sqlite: a database's own SQL cannot call the row function" {
	# dmo_row exists on dmo-extract's connection only, made after the
	# source's own statement is prepared: a view calling it fails as any
	# unknown function would (and SQLITE_DIRECTONLY refuses it anyway).
	sqlite3 t.db "CREATE VIEW hv AS SELECT dmo_row(i, r, s, b, n) AS x FROM t"
	run -3 --separate-stderr dmo-extract 'sqlite:t.db#hv'
	assert_equal "$stderr" "dmo-extract: sqlite:t.db#hv: no such function: dmo_row"
	run -3 --separate-stderr dmo-extract -Q 'SELECT * FROM hv' sqlite:t.db
	assert_equal "$stderr" "dmo-extract: sqlite:t.db: no such function: dmo_row"
}

@test "dmo-extract: sqlite: invalid UTF-8 between good rows, both policies, --rejects" {
	sqlite3 t.db "CREATE TABLE u (i INTEGER, s TEXT);
	  INSERT INTO u VALUES (1, 'good, and long enough for a block');
	  INSERT INTO u VALUES (2, CAST(x'6162636465666768696a6b6c6d6e6f70c328' AS TEXT));
	  INSERT INTO u VALUES (3, 'é');
	  INSERT INTO u VALUES (4, CAST(x'e282' AS TEXT))"
	run -1 --separate-stderr dmo-extract 'sqlite:t.db#u'
	assert_output $'{"i":1,"s":"good, and long enough for a block"}\n{"i":3,"s":"é"}'
	assert_equal "$stderr" "dmo-extract: sqlite:t.db#u:2: field 's': invalid UTF-8
dmo-extract: sqlite:t.db#u:4: field 's': invalid UTF-8"
	run -1 --separate-stderr dmo-extract --rejects rej.ndjson --stats stats.json 'sqlite:t.db#u'
	assert_equal "${#lines[@]}" 2
	grep -q '"records_in":4,"records_out":2,"rejected":2' stats.json
	assert_equal "$(sed -n 2p rej.ndjson)" '{"source":"sqlite:t.db#u","line":4,"reason":"field '"'s'"': invalid UTF-8","raw":""}'
	dmo-extract --invalid-utf8 replace 'sqlite:t.db#u' >fast
	dmo-extract -B --invalid-utf8 replace 'sqlite:t.db#u' | dmo-extract >slow
	cmp fast slow
	assert_equal "$(sed -n 4p fast)" '{"i":4,"s":"�"}'
}

@test "dmo-extract: sqlite: a write error is status 3" {
	run -3 --separate-stderr bash -c 'dmo-extract "sqlite:t.db#t" >/dev/full'
	assert_equal "$stderr" "dmo-extract: <stdout>: write error: No space left on device"
}

@test "dmo-extract: sqlite: a missing table, bad SQL, a missing file, not a database: status 3" {
	run -3 --separate-stderr dmo-extract 'sqlite:t.db#nosuch'
	assert_equal "$stderr" "dmo-extract: sqlite:t.db#nosuch: no such table: nosuch"
	run -3 --separate-stderr dmo-extract -Q 'SELEC 1' sqlite:t.db
	assert_equal "$stderr" 'dmo-extract: sqlite:t.db: near "SELEC": syntax error'
	run -3 --separate-stderr dmo-extract 'sqlite:none.db#t'
	assert_equal "$stderr" "dmo-extract: sqlite:none.db#t: none.db: No such file or directory"
	echo 'not a database, just text long enough to have a header page' >text.db
	run -3 --separate-stderr dmo-extract 'sqlite:text.db#t'
	assert_equal "$stderr" "dmo-extract: sqlite:text.db#t: file is not a database"
	run -3 --separate-stderr dmo-extract -Q 'SELECT 1; SELECT 2' sqlite:t.db
	assert_equal "$stderr" 'dmo-extract: sqlite:t.db: the query holds more than one statement: " SELECT 2"'
	# The source is only read: no journal, no change.
	[ ! -e t.db-journal ] && [ ! -e none.db ]
}

@test "dmo-extract: database operands: usage errors" {
	usage_error "source \"sqlite:t.db\": name a table (#TABLE) or give option '--query'" sqlite:t.db
	usage_error "source \"sqlite:t.db#t\" names a table: option '--query' does not apply" \
	    -Q 'SELECT 1' 'sqlite:t.db#t'
	usage_error "source \"sqlite:\": no database file" sqlite:
	usage_error "source \"sqlite:#t\": no database file" 'sqlite:#t'
	usage_error "source \"sqlite:t.db#\": empty table name" 'sqlite:t.db#'
	usage_error "option '--query' applies to database sources only" -Q 'SELECT 1' x.csv
	usage_error "option '--follow' does not apply to a database source" -F 'sqlite:t.db#t'
	usage_error "source \"postgresql://h/db\": name a table (#TABLE) or give option '--query'" \
	    postgresql://h/db
	usage_error "\"postgres://h/db#\": empty table name" 'postgres://h/db#'
	usage_error "\"postgres://h/db#s.\": empty table name" 'postgres://h/db#s.'
}

@test "dmo-extract: a password in a PostgreSQL URI is refused before connecting" {
	local msg="a password in a PostgreSQL URI is visible to every user: use PGPASSFILE, ~/.pgpass or PGPASSWORD"
	usage_error "$msg" 'postgresql://u:secret@127.0.0.1:1/db#t'
	usage_error "$msg" 'postgres:///db?password=secret&host=/nonexistent#t'
	# The password is not repeated in the message.
	run -2 dmo-extract 'postgresql://u:secret@127.0.0.1:1/db#t'
	refute_output --partial secret
}

# --- PostgreSQL ---------------------------------------------------------

@test "dmo-extract: postgres: each type keeps its meaning" {
	need_pg
	run -0 --separate-stderr dmo-extract -Q 'SELECT * FROM ty ORDER BY id' "$PGURI"
	assert_equal "$stderr" ""
	assert_equal "$output" "$(cat <<'EOF'
{"id":1,"n":1234567890123456789012345678901234567890.5,"f8":0.1,"f4":0.1,"b":true,"d":"2024-01-02","ts":"2024-01-02T03:04:05.123456","tz":"2024-01-02T01:04:05.5Z","t":"03:04:05","iv":"P1Y2M3DT4H5M6S","by":"AP8Q","j":{"a":[1,2.50],"b":"x y"},"jb":{"a":[1,2.50],"b":"x y"},"a":[1,null,3],"ta":["a b","c,d",null,"NULL","q\"\\"],"u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","tx":"tab\there\nline","big":9223372036854775807,"sm":-32768}
{"id":2,"n":"NaN","f8":"-Infinity","f4":1e+30,"b":null,"d":"infinity","ts":null,"tz":null,"t":null,"iv":null,"by":null,"j":"café","jb":null,"a":[[1,2],[3,4]],"ta":null,"u":null,"tx":null,"big":null,"sm":null}
{"id":3,"n":null,"f8":null,"f4":null,"b":null,"d":null,"ts":null,"tz":null,"t":null,"iv":null,"by":null,"j":null,"jb":null,"a":null,"ta":null,"u":null,"tx":null,"big":null,"sm":null}
EOF
)"
}

@test "dmo-extract: postgres: a 40-digit numeric and json scalars survive" {
	need_pg
	run -0 dmo-extract -Q "SELECT 1234567890123456789012345678901234567890::numeric AS n,
	    0.000000000000000000000000000000000000001::numeric AS small,
	    12.30::numeric AS scale, '[1, {\"k\": 1e400}]'::json AS j,
	    'true'::jsonb AS jt, 'null'::json AS jn, '3.10'::json AS jnum,
	    '\"a\\u0000b\"'::json AS jnul, ARRAY[1.5, NULL]::numeric[] AS na,
	    ARRAY['2024-01-01 10:00:00+00']::timestamptz[] AS tza,
	    ARRAY['\\x01']::bytea[] AS ba, ARRAY[true, false] AS bools,
	    '{}'::int[] AS empty" "$PGURI"
	assert_output '{"n":1234567890123456789012345678901234567890,"small":0.000000000000000000000000000000000000001,"scale":12.30,"j":[1,{"k":1e400}],"jt":true,"jn":null,"jnum":3.10,"jnul":"a\u0000b","na":[1.5,null],"tza":["2024-01-01T10:00:00Z"],"ba":["AQ=="],"bools":[true,false],"empty":[]}'
}

@test "dmo-extract: postgres: #schema.table quotes names; times are in UTC whatever the server's zone" {
	need_pg
	run -0 dmo-extract "$PGURI#s.Odd \"name\""
	assert_output '{"x":7}'
	run -0 dmo-extract -Q "SELECT '2024-06-01 12:00:00 America/New_York'::timestamptz AS t" "$PGURI&options=-c%20TimeZone%3DAsia/Tokyo"
	assert_output '{"t":"2024-06-01T16:00:00Z"}'
}

@test "dmo-extract: postgres: a large table streams in bounded memory" {
	need_pg
	psqlc -c "CREATE TABLE big AS SELECT g AS id, repeat('x', 500) || g AS pad
	    FROM generate_series(1, 200000) g"
	# ASan holds freed memory in quarantine (256 MB): not a leak.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
	/usr/bin/time -f %M -o small.rss dmo-extract -Q 'SELECT * FROM big LIMIT 2000' "$PGURI" >/dev/null
	/usr/bin/time -f %M -o large.rss dmo-extract "$PGURI#big" |
	    awk '{ n++; if (length($0) > 500) long++ } END { print n, long }' >count
	assert_equal "$(cat count)" "200000 200000"
	# 100 MB of rows; the reader holds one FETCH (1,000 rows, 0.5 MB).
	local small large
	small=$(cat small.rss) large=$(cat large.rss)
	echo "peak RSS: $small KB for 2,000 rows, $large KB for 200,000" >&2
	[ "$large" -lt $((small + 20000)) ]
	psqlc -c 'DROP TABLE big'
}

@test "dmo-extract: postgres: rows count in --stats and go through -B" {
	need_pg
	run -0 --separate-stderr dmo-extract -B --stats stats.json "$PGURI#ty"
	dmo-extract -B -Q 'SELECT id FROM ty ORDER BY id' "$PGURI" | dmo-load >out.ndjson
	assert_equal "$(cat out.ndjson)" "$(printf '%s\n' '{"id":1}' '{"id":2}' '{"id":3}')"
	grep -q '"records_in":3,"records_out":3,"rejected":0' stats.json
}

@test "dmo-extract: postgres: bad SQL, a missing table, a failing query: status 3 with the server's message" {
	need_pg
	run -3 --separate-stderr dmo-extract -Q 'SELEC 1' "$PGURI"
	assert_equal "$stderr" "dmo-extract: $PGURI: syntax error at or near \"SELEC\""
	run -3 --separate-stderr dmo-extract "$PGURI#nosuch"
	assert_equal "$stderr" "dmo-extract: $PGURI#nosuch: relation \"nosuch\" does not exist"
	run -3 --separate-stderr dmo-extract "$PGURI#nosuch.t"
	assert_equal "$stderr" "dmo-extract: $PGURI#nosuch.t: relation \"nosuch.t\" does not exist"
	# An error after rows were read: the rows before it are out.
	run -3 --separate-stderr dmo-extract -Q 'SELECT 10 / (2000 - g) AS x FROM generate_series(1, 2500) g' "$PGURI"
	assert_equal "$stderr" "dmo-extract: $PGURI: division by zero"
	[ "${#lines[@]}" -eq 1000 ]
	# The session is read-only.
	run -3 --separate-stderr dmo-extract -Q 'SELECT * FROM ty FOR UPDATE' "$PGURI"
	assert_equal "$stderr" "dmo-extract: $PGURI: cannot execute SELECT FOR UPDATE in a read-only transaction"
	run -0 psqlc -c 'SELECT count(*) FROM ty'
	assert_output 3
}

@test "dmo-extract: postgres: an unreachable server is status 3 with libpq's message" {
	run -3 --separate-stderr dmo-extract 'postgresql:///db?host=/nonexistent&user=dmo#t'
	assert_equal "$stderr" 'dmo-extract: postgresql:///db?host=/nonexistent&user=dmo#t: connection to server on socket "/nonexistent/.s.PGSQL.5432" failed: No such file or directory'
	need_pg
	local uri="postgresql:///nosuchdb?host=$PGDIR&user=dmo#t"
	run -3 --separate-stderr dmo-extract "$uri"
	assert_equal "$stderr" "dmo-extract: $uri: connection to server on socket \"$PGDIR/.s.PGSQL.5432\" failed: FATAL:  database \"nosuchdb\" does not exist"
}

@test "dmo-extract: postgres: repeated column names are rejected records" {
	need_pg
	run -1 --separate-stderr dmo-extract -Q 'SELECT 1 AS a, 2 AS a' "$PGURI"
	assert_equal "$stderr" "dmo-extract: $PGURI:1: duplicate field name 'a'"
}
