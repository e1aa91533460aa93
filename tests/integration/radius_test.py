#!/usr/bin/env python3
"""Integration tests for lwbsd's RADIUS accounting listener (docs/radius.md),
driven by FreeRADIUS's radclient (freeradius-utils) and raw UDP, checked
through the binding journal (lwbsctl radius show) and lwbsd's log.

usage: radius_test.py --lwbsd PATH --lwbsctl PATH [--radclient PATH] TEST
"""
import argparse
import hashlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lwbs_harness import (  # noqa: E402
    BASIC_PROFILE, Failure, Lwbsd, check, free_port, radclient_run, read_data, read_metric)

ARGS = None
SECRET = "testing123"

DEVICES = BASIC_PROFILE + """\
devices:
  - endpoint: dev-1
    profile: basic
"""

# STANDARDS.md §6.8 input, with the 3GPP attributes
START = [
    'Acct-Status-Type = Start', 'NAS-IP-Address = 192.0.2.1', 'Framed-IP-Address = 10.20.30.40',
    'Calling-Station-Id = "491701234567"', 'Called-Station-Id = "lwm2m.example"',
    'Acct-Session-Id = "C0000201000001F4"', '3GPP-IMSI = "262011234567890"',
    '3GPP-IMSI-MCC-MNC = "26201"', '3GPP-SGSN-MCC-MNC = "26202"',
    '3GPP-IMEISV = "3520990012345601"', '3GPP-RAT-Type = EUTRAN',
]


class Server(Lwbsd):
    EXIT_CHECK = "after"

    def __init__(self, nas="127.0.0.0/8", secret_file=False, workdir=None, dsn_file=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="lwbsd-radius-")
        self.port = free_port()
        self.metrics_port = free_port(socket.SOCK_STREAM)
        self.journal = os.path.join(self.dir, "radius.journal")
        self.conf = os.path.join(self.dir, "lwbsd.yaml")
        self.errpath = os.path.join(self.dir, "stderr.log")
        with open(os.path.join(self.dir, "devices.yaml"), "w") as f:
            f.write(DEVICES)
        if secret_file:
            with open(os.path.join(self.dir, "nas.secret"), "w") as f:
                f.write(SECRET + "\n")
            secret = "secret_file: nas.secret"
        else:
            secret = "secret: %s" % SECRET
        with open(self.conf, "w") as f:
            f.write("listeners:\n  - address: 127.0.0.1\n    port: %d\n"
                    "    trusted: true\n    identify: endpoint\n"
                    "store:\n  type: embedded\n  files: [devices.yaml]\n"
                    "log:\n  level: info\n"
                    "metrics:\n  listen: 127.0.0.1:%d\n"
                    "radius:\n  listen:\n    - {address: 127.0.0.1, port: %d}\n"
                    "    - {address: \"::1\", port: %d}\n"
                    "  nas:\n    - {address: %s, %s}\n    - {address: \"::1\", %s}\n  %s\n"
                    "  log_interval: 60\n" % (free_port(), self.metrics_port, self.port, self.port, nas, secret, secret,
                                               "dsn_file: %s" % dsn_file if dsn_file else "journal: radius.journal"))
        self.start()

    def start(self):
        self.launch(ARGS.lwbsd, "a")
        self.wait_log("accounting on udp 127.0.0.1 port %d" % self.port)

    def metric(self, name):
        return read_metric(self.metrics_port, name, self)

    def show(self, addr=None):
        cmd = [ARGS.lwbsctl, "radius", "show", "--journal", self.journal] + ([addr] if addr else [])
        p = subprocess.run(cmd, capture_output=True, text=True)
        check(p.returncode in (0, 1), "lwbsctl radius show: %r" % p.stderr, self)
        return p.stdout if p.returncode == 0 else None

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def radclient(port, lines, secret=SECRET, code="acct"):
    """Sends one packet with radclient (1 try, 1 s); True if answered."""
    p = radclient_run(ARGS.radclient, port, lines, secret, code)
    answered = "Received Accounting-Response" in p.stdout
    if answered and p.returncode != 0:
        raise Failure("radclient: response but exit %d: %s %s" % (p.returncode, p.stdout, p.stderr))
    return answered


def with_status(lines, status, **repl):
    out = ["Acct-Status-Type = %s" % status if l.startswith("Acct-Status-Type") else l for l in lines]
    for k, v in repl.items():
        name = k.replace("_", "-")
        out = [("%s = %s" % (name, v)) if l.startswith(name + " ") else l for l in out]
    return out


# ---- raw Accounting-Requests (for exact retransmissions) -------------------

def attr(t, v):
    return struct.pack("!BB", t, len(v) + 2) + v


def acct_request(ident, attrs, secret=SECRET):
    body = b"".join(attrs)
    length = 20 + len(body)
    auth = hashlib.md5(struct.pack("!BBH", 4, ident, length) + b"\0" * 16 + body + secret.encode()).digest()
    return struct.pack("!BBH", 4, ident, length) + auth + body


def raw_start(ident, ip, session, imsi):
    vsa = struct.pack("!I", 10415) + attr(1, imsi.encode())
    return acct_request(ident, [attr(40, struct.pack("!I", 1)), attr(4, socket.inet_aton("192.0.2.1")),
                                attr(8, socket.inet_aton(ip)), attr(44, session.encode()), attr(26, vsa)])


def expect_response(sock, req, secret=SECRET, timeout=2.0):
    sock.settimeout(timeout)
    try:
        r = sock.recv(4096)
    except socket.timeout:
        return False
    want = hashlib.md5(r[:4] + req[4:20] + r[20:] + secret.encode()).digest()
    return r[0] == 5 and r[1] == req[1] and r[4:20] == want


# ---- tests -----------------------------------------------------------------

def t_start_interim_stop():
    s = Server(secret_file=True)
    try:
        check(radclient(s.port, START), "Start answered", s)
        b = s.show("10.20.30.40")
        check(b is not None and "imsi=262011234567890" in b and "msisdn=491701234567" in b
              and "imeisv=3520990012345601" in b and "mcc_mnc=26201" in b and "serving=26202" in b
              and "apn=lwm2m.example" in b and "nas=192.0.2.1" in b and "rat=6" in b,
              "binding after Start: %r" % b, s)
        check(radclient(s.port, with_status(START, "Interim-Update", **{"3GPP-IMEISV": '"3520990012345602"'})),
              "Interim answered", s)
        b = s.show("10.20.30.40")
        check(b is not None and "imeisv=3520990012345602" in b, "binding after Interim: %r" % b, s)
        # a Stop of another session leaves the binding
        check(radclient(s.port, with_status(START, "Stop", Acct_Session_Id='"OTHER"')), "stale Stop answered", s)
        check(s.show("10.20.30.40") is not None, "stale Stop removed the binding", s)
        check(radclient(s.port, with_status(START, "Stop")), "Stop answered", s)
        check(s.show("10.20.30.40") is None, "binding gone after Stop", s)
        # Status-Server (RFC 5997; radclient computes the Message-Authenticator)
        check(radclient(s.port, ["Message-Authenticator = 0x00"], code="status"), "Status-Server answered", s)
        check(s.metric("lwbs_radius_requests_total") == 5 and s.metric("lwbs_radius_responses_total") == 5
              and s.metric("lwbs_radius_applied_total") == 4 and s.metric("lwbs_radius_bindings") == 0,
              "RADIUS metrics after Start, Interim, two Stops and Status-Server", s)
    finally:
        s.stop()
        s.cleanup()


def t_secret():
    s = Server()
    try:
        check(not radclient(s.port, START, secret="wrongsecret"), "wrong secret answered", s)
        s.wait_log("bad authenticator")
        check(s.metric('lwbs_radius_dropped_total{reason="bad_authenticator"}') == 1,
              "bad authenticator counted", s)
        check(s.show("10.20.30.40") is None, "binding from a wrong secret", s)
        check(radclient(s.port, START), "right secret not answered", s)
        check("wrongsecret" not in s.log() and SECRET not in s.log(), "a secret in the log", s)
    finally:
        s.stop()
        s.cleanup()


def t_unknown_nas():
    s = Server(nas="192.0.2.0/24")
    try:
        check(not radclient(s.port, START), "unknown NAS answered", s)
        s.wait_log("request from an unknown NAS dropped")
        check(s.metric('lwbs_radius_dropped_total{reason="unknown_nas"}') == 1
              and s.metric("lwbs_radius_responses_total") == 0, "unknown NAS counted", s)
        check(s.show("10.20.30.40") is None, "binding from an unknown NAS", s)
    finally:
        s.stop()
        s.cleanup()


def t_retransmit():
    s = Server()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect(("127.0.0.1", s.port))
        req = raw_start(77, "10.9.9.9", "RETX-1", "262019999999999")
        sock.send(req)
        check(expect_response(sock, req), "first Start answered", s)
        size = os.path.getsize(s.journal)
        sock.send(req)
        check(expect_response(sock, req), "retransmitted Start answered", s)
        check(os.path.getsize(s.journal) == size, "a second journal record for a retransmission", s)
        check(s.metric("lwbs_radius_resent_total") == 1 and s.metric("lwbs_radius_applied_total") == 1,
              "retransmission counted as resent, applied once", s)
        # same Identifier, new authenticator: a new request, recorded
        req2 = raw_start(77, "10.9.9.9", "RETX-2", "262019999999998")
        sock.send(req2)
        check(expect_response(sock, req2), "new request with a reused Identifier answered", s)
        check(os.path.getsize(s.journal) > size, "new request not recorded", s)
        b = s.show("10.9.9.9")
        check(b is not None and "imsi=262019999999998" in b, "binding of the new request: %r" % b, s)
    finally:
        sock.close()
        s.stop()
        s.cleanup()


def t_ipv6():
    """A NAS on IPv6 (::1) reporting a Framed-IPv6-Prefix: the binding covers
    every address of the prefix."""
    s = Server()
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        sock.connect(("::1", s.port))
        prefix = bytes([0, 64]) + socket.inet_pton(socket.AF_INET6, "2001:db8:7:1::")[:8]
        vsa = struct.pack("!I", 10415) + attr(1, b"262017777777777")
        req = acct_request(5, [attr(40, struct.pack("!I", 1)),
                               attr(95, socket.inet_pton(socket.AF_INET6, "2001:db8::1")),
                               attr(97, prefix), attr(44, b"V6-1"), attr(26, vsa)])
        sock.send(req)
        check(expect_response(sock, req), "IPv6 Start answered over IPv6", s)
        b = s.show("2001:db8:7:1:aaaa:bbbb:cccc:dddd")
        check(b is not None and "imsi=262017777777777" in b and "2001:db8:7:1::/64" in b
              and "nas=2001:db8::1" in b, "binding of the prefix: %r" % b, s)
        check(s.show("2001:db8:7:2::1") is None, "binding outside the prefix", s)
    finally:
        sock.close()
        s.stop()
        s.cleanup()


def t_acct_on():
    s = Server()
    try:
        for i in range(3):
            check(radclient(s.port, with_status(START, "Start", Framed_IP_Address="10.0.1.%d" % (i + 1),
                                                Acct_Session_Id='"ON-%d"' % i)), "Start %d" % i, s)
        other = with_status(START, "Start", Framed_IP_Address="10.0.2.1", Acct_Session_Id='"OTHER-NAS"',
                            NAS_IP_Address="192.0.2.2")
        check(radclient(s.port, other), "Start from another NAS", s)
        check(radclient(s.port, ["Acct-Status-Type = Accounting-On", "NAS-IP-Address = 192.0.2.1"]),
              "Accounting-On answered", s)
        s.wait_log("Accounting-On from 127.0.0.1")
        for i in range(3):
            check(s.show("10.0.1.%d" % (i + 1)) is None, "binding %d survived Accounting-On" % i, s)
        check(s.show("10.0.2.1") is not None, "Accounting-On removed another NAS's binding", s)
    finally:
        s.stop()
        s.cleanup()


def t_restart():
    s = Server()
    try:
        check(radclient(s.port, START), "Start answered", s)
        # killed right after the answer: the record was durable before it
        s.stop(signal.SIGKILL)
        s.start()
        s.wait_log("1 records replayed, 1 bindings")
        check(s.show("10.20.30.40") is not None, "binding replayed after SIGKILL", s)
        # a torn record at the end is dropped at the next start
        s.stop()
        with open(s.journal, "ab") as f:
            f.write(b"\x60\x00\x00\x00\x01\x02")
        s.start()
        s.wait_log("6 bytes of a torn or corrupt tail dropped")
        check(s.show("10.20.30.40") is not None, "binding after a torn tail", s)
        check(radclient(s.port, with_status(START, "Stop")), "Stop after restart", s)
        s.stop()
        s.start()
        s.wait_log("2 records replayed, 0 bindings")
    finally:
        s.stop()
        s.cleanup()


# A FreeRADIUS detail file: two Starts and one with a bad IMSI (line 21)
DETAIL = read_data("radius-detail.txt")


def t_import():
    d = tempfile.mkdtemp(prefix="lwbsd-radius-")
    try:
        detail = os.path.join(d, "detail-20220301")
        with open(detail, "w") as f:
            f.write(DETAIL)
        journal = os.path.join(d, "radius.journal")
        imp = [ARGS.lwbsctl, "radius", "import", "--journal", journal, detail]
        p = subprocess.run(imp, capture_output=True, text=True)
        check(p.returncode == 0 and "3 records: 2 applied" in p.stdout and "1 refused" in p.stdout,
              "import: %r %r" % (p.stdout, p.stderr))
        check("detail-20220301:21: record refused: bad_imsi" in p.stderr, "refusal reported: %r" % p.stderr)
        size = os.path.getsize(journal)
        p = subprocess.run(imp, capture_output=True, text=True)
        check(p.returncode == 0 and "0 applied, 2 unchanged" in p.stdout, "second import: %r" % p.stdout)
        check(os.path.getsize(journal) == size, "second import wrote records")
        # lwbsd starts from the imported journal
        s = Server(workdir=d)
        try:
            s.wait_log("2 records replayed, 2 bindings")
            b = s.show("10.20.30.40")
            check(b is not None and "imsi=262011234567890" in b, "imported binding: %r" % b, s)
            # the journal is locked while lwbsd runs
            p = subprocess.run(imp, capture_output=True, text=True)
            check(p.returncode == 1 and "in use" in p.stderr, "import while lwbsd runs: %r" % p.stderr, s)
        finally:
            s.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def t_config():
    d = tempfile.mkdtemp(prefix="lwbsd-radius-")
    try:
        with open(os.path.join(d, "devices.yaml"), "w") as f:
            f.write(DEVICES)
        with open(os.path.join(d, "empty.secret"), "w") as f:
            f.write("\n")
        base = "store:\n  type: embedded\n  files: [devices.yaml]\nradius:\n"
        cases = [
            ("good", "  nas:\n    - {address: 10.0.0.0/8, secret: s3cr3t-value}\n  journal: j\n", None),
            ("no nas", "  journal: j\n", "bad.yaml:5:3: radius needs a nas list"),
            ("bad prefix", "  nas:\n    - {address: 10.0.0.0/33, secret: x}\n",
             "bad.yaml:6:17: \"10.0.0.0/33\" is not an IP address or prefix"),
            ("no secret", "  nas:\n    - {address: 10.0.0.1}\n", "without secret or secret_file"),
            ("two secrets", "  nas:\n    - {address: 10.0.0.1, secret: a, secret_file: b}\n",
             "a NAS has one secret or secret_file"),
            ("missing secret file", "  nas:\n    - {address: 10.0.0.1, secret_file: nothere}\n",
             "secret_file %s/nothere: No such file" % d),
            ("empty secret file", "  nas:\n    - {address: 10.0.0.1, secret_file: empty.secret}\n",
             "empty first line"),
            ("unknown key", "  nas:\n    - {address: 10.0.0.1, secret: a}\n  jornal: j\n",
             "bad.yaml:7:3: unknown key \"jornal\" in radius"),
            ("bad port", "  listen:\n    - {address: 127.0.0.1, port: 0}\n  nas:\n    - {address: 10.0.0.1, secret: a}\n",
             "bad.yaml:6:34: an integer in 1..65535 expected"),
        ]
        for name, body, want in cases:
            path = os.path.join(d, "bad.yaml")
            with open(path, "w") as f:
                f.write(base + body + "listeners: [{address: 127.0.0.1, trusted: true, identify: endpoint}]\n")
            p = subprocess.run([ARGS.lwbsd, "--check-config", "-c", path], capture_output=True, text=True)
            if want is None:
                check(p.returncode == 0 and p.stdout.strip() == "ok", "%s: %r %r" % (name, p.stdout, p.stderr))
            else:
                check(p.returncode == 1 and want in p.stderr, "%s: want %r, got %r" % (name, want, p.stderr))
                check("s3cr3t" not in p.stderr, "%s: secret in the message" % name)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def psql(sql):
    p = subprocess.run([os.environ["LWBS_PSQL"], "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, env=dict(os.environ, PGCONNECT_TIMEOUT="5"))
    check(p.returncode == 0, "psql %r: %s" % (sql, p.stderr))
    return p.stdout.strip()


def t_postgres():
    """Run by tests/integration/pg/radius.sh: a throwaway cluster with the
    schema, LWBS_PG_DSN_FILE, LWBS_PSQL, LWBS_PG_STOP / LWBS_PG_START."""
    psql("DELETE FROM radius_bindings")
    s = Server(dsn_file=os.environ["LWBS_PG_DSN_FILE"])
    try:
        s.wait_log("PostgreSQL: 0 rows loaded")
        check(radclient(s.port, START), "Start answered", s)
        row = psql("SELECT address, imsi, msisdn, imei, apn, nas, acct_session_id, serving_plmn FROM radius_bindings")
        check(row == "10.20.30.40|262011234567890|491701234567|3520990012345601|lwm2m.example|192.0.2.1|"
              "C0000201000001F4|26202", "row after Start: %r" % row, s)
        for i in range(3):
            check(radclient(s.port, with_status(START, "Start", Framed_IP_Address="10.0.1.%d" % (i + 1),
                                                Acct_Session_Id='"PG-%d"' % i)), "Start %d" % i, s)
        check(psql("SELECT count(*) FROM radius_bindings") == "4", "4 rows", s)
        # a replaced address: the new session's row
        check(radclient(s.port, with_status(START, "Start", Framed_IP_Address="10.0.1.1",
                                            Acct_Session_Id='"PG-NEW"', **{"3GPP-IMSI": '"262010000000009"'})),
              "replacing Start", s)
        check(psql("SELECT acct_session_id || ' ' || imsi FROM radius_bindings WHERE address = '10.0.1.1'")
              == "PG-NEW 262010000000009", "replaced row", s)
        check(radclient(s.port, with_status(START, "Stop")), "Stop answered", s)
        check(psql("SELECT count(*) FROM radius_bindings WHERE address = '10.20.30.40'") == "0", "row after Stop", s)
        # the database goes away: nothing is answered; back: answered
        subprocess.run(os.environ["LWBS_PG_STOP"], shell=True, check=True)
        check(not radclient(s.port, with_status(START, "Start", Framed_IP_Address="10.0.3.1",
                                                Acct_Session_Id='"PG-DOWN"')), "answered without a database", s)
        s.wait_log("requests not answered, retrying")
        subprocess.run(os.environ["LWBS_PG_START"], shell=True, check=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            if radclient(s.port, with_status(START, "Start", Framed_IP_Address="10.0.3.1",
                                             Acct_Session_Id='"PG-DOWN"')):
                break
        else:
            check(False, "not answered after the database came back", s)
        check(psql("SELECT acct_session_id FROM radius_bindings WHERE address = '10.0.3.1'") == "PG-DOWN",
              "row written after the database came back", s)
        # Accounting-On: every row of that NAS goes
        check(radclient(s.port, ["Acct-Status-Type = Accounting-On", "NAS-IP-Address = 192.0.2.1"]),
              "Accounting-On answered", s)
        rows = psql("SELECT host(address) || ' ' || nas FROM radius_bindings")
        check(rows == "", "rows after Accounting-On: %r" % rows, s)
        check(radclient(s.port, START), "Start answered", s)
        s.stop()
        # restart: the table is loaded from the database
        s.start()
        s.wait_log("PostgreSQL: 1 rows loaded, 1 bindings")
    finally:
        s.stop()
        s.cleanup()
    # detail import into PostgreSQL, twice: same rows
    d = tempfile.mkdtemp(prefix="lwbsd-radius-")
    try:
        detail = os.path.join(d, "detail")
        with open(detail, "w") as f:
            f.write(DETAIL)
        imp = [ARGS.lwbsctl, "radius", "import", "--dsn-file", os.environ["LWBS_PG_DSN_FILE"], detail]
        for want in ("2 applied", "0 applied, 2 unchanged"):
            p = subprocess.run(imp, capture_output=True, text=True)
            check(p.returncode == 0 and want in p.stdout and "2 bindings" in p.stdout,
                  "import into PostgreSQL: %r %r" % (p.stdout, p.stderr))
            rows = psql("SELECT host(address) || ' ' || imsi FROM radius_bindings ORDER BY address")
            check(rows == "10.20.30.40 262011234567890\n10.20.30.41 262011234567891", "rows after import: %r" % rows)
    finally:
        shutil.rmtree(d, ignore_errors=True)


TESTS = {
    "postgres": t_postgres,
    "config": t_config,
    "start_interim_stop": t_start_interim_stop,
    "secret": t_secret,
    "unknown_nas": t_unknown_nas,
    "retransmit": t_retransmit,
    "acct_on": t_acct_on,
    "ipv6": t_ipv6,
    "restart": t_restart,
    "import": t_import,
}


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--lwbsd", required=True)
    ap.add_argument("--lwbsctl", required=True)
    ap.add_argument("--radclient", default="radclient")
    ap.add_argument("test", choices=sorted(TESTS))
    ARGS = ap.parse_args()
    if shutil.which(ARGS.radclient) is None:
        print("radclient not found (apt-get install freeradius-utils)", file=sys.stderr)
        return 77 if not os.environ.get("CI") else 1
    try:
        TESTS[ARGS.test]()
    except Failure as e:
        print(e, file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
