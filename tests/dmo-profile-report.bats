#!/usr/bin/env bats
# dmo-profile-report.bats - the HTML report: dmo-profile --format html and
# --report, checked as text and rendered in headless Chromium.
# SPDX-License-Identifier: BSD-2-Clause
#
# The browser tests need chromium (scripts/install-deps installs it).
# Without it they skip, except in CI (CI=true), where they fail: a CI run
# must not pass a report nobody has rendered.

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	cp "$REPO/sample/customers.csv" .
}

# lacks REGEX: stdin has no match for REGEX (case-insensitive); a bare
# "! grep" would not fail a bats test.
lacks() {
	local hit
	if hit=$(grep -Eio -m 1 -- "$1"); then
		fail "unexpected match for $1: $hit"
	fi
}

# render HTML [W,H [dark]]: tests/browser.sh on HTML, into
# $BATS_TEST_TMPDIR/b; $output is then "background R G B".
render() {
	run sh "$REPO/tests/browser.sh" "$1" "$BATS_TEST_TMPDIR/b" \
	    "${2:-1000,1400}" ${3:+"$3"}
	if [ "$status" -eq 77 ]; then
		[ "${CI:-}" = true ] && fail "CI=true and no chromium: $output"
		skip "no chromium installed (apt-get install chromium)"
	fi
	[ "$status" -eq 0 ] || fail "browser.sh: status $status: $output"
}

# hostile_input: NDJSON whose names and values attack the page.
hostile_input() {
	local big
	big=$(head -c 10240 /dev/zero | tr '\0' x)
	{
		printf '{"<script>alert(1)</script>":"</td></table><script>alert(2)</script>",'
		printf '"q\\"uo'"'"'te&amp;":"\\"><svg onload=alert(3)>",'
		printf '"nul\\u0000byte":"a\\u0000b\\u0007c",'
		printf '"%s":"%s"}\n' "$big" "$big"
		printf '{"<script>alert(1)</script>":"<img src=x onerror=alert(4)>",'
		printf '"q\\"uo'"'"'te&amp;":"<!-- x",'
		printf '"nul\\u0000byte":"]]><style>body{display:none}</style>",'
		printf '"%s":"y%s"}\n' "$big" "$big"
	} >hostile.ndjson
}

@test "dmo-profile: --format html writes one self-contained page" {
	run -0 --separate-stderr dmo-profile --format html customers.csv
	[ -z "$stderr" ]
	[ "${lines[0]}" = "<!DOCTYPE html>" ]
	[ "${lines[-1]}" = "</html>" ]
	[ "$(grep -c '<section class="card"' <<<"$output")" -eq 7 ]
	# No script, nothing fetched: no URL at all, no src or href but anchors.
	lacks '<script|https?:|//[a-z]|src=|@import|url\(' <<<"$output"
	[ -z "$(grep -Eo 'href="[^"]*"' <<<"$output" | grep -v 'href="#field-')" ]
	grep -q "Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"" <<<"$output"
	grep -q '<svg class="hist"' <<<"$output"
	grep -q '<title>Profile of customers.csv</title>' <<<"$output"
}

@test "dmo-profile: the page shows the profile's numbers" {
	run -0 dmo-profile --format html customers.csv
	grep -q '<div><dt>records</dt><dd>6</dd></div>' <<<"$output"
	grep -q '<div><dt>bytes</dt><dd>377 B</dd></div>' <<<"$output"
	grep -q '<div><dt>fields</dt><dd>7</dd></div>' <<<"$output"
	# balance: min -42.5, max 1200.5, mean 296.6
	grep -q '<dt>mean</dt><dd>296.6</dd>' <<<"$output"
	grep -q '<td class="v">1200.50</td>' <<<"$output"
}

@test "dmo-profile: every part of the profile has its place on the page" {
	# The JSON profile is the contract (tests/expected/dmo-profile/
	# sample.json): a renamed member would drop a part silently.
	dmo-profile --format html customers.csv >page.html
	local card
	card=$(sed -n '/<section class="card" id="field-5">/,/<\/section>/p' page.html)
	for part in '<h3>Quantiles</h3>' '<h3>Histogram</h3>' \
	    '<h3>Top values</h3>' '<dt>std dev</dt>' '<dt>mean</dt>' \
	    '<dt>distinct</dt>' '<dt>leading zeros</dt>' '<dt>empty</dt>' \
	    'aria-label="type mix"' '<h2 class="v">balance</h2>'; do
		grep -qF "$part" <<<"$card" || fail "balance card lacks $part"
	done
	card=$(sed -n '/<section class="card" id="field-2">/,/<\/section>/p' page.html)
	for part in '<h3>Patterns</h3>' '<dt>shortest</dt>' '<dt>longest</dt>' \
	    '<dt>mean length</dt>' '<h2 class="v">name</h2>'; do
		grep -qF "$part" <<<"$card" || fail "name card lacks $part"
	done
	printf '2026-01-%02d\n' 1 2 3 | sed '1i day' >days.csv
	dmo-profile --format html days.csv >days.html
	grep -qF '<h3>Date formats</h3>' days.html
	printf 'a,b\n1,2\n' >one.csv
	printf 'a\n3\n' >two.csv
	dmo-profile --format html one.csv two.csv >two.html
	grep -qF '<h3>Field sets</h3>' two.html
	grep -qF '<h3>Inputs</h3>' two.html
}

@test "dmo-profile: --report writes the page beside the JSON profile" {
	run -0 --separate-stderr dmo-profile --report page.html -f json customers.csv
	[ "${output:0:1}" = "{" ]
	[ "$(head -n 1 page.html)" = "<!DOCTYPE html>" ]
	dmo-profile --format html customers.csv >direct.html
	cmp page.html direct.html
}

@test "dmo-profile: --report with --check puts the results on the page" {
	cp "$BATS_TEST_DIRNAME"/fixtures/checks/people.csv \
	    "$BATS_TEST_DIRNAME"/fixtures/checks/fail.json .
	run -1 --separate-stderr dmo-profile --check fail.json --report page.html \
	    --now 2026-11-22T08:00:00Z people.csv
	grep -qF '<h3>Checks: failed</h3>' page.html
	[ "$(grep -c '<tr class="fail"><td><span class="st">FAIL</span>' page.html)" -eq 8 ]
	grep -qF '<td>min rate 0.81 for &quot;^[A-Z]{2}-[0-9]{3}$&quot;</td>' page.html
	grep -qF 'people.csv:7:</span> <span class="v">' page.html
	render page.html
}

@test "dmo-profile: --report to a directory that does not exist is status 3" {
	run -3 --separate-stderr dmo-profile --report nodir/page.html customers.csv
	[[ $stderr == "dmo-profile: nodir/page.html: "* ]]
	[ ! -e nodir ]
}

@test "dmo-profile: --report needs a file name; html refuses --every" {
	run -2 --separate-stderr dmo-profile --report '' customers.csv
	[ "${stderr%%$'\n'*}" = "dmo-profile: option '--report': empty file name" ]
	run -2 --separate-stderr dmo-profile --format html --every 2 customers.csv
	[ "${stderr%%$'\n'*}" = "dmo-profile: options '--format html' and '--every' cannot be used together" ]
}

@test "dmo-profile: hostile names and values are escaped in the page" {
	hostile_input
	run -0 --separate-stderr dmo-profile --format html hostile.ndjson
	[ -z "$stderr" ]
	lacks '<script' <<<"$output"
	lacks '<svg onload' <<<"$output"
	lacks '<img' <<<"$output"
	lacks '<style>body' <<<"$output"
	lacks '<!-- x' <<<"$output"
	grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' <<<"$output"
	grep -q 'q&quot;uo&#39;te&amp;amp;' <<<"$output"
	# NUL and BEL as their pictures (U+2400, U+2407)
	grep -q $'nul\xe2\x90\x80byte' <<<"$output"
	# 10 kB names and values are cut: no line holds 1000 x in a row
	lacks 'x{1000}' <<<"$output"
	# and the page is valid UTF-8
	iconv -f UTF-8 -t UTF-8 <<<"$output" >/dev/null
}

@test "dmo-profile: invalid UTF-8 in the data shows as U+FFFD in the page" {
	printf 'name\n\xff\xfeab\nok\n' >bad.csv
	run -0 --separate-stderr dmo-profile --invalid-utf8 replace --format html bad.csv
	iconv -f UTF-8 -t UTF-8 <<<"$output" >/dev/null
	grep -q $'\xef\xbf\xbd' <<<"$output"
}

@test "dmo-profile: an empty input gives a page that says so" {
	: >empty.csv
	run -0 --separate-stderr dmo-profile --format html empty.csv
	grep -q 'No fields: the input held no records.' <<<"$output"
}

@test "dmo-profile: the page renders in headless Chromium, cards and charts" {
	dmo-profile --format html customers.csv >page.html
	render page.html 1200,1600
	[ "$(grep -o '<section class="card"' b/dom.html | wc -l)" -eq 7 ]
	grep -q '<svg class="hist"' b/dom.html
	grep -q '<rect class="fg"' b/dom.html
	lacks '<script' <b/dom.html
}

# luma R G B: perceived brightness, 0 to 255.
luma() {
	echo $(( (299 * $1 + 587 * $2 + 114 * $3) / 1000 ))
}

@test "dmo-profile: the page follows the reader's light or dark scheme" {
	dmo-profile --format html customers.csv >page.html
	render page.html 1000,1200
	read -r _ r g b <<<"$output"
	[ "$(luma "$r" "$g" "$b")" -gt 200 ] || fail "light background: $output"
	render page.html 1000,1200 dark
	read -r _ r g b <<<"$output"
	[ "$(luma "$r" "$g" "$b")" -lt 50 ] || fail "dark background: $output"
	[ "$(grep -o '<section class="card"' b/dom.html | wc -l)" -eq 7 ]
}

@test "dmo-profile: a hostile page renders with no script run and no load" {
	hostile_input
	dmo-profile --format html hostile.ndjson >page.html
	render page.html
	# The DOM holds the text, not elements made from it.
	lacks '<script' <b/dom.html
	lacks '<img' <b/dom.html
	lacks '<svg onload' <b/dom.html
	grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' b/dom.html
	[ "$(grep -o '<section class="card"' b/dom.html | wc -l)" -eq 4 ]
}

@test "dmo-profile: the browser test fails a page that runs a script" {
	# The test of the test: a page the report must never be.
	printf '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src '"'"'none'"'"'"><h1>x</h1><script>document.title=1</script>\n' >evil.html
	run sh "$REPO/tests/browser.sh" evil.html "$BATS_TEST_TMPDIR/e" 800,600
	[ "$status" -ne 77 ] || skip "no chromium installed"
	[ "$status" -eq 1 ]
	[[ $output == *"the page logged errors"* ]]
}

@test "dmo-profile: the browser test fails a blank page" {
	printf '<!DOCTYPE html><title>x</title>\n' >blank.html
	run sh "$REPO/tests/browser.sh" blank.html "$BATS_TEST_TMPDIR/e" 800,600
	[ "$status" -ne 77 ] || skip "no chromium installed"
	[ "$status" -eq 1 ]
	[[ $output == *"nearly blank"* ]]
}
