#!/usr/bin/env python3
"""A local stand-in for the DNS endpoints of the Hetzner Cloud API (api.hetzner.cloud/v1, Zones
and Zone RRSets) certctl uses, strict about requests.

Serves on 127.0.0.1 (port 0 = any; the port is written to --port-file):
  GET  /v1/zones/{id_or_name}                                        a zone of the project, or 404
  GET  /v1/zones/{id_or_name}/rrsets/{name}/{type}                   an RRSet, or 404
  POST /v1/zones/{id_or_name}/rrsets/{name}/{type}/actions/add_records     (201, an action)
  POST /v1/zones/{id_or_name}/rrsets/{name}/{type}/actions/remove_records  (201, an action)
  GET  /v1/actions/{id}                                              an action's progress
Errors are the documented {"error": {"code", "message", "details"}} object: 401 "unauthorized"
for a wrong token, 404 "not_found", 422 "invalid_input".

Anything the public API documentation does not allow is a violation: a missing or non-Bearer
Authorization header, a body on GET, a POST without Content-Type: application/json, unknown or
mistyped JSON fields (records[] of {"value", "comment"}, "ttl"), an RRSet name that is absolute
(a trailing dot, or ending in the zone: names are relative to it, "@" for the apex), a TXT value
that is not one or more quoted character-strings of at most 255 characters, a query string,
an empty records list. Each is recorded and answered with 400.

add_records creates the RRSet when there is none (with the given TTL); for an existing RRSet a
TTL that differs from its own is refused (422). remove_records deletes an RRSet left empty.
Actions start "running" and report "success" after --action-polls GETs of /v1/actions/{id}
(0: they succeed at once), so the client must poll them.

--broken-zone NAME answers the RRSet reads of that zone with a body that is not JSON (a client's
malformed-answer path); --bind HOST:PORT with --tsig-file (ALGORITHM:NAME:SECRET) mirrors every TXT
value into that BIND zone with nsupdate, so a CA resolving through BIND sees what is held here.

Test hooks (outside /v1): GET /_test/records, GET /_test/violations, GET /_test/requests.
"""
import argparse
import re
import sys
import threading

from fake_server import JsonHandler, nsupdate, serve

RECORD_FIELDS = {"value": str, "comment": str}
QUOTED_TXT = re.compile(r'^"(?:[^"\\]|\\.){0,255}"(?: "(?:[^"\\]|\\.){0,255}")*$')


def unquote(value):
    return "".join(re.sub(r'\\(.)', r'\1', s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', value))


class State:
    def __init__(self, token, zones, action_polls, broken, bind, tsig):
        self.lock = threading.Lock()
        self.token = token
        self.zones = zones  # name -> id
        self.action_polls = action_polls
        self.broken = broken
        self.bind = bind
        self.tsig = tsig
        self.records = []  # {"zone", "name", "type", "ttl", "value"}; one RRSet = same zone/name/type
        self.rrset_ttl = {}  # (zone, name, type) -> ttl
        self.actions = {}  # id -> {"action": {...}, "polls": n}
        self.next_action = 100
        self.requests = []


def fqdn_of(name, zone):
    return zone if name == "@" else name + "." + zone


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return {"error": {"code": "invalid_input", "message": "fake_hetzner: " + what, "details": {}}}

    def error(self, status, code, message):
        return self.send_json(status, {"error": {"code": code, "message": message, "details": {}}})

    def mirror(self, action, zone, name, value):
        if self.state.bind:
            nsupdate(self.state.bind, self.state.tsig, action, fqdn_of(name, zone), unquote(value))

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        token = self.bearer_token()
        if token is None:
            return None
        if token != self.state.token:
            return self.error(401, "unauthorized", "unable to authenticate")
        if self.command == "GET" and body:
            return self.violation("a body on GET")
        if url.query:
            return self.violation(f"unexpected query {url.query!r}")
        m = re.fullmatch(r"/v1/actions/(\d+)", url.path)
        if m and self.command == "GET":
            return self.get_action(int(m.group(1)))
        m = re.fullmatch(r"/v1/zones/([^/]+)(?:/rrsets/([^/]+)/([^/]+)(/actions/(add_records|remove_records))?)?",
                         url.path)
        if not m:
            return self.violation("no such endpoint")
        zone, name, rtype, verb = m.group(1), m.group(2), m.group(3), m.group(5)
        if zone.endswith("."):
            return self.violation(f"zone {zone!r} has a trailing dot")
        zone = next((z for z, i in self.state.zones.items() if zone in (z, str(i))), None)
        if zone is None:
            return self.error(404, "not_found", "zone not found")
        if name is None:
            if self.command != "GET":
                return self.violation("no such endpoint")
            return self.send_json(200, {"zone": {"id": self.state.zones[zone], "name": zone, "mode": "primary",
                                                 "ttl": 3600, "status": "ok", "labels": {},
                                                 "protection": {"delete": False}}})
        if name.endswith(".") or name == zone or name.endswith("." + zone) or not name:
            return self.violation(f"RRSet name {name!r} is not relative to {zone} ('@' for the apex)")
        if rtype != "TXT":
            return self.violation(f"type {rtype!r} (only TXT expected)")
        if verb is None and self.command == "GET":
            return self.get_rrset(zone, name, rtype)
        if verb is not None and self.command == "POST":
            return self.change(zone, name, rtype, verb, body)
        return self.violation("no such endpoint")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any

    def rrset(self, zone, name, rtype):
        recs = [r for r in self.state.records if (r["zone"], r["name"], r["type"]) == (zone, name, rtype)]
        if not recs:
            return None
        return {"id": f"{name}/{rtype}", "name": name, "type": rtype, "ttl": self.state.rrset_ttl.get((zone, name, rtype)),
                "labels": {}, "protection": {"change": False},
                "records": [{"value": r["value"], "comment": ""} for r in recs], "zone": self.state.zones[zone]}

    def get_rrset(self, zone, name, rtype):
        if zone in self.state.broken:
            body = b"<html>502 Bad Gateway</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        with self.state.lock:
            out = self.rrset(zone, name, rtype)
        if out is None:
            return self.error(404, "not_found", "rrset not found")
        return self.send_json(200, {"rrset": out})

    def change(self, zone, name, rtype, verb, body):
        fields = {"records": list, "ttl": (int, type(None))} if verb == "add_records" else {"records": list}
        doc = self.json_object(body, fields, ("records",))
        if doc is None:
            return None
        recs = doc["records"]
        if not recs:
            return self.violation("records is empty")
        for rec in recs:
            if not isinstance(rec, dict) or "value" not in rec:
                return self.violation(f"record {rec!r} is not an object with a value")
            for k, v in rec.items():
                if k not in RECORD_FIELDS or not isinstance(v, RECORD_FIELDS[k]):
                    return self.violation(f"record field {k!r}: {v!r}")
            if not QUOTED_TXT.match(rec["value"]):
                return self.violation(f"TXT value {rec['value']!r} is not quoted character-strings")
        key = (zone, name, rtype)
        with self.state.lock:
            held = [r["value"] for r in self.state.records if (r["zone"], r["name"], r["type"]) == key]
            if verb == "add_records":
                ttl = doc.get("ttl")
                if held and ttl is not None and ttl != self.state.rrset_ttl.get(key):
                    changed = None
                else:
                    if not held:
                        self.state.rrset_ttl[key] = ttl
                    changed = [r["value"] for r in recs if r["value"] not in held]
                    changed = list(dict.fromkeys(changed))
                    for v in changed:
                        self.state.records.append({"zone": zone, "name": name, "type": rtype, "value": v})
            else:
                if not held:
                    changed = False
                else:
                    changed = [r["value"] for r in recs if r["value"] in held]
                    self.state.records = [r for r in self.state.records
                                          if not ((r["zone"], r["name"], r["type"]) == key and r["value"] in changed)]
                    if not any((r["zone"], r["name"], r["type"]) == key for r in self.state.records):
                        self.state.rrset_ttl.pop(key, None)
        if changed is None:
            return self.error(422, "invalid_input", "ttl does not match the RRSet's ttl")
        if changed is False:
            return self.error(404, "not_found", "rrset not found")
        for v in changed:
            self.mirror("add" if verb == "add_records" else "delete", zone, name, v)
        return self.send_json(201, {"action": self.new_action(verb, zone)})

    def new_action(self, verb, zone):
        with self.state.lock:
            self.state.next_action += 1
            aid = self.state.next_action
            done = self.state.action_polls == 0
            action = {"id": aid, "command": "add_rrset_records" if verb == "add_records" else "remove_rrset_records",
                      "status": "success" if done else "running", "progress": 100 if done else 0,
                      "started": "2026-12-01T12:00:00+00:00", "finished": "2026-12-01T12:00:01+00:00" if done else None,
                      "resources": [{"id": self.state.zones[zone], "type": "zone"}], "error": None}
            self.state.actions[aid] = {"action": action, "polls": 0}
            return dict(action)

    def get_action(self, aid):
        with self.state.lock:
            a = self.state.actions.get(aid)
            if a is not None:
                a["polls"] += 1
                if a["polls"] >= self.state.action_polls:
                    a["action"].update(status="success", progress=100, finished="2026-12-01T12:00:01+00:00")
                out = dict(a["action"])
        if a is None:
            return self.error(404, "not_found", "action not found")
        return self.send_json(200, {"action": out})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token-file", required=True, help="file holding the one valid token")
    ap.add_argument("--zone", action="append", default=[], help="a zone of the project")
    ap.add_argument("--record", action="append", default=[], help="ZONE:NAME:VALUE (a quoted TXT value), preloaded")
    ap.add_argument("--action-polls", type=int, default=1)
    ap.add_argument("--broken-zone", action="append", default=[])
    ap.add_argument("--bind", help="HOST:PORT of a BIND to mirror TXT records into (with --tsig-file)")
    ap.add_argument("--tsig-file", help="file holding ALGORITHM:NAME:SECRET for --bind")
    a = ap.parse_args()
    tsig = open(a.tsig_file).read().strip() if a.tsig_file else None
    zones = {z: 4000 + i for i, z in enumerate(a.zone + a.broken_zone)}
    state = State(open(a.token_file).read().strip(), zones, a.action_polls, set(a.broken_zone), a.bind, tsig)
    for spec in a.record:
        zone, name, value = spec.split(":", 2)
        state.records.append({"zone": zone, "name": name, "type": "TXT", "value": value})
        state.rrset_ttl[(zone, name, "TXT")] = 300
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
