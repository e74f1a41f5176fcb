#!/usr/bin/env bats
# dmo-load-partition.bats - dmo-load --partition-by: Hive-style directories.
# SPDX-License-Identifier: BSD-2-Clause
#
# Each test runs in its own scratch directory ($BATS_TEST_TMPDIR/w).
# `tree DIR` lists a target's files, hidden ones too, with their contents,
# so a test compares a whole layout at once.

load test_helper

setup() {
	mkdir "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w" || return 1
	BGPIDS=()
	SMALL=
	printf '%s\n' \
	    '{"dt":"2024-01-01","shop":"leeds","amount":12.30}' \
	    '{"dt":"2024-01-02","shop":"york","amount":5}' \
	    '{"dt":"2024-01-01","shop":"york","amount":1e400}' \
	    '{"dt":"2024-01-01","shop":"leeds","amount":-1}' >sales.ndjson
}

teardown() {
	local pid
	for pid in "${BGPIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
	done
	if [ -n "$SMALL" ]; then
		umount "$SMALL" 2>/dev/null || true
	fi
}

PROG=dmo-load
TRY="Try 'dmo-load --help' for more information."
USAGE="usage: dmo-load [-Bv] [-d delim] [-f format] [-k fields] [-m mode] [target [file ...]]"

# Every file under $1 (hidden ones too), sorted, each followed by its
# contents indented; directories with a trailing slash.
tree() {
	local f
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort) | while IFS= read -r f; do
		if [ -d "$1/$f" ]; then
			printf '%s/\n' "${f#./}"
		else
			printf '%s\n' "${f#./}"
			sed 's/^/	/' "$1/$f"
		fi
	done
}

wait_for() {
	local i
	for ((i = 0; i < 600; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	echo "wait_for: gave up on: $*" >&2
	return 1
}

small_fs() {
	mkdir small
	mount -t tmpfs -o size=64k tmpfs small 2>/dev/null ||
	    skip "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)"
	SMALL=$PWD/small
}

# n records over k partitions: {"id":i,"p":i%k}
spread() {
	awk -v n="$1" -v k="$2" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "{\"id\":%d,\"p\":%d}\n", i, i % k }'
}

@test "dmo-load-partition: one directory per value, the field dropped from the rows" {
	run -0 --separate-stderr dmo-load --partition-by dt -f csv out sales.ndjson
	assert_equal "$stderr" ""
	tree out >"$BATS_TEST_TMPDIR/out"
	golden csv-by-dt
}

@test "dmo-load-partition: several fields nest; --keep-partition-fields keeps them" {
	dmo-load --partition-by dt,shop out sales.ndjson
	tree out >"$BATS_TEST_TMPDIR/out"
	golden ndjson-by-dt-shop
	dmo-load --partition-by shop --keep-partition-fields tsv:kept sales.ndjson
	tree kept >"$BATS_TEST_TMPDIR/out"
	golden tsv-kept
}

@test "dmo-load-partition: every format reads back with dmo-extract" {
	local f
	for f in csv tsv ndjson binary; do
		dmo-load --partition-by dt -f "$f" "out-$f" sales.ndjson
		run -0 bash -c "dmo-extract out-$f/*/* | LC_ALL=C sort"
		if [ "$f" = csv ] || [ "$f" = tsv ]; then
			# Text formats have no types: the values are strings.
			assert_output "$(printf '%s\n' \
			    '{"shop":"leeds","amount":"-1"}' \
			    '{"shop":"leeds","amount":"12.30"}' \
			    '{"shop":"york","amount":"1e400"}' \
			    '{"shop":"york","amount":"5"}')"
		else
			assert_output "$(printf '%s\n' \
			    '{"shop":"leeds","amount":-1}' \
			    '{"shop":"leeds","amount":12.30}' \
			    '{"shop":"york","amount":1e400}' \
			    '{"shop":"york","amount":5}')"
		fi
	done
	[ -e out-binary/dt=2024-01-02/part-00000.dmo ]
	[ -e out-tsv/dt=2024-01-02/part-00000.tsv ]
	# A name that says a format names the directory's format.
	dmo-load --partition-by dt by-name.csv sales.ndjson
	[ -e by-name.csv/dt=2024-01-02/part-00000.csv ]
}

@test "dmo-load-partition: hostile values are escaped as Hive does, never a path" {
	local long
	long=$(printf 'x%.0s' {1..300})
	printf '%s\n' '{"k":"../x","v":1}' '{"k":"/","v":2}' '{"k":"a\u0000b","v":3}' \
	    '{"k":"l1\nl2","v":4}' '{"k":"100%","v":5}' '{"k":".","v":6}' \
	    '{"k":"..","v":7}' '{"k":"Zoë","v":8}' '{"k":"a=b:c?*","v":9}' \
	    '{"k":null,"v":10}' '{"k":"","v":11}' '{"v":12}' '{"k":12.30,"v":13}' \
	    '{"k":true,"v":14}' '{"k":"\u0001\u001f\u007f#[]^{\\\"'"'"'","v":15}' \
	    "{\"k\":\"$long\",\"v\":16}" '{"k":{"a":1},"v":17}' '{"k":[1],"v":18}' \
	    >hostile.ndjson
	run -0 --separate-stderr dmo-load --partition-by k --max-rejects 3 \
	    --rejects rej.ndjson out hostile.ndjson
	assert_equal "$stderr" "dmo-load: 3 records rejected, see 'rej.ndjson'"
	tree out >"$BATS_TEST_TMPDIR/out"
	golden hostile
	run -0 jq -r .reason rej.ndjson
	assert_output "$(printf '%s\n' \
	    "field 'k': partition directory name too long: 302 bytes, more than 255: \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"..." \
	    "field 'k': cannot partition by an object: \"{\\\"a\\\":1}\"" \
	    "field 'k': cannot partition by an array: \"[1]\"")"
	# 253 bytes of value is the longest that fits: with "k=", 255.
	long=$(printf 'y%.0s' {1..253})
	echo "{\"k\":\"$long\"}" | dmo-load --partition-by k out2
	[ -d "out2/k=$long" ]
	# A field name is escaped too, and one that starts with a dot does
	# not make a hidden directory.
	echo '{".f/x":1}' | dmo-load --partition-by .f/x out3
	[ -d "out3/%2Ef%2Fx=1" ]
}

@test "dmo-load-partition: many partitions beyond --max-open-files, under a low descriptor limit" {
	spread 3000 200 >many.ndjson
	run -0 --separate-stderr bash -c 'ulimit -n 40 && dmo-load --partition-by p --max-open-files 7 --stats st.json out many.ndjson'
	assert_equal "$stderr" ""
	run -0 bash -c 'ls out | wc -l'
	assert_output 200
	# Every record is there once, in the partition of its value.
	run -0 bash -c 'for d in out/p=*; do dmo-extract "$d"/* | jq -c --arg p "${d#out/p=}" "{id, p: (\$p | tonumber)}"; done | jq -s -c "sort_by(.id) == [range(1; 3001) | {id: ., p: (. % 200)}]"'
	assert_output true
	# Round robin over 200 partitions with 7 open: each record closes
	# a part file, and a partition's later records open the next one.
	run -0 jq -c '[.records_out, .target.records, .target.batches]' st.json
	assert_output '[3000,3000,3000]'
	[ -e out/p=5/part-00014.ndjson ]
	[ ! -e out/p=5/part-00015.ndjson ]
	# Grouped input needs one part file per partition.
	jq -c -s 'sort_by(.p)[]' many.ndjson >grouped.ndjson
	dmo-load --partition-by p --max-open-files 1 --stats st.json grouped grouped.ndjson
	run -0 jq -c '[.target.records, .target.batches]' st.json
	assert_output '[3000,200]'
	# A descriptor limit below --max-open-files: fewer files are kept
	# open, and nothing fails.
	local t
	for t in out4 out4.zip; do
		run -0 --separate-stderr bash -c "ulimit -n 40 && dmo-load --partition-by p --max-open-files 200 --stats st.json $t many.ndjson"
		assert_equal "$stderr" ""
		run -0 jq -c '[.target.records, (.target.batches > 200)]' st.json
		assert_output '[3000,true]'
	done
	run -0 bash -c 'dmo-extract out4/*/* | wc -l'
	assert_output 3000
}

@test "dmo-load-partition: replace (the default) replaces only the partitions in the input" {
	dmo-load --partition-by dt out sales.ndjson
	echo 'keep me' >out/dt=2024-01-02/notes.txt
	echo '{"dt":"2024-01-01","shop":"hull","amount":7}' |
	    dmo-load --partition-by dt out
	tree out >"$BATS_TEST_TMPDIR/out"
	golden replace
	# Again, the same: re-runs are idempotent.
	echo '{"dt":"2024-01-01","shop":"hull","amount":7}' |
	    dmo-load --partition-by dt -m replace out
	tree out | diff "$BATS_TEST_TMPDIR/out" -
}

@test "dmo-load-partition: append numbers new part files after the highest there" {
	dmo-load --partition-by dt out sales.ndjson
	: >out/dt=2024-01-02/part-00041.ndjson
	dmo-load --partition-by dt -m append out sales.ndjson
	tree out >"$BATS_TEST_TMPDIR/out"
	golden append
}

@test "dmo-load-partition: a failed run leaves nothing visible, and no staging directory" {
	dmo-load --partition-by dt out sales.ndjson
	tree out >before
	spread 100 10 >many.ndjson
	run -3 --separate-stderr dmo-load --partition-by p --max-open-files 2 out many.ndjson nope.ndjson
	assert_equal "$stderr" "$(printf '%s\n' \
	    'dmo-load: nope.ndjson: No such file or directory' \
	    'dmo-load: out: left unchanged')"
	tree out | diff before -
	# A new directory is not even created.
	run -3 --separate-stderr dmo-load --partition-by p new/dir many.ndjson nope.ndjson
	[ ! -e new/dir ]
	# A truncated binary stream is a failed input too.
	dmo-load -B - many.ndjson | head -c 300 >cut.dmo
	run -1 --separate-stderr dmo-load --partition-by p out cut.dmo
	assert_equal "${stderr_lines[1]}" "dmo-load: out: left unchanged"
	tree out | diff before -
}

@test "dmo-load-partition: rejects and --max-rejects" {
	printf '%s\n' '{"dt":"a","v":1}' 'not json' '{"dt":[1],"v":3}' '{"dt":"b","v":4}' >bad.ndjson
	run -1 --separate-stderr dmo-load --partition-by dt out bad.ndjson
	assert_equal "$stderr" "$(printf '%s\n' \
	    "dmo-load: bad.ndjson:2:1: not a JSON object: found 'n'" \
	    "dmo-load: bad.ndjson:3: field 'dt': cannot partition by an array: \"[1]\"" \
	    'dmo-load: out: left unchanged: 2 records rejected, more than the 0 allowed')"
	[ ! -e out ]
	run -1 --separate-stderr dmo-load --partition-by dt --max-rejects 40% out bad.ndjson
	assert_equal "${stderr_lines[2]}" 'dmo-load: out: left unchanged: 2 of 4 records rejected, more than the 40% allowed'
	[ ! -e out ]
	run -0 --separate-stderr dmo-load --partition-by dt --max-rejects 2 \
	    --rejects rej.ndjson --stats st.json out bad.ndjson
	assert_equal "$stderr" "dmo-load: 2 records rejected, see 'rej.ndjson'"
	tree out >"$BATS_TEST_TMPDIR/out"
	golden rejects
	run -0 jq -c '[.records_in, .records_out, .rejected, .target.records, .target.batches]' st.json
	assert_output '[4,2,2,2,2]'
}

@test "dmo-load-partition: kill -9 mid-run leaves only a hidden staging directory; a re-run completes" {
	dmo-load --partition-by dt out sales.ndjson
	tree out >before
	spread 20000 50 >many.ndjson
	mkfifo fifo
	dmo-load --partition-by p --max-open-files 5 out fifo &
	local pid=$!
	BGPIDS+=("$pid")
	exec 8>fifo
	head -n 10000 many.ndjson >&8
	# Part files are being closed into the staging directory.
	wait_for bash -c 'ls out/.dmo-run-*/p=1/part-00001.ndjson >/dev/null 2>&1'
	kill -9 "$pid"
	local st=0
	wait "$pid" || st=$?
	exec 8>&-
	assert_equal "$st" 137
	# Readers of the layout see what was there before (they skip names
	# starting with '.' or '_', as Hive and Spark do).
	run -0 bash -c 'ls -A out | grep "^\." | sed "s/-[^-]*$/-X/"'
	assert_output '.dmo-run-X'
	run -0 bash -c 'cd out && find . -path "./.*" -prune -o -type f -print | LC_ALL=C sort'
	assert_output "$(printf '%s\n' ./dt=2024-01-01/part-00000.ndjson ./dt=2024-01-02/part-00000.ndjson)"
	# The re-run removes the dead run's staging directory.
	dmo-load --partition-by p --max-open-files 5 out many.ndjson
	run -0 bash -c 'ls -A out | grep "^\." || true'
	assert_output ""
	run -0 bash -c 'dmo-extract out/p=*/* | jq -s -c "[length, (map(.id) | add)]"'
	assert_output "[20000,$((20000 * 20001 / 2))]"
	# The partitions that were not in the input are as they were.
	[ -e out/dt=2024-01-01/part-00000.ndjson ]
}

@test "dmo-load-partition: SIGTERM leaves the partitions as they were; the next run tidies up" {
	dmo-load --partition-by dt out sales.ndjson
	tree out >before
	mkfifo fifo
	dmo-load --partition-by p out fifo &
	local pid=$!
	BGPIDS+=("$pid")
	exec 8>fifo
	spread 10 2 >&8
	wait_for bash -c 'ls out/.dmo-run-*/p=1/part-00000.ndjson >/dev/null 2>&1'
	kill -TERM "$pid"
	local st=0
	wait "$pid" || st=$?
	exec 8>&-
	assert_equal "$st" 143
	# Hidden, and not a partition; an unrelated hidden name is not ours.
	mkdir out/.dmo-new-keepme out/.dmo-run-x=1
	run -0 bash -c 'cd out && find . -path "./.*" -prune -o -type f -print | LC_ALL=C sort'
	assert_output "$(printf '%s\n' ./dt=2024-01-01/part-00000.ndjson ./dt=2024-01-02/part-00000.ndjson)"
	spread 4 2 | dmo-load --partition-by p out
	run -0 bash -c 'ls -A out'
	assert_output "$(printf '%s\n' .dmo-new-keepme .dmo-run-x=1 dt=2024-01-01 dt=2024-01-02 p=0 p=1)"
}

@test "dmo-load-partition: a live run's staging directory is not removed by another" {
	mkfifo fifo
	dmo-load --partition-by p out fifo &
	local pid=$!
	BGPIDS+=("$pid")
	exec 8>fifo
	spread 10 2 >&8
	wait_for bash -c 'ls out/.dmo-run-*/p=1/part-00000.ndjson >/dev/null 2>&1'
	spread 10 3 | dmo-load --partition-by p out
	ls out/.dmo-run-*/p=1/part-00000.ndjson
	exec 8>&-
	wait "$pid"
	run -0 bash -c 'ls -A out'
	assert_output "$(printf '%s\n' p=0 p=1 p=2)"
	run -0 bash -c 'cat out/p=1/*'
	assert_output "$(printf '{"id":%d}\n' 1 3 5 7 9)"
}

@test "dmo-load-partition: a full disk exits 3 and leaves nothing behind" {
	small_fs
	awk 'BEGIN { for (i = 1; i <= 4000; i++)
	    printf "{\"k\":%d,\"s\":\"%s\"}\n", i % 3, "filling the disk with text" }' >big.ndjson
	run -3 --separate-stderr dmo-load --partition-by k small/out big.ndjson
	[[ ${stderr_lines[0]} =~ ^dmo-load:\ small/out/k=[012]/part-00000.ndjson:\ write\ error:\ No\ space\ left\ on\ device$ ]]
	assert_equal "${stderr_lines[1]}" "dmo-load: small/out: left unchanged"
	run -0 ls -A small
	assert_output ""
}

@test "dmo-load-partition: partitions into an archive, one member per part file" {
	dmo-load --partition-by dt,shop -f csv out.tar.gz sales.ndjson
	run -0 tar -tzf out.tar.gz
	assert_output "$(printf '%s\n' dt=2024-01-01/shop=leeds/part-00000.csv \
	    dt=2024-01-02/shop=york/part-00000.csv dt=2024-01-01/shop=york/part-00000.csv)"
	run -0 tar -xOzf out.tar.gz dt=2024-01-01/shop=leeds/part-00000.csv
	assert_output "$(printf 'amount\n12.30\n-1')"
	spread 500 20 >many.ndjson
	dmo-load --partition-by p --max-open-files 3 --stats st.json out.zip many.ndjson
	run -0 jq -c '[.target.records, .target.batches]' st.json
	assert_output '[500,500]'
	run -0 bash -c 'dmo-extract out.zip | jq -s -c "[length, (map(.id) | add)]"'
	assert_output "[500,$((500 * 501 / 2))]"
	unzip -tq out.zip
}

@test "dmo-load-partition: usage errors" {
	usage_error "option '--partition-by' applies to a directory or an archive only" \
	    --partition-by dt - sales.ndjson
	usage_error "option '--partition-by' applies to a directory or an archive only" \
	    --partition-by dt 'sqlite:x.db#t'
	usage_error "option '--partition-by': empty field name in \"dt,\"" --partition-by dt, out
	usage_error "option '--partition-by': empty field name in \"\"" --partition-by '' out
	usage_error "option '--partition-by': field 'dt' given twice" --partition-by dt,shop,dt out
	usage_error "option '--max-open-files': not a count from 1 to 100000: \"0\"" \
	    --partition-by dt --max-open-files 0 out
	usage_error "option '--max-open-files': not a count from 1 to 100000: \"many\"" \
	    --partition-by dt --max-open-files many out
	usage_error "option '--mode': not append or replace for partitions: \"upsert\"" \
	    --partition-by dt -m upsert out
	usage_error "option '--key' applies to SQLite and PostgreSQL targets only" --partition-by dt -k id out
	usage_error "option '--binary' applies to stdout only: use binary:PATH for a file" \
	    --partition-by dt -B out
	[ ! -e out ] && [ ! -e x.db ]
}

@test "dmo-load-partition: a target that is a file, or a partition that is not a directory, exits 3" {
	echo x >file
	run -3 --separate-stderr dmo-load --partition-by dt file sales.ndjson
	assert_equal "$stderr" "dmo-load: file: Not a directory"
	mkdir out
	echo x >out/dt=2024-01-02
	run -3 --separate-stderr dmo-load --partition-by dt out sales.ndjson
	assert_equal "$stderr" "$(printf '%s\n' 'dmo-load: out/dt=2024-01-02: Not a directory' \
	    'dmo-load: out: left unchanged')"
}

@test "dmo-load-partition: -v reports the part files written" {
	run -0 --separate-stderr dmo-load -v --partition-by dt out sales.ndjson
	assert_equal "${stderr_lines[0]}" "dmo-load: out: 4 records in 2 part files"
}
