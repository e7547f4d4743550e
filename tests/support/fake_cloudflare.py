#!/usr/bin/env python3
"""A local stand-in for the Cloudflare API v4 DNS endpoints certctl uses, strict about requests.

Serves, under /client/v4 on 127.0.0.1 (port 0 = any; the port is written to --port-file):
  GET    /zones?name=NAME                          list zones (result_info as documented)
  POST   /zones/{zone_id}/dns_records              create a record
  GET    /zones/{zone_id}/dns_records?type=&name.exact=&content.exact=...   list records
  DELETE /zones/{zone_id}/dns_records/{id}          delete a record
Every answer is the documented envelope {"success", "errors": [{code, message}], "messages",
"result"[, "result_info"]}. A request whose token is not --token gets 403 with error 9109
("Invalid access token"), as Cloudflare answers.

Anything the public API documentation does not allow is a violation: a missing or non-Bearer
Authorization header, legacy X-Auth-* headers, a body on GET/DELETE, a POST without
Content-Type: application/json, unknown or mistyped JSON fields, a name with a trailing dot or
outside the zone, TXT content that is not a quoted character-string (the docs: "must consist
of quoted character strings"), a TTL outside 1 or 60..86400, unknown query parameters. Each is
recorded and answered with 400 (code 9999) so the client fails loudly too.

Test hooks (outside /client/v4): GET /_test/records (every record), GET /_test/violations,
GET /_test/requests ("METHOD PATH?QUERY" per request).
"""
import argparse
import re
import secrets
import sys
import threading
from urllib.parse import parse_qs

from fake_server import JsonHandler, serve

PREFIX = "/client/v4"
ZONE_ID_RE = re.compile(r"^[0-9a-f]{32}$")
TXT_RE = re.compile(r'^("([^"\\]|\\.)*")( "([^"\\]|\\.)*")*$')
RECORD_FIELDS = {"type": str, "name": str, "content": str, "ttl": int, "proxied": bool, "comment": str, "tags": list}
LIST_PARAMS = {"type", "name", "name.exact", "content", "content.exact", "page", "per_page", "match", "order", "direction"}
ZONE_PARAMS = {"name", "status", "page", "per_page", "match", "order", "direction"}


class State:
    def __init__(self, token, zones):
        self.lock = threading.Lock()
        self.token = token
        self.zones = zones  # name -> id
        self.records = []
        self.requests = []


def envelope(result=None, errors=None, result_info=None):
    doc = {"success": not errors, "errors": errors or [], "messages": [], "result": result}
    if result_info is not None:
        doc["result_info"] = result_info
    return doc


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return envelope(errors=[{"code": 9999, "message": "fake_cloudflare: " + what}])

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        if not url.path.startswith(PREFIX + "/"):
            return self.violation("path outside " + PREFIX)
        path = url.path[len(PREFIX):]
        query = parse_qs(url.query, keep_blank_values=True)

        if self.headers.get("X-Auth-Key") or self.headers.get("X-Auth-Email"):
            return self.violation("legacy X-Auth-Key/X-Auth-Email headers sent with a token")
        token = self.bearer_token()
        if token is None:
            return None
        if token != self.state.token:
            return self.send_json(403, envelope(errors=[{"code": 9109, "message": "Invalid access token"}]))
        if self.command in ("GET", "DELETE") and body:
            return self.violation(f"a body on {self.command}")
        for k, v in query.items():
            if len(v) != 1:
                return self.violation(f"query parameter {k} repeated")

        m = re.fullmatch(r"/zones/([^/]+)/dns_records(?:/([^/]+))?", path)
        if path == "/zones" and self.command == "GET":
            return self.list_zones(query)
        if m and self.command == "POST" and m.group(2) is None:
            return self.create(m.group(1), body)
        if m and self.command == "GET" and m.group(2) is None:
            return self.list_records(m.group(1), query)
        if m and self.command == "DELETE" and m.group(2) is not None:
            return self.delete(m.group(1), m.group(2))
        return self.violation("no such endpoint")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any

    def zone_name(self, zone_id):
        for name, zid in self.state.zones.items():
            if zid == zone_id:
                return name
        return None

    def no_route(self, zone_id):
        if not ZONE_ID_RE.match(zone_id):
            return self.violation(f"zone id {zone_id!r} is not a 32-character identifier")
        return self.send_json(404, envelope(errors=[{"code": 7003, "message":
            "Could not route to /zones/" + zone_id + "/dns_records, perhaps your object identifier is invalid?"}]))

    # --- endpoints --------------------------------------------------------------------------
    def list_zones(self, query):
        unknown = set(query) - ZONE_PARAMS
        if unknown:
            return self.violation(f"unknown query parameters {sorted(unknown)}")
        name = query.get("name", [None])[0]
        if name is not None and (name.endswith(".") or not name):
            return self.violation(f"zone name {name!r} (Cloudflare names have no trailing dot)")
        zones = [{"id": zid, "name": zn, "status": "active", "paused": False, "type": "full"}
                 for zn, zid in self.state.zones.items() if name is None or zn == name.lower()]
        info = {"page": 1, "per_page": 20, "count": len(zones), "total_count": len(zones), "total_pages": 1}
        return self.send_json(200, envelope(zones, result_info=info))

    def create(self, zone_id, body):
        zone = self.zone_name(zone_id)
        if zone is None:
            return self.no_route(zone_id)
        rec = self.json_object(body, RECORD_FIELDS, ("type", "name", "content"))
        if rec is None:
            return None
        if rec["type"] != "TXT":
            return self.violation(f"type {rec['type']!r} (only TXT expected)")
        name = rec["name"]
        if name.endswith(".") or not (name == zone or name.endswith("." + zone)):
            return self.violation(f"name {name!r} is not a name in zone {zone} without a trailing dot")
        if not TXT_RE.match(rec["content"]):
            return self.violation(f"TXT content {rec['content']!r} is not quoted character-strings")
        ttl = rec.get("ttl", 1)
        if ttl != 1 and not (60 <= ttl <= 86400):
            return self.violation(f"ttl {ttl} outside 1 or 60..86400")
        with self.state.lock:
            for r in self.state.records:
                if r["zone_id"] == zone_id and r["name"] == name and r["content"] == rec["content"]:
                    return self.send_json(400, envelope(errors=[{"code": 81058, "message": "An identical record already exists."}]))
            stored = {"id": secrets.token_hex(16), "zone_id": zone_id, "zone_name": zone, "name": name,
                      "type": "TXT", "content": rec["content"], "proxiable": False, "proxied": False, "ttl": ttl,
                      "meta": {}, "comment": rec.get("comment"), "tags": rec.get("tags", []),
                      "created_on": "2024-01-01T00:00:00.000000Z", "modified_on": "2024-01-01T00:00:00.000000Z"}
            self.state.records.append(stored)
        return self.send_json(200, envelope(stored))

    def list_records(self, zone_id, query):
        if self.zone_name(zone_id) is None:
            return self.no_route(zone_id)
        unknown = set(query) - LIST_PARAMS
        if unknown:
            return self.violation(f"unknown query parameters {sorted(unknown)}")
        q = {k: v[0] for k, v in query.items()}
        for k in ("name", "name.exact"):
            if k in q and q[k].endswith("."):
                return self.violation(f"{k} {q[k]!r} has a trailing dot")
        with self.state.lock:
            out = [r for r in self.state.records if r["zone_id"] == zone_id
                   and ("type" not in q or r["type"] == q["type"])
                   and all(k not in q or r["name"].lower() == q[k].lower() for k in ("name", "name.exact"))
                   and all(k not in q or r["content"].lower() == q[k].lower() for k in ("content", "content.exact"))]
        info = {"page": 1, "per_page": 100, "count": len(out), "total_count": len(out), "total_pages": 1}
        return self.send_json(200, envelope(out, result_info=info))

    def delete(self, zone_id, record_id):
        if self.zone_name(zone_id) is None:
            return self.no_route(zone_id)
        with self.state.lock:
            for i, r in enumerate(self.state.records):
                if r["zone_id"] == zone_id and r["id"] == record_id:
                    del self.state.records[i]
                    return self.send_json(200, envelope({"id": record_id}))
        return self.send_json(404, envelope(errors=[{"code": 81044, "message": "Record does not exist."}]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token-file", required=True, help="file holding the one valid API token")
    ap.add_argument("--zone", action="append", default=[], help="NAME=ID (ID: 32 hex digits)")
    ap.add_argument("--record", action="append", default=[], help="ZONE_NAME:NAME:CONTENT, preloaded")
    a = ap.parse_args()
    zones = dict(z.split("=", 1) for z in a.zone)
    state = State(open(a.token_file).read().strip(), zones)
    for spec in a.record:
        zn, name, content = spec.split(":", 2)
        state.records.append({"id": secrets.token_hex(16), "zone_id": zones[zn], "zone_name": zn, "name": name,
                              "type": "TXT", "content": content, "proxiable": False, "proxied": False, "ttl": 300,
                              "meta": {}, "comment": None, "tags": []})
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
