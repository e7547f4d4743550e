#!/usr/bin/env python3
"""A local stand-in for the Linode (Akamai Cloud) API v4 Domains endpoints certctl uses, strict
about requests.

Serves on 127.0.0.1 (port 0 = any; the port is written to --port-file):
  GET    /v4/domains?page=&page_size=                     domains, paged; X-Filter {"domain": ...}
  POST   /v4/domains/{domainId}/records                   create a record
  GET    /v4/domains/{domainId}/records?page=&page_size=  records, paged; X-Filter {"name", "type"}
  DELETE /v4/domains/{domainId}/records/{recordId}        delete a record ({})
Errors are the documented {"errors": [{"reason"[, "field"]}]}: 401 "Invalid Token" for a wrong
token, 404 "Not found".

Anything the public API documentation does not allow is a violation: a missing or non-Bearer
Authorization header, a body on GET/DELETE, a POST without Content-Type: application/json, unknown
or mistyped JSON fields, a record name that is absolute (a trailing dot, or ending in the domain:
names are relative, "" for the apex), a TXT target wrapped in quotes, an X-Filter that is not a
JSON object of filterable fields, unknown query parameters, a page_size outside 25..500. Each is
recorded and answered with 400. A ttl_sec is rounded up to the next value Linode allows, as the
API does.

--page-size N makes every list page hold at most N items (to exercise paging); --bind and
--tsig-file mirror TXT records into a BIND zone (fake_server.nsupdate).

Test hooks: GET /_test/records, GET /_test/violations, GET /_test/requests.
"""
import argparse
import json
import re
import sys
import threading
from urllib.parse import parse_qs

from fake_server import JsonHandler, nsupdate, serve

RECORD_FIELDS = {"type": str, "name": str, "target": str, "ttl_sec": int, "priority": int, "weight": int,
                 "port": int, "service": (str, type(None)), "protocol": (str, type(None)), "tag": (str, type(None))}
TTLS = [300, 3600, 7200, 14400, 28800, 57600, 86400, 172800, 345600, 604800, 1209600, 2419200]
LIST_PARAMS = {"page", "page_size"}
NOT_FOUND = {"errors": [{"reason": "Not found"}]}


class State:
    def __init__(self, token, domains, page_size, bind, tsig):
        self.lock = threading.Lock()
        self.token = token
        self.domains = domains  # name -> id
        self.page_size = page_size
        self.bind = bind
        self.tsig = tsig
        self.records = []
        self.next_id = 5000
        self.requests = []


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return {"errors": [{"reason": "fake_linode: " + what}]}

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        token = self.bearer_token()
        if token is None:
            return None
        if token != self.state.token:
            return self.send_json(401, {"errors": [{"reason": "Invalid Token"}]})
        if self.command in ("GET", "DELETE") and body:
            return self.violation(f"a body on {self.command}")
        query = parse_qs(url.query, keep_blank_values=True)
        for k, v in query.items():
            if len(v) != 1:
                return self.violation(f"query parameter {k} repeated")
        xfilter = self.headers.get("X-Filter")
        if xfilter is not None:
            try:
                xfilter = json.loads(xfilter)
            except ValueError:
                return self.violation(f"X-Filter is not JSON: {xfilter!r}")
            if not isinstance(xfilter, dict):
                return self.violation("X-Filter is not a JSON object")
        if url.path == "/v4/domains" and self.command == "GET":
            return self.paged(query, xfilter, {"domain"}, [{"id": i, "domain": d, "type": "master", "status": "active"}
                                                          for d, i in sorted(self.state.domains.items())])
        m = re.fullmatch(r"/v4/domains/([0-9]+)/records(?:/([0-9]+))?", url.path)
        if not m:
            return self.violation("no such endpoint")
        domain_id, rid = int(m.group(1)), m.group(2)
        domain = next((d for d, i in self.state.domains.items() if i == domain_id), None)
        if domain is None:
            return self.send_json(404, NOT_FOUND)
        if rid is None and self.command == "POST":
            return self.create(domain, body)
        if rid is None and self.command == "GET":
            with self.state.lock:
                items = [dict(r) for r in self.state.records if r["domain"] == domain]
            for r in items:
                del r["domain"]
            return self.paged(query, xfilter, {"name", "type", "target"}, items)
        if rid is not None and self.command == "DELETE":
            return self.delete(domain, int(rid))
        return self.violation("no such endpoint")

    do_GET = do_POST = do_DELETE = do_PUT = handle_any

    def paged(self, query, xfilter, filterable, items):
        unknown = set(query) - LIST_PARAMS
        if unknown:
            return self.violation(f"unknown query parameters {sorted(unknown)}")
        page = int(query.get("page", ["1"])[0])
        size = int(query.get("page_size", ["100"])[0])
        if page < 1 or not 25 <= size <= 500:
            return self.violation(f"page {page} / page_size {size} out of range (page_size 25..500)")
        for k, v in (xfilter or {}).items():
            if k not in filterable:
                return self.violation(f"X-Filter on {k!r}, which is not filterable here")
            items = [i for i in items if i.get(k) == v]
        size = min(size, self.state.page_size)
        pages = max(1, (len(items) + size - 1) // size)
        return self.send_json(200, {"data": items[(page - 1) * size: page * size], "page": page, "pages": pages,
                                    "results": len(items)})

    def create(self, domain, body):
        rec = self.json_object(body, RECORD_FIELDS, ("type",))
        if rec is None:
            return None
        if rec["type"] != "TXT":
            return self.violation(f"type {rec['type']!r} (only TXT expected)")
        name = rec.get("name", "")
        if name.endswith(".") or name == domain or name.endswith("." + domain):
            return self.violation(f"name {name!r} is not relative to {domain} ('' for the apex)")
        target = rec.get("target", "")
        if not target or target.startswith('"'):
            return self.violation(f"TXT target {target!r} is empty or quoted")
        ttl = rec.get("ttl_sec", 0)
        if ttl:
            ttl = next((t for t in TTLS if t >= ttl), TTLS[-1])
        with self.state.lock:
            self.state.next_id += 1
            stored = {"id": self.state.next_id, "type": "TXT", "name": name, "target": target, "priority": 0,
                      "weight": 0, "port": 0, "service": None, "protocol": None, "ttl_sec": ttl, "tag": None,
                      "created": "2026-01-01T00:00:00", "updated": "2026-01-01T00:00:00", "domain": domain}
            self.state.records.append(stored)
        if self.state.bind:
            nsupdate(self.state.bind, self.state.tsig, "add", f"{name}.{domain}" if name else domain, target)
        return self.send_json(200, {k: v for k, v in stored.items() if k != "domain"})

    def delete(self, domain, rid):
        with self.state.lock:
            found = next((r for r in self.state.records if r["domain"] == domain and r["id"] == rid), None)
            if found:
                self.state.records.remove(found)
        if found is None:
            return self.send_json(404, NOT_FOUND)
        if self.state.bind:
            name = found["name"]
            nsupdate(self.state.bind, self.state.tsig, "delete", f"{name}.{domain}" if name else domain, found["target"])
        return self.send_json(200, {})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token-file", required=True, help="file holding the one valid token")
    ap.add_argument("--domain", action="append", default=[], help="NAME=ID, a domain of the account")
    ap.add_argument("--record", action="append", default=[], help="DOMAIN:NAME:TARGET, preloaded")
    ap.add_argument("--page-size", type=int, default=500)
    ap.add_argument("--bind", help="HOST:PORT of a BIND to mirror TXT records into (with --tsig-file)")
    ap.add_argument("--tsig-file", help="file holding ALGORITHM:NAME:SECRET for --bind")
    a = ap.parse_args()
    tsig = open(a.tsig_file).read().strip() if a.tsig_file else None
    domains = {d.split("=", 1)[0]: int(d.split("=", 1)[1]) for d in a.domain}
    state = State(open(a.token_file).read().strip(), domains, a.page_size, a.bind, tsig)
    for spec in a.record:
        domain, name, target = spec.split(":", 2)
        state.next_id += 1
        state.records.append({"id": state.next_id, "type": "TXT", "name": name, "target": target, "priority": 0,
                              "weight": 0, "port": 0, "service": None, "protocol": None, "ttl_sec": 300, "tag": None,
                              "domain": domain})
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
