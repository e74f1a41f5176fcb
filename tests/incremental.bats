#!/usr/bin/env bats
# incremental.bats - incremental runs from cron: dmo-extract --since-field
# and --state, checkpoint frames, dmo-load --state; runs killed part-way.
# SPDX-License-Identifier: BSD-2-Clause

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
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

# rows FROM TO [HOUR]: NDJSON rows id FROM..TO; two rows share each
# timestamp, so a checkpoint often falls between equal values.
rows() {
	local i h=${3:-0}
	for ((i = $1; i <= $2; i++)); do
		printf '{"id":%d,"t":"2026-01-01T%02d:%02d:%02dZ","v":"r%d"}\n' \
		    "$i" "$h" $(((i / 2) / 60)) $(((i / 2) % 60)) "$i"
	done
}

# quoted TEXT: TEXT as messages quote a value (ASCII only): cut at 40.
quoted() {
	if [ "${#1}" -gt 40 ]; then
		printf '"%s"...' "${1:0:40}"
	else
		printf '"%s"' "$1"
	fi
}

# What a keyed target must hold: the last version of each id.
expected() {
	jq -s -c 'group_by(.id) | map(max_by(.t)) | .[] | [.id, .t, .v]' src.ndjson
}

held() {
	sqlite3 -json db.sqlite 'select id, t, v from t order by id' |
	    jq -c '.[] | [.id, .t, .v]'
}

check_target() {
	diff -u <(expected) <(held) || fail "the target differs from the source"
	[ "$(sqlite3 db.sqlite 'select count(*) from t')" = \
	    "$(jq -s 'map(.id) | unique | length' src.ndjson)" ] ||
	    fail "rows missing or duplicated"
}

EXTRACT=(dmo-extract -B --since-field t --state st.json --checkpoint-every 10)
LOAD=(dmo-load --state st.json -k id -m upsert --commit-every 10 'sqlite:db.sqlite#t')

# The cron job.
cron_run() {
	"${EXTRACT[@]}" --stats x.stats src.ndjson | "${LOAD[@]}"
}

bookmark() {
	jq -r .bookmark st.json 2>/dev/null || echo none
}

# Each round feeds at least 20 records later than the saved bookmark.
state_moved_on() {
	[ "$(bookmark)" != "$1" ] && jq -e '.records >= 20' st.json >/dev/null
}

# killed_run STAGE: the cron pipeline, with a middle stage
# (dmo-load -B -, a pass-through filter) and the source fed through a
# pipe: the first lines, then, once a checkpoint after 20 records is
# saved, STAGE (extract, middle or load) is killed with SIGKILL and the
# rest of the source follows.
killed_run() {
	local stage=$1 before feed pid_x pid_m pid_l victim rc
	feed=$(($(wc -l <src.ndjson) - 15))
	before=$(bookmark)
	rm -f go f1 f2 f3
	mkfifo f1 f2 f3
	{ head -n "$feed" src.ndjson
	  while [ ! -e go ]; do sleep 0.05; done
	  tail -n +$((feed + 1)) src.ndjson; } >f1 2>/dev/null &
	"${EXTRACT[@]}" <f1 >f2 2>x.err &
	pid_x=$!
	dmo-load -B - <f2 >f3 2>m.err &
	pid_m=$!
	"${LOAD[@]}" <f3 2>l.err &
	pid_l=$!
	wait_for state_moved_on "$before"
	case $stage in
	extract)	victim=$pid_x ;;
	middle)		victim=$pid_m ;;
	load)		victim=$pid_l ;;
	esac
	kill -KILL "$victim"
	touch go
	rc=0
	wait "$victim" || rc=$?
	[ "$rc" -eq 137 ] || fail "$stage: status $rc, not 137 (SIGKILL)"
	wait || true
	rm -f go f1 f2 f3
}

@test "incremental: a cron run killed part-way (extract, load, a middle stage), then run again, loads every record exactly once" {
	rows 1 40 >src.ndjson
	killed_run extract
	! check_target >/dev/null 2>&1 || fail "the killed run loaded everything"
	run -0 jq -e '.bookmark != null and .records >= 20' st.json
	run -0 cron_run
	check_target
	# The rerun began at the saved bookmark, not at the beginning.
	run -0 jq -e '.incremental.skipped > 0' x.stats

	# Round 2: new rows, and rows 5 and 30 updated (a later t).
	rows 41 80 >>src.ndjson
	printf '%s\n' '{"id":5,"t":"2026-01-01T05:00:00Z","v":"u5"}' \
	    '{"id":30,"t":"2026-01-01T05:00:00Z","v":"u30"}' >>src.ndjson
	rows 81 100 6 >>src.ndjson
	killed_run load
	run -0 cron_run
	check_target

	# Round 3: more rows; the pass-through stage dies.
	rows 101 160 7 >>src.ndjson
	killed_run middle
	run -0 cron_run
	check_target

	# Round 4: nothing new: only the rows at the bookmark come again.
	run -0 cron_run
	check_target
	run -0 jq -c '[.records_out, .incremental.to, .incremental.checkpoints]' x.stats
	assert_output '[1,"2026-01-01T07:01:20Z",1]'
}

@test "incremental: the first run sends everything and saves the bookmark after the commit" {
	rows 1 5 >src.ndjson
	run -0 --separate-stderr cron_run
	assert_equal "$stderr" ""
	run -0 jq -c '[.dmo_state, .field, .bookmark, .records]' st.json
	assert_output '[1,"t","2026-01-01T00:00:02Z",5]'
	run -0 jq -r '.saved | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")' st.json
	assert_output true
	run -0 jq -c '[.records_in, .records_out, .incremental]' x.stats
	assert_output '[5,5,{"field":"t","from":null,"to":"2026-01-01T00:00:02Z","skipped":0,"checkpoints":1}]'
	[ "$(sqlite3 db.sqlite 'select count(*) from t')" = 5 ]
}

@test "incremental: the bookmark is inclusive: records that share the last value come again" {
	rows 1 5 >src.ndjson
	run -0 cron_run
	# ids 4 and 5 share the last timestamp; 6 is new.
	rows 6 6 >>src.ndjson
	run -0 bash -c 'dmo-extract --since-field t --state st.json src.ndjson 2>/dev/null | jq -c .id'
	assert_output "$(printf '4\n5\n6')"
}

@test "incremental: numbers compare numerically, text bytewise; numeric text counts as a number" {
	printf '{"dmo_state":1,"field":"n","bookmark":"9"}\n' >st.json
	printf '%s\n' '{"n":8}' '{"n":9}' '{"n":10}' '{"n":9.5}' '{"n":1e1}' \
	    '{"n":"100"}' '{"n":"007"}' '{"n":-20}' '{"n":18446744073709551616}' >in.ndjson
	run -0 --separate-stderr dmo-extract --since-field n --state st.json in.ndjson
	assert_output "$(printf '%s\n' '{"n":9}' '{"n":10}' '{"n":9.5}' '{"n":1e1}' \
	    '{"n":"100"}' '{"n":18446744073709551616}')"
	# "007" is not a JSON number, so it is compared as text: "007" < "9".
	printf '{"dmo_state":1,"field":"d","bookmark":"2026-01-05T10:00:00Z"}\n' >st.json
	printf '%s\n' '{"d":"2026-01-05T09:59:59Z"}' '{"d":"2026-01-05T10:00:00Z"}' \
	    '{"d":"2026-01-05T10:00:00.5Z"}' '{"d":"2026-01-06"}' '{"d":"2026-01-05"}' >in.ndjson
	run -0 --separate-stderr dmo-extract --since-field d --state st.json in.ndjson
	assert_output "$(printf '%s\n' '{"d":"2026-01-05T10:00:00Z"}' '{"d":"2026-01-06"}')"
	# CSV values are text: numeric text still compares as numbers.
	printf '{"dmo_state":1,"field":"id","bookmark":"9"}\n' >st.json
	printf 'id,x\n8,a\n9,b\n10,c\n' >in.csv
	run -0 --separate-stderr dmo-extract --since-field id --state st.json in.csv
	assert_output "$(printf '%s\n' '{"id":"9","x":"b"}' '{"id":"10","x":"c"}')"
}

@test "incremental: a record whose field is missing, null, a boolean or nested is rejected, and the bookmark stays" {
	printf '%s\n' '{"id":1,"t":"a"}' '{"id":2}' '{"id":3,"t":null}' \
	    '{"id":4,"t":true}' '{"id":5,"t":[1]}' '{"id":6,"t":"b"}' >src.ndjson
	run -1 --separate-stderr bash -c \
	    'set -o pipefail; dmo-extract -B --since-field t --state st.json src.ndjson | dmo-load --state st.json "sqlite:db.sqlite#t"'
	assert_equal "$stderr" "$(cat <<-'EOF'
	dmo-extract: src.ndjson:2: field 't': missing: the record cannot be placed against the bookmark
	dmo-extract: src.ndjson:3: field 't': null: the record cannot be placed against the bookmark
	dmo-extract: src.ndjson:4: field 't': boolean: the record cannot be placed against the bookmark
	dmo-extract: src.ndjson:5: field 't': array: the record cannot be placed against the bookmark
	dmo-load: st.json: warning: no checkpoint was committed, so the state file is left as it was (is the input NDJSON? dmo-extract needs -B or DMO_WIRE=binary)
	EOF
	)"
	[ ! -e st.json ]
	[ "$(sqlite3 db.sqlite 'select group_concat(id) from t')" = 1,6 ]
	# Allowed by --max-rejects, the run is clean and the bookmark moves.
	run -0 --separate-stderr bash -c \
	    'dmo-extract -B --max-rejects 4 --since-field t --state st.json src.ndjson | dmo-load --state st.json "sqlite:db.sqlite#t"'
	run -0 jq -r .bookmark st.json
	assert_output b
}

@test "incremental: a corrupt state file is status 2 with a message; a missing one means from the beginning" {
	printf '{"t":"a"}\n' >src.ndjson
	bad() {
		printf '%s' "$1" >st.json
		run -2 --separate-stderr dmo-extract --since-field t --state st.json src.ndjson
		assert_equal "$output" ""
		assert_equal "$stderr" "dmo-extract: st.json$2"
	}
	bad 'not json' ":1:3: not valid JSON: '[' or '{' expected near 'not'"
	bad '' ":1: not valid JSON: '[' or '{' expected near end of file"
	bad '{"dmo_state":1,"field":"t","bookmark":"a"' ":1:41: not valid JSON: '}' expected near end of file"
	bad '[]' ": not a valid state file: array, not an object"
	bad '{"field":"t","bookmark":"a"}' ": not a valid state file: no 'dmo_state' member"
	bad '{"dmo_state":"1","field":"t","bookmark":"a"}' ": not a valid state file: 'dmo_state' is not a version number"
	bad '{"dmo_state":2,"field":"t","bookmark":"a"}' ": state file version 2 is not supported (this is version 1)"
	bad '{"dmo_state":1,"bookmark":"a"}' ": not a valid state file: 'field' is missing, not a string"
	bad '{"dmo_state":1,"field":"u","bookmark":"a"}' ": the bookmark is on field \"u\", not on 't' as option '--since-field' says"
	bad '{"dmo_state":1,"field":"t","bookmark":5}' ": not a valid state file: 'bookmark' is integer, not a string or null"
	bad '{"dmo_state":1,"field":"t"}' ": not a valid state file: 'bookmark' is missing, not a string or null"
	# A null bookmark and unknown members are fine.
	printf '{"dmo_state":1,"field":"t","bookmark":null,"later":1}' >st.json
	run -0 dmo-extract --since-field t --state st.json src.ndjson
	rm st.json
	run -0 --separate-stderr dmo-extract --since-field t --state st.json src.ndjson
	assert_output '{"t":"a"}'
	run -2 --separate-stderr dmo-extract --since-field t --state nodir/st.json src.ndjson
	assert_equal "$stderr" "dmo-extract: nodir/st.json: directory 'nodir': No such file or directory"
}

@test "incremental: an unreadable state file is status 3" {
	need_unprivileged
	printf '{"t":"a"}\n' >src.ndjson
	printf '{"dmo_state":1,"field":"t","bookmark":"a"}' >st.json
	chmod 000 st.json
	chmod 777 .
	run -3 --separate-stderr unprivileged "$REPO/bin/dmo-extract" --since-field t --state st.json src.ndjson
	assert_equal "$stderr" "dmo-extract: st.json: cannot open: Permission denied"
}

@test "incremental: option errors" {
	usage() {
		run -2 --separate-stderr dmo-extract "$@" /dev/null
		assert_equal "${stderr_lines[0]}" "dmo-extract: $msg"
		assert_equal "${stderr_lines[2]}" "Try 'dmo-extract --help' for more information."
	}
	msg="option '--since-field' needs '--state'" usage --since-field t
	msg="option '--state' needs '--since-field'" usage --state s.json
	msg="option '--since-field': empty name" usage --since-field '' --state s.json
	msg="option '--checkpoint-every' needs '--since-field' and '--state'" usage --checkpoint-every 5
	msg="option '--checkpoint-every': not a count: \"x\"" usage --since-field t --state s.json --checkpoint-every x
	msg="option '--checkpoint-interval': not a duration: \"-1\"" usage --since-field t --state s.json --checkpoint-interval -1
	run -2 --separate-stderr dmo-load --state s.json -
	assert_equal "${stderr_lines[0]}" "dmo-load: option '--state' needs a target that commits: the standard output never does"
}

# A stream of only a checkpoint, as dmo-extract writes it when no record
# is new: the bytes of dmo-frame(5), with this directory's state path.
@test "incremental: checkpoint frames are byte-exact" {
	: >src.ndjson
	run -0 bash -c 'dmo-extract -B --since-field updated_at --state orders.state src.ndjson | od -An -v -tx1 | tr -s " \n" " "'
	local path=$PWD/orders.state n=${#PWD}
	[ "$n" -lt 100 ] || skip "a temporary directory path too long for this check"
	local hex
	hex=$(printf '%s' "$path" | od -An -v -tx1 | tr -s ' \n' ' ')
	local plen=$((1 + 1 + ${#path} + 1 + 10 + 1 + 1))
	local want
	want=$(printf ' 89 44 4d 4f 0d 0a 1a 0a 01 00 63 %02x 00 00 00 01 %02x%s0a 75 70 64 61 74 65 64 5f 61 74 00 00 45 01 00 00 00 00 ' \
	    "$plen" "${#path}" "$hex")
	assert_equal "$output" "$want"
}

@test "incremental: checkpoints pass through dmo-load -B - and dmo-extract -B unchanged" {
	rows 1 25 >src.ndjson
	"${EXTRACT[@]}" src.ndjson >a.dmo
	dmo-load -B - <a.dmo >b.dmo
	cmp a.dmo b.dmo
	dmo-extract -B <a.dmo >c.dmo
	cmp a.dmo c.dmo
	# Three checkpoints: after 10 and 20 records, and at the end.
	run -0 bash -c 'grep -c -a "st.json" a.dmo'
	# NDJSON output drops them.
	run -0 bash -c 'dmo-load - <a.dmo | wc -l'
	assert_output 25
}

@test "incremental: with NDJSON between the stages the bookmark never advances, and both ends say so" {
	rows 1 5 >src.ndjson
	run -0 --separate-stderr bash -c \
	    'dmo-extract --since-field t --state st.json src.ndjson | dmo-load --state st.json -k id -m upsert "sqlite:db.sqlite#t"'
	assert_equal "$stderr" "$(cat <<-'EOF'
	dmo-extract: warning: option '--state': NDJSON output carries no checkpoints, so the bookmark will not advance (use -B or DMO_WIRE=binary)
	dmo-load: st.json: warning: no checkpoint was committed, so the state file is left as it was (is the input NDJSON? dmo-extract needs -B or DMO_WIRE=binary)
	EOF
	)"
	[ ! -e st.json ]
	[ "$(sqlite3 db.sqlite 'select count(*) from t')" = 5 ]
	# A binary stream through an NDJSON stage loses its checkpoints too.
	run -0 --separate-stderr bash -c \
	    'dmo-extract -B --since-field t --state st.json src.ndjson | dmo-extract | dmo-load --state st.json -k id -m upsert "sqlite:db.sqlite#t"'
	[ ! -e st.json ]
	# DMO_WIRE=binary is enough.
	run -0 --separate-stderr bash -c \
	    'export DMO_WIRE=binary; dmo-extract --since-field t --state st.json src.ndjson | dmo-load --state st.json -k id -m upsert "sqlite:db.sqlite#t"'
	assert_equal "$stderr" ""
	run -0 jq -r .bookmark st.json
	assert_output 2026-01-01T00:00:02Z
}

@test "incremental: dmo-load saves only the state file its own --state names" {
	rows 1 3 >src.ndjson
	mkdir other
	run -2 --separate-stderr bash -c \
	    'dmo-extract -B --since-field t --state other/st.json src.ndjson | dmo-load --state st.json "sqlite:db.sqlite#t"'
	# The path comes from the input: quoted as a value, cut at 40 bytes.
	assert_equal "$stderr" "dmo-load: option '--state': the input's checkpoints are for $(quoted "$PWD/other/st.json"), not '$PWD/st.json': the bookmark does not advance"
	[ ! -e st.json ] && [ ! -e other/st.json ]
	[ "$(sqlite3 db.sqlite 'select count(*) from t')" = 3 ]
	# The same file by another name is the same file.
	run -0 --separate-stderr bash -c \
	    'dmo-extract -B --since-field t --state other/../st.json src.ndjson | dmo-load --state "$PWD/st.json" "sqlite:db2.sqlite#t"'
	assert_equal "$stderr" ""
	[ -e st.json ]
	# Without --state, dmo-load warns once and saves nothing.
	rm st.json
	run -0 --separate-stderr bash -c \
	    'dmo-extract -B --since-field t --state st.json src.ndjson | dmo-load "sqlite:db3.sqlite#t"'
	assert_equal "$stderr" "dmo-load: warning: the input carries checkpoints for $(quoted "$PWD/st.json"), but option '--state' is not given: the bookmark does not advance"
	[ ! -e st.json ]
}

@test "incremental: a damaged checkpoint frame is an error and saves nothing" {
	# 'c', 3 bytes of payload: version 1, then a state path cut short.
	printf '\x89DMO\r\n\x1a\n\x01\x00c\x03\x00\x00\x00\x01\x05/\x45\x01\x00\x00\x00\x00' >bad.dmo
	run -1 --separate-stderr dmo-load --state st.json 'sqlite:db.sqlite#t' bad.dmo
	assert_equal "$stderr" "dmo-load: damaged checkpoint frame: state path"
	[ ! -e st.json ]
}

@test "incremental: a file target saves the bookmark after its rename; a failed load saves nothing" {
	rows 1 4 >src.ndjson
	run -0 bash -c '"${@}" src.ndjson | dmo-load --state st.json out.csv' sh "${EXTRACT[@]}"
	run -0 jq -r .bookmark st.json
	assert_output 2026-01-01T00:00:02Z
	# A truncated stream: no rename, no state.
	rm st.json
	"${EXTRACT[@]}" src.ndjson | head -c 60 >cut.dmo
	run -1 dmo-load --state st.json out2.csv cut.dmo
	[ ! -e st.json ] && [ ! -e out2.csv ]
}

@test "incremental: records out of order stop periodic checkpoints, with a warning" {
	printf '%s\n' '{"t":1}' '{"t":2}' '{"t":3}' '{"t":2}' '{"t":4}' '{"t":5}' >src.ndjson
	run -0 --separate-stderr bash -c \
	    'dmo-extract -B --checkpoint-every 2 --since-field t --state st.json --stats x.stats src.ndjson | dmo-load --state st.json "sqlite:db.sqlite#t"'
	assert_equal "$stderr" "dmo-extract: src.ndjson:4: warning: field 't': records are not in order: \"2\" comes after \"3\"; no checkpoint until the end of the input"
	run -0 jq -c '.incremental | [.to, .checkpoints]' x.stats
	assert_output '["5",2]'
}

@test "incremental: a source that fails sends no final checkpoint" {
	rows 1 3 >src.ndjson
	run -3 --separate-stderr bash -c \
	    'set -o pipefail; dmo-extract -B --since-field t --state st.json src.ndjson nope.ndjson | dmo-load --state st.json "sqlite:db.sqlite#t"'
	assert_equal "$stderr" "dmo-extract: nope.ndjson: No such file or directory
dmo-load: st.json: warning: no checkpoint was committed, so the state file is left as it was (is the input NDJSON? dmo-extract needs -B or DMO_WIRE=binary)"
	[ ! -e st.json ]
}

@test "incremental: following a file (-F) saves checkpoints as records arrive" {
	rows 1 3 >src.ndjson
	mkfifo f1
	dmo-extract -F -B --since-field t --state st.json src.ndjson >f1 2>x.err &
	local pid_x=$!
	dmo-load --state st.json --commit-every 1 'sqlite:db.sqlite#t' <f1 2>l.err &
	wait_for jq -e '.bookmark == "2026-01-01T00:00:01Z"' st.json
	rows 4 4 >>src.ndjson
	wait_for jq -e '.bookmark == "2026-01-01T00:00:02Z"' st.json
	[ "$(sqlite3 db.sqlite 'select count(*) from t')" = 4 ]
	kill -TERM "$pid_x"
	wait || true
	[ ! -s x.err ] || fail "$(cat x.err)"
}
