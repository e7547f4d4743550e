#!/usr/bin/env python3
"""A local stand-in for the Gandi LiveDNS API (v5) endpoints certctl uses, strict about requests.

Serves on 127.0.0.1 (port 0 = any; the port is written to --port-file) under /v5/livedns:
  GET    /v5/livedns/domains/{fqdn}                                a LiveDNS domain, or 404
  GET    /v5/livedns/domains/{fqdn}/records/{rrset_name}/{type}    an RRset, or 404
  PUT    /v5/livedns/domains/{fqdn}/records/{rrset_name}/{type}    create or replace it (201)
  DELETE /v5/livedns/domains/{fqdn}/records/{rrset_name}/{type}    delete it (204), or 404
Errors are the documented {"code", "message", "object", "cause"} object: 401 for a wrong token,
403 for a token without the right to the domain, 404, 400 for a bad TTL.

Anything the public API documentation does not allow is a violation: an Authorization header
that is not "Bearer <personal access token>" (the deprecated "Apikey" scheme included), a body on
GET/DELETE, a PUT without Content-Type: application/json, unknown or mistyped fields
(rrset_values a list of strings, rrset_ttl an integer), an empty rrset_values, an rrset_name that
is absolute (a trailing dot, or ending in the domain: "@" for the apex), a TXT value that is not
one or more quoted character-strings, a query string. Each is recorded and answered with 400.
An rrset_ttl outside 300..2592000 is answered 400 as LiveDNS does.

--forbidden-domain NAME answers that domain with 403 (a token without the right to it);
--broken-domain NAME answers its RRset reads with a body that is not JSON; --bind HOST:PORT with
--tsig-file (ALGORITHM:NAME:SECRET) mirrors every TXT value into that BIND zone with nsupdate.

Test hooks (outside /v5): GET /_test/records, GET /_test/violations, GET /_test/requests.
"""
import argparse
import re
import sys
import threading

from fake_server import JsonHandler, nsupdate, serve

QUOTED_TXT = re.compile(r'^"(?:[^"\\]|\\.){0,255}"(?: "(?:[^"\\]|\\.){0,255}")*$')
RRSET_FIELDS = {"rrset_values": list, "rrset_ttl": int}


def unquote(value):
    return "".join(re.sub(r'\\(.)', r'\1', s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', value))


class State:
    def __init__(self, token, domains, forbidden, broken, bind, tsig):
        self.lock = threading.Lock()
        self.token = token
        self.domains = domains
        self.forbidden = forbidden
        self.broken = broken
        self.bind = bind
        self.tsig = tsig
        self.records = []  # {"domain", "rrset_name", "rrset_type", "rrset_ttl", "rrset_values"}
        self.requests = []


def fqdn_of(name, domain):
    return domain if name == "@" else name + "." + domain


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return {"code": 400, "message": "fake_gandi: " + what, "object": "HTTPBadRequest", "cause": "Bad Request"}

    def error(self, status, obj, cause, message):
        return self.send_json(status, {"code": status, "message": message, "object": obj, "cause": cause})

    def mirror(self, action, domain, name, values):
        if self.state.bind:
            for v in values:
                nsupdate(self.state.bind, self.state.tsig, action, fqdn_of(name, domain), unquote(v))

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        auth = self.headers.get("Authorization")
        if auth is None or not auth.startswith("Bearer ") or len(auth) <= len("Bearer "):
            return self.violation(f"Authorization is not 'Bearer <personal access token>': {auth!r}")
        if auth[len("Bearer "):] != self.state.token:
            return self.error(401, "HTTPUnauthorized", "Unauthorized", "The server could not verify that you authorized to "
                              "access the document you requested.")
        if self.command in ("GET", "DELETE") and body:
            return self.violation(f"a body on {self.command}")
        if url.query:
            return self.violation(f"unexpected query {url.query!r}")
        m = re.fullmatch(r"/v5/livedns/domains/([^/]+)(?:/records/([^/]+)/([^/]+))?", url.path)
        if not m:
            return self.violation("no such endpoint")
        domain, name, rtype = m.group(1), m.group(2), m.group(3)
        if domain.endswith("."):
            return self.violation(f"domain {domain!r} has a trailing dot")
        if domain in self.state.forbidden:
            return self.error(403, "HTTPForbidden", "Forbidden", "Access was denied to this resource.")
        if domain not in self.state.domains and domain not in self.state.broken:
            return self.error(404, "HTTPNotFound", "Not Found", "The resource could not be found.")
        if name is None:
            if self.command != "GET":
                return self.violation("no such endpoint")
            return self.send_json(200, {"fqdn": domain, "automatic_snapshots": True,
                                        "domain_records_href": f"http://{self.headers.get('Host')}/v5/livedns/domains/{domain}/records",
                                        "domain_href": f"http://{self.headers.get('Host')}/v5/livedns/domains/{domain}"})
        if name.endswith(".") or name == domain or name.endswith("." + domain) or not name:
            return self.violation(f"rrset_name {name!r} is not relative to {domain} ('@' for the apex)")
        if rtype != "TXT":
            return self.violation(f"type {rtype!r} (only TXT expected)")
        if self.command == "GET":
            return self.get_rrset(domain, name)
        if self.command == "PUT":
            return self.put_rrset(domain, name, body)
        if self.command == "DELETE":
            return self.delete_rrset(domain, name)
        return self.violation("no such endpoint")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any

    def find(self, domain, name):
        return next((r for r in self.state.records if r["domain"] == domain and r["rrset_name"] == name), None)

    def get_rrset(self, domain, name):
        if domain in self.state.broken:
            body = b"<html>502 Bad Gateway</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        with self.state.lock:
            r = self.find(domain, name)
            out = None if r is None else {k: v for k, v in r.items() if k != "domain"}
        if out is None:
            return self.error(404, "HTTPNotFound", "Not Found", "The resource could not be found.")
        out["rrset_href"] = f"http://{self.headers.get('Host')}/v5/livedns/domains/{domain}/records/{name}/TXT"
        return self.send_json(200, out)

    def put_rrset(self, domain, name, body):
        doc = self.json_object(body, RRSET_FIELDS, ("rrset_values",))
        if doc is None:
            return None
        values = doc["rrset_values"]
        if not values:
            return self.violation("rrset_values is empty")
        for v in values:
            if not isinstance(v, str) or not QUOTED_TXT.match(v):
                return self.violation(f"TXT value {v!r} is not quoted character-strings")
        ttl = doc.get("rrset_ttl", 10800)
        if not 300 <= ttl <= 2592000:
            return self.error(400, "HTTPBadRequest", "Bad Request", f"rrset_ttl: {ttl} is not between 300 and 2592000")
        values = list(dict.fromkeys(values))
        with self.state.lock:
            r = self.find(domain, name)
            before = [] if r is None else r["rrset_values"]
            if r is None:
                r = {"domain": domain, "rrset_name": name, "rrset_type": "TXT"}
                self.state.records.append(r)
            r.update(rrset_ttl=ttl, rrset_values=values)
        self.mirror("delete", domain, name, [v for v in before if v not in values])
        self.mirror("add", domain, name, [v for v in values if v not in before])
        return self.send_json(201, {"message": "DNS Record Created"})

    def delete_rrset(self, domain, name):
        with self.state.lock:
            r = self.find(domain, name)
            if r is not None:
                self.state.records.remove(r)
        if r is None:
            return self.error(404, "HTTPNotFound", "Not Found", "The resource could not be found.")
        self.mirror("delete", domain, name, r["rrset_values"])
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token-file", required=True, help="file holding the one valid personal access token")
    ap.add_argument("--domain", action="append", default=[], help="a LiveDNS domain the token may manage")
    ap.add_argument("--record", action="append", default=[], help="DOMAIN:NAME:VALUE (a quoted TXT value), preloaded")
    ap.add_argument("--forbidden-domain", action="append", default=[])
    ap.add_argument("--broken-domain", action="append", default=[])
    ap.add_argument("--bind", help="HOST:PORT of a BIND to mirror TXT records into (with --tsig-file)")
    ap.add_argument("--tsig-file", help="file holding ALGORITHM:NAME:SECRET for --bind")
    a = ap.parse_args()
    tsig = open(a.tsig_file).read().strip() if a.tsig_file else None
    state = State(open(a.token_file).read().strip(), set(a.domain), set(a.forbidden_domain), set(a.broken_domain),
                  a.bind, tsig)
    for spec in a.record:
        domain, name, value = spec.split(":", 2)
        r = next((r for r in state.records if r["domain"] == domain and r["rrset_name"] == name), None)
        if r is None:
            state.records.append({"domain": domain, "rrset_name": name, "rrset_type": "TXT", "rrset_ttl": 10800,
                                  "rrset_values": [value]})
        else:
            r["rrset_values"].append(value)
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
