#!/usr/bin/env python3
"""A local stand-in for the OVH API v1 endpoints certctl uses (/auth/time and /domain/zone),
strict about requests and about their signature.

Serves on 127.0.0.1 (port 0 = any; the port is written to --port-file), under /1.0:
  GET    /1.0/auth/time                                         the API's Unix time (no signature)
  GET    /1.0/domain/zone/{zone}                                a zone of the account, or 404
  POST   /1.0/domain/zone/{zone}/record                         create a record: the record (with its id)
  GET    /1.0/domain/zone/{zone}/record?fieldType=&subDomain=   ids of the matching records
  GET    /1.0/domain/zone/{zone}/record/{id}                    one record, or 404
  DELETE /1.0/domain/zone/{zone}/record/{id}                    delete a record (null), or 404
  POST   /1.0/domain/zone/{zone}/refresh                        apply the zone's changes (null)
Errors are OVH's {"class", "message", "errorCode", "httpCode"} object.

Every request but /auth/time must carry X-Ovh-Application, X-Ovh-Consumer, X-Ovh-Timestamp and
X-Ovh-Signature. The fake recomputes the signature as OVH documents it:
"$1$" + hex(SHA-1(AS "+" CK "+" METHOD "+" URL "+" BODY "+" TIMESTAMP)), with the URL as the
client sent it (http://HOST/1.0/...) and the body's exact bytes, and answers an unknown
application key with 403 INVALID_KEY, an unknown consumer key with 403 INVALID_CREDENTIAL
("This credential does not exist") and a wrong signature with 400 INVALID_SIGNATURE ("Invalid
signature"). The fake's clock runs --clock-offset seconds ahead of the host's, so a client must
take its timestamps from /auth/time: a timestamp more than 30 s from the fake's time is a
violation.

Other violations (recorded, answered 400): a missing or malformed header, a body on GET/DELETE,
a POST body without Content-Type: application/json, unknown or mistyped JSON fields, a
fieldType other than TXT, a subDomain that is absolute (a trailing dot, or ending in the zone),
a quoted TXT target, unknown query parameters, a refresh with a body other than none or {}.

Records are applied (mirrored into BIND with --bind/--tsig-file, the key on nsupdate's stdin)
only when the zone is refreshed, as OVH serves zone edits only after POST .../refresh; records
and deletions not yet applied are listed by GET /_test/pending. --garbage-zone ZONE makes record
creation in ZONE answer 200 with HTML instead of JSON (nothing is created).

Test hooks: GET /_test/records, /_test/violations, /_test/requests, /_test/pending.
"""
import argparse
import hashlib
import json
import re
import sys
import threading
import time
from urllib.parse import parse_qs

from fake_server import JsonHandler, nsupdate, serve

RECORD_FIELDS = {"fieldType": str, "subDomain": str, "target": str, "ttl": int}
LIST_PARAMS = {"fieldType", "subDomain"}
WINDOW = 30


class State:
    def __init__(self, credentials, zones, offset, bind, tsig, garbage):
        self.lock = threading.Lock()
        self.credentials = credentials  # application key -> (secret, {consumer keys})
        self.zones = zones
        self.offset = offset
        self.bind = bind
        self.tsig = tsig
        self.garbage = garbage
        self.records = []
        self.pending = []  # (zone, "add"|"delete", fqdn, target) not yet refreshed
        self.next_id = 5000000
        self.requests = []

    def now(self):
        return int(time.time()) + self.offset


def fqdn_of(rec):
    return rec["zone"] if rec["subDomain"] == "" else rec["subDomain"] + "." + rec["zone"]


def ovh_error(status, cls, message, code=None):
    doc = {"class": cls, "message": message}
    if code:
        doc["errorCode"] = code
        doc["httpCode"] = {400: "400 Bad Request", 403: "403 Forbidden", 404: "404 Not Found"}.get(status, str(status))
    return status, doc


NOT_FOUND = ovh_error(404, "Client::NotFound", "This service does not exist")


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return {"class": "Client::BadRequest", "message": "fake_ovh: " + what}

    def test_hook(self, path):
        if path == "/_test/pending":
            with self.state.lock:
                doc = [{"zone": z, "action": a, "fqdn": f, "target": t} for z, a, f, t in self.state.pending]
            return self.send_json(200, doc)
        return super().test_hook(path)

    def answer(self, pair):
        return self.send_json(*pair)

    def authenticate(self, body):
        """True when the request is signed as OVH documents; else it was answered."""
        h = self.headers
        ak, ck, ts, sig = (h.get("X-Ovh-Application"), h.get("X-Ovh-Consumer"), h.get("X-Ovh-Timestamp"),
                           h.get("X-Ovh-Signature"))
        if not ak:
            return self.violation("no X-Ovh-Application header") and False
        if not ck:
            return self.violation("no X-Ovh-Consumer header") and False
        if ts is None or not re.fullmatch(r"[0-9]{1,12}", ts):
            return self.violation(f"X-Ovh-Timestamp is not a Unix time: {ts!r}") and False
        if sig is None or not re.fullmatch(r"\$1\$[0-9a-f]{40}", sig):
            return self.violation(f"X-Ovh-Signature is not '$1$' and 40 lower-case hex digits: {sig!r}") and False
        if abs(int(ts) - self.state.now()) > WINDOW:
            return self.violation(f"X-Ovh-Timestamp {ts} is not the API's time ({self.state.now()}, from "
                                  "/auth/time)") and False
        known = self.state.credentials.get(ak)
        if known is None:
            return self.answer(ovh_error(403, "Client::Forbidden", "Invalid application key", "INVALID_KEY")) and False
        secret, consumers = known
        if ck not in consumers:
            return self.answer(ovh_error(403, "Client::Forbidden", "This credential does not exist",
                                         "INVALID_CREDENTIAL")) and False
        url = f"http://{h.get('Host')}{self.path}"
        text = "+".join([secret, ck, self.command, url, body.decode("utf-8", "replace"), ts])
        if sig != "$1$" + hashlib.sha1(text.encode()).hexdigest():
            return self.answer(ovh_error(400, "Client::BadRequest", "Invalid signature", "INVALID_SIGNATURE")) and False
        return True

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        if url.path == "/1.0/auth/time":
            if self.command != "GET" or body or url.query:
                return self.violation("/auth/time takes a plain GET")
            self.send_json(200, self.state.now())
            return None
        if not self.authenticate(body):
            return None
        if self.command in ("GET", "DELETE") and body:
            return self.violation(f"a body on {self.command}")
        query = parse_qs(url.query, keep_blank_values=True)
        for k, v in query.items():
            if len(v) != 1:
                return self.violation(f"query parameter {k} repeated")
        m = re.fullmatch(r"/1\.0/domain/zone/([^/]+)(?:/(record|refresh)(?:/([^/]+))?)?", url.path)
        if not m:
            return self.violation("no such endpoint")
        zone, what, rid = m.group(1), m.group(2), m.group(3)
        if zone.endswith(".") or zone != zone.lower():
            return self.violation(f"zone {zone!r} is not a lower-case name without a trailing dot")
        if zone not in self.state.zones:
            return self.answer(NOT_FOUND)
        if what is None and self.command == "GET" and not query:
            return self.send_json(200, {"name": zone, "hasDnsAnycast": False, "dnssecSupported": True,
                                        "nameServers": ["dns1.ovh.net", "ns1.ovh.net"],
                                        "lastUpdate": "2026-01-01T00:00:00+01:00"})
        if what == "refresh" and rid is None and self.command == "POST":
            return self.refresh(zone, body)
        if what == "record" and rid is None and self.command == "POST" and not query:
            return self.create(zone, body)
        if what == "record" and rid is None and self.command == "GET":
            return self.list_records(zone, query)
        if what == "record" and rid is not None and re.fullmatch(r"[0-9]+", rid) and not query:
            if self.command == "GET":
                return self.get_record(zone, int(rid))
            if self.command == "DELETE":
                return self.delete(zone, int(rid))
        return self.violation("no such endpoint")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any

    def create(self, zone, body):
        rec = self.json_object(body, RECORD_FIELDS, ("fieldType", "target"))
        if rec is None:
            return None
        if rec["fieldType"] != "TXT":
            return self.violation(f"fieldType {rec['fieldType']!r} (only TXT expected)")
        sub = rec.get("subDomain", "")
        if sub.endswith(".") or sub == zone or sub.endswith("." + zone):
            return self.violation(f"subDomain {sub!r} is not relative to {zone} ('' for the apex)")
        if rec["target"].startswith('"'):
            return self.violation(f"TXT target {rec['target']!r} is quoted")
        if zone in self.state.garbage:
            body = b"<html><body>502 Bad Gateway</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        with self.state.lock:
            self.state.next_id += 1
            stored = {"id": self.state.next_id, "zone": zone, "subDomain": sub, "fieldType": "TXT",
                      "target": rec["target"], "ttl": rec.get("ttl", 0)}
            self.state.records.append(stored)
            self.state.pending.append((zone, "add", fqdn_of(stored), stored["target"]))
        return self.send_json(200, stored)

    def list_records(self, zone, query):
        unknown = set(query) - LIST_PARAMS
        if unknown:
            return self.violation(f"unknown query parameters {sorted(unknown)}")
        q = {k: v[0] for k, v in query.items()}
        with self.state.lock:
            ids = [r["id"] for r in self.state.records if r["zone"] == zone
                   and ("fieldType" not in q or r["fieldType"] == q["fieldType"])
                   and ("subDomain" not in q or r["subDomain"] == q["subDomain"])]
        return self.send_json(200, ids)

    def find(self, zone, rid):
        for r in self.state.records:
            if r["zone"] == zone and r["id"] == rid:
                return r
        return None

    def get_record(self, zone, rid):
        with self.state.lock:
            r = self.find(zone, rid)
        return self.send_json(200, r) if r else self.answer(NOT_FOUND)

    def delete(self, zone, rid):
        with self.state.lock:
            r = self.find(zone, rid)
            if r:
                self.state.records.remove(r)
                self.state.pending.append((zone, "delete", fqdn_of(r), r["target"]))
        return self.send_json(200, None) if r else self.answer(NOT_FOUND)

    def refresh(self, zone, body):
        if body not in (b"", b"{}"):
            return self.violation(f"refresh takes no body, got {body[:80]!r}")
        with self.state.lock:
            todo = [p for p in self.state.pending if p[0] == zone]
            self.state.pending = [p for p in self.state.pending if p[0] != zone]
        if self.state.bind:
            for _, action, fqdn, target in todo:
                nsupdate(self.state.bind, self.state.tsig, action, fqdn, target)
        return self.send_json(200, None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--credentials-file", required=True,
                    help="lines APPLICATION_KEY:APPLICATION_SECRET:CONSUMER_KEY, the valid ones")
    ap.add_argument("--zone", action="append", default=[], help="a zone of the account")
    ap.add_argument("--record", action="append", default=[], help="ZONE:SUBDOMAIN:TARGET, preloaded (applied)")
    ap.add_argument("--clock-offset", type=int, default=0, help="seconds the API's clock is ahead of the host's")
    ap.add_argument("--garbage-zone", action="append", default=[], help="record creation here answers HTML")
    ap.add_argument("--bind", help="HOST:PORT of a BIND to mirror applied TXT records into (with --tsig-file)")
    ap.add_argument("--tsig-file", help="file holding ALGORITHM:NAME:SECRET for --bind")
    a = ap.parse_args()
    creds = {}
    with open(a.credentials_file) as f:
        for line in f:
            if line.strip():
                ak, secret, ck = line.strip().split(":", 2)
                creds.setdefault(ak, (secret, set()))[1].add(ck)
    tsig = open(a.tsig_file).read().strip() if a.tsig_file else None
    state = State(creds, set(a.zone) | set(a.garbage_zone), a.clock_offset, a.bind, tsig, set(a.garbage_zone))
    for spec in a.record:
        zone, sub, target = spec.split(":", 2)
        state.next_id += 1
        state.records.append({"id": state.next_id, "zone": zone, "subDomain": sub, "fieldType": "TXT",
                              "target": target, "ttl": 3600})
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
