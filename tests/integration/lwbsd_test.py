#!/usr/bin/env python3
"""Integration tests for lwbsd: each test starts its own lwbsd on an
ephemeral port with a temporary configuration, drives it with lwbs-devsim,
coap-client or raw UDP datagrams, and stops it.

usage: lwbsd_test.py --lwbsd PATH --devsim PATH [--coap-client PATH] [--stack native|libcoap] TEST

--stack picks the CoAP implementation of the listener under test (the
`stack:` key of a listener; default native).
"""
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lwbs_harness import (  # noqa: E402
    BASIC_PROFILE, Lwbsd, check, check_config_rejects, free_port, parse_args, run_devsim, run_tests)

ARGS = None

PROFILES = BASIC_PROFILE + """\
    pack: true
  - name: big
    servers:
      - uri: coaps://dm.example.net:5684
        ssid: 101
        security: x509
        certificate: hex:{cert}
        private_key: hex:00112233
        server_certificate: hex:aabbcc
    pack: true
"""

BIG_CERT = bytes((i * 7) % 256 for i in range(4096))


def provisioning(devices, big=()):
    text = PROFILES.format(cert=BIG_CERT.hex()) + "devices:\n"
    for ep in devices:
        text += "  - endpoint: %s\n    profile: basic\n" % ep
    for ep in big:
        text += "  - endpoint: %s\n    profile: big\n" % ep
    return text


# ---- minimal CoAP (RFC 7252) for raw tests --------------------------------

CON, NON, ACK, RST = 0, 1, 2, 3


def code_str(c):
    return "%d.%02d" % (c >> 5, c & 31)


def coap_msg(mtype, code, mid, token=b"", options=(), payload=b""):
    out = bytes([0x40 | (mtype << 4) | len(token), code]) + struct.pack(">H", mid) + token
    last = 0
    for num, val in sorted(options, key=lambda o: o[0]):
        delta = num - last
        last = num
        hdr = b""

        def nib(v):
            if v < 13:
                return v, b""
            if v < 269:
                return 13, bytes([v - 13])
            return 14, struct.pack(">H", v - 269)

        d, dx = nib(delta)
        ln, lx = nib(len(val))
        hdr = bytes([(d << 4) | ln]) + dx + lx
        out += hdr + val
    if payload:
        out += b"\xff" + payload
    return out


def bs_request(mtype, code, mid, query, payload=b"", path=b"bs", token=b"\x01\x02"):
    opts = [(11, path)] + [(15, q.encode()) for q in query]
    return coap_msg(mtype, code, mid, token, opts, payload)


def parse(msg):
    if len(msg) < 4:
        return None
    t = (msg[0] >> 4) & 3
    tkl = msg[0] & 15
    code = msg[1]
    mid = struct.unpack(">H", msg[2:4])[0]
    token = msg[4:4 + tkl]
    rest = msg[4 + tkl:]
    payload = b""
    if b"\xff" in rest:
        # good enough for answers without options holding 0xff
        payload = rest[rest.index(b"\xff") + 1:]
    return {"type": t, "code": code, "mid": mid, "token": token, "payload": payload}


class Raw:
    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(2.0)
        self.addr = ("127.0.0.1", port)

    def send(self, data):
        self.sock.sendto(data, self.addr)

    def recv(self, timeout=2.0):
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(65536)
        except socket.timeout:
            return None
        return parse(data)

    def request(self, data, timeout=2.0):
        """Sends data and returns the first answer that is not a request
        of the server (those are answered with RST)."""
        self.send(data)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.recv(max(0.05, deadline - time.time()))
            if m is None:
                return None
            if 1 <= m["code"] <= 31:  # a request from the BS: refuse it
                self.send(coap_msg(RST, 0, m["mid"]))
                continue
            return m
        return None

    def close(self):
        self.sock.close()


# ---- lwbsd under test ---------------------------------------------------------

class Server(Lwbsd):
    EXIT_CHECK = None  # the tests wait for lines written on the way out

    def __init__(self, devices=("dev-1",), big=(), timeout=None, extra="", fsync="batch", listener="",
                 address="127.0.0.1"):
        self.dir = tempfile.mkdtemp(prefix="lwbsd-it-")
        self.port = free_port()
        self.prov = os.path.join(self.dir, "devices.yaml")
        self.audit = os.path.join(self.dir, "audit.jsonl")
        self.conf = os.path.join(self.dir, "lwbsd.yaml")
        self.errpath = os.path.join(self.dir, "stderr.log")
        with open(self.prov, "w") as f:
            f.write(provisioning(devices, big))
        session = ""
        if timeout is not None:
            session = "session:\n  timeout: %d\n  shutdown_grace: 2\n" % timeout
        else:
            session = "session:\n  shutdown_grace: 2\n"
        with open(self.conf, "w") as f:
            f.write("listeners:\n  - address: %s\n    port: %d\n    stack: %s\n"
                    "    trusted: true\n    identify: endpoint\n%s"
                    "store:\n  type: embedded\n  files: [devices.yaml]\n"
                    "%saudit:\n  file: audit.jsonl\n  fsync: %s\n"
                    "log:\n  level: info\n%s" % (address, self.port, ARGS.stack, listener, session, fsync, extra))
        self.launch(ARGS.lwbsd)
        self.wait_ready()

    def wait_ready(self):
        raw = Raw(self.port)
        try:
            deadline = time.time() + 10
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    check(False, "lwbsd exited with %d at start" % self.proc.returncode, self)
                # CoAP ping: an empty CON is answered with RST
                raw.send(coap_msg(CON, 0, random.randrange(65536)))
                m = raw.recv(0.2)
                if m is not None and m["type"] == RST:
                    return
            check(False, "lwbsd did not answer a CoAP ping within 10 s", self)
        finally:
            raw.close()

    def alive(self):
        return self.proc.poll() is None

    def devsim(self, ep, *extra, timeout=8):
        cmd = [ARGS.devsim, "--server", "coap://127.0.0.1:%d" % self.port, "--ep", ep,
               "--timeout", str(timeout)] + [str(a) for a in extra]
        return run_devsim(cmd, timeout, self)


def expect_bootstrapped(srv, rc, out, what):
    check(rc == 0 and out["result"] == "ok", "%s: devsim result %s" % (what, json.dumps(out)), srv)
    objs = out["objects"]
    sec = [k for k, v in objs.items() if k.startswith("/0/") and k.endswith("/0") and
           v == "coap://dm.example.net:5683"]
    check(len(sec) == 1, "%s: one Security instance with the DM server URI: %s" % (what, objs), srv)
    iid = sec[0].split("/")[2]
    check(objs.get("/0/%s/1" % iid) is False, "%s: the DM account is not a bootstrap account" % what, srv)
    check(objs.get("/0/%s/10" % iid) == 101, "%s: Short Server ID 101 in Security" % what, srv)
    check(objs.get("/1/0/0") == 101, "%s: Server /1/0 with SSID 101: %s" % (what, objs), srv)
    bs = [k for k, v in objs.items() if k.startswith("/0/") and k.endswith("/1") and v is True]
    check(len(bs) == 1, "%s: the factory BS account is kept" % what, srv)


# ---- tests ------------------------------------------------------------------

def t_check_config():
    d = tempfile.mkdtemp(prefix="lwbsd-cc-")
    with open(os.path.join(d, "devices.yaml"), "w") as f:
        f.write(provisioning(["dev-1"]))
    good = os.path.join(d, "good.yaml")
    with open(good, "w") as f:
        f.write("listeners:\n  - address: 127.0.0.1\n    port: 5683\n"
                "    trusted: true\n    identify: endpoint\n"
                "store:\n  type: embedded\n  files: [devices.yaml]\n")
    p = subprocess.run([ARGS.lwbsd, "--check-config", "-c", good], capture_output=True, text=True)
    check(p.returncode == 0 and p.stdout.strip() == "ok", "good config: %r %r" % (p.stdout, p.stderr))

    cases = [
        ("unknown key", "listeners:\n  - address: 127.0.0.1\n    colour: red\n"
         "store:\n  type: embedded\n  files: [devices.yaml]\n", "bad.yaml:3:5: unknown key"),
        ("bad address", "listeners:\n  - address: 300.1.1.1\n"
         "store:\n  type: embedded\n  files: [devices.yaml]\n", "bad.yaml:2:14:"),
        ("sctp", "listeners:\n  - address: ::1\n    transport: sctp\n"
         "store:\n  type: embedded\n  files: [devices.yaml]\n", "bad.yaml:3:16: transport \"sctp\" is not supported"),
        ("native tcp", "listeners:\n  - address: ::1\n    transport: tcp\n    stack: native\n"
         "store:\n  type: embedded\n  files: [devices.yaml]\n", "bad.yaml:4:12: transport tcp needs stack: libcoap"),
        ("yaml syntax", "listeners: [\n", "bad.yaml:2:1:"),
        ("missing store", "session:\n  timeout: 10\n", "bad.yaml:1:1: missing \"store\""),
        ("missing listeners", "store:\n  type: embedded\n  files: [devices.yaml]\n",
         "bad.yaml:1:1: missing \"listeners\" section"),
        ("untrusted nosec", "listeners:\n  - address: 0.0.0.0\n    transport: udp\n"
         "store:\n  type: embedded\n  files: [devices.yaml]\n",
         "bad.yaml:2:5: a NoSec listener (transport udp) believes whoever reaches it: it needs trusted: true"),
        ("nosec trusted: false", "listeners:\n  - address: 127.0.0.1\n    trusted: false\n"
         "store:\n  type: embedded\n  files: [devices.yaml]\n", "bad.yaml:3:5: a NoSec listener"),
        ("bad identify", "listeners:\n  - address: 127.0.0.1\n    trusted: true\n    identify: imsi\n"
         "store:\n  type: embedded\n  files: [devices.yaml]\n",
         "bad.yaml:4:15: identify must be network or endpoint"),
        ("network on libcoap", "listeners:\n  - address: 127.0.0.1\n    trusted: true\n    stack: libcoap\n"
         "store:\n  type: embedded\n  files: [devices.yaml]\n",
         "bad.yaml:2:5: identify: network (the default: RADIUS binding and policy) needs transport udp and "
         "stack native"),
        ("unknown_limit on dtls", "listeners:\n  - address: 127.0.0.1\n    transport: dtls\n"
         "    unknown_limit: {max: 5}\n" "store:\n  type: embedded\n  files: [devices.yaml]\n",
         "bad.yaml:4:5: unknown_limit applies to NoSec listeners"),
        ("trusted dtls", "listeners:\n  - address: 127.0.0.1\n    transport: dtls\n    trusted: true\n"
         "store:\n  type: embedded\n  files: [devices.yaml]\n", "bad.yaml:4:5: trusted applies to NoSec"),
        ("unknown_limit block 0", "listeners:\n  - address: 127.0.0.1\n    trusted: true\n"
         "    identify: endpoint\n    unknown_limit: {block: 0}\n"
         "store:\n  type: embedded\n  files: [devices.yaml]\n", "bad.yaml:5:28: value 0 out of range"),
        ("bad stack", "listeners:\n  - address: 127.0.0.1\n    stack: lwip\n"
         "store:\n  type: embedded\n  files: [devices.yaml]\n", "bad.yaml:3:12: stack must be native or libcoap"),
        ("bad fsync", "store:\n  type: embedded\n  files: [devices.yaml]\naudit:\n  fsync: sometimes\n",
         "bad.yaml:5:10: fsync must be"),
        ("missing file", "store:\n  type: embedded\n  files: [nothere.yaml]\n",
         "bad.yaml:3:11: cannot read"),
        ("bad provisioning", "store:\n  type: embedded\n  files: [broken.yaml]\n"
         "listeners: [{address: 127.0.0.1, trusted: true, identify: endpoint}]\n", "broken.yaml:3:1:"),
    ]
    with open(os.path.join(d, "broken.yaml"), "w") as f:
        f.write("profiles:\n  - name: [oops\n")
    for name, text, want in cases:
        line = check_config_rejects(ARGS.lwbsd, d, name, text, want)
        parts = line.split(":")
        check(len(parts) >= 4 and parts[1].isdigit() and parts[2].isdigit(),
              "%s: file:line:col: message, got %r" % (name, line))
    p = subprocess.run([ARGS.lwbsd, "--version"], capture_output=True, text=True)
    check(p.returncode == 0 and p.stdout.startswith("lwbsd "), "--version: %r" % p.stdout)
    p = subprocess.run([ARGS.lwbsd, "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "--check-config" in p.stdout, "--help")
    # a bad config at start-up (the last case): one line, exit 1
    p = subprocess.run([ARGS.lwbsd, "-c", os.path.join(d, "bad.yaml")], capture_output=True, text=True, timeout=10)
    check(p.returncode == 1 and "broken.yaml:3:1:" in p.stderr, "start with a bad config: %r" % p.stderr)


def t_coap_client():
    cc = ARGS.coap_client
    check(cc and os.path.exists(cc), "coap-client-openssl not found (install libcoap3-bin)")
    with Server(devices=["dev-1"], timeout=3) as srv:
        p = subprocess.run([cc, "-v", "6", "-B", "2", "-m", "post",
                            "coap://127.0.0.1:%d/bs?ep=dev-1" % srv.port],
                           capture_output=True, text=True, timeout=20)
        check("c:2.04" in p.stdout + p.stderr, "coap-client known device: 2.04 expected: %s" % p.stderr, srv)
        p = subprocess.run([cc, "-B", "2", "-m", "post", "coap://127.0.0.1:%d/bs?ep=nobody" % srv.port],
                           capture_output=True, text=True, timeout=20)
        check("4.00" in p.stdout + p.stderr, "coap-client unknown device: 4.00 expected: %r" % p.stderr, srv)
        srv.wait_audit(lambda r: r["endpoint"] == "nobody" and r["result"] == "unknown_endpoint")
        check(srv.stop() == 0, "exit status 0 after SIGTERM", srv)


def t_versions_formats():
    with Server(devices=["dev-1"]) as srv:
        for v in ("1.0", "1.1", "1.2"):
            for pct in (None, 11542, 112, 110, 11544):
                args = ["--lwm2m", v] + (["--pct", pct] if pct else [])
                what = "LwM2M %s pct %s" % (v, pct)
                fails = v == "1.1" and pct == 11544
                rc, out = srv.devsim("dev-1", *args, timeout=3 if fails else 8)
                formats = {r.get("format") for r in out["requests"] if r["method"] == "PUT"}
                if fails:
                    # a 1.1 client has no LwM2M CBOR: its 4.15 ends the session
                    check(out["result"] == "failed" and formats == {11544}, "%s: %s" % (what, out), srv)
                    srv.wait_audit(lambda r: r["result"] == "write_failed" and r["version"] == "1.1"
                                   and r["format"] == "lwm2m+cbor")
                    continue
                expect_bootstrapped(srv, rc, out, what)
                if v == "1.0":
                    want = 11542  # a 1.0 client gets TLV whatever it asked
                else:
                    want = pct or 112
                check(formats == {want}, "%s: writes in format %s, got %s" % (what, want, formats), srv)
                check(out["lwm2m"] == v, "%s: devsim version" % what, srv)
        check(srv.stop() == 0, "exit status 0", srv)
        ok = [r for r in srv.audit_records() if r["result"] == "ok"]
        check(len(ok) == 14, "14 ok sessions in the audit, got %d" % len(ok), srv)
        check({r["version"] for r in ok} == {"1.0", "1.1", "1.2"}, "versions in the audit", srv)


def t_pack():
    names = {112: "senml+cbor", 110: "senml+json", 11544: "lwm2m+cbor"}
    with Server(devices=["dev-1"]) as srv:
        for acc, name in names.items():
            rc, out = srv.devsim("dev-1", "--lwm2m", "1.2", "--pack", "--accept", acc, "--bs-iid", "5")
            what = "Pack Accept %d" % acc
            check(out.get("bootstrap_pack") == "2.05" and out["bootstrap_request"] is None,
                  "%s: 2.05 without a fallback: %s" % (what, out), srv)
            expect_bootstrapped(srv, rc, out, what)
            srv.wait_audit(lambda r: r["result"] == "pack_ok" and r["format"] == name)
        # an Accept the server does not offer: 4.06, the client falls back to /bs
        rc, out = srv.devsim("dev-1", "--lwm2m", "1.2", "--pack", "--accept", "11542", "--bs-iid", "5")
        check(out.get("bootstrap_pack") == "4.06" and out["bootstrap_request"] == "2.04",
              "Pack with TLV Accept: 4.06 then /bs: %s" % out, srv)
        expect_bootstrapped(srv, rc, out, "fallback after 4.06")
        srv.wait_audit(lambda r: r["result"] == "unsupported_accept")
        srv.stop()


def t_blockwise():
    with Server(devices=[], big=["big-1"]) as srv:
        rc, out = srv.devsim("big-1")
        check(rc == 0 and out["result"] == "ok", "block-wise bootstrap: %s" % out, srv)
        certs = [v for k, v in out["objects"].items() if k.startswith("/0/") and k.endswith("/3")
                 and isinstance(v, dict) and len(v.get("hex", "")) > 100]
        check(len(certs) == 1 and certs[0]["hex"] == BIG_CERT.hex(),
              "the 4 KB certificate arrived intact", srv)
        # the same in a Bootstrap-Pack: Block2 from the server (lwbs-devsim
        # takes a Pack in one datagram only; coap-client follows Block2)
        cc = ARGS.coap_client
        check(cc and os.path.exists(cc), "coap-client-openssl not found (install libcoap3-bin)")
        out_path = os.path.join(srv.dir, "pack.out")
        p = subprocess.run([cc, "-m", "get", "-A", "112", "-o", out_path,
                            "coap://127.0.0.1:%d/bspack?ep=big-1" % srv.port],
                           capture_output=True, timeout=20)
        with open(out_path, "rb") as f:
            pack = f.read()
        check(p.returncode == 0 and len(pack) > 4096 and BIG_CERT in pack,
              "block-wise Pack of %d bytes holds the certificate" % len(pack), srv)
        srv.wait_audit(lambda r: r["result"] == "pack_ok")
        srv.stop()


def t_unknown_endpoint():
    with Server(devices=["dev-1"]) as srv:
        rc, out = srv.devsim("nobody")
        check(rc != 0 and out["result"] == "failed" and out["bootstrap_request"] == "4.00",
              "unknown endpoint: 4.00: %s" % out, srv)
        check(out["requests"] == [], "no request sent to an unknown device", srv)
        check(not any(k.startswith("/1/") for k in out["objects"]), "objects unchanged", srv)
        r = srv.wait_audit(lambda r: r["endpoint"] == "nobody")
        check(r["result"] == "unknown_endpoint" and r["requests"] == 0, "audit: %s" % r, srv)
        srv.stop()


def t_mute():
    with Server(devices=["dev-1"], timeout=3) as srv:
        t0 = time.time()
        rc, out = srv.devsim("dev-1", "--mute-after", "2", timeout=5)
        check(out["result"] == "failed", "muted device does not finish: %s" % out, srv)
        r = srv.wait_audit(lambda r: r["endpoint"] == "dev-1", timeout=8)
        check(r["result"] == "timeout", "audit says timeout: %s" % r, srv)
        check(2500 <= r["duration_ms"] <= 6000, "timed out after about 3 s: %s" % r, srv)
        check(time.time() - t0 < 15, "in time", srv)
        rc, out = srv.devsim("dev-1")
        expect_bootstrapped(srv, rc, out, "after a timeout")
        srv.stop()


def t_retransmit():
    """A retransmitted Bootstrap-Request (same message id) gets the same
    2.04 and does not restart the session; the 2.04 goes out before the
    server's first request."""
    with Server(devices=["dev-1"], timeout=2) as srv:
        raw = Raw(srv.port)
        req = bs_request(CON, 2, 0x2222, ["ep=dev-1"])
        raw.send(req)
        first = raw.recv()
        check(first is not None and first["type"] == ACK and code_str(first["code"]) == "2.04",
              "2.04 first: %s" % first, srv)
        disc = raw.recv()
        check(disc is not None and disc["type"] == CON and code_str(disc["code"]) == "0.01",
              "then Discover: %s" % disc, srv)
        raw.send(req)
        again = raw.recv()
        check(again is not None and again["mid"] == 0x2222 and code_str(again["code"]) == "2.04",
              "the retransmission is answered 2.04 again: %s" % again, srv)
        r = srv.wait_audit(lambda r: r["endpoint"] == "dev-1", timeout=6)
        check(r["result"] == "timeout", "one session, timed out: %s" % r, srv)
        raw.close()
        srv.stop()
        check(len(srv.audit_records()) == 1, "no superseded session: %s" % srv.audit_records(), srv)


def t_transport_error():
    """The server's request is retransmitted with the same message id and
    bytes after 2-3 s; an RST for it ends the session as transport_error."""
    with Server(devices=["dev-1"], timeout=20) as srv:
        raw = Raw(srv.port)
        raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        raw.send(bs_request(CON, 2, 0x3333, ["ep=dev-1"]))
        first = raw.recv()
        check(first is not None and code_str(first["code"]) == "2.04", "2.04: %s" % first, srv)
        t0 = time.time()
        disc = raw.recv()
        check(disc is not None and disc["type"] == CON and code_str(disc["code"]) == "0.01",
              "Discover: %s" % disc, srv)
        again = raw.recv(timeout=4.0)
        dt = time.time() - t0
        check(again is not None and again["mid"] == disc["mid"] and again["token"] == disc["token"],
              "Discover retransmitted with the same message id: %s" % again, srv)
        check(1.8 <= dt <= 3.5, "retransmitted after ACK_TIMEOUT x [1, 1.5): %.2f s" % dt, srv)
        raw.send(coap_msg(RST, 0, disc["mid"]))
        r = srv.wait_audit(lambda r: r["endpoint"] == "dev-1", timeout=5)
        check(r["result"] == "transport_error", "RST ends the session: %s" % r, srv)
        raw.close()
        srv.stop()


def t_fail_finish():
    with Server(devices=["dev-1"]) as srv:
        rc, out = srv.devsim("dev-1", "--fail-finish", timeout=5)
        check(out["requests"][-1]["method"] == "POST" and out["requests"][-1]["code"] == "4.06",
              "Finish answered 4.06: %s" % out, srv)
        r = srv.wait_audit(lambda r: r["endpoint"] == "dev-1")
        check(r["result"] == "finish_failed", "audit finish_failed: %s" % r, srv)
        check(r["diagnostic"] == "forced by --fail-finish", "diagnostic in the audit: %s" % r, srv)
        srv.stop()
        check("result=finish_failed" in srv.stderr_text() and "forced by --fail-finish" in srv.stderr_text(),
              "log line with the diagnostic", srv)


def t_malformed():
    with Server(devices=["dev-1"]) as srv:
        raw = Raw(srv.port)
        mid = 0x1000

        def ask(data, what, want_code, want_type=None):
            nonlocal mid
            m = raw.request(data)
            check(m is not None, "%s: an answer" % what, srv)
            check(code_str(m["code"]) == want_code, "%s: %s expected, got %s" % (what, want_code,
                                                                            code_str(m["code"])), srv)
            if want_type is not None:
                check(m["type"] == want_type, "%s: message type %d" % (what, m["type"]), srv)
            return m

        def next_mid():
            nonlocal mid
            mid += 1
            return mid

        ask(bs_request(NON, 2, next_mid(), ["ep=dev-1"]), "non-confirmable Bootstrap-Request", "4.00", NON)
        ask(bs_request(CON, 2, next_mid(), ["ep=dev-1", "pct=abc"]), "non-numeric pct", "4.00", ACK)
        ask(bs_request(CON, 2, next_mid(), ["ep=dev-1", "ep=dev-2"]), "duplicate ep", "4.00", ACK)
        ask(bs_request(CON, 3, next_mid(), ["ep=dev-1"]), "PUT /bs", "4.05", ACK)
        ask(bs_request(CON, 4, next_mid(), ["ep=dev-1"]), "DELETE /bs", "4.05", ACK)
        ask(bs_request(CON, 2, next_mid(), ["ep=dev-1"], payload=b"x" * 900), "payload on /bs", "4.00", ACK)
        ask(bs_request(CON, 2, next_mid(), ["ep=dev-1", "x=" + "y" * 250, "z=" + "w" * 250, "q=" + "v" * 60]),
            "very long query", "4.00", ACK)
        ask(bs_request(CON, 2, next_mid(), ["ep=dev-1"], path=b"nothere"), "unknown path", "4.04", ACK)
        # garbage: runts, bad version, truncated options, random bytes
        rng = random.Random(7)
        for g in [b"", b"\x40", b"\x00\x01\x02\x03", b"\x40\x02\x00\x01\xff",
                  b"\x48\x02\x00\x01\x01", b"\x40\x02\x00\x01\xbd\xff\xff",
                  bytes(rng.randrange(256) for _ in range(1200))] + \
                [bytes(rng.randrange(256) for _ in range(rng.randrange(4, 64))) for _ in range(200)]:
            raw.send(g)
        time.sleep(0.3)
        check(srv.alive(), "lwbsd survives garbage", srv)
        raw.close()
        rc, out = srv.devsim("dev-1")
        expect_bootstrapped(srv, rc, out, "bootstrap after malformed input")
        check(srv.stop() == 0, "exit status 0", srv)
        res = [r["result"] for r in srv.audit_records()]
        check(res.count("non_confirmable") == 1 and res.count("ok") == 1 and res.count("bad_request") >= 4,
              "audit results %s" % res, srv)


def t_sighup():
    with Server(devices=["dev-1"], timeout=4) as srv:
        rc, out = srv.devsim("dev-new", timeout=3)
        check(out["bootstrap_request"] == "4.00", "dev-new unknown before the reload", srv)
        # a session in flight holds its plan across the reload
        muted = subprocess.Popen([ARGS.devsim, "--server", "coap://127.0.0.1:%d" % srv.port, "--ep", "dev-1",
                                  "--mute-after", "3", "--timeout", "8"], stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)
        with open(srv.prov, "w") as f:
            f.write(provisioning(["dev-new"]))  # dev-1 removed, dev-new added
        srv.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        rc, out = srv.devsim("dev-new")
        expect_bootstrapped(srv, rc, out, "dev-new after the reload")
        rc, out = srv.devsim("dev-1", timeout=3)
        check(out["bootstrap_request"] == "4.00", "dev-1 removed by the reload", srv)
        r = srv.wait_audit(lambda r: r["endpoint"] == "dev-1" and r["result"] == "timeout", timeout=8)
        check(r["requests"] >= 3, "the in-flight session went on after the reload: %s" % r, srv)
        muted.kill()
        muted.wait()
        # a broken file: reload fails, old data kept
        with open(srv.prov, "w") as f:
            f.write("profiles: [\n")
        srv.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        rc, out = srv.devsim("dev-new")
        expect_bootstrapped(srv, rc, out, "dev-new after a failed reload")
        check(srv.stop() == 0, "exit status 0", srv)
        err = srv.stderr_text()
        check("reload failed, old provisioning data kept" in err and "devices.yaml:" in err,
              "failed reload logged with file:line", srv)


def t_sigterm():
    with Server(devices=["dev-%d" % i for i in range(20)], fsync="always") as srv:
        for i in range(20):
            rc, out = srv.devsim("dev-%d" % i)
            expect_bootstrapped(srv, rc, out, "dev-%d" % i)
        code = srv.stop()
        check(code == 0, "exit status 0 after SIGTERM, got %s" % code, srv)
        recs = srv.audit_records()
        check(len(recs) == 20 and all(r["result"] == "ok" for r in recs),
              "one audit line per finished session: %d" % len(recs), srv)
        check(sorted(r["endpoint"] for r in recs) == sorted("dev-%d" % i for i in range(20)), "endpoints", srv)
        lines = [l for l in srv.stderr_text().splitlines() if " info session " in l]
        check(len(lines) == 20, "one log line per session: %d" % len(lines), srv)
        for key in ("ep=", "peer=127.0.0.1:", "lwm2m=1.1", "format=senml+cbor", "result=ok",
                    "reason=", "ms=", "requests=6"):
            check(key in lines[0], "log line has %s: %s" % (key, lines[0]), srv)
    # SIGTERM with a session in flight: it ends within the grace, audited
    with Server(devices=["dev-1"], timeout=60) as srv:
        muted = subprocess.Popen([ARGS.devsim, "--server", "coap://127.0.0.1:%d" % srv.port, "--ep", "dev-1",
                                  "--mute-after", "2", "--timeout", "8"], stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)
        t0 = time.time()
        code = srv.stop()
        check(code == 0 and time.time() - t0 < 6, "stops within the grace", srv)
        recs = srv.audit_records()
        check(len(recs) == 1 and recs[0]["result"] == "timeout", "in-flight session audited: %s" % recs, srv)
        muted.kill()
        muted.wait()


def fetch_metrics(port, srv):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    body = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    s.close()
    text = body.decode()
    check(text.startswith("HTTP/1.0 200"), "HTTP 200", srv)
    return text


def t_unknown_limit():
    """unknown_limit: a source asking for unknown endpoints more than max
    times within the window is blocked: one warning, one audit record
    (source_blocked), counted; its requests then get no answer, even for a
    known device, while another source still bootstraps."""
    mport = free_port(socket.SOCK_STREAM)
    with Server(devices=["dev-1"], listener="    unknown_limit: {max: 3, window: 60, block: 60}\n",
                extra="metrics:\n  listen: 127.0.0.1:%d\n" % mport) as srv:
        for i in range(4):
            rc, out = srv.devsim("ghost-%d" % i, "--local", "127.0.0.7")
            check(rc != 0 and out["bootstrap_request"] == "4.00", "ghost-%d: 4.00: %s" % (i, out), srv)
        srv.wait_log("udp: source 127.0.0.7: more than 3 requests refused as unknown in 60 s: "
                     "source blocked for 60 s")
        r = srv.wait_audit(lambda r: r["result"] == "source_blocked")
        check(r["peer"] == "127.0.0.7" and r["endpoint"] == "ghost-3" and "more than 3" in r["reason"],
              "audit of the block: %s" % r, srv)
        rc, out = srv.devsim("dev-1", "--local", "127.0.0.7", timeout=3)
        check(rc != 0 and out["result"] != "ok" and out["requests"] == [],
              "a blocked source gets nothing: %s" % out, srv)
        rc, out = srv.devsim("dev-1", "--local", "127.0.0.8")
        expect_bootstrapped(srv, rc, out, "another source while 127.0.0.7 is blocked")
        text = fetch_metrics(mport, srv)
        for want in ('lwbs_sessions_total{result="source_blocked"} 1',
                     'lwbs_sessions_total{result="unknown_endpoint"} 4', 'lwbs_sessions_total{result="ok"} 1'):
            check(want in text, "metrics contain %r:\n%s" % (want, text), srv)
        drops = [line for line in text.splitlines() if line.startswith("lwbs_blocked_requests_total ")]
        check(drops and int(drops[0].split()[1]) >= 1, "blocked requests counted:\n%s" % text, srv)
        srv.stop()
        check(srv.log().count("warning udp: source 127.0.0.7") == 1, "the block is logged once", srv)


def t_endpoint_warning():
    """identify: endpoint believes any claimed name: lwbsd warns at start
    when such a listener is bound to more than loopback, and not when it is
    bound to 127.0.0.1."""
    warning = "believes the endpoint name NoSec devices claim (identify: endpoint)"
    with Server(devices=["dev-1"], address="0.0.0.0") as srv:
        srv.wait_log("listener 0.0.0.0 port %d %s" % (srv.port, warning))
        rc, out = srv.devsim("dev-1")
        expect_bootstrapped(srv, rc, out, "identify: endpoint")
        srv.stop()
    with Server(devices=["dev-1"]) as srv:
        srv.stop()
        check(warning not in srv.log(), "no warning for 127.0.0.1", srv)


def t_metrics():
    mport = free_port()
    with Server(devices=["dev-1"], extra="metrics:\n  listen: 127.0.0.1:%d\n" % mport) as srv:
        rc, out = srv.devsim("dev-1")
        expect_bootstrapped(srv, rc, out, "metrics run")
        srv.devsim("nobody", timeout=3)
        srv.wait_log("ep=nobody")  # written once its audit record is durable
        text = fetch_metrics(mport, srv)
        for want in ('lwbs_sessions_total{result="ok"} 1', 'lwbs_sessions_total{result="unknown_endpoint"} 1',
                     "lwbs_sessions_active 0", "lwbs_store_lookups_total 2", "lwbs_audit_queue_depth 0",
                     "lwbs_audit_records_total 2"):
            check(want in text, "metrics contain %r:\n%s" % (want, text), srv)
        srv.stop()


TESTS = {name[2:]: fn for name, fn in globals().items() if name.startswith("t_")}


def main():
    global ARGS
    ARGS = parse_args(TESTS, ("--coap-client", {"default": "/usr/bin/coap-client-openssl"}),
                      ("--stack", {"choices": ("native", "libcoap"), "default": "native",
                                   "help": "CoAP stack of the listener under test"}))
    return run_tests(TESTS, ARGS.tests or list(TESTS))


if __name__ == "__main__":
    sys.exit(main())
