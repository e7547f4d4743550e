#!/usr/bin/env python3
"""A local stand-in for the Amazon Route 53 API 2013-04-01 endpoints certctl uses, strict about
requests and about AWS Signature Version 4.

Serves on 127.0.0.1 (port 0 = any; the port is written to --port-file):
  GET  /2013-04-01/hostedzonesbyname?dnsname=&hostedzoneid=&maxitems=   ListHostedZonesByName, paged
  GET  /2013-04-01/hostedzone/{Id}/rrset?name=&type=&identifier=&maxitems=   ListResourceRecordSets
  POST /2013-04-01/hostedzone/{Id}/rrset                               ChangeResourceRecordSets
  GET  /2013-04-01/change/{Id}                                         GetChange (PENDING, then INSYNC)
Answers are the documented XML documents in the https://route53.amazonaws.com/doc/2013-04-01/
namespace; errors are <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>, and
a refused change batch is <InvalidChangeBatch><Messages><Message/>...</Messages>, as Route 53
sends them.

Every request must carry a valid SigV4 signature: X-Amz-Date (within 15 minutes of now, the
same day as the credential scope), Authorization "AWS4-HMAC-SHA256 Credential=KEY/DATE/us-east-1/
route53/aws4_request, SignedHeaders=..., Signature=..." with host and x-amz-date (and
x-amz-security-token when sent) signed. The fake recomputes the canonical request from what it
received (method, path, query re-encoded and sorted, the signed headers' values, the body's
SHA-256) and the signature from the secret key in --secret-file: an unknown access key is 403
InvalidClientTokenId, a wrong signature 403 SignatureDoesNotMatch, as AWS answers. With
--token-file the session token must be sent (X-Amz-Security-Token) and signed.

Anything else the API reference does not allow is a violation, recorded and answered with 400:
unknown endpoints or query parameters, maxitems out of range, hostedzoneid without dnsname, type
without name, a change batch that is not the documented XML (root element, namespace, element
order and names, Action CREATE/DELETE/UPSERT, Type TXT, TTL 0..2147483647), TXT values that are
not quoted character-strings of at most 255 characters each, names outside the zone, an unknown
change id in the path. A change batch is applied all or nothing as Route 53 does: CREATE of an
existing set, DELETE of a missing one or one whose TTL and values differ is InvalidChangeBatch.

--zone NAME:ID (public), --private-zone NAME:ID, --record ID:NAME:VALUE (preloaded TXT, unquoted
value), --zone-page-size N (page size of the zone list), --pending-polls N (GetChange answers
PENDING N times per change, default 1), --busy N (the first N change batches get 400
PriorRequestNotComplete), --bind HOST:PORT with --tsig-file mirrors every TXT value into that BIND
zone with nsupdate.

Test hooks (outside /2013-04-01): GET /_test/records, /_test/violations, /_test/requests,
/_test/history (every change batch applied); any path under /_test/html/ answers 200 with an HTML
page, as a proxy might where XML is expected (for api-url=URL/_test/html).
"""
import argparse
import datetime
import hashlib
import hmac
import re
import sys
import threading
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from fake_server import JsonHandler, nsupdate, serve

NS = "https://route53.amazonaws.com/doc/2013-04-01/"
MAX_TTL = 2147483647
QUOTED = re.compile(r'^(?:"(?:[^"\\]|\\.){0,255}"\s*)+$')


def key_of(name):
    """Route 53's order: labels reversed, compared lower-case."""
    return list(reversed(name.lower().rstrip(".").split(".")))


def absolute(name):
    return name.lower().rstrip(".") + "."


def unquote_txt(raw):
    return "".join(re.sub(r"\\(.)", r"\1", s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', raw))


def aws_encode(s):
    return quote(s, safe="-._~")


def xml_doc(root, body):
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NS}">{body}</{root}>'


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class State:
    def __init__(self, a):
        self.lock = threading.Lock()
        self.access_key = open(a.access_key_file).read().strip()
        self.secret = open(a.secret_file).read().strip()
        self.token = open(a.token_file).read().strip() if a.token_file else None
        self.zones = []  # {"id", "name", "private"}
        self.sets = {}   # (zone id, absolute name) -> {"ttl": int, "values": [raw quoted]}
        self.changes = {}  # change id -> PENDING answers left
        self.next_change = 1000
        self.zone_page_size = a.zone_page_size
        self.pending_polls = a.pending_polls
        self.busy = a.busy
        self.bind = a.bind
        self.tsig = open(a.tsig_file).read().strip() if a.tsig_file else None
        self.requests = []
        self.history = []  # every change batch applied: {"zone", "changes": [[action, name, ttl, [values]]]}

    @property
    def records(self):
        return [{"zone": z, "name": n, "ttl": s["ttl"], "values": [unquote_txt(v) for v in s["values"]]}
                for (z, n), s in sorted(self.sets.items())]


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return {"error": "fake_route53: " + what}

    def test_hook(self, path):
        if path == "/_test/records":
            with self.state.lock:
                return self.send_json(200, self.state.records)
        if path == "/_test/history":
            with self.state.lock:
                return self.send_json(200, self.state.history)
        if path.startswith("/_test/html/"):  # a proxy's page where XML was expected (api-url=.../_test/html)
            data = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        return super().test_hook(path)

    def send_xml(self, status, root, body):
        data = xml_doc(root, body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("x-amzn-RequestId", "fake-request")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def aws_error(self, status, code, message, kind="Sender"):
        return self.send_xml(status, "ErrorResponse",
                             f"<Error><Type>{kind}</Type><Code>{code}</Code><Message>{esc(message)}</Message></Error>"
                             "<RequestId>fake-request</RequestId>")

    def invalid_batch(self, messages):
        return self.send_xml(400, "InvalidChangeBatch",
                             "<Messages>" + "".join(f"<Message>{esc(m)}</Message>" for m in messages) + "</Messages>"
                             "<RequestId>fake-request</RequestId>")

    # ---- SigV4 ----------------------------------------------------------------------------------

    def check_signature(self, url, body):
        """True when the request is signed as AWS requires; else the answer is sent (a violation
        for a malformed signature, 403 for a wrong key or signature)."""
        st = self.state
        auth = self.headers.get("Authorization")
        date = self.headers.get("X-Amz-Date")
        if auth is None:
            self.violation("no Authorization header")
            return False
        m = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/,]+)/([^/,]+)/aws4_request, "
                         r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})", auth)
        if not m:
            self.violation(f"Authorization is not a SigV4 header: {auth[:80]!r}")
            return False
        key_id, day, region, service, signed, signature = m.groups()
        if date is None or not re.fullmatch(r"\d{8}T\d{6}Z", date):
            self.violation(f"X-Amz-Date missing or malformed: {date!r}")
            return False
        if day != date[:8] or region != "us-east-1" or service != "route53":
            self.violation(f"credential scope {day}/{region}/{service} is not {date[:8]}/us-east-1/route53")
            return False
        when = datetime.datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 900:
            self.aws_error(403, "SignatureDoesNotMatch", "Signature expired: " + date + " is now earlier or later "
                           "than the current time by more than 15 minutes")
            return False
        names = signed.split(";")
        if names != sorted(names) or "host" not in names or "x-amz-date" not in names:
            self.violation(f"SignedHeaders {signed!r} is not sorted or lacks host and x-amz-date")
            return False
        token = self.headers.get("X-Amz-Security-Token")
        if token is not None and "x-amz-security-token" not in names:
            self.violation("X-Amz-Security-Token is sent but not signed")
            return False
        sha = self.headers.get("X-Amz-Content-Sha256")
        if sha is not None and sha != hashlib.sha256(body).hexdigest():
            self.violation("X-Amz-Content-Sha256 is not the body's SHA-256")
            return False
        if key_id != st.access_key:
            self.aws_error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
            return False
        if (st.token or None) != token:
            self.aws_error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
            return False
        headers = []
        for n in names:
            values = self.headers.get_all(n)
            if values is None:
                self.violation(f"signed header {n} is not in the request")
                return False
            headers.append(n + ":" + ",".join(" ".join(v.split()) for v in values) + "\n")
        query = sorted((aws_encode(k), aws_encode(v)) for k, v in parse_qsl(url.query, keep_blank_values=True))
        creq = "\n".join([self.command, quote(url.path or "/", safe="/-._~"), "&".join(f"{k}={v}" for k, v in query),
                          "".join(headers), signed, hashlib.sha256(body).hexdigest()])
        scope = f"{day}/us-east-1/route53/aws4_request"
        sts = "\n".join(["AWS4-HMAC-SHA256", date, scope, hashlib.sha256(creq.encode()).hexdigest()])
        k = ("AWS4" + st.secret).encode()
        for part in (day, "us-east-1", "route53", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, signature):
            self.aws_error(403, "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature you provided. Check your "
                           "AWS Secret Access Key and signing method. Consult the service documentation for details.")
            return False
        return True

    # ---- dispatch -------------------------------------------------------------------------------

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        if not self.check_signature(url, body):
            return None
        if self.command == "GET" and body:
            return self.violation("a body on GET")
        try:
            query = parse_qsl(url.query, keep_blank_values=True, strict_parsing=bool(url.query))
        except ValueError:
            return self.violation("malformed query")
        keys = [k for k, _ in query]
        if len(keys) != len(set(keys)):
            return self.violation("a query parameter repeated")
        q = dict(query)
        path = url.path
        if path == "/2013-04-01/hostedzonesbyname" and self.command == "GET":
            return self.list_zones(q)
        m = re.fullmatch(r"/2013-04-01/hostedzone/([A-Z0-9]+)/rrset", path)
        if m and self.command == "GET":
            return self.list_sets(m.group(1), q)
        if m and self.command == "POST":
            if q:
                return self.violation("query parameters on ChangeResourceRecordSets")
            return self.change(m.group(1), body)
        m = re.fullmatch(r"/2013-04-01/change/([A-Z0-9]+)", path)
        if m and self.command == "GET":
            if q:
                return self.violation("query parameters on GetChange")
            return self.get_change(m.group(1))
        return self.violation("no such endpoint")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any

    def maxitems(self, q, default):
        v = q.get("maxitems", str(default))
        if not v.isdigit() or not 1 <= int(v) <= 100:
            self.violation(f"maxitems {v!r} is not 1..100")
            return None
        return int(v)

    def list_zones(self, q):
        unknown = set(q) - {"dnsname", "hostedzoneid", "maxitems"}
        if unknown:
            return self.violation(f"unknown query parameters {sorted(unknown)}")
        if "hostedzoneid" in q and "dnsname" not in q:
            return self.violation("hostedzoneid without dnsname")
        n = self.maxitems(q, 100)
        if n is None:
            return None
        n = min(n, self.state.zone_page_size)
        with self.state.lock:
            zones = sorted(self.state.zones, key=lambda z: (key_of(z["name"]), z["id"]))
        start = 0
        if "dnsname" in q:
            k = key_of(q["dnsname"])
            zid = q.get("hostedzoneid", "")
            while start < len(zones) and (key_of(zones[start]["name"]), zones[start]["id"]) < (k, zid):
                start += 1
        page, rest = zones[start:start + n], zones[start + n:]
        body = "<HostedZones>" + "".join(
            f"<HostedZone><Id>/hostedzone/{z['id']}</Id><Name>{z['name']}</Name><CallerReference>fake-{z['id']}"
            f"</CallerReference><Config><PrivateZone>{'true' if z['private'] else 'false'}</PrivateZone></Config>"
            f"<ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>" for z in page) + "</HostedZones>"
        if "dnsname" in q:
            body += f"<DNSName>{esc(q['dnsname'])}</DNSName>"
        if "hostedzoneid" in q:
            body += f"<HostedZoneId>{esc(q['hostedzoneid'])}</HostedZoneId>"
        body += f"<IsTruncated>{'true' if rest else 'false'}</IsTruncated>"
        if rest:
            body += f"<NextDNSName>{rest[0]['name']}</NextDNSName><NextHostedZoneId>{rest[0]['id']}</NextHostedZoneId>"
        body += f"<MaxItems>{n}</MaxItems>"
        return self.send_xml(200, "ListHostedZonesByNameResponse", body)

    def zone(self, zid):
        for z in self.state.zones:
            if z["id"] == zid:
                return z
        return None

    def list_sets(self, zid, q):
        unknown = set(q) - {"name", "type", "identifier", "maxitems"}
        if unknown:
            return self.violation(f"unknown query parameters {sorted(unknown)}")
        if "type" in q and "name" not in q:
            return self.violation("type without name")
        if "identifier" in q:
            return self.violation("identifier (certctl edits simple record sets only)")
        n = self.maxitems(q, 100)
        if n is None:
            return None
        z = self.zone(zid)
        if z is None:
            return self.aws_error(404, "NoSuchHostedZone", f"No hosted zone found with ID: {zid}")
        with self.state.lock:
            sets = sorted(((name, "TXT", s) for (zz, name), s in self.state.sets.items() if zz == zid),
                          key=lambda t: (key_of(t[0]), t[1]))
        start = 0
        if "name" in q:
            k = (key_of(q["name"]), q.get("type", ""))
            while start < len(sets) and (key_of(sets[start][0]), sets[start][1]) < k:
                start += 1
        page, rest = sets[start:start + n], sets[start + n:]
        body = "<ResourceRecordSets>" + "".join(
            f"<ResourceRecordSet><Name>{name}</Name><Type>{t}</Type><TTL>{s['ttl']}</TTL><ResourceRecords>" +
            "".join(f"<ResourceRecord><Value>{esc(v)}</Value></ResourceRecord>" for v in s["values"]) +
            "</ResourceRecords></ResourceRecordSet>" for name, t, s in page) + "</ResourceRecordSets>"
        body += f"<IsTruncated>{'true' if rest else 'false'}</IsTruncated>"
        if rest:
            body += f"<NextRecordName>{rest[0][0]}</NextRecordName><NextRecordType>TXT</NextRecordType>"
        body += f"<MaxItems>{n}</MaxItems>"
        return self.send_xml(200, "ListResourceRecordSetsResponse", body)

    def parse_batch(self, body):
        """The changes of a ChangeResourceRecordSetsRequest: [(action, name, ttl, [raw values])], or
        None with the violation answered."""
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip() not in ("application/xml", "text/xml"):
            return self.violation(f"ChangeResourceRecordSets without an XML Content-Type ({ctype!r})")
        try:
            root = ET.fromstring(body)
        except ET.ParseError as e:
            return self.violation(f"body is not XML: {e}")
        t = lambda name: f"{{{NS}}}{name}"
        if root.tag != t("ChangeResourceRecordSetsRequest"):
            return self.violation(f"root element {root.tag} is not ChangeResourceRecordSetsRequest in {NS}")
        if [c.tag for c in root] != [t("ChangeBatch")]:
            return self.violation("ChangeResourceRecordSetsRequest must hold exactly one ChangeBatch")
        batch = list(root[0])
        tags = [c.tag for c in batch]
        if tags not in ([t("Changes")], [t("Comment"), t("Changes")]):
            return self.violation(f"ChangeBatch holds {tags}, not [Comment], Changes")
        if tags[0] == t("Comment") and len(batch[0].text or "") > 256:
            return self.violation("Comment longer than 256 characters")
        changes = list(batch[-1])
        if not changes:
            return self.violation("Changes is empty")
        out = []
        for c in changes:
            if c.tag != t("Change") or [x.tag for x in c] != [t("Action"), t("ResourceRecordSet")]:
                return self.violation("a Change must hold Action, then ResourceRecordSet")
            action = (c[0].text or "")
            if action not in ("CREATE", "DELETE", "UPSERT"):
                return self.violation(f"Action {action!r}")
            rrs = c[1]
            if [x.tag for x in rrs] != [t("Name"), t("Type"), t("TTL"), t("ResourceRecords")]:
                return self.violation(f"ResourceRecordSet holds {[x.tag.split('}')[-1] for x in rrs]}, "
                                      "not Name, Type, TTL, ResourceRecords")
            name, typ, ttl = rrs[0].text or "", rrs[1].text or "", rrs[2].text or ""
            if typ != "TXT":
                return self.violation(f"Type {typ!r} (only TXT expected)")
            if not ttl.isdigit() or int(ttl) > MAX_TTL:
                return self.violation(f"TTL {ttl!r} is not 0..{MAX_TTL}")
            values = []
            for r in rrs[3]:
                if r.tag != t("ResourceRecord") or [x.tag for x in r] != [t("Value")]:
                    return self.violation("ResourceRecords must hold ResourceRecord elements with one Value")
                v = r[0].text or ""
                if not QUOTED.match(v):
                    return self.violation(f"TXT value {v!r} is not quoted character-strings of at most 255 characters")
                values.append(v)
            if not values:
                return self.violation("a ResourceRecordSet without ResourceRecords")
            out.append((action, absolute(name), int(ttl), values))
        return out

    def change(self, zid, body):
        z = self.zone(zid)
        if z is None:
            return self.aws_error(404, "NoSuchHostedZone", f"No hosted zone found with ID: {zid}")
        changes = self.parse_batch(body)
        if changes is None:
            return None
        for _, name, _, _ in changes:
            if not (name == z["name"] or name.endswith("." + z["name"])):
                return self.violation(f"name {name} is not in zone {z['name']}")
        with self.state.lock:
            if self.state.busy > 0:
                self.state.busy -= 1
                busy = True
            else:
                busy = False
        if busy:
            return self.aws_error(400, "PriorRequestNotComplete",
                                  "The request was rejected because Route 53 was still processing a prior request.")
        with self.state.lock:
            sets = {k: {"ttl": v["ttl"], "values": list(v["values"])} for k, v in self.state.sets.items()}
            errors = []
            for action, name, ttl, values in changes:
                key, have = (zid, name), sets.get((zid, name))
                label = f"[name='{name}', type='TXT']"
                if len(set(values)) != len(values):
                    errors.append(f"Duplicate Resource Record: '{values[0]}'")
                elif action == "CREATE" and have is not None:
                    errors.append(f"Tried to create resource record set {label} but it already exists")
                elif action == "DELETE" and have is None:
                    errors.append(f"Tried to delete resource record set {label} but it was not found")
                elif action == "DELETE" and (have["ttl"] != ttl or sorted(have["values"]) != sorted(values)):
                    errors.append(f"Tried to delete resource record set {label} but the values provided do not "
                                  "match the current values")
                elif action == "DELETE":
                    del sets[key]
                else:
                    sets[key] = {"ttl": ttl, "values": values}
            if errors:
                return self.invalid_batch(errors)
            before = {k: set(v["values"]) for k, v in self.state.sets.items()}
            after = {k: set(v["values"]) for k, v in sets.items()}
            self.state.sets = sets
            self.state.history.append({"zone": zid, "changes": [[a, n, t, [unquote_txt(v) for v in vs]]
                                                                for a, n, t, vs in changes]})
            self.state.next_change += 1
            cid = f"C{self.state.next_change:012d}FAKE"
            self.state.changes[cid] = self.state.pending_polls
            pending = self.state.pending_polls > 0
        if self.state.bind:
            for key in set(before) | set(after):
                for v in before.get(key, set()) - after.get(key, set()):
                    nsupdate(self.state.bind, self.state.tsig, "delete", key[1].rstrip("."), unquote_txt(v))
                for v in after.get(key, set()) - before.get(key, set()):
                    nsupdate(self.state.bind, self.state.tsig, "add", key[1].rstrip("."), unquote_txt(v))
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return self.send_xml(200, "ChangeResourceRecordSetsResponse",
                             f"<ChangeInfo><Id>/change/{cid}</Id><Status>{'PENDING' if pending else 'INSYNC'}</Status>"
                             f"<SubmittedAt>{now}</SubmittedAt></ChangeInfo>")

    def get_change(self, cid):
        with self.state.lock:
            left = self.state.changes.get(cid)
            if left is None:
                known = False
            else:
                known = True
                self.state.changes[cid] = max(0, left - 1)
        if not known:
            return self.aws_error(404, "NoSuchChange", f"A change with the specified change ID does not exist: {cid}")
        status = "PENDING" if left > 0 else "INSYNC"
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return self.send_xml(200, "GetChangeResponse",
                             f"<ChangeInfo><Id>/change/{cid}</Id><Status>{status}</Status>"
                             f"<SubmittedAt>{now}</SubmittedAt></ChangeInfo>")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--access-key-file", required=True, help="file holding the one valid access key id")
    ap.add_argument("--secret-file", required=True, help="file holding its secret access key")
    ap.add_argument("--token-file", help="file holding the session token that must be sent")
    ap.add_argument("--zone", action="append", default=[], help="NAME:ID, a public hosted zone")
    ap.add_argument("--private-zone", action="append", default=[], help="NAME:ID, a private hosted zone")
    ap.add_argument("--record", action="append", default=[], help="ID:NAME:VALUE, a preloaded TXT value")
    ap.add_argument("--zone-page-size", type=int, default=100)
    ap.add_argument("--pending-polls", type=int, default=1)
    ap.add_argument("--busy", type=int, default=0)
    ap.add_argument("--bind", help="HOST:PORT of a BIND to mirror TXT records into (with --tsig-file)")
    ap.add_argument("--tsig-file", help="file holding ALGORITHM:NAME:SECRET for --bind")
    a = ap.parse_args()
    state = State(a)
    for spec, private in [(s, False) for s in a.zone] + [(s, True) for s in a.private_zone]:
        name, zid = spec.rsplit(":", 1)
        state.zones.append({"id": zid, "name": absolute(name), "private": private})
    for spec in a.record:
        zid, name, value = spec.split(":", 2)
        s = state.sets.setdefault((zid, absolute(name)), {"ttl": 300, "values": []})
        s["values"].append('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
