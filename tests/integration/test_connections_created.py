"""nfct_connections_created_total counts each connection a namespace's conntrack created
exactly once, per zone and zone direction: it equals the entries `conntrack -L` lists in
that namespace after the traffic, and the connections the traffic opened.

Topology: namespaces A (client, 10.213.1.1) and B (server, 10.213.1.2) joined by a veth
pair; the exporter watches both (list mode, the default probes plus ipv4 prerouting and
output, which the count must leave out). A puts ICMP in zone 7
(`ct zone set`, direction default) and UDP to port 7000 in zone 9 (`ct original zone
set`, direction original); B sets no zone. Traffic:
  - N TCP connections A -> B (zone 0);
  - M UDP flows A -> B:7000, two datagrams each, answered (zone 9 in A);
  - K ping exchanges A -> B, two echoes each (zone 7 in A);
  - R TCP connections to B:5999 whose SYN-ACK B drops before conntrack sees it: A
    retransmits the SYN, and both sides see those retransmissions as `new` packets of an
    entry that is already confirmed;
  - one active FTP session: A's FTP helper makes the data connection from B an expected
    one (`related` at A's input), B sees it as an ordinary new connection.
Conntrack timeouts in both namespaces are raised to 10 minutes, so that `conntrack -L`
still lists every entry when it is read.
"""

import re

from nfct_harness import (DEFAULT_PROBES, FTP_HELPER_RULES, TCP_CLIENT, UDP_ECHO, NfctTestCase, OracleSpec,
                          assert_matches_oracle, finish, ftp_exchange, ping, udp_send, wait_for)

IN, POST = "nf:ipv4:input", "nf:ipv4:postrouting"
N_TCP, M_UDP, K_ICMP, R_RETRY = 5, 4, 3, 2
UDP_PORT, TCP_PORT, RETRY_PORT = 7000, 5001, 5999

A_RULES = """
table ip nfct_created {
  counter syn_out { }
  counter syn_in { }
  counter retry_syn { }
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    ip protocol icmp ct zone set 7
    udp sport %(udp)d ct original zone set 9
  }
  chain out {
    type filter hook output priority raw; policy accept;
    ip protocol icmp ct zone set 7
    udp dport %(udp)d ct original zone set 9
  }
  chain syns_post {
    type filter hook postrouting priority 300; policy accept;
    tcp flags & (syn | ack) == syn counter name "syn_out"
    tcp dport %(retry)d tcp flags & (syn | ack) == syn counter name "retry_syn"
  }
  chain syns_in {
    type filter hook input priority 300; policy accept;
    tcp flags & (syn | ack) == syn counter name "syn_in"
  }
}
"""

B_RULES = """
table ip nfct_created {
  counter syn_out { }
  counter syn_in { }
  chain raw_out {
    type filter hook output priority raw; policy accept;
    tcp sport %(retry)d tcp flags & (syn | ack) == syn | ack drop
  }
  chain syns_post {
    type filter hook postrouting priority 300; policy accept;
    tcp flags & (syn | ack) == syn counter name "syn_out"
  }
  chain syns_in {
    type filter hook input priority 300; policy accept;
    tcp flags & (syn | ack) == syn counter name "syn_in"
  }
}
"""

# argv: addr port n. Accepts n connections, reads each to EOF, answers its byte count.
TCP_SERVER_N = r"""
import socket, sys
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((addr, port))
l.listen(n)
l.settimeout(60)
print("ready", flush=True)
for i in range(n):
    c, _ = l.accept()
    c.settimeout(30)
    total = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        total += len(d)
    c.sendall(str(total).encode())
    c.close()
"""

# argv: addr port. Listens and never accepts: the kernel answers SYNs (B drops the answers).
LISTENER = r"""
import socket, sys, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2])))
l.listen(16)
print("ready", flush=True)
time.sleep(600)
"""

# argv: addr port r. Starts r non-blocking connects and keeps them until killed.
RETRYING_CONNECTS = r"""
import socket, sys, time
addr, port, r = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = []
for i in range(r):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((addr, port))
    socks.append(s)
print("ready", flush=True)
time.sleep(600)
"""

_ZONE = re.compile(r"\bzone(?:-(orig|reply))?=(\d+)")


def conntrack_entries(ns):
    """{(zone, direction): entries} and the TCP entry count of `conntrack -L` in ns."""
    out = ns.run(["conntrack", "-L"]).stdout
    by_zone, tcp = {}, 0
    for line in out.splitlines():
        if not line.strip():
            continue
        m = _ZONE.search(line)
        zone, direction = ("0", "default") if not m else (
            m.group(2), {"orig": "original", "reply": "reply", None: "default"}[m.group(1)])
        by_zone[(zone, direction)] = by_zone.get((zone, direction), 0) + 1
        tcp += line.split()[0] == "tcp"
    return by_zone, tcp


class ConnectionsCreatedTest(NfctTestCase):

    def test_created_equals_conntrack_entries_per_zone(self):
        a, b = self.lab.netns("a"), self.lab.netns("b")
        addr_a, addr_b = self.lab.veth(a, b)
        for ns in (a, b):
            for key in ("icmp_timeout", "udp_timeout", "udp_timeout_stream"):
                ns.sysctl("net.netfilter.nf_conntrack_" + key, 600)
        a.nft(A_RULES % {"udp": UDP_PORT, "retry": RETRY_PORT})
        a.nft(FTP_HELPER_RULES)
        b.nft(B_RULES % {"retry": RETRY_PORT})
        # nft counters of every state at the same hooks: state="new" is checked exactly.
        oracle = OracleSpec(zones=(0, 7, 9))
        for ns in (a, b):
            oracle.install(ns)
        # Prerouting and output probes as well: there the opening packet is unconfirmed
        # too, and the count must leave them out.
        ex = self.exporter(netns=[a, b], probes=DEFAULT_PROBES + ["nf:ipv4:prerouting", "nf:ipv4:output"])

        srv = self.lab.background(b, TCP_SERVER_N, addr_b, TCP_PORT, N_TCP)
        for i in range(N_TCP):
            self.assertEqual(a.python(TCP_CLIENT, addr_b, TCP_PORT, 1000 + i).stdout.strip(), str(1000 + i))
        finish(srv)
        echo = self.lab.background(b, UDP_ECHO, addr_b, UDP_PORT, 2 * M_UDP)
        for _ in range(M_UDP):
            udp_send(a, addr_b, UDP_PORT, 2, expect_reply=True)  # a new source port each time
        finish(echo)
        for _ in range(K_ICMP):
            ping(a, addr_b, 2)
        ftp_exchange(self.lab, a, addr_a, b, addr_b)
        self.lab.background(b, LISTENER, addr_b, RETRY_PORT)
        retry = self.lab.background(a, RETRYING_CONNECTS, addr_b, RETRY_PORT, R_RETRY)
        # Linux retransmits an unanswered SYN after 1 s: wait until each was sent twice.
        wait_for(lambda: a.counters("nfct_created")["retry_syn"][0] >= 2 * R_RETRY, timeout=15,
                 what="retransmitted SYNs")
        retry.kill()
        retry.wait()

        # Independent of conntrack: the connections the traffic opened.
        opened = {
            a: {("0", "default"): N_TCP + R_RETRY + 2, ("7", "default"): K_ICMP, ("9", "original"): M_UDP},
            b: {("0", "default"): N_TCP + R_RETRY + 2 + K_ICMP + M_UDP},
        }
        listed = {ns: conntrack_entries(ns) for ns in (a, b)}
        for ns in (a, b):
            self.assertEqual(listed[ns][0], opened[ns], "conntrack -L in %s" % ns.name)

        # The exporter's packet states equal nft's at the same hooks (no packet in flight).
        m, counters = assert_matches_oracle(ex, oracle, [a, b])

        def created(m, ns):
            return {(l["zone"], l["direction"]): int(v)
                    for l, v in m.select("nfct_connections_created_total", netns=ns.label)}

        def check():
            m = ex.scrape()
            got = {ns: created(m, ns) for ns in (a, b)}
            return got == {ns: listed[ns][0] for ns in (a, b)}, (m, got)

        m, _ = wait_for(check, timeout=10, what="nfct_connections_created_total == conntrack -L")
        self.assertEqual(m.types.get("nfct_connections_created_total"), "counter")
        # Retransmitted first packets are `new` packets but no new connection: per
        # namespace, the `new` and `related` packets (no ICMP error in this traffic: every
        # related packet opens an expected connection) exceed the created connections by
        # exactly the SYNs beyond one per TCP entry.
        for ns in (a, b):
            syn = ns.counters("nfct_created")
            retransmitted = syn["syn_out"][0] + syn["syn_in"][0] - listed[ns][1]
            first_packets = sum(m.sum("nfct_packets_total", probe=p, netns=ns.label, state=s)
                                for p in (IN, POST) for s in ("new", "related"))
            self.assertEqual(first_packets - sum(created(m, ns).values()), retransmitted, ns.name)
            self.assertGreaterEqual(retransmitted, R_RETRY, ns.name)
        # One of A's connections was created by a `related` packet: the FTP data
        # connection's opening packet, the only related packet of this traffic.
        self.assertEqual(m.get("nfct_packets_total", probe=IN, netns=a.label, state="related"), 1)
        # The extra probes did see the opening packets unconfirmed (what the count leaves out).
        self.assertGreater(m.get("nfct_packets_total", probe="nf:ipv4:output", netns=a.label, state="new"), 0)
        self.assertGreater(m.get("nfct_packets_total", probe="nf:ipv4:prerouting", netns=b.label, state="new"), 0)
