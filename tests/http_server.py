#!/usr/bin/env python3
# http_server.py - a scripted HTTP(S) server for the dmo tests (stdlib only).
# SPDX-License-Identifier: BSD-2-Clause
"""
Listens on 127.0.0.1 only, on a free port it picks and prints (one line:
the port), and exits by itself after --lifetime seconds.  Every failure is
scripted by the URL, so a test says what it wants:

  GET /data.ndjson?n=N[&ctype=T][&gzip=1]   N records {"id":i,"name":"rN"}
        (gzip: Content-Encoding; raw_gzip=1: a .gz body; zip=1: a zip of
        a.ndjson with them and b/c.csv with one more)
  GET /file/NAME                        a file of --root (Content-Length, sendfile)
  GET /fail/ID?times=K&status=S[&retry_after=R|&retry_date=R]
        the first K requests for ID answer S (with Retry-After: R seconds,
        or as an HTTP-date R seconds ahead); then 3 records.  A retry that
        comes sooner than Retry-After asked is answered 400 "too early".
  GET /drop/ID?times=K                  close the connection K times, then 3 records
  GET /slow?delay=S                     wait S seconds before answering
  GET /stall?after=N&delay=S            N records, then S seconds of silence, then 1
  GET /short                            Content-Length promises more than is sent
  GET /cutchunk                         chunked body cut before its last chunk
  GET /cutmid/ID?times=K                2 records, then the connection drops (K times)
  GET /cutfirst/ID?times=K              half a record, then the drop (K times)
  GET /pages/link?page=P&last=L         NDJSON pages with RFC 8288 Link headers
  GET /pages/next?page=P&last=L         {"data":{"items":[..]},"links":{"next":..}}
  GET /pages/cursor?cursor=C&last=L     {"items":[..],"meta":{"cursor":..}}
  GET /pages/num?page=P&last=L          NDJSON, empty after page L
  GET /pages/offset?offset=O&limit=M&total=T
  GET /pages/loop                       Link: rel=next to itself
  GET /doc                              a JSON document, records at data.items
  GET /headers                          the request's headers as one record
  GET /redirect?to=PATH                 302 to PATH
  GET /status/S                         answer S with a short body
  POST /sink/NAME?fail_first=K&status=S[&retry_after=R]
        the first K requests answer S; then as below
  POST /sink/NAME[?seed=S&rate=R]       keep records by "id"; honours
        Idempotency-Key; fails at random (seed S, rate R) but reproducibly:
        500 before storing, 503 Retry-After: 0, a dropped connection before
        storing, or 500 after storing (the answer lost).  A record with
        "reject": true makes the batch 422.  Bodies: NDJSON or a JSON array.
  GET /sink/NAME/report                 {"records":..,"duplicates":..,...}
  GET /sink/NAME/dump                   the records held, by id
  GET /sink/NAME/log                    one line per POST: status, count, key
  GET /sink/NAME/raw                    the bodies stored, as they came
"""

import argparse
import email.utils
import gzip
import io
import json
import os
import random
import socket
import ssl
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
COUNTS = {}         # scripted failures: id -> requests seen
LAST_FAIL = {}      # id -> (time of the failure, seconds asked to wait)
SINKS = {}          # name -> state
ROOT = "."


def records(start, n):
    return [{"id": i, "name": "r%d" % i} for i in range(start, start + n)]


def ndjson(recs):
    return "".join(json.dumps(r, separators=(",", ":")) + "\n"
                   for r in recs).encode()


def sink(name):
    s = SINKS.get(name)
    if s is None:
        s = SINKS[name] = {"held": {}, "duplicates": 0, "requests": 0,
                           "idem": {}, "log": [], "rng": None,
                           "raw": []}
    return s


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "dmo-test"

    def log_message(self, fmt, *args):
        pass

    # -- helpers
    def q(self, name, default=None):
        v = self.query.get(name)
        return v[0] if v else default

    def qi(self, name, default=0):
        return int(self.q(name, default))

    def send(self, status, body=b"", ctype="application/x-ndjson",
             headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def count(self, key):
        with LOCK:
            COUNTS[key] = COUNTS.get(key, 0) + 1
            return COUNTS[key]

    # -- GET
    def do_GET(self):
        u = urlsplit(self.path)
        self.query = parse_qs(u.query, keep_blank_values=True)
        parts = [p for p in u.path.split("/") if p]
        try:
            self.route(u.path, parts)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def route(self, path, parts):
        if path == "/data.ndjson" or path == "/data":
            body = ndjson(records(1, self.qi("n", 3)))
            ctype = self.q("ctype", "application/x-ndjson")
            hdrs = []
            if self.q("gzip") and "gzip" in self.headers.get(
                    "Accept-Encoding", ""):
                body = gzip.compress(body)
                hdrs.append(("Content-Encoding", "gzip"))
            if self.q("raw_gzip"):
                body = gzip.compress(body)
                ctype = "application/gzip"
            if self.q("zip"):
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w") as z:
                    z.writestr("a.ndjson", body)
                    z.writestr("b/c.csv", b"id,name\n9,r9\n")
                body = buf.getvalue()
                ctype = "application/zip"
            return self.send(200, body, ctype, hdrs)
        if parts[:1] == ["file"] and len(parts) == 2:
            return self.send_file(os.path.join(ROOT, parts[1]))
        if parts[:1] == ["fail"] and len(parts) == 2:
            return self.fail(parts[1])
        if parts[:1] == ["drop"] and len(parts) == 2:
            if self.count("drop/" + parts[1]) <= self.qi("times", 1):
                return self.drop()
            return self.send(200, ndjson(records(1, 3)))
        if path == "/slow":
            time.sleep(float(self.q("delay", "5")))
            return self.send(200, ndjson(records(1, 1)))
        if path == "/stall":
            body = ndjson(records(1, self.qi("after", 2)))
            last = ndjson(records(100, 1))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Content-Length", str(len(body) + len(last)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            time.sleep(float(self.q("delay", "5")))
            self.wfile.write(last)
            return None
        if path == "/short":
            body = ndjson(records(1, 2))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Content-Length", str(len(body) + 100))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            # Late enough that the client has passed the records on.
            time.sleep(0.3)
            return self.drop()
        if path == "/cutchunk":
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for r in records(1, 2):
                b = ndjson([r])
                self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
            self.wfile.write(b"40\r\n{\"id\":3,")
            self.wfile.flush()
            time.sleep(0.3)
            return self.drop()
        if parts[:1] in (["cutmid"], ["cutfirst"]) and len(parts) == 2:
            if self.count(parts[0] + "/" + parts[1]) > self.qi("times", 1):
                return self.send(200, ndjson(records(1, 4)))
            body = ndjson(records(1, 4))
            part = body[:ndjson(records(1, 2)).__len__()] \
                if parts[0] == "cutmid" else body[:7]
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(part)
            self.wfile.flush()
            time.sleep(0.3)
            return self.drop()
        if parts[:1] == ["pages"] and len(parts) == 2:
            return self.pages(parts[1])
        if path == "/doc":
            doc = {"meta": {"count": 2, "note": "x]}\"{"},
                   "data": {"total": 2, "items": records(1, 2),
                            "after": [1, {"a": "}"}]},
                   "tail": True}
            return self.send(200, json.dumps(doc, indent=2).encode(),
                             "application/json")
        if path == "/headers":
            rec = {k.lower(): v for k, v in self.headers.items()
                   if k.lower() in ("authorization", "x-api-key",
                                    "x-trace", "user-agent")}
            return self.send(200, ndjson([rec]))
        if path == "/redirect":
            return self.send(302, b"", "text/plain",
                             [("Location", self.q("to", "/data.ndjson"))])
        if parts[:1] == ["status"] and len(parts) == 2:
            st = int(parts[1])
            return self.send(st, b"scripted status %d\n" % st, "text/plain")
        if parts[:1] == ["sink"] and len(parts) == 3:
            return self.sink_report(parts[1], parts[2])
        return self.send(404, b"no such test path\n", "text/plain")

    def send_file(self, fn):
        try:
            f = open(fn, "rb")
        except OSError:
            return self.send(404, b"no such file\n", "text/plain")
        with f:
            size = os.fstat(f.fileno()).st_size
            ctype = "application/x-ndjson" if fn.endswith(".ndjson") \
                else "text/csv" if fn.endswith(".csv") \
                else "application/octet-stream"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.wfile.flush()
            self.connection.sendfile(f)

    def fail(self, ident):
        n = self.count("fail/" + ident)
        now = time.time()
        with LOCK:
            last = LAST_FAIL.get(ident)
        if last is not None and now - last[0] < last[1] - 0.05:
            return self.send(400, b"too early: Retry-After not honoured\n",
                             "text/plain")
        if n <= self.qi("times", 1):
            st = self.qi("status", 500)
            hdrs = []
            wait = 0.0
            if self.q("retry_after") is not None:
                wait = float(self.q("retry_after"))
                hdrs.append(("Retry-After", self.q("retry_after")))
            elif self.q("retry_date") is not None:
                wait = float(self.q("retry_date"))
                # An HTTP-date has whole seconds: ask for the next one up.
                when = int(now + wait) + 1
                wait = when - now - 1
                hdrs.append(("Retry-After",
                             email.utils.formatdate(when, usegmt=True)))
            with LOCK:
                LAST_FAIL[ident] = (now, wait)
            return self.send(st, b"scripted failure %d of %s\n" % (n, ident.encode()),
                             "text/plain", hdrs)
        return self.send(200, ndjson(records(1, 3)))

    def pages(self, kind):
        last = self.qi("last", 3)
        if kind == "link":
            p = self.qi("page", 1)
            hdrs = []
            if p < last:
                # Several links in one header, and a second Link header.
                hdrs.append(("Link", '<link?page=1&last=%d>; rel="first", '
                             '<link?page=%d&last=%d>; rel="next last"'
                             % (last, p + 1, last) if p % 2 else
                             '</pages/link?page=%d&last=%d>; rel=next'
                             % (p + 1, last)))
            hdrs.append(("Link", '<https://example.invalid/help>; rel="help"'))
            return self.send(200, ndjson(records(p * 10, 2)),
                             "application/x-ndjson", hdrs)
        if kind == "next":
            p = self.qi("page", 1)
            nxt = "/pages/next?page=%d&last=%d" % (p + 1, last) \
                if p < last else None
            doc = {"links": {"self": "x", "next": nxt}} if p % 2 else {}
            doc["data"] = {"items": records(p * 10, 2)}
            if not p % 2:
                doc["links"] = {"next": nxt}
            return self.send(200, json.dumps(doc).encode(),
                             "application/json")
        if kind == "cursor":
            c = self.q("cursor", "")
            p = 1 if c == "" else int(c[1:])
            doc = {"items": records(p * 10, 2),
                   "meta": {"cursor": "c%d" % (p + 1) if p < last else None}}
            return self.send(200, json.dumps(doc).encode(),
                             "application/json")
        if kind == "num":
            p = self.qi("page", 1)
            recs = records(p * 10, 2) if p <= last else []
            return self.send(200, ndjson(recs))
        if kind == "offset":
            o, m, t = self.qi("offset", 0), self.qi("limit", 2), \
                self.qi("total", 5)
            return self.send(200, ndjson(records(o, max(0, min(m, t - o)))))
        if kind == "loop":
            return self.send(200, ndjson(records(1, 1)),
                             "application/x-ndjson",
                             [("Link", "</pages/loop>; rel=next")])
        return self.send(404, b"no such page kind\n", "text/plain")

    # -- the sink
    def sink_report(self, name, what):
        with LOCK:
            s = sink(name)
            if what == "report":
                body = json.dumps({"records": len(s["held"]),
                                   "duplicates": s["duplicates"],
                                   "requests": s["requests"]}).encode() + b"\n"
            elif what == "dump":
                body = ndjson([s["held"][k] for k in sorted(s["held"])])
            elif what == "raw":
                body = b"".join(s["raw"])
            elif what == "log":
                body = "".join("%s\n" % e for e in s["log"]).encode()
            else:
                body = b""
        return self.send(200, body)

    def do_POST(self):
        u = urlsplit(self.path)
        self.query = parse_qs(u.query, keep_blank_values=True)
        parts = [p for p in u.path.split("/") if p]
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n)
        if parts[:1] != ["sink"] or len(parts) != 2:
            return self.send(404, b"no such sink\n", "text/plain")
        name = parts[1]
        key = self.headers.get("Idempotency-Key")
        ctype = self.headers.get("Content-Type", "")
        with LOCK:
            s = sink(name)
            s["requests"] += 1
            if s["rng"] is None:
                s["rng"] = random.Random(self.q("seed", "1"))
            rate = float(self.q("rate", "0"))
            fate = s["rng"].random()
            kind = s["rng"].randrange(4)
            first = int(self.q("fail_first", "0"))
            if s["requests"] <= first:
                st = int(self.q("status", "500"))
                s["log"].append("%d scripted" % st)
                hdrs = [("Retry-After", self.q("retry_after"))] \
                    if self.q("retry_after") is not None else []
                return self.send(st, b"scripted failure\n", "text/plain",
                                 hdrs)
            if key is not None and key in s["idem"]:
                st, body = s["idem"][key]
                s["log"].append("%d replay %s" % (st, key))
                return self.send(st, body, "application/json")
        if fate < rate and kind == 0:
            with LOCK:
                s["log"].append("500 before")
            return self.send(500, b"random failure\n", "text/plain")
        if fate < rate and kind == 1:
            with LOCK:
                s["log"].append("503 before")
            return self.send(503, b"busy\n", "text/plain",
                             [("Retry-After", "0")])
        if fate < rate and kind == 2:
            with LOCK:
                s["log"].append("drop before")
            return self.drop()
        try:
            if ctype.startswith("application/x-ndjson"):
                recs = [json.loads(l) for l in data.decode().splitlines()
                        if l.strip()]
            elif ctype.startswith("application/json"):
                recs = json.loads(data)
                assert isinstance(recs, list)
            else:
                return self.send(415, b"unsupported content type\n",
                                 "text/plain")
        except (ValueError, AssertionError, UnicodeDecodeError):
            return self.send(400, b"malformed body\n", "text/plain")
        bad = [i for i, r in enumerate(recs) if r.get("reject")]
        if bad:
            body = b'{"error":"record %d refused: field \'reject\' set"}' % bad[0]
            with LOCK:
                s["log"].append("422 %d %s" % (len(recs), ctype))
                if key is not None:
                    s["idem"][key] = (422, body)
            return self.send(422, body, "application/json")
        with LOCK:
            s["raw"].append(data)
            for r in recs:
                k = r.get("id")
                if k in s["held"]:
                    s["duplicates"] += 1
                s["held"][k] = r
            body = b'{"stored":%d}' % len(recs)
            if key is not None:
                s["idem"][key] = (200, body)
            lost = fate < rate and kind == 3
            extra = ""
            if self.headers.get("Authorization"):
                extra += " auth=" + self.headers["Authorization"]
            if self.headers.get("X-Trace"):
                extra += " trace=" + self.headers["X-Trace"]
            s["log"].append("%s %d %s%s" % ("500 after" if lost else "200",
                                            len(recs), ctype.split(";")[0],
                                            extra))
        if lost:
            return self.send(500, b"stored, but the answer is lost\n",
                             "text/plain")
        return self.send(200, body, "application/json")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass


def main():
    global ROOT
    ap = argparse.ArgumentParser()
    ap.add_argument("--lifetime", type=float, default=120)
    ap.add_argument("--root", default=".")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    a = ap.parse_args()
    ROOT = a.root
    srv = Server(("127.0.0.1", 0), Handler)
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    # Never outlive the tests, whatever happens to them.
    t = threading.Timer(a.lifetime, lambda: os._exit(0))
    t.daemon = True
    t.start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
