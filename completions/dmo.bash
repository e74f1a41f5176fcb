# dmo.bash - bash completion for the dmo programs (needs bash-completion).
# SPDX-License-Identifier: BSD-2-Clause
#
# Options come from each program's --help (bash-completion's _parse_help);
# the values of options that take one are below, by option name.  A new
# program needs only its name on the `complete` line at the bottom; a new
# option with a value needs a case in _dmo_value (tests/cli.bats checks
# that every option with a value has one).  `make install` puts this file
# under each program's name in bash-completion's completions directory.

# The --help line of option $2 (short or long) of program $1, as
# "LONG ARG" ("--format FORMAT"), or "LONG" for a flag.
_dmo_option()
{
	local a='\( [A-Z][^[:space:]]*\)\{0,1\}\([[:space:]].*\)\{0,1\}$'
	LC_ALL=C "$1" --help 2>/dev/null | sed -n \
	    -e "s/^[[:space:]]*$2, \(--[[:alnum:]-]*\)$a/\1\2/p" \
	    -e "s/^[[:space:]]*-[[:alnum:]], \($2\)$a/\1\2/p" \
	    -e "s/^[[:space:]]*\($2\)$a/\1\2/p" |
	    head -n 1
}

# Complete the value of option $2 (long name) of program $1 into COMPREPLY.
_dmo_value()
{
	local prog=$1 opt=$2
	case $prog:$opt in
	dmo-load:--format)
		COMPREPLY=($(compgen -W 'ndjson csv tsv binary' -- "$cur")) ;;
	dmo-encrypt:--stream)
		COMPREPLY=($(compgen -W 'encrypt decrypt' -- "$cur")) ;;
	dmo-encrypt:--key-file|dmo-encrypt:--passphrase-file|\
	dmo-encrypt:--policy)
		_filedir ;;
	dmo-encrypt:--key-env)
		COMPREPLY=($(compgen -e -- "$cur")) ;;
	dmo-encrypt:--work-factor)
		COMPREPLY=($(compgen -W '15 16 17 18 19 20' -- "$cur")) ;;
	dmo-encrypt:--context|dmo-encrypt:--decrypt|dmo-encrypt:--deterministic|\
	dmo-encrypt:--encrypt|dmo-encrypt:--mask|dmo-encrypt:--pseudonymise|\
	dmo-encrypt:--redact|dmo-encrypt:--drop|dmo-encrypt:--rewrap|\
	dmo-encrypt:--disable-key|dmo-encrypt:--key-fd|dmo-encrypt:--mask-char|\
	dmo-encrypt:--mask-keep|dmo-encrypt:--passphrase-fd|dmo-encrypt:--role|\
	dmo-encrypt:--threads)
		;;			# field names, ids, numbers: free text
	dmo-profile:--format)
		COMPREPLY=($(compgen -W 'table json markdown html' -- "$cur")) ;;
	dmo-profile:--check|dmo-profile:--report)
		_filedir ;;		# dmo-profile: rules file, HTML page
	dmo-profile:--now)
		;;			# dmo-profile: a timestamp
	dmo-profile:--state|dmo-profile:--emit-schema)
		_filedir ;;
	dmo-profile:--every|dmo-profile:--exact-limit|dmo-profile:--top)
		;;			# dmo-profile: counts, durations
	*:--format)
		COMPREPLY=($(compgen -W 'csv tsv ndjson json binary' -- "$cur")) ;;
	dmo-clean:--ragged)
		COMPREPLY=($(compgen -W 'reject pad truncate join' -- "$cur")) ;;
	*:--ragged)
		COMPREPLY=($(compgen -W 'reject pad truncate' -- "$cur")) ;;
	*:--mode)
		COMPREPLY=($(compgen -W 'append replace upsert' -- "$cur")) ;;
	*:--duplicate-keys)
		COMPREPLY=($(compgen -W 'reject first last' -- "$cur")) ;;
	dmo-clean:--invalid-utf8)
		COMPREPLY=($(compgen -W 'reject replace keep' -- "$cur")) ;;
	dmo-clean:--threads)
		COMPREPLY=($(compgen -W '1 2 4 8' -- "$cur")) ;;
	*:--invalid-utf8)
		COMPREPLY=($(compgen -W 'reject replace' -- "$cur")) ;;
	*:--delimiter)
		COMPREPLY=($(compgen -W "tab , ';' '|'" -- "$cur")) ;;
	*:--quote)
		COMPREPLY=($(compgen -W "'\"' \"'\" none" -- "$cur")) ;;
	*:--rejects|*:--stats|*:--state)
		_filedir ;;
	dmo-transform:--file)		# the program file
		_filedir ;;
	*:--on-error)
		COMPREPLY=($(compgen -W 'reject stop' -- "$cur")) ;;
	*:--max-record-size)
		COMPREPLY=($(compgen -W '64K 1M 16M 256M 1G' -- "$cur")) ;;
	*:--body)			# HTTP
		COMPREPLY=($(compgen -W 'ndjson json' -- "$cur")) ;;
	*:--cacert|*:--header-file|*:--bearer-file)
		_filedir ;;
	*:--bearer-env)
		COMPREPLY=($(compgen -v -- "$cur")) ;;
	*:--records|*:--next-field|*:--cursor-field|*:--cursor-param|\
	*:--page-param|*:--offset-param|*:--page-size|*:--max-pages|\
	*:--retries|*:--retry-delay|*:--retry-max-time|*:--timeout|\
	*:--connect-timeout|*:--stall-timeout|*:--batch-size|*:--batch-bytes)
		;;			# HTTP: free text
	*:--query)
		;;			# SQL: nothing to offer
	*:--schema|*:--changes)
		_filedir ;;
	*:--case)
		COMPREPLY=($(compgen -W 'lower upper fold keep' -- "$cur")) ;;
	*:--dedupe-memory)
		COMPREPLY=($(compgen -W '16M 64M 256M 1G' -- "$cur")) ;;
	*:--dedupe-approx)
		COMPREPLY=($(compgen -W '0.001 0.01 0.1%' -- "$cur")) ;;
	*:--dedupe-window)
		COMPREPLY=($(compgen -W '1000 100000 30s 10m 1h' -- "$cur")) ;;
	*:--null|*:--fill-down|*:--dedupe-key)
		;;			# free text: nothing to offer
	*:--member|*:--source-field|*:--key|*:--max-rejects|\
	*:--commit-every|*:--commit-interval|\
	*:--partition-by|*:--max-open-files|\
	*:--since-field|*:--checkpoint-every|*:--checkpoint-interval)
		;;			# free text: nothing to offer
	*:--join)			# dmo-transform lookups and aggregates
		COMPREPLY=($(compgen -W 'left inner' -- "$cur")) ;;
	*:--lookup-dups)
		COMPREPLY=($(compgen -W 'error first last' -- "$cur")) ;;
	*:--lookup-max)
		COMPREPLY=($(compgen -W '64M 256M 1G 4G' -- "$cur")) ;;
	*:--window|*:--slide|*:--lateness)
		COMPREPLY=($(compgen -W '10s 30s 1m 5m 15m 1h' -- "$cur")) ;;
	*:--lookup)
		if [[ $cur == sqlite:* ]]; then
			cur=${cur#sqlite:}
			_filedir
			COMPREPLY=("${COMPREPLY[@]/#/sqlite:}")
			cur=sqlite:$cur
		else
			_filedir
		fi ;;
	*:--on|*:--prefix|*:--group-by|*:--agg|*:--time-field)
		;;			# free text: nothing to offer
	*)
		_filedir ;;		# an option not known here: files
	esac
}

# dmo-load's target: -, PATH, or TYPE:PATH (sqlite:PATH#TABLE, tar.gz:PATH).
_dmo_target()
{
	local prefix
	case $cur in
	csv:*|tsv:*|ndjson:*|binary:*|sqlite:*|\
	tar:*|tar.gz:*|tgz:*|tar.xz:*|txz:*|tar.zst:*|tzst:*|zip:*)
		prefix=${cur%%:*}:
		cur=${cur#*:}
		_filedir
		COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
		cur=$prefix$cur
		;;
	*)
		_filedir
		COMPREPLY+=($(compgen -W '- csv: tsv: ndjson: binary: sqlite:
		    tar: tar.gz: tgz: tar.xz: txz: tar.zst: tzst: zip:' \
		    -- "$cur"))
		COMPREPLY+=($(compgen -W 'postgres:// postgresql://' -- "$cur"))
		[[ ${#COMPREPLY[@]} -gt 0 && ${COMPREPLY[0]} == *[:/] ]] &&
		    compopt -o nospace
		;;
	esac
	__ltrim_colon_completions "$cur"
}

# dmo-extract's operands: files, sqlite:PATH[#TABLE], postgres://...
_dmo_source()
{
	case $cur in
	sqlite:*)
		cur=${cur#sqlite:}
		_filedir
		COMPREPLY=("${COMPREPLY[@]/#/sqlite:}")
		cur=sqlite:$cur
		;;
	postgres://*|postgresql://*)
		;;			# a URI: nothing to offer
	*)
		_filedir
		COMPREPLY+=($(compgen -W 'sqlite: postgres:// postgresql://' \
		    -- "$cur"))
		[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *[:/] ]] &&
		    compopt -o nospace
		;;
	esac
	__ltrim_colon_completions "$cur"
}

_dmo()
{
	local cur prev words cword split
	_init_completion -s -n : || return

	local prog=${words[0]##*/} spec opt arg i operands=0

	# The value of an option: "-f <TAB>", "--format <TAB>", "--format=<TAB>".
	if [[ $prev == -* ]]; then
		spec=$(_dmo_option "${words[0]}" "$prev")
		opt=${spec%% *}
		[[ $spec == *' '* ]] && arg=${spec#* } || arg=
		if [[ -n $arg ]]; then
			_dmo_value "$prog" "$opt"
			return
		fi
	fi
	$split && return

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '$(_parse_help "${words[0]}")' -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
		return
	fi

	# Operands.  dmo-load's first operand is its target.
	if [[ $prog == dmo-load ]]; then
		for ((i = 1; i < cword; i++)); do
			case ${words[i]} in
			--)	;;
			--*=*)	;;
			-*)	spec=$(_dmo_option "${words[0]}" "${words[i]}")
				[[ $spec == *' '* ]] && ((i++)) ;;
			*)	((operands++)) ;;
			esac
		done
		if ((operands == 0)); then
			_dmo_target
			return
		fi
	fi
	if [[ $prog == dmo-extract ]]; then
		_dmo_source
		return
	fi
	_filedir
} &&
	complete -F _dmo dmo-extract dmo-load dmo-clean dmo-encrypt dmo-profile dmo-transform
