#!/usr/bin/env bats
# dmo-load.bats - dmo-load: stdout, atomic files, SQLite; statuses and messages.
# SPDX-License-Identifier: BSD-2-Clause
#
# Each test runs in its own scratch directory holding a copy of
# fixtures/load/, so messages name files by relative paths.  The large
# input for the kill tests is generated once, in setup_file.

load test_helper

setup_file() {
	awk 'BEGIN { for (i = 1; i <= 300000; i++)
	    printf "{\"id\":%d,\"name\":\"name %d\",\"amount\":%d.%02d}\n",
	    i, i, i % 1000, i % 100 }' >"$BATS_FILE_TMPDIR/big.ndjson"
}

setup() {
	cp "$REPO"/tests/fixtures/load/* "$BATS_TEST_TMPDIR"/
	cd "$BATS_TEST_TMPDIR" || return 1
	BGPIDS=()
}

teardown() {
	local pid
	for pid in "${BGPIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
	done
}

PROG=dmo-load
TRY="Try 'dmo-load --help' for more information."
USAGE="usage: dmo-load [-Bv] [-d delim] [-f format] [-k fields] [-m mode] [target [file ...]]"

# The files in the current directory, hidden ones too, one a line.
listing() {
	ls -A | LC_ALL=C sort
}

# wait_for CMD...: run CMD until it succeeds, for up to 30 seconds.  Not a
# timing test: the condition is what matters, the bound only stops a hang.
wait_for() {
	local i
	for ((i = 0; i < 600; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	echo "wait_for: gave up on: $*" >&2
	return 1
}

q() {
	sqlite3 -batch "$@"
}

# --- the command line -------------------------------------------------

@test "dmo-load: --help prints the usage and the options in GNU layout" {
	run -0 --separate-stderr dmo-load --help
	assert_equal "$stderr" ""
	assert_line --index 0 "$USAGE"
	assert_line --regexp '^  -m, --mode MODE +databases: append \(default\), replace, upsert;$'
	assert_line --regexp '^ +partitions: replace \(default\), append$'
	assert_line --regexp '^  -k, --key FIELDS +comma-separated key fields for --mode upsert$'
	assert_line --regexp '^      --commit-interval T +'
	assert_line --regexp '^      --formula-escape +CSV/TSV: neutralise'
}

@test "dmo-load: usage errors exit 2 with a message, the usage and the Try line" {
	usage_error "option '--mode': not append, replace or upsert: \"merge\"" \
	    -m merge 'sqlite:x.db#t'
	usage_error "mode 'upsert' needs option '--key'" -m upsert 'sqlite:x.db#t'
	usage_error "option '--key' needs '--mode upsert'" -k id 'sqlite:x.db#t'
	usage_error "option '--key': empty field name in \"id,\"" \
	    -m upsert -k id, 'sqlite:x.db#t'
	usage_error "option '--mode' applies to SQLite and PostgreSQL targets only" -m replace out.csv
	usage_error "option '--key' applies to SQLite and PostgreSQL targets only" -k id -
	usage_error "option '--commit-every' applies to SQLite and PostgreSQL targets only" \
	    --commit-every 10 -
	usage_error "option '--commit-every': not a positive count: \"0\"" \
	    --commit-every 0 'sqlite:x.db#t'
	usage_error "option '--commit-interval': not a duration: \"soon\"" \
	    --commit-interval soon 'sqlite:x.db#t'
	usage_error "option '--format': unknown format: \"xml\"" -f xml -
	usage_error "option '--format': JSON array output is not supported yet: use ndjson" \
	    -f json -
	usage_error "option '--format' does not apply to a SQLite target" \
	    -f csv 'sqlite:x.db#t'
	usage_error "option '--format' conflicts with target \"tsv:out.txt\"" \
	    -f csv tsv:out.txt
	usage_error "option '--binary' applies to stdout only: use binary:PATH for a file" \
	    -B out.ndjson
	usage_error "option '--binary' conflicts with the CSV, TSV or NDJSON output asked for" \
	    -B -f csv -
	usage_error "option '--delimiter' applies to CSV and TSV output only" -d ';' -
	usage_error "option '--delimiter': not a single character: \";;\"" -d ';;' out.csv
	usage_error "option '--no-header' applies to CSV and TSV output only" \
	    --no-header out.ndjson
	usage_error "option '--duplicate-keys': not reject, first or last: \"all\"" \
	    --duplicate-keys all -
	usage_error "option '--invalid-utf8': not reject or replace: \"keep\"" \
	    --invalid-utf8 keep -
	usage_error "option '--max-record-size': not a size: \"big\"" \
	    --max-record-size big -
	[ ! -e x.db ]
}

@test "dmo-load: a target whose format is unknown or JSON is a usage error" {
	usage_error "target \"out.json\": JSON array output is not supported yet: use a .ndjson name or ndjson:PATH" \
	    out.json orders.ndjson
	usage_error "target \"json:out.txt\": JSON array output is not supported yet: use ndjson:PATH or a .ndjson name" \
	    json:out.txt orders.ndjson
	usage_error "target \"out.txt\": cannot tell the format from the name: use -f or a prefix such as csv:PATH" \
	    out.txt orders.ndjson
	usage_error "target \"sqlite:#t\": no database file" 'sqlite:#t'
	usage_error "target \"sqlite:x.db#\": empty table name" 'sqlite:x.db#'
	usage_error "target \"csv:\": no file name" csv:
	[ ! -e out.json ] && [ ! -e out.txt ] && [ ! -e x.db ]
}

# --- the standard output ------------------------------------------------

@test "dmo-load: NDJSON to stdout by default keeps every value as it was read" {
	dmo-load <orders.ndjson >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	golden ndjson
	run -0 dmo-load - orders.ndjson
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/out")"
}

@test "dmo-load: CSV and TSV to stdout, with -d, --no-header and --formula-escape" {
	dmo-load -f csv - orders.ndjson >"$BATS_TEST_TMPDIR/out"
	golden csv
	dmo-load --formula-escape tsv:- orders.ndjson >"$BATS_TEST_TMPDIR/out"
	golden tsv-formula
	dmo-load --no-header -d ';' csv:- orders.csv >"$BATS_TEST_TMPDIR/out"
	golden csv-semicolon
}

@test "dmo-load: CSV input becomes NDJSON strings" {
	dmo-load - orders.csv >"$BATS_TEST_TMPDIR/out"
	golden from-csv
}

@test "dmo-load: binary frames with -B or DMO_WIRE=binary read back the same" {
	dmo-load - orders.ndjson >want.ndjson
	dmo-load -B - orders.ndjson >frames.dmo
	[ "$(head -c 4 frames.dmo | od -An -c | tr -d ' ')" = '211DMO' ]
	run -0 dmo-load - frames.dmo
	assert_equal "$output" "$(cat want.ndjson)"
	DMO_WIRE=binary dmo-load - orders.ndjson >env.dmo
	cmp frames.dmo env.dmo
	# -f wins over the environment
	DMO_WIRE=binary dmo-load -f ndjson - orders.ndjson >plain.ndjson
	cmp want.ndjson plain.ndjson
}

@test "dmo-load: several inputs, one after the other; a bad one does not stop stdout" {
	run -3 --separate-stderr dmo-load - orders.csv nope.ndjson bad.ndjson
	assert_equal "$stderr" "$(printf '%s\n' \
	    'dmo-load: nope.ndjson: No such file or directory' \
	    "dmo-load: bad.ndjson:2:1: not a JSON object: found 'n'")"
	assert_equal "${#lines[@]}" 5
	assert_line --index 3 '{"id":1,"v":"a"}'
	# Binary output after a failed input has no trailer: the next
	# program sees an incomplete stream.
	run -1 --separate-stderr bash -c 'dmo-load -B - nope.ndjson orders.csv 2>/dev/null | dmo-load -'
	assert_equal "${#lines[@]}" 3
	[[ $stderr == 'dmo-load: <stdin>: truncated binary stream: '* ]]
}

@test "dmo-load: rejected records: messages, --rejects, --max-rejects and --stats" {
	run -1 --separate-stderr dmo-load - bad.ndjson
	assert_equal "$output" "$(printf '%s\n' '{"id":1,"v":"a"}' '{"id":2,"v":"b"}')"
	assert_equal "$stderr" "dmo-load: bad.ndjson:2:1: not a JSON object: found 'n'"
	run -0 --separate-stderr dmo-load --max-rejects 1 --rejects rej.ndjson \
	    --stats stats.json - bad.ndjson
	assert_equal "$stderr" "dmo-load: 1 record rejected, see 'rej.ndjson'"
	run -0 cat rej.ndjson
	assert_output '{"source":"bad.ndjson","line":2,"reason":"not a JSON object: found '"'"'n'"'"'","raw":"not json"}'
	run -0 jq -c '[.records_in, .records_out, .rejected, .status]' stats.json
	assert_output '[3,2,1,0]'
}

@test "dmo-load: a full disk on stdout exits 3 with 'write error: No space left on device'" {
	run -3 --separate-stderr bash -c 'dmo-load - orders.ndjson >/dev/full'
	assert_equal "$stderr" "dmo-load: <stdout>: write error: No space left on device"
	run -3 --separate-stderr bash -c 'dmo-load -B - orders.ndjson >/dev/full'
	assert_equal "$stderr" "dmo-load: <stdout>: write error: No space left on device"
}

@test "dmo-load: a directory as input exits 3" {
	mkdir somedir
	run -3 --separate-stderr dmo-load - somedir
	assert_equal "$stderr" "dmo-load: somedir: Is a directory"
	run -3 --separate-stderr dmo-load out.csv somedir
	assert_equal "$stderr" "$(printf '%s\n' 'dmo-load: somedir: Is a directory' \
	    'dmo-load: out.csv: left unchanged')"
	[ ! -e out.csv ]
	run -3 --separate-stderr dmo-load sqlite:db.sqlite somedir
	assert_equal "$stderr" "$(printf '%s\n' 'dmo-load: somedir: Is a directory' \
	    "dmo-load: db.sqlite: table 'somedir': rolled back, nothing loaded")"
}

@test "dmo-load: an unreadable input exits 3" {
	need_unprivileged
	chmod 000 orders.csv
	run -3 --separate-stderr unprivileged "$REPO/bin/dmo-load" - orders.csv
	assert_equal "$stderr" "dmo-load: orders.csv: Permission denied"
}

# --- files --------------------------------------------------------------

@test "dmo-load: files in each format, by name, by prefix and by -f" {
	dmo-load - orders.ndjson >want.ndjson
	dmo-load out.csv orders.ndjson
	dmo-load -f csv - orders.ndjson | cmp - out.csv
	dmo-load out.TSV orders.ndjson
	dmo-load tsv:- orders.ndjson | cmp - out.TSV
	dmo-load out.ndjson orders.ndjson
	cmp want.ndjson out.ndjson
	dmo-load out.jsonl <orders.ndjson
	cmp want.ndjson out.jsonl
	dmo-load csv:out.txt orders.ndjson
	cmp out.csv out.txt
	dmo-load -f tsv other.txt orders.ndjson
	cmp out.TSV other.txt
	dmo-load binary:out.bin orders.ndjson
	run -0 dmo-load - out.bin
	assert_equal "$output" "$(cat want.ndjson)"
	dmo-load out.dmo orders.ndjson
	cmp out.bin out.dmo
	run -0 listing
	refute_output --partial '.dmo-'
}

@test "dmo-load: a file is replaced whole, keeping its mode; a new one follows the umask" {
	echo old >kept.csv
	chmod 640 kept.csv
	dmo-load kept.csv orders.csv
	dmo-load csv:- orders.csv | cmp - kept.csv
	[ "$(stat -c %a kept.csv)" = 640 ]
	(umask 027 && dmo-load new.csv orders.csv)
	[ "$(stat -c %a new.csv)" = 640 ]
	(umask 022 && dmo-load new2.csv orders.csv)
	[ "$(stat -c %a new2.csv)" = 644 ]
}

@test "dmo-load: a failing run leaves the old file as it was, and no temporary file" {
	echo 'old content' >out.ndjson
	cp out.ndjson old.ndjson
	run -1 --separate-stderr dmo-load out.ndjson bad.ndjson
	assert_equal "$stderr" "$(printf '%s\n' \
	    "dmo-load: bad.ndjson:2:1: not a JSON object: found 'n'" \
	    'dmo-load: out.ndjson: left unchanged: 1 record rejected, more than the 0 allowed')"
	cmp old.ndjson out.ndjson
	run -3 --separate-stderr dmo-load out.ndjson orders.ndjson nope.ndjson
	assert_equal "$stderr" "$(printf '%s\n' \
	    'dmo-load: nope.ndjson: No such file or directory' \
	    'dmo-load: out.ndjson: left unchanged')"
	cmp old.ndjson out.ndjson
	run -1 --separate-stderr dmo-load --max-rejects 10% out.ndjson bad.ndjson
	assert_equal "${stderr_lines[1]}" \
	    'dmo-load: out.ndjson: left unchanged: 1 of 3 records rejected, more than the 10% allowed'
	cmp old.ndjson out.ndjson
	# Within the limit, the file is replaced.
	run -0 --separate-stderr dmo-load --max-rejects 1 out.ndjson bad.ndjson
	assert_equal "$(cat out.ndjson)" "$(printf '%s\n' '{"id":1,"v":"a"}' '{"id":2,"v":"b"}')"
	run -0 listing
	refute_output --partial '.dmo-'
}

@test "dmo-load: a truncated binary stream leaves the old file as it was" {
	echo 'old content' >out.csv
	dmo-load -B - orders.ndjson >full.dmo
	head -c "$(($(wc -c <full.dmo) - 5))" full.dmo >cut.dmo
	run -1 --separate-stderr dmo-load out.csv cut.dmo
	[[ ${stderr_lines[0]} == 'dmo-load: cut.dmo: truncated binary stream: '* ]]
	assert_equal "${stderr_lines[1]}" 'dmo-load: out.csv: left unchanged'
	assert_equal "$(cat out.csv)" 'old content'
	run -0 listing
	refute_output --partial '.dmo-'
	# On stdout the records pass, and the cut is passed on: no trailer.
	run -1 --separate-stderr bash -c 'dmo-load -B - cut.dmo >again.dmo'
	[[ $stderr == 'dmo-load: cut.dmo: truncated binary stream: '* ]]
	run -1 --separate-stderr dmo-load - again.dmo
	[[ $stderr == 'dmo-load: again.dmo: truncated binary stream: '* ]]
	assert_equal "${#lines[@]}" 4
}

@test "dmo-load: writing a file to a full disk exits 3 and keeps nothing" {
	run -3 --separate-stderr dmo-load csv:/dev/full orders.ndjson
	assert_equal "$stderr" "dmo-load: /dev/full: write error: No space left on device"
}

@test "dmo-load: a target that cannot be written exits 3 before reading" {
	mkdir adir
	run -3 --separate-stderr dmo-load csv:adir orders.ndjson
	assert_equal "$stderr" "dmo-load: adir: Is a directory"
	run -3 --separate-stderr dmo-load nodir/out.csv orders.ndjson
	assert_equal "$stderr" \
	    "dmo-load: nodir/out.csv: cannot create a temporary file in 'nodir': No such file or directory"
}

@test "dmo-load: a symbolic link target replaces the file it points to" {
	mkdir real
	echo old >real/data.csv
	ln -s real/data.csv link.csv
	dmo-load link.csv orders.csv
	[ -L link.csv ]
	dmo-load csv:- orders.csv | cmp - real/data.csv
}

@test "dmo-load: an input may also be the target" {
	dmo-load - orders.csv >want.ndjson
	dmo-load orders.ndjson orders.csv
	cp orders.ndjson again.ndjson
	dmo-load again.ndjson again.ndjson
	cmp want.ndjson again.ndjson
}

@test "dmo-load: SIGTERM while writing a file removes the temporary file" {
	mkfifo fifo
	dmo-load out.csv <fifo &
	local pid=$!
	BGPIDS+=("$pid")
	exec 8>fifo
	echo '{"a":1}' >&8
	wait_for bash -c 'ls -A | grep -q "^\.out\.csv\.dmo-"'
	kill -TERM "$pid"
	local st=0
	wait "$pid" || st=$?
	exec 8>&-
	assert_equal "$st" 143
	run -0 listing
	refute_output --partial '.dmo-'
	refute_line out.csv
}

# --- SQLite ---------------------------------------------------------------

@test "dmo-load: SQLite: a new table takes its columns and types from the first record" {
	run -0 --separate-stderr dmo-load -v sqlite:db.sqlite types.ndjson
	assert_equal "${stderr_lines[0]}" "dmo-load: db.sqlite: table 'types': created with 9 columns"
	run -0 q db.sqlite .schema
	assert_output 'CREATE TABLE IF NOT EXISTS "types" ("i" INTEGER, "r" REAL, "big", "b" INTEGER, "s" TEXT, "a" TEXT, "o" TEXT, "n", "z" TEXT);'
	run -0 q db.sqlite "SELECT typeof(i), i, typeof(r), r, typeof(big), big,
	    typeof(b), b, s, a, o, typeof(n), typeof(z), hex(z) FROM types"
	assert_output 'integer|42|real|12.3|text|18446744073709551616|integer|1|007|[1,{"k":"v"}]|{"k":[true,null]}|null|text|610062'
}

@test "dmo-load: SQLite: the table is named after the first input, or 'data'" {
	gzip -c orders.csv >sales.csv.gz
	dmo-load sqlite:db.sqlite sales.csv.gz orders.csv
	dmo-load sqlite:db.sqlite <orders.csv
	dmo-load 'sqlite:db.sqlite#My Table' orders.csv
	run -0 q db.sqlite "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"
	assert_output "$(printf '%s\n' 'My Table' data sales)"
	run -0 q db.sqlite 'SELECT count(*) FROM sales'
	assert_output 6
}

@test "dmo-load: SQLite: append adds rows, and columns for new fields" {
	dmo-load 'sqlite:db.sqlite#t' orders.csv
	run -0 --separate-stderr dmo-load -v --max-rejects 2 'sqlite:db.sqlite#t' orders.ndjson
	assert_equal "${stderr_lines[0]}" "dmo-load: db.sqlite: table 't': added column 'amount' REAL"
	assert_equal "${stderr_lines[1]}" "dmo-load: db.sqlite: table 't': added column 'paid' INTEGER"
	assert_equal "${stderr_lines[2]}" "dmo-load: db.sqlite: table 't': added column 'tags' TEXT"
	assert_equal "${stderr_lines[3]}" "dmo-load: db.sqlite: table 't': added column 'note'"
	assert_equal "${stderr_lines[4]}" \
	    "dmo-load: orders.ndjson:2: field 'amount': number cannot be stored exactly in a REAL column: \"18446744073709551616\""
	assert_equal "${stderr_lines[5]}" \
	    "dmo-load: orders.ndjson:3: field 'amount': number cannot be stored exactly in a REAL column: \"1e400\""
	run -0 q db.sqlite "SELECT id, typeof(id), name, city, amount, typeof(amount), paid, tags, quote(note)
	    FROM t ORDER BY rowid"
	assert_output "$(cat <<'EOF'
1|text|Ann|Paris, FR||null|||NULL
2|text|Bob "B"|Oslo||null|||NULL
3|text|Zoë|multi
line||null|||NULL
1|text|Ann||12.3|real|1|["a","b"]|NULL
4|text|-5 apples||-12.5|real|||'@home	now'
EOF
)"
}

@test "dmo-load: SQLite: numbers are stored exactly or the record is rejected" {
	run -0 --separate-stderr dmo-load --max-rejects 10 'sqlite:db.sqlite#real' real.ndjson
	assert_equal "$stderr" "$(cat <<'EOF'
dmo-load: real.ndjson:3: field 'x': number cannot be stored exactly in a REAL column: "1e400"
dmo-load: real.ndjson:4: field 'x': number cannot be stored exactly in a REAL column: "0.1000000000000000000001"
dmo-load: real.ndjson:5: field 'x': number cannot be stored exactly in a REAL column: "9007199254740993"
dmo-load: real.ndjson:7: field 'x': string would be changed into a number by a REAL column: "007"
EOF
)"
	run -0 q db.sqlite 'SELECT typeof(x), x FROM real ORDER BY rowid'
	assert_output "$(printf '%s\n' real\|1.5 real\|12.3 real\|2.5 real\|100.0 real\|-0.007)"
	# In a column without a type, and in a TEXT column, the lexeme is kept.
	q db.sqlite 'CREATE TABLE loose (x); CREATE TABLE txt (x TEXT); CREATE TABLE i (x INTEGER)'
	dmo-load 'sqlite:db.sqlite#loose' real.ndjson
	run -0 q db.sqlite 'SELECT typeof(x), x FROM loose ORDER BY rowid'
	assert_output "$(printf '%s\n' real\|1.5 real\|12.3 text\|1e400 \
	    text\|0.1000000000000000000001 integer\|9007199254740993 text\|2.5 \
	    text\|007 integer\|100 real\|-0.007)"
	dmo-load 'sqlite:db.sqlite#txt' real.ndjson
	run -0 q db.sqlite 'SELECT group_concat(x, " ") FROM txt'
	assert_output '1.5 12.30 1e400 0.1000000000000000000001 9007199254740993 2.5 007 100 -7E-3'
	printf '%s\n' '{"x":18446744073709551616}' '{"x":" 5"}' '{"x":"5"}' '{"x":1.5}' >in.ndjson
	run -1 --separate-stderr dmo-load 'sqlite:db.sqlite#i' <in.ndjson
	assert_equal "$stderr" "$(cat <<'EOF'
dmo-load: <stdin>:1: field 'x': number cannot be stored exactly in an INTEGER column: "18446744073709551616"
dmo-load: <stdin>:2: field 'x': string would be changed into a number by an INTEGER column: " 5"
dmo-load: db.sqlite: table 'i': rolled back, nothing loaded: 2 records rejected, more than the 0 allowed
EOF
)"
	run -0 q db.sqlite 'SELECT count(*) FROM i'
	assert_output 0
}

@test "dmo-load: SQLite: replace swaps the rows in one transaction" {
	dmo-load --max-rejects 2 'sqlite:db.sqlite#t' orders.ndjson 2>/dev/null
	run -0 q db.sqlite 'SELECT count(*) FROM t'
	assert_output 2
	q db.sqlite 'CREATE INDEX t_name ON t (name)'
	dmo-load -m replace 'sqlite:db.sqlite#t' orders.csv
	run -0 q db.sqlite 'SELECT id, name, quote(amount), city FROM t ORDER BY rowid'
	assert_output "$(printf '%s\n' '1|Ann|NULL|Paris, FR' '2|Bob "B"|NULL|Oslo' '3|Zoë|NULL|multi' 'line')"
	run -0 q db.sqlite "SELECT name FROM sqlite_schema WHERE type = 'index'"
	assert_output t_name
	# A failing replace keeps the old rows.
	run -1 --separate-stderr dmo-load -m replace 'sqlite:db.sqlite#t' bad.ndjson
	assert_equal "${stderr_lines[1]}" \
	    "dmo-load: db.sqlite: table 't': rolled back, nothing loaded: 1 record rejected, more than the 0 allowed"
	run -0 q db.sqlite 'SELECT count(*) FROM t'
	assert_output 3
	# No records: the table is emptied.
	dmo-load -m replace 'sqlite:db.sqlite#t' </dev/null
	run -0 q db.sqlite 'SELECT count(*) FROM t'
	assert_output 0
}

@test "dmo-load: SQLite: upsert creates a unique key and updates rows by it" {
	printf '%s\n' '{"id":1,"v":"a","w":1}' '{"id":2,"v":"b","w":2}' |
	    dmo-load -m upsert -k id 'sqlite:db.sqlite#t'
	run -0 q db.sqlite .schema
	assert_output 'CREATE TABLE IF NOT EXISTS "t" ("id" INTEGER, "v" TEXT, "w" INTEGER, UNIQUE ("id"));'
	printf '%s\n' '{"id":2,"v":"B"}' '{"id":3,"v":"c","w":3}' '{"id":3,"v":"C"}' |
	    dmo-load -m upsert -k id 'sqlite:db.sqlite#t'
	run -0 q db.sqlite 'SELECT id, v, w FROM t ORDER BY id'
	assert_output "$(printf '%s\n' '1|a|1' '2|B|2' '3|C|3')"
	printf '%s\n' '{"v":"x"}' '{"id":null,"v":"y"}' '{"id":4,"v":"d"}' >in.ndjson
	run -1 --separate-stderr dmo-load -m upsert -k id 'sqlite:db.sqlite#t' <in.ndjson
	assert_equal "$stderr" "$(cat <<'EOF'
dmo-load: <stdin>:1: key field 'id' is missing
dmo-load: <stdin>:2: key field 'id' is null
dmo-load: db.sqlite: table 't': rolled back, nothing loaded: 2 records rejected, more than the 0 allowed
EOF
)"
	run -0 q db.sqlite 'SELECT count(*) FROM t'
	assert_output 3
}

@test "dmo-load: SQLite: upsert on an existing table adds a unique index, or says why not" {
	q db.sqlite 'CREATE TABLE t (a, b, v); INSERT INTO t VALUES (1, 1, 0), (1, 2, 0)'
	run -0 --separate-stderr dmo-load -v -m upsert -k a,b 'sqlite:db.sqlite#t' <<<'{"a":1,"b":2,"v":9}'
	assert_equal "${stderr_lines[0]}" \
	    "dmo-load: db.sqlite: table 't': created unique index 't_a_b_key' on key 'a,b'"
	run -0 q db.sqlite 'SELECT a, b, v FROM t ORDER BY a, b'
	assert_output "$(printf '%s\n' '1|1|0' '1|2|9')"
	run -3 --separate-stderr dmo-load -m upsert -k a 'sqlite:db.sqlite#t' <<<'{"a":1,"v":5}'
	assert_equal "$stderr" "$(cat <<'EOF'
dmo-load: db.sqlite: table 't': cannot create a unique index on key 'a': existing rows have duplicate keys
dmo-load: db.sqlite: table 't': rolled back, nothing loaded
EOF
)"
	# A primary key is a unique key too.
	q db.sqlite 'CREATE TABLE p (id INTEGER PRIMARY KEY, v)'
	dmo-load -m upsert -k id 'sqlite:db.sqlite#p' <<<'{"id":7,"v":1}'
	dmo-load -m upsert -k id 'sqlite:db.sqlite#p' <<<'{"id":7,"v":2}'
	run -0 q db.sqlite "SELECT id, v FROM p; SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
	assert_output "$(printf '%s\n' '7|2' 1)"
}

@test "dmo-load: SQLite: constraint failures reject the record" {
	q db.sqlite 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)'
	printf '%s\n' '{"id":1,"name":"a"}' '{"id":2,"name":null}' '{"id":1,"name":"b"}' \
	    '{"id":"x","name":"c"}' >in.ndjson
	run -0 --separate-stderr dmo-load --max-rejects 3 'sqlite:db.sqlite#t' <in.ndjson
	assert_equal "$stderr" "$(cat <<'EOF'
dmo-load: <stdin>:2: table 't': NOT NULL constraint failed: t.name
dmo-load: <stdin>:3: table 't': UNIQUE constraint failed: t.id
dmo-load: <stdin>:4: table 't': datatype mismatch
EOF
)"
	run -0 q db.sqlite 'SELECT id, name FROM t'
	assert_output '1|a'
}

@test "dmo-load: SQLite: fields that differ only in case are one column" {
	dmo-load 'sqlite:db.sqlite#t' <<<'{"Id":1}'
	printf '%s\n' '{"id":2}' '{"x":1,"X":2}' >in.ndjson
	run -0 --separate-stderr dmo-load --max-rejects 1 'sqlite:db.sqlite#t' <in.ndjson
	assert_equal "$stderr" \
	    "dmo-load: <stdin>:2: field 'X': same column as another field (SQLite column names ignore case)"
	run -0 q db.sqlite 'SELECT Id FROM t ORDER BY rowid'
	assert_output "$(printf '%s\n' 1 2)"
}

@test "dmo-load: SQLite: rejects beyond the limit roll the whole load back" {
	dmo-load 'sqlite:db.sqlite#t' orders.csv
	run -1 --separate-stderr dmo-load 'sqlite:db.sqlite#t' orders.csv bad.ndjson
	assert_equal "$stderr" "$(cat <<'EOF'
dmo-load: bad.ndjson:2:1: not a JSON object: found 'n'
dmo-load: db.sqlite: table 't': rolled back, nothing loaded: 1 record rejected, more than the 0 allowed
EOF
)"
	run -0 q db.sqlite 'SELECT count(*) FROM t; PRAGMA table_info(t)'
	assert_output "$(printf '%s\n' 3 '0|id|TEXT|0||0' '1|name|TEXT|0||0' '2|city|TEXT|0||0')"
}

@test "dmo-load: SQLite: a truncated binary stream is not committed" {
	dmo-load 'sqlite:db.sqlite#t' orders.csv
	dmo-load -B - "$BATS_FILE_TMPDIR/big.ndjson" >full.dmo
	head -c 1000000 full.dmo >cut.dmo
	run -1 --separate-stderr dmo-load 'sqlite:db.sqlite#t' <cut.dmo
	[[ ${stderr_lines[0]} == 'dmo-load: <stdin>: truncated binary stream: '* ]]
	assert_equal "${stderr_lines[1]}" "dmo-load: db.sqlite: table 't': rolled back, nothing loaded"
	run -0 q db.sqlite 'SELECT count(*) FROM t'
	assert_output 3
	# The whole stream loads.
	dmo-load 'sqlite:db.sqlite#t' <full.dmo
	run -0 q db.sqlite 'SELECT count(*) FROM t'
	assert_output 300003
}

@test "dmo-load: SQLite: errors name the database and the table, and exit 3" {
	echo 'not a database, just text of a decent length for sqlite to look at' >notes.txt
	run -3 --separate-stderr dmo-load 'sqlite:notes.txt#t' orders.csv
	assert_equal "$stderr" "dmo-load: notes.txt: table 't': file is not a database"
	mkdir adir
	run -3 --separate-stderr dmo-load 'sqlite:adir#t' orders.csv
	assert_equal "$stderr" "dmo-load: adir: table 't': unable to open database file"
	q db.sqlite 'CREATE VIEW v AS SELECT 1 AS id'
	run -3 --separate-stderr dmo-load 'sqlite:db.sqlite#v' <<<'{"id":2}'
	assert_equal "$stderr" "$(printf '%s\n' \
	    "dmo-load: db.sqlite: table 'v': cannot modify v because it is a view" \
	    "dmo-load: db.sqlite: table 'v': rolled back, nothing loaded")"
}

@test "dmo-load: SQLite: a locked database is waited for, then fails clearly" {
	q db.sqlite 'CREATE TABLE t (a)'
	mkfifo ctl
	sqlite3 -batch db.sqlite <ctl >locker.out &
	BGPIDS+=("$!")
	local locker=$!
	exec 4>ctl
	echo "BEGIN IMMEDIATE; SELECT 'locked';" >&4
	wait_for grep -q locked locker.out
	run -3 --separate-stderr dmo-load 'sqlite:db.sqlite#t' <<<'{"a":1}'
	assert_equal "$stderr" "$(printf '%s\n' \
	    "dmo-load: db.sqlite: table 't': database is locked (waited 5 seconds)" \
	    "dmo-load: db.sqlite: table 't': rolled back, nothing loaded")"
	echo 'COMMIT;' >&4
	exec 4>&-
	wait "$locker"
	dmo-load 'sqlite:db.sqlite#t' <<<'{"a":1}'
	run -0 q db.sqlite 'SELECT count(*) FROM t'
	assert_output 1
}

@test "dmo-load: SQLite: a load killed with SIGKILL leaves the table as it was; a re-run completes it" {
	local big=$BATS_FILE_TMPDIR/big.ndjson
	head -n 3 "$big" | sed 's/"name [0-9]*"/"old"/; s/"id":/"id":-/' |
	    dmo-load 'sqlite:db.sqlite#t'
	mkfifo fifo
	dmo-load 'sqlite:db.sqlite#t' <fifo &
	local pid=$!
	BGPIDS+=("$pid")
	exec 8>fifo
	head -n 100000 "$big" >&8
	# It has started writing (the rollback journal exists) and has read
	# what it was sent.
	local sent
	sent=$(head -n 100000 "$big" | wc -c)
	wait_for test -s db.sqlite-journal
	if [ -r "/proc/$pid/io" ]; then
		wait_for bash -c '[ "$(sed -n "s/^rchar: //p" /proc/'"$pid"'/io)" -ge '"$sent"' ]'
	fi
	kill -9 "$pid"
	exec 8>&-
	local st=0
	wait "$pid" || st=$?
	assert_equal "$st" 137
	run -0 q db.sqlite 'SELECT count(*), sum(id), min(name) FROM t'
	assert_output '3|-6|old'
	dmo-load 'sqlite:db.sqlite#t' "$big"
	run -0 q db.sqlite 'SELECT count(*), sum(id),
	    sum(abs(amount - (id % 1000 + (id % 100) / 100.0)) < 1e-9) FROM t WHERE id > 0'
	assert_output '300000|45000150000|300000'
	run -0 q db.sqlite "SELECT name FROM t WHERE id = 123456"
	assert_output 'name 123456'
}

@test "dmo-load: SQLite: with --commit-every records are committed as they go and when input pauses" {
	mkfifo fifo
	dmo-load --commit-every 2 'sqlite:db.sqlite#t' <fifo &
	local pid=$!
	BGPIDS+=("$pid")
	exec 8>fifo
	printf '%s\n' '{"n":1}' '{"n":2}' '{"n":3}' >&8
	# 1 and 2 by the count, 3 because the input paused after it.
	wait_for bash -c '[ "$(sqlite3 db.sqlite "SELECT count(*) FROM t" 2>/dev/null)" = 3 ]'
	kill -9 "$pid"
	exec 8>&-
	wait "$pid" || true
	run -0 q db.sqlite 'SELECT group_concat(n) FROM t'
	assert_output '1,2,3'
}

@test "dmo-load: SQLite: with --commit-every a failure loses only the uncommitted tail" {
	dmo-load -B - "$BATS_FILE_TMPDIR/big.ndjson" >full.dmo
	head -c 1000000 full.dmo >cut.dmo
	run -1 --separate-stderr dmo-load --commit-every 1000 'sqlite:db.sqlite#t' <cut.dmo
	[[ ${stderr_lines[0]} == 'dmo-load: <stdin>: truncated binary stream: '* ]]
	[[ ${stderr_lines[1]} =~ ^"dmo-load: db.sqlite: table 't': rolled back the last "([0-9]+)" records, "([0-9]+)" committed before"$ ]]
	local tail=${BASH_REMATCH[1]} kept=${BASH_REMATCH[2]}
	[ "$tail" -gt 0 ] && [ "$tail" -lt 1000 ]
	[ "$kept" -gt 0 ] && [ $((kept % 1000)) -eq 0 ]
	run -0 q db.sqlite 'SELECT count(*), max(id) FROM t'
	assert_output "$kept|$kept"
}

@test "dmo-load: SQLite: --commit-every stops at a commit once rejects pass the limit" {
	printf '%s\n' '{"n":1}' '{"n":2}' 'bad' '{"n":3}' '{"n":4}' '{"n":5}' >in.ndjson
	run -1 --separate-stderr dmo-load --commit-every 2 'sqlite:db.sqlite#t' <in.ndjson
	assert_equal "$stderr" "$(cat <<'EOF'
dmo-load: <stdin>:3:1: not a JSON object: found 'b'
dmo-load: db.sqlite: table 't': rolled back the last 2 records, 2 committed before: 1 record rejected, more than the 0 allowed
EOF
)"
	run -0 q db.sqlite 'SELECT group_concat(n) FROM t'
	assert_output '1,2'
}

@test "dmo-load: SQLite: --commit-interval commits when the input pauses" {
	mkfifo fifo
	dmo-load --commit-interval 1h 'sqlite:db.sqlite#t' <fifo &
	local pid=$!
	BGPIDS+=("$pid")
	exec 8>fifo
	echo '{"n":1}' >&8
	wait_for bash -c '[ "$(sqlite3 db.sqlite "SELECT count(*) FROM t" 2>/dev/null)" = 1 ]'
	echo '{"n":2}' >&8
	wait_for bash -c '[ "$(sqlite3 db.sqlite "SELECT count(*) FROM t" 2>/dev/null)" = 2 ]'
	kill -9 "$pid"
	exec 8>&-
	wait "$pid" || true
	run -0 q db.sqlite 'SELECT group_concat(n) FROM t'
	assert_output '1,2'
}
