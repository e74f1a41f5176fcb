#!/usr/bin/env bats
# dmo-profile-checks.bats - quality checks for cron: dmo-profile --check.
# SPDX-License-Identifier: BSD-2-Clause
#
# checks/people.csv has 10 records: id 5 twice, one empty email and age,
# ages 0 to 150, countries FR DE NL, 8 codes of 10 like AB-123, and the
# newest update 2026-11-21T08:00:00Z (twice, once with an offset), one
# "yesterday".  pass.json holds every check at its threshold; fail.json
# every check just past it.

load test_helper

NOW=2026-11-22T08:00:00Z

# In a scratch copy of the fixtures, so that the rules files the tests
# write have short names in the messages too.
setup() {
	cp "$BATS_TEST_DIRNAME"/fixtures/checks/* "$BATS_TEST_TMPDIR/" &&
	    cd "$BATS_TEST_TMPDIR" || return 1
}

# check_rule RULE: run --check with rule.json, a rules file of that rule.
check_rule() {
	printf '{"rules": [%s]}\n' "$1" >rule.json
	run --separate-stderr dmo-profile --check rule.json --now "$NOW" \
	    people.csv
}

@test "dmo-profile: --check with every rule at its threshold passes" {
	dmo-profile --check pass.json --now "$NOW" people.csv \
	    >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	golden dmo-profile-checks/pass
}

@test "dmo-profile: --check with every rule just past fails, reports all" {
	run -1 dmo-profile --check fail.json --now "$NOW" people.csv
	dmo-profile --check fail.json --now "$NOW" people.csv \
	    >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || true
	golden dmo-profile-checks/fail
}

@test "dmo-profile: --check --format json reports every rule as JSON" {
	run -1 dmo-profile --check fail.json --now "$NOW" --format json \
	    people.csv
	dmo-profile --check fail.json --now "$NOW" -f json people.csv \
	    >"$BATS_TEST_TMPDIR/out" 2>/dev/null || true
	golden dmo-profile-checks/fail-json
	jq -e '.rules == 8 and .failed == 8 and
	    ([.results[].status] | unique) == ["fail"]' \
	    "$BATS_TEST_TMPDIR/out"
}

@test "dmo-profile: --check passes with the table format asked for" {
	run -0 --separate-stderr dmo-profile --check pass.json --now "$NOW" \
	    --format table people.csv
	[ "${lines[8]}" = "checks: 0 of 8 rules failed" ]
	[ -z "$stderr" ]
}

@test "dmo-profile: records at both bounds, and one past each" {
	check_rule '{"records": {"min": 10, "max": 10}}'
	[ "$status" -eq 0 ]
	check_rule '{"records": {"min": 11}}'
	[ "$status" -eq 1 ]
	check_rule '{"records": {"max": 9}}'
	[ "$status" -eq 1 ]
}

@test "dmo-profile: null_rate at 0.1 and just under" {
	check_rule '{"field": "age", "null_rate": {"max": 0.1}}'
	[ "$status" -eq 0 ]
	check_rule '{"field": "age", "null_rate": {"max": 0.0999}}'
	[ "$status" -eq 1 ]
	assert_line "  people.csv:3: empty"
	check_rule '{"field": "nosuch", "null_rate": {"max": 0.9}}'
	[ "$status" -eq 1 ]
	assert_line "FAIL rule 'nosuch null_rate' (rule.json:1): measured null rate 1 (10 of 10 records); threshold max 0.9"
	assert_line "  people.csv:2: absent"
}

@test "dmo-profile: unique holds for email, fails on a repeated id" {
	check_rule '{"field": "email", "unique": true}'
	[ "$status" -eq 0 ]
	check_rule '{"field": "id", "unique": true}'
	[ "$status" -eq 1 ]
	assert_line "  people.csv:7: \"5\""
}

@test "dmo-profile: range at both bounds, and one past each" {
	check_rule '{"field": "age", "range": {"min": 0, "max": 150}}'
	[ "$status" -eq 0 ]
	check_rule '{"field": "age", "range": {"min": 0, "max": 149.99}}'
	[ "$status" -eq 1 ]
	assert_line "  people.csv:4: \"150\""
	check_rule '{"field": "age", "range": {"min": 0.01}}'
	[ "$status" -eq 1 ]
	assert_line "  people.csv:6: \"0\""
	check_rule '{"field": "email", "range": {"min": 0}}'
	[ "$status" -eq 1 ]
	assert_line --partial "measured 9 of 9 values out of range;"
}

@test "dmo-profile: range over dates compares text" {
	check_rule '{"field": "updated", "range": {"min": "2026-11-18", "max": "2026-11-21T08:00:00Z"}}'
	[ "$status" -eq 1 ]		# "yesterday" sorts after
	assert_line "  people.csv:6: \"yesterday\""
	[ "${#lines[@]}" -eq 3 ]
}

@test "dmo-profile: allowed values, all in and one out" {
	check_rule '{"field": "country", "allowed": ["FR", "DE", "NL"]}'
	[ "$status" -eq 0 ]
	check_rule '{"field": "country", "allowed": ["FR", "DE", "nl"]}'
	[ "$status" -eq 1 ]
	assert_line "  people.csv:5: \"NL\""
	assert_line "  people.csv:10: \"NL\""
	check_rule '{"field": "id", "allowed": [1, 2, 3, 4, 5, 7, 8, 9, 10.0]}'
	[ "$status" -eq 0 ]
}

@test "dmo-profile: pattern match rate at 0.8 and just above" {
	check_rule '{"field": "code", "pattern": {"regex": "^[A-Z]{2}-[0-9]{3}$", "min_rate": 0.8}}'
	[ "$status" -eq 0 ]
	check_rule '{"field": "code", "pattern": {"regex": "^[A-Z]{2}-[0-9]{3}$", "min_rate": 0.8001}}'
	[ "$status" -eq 1 ]
	check_rule '{"field": "code", "pattern": "^[A-Za-z]{2}-[0-9]+$"}'
	[ "$status" -eq 0 ]
}

@test "dmo-profile: max_age at exactly one day and a second less" {
	check_rule '{"field": "updated", "max_age": "1d"}'
	[ "$status" -eq 0 ]
	check_rule '{"field": "updated", "max_age": 86399}'
	[ "$status" -eq 1 ]
	assert_line "FAIL rule 'updated max_age' (rule.json:1): measured age 1d of the newest, \"2026-11-21T08:00:00Z\"; 1 value not a timestamp; threshold max age 23h59m59s"
	assert_line "  people.csv:5: \"2026-11-21T08:00:00Z\""
	assert_line "  people.csv:6: \"yesterday\""
}

@test "dmo-profile: max_age with no timestamp at all fails" {
	check_rule '{"field": "email", "max_age": "100w"}'
	[ "$status" -eq 1 ]
	assert_line --partial "measured no timestamp in 9 values;"
}

@test "dmo-profile: distinct count at the bounds and past" {
	check_rule '{"field": "country", "distinct": {"min": 3, "max": 3}}'
	[ "$status" -eq 0 ]
	check_rule '{"field": "country", "distinct": {"min": 4}}'
	[ "$status" -eq 1 ]
	check_rule '{"field": "id", "distinct": {"max": 8}}'
	[ "$status" -eq 1 ]
	assert_line --partial "measured 9 distinct values; threshold max 8"
}

@test "dmo-profile: a failed check prints the summary line on stderr" {
	run -1 --separate-stderr dmo-profile --check fail.json --now "$NOW" \
	    people.csv
	[ "$stderr" = "dmo-profile: fail.json: 8 of 8 checks failed" ]
}

@test "dmo-profile: samples stop at five, the count does not" {
	local i
	{
		echo v
		for i in 1 2 3 4 5 6 7; do echo "bad$i"; done
	} >v.csv
	printf '{"rules": [{"field": "v", "allowed": ["ok"]}]}\n' >r.json
	run -1 --separate-stderr dmo-profile --check r.json v.csv
	[ "${#lines[@]}" -eq 7 ]
	assert_line --index 0 --partial "measured 7 of 7 values not allowed"
	assert_line --index 5 "  v.csv:6: \"bad5\""
}

@test "dmo-profile: hostile values in samples are quoted and cut" {
	printf '{"v":"<b>\\u0000\\"x\\u001b"}\n{"v":"%s"}\n' \
	    "$(head -c 10000 /dev/zero | tr '\0' y)" >h.ndjson
	printf '{"rules": [{"field": "v", "pattern": "^ok$"}]}\n' >r.json
	run -1 --separate-stderr dmo-profile --check r.json h.ndjson
	assert_line "  h.ndjson:1: \"<b>\\x00\\\"x\\x1b\""
	assert_line --regexp '^  h.ndjson:2: "y{30,50}"\.\.\.$'
	run -1 --separate-stderr dmo-profile --check r.json -f json h.ndjson
	printf '%s\n' "$output" | jq -e \
	    '.results[0].samples[0].value == "<b>\u0000\"x\u001b"' >/dev/null
}

@test "dmo-profile: an unknown keyword is status 2 with file:line:col" {
	run -2 --separate-stderr dmo-profile --check bad-keyword.json people.csv
	[ "$stderr" = "dmo-profile: bad-keyword.json:3:20: unknown keyword 'rnage'" ]
	[ -z "$output" ]
}

@test "dmo-profile: malformed rules JSON is status 2 with file:line:col" {
	run -2 --separate-stderr dmo-profile --check bad-syntax.json people.csv
	[ "$stderr" = "dmo-profile: bad-syntax.json:3:1: not valid JSON: '}' expected near ']'" ]
}

@test "dmo-profile: bad rules are located, one message each" {
	local rule want
	while IFS='|' read -r rule want; do
		printf '{"rules": [\n%s\n]}\n' "$rule" >r.json
		run -2 --separate-stderr dmo-profile --check r.json people.csv
		[ "$stderr" = "dmo-profile: r.json:$want" ] ||
		    fail "$rule: got: $stderr"
	done <<'EOF'
{"field": "a", "null_rate": {"max": 2}}|2:37: 'null_rate.max': expected a number from 0 to 1: 2
{"field": "a", "pattern": "(x"}|2:27: 'pattern': Unmatched ( or \(: "(x"
{"field": "a", "max_age": "soon"}|2:27: 'max_age': not a duration (90s, 15m, 36h, 7d): "soon"
{"field": "a", "range": {"min": 1, "max": "z"}}|2:43: 'range': min and max must both be numbers or both strings
{"unique": true}|2:2: 'unique': "field" is required
{"field": "a"}|2:1: rule 1: no check (one of records, null_rate, unique, range, allowed, pattern, max_age, distinct)
{"field": "a", "unique": true, "allowed": ["x"]}|2:32: rule 1: a second check 'allowed' after 'unique' (write one rule a check)
{"field": "a", "distinct": {"min": -1}}|2:36: 'distinct.min': expected an integer from 0 to 9e+15: -1
EOF
}

@test "dmo-profile: a missing rules file is status 3" {
	run -3 --separate-stderr dmo-profile --check nosuch.json people.csv
	[ "$stderr" = "dmo-profile: nosuch.json: No such file or directory" ]
}

@test "dmo-profile: --now must be a timestamp and needs --check" {
	run -2 --separate-stderr dmo-profile --check pass.json --now tomorrow people.csv
	[ "${stderr%%$'\n'*}" = "dmo-profile: option '--now': not a timestamp (2026-01-31T12:00:00Z, @SECONDS): \"tomorrow\"" ]
	run -2 --separate-stderr dmo-profile --now @0 people.csv
	[ "${stderr%%$'\n'*}" = "dmo-profile: option '--now' needs '--check'" ]
}

@test "dmo-profile: --check refuses --merge, --every and --format html" {
	run -2 --separate-stderr dmo-profile --check pass.json --merge x.state
	[ "${stderr%%$'\n'*}" = "dmo-profile: options '--check' and '--merge' cannot be used together: checks read the records" ]
	run -2 --separate-stderr dmo-profile --check pass.json --every 5 people.csv
	[ "${stderr%%$'\n'*}" = "dmo-profile: options '--check' and '--every' cannot be used together" ]
	run -2 --separate-stderr dmo-profile --check pass.json -f html people.csv
	[ "${stderr%%$'\n'*}" = "dmo-profile: option '--check': the check report is text (--format table) or json, not html" ]
}

@test "dmo-profile: --check reads the rules from stdin with -" {
	run -0 dmo-profile --check - --now "$NOW" people.csv <pass.json
	assert_line "checks: 0 of 8 rules failed"
	assert_line --index 0 --partial "(<stdin>:2)"
}

@test "dmo-profile: --check with --report writes the page too" {
	run -1 dmo-profile --check fail.json --report "$BATS_TEST_TMPDIR/r.html" \
	    people.csv
	grep -q '<section class="card" id="field-6">' "$BATS_TEST_TMPDIR/r.html"
}
