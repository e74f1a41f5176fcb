#!/usr/bin/env bats
# dmo-encrypt-frames.bats - dmo-encrypt --threads on binary input and
# output: the pool decodes the record frames that the main thread cuts
# out, and must write what one thread writes, bad frames included.
# SPDX-License-Identifier: BSD-2-Clause

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	umask 077
	dmo-encrypt --keygen -k k.key
}

# gen OUT KIND: binary streams built byte by byte (dmo-frame(5)) from
# plain.ndjson, whose c values are deterministic ciphertexts.  KIND:
#   bad    stream 1: bad values (invalid UTF-8 short and long, a bad
#          number, bad JSON), a control frame, a second schema for a
#          while and back, a garbled ciphertext every 7th record;
#          stream 2 (same file): a frame with a value missing (the
#          source ends there) and records after it that are never read
#   cut    a stream cut short in the middle of a frame
gen() {
	python3 - "$1" "$2" <<'PY'
import json, struct, sys
out, kind = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open("plain.ndjson")]

def varint(n):
    b = bytearray()
    while True:
        c = n & 0x7f
        n >>= 7
        if n:
            b.append(c | 0x80)
        else:
            b.append(c)
            return bytes(b)

def frame(t, payload):
    return t + struct.pack("<I", len(payload)) + payload

def schema(names):
    p = varint(len(names))
    for n in names:
        p += varint(len(n)) + n.encode()
    return frame(b"S", p)

def val(tag, raw):
    if tag <= 2:
        return bytes([tag])
    return bytes([tag]) + varint(len(raw)) + raw

HDR = b"\x89DMO\r\n\x1a\n\x01\x00"
A = ["id", "name", "email", "c", "tags"]
B = ["extra", "id", "name", "email", "c", "tags"]

def rec(names, r, i):
    vals = {
        "id": val(3, str(r["id"]).encode()),
        "name": val(4, r["name"].encode()),
        "email": val(4, r["email"].encode()),
        "c": val(4, r["c"].encode()),
        "tags": val(5, b'[1,"x"]'),
        "extra": val(4, ("x%d" % i).encode()),
    }
    if i == 100:
        vals["name"] = val(4, b"caf\xe9")
    if i == 200:
        vals["id"] = val(3, b"1x")
    if i == 300:
        vals["tags"] = val(5, b"[1,")
    if i == 3200:
        vals["email"] = val(4, b"y" * 200 + b"\xff")
    if i % 7 == 0:
        vals["c"] = val(4, b"dmo1d:AAAA")
    if i % 13 == 0:
        vals["email"] = val(0, b"")
    return frame(b"R", b"".join(vals[n] for n in names))

b = bytearray(HDR)
n = 0
if kind == "bad":
    b += schema(A)
    for i, r in enumerate(rows[:5000], 1):
        if i == 2500:
            b += frame(b"c", b"abc")
        if i == 3000:
            b += schema(B)
        if i == 3500:
            b += schema(A)
        b += rec(B if 3000 <= i < 3500 else A, r, i)
        n += 1
    b += frame(b"E", varint(n))
    b += HDR + schema(A)
    for i, r in enumerate(rows[5000:], 1):
        f = rec(A, r, i)
        if i == 1000:
            # the last value (tags) missing: the source ends here
            p = f[5:]
            p = p[:len(p) - len(val(5, b'[1,"x"]'))]
            f = frame(b"R", p)
        b += f
    b += frame(b"E", varint(len(rows) - 5000))
else:
    b += schema(A)
    for i, r in enumerate(rows[:3000], 1):
        b += rec(A, r, i)
    b = b[:-7]
open(out, "wb").write(b)
PY
}

# plain N: N records whose c is sealed deterministically, for -D c.
plain() {
	local i
	for ((i = 1; i <= $1; i++)); do
		printf '{"id":%d,"name":"n%d","email":"e%d@x.example","c":"s%d"}\n' \
		    "$i" $((i % 37)) "$i" "$i"
	done | dmo-encrypt -k k.key -d c >plain.ndjson
}

# both ARGS: run dmo-encrypt with 1 and 3 threads, binary output; the
# status goes to st1/st3, stdout to out1/out3, stderr to err1/err3, the
# rejects to rej1/rej3, and --stats stats to stats1/stats3.
both() {
	local t rc
	for t in 1 3; do
		rc=0
		dmo-encrypt --threads "$t" -B -k k.key --rejects rej "$@" \
		    >out$t 2>err$t || rc=$?
		echo $rc >st$t
		mv rej rej$t
		if [ -e stats ]; then mv stats stats$t; fi
	done
}

same() {
	cmp st1 st3
	cmp out1 out3
	cmp err1 err3
	cmp rej1 rej3
}

@test "dmo-encrypt --threads -B: bad frames, schemas, control frames and a fatal frame as with one thread" {
	plain 8000
	gen bad.bin bad
	both -d name,email -p id -D c --max-rejects 100% bad.bin
	same
	assert_equal "$(cat st3)" 4
	# The record frames decoded after the fatal one were never read.
	grep -q "record frame at byte [0-9]*: field 'tags': value missing" err3
	[ "$(dmo-load <out3 | wc -l)" -eq 5136 ]
	[ "$(grep -c 'invalid UTF-8' rej3)" -eq 3 ]
	grep -q "invalid number" rej3
	grep -q "invalid JSON array" rej3
	grep -q -a 'abc' out3 || fail "the control frame is gone"
	# Bad bytes replaced: the main thread redoes those records.
	both --invalid-utf8 replace -d name,email -p id -D c \
	    --max-rejects 100% bad.bin
	same
	[ "$(dmo-load <out3 | wc -l)" -eq 5139 ]
	# A dropped field (the second schema): those go the general way.
	both --drop extra -d name,email -p id -D c --max-rejects 100% \
	    bad.bin bad.bin
	same
	[ "$(dmo-load <out3 | wc -l)" -eq 10272 ]
	# Nothing else to do (no keys needed) and NDJSON output agree too.
	both --drop extra bad.bin
	same
	for t in 1 3; do
		dmo-encrypt --threads $t -k k.key -d name -D c \
		    --max-rejects 100% bad.bin >nd$t 2>/dev/null || true
	done
	cmp nd1 nd3
}

@test "dmo-encrypt --threads -B: a stream cut short, and reject limits, as with one thread" {
	plain 8000
	gen cut.bin cut
	both -d name,email -p id --stats stats cut.bin
	same
	assert_equal "$(cat st3)" 1
	assert_equal "$(jq -c 'del(.seconds)' stats1)" \
	    "$(jq -c 'del(.seconds)' stats3)"
	grep -q "truncated binary stream: frame cut short" err3
	[ "$(dmo-load <out3 2>/dev/null | wc -l)" -eq 2996 ]
	gen bad.bin bad
	both -d name,email -p id -D c --max-rejects 5 --stats stats bad.bin
	same
	assert_equal "$(cat st3)" 4
	# Bytes read may differ: the pool's reader reads ahead of a frame
	# that turns out to end its source.
	assert_equal "$(jq -c 'del(.seconds, .bytes_in)' stats1)" \
	    "$(jq -c 'del(.seconds, .bytes_in)' stats3)"
	# The output cannot be written: the same message, the same status.
	for t in 1 3; do
		run -3 --separate-stderr bash -c '"$@" >/dev/full' sh \
		    dmo-encrypt --threads $t -B -k k.key -d name,email bad.bin
		printf '%s\n' "$stderr" >full$t
	done
	cmp full1 full3
	grep -q 'write error' full3
}

@test "dmo-encrypt --threads -B: sealed frames round-trip, every value kind, over many batches" {
	plain 9000
	DMO_WIRE=binary dmo-extract plain.ndjson >plain.bin
	for t in 1 3; do
		dmo-encrypt --threads $t -B -k k.key -e name -d email -D c \
		    plain.bin >enc$t
		dmo-encrypt -k k.key -D name,email enc$t >back$t
	done
	cmp back1 back3
	jq -c '.c = "s\(.id)"' plain.ndjson >want
	cmp want back3
	cat >kinds.ndjson <<'EOF'
{"id":1,"s":"plain","e":"","nul":"a\u0000b","u":"Zoë 太郎 \u2028","n":12.30,"big":18446744073709551616,"inf":1e400,"neg":-0,"t":true,"f":false,"z":null,"a":[1,"x",{"y":null}],"o":{"k":[],"l":{}}}
{"id":2,"s":"plain","e":"x","nul":"\u0000","u":"\"quoted\" \\ back","n":0,"big":-1.5e-300,"inf":1E5,"neg":0.1,"t":false,"f":true,"z":"null","a":[],"o":{}}
EOF
	for i in $(seq 1 1500); do cat kinds.ndjson; done >many.ndjson
	DMO_WIRE=binary dmo-extract many.ndjson >many.bin
	for t in 1 3; do
		dmo-encrypt --threads $t -B -k k.key -d s,u,e,nul,a,o,n,t,z \
		    many.bin >k$t
	done
	cmp k1 k3
	dmo-encrypt -k k.key -D s,u,e,nul,a,o,n,t,z k3 >kback
	dmo-extract many.ndjson | cmp - kback
}

@test "dmo-encrypt --threads -B: a record frame passes on before the input ends" {
	mkfifo in out
	python3 - <<'PY' >head.bin
import sys
sys.stdout.buffer.write(b"\x89DMO\r\n\x1a\n\x01\x00" + b"S\x03\x00\x00\x00\x01\x01x" +
    b"R\x03\x00\x00\x00\x04\x01v")
PY
	dmo-encrypt --threads 4 -B -k k.key -d x <in |
	    dmo-encrypt -k k.key -D x >out &
	exec 7>in 8<out
	cat head.bin >&7
	# The frame reaches the output while the input is still open.
	read -r line <&8
	exec 7>&- 8<&-
	wait
	assert_equal "$line" '{"x":"v"}'
}
