#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ledger-service.sh: service_verify_url. A stand-in for the service's own
# GET /ledger/verify (a fake: the real service is not part of this project)
# on a free loopback port says intact or broken; when it says intact and
# the probe finds the ledger broken, the line is critical and says so.
. "$top_srcdir/tests/lib/env.sh"
gen() { python3 "$top_srcdir/tests/integration/ledger-gen.py" "$@"; }
out=$TEST_TMP/out.jsonl
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat >"$TEST_TMP/srv.py" <<'P'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = {"/intact": b'{"intact":true,"events":300}', "/broken": b'{"status":"broken"}',
                "/garbage": b'<html>', }.get(self.path.split("?")[0])
        if body is None:
            self.send_response(404); self.end_headers(); return
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
P
python3 "$TEST_TMP/srv.py" "$port" &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
for i in $(seq 50); do curl -s "http://127.0.0.1:$port/intact" >/dev/null && break; sleep 0.1; done
U=http://127.0.0.1:$port
run() { rc=0; agent -p ledger -s ledger.incremental=false -s ledger.source="$1" -s ledger.service_verify_url="$2" >"$out" || rc=$?; }

gen 300 >"$TEST_TMP/ok.jsonl"
gen --break hash_mismatch:200 300 >"$TEST_TMP/bad.jsonl"
run "$TEST_TMP/ok.jsonl" "$U/intact"
jq_assert "$out" '.status == "ok" and .details.service_intact == true'
run "$TEST_TMP/bad.jsonl" "$U/intact"
jq_assert "$out" '.status == "critical" and .details.service_intact == true and .details.first_bad_seq == 200
  and (.summary | startswith("service says intact, probe does not"))'
run "$TEST_TMP/bad.jsonl" "$U/broken"
jq_assert "$out" '.status == "critical" and .details.service_intact == false and (.summary | startswith("hash mismatch"))'
run "$TEST_TMP/ok.jsonl" "$U/broken"
jq_assert "$out" '.status == "warning" and .details.service_intact == false'
run "$TEST_TMP/ok.jsonl" "$U/garbage"
jq_assert "$out" '.status == "ok" and (.details.service_verify_error | length) > 0'
run "$TEST_TMP/ok.jsonl" "$U/missing"
jq_assert "$out" '.status == "ok" and .details.service_verify_status == 404'
echo ok
