#!/usr/bin/env bats
# dmo-extract-follow.bats - follow mode (-F, common/follow.c): records
# appended to a file reach the end of a pipeline at once; rotation,
# truncation and partial lines, as tail -F has them.
# SPDX-License-Identifier: BSD-2-Clause
#
# No timed assertions: each test waits for a record with a 2 s deadline
# and prints the latency it measured on the TAP stream.  The one check
# that something does NOT happen (a partial line) can only pass wrongly
# on a slow machine, never fail wrongly.

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	PIDS=()
}

teardown() {
	local p

	exec 5>&-
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
}

# follow FILE [OPTION...]: run `dmo-extract -F OPTION... FILE | dmo-load -`
# in the background; records go to the file out, messages to
# extract.err and load.err.  fd 3 is closed so bats does not wait for them.
follow() {
	local file=$1
	shift
	mkfifo pipe
	dmo-extract -F "$@" "$file" >pipe 2>extract.err 3>&- &
	PIDS+=("$!")
	dmo-load - <pipe >out 2>load.err 3>&- &
	PIDS+=("$!")
}

now_ms() {
	local ns
	ns=$(date +%s%N)
	echo $((ns / 1000000))
}

# wait_line LINE: wait until out holds the line LINE, at most 2 s from
# $t0 (default: now); sets ms to the time taken since $t0.
wait_line() {
	local start=${t0:-$(now_ms)} now
	while :; do
		now=$(now_ms)
		if [ -e out ] && grep -qxF -- "$1" out; then
			ms=$((now - start))
			return 0
		fi
		if [ $((now - start)) -gt 2000 ]; then
			echo "# no line $1 after 2 s; out:"
			sed 's/^/#   /' out 2>/dev/null
			sed 's/^/# extract.err: /' extract.err 2>/dev/null
			return 1
		fi
		sleep 0.005
	done
}

@test "dmo-extract -F: a line appended reaches the end of the pipeline while the writer holds the file" {
	printf '{"n":1}\n' >log.ndjson
	follow log.ndjson
	t0=$(now_ms) wait_line '{"n":1}'
	exec 5>>log.ndjson
	t0=$(now_ms)
	printf '{"n":2}\n' >&5
	wait_line '{"n":2}'
	echo "# latency: $ms ms" >&3
	# The writer still has the file open.
	printf '{"n":3}\n' >&5
	t0=$(now_ms) wait_line '{"n":3}'
	exec 5>&-
	run cat out
	assert_output - <<-'EOF'
	{"n":1}
	{"n":2}
	{"n":3}
	EOF
	[ ! -s extract.err ]
}

@test "dmo-extract -F: a burst of lines arrives whole and in order" {
	: >log.ndjson
	follow log.ndjson
	exec 5>>log.ndjson
	for i in $(seq 1 2000); do
		printf '{"n":%d,"pad":"%0100d"}\n' "$i" 0
	done >&5
	t0=$(now_ms) wait_line "$(printf '{"n":2000,"pad":"%0100d"}' 0)"
	exec 5>&-
	run -0 awk -F'[:,]' '$2 != NR { print; exit }' out
	assert_output ''
	[ "$(wc -l <out)" -eq 2000 ]
}

@test "dmo-extract -F: a partial line is not emitted until its newline arrives" {
	printf '{"n":1}\n' >log.ndjson
	follow log.ndjson
	t0=$(now_ms) wait_line '{"n":1}'
	exec 5>>log.ndjson
	printf '{"n":' >&5
	sleep 0.3
	[ "$(wc -l <out)" -eq 1 ]
	t0=$(now_ms)
	printf '2}\n' >&5
	wait_line '{"n":2}'
	echo "# latency: $ms ms" >&3
	exec 5>&-
	run cat out
	assert_output - <<-'EOF'
	{"n":1}
	{"n":2}
	EOF
}

@test "dmo-extract -F: CSV rows appended under the header" {
	printf 'id,name\n1,ada\n' >log.csv
	follow log.csv
	t0=$(now_ms) wait_line '{"id":"1","name":"ada"}'
	printf '2,bob\n' >>log.csv
	t0=$(now_ms) wait_line '{"id":"2","name":"bob"}'
	echo "# latency: $ms ms" >&3
}

@test "dmo-extract -F: rotation: the old file is read to its end, then the new one" {
	printf '{"n":1}\n' >log.ndjson
	follow log.ndjson -s src
	t0=$(now_ms) wait_line '{"n":1,"src":"log.ndjson"}'
	exec 5>>log.ndjson
	mv log.ndjson log.ndjson.1
	# The writer has not reopened yet: this goes to the old file.
	printf '{"n":2}\n' >&5
	exec 5>&-
	printf '{"n":3}\n' >log.ndjson
	t0=$(now_ms) wait_line '{"n":3,"src":"log.ndjson"}'
	printf '{"n":4}\n' >>log.ndjson
	t0=$(now_ms) wait_line '{"n":4,"src":"log.ndjson"}'
	run cat out
	assert_output - <<-'EOF'
	{"n":1,"src":"log.ndjson"}
	{"n":2,"src":"log.ndjson"}
	{"n":3,"src":"log.ndjson"}
	{"n":4,"src":"log.ndjson"}
	EOF
	run cat extract.err
	assert_output --partial "'log.ndjson' has been replaced; following new file"
}

@test "dmo-extract -F: truncation: read again from the top" {
	printf '{"n":1,"text":"a longer first line"}\n{"n":2}\n' >log.ndjson
	follow log.ndjson
	t0=$(now_ms) wait_line '{"n":2}'
	: >log.ndjson
	printf '{"n":3}\n' >>log.ndjson
	t0=$(now_ms) wait_line '{"n":3}'
	echo "# latency: $ms ms" >&3
	run cat out
	assert_output - <<-'EOF'
	{"n":1,"text":"a longer first line"}
	{"n":2}
	{"n":3}
	EOF
	run cat extract.err
	assert_output --partial "'log.ndjson': file truncated"
}

@test "dmo-extract -F: the file removed, then created again" {
	printf '{"n":1}\n' >log.ndjson
	follow log.ndjson
	t0=$(now_ms) wait_line '{"n":1}'
	rm log.ndjson
	sleep 0.3	# dmo-extract waits for the name to come back
	printf '{"n":2}\n' >log.ndjson
	t0=$(now_ms) wait_line '{"n":2}'
	echo "# latency: $ms ms" >&3
	run cat extract.err
	assert_output --partial "'log.ndjson' has been replaced; following new file"
}

@test "dmo-extract -F: the reader stays alive at the end of the file" {
	printf '{"n":1}\n' >log.ndjson
	follow log.ndjson
	t0=$(now_ms) wait_line '{"n":1}'
	sleep 0.5
	kill -0 "${PIDS[0]}"
	kill -0 "${PIDS[1]}"
}
