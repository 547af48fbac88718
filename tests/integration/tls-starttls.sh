#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tls-starttls.sh: the tls plugin's STARTTLS preludes.
#  - postgres: a real PostgreSQL cluster of this test's own (initdb +
#    pg_ctl, as tests/lib/servers.sh does it, but listening on 127.0.0.1
#    with ssl=on and the test PKI's certificate), and the same cluster with
#    ssl=off refusing the SSLRequest;
#  - smtp, imap, ftp: small plain-text servers written here (Python) that
#    speak the protocol's prelude and then hand the socket to TLS with the
#    test certificate; plus ones that refuse STARTTLS.
. "$top_srcdir/tests/lib/env.sh"
. "$top_srcdir/tests/integration/tls-lib.sh"
. "$top_srcdir/tests/integration/secrets-lib.sh"

P=$TEST_TMP/pki
PGD=$TEST_TMP/pg
pg_stop() {
  if [ -n "${PGBIN:-}" ] && [ -d "$PGD/data" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -m immediate stop >/dev/null 2>&1 || true
  fi
}
trap 'tls_cleanup; pg_stop; rm -rf "$TEST_TMP"' EXIT

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PGBIN=""
for b in "$(command -v pg_ctl 2>/dev/null || true)" /usr/lib/postgresql/*/bin/pg_ctl; do
  [ -x "$b" ] && { PGBIN=$(dirname "$b"); break; }
done
[ -n "$PGBIN" ] || missing_server "PostgreSQL (no initdb/pg_ctl binaries)"

tls_make_pki "$P"
canary_record "$P/valid.key" "$P/exp25.key"

# --- PostgreSQL with ssl=on ---------------------------------------------------
chmod 755 "$TEST_TMP"
mkdir -p "$PGD"
[ "$(id -u)" = 0 ] && chown postgres: "$PGD"
as_pg "$PGBIN/initdb" -D "$PGD/data" -U postgres -A trust --no-sync > "$TEST_TMP/initdb.log" 2>&1 ||
  { cat "$TEST_TMP/initdb.log" >&2; fail "initdb failed"; }
cp "$P/exp25.chain" "$PGD/data/server.crt"
cp "$P/exp25.key" "$PGD/data/server.key"
chmod 600 "$PGD/data/server.key"
[ "$(id -u)" = 0 ] && chown postgres: "$PGD/data/server.crt" "$PGD/data/server.key"
pgport=$(tls_free_port)
as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/server.log" -w -t 60 \
  -o "-k $PGD -p $pgport -c listen_addresses=127.0.0.1 -c ssl=on -c fsync=off" start >/dev/null ||
  { cat "$PGD/server.log" >&2; fail "PostgreSQL did not start"; }

# --- SMTP, IMAP, FTP preludes --------------------------------------------------
# starttls_server PROTO REFUSE: prints the port
starttls_server() {
  local port; port=$(tls_free_port)
  cat > "$TEST_TMP/starttls.py" <<'PY'
import socket, ssl, sys, threading
proto, port, chain, key, refuse = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "1"
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(chain, key)
def line(f):
    return f.readline(1024).decode("latin-1").rstrip("\r\n")
def serve(c):
    try:
        f = c.makefile("rb")
        if proto == "smtp":
            c.sendall(b"220-mail.probe.test ESMTP\r\n220 ready\r\n")
            line(f)  # EHLO
            c.sendall(b"250-mail.probe.test\r\n250-SIZE 1000\r\n" + (b"" if refuse else b"250-STARTTLS\r\n") + b"250 HELP\r\n")
            line(f)  # STARTTLS
            if refuse:
                c.sendall(b"502 5.5.1 not implemented\r\n"); return
            c.sendall(b"220 2.0.0 go ahead\r\n")
        elif proto == "imap":
            c.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
            tag = line(f).split(" ")[0]
            if refuse:
                c.sendall(tag.encode() + b" BAD no\r\n"); return
            c.sendall(b"* informational\r\n" + tag.encode() + b" OK begin TLS\r\n")
        elif proto == "ftp":
            c.sendall(b"220-welcome\r\n220 ftp ready\r\n")
            line(f)  # AUTH TLS
            if refuse:
                c.sendall(b"500 no\r\n"); return
            c.sendall(b"234 AUTH TLS ok\r\n")
        s = ctx.wrap_socket(c, server_side=True)
        s.close()
    except Exception as e:
        print("starttls server:", e, file=sys.stderr)
    finally:
        c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
  python3 "$TEST_TMP/starttls.py" "$1" "$port" "$P/valid.chain" "$P/valid.key" "$2" \
    </dev/null >"$TEST_TMP/starttls-$1-$port.log" 2>&1 &
  TLS_PIDS="$TLS_PIDS $!"
  tls_wait_port "$port" || { cat "$TEST_TMP"/starttls-"$1"-*.log >&2; return 1; }
  echo "$port"
}
smtp=$(starttls_server smtp 0); imap=$(starttls_server imap 0); ftp=$(starttls_server ftp 0)
smtp_no=$(starttls_server smtp 1); imap_no=$(starttls_server imap 1); ftp_no=$(starttls_server ftp 1)

eps=$(jq -cn --arg pg "$pgport" --arg smtp "$smtp" --arg imap "$imap" --arg ftp "$ftp" \
  --arg smtp_no "$smtp_no" --arg imap_no "$imap_no" --arg ftp_no "$ftp_no" '[
  {"endpoint": "127.0.0.1:\($pg)", "starttls": "postgres"},
  {"endpoint": "127.0.0.1:\($smtp)", "starttls": "smtp"},
  {"endpoint": "127.0.0.1:\($imap)", "starttls": "imap"},
  {"endpoint": "127.0.0.1:\($ftp)", "starttls": "ftp"},
  {"endpoint": "127.0.0.1:\($smtp_no)", "starttls": "smtp"},
  {"endpoint": "127.0.0.1:\($imap_no)", "starttls": "imap"},
  {"endpoint": "127.0.0.1:\($ftp_no)", "starttls": "ftp"},
  {"endpoint": "127.0.0.1:\($smtp)"}
]')
out=$TEST_TMP/starttls.jsonl
rc=0
canary_run agent --plugin tls -s "tls.endpoints=$eps" -s "tls.ca_file=$P/ca.crt" -s tls.connect_timeout=5 > "$out" || rc=$?
[ "$rc" = 2 ] || fail "exit status $rc, expected 2"
n() { jq -s -c ".[$1]" "$out"; }
expect() {
  n "$1" | jq -e --arg s "$2" ".status == \$s and ($3)" >/dev/null || { n "$1" >&2; fail "line $1: expected $2 and $3"; }
}
# PostgreSQL serves the 25-day certificate: warning, verified through the chain
expect 0 warning '.details.starttls == "postgres" and .metrics.days_left == 25 and .details.verify_ok and .details.subject == "CN=exp25.probe.test"'
expect 1 ok '.details.starttls == "smtp" and .metrics.days_left == 199 and .details.verify_ok'
expect 2 ok '.details.starttls == "imap" and .metrics.days_left == 199'
expect 3 ok '.details.starttls == "ftp" and .metrics.days_left == 199'
expect 4 critical '(.summary | startswith("STARTTLS failed")) and (.summary | test("502"))'
expect 5 critical '(.summary | startswith("STARTTLS failed")) and (.summary | test("BAD"))'
expect 6 critical '(.summary | startswith("STARTTLS failed")) and (.summary | test("500"))'
# an SMTP server spoken to as if it were TLS from the first byte
expect 7 critical '.summary | test("handshake")'

# the same cluster with ssl=off answers the SSLRequest with N
as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/server.log" -w -t 60 \
  -o "-k $PGD -p $pgport -c listen_addresses=127.0.0.1 -c ssl=off -c fsync=off" restart >/dev/null ||
  { cat "$PGD/server.log" >&2; fail "PostgreSQL did not restart"; }
rc=0
canary_run agent --plugin tls -s "tls.endpoints=[{\"endpoint\":\"127.0.0.1:$pgport\",\"starttls\":\"postgresql\"}]" > "$out" || rc=$?
[ "$rc" = 2 ] || fail "ssl=off: exit $rc"
jq_assert "$out" '.status == "critical" and (.summary | test("does not accept SSL"))'

canary_check
echo "tls-starttls: ok"
