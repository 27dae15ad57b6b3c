"""Sampled conntrack events at /events (issue 3), checked against the kernel.

Every test makes its own namespaces (A the client, B the server, joined by a veth pair),
runs its own exporter on a free loopback port with `netns:` listing only those namespaces,
and sends traffic only between them. The oracles are the conntrack table of each namespace
(`conntrack -L -o extended`, and a ctnetlink dump for the raw status bits and labels),
the exporter's own packet counters, docs/events.schema.json and the text rules of events.md.
"""

import calendar
import json
import math
import os
import socket
import time
import unittest

from events_harness import (EV_ASSURED, EV_CONFIRMED, EV_EXPECTED, EV_HELPER, EV_SEEN_REPLY,
                            EV_SRC_NAT, PROTO_NUMS, UDP_CLIENT_ANY, UDP_ECHO_ANY, UDP_FLOOD,
                            UDP_SINK, FollowStream, by_connection, conn_key, conntrack_list,
                            ct_dump, enable_ipv6, event_text, get_events, schema_validators,
                            tracked_packets, wait_settled)
from nfct_harness import (DEFAULT_PROBES, FTP_HELPER_RULES, IPV4_PROBES, UDP_ECHO,
                          NfctTestCase, conntrack_on, finish, ftp_exchange, ping, tcp_exchange,
                          udp_send, wait_for)

IN, POST = "nf:ipv4:input", "nf:ipv4:postrouting"
STATES = ("new", "established", "related", "reply", "related_reply", "untracked")

MARK = 42
LABEL_BIT = 70
# Bit 70 is bit 6 of the upper 64-bit word: 32 digits, upper word 0x40.
LABELS_70 = "0x%016x%016x" % (1 << (LABEL_BIT - 64), 0)
ZONE_A, ZONE_B = 9, 7
SNAT_ADDR = "10.213.1.3"
SNAT_PORT, ECHO_COUNT = 6000, 3
CLOSED_PORT = 5999
TCP_PORT = 7777

# A: original-direction zone 9 set before conntrack (raw priority) on prerouting and output,
# mark 42 and label 70 on every connection it sends on, SNAT of UDP to port 6000, and the
# FTP helper on its control connections.
RULES_A = """
table ip nfct_ev {
  ct helper ftp-standard { type "ftp" protocol tcp; }
  chain zpre {
    type filter hook prerouting priority raw; policy accept;
    ct original zone set %(zone)d
  }
  chain zout {
    type filter hook output priority raw; policy accept;
    ct original zone set %(zone)d
  }
  chain out {
    type filter hook output priority 0; policy accept;
    ct mark set %(mark)d
    ct label set %(label)d
    tcp dport 21 ct helper set "ftp-standard"
  }
  chain do_snat {
    type nat hook postrouting priority srcnat; policy accept;
    udp dport %(snat_port)d snat ip to %(snat_addr)s
  }
}
""" % {"zone": ZONE_A, "mark": MARK, "label": LABEL_BIT, "snat_port": SNAT_PORT, "snat_addr": SNAT_ADDR}

# B: zone 7 in both directions (`ct zone set`, direction default).
RULES_B = """
table ip nfct_ev {
  chain zpre {
    type filter hook prerouting priority raw; policy accept;
    ct zone set %(zone)d
  }
  chain zout {
    type filter hook output priority raw; policy accept;
    ct zone set %(zone)d
  }
}
""" % {"zone": ZONE_B}


def parse_time_ns(s):
    """RFC 3339 UTC with nanoseconds (the events' `time`) as ns since the epoch."""
    date, frac = s[:-1].split(".")
    secs = calendar.timegm(time.strptime(date, "%Y-%m-%dT%H:%M:%S"))
    return secs * 10**9 + int(frac)


def stable_parts(c):
    """The parts of a connection that do not change while it lives."""
    return {k: c[k] for k in ("orig", "reply", "zone_id", "zone_dir", "mark", "labels")}


class EventsTestBase(NfctTestCase):

    def pair(self):
        a, b = self.lab.netns("a"), self.lab.netns("b")
        addr_a, addr_b = self.lab.veth(a, b)
        return a, b, addr_a, addr_b

    def events_exporter(self, namespaces, probes=IPV4_PROBES, **events):
        cfg = {"sample_rate": 1}
        cfg.update(events)
        return self.exporter(netns=namespaces, probes=probes, wait_probes=probes, extra={"events": cfg})

    def mixed_lab(self, ftp=False):
        """A (zone 9 original, mark 42, label 70, SNAT, FTP helper) and B (zone 7), an exporter
        sampling every packet, and ICMP, UDP (echoed, SNATed), UDP to a closed port (ICMP
        errors: related_reply), TCP and, with ftp, an active FTP exchange (a related data
        connection with a parent). Returns (a, b, exporter, settled Metrics)."""
        a, b, addr_a, addr_b = self.pair()
        a.run(["ip", "addr", "add", SNAT_ADDR + "/24", "dev", "veth0"])
        for ns in (a, b):
            conntrack_on(ns)
        a.nft(RULES_A)
        b.nft(RULES_B)
        ex = self.events_exporter([a, b])

        ping(a, addr_b, 3)
        echo = self.lab.background(b, UDP_ECHO, addr_b, SNAT_PORT, ECHO_COUNT)
        udp_send(a, addr_b, SNAT_PORT, ECHO_COUNT, expect_reply=True)
        finish(echo)
        udp_send(a, addr_b, CLOSED_PORT, 2)
        tcp_exchange(self.lab, a, b, addr_b, TCP_PORT, 3000)
        if ftp:
            ftp_exchange(self.lab, a, addr_a, b, addr_b)
        m = wait_settled(ex, [a, b], every_packet=True)
        self.assertEqual(m.get("nfct_events_ringbuf_dropped_total"), 0)
        return a, b, ex, m


class EventsMatchConntrackTest(EventsTestBase):

    def test_icmp_udp_tcp_events_agree_with_conntrack(self):
        """Every sampled event of A and B describes its connection as the kernel's conntrack
        table does: tuples (with SNAT), zone id and direction, mark, labels on every event;
        the last event of each connection (after the traffic stopped) also its status bits
        and TCP state. One event per tracked packet, per probe and state."""
        a, b, ex, m = self.mixed_lab()
        events = get_events(ex)
        self.assertEqual(len(events), m.get("nfct_events_delivered_total"))
        self.assertEqual([e["seq"] for e in events], sorted({e["seq"] for e in events}), "seq order")

        # Per probe, namespace and state: exactly the packets the exporter counted.
        for ns in (a, b):
            for probe in IPV4_PROBES:
                counted = {s: v for s, v in m.by("nfct_packets_total", "state", probe=probe,
                                                  netns=ns.label).items() if v}
                seen = {}
                for e in events:
                    if e["netns"] == ns.inode and e["probe"] == probe:
                        seen[e["ct"]["state"]] = seen.get(e["ct"]["state"], 0) + 1
                self.assertEqual(seen, counted, "%s %s: events by state vs nfct_packets_total" % (ns.name, probe))
        self.assertEqual({e["probe"] for e in events}, set(IPV4_PROBES))
        self.assertEqual({e["netns"] for e in events}, {a.inode, b.inode})

        conns = by_connection(events)
        expect = {a: {"zone_id": ZONE_A, "zone_dir": "original", "mark": MARK, "labels": LABELS_70},
                  b: {"zone_id": ZONE_B, "zone_dir": "default", "mark": 0, "labels": None}}
        for ns in (a, b):
            kernel = {conn_key(c): c for c in ct_dump(ns)}
            listed = {conn_key(c): c for c in conntrack_list(ns)}
            self.assertEqual(set(listed), set(kernel), "conntrack -L and the ctnetlink dump of %s" % ns.name)
            mine = {k: evs for (netns, k), evs in conns.items() if netns == ns.inode}
            self.assertEqual(set(mine), set(kernel), "%s: connections with events vs conntrack -L" % ns.name)
            self.assertEqual(len(kernel), 4, "%s: ICMP, UDP echo, UDP to a closed port, TCP" % ns.name)
            for k, evs in mine.items():
                ct, lst = kernel[k], listed[k]
                where = "%s %s" % (ns.name, k)
                for e in evs:
                    base = e["ct"]["base"]
                    self.assertIsNone(e["ct"]["parent"], where)
                    self.assertEqual(stable_parts(base), stable_parts(ct), where + " vs ctnetlink")
                    self.assertEqual({x: base[x] for x in ("orig", "reply", "zone_id", "zone_dir", "mark")},
                                     {x: lst[x] for x in ("orig", "reply", "zone_id", "zone_dir", "mark")},
                                     where + " vs conntrack -L")
                    self.assertEqual({x: base[x] for x in expect[ns]}, expect[ns], where)
                    # Status bits only get set during these connections' lives.
                    self.assertEqual(base["ct_status"] & ~ct["ct_status"], 0,
                                     "%s: event status %#x has bits the connection's final %#x lacks"
                                     % (where, base["ct_status"], ct["ct_status"]))
                    if k[3] == "tcp":
                        self.assertIsNotNone(base["tcp_state"], where)
                    else:
                        self.assertIsNone(base["tcp_state"], where)
                first, last = evs[0], evs[-1]
                # The first packet is seen before confirmation (the probes run before it).
                self.assertEqual(first["ct"]["state"], "new", where)
                self.assertFalse(first["ct"]["base"]["ct_status"] & EV_CONFIRMED, where)
                # The last event after the traffic stopped: the connection's current status.
                self.assertEqual(last["ct"]["base"]["ct_status"], ct["ct_status"],
                                 "%s: last event status %#x, kernel %#x" % (where, last["ct"]["base"]["ct_status"], ct["ct_status"]))
                self.assertEqual(last["ct"]["base"]["tcp_state"], lst["tcp_state"], where)
                self.assertEqual(last["ct"]["base"]["tcp_state"], ct["tcp_state"], where)
                status = last["ct"]["base"]["ct_status"]
                self.assertTrue(status & EV_CONFIRMED, where)
                self.assertEqual(bool(status & EV_ASSURED), "ASSURED" in lst["flags"], where)
                self.assertEqual(not (status & EV_SEEN_REPLY), "UNREPLIED" in lst["flags"], where)

        # The SNATed UDP echo, as A sees it: replies go to the SNAT address.
        snat = [evs for (netns, k), evs in conns.items()
                if netns == a.inode and k[3] == "udp" and dict(k[4])["dport"] == SNAT_PORT]
        self.assertEqual(len(snat), 1)
        last = snat[0][-1]["ct"]["base"]
        self.assertEqual(last["reply"]["ip"]["dst"], SNAT_ADDR)
        self.assertNotEqual(last["orig"]["ip"]["src"], SNAT_ADDR)
        self.assertTrue(last["ct_status"] & EV_SRC_NAT)
        self.assertTrue(last["ct_status"] & EV_SEEN_REPLY)
        # ICMP errors for the closed port are related_reply packets of the UDP connection.
        closed = [evs for (netns, k), evs in conns.items()
                  if netns == a.inode and k[3] == "udp" and dict(k[4])["dport"] == CLOSED_PORT]
        self.assertEqual([e["ct"]["state"] for e in closed[0] if e["probe"] == IN], ["related_reply"] * 2)
        # The TCP connection of A ends in TIME_WAIT, assured, with its states in order.
        tcp = [evs for (netns, k), evs in conns.items() if netns == a.inode and k[3] == "tcp"][0]
        self.assertEqual(tcp[0]["ct"]["base"]["tcp_state"], "SYN_SENT")
        self.assertEqual(tcp[-1]["ct"]["base"]["tcp_state"], "TIME_WAIT")
        self.assertIn("ESTABLISHED", [e["ct"]["base"]["tcp_state"] for e in tcp])

    def test_ftp_data_connection_is_related_with_its_parent(self):
        """Active FTP with the helper in A: the data connection's events in A carry the
        control connection as parent (as conntrack lists it, and as the kernel's master tuple);
        its first packet is `related` with the `expected` bit. In B (no helper) the same
        connection has no parent and starts `new`."""
        a, b, addr_a, addr_b = self.pair()
        for ns in (a, b):
            conntrack_on(ns)
        a.nft(FTP_HELPER_RULES)
        ex = self.events_exporter([a, b])
        ftp_exchange(self.lab, a, addr_a, b, addr_b)
        wait_settled(ex, [a, b], every_packet=True)
        events = get_events(ex)
        conns = by_connection(events)

        listed = conntrack_list(a)
        control = [c for c in listed if c["orig"]["proto"]["tcp"]["dport"] == 21]
        data = [c for c in listed if c["orig"]["proto"]["tcp"]["sport"] == 20]
        self.assertEqual((len(control), len(data)), (1, 1), listed)
        control, data = control[0], data[0]
        self.assertEqual(control["helper"], "ftp")
        kernel = {conn_key(c): c for c in ct_dump(a)}
        self.assertEqual(kernel[conn_key(data)]["master"], control["orig"], "kernel: master of the data connection")

        data_events = conns[(a.inode, conn_key(data))]
        first = data_events[0]
        self.assertEqual(first["probe"], IN)
        self.assertEqual(first["ct"]["state"], "related", first)
        self.assertTrue(first["ct"]["base"]["ct_status"] & EV_EXPECTED, first)
        self.assertEqual([e for e in data_events if e["ct"]["state"] in ("new", "related_reply")], [])
        for e in data_events:
            parent = e["ct"]["parent"]
            self.assertIsNotNone(parent, e)
            self.assertEqual((parent["orig"], parent["reply"]), (control["orig"], control["reply"]), e)
            self.assertEqual((parent["zone_id"], parent["zone_dir"], parent["mark"]),
                             (control["zone_id"], control["zone_dir"], control["mark"]))
            self.assertEqual(parent["tcp_state"], "ESTABLISHED")  # the control connection is open meanwhile
            self.assertTrue(parent["ct_status"] & EV_HELPER, parent)
            # A parent is printed as the second line of the text format.
            self.assertEqual(len(event_text(e)), 2)
        # The control connection itself has no parent.
        for e in conns[(a.inode, conn_key(control))]:
            self.assertIsNone(e["ct"]["parent"])

        # B has no helper: the data connection is a plain new connection there.
        b_data = [evs for (netns, k), evs in conns.items() if netns == b.inode and dict(k[4]).get("sport") == 20]
        self.assertEqual(len(b_data), 1)
        self.assertEqual(b_data[0][0]["ct"]["state"], "new")
        self.assertEqual([e for e in b_data[0] if e["ct"]["parent"] is not None], [])

        # The text rendering shows the parent line.
        status, _, body = ex.request("/events?limit=1000000&format=text&netns=%d&state=related" % a.inode)
        self.assertEqual(status, 200)
        self.assertEqual(body.splitlines(), event_text(first))
        self.assertTrue(body.splitlines()[1].startswith("\\ parent [status 0x"), body)


class EventsIPv6Test(EventsTestBase):

    def test_ipv6_events(self):
        """IPv6 between A and B (fd00:213::1 and ::2, no DAD), with an inet table turning
        conntrack on for both families and the default probes: ICMPv6 echo and UDP events are
        version v6, addresses as inet_ntop writes them, icmpv6/udp tuples as conntrack lists
        them, seen by the IPv6 probes."""
        a, b = self.lab.netns("a"), self.lab.netns("b")
        self.lab.veth(a, b)
        addr_a, addr_b = "fd00:213::1", "fd00:213::2"
        enable_ipv6(a, "veth0", addr_a)
        enable_ipv6(b, "veth0", addr_b)
        for ns in (a, b):
            conntrack_on(ns, family="inet")
        ex = self.exporter(netns=[a, b], probes=DEFAULT_PROBES, wait_probes=IPV4_PROBES,
                           extra={"events": {"sample_rate": 1}})
        # Each namespace gets all its probes in one go: with the IPv4 ones attached, the
        # IPv6 ones were tried too.
        m = ex.scrape()
        for ns in (a, b):
            for p in ("nf:ipv6:input", "nf:ipv6:postrouting"):
                self.assertEqual(
                    m.value("nfct_probe_attached", probe=p, netns=ns.label), 1,
                    "%s not attached in %s, where IPv6 conntrack is on (an EBUSY here is the "
                    "kernel's ipv6_confirm hook at LOCAL_IN, priority INT_MAX - 1, the priority "
                    "the exporter uses for its own hooks); log:\n%s" % (p, ns.name, ex.log()))

        ping(a, addr_b, 3, family=6)
        echo = self.lab.background(b, UDP_ECHO_ANY, 6, addr_b, 6000, 2)
        a.python(UDP_CLIENT_ANY, 6, addr_b, 6000, 2)
        finish(echo)
        wait_settled(ex, [a, b], every_packet=True)
        events = get_events(ex)
        self.assertTrue(events)
        _, event_validator = schema_validators()
        for e in events:
            event_validator.validate(e)
        self.assertEqual({e["probe"] for e in events}, {"nf:ipv6:input", "nf:ipv6:postrouting"})
        for e in events:
            base = e["ct"]["base"]
            for d in ("orig", "reply"):
                self.assertEqual(base[d]["ip"]["version"], "v6", e)
            self.assertEqual((base["orig"]["ip"]["src"], base["orig"]["ip"]["dst"]), (addr_a, addr_b), e)
            self.assertEqual((base["reply"]["ip"]["src"], base["reply"]["ip"]["dst"]), (addr_b, addr_a), e)
        protos = {}
        for e in events:
            t = e["ct"]["base"]["orig"]
            protos.setdefault(next(iter(t["proto"])), []).append(e)
        self.assertEqual(set(protos), {"icmpv6", "udp"})
        for e in protos["icmpv6"]:
            o, r = e["ct"]["base"]["orig"]["proto"]["icmpv6"], e["ct"]["base"]["reply"]["proto"]["icmpv6"]
            self.assertEqual((o["type"], o["code"], r["type"], r["code"]), (128, 0, 129, 0))
            self.assertEqual(o["id"], r["id"])
        for e in protos["udp"]:
            self.assertEqual(e["ct"]["base"]["orig"]["proto"]["udp"]["dport"], 6000)
        # Tuples as conntrack -f ipv6 lists them, in each namespace.
        conns = by_connection(events)
        for ns in (a, b):
            listed = {conn_key(c): c for c in conntrack_list(ns, "ipv6")}
            mine = {k: evs for (netns, k), evs in conns.items() if netns == ns.inode}
            self.assertEqual(set(mine), set(listed), ns.name)
            for k, evs in mine.items():
                for e in evs:
                    self.assertEqual((e["ct"]["base"]["orig"], e["ct"]["base"]["reply"]),
                                     (listed[k]["orig"], listed[k]["reply"]))
        # Text: IPv6 addresses are followed by .port like IPv4 ones.
        status, _, body = ex.request("/events?limit=1000000&format=text&proto=udp")
        self.assertEqual(status, 200)
        self.assertIn("udp orig [%s." % addr_a, body)
        self.assertEqual(body.splitlines(), [l for e in protos["udp"] for l in event_text(e)])


class EventsFollowTest(EventsTestBase):

    def test_follow_streams_new_events_in_order(self):
        """follow=1 (ndjson by default, ndjson, text): each stream gets exactly the events
        sampled after its request, in store order, the same in two concurrent clients; none
        older than the request. limit=N ends a stream after N events."""
        a, b, _, addr_b = self.pair()
        for ns in (a, b):
            conntrack_on(ns)
        ex = self.events_exporter([a, b])
        ping(a, addr_b, 2)
        wait_settled(ex, [a, b], every_packet=True)
        before = get_events(ex)
        self.assertEqual(len(before), 8)
        last_seq = before[-1]["seq"]

        t0 = time.time_ns()
        f1 = FollowStream(self, ex.port, "follow=1")
        f2 = FollowStream(self, ex.port, "follow=1&format=ndjson")
        ft = FollowStream(self, ex.port, "follow=1&format=text")
        for f in (f1, f2, ft):
            self.assertEqual(f.status, 200)
        self.assertEqual(f1.headers.get("content-type"), "application/x-ndjson")
        self.assertEqual(f2.headers.get("content-type"), "application/x-ndjson")
        self.assertTrue(ft.headers.get("content-type", "").startswith("text/plain"), ft.headers)
        self.assertEqual(ex.scrape().get("nfct_events_followers"), 3)

        ping(a, addr_b, 5)
        wait_settled(ex, [a, b], every_packet=True)
        new = [e for e in get_events(ex) if e["seq"] > last_seq]
        self.assertEqual(len(new), 20)
        got1 = f1.take_events(len(new))
        got2 = f2.take_events(len(new))
        text = ft.take(len(new))
        self.assertEqual(got1, new)
        self.assertEqual(got2, new)
        self.assertEqual(text, [l for e in new for l in event_text(e)])
        seqs = [e["seq"] for e in got1]
        self.assertTrue(all(x < y for x, y in zip(seqs, seqs[1:])), seqs)
        self.assertGreater(seqs[0], last_seq)
        for e in got1:
            # 1 ms slack for the exporter's monotonic-to-wall conversion.
            self.assertGreaterEqual(parse_time_ns(e["time"]), t0 - 10**6, e)
        for f in (f1, f2, ft):
            self.assertEqual(f.pending(), [], "a follow stream sent more than the new events")
            self.assertFalse(f.eof.is_set())

        # limit ends the stream after that many events (ndjson and text).
        lim = FollowStream(self, ex.port, "follow=1&limit=5")
        lim_text = FollowStream(self, ex.port, "follow=1&limit=3&format=text")
        last_seq = new[-1]["seq"]
        ping(a, addr_b, 3)
        got = lim.take_events(5)
        self.assertEqual(lim.wait_eof(), [])
        self.assertEqual(lim_text.take(3), [l for e in got[:3] for l in event_text(e)])
        self.assertEqual(lim_text.wait_eof(), [])
        self.assertEqual([e["seq"] for e in got], list(range(last_seq + 1, last_seq + 6)))
        # The unlimited streams carry on.
        self.assertEqual(f1.take_events(12), [e for e in get_events(ex) if e["seq"] > last_seq][:12])

        # Closed clients are let go (noticed at the next write): the gauge returns to 0.
        for f in (f1, f2, ft):
            f.close()

        def released():
            ping(a, addr_b, 1)
            n = ex.scrape().get("nfct_events_followers")
            return n == 0, "nfct_events_followers %s" % n

        wait_for(released, timeout=10, interval=0.1, what="closed follow clients to be released")
        status, _, _ = ex.request("/healthz")
        self.assertEqual(status, 200)


    def test_followers_are_capped_and_released(self):
        """follow=1 streams whose filter matches nothing: 24 are served, the 25th gets 503
        with a JSON body, and /healthz and /metrics still answer (connections are reserved
        for them). Once the clients go away, the keep-alive lines notice it without any
        event being written and their connections are released."""
        a, b, _, addr_b = self.pair()
        for ns in (a, b):
            conntrack_on(ns)
        ex = self.events_exporter([a, b])
        streams = [FollowStream(self, ex.port, "follow=1&netns=1") for _ in range(24)]
        self.assertEqual([f.status for f in streams], [200] * 24)
        status, _, body = ex.request("/events?follow=1", timeout=5)
        self.assertEqual(status, 503)
        self.assertEqual(json.loads(body)["parameter"], "follow")
        status, _, _ = ex.request("/healthz", timeout=5)
        self.assertEqual(status, 200)
        self.assertEqual(ex.scrape().get("nfct_events_followers"), 24)
        for f in streams:
            f.close()
        ping(a, addr_b, 2)  # events that match none of the closed streams

        def released():
            n = ex.scrape().get("nfct_events_followers")
            return n == 0, "nfct_events_followers %s" % n

        wait_for(released, timeout=15, interval=0.2, what="closed follow clients to be released")
        wait_settled(ex, [a, b], every_packet=True)
        self.assertEqual(len(get_events(ex)), 8)
        again = FollowStream(self, ex.port, "follow=1")
        self.assertEqual(again.status, 200)

    def test_slow_follower_is_told_what_it_missed(self):
        """A follow=1 client that does not read during a flood: its queue overflows, the
        excess is counted in nfct_events_follower_dropped_total and announced in the stream
        as {"dropped": N}; once read, the stream accounts for every event sampled after the
        request exactly (events received + N announced), in order."""
        a, b, _, addr_b = self.pair()
        for ns in (a, b):
            conntrack_on(ns)
        ex = self.events_exporter([a, b])
        slow = SlowFollower(self, ex.port, "follow=1")
        self.assertEqual(slow.status, 200)
        self.lab.background(b, UDP_SINK, addr_b, 9000)
        a.python(UDP_FLOOD, addr_b, 9000, 0.5, 100000)
        m = wait_settled(ex, [a, b], every_packet=True, timeout=20)
        delivered = m.get("nfct_events_delivered_total")
        dropped = wait_for(lambda: ex.scrape().get("nfct_events_follower_dropped_total"), timeout=10,
                           what="follower drops to be counted")

        got, announced = slow.read_until(delivered, timeout=30)
        self.assertEqual(announced, dropped)
        self.assertEqual(len(got) + announced, delivered)
        self.assertEqual(got, sorted(set(got)), "seq order")
        self.assertEqual(ex.scrape().get("nfct_events_follower_dropped_total"), dropped)
        status, _, _ = ex.request("/healthz")
        self.assertEqual(status, 200)


class SlowFollower:
    """A follow client with a tiny receive buffer that reads nothing until read_until()."""

    def __init__(self, test, port, query):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(5)
        self.sock.connect(("127.0.0.1", port))
        test.addCleanup(self.sock.close)
        self.sock.sendall(("GET /events?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % query).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(1)  # byte by byte: leave the body in the socket
            if not chunk:
                raise AssertionError("connection closed before the headers: %r" % buf)
            buf += chunk
        self.status = int(buf.split()[1])
        self.rest = b""

    def read_until(self, total, timeout):
        """Reads lines until events + announced drops == total; returns (seqs, dropped)."""
        seqs, dropped = [], 0
        deadline = time.monotonic() + timeout
        self.sock.settimeout(1)
        while len(seqs) + dropped < total:
            if time.monotonic() > deadline:
                raise AssertionError("stream accounted for %d + %d of %d events" % (len(seqs), dropped, total))
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError("stream ended after %d + %d of %d events" % (len(seqs), dropped, total))
            self.rest += chunk
            *lines, self.rest = self.rest.split(b"\n")
            for line in lines:
                doc = json.loads(line)
                if "dropped" in doc:
                    if set(doc) != {"dropped"} or doc["dropped"] < 1:
                        raise AssertionError("bad drop notice: %r" % line)
                    dropped += doc["dropped"]
                else:
                    seqs.append(doc["seq"])
        return seqs, dropped


class EventsRingBufferTest(EventsTestBase):

    def test_flood_into_tiny_ring_buffer_counts_drops(self):
        """A 4096-byte ring buffer (about 15 records) and a UDP flood sampled at rate 1:
        records are dropped, nfct_events_ringbuf_dropped_total counts them and, once the
        consumer caught up, sampled == delivered + dropped exactly and sampled == tracked
        packets; the exporter stays healthy and goes on delivering events."""
        a, b, _, addr_b = self.pair()
        for ns in (a, b):
            conntrack_on(ns)
        ex = self.events_exporter([a, b], ring_buffer_size=4096)
        self.lab.background(b, UDP_SINK, addr_b, 9000)
        sent = int(a.python(UDP_FLOOD, addr_b, 9000, 0.7, 200000).stdout)
        m = wait_settled(ex, [a, b], every_packet=True, timeout=20)
        sampled = m.get("nfct_events_sampled_total")
        delivered = m.get("nfct_events_delivered_total")
        dropped = m.get("nfct_events_ringbuf_dropped_total")
        self.assertGreater(dropped, 0, "no drop with a 4096-byte ring and %d datagrams" % sent)
        self.assertGreater(delivered, 0)
        self.assertEqual(sampled, delivered + dropped)
        # Each datagram sent is sampled at least at A's postrouting (and B's input).
        self.assertGreaterEqual(sampled, sent)
        self.assertEqual(m.get("nfct_events_decode_errors_total"), 0)

        status, _, _ = ex.request("/healthz")
        self.assertEqual(status, 200)
        capacity = m.get("nfct_events_store_capacity")
        events = get_events(ex)
        self.assertEqual(len(events), min(delivered, capacity))
        self.assertEqual(m.get("nfct_events_stored"), len(events))
        self.assertEqual([e["seq"] for e in events], list(range(delivered - len(events) + 1, delivered + 1)))

        # Still delivering after the flood: 2 pings are 8 events, none dropped.
        ping(a, addr_b, 2)
        m2 = wait_settled(ex, [a, b], every_packet=True)
        self.assertEqual(m2.get("nfct_events_ringbuf_dropped_total"), dropped)
        self.assertEqual(m2.get("nfct_events_delivered_total"), delivered + 8)
        icmp = get_events(ex, "proto=icmp")
        self.assertEqual(len(icmp), 8)
        self.assertEqual([e["seq"] for e in icmp], list(range(delivered + 1, delivered + 9)))
        status, _, _ = ex.request("/healthz")
        self.assertEqual(status, 200)


class EventsSchemaTest(EventsTestBase):

    def test_burst_validates_against_schema(self):
        """The whole /events body after a mixed burst (every ctinfo but untracked, ICMP, UDP,
        TCP, zones, mark, labels, SNAT, an FTP data connection with a parent) validates
        against docs/events.schema.json; so does every ndjson line against $defs/event."""
        whole, one = schema_validators()
        a, b, ex, m = self.mixed_lab(ftp=True)
        status, headers, body = ex.request("/events?limit=1000000")
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("content-type"), "application/json")
        events = json.loads(body)
        self.assertEqual(len(events), m.get("nfct_events_delivered_total"))
        errors = sorted(whole.iter_errors(events), key=lambda e: list(e.absolute_path))
        self.assertEqual(["%s: %s" % (list(e.absolute_path), e.message) for e in errors[:10]], [])

        status, headers, body = ex.request("/events?limit=1000000&format=ndjson")
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("content-type"), "application/x-ndjson")
        lines = body.splitlines()
        self.assertEqual(len(lines), len(events))
        for line in lines:
            e = json.loads(line)
            one.validate(e)
        self.assertEqual([json.loads(l) for l in lines], events)

        # What the burst covered, so that the validation means something.
        bases = [e["ct"]["base"] for e in events]
        self.assertEqual({e["ct"]["state"] for e in events},
                         {"new", "established", "related", "reply", "related_reply"})
        self.assertEqual({next(iter(c["orig"]["proto"])) for c in bases}, {"icmp", "udp", "tcp"})
        self.assertEqual({c["zone_dir"] for c in bases}, {"original", "default"})
        self.assertIn(LABELS_70, {c["labels"] for c in bases})
        self.assertIn(None, {c["labels"] for c in bases})
        self.assertTrue(any(e["ct"]["parent"] is not None for e in events))
        # And the validator is not vacuous: broken copies of a real event fail.
        e = json.loads(lines[0])
        for mutate in (lambda x: x["ct"]["base"].pop("labels"),
                       lambda x: x["ct"]["base"].__setitem__("labels", "0x0"),
                       lambda x: x["ct"]["base"]["orig"]["ip"].__setitem__("version", "v5"),
                       lambda x: x.__setitem__("seq", 0)):
            broken = json.loads(json.dumps(e))
            mutate(broken)
            self.assertFalse(one.is_valid(broken), broken)


class EventsQueryTest(EventsTestBase):

    def test_filters_limit_text_and_bad_parameters(self):
        """state, zone, proto and netns (alone and together) return exactly the matching
        events of the store, oldest first; limit keeps the newest; format=text follows the
        text rules of events.md; bad values get 400 with a JSON body naming the parameter."""
        a, b, ex, m = self.mixed_lab(ftp=True)
        everything = get_events(ex)
        self.assertEqual(len(everything), m.get("nfct_events_delivered_total"))

        def check(query, pred):
            want = [e for e in everything if pred(e)]
            self.assertEqual(get_events(ex, query), want, query)
            return want

        def proto_of(e):
            return PROTO_NUMS.get(next(iter(e["ct"]["base"]["orig"]["proto"])))

        nonempty = set()
        for s in STATES:
            if check("state=" + s, lambda e, s=s: e["ct"]["state"] == s):
                nonempty.add("state=" + s)
        for z in (0, ZONE_A, ZONE_B, 65535):
            if check("zone=%d" % z, lambda e, z=z: e["ct"]["base"]["zone_id"] == z):
                nonempty.add("zone=%d" % z)
        for p, num in PROTO_NUMS.items():
            if check("proto=" + p, lambda e, num=num: proto_of(e) == num):
                nonempty.add("proto=" + p)
        for ns in (a, b):
            if check("netns=%d" % ns.inode, lambda e, ns=ns: e["netns"] == ns.inode):
                nonempty.add("netns=%d" % ns.inode)
        check("netns=1", lambda e: e["netns"] == 1)
        self.assertEqual(nonempty, {"state=new", "state=established", "state=related", "state=reply",
                                    "state=related_reply", "zone=%d" % ZONE_A, "zone=%d" % ZONE_B,
                                    "proto=tcp", "proto=udp", "proto=icmp",
                                    "netns=%d" % a.inode, "netns=%d" % b.inode})
        combined = check("state=reply&proto=tcp&netns=%d&zone=%d" % (a.inode, ZONE_A),
                         lambda e: e["ct"]["state"] == "reply" and proto_of(e) == 6
                         and e["netns"] == a.inode and e["ct"]["base"]["zone_id"] == ZONE_A)
        self.assertTrue(combined)
        # Percent-encoding is decoded.
        self.assertEqual(get_events(ex, "state=related%5Freply"),
                         [e for e in everything if e["ct"]["state"] == "related_reply"])

        # limit: the newest N (of the matches), still oldest first; the default is 100.
        status, _, body = ex.request("/events?limit=5")
        self.assertEqual(json.loads(body), everything[-5:])
        status, _, body = ex.request("/events?proto=udp&limit=3")
        self.assertEqual(json.loads(body), [e for e in everything if proto_of(e) == 17][-3:])
        self.assertGreater(len(everything), 100)
        status, _, body = ex.request("/events")
        self.assertEqual(json.loads(body), everything[-100:])

        # format=text: one line per event (two with a parent), by the rules of events.md.
        status, headers, body = ex.request("/events?limit=1000000&format=text")
        self.assertEqual(status, 200)
        self.assertTrue(headers.get("content-type", "").startswith("text/plain"), headers)
        self.assertTrue(body.endswith("\n"))
        self.assertEqual(body.splitlines(), [l for e in everything for l in event_text(e)])
        lines = body.splitlines()
        self.assertTrue(any(l.startswith("ct_state NEW status 0x") and " icmp orig [" in l for l in lines))
        self.assertTrue(any(" orig-zone %d mark %d labels %s" % (ZONE_A, MARK, LABELS_70) in l for l in lines))
        self.assertTrue(any(l.endswith(" zone %d mark 0" % ZONE_B) for l in lines))
        self.assertTrue(any(l.startswith("\\ parent [status 0x") for l in lines))
        status, _, body = ex.request("/events?limit=1000000&format=text&proto=tcp&state=new")
        self.assertEqual(body.splitlines(), [l for e in everything if proto_of(e) == 6
                                             and e["ct"]["state"] == "new" for l in event_text(e)])

        # Bad parameters: 400 with {"error": "bad request", "parameter": ..., "message": ...}.
        bad = [
            ("state=bogus", "state"), ("state=NEW", "state"), ("zone=65536", "zone"), ("zone=-1", "zone"),
            ("zone=", "zone"), ("proto=gre", "proto"), ("netns=abc", "netns"), ("netns=4294967296", "netns"),
            ("limit=0", "limit"), ("limit=1000001", "limit"), ("limit=ten", "limit"), ("format=xml", "format"),
            ("follow=2", "follow"), ("follow=1&format=json", "format"), ("bogus=1", "bogus"),
            ("state=new&state=reply", "state"),
        ]
        for query, param in bad:
            status, headers, body = ex.request("/events?" + query)
            self.assertEqual(status, 400, query)
            self.assertEqual(headers.get("content-type"), "application/json", query)
            doc = json.loads(body)
            self.assertEqual(doc.get("error"), "bad request", query)
            self.assertEqual(doc.get("parameter"), param, "%s: %s" % (query, body))
            self.assertTrue(doc.get("message"), query)
        # The store did not change meanwhile, and the exporter is fine.
        self.assertEqual(get_events(ex), everything)
        status, _, _ = ex.request("/healthz")
        self.assertEqual(status, 200)


class EventsSamplingTest(EventsTestBase):

    def test_sample_rate_10_samples_one_packet_in_10_per_cpu(self):
        """sample_rate 10: the per-CPU countdown samples ceil(p/10) of the p tracked packets
        a CPU sees (the first, the 11th, ...). 50 pings are 200 tracked packets: sampled is
        between 20 and 20 + the number of CPUs; every sampled event is delivered. With the
        pinger on CPU 0 and the veth handing packets over on the same CPU, exactly 20."""
        a, b, _, addr_b = self.pair()
        for ns in (a, b):
            conntrack_on(ns)
        ex = self.events_exporter([a, b], sample_rate=10)
        a.run(["taskset", "-c", "0", "ping", "-4", "-n", "-q", "-c", "50", "-i", "0.005", "-W", "1", addr_b])
        m = wait_settled(ex, [a, b])
        packets = tracked_packets(m, [a, b])
        self.assertEqual(packets, 200)
        self.assertEqual(m.get("nfct_events_sample_rate"), 10)
        sampled = m.get("nfct_events_sampled_total")
        ncpus = os.cpu_count()
        self.assertGreaterEqual(sampled, math.ceil(packets / 10))
        self.assertLessEqual(sampled, packets // 10 + ncpus)
        self.assertEqual(m.get("nfct_events_ringbuf_dropped_total"), 0)
        self.assertEqual(m.get("nfct_events_delivered_total"), sampled)
        self.assertEqual(len(get_events(ex)), sampled)
        self.assertEqual(sampled, 20, "pinned to CPU 0: exactly one in 10")

    def test_untracked_packets_are_not_sampled(self):
        """notrack in A: A's packets are counted as untracked but never sampled; B still
        tracks the same pings and every one of its packets is an event."""
        a, b, _, addr_b = self.pair()
        for ns in (a, b):
            conntrack_on(ns)
        a.nft("""
table ip nfct_notrack {
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    notrack
  }
  chain out {
    type filter hook output priority raw; policy accept;
    notrack
  }
}
""")
        ex = self.events_exporter([a, b])
        ping(a, addr_b, 3)
        m = wait_settled(ex, [a, b], every_packet=True)
        self.assertEqual(m.sum("nfct_packets_total", netns=a.label, state="untracked"), 6)
        self.assertEqual(tracked_packets(m, [a]), 0)
        events = get_events(ex)
        self.assertEqual(len(events), 6)
        self.assertEqual({e["netns"] for e in events}, {b.inode})
        self.assertEqual(get_events(ex, "state=untracked"), [])
        self.assertEqual(get_events(ex, "netns=%d" % a.inode), [])

    def test_sample_rate_0_samples_nothing(self):
        """sample_rate 0: packets are counted, nothing is sampled, /events has no event and
        says that sampling is off (a header on every format, a comment line in text)."""
        a, b, _, addr_b = self.pair()
        for ns in (a, b):
            conntrack_on(ns)
        ex = self.events_exporter([a, b], sample_rate=0)
        ping(a, addr_b, 5)
        m = wait_for(lambda: (lambda m: (tracked_packets(m, [a, b]) == 20, m))(ex.scrape()),
                     what="20 tracked packets counted")
        self.assertEqual(m.get("nfct_events_sample_rate"), 0)
        self.assertEqual(m.get("nfct_events_sampled_total"), 0)
        self.assertEqual(m.get("nfct_events_delivered_total"), 0)
        self.assertEqual(m.get("nfct_events_ringbuf_dropped_total"), 0)
        self.assertEqual(get_events(ex), [])
        status, headers, body = ex.request("/events?format=text")
        self.assertEqual((status, body),
                         (200, "# sampling is off (events.sample_rate: 0): no event is sampled\n"))
        self.assertEqual(headers.get("x-nfct-sample-rate"), "0 (off)")
        for fmt, empty in (("json", "[]\n"), ("ndjson", "")):
            status, headers, body = ex.request("/events?format=" + fmt)
            self.assertEqual((status, body, headers.get("x-nfct-sample-rate")), (200, empty, "0 (off)"), fmt)

    def test_sampling_is_on_by_default(self):
        """Without an events section the exporter samples one tracked packet in 1000 per
        CPU: /events is not empty after enough traffic and announces the rate."""
        a, b, _, addr_b = self.pair()
        for ns in (a, b):
            conntrack_on(ns)
        ex = self.exporter(netns=[a, b], probes=IPV4_PROBES, wait_probes=IPV4_PROBES)
        self.assertEqual(ex.scrape().get("nfct_events_sample_rate"), 1000)
        # 1000 datagrams, each seen by two probes: 2000 tracked packets, two samples at
        # least whatever CPUs they ran on (each CPU samples its first tracked packet).
        udp_send(a, addr_b, 9999, 1000)
        m = wait_for(lambda: (lambda m: (m.get("nfct_events_sampled_total") >= 2 and
                                         m.get("nfct_events_delivered_total") == m.get("nfct_events_sampled_total"),
                                         m))(ex.scrape()), what="sampled events delivered")
        events = get_events(ex)
        self.assertEqual(len(events), m.get("nfct_events_delivered_total"))
        self.assertEqual({e["netns"] for e in events} <= {a.inode, b.inode}, True)
        status, headers, _ = ex.request("/events")
        self.assertEqual((status, headers.get("x-nfct-sample-rate")), (200, "1000"))


if __name__ == "__main__":
    unittest.main()
