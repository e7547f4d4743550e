#!/usr/bin/env python3
"""A local stand-in for the GoDaddy Domains API v1 endpoints certctl uses, strict about requests.

Serves on 127.0.0.1 (port 0 = any; the port is written to --port-file):
  GET    /v1/domains/{domain}                               a domain of the account, or 404
  GET    /v1/domains/{domain}/records/{type}/{name}?offset=&limit=   the records of a type and name
  PUT    /v1/domains/{domain}/records/{type}/{name}         replace them: [{"data", "ttl", ...}]
  DELETE /v1/domains/{domain}/records/{type}/{name}         delete them (204; 404 when there are none)
  PATCH  /v1/domains/{domain}/records                       add records: [{"type", "name", "data", "ttl"}]
Errors are the documented {"code", "message"[, "fields"]} object: 401 UNABLE_TO_AUTHENTICATE
for a wrong key or secret, 403 ACCESS_DENIED for the key given with --denied-key (an account
without access to the API), 404 NOT_FOUND, 422 INVALID_BODY with fields[] (a TTL below 600).

Anything the public API documentation does not allow is a violation: an Authorization header
that is not "sso-key KEY:SECRET", a body on GET/DELETE, a PUT/PATCH without Content-Type:
application/json or whose body is not an array of record objects with the documented fields
and types, a name that is absolute (a trailing dot, or ending in the domain: records are named
relative to it, "@" for the apex), a domain with a trailing dot, TXT data wrapped in quotes,
unknown query parameters, offset/limit that are not integers in range, an empty PUT (DELETE is
how a name loses its last record). Each is recorded and answered with 400.

--page-size N makes every list page hold at most N records; --malformed DOMAIN answers that
domain's record lists with an HTML page; --bind HOST:PORT with --tsig-file
(ALGORITHM:NAME:SECRET) mirrors every TXT change into that BIND zone with nsupdate, so a CA
resolving through BIND validates what was written here.

Test hooks (outside /v1): GET /_test/records, GET /_test/violations, GET /_test/requests.
"""
import argparse
import json
import re
import sys
import threading
from urllib.parse import parse_qs, unquote

from fake_server import JsonHandler, nsupdate, serve

# DNSRecordCreateTypeName (PUT .../records/{type}/{name}) and DNSRecord (PATCH .../records).
PUT_FIELDS = {"data": str, "ttl": int, "port": int, "priority": int, "protocol": str, "service": str, "weight": int}
PATCH_FIELDS = dict(PUT_FIELDS, type=str, name=str)
TYPES = {"A", "AAAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT", "CAA"}
MIN_TTL = 600


class State:
    def __init__(self, auth, denied, domains, page_size, bind, tsig, malformed):
        self.lock = threading.Lock()
        self.malformed = malformed  # domains whose record lists come back as HTML (a broken proxy)
        self.auth = auth  # "KEY:SECRET"
        self.denied = denied  # "KEY:SECRET" of an account without API access, or None
        self.domains = domains
        self.page_size = page_size
        self.bind = bind
        self.tsig = tsig
        self.records = []  # {"domain", "type", "name", "data", "ttl"}
        self.requests = []


def fqdn_of(name, domain):
    return domain if name == "@" else name + "." + domain


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return {"code": "INVALID_REQUEST", "message": "fake_godaddy: " + what}

    def mirror(self, action, domain, name, value):
        if self.state.bind:
            nsupdate(self.state.bind, self.state.tsig, action, fqdn_of(name, domain), value)

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        auth = self.headers.get("Authorization")
        m = re.fullmatch(r"sso-key ([^:\s]+):(\S+)", auth or "")
        if not m:
            return self.violation(f"Authorization is not 'sso-key KEY:SECRET': {auth!r}")
        given = m.group(1) + ":" + m.group(2)
        if self.state.denied and given == self.state.denied:
            return self.send_json(403, {"code": "ACCESS_DENIED", "message": "Authenticated user is not allowed access"})
        if given != self.state.auth:
            return self.send_json(401, {"code": "UNABLE_TO_AUTHENTICATE",
                                        "message": "Unauthorized : Could not authenticate API key/secret"})
        accept = self.headers.get("Accept")
        if accept is not None and "application/json" not in accept and "*/*" not in accept:
            return self.violation(f"Accept {accept!r} (the API answers application/json)")
        if self.command in ("GET", "DELETE") and body:
            return self.violation(f"a body on {self.command}")
        query = parse_qs(url.query, keep_blank_values=True)
        for k, v in query.items():
            if len(v) != 1:
                return self.violation(f"query parameter {k} repeated")
        m = re.fullmatch(r"/v1/domains/([^/]+)(/records(?:/([^/]+)/([^/]+))?)?", url.path)
        if not m:
            return self.violation("no such endpoint")
        domain, records, rtype, name = m.group(1), m.group(2), m.group(3), m.group(4)
        name = unquote(name) if name is not None else None
        if domain.endswith("."):
            return self.violation(f"domain {domain!r} has a trailing dot")
        if domain not in self.state.domains:
            return self.send_json(404, {"code": "NOT_FOUND", "message": f"Domain {domain} not found"})
        if not records:
            if self.command != "GET" or query:
                return self.violation("no such endpoint")
            return self.send_json(200, {"domain": domain, "domainId": 1000 + len(domain), "status": "ACTIVE",
                                        "nameServers": ["ns01.domaincontrol.com", "ns02.domaincontrol.com"]})
        if rtype is None:
            if self.command != "PATCH" or query:
                return self.violation("no such endpoint (certctl uses .../records/{type}/{name} and PATCH .../records)")
            return self.patch(domain, body)
        if rtype not in TYPES:
            return self.violation(f"record type {rtype!r}")
        if name.endswith(".") or name == domain or name.endswith("." + domain) or not name:
            return self.violation(f"name {name!r} is not relative to {domain} ('@' for the apex)")
        if self.command == "GET" and domain in self.state.malformed:
            page = b"<html><body>502 Bad Gateway</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            return self.wfile.write(page)
        if self.command == "GET":
            return self.list_records(domain, rtype, name, query)
        if query:
            return self.violation(f"query parameters on {self.command}")
        if self.command == "PUT":
            return self.put(domain, rtype, name, body)
        if self.command == "DELETE":
            return self.delete(domain, rtype, name)
        return self.violation("no such endpoint")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any

    def record_list(self, body, fields, required):
        """The array of record objects a PUT/PATCH body carries, checked against the documented
        schema; None, with the violation recorded and answered, when it breaks it."""
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip() != "application/json":
            return self.violation(f"{self.command} without Content-Type: application/json ({ctype!r})")
        try:
            doc = json.loads(body)
        except ValueError:
            return self.violation("body is not JSON")
        if not isinstance(doc, list):
            return self.violation("body is not a JSON array of records")
        for rec in doc:
            if not isinstance(rec, dict):
                return self.violation("a record is not a JSON object")
            for k, v in rec.items():
                if k not in fields:
                    return self.violation(f"unknown field {k!r}")
                if not isinstance(v, fields[k]) or isinstance(v, bool):
                    return self.violation(f"field {k!r} has the wrong JSON type: {v!r}")
            for k in required:
                if k not in rec:
                    return self.violation(f"field {k!r} missing")
            if rec["data"].startswith('"'):
                return self.violation(f"TXT data {rec['data']!r} is quoted (GoDaddy quotes it itself)")
        return doc

    def ttl_error(self, recs):
        for i, r in enumerate(recs):
            if r.get("ttl", 3600) < MIN_TTL:
                self.send_json(422, {"code": "INVALID_BODY", "message": "Request body doesn't fulfill schema, see details in `fields`",
                                     "fields": [{"path": f"records[{i}].ttl", "pathRelated": "", "code": "MISMATCH_FORMAT",
                                                 "message": f"must be greater than or equal to {MIN_TTL}"}]})
                return True
        return False

    def list_records(self, domain, rtype, name, query):
        unknown = set(query) - {"offset", "limit"}
        if unknown:
            return self.violation(f"unknown query parameters {sorted(unknown)}")
        try:
            offset = int(query.get("offset", ["0"])[0])
            limit = int(query.get("limit", ["500"])[0])
        except ValueError:
            return self.violation("offset/limit are not integers")
        if offset < 0 or not 1 <= limit <= 500:
            return self.violation(f"offset {offset} / limit {limit} out of range")
        limit = min(limit, self.state.page_size)
        with self.state.lock:
            out = [{"data": r["data"], "name": r["name"], "ttl": r["ttl"], "type": r["type"]}
                   for r in self.state.records if (r["domain"], r["type"], r["name"]) == (domain, rtype, name)]
        return self.send_json(200, out[offset:offset + limit])

    def put(self, domain, rtype, name, body):
        recs = self.record_list(body, PUT_FIELDS, ("data",))
        if recs is None:
            return None
        if not recs:
            return self.violation("an empty PUT (delete the records instead)")
        if self.ttl_error(recs):
            return None
        with self.state.lock:
            old = [r for r in self.state.records if (r["domain"], r["type"], r["name"]) == (domain, rtype, name)]
            self.state.records = [r for r in self.state.records if r not in old]
            new = [{"domain": domain, "type": rtype, "name": name, "data": r["data"], "ttl": r.get("ttl", 3600)}
                   for r in recs]
            self.state.records.extend(new)
        if rtype == "TXT":
            for d in {r["data"] for r in old} - {r["data"] for r in new}:
                self.mirror("delete", domain, name, d)
            for d in {r["data"] for r in new} - {r["data"] for r in old}:
                self.mirror("add", domain, name, d)
        return self.send_json(200, {})

    def patch(self, domain, body):
        recs = self.record_list(body, PATCH_FIELDS, ("type", "name", "data"))
        if recs is None:
            return None
        if self.ttl_error(recs):
            return None
        with self.state.lock:
            for r in recs:
                self.state.records.append({"domain": domain, "type": r["type"], "name": r["name"], "data": r["data"],
                                           "ttl": r.get("ttl", 3600)})
        for r in recs:
            if r["type"] == "TXT":
                self.mirror("add", domain, r["name"], r["data"])
        return self.send_json(200, {})

    def delete(self, domain, rtype, name):
        with self.state.lock:
            old = [r for r in self.state.records if (r["domain"], r["type"], r["name"]) == (domain, rtype, name)]
            self.state.records = [r for r in self.state.records if r not in old]
        if not old:
            return self.send_json(404, {"code": "NOT_FOUND", "message": f"No {rtype} records named {name}"})
        if rtype == "TXT":
            for d in {r["data"] for r in old}:
                self.mirror("delete", domain, name, d)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--auth-file", required=True, help="file holding the one valid KEY:SECRET")
    ap.add_argument("--denied-file", help="file holding a KEY:SECRET answered 403 ACCESS_DENIED")
    ap.add_argument("--domain", action="append", default=[], help="a domain of the account")
    ap.add_argument("--record", action="append", default=[], help="DOMAIN:NAME:DATA, a TXT record preloaded")
    ap.add_argument("--page-size", type=int, default=500)
    ap.add_argument("--malformed", action="append", default=[], help="a domain whose record lists are not JSON")
    ap.add_argument("--bind", help="HOST:PORT of a BIND to mirror TXT records into (with --tsig-file)")
    ap.add_argument("--tsig-file", help="file holding ALGORITHM:NAME:SECRET for --bind")
    a = ap.parse_args()
    tsig = open(a.tsig_file).read().strip() if a.tsig_file else None
    denied = open(a.denied_file).read().strip() if a.denied_file else None
    state = State(open(a.auth_file).read().strip(), denied, set(a.domain) | set(a.malformed), a.page_size, a.bind, tsig,
                  set(a.malformed))
    for spec in a.record:
        domain, name, data = spec.split(":", 2)
        state.records.append({"domain": domain, "type": "TXT", "name": name, "data": data, "ttl": 3600})
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
