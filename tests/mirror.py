#!/usr/bin/env python3
"""mirror.py: a local Debian mirror for tests, with injected faults.

Serves http://127.0.0.1:PORT/debian/PATH from a cache directory, fetching
what it lacks from the upstream mirror (http://deb.debian.org/debian) once.
It also acts as an HTTP proxy for the upstream mirror: a request for
http://deb.debian.org/debian/PATH sent to it as a proxy is served the same
way, so a test can point http_proxy at it and count the requests.

    python3 tests/mirror.py --dir CACHE --port-file FILE
                            [--faults FILE] [--log FILE] [--upstream URL]

  --dir DIR        cache of upstream files (shared between tests is fine).
                   dists/SUITE/ is dropped and fetched again when its
                   InRelease is older than --max-age seconds (default 6 h),
                   so the cached indexes always match each other.
  --port-file F    the port it listens on is written to F once it listens
                   (127.0.0.1, a free port).
  --faults F       fault rules, re-read on every request (so a test can
                   change them while the server runs); a missing file is
                   no rules. One rule a line, first match wins, # comments:

                       KIND REGEX [ARG] [count=N]

                   REGEX is searched for in the path (e.g. "/pool/.*\\.deb$").
                   count=N applies the rule to the first N matching
                   requests only. KIND is one of
                     404              answer 404 Not Found
                     status CODE      answer with that HTTP status
                     stall SECONDS    send the headers, then nothing for
                                      SECONDS, then close the connection
                     hang SECONDS     send nothing at all, not even the
                                      headers, for SECONDS, then close
                     truncate BYTES   serve only the first BYTES bytes, as if
                                      that were the whole file
                     close BYTES      announce the whole file, send BYTES
                                      bytes, close the connection
                     corrupt          flip bytes in the middle (same size)
                     badsig           change a byte inside the signed text
                                      of an InRelease (the signature fails)
  --log F          one line per request: "METHOD TARGET RANGE STATUS FAULT",
                   where TARGET is the request target as sent (a full URL
                   when used as a proxy) and RANGE is the Range header or -.

Range requests (bytes=N- and bytes=N-M) are honoured, so downloads resume.
"""

import argparse
import os
import re
import shutil
import socket
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM_HOST = "deb.debian.org"
args = None
counts = {}
lock = threading.Lock()


def load_rules():
    rules = []
    try:
        with open(args.faults) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                words = line.split()
                count = None
                if words[-1].startswith("count="):
                    count = int(words.pop()[6:])
                rules.append((line, words[0], re.compile(words[1]),
                              words[2:], count))
    except (OSError, TypeError):
        pass
    return rules


def match_fault(path):
    for line, kind, rx, fargs, count in load_rules():
        if not rx.search(path):
            continue
        with lock:
            used = counts.get(line, 0)
            if count is not None and used >= count:
                continue
            counts[line] = used + 1
        return kind, fargs
    return None, []


def log(line):
    if args.log:
        with lock, open(args.log, "a") as f:
            f.write(line + "\n")


def cached(path):
    """The local copy of upstream PATH (relative), fetched if need be."""
    local = os.path.join(args.dir, path)
    m = re.match(r"dists/([^/]+)/", path)
    if m:
        release = os.path.join(args.dir, "dists", m.group(1), "InRelease")
        try:
            old = time.time() - os.stat(release).st_mtime > args.max_age
        except OSError:
            old = False
        if old:
            shutil.rmtree(os.path.join(args.dir, "dists", m.group(1)),
                          ignore_errors=True)
    if os.path.exists(local):
        return local
    url = args.upstream.rstrip("/") + "/" + path
    tmp = "%s.tmp.%d.%d" % (local, os.getpid(), threading.get_ident())
    os.makedirs(os.path.dirname(local), exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=120) as r, \
                open(tmp, "wb") as f:
            shutil.copyfileobj(r, f)
    except Exception:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return None
    os.rename(tmp, local)
    return local


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def upstream_path(self):
        target = self.path
        if target.startswith("http://"):
            u = urllib.parse.urlsplit(target)
            if u.hostname != UPSTREAM_HOST:
                return None
            target = u.path
        target = urllib.parse.unquote(target)
        if not target.startswith("/debian/"):
            return None
        path = target[len("/debian/"):]
        if ".." in path.split("/") or path.startswith("/"):
            return None
        return path

    def answer(self, status, fault="-", body=b""):
        rng = self.headers.get("Range", "-")
        log("%s %s %s %d %s" % (self.command, self.path, rng.replace(" ", ""),
                                status, fault))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.upstream_path()
        if path is None:
            return self.answer(404, "not-a-mirror-path")
        kind, fargs = match_fault("/" + path)
        if kind == "404":
            return self.answer(404, kind)
        if kind == "status":
            return self.answer(int(fargs[0]), kind)
        if kind == "hang":
            log("%s %s - 0 hang" % (self.command, self.path))
            time.sleep(float(fargs[0]))
            self.close_connection = True
            return
        local = cached(path)
        if local is None:
            return self.answer(404, "upstream")
        with open(local, "rb") as f:
            data = f.read()
        if kind == "corrupt" and data:
            mid = len(data) // 2
            data = data[:mid] + bytes(b ^ 0xff for b in data[mid:mid + 16]) \
                + data[mid + 16:]
        elif kind == "badsig":
            data = data.replace(b"Origin: Debian", b"Origin: Debiaz", 1)
        elif kind == "truncate":
            data = data[:int(fargs[0])]
        self.send_file(data, kind, fargs)

    def send_file(self, data, kind, fargs):
        start, end, status = 0, len(data), 200
        rng = self.headers.get("Range")
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", (rng or "").replace(" ", ""))
        if m:
            start = int(m.group(1))
            if m.group(2):
                end = min(end, int(m.group(2)) + 1)
            if start >= len(data) or start >= end:
                return self.answer(416, kind or "-")
            status = 206
        log("%s %s %s %d %s" % (self.command, self.path, rng or "-", status,
                                kind or "-"))
        self.send_response(status)
        self.send_header("Content-Length", str(end - start))
        if status == 206:
            self.send_header("Content-Range",
                             "bytes %d-%d/%d" % (start, end - 1, len(data)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if self.command == "HEAD":
            return
        body = data[start:end]
        if kind == "stall":
            self.wfile.flush()
            time.sleep(float(fargs[0]))
            self.close_connection = True
            return
        if kind == "close":
            self.wfile.write(body[:int(fargs[0])])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that hangs up mid-transfer is what the faults are for.
        pass


def main():
    global args
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--faults")
    p.add_argument("--log")
    p.add_argument("--upstream", default="http://deb.debian.org/debian")
    p.add_argument("--max-age", type=float, default=6 * 3600)
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    server = Server(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
