#!/usr/bin/env bats
# cli.bats - the command-line conventions every dmo program keeps, and the
# agreement of --help, man pages and completions (curl's test1139 idea).
# SPDX-License-Identifier: BSD-2-Clause
#
# Each test loops over DMO_PROGRAMS (the Makefile's PROGRAMS), so a new
# program is checked as soon as it is listed there.  A program whose file
# operands come after other operands says so in dmo_input_args
# (test_helper.bash).

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	printf '{"id":1,"name":"a"}\n{"id":2,"name":"b"}\n' >small.ndjson
}

# The options in PROG's --help, one per line: "--long ARG" or "--long".
help_options() {
	"$1" --help | sed -n \
	    's/^[[:space:]]*\(-[[:alnum:]], \)\{0,1\}\(--[[:alnum:]-]*\)\( [A-Z][^[:space:]]*\)\{0,1\}\([[:space:]].*\)\{0,1\}$/\2\3/p'
}

# The usage line of PROG's --help, without "usage: ", joined if wrapped.
usage_line() {
	"$1" --help | awk '
		NR == 1 { sub(/^usage: /, ""); u = $0; next }
		/^[[:space:]]+[^-[:space:]]/ && !done { sub(/^[[:space:]]+/, " "); u = u $0; next }
		{ done = 1 }
		END { print u }'
}

# The SYNOPSIS of a man page as one line of text.
man_synopsis() {
	mandoc -T ascii -O width=1000 "$1" | col -b | awk '
		/^SYNOPSIS/ { on = 1; next }
		/^[A-Z]/ { on = 0 }
		on && NF { sub(/^[[:space:]]+/, ""); s = s (s == "" ? "" : " ") $0 }
		END { print s }'
}

@test "cli: every program is built" {
	[ "${#DMO_PROGRAMS[@]}" -gt 0 ]
	for p in "${DMO_PROGRAMS[@]}"; do
		[ -x "$REPO/bin/$p" ] || fail "$p: not built (make all)"
	done
}

@test "cli: --help and -h exit 0 with the usage on stdout and nothing on stderr" {
	for p in "${DMO_PROGRAMS[@]}"; do
		run -0 --separate-stderr "$p" --help
		[ -z "$stderr" ] || fail "$p --help wrote to stderr: $stderr"
		assert_line --index 0 --regexp "^usage: $p( |$)"
		local help=$output
		run -0 --separate-stderr "$p" -h
		[ -z "$stderr" ] || fail "$p -h wrote to stderr: $stderr"
		[ "$output" = "$help" ] || fail "$p: -h and --help differ"
	done
}

@test "cli: --help and --version to a full disk exit 3" {
	for p in "${DMO_PROGRAMS[@]}"; do
		run -3 bash -c '"$@" >/dev/full' sh "$p" --help
		run -3 bash -c '"$@" >/dev/full' sh "$p" --version
	done
}

@test "cli: --version and -V print 'PROG VERSION'" {
	for p in "${DMO_PROGRAMS[@]}"; do
		run -0 --separate-stderr "$p" --version
		[ -z "$stderr" ] || fail "$p --version wrote to stderr: $stderr"
		assert_output --regexp "^$p [0-9]+\.[0-9]+\.[0-9]+[^[:space:]]*$"
		local version=$output
		run -0 "$p" -V
		assert_output "$version"
	done
}

@test "cli: an unknown option exits 2 with the usage and the Try line" {
	for p in "${DMO_PROGRAMS[@]}"; do
		run -2 --separate-stderr "$p" --no-such-option
		[ -z "$output" ] || fail "$p: a usage error wrote to stdout: $output"
		output=$stderr lines=("${stderr_lines[@]}")
		assert_line --index 0 "$p: unrecognized option '--no-such-option'"
		assert_line --index 1 --regexp "^usage: $p "
		assert_line --index 2 "Try '$p --help' for more information."
		[ "${#lines[@]}" -eq 3 ] || fail "$p: extra lines: $stderr"
	done
}

@test "cli: an option missing its argument exits 2 with the usage" {
	for p in "${DMO_PROGRAMS[@]}"; do
		run -2 --separate-stderr "$p" --stats
		assert_equal "$output" ""
		output=$stderr lines=("${stderr_lines[@]}")
		assert_line --index 0 "$p: option '--stats' requires an argument"
		assert_line --index 2 "Try '$p --help' for more information."
	done
}

@test "cli: a missing file exits 3 with 'PROG: nope.csv: No such file or directory'" {
	for p in "${DMO_PROGRAMS[@]}"; do
		run -3 --separate-stderr "$p" $(dmo_input_args "$p") nope.csv
		[ "$stderr" = "$p: nope.csv: No such file or directory" ] ||
		    fail "$p: stderr: $stderr"
	done
}

@test "cli: an unreadable file exits 3 with 'PROG: secret.csv: Permission denied'" {
	need_unprivileged
	printf 'a\n1\n' >secret.csv
	chmod 000 secret.csv
	for p in "${DMO_PROGRAMS[@]}"; do
		run -3 --separate-stderr unprivileged "$REPO/bin/$p" \
		    $(dmo_input_args "$p") secret.csv
		[ "$stderr" = "$p: secret.csv: Permission denied" ] ||
		    fail "$p: stderr: $stderr"
	done
}

@test "cli: a directory as input exits 3 with 'PROG: somedir: Is a directory'" {
	mkdir somedir
	for p in "${DMO_PROGRAMS[@]}"; do
		run -3 --separate-stderr "$p" $(dmo_input_args "$p") somedir
		[ "$stderr" = "$p: somedir: Is a directory" ] ||
		    fail "$p: stderr: $stderr"
	done
}

@test "cli: a bad file does not stop the others; the worst status wins" {
	for p in "${DMO_PROGRAMS[@]}"; do
		run -3 --separate-stderr "$p" $(dmo_input_args "$p") nope.csv small.ndjson
		[ "$stderr" = "$p: nope.csv: No such file or directory" ] ||
		    fail "$p: stderr: $stderr"
		[ "${#lines[@]}" -eq 2 ] || fail "$p: output: $output"
	done
}

@test "cli: writing to a full disk exits 3 with a message" {
	for p in "${DMO_PROGRAMS[@]}"; do
		run -3 --separate-stderr bash -c '"$@" >/dev/full' sh \
		    "$p" $(dmo_input_args "$p") small.ndjson
		[[ $stderr == "$p: "*"No space left on device" ]] ||
		    fail "$p: stderr: $stderr"
	done
}

@test "cli: stopping early (| head -1) on a large input is quiet" {
	seq 1 400000 | sed 's/.*/{"n":&,"s":"abcdefghij"}/' >big.ndjson
	for p in "${DMO_PROGRAMS[@]}"; do
		run -0 --separate-stderr bash -c \
		    '"$@" big.ndjson 2>err | head -n 1; echo "${PIPESTATUS[0]}"' \
		    sh "$p" $(dmo_input_args "$p")
		assert_line --index 0 '{"n":1,"s":"abcdefghij"}'
		[[ ${lines[1]} == 0 || ${lines[1]} == 141 ]] ||
		    fail "$p: status ${lines[1]} (expected 0 or 141, SIGPIPE)"
		[ ! -s err ] || fail "$p: stderr: $(cat err)"
	done
}

@test "cli: every program has a man page whose SYNOPSIS is its usage line" {
	for p in "${DMO_PROGRAMS[@]}"; do
		[ -f "$REPO/man/$p.1" ] || fail "$p: no man/$p.1"
		local want got
		want=$(usage_line "$p")
		got=$(man_synopsis "$REPO/man/$p.1")
		[ "$got" = "$want" ] ||
		    fail "$p: man SYNOPSIS '$got' differs from usage '$want'"
	done
}

@test "cli: every long option in --help is in the man page, and the other way round" {
	for p in "${DMO_PROGRAMS[@]}"; do
		local man opt
		man=$(mandoc -T ascii -O width=1000 "$REPO/man/$p.1" | col -b)
		for opt in $(help_options "$p" | cut -d' ' -f1); do
			grep -Eq -- "(^|[^[:alnum:]-])$opt([^[:alnum:]-]|\$)" <<<"$man" ||
			    fail "$p: $opt is in --help but not in man/$p.1"
		done
		local help
		help=$(help_options "$p" | cut -d' ' -f1)
		for opt in $(grep '^\.It' "$REPO/man/$p.1" |
		    grep -o 'Fl -[[:alnum:]][[:alnum:]-]*' | sed 's/^Fl /-/'); do
			grep -qx -- "$opt" <<<"$help" ||
			    fail "$p: $opt is in man/$p.1 but not in --help"
		done
	done
}

@test "cli: every program lists the common options (DMO_COMMON_LONGOPTS) in --help" {
	local common opt p help
	common=$(sed -n '/^#define DMO_COMMON_LONGOPTS/,/^$/p' "$REPO/common/cli.h" |
	    grep -o '{ "[a-z-]*"' | cut -d'"' -f2)
	[ -n "$common" ]
	for p in "${DMO_PROGRAMS[@]}"; do
		help=$(help_options "$p" | cut -d' ' -f1)
		for opt in $common; do
			grep -qx -- "--$opt" <<<"$help" ||
			    fail "$p: --$opt is taken (DMO_COMMON_LONGOPTS) but not in --help"
		done
	done
}

@test "cli: every program is on the completions' command lists" {
	for p in "${DMO_PROGRAMS[@]}"; do
		grep -Eq "^[[:space:]]*complete -F _dmo( .*)? $p( |\$)" \
		    "$REPO/completions/dmo.bash" ||
		    fail "$p: not on the complete line of completions/dmo.bash"
		grep -Eq "^#compdef( .*)? $p( |\$)" "$REPO/completions/_dmo" ||
		    fail "$p: not on the #compdef line of completions/_dmo"
	done
}

@test "cli: every long option with a value has a case in completions/dmo.bash" {
	for p in "${DMO_PROGRAMS[@]}"; do
		local opt
		for opt in $(help_options "$p" | awk 'NF == 2 { print $1 }'); do
			grep -Eq -- "[*]:$opt[|)]|$p:$opt[|)]" \
			    "$REPO/completions/dmo.bash" ||
			    fail "$p: $opt takes a value but has no case in completions/dmo.bash"
		done
	done
}

# Run _dmo for the words given (the last is the one being completed) and
# print what it offers, one per line.
bash_complete() {
	bash -c '
		source /usr/share/bash-completion/bash_completion || exit 2
		source "$REPO/completions/dmo.bash" || exit 2
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_dmo "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' sh "$@"
}

@test "cli: bash completion offers every long option in --help" {
	[ -f /usr/share/bash-completion/bash_completion ] ||
	    fail "bash-completion is not installed (sh scripts/install-deps)"
	for p in "${DMO_PROGRAMS[@]}"; do
		run -0 bash_complete "$p" --
		local offered=$output opt
		for opt in $(help_options "$p" | cut -d' ' -f1); do
			grep -qx -- "$opt" <<<"$offered" ||
			    fail "$p: bash completion does not offer $opt"
		done
	done
}

@test "cli: bash completion completes option values" {
	[ -f /usr/share/bash-completion/bash_completion ] ||
	    fail "bash-completion is not installed (sh scripts/install-deps)"
	run -0 bash_complete dmo-extract --format ''
	assert_output "$(printf '%s\n' csv tsv ndjson json binary)"
	run -0 bash_complete dmo-extract -f n
	assert_output ndjson
	run -0 bash_complete dmo-extract --ragged ''
	assert_output "$(printf '%s\n' reject pad truncate)"
	run -0 bash_complete dmo-extract --duplicate-keys l
	assert_output last
	run -0 bash_complete dmo-extract --invalid-utf8 ''
	assert_output "$(printf '%s\n' reject replace)"
	run -0 bash_complete dmo-load -m ''
	assert_output "$(printf '%s\n' append replace upsert)"
	run -0 bash_complete dmo-load --mode u
	assert_output upsert
	run -0 bash_complete dmo-extract --stats sma
	assert_output small.ndjson
	run -0 bash_complete dmo-extract sma
	assert_output small.ndjson
}

@test "cli: zsh completion has a spec for every long option in --help" {
	command -v zsh >/dev/null || fail "zsh is not installed (sh scripts/install-deps)"
	zsh -n "$REPO/completions/_dmo"
	for p in "${DMO_PROGRAMS[@]}"; do
		# Call _dmo with _arguments replaced by a stub that prints the specs.
		run -0 zsh -f -c '
			_arguments() { print -rl -- "$@" }
			_call_program() { shift; "$@" }
			words=($1 "") service=$1
			source $2' sh "$p" "$REPO/completions/_dmo"
		local specs=$output opt
		for opt in $(help_options "$p" | cut -d' ' -f1); do
			grep -Eq -- "^\\([^)]*\\)$opt[=[]" <<<"$specs" ||
			    fail "$p: zsh completion has no spec for $opt"
		done
	done
}
