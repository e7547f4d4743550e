#!/usr/bin/env python3
"""A local stand-in for Google's OAuth 2.0 token endpoint (service-account JWT grant) and the
Cloud DNS API v1 endpoints certctl uses, strict about requests.

At start it makes an RSA key pair (python3-cryptography) and writes a service account's JSON key
(--key-file, mode 0600) whose token_uri is this fake's /token; --bad-key-file writes a second key
for the same account with another private key (its grants fail as Google's do: invalid_grant,
"Invalid JWT Signature."). Serves on 127.0.0.1 (the port is written to --port-file):
  POST /token                                                the JWT grant -> an access token
  GET  /dns/v1/projects/{p}/managedZones?dnsName=&maxResults=&pageToken=          paged
  GET  /dns/v1/projects/{p}/managedZones/{zone}/rrsets?name=&type=&maxResults=&pageToken=  paged
  POST /dns/v1/projects/{p}/managedZones/{zone}/changes      {"additions": [...], "deletions": [...]}
  GET  /dns/v1/projects/{p}/managedZones/{zone}/changes/{id} "pending" for --pending-polls GETs, then "done"

The token endpoint checks what Google's "Using OAuth 2.0 for Server to Server Applications"
documents: a form-encoded POST of exactly grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer
and assertion; the JWT's header (alg RS256, typ JWT, kid = the key's private_key_id when given),
its RS256 signature against the fake's public key, and its claims (iss = client_email, scope
holding .../auth/ndev.clouddns.readwrite, aud = token_uri, integer iat within 5 minutes of now,
exp after iat and at most an hour later, nothing else but sub). It issues opaque access tokens
that expire after --token-lifetime seconds; the DNS endpoints want one as `Authorization: Bearer`
(401 UNAUTHENTICATED otherwise, as Google answers).

The DNS endpoints check method, path, query parameters (only the documented ones; `type` only
with `name`; names absolute), Content-Type and JSON body of a change (only the documented
ResourceRecordSet fields and types, TXT only, names inside the zone, rrdatas quoted
character-strings, a TTL on additions), and apply a change as Cloud DNS does: the deletions must
match the current set exactly (name, type, ttl, rrdatas) or the change is refused with 412
FAILED_PRECONDITION, and an addition where a set exists that the change does not delete is
refused with 409 ALREADY_EXISTS. Errors are Google's {"error": {"code", "message", "status"}}.
Anything else the documentation does not allow is a violation, recorded and answered with 400.

--page-size N makes every list page hold at most N items (and the first rrsets page of a list
empty, as a paged list may be), --bind HOST:PORT with --tsig-file (ALGORITHM:NAME:SECRET)
mirrors every TXT value into that BIND zone with nsupdate.

Test hooks: GET /_test/records, /_test/violations, /_test/requests; GET /_test/interfere (the
next change is met by another client's change to the same set first, so its deletions no longer
match); GET /_test/malformed (the next rrsets list is answered with HTML).
"""
import argparse
import base64
import json
import os
import re
import secrets
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fake_server import JsonHandler, nsupdate

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/ndev.clouddns.readwrite"
RRSET_FIELDS = {"kind": str, "name": str, "type": str, "ttl": int, "rrdatas": list, "signatureRrdatas": list}
CHANGE_FIELDS = {"kind": str, "additions": list, "deletions": list}
QUOTED = re.compile(r'^("([^"\\]|\\.)*"\s*)+$')


def b64url_decode(s):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", s):
        raise ValueError("not base64url without padding")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def unquote(rr):
    return "".join(re.sub(r"\\(.)", r"\1", m) for m in re.findall(r'"((?:[^"\\]|\\.)*)"', rr))


def google_error(code, status, message):
    return {"error": {"code": code, "message": message, "status": status,
                      "errors": [{"message": message, "domain": "global", "reason": status.lower()}]}}


class State:
    def __init__(self, a):
        self.lock = threading.Lock()
        self.project = a.project
        self.email = a.client_email
        self.key_id = secrets.token_hex(20)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.token_lifetime = a.token_lifetime
        self.page_size = a.page_size
        self.pending_polls = a.pending_polls
        self.bind = a.bind
        self.tsig = open(a.tsig_file).read().strip() if a.tsig_file else None
        self.zones = []  # {"name", "dnsName", "visibility", "id"}
        for i, spec in enumerate(a.zone):
            parts = spec.split(":")
            self.zones.append({"name": parts[0], "dnsName": parts[1], "id": str(1000 + i),
                               "visibility": parts[2] if len(parts) > 2 else "public"})
        self.records = []  # {"zone", "name", "type", "ttl", "rrdatas"}
        for spec in a.record:
            zone, name, value = spec.split(":", 2)
            self.records.append({"zone": zone, "name": name, "type": "TXT", "ttl": 300,
                                 "rrdatas": ['"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"']})
        self.tokens = {}  # access token -> expiry (time.time())
        self.changes = {}  # id -> [change, polls left]
        self.next_change = 0
        self.requests = []
        self.interfere = False
        self.malformed = False


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return google_error(400, "INVALID_ARGUMENT", "fake_gcloud: " + what)

    def test_hook(self, path):
        if path in ("/_test/interfere", "/_test/malformed"):
            with self.state.lock:
                setattr(self.state, path[len("/_test/"):], True)
            return self.send_json(200, {})
        return super().test_hook(path)

    def mirror(self, action, fqdn, rrdatas):
        if self.state.bind:
            for rr in rrdatas:
                nsupdate(self.state.bind, self.state.tsig, action, fqdn.rstrip("."), unquote(rr))

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        query = parse_qs(url.query, keep_blank_values=True)
        for k, v in query.items():
            if len(v) != 1:
                return self.violation(f"query parameter {k} repeated")
        q = {k: v[0] for k, v in query.items()}
        if url.path == "/token":
            if self.command != "POST" or q:
                return self.violation("the token endpoint takes a POST without a query")
            return self.token(body)
        m = re.fullmatch(r"/dns/v1/projects/([^/]+)/managedZones(?:/([^/]+)(?:/(rrsets|changes)(?:/([^/]+))?)?)?",
                         url.path)
        if not m:
            return self.violation("no such endpoint")
        token = self.bearer_token()
        if token is None:
            return None
        with self.state.lock:
            expiry = self.state.tokens.get(token)
        if expiry is None or expiry <= time.time():
            return self.send_json(401, google_error(
                401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential."))
        if self.command == "GET" and body:
            return self.violation("a body on GET")
        project, zone_name, what, change_id = m.groups()
        if project != self.state.project:
            return self.send_json(403, google_error(403, "PERMISSION_DENIED", "Forbidden"))
        if zone_name is None:
            if self.command != "GET":
                return self.violation("no such endpoint")
            return self.list_zones(q)
        zone = next((z for z in self.state.zones if z["name"] == zone_name), None)
        if zone is None:
            return self.send_json(404, google_error(
                404, "NOT_FOUND", f"The 'parameters.managedZone' resource named '{zone_name}' does not exist."))
        if what == "rrsets" and change_id is None and self.command == "GET":
            return self.list_rrsets(zone, q)
        if what == "changes" and change_id is None and self.command == "POST":
            if q:
                return self.violation(f"unknown query parameters {sorted(q)}")
            return self.create_change(zone, body)
        if what == "changes" and change_id is not None and self.command == "GET":
            if q:
                return self.violation(f"unknown query parameters {sorted(q)}")
            return self.get_change(zone, change_id)
        return self.violation("no such endpoint")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any

    # ---- the token endpoint --------------------------------------------------------------

    def token(self, body):
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip() != "application/x-www-form-urlencoded":
            return self.violation(f"token request without Content-Type: application/x-www-form-urlencoded ({ctype!r})")
        if self.headers.get("Authorization") is not None:
            return self.violation("an Authorization header on the JWT grant")
        try:
            form = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=True)
        except (ValueError, UnicodeDecodeError):
            return self.violation("token request body is not form-encoded")
        if set(form) != {"grant_type", "assertion"} or any(len(v) != 1 for v in form.values()):
            return self.violation(f"token request fields {sorted(form)} (want grant_type and assertion, once each)")
        if form["grant_type"][0] != GRANT_TYPE:
            return self.violation(f"grant_type {form['grant_type'][0]!r}")
        parts = form["assertion"][0].split(".")
        if len(parts) != 3:
            return self.violation("the assertion is not a JWS compact serialization")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except ValueError as e:
            return self.violation(f"the assertion does not decode: {e}")
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return self.violation("the JWT header or claims are not JSON objects")
        if header.get("alg") != "RS256" or header.get("typ", "JWT") != "JWT" or set(header) - {"alg", "typ", "kid"}:
            return self.violation(f"JWT header {header!r} (want alg RS256, typ JWT, optional kid)")
        if "kid" in header and header["kid"] != self.state.key_id:
            return self.send_json(400, {"error": "invalid_grant", "error_description": "Invalid key id."})
        try:
            self.state.key.public_key().verify(sig, (parts[0] + "." + parts[1]).encode(), padding.PKCS1v15(),
                                               hashes.SHA256())
        except InvalidSignature:
            return self.send_json(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        token_uri = f"http://{self.headers.get('Host')}/token"
        if set(claims) - {"iss", "scope", "aud", "iat", "exp", "sub"} or not {"iss", "scope", "aud", "iat", "exp"} <= set(claims):
            return self.violation(f"JWT claims {sorted(claims)} (want iss, scope, aud, iat, exp)")
        if claims["iss"] != self.state.email:
            return self.violation(f"iss {claims['iss']!r} is not the key's client_email")
        if not isinstance(claims["scope"], str) or SCOPE not in claims["scope"].split(" "):
            return self.violation(f"scope {claims['scope']!r} lacks {SCOPE}")
        if claims["aud"] != token_uri:
            return self.violation(f"aud {claims['aud']!r} is not the token_uri {token_uri}")
        iat, exp = claims["iat"], claims["exp"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (iat, exp)):
            return self.violation("iat and exp must be integers (seconds since the epoch)")
        now = time.time()
        if abs(iat - now) > 300 or not iat < exp <= iat + 3600 or exp <= now:
            return self.violation(f"iat {iat} / exp {exp} (now {int(now)}; exp at most an hour after iat)")
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.tokens[token] = now + self.state.token_lifetime
        return self.send_json(200, {"access_token": token, "expires_in": self.state.token_lifetime,
                                    "token_type": "Bearer"})

    # ---- Cloud DNS -----------------------------------------------------------------------

    def page(self, items, q, first_empty=False):
        """(items of this page, nextPageToken or None): maxResults and --page-size bound it."""
        try:
            start = int(q["pageToken"][len("tok-"):]) if "pageToken" in q else 0
            size = int(q.get("maxResults", "1000"))
        except ValueError:
            return None, "bad"
        if "pageToken" in q and not q["pageToken"].startswith("tok-") or not 1 <= size <= 1000 or start < 0:
            return None, "bad"
        size = min(size, self.state.page_size)
        if first_empty and "pageToken" not in q and self.state.page_size < 1000:
            return [], "tok-0"
        chunk = items[start:start + size]
        return chunk, (f"tok-{start + size}" if start + size < len(items) else None)

    def list_zones(self, q):
        unknown = set(q) - {"dnsName", "maxResults", "pageToken"}
        if unknown:
            return self.violation(f"unknown query parameters {sorted(unknown)}")
        if "dnsName" in q and not q["dnsName"].endswith("."):
            return self.violation(f"dnsName {q['dnsName']!r} is not absolute (Cloud DNS names end in a dot)")
        zones = [z for z in self.state.zones if "dnsName" not in q or z["dnsName"].lower() == q["dnsName"].lower()]
        chunk, next_token = self.page(zones, q)
        if chunk is None:
            return self.violation("bad pageToken or maxResults")
        doc = {"kind": "dns#managedZonesListResponse",
               "managedZones": [{"kind": "dns#managedZone", "description": "", **z} for z in chunk]}
        if next_token:
            doc["nextPageToken"] = next_token
        return self.send_json(200, doc)

    def list_rrsets(self, zone, q):
        unknown = set(q) - {"name", "type", "maxResults", "pageToken"}
        if unknown:
            return self.violation(f"unknown query parameters {sorted(unknown)}")
        if "type" in q and "name" not in q:
            return self.violation("type given without name")
        if "name" in q and not q["name"].endswith("."):
            return self.violation(f"name {q['name']!r} is not absolute")
        with self.state.lock:
            if self.state.malformed:
                self.state.malformed = False
                body = b"<html><body>502 Bad Gateway</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return None
            sets = [{"kind": "dns#resourceRecordSet", "name": r["name"], "type": r["type"], "ttl": r["ttl"],
                     "rrdatas": list(r["rrdatas"])} for r in self.state.records
                    if r["zone"] == zone["dnsName"] and ("name" not in q or r["name"] == q["name"].lower())
                    and ("type" not in q or r["type"] == q["type"])]
        chunk, next_token = self.page(sets, q, first_empty=True)
        if chunk is None:
            return self.violation("bad pageToken or maxResults")
        doc = {"kind": "dns#resourceRecordSetsListResponse", "rrsets": chunk}
        if next_token:
            doc["nextPageToken"] = next_token
        return self.send_json(200, doc)

    def check_rrset(self, zone, rr, where, addition):
        if not isinstance(rr, dict):
            return f"{where} is not an object"
        for k, v in rr.items():
            if k not in RRSET_FIELDS:
                return f"{where}: unknown field {k!r}"
            if not isinstance(v, RRSET_FIELDS[k]) or isinstance(v, bool):
                return f"{where}: field {k!r} has the wrong JSON type"
        for k in ("name", "type", "rrdatas") + (("ttl",) if addition else ()):
            if k not in rr:
                return f"{where}: field {k!r} missing"
        if rr["type"] != "TXT":
            return f"{where}: type {rr['type']!r} (only TXT expected)"
        name = rr["name"]
        if not name.endswith(".") or not (name.lower() == zone["dnsName"] or name.lower().endswith("." + zone["dnsName"])):
            return f"{where}: name {name!r} is not an absolute name in {zone['dnsName']}"
        if not rr["rrdatas"] or not all(isinstance(x, str) and QUOTED.match(x) for x in rr["rrdatas"]):
            return f"{where}: rrdatas {rr['rrdatas']!r} are not quoted TXT character-strings"
        if "ttl" in rr and not 0 <= rr["ttl"] <= 2147483647:
            return f"{where}: ttl {rr['ttl']} out of range"
        return None

    def create_change(self, zone, body):
        doc = self.json_object(body, CHANGE_FIELDS, ())
        if doc is None:
            return None
        adds, dels = doc.get("additions", []), doc.get("deletions", [])
        if not adds and not dels:
            return self.violation("a change with neither additions nor deletions")
        for i, rr in enumerate(dels):
            bad = self.check_rrset(zone, rr, f"deletions[{i}]", False)
            if bad:
                return self.violation(bad)
        for i, rr in enumerate(adds):
            bad = self.check_rrset(zone, rr, f"additions[{i}]", True)
            if bad:
                return self.violation(bad)
        with self.state.lock:
            if self.state.interfere:  # another client changes the set first
                self.state.interfere = False
                target = (adds or dels)[0]["name"].lower()
                cur = next((r for r in self.state.records if r["zone"] == zone["dnsName"] and r["name"] == target
                            and r["type"] == "TXT"), None)
                if cur is None:
                    cur = {"zone": zone["dnsName"], "name": target, "type": "TXT", "ttl": 300, "rrdatas": []}
                    self.state.records.append(cur)
                cur["rrdatas"].append('"interloper"')
                self.mirror("add", target, ['"interloper"'])
            current = {(r["name"], r["type"]): r for r in self.state.records if r["zone"] == zone["dnsName"]}
            for i, rr in enumerate(dels):
                have = current.get((rr["name"].lower(), rr["type"]))
                if have is None or have["ttl"] != rr.get("ttl", have["ttl"]) or have["rrdatas"] != rr["rrdatas"]:
                    return self.send_json(412, google_error(
                        412, "FAILED_PRECONDITION", f"Precondition not met for 'entity.change.deletions[{i}]'"))
            deleted = {(rr["name"].lower(), rr["type"]) for rr in dels}
            for i, rr in enumerate(adds):
                key = (rr["name"].lower(), rr["type"])
                if key in current and key not in deleted:
                    return self.send_json(409, google_error(
                        409, "ALREADY_EXISTS",
                        f"The resource 'entity.change.additions[{i}]' named '{rr['name']} ({rr['type']})' already exists"))
            removed, added = [], []
            for rr in dels:
                have = current[(rr["name"].lower(), rr["type"])]
                self.state.records.remove(have)
                removed.append(have)
            for rr in adds:
                self.state.records.append({"zone": zone["dnsName"], "name": rr["name"].lower(), "type": rr["type"],
                                           "ttl": rr["ttl"], "rrdatas": list(rr["rrdatas"])})
                added.append(rr)
            self.state.next_change += 1
            cid = str(self.state.next_change)
            change = {"kind": "dns#change", "id": cid, "startTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                      "status": "pending" if self.state.pending_polls > 0 else "done", "additions": adds,
                      "deletions": dels}
            self.state.changes[(zone["name"], cid)] = [change, self.state.pending_polls]
        for rr in removed:
            kept = next((a["rrdatas"] for a in added if a["name"].lower() == rr["name"]), [])
            self.mirror("delete", rr["name"], [x for x in rr["rrdatas"] if x not in kept])
        for rr in added:
            was = next((d["rrdatas"] for d in removed if d["name"] == rr["name"].lower()), [])
            self.mirror("add", rr["name"], [x for x in rr["rrdatas"] if x not in was])
        return self.send_json(200, change)

    def get_change(self, zone, cid):
        with self.state.lock:
            entry = self.state.changes.get((zone["name"], cid))
            if entry is None:
                return self.send_json(404, google_error(
                    404, "NOT_FOUND", f"The 'parameters.changeId' resource named '{cid}' does not exist."))
            entry[1] -= 1
            if entry[1] <= 0:
                entry[0]["status"] = "done"
            change = dict(entry[0])
        return self.send_json(200, change)


def write_key(path, state, key):
    doc = {"type": "service_account", "project_id": state.project, "private_key_id": state.key_id,
           "private_key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()).decode(),
           "client_email": state.email, "client_id": "109876543210987654321",
           "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": state.token_uri,
           "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
           "universe_domain": "googleapis.com"}
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.rename(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--key-file", required=True, help="where to write the service account's JSON key")
    ap.add_argument("--bad-key-file", help="where to write a key of the same account with another private key")
    ap.add_argument("--project", default="certctl-test")
    ap.add_argument("--client-email", default="certctl-dns@certctl-test.iam.gserviceaccount.com")
    ap.add_argument("--zone", action="append", default=[], help="NAME:DNSNAME.[:private], a managed zone")
    ap.add_argument("--record", action="append", default=[], help="ZONE_DNSNAME.:FQDN.:VALUE, preloaded TXT")
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--pending-polls", type=int, default=1, help="GETs a change stays pending for")
    ap.add_argument("--token-lifetime", type=int, default=3599)
    ap.add_argument("--bind", help="HOST:PORT of a BIND to mirror TXT records into (with --tsig-file)")
    ap.add_argument("--tsig-file", help="file holding ALGORITHM:NAME:SECRET for --bind")
    a = ap.parse_args()
    state = State(a)
    Handler.state = state
    if state.bind:  # the preloaded records are served too
        for r in state.records:
            for rr in r["rrdatas"]:
                nsupdate(state.bind, state.tsig, "add", r["name"].rstrip("."), unquote(rr))
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.token_uri = f"http://127.0.0.1:{srv.server_address[1]}/token"
    write_key(a.key_file, state, state.key)
    if a.bad_key_file:
        write_key(a.bad_key_file, state, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
