#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tests/anchor/fake-node.py MODE PORTFILE [UPSTREAM]: a JSON-RPC "node"
that misbehaves in ways no real node can be made to, on a free loopback
port (written to PORTFILE):
  stall      answers headers and half a body, then sends nothing more
  garbage    answers 200 with bytes that are not JSON
  huge       answers an endless body (bounded only by the client)
  reset      closes the connection without an answer
  redirect   307 to an https:// URL (another scheme)
  hops       307 to /1, /2, /3 on itself, then answers (same scheme)
  loop       307 to itself, forever
  nobatch    proxies UPSTREAM but refuses batches (-32600, as some do)
  nofinal    proxies UPSTREAM but answers "finalized" with -39001
  forked     proxies UPSTREAM but reports other block hashes (another fork)
  chain1     proxies UPSTREAM but says eth_chainId 0x1
  countoff   proxies UPSTREAM but says one more eth_getTransactionCount
  countgarbage, countneg, counthuge, countbig
             proxy UPSTREAM but answer eth_getTransactionCount with "0xzz",
             "-0x5", 0x and 40 f (over 64 bits), 0xffffffffffffffff
"""
import json, os, socket, sys, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

mode, portfile = sys.argv[1], sys.argv[2]
upstream = sys.argv[3] if len(sys.argv) > 3 else None


COUNTS = {"countoff": None, "countgarbage": "0xzz", "countneg": "-0x5",
          "counthuge": "0x" + "f" * 40, "countbig": "0xffffffffffffffff"}


def forward(body):
    req = urllib.request.Request(upstream, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=20) as r:
        return json.loads(r.read())


def tweak(req, ans):
    """Changes one answer of the proxy modes."""
    m = req.get("method")
    if mode == "nofinal" and m == "eth_getBlockByNumber" and req["params"][0] == "finalized":
        return {"jsonrpc": "2.0", "id": req["id"], "error": {"code": -39001, "message": "Unknown block"}}
    if m == "eth_getTransactionCount" and mode in COUNTS and "result" in ans:
        ans["result"] = COUNTS[mode] if mode != "countoff" else hex(int(ans["result"], 16) + 1)
    if mode == "chain1" and m == "eth_chainId":
        ans["result"] = "0x1"
    if mode == "forked" and m == "eth_getBlockByNumber" and isinstance(ans.get("result"), dict) \
            and req["params"][0] not in ("latest", "finalized"):
        ans["result"]["hash"] = "0x" + "ee" * 32
    return ans


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if mode == "stall":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"jsonrpc":"2.0","id":1,"res')
            self.wfile.flush()
            time.sleep(60)
            return
        if mode == "garbage":
            out = b"<html>502 Bad Gateway</html>\x00\xff"
            self.send_response(200)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        if mode == "huge":
            self.send_response(200)
            self.end_headers()
            try:
                chunk = b"[" + b"1," * 32768
                while True:
                    self.wfile.write(chunk)
            except OSError:
                return
        if mode == "reset":
            # linger 0 then close the descriptor itself: the peer gets a RST
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            os.close(self.connection.detach())
            self.close_connection = True
            return
        if mode in ("hops", "loop") and (mode == "loop" or self.path != "/3"):
            nxt = "/" + str(int(self.path.strip("/") or 0) + 1) if mode == "hops" else "/"
            self.send_response(307)
            self.send_header("Location", "http://127.0.0.1:%d%s" % (srv.server_address[1], nxt))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "hops":
            out = b'{"jsonrpc":"2.0","id":1,"result":"0x539"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        if mode == "redirect":
            self.send_response(307)
            self.send_header("Location", "https://127.0.0.1:1/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        req = json.loads(body)
        if mode == "nobatch" and isinstance(req, list):
            out = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch requests are not supported"}}
        elif isinstance(req, list):
            ans = forward(body)
            byid = {a.get("id"): a for a in ans}
            out = [tweak(r, byid[r["id"]]) for r in req]
        else:
            out = tweak(req, forward(body))
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
