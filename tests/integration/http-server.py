#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tests/integration/http-server.py PORTFILE LOG [CERT KEY]: a health-endpoint
server for the http plugin's tests on a free loopback port (written to
PORTFILE); with CERT and KEY it speaks https. Each request appends one JSON
line {"path", "headers"} to LOG. Paths:
  /status/N      answers status N with {"status":"intact"}
  /verify        200 {"status":"intact","database":"ok","events":42}
  /broken        200 {"status":"forked","database":"down","events":3}
  /slow          waits 1.5 s, then as /verify
  /invalid       200 with a body that is not JSON
  /big           200 with a 40 MB body (sent in chunks)
  /stall         headers and half a body, then silence for 60 s
  /reset         closes the connection with a TCP reset, no answer
  /flip          status read from the file LOG.flip (200 when absent)
  /away          302 to http://127.0.0.1:<port in LOG.other>/landed
and the services of the cutover profiles, healthy: /ledger/verify,
/relay/workflow/status, /relay/workflow/dead-letters, /api/health; each
answers 503 while the file LOG.down exists.
"""
import json, os, socket, ssl, struct, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, log = sys.argv[1], sys.argv[2]
GOOD = b'{"status":"intact","database":"ok","events":42}'


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, body=GOOD, location=None):
        self.send_response(code)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers.items())}) + "\n")
        p = self.path
        svc = {"/ledger/verify": b'{"status":"intact","intact":true,"events":42}',
               "/relay/workflow/status": b'{"connected":true,"backlog":0,"state":"idle"}',
               "/relay/workflow/dead-letters": b'{"count":0}',
               "/api/health": b'{"status":"ok","database":"ok","itrans":"ok"}'}
        if p in svc:
            return self.answer(503 if os.path.exists(log + ".down") else 200, svc[p])
        if p.startswith("/status/"):
            return self.answer(int(p.split("/")[2]))
        if p == "/verify" or p == "/landed":
            return self.answer(200)
        if p == "/broken":
            return self.answer(200, b'{"status":"forked","database":"down","events":3}')
        if p == "/slow":
            time.sleep(1.5)
            return self.answer(200)
        if p == "/invalid":
            return self.answer(200, b"<html>oops</html>")
        if p == "/big":
            n = 40 * 1024 * 1024
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(n // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        if p == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"{" * 500)
            self.wfile.flush()
            time.sleep(60)
            return
        if p == "/reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if p == "/flip":
            try:
                with open(log + ".flip") as f:
                    code = int(f.read().strip())
            except OSError:
                code = 200
            return self.answer(code)
        if p == "/away":
            with open(log + ".other") as f:
                other = f.read().strip()
            return self.answer(302, b"", location="http://127.0.0.1:%s/landed" % other)
        self.answer(404, b'{"error":"no such path"}')

    do_POST = do_GET


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
