#!/usr/bin/env python3
"""A local stand-in for the DigitalOcean API v2 Domains endpoints certctl uses, strict about
requests.

Serves on 127.0.0.1 (port 0 = any; the port is written to --port-file):
  GET    /v2/domains/{domain}                                   a domain of the account, or 404
  POST   /v2/domains/{domain}/records                           create a record (201)
  GET    /v2/domains/{domain}/records?type=&name=&page=&per_page=   list records, paged (links.pages)
  DELETE /v2/domains/{domain}/records/{id}                      delete a record (204 No Content)
Errors are the documented {"id", "message"} object: 401 "unauthorized" for a wrong token, 404
"not_found", 422 "unprocessable_entity".

Anything the public API documentation does not allow is a violation: a missing or non-Bearer
Authorization header, a body on GET/DELETE, a POST without Content-Type: application/json, unknown
or mistyped JSON fields, a name that is absolute (a trailing dot, or ending in the domain: records
are named relative to it, "@" for the apex), TXT data wrapped in quotes (DigitalOcean quotes it
itself), a TTL below 30, unknown query parameters, a `name` filter that is not the record's fully
qualified name, a per_page above 200. Each is recorded and answered with 400.

--page-size N makes every list page hold at most N records (to exercise paging); --bind
HOST:PORT with --tsig-file (a file holding ALGORITHM:NAME:SECRET) mirrors every TXT record into
that BIND zone with nsupdate (the key on its stdin), so a CA resolving through BIND validates
what was created here, as DigitalOcean's own name servers would serve it.

Test hooks (outside /v2): GET /_test/records, GET /_test/violations, GET /_test/requests.
"""
import argparse
import re
import sys
import threading
from urllib.parse import parse_qs, urlencode

from fake_server import JsonHandler, nsupdate, serve

RECORD_FIELDS = {"type": str, "name": str, "data": str, "ttl": int, "priority": (int, type(None)),
                 "port": (int, type(None)), "weight": (int, type(None)), "flags": (int, type(None)),
                 "tag": (str, type(None))}
LIST_PARAMS = {"type", "name", "page", "per_page"}


class State:
    def __init__(self, token, domains, page_size, bind, tsig):
        self.lock = threading.Lock()
        self.token = token
        self.domains = domains
        self.page_size = page_size
        self.bind = bind  # "host:port" or None
        self.tsig = tsig  # "alg:name:secret" or None
        self.records = []
        self.next_id = 1000
        self.requests = []


def fqdn_of(rec, domain):
    return domain if rec["name"] == "@" else rec["name"] + "." + domain


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return {"id": "bad_request", "message": "fake_digitalocean: " + what}

    def mirror(self, action, fqdn, value):
        if self.state.bind:
            nsupdate(self.state.bind, self.state.tsig, action, fqdn, value)

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        token = self.bearer_token()
        if token is None:
            return None
        if token != self.state.token:
            return self.send_json(401, {"id": "unauthorized", "message": "Unable to authenticate you"})
        if self.command in ("GET", "DELETE") and body:
            return self.violation(f"a body on {self.command}")
        query = parse_qs(url.query, keep_blank_values=True)
        for k, v in query.items():
            if len(v) != 1:
                return self.violation(f"query parameter {k} repeated")
        m = re.fullmatch(r"/v2/domains/([^/]+)(/records(?:/([^/]+))?)?", url.path)
        if not m:
            return self.violation("no such endpoint")
        domain, records, rid = m.group(1), m.group(2), m.group(3)
        if domain.endswith("."):
            return self.violation(f"domain {domain!r} has a trailing dot")
        if domain not in self.state.domains:
            return self.send_json(404, {"id": "not_found", "message": "The resource you were accessing could not be found."})
        if not records and self.command == "GET" and not query:
            return self.send_json(200, {"domain": {"name": domain, "ttl": 1800, "zone_file": ""}})
        if records and rid is None and self.command == "POST":
            return self.create(domain, body)
        if records and rid is None and self.command == "GET":
            return self.list_records(domain, query)
        if records and rid is not None and self.command == "DELETE":
            return self.delete(domain, rid)
        return self.violation("no such endpoint")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any

    def create(self, domain, body):
        rec = self.json_object(body, RECORD_FIELDS, ("type", "name", "data"))
        if rec is None:
            return None
        if rec["type"] != "TXT":
            return self.violation(f"type {rec['type']!r} (only TXT expected)")
        name = rec["name"]
        if name.endswith(".") or name == domain or name.endswith("." + domain) or not name:
            return self.violation(f"name {name!r} is not relative to {domain} ('@' for the apex)")
        if rec["data"].startswith('"'):
            return self.violation(f"TXT data {rec['data']!r} is quoted (DigitalOcean quotes it itself)")
        ttl = rec.get("ttl", 1800)
        if ttl < 30:
            return self.send_json(422, {"id": "unprocessable_entity", "message": "TTL must be at least 30"})
        with self.state.lock:
            self.state.next_id += 1
            stored = {"id": self.state.next_id, "type": "TXT", "name": name, "data": rec["data"], "priority": None,
                      "port": None, "ttl": ttl, "weight": None, "flags": None, "tag": None, "domain": domain}
            self.state.records.append(stored)
        self.mirror("add", fqdn_of(stored, domain), stored["data"])
        out = {k: v for k, v in stored.items() if k != "domain"}
        return self.send_json(201, {"domain_record": out})

    def list_records(self, domain, query):
        unknown = set(query) - LIST_PARAMS
        if unknown:
            return self.violation(f"unknown query parameters {sorted(unknown)}")
        q = {k: v[0] for k, v in query.items()}
        if "name" in q and (q["name"].endswith(".") or not (q["name"] == domain or q["name"].endswith("." + domain))):
            return self.violation(f"name filter {q['name']!r} is not a fully qualified name in {domain}")
        page = int(q.get("page", "1"))
        per_page = int(q.get("per_page", "20"))
        if page < 1 or not 1 <= per_page <= 200:
            return self.violation(f"page {page} / per_page {per_page} out of range (per_page 1..200)")
        per_page = min(per_page, self.state.page_size)
        with self.state.lock:
            out = [{k: v for k, v in r.items() if k != "domain"} for r in self.state.records if r["domain"] == domain
                   and ("type" not in q or r["type"] == q["type"])
                   and ("name" not in q or fqdn_of(r, domain) == q["name"].lower())]
        chunk = out[(page - 1) * per_page: page * per_page]
        pages = {}
        base = f"http://{self.headers.get('Host')}/v2/domains/{domain}/records?"
        last = max(1, (len(out) + per_page - 1) // per_page)
        if page < last:
            pages["next"] = base + urlencode({**q, "page": page + 1})
            pages["last"] = base + urlencode({**q, "page": last})
        return self.send_json(200, {"domain_records": chunk, "links": {"pages": pages} if pages else {},
                                    "meta": {"total": len(out)}})

    def delete(self, domain, rid):
        with self.state.lock:
            for i, r in enumerate(self.state.records):
                if r["domain"] == domain and str(r["id"]) == rid:
                    del self.state.records[i]
                    break
            else:
                r = None
        if r is None:
            return self.send_json(404, {"id": "not_found", "message": "The resource you were accessing could not be found."})
        self.mirror("delete", fqdn_of(r, domain), r["data"])
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token-file", required=True, help="file holding the one valid token")
    ap.add_argument("--domain", action="append", default=[], help="a domain of the account")
    ap.add_argument("--record", action="append", default=[], help="DOMAIN:NAME:DATA, preloaded")
    ap.add_argument("--page-size", type=int, default=200)
    ap.add_argument("--bind", help="HOST:PORT of a BIND to mirror TXT records into (with --tsig-file)")
    ap.add_argument("--tsig-file", help="file holding ALGORITHM:NAME:SECRET for --bind")
    a = ap.parse_args()
    tsig = open(a.tsig_file).read().strip() if a.tsig_file else None
    state = State(open(a.token_file).read().strip(), set(a.domain), a.page_size, a.bind, tsig)
    for spec in a.record:
        domain, name, data = spec.split(":", 2)
        state.next_id += 1
        state.records.append({"id": state.next_id, "type": "TXT", "name": name, "data": data, "priority": None,
                              "port": None, "ttl": 300, "weight": None, "flags": None, "tag": None, "domain": domain})
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
