#!/usr/bin/env python3
"""Crafted DHCPv4 / DHCPv6 requests for the lwbs-dhcpd integration test.

usage: client.py V4_SERVER V4_CLIENT IFACE V6_SERVER V6_CLIENT URI ENTERPRISE SUBOPT
       client.py inform V4_SERVER V4_CLIENT URI ENTERPRISE SUBOPT
Runs every check in order, prints one line per check, exits 1 on the first failure.
The second form sends one INFORM with ciaddr V4_CLIENT and checks the URI.
"""
import os
import socket
import struct
import sys

only_inform = sys.argv[1] == "inform"
if only_inform:
    v4_server, v4_client, uri, ent, sub = sys.argv[2:7]
else:
    v4_server, v4_client, iface, v6_server, v6_client, uri, ent, sub = sys.argv[1:9]
uri = uri.encode()
ent = int(ent)
sub = int(sub)
MAC = bytes.fromhex("021122334455")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def inform(xid, prl=(1, 3, 125), extra=b""):
    h = struct.pack("!BBBBIHH", 1, 1, 6, 0, xid, 0, 0)
    h += socket.inet_aton(v4_client) + b"\0" * 12 + MAC + b"\0" * 10 + b"\0" * 192
    h += bytes.fromhex("63825363") + bytes([53, 1, 8, 61, 7, 1]) + MAC
    if prl:
        h += bytes([55, len(prl)]) + bytes(prl)
    return (h + extra + bytes([255])).ljust(300, b"\0")


def v4_options(pkt):
    opts, i = {}, 240
    while i < len(pkt) and pkt[i] != 255:
        if pkt[i] == 0:
            i += 1
            continue
        opts[pkt[i]] = pkt[i + 2:i + 2 + pkt[i + 1]]
        i += 2 + pkt[i + 1]
    return opts


s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s4.bind((v4_client, 68))
s4.settimeout(2)


def ask4(pkt):
    s4.sendto(pkt, (v4_server, 67))
    try:
        data, src = s4.recvfrom(2048)
    except socket.timeout:
        fail("no DHCPACK")
    return data, src


if only_inform:
    ack, _ = ask4(inform(0x2001))
    got = v4_options(ack).get(125)
    want = struct.pack("!IBBB", ent, len(uri) + 2, sub, len(uri)) + uri
    if got != want:
        fail("v4 from %s: option 125 %r != %r" % (v4_client, got, want))
    print("ok v4 INFORM from %s -> %s" % (v4_client, uri.decode()))
    sys.exit(0)

# 1. INFORM with 125 in the PRL -> ACK with 125 = enterprise, data-len, code, len, URI
ack, src = ask4(inform(0x1001))
o = v4_options(ack)
want125 = struct.pack("!IBBB", ent, len(uri) + 2, sub, len(uri)) + uri
if ack[0] != 2 or ack[4:8] != struct.pack("!I", 0x1001) or o.get(53) != b"\x05":
    fail("v4: not a DHCPACK for our xid")
if ack[16:20] != b"\0\0\0\0" or 51 in o:
    fail("v4: ACK carries a lease")
if o.get(54) != socket.inet_aton(v4_server) or src[0] != v4_server:
    fail("v4: server id %r from %s" % (o.get(54), src[0]))
if o.get(125) != want125:
    fail("v4: option 125 %r != %r" % (o.get(125), want125))
if o.get(61) != b"\x01" + MAC:
    fail("v4: client id not echoed")
print("ok v4 INFORM with PRL 125 -> option 125 carries the URI")

# 2. without 125 in the PRL -> no 125
ack, _ = ask4(inform(0x1002, prl=(1, 3)))
if 125 in v4_options(ack):
    fail("v4: 125 sent without being requested")
print("ok v4 INFORM without 125 -> no option 125")

# 3. a malformed datagram is dropped, the next good one answered
s4.sendto(inform(0x1003)[:120], (v4_server, 67))
s4.settimeout(0.5)
try:
    s4.recvfrom(2048)
    fail("v4: malformed datagram answered")
except socket.timeout:
    pass
s4.settimeout(2)
ack, _ = ask4(inform(0x1004))
if ack[4:8] != struct.pack("!I", 0x1004):
    fail("v4: good datagram after malformed not answered")
print("ok v4 malformed dropped, next answered")

# 4. DHCPv6 Information-request to ff02::1:2 from the link-local address
ifindex = socket.if_nametoindex(iface)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
s6.bind(("::", 546))
s6.settimeout(2)
duid = b"\x00\x03\x00\x01" + MAC
req = bytes([11, 0xab, 0xcd, 0xef]) + struct.pack("!HH", 1, len(duid)) + duid
req += struct.pack("!HHHH", 6, 4, 23, 17) + struct.pack("!HHH", 8, 2, 0)
s6.sendto(req, ("ff02::1:2", 547, 0, ifindex))
try:
    rep, src6 = s6.recvfrom(4096)
except socket.timeout:
    fail("v6: no Reply to the multicast Information-request")


def v6_options(data):
    opts, i = {}, 0
    while i + 4 <= len(data):
        c, n = struct.unpack("!HH", data[i:i + 4])
        opts.setdefault(c, data[i + 4:i + 4 + n])
        i += 4 + n
    return opts


o6 = v6_options(rep[4:])
want17 = struct.pack("!IHH", ent, sub, len(uri)) + uri
if rep[0] != 7 or rep[1:4] != b"\xab\xcd\xef":
    fail("v6: not a Reply for our transaction")
if o6.get(1) != duid or 2 not in o6:
    fail("v6: client id / server id")
if o6.get(17) != want17:
    fail("v6: option 17 %r != %r" % (o6.get(17), want17))
print("ok v6 Information-request (multicast) -> option 17 carries the URI, from", src6[0])
server_duid = o6[2]

# 5. IA_NA in an Information-request -> discarded
s6.sendto(req + struct.pack("!HHIII", 3, 12, 1, 0, 0), ("ff02::1:2", 547, 0, ifindex))
s6.settimeout(0.5)
try:
    s6.recvfrom(4096)
    fail("v6: Information-request with IA_NA answered")
except socket.timeout:
    pass
print("ok v6 Information-request with IA_NA dropped")

# 6. Relay-forward (unicast, from a relay on port 547) -> Relay-reply with Interface-Id
r6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
r6.bind((v6_client, 547))
r6.settimeout(2)
peer = socket.inet_pton(socket.AF_INET6, "fe80::11:22ff:fe33:4455")
fwd = bytes([12, 0]) + socket.inet_pton(socket.AF_INET6, v6_client) + peer
fwd += struct.pack("!HH", 18, 5) + b"port9" + struct.pack("!HH", 9, len(req)) + req
r6.sendto(fwd, (v6_server, 547))
try:
    rr, _ = r6.recvfrom(4096)
except socket.timeout:
    fail("v6: no Relay-reply")
if rr[0] != 13 or rr[2:34] != fwd[2:34]:
    fail("v6: not a Relay-reply with the relay's addresses")
ro = v6_options(rr[34:])
if ro.get(18) != b"port9" or 9 not in ro:
    fail("v6: Interface-Id not copied")
inner = ro[9]
if inner[0] != 7 or v6_options(inner[4:]).get(17) != want17:
    fail("v6: relayed Reply without option 17")
print("ok v6 Relay-forward -> Relay-reply with Interface-Id and option 17")

with open(os.environ.get("LWBS_DUID_OUT", "/dev/null"), "w") as f:
    f.write(server_duid.hex())
