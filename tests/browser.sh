#!/bin/sh
# browser.sh - render an HTML file in headless Chromium and judge the result.
# SPDX-License-Identifier: BSD-2-Clause
#
# usage: sh tests/browser.sh FILE.html OUTDIR [WIDTH,HEIGHT [dark]]
#
# Writes OUTDIR/shot.png (a screenshot of the page at WIDTH,HEIGHT,
# default 1200,1600), OUTDIR/dom.html (the DOM after loading, from
# --dump-dom) and OUTDIR/console.log (Chromium's log with the page's
# console).  Exits 0 when the page rendered cleanly; 1 with a message on
# stderr when Chromium failed, the page logged a console error (a script,
# a blocked load: the report's Content-Security-Policy forbids both), or
# the screenshot is missing, of the wrong size or nearly blank; 77 when no
# Chromium is installed (the caller decides whether that skips or fails).
# With "dark", the page is shown as to a reader who prefers a dark scheme
# (--force-dark-mode).  On success it prints the background colour of
# the screenshot (its most common pixel) as "background R G B".
#
# The screenshot test decodes the PNG with python3 (zlib) and asks for at
# least 8 colours and 2% of pixels away from the background colour.

set -u
prog=browser.sh

[ $# -ge 2 ] || { echo "usage: sh tests/browser.sh FILE.html OUTDIR [W,H [dark]]" >&2; exit 2; }
html=$1
out=$2
size=${3:-1200,1600}
scheme=
[ "${4:-}" = dark ] && scheme=--force-dark-mode

browser=
for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null 2>&1; then
		browser=$b
		break
	fi
done
if [ -z "$browser" ]; then
	echo "$prog: no chromium installed (apt-get install chromium)" >&2
	exit 77
fi

[ -r "$html" ] || { echo "$prog: $html: cannot read" >&2; exit 2; }
mkdir -p "$out" || exit 2
case $html in
/*)	url="file://$html" ;;
*)	url="file://$(pwd)/$html" ;;
esac

# A private profile directory, no sandbox (tests may run as root), no GPU;
# --virtual-time-budget lets layout settle without waiting on a clock.
flags="--headless --no-sandbox --disable-gpu --no-first-run
    --no-default-browser-check --disable-extensions --hide-scrollbars
    --disable-background-networking --virtual-time-budget=2000
    --user-data-dir=$out/profile --enable-logging=stderr --v=0 $scheme"

# shellcheck disable=SC2086
if ! timeout 120 "$browser" $flags --window-size="$size" \
    --screenshot="$out/shot.png" "$url" >"$out/console.log" 2>&1; then
	echo "$prog: $browser failed to render $html (see $out/console.log)" >&2
	tail -n 5 "$out/console.log" >&2
	exit 1
fi
# shellcheck disable=SC2086
if ! timeout 120 "$browser" $flags --dump-dom "$url" >"$out/dom.html" \
    2>>"$out/console.log"; then
	echo "$prog: $browser failed to dump the DOM of $html" >&2
	exit 1
fi
rm -rf "$out/profile"

# The page's own messages: console output, script errors, loads refused
# by the Content-Security-Policy.
if grep -E 'CONSOLE|Uncaught|Refused to|Content Security Policy|Failed to load' \
    "$out/console.log" >"$out/errors.log"; then
	echo "$prog: $html: the page logged errors:" >&2
	cat "$out/errors.log" >&2
	exit 1
fi

[ -s "$out/dom.html" ] || { echo "$prog: $html: empty DOM" >&2; exit 1; }

python3 - "$out/shot.png" "$size" <<'EOF' || exit 1
import struct, sys, zlib

path, size = sys.argv[1], sys.argv[2]
want_w, want_h = (int(x) for x in size.split(","))
def die(msg):
    sys.stderr.write("browser.sh: %s: %s\n" % (path, msg))
    sys.exit(1)
try:
    data = open(path, "rb").read()
except OSError as e:
    die("no screenshot: %s" % e.strerror)
if data[:8] != b"\x89PNG\r\n\x1a\n":
    die("not a PNG")
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
if (w, h) != (want_w, want_h):
    die("%dx%d, not %dx%d" % (w, h, want_w, want_h))
if depth != 8 or ctype not in (2, 6):
    die("unexpected PNG type %d/%d" % (depth, ctype))
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours, counts = set(), {}
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + pr) & 255
    if y % 4 == 0:
        for x in range(0, w, 4):
            px = bytes(line[x * bpp:x * bpp + 3])
            counts[px] = counts.get(px, 0) + 1
    prev = line
total = sum(counts.values())
bg = max(counts.values())
if len(counts) < 8:
    die("nearly blank: %d colours" % len(counts))
if total - bg < total * 0.02:
    die("nearly blank: %.1f%% of pixels drawn" % (100.0 * (total - bg) / total))
px = max(counts, key=counts.get)
print("background %d %d %d" % (px[0], px[1], px[2]))
EOF
exit 0
