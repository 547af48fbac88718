#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tests/integration/hop-server.py PORTFILE LOG [OTHER_PORTFILE]: an HTTP
server on a free loopback port (written to PORTFILE) that appends, for each
request, one JSON line {"path":..., "headers":{...}} to LOG, so that a test
can say which credentials reached it. Paths:
  /away/...   302 to http://127.0.0.1:<OTHER port>/landed (another origin)
  /host/...   302 to http://localhost:<own port>/landed (another host name)
  /stay/...   302 to /landed on itself (same origin, relative)
  /self/...   302 to http://127.0.0.1:<own port>/landed (same origin)
  /back/...   302 to http://127.0.0.1:<OTHER port>/away (out and back)
  anything else: 200 with a relay-like JSON body (count 0, connected)
"""
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, log = sys.argv[1], sys.argv[2]
other = sys.argv[3] if len(sys.argv) > 3 else None


def other_port():
    with open(other) as f:
        return f.read().strip()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, body=b"", location=None):
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
        me = self.server.server_address[1]
        p = self.path
        if p.startswith("/away"):
            return self.answer(302, location="http://127.0.0.1:%s/landed" % other_port())
        if p.startswith("/host"):
            return self.answer(302, location="http://localhost:%d/landed" % me)
        if p.startswith("/stay"):
            return self.answer(302, location="/landed")
        if p.startswith("/self"):
            return self.answer(302, location="http://127.0.0.1:%d/landed" % me)
        if p.startswith("/back"):
            return self.answer(302, location="http://127.0.0.1:%s/away" % other_port())
        self.answer(200, b'{"count":0,"connected":true,"backlog":0}')

    do_POST = do_GET


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
