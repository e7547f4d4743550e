#!/usr/bin/env python3
"""A local stand-in for the Microsoft Entra ID token endpoint and the Azure DNS REST API
(Azure Resource Manager, api-version 2018-05-01) endpoints certctl uses, strict about requests.

Serves both on 127.0.0.1 (port 0 = any; the port is written to --port-file), so certctl's
login-url and api-url are both this server's URL:
  POST   /{tenant}/oauth2/v2.0/token                  client-credentials grant (form-encoded)
  GET    /subscriptions/{sub}/providers/Microsoft.Network/dnszones          the zones, paged (nextLink)
  GET    /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/dnsZones/{zone}
  GET    .../dnsZones/{zone}/TXT/{name}               a TXT record set ("@" at the apex), or 404
  PUT    .../dnsZones/{zone}/TXT/{name}               create (201) or replace (200) it
  DELETE .../dnsZones/{zone}/TXT/{name}               delete it (200; 204 when there was none)

The token endpoint checks the form (Content-Type application/x-www-form-urlencoded, exactly
client_id, client_secret, scope and grant_type=client_credentials, each once, no Authorization
header), the tenant in the path, the client id and secret, and that the scope is this server's
URL + "/.default" (the resource of the API it serves; --resource URL allows another). It answers as Entra ID does: a Bearer
access_token with expires_in, or {"error", "error_description"} (invalid_client with
AADSTS7000215 for a wrong secret, unauthorized_client with AADSTS700016 for an unknown client,
invalid_request with AADSTS90002 for an unknown tenant, invalid_scope with AADSTS70011).

The DNS endpoints check the Bearer token (one this server issued and not expired, else 401
InvalidAuthenticationToken or ExpiredAuthenticationToken), api-version=2018-05-01 on every
request (and only $top/$skipToken besides, on the zone list), the path, no body on GET and
DELETE, and a PUT's JSON body: Content-Type application/json, only "etag" and "properties" at the
top, only TTL (an integer), TXTRecords (a list of {"value": [strings of 1 to 255 characters]})
and metadata (strings) in properties, TTL and TXTRecords present. If-Match and If-None-Match
are honoured as documented: a write whose If-Match is not the set's current etag (or that has
one when the set does not exist), or whose If-None-Match is "*" when the set exists, gets 412
PreconditionFailed. --garbled ZONE makes every record-set read in ZONE answer 200 with an HTML
body (a malformed answer). --race N makes the first N writes with If-Match meet a concurrent change
(the etag moves just before), to exercise re-reading. Errors are {"error": {"code", "message"}}:
ResourceNotFound for an unknown zone, ResourceGroupNotFound, SubscriptionNotFound.

Anything the documentation does not allow is a violation, recorded and answered with 400.
--bind HOST:PORT with --tsig-file (ALGORITHM:NAME:SECRET) mirrors every TXT value into that
BIND zone with nsupdate, as Azure's name servers would serve it.

Test hooks: GET /_test/records ({"zone", "resource_group", "name", "ttl", "values", "etag"} per
set, values joined), GET /_test/violations, GET /_test/requests.
"""
import argparse
import re
import secrets
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs, quote, unquote

from fake_server import JsonHandler, nsupdate, serve

API_VERSION = "2018-05-01"
FORM_FIELDS = {"client_id", "client_secret", "scope", "grant_type"}
PUT_FIELDS = {"etag", "properties"}
PROP_FIELDS = {"TTL": int, "TXTRecords": list, "metadata": dict}
NET = r"/providers/microsoft\.network/dnszones"


def arm_error(code, message):
    return {"error": {"code": code, "message": message}}


def entra_error(error, code, text):
    return {"error": error, "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {uuid.uuid4()}\r\n"
            f"Correlation ID: {uuid.uuid4()}\r\nTimestamp: 2026-01-01 00:00:00Z", "error_codes": [code],
            "timestamp": "2026-01-01 00:00:00Z", "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())}


class State:
    def __init__(self, a, secret, tsig):
        self.lock = threading.Lock()
        self.tenant = a.tenant
        self.client_id = a.client_id
        self.secret = secret
        self.subscription = a.subscription
        self.lifetime = a.token_lifetime
        self.page_size = a.page_size
        self.race = a.race
        self.bind = a.bind
        self.resources = a.resource
        self.garbled = {z.lower() for z in a.garbled}
        self.tsig = tsig
        self.tokens = {}   # token -> expiry (time.time())
        self.zones = {}    # zone (lower case) -> resource group
        self.sets = {}     # (zone, name lower case) -> {"name", "ttl", "records", "etag", "metadata"}
        self.records = []  # rebuilt for /_test/records
        self.requests = []

    def snapshot(self):
        self.records = [{"zone": z, "resource_group": self.zones[z], "name": s["name"], "ttl": s["ttl"],
                         "values": ["".join(r["value"]) for r in s["records"]], "etag": s["etag"]}
                        for (z, _), s in sorted(self.sets.items())]


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return arm_error("BadRequest", "fake_azure: " + what)

    def test_hook(self, path):
        with self.state.lock:
            self.state.snapshot()
        return super().test_hook(path)

    def mirror(self, zone, name, before, after):
        if not self.state.bind:
            return
        fqdn = zone if name == "@" else f"{name}.{zone}"
        for v in before:
            if v not in after:
                nsupdate(self.state.bind, self.state.tsig, "delete", fqdn, v)
        for v in after:
            if v not in before:
                nsupdate(self.state.bind, self.state.tsig, "add", fqdn, v)

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        if re.fullmatch(r"/[^/]+/oauth2/v2\.0/token", url.path):
            return self.token(url, body)
        return self.arm(url, body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any

    # --- Microsoft Entra ID -------------------------------------------------------------
    def token(self, url, body):
        if self.command != "POST":
            return self.violation("the token endpoint takes POST")
        if url.query:
            return self.violation("a query on the token endpoint (the form goes in the body)")
        if "Authorization" in self.headers:
            return self.violation("an Authorization header on the token request (the secret goes in the form)")
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip() != "application/x-www-form-urlencoded":
            return self.violation(f"token request without Content-Type: application/x-www-form-urlencoded ({ctype!r})")
        try:
            form = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=True)
        except (ValueError, UnicodeDecodeError):
            return self.violation("token request body is not form-encoded")
        if set(form) != FORM_FIELDS:
            return self.violation(f"token request fields {sorted(form)} (expected {sorted(FORM_FIELDS)})")
        if any(len(v) != 1 for v in form.values()):
            return self.violation("a token request field repeated")
        f = {k: v[0] for k, v in form.items()}
        if f["grant_type"] != "client_credentials":
            return self.violation(f"grant_type {f['grant_type']!r}")
        tenant = unquote(url.path.split("/")[1])
        if tenant != self.state.tenant:
            return self.send_json(400, entra_error("invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."))
        expected_scope = f"http://{self.headers.get('Host')}/.default"
        if f["scope"] != expected_scope and f["scope"] not in [r + "/.default" for r in self.state.resources]:
            return self.send_json(400, entra_error("invalid_scope", 70011, f"The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {f['scope']} is not valid (expected {expected_scope})."))
        if f["client_id"] != self.state.client_id:
            return self.send_json(400, entra_error("unauthorized_client", 700016, f"Application with identifier '{f['client_id']}' was not found in the directory '{tenant}'."))
        if not secrets.compare_digest(f["client_secret"].encode(), self.state.secret.encode()):
            return self.send_json(401, entra_error("invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" + self.state.client_id + "'."))
        token = "eyJ0eXAiOiJKV1QifQ." + secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.tokens[token] = time.time() + self.state.lifetime
        return self.send_json(200, {"token_type": "Bearer", "expires_in": self.state.lifetime,
                                    "ext_expires_in": self.state.lifetime, "access_token": token})

    # --- Azure Resource Manager ---------------------------------------------------------
    def arm(self, url, body):
        token = self.bearer_token()
        if token is None:
            return None
        with self.state.lock:
            expiry = self.state.tokens.get(token)
        if expiry is None:
            return self.send_json(401, arm_error("InvalidAuthenticationToken", "The access token is invalid."))
        if expiry < time.time():
            return self.send_json(401, arm_error("ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time."))
        query = parse_qs(url.query, keep_blank_values=True)
        if query.get("api-version") != [API_VERSION]:
            return self.violation(f"api-version {query.get('api-version')!r} (expected {API_VERSION}, once)")
        if self.command in ("GET", "DELETE") and body:
            return self.violation(f"a body on {self.command}")
        path = url.path
        m = re.fullmatch(r"/subscriptions/([^/]+)" + NET, path, re.I)
        if m:
            if self.command != "GET" or set(query) - {"api-version", "$top", "$skipToken"}:
                return self.violation("zone list: GET with api-version, $top, $skipToken only")
            if not self.subscription_ok(m.group(1)):
                return None
            return self.list_zones(query)
        if set(query) != {"api-version"}:
            return self.violation(f"unknown query parameters {sorted(set(query) - {'api-version'})}")
        m = re.fullmatch(r"/subscriptions/([^/]+)/resourcegroups/([^/]+)" + NET + r"/([^/]+)(?:/TXT/([^/]+))?", path, re.I)
        if not m:
            return self.violation("no such endpoint")
        sub, rg, zone, name = m.group(1), unquote(m.group(2)), unquote(m.group(3)), m.group(4)
        if not self.subscription_ok(sub):
            return None
        if zone.endswith("."):
            return self.violation(f"zone {zone!r} has a terminating dot")
        zone = zone.lower()
        with self.state.lock:
            known_rg = self.state.zones.get(zone)
            rgs = {g.lower() for g in self.state.zones.values()}
        if rg.lower() not in rgs:
            return self.send_json(404, arm_error("ResourceGroupNotFound", f"Resource group '{rg}' could not be found."))
        if known_rg is None or known_rg.lower() != rg.lower():
            return self.send_json(404, arm_error("ResourceNotFound", f"The Resource 'Microsoft.Network/dnszones/{zone}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"))
        if name is None:
            if self.command != "GET":
                return self.violation("no such endpoint")
            return self.send_json(200, self.zone_doc(zone))
        name = unquote(name)
        if name != "@" and (name.endswith(".") or name.lower() == zone or name.lower().endswith("." + zone) or not name):
            return self.violation(f"record set name {name!r} is not relative to {zone} ('@' for the apex)")
        if self.command == "GET" and zone in self.state.garbled:
            return self.garbled()
        if self.command == "GET":
            return self.get_set(zone, name)
        if self.command == "PUT":
            return self.put_set(zone, name, body)
        if self.command == "DELETE":
            return self.delete_set(zone, name)
        return self.violation("no such endpoint")

    def garbled(self):
        body = b"<html><body>502 Bad Gateway</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def subscription_ok(self, sub):
        if sub != self.state.subscription:
            self.send_json(404, arm_error("SubscriptionNotFound", f"The subscription '{sub}' could not be found."))
            return False
        return True

    def zone_doc(self, zone):
        rg = self.state.zones[zone]
        return {"id": f"/subscriptions/{self.state.subscription}/resourceGroups/{rg}/providers/Microsoft.Network/dnszones/{zone}",
                "etag": "00000000-0000-0000-0000-000000000000", "location": "global", "name": zone,
                "type": "Microsoft.Network/dnszones", "tags": {},
                "properties": {"maxNumberOfRecordSets": 10000, "numberOfRecordSets": 2, "zoneType": "Public",
                               "nameServers": ["ns1-01.azure-dns.com."]}}

    def list_zones(self, query):
        with self.state.lock:
            zones = sorted(self.state.zones)
        size = self.state.page_size
        if "$top" in query:
            try:
                size = min(size, int(query["$top"][0]))
            except ValueError:
                return self.violation("$top is not an integer")
        start = 0
        if "$skipToken" in query:
            try:
                start = int(query["$skipToken"][0])
            except ValueError:
                return self.violation("$skipToken is not one this server gave")
        doc = {"value": [self.zone_doc(z) for z in zones[start:start + size]]}
        if start + size < len(zones):
            doc["nextLink"] = (f"http://{self.headers.get('Host')}/subscriptions/{self.state.subscription}"
                               f"/providers/Microsoft.Network/dnszones?api-version={API_VERSION}&$skipToken={start + size}")
        return self.send_json(200, doc)

    def set_doc(self, zone, s):
        rg = self.state.zones[zone]
        props = {"TTL": s["ttl"], "fqdn": (zone if s["name"] == "@" else s["name"] + "." + zone) + ".",
                 "provisioningState": "Succeeded", "targetResource": {}, "TXTRecords": s["records"]}
        if s["metadata"] is not None:
            props["metadata"] = s["metadata"]
        return {"id": f"/subscriptions/{self.state.subscription}/resourceGroups/{rg}/providers/Microsoft.Network/dnszones/{zone}/TXT/{s['name']}",
                "name": s["name"], "type": "Microsoft.Network/dnszones/TXT", "etag": s["etag"], "properties": props}

    def not_found_set(self, zone, name):
        return self.send_json(404, arm_error("NotFound", f"The resource record '{name}' does not exist in resource group '{self.state.zones[zone]}' of subscription '{self.state.subscription}'."))

    def precondition(self, found):
        """412 unless the write's If-Match / If-None-Match hold for the set as it is (None: absent)."""
        if_match, if_none = self.headers.get("If-Match"), self.headers.get("If-None-Match")
        if if_match is not None and found is not None and self.state.race > 0:
            self.state.race -= 1
            found["etag"] = str(uuid.uuid4())  # someone else wrote the set just now
        if if_none is not None and if_none.strip() == "*" and found is not None:
            return "The Record set already exists (If-None-Match: *)."
        if if_match is not None and (found is None or if_match.strip().strip('"') != found["etag"]):
            return "The Record set has been modified (etag mismatch)."
        return None

    def get_set(self, zone, name):
        with self.state.lock:
            found = self.state.sets.get((zone, name.lower()))
            doc = self.set_doc(zone, found) if found else None
        return self.send_json(200, doc) if doc else self.not_found_set(zone, name)

    def put_set(self, zone, name, body):
        doc = self.json_object(body, {k: object for k in PUT_FIELDS}, ("properties",))
        if doc is None:
            return None
        props = doc["properties"]
        if not isinstance(props, dict):
            return self.violation("properties is not an object")
        for k, v in props.items():
            if k not in PROP_FIELDS:
                return self.violation(f"unknown or read-only field properties.{k}")
            if not isinstance(v, PROP_FIELDS[k]) or isinstance(v, bool):
                return self.violation(f"properties.{k} has the wrong JSON type: {v!r}")
        for k in ("TTL", "TXTRecords"):
            if k not in props:
                return self.violation(f"properties.{k} missing")
        if not 1 <= props["TTL"] <= 2147483647:
            return self.send_json(400, arm_error("BadRequest", "The TTL is invalid."))
        for r in props["TXTRecords"]:
            if not isinstance(r, dict) or set(r) != {"value"} or not isinstance(r["value"], list) or not r["value"]:
                return self.violation(f"TXT record {r!r} is not {{\"value\": [strings]}}")
            for s in r["value"]:
                if not isinstance(s, str) or not 1 <= len(s) <= 255:
                    return self.violation(f"TXT string {s!r} is not 1 to 255 characters")
        if "metadata" in props and not all(isinstance(v, str) for v in props["metadata"].values()):
            return self.violation("metadata values must be strings")
        with self.state.lock:
            key = (zone, name.lower())
            found = self.state.sets.get(key)
            failed = self.precondition(found)
            if failed:
                return self.send_json(412, arm_error("PreconditionFailed", failed))
            before = ["".join(r["value"]) for r in found["records"]] if found else []
            s = {"name": found["name"] if found else name, "ttl": props["TTL"], "records": props["TXTRecords"],
                 "etag": str(uuid.uuid4()), "metadata": props.get("metadata")}
            self.state.sets[key] = s
            out = self.set_doc(zone, s)
        self.mirror(zone, s["name"], before, ["".join(r["value"]) for r in s["records"]])
        return self.send_json(200 if found else 201, out)

    def delete_set(self, zone, name):
        with self.state.lock:
            key = (zone, name.lower())
            found = self.state.sets.get(key)
            failed = self.precondition(found)
            if failed:
                return self.send_json(412, arm_error("PreconditionFailed", failed))
            if found:
                del self.state.sets[key]
        if found is None:
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self.mirror(zone, found["name"], ["".join(r["value"]) for r in found["records"]], [])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tenant", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--secret-file", required=True, help="file holding the client secret")
    ap.add_argument("--subscription", required=True)
    ap.add_argument("--zone", action="append", default=[], help="RESOURCE_GROUP:ZONE, a DNS zone of the subscription")
    ap.add_argument("--record", action="append", default=[], help="ZONE:NAME:VALUE, a TXT value preloaded")
    ap.add_argument("--page-size", type=int, default=100)
    ap.add_argument("--token-lifetime", type=int, default=3599)
    ap.add_argument("--race", type=int, default=0, help="the first N If-Match writes meet a concurrent change")
    ap.add_argument("--resource", action="append", default=[], help="another API URL tokens may be asked for")
    ap.add_argument("--garbled", action="append", default=[], help="a zone whose record-set reads answer 200 with HTML")
    ap.add_argument("--bind", help="HOST:PORT of a BIND to mirror TXT values into (with --tsig-file)")
    ap.add_argument("--tsig-file", help="file holding ALGORITHM:NAME:SECRET for --bind")
    a = ap.parse_args()
    tsig = open(a.tsig_file).read().strip() if a.tsig_file else None
    state = State(a, open(a.secret_file).read().strip(), tsig)
    for spec in a.zone:
        rg, zone = spec.split(":", 1)
        state.zones[zone.lower()] = rg
    for spec in a.record:
        zone, name, value = spec.split(":", 2)
        s = state.sets.setdefault((zone, name.lower()), {"name": name, "ttl": 3600, "records": [],
                                                          "etag": str(uuid.uuid4()), "metadata": {"owner": "ops"}})
        s["records"].append({"value": [value]})
        if a.bind:  # served by BIND from the start, like the others'
            nsupdate(a.bind, tsig, "add", zone if name == "@" else f"{name}.{zone}", value)
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
