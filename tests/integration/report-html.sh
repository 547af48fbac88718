#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report-html.sh: probe-report --html opened in a real headless browser
# (Debian's chromium): the page renders without console errors, with no
# network (every host name unresolvable), holds the six SVGs with the
# expected number of points (72 hours in 480 buckets of 9 minutes, every
# bucket with data), references nothing outside itself, and is kept as
# screenshots (desktop and phone width) and a print to PDF in the test log
# folder (tests/integration/report-html-* beside report-html.log).
# Without chromium the test skips, and fails under CI=true.
. "$top_srcdir/tests/lib/env.sh"
report="$top_builddir/probe-report"
command -v chromium >/dev/null || missing_server "chromium (apt-get install chromium; contrib/apt/report.txt)"
lines=$TEST_TMP/lines.jsonl
page=$TEST_TMP/review.html
art="$top_builddir/tests/integration"
mkdir -p "$art"
python3 "$top_srcdir/tests/report/gen-lines.py" >"$lines"
"$report" review --html --since 2026-11-28T00:00:00Z --until 2026-12-01T00:00:00Z \
  --label env=prod -o "$page" "$lines" || fail "review --html: exit $?"
"$report" daily --html --until 2026-11-29T06:20:00Z --label env=prod "$lines" >"$TEST_TMP/daily.html" ||
  fail "daily --html: exit $?"
# an open range: the buckets widen as lines come (60 s doubled to 960 s for
# 72 hours, 270 buckets with data)
"$report" review --html --label env=prod "$lines" >"$TEST_TMP/open.html" || fail "open range --html: exit $?"

# self-contained: no script, stylesheet link, image or url() to fetch
for f in "$page" "$TEST_TMP/daily.html"; do
  ! grep -Eiq '<script|<link|<img|<iframe|src=|href=|url\(|@import' "$f" || fail "$f refers to something outside it"
  grep -q '<meta name="viewport"' "$f" || fail "no viewport for phones"
  grep -q '@media print' "$f" || fail "no print style"
done

# chrome ARGS...: headless chromium, no network, no profile of its own
chrome() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$(mktemp -d "$TEST_TMP/profile.XXXXXX")" "$@"
}
for f in "$page" "$TEST_TMP/daily.html"; do
  chrome --enable-logging=stderr --v=0 --dump-dom "file://$f" >"$f.dom" 2>"$f.log" || {
    cat "$f.log" >&2; fail "chromium failed on $f"; }
  [ -s "$f.dom" ] || fail "chromium dumped no DOM for $f"
  ! grep -E ':CONSOLE[:(]' "$f.log" >&2 || fail "console messages while rendering $f"
done

# the SVGs in the rendered DOM, and their points
python3 - "$page.dom" "$TEST_TMP/daily.html.dom" "$TEST_TMP/open.html" <<'PY' || fail "SVG content"
import sys, xml.dom.minidom, re
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.svg = None; self.found = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svg = a.get("id"); self.found[self.svg] = {"polylines": [], "rects": 0}
        elif tag == "polyline" and self.svg:
            self.found[self.svg]["polylines"].append(len(a.get("points", "").split()))
        elif tag == "rect" and self.svg:
            self.found[self.svg]["rects"] += 1
    def handle_endtag(self, tag):
        if tag == "svg": self.svg = None

def parse(path):
    p = P(); p.feed(open(path, encoding="utf-8").read()); return p.found

review = parse(sys.argv[1])
want = {"chart-dead": [480], "chart-queue": [480, 480], "chart-p95": [480],
        "chart-anchor": [480], "chart-ledger": [480]}
for k, v in want.items():
    if review.get(k, {}).get("polylines") != v:
        sys.exit("review %s: points %s, want %s" % (k, review.get(k), v))
# timeline: 6 checks; runs of equal status: ledger, anchor, tls 1 each;
# deadletter 3 (ok, critical bucket(s), ok): at least 3; every check a row
tl = review.get("timeline")
if not tl or tl["rects"] < 6 + 2 * 3:
    sys.exit("timeline: %s" % tl)
daily = parse(sys.argv[2])
# daily: 24 h in 480 buckets of 3 minutes, one line a minute: 480 points
if daily.get("chart-dead", {}).get("polylines") != [480]:
    sys.exit("daily chart-dead: %s" % daily.get("chart-dead"))
opened = parse(sys.argv[3])
if opened.get("chart-queue", {}).get("polylines") != [270, 270]:
    sys.exit("open range chart-queue: %s" % opened.get("chart-queue"))
PY

# screenshots, kept beside the test's log
chrome --screenshot="$art/report-html-desktop.png" --window-size=1280,2600 "file://$page" 2>/dev/null
chrome --screenshot="$art/report-html-phone.png" --window-size=390,2600 "file://$page" 2>/dev/null
for s in desktop:1280 phone:390; do
  f="$art/report-html-${s%%:*}.png"
  [ -s "$f" ] || fail "no screenshot $f"
  w=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print(struct.unpack(">I", d[16:20])[0] if d[:8]==b"\x89PNG\r\n\x1a\n" else 0)' "$f")
  [ "$w" = "${s#*:}" ] || fail "screenshot $f is $w wide"
done
# printed: chromium's print to PDF, kept too
chrome --no-pdf-header-footer --print-to-pdf="$art/report-html-print.pdf" "file://$page" 2>/dev/null
head -c 5 "$art/report-html-print.pdf" 2>/dev/null | grep -q '^%PDF-' || fail "printing the page gave no PDF"
echo "kept: $art/report-html-desktop.png $art/report-html-phone.png $art/report-html-print.pdf"
exit 0
