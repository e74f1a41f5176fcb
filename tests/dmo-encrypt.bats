#!/usr/bin/env bats
# dmo-encrypt.bats - dmo-encrypt: field protection, keys, tampering, policies.
# SPDX-License-Identifier: BSD-2-Clause
#
# Each test runs in its own scratch directory with a fresh keyset (k.key,
# mode 0600).  Ciphertexts are taken apart with basenc and xxd to tamper
# with them byte by byte.

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	umask 077
	dmo-encrypt --keygen -k k.key
	BGPIDS=()
}

teardown() {
	local pid
	for pid in "${BGPIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
	done
}

PROG=dmo-encrypt
TRY="Try 'dmo-encrypt --help' for more information."
USAGE="usage: dmo-encrypt [-Bv] [-c context] [-D fields] [-d fields] [-e fields] [-k keyset] [-m fields] [-p fields] [-r fields] [file ...]"

# b64d TEXT / b64e: base64url without padding, as dmo-keyset(5) has it.
b64d() {
	local s=$1
	while ((${#s} % 4)); do s+='='; done
	printf '%s' "$s" | basenc -d --base64url
}
b64e() {
	basenc --base64url -w0 | tr -d '='
}

# field NAME: the value of field NAME of the one NDJSON record on stdin.
field() {
	jq -r --arg f "$1" '.[$f]'
}

# Every kind of value: the fidelity cases of dmo(7), as dmo writes them.
kinds() {
	dmo-extract <<'EOF'
{"id":1,"s":"plain","e":"","nul":"a\u0000b","u":"Zoë 太郎 \u2028","n":12.30,"big":18446744073709551616,"inf":1e400,"neg":-0,"t":true,"f":false,"z":null,"a":[1,"x",{"y":null}],"o":{"k":[],"l":{}}}
{"id":2,"s":"plain","e":"x","nul":"\u0000","u":"\"quoted\" \\ back","n":0,"big":-1.5e-300,"inf":1E5,"neg":0.1,"t":false,"f":true,"z":"null","a":[],"o":{}}
EOF
}

@test "dmo-encrypt: --keygen makes a 0600 keyset with one primary key and lists no secret" {
	[ "$(stat -c %a k.key)" = 600 ]
	run -0 --separate-stderr dmo-encrypt --list-keys -k k.key
	assert_line --index 0 "$(printf 'id\tstatus\tcreated\talgorithm')"
	assert_line --index 1 --regexp $'^[0-9a-f]{8}\tprimary\t20[0-9-]{8}T[0-9:]{8}Z\tdmo-v1$'
	[ "${#lines[@]}" -eq 2 ]
	secret=$(jq -r '.keys[0].secret' k.key)
	[ "${#secret}" -eq 43 ]
	[[ $output != *"$secret"* ]]
}

@test "dmo-encrypt: --keygen never replaces a keyset" {
	cp k.key before
	run -3 --separate-stderr dmo-encrypt --keygen -k k.key
	assert_equal "$stderr" "dmo-encrypt: k.key: File exists"
	cmp k.key before
}

@test "dmo-encrypt: randomised and deterministic round trips keep every value kind exactly" {
	kinds >in.ndjson
	all=s,e,nul,u,n,big,inf,neg,t,f,z,a,o
	dmo-encrypt -k k.key -e "$all" in.ndjson >r.ndjson
	dmo-encrypt -k k.key -d "$all" in.ndjson >d.ndjson
	# Every value but id is a ciphertext string.
	run -0 jq -r '[to_entries[] | select(.key != "id") | .value |
	    select(type != "string" or (startswith("dmo1") | not))] | length' r.ndjson
	assert_output "$(printf '0\n0')"
	run -0 jq -r '[to_entries[] | select(.key != "id") | .value |
	    select(startswith("dmo1d:") | not)] | length' d.ndjson
	assert_output "$(printf '0\n0')"
	dmo-encrypt -k k.key -D "$all" r.ndjson >r.back
	dmo-encrypt -k k.key -D "$all" d.ndjson >d.back
	cmp in.ndjson r.back
	cmp in.ndjson d.back
}

@test "dmo-encrypt: a 10 MB string survives both modes, through binary frames" {
	head -c 7500000 /dev/urandom | basenc --base64 -w0 |
	    awk '{ printf "{\"id\":1,\"big\":\"%s\"}\n", $0 }' >in.ndjson
	DMO_WIRE=binary dmo-encrypt -k k.key -e big in.ndjson |
	    DMO_WIRE=binary dmo-encrypt -k k.key -D big |
	    dmo-encrypt -k k.key -d big | dmo-encrypt -k k.key -D big >back
	cmp in.ndjson back
}

@test "dmo-encrypt: randomised ciphertexts of equal values differ; deterministic ones agree across runs" {
	printf '{"x":"same"}\n{"x":"same"}\n' >in.ndjson
	run -0 dmo-encrypt -k k.key -e x in.ndjson
	[ "${lines[0]}" != "${lines[1]}" ]
	dmo-encrypt -k k.key -d x in.ndjson >one
	dmo-encrypt -k k.key -d x in.ndjson >two
	cmp one two
	run -0 uniq one
	[ "${#lines[@]}" -eq 1 ]
}

@test "dmo-encrypt: no nonce repeats among 20000 values of a run, and all share the run's salt" {
	seq 1 20000 | sed 's/.*/{"x":&}/' >in.ndjson
	dmo-encrypt -k k.key -e x in.ndjson | jq -r .x | sed 's/^dmo1r://' |
	    while read -r c; do b64d "$c" | xxd -p -c 64 | cut -c 1-64; done >hdr
	[ "$(wc -l <hdr)" -eq 20000 ]
	[ "$(cut -c 41-64 hdr | sort -u | wc -l)" -eq 20000 ]
	[ "$(cut -c 1-40 hdr | sort -u | wc -l)" -eq 1 ]
}

@test "dmo-encrypt: every flipped bit of a ciphertext fails with status 4, in both modes" {
	printf '{"email":"a@b.example"}\n' >in.ndjson
	for mode in e d; do
		ct=$(dmo-encrypt -k k.key -$mode email in.ndjson | field email)
		prefix=${ct:0:6}
		hex=$(b64d "${ct:6}" | xxd -p | tr -d '\n')
		for ((i = 0; i < ${#hex}; i += 2)); do
			for bit in 1 2 4 8 16 32 64 128; do
				b=$(printf '%02x' $((16#${hex:i:2} ^ bit)))
				printf '{"email":"%s%s"}\n' "$prefix" \
				    "$(printf '%s' "${hex:0:i}$b${hex:i+2}" | xxd -r -p | b64e)"
			done
		done >tampered.ndjson
		n=$(wc -l <tampered.ndjson)
		[ "$n" -ge 200 ]
		run -4 --separate-stderr dmo-encrypt -k k.key -D email \
		    --max-rejects 100% --rejects rej tampered.ndjson
		assert_equal "$output" ""
		[ "$(wc -l <rej)" -eq "$n" ]
		run -0 jq -r .reason rej
		refute_output --partial "a@b.example"
	done
}

@test "dmo-encrypt: a damaged prefix, text or truncation fails with status 4 and names the field" {
	printf '{"email":"a@b.example"}\n' >in.ndjson
	ct=$(dmo-encrypt -k k.key -e email in.ndjson | field email)
	{
		printf '{"email":"dmo2r:%s"}\n' "${ct:6}"
		printf '{"email":"%s"}\n' "${ct:0:${#ct}-4}"
		printf '{"email":"%s="}\n' "$ct"
		printf '{"email":"%s"}\n' "${ct:0:22}"
		printf '{"email":"a@b.example"}\n'
		printf '{"email":null}\n'
	} >bad.ndjson
	run -4 --separate-stderr dmo-encrypt -k k.key -D email --max-rejects 100% bad.ndjson
	assert_equal "$output" ""
	output=$stderr lines=("${stderr_lines[@]}")
	assert_line --index 0 "dmo-encrypt: bad.ndjson:1: field 'email': not a dmo-encrypt ciphertext: \"dmo2r:${ct:6:34}\"..."
	assert_line --index 1 --regexp "^dmo-encrypt: bad.ndjson:2: field 'email': authentication failed \(wrong key, field or context, or altered\): "
	assert_line --index 2 --regexp "^dmo-encrypt: bad.ndjson:3: field 'email': ciphertext is not base64url: "
	assert_line --index 3 --regexp "^dmo-encrypt: bad.ndjson:4: field 'email': ciphertext too short: "
	assert_line --index 4 "dmo-encrypt: bad.ndjson:5: field 'email': not a dmo-encrypt ciphertext: \"a@b.example\""
	assert_line --index 5 "dmo-encrypt: bad.ndjson:6: field 'email': not a dmo-encrypt ciphertext (a null): \"\""
}

@test "dmo-encrypt: a value moved to another field, record's context or keyset fails with status 4" {
	printf '{"email":"a@b.example","name":"Ann"}\n' >in.ndjson
	dmo-encrypt -k k.key -c crm -e email -d name in.ndjson >out.ndjson
	jq -c '{email: .name, name: .email}' out.ndjson >swapped.ndjson
	run -4 --separate-stderr dmo-encrypt -k k.key -c crm -D email,name \
	    --max-rejects 1 swapped.ndjson
	assert_equal "$output" ""
	[[ $stderr == "dmo-encrypt: swapped.ndjson:1: field 'email': authentication failed (wrong key, field or context, or altered): \"dmo1d:"* ]]
	# Each field alone, so that each failure is seen.
	run -4 --separate-stderr dmo-encrypt -k k.key -c crm -D name swapped.ndjson
	[[ $stderr == "dmo-encrypt: swapped.ndjson:1: field 'name': authentication failed "* ]]
	run -4 --separate-stderr dmo-encrypt -k k.key -c hr -D email out.ndjson
	[[ $stderr == "dmo-encrypt: out.ndjson:1: field 'email': authentication failed "* ]]
	run -4 --separate-stderr dmo-encrypt -k k.key -D email out.ndjson
	[[ $stderr == *"field 'email': authentication failed "* ]]
	run -0 dmo-encrypt -k k.key -c crm -D email,name out.ndjson
	assert_output '{"email":"a@b.example","name":"Ann"}'
	# Another keyset.
	dmo-encrypt --keygen -k other.key
	other=$(jq -r '.keys[0].id' other.key)
	mine=$(jq -r '.keys[0].id' k.key)
	run -4 --separate-stderr dmo-encrypt -k other.key -c crm -D email out.ndjson
	[[ $stderr == "dmo-encrypt: out.ndjson:1: field 'email': no key '$mine' in the keyset: \"dmo1r:"* ]]
	# The right key id on a value made under another key.
	ct=$(dmo-encrypt -k other.key -c crm -e email in.ndjson | field email)
	hex=$(b64d "${ct:6}" | xxd -p | tr -d '\n')
	forged=dmo1r:$(printf '%s' "$mine${hex:8}" | xxd -r -p | b64e)
	printf '{"email":"%s"}\n' "$forged" >forged.ndjson
	run -4 --separate-stderr dmo-encrypt -k k.key -c crm -D email forged.ndjson
	[[ $stderr == *"field 'email': authentication failed "* ]]
	[[ $other != "$mine" ]]
}

@test "dmo-encrypt: a key file others may read is refused with status 4; a missing one is status 3" {
	printf '{"x":1}\n' >in.ndjson
	chmod 640 k.key
	run -4 --separate-stderr dmo-encrypt -k k.key -e x in.ndjson
	assert_equal "$output" ""
	assert_equal "$stderr" "dmo-encrypt: k.key: key file is accessible by group or others (mode 0640): chmod 600 it"
	chmod 604 k.key
	run -4 --separate-stderr dmo-encrypt -k k.key -e x in.ndjson
	assert_equal "$stderr" "dmo-encrypt: k.key: key file is accessible by group or others (mode 0604): chmod 600 it"
	chmod 400 k.key
	run -0 dmo-encrypt -k k.key -e x in.ndjson
	mkdir keydir
	run -4 --separate-stderr dmo-encrypt -k keydir -e x in.ndjson
	assert_equal "$stderr" "dmo-encrypt: keydir: key file is not a regular file"
	run -3 --separate-stderr dmo-encrypt -k nope.key -e x in.ndjson
	assert_equal "$stderr" "dmo-encrypt: nope.key: No such file or directory"
}

@test "dmo-encrypt: a malformed keyset is a configuration error" {
	printf '{"x":1}\n' >in.ndjson
	printf '{"format":"dmo-keyset","version":1,"keys":[]}\n' >bad.key
	run -2 --separate-stderr dmo-encrypt -k bad.key -e x in.ndjson
	assert_equal "$stderr" "dmo-encrypt: bad.key: not a valid keyset: 'keys' is not a non-empty array"
	# 2026-11-21: found by fuzz_seal: no "keys" at all crashed.
	printf '{"format":"dmo-keyset","version":1}\n' >bad.key
	run -2 --separate-stderr dmo-encrypt -k bad.key -e x in.ndjson
	assert_equal "$stderr" "dmo-encrypt: bad.key: not a valid keyset: 'keys' is not a non-empty array"
	jq -c '.keys[0].secret = "short"' k.key >bad.key
	run -2 --separate-stderr dmo-encrypt -k bad.key -e x in.ndjson
	assert_equal "$stderr" "dmo-encrypt: bad.key: not a valid keyset: a key's secret is not 32 bytes in base64url"
	jq -c '.keys[0].status = "active"' k.key >bad.key
	run -2 --separate-stderr dmo-encrypt -k bad.key -e x in.ndjson
	assert_equal "$stderr" "dmo-encrypt: bad.key: not a valid keyset: not exactly one primary key"
}

@test "dmo-encrypt: options that need a key say so; field lists and values are checked" {
	usage_error "a keyset is needed: use --key-file, --key-fd or --key-env" -e x
	usage_error "options '--key-file', '--key-fd' and '--key-env' exclude each other" -k k.key --key-env K -e x
	usage_error "option '--encrypt': empty field name in \"a,,b\"" -e a,,b
	usage_error "option '--stream': not encrypt or decrypt: \"both\"" -k k.key --stream both
	usage_error "option '--mask-char': not one character: \"ab\"" --mask-char ab
	usage_error "option '--work-factor': not a number from 15 to 20: \"14\"" --work-factor 14
	usage_error "options '--policy' and '--role' go together" --policy p.json
	usage_error "option '--protect' applies to --keygen only" --protect
	usage_error "key management needs --key-file" --rotate --key-fd 3
	usage_error "option '--keygen' needs --key-file" --keygen
}

@test "dmo-encrypt: with no field options, records pass byte for byte, and no key is needed" {
	kinds >in.ndjson
	run -0 dmo-encrypt in.ndjson
	assert_output "$(cat in.ndjson)"
}

@test "dmo-encrypt: rotation: old values still decrypt, new ones use the new key, rewrap moves them" {
	printf '{"email":"a@b.example","id":"C-1"}\n' >in.ndjson
	old=$(jq -r '.keys[0].id' k.key)
	dmo-encrypt -k k.key -e email -d id in.ndjson >v1.ndjson
	dmo-encrypt --rotate -k k.key
	[ "$(stat -c %a k.key)" = 600 ]
	run -0 dmo-encrypt --list-keys -k k.key
	assert_line --index 1 --regexp "^$old"$'\tactive\t'
	assert_line --index 2 --regexp $'^[0-9a-f]{8}\tprimary\t'
	new=$(jq -r '.keys[1].id' k.key)
	dmo-encrypt -k k.key -e email in.ndjson >v2.ndjson
	kid() { b64d "$(field email <"$1" | cut -c 7-)" | xxd -p | head -n 1 | cut -c 1-8; }
	[ "$(kid v1.ndjson)" = "$old" ]
	[ "$(kid v2.ndjson)" = "$new" ]
	run -0 dmo-encrypt -k k.key -D email,id v1.ndjson
	assert_output '{"email":"a@b.example","id":"C-1"}'
	dmo-encrypt -k k.key --rewrap email,id v1.ndjson >v3.ndjson
	[ "$(kid v3.ndjson)" = "$new" ]
	[[ $(field id <v3.ndjson) == dmo1d:* ]]
	dmo-encrypt --disable-key "$old" -k k.key
	run -4 --separate-stderr dmo-encrypt -k k.key -D email v1.ndjson
	[[ $stderr == "dmo-encrypt: v1.ndjson:1: field 'email': key '$old' is disabled: "* ]]
	run -0 dmo-encrypt -k k.key -D email,id v3.ndjson
	assert_output '{"email":"a@b.example","id":"C-1"}'
	run -2 --separate-stderr dmo-encrypt --disable-key "$new" -k k.key
	assert_equal "$stderr" "dmo-encrypt: key '$new' is the primary key: rotate first"
}

@test "dmo-encrypt: a passphrase-protected keyset: file, descriptor, wrong passphrase, work factors" {
	printf 'correct horse\n' >pass
	printf 'wrong horse\n' >wrong
	dmo-encrypt --keygen --protect --work-factor 15 --passphrase-file pass -k p.key
	run -0 jq -r '.scrypt.log2n, has("keys")' p.key
	assert_output "$(printf '15\nfalse')"
	grep -q sealed p.key
	printf '{"x":"v"}\n' >in.ndjson
	dmo-encrypt -k p.key --passphrase-file pass -e x in.ndjson >out.ndjson
	run -0 dmo-encrypt -k p.key --passphrase-fd 3 -D x out.ndjson 3<pass
	assert_output '{"x":"v"}'
	run -4 --separate-stderr dmo-encrypt -k p.key --passphrase-file wrong -D x out.ndjson
	assert_equal "$stderr" "dmo-encrypt: p.key: wrong passphrase, or the keyset was changed"
	run -2 --separate-stderr setsid -w dmo-encrypt -k p.key -D x out.ndjson </dev/null
	assert_equal "$stderr" "dmo-encrypt: no terminal to ask for the passphrase: use --passphrase-file or --passphrase-fd"
	# A rotation keeps the protection.
	dmo-encrypt --rotate -k p.key --passphrase-file pass
	run -0 jq -r '.scrypt.log2n' p.key
	assert_output 15
	run -0 dmo-encrypt -k p.key --passphrase-file pass -D x out.ndjson
	# Reading caps the work factor a hostile file may ask for.
	sed 's/"log2n":15/"log2n":24/' p.key >hostile.key
	run -4 --separate-stderr dmo-encrypt -k hostile.key --passphrase-file pass -D x out.ndjson
	assert_equal "$stderr" "dmo-encrypt: hostile.key: scrypt work factor 2^24 is above the 2^20 accepted"
	# The passphrase file is a secret too.
	chmod 644 pass
	run -4 --separate-stderr dmo-encrypt -k p.key --passphrase-file pass -D x out.ndjson
	assert_equal "$stderr" "dmo-encrypt: pass: passphrase file is accessible by group or others (mode 0644): chmod 600 it"
}

# watch_secrets SECRET ARGS...: run dmo-encrypt ARGS on a FIFO, wait for
# its first output record (so the keyset is loaded), then check that
# /proc/PID/cmdline and /proc/PID/environ do not show SECRET.
watch_secrets() {
	local secret=$1 pid line
	shift
	mkfifo in out
	dmo-encrypt "$@" <in >out &
	pid=$!
	BGPIDS+=("$pid")
	# Not descriptors 3 and 4: bats uses them.
	exec 7>in 8<out
	printf '{"x":"v"}\n' >&7
	read -r line <&8
	[[ $line == '{"x":"dmo1r:'* ]] || fail "no output: $line"
	tr '\0' '\n' <"/proc/$pid/cmdline" >cmdline
	tr '\0' '\n' <"/proc/$pid/environ" >environ
	exec 7>&- 8<&-
	wait "$pid"
	[ -s cmdline ]
	! grep -qF -- "$secret" cmdline
	! grep -qF -- "$secret" environ
	rm -f in out
}

@test "dmo-encrypt: the key and the passphrase never show in /proc/PID/cmdline or /proc/PID/environ" {
	secret=$(jq -r '.keys[0].secret' k.key)
	watch_secrets "$secret" -k k.key -e x
	# --key-env: the variable's bytes are wiped (zeros) once read.
	DMO_TEST_KEYSET=$(cat k.key) watch_secrets "$secret" --key-env DMO_TEST_KEYSET -e x
	grep -qx 'DMO_TEST_KEYSET=' environ
	printf 'pass phrase 42\n' >pass
	dmo-encrypt --keygen --protect --work-factor 15 --passphrase-file pass -k p.key
	watch_secrets "pass phrase 42" -k p.key --passphrase-file pass -e x
	watch_secrets "pass phrase 42" -k p.key --passphrase-fd 5 -e x 5<pass
}

@test "dmo-encrypt: a keyset from a descriptor works; an empty --key-env variable is an error" {
	printf '{"x":"v"}\n' >in.ndjson
	dmo-encrypt --key-fd 3 -e x in.ndjson 3<k.key >out.ndjson
	run -0 dmo-encrypt -k k.key -D x out.ndjson
	assert_output '{"x":"v"}'
	run -2 --separate-stderr env DMO_EMPTY= dmo-encrypt --key-env DMO_EMPTY -e x in.ndjson
	assert_equal "$stderr" "dmo-encrypt: environment variable 'DMO_EMPTY' is not set"
}

@test "dmo-encrypt: pseudonyms are 22 characters, stable, the same across fields, different by context" {
	printf '{"a":"C-1","b":"C-1","c":null,"d":7}\n' >in.ndjson
	run -0 dmo-encrypt -k k.key -p a,b,c,d in.ndjson
	p1=$output
	a=$(field a <<<"$p1")
	[ "${#a}" -eq 22 ]
	[ "$(field b <<<"$p1")" = "$a" ]
	[ "$(field c <<<"$p1")" = null ]
	run -0 dmo-encrypt -k k.key -p a,b,c,d in.ndjson
	assert_output "$p1"
	run -0 dmo-encrypt -k k.key -c other -p a in.ndjson
	[ "$(field a <<<"$output")" != "$a" ]
}

@test "dmo-encrypt: masking keeps the last characters or digits; redaction and dropping" {
	cat >in.ndjson <<'EOF'
{"card":"4111-1111-1111-1234","phone":"+44 20 7946 0958","name":"Zoë Müller","pin":"123","n":12345,"z":null,"gone":1}
EOF
	run -0 dmo-encrypt -m name,pin,n,z --drop gone -r phone in.ndjson
	assert_output '{"card":"4111-1111-1111-1234","phone":null,"name":"******ller","pin":"***","n":"*2345","z":null}'
	run -0 dmo-encrypt -m card,phone --mask-digits --mask-char '#' --mask-keep 2 in.ndjson
	assert_output '{"card":"####-####-####-##34","phone":"+## ## #### ##58","name":"Zoë Müller","pin":"123","n":12345,"z":null,"gone":1}'
	run -0 dmo-encrypt -m name --mask-char '•' --mask-keep 0 in.ndjson
	assert_line --partial '"name":"••••••••••"'
	# Wide characters are one each; a value no longer than the kept
	# part is masked whole; digits between other text, and true.
	printf '{"a":"日本語テキスト","b":"héllo","c":"","d":"a1b2c3d4","e":true}\n' >in.ndjson
	run -0 dmo-encrypt -m a,b,c,e --mask-char '•' --mask-keep 3 in.ndjson
	assert_output '{"a":"••••キスト","b":"••llo","c":"","d":"a1b2c3d4","e":"•rue"}'
	run -0 dmo-encrypt -m b,d --mask-keep 9 in.ndjson
	assert_output '{"a":"日本語テキスト","b":"*****","c":"","d":"********","e":true}'
	run -0 dmo-encrypt -m d --mask-digits --mask-keep 1 in.ndjson
	assert_output '{"a":"日本語テキスト","b":"héllo","c":"","d":"a*b*c*d4","e":true}'
}

@test "dmo-encrypt: fields by glob; the first option naming a field wins" {
	printf '{"addr_1":"a","addr_2":"b","email":"e"}\n' >in.ndjson
	run -0 dmo-encrypt -r 'addr_*' -m '*' --mask-keep 0 in.ndjson
	assert_output '{"addr_1":null,"addr_2":null,"email":"*"}'
}

policy() {
	cat >policy.json <<'EOF'
{"format":"dmo-policy","version":1,
 "default":"internal",
 "classes":{"pii":["email","name"],"secret":["card*"],"public":["id"]},
 "roles":{
   "writer":{"actions":{"pii":"encrypt","secret":"deterministic","internal":"pass","public":"pass"}},
   "analyst":{"actions":{"pii":"pseudonymise","secret":"redact","internal":"pass","public":"pass"},"decrypt":[]},
   "support":{"actions":{"pii":"decrypt","secret":"mask","internal":"pass","public":"pass"},"decrypt":["pii"]}}}
EOF
}

@test "dmo-encrypt: a role policy protects each class, and refuses decryption a role may not do" {
	policy
	printf '{"id":1,"email":"a@b.example","name":"Ann","card_no":"4111","note":"hi"}\n' >in.ndjson
	dmo-encrypt -k k.key --policy policy.json --role writer in.ndjson >w.ndjson
	run -0 jq -r '[.email, .name, .card_no] | map(.[0:6]) | join(" ")' w.ndjson
	assert_output "dmo1r: dmo1r: dmo1d:"
	run -0 jq -c '[.id, .note]' w.ndjson
	assert_output '[1,"hi"]'
	run -0 dmo-encrypt -k k.key --policy policy.json --role support w.ndjson
	run -0 jq -r '.email, .name, (.card_no | test("^[*]+.{4}$"))' <<<"$output"
	assert_output "$(printf 'a@b.example\nAnn\ntrue')"
	run -0 dmo-encrypt -k k.key --policy policy.json --role analyst w.ndjson
	run -0 jq -r '(.email | length), .card_no, .note' <<<"$output"
	assert_output "$(printf '22\nnull\nhi')"
	run -4 --separate-stderr dmo-encrypt -k k.key --policy policy.json --role analyst -D email w.ndjson
	assert_equal "$output" ""
	[[ $stderr == "dmo-encrypt: w.ndjson:1: field 'email': role 'analyst' may not decrypt class 'pii': \"dmo1r:"* ]]
	run -4 --separate-stderr dmo-encrypt -k k.key --policy policy.json --role support -D card_no w.ndjson
	[[ $stderr == "dmo-encrypt: w.ndjson:1: field 'card_no': role 'support' may not decrypt class 'secret': \"dmo1d:"* ]]
}

@test "dmo-encrypt: a bad policy or an unknown role is a configuration error" {
	policy
	printf '{"x":1}\n' >in.ndjson
	run -2 --separate-stderr dmo-encrypt -k k.key --policy policy.json --role boss in.ndjson
	assert_equal "$stderr" "dmo-encrypt: policy.json: no role 'boss'"
	jq -c 'del(.roles.analyst.actions.secret)' policy.json >p2.json
	run -2 --separate-stderr dmo-encrypt -k k.key --policy p2.json --role analyst in.ndjson
	assert_equal "$stderr" "dmo-encrypt: p2.json: role has no action for class 'secret'"
	jq -c '.roles.analyst.actions.pii = "decrypt"' policy.json >p3.json
	run -2 --separate-stderr dmo-encrypt -k k.key --policy p3.json --role analyst in.ndjson
	assert_equal "$stderr" "dmo-encrypt: p3.json: class 'pii': action decrypt, but the role may not decrypt it"
	jq -c 'del(.default)' policy.json >p4.json
	run -2 --separate-stderr dmo-encrypt -k k.key --policy p4.json --role analyst in.ndjson
	assert_equal "$stderr" "dmo-encrypt: p4.json: no \"default\" class for fields without one"
	jq -c '.roles.analyst.actions.pii = "shred"' policy.json >p5.json
	run -2 --separate-stderr dmo-encrypt -k k.key --policy p5.json --role analyst in.ndjson
	assert_equal "$stderr" "dmo-encrypt: p5.json: unknown action for class 'pii'"
}

@test "dmo-encrypt: --stream round trips empty, odd-sized and chunk-sized inputs" {
	: >empty
	head -c 200001 /dev/urandom >odd
	head -c 131072 /dev/urandom >even
	for f in empty odd even; do
		dmo-encrypt -k k.key --stream encrypt "$f" >"$f.enc"
		dmo-encrypt -k k.key --stream decrypt <"$f.enc" >"$f.back"
		cmp "$f" "$f.back"
	done
	[ "$(stat -c %s empty.enc)" -eq 46 ]
	[ "$(stat -c %s even.enc)" -eq $((30 + 2 * 65552)) ]
	[ "$(head -c 8 odd.enc | xxd -p)" = 89444d4f450d0a1a ]
}

@test "dmo-encrypt: --stream detects truncation, reordering, swapped and altered chunks, with status 4" {
	head -c 200001 /dev/urandom >data
	dmo-encrypt -k k.key --stream encrypt data >data.enc
	C=65552
	# Truncated at a chunk boundary, in a chunk, in the header.
	head -c $((30 + 2 * C)) data.enc >cut1
	head -c $((30 + C + 100)) data.enc >cut2
	head -c 20 data.enc >cut3
	# Chunks 1 and 2 swapped.
	{ head -c $((30 + 0)) data.enc; tail -c +$((31 + C)) data.enc | head -c $C
	  tail -c +31 data.enc | head -c $C; tail -c +$((31 + 2 * C)) data.enc; } >swap
	# Something appended; a bit of the header flipped; a bit of chunk 2.
	{ cat data.enc; printf x; } >longer
	{ head -c 14 data.enc; printf '\xff'; tail -c +16 data.enc; } >hdr
	{ head -c $((30 + C + 5)) data.enc; printf '\x00'; tail -c +$((30 + C + 7)) data.enc; } >flip
	for f in cut1 cut2 swap longer flip; do
		run -4 --separate-stderr dmo-encrypt -k k.key --stream decrypt "$f"
		[[ $stderr == "dmo-encrypt: $f: chunk "[1-4]": authentication failed (truncated, reordered or altered, or the wrong key)" ]] ||
		    fail "$f: $stderr"
	done
	run -4 --separate-stderr dmo-encrypt -k k.key --stream decrypt cut3
	assert_equal "$stderr" "dmo-encrypt: cut3: not a dmo-encrypt stream (truncated header)"
	run -4 --separate-stderr dmo-encrypt -k k.key --stream decrypt hdr
	[[ $stderr == "dmo-encrypt: hdr: chunk 1: authentication failed "* ]]
	run -4 --separate-stderr dmo-encrypt -k k.key --stream decrypt data
	assert_equal "$stderr" "dmo-encrypt: data: not a dmo-encrypt stream"
	dmo-encrypt --keygen -k other.key
	run -4 --separate-stderr dmo-encrypt -k other.key --stream decrypt data.enc
	assert_equal "$stderr" "dmo-encrypt: data.enc: key '$(jq -r '.keys[0].id' k.key)' is not in the keyset"
	# What was written before the failure is an authentic prefix.
	dmo-encrypt -k k.key --stream decrypt cut1 >prefix || true
	cmp prefix <(head -c 65536 data)
}

@test "dmo-encrypt: binary frames in and out keep control frames and untouched values" {
	kinds >in.ndjson
	DMO_WIRE=binary dmo-extract in.ndjson |
	    dmo-encrypt -B -k k.key -e s,u -d n |
	    dmo-encrypt -k k.key -D s,u,n >back
	cmp in.ndjson back
}

# mixed N: N records of a few shapes: values to seal, nulls, numbers,
# records without the protected fields, and a ciphertext-looking field c
# that is garbage in every seventh record (a reject under -D c).
mixed() {
	local i
	for ((i = 1; i <= $1; i++)); do
		if ((i % 97 == 0)); then
			printf '{"id":%d,"other":"no protected field"}\n' "$i"
		elif ((i % 7 == 0)); then
			printf '{"id":%d,"name":"n%d","email":"e%d@x.example","c":"dmo1r:AAAA"}\n' "$i" $((i % 37)) "$i"
		elif ((i % 11 == 0)); then
			printf '{"id":%d,"name":null,"email":null,"card":"4111 1111 1111 %04d"}\n' "$i" "$i"
		else
			printf '{"id":%d,"name":"n%d","email":"e%d@x.example","card":"4111 1111 1111 %04d"}\n' "$i" $((i % 37)) "$i" "$i"
		fi
	done
}

@test "dmo-encrypt: --threads writes what one thread writes: order, rejects, nonces in sequence" {
	mixed 3000 >in.ndjson
	for t in 1 3; do
		run -4 --separate-stderr dmo-encrypt --threads $t -k k.key \
		    -e email -d name -p id -m card --drop other -D c \
		    --rejects rej --max-rejects 100% in.ndjson
		mv rej rej$t
		printf '%s\n' "$output" >out$t
		printf '%s\n' "$stderr" >err$t
		jq -c 'del(.email)' out$t >det$t
		jq -c 'del(.c)' out$t |
		    dmo-encrypt --threads $t -k k.key -D email,name >back$t
	done
	[ "$(wc -l <out1)" -eq "$(wc -l <out3)" ]
	cmp det1 det3
	cmp back1 back3
	cmp err1 err3
	cmp rej1 rej3
	# The rejects are the records with a bad c, in input order.
	[ "$(wc -l <rej3)" -eq 424 ]
	assert_equal "$(jq -r .record.id rej3 | head -3 | tr '\n' ' ')" "7 14 21 "
	# One salt; the nonces go up in output order exactly as with one
	# thread (a rejected record used one too).
	for t in 1 3; do
		jq -r 'select(.email != null) | .email' out$t |
		    sed 's/^dmo1r://' | while read -r c; do
			b64d "$c" | xxd -p -c 64 | cut -c 9-64
		done >hdr$t
		[ "$(cut -c 1-32 hdr$t | sort -u | wc -l)" -eq 1 ]
		cut -c 33-56 hdr$t >nonces$t
	done
	[ "$(wc -l <nonces3)" -gt 2000 ]
	cmp nonces1 nonces3
	sort -c nonces3
	[ "$(uniq -d nonces3 | wc -l)" -eq 0 ]
}

@test "dmo-encrypt: --threads -B writes the bytes one thread writes, over many batches, and stops the same on a write error" {
	# Deterministic actions only, so that the bytes can be compared:
	# with -B the pool encodes the frames (not for a shape with a
	# dropped field); 9000 records make batches sealed while others are
	# written, and a write error comes with a batch in the pool.
	mixed 9000 >in.ndjson
	for t in 1 3; do
		run -4 --separate-stderr dmo-encrypt --threads $t -B -k k.key \
		    -d name,email -p id -m card --drop other -D c \
		    --rejects rej --max-rejects 100% in.ndjson
		mv rej rej$t
		printf '%s\n' "$stderr" >err$t
		dmo-encrypt --threads $t -B -k k.key -d name,email -p id \
		    -m card --drop other -D c --rejects /dev/null \
		    --max-rejects 100% in.ndjson >out$t 2>/dev/null || true
		run -3 --separate-stderr bash -c '"$@" >/dev/full' sh \
		    dmo-encrypt --threads $t -B -k k.key -d name,email -p id \
		    -m card --drop other in.ndjson
		printf '%s\n' "$stderr" >full$t
	done
	cmp out1 out3
	cmp rej1 rej3
	cmp err1 err3
	cmp full1 full3
	[ "$(dmo-load <out3 | wc -l)" -eq 7728 ]
	[ "$(wc -l <rej3)" -eq 1272 ]
}

@test "dmo-encrypt: --threads keeps binary control frames and passes a record on before the input ends" {
	kinds >in.ndjson
	DMO_WIRE=binary dmo-extract in.ndjson |
	    dmo-encrypt --threads 4 -B -k k.key -e s,u -d n |
	    dmo-encrypt --threads 4 -k k.key -D s,u,n >back
	cmp in.ndjson back
	# A record reaches the output while the input is still open.
	mkfifo in out
	dmo-encrypt --threads 4 -k k.key -e x <in >out &
	pid=$!
	BGPIDS+=("$pid")
	exec 7>in 8<out
	printf '{"x":"v"}\n' >&7
	read -r line <&8
	exec 7>&- 8<&-
	wait "$pid"
	[[ $line == '{"x":"dmo1r:'* ]]
}

@test "dmo-encrypt: --threads takes a number from 1 to 256" {
	usage_error "option '--threads': not a number from 1 to 256: \"0\"" --threads 0 -k k.key -e x
	usage_error "option '--threads': not a number from 1 to 256: \"257\"" --threads 257 -k k.key -e x
	usage_error "option '--threads': not a number from 1 to 256: \"x\"" --threads x -k k.key -e x
}

@test "dmo-encrypt: a rejected record goes to the rejects as read, though fields before the bad one were sealed" {
	# email and name are sealed into the record's own data before c
	# fails to open: the reject must hold the values read, not those.
	printf '%s\n' '{"id":1,"name":"n1","email":"e1@x.example","c":"dmo1r:AAAA","z":"end"}' \
	    '{"id":2,"name":"n2","email":"e2@x.example","z":"end"}' >in.ndjson
	for t in 1 3; do
		for b in "" -B; do
			run -4 --separate-stderr dmo-encrypt --threads $t $b \
			    -k k.key -e email -d name -D c --rejects rej$t$b \
			    --max-rejects 100% in.ndjson
			assert_equal "$(jq -c .record rej$t$b)" \
			    "$(head -1 in.ndjson)"
		done
	done
}
