"""Helpers for the /events integration tests (test_events.py), on top of nfct_harness.

Oracles for sampled events:
- ``conntrack_list``: ``conntrack -L -o extended`` of one namespace, parsed (tuples, zone,
  mark, TCP state, [ASSURED]/[UNREPLIED], helper);
- ``ct_dump``: a ctnetlink table dump of one namespace (the same netlink answer conntrack
  reads, decoded here because conntrack prints neither the raw status bits nor labels without
  a connlabel.conf): status, labels, zone direction, master tuple;
- ``event_text``: the text rendering rules of events.md, applied to a JSON event;
- ``schema_validators``: docs/events.schema.json with the validator its $schema names.

Nothing here sleeps to synchronise: ``wait_settled`` and ``FollowStream`` poll against
deadlines.
"""

import json
import os
import queue
import socket
import threading
import time

from nfct_harness import SOURCE_DIR, wait_for

EV_SEEN_REPLY = 1 << 1
EV_EXPECTED = 1 << 0
EV_ASSURED = 1 << 2
EV_CONFIRMED = 1 << 3
EV_SRC_NAT = 1 << 4
EV_DST_NAT = 1 << 5
EV_HELPER = 1 << 13

TCP_STATES = ["NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
              "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2"]
ZONE_DIRS = {0: "none", 1: "original", 2: "reply", 3: "default"}
PROTO_NUMS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132}


# --------------------------------------------------------------------------- /events

def get_events(ex, query="", timeout=5):
    """The JSON array of GET /events?limit=1000000&<query> (fails on anything but 200)."""
    path = "/events?limit=1000000" + ("&" + query if query else "")
    status, headers, body = ex.request(path, timeout=timeout)
    if status != 200:
        raise AssertionError("GET %s: %d %s" % (path, status, body))
    return json.loads(body)


def tracked_packets(m, namespaces):
    """Tracked packets (every state but untracked) counted in the given namespaces: with
    sample_rate 1, each of them is one sampled event."""
    return sum(m.sum("nfct_packets_total", netns=ns.label, state=s)
               for ns in namespaces
               for s in ("new", "established", "related", "reply", "related_reply"))


def wait_settled(ex, namespaces=(), every_packet=False, timeout=10.0, quiet=0.3):
    """Polls until the event pipeline is at rest: sampled == delivered + ring buffer drops,
    no decode error, and nothing moved for `quiet` seconds. every_packet (sample_rate 1):
    also sampled == the tracked packets counted in `namespaces`. Returns the last Metrics."""
    state = {"prev": None, "since": None}

    def check():
        m = ex.scrape()
        sampled = m.get("nfct_events_sampled_total")
        delivered = m.get("nfct_events_delivered_total")
        dropped = m.get("nfct_events_ringbuf_dropped_total")
        errors = m.get("nfct_events_decode_errors_total")
        snap = (sampled, delivered, dropped, errors, tracked_packets(m, namespaces))
        detail = "sampled %d delivered %d dropped %d decode errors %d tracked packets %d" % snap
        if errors:
            raise AssertionError("event records not decoded: " + detail)
        if sampled != delivered + dropped:
            state["prev"] = None
            return False, detail
        if every_packet and sampled != snap[4]:
            state["prev"] = None
            return False, detail + " (sample_rate 1: sampled should equal tracked packets)"
        now = time.monotonic()
        if snap != state["prev"]:
            state["prev"], state["since"] = snap, now
            return False, detail + " (waiting to stay still)"
        if now - state["since"] < quiet:
            return False, detail + " (waiting to stay still)"
        return True, m

    return wait_for(check, timeout=timeout, interval=0.05, what="the event pipeline to settle")


def proto_name(t):
    return next(iter(t["proto"]))


def tuple_key(t):
    """A hashable identity of one tuple of the event format."""
    name = proto_name(t)
    fields = t["proto"][name]
    return (t["ip"]["version"], t["ip"]["src"], t["ip"]["dst"], name,
            tuple(sorted(fields.items())))


def conn_key(c):
    """A connection's identity: its original tuple (zone aside)."""
    return tuple_key(c["orig"])


def by_connection(events):
    """{(netns, conn_key): [events, oldest first]}."""
    out = {}
    for e in events:
        out.setdefault((e["netns"], conn_key(e["ct"]["base"])), []).append(e)
    return out


# --------------------------------------------------------------------------- text rules

def _tuple_text(t):
    name = proto_name(t)
    f = t["proto"][name]
    src, dst = t["ip"]["src"], t["ip"]["dst"]
    if name in ("tcp", "udp", "sctp"):
        return "%s.%d > %s.%d" % (src, f["sport"], dst, f["dport"])
    if name in ("icmp", "icmpv6"):
        return "%s > %s type %d code %d id %d" % (src, dst, f["type"], f["code"], f["id"])
    return "%s > %s" % (src, dst)


def conn_text(c):
    """conn(c) of events.md, from a JSON conn."""
    name = proto_name(c["orig"])
    out = "status %s " % hex(c["ct_status"])
    if name == "tcp":
        out += "tcp (%s)" % c["tcp_state"]
    elif name == "other":
        out += "proto %d" % c["orig"]["proto"]["other"]["protonum"]
    else:
        out += name
    out += " orig [%s] reply [%s]" % (_tuple_text(c["orig"]), _tuple_text(c["reply"]))
    zone = {"original": " orig-zone %d", "reply": " reply-zone %d", "default": " zone %d",
            "none": ""}[c["zone_dir"]]
    if zone:
        out += zone % c["zone_id"]
    if c["mark"] is not None:
        out += " mark %d" % c["mark"]
    if c["labels"] is not None:
        out += " labels " + c["labels"]
    return out


def event_text(e):
    """The text lines (one, two with a parent) events.md prescribes for a JSON event."""
    ct = e["ct"]
    lines = ["ct_state %s %s" % (ct["state"].upper(), conn_text(ct["base"]))]
    if ct["parent"] is not None:
        lines.append("\\ parent [%s]" % conn_text(ct["parent"]))
    return lines


# --------------------------------------------------------------------------- schema

def load_schema():
    with open(os.path.join(SOURCE_DIR, "docs", "events.schema.json")) as f:
        return json.load(f)


def schema_validators():
    """(validator of the whole json body, validator of one event), using the validator class
    the schema's $schema names (Draft 2020-12)."""
    import jsonschema  # Debian: python3-jsonschema
    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    event_schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/event"}
    return cls(schema), cls(event_schema)


# --------------------------------------------------------------------------- follow

class FollowStream:
    """GET /events?follow=1&...: a raw HTTP/1.1 request whose response is read line by line
    by a thread. The headers are read before the constructor returns: by then the exporter
    has subscribed the client (it subscribes before answering)."""

    def __init__(self, test, port, query, timeout=5.0):
        self.lines = queue.Queue()
        self.eof = threading.Event()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        test.addCleanup(self.close)
        self.sock.sendall(("GET /events?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % query).encode())
        self.f = self.sock.makefile("rb")
        status_line = self.f.readline().decode()
        self.headers = {}
        while True:
            line = self.f.readline().decode()
            if line in ("\r\n", "\n", ""):
                break
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        parts = status_line.split()
        self.status = int(parts[1]) if len(parts) > 1 else None
        self.sock.settimeout(None)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for raw in self.f:
                line = raw.decode().rstrip("\n")
                if line:  # empty lines are the stream's keep-alives
                    self.lines.put(line)
        except (OSError, ValueError):
            pass
        self.eof.set()

    def take(self, n, timeout=10.0, what="lines"):
        """The next n lines; fails when they do not arrive before the deadline."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("follow stream: got %d of %d %s: %s" % (len(out), n, what, out[-5:]))
            try:
                out.append(self.lines.get(timeout=min(left, 0.2)))
            except queue.Empty:
                if self.eof.is_set() and self.lines.empty():
                    raise AssertionError("follow stream ended after %d of %d %s: %s"
                                         % (len(out), n, what, out[-5:]))
        return out

    def take_events(self, n, timeout=10.0):
        return [json.loads(l) for l in self.take(n, timeout, "events")]

    def wait_eof(self, timeout=5.0):
        if not self.eof.wait(timeout):
            raise AssertionError("the follow stream did not end within %ss" % timeout)
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return rest

    def pending(self):
        out = []
        while not self.lines.empty():
            out.append(self.lines.get())
        return out

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)


# --------------------------------------------------------------------------- conntrack -L

def _conntrack_tuple(kv, version):
    proto = kv["proto"]
    if proto in ("tcp", "udp", "sctp"):
        p = {proto: {"sport": int(kv["sport"]), "dport": int(kv["dport"])}}
    elif proto in ("icmp", "icmpv6"):
        p = {proto: {"type": int(kv["type"]), "code": int(kv["code"]), "id": int(kv["id"])}}
    else:
        p = {"other": {"protonum": kv["protonum"]}}
    return {"ip": {"src": kv["src"], "dst": kv["dst"], "version": version}, "proto": p}


def parse_conntrack_line(line):
    """One line of `conntrack -L -o extended` as {orig, reply, zone_id, zone_dir, mark,
    tcp_state, flags, helper} in the event format's shapes."""
    tok = line.split()
    l3, proto, protonum = tok[0], tok[2], int(tok[3])
    version = {"ipv4": "v4", "ipv6": "v6"}[l3]
    rest = tok[5:]  # after the timeout
    tcp_state = None
    if proto == "tcp" and rest and "=" not in rest[0] and not rest[0].startswith("["):
        tcp_state, rest = rest[0], rest[1:]
    sides = [{}, {}]
    side = -1
    common = {}
    flags = set()
    for t in rest:
        if t.startswith("["):
            flags.add(t.strip("[]"))
            continue
        k, _, v = t.partition("=")
        if k == "src":
            side += 1
        if k in ("src", "dst", "sport", "dport", "type", "code", "id") and 0 <= side <= 1:
            sides[side][k] = v
        else:
            common[k] = v
    for s in sides:
        s["proto"], s["protonum"] = proto, protonum
    zone_id, zone_dir = 0, "default"
    for k, d in (("zone", "default"), ("zone-orig", "original"), ("zone-reply", "reply")):
        if k in common:
            zone_id, zone_dir = int(common[k]), d
    return {
        "orig": _conntrack_tuple(sides[0], version),
        "reply": _conntrack_tuple(sides[1], version),
        "zone_id": zone_id,
        "zone_dir": zone_dir,
        "mark": int(common["mark"]) if "mark" in common else None,
        "tcp_state": tcp_state,
        "flags": flags,
        "helper": common.get("helper"),
    }


def conntrack_list(ns, family="ipv4"):
    out = ns.run(["conntrack", "-L", "-f", family, "-o", "extended"]).stdout
    return [parse_conntrack_line(l) for l in out.splitlines() if l.strip()]


# --------------------------------------------------------------------------- ctnetlink

# A ctnetlink table dump (IPCTNL_MSG_CT_GET with NLM_F_DUMP) of the current namespace,
# printed as JSON in the event format's shapes plus "master" (CTA_TUPLE_MASTER) and "helper".
CT_DUMP = r"""
import json, socket, struct, sys

def attrs(data):
    out, off = {}, 0
    while off + 4 <= len(data):
        alen, atype = struct.unpack_from("=HH", data, off)
        if alen < 4:
            break
        out[atype & 0x3fff] = data[off + 4:off + alen]
        off += (alen + 3) & ~3
    return out

be16 = lambda b: struct.unpack(">H", b[:2])[0]
be32 = lambda b: struct.unpack(">I", b[:4])[0]
TCP = ["NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK",
       "TIME_WAIT", "CLOSE", "SYN_SENT2"]
NAMES = {6: "tcp", 17: "udp", 132: "sctp"}

def tup(data):
    a = attrs(data)
    ip, pr = attrs(a[1]), attrs(a[2])
    if 1 in ip:
        fam, src, dst, ver = socket.AF_INET, ip[1], ip[2], "v4"
    else:
        fam, src, dst, ver = socket.AF_INET6, ip[3], ip[4], "v6"
    num = pr[1][0]
    if num in NAMES:
        p = {NAMES[num]: {"sport": be16(pr[2]), "dport": be16(pr[3])}}
    elif num == 1:
        p = {"icmp": {"type": pr[5][0], "code": pr[6][0], "id": be16(pr[4])}}
    elif num == 58:
        p = {"icmpv6": {"type": pr[8][0], "code": pr[9][0], "id": be16(pr[7])}}
    else:
        p = {"other": {"protonum": num}}
    t = {"ip": {"src": socket.inet_ntop(fam, src), "dst": socket.inet_ntop(fam, dst), "version": ver},
         "proto": p}
    return t, (be16(a[3]) if 3 in a else None)

s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
s.bind((0, 0))
s.send(struct.pack("=IHHII", 20, (1 << 8) | 1, 0x301, 1, 0) + struct.pack("=BBH", 0, 0, 0))
entries, done = [], False
while not done:
    data = s.recv(1 << 20)
    off = 0
    while off + 16 <= len(data):
        mlen, mtype = struct.unpack_from("=IH", data, off)
        if mtype == 3:  # NLMSG_DONE
            done = True
            break
        if mtype == 2:  # NLMSG_ERROR
            err = struct.unpack_from("=i", data, off + 16)[0]
            if err:
                sys.exit("netlink error %d" % err)
            done = True
            break
        a = attrs(data[off + 20:off + mlen])
        orig, zo = tup(a[1])
        reply, zr = tup(a[2])
        zone_id, zone_dir = 0, "default"
        if 18 in a:
            zone_id, zone_dir = be16(a[18]), "default"
        elif zo is not None:
            zone_id, zone_dir = zo, "original"
        elif zr is not None:
            zone_id, zone_dir = zr, "reply"
        labels = None
        if 22 in a and len(a[22]) >= 16:
            lo, hi = struct.unpack_from("=QQ", a[22])
            if hi:
                labels = "0x%016x%016x" % (hi, lo)
            elif lo:
                labels = "0x%016x" % lo
        tcp_state = None
        if 4 in a:
            pi = attrs(a[4])
            if 1 in pi:
                ti = attrs(pi[1])
                if 1 in ti:
                    tcp_state = TCP[ti[1][0]]
        helper = None
        if 5 in a:
            h = attrs(a[5])
            if 1 in h:
                helper = h[1].rstrip(b"\0").decode()
        entries.append({
            "zone_id": zone_id, "zone_dir": zone_dir, "orig": orig, "reply": reply,
            "tcp_state": tcp_state, "mark": be32(a[8]) if 8 in a else 0, "labels": labels,
            "ct_status": be32(a[3]),
            "master": tup(a[14])[0] if 14 in a else None, "helper": helper,
        })
        off += (mlen + 3) & ~3
print(json.dumps(entries))
"""


def ct_dump(ns):
    """The namespace's conntrack table from ctnetlink: [{zone_id, zone_dir, orig, reply,
    tcp_state, mark, labels, ct_status, master, helper}]."""
    return json.loads(ns.python(CT_DUMP).stdout)


# --------------------------------------------------------------------------- traffic

def enable_ipv6(ns, ifname, addr):
    """IPv6 on one veth of the lab (the lab turns it off), with addr/64 and no DAD."""
    ns.sysctl("net.ipv6.conf.%s.disable_ipv6" % ifname, 0)
    ns.run(["ip", "-6", "addr", "add", addr + "/64", "dev", ifname, "nodad"])


# argv: family(4/6) addr port count. Echoes `count` datagrams back to their sender.
UDP_ECHO_ANY = r"""
import socket, sys
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
addr, port, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((addr, port))
s.settimeout(30)
print("ready", flush=True)
for i in range(count):
    data, peer = s.recvfrom(65536)
    s.sendto(data, peer)
"""

# argv: family(4/6) dst port count. Sends count datagrams, each answered.
UDP_CLIENT_ANY = r"""
import socket, sys
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
dst, port, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(10)
for i in range(count):
    s.sendto(b"x" * 16, (dst, port))
    s.recvfrom(65536)
print(s.getsockname()[1])
"""

# argv: addr port. Binds a UDP socket and never reads it (datagrams pass the input hook,
# then the full socket buffer drops them); killed by the test's cleanup.
UDP_SINK = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
while True:
    time.sleep(60)
"""

# argv: dst port seconds max_packets. Sends small datagrams as fast as Python can, from one
# socket, until either limit; prints how many were sent successfully.
UDP_FLOOD = r"""
import socket, sys, time
dst, port, seconds, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((dst, port))
send = s.send
payload = b"f" * 8
n = tries = 0
end = time.monotonic() + seconds
while tries < limit:
    for _ in range(1000):
        try:
            send(payload)
            n += 1
        except OSError:
            pass
    tries += 1000
    if time.monotonic() >= end:
        break
print(n)
"""
