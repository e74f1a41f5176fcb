#!/usr/bin/env bats
# dmo-extract-archive.bats - compressed files and archives as sources
# (common/archive.c): formats, members, source names, damage, hostile input.
# SPDX-License-Identifier: BSD-2-Clause
#
# The binary fixtures are made in setup_file, in $BATS_FILE_TMPDIR, with
# tar, gzip, bzip2, xz, zstd, zip and 7z from small text files; the bombs
# come from dd and yes through a fifo, so no large file is ever written.

load test_helper

setup_file() {
	cd "$BATS_FILE_TMPDIR" || return 1
	set -e
	mkdir -p src/2024 links hostile/in work/a/b
	printf 'id,name\n1,ada\n2,bob\n' >sales.csv
	printf '{"id":1,"v":"x"}\n{"id":2,"v":"y"}\n' >events.ndjson
	printf 'k,v\na,1\n' >src/2024/q1.csv
	printf 'k,v\nb,2\n' >src/2024/q2.csv
	cp events.ndjson src/events.ndjson

	# Lone compressed files.
	gzip -c sales.csv >sales.csv.gz
	bzip2 -c sales.csv >sales.csv.bz2
	xz -c sales.csv >sales.csv.xz
	xz --format=lzma -c sales.csv >sales.csv.lzma
	zstd -q -c sales.csv >sales.csv.zst
	gzip -c events.ndjson >events.ndjson.gz
	gzip -c sales.csv >sales	# no suffix: the bytes decide

	# Archives, members in a known order.
	tar -C src -cf data.tar --no-recursion 2024 2024/q1.csv 2024/q2.csv \
	    events.ndjson
	gzip -c data.tar >data.tar.gz
	bzip2 -c data.tar >data.tar.bz2
	xz -c data.tar >data.tar.xz
	zstd -q -c data.tar >data.tar.zst
	(cd src && zip -q ../data.zip 2024/q1.csv 2024/q2.csv events.ndjson)
	(cd src && 7z a -bd ../data.7z 2024/q1.csv 2024/q2.csv >/dev/null)
	printf 'PK\005\006\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' >empty.zip

	# Damage.
	printf '\037\213\010\0\0\0\0\0\0\003garbage, not deflate' >bad.csv.gz
	{ echo n; seq 1 200000; } | gzip -c |
	    dd bs=4096 count=50 iflag=fullblock status=none >cut.csv.gz
	# data.tar: 2024/ at 0, q1.csv at 512, q2.csv at 1536, each 512 + 512.
	dd if=data.tar bs=1 count=1736 status=none >cut-header.tar
	dd if=data.tar bs=1 count=2200 status=none >cut-data.tar
	(cd src && zip -q -P secret ../enc.zip 2024/q1.csv &&
	    zip -q ../enc.zip 2024/q2.csv)

	# Links and names that would land outside if extracted.
	printf 'k\n1\n' >links/real.csv
	ln -s real.csv links/link.csv
	ln -s /etc/passwd links/passwd.csv
	ln links/real.csv links/hard.csv
	tar -C links -cf links.tar real.csv link.csv passwd.csv hard.csv
	printf 'k,v\nevil,1\n' >hostile/in/x.csv
	tar -C hostile/in -cPf abs.tar \
	    --transform "s,^,$BATS_FILE_TMPDIR/outside/," x.csv
	tar -C hostile/in -cPf dots.tar --transform 's,^,../../escaped/,' x.csv

	# A zip in a zip.
	(cd src && zip -q -X ../inner.zip 2024/q1.csv)
	printf 'k,v\ntop,0\n' >top.csv
	zip -q -X outer.zip top.csv inner.zip

	# Bombs: 512 MiB of zeros (no newline), 250000 lines of 1 KiB.
	mkfifo zeros.csv lines.csv
	dd if=/dev/zero of=zeros.csv bs=1M count=512 status=none &
	zip -q -FI bomb.zip zeros.csv
	wait
	x=$(printf '%01000d' 0)
	{ echo a,b; yes "$x,1" | head -n 250000; } >lines.csv &
	zip -q -FI lines.zip lines.csv
	wait
	rm zeros.csv lines.csv
}

setup() {
	cd "$BATS_FILE_TMPDIR" || return 1
}

# ulimit -v and AddressSanitizer's shadow memory do not mix.
skip_if_asan() {
	if ldd "$REPO/bin/dmo-extract" 2>/dev/null | grep -q libasan; then
		skip "built with AddressSanitizer"
	fi
}

@test "dmo-extract: gzip, bzip2, xz, lzma and zstd files of CSV" {
	local z
	for z in gz bz2 xz lzma zst; do
		run --separate-stderr -0 dmo-extract "sales.csv.$z"
		assert_output - <<-'EOF'
		{"id":"1","name":"ada"}
		{"id":"2","name":"bob"}
		EOF
		[ -z "$stderr" ]
	done
}

@test "dmo-extract: lz4 file of CSV" {
	command -v lz4 >/dev/null || skip "no lz4"
	lz4 -q -c sales.csv >"$BATS_TEST_TMPDIR/sales.csv.lz4"
	run -0 dmo-extract "$BATS_TEST_TMPDIR/sales.csv.lz4"
	assert_output - <<-'EOF'
	{"id":"1","name":"ada"}
	{"id":"2","name":"bob"}
	EOF
}

@test "dmo-extract: a compressed NDJSON file keeps its types" {
	run -0 dmo-extract events.ndjson.gz
	assert_output - <<-'EOF'
	{"id":1,"v":"x"}
	{"id":2,"v":"y"}
	EOF
}

@test "dmo-extract: a compressed file without a suffix is read by its bytes" {
	run -0 dmo-extract -s src sales
	assert_output - <<-'EOF'
	{"id":"1","name":"ada","src":"sales"}
	{"id":"2","name":"bob","src":"sales"}
	EOF
}

@test "dmo-extract: the source field names a lone compressed file" {
	run -0 dmo-extract -s src sales.csv.gz events.ndjson.gz
	assert_output - <<-'EOF'
	{"id":"1","name":"ada","src":"sales.csv.gz"}
	{"id":"2","name":"bob","src":"sales.csv.gz"}
	{"id":1,"v":"x","src":"events.ndjson.gz"}
	{"id":2,"v":"y","src":"events.ndjson.gz"}
	EOF
}

@test "dmo-extract: tar, compressed tar and zip: every member, format by member" {
	local a
	for a in data.tar data.tar.gz data.tar.bz2 data.tar.xz data.tar.zst \
	    data.zip; do
		run --separate-stderr -0 dmo-extract -s src "$a"
		assert_output - <<-EOF
		{"k":"a","v":"1","src":"$a/2024/q1.csv"}
		{"k":"b","v":"2","src":"$a/2024/q2.csv"}
		{"id":1,"v":"x","src":"$a/events.ndjson"}
		{"id":2,"v":"y","src":"$a/events.ndjson"}
		EOF
		[ -z "$stderr" ]
	done
}

@test "dmo-extract: 7z archive" {
	run -0 dmo-extract -s src data.7z
	assert_output - <<-'EOF'
	{"k":"a","v":"1","src":"data.7z/2024/q1.csv"}
	{"k":"b","v":"2","src":"data.7z/2024/q2.csv"}
	EOF
}

@test "dmo-extract: --member selects members by glob" {
	run -0 dmo-extract -s src -m '2024/*.csv' data.zip
	assert_output - <<-'EOF'
	{"k":"a","v":"1","src":"data.zip/2024/q1.csv"}
	{"k":"b","v":"2","src":"data.zip/2024/q2.csv"}
	EOF
	# fnmatch without FNM_PATHNAME: '*' matches '/' too.
	run -0 dmo-extract -s src --member '*q2*' data.tar.gz
	assert_output '{"k":"b","v":"2","src":"data.tar.gz/2024/q2.csv"}'
	run -0 dmo-extract -m '*.json' data.zip
	assert_output ''
}

@test "dmo-extract: --member does not filter a lone compressed file" {
	run -0 dmo-extract -m '*.json' -s src sales.csv.gz
	assert_output - <<-'EOF'
	{"id":"1","name":"ada","src":"sales.csv.gz"}
	{"id":"2","name":"bob","src":"sales.csv.gz"}
	EOF
}

@test "dmo-extract: archives and compressed files on stdin" {
	run -0 dmo-extract -s src -m '*q1*' <data.tar.gz
	assert_output '{"k":"a","v":"1","src":"<stdin>/2024/q1.csv"}'
	run -0 dmo-extract -s src - <sales.csv.xz
	assert_output - <<-'EOF'
	{"id":"1","name":"ada","src":"<stdin>"}
	{"id":"2","name":"bob","src":"<stdin>"}
	EOF
	# A zip through a pipe: no seeking, local headers only.
	run -0 bash -c 'cat data.zip | dmo-extract -m "*q2*"'
	assert_output '{"k":"b","v":"2"}'
}

@test "dmo-extract: an empty zip has no records" {
	run --separate-stderr -0 dmo-extract empty.zip
	assert_output ''
	[ -z "$stderr" ]
}

@test "dmo-extract: links in an archive are skipped with a warning, never followed" {
	run --separate-stderr -0 dmo-extract -s src links.tar
	assert_output '{"k":"1","src":"links.tar/real.csv"}'
	[ "$stderr" = "dmo-extract: links.tar: warning: member 'link.csv': not a regular file, skipped
dmo-extract: links.tar: warning: member 'passwd.csv': not a regular file, skipped
dmo-extract: links.tar: warning: member 'hard.csv': not a regular file, skipped" ]
	# Members the glob leaves out are skipped silently.
	run --separate-stderr -0 dmo-extract -m 'real*' links.tar
	[ -z "$stderr" ]
}

@test "dmo-extract: a corrupt gzip file exits 3 with libarchive's reason" {
	run --separate-stderr -3 dmo-extract bad.csv.gz
	assert_output ''
	[ "$stderr" = "dmo-extract: bad.csv.gz: gzip decompression failed" ]
}

@test "dmo-extract: a truncated gzip file keeps the records before the cut, exits 3" {
	run --separate-stderr -3 dmo-extract cut.csv.gz
	[ "$stderr" = "dmo-extract: cut.csv.gz: truncated gzip input" ]
	[ "${lines[0]}" = '{"n":"1"}' ]
	[ "${#lines[@]}" -gt 1000 ]
	# Each line is a whole record: the cut line is not passed on.
	[ "${lines[-1]}" = "{\"n\":\"${#lines[@]}\"}" ]
}

@test "dmo-extract: a truncated tar exits 3 after the members before the cut" {
	run --separate-stderr -3 dmo-extract -s src cut-header.tar
	assert_output '{"k":"a","v":"1","src":"cut-header.tar/2024/q1.csv"}'
	[ "$stderr" = "dmo-extract: cut-header.tar: truncated tar archive" ]
	run --separate-stderr -3 dmo-extract cut-data.tar
	assert_output '{"k":"a","v":"1"}'
	[[ $stderr == "dmo-extract: cut-data.tar/2024/q2.csv: truncated input file (needed "* ]]
}

@test "dmo-extract: an encrypted zip member is named, skipped, and the rest read" {
	run --separate-stderr -3 dmo-extract -s src enc.zip
	[ "$stderr" = "dmo-extract: enc.zip: member '2024/q1.csv': encrypted, skipped" ]
	assert_output '{"k":"b","v":"2","src":"enc.zip/2024/q2.csv"}'
}

@test "dmo-extract: absolute and '..' member names are names only, nothing is written" {
	cd work/a/b
	run -0 dmo-extract -s src ../../../abs.tar ../../../dots.tar
	assert_output - <<-EOF
	{"k":"evil","v":"1","src":"../../../abs.tar/$BATS_FILE_TMPDIR/outside/x.csv"}
	{"k":"evil","v":"1","src":"../../../dots.tar/../../escaped/x.csv"}
	EOF
	[ ! -e "$BATS_FILE_TMPDIR/outside" ]
	[ ! -e "$BATS_FILE_TMPDIR/work/escaped" ]
	[ -z "$(ls -A "$BATS_FILE_TMPDIR/work/a/b")" ]
}

@test "dmo-extract: a zip inside a zip is read as data, not opened" {
	run --separate-stderr -0 dmo-extract -s src -m '*.csv' outer.zip
	assert_output '{"k":"top","v":"0","src":"outer.zip/top.csv"}'
	# Without a glob inner.zip is one more member, bytes parsed as CSV:
	# rejected rows, and no record from inside it.
	run --separate-stderr -1 dmo-extract -s src outer.zip
	assert_line --index 0 '{"k":"top","v":"0","src":"outer.zip/top.csv"}'
	refute_output --partial 'outer.zip/inner.zip/'
	refute_output --partial '"k":"a"'
	[[ $stderr == *"dmo-extract: outer.zip/inner.zip:"* ]]
}

@test "dmo-extract: a zip bomb without newlines is one rejected record in bounded memory" {
	skip_if_asan
	run --separate-stderr -1 bash -c \
	    'ulimit -v 200000 && exec dmo-extract --max-record-size 1M bomb.zip'
	assert_output ''
	[ "$stderr" = "dmo-extract: bomb.zip/zeros.csv:1: header too long: more than 1048576 bytes" ]
}

@test "dmo-extract: a zip bomb of lines streams in bounded memory" {
	skip_if_asan
	run -0 bash -c 'set -o pipefail; ulimit -v 200000 &&
	    dmo-extract lines.zip | wc -l'
	assert_output 250000
}
