#!/usr/bin/env python3
"""A stand-in for the Microsoft identity platform's token endpoint, Microsoft
Graph and Azure Resource Manager, each on a port of its own (one "host"
each), every answer after LATENCY ms, for benches/live.sh. It serves what a
refresh of a live account asks: tokens, `POST /v1.0/$batch` (items answered
in order, each as Graph documents: id, status, headers, body), the users and
groups delta queries (USERS users in pages of 1,000; a `$deltatoken` read
answers with no change), `/v1.0/organization` and `/subscriptions/{id}`;
gzip when asked. It counts, per host: requests, TCP connections, bytes of
answer bodies as sent, and the time of each request (start, end), and
writes them as JSON to STATS on SIGTERM or when it is asked `GET /stats`.

    live_standin.py PORTFILE STATS LATENCY_MS USERS
"""
import gzip
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

portfile, stats_path, latency_ms, users = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
PAGE = 1000
lock = threading.Lock()
cache = {}
stats = {h: {"requests": 0, "connections": 0, "bytes": 0, "plain_bytes": 0, "times": []}
         for h in ("login", "graph", "arm")}
graph_base = ""


def users_page(skip):
    return [{"id": f"u{i}", "displayName": f"User {i}", "userPrincipalName": f"user{i}@contoso.com",
             "accountEnabled": True} for i in range(skip, min(skip + PAGE, users))]


def graph_get(path, query):
    """(status, body) of one Graph GET (path after /v1.0)."""
    q = parse_qs(query)
    if path == "/organization":
        return 200, {"value": [{"id": "84841066-274d-4ec0-a5c1-276be684bdd3"}]}
    for what in ("users", "groups"):
        if path == f"/{what}/delta":
            link = f"{graph_base}/v1.0/{what}/delta"
            if "$deltatoken" in q:
                return 200, {"value": [], "@odata.deltaLink": f"{link}?$deltatoken=d2"}
            if what == "groups":
                return 200, {"value": [{"id": "g1", "displayName": "Group 1"}],
                             "@odata.deltaLink": f"{link}?$deltatoken=d1"}
            skip = int(q.get("$skiptoken", ["0"])[0])
            body = {"value": users_page(skip)}
            if skip + PAGE < users:
                body["@odata.nextLink"] = f"{link}?$skiptoken={skip + PAGE}"
            else:
                body["@odata.deltaLink"] = f"{link}?$deltatoken=d1"
            return 200, body
    return 404, {"error": {"code": "NotFound", "message": path}}


def make_handler(host):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # (headers and body are two writes)

        def log_message(self, *args):
            pass

        def setup(self):
            super().setup()
            with lock:
                stats[host]["connections"] += 1

        def answer(self, status, body, key=None):
            gz = "gzip" in (self.headers.get("Accept-Encoding") or "")
            # Every tenant asks the same: an answer is made once (the
            # stand-in's own time is not the client's).
            made = cache.get((key, gz)) if key else None
            if made is None:
                data = json.dumps(body).encode()
                plain = len(data)
                if gz:
                    data = gzip.compress(data, 6)
                made = (data, plain)
                if key:
                    cache[(key, gz)] = made
            data, plain = made
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if gz:
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            with lock:
                stats[host]["bytes"] += len(data)
                stats[host]["plain_bytes"] += plain

        def handle_one(self, method):
            start = time.monotonic()
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            url = urlsplit(self.path)
            if host == "graph" and url.path == "/stats":
                self.answer(200, stats)
                return
            time.sleep(latency_ms / 1000)
            key = (host, self.path, raw)
            gz = "gzip" in (self.headers.get("Accept-Encoding") or "")
            if (key, gz) in cache:
                self.answer(200, None, key)
            elif host == "login":
                form = parse_qs(raw.decode())
                scope = form.get("scope", [""])[0]
                status, body = 200, {"token_type": "Bearer", "expires_in": 3599,
                                     "access_token": "arm-token" if "management" in scope else "graph-token"}
            elif host == "arm":
                sub = url.path.rsplit("/", 1)[-1]
                status, body = 200, {"subscriptionId": sub, "state": "Enabled"}
            elif url.path == "/v1.0/$batch":
                items = json.loads(raw)["requests"]
                out = []
                for it in items:
                    u = urlsplit(it["url"])
                    st, b = graph_get(u.path, u.query)
                    out.append({"id": it["id"], "status": st,
                                "headers": {"Content-Type": "application/json"}, "body": b})
                status, body = 200, {"responses": out}
            else:
                status, body = graph_get(url.path[len("/v1.0"):], url.query)
            if (key, gz) not in cache:
                self.answer(status, body, key if status == 200 else None)
            with lock:
                stats[host]["requests"] += 1
                stats[host]["times"].append((start, time.monotonic()))

        def do_GET(self):
            self.handle_one("GET")

        def do_POST(self):
            self.handle_one("POST")

    return Handler


servers = {h: ThreadingHTTPServer(("127.0.0.1", 0), make_handler(h)) for h in stats}
for srv in servers.values():
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
ports = {h: srv.server_address[1] for h, srv in servers.items()}
graph_base = f"http://127.0.0.1:{ports['graph']}"


def dump(*_):
    with open(stats_path, "w") as f:
        json.dump(stats, f)
    sys.exit(0)


signal.signal(signal.SIGTERM, dump)
with open(portfile + ".tmp", "w") as f:
    json.dump(ports, f)
import os  # noqa: E402
os.rename(portfile + ".tmp", portfile)
while True:
    time.sleep(3600)
