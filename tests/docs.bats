#!/usr/bin/env bats
# docs.bats - the README's examples work and print what it shows; the man
# pages are clean; the overview pages name every program.
# SPDX-License-Identifier: BSD-2-Clause
#
# In the README, a ```console block is a session: lines that start with
# "$ " are commands (a trailing backslash continues one), the lines after
# a command are what it prints.  Expected lines that start with
# "dmo-NAME: " are its stderr, the others its stdout.  Each command runs
# with bash, from a scratch directory holding a copy of sample/, in the
# order of the README (files one command makes are there for the next),
# and must exit 0.  Blocks marked ```sh are not run (installation, and
# the follow-mode example, which has a test of its own below).

load test_helper

setup() {
	WORK="$BATS_TEST_TMPDIR/work"
	mkdir -p "$WORK"
	cp -R "$REPO/sample" "$WORK/sample"
	rm -f "$WORK"/sample/demo.db*
	BGPIDS=()
}

teardown() {
	local pid
	for pid in "${BGPIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
}

# Split the README's console blocks into $1/N.cmd and $1/N.want files.
readme_sessions() {
	local dir=$1 n=0 inblock=0 incmd=0 line
	while IFS= read -r line || [ -n "$line" ]; do
		if [ "$inblock" = 0 ]; then
			[ "$line" = '```console' ] && inblock=1
			continue
		fi
		if [ "$line" = '```' ]; then
			inblock=0 incmd=0
			continue
		fi
		if [ "$incmd" = 1 ]; then
			printf '%s\n' "$line" >>"$dir/$n.cmd"
			[[ $line == *\\ ]] || incmd=0
		elif [[ $line == '$ '* ]]; then
			n=$((n + 1))
			printf '%s\n' "${line#\$ }" >"$dir/$n.cmd"
			: >"$dir/$n.want"
			[[ $line == *\\ ]] && incmd=1
		elif [ "$n" -gt 0 ]; then
			printf '%s\n' "$line" >>"$dir/$n.want"
		fi
	done <"$REPO/README"
	echo "$n"
}

@test "docs: the README's walkthrough commands print what it shows" {
	local cases="$BATS_TEST_TMPDIR/cases" n i failed=0
	mkdir "$cases"
	n=$(readme_sessions "$cases")
	[ "$n" -ge 10 ] || fail "only $n commands found in the README"
	cd "$WORK"
	for ((i = 1; i <= n; i++)); do
		grep -v '^dmo-[a-z]*: ' "$cases/$i.want" >"$cases/$i.want.out" || true
		grep '^dmo-[a-z]*: ' "$cases/$i.want" >"$cases/$i.want.err" || true
		local st=0
		bash -c "$(cat "$cases/$i.cmd")" >"$cases/$i.out" 2>"$cases/$i.err" ||
		    st=$?
		if [ "$st" -ne 0 ] ||
		    ! cmp -s "$cases/$i.want.out" "$cases/$i.out" ||
		    ! cmp -s "$cases/$i.want.err" "$cases/$i.err"; then
			failed=$((failed + 1))
			echo "README command failed (status $st): \$ $(cat "$cases/$i.cmd")"
			diff -u --label want --label stdout \
			    "$cases/$i.want.out" "$cases/$i.out" || true
			diff -u --label want --label stderr \
			    "$cases/$i.want.err" "$cases/$i.err" || true
		fi
	done
	[ "$failed" -eq 0 ] || fail "$failed of $n README commands differ"
}

# Wait (a bounded number of times) until file $1 has $2 lines.
wait_lines() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

@test "docs: the README's follow-mode example: records pass at once, rotation is followed" {
	grep -qxF "\$ dmo-extract -F app.ndjson | dmo-load --commit-every 1 'sqlite:app.db#events' &" \
	    "$REPO/README"
	grep -qxF "\$ echo '{\"event\":\"login\",\"user\":\"ada\"}' >> app.ndjson" \
	    "$REPO/README"
	cd "$WORK"
	: >app.ndjson
	# The README's pipeline, with a file in place of dmo-load to watch
	# the records pass while dmo-extract still runs.
	dmo-extract -F app.ndjson >live.ndjson 2>err &
	BGPIDS+=($!)
	echo '{"event":"login","user":"ada"}' >>app.ndjson
	wait_lines live.ndjson 1 || fail "the record did not come through"
	mv app.ndjson app.ndjson.1
	echo '{"event":"logout","user":"ada"}' >app.ndjson
	wait_lines live.ndjson 2 || fail "the rotated file was not followed"
	run -0 cat live.ndjson
	assert_output "$(printf '%s\n' '{"event":"login","user":"ada"}' \
	    '{"event":"logout","user":"ada"}')"

	# And the README's whole pipeline: each record is in the database
	# while dmo-extract still runs; stopped, dmo-load ends cleanly.
	mkfifo pipe
	dmo-load --commit-every 1 'sqlite:app.db#events' <pipe 2>load.err &
	local loadpid=$!
	BGPIDS+=($loadpid)
	dmo-extract -F app.ndjson >pipe 2>extract.err &
	BGPIDS+=($!)
	echo '{"event":"login","user":"bob"}' >>app.ndjson
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(sqlite3 app.db 'select count(*) from events' 2>/dev/null)" = 2 ] &&
		    break
		sleep 0.05
	done
	run -0 sqlite3 app.db 'select event, user from events'
	assert_output "$(printf '%s\n' 'logout|ada' 'login|bob')"
	kill "${BGPIDS[-1]}"
	wait "$loadpid" || fail "dmo-load: status $?: $(cat load.err)"
	[ ! -s load.err ] || fail "dmo-load: $(cat load.err)"
}

@test "docs: man pages are clean under mandoc -T lint -W warning" {
	cd "$REPO"
	run -0 mandoc -T lint -W warning man/*
	assert_output ""
}

@test "docs: every program is in the README's table and in dmo(7)" {
	for p in "${DMO_PROGRAMS[@]}"; do
		grep -q "^| \`$p\` " "$REPO/README" ||
		    fail "$p: not in the README's table of programs"
		grep -q "^\.It Xr $p 1\$" "$REPO/man/dmo.7" ||
		    fail "$p: not in the list of programs in man/dmo.7"
	done
}

@test "docs: every man page has an EXIT STATUS with the statuses 0 to 4" {
	local page st
	for page in "$REPO"/man/*.1 "$REPO/man/dmo.7"; do
		grep -qx '\.Sh EXIT STATUS' "$page" ||
		    fail "${page#"$REPO"/}: no EXIT STATUS section"
		for st in 0 1 2 3 4; do
			sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$page" |
			    grep -qx "\.It $st" ||
			    fail "${page#"$REPO"/}: EXIT STATUS lacks $st"
		done
	done
}

@test "docs: sample/orders.ndjson.gz is remade byte for byte as sample/README says" {
	cd "$WORK/sample"
	zcat orders.ndjson.gz >orders.ndjson
	gzip -9n <orders.ndjson | cmp - orders.ndjson.gz
	run -0 unzip -Z1 regions.zip
	assert_output "$(printf '%s\n' north.csv south.csv west.csv)"
}

@test "docs: scripts/demo (make demo) loads the sample data into SQLite" {
	DMO_DEMO_DB="$BATS_TEST_TMPDIR/demo.db" run -0 --separate-stderr \
	    sh "$REPO/scripts/demo"
	assert_equal "$stderr" ""
	assert_line "\$ dmo-extract sample/customers.csv | dmo-load 'sqlite:$BATS_TEST_TMPDIR/demo.db#customers'"
	run -0 sqlite3 "$BATS_TEST_TMPDIR/demo.db" \
	    'select (select count(*) from customers), (select count(*) from orders), (select count(*) from regions)'
	assert_output '6|4|5'
}

@test "docs: make install puts programs, man pages and completions under DESTDIR" {
	local root="$BATS_TEST_TMPDIR/root" p
	run -0 make -C "$REPO" -s install PREFIX=/usr DESTDIR="$root"
	for p in "${DMO_PROGRAMS[@]}"; do
		[ -x "$root/usr/bin/$p" ] || fail "$p: not installed"
		[ -f "$root/usr/share/man/man1/$p.1" ] || fail "$p.1: not installed"
		[ -f "$root/usr/share/bash-completion/completions/$p" ] ||
		    fail "$p: no bash completion installed"
	done
	[ -f "$root/usr/share/man/man7/dmo.7" ]
	[ -f "$root/usr/share/zsh/vendor-completions/_dmo" ]
}
