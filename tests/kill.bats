#!/usr/bin/env bats
# kill.bats - dmo-load killed with SIGKILL at random points, then re-run.
# SPDX-License-Identifier: BSD-2-Clause
#
# The issue's crash test: a 100,000-record upsert load with periodic
# commits is killed with SIGKILL at a random moment, 50 times into
# SQLite and 50 times into PostgreSQL.  After each kill the table holds
# whole commits only (ids 1..k*10000, each once); the same load run again
# then leaves exactly the 100,000 records: none lost, none duplicated.
# Kill moments are spread over one measured run's duration, and the
# test fails unless enough of them land part-way through, so it cannot
# pass without testing anything.

load test_helper

ROUNDS=${KILL_ROUNDS:-50}
N=100000
EVERY=10000

setup_file() {
	awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "{\"id\":%d,\"name\":\"name %d\",\"amount\":%d.%02d}\n",
	    i, i, i % 1000, i % 100 }' >"$BATS_FILE_TMPDIR/in.ndjson"
	PGDIR=$(mktemp -u /tmp/dmo-pg.XXXXXX)
	export PGDIR PGURI=
	if sh "$REPO/tests/pg_server.sh" bindir >/dev/null; then
		PGURI=$(sh "$REPO/tests/pg_server.sh" start "$PGDIR") || return 1
	fi
}

teardown_file() {
	sh "$REPO/tests/pg_server.sh" stop "$PGDIR"
}

# SQLite's commits wait for fsync, which a SIGKILL test does not need
# (the kernel keeps what a killed process wrote): a tmpfs where there
# is one keeps the 100 loads quick.
setup() {
	WORK=$BATS_TEST_TMPDIR
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		WORK=$(mktemp -d /dev/shm/dmo-kill.XXXXXX) || return 1
	fi
	cd "$WORK" || return 1
}

teardown() {
	cd "$BATS_TEST_TMPDIR" || return 1
	[ "$WORK" = "$BATS_TEST_TMPDIR" ] || rm -rf "$WORK"
}

# The time one whole load takes, in microseconds.
measure() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}

# crash_rounds COUNT RESET LOAD...: ROUNDS times: RESET, start LOAD in
# the background, kill -9 it at a random moment, check the table with
# COUNT (which prints "rows|distinct ids|max id|sum of ids"), run LOAD
# to the end, check again.
crash_rounds() {
	local count=$1 reset=$2
	shift 2
	local total i pid st got rows ids max sum partial=0 want
	want="$N|$N|$N|$((N * (N + 1) / 2))"
	$reset
	total=$(measure "$@")
	for ((i = 1; i <= ROUNDS; i++)); do
		$reset
		"$@" 2>/dev/null &
		pid=$!
		sleep "$(printf '0.%06d' $(( (RANDOM * 32768 + RANDOM) % total )))"
		kill -9 "$pid" 2>/dev/null || true
		st=0
		wait "$pid" || st=$?
		got=$($count)
		IFS='|' read -r rows ids max sum <<<"$got"
		# Whole commits only, each record once, in input order.
		if [ "$rows" -ne "$ids" ] || [ "$rows" -ne "${max:-0}" ] ||
		    [ $((rows % EVERY)) -ne 0 ] && [ "$rows" -ne "$N" ]; then
			echo "round $i: after kill (status $st): $got" >&2
			return 1
		fi
		[ "$rows" -gt 0 ] && [ "$rows" -lt "$N" ] && partial=$((partial + 1))
		"$@" || { echo "round $i: the re-run failed" >&2; return 1; }
		got=$($count)
		if [ "$got" != "$want" ]; then
			echo "round $i: after the re-run: $got, not $want" >&2
			return 1
		fi
	done
	echo "$partial of $ROUNDS kills landed part-way (one load: $((total / 1000)) ms)" >&2
	[ "$partial" -ge $((ROUNDS / 5)) ]
}

sqlite_reset() {
	rm -f db.sqlite db.sqlite-journal db.sqlite-wal
}

sqlite_count() {
	if [ ! -e db.sqlite ]; then
		echo "0|0||"
		return
	fi
	sqlite3 db.sqlite "SELECT count(*), count(DISTINCT id), max(id), sum(id)
	    FROM t" 2>/dev/null || echo "0|0||"
}

pg_reset() {
	psql -Xq "$PGURI" -c 'DROP TABLE IF EXISTS t' 2>/dev/null
}

pg_count() {
	local out
	out=$(psql -XqtA "$PGURI" -c "SELECT count(*), count(DISTINCT id),
	    max(id), sum(id) FROM t" 2>/dev/null) || out="0|0||"
	echo "$out"
}

@test "kill -9: SQLite upsert with periodic commits: 50 kills, nothing lost or duplicated" {
	crash_rounds sqlite_count sqlite_reset dmo-load -m upsert -k id \
	    --commit-every "$EVERY" 'sqlite:db.sqlite#t' "$BATS_FILE_TMPDIR/in.ndjson"
}

@test "kill -9: PostgreSQL upsert with periodic commits: 50 kills, nothing lost or duplicated" {
	[ -n "$PGURI" ] || skip "no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql"
	crash_rounds pg_count pg_reset dmo-load -m upsert -k id \
	    --commit-every "$EVERY" "$PGURI#t" "$BATS_FILE_TMPDIR/in.ndjson"
}
