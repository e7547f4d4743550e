#!/usr/bin/env python3
"""A local stand-in for the Alibaba Cloud DNS (Alidns) RPC API, version 2015-01-09, as certctl
uses it, strict about requests.

Serves on 127.0.0.1 (port 0 = any; the port is written to --port-file). Every call is
GET /?Action=...&<common parameters>&<action parameters>&Signature=..., answered with JSON:
  DescribeDomains           KeyWord (a "%KeyWord%" match, case-insensitive), SearchMode,
                            PageNumber, PageSize (at most 100): TotalCount, Domains.Domain[]
  AddDomainRecord           DomainName, RR, Type, Value, TTL: RecordId
  DescribeSubDomainRecords  SubDomain, DomainName, Type, PageNumber, PageSize (at most 100):
                            TotalCount, DomainRecords.Record[]
  DeleteDomainRecord        RecordId: RecordId
Errors are the documented {"RequestId", "HostId", "Code", "Message", "Recommend"} object:
404 InvalidAccessKeyId.NotFound for an unknown AccessKey ID, 400 SignatureDoesNotMatch for a
signature that is not HMAC-SHA1(secret + "&", "GET&%2F&" + percentEncode(canonical query)),
400 InvalidDomainName.NoExist / IncorrectDomainUser for a domain the account does not have,
400 DomainRecordDuplicate for a record that exists already, 400 QuotaExceeded.TTL for a TTL
below --min-ttl, 400 DomainRecordNotBelongToUser for a RecordId that does not exist.

Anything the public documentation does not allow is a violation, recorded and answered 400: a
method other than GET, a path other than /, a body, a parameter given twice or percent-encoded
other than Alibaba's way (RFC 3986: only A-Z a-z 0-9 - _ . ~ literal, %XY in upper case, no +),
a missing or wrong common parameter (Format JSON, Version 2015-01-09, SignatureMethod HMAC-SHA1,
SignatureVersion 1.0, AccessKeyId, SignatureNonce, Timestamp as yyyy-MM-ddTHH:mm:ssZ in UTC
within 15 minutes of now), a SignatureNonce used before, an unknown Action, a parameter the
action does not take or a missing required one, a PageNumber/PageSize out of range, an RR that is
absolute (a trailing dot, or ending in the domain: "@" is the apex), a TXT Value wrapped in
quotes, a SubDomain that is not a name in the domain.

--page-size N makes every list page hold at most N rows (to exercise paging); --bind HOST:PORT
with --tsig-file (ALGORITHM:NAME:SECRET) mirrors every TXT record into that BIND zone with
nsupdate, so a CA resolving through BIND validates what was created here.

Test hooks (not part of the API): GET /_test/records, /_test/violations, /_test/requests (the
requests with their Signature cut out), /_test/malform (the next API answer is 200 with a body
that is not JSON), /_test/throttle (the next signed request is answered 400 Throttling.User).
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import re
import sys
import threading
import uuid
from urllib.parse import quote, unquote, urlsplit

from fake_server import JsonHandler, nsupdate, serve

COMMON = {"Format", "Version", "AccessKeyId", "SignatureMethod", "Timestamp", "SignatureVersion",
          "SignatureNonce", "Action", "Signature"}
OPTIONAL_COMMON = {"ResourceOwnerAccount"}
# Action -> (required, optional) parameters, from the API reference of each operation.
ACTIONS = {
    "DescribeDomains": (set(), {"Lang", "KeyWord", "GroupId", "PageNumber", "PageSize", "SearchMode",
                                "ResourceGroupId", "Starmark"}),
    "AddDomainRecord": ({"DomainName", "RR", "Type", "Value"}, {"Lang", "UserClientIp", "TTL", "Priority", "Line"}),
    "DescribeSubDomainRecords": ({"SubDomain"}, {"Lang", "UserClientIp", "PageNumber", "PageSize", "Type", "Line",
                                                 "DomainName"}),
    "DeleteDomainRecord": ({"RecordId"}, {"Lang", "UserClientIp"}),
}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
UNRESERVED = "-_.~"


def percent_encode(text):
    return quote(text, safe=UNRESERVED)


def string_to_sign(params):
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    return "GET&%2F&" + percent_encode(canonical)


def sign(secret, params):
    mac = hmac.new((secret + "&").encode(), string_to_sign(params).encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class State:
    def __init__(self, key_id, secret, domains, page_size, min_ttl, bind, tsig):
        self.lock = threading.Lock()
        self.key_id = key_id
        self.secret = secret
        self.domains = domains
        self.page_size = page_size
        self.min_ttl = min_ttl
        self.bind = bind
        self.tsig = tsig
        self.records = []
        self.next_id = 100000
        self.nonces = set()
        self.requests = []
        self.malform = 0
        self.throttle = 0


def fqdn_of(rec):
    return rec["DomainName"] if rec["RR"] == "@" else rec["RR"] + "." + rec["DomainName"]


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return {"RequestId": str(uuid.uuid4()), "HostId": "alidns.aliyuncs.com", "Code": "InvalidParameter",
                "Message": "fake_aliyun: " + what}

    def api_error(self, status, code, message):
        return self.send_json(status, {"RequestId": str(uuid.uuid4()), "HostId": "alidns.aliyuncs.com", "Code": code,
                                       "Message": message, "Recommend": "https://api.aliyun.com/troubleshoot?q=" + code})

    def answer(self, doc):
        doc = {"RequestId": str(uuid.uuid4()), **doc}
        with self.state.lock:
            broken = self.state.malform > 0
            if broken:
                self.state.malform -= 1
        if broken:
            body = b"<html><body>502 Bad Gateway</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        return self.send_json(200, doc)

    def mirror(self, action, fqdn, value):
        if self.state.bind:
            nsupdate(self.state.bind, self.state.tsig, action, fqdn, value)

    def begin(self):
        url = urlsplit(self.path)
        body = self.read_body()
        shown = re.sub(r"Signature=[^&]*", "Signature=<cut>", self.path)
        with self.state.lock:
            self.state.requests.append(f"{self.command} {shown}")
        if url.path in ("/_test/malform", "/_test/throttle"):
            with self.state.lock:
                setattr(self.state, url.path[7:], getattr(self.state, url.path[7:]) + 1)
            return self.send_json(200, {})
        if url.path.startswith("/_test/"):
            self.test_hook(url.path)
            return None
        return url, body

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        if self.command != "GET":
            return self.violation(f"method {self.command} (the RPC API is called with GET here)")
        if url.path != "/":
            return self.violation(f"path {url.path!r} (RPC calls go to /)")
        if body:
            return self.violation("a body on GET")
        params = {}
        for pair in url.query.split("&"):
            if "=" not in pair:
                return self.violation(f"query item {pair!r} without '='")
            raw_k, raw_v = pair.split("=", 1)
            k, v = unquote(raw_k), unquote(raw_v)
            if percent_encode(k) != raw_k or percent_encode(v) != raw_v:
                return self.violation(f"query item {pair!r} is not percent-encoded the way Alibaba signs it")
            if k in params:
                return self.violation(f"query parameter {k} repeated")
            params[k] = v
        for k in COMMON:
            if k not in params:
                return self.violation(f"common parameter {k} missing")
        fixed = {"Format": "JSON", "Version": "2015-01-09", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0"}
        for k, want in fixed.items():
            if params[k] != want:
                return self.violation(f"{k}={params[k]!r} (expected {want})")
        if not TIMESTAMP.fullmatch(params["Timestamp"]):
            return self.violation(f"Timestamp {params['Timestamp']!r} is not yyyy-MM-ddTHH:mm:ssZ")
        stamp = datetime.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        skew = abs((datetime.datetime.now(datetime.timezone.utc) - stamp).total_seconds())
        if skew > 900:
            self.violation(f"Timestamp {params['Timestamp']} is {int(skew)} s away from now")
            return None
        if not params["SignatureNonce"]:
            return self.violation("SignatureNonce is empty")
        with self.state.lock:
            reused = params["SignatureNonce"] in self.state.nonces
            self.state.nonces.add(params["SignatureNonce"])
        if reused:
            return self.violation(f"SignatureNonce {params['SignatureNonce']!r} used before (SignatureNonceUsed)")
        action = params["Action"]
        if action not in ACTIONS:
            return self.violation(f"Action {action!r} is not one certctl should call")
        if params["AccessKeyId"] != self.state.key_id:
            return self.api_error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        unsigned = {k: v for k, v in params.items() if k != "Signature"}
        if not hmac.compare_digest(params["Signature"], sign(self.state.secret, unsigned)):
            return self.api_error(400, "SignatureDoesNotMatch",
                                  "Specified signature is not matched with our calculation. server string to sign "
                                  "is:" + string_to_sign(unsigned))
        with self.state.lock:
            throttled = self.state.throttle > 0
            if throttled:
                self.state.throttle -= 1
        if throttled:
            return self.api_error(400, "Throttling.User", "Request was denied due to user flow control.")
        required, optional = ACTIONS[action]
        own = {k: v for k, v in unsigned.items() if k not in COMMON and k not in OPTIONAL_COMMON}
        for k in own:
            if k not in required and k not in optional:
                return self.violation(f"{action} takes no parameter {k}")
        for k in required:
            if k not in own:
                return self.violation(f"{action} without its required parameter {k}")
        for k in ("PageNumber", "PageSize", "TTL"):
            if k in own and not re.fullmatch(r"[1-9][0-9]*", own[k]):
                return self.violation(f"{k}={own[k]!r} is not a positive integer")
        if int(own.get("PageSize", "20")) > 100:
            return self.violation(f"PageSize {own['PageSize']} above the maximum of 100")
        return getattr(self, action)(own)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

    def page(self, rows, q):
        number = int(q.get("PageNumber", "1"))
        size = min(int(q.get("PageSize", "20")), self.state.page_size)
        return rows[(number - 1) * size: number * size], number, size

    def DescribeDomains(self, q):
        kw = q.get("KeyWord", "").lower()
        mode = q.get("SearchMode", "LIKE")
        if mode not in ("LIKE", "EXACT"):
            return self.violation(f"SearchMode {mode!r}")
        names = sorted(self.state.domains)
        hits = [d for d in names if (kw in d.lower() if mode == "LIKE" else kw == d.lower())]
        chunk, number, size = self.page(hits, q)
        return self.answer({"TotalCount": len(hits), "PageNumber": number, "PageSize": size,
                            "Domains": {"Domain": [{"DomainId": "dom-" + d, "DomainName": d, "PunyCode": d,
                                                    "AliDomain": False, "RecordCount": 0, "VersionCode": "mianfei",
                                                    "DnsServers": {"DnsServer": ["ns1.alidns.com", "ns2.alidns.com"]}}
                                                   for d in chunk]}})

    def AddDomainRecord(self, q):
        domain, rr, value = q["DomainName"], q["RR"], q["Value"]
        if domain not in self.state.domains:
            return self.api_error(400, "InvalidDomainName.NoExist", "The specified domain name does not exist.")
        if q["Type"] != "TXT":
            return self.violation(f"Type {q['Type']!r} (only TXT expected)")
        if not rr or rr.endswith(".") or rr.lower() == domain.lower() or rr.lower().endswith("." + domain.lower()):
            return self.violation(f"RR {rr!r} is not relative to {domain} ('@' for the apex)")
        if value.startswith('"'):
            return self.violation(f"TXT Value {value!r} is quoted")
        ttl = int(q.get("TTL", "600"))
        if ttl < self.state.min_ttl or ttl > 86400:
            return self.api_error(400, "QuotaExceeded.TTL", "The TTL has exceeded the limit of the domain edition.")
        with self.state.lock:
            for r in self.state.records:
                if r["DomainName"] == domain and r["RR"].lower() == rr.lower() and r["Type"] == "TXT" and r["Value"] == value:
                    dup = True
                    break
            else:
                dup = False
                self.state.next_id += 1
                rec = {"DomainName": domain, "RecordId": str(self.state.next_id), "RR": rr, "Type": "TXT",
                       "Value": value, "TTL": ttl, "Line": "default", "Status": "ENABLE", "Locked": False, "Weight": 1}
                self.state.records.append(rec)
        if dup:
            return self.api_error(400, "DomainRecordDuplicate", "The DNS record already exists.")
        self.mirror("add", fqdn_of(rec), value)
        return self.answer({"RecordId": rec["RecordId"]})

    def DescribeSubDomainRecords(self, q):
        sub = q["SubDomain"]
        if sub.endswith(".") or not sub:
            return self.violation(f"SubDomain {sub!r} has a trailing dot")
        domain = q.get("DomainName")
        if domain is None:
            return self.violation("DescribeSubDomainRecords without DomainName (the zone would be guessed)")
        if domain not in self.state.domains:
            return self.api_error(400, "IncorrectDomainUser", "The domain name does not belong to this user.")
        if not (sub.lower() == domain.lower() or sub.lower().endswith("." + domain.lower())):
            return self.violation(f"SubDomain {sub!r} is not a name in {domain}")
        with self.state.lock:
            rows = [dict(r) for r in self.state.records if r["DomainName"] == domain
                    and fqdn_of(r).lower() == sub.lower() and ("Type" not in q or r["Type"] == q["Type"])]
        chunk, number, size = self.page(rows, q)
        return self.answer({"TotalCount": len(rows), "PageNumber": number, "PageSize": size,
                            "DomainRecords": {"Record": chunk}})

    def DeleteDomainRecord(self, q):
        rid = q["RecordId"]
        with self.state.lock:
            for i, r in enumerate(self.state.records):
                if r["RecordId"] == rid:
                    del self.state.records[i]
                    break
            else:
                r = None
        if r is None:
            return self.api_error(400, "DomainRecordNotBelongToUser", "The DNS record does not belong to the user.")
        self.mirror("delete", fqdn_of(r), r["Value"])
        return self.answer({"RecordId": rid})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--key-file", required=True, help="file holding ACCESS_KEY_ID:ACCESS_KEY_SECRET, the one valid key")
    ap.add_argument("--domain", action="append", default=[], help="a domain of the account")
    ap.add_argument("--record", action="append", default=[], help="DOMAIN:RR:VALUE, preloaded")
    ap.add_argument("--page-size", type=int, default=100)
    ap.add_argument("--min-ttl", type=int, default=600, help="the lowest TTL the domains' edition accepts")
    ap.add_argument("--bind", help="HOST:PORT of a BIND to mirror TXT records into (with --tsig-file)")
    ap.add_argument("--tsig-file", help="file holding ALGORITHM:NAME:SECRET for --bind")
    a = ap.parse_args()
    key_id, secret = open(a.key_file).read().strip().split(":", 1)
    tsig = open(a.tsig_file).read().strip() if a.tsig_file else None
    state = State(key_id, secret, set(a.domain), a.page_size, a.min_ttl, a.bind, tsig)
    for spec in a.record:
        domain, rr, value = spec.split(":", 2)
        state.next_id += 1
        state.records.append({"DomainName": domain, "RecordId": str(state.next_id), "RR": rr, "Type": "TXT",
                              "Value": value, "TTL": 600, "Line": "default", "Status": "ENABLE", "Locked": False,
                              "Weight": 1})
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
