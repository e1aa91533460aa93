#!/usr/bin/env python3
"""Integration tests for lwbsd's CoAP over TCP and TLS listeners (RFC 8323;
libcoap): full bootstraps by lwbs-devsim over coap+tcp:// and coaps+tcp://
(PSK), the audit's transport field, an unknown endpoint answered 4.00
over TCP, a TLS handshake with a wrong key refused, libcoap's own
coap-client over coap+tcp, and the configuration rules.

usage: tcp_test.py --lwbsd PATH --devsim PATH [--coap-client PATH] TEST...
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lwbs_harness import (  # noqa: E402
    Lwbsd, check, check_config_rejects, free_port, parse_args, run_devsim, run_tests)

ARGS = None

PSK_ID = "psk-dev-1"
PSK_EP = "urn:imei:490154203237518"
PSK_KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"

PROVISIONING = """\
profiles:
  - name: basic
    servers:
      - uri: coap+tcp://dm.example.net:5683
        ssid: 101
        security: nosec
        binding: T
devices:
  - endpoint: {psk_ep}
    profile: basic
    psk_identity: {psk_id}
    psk_key: hex:{psk_key}
  - endpoint: plain-dev
    profile: basic
"""


class Server(Lwbsd):
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="lwbsd-tcp-")
        self.tcp_port = free_port(socket.SOCK_STREAM)
        self.tls_port = free_port(socket.SOCK_STREAM)
        self.conf = os.path.join(self.dir, "lwbsd.yaml")
        self.audit = os.path.join(self.dir, "audit.jsonl")
        self.errpath = os.path.join(self.dir, "stderr.log")
        provisioning = PROVISIONING.format(psk_ep=PSK_EP, psk_id=PSK_ID, psk_key=PSK_KEY)
        with open(os.path.join(self.dir, "devices.yaml"), "w") as f:
            f.write(provisioning)
        with open(self.conf, "w") as f:
            f.write("listeners:\n"
                    "  - address: 127.0.0.1\n    port: %d\n    transport: tcp\n"
                    "    trusted: true\n    identify: endpoint\n"
                    "  - address: 127.0.0.1\n    port: %d\n    transport: tls\n    accept: [psk]\n"
                    "store:\n  type: embedded\n  files: [devices.yaml]\n"
                    "session:\n  shutdown_grace: 1\n  timeout: 5\n"
                    "audit:\n  file: audit.jsonl\n  fsync: batch\n"
                    "log:\n  level: debug\n" % (self.tcp_port, self.tls_port))
        self.launch(ARGS.lwbsd)
        self.wait_log("ready")

    def devsim(self, uri, *args, ep=None, timeout=8):
        cmd = [ARGS.devsim, "--server", uri, "--timeout", str(timeout)]
        if ep is not None:
            cmd += ["--ep", ep]
        cmd += [str(a) for a in args]
        return run_devsim(cmd, timeout, self)

    def stop(self):
        super().stop()
        check(PSK_KEY not in self.log().lower(), "the PSK appears in the log", self)


def expect_ok(srv, rc, out, what, served=True):
    check(rc == 0 and out["result"] == "ok", "%s: devsim %s" % (what, json.dumps(out)), srv)
    check(out["objects"].get("/1/0/0") == 101, "%s: Server /1/0 written: %s" % (what, out["objects"]), srv)
    check(out["objects"].get("/0/1/0") == "coap+tcp://dm.example.net:5683",
          "%s: Security /0/1 written: %s" % (what, out["objects"]), srv)
    methods = [r["method"] for r in out["requests"]]
    check(not served or methods and methods[0] == "GET" and methods[-1] == "POST" and "PUT" in methods,
          "%s: discover, writes, finish: %s" % (what, out["requests"]), srv)


# ---- tests ------------------------------------------------------------------

def t_tcp_bootstrap():
    with Server() as srv:
        rc, out = srv.devsim("coap+tcp://127.0.0.1:%d" % srv.tcp_port, ep="plain-dev")
        expect_ok(srv, rc, out, "coap+tcp")
        check(out["bootstrap_request"] == "2.04", "2.04: %s" % out, srv)
        check("cipher" not in out, "no TLS over plain TCP: %s" % out, srv)
        r = srv.wait_audit(lambda r: r["endpoint"] == "plain-dev")
        check(r["result"] == "ok" and r["transport"] == "tcp", "audit: %s" % r, srv)
        # 1.2 with a Pack over TCP
        rc, out = srv.devsim("coap+tcp://127.0.0.1:%d" % srv.tcp_port, "--lwm2m", "1.2", "--pack", ep=PSK_EP)
        expect_ok(srv, rc, out, "coap+tcp, 1.2 pack", served=False)
        check(out["bootstrap_pack"] == "2.05", "pack 2.05: %s" % out, srv)
        srv.stop()


def t_tls_psk_bootstrap():
    with Server() as srv:
        rc, out = srv.devsim("coaps+tcp://127.0.0.1:%d" % srv.tls_port, "--psk-identity", PSK_ID,
                             "--psk-key", "hex:" + PSK_KEY, ep=PSK_EP)
        expect_ok(srv, rc, out, "coaps+tcp PSK")
        check("PSK" in out.get("cipher", ""), "a PSK suite: %s" % out.get("cipher"), srv)
        r = srv.wait_audit(lambda r: r["endpoint"] == PSK_EP)
        check(r["result"] == "ok" and r["transport"] == "tls", "audit: %s" % r, srv)
        # ep omitted: the PSK identity names the device
        rc, out = srv.devsim("coaps+tcp://127.0.0.1:%d" % srv.tls_port, "--psk-identity", PSK_ID,
                             "--psk-key", "hex:" + PSK_KEY)
        expect_ok(srv, rc, out, "coaps+tcp PSK, no ep")
        srv.stop()


def t_tls_refusals():
    with Server() as srv:
        rc, out = srv.devsim("coaps+tcp://127.0.0.1:%d" % srv.tls_port, "--psk-identity", PSK_ID,
                             "--psk-key", "hex:" + "00" * 16, ep=PSK_EP, timeout=3)
        check(rc == 1 and out["bootstrap_request"] is None and "handshake" in out["reason"],
              "wrong key: %s" % json.dumps(out), srv)
        r = srv.wait_audit(lambda r: r["result"] == "handshake_failed")
        check(r["transport"] == "tls" and r["peer"].startswith("127.0.0.1") and not r.get("endpoint")
              and "handshake failed" in r["reason"], "audit of the failed handshake: %s" % r, srv)
        # the identity's device is not plain-dev
        rc, out = srv.devsim("coaps+tcp://127.0.0.1:%d" % srv.tls_port, "--psk-identity", PSK_ID,
                             "--psk-key", "hex:" + PSK_KEY, ep="plain-dev", timeout=4)
        check(rc == 1 and out["bootstrap_request"] == "4.00", "ep != identity: %s" % json.dumps(out), srv)
        r = srv.wait_audit(lambda r: r["result"] not in ("ok", "handshake_failed"))
        check(r["result"] == "policy" and r["transport"] == "tls", "audit: %s" % r, srv)
        srv.stop()


def t_unknown_endpoint():
    with Server() as srv:
        rc, out = srv.devsim("coap+tcp://127.0.0.1:%d" % srv.tcp_port, ep="nobody", timeout=4)
        check(rc == 1 and out["bootstrap_request"] == "4.00" and not out["requests"],
              "unknown endpoint: %s" % json.dumps(out), srv)
        r = srv.wait_audit(lambda r: r["endpoint"] == "nobody")
        check(r["result"] == "unknown_endpoint" and r["transport"] == "tcp", "audit: %s" % r, srv)
        srv.stop()


def t_coap_client():
    with Server() as srv:
        base = "coap+tcp://127.0.0.1:%d/bs?ep=" % srv.tcp_port
        p = subprocess.run([ARGS.coap_client, "-v", "6", "-m", "post", base + "plain-dev"],
                           capture_output=True, text=True, timeout=20)
        text = p.stdout + p.stderr
        check(p.returncode == 0 and "2.04" in text, "coap-client plain-dev: 2.04: %r" % text, srv)
        r = srv.wait_audit(lambda r: r["endpoint"] == "plain-dev")
        check(r["transport"] == "tcp", "audit: %s" % r, srv)
        p = subprocess.run([ARGS.coap_client, "-m", "post", base + "nobody"],
                           capture_output=True, text=True, timeout=20)
        check("4.00" in p.stdout + p.stderr, "coap-client nobody: 4.00: %r" % (p.stdout + p.stderr), srv)
        srv.stop()


def t_config():
    d = tempfile.mkdtemp(prefix="lwbsd-tcp-cc-")
    with open(os.path.join(d, "devices.yaml"), "w") as f:
        f.write("profiles: []\n")
    store = "store:\n  type: embedded\n  files: [devices.yaml]\n"
    good = os.path.join(d, "good.yaml")
    with open(good, "w") as f:
        f.write("listeners:\n  - address: 127.0.0.1\n    transport: tcp\n"
                "    trusted: true\n    identify: endpoint\n"
                "  - address: 127.0.0.1\n    transport: tls\n" + store)
    p = subprocess.run([ARGS.lwbsd, "--check-config", "-c", good], capture_output=True, text=True)
    check(p.returncode == 0, "tcp and tls listeners: %r" % p.stderr)
    cases = [
        ("native tcp", "listeners:\n  - address: 127.0.0.1\n    transport: tcp\n    stack: native\n",
         "bad.yaml:4:12: transport tcp needs stack: libcoap"),
        ("psk on tcp", "listeners:\n  - address: 127.0.0.1\n    transport: tcp\n    accept: [psk]\n",
         "bad.yaml:4:13: a tcp listener accepts only nosec"),
        ("nosec on tls", "listeners:\n  - address: 127.0.0.1\n    transport: tls\n    accept: [nosec]\n",
         "bad.yaml:4:13: a tls listener accepts psk and x509"),
        ("receive_buffer on tcp", "listeners:\n  - address: 127.0.0.1\n    transport: tcp\n"
         "    receive_buffer: 65536\n", "bad.yaml:4:5: receive_buffer applies to udp and dtls"),
        ("handshake_limit on tls", "listeners:\n  - address: 127.0.0.1\n    transport: tls\n"
         "    handshake_limit:\n      max_incomplete: 5\n", "bad.yaml:4:5: handshake_limit applies to dtls"),
    ]
    for name, text, want in cases:
        check_config_rejects(ARGS.lwbsd, d, name, text + store, want)


TESTS = {name[2:]: fn for name, fn in globals().items() if name.startswith("t_")}


def main():
    global ARGS
    ARGS = parse_args(TESTS, ("--coap-client", {"default": "coap-client-openssl"}))
    return run_tests(TESTS, ARGS.tests or list(TESTS))


if __name__ == "__main__":
    sys.exit(main())
