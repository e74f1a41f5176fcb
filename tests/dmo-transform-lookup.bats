#!/usr/bin/env bats
# dmo-transform-lookup.bats - lookups (common/lookup.c): enrich records
# from a file in any format or a SQLite table, left or inner, repeated
# keys, name collisions, the size bound (dmo-transform(1), LOOKUPS).
# SPDX-License-Identifier: BSD-2-Clause

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	cat >cities.csv <<-'END'
	id,city,country
	7,Oslo,NO
	9,Rome,IT
	END
	cat >orders.ndjson <<-'END'
	{"order":1,"id":7,"amount":12.30}
	{"order":2,"id":"9","amount":5}
	{"order":3,"id":8,"amount":1}
	{"order":4,"id":null,"amount":2}
	{"order":5,"amount":3}
	END
}

@test "dmo-transform --lookup: left join by text; misses, null and missing keys get nulls" {
	dmo-transform --lookup cities.csv --on id orders.ndjson '' >/dev/null 2>&1 || true
	run -0 dmo-transform --lookup cities.csv --on id '' orders.ndjson
	[ "$output" = '{"order":1,"id":7,"amount":12.30,"city":"Oslo","country":"NO"}
{"order":2,"id":"9","amount":5,"city":"Rome","country":"IT"}
{"order":3,"id":8,"amount":1,"city":null,"country":null}
{"order":4,"id":null,"amount":2,"city":null,"country":null}
{"order":5,"amount":3,"city":null,"country":null}' ]
}

@test "dmo-transform --join inner: records without a match are dropped" {
	run -0 dmo-transform --lookup cities.csv --on id --join inner '' orders.ndjson
	[ "$output" = '{"order":1,"id":7,"amount":12.30,"city":"Oslo","country":"NO"}
{"order":2,"id":"9","amount":5,"city":"Rome","country":"IT"}' ]
}

@test "dmo-transform --lookup: then the program sees the added fields" {
	run -0 dmo-transform --lookup cities.csv --on id --join inner \
	    'where country == "NO"; keep order, city' orders.ndjson
	[ "$output" = '{"order":1,"city":"Oslo"}' ]
}

@test "dmo-transform --lookup: a field name in both is an error that names it; --prefix avoids it" {
	printf '{"id":7,"city":"x"}\n' >in
	run -2 --separate-stderr dmo-transform --lookup cities.csv --on id '' in
	[ "$output" = "" ]
	[ "$stderr" = "dmo-transform: in:1: field 'city': in the input and in lookup 'cities.csv' (use --prefix)" ]
	run -0 dmo-transform --lookup cities.csv --on id --prefix c_ '' in
	[ "$output" = '{"id":7,"city":"x","c_city":"Oslo","c_country":"NO"}' ]
}

@test "dmo-transform --lookup-dups: a repeated key is an error by default; first and last choose" {
	printf '%s\n' 7,Oslo,NO 7,Bergen,NO >>cities.csv
	run -1 --separate-stderr dmo-transform --lookup cities.csv --on id '' orders.ndjson
	[ "$output" = "" ]
	[ "$stderr" = "dmo-transform: cities.csv:4: lookup key field 'id': duplicate key (see --lookup-dups): \"7\"" ]
	run -0 bash -c "head -1 orders.ndjson | dmo-transform --lookup cities.csv --on id --lookup-dups first"
	[ "$output" = '{"order":1,"id":7,"amount":12.30,"city":"Oslo","country":"NO"}' ]
	run -0 bash -c "head -1 orders.ndjson | dmo-transform --lookup cities.csv --on id --lookup-dups last"
	[ "$output" = '{"order":1,"id":7,"amount":12.30,"city":"Bergen","country":"NO"}' ]
}

@test "dmo-transform --on: several keys, and input=lookup names" {
	printf '%s\n' '{"cust":1,"day":"mon","v":"a"}' '{"cust":1,"day":"tue","v":"b"}' >rates.ndjson
	printf '%s\n' '{"c":1,"day":"tue"}' '{"c":1,"day":"wed"}' >in
	run -0 dmo-transform --lookup rates.ndjson --on c=cust,day '' in
	[ "$output" = '{"c":1,"day":"tue","v":"b"}
{"c":1,"day":"wed","v":null}' ]
}

@test "dmo-transform --lookup sqlite:DB#TABLE: a table as the lookup" {
	dmo-extract cities.csv | dmo-load sqlite:ref.db#cities
	run -0 dmo-transform --lookup 'sqlite:ref.db#cities' --on id --join inner '' orders.ndjson
	[ "$output" = '{"order":1,"id":7,"amount":12.30,"city":"Oslo","country":"NO"}
{"order":2,"id":"9","amount":5,"city":"Rome","country":"IT"}' ]
	run -3 --separate-stderr dmo-transform --lookup 'sqlite:ref.db#nope' --on id '' orders.ndjson
	[ "$stderr" = "dmo-transform: sqlite:ref.db#nope: no such table: nope" ]
	run -2 --separate-stderr dmo-transform --lookup 'sqlite:ref.db' --on id '' orders.ndjson
	[ "$stderr" = 'dmo-transform: lookup: name the table, as in sqlite:DATABASE#TABLE: "sqlite:ref.db"' ]
}

@test "dmo-transform --lookup: compressed files and two lookups in a row" {
	gzip -k cities.csv
	printf '%s\n' 'country,currency' NO,NOK IT,EUR >countries.csv
	run -0 dmo-transform --lookup cities.csv.gz --on id --join inner \
	    --lookup countries.csv --on country '' orders.ndjson
	[ "$output" = '{"order":1,"id":7,"amount":12.30,"city":"Oslo","country":"NO","currency":"NOK"}
{"order":2,"id":"9","amount":5,"city":"Rome","country":"IT","currency":"EUR"}' ]
}

@test "dmo-transform --lookup-max: a lookup larger than the bound is refused" {
	run -2 --separate-stderr dmo-transform --lookup cities.csv --on id --lookup-max 100 '' orders.ndjson
	[ "$stderr" = "dmo-transform: cities.csv:2: lookup is larger than --lookup-max (100 bytes): raise it or use a smaller source" ]
	run -0 dmo-transform --lookup cities.csv --on id --lookup-max 1M '' orders.ndjson
}

@test "dmo-transform --lookup: option errors and unreadable sources" {
	run -2 --separate-stderr dmo-transform --on id </dev/null
	[ "${stderr_lines[0]}" = "dmo-transform: option '--on' must follow a '--lookup'" ]
	[ "${stderr_lines[2]}" = "Try 'dmo-transform --help' for more information." ]
	run -2 --separate-stderr dmo-transform --lookup cities.csv </dev/null
	[ "${stderr_lines[0]}" = "dmo-transform: option '--lookup cities.csv' needs '--on'" ]
	run -2 --separate-stderr dmo-transform --lookup cities.csv --on id --join outer </dev/null
	[ "${stderr_lines[0]}" = 'dmo-transform: option '\''--join'\'': not left or inner: "outer"' ]
	run -2 --separate-stderr dmo-transform --lookup cities.csv --on id --lookup-dups any </dev/null
	[ "${stderr_lines[0]}" = 'dmo-transform: option '\''--lookup-dups'\'': not error, first or last: "any"' ]
	run -2 --separate-stderr dmo-transform --lookup - --on id </dev/null
	[ "$stderr" = "dmo-transform: lookup: the source must be a file, not stdin" ]
	run -3 --separate-stderr dmo-transform --lookup missing.csv --on id </dev/null
	[ "$stderr" = "dmo-transform: missing.csv: No such file or directory" ]
	run -1 --separate-stderr dmo-transform --lookup orders.ndjson --on nope </dev/null
	[ "$stderr" = "dmo-transform: orders.ndjson:1: lookup key field 'nope': missing" ]
	printf '{"id":1,\n' >bad.ndjson
	run -1 --separate-stderr dmo-transform --lookup bad.ndjson --on id </dev/null
	[ "${stderr%%:*}" = "dmo-transform" ]
	[[ $stderr == "dmo-transform: bad.ndjson:1"* ]]
}

@test "dmo-transform --lookup: binary frames in, binary frames out" {
	DMO_WIRE=binary dmo-extract orders.ndjson | dmo-transform -B --lookup cities.csv --on id '' | dmo-load - >out
	run -0 head -1 out
	[ "$output" = '{"order":1,"id":7,"amount":12.30,"city":"Oslo","country":"NO"}' ]
}
