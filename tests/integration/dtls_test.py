#!/usr/bin/env python3
"""Integration tests for lwbsd's DTLS 1.2 listeners (libcoap + OpenSSL):
PSK and X.509 bootstraps driven by lwbs-devsim's OpenSSL DTLS client, the
refusals (wrong key, unknown identity, expired certificate, unknown CA,
subject not provisioned, ep not matching the DTLS identity), a client
offering only a CCM_8 suite, and a handshake flood from one source while
another device bootstraps, and handshakes queued while lwbsd is busy
(several sources, a blocked one among them) handled in one pass.

Certificates are made at test time with the openssl command line tool into
a temporary directory; nothing is committed.

usage: dtls_test.py --lwbsd PATH --devsim PATH [--openssl PATH] TEST...
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lwbs_harness import (  # noqa: E402
    BASIC_PROFILE, Lwbsd, check, check_config_rejects, free_port, parse_args, read_metric, run_devsim,
    run_tests)

ARGS = None

PSK_ID = "psk-dev-1"
PSK_EP = "urn:imei:490154203237518"
PSK_KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
CERT_EP = "urn:imei:356938035643809"
CERT_CN = "urn:imei:356938035643809"
UNPROV_CN = "urn:imei:000000000000000"

PROVISIONING = BASIC_PROFILE + """\
devices:
  - endpoint: {psk_ep}
    profile: basic
    psk_identity: {psk_id}
    psk_key: hex:{psk_key}
  - endpoint: psk-dev-2
    profile: basic
    psk_identity: psk-dev-2
    psk_key: hex:00112233445566778899aabbccddeeff
  - endpoint: {cert_ep}
    profile: basic
    cert_subject: {cert_cn}
  - endpoint: plain-dev
    profile: basic
"""


# ---- certificates (openssl CLI) ----------------------------------------------

class Pki:
    """A CA, a server certificate, client certificates (good, expired, from
    another CA, subject not provisioned), all P-256, in a temporary dir."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="lwbs-dtls-pki-")
        self.ca = self.self_signed("ca", "lwbs test CA")
        self.other_ca = self.self_signed("other-ca", "some other CA")
        self.server = self.issue("server", "localhost", self.ca)
        self.client = self.issue("client", CERT_CN, self.ca)
        self.foreign = self.issue("foreign", CERT_CN, self.other_ca)
        self.unprov = self.issue("unprov", UNPROV_CN, self.ca)
        self.expired = self.issue_expired("expired", CERT_CN, self.ca)

    def path(self, name):
        return os.path.join(self.dir, name)

    def run(self, *args):
        p = subprocess.run([ARGS.openssl] + list(args), capture_output=True, text=True, cwd=self.dir)
        check(p.returncode == 0, "openssl %s: %s" % (" ".join(args), p.stderr))

    def key(self, name):
        self.run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name + ".key")
        return self.path(name + ".key")

    def self_signed(self, name, cn):
        self.key(name)
        self.run("req", "-x509", "-new", "-key", name + ".key", "-subj", "/CN=" + cn, "-days", "2",
                 "-out", name + ".pem")
        return (self.path(name + ".pem"), self.path(name + ".key"))

    def issue(self, name, cn, ca):
        self.key(name)
        self.run("req", "-new", "-key", name + ".key", "-subj", "/CN=" + cn, "-out", name + ".csr")
        self.run("x509", "-req", "-in", name + ".csr", "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
                 "-days", "2", "-out", name + ".pem")
        return (self.path(name + ".pem"), self.path(name + ".key"))

    def issue_expired(self, name, cn, ca):
        # openssl x509 cannot back-date: openssl ca with explicit dates
        self.key(name)
        self.run("req", "-new", "-key", name + ".key", "-subj", "/CN=" + cn, "-out", name + ".csr")
        os.makedirs(self.path("cadb"), exist_ok=True)
        open(self.path("cadb/index.txt"), "w").close()
        with open(self.path("cadb/serial"), "w") as f:
            f.write("1000\n")
        with open(self.path("ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = cadb/index.txt\nserial = cadb/serial\n"
                    "new_certs_dir = cadb\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n")
        self.run("ca", "-batch", "-config", "ca.cnf", "-cert", ca[0], "-keyfile", ca[1], "-in", name + ".csr",
                 "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-notext",
                 "-out", name + ".pem")
        return (self.path(name + ".pem"), self.path(name + ".key"))


PKI = None


def pki():
    global PKI
    if PKI is None:
        PKI = Pki()
    return PKI


# ---- lwbsd under test ---------------------------------------------------------

class Server(Lwbsd):
    def __init__(self, accept=("psk", "x509"), limit=None, extra_listener=""):
        self.dir = tempfile.mkdtemp(prefix="lwbsd-dtls-")
        self.port = free_port()
        self.udp_port = free_port()
        self.metrics_port = free_port(socket.SOCK_STREAM)
        self.conf = os.path.join(self.dir, "lwbsd.yaml")
        self.audit = os.path.join(self.dir, "audit.jsonl")
        self.errpath = os.path.join(self.dir, "stderr.log")
        with open(os.path.join(self.dir, "devices.yaml"), "w") as f:
            f.write(PROVISIONING.format(psk_ep=PSK_EP, psk_id=PSK_ID, psk_key=PSK_KEY, cert_ep=CERT_EP,
                                        cert_cn=CERT_CN))
        lst = ("  - address: 127.0.0.1\n    port: %d\n    transport: udp\n"
               "    trusted: true\n    identify: endpoint\n"
               "  - address: 0.0.0.0\n    port: %d\n    transport: dtls\n    accept: [%s]\n"
               % (self.udp_port, self.port, ", ".join(accept)))
        if "x509" in accept:
            p = pki()
            lst += ("    x509:\n      cert: %s\n      key: %s\n      ca: %s\n"
                    % (p.server[0], p.server[1], p.ca[0]))
        if limit:
            lst += "    handshake_limit:\n      max_incomplete: %d\n      window: 60\n      block: 60\n" % limit
        lst += extra_listener
        with open(self.conf, "w") as f:
            f.write("listeners:\n" + lst +
                    "store:\n  type: embedded\n  files: [devices.yaml]\n"
                    "session:\n  shutdown_grace: 1\n"
                    "audit:\n  file: audit.jsonl\n  fsync: batch\n"
                    "metrics:\n  listen: 127.0.0.1:%d\n"
                    "log:\n  level: debug\n  coap_level: debug\n" % self.metrics_port)
        self.launch(ARGS.lwbsd)
        self.wait_log("ready")

    def metric(self, name):
        return read_metric(self.metrics_port, name, self)

    def devsim(self, *args, ep=None, timeout=8, local=None):
        cmd = [ARGS.devsim, "--server", "coaps://127.0.0.1:%d" % self.port, "--timeout", str(timeout)]
        if ep is not None:
            cmd += ["--ep", ep]
        if local:
            cmd += ["--local", local]
        cmd += [str(a) for a in args]
        return run_devsim(cmd, timeout, self)

    def stop(self):
        super().stop()
        check(PSK_KEY not in self.log().lower(), "the PSK appears in the log", self)


def psk_args(ident=PSK_ID, key=PSK_KEY):
    return ["--psk-identity", ident, "--psk-key", "hex:" + key]


def cert_args(cert):
    return ["--cert", cert[0], "--key", cert[1], "--ca", pki().ca[0]]


def expect_ok(srv, rc, out, what):
    check(rc == 0 and out["result"] == "ok", "%s: devsim %s" % (what, json.dumps(out)), srv)
    check(out["objects"].get("/1/0/0") == 101, "%s: Server /1/0 written: %s" % (what, out["objects"]), srv)


def expect_handshake_failed(srv, rc, out, what):
    check(rc == 1 and out["result"] == "failed" and out["bootstrap_request"] is None,
          "%s: devsim %s" % (what, json.dumps(out)), srv)
    check("handshake" in out["reason"], "%s: reason names the handshake: %s" % (what, out["reason"]), srv)


# ---- tests ------------------------------------------------------------------

def t_psk_good():
    with Server(accept=("psk",)) as srv:
        rc, out = srv.devsim(*psk_args(), ep=PSK_EP)
        expect_ok(srv, rc, out, "PSK")
        check("PSK" in out.get("cipher", ""), "a PSK suite: %s" % out.get("cipher"), srv)
        r = srv.wait_audit(lambda r: r["endpoint"] == PSK_EP)
        check(r["result"] == "ok" and r["transport"] == "dtls", "audit: %s" % r, srv)
        srv.stop()


def t_psk_wrong_key():
    with Server(accept=("psk",)) as srv:
        rc, out = srv.devsim(*psk_args(key="00" * 16), ep=PSK_EP, timeout=3)
        expect_handshake_failed(srv, rc, out, "wrong key")
        # DTLS discards records that fail their MAC: lwbsd never sees this
        # handshake end before libcoap's handshake timeout, so no record yet
        # (handshake_limit counts it as not completed)
        check(not srv.audit_records(), "no session without a handshake: %s" % srv.audit_records(), srv)
        # the right key still works afterwards
        rc, out = srv.devsim(*psk_args(), ep=PSK_EP)
        expect_ok(srv, rc, out, "PSK after a wrong key")
        srv.stop()


def t_psk_unknown_identity():
    with Server(accept=("psk",)) as srv:
        rc, out = srv.devsim(*psk_args(ident="nobody"), ep=PSK_EP, timeout=3)
        expect_handshake_failed(srv, rc, out, "unknown identity")
        check("unknown psk identity" in out["reason"].lower(), "alert: %s" % out["reason"], srv)
        srv.wait_log("unknown PSK identity")
        r = srv.wait_audit(lambda r: r["result"] == "handshake_failed")
        check(r["reason"] == "unknown PSK identity", "audit reason: %s" % r, srv)
        check(srv.metric("lwbs_dtls_handshake_failures_total") == 1
              and srv.metric('lwbs_sessions_total{result="handshake_failed"}') == 1, "counted", srv)
        srv.stop()


def t_psk_ccm8_only():
    with Server(accept=("psk",)) as srv:
        rc, out = srv.devsim(*psk_args(), "--ciphers", "PSK-AES128-CCM8", ep=PSK_EP)
        expect_ok(srv, rc, out, "CCM_8 only")
        check(out.get("cipher") == "PSK-AES128-CCM8", "TLS_PSK_WITH_AES_128_CCM_8: %s" % out.get("cipher"), srv)
        srv.stop()


def t_x509_good():
    with Server() as srv:
        rc, out = srv.devsim(*cert_args(pki().client), ep=CERT_EP)
        expect_ok(srv, rc, out, "certificate")
        check(out.get("cipher", "").startswith("ECDHE-ECDSA-"), "an ECDHE-ECDSA suite: %s" % out.get("cipher"),
              srv)
        # the ECDHE_ECDSA CCM_8 suite alone
        rc, out = srv.devsim(*cert_args(pki().client), "--ciphers", "ECDHE-ECDSA-AES128-CCM8", ep=CERT_EP)
        expect_ok(srv, rc, out, "ECDHE-ECDSA CCM_8 only")
        check(out.get("cipher") == "ECDHE-ECDSA-AES128-CCM8", "suite: %s" % out.get("cipher"), srv)
        # ep omitted: taken from the certificate
        rc, out = srv.devsim(*cert_args(pki().client), "--lwm2m", "1.1")
        expect_ok(srv, rc, out, "certificate, no ep")
        srv.stop()


def t_x509_refused():
    with Server() as srv:
        for name, cert in (("expired", pki().expired), ("unknown CA", pki().foreign),
                           ("subject not provisioned", pki().unprov)):
            rc, out = srv.devsim(*cert_args(cert), ep=CERT_EP, timeout=3)
            expect_handshake_failed(srv, rc, out, name)
        srv.wait_log("certificate has expired")
        srv.wait_log("not provisioned")
        srv.wait_audit(lambda r: r["reason"] == "certificate subject not provisioned")
        recs = srv.audit_records()
        check(len(recs) == 3 and all(r["result"] == "handshake_failed" for r in recs),
              "one handshake_failed record per refused certificate: %s" % recs, srv)
        srv.stop()


def t_accept_policy():
    # PSK-only listener: a certificate is refused; x509-only: a PSK is
    with Server(accept=("psk",)) as srv:
        rc, out = srv.devsim(*cert_args(pki().client), ep=CERT_EP, timeout=3)
        expect_handshake_failed(srv, rc, out, "certificate on a PSK-only listener")
        srv.stop()
    with Server(accept=("x509",)) as srv:
        rc, out = srv.devsim(*psk_args(), ep=PSK_EP, timeout=3)
        expect_handshake_failed(srv, rc, out, "PSK on an X.509-only listener")
        rc, out = srv.devsim(*cert_args(pki().client), ep=CERT_EP)
        expect_ok(srv, rc, out, "certificate on an X.509-only listener")
        srv.stop()


def t_ep_mismatch():
    with Server(accept=("psk",)) as srv:
        # plain-dev is provisioned, but the DTLS identity is another device's
        rc, out = srv.devsim(*psk_args(), ep="plain-dev", timeout=4)
        check(rc == 1 and out["bootstrap_request"] == "4.00", "ep != identity: 4.00: %s" % json.dumps(out), srv)
        r = srv.wait_audit(lambda r: r["result"] != "ok")
        check(r["result"] == "policy" and r["reason"] == "endpoint does not match the DTLS identity",
              "audit: %s" % r, srv)
        check(r["transport"] == "dtls", "audit transport: %s" % r, srv)
        srv.stop()


def t_ep_omitted():
    with Server(accept=("psk",)) as srv:
        rc, out = srv.devsim(*psk_args(), "--lwm2m", "1.1")
        expect_ok(srv, rc, out, "no ep")
        r = srv.wait_audit(lambda r: r["result"] == "ok")
        check(r["endpoint"] in (PSK_EP, PSK_ID), "audit endpoint: %s" % r, srv)
        # ep equal to the identity itself is accepted as well (TR12)
        rc, out = srv.devsim(*psk_args(), ep=PSK_ID)
        expect_ok(srv, rc, out, "ep = PSK identity")
        srv.stop()


def t_flood():
    """One source (127.0.0.2) keeps starting handshakes with a wrong key and
    with an unknown identity; it gets blocked, and a device from another
    source (127.0.0.1) bootstraps meanwhile."""
    with Server(accept=("psk",), limit=5) as srv:
        procs = []
        for i in range(24):
            ident = PSK_ID if i % 2 else "nobody-%d" % i
            cmd = [ARGS.devsim, "--server", "coaps://127.0.0.1:%d" % srv.port, "--timeout", "2",
                   "--local", "127.0.0.2", "--ep", PSK_EP, "--psk-identity", ident, "--psk-key", "hex:" + "11" * 16]
            procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        rc, out = srv.devsim(*psk_args(), ep=PSK_EP, local="127.0.0.1", timeout=10)
        expect_ok(srv, rc, out, "device during the flood")
        for p in procs:
            p.wait(20)
        srv.wait_log("source 127.0.0.2")
        check("blocked for 60 s" in srv.stderr_text(), "the flooding source is blocked", srv)
        check(srv.metric("lwbs_dtls_blocked_sources_total") == 1, "the block counted", srv)
        # blocked: even the right key from 127.0.0.2 gets no handshake now
        rc, out = srv.devsim("--psk-identity", "psk-dev-2", "--psk-key", "hex:00112233445566778899aabbccddeeff",
                             ep="psk-dev-2", local="127.0.0.2", timeout=3)
        expect_handshake_failed(srv, rc, out, "blocked source")
        # others are unaffected
        rc, out = srv.devsim("--psk-identity", "psk-dev-2", "--psk-key", "hex:00112233445566778899aabbccddeeff",
                             ep="psk-dev-2", local="127.0.0.3")
        expect_ok(srv, rc, out, "another source after the flood")
        srv.stop()


def t_batch():
    """Datagrams that wait while lwbsd is busy (stopped here) are handed to
    libcoap together: the handshakes queued from several sources all
    complete, those of a blocked source among them are dropped, and no
    read of an empty socket is logged (the waiting datagrams are counted,
    not guessed)."""
    with Server(accept=("psk",), limit=2) as srv:
        # 127.0.0.2 starts handshakes it never completes: blocked
        flood = [subprocess.Popen([ARGS.devsim, "--server", "coaps://127.0.0.1:%d" % srv.port, "--timeout", "2",
                                   "--local", "127.0.0.2", "--ep", PSK_EP, "--psk-identity", "nobody-%d" % i,
                                   "--psk-key", "hex:" + "11" * 16],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(6)]
        for p in flood:
            p.wait(20)
        srv.wait_log("source 127.0.0.2")
        key = "hex:00112233445566778899aabbccddeeff"
        sources = ("127.0.0.11", "127.0.0.2", "127.0.0.12", "127.0.0.13", "127.0.0.2", "127.0.0.14")
        procs = []
        srv.proc.send_signal(signal.SIGSTOP)
        try:
            for local in sources:
                cmd = [ARGS.devsim, "--server", "coaps://127.0.0.1:%d" % srv.port,
                       "--timeout", "4" if local == "127.0.0.2" else "10", "--local", local,
                       "--ep", "psk-dev-2", "--psk-identity", "psk-dev-2", "--psk-key", key]
                procs.append((local, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                                      text=True)))
                time.sleep(0.1)  # their ClientHellos queue in this order
            time.sleep(0.3)
        finally:
            srv.proc.send_signal(signal.SIGCONT)
        for local, p in procs:
            stdout, _ = p.communicate(timeout=30)
            try:
                out = json.loads(stdout)
            except ValueError:
                check(False, "devsim from %s printed no JSON: %r" % (local, stdout), srv)
            if local == "127.0.0.2":
                expect_handshake_failed(srv, p.returncode, out, "queued from the blocked source")
            else:
                expect_ok(srv, p.returncode, out, "queued from %s" % local)
        text = srv.stderr_text()
        check("read failed" not in text and "temporarily unavailable" not in text,
              "libcoap read an empty socket", srv)
        srv.stop()


def t_config_errors():
    d = tempfile.mkdtemp(prefix="lwbsd-dtls-cc-")
    with open(os.path.join(d, "devices.yaml"), "w") as f:
        f.write("profiles: []\n")
    store = "store:\n  type: embedded\n  files: [devices.yaml]\n"
    cases = [
        ("rpk", "listeners:\n  - address: 127.0.0.1\n    transport: dtls\n    accept: [psk, rpk]\n",
         "bad.yaml:4:19: rpk is not supported"),
        ("nosec on dtls", "listeners:\n  - address: 127.0.0.1\n    transport: dtls\n    accept: [nosec]\n",
         "bad.yaml:4:13: a dtls listener accepts psk and x509"),
        ("x509 without certificate", "listeners:\n  - address: 127.0.0.1\n    transport: dtls\n"
         "    accept: [x509]\n", "bad.yaml:2:5: accept: x509 needs an x509 block"),
        ("x509 without ca", "listeners:\n  - address: 127.0.0.1\n    transport: dtls\n"
         "    x509:\n      cert: a.pem\n      key: a.key\n", "bad.yaml:5:7: x509 needs cert, key and ca"),
        ("native dtls", "listeners:\n  - address: 127.0.0.1\n    transport: dtls\n    stack: native\n",
         "bad.yaml:4:12: transport dtls needs stack: libcoap"),
        ("psk on udp", "listeners:\n  - address: 127.0.0.1\n    transport: udp\n    accept: [psk]\n",
         "bad.yaml:4:13: a udp listener accepts only nosec"),
    ]
    for name, text, want in cases:
        check_config_rejects(ARGS.lwbsd, d, name, text + store, want)
    # a missing certificate file is found at start (one line, exit 1)
    good = os.path.join(d, "good.yaml")
    with open(good, "w") as f:
        f.write("listeners:\n  - address: 127.0.0.1\n    port: %d\n    transport: dtls\n"
                "    x509:\n      cert: nothere.pem\n      key: nothere.key\n      ca: nothere-ca.pem\n" % free_port()
                + store)
    p = subprocess.run([ARGS.lwbsd, "-c", good], capture_output=True, text=True, timeout=10)
    check(p.returncode == 1 and "nothere.pem" in p.stderr, "missing certificate: %d %r" % (p.returncode, p.stderr))
    p = subprocess.run([ARGS.lwbsd, "--check-config", "-c", good], capture_output=True, text=True, timeout=10)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1 and len(lines) == 1 and "x509 cert" in lines[0] and "nothere.pem" in lines[0],
          "--check-config, missing certificate: %d %r" % (p.returncode, p.stderr))
    # a key that is not the certificate's
    pk = pki()
    with open(good, "w") as f:
        f.write("listeners:\n  - address: 127.0.0.1\n    transport: dtls\n"
                "    x509:\n      cert: %s\n      key: %s\n      ca: %s\n" % (pk.server[0], pk.client[1], pk.ca[0])
                + store)
    p = subprocess.run([ARGS.lwbsd, "--check-config", "-c", good], capture_output=True, text=True, timeout=10)
    check(p.returncode == 1 and pk.client[1] in p.stderr and
          ("mismatch" in p.stderr or "does not belong to the certificate" in p.stderr),
          "--check-config, wrong key: %d %r" % (p.returncode, p.stderr))


TESTS = {name[2:]: fn for name, fn in globals().items() if name.startswith("t_")}


def main():
    global ARGS
    ARGS = parse_args(TESTS, ("--openssl", {"default": "openssl"}))
    return run_tests(TESTS, ARGS.tests or list(TESTS))


if __name__ == "__main__":
    sys.exit(main())
