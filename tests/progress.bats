#!/usr/bin/env bats
# progress.bats - the progress line on a terminal (--progress,
# --no-progress), and the run summary of a target (dmo-load).
# SPDX-License-Identifier: BSD-2-Clause

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	printf '{"id":1,"s":"a"}\n{"id":2,"s":"b"}\n{"id":3,"s":"c"}\n' >in.ndjson
}

# on_tty CMD: run the shell command CMD with its stderr on a pseudo-
# terminal (script(1) from util-linux); print what the terminal got, with
# CR as <CR> and ESC as <ESC>, so that assertions can see them.
on_tty() {
	command -v script >/dev/null || skip "script(1) is not installed"
	TERM=xterm script -qec "$1" /dev/null </dev/null |
	    sed -e 's/\r/<CR>/g' -e 's/\x1b/<ESC>/g'
}

LINE='dmo-extract: 1 in, 1 out, 0 rejected, [0-9]+ B, [0-9.]+ (k )?rec/s, 0:00:00'

@test "progress: on a terminal, one line on stderr, redrawn in place and erased at the end" {
	run -0 on_tty 'dmo-extract in.ndjson >/dev/null'
	[[ $output =~ ^"<CR>"$LINE"<ESC>[K<CR><ESC>[K"$ ]] || fail "terminal got: $output"
}

@test "progress: dmo-load shows it too" {
	run -0 on_tty 'dmo-load out.csv in.ndjson'
	[[ $output =~ ^"<CR>dmo-load: 1 in, 1 out, 0 rejected, ".*"<ESC>[K<CR><ESC>[K"$ ]] ||
	    fail "terminal got: $output"
	[ "$(wc -l <out.csv)" = 4 ]
}

@test "progress: nothing when stderr is not a terminal, with --no-progress, or with TERM=dumb" {
	run -0 --separate-stderr dmo-extract in.ndjson
	assert_equal "$stderr" ""
	run -0 --separate-stderr dmo-load out.csv in.ndjson
	assert_equal "$stderr" ""
	run -0 on_tty 'dmo-extract --no-progress in.ndjson >/dev/null'
	assert_output ""
	run -0 on_tty 'dmo-load --no-progress out.csv in.ndjson'
	assert_output ""
	run -0 on_tty 'TERM=dumb dmo-extract in.ndjson >/dev/null'
	assert_output ""
	# The last of --progress and --no-progress wins.
	run -0 on_tty 'dmo-extract --progress --no-progress in.ndjson >/dev/null'
	assert_output ""
}

@test "progress: a stage whose records go to a pipe or to the terminal stays quiet" {
	# The last stage shows its line; the others would fight over it.
	run -0 on_tty 'dmo-extract in.ndjson | dmo-load out.csv'
	[[ $output =~ ^"<CR>dmo-load: 1 in, 1 out, 0 rejected, ".*"<ESC>[K<CR><ESC>[K"$ ]] ||
	    fail "terminal got: $output"
	# Records on the terminal are not cut by a status line.
	run -0 on_tty 'dmo-extract in.ndjson 2>&1 >/dev/tty'
	assert_output '{"id":1,"s":"a"}<CR>
{"id":2,"s":"b"}<CR>
{"id":3,"s":"c"}<CR>'
	run -0 on_tty 'dmo-load - in.ndjson >/dev/tty'
	assert_output '{"id":1,"s":"a"}<CR>
{"id":2,"s":"b"}<CR>
{"id":3,"s":"c"}<CR>'
	# --progress asks for it anyway.
	run -0 on_tty 'dmo-extract --progress in.ndjson | cat >/dev/null'
	[[ $output =~ ^"<CR>"$LINE"<ESC>[K<CR><ESC>[K"$ ]] || fail "terminal got: $output"
}

@test "progress: --progress when stderr is not a terminal writes plain lines, the last one at the end" {
	run -0 --separate-stderr dmo-extract --progress in.ndjson
	assert_equal "${#lines[@]}" 3
	[ "${#stderr_lines[@]}" -ge 2 ] || fail "stderr: $stderr"
	[[ ${stderr_lines[0]} =~ ^$LINE$ ]] || fail "first: ${stderr_lines[0]}"
	local last='dmo-extract: 3 in, 3 out, 0 rejected, 51 B, [0-9.]+ (k )?rec/s, 0:00:00'
	[[ ${stderr_lines[-1]} =~ ^$last$ ]] ||
	    fail "last: ${stderr_lines[-1]}"
	[[ $stderr != *$'\r'* && $stderr != *$'\e'* ]] || fail "control bytes: $stderr"
}

@test "progress: a message erases the line first, so it stands on a line of its own" {
	printf 'a,b\n1,2\n3,4,5\n6,7\n' >bad.csv
	run -0 on_tty 'dmo-extract bad.csv >/dev/null; echo "status $?" >status'
	[ "$(cat status)" = "status 1" ]
	[[ $output =~ ^"<CR>dmo-extract: 1 in, 1 out, 0 rejected, ".*"<ESC>[K<CR><ESC>[Kdmo-extract: bad.csv:3: ragged row: 3 fields, expected 2<CR>"$ ]] ||
	    fail "terminal got: $output"
}

@test "progress: the line never wraps: it is cut to the terminal's width" {
	run -0 on_tty 'stty cols 30; dmo-extract in.ndjson >/dev/null'
	assert_output '<CR>dmo-extract: 1 in, 1 out, 0 r<ESC>[K<CR><ESC>[K'
}

# --- the run summary of a target --------------------------------------

@test "progress: dmo-load --stats has a target summary with exact keys (SQLite)" {
	seq 1 5 | sed 's/.*/{"id":&}/' >five.ndjson
	run -0 dmo-load --stats s.json --commit-every 2 'sqlite:db.sqlite#t' five.ndjson
	run -0 jq -c '.target | keys_unsorted' s.json
	assert_output '["name","records","committed","batches","retries","seconds","commit_seconds"]'
	run -0 jq -c '.target | [.name, .records, .committed, .batches, .retries]' s.json
	assert_output '["sqlite:db.sqlite#t",5,5,3,0]'
	run -0 jq -e '.target | (.seconds | type) == "number" and .commit_seconds <= .seconds + 0.001' s.json
	# One transaction without --commit-every.
	run -0 dmo-load --stats s.json 'sqlite:db.sqlite#u' five.ndjson
	run -0 jq -c '.target | [.records, .committed, .batches]' s.json
	assert_output '[5,5,1]'
}

@test "progress: a failed load reports what was written and what was kept" {
	seq 1 5 | sed 's/.*/{"id":&}/' >five.ndjson
	printf '{"id":"007"}\n{"id":"008"}\n' >>five.ndjson
	# Periodic commits keep 4 records; "007" and "008" are rejected (an
	# INTEGER column would make them 7 and 8), and loading stops.
	run -1 dmo-load --stats s.json --commit-every 2 --max-rejects 0 'sqlite:db.sqlite#t' five.ndjson
	run -0 jq -c '.target | [.records, .committed, .batches]' s.json
	assert_output '[5,4,2]'
	# A truncated binary stream into a file: nothing is kept.
	dmo-extract -B five.ndjson | head -c 40 >cut.dmo
	run -1 dmo-load --stats s.json out.csv cut.dmo
	run -0 jq -c '.target | [.name, .records, .committed, .batches]' s.json
	assert_output '["out.csv",2,0,0]'
}

@test "progress: a file target is one batch; the standard output has no target summary" {
	run -0 dmo-load --stats s.json out.csv in.ndjson
	run -0 jq -c '.target | [.name, .records, .committed, .batches, .retries]' s.json
	assert_output '["out.csv",3,3,1,0]'
	run -0 dmo-load --stats s.json - in.ndjson
	run -0 jq -c 'has("target")' s.json
	assert_output false
}

@test "progress: -v prints a line for the target, then the summary" {
	run -0 --separate-stderr dmo-load -v --commit-every 2 'sqlite:db.sqlite#t' in.ndjson
	assert_equal "${#stderr_lines[@]}" 3
	assert_equal "${stderr_lines[0]}" "dmo-load: db.sqlite: table 't': created with 2 columns"
	[[ ${stderr_lines[1]} =~ ^'dmo-load: sqlite:db.sqlite#t: 3 records written, 3 committed in 2 transactions, '[0-9]+\.[0-9]{3}'s ('[0-9]+\.[0-9]{3}'s committing)'$ ]] ||
	    fail "line: ${stderr_lines[1]}"
	[[ ${stderr_lines[2]} == 'dmo-load: {"program":"dmo-load",'* ]]
	run -0 --separate-stderr dmo-load -v out.csv in.ndjson
	[[ ${stderr_lines[0]} =~ ^'dmo-load: out.csv: 3 records written, 3 committed in 1 file, ' ]] ||
	    fail "line: ${stderr_lines[0]}"
}
