#!/usr/bin/env bats
# dmo-transform-agg.bats - aggregates (common/aggregate.c): groups, exact
# values, decimal sums, nulls, and event-time windows on a batch and on a
# stream (dmo-transform(1), AGGREGATES and WINDOWS).
# SPDX-License-Identifier: BSD-2-Clause
#
# The expected values were computed by hand or with python3's decimal
# and statistics modules, not by dmo.

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	PIDS=()
	cat >sales.csv <<-'END'
	city,amount,qty
	Oslo,12.30,2
	Rome,5,1
	Oslo,0.10,
	Lima,,3
	Rome,-7.25,4
	Oslo,100,1
	END
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

@test "dmo-transform --group-by: count, sum, min, max, mean per group, in order of first appearance" {
	dmo-extract sales.csv | dmo-transform --group-by city \
	    --agg 'count,count(amount),sum(amount),min(amount),max(amount),mean(amount),sum(qty)' >out
	cat >want <<-'END'
	{"city":"Oslo","count":3,"count_amount":3,"sum_amount":112.40,"min_amount":0.10,"max_amount":100,"mean_amount":37.46666666666667,"sum_qty":3}
	{"city":"Rome","count":2,"count_amount":2,"sum_amount":-2.25,"min_amount":-7.25,"max_amount":5,"mean_amount":-1.125,"sum_qty":5}
	{"city":"Lima","count":1,"count_amount":0,"sum_amount":null,"min_amount":null,"max_amount":null,"mean_amount":null,"sum_qty":3}
	END
	diff -u want out
}

@test "dmo-transform --agg: sums of decimal text are exact (no float drift on money)" {
	for i in $(seq 1 1000); do echo '{"amount":"0.10","x":19.99}'; done >in
	# '' is the program: the first operand is always the program.
	run -0 dmo-transform --agg 'sum(amount),total=sum(x),n=count' '' in
	[ "$output" = '{"sum_amount":100.00,"total":19990.00,"n":1000}' ]
}

@test "dmo-transform --agg: stddev, var, distinct, first, last, quantiles" {
	printf '{"x":%s}\n' 2 4 4 4 5 5 7 9 >in
	run -0 dmo-transform --agg 'stddev(x),var(x),distinct(x),first(x),last(x),median(x),p90(x),p25(x)' '' in
	[ "$output" = '{"stddev_x":2.138089935299395,"var_x":4.571428571428571,"distinct_x":5,"first_x":2,"last_x":9,"median_x":4,"p90_x":9,"p25_x":4}' ]
}

@test "dmo-transform --agg: stddev stays exact on large values (Welford)" {
	# A naive sum of squares loses every digit here.
	printf '{"x":%s}\n' 1000000000001 1000000000002 1000000000003 1000000000004 >in
	run -0 dmo-transform --agg 'stddev(x),var(x),mean(x)' '' in
	[ "$output" = '{"stddev_x":1.2909944487358056,"var_x":1.6666666666666667,"mean_x":1000000000002.5}' ]
}

@test "dmo-transform --agg: empty input gives one record of zeros; with --group-by, none" {
	run -0 dmo-transform --agg 'count,sum(amount),distinct(amount)' </dev/null
	[ "$output" = '{"count":0,"sum_amount":null,"distinct_amount":0}' ]
	run -0 dmo-transform --group-by city </dev/null
	[ "$output" = "" ]
}

@test "dmo-transform --group-by: null and missing group values form one group; default aggregate is count" {
	printf '%s\n' '{"g":null}' '{}' '{"g":"a"}' '{"g":""}' >in
	run -0 dmo-transform --group-by g '' in
	[ "$output" = '{"g":null,"count":2}
{"g":"a","count":1}
{"g":"","count":1}' ]
}

@test "dmo-transform --agg: a value that is not a number is rejected with its reason and counts nowhere" {
	printf '%s\n' '{"a":1}' '{"a":"x1"}' '{"a":true}' '{"a":2.5}' >in
	run -1 --separate-stderr dmo-transform --agg 'count,sum(a)' '' in
	[ "$output" = '{"count":2,"sum_a":3.5}' ]
	[ "$stderr" = 'dmo-transform: in:2: field '\''a'\'': not a number: "x1"
dmo-transform: in:3: field '\''a'\'': not a number: "true"' ] || {
		echo "$stderr"
		false
	}
}

@test "dmo-transform --agg: bad specifications are usage errors" {
	run -2 --separate-stderr dmo-transform --agg 'count,sum' </dev/null
	[ "${stderr_lines[0]}" = "dmo-transform: aggregate 'sum': needs a field, as in sum(amount): \"sum\"" ]
	[ "${stderr_lines[2]}" = "Try 'dmo-transform --help' for more information." ]
	run -2 --separate-stderr dmo-transform --agg 'p101(x)' </dev/null
	[ "${stderr_lines[0]}" = 'dmo-transform: unknown aggregate: "p101(x)"' ]
	run -2 --separate-stderr dmo-transform --group-by count </dev/null
	[ "${stderr_lines[0]}" = "dmo-transform: aggregate: output field 'count' named twice (name one with NAME=fn(field))" ]
}

# Windows.  Events of 2024-01-01, five-minute tumbling windows.
events() {
	cat <<-'END'
	{"ts":"2024-01-01T00:01:00Z","k":"a","v":1}
	{"ts":"2024-01-01T00:04:00Z","k":"b","v":2}
	{"ts":"2024-01-01T00:06:00Z","k":"a","v":4}
	{"ts":"2024-01-01T00:04:30Z","k":"a","v":8}
	{"ts":"2024-01-01T00:07:00Z","k":"a","v":16}
	{"ts":"2024-01-01T00:03:00Z","k":"b","v":32}
	{"ts":"2024-01-01T00:11:00Z","k":"b","v":64}
	END
}

@test "dmo-transform --window: tumbling, out of order within lateness, late events rejected, end of input closes all" {
	events >in
	run -1 --separate-stderr dmo-transform --group-by k --agg 'count,sum(v)' \
	    --time-field ts --window 5m --lateness 2m --rejects rej '' in
	cat >want <<-'END'
	{"k":"a","window_start":"2024-01-01T00:00:00Z","window_end":"2024-01-01T00:05:00Z","count":2,"sum_v":9}
	{"k":"b","window_start":"2024-01-01T00:00:00Z","window_end":"2024-01-01T00:05:00Z","count":1,"sum_v":2}
	{"k":"a","window_start":"2024-01-01T00:05:00Z","window_end":"2024-01-01T00:10:00Z","count":2,"sum_v":20}
	{"k":"b","window_start":"2024-01-01T00:10:00Z","window_end":"2024-01-01T00:15:00Z","count":1,"sum_v":64}
	END
	diff -u want - <<<"$output"
	[ "$stderr" = "dmo-transform: 1 record rejected, see 'rej'" ] || {
		echo "$stderr"
		false
	}
	run -0 jq -c '[.line, .reason]' rej
	[ "$output" = '[6,"field '\''ts'\'': late, watermark 2024-01-01T00:05:00Z: \"2024-01-01T00:03:00Z\""]' ]
}

@test "dmo-transform --window: lateness 0 closes a window at the first event at or past its end" {
	printf '%s\n' '{"t":10}' '{"t":20}' '{"t":19.5}' '{"t":25}' >in
	run -1 --separate-stderr dmo-transform --time-field t --window 10s '' in
	[ "$output" = '{"window_start":10,"window_end":20,"count":1}
{"window_start":20,"window_end":30,"count":2}' ]
	[ "${stderr_lines[0]}" = 'dmo-transform: in:3: field '\''t'\'': late, watermark 20: "19.5"' ]
}

@test "dmo-transform --slide: each event counts in every window that holds it" {
	printf '%s\n' '{"t":5}' '{"t":25}' '{"t":41}' >in
	run -0 dmo-transform --time-field t --window 40s --slide 20s --agg 'n=count,sum(t)' '' in
	[ "$output" = '{"window_start":-20,"window_end":20,"n":1,"sum_t":5}
{"window_start":0,"window_end":40,"n":2,"sum_t":30}
{"window_start":20,"window_end":60,"n":2,"sum_t":66}
{"window_start":40,"window_end":80,"n":1,"sum_t":41}' ]
}

@test "dmo-transform --time-field: missing, null and bad event times are rejected" {
	printf '%s\n' '{"t":"2024-13-01"}' '{"t":null}' '{}' '{"t":"2024-01-01 10:00"}' >in
	run -0 --separate-stderr dmo-transform --time-field t --window 1h --max-rejects 3 '' in
	[ "$output" = '{"window_start":"2024-01-01T10:00:00Z","window_end":"2024-01-01T11:00:00Z","count":1}' ]
	[ "$stderr" = 'dmo-transform: in:1: field '\''t'\'': not a time: "2024-13-01"
dmo-transform: in:2: field '\''t'\'': null event time
dmo-transform: in:3: field '\''t'\'': missing' ]
}

@test "dmo-transform --window: option errors" {
	run -2 --separate-stderr dmo-transform --window 5m </dev/null
	[ "${stderr_lines[0]}" = "dmo-transform: option '--window' needs '--time-field'" ]
	run -2 --separate-stderr dmo-transform --time-field t </dev/null
	[ "${stderr_lines[0]}" = "dmo-transform: option '--time-field' needs '--window'" ]
	run -2 --separate-stderr dmo-transform --time-field t --window 5x </dev/null
	[ "${stderr_lines[0]}" = 'dmo-transform: option '\''--window'\'': not a duration: "5x"' ]
	run -2 --separate-stderr dmo-transform --time-field t --window 1m --slide 2m </dev/null
	[ "${stderr_lines[0]}" = "dmo-transform: the slide must be positive and at most the window length" ]
	run -2 --separate-stderr dmo-transform --time-field t --window 1d --slide 1ms </dev/null
	[ "${stderr_lines[0]}" = "dmo-transform: a record would count in 86400000 windows (at most 10000): make the slide longer" ]
	run -2 --separate-stderr dmo-transform --lateness 1m </dev/null
	[ "${stderr_lines[0]}" = "dmo-transform: options '--slide' and '--lateness' need '--window'" ]
}

@test "dmo-transform --group-by: binary frames between the stages give the same result" {
	dmo-extract sales.csv | dmo-transform --group-by city --agg 'sum(amount)' >want
	DMO_WIRE=binary dmo-extract sales.csv | dmo-transform --group-by city --agg 'sum(amount)' >out
	diff -u want out
	run -0 cat out
	[ "${lines[0]}" = '{"city":"Oslo","sum_amount":112.40}' ]
}

@test "dmo-transform --agg after a program: the program's output is aggregated" {
	run -0 bash -c "dmo-extract sales.csv | dmo-transform 'where city != \"Lima\"' --group-by city --agg 'n=count'"
	[ "$output" = '{"city":"Oslo","n":3}
{"city":"Rome","n":2}' ]
}

now_ms() {
	local ns
	ns=$(date +%s%N)
	echo $((ns / 1000000))
}

# wait_line LINE: wait until out holds LINE, at most 2 s; ms is the time.
wait_line() {
	local start now
	start=$(now_ms)
	while :; do
		now=$(now_ms)
		if [ -e out ] && grep -qxF -- "$1" out; then
			ms=$((now - start))
			return 0
		fi
		if [ $((now - start)) -gt 2000 ]; then
			echo "# no line $1 after 2 s; out:"
			sed 's/^/#   /' out 2>/dev/null
			sed 's/^/# err: /' err 2>/dev/null
			return 1
		fi
		sleep 0.005
	done
}

@test "dmo-transform --window: a closed window goes downstream at once while the input stays open" {
	mkfifo pipe
	dmo-transform --time-field t --window 10s --agg 'sum(v)' <pipe >out 2>err 3>&- &
	PIDS+=("$!")
	exec 5>pipe
	printf '%s\n' '{"t":1,"v":1}' '{"t":5,"v":2}' >&5
	printf '%s\n' '{"t":12,"v":4}' >&5
	wait_line '{"window_start":0,"window_end":10,"sum_v":3}'
	echo "# latency: $ms ms" >&3
	# The window still open is not there yet; it comes at the end.
	run -1 grep -c window_start\":10 out
	exec 5>&-
	wait "${PIDS[0]}"
	run -0 cat out
	[ "${lines[1]}" = '{"window_start":10,"window_end":20,"sum_v":4}' ]
}

@test "dmo-transform --window: behind dmo-extract -F, a window closes downstream when an event passes its end" {
	printf '%s\n' '{"t":"2024-01-01T00:00:01Z","v":1}' >log.ndjson
	mkfifo pipe
	dmo-extract -F log.ndjson >pipe 2>extract.err 3>&- &
	PIDS+=("$!")
	dmo-transform --time-field t --window 1m --agg 'n=count,sum(v)' <pipe >out 2>err 3>&- &
	PIDS+=("$!")
	exec 5>>log.ndjson
	printf '%s\n' '{"t":"2024-01-01T00:00:30Z","v":2}' >&5
	printf '%s\n' '{"t":"2024-01-01T00:01:00Z","v":4}' >&5
	wait_line '{"window_start":"2024-01-01T00:00:00Z","window_end":"2024-01-01T00:01:00Z","n":2,"sum_v":3}'
	echo "# latency: $ms ms" >&3
	run -1 grep -c 'T00:01:00Z","window_end' out
}
