#!/usr/bin/env python3
"""A local stand-in for the Porkbun API v3 endpoints certctl uses, strict about requests.

Serves on 127.0.0.1 (port 0 = any; the port is written to --port-file), every endpoint under
/api/json/v3 and every call a POST whose JSON body carries "apikey" and "secretapikey":
  /ping                                             {"status": "SUCCESS", "yourIp"}
  /dns/retrieve/{domain}[/{id}]                      every record of the domain (or one)
  /dns/retrieveByNameType/{domain}/{type}[/{subdomain}]   the records of a type and name
  /dns/create/{domain}                              {"name", "type", "content", "ttl", "prio", "notes"} -> {"id"}
  /dns/delete/{domain}/{id}                         delete one record
Answers are {"status": "SUCCESS", ...} or, with HTTP 400, {"status": "ERROR", "message"}: "Invalid
API key. (001)" for keys it does not know, "Invalid domain." for a domain not in the account,
"Domain is not opted in to API access." for one given with --no-api-access, "Invalid record ID."
for a delete of an id it does not hold, a TTL below 600.

Anything the public API documentation does not allow is a violation: another method than POST,
a query string, a body that is not a JSON object with Content-Type: application/json, keys
missing or not strings, unknown or mistyped fields (ttl and prio are strings), a record name that
is absolute (a trailing dot, or ending in the domain: names are relative, "" for the apex), TXT
content wrapped in quotes, a domain with a trailing dot. Each is recorded and answered with 400.

--malformed DOMAIN answers that domain's reads with an HTML page; --bind HOST:PORT with
--tsig-file (ALGORITHM:NAME:SECRET) mirrors every TXT change into that BIND zone with nsupdate.

Test hooks (outside /api): GET /_test/records, GET /_test/violations, GET /_test/requests.
"""
import argparse
import re
import sys
import threading

from fake_server import JsonHandler, nsupdate, serve

BASE = "/api/json/v3"
AUTH_FIELDS = {"apikey": str, "secretapikey": str}
CREATE_FIELDS = dict(AUTH_FIELDS, name=str, type=str, content=str, ttl=str, prio=str, notes=str)
TYPES = {"A", "MX", "CNAME", "ALIAS", "TXT", "NS", "AAAA", "SRV", "TLSA", "CAA", "HTTPS", "SVCB"}
MIN_TTL = 600


class State:
    def __init__(self, key, secret, domains, no_access, malformed, bind, tsig):
        self.lock = threading.Lock()
        self.key, self.secret = key, secret
        self.domains = domains
        self.no_access = no_access
        self.malformed = malformed
        self.bind = bind
        self.tsig = tsig
        self.records = []  # {"id", "domain", "name" (fqdn, no dot), "type", "content", "ttl", "prio", "notes"}
        self.next_id = 100000
        self.requests = []


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return {"status": "ERROR", "message": "fake_porkbun: " + what}

    def error(self, message):
        return self.send_json(400, {"status": "ERROR", "message": message})

    def mirror(self, action, fqdn, value):
        if self.state.bind:
            nsupdate(self.state.bind, self.state.tsig, action, fqdn, value)

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        if self.command != "POST":
            return self.violation(f"{self.command} (the API takes POST with the keys in the body)")
        if url.query:
            return self.violation("a query string")
        if not url.path.startswith(BASE + "/"):
            return self.violation("not under " + BASE)
        path = url.path[len(BASE):]
        fields = CREATE_FIELDS if path.startswith("/dns/create/") else AUTH_FIELDS
        doc = self.json_object(body, fields, ("apikey", "secretapikey"))
        if doc is None:
            return None
        if doc["apikey"] != self.state.key or doc["secretapikey"] != self.state.secret:
            return self.error("Invalid API key. (001)")
        if path == "/ping":
            return self.send_json(200, {"status": "SUCCESS", "yourIp": self.client_address[0]})
        m = re.fullmatch(r"/dns/(retrieve|retrieveByNameType|create|delete)/([^/]+)(?:/(.*))?", path)
        if not m:
            return self.violation("no such endpoint")
        verb, domain, rest = m.group(1), m.group(2), m.group(3)
        if domain.endswith("."):
            return self.violation(f"domain {domain!r} has a trailing dot")
        if domain not in self.state.domains:
            return self.error("Invalid domain.")
        if domain in self.state.no_access:
            return self.error("Domain is not opted in to API access.")
        if verb in ("retrieve", "retrieveByNameType") and domain in self.state.malformed:
            page = b"<html><body>Service Temporarily Unavailable</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            return self.wfile.write(page)
        if verb == "retrieve":
            return self.retrieve(domain, rest)
        if verb == "retrieveByNameType":
            return self.retrieve_by_name_type(domain, rest)
        if verb == "create":
            if rest is not None:
                return self.violation("no such endpoint")
            return self.create(domain, doc)
        return self.delete(domain, rest)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any

    @staticmethod
    def listed(r):
        return {k: (str(v) if k == "id" else v) for k, v in r.items() if k != "domain"}

    def retrieve(self, domain, rest):
        if rest is not None and not re.fullmatch(r"\d+", rest):
            return self.violation(f"record id {rest!r}")
        with self.state.lock:
            out = [self.listed(r) for r in self.state.records
                   if r["domain"] == domain and (rest is None or str(r["id"]) == rest)]
        return self.send_json(200, {"status": "SUCCESS", "cloudflare": "disabled", "records": out})

    def retrieve_by_name_type(self, domain, rest):
        if not rest:
            return self.violation("no record type")
        parts = rest.split("/")
        if len(parts) > 2 or parts[0] not in TYPES:
            return self.violation(f"type/subdomain {rest!r}")
        sub = parts[1] if len(parts) == 2 else ""
        if len(parts) == 2 and not sub:
            return self.violation("an empty subdomain segment (the apex has none)")
        if sub.endswith(".") or sub.endswith("." + domain) or sub == domain or sub == "@":
            return self.violation(f"subdomain {sub!r} is not relative to {domain} (none for the apex)")
        fqdn = f"{sub}.{domain}" if sub else domain
        with self.state.lock:
            out = [self.listed(r) for r in self.state.records
                   if r["domain"] == domain and r["type"] == parts[0] and r["name"] == fqdn]
        return self.send_json(200, {"status": "SUCCESS", "records": out})

    def create(self, domain, doc):
        for k in ("type", "content"):
            if k not in doc:
                return self.violation(f"field {k!r} missing")
        if doc["type"] not in TYPES:
            return self.violation(f"type {doc['type']!r}")
        name = doc.get("name", "")
        if name.endswith(".") or name == domain or name.endswith("." + domain) or name == "@":
            return self.violation(f"name {name!r} is not relative to {domain} ('' for the apex)")
        if doc["type"] == "TXT" and doc["content"].startswith('"'):
            return self.violation(f"TXT content {doc['content']!r} is quoted")
        ttl = doc.get("ttl", str(MIN_TTL))
        if not re.fullmatch(r"\d+", ttl):
            return self.violation(f"ttl {ttl!r} is not a number in a string")
        if int(ttl) < MIN_TTL:
            return self.error(f"TTL must be at least {MIN_TTL} seconds.")
        fqdn = f"{name}.{domain}" if name else domain
        with self.state.lock:
            self.state.next_id += 1
            rec = {"id": self.state.next_id, "domain": domain, "name": fqdn, "type": doc["type"],
                   "content": doc["content"], "ttl": ttl, "prio": doc.get("prio", "0"), "notes": doc.get("notes", "")}
            self.state.records.append(rec)
        if rec["type"] == "TXT":
            self.mirror("add", fqdn, rec["content"])
        return self.send_json(200, {"status": "SUCCESS", "id": rec["id"]})

    def delete(self, domain, rest):
        if rest is None or not re.fullmatch(r"\d+", rest):
            return self.violation(f"record id {rest!r}")
        with self.state.lock:
            found = [r for r in self.state.records if r["domain"] == domain and str(r["id"]) == rest]
            self.state.records = [r for r in self.state.records if r not in found]
        if not found:
            return self.error("Invalid record ID.")
        if found[0]["type"] == "TXT":
            self.mirror("delete", found[0]["name"], found[0]["content"])
        return self.send_json(200, {"status": "SUCCESS"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--keys-file", required=True, help="file holding the one valid APIKEY:SECRETAPIKEY")
    ap.add_argument("--domain", action="append", default=[], help="a domain of the account")
    ap.add_argument("--no-api-access", action="append", default=[], help="a domain of the account with API access off")
    ap.add_argument("--malformed", action="append", default=[], help="a domain whose reads are answered with HTML")
    ap.add_argument("--record", action="append", default=[], help="DOMAIN:SUBDOMAIN:CONTENT, a TXT record preloaded")
    ap.add_argument("--bind", help="HOST:PORT of a BIND to mirror TXT records into (with --tsig-file)")
    ap.add_argument("--tsig-file", help="file holding ALGORITHM:NAME:SECRET for --bind")
    a = ap.parse_args()
    tsig = open(a.tsig_file).read().strip() if a.tsig_file else None
    key, secret = open(a.keys_file).read().strip().split(":", 1)
    state = State(key, secret, set(a.domain) | set(a.no_api_access) | set(a.malformed), set(a.no_api_access),
                  set(a.malformed), a.bind, tsig)
    for spec in a.record:
        domain, sub, content = spec.split(":", 2)
        state.next_id += 1
        state.records.append({"id": state.next_id, "domain": domain, "name": f"{sub}.{domain}" if sub else domain,
                              "type": "TXT", "content": content, "ttl": "600", "prio": "0", "notes": ""})
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
