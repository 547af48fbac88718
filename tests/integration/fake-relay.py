#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""fake-relay.py PORTFILE DIR: plays the relay's API on 127.0.0.1 (a free
port, written to PORTFILE) for the deadletter tests, including the faults a
real relay cannot be made to show on demand. The first path segment picks
the behaviour, the rest is the relay's own path:

  /ok/...        {"count": N} with N from DIR/count (default 0); status
                 {"connected": true, "backlog": 3}
  /down/...      status {"connected": false, "backlog": 250}
  /svix/...      {"data": [{...}, {...}, {...}], "done": true} (count_pointer /data)
  /auth/...      as /ok, but 401 unless "Authorization: Bearer s3cret-token"
  /slow/...      headers and half a body, then silence for 30 s
  /huge/...      a 40 MiB body, streamed
  /invalid/...   a body that is not JSON
  /wrongtype/... {"count": "seven", "connected": "yes"}
  /500/...       HTTP 500
  /redirect/...  302 to another scheme (ftp://)
Every request is appended to DIR/requests.log with its Authorization header
replaced by whether it matched, so tests can check what the plugin sent.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, DIR = sys.argv[1], sys.argv[2]
TOKEN = "s3cret-token"


def count():
    try:
        with open(os.path.join(DIR, "count")) as f:
            return int(f.read().strip() or 0)
    except FileNotFoundError:
        return 0


class Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body, ctype="application/json", extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = self.path.split("/", 2)
        mode = parts[1] if len(parts) > 1 else ""
        rest = "/" + (parts[2] if len(parts) > 2 else "")
        auth = self.headers.get("Authorization")
        with open(os.path.join(DIR, "requests.log"), "a") as f:
            f.write("%s %s auth=%s\n" % (mode, rest, "none" if auth is None else
                                         ("ok" if auth == "Bearer " + TOKEN else "bad")))
        dead = rest.startswith("/relay/workflow/dead-letters")
        status = rest.startswith("/relay/workflow/status")
        if mode == "auth" and auth != "Bearer " + TOKEN:
            return self.send(401, '{"error":"unauthorized"}')
        if mode in ("ok", "auth"):
            if dead:
                return self.send(200, json.dumps({"count": count(), "items": []}))
            if status:
                return self.send(200, '{"connected": true, "backlog": 3}')
        if mode == "down":
            if dead:
                return self.send(200, '{"count": 0}')
            if status:
                return self.send(200, '{"connected": false, "backlog": 250}')
        if mode == "svix":
            return self.send(200, json.dumps({"data": [{"id": "m1"}, {"id": "m2"}, {"id": "m3"}],
                                              "done": True, "connected": True}))
        if mode == "slow":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b'{"count": 1, "connec')
            self.wfile.flush()
            time.sleep(30)
            return
        if mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(40 * 1024 * 1024 + 2))
            self.end_headers()
            try:
                self.wfile.write(b"[")
                chunk = b"1," * (512 * 1024)
                for _ in range(40):
                    self.wfile.write(chunk)
                self.wfile.write(b"1]")
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        if mode == "invalid":
            return self.send(200, '{"count": 3, oops', "application/json")
        if mode == "wrongtype":
            return self.send(200, '{"count": "seven", "connected": "yes"}')
        if mode == "500":
            return self.send(500, '{"error": "boom"}')
        if mode == "redirect":
            return self.send(302, "", extra={"Location": "ftp://127.0.0.1/relay" + rest})
        return self.send(404, '{"error": "no such mode"}')


server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
server.daemon_threads = True
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
