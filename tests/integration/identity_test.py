#!/usr/bin/env python3
"""Integration tests for NoSec bootstrap on trusted listeners (docs/identity.md):
FreeRADIUS's radclient announces devices (Framed-IP-Address 127.0.0.x) to
lwbsd's RADIUS accounting listener, then lwbs-devsim bootstraps from that
source address (--local) through a trusted listener; the identity policy
decides, the store finds (or enrols) the device. Checked through devsim's
report, the audit file, the metrics and lwbsctl credentials export.

With --dsn-file (tests/integration/pg/enrol.sh: a throwaway cluster, migrated)
lwbsd runs on the PostgreSQL store instead, filled by lwbsctl provision apply,
and the tests read the database with psql.

usage: identity_test.py --lwbsd PATH --lwbsctl PATH --devsim PATH [--radclient PATH]
                        [--dsn-file FILE --psql PATH] TEST
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lwbs_harness import BASIC_PROFILE, Failure, Lwbsd, check, free_port, radclient_run  # noqa: E402

ARGS = None
SECRET = "testing123"

PROVISIONING = BASIC_PROFILE + """\
  - name: generated
    servers:
      - uri: coaps://dm.example.net:5684
        ssid: 101
        security: psk
        generate_credentials: {psk_identity: 'dm-{imsi}', key_length: 16}
devices:
  - endpoint: urn:imei:490154203237518
    profile: basic
    imsi: "262010000000001"
    imei: "490154203237518"
  - endpoint: meter-7
    profile: generated
    imsi: "262010000000002"
templates:
  - {plmn: "26201", apn: iot.example, profile: basic}
  - {plmn: "26202", profile: generated}
"""


def luhn_imei(imeisv):
    """15-digit IMEI of an IMEISV: its first 14 digits and the Luhn check digit."""
    d = [int(c) for c in imeisv[:14]]
    total = 0
    for i, v in enumerate(d):
        if i % 2:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return imeisv[:14] + str((10 - total % 10) % 10)


class Server(Lwbsd):
    EXIT_CHECK = "after"

    def __init__(self, policy="", stale_policy="", extra=""):
        self.dir = tempfile.mkdtemp(prefix="lwbsd-identity-")
        self.port = free_port()
        self.stale_port = free_port()
        self.radius_port = free_port()
        self.metrics_port = free_port(socket.SOCK_STREAM)
        self.conf = os.path.join(self.dir, "lwbsd.yaml")
        self.errpath = os.path.join(self.dir, "stderr.log")
        self.audit = os.path.join(self.dir, "audit.jsonl")
        self.journal = os.path.join(self.dir, "state.journal")
        with open(os.path.join(self.dir, "devices.yaml"), "w") as f:
            f.write(PROVISIONING)
        if ARGS.dsn_file:
            store = "store:\n  type: postgresql\n  dsn_file: %s\n  pool: 4\n" % ARGS.dsn_file
            p = subprocess.run([ARGS.lwbsctl, "provision", "apply", "--dsn-file", ARGS.dsn_file,
                                os.path.join(self.dir, "devices.yaml")], capture_output=True, text=True, timeout=60)
            check(p.returncode == 0, "provision apply: %s %s" % (p.stdout, p.stderr))
        else:
            store = "store:\n  type: embedded\n  files: [devices.yaml]\n  state_journal: state.journal\n"
        with open(self.conf, "w") as f:
            f.write("""\
listeners:
  - address: 127.0.0.1
    port: %d
    trusted: true
    policy:
      trusted_apns: [iot.example]
      max_binding_age: 3600
      auto_enrol: true
%s
  - address: 127.0.0.1
    port: %d
    trusted: true
    policy:
      trusted_apns: [iot.example]
      max_binding_age: 1
%s
%saudit:
  file: audit.jsonl
  fsync: always
metrics:
  listen: 127.0.0.1:%d
log:
  level: info
radius:
  listen:
    - {address: 127.0.0.1, port: %d}
  nas:
    - {address: 127.0.0.0/8, secret: %s}
%s""" % (self.port, policy, self.stale_port, stale_policy, store, self.metrics_port, self.radius_port,
                     SECRET, extra))
        self.launch(ARGS.lwbsd, "a", cwd=self.dir)
        self.wait_log("accounting on udp 127.0.0.1 port %d" % self.radius_port)
        self.wait_log("ready")

    def failure_log(self):
        return self.log()[-4000:]

    def announce(self, ip, imsi=None, imeisv=None, apn="iot.example", home="26201", serving="26201",
                 msisdn=None, session=None):
        """Accounting-Request Start for ip (STANDARDS.md §6.8 radclient input)."""
        lines = ['Acct-Status-Type = Start', 'NAS-IP-Address = 192.0.2.1', 'Framed-IP-Address = %s' % ip,
                 'Called-Station-Id = "%s"' % apn,
                 'Acct-Session-Id = "%s"' % (session or "S-" + ip.replace(".", "-")),
                 '3GPP-RAT-Type = EUTRAN']
        if imsi:
            lines.append('3GPP-IMSI = "%s"' % imsi)
        if msisdn:
            lines.append('Calling-Station-Id = "%s"' % msisdn)
        if imeisv:
            lines.append('3GPP-IMEISV = "%s"' % imeisv)
        if home:
            lines.append('3GPP-IMSI-MCC-MNC = "%s"' % home)
        if serving:
            lines.append('3GPP-SGSN-MCC-MNC = "%s"' % serving)
        p = radclient_run(ARGS.radclient, self.radius_port, lines, SECRET, retries=2, wait=2)
        check("Received Accounting-Response" in p.stdout and p.returncode == 0,
              "radclient: %s %s" % (p.stdout, p.stderr), self)

    def bootstrap_cmd(self, ip, ep=None, port=None):
        cmd = [ARGS.devsim, "--server", "coap://127.0.0.1:%d" % (port or self.port), "--local", ip,
               "--timeout", "5"]
        return cmd + (["--ep", ep] if ep else [])

    def report(self, out, err):
        check(out.strip(), "devsim gave no report: %s" % err, self)
        return json.loads(out)

    def bootstrap(self, ip, ep=None, port=None):
        p = subprocess.run(self.bootstrap_cmd(ip, ep, port), capture_output=True, text=True, timeout=30)
        return self.report(p.stdout, p.stderr)

    def dsn(self):
        with open(ARGS.dsn_file) as f:
            return f.readline().strip()

    def sql(self, query):
        """One value (or rows joined by newlines) from the PostgreSQL store."""
        p = subprocess.run([ARGS.psql, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.dsn(), "-c", query],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 0, "psql %s: %s" % (query, p.stderr), self)
        return p.stdout.strip()

    def audit_records(self):
        deadline = time.time() + 5
        while time.time() < deadline:
            if os.path.exists(self.audit):
                with open(self.audit) as f:
                    return [json.loads(l) for l in f if l.strip()]
            time.sleep(0.05)
        return []

    def last_audit(self, peer_ip, count=1):
        deadline = time.time() + 5
        while time.time() < deadline:
            recs = [r for r in self.audit_records() if r.get("peer", "").startswith(peer_ip + ":")]
            if len(recs) >= count:
                return recs[-1]
            time.sleep(0.05)
        check(False, "no audit record for %s" % peer_ip, self)

    def metrics(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.metrics_port, timeout=5) as r:
            return r.read().decode()

    def stop(self):
        self.terminate()
        check(self.proc.returncode == 0, "lwbsd exit status %d" % self.proc.returncode, self)
        self.err.close()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def refused(s, report, ip, reason):
    check(report["result"] == "failed" and report.get("bootstrap_request") == "4.00",
          "%s: expected 4.00, got %s" % (reason, report), s)
    rec = s.last_audit(ip)
    check(rec.get("result") == "policy" and rec.get("reason") == reason,
          "%s: audit record %s" % (reason, rec), s)
    # and the session's log line (written once the record is durable)
    deadline = time.time() + 5
    while not any("peer=%s:" % ip in line and "result=policy reason=%s " % reason in line
                  for line in s.log().splitlines()):
        check(time.time() < deadline, "%s: no log line for %s" % (reason, ip), s)
        time.sleep(0.05)


def objects_uri(report):
    return report["objects"].get("/0/1/0")


# ---- tests ------------------------------------------------------------------

def t_known(s):
    """A known device by its urn:imei endpoint, and one by IMSI with a plain name."""
    s.announce("127.0.0.11", imsi="262010000000001", imeisv="4901542032375101")
    r = s.bootstrap("127.0.0.11", "urn:imei:490154203237518")
    check(r["result"] == "ok", "urn:imei device: %s" % r, s)
    check(objects_uri(r) == "coap://dm.example.net:5683", "urn:imei device configuration: %s" % r, s)
    s.announce("127.0.0.12", imsi="262010000000002")
    r = s.bootstrap("127.0.0.12", "meter-7")
    check(r["result"] == "ok" and objects_uri(r) == "coaps://dm.example.net:5684",
          "meter-7 by IMSI: %s" % r, s)
    rec = s.last_audit("127.0.0.12")
    check(rec["result"] == "ok" and rec["endpoint"] == "meter-7", "audit of meter-7: %s" % rec, s)


def t_refusals(s):
    """Each refusal with its reason in the audit and in the metrics."""
    r = s.bootstrap("127.0.0.16", "urn:imei:490154203237518")
    refused(s, r, "127.0.0.16", "no_binding")
    s.announce("127.0.0.13", imsi="262010000000001", imeisv="4901542032375101", apn="internet")
    refused(s, s.bootstrap("127.0.0.13", "urn:imei:490154203237518"), "127.0.0.13", "apn_not_trusted")
    s.announce("127.0.0.14", imsi="262010000000001", imeisv="4901542032375101", serving="23415")
    refused(s, s.bootstrap("127.0.0.14", "urn:imei:490154203237518"), "127.0.0.14", "roaming")
    s.announce("127.0.0.15", imsi="262010000000001", imeisv="4901542032375101")
    refused(s, s.bootstrap("127.0.0.15", "urn:imei:356938035643809"), "127.0.0.15", "endpoint_mismatch")
    # a plain name that is not the device's endpoint
    s.announce("127.0.0.18", imsi="262010000000002")
    refused(s, s.bootstrap("127.0.0.18", "sensor-0003"), "127.0.0.18", "endpoint_mismatch")
    # stale: the second listener accepts bindings at most 1 s old
    s.announce("127.0.0.19", imsi="262010000000001", imeisv="4901542032375101")
    time.sleep(2.2)
    refused(s, s.bootstrap("127.0.0.19", "urn:imei:490154203237518", port=s.stale_port), "127.0.0.19",
            "stale_binding")
    # the same binding is fresh enough for the first listener
    r = s.bootstrap("127.0.0.19", "urn:imei:490154203237518")
    check(r["result"] == "ok", "fresh on the other listener: %s" % r, s)
    m = s.metrics()
    for reason, n in (("no_binding", 1), ("apn_not_trusted", 1), ("roaming", 1), ("endpoint_mismatch", 2),
                      ("stale_binding", 1)):
        check('lwbs_identity_refusals_total{reason="%s"} %d' % (reason, n) in m,
              "metrics for %s:\n%s" % (reason, m), s)
    check('lwbs_sessions_total{result="policy"} 6' in m, "policy sessions in metrics:\n%s" % m, s)


def t_enrol(s):
    """An unknown device with a fitting template is enrolled and bootstraps."""
    imeisv = "3520990012345601"
    ep = "urn:imei:" + luhn_imei(imeisv)
    s.announce("127.0.0.17", imsi="262019999999999", imeisv=imeisv)
    r = s.bootstrap("127.0.0.17", ep)
    check(r["result"] == "ok" and objects_uri(r) == "coap://dm.example.net:5683", "enrolled: %s" % r, s)
    with open(s.journal) as f:
        j = f.read()
    check("enrol " in j and "endpoint=" + ep in j and "imsi=262019999999999" in j, "journal: %s" % j, s)
    # again: now a known device
    r = s.bootstrap("127.0.0.17", ep)
    check(r["result"] == "ok", "enrolled device again: %s" % r, s)
    check(j.count("enrol ") == 1, "enrolled twice", s)
    # no template fits another PLMN
    s.announce("127.0.0.20", imsi="208019999999999", imeisv="3520990012345702", home="20801", serving="20801")
    r = s.bootstrap("127.0.0.20", "urn:imei:" + luhn_imei("3520990012345702"))
    refused(s, r, "127.0.0.20", "no_template")


def t_credentials(s):
    """Generated DM credentials: the same key at re-bootstrap, exported as csv and leshan."""
    s.announce("127.0.0.12", imsi="262010000000002")
    keys = []
    for _ in range(2):
        r = s.bootstrap("127.0.0.12", "meter-7")
        check(r["result"] == "ok", "meter-7: %s" % r, s)
        o = r["objects"]
        ident = [v for k, v in o.items() if k.startswith("/0/") and k.endswith("/3") and v != {"hex": ""}]
        key = [v for k, v in o.items() if k.startswith("/0/") and k.endswith("/5") and v != {"hex": ""}]
        check(ident == [{"hex": b"dm-262010000000002".hex()}], "generated identity: %s" % o, s)
        check(len(key) == 1 and len(key[0]["hex"]) == 32, "generated key: %s" % o, s)
        keys.append(key[0]["hex"])
    check(keys[0] == keys[1], "re-bootstrap changed the key: %s" % keys, s)
    p = subprocess.run([ARGS.lwbsctl, "credentials", "export", "--state", s.journal, "--format", "csv"],
                       capture_output=True, text=True, timeout=10)
    check(p.returncode == 0 and "meter-7,101,dm-262010000000002,%s" % keys[0] in p.stdout,
          "csv export: %s %s" % (p.stdout, p.stderr), s)
    p = subprocess.run([ARGS.lwbsctl, "credentials", "export", "--state", s.journal, "--format", "leshan"],
                       capture_output=True, text=True, timeout=10)
    check(p.returncode == 0, "leshan export: %s" % p.stderr, s)
    entries = json.loads(p.stdout)
    check({"endpoint": "meter-7", "psk": {"identity": "dm-262010000000002", "key": keys[0]}} in
          [{k: e[k] for k in ("endpoint", "psk")} for e in entries], "leshan export: %s" % p.stdout, s)


def dm_credentials(s, report):
    """The generated PSK identity and key (hex) a device was given."""
    o = report["objects"]
    ident = [v["hex"] for k, v in o.items() if k.startswith("/0/") and k.endswith("/3") and v != {"hex": ""}]
    key = [v["hex"] for k, v in o.items() if k.startswith("/0/") and k.endswith("/5") and v != {"hex": ""}]
    check(len(ident) == 1 and len(key) == 1, "generated credentials: %s" % o, s)
    return bytes.fromhex(ident[0]).decode(), key[0]


def t_enrol_pg(s):
    """PostgreSQL store: unknown devices enrolled from the templates table, once
    (four concurrent first bootstraps end with one device and one key), their key
    kept at re-bootstrap and exported by lwbsctl credentials export --dsn-file;
    no fitting template is no_template; an endpoint of another device is a store
    error; export and --prune leave enrolled devices alone, a file device claiming
    an identity replaces one."""
    imeisv = "3520990012345601"
    ep = "urn:imei:" + luhn_imei(imeisv)
    s.announce("127.0.0.17", imsi="262019999999999", imeisv=imeisv)
    r = s.bootstrap("127.0.0.17", ep)
    check(r["result"] == "ok" and objects_uri(r) == "coap://dm.example.net:5683", "enrolled: %s" % r, s)
    row = s.sql("SELECT d.enrolled_template->>'profile', d.enrolled_template->>'position', d.batch IS NULL, "
                "d.enrolled_at IS NOT NULL FROM devices d WHERE d.endpoint = '%s'" % ep)
    check(row == "basic|1|t|t", "enrolled device row: %r" % row, s)
    ids = s.sql("SELECT string_agg(kind || '=' || value || '/' || key, ' ' ORDER BY kind) FROM device_identities i "
                "JOIN devices d ON d.id = i.device_id WHERE d.endpoint = '%s'" % ep)
    check(ids == "imei=%s/%s imsi=262019999999999/262019999999999" % (luhn_imei(imeisv), imeisv[:14]),
          "enrolled identities: %r" % ids, s)

    # a generating template; four first bootstraps at once
    imeisv2 = "3520990012345809"
    ep2 = "urn:imei:" + luhn_imei(imeisv2)
    s.announce("127.0.0.21", imsi="262029999999991", imeisv=imeisv2, home="26202", serving="26202")
    # templates locked for 1.5 s: the four lookups miss and their INSERTs
    # (which read templates) wait, then run together: one inserts, three
    # meet its row (ON CONFLICT)
    lock = subprocess.Popen([ARGS.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", s.dsn(), "-c",
                             "BEGIN; LOCK TABLE templates; SELECT pg_sleep(1.5); COMMIT"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 10
    while s.sql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'templates' AND l.mode = 'AccessExclusiveLock' AND l.granted") != "1":
        check(time.time() < deadline, "the lock on templates was not taken", s)
        time.sleep(0.05)
    procs = [subprocess.Popen(s.bootstrap_cmd("127.0.0.21", ep2), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    reports = [s.report(*p.communicate(timeout=30)) for p in procs]
    check(lock.wait(timeout=30) == 0, "psql holding the lock: %s" % lock.stderr.read(), s)
    for r in reports:
        check(r["result"] == "ok", "concurrent first bootstrap: %s" % r, s)
    creds = [dm_credentials(s, r) for r in reports]
    check(all(c == creds[0] for c in creds) and creds[0][0] == "dm-262029999999991",
          "concurrent first bootstraps got different credentials: %s" % creds, s)
    n = s.sql("SELECT count(*) FROM devices WHERE endpoint = '%s'" % ep2)
    g = s.sql("SELECT count(*) FROM generated_credentials g JOIN devices d ON d.id = g.device_id "
              "WHERE d.endpoint = '%s'" % ep2)
    check(n == "1" and g == "1", "after four first bootstraps: %s devices, %s credentials rows" % (n, g), s)
    r = s.bootstrap("127.0.0.21", ep2)
    check(r["result"] == "ok" and dm_credentials(s, r) == creds[0], "re-bootstrap: %s" % r, s)
    check(s.sql("SELECT count(*) FROM devices WHERE enrolled_at IS NOT NULL") == "2", "enrolled twice", s)
    stored = s.sql("SELECT psk_identity || ' ' || encode(psk_key, 'hex') FROM generated_credentials g "
                   "JOIN devices d ON d.id = g.device_id WHERE d.endpoint = '%s'" % ep2)
    check(stored == "%s %s" % creds[0], "stored %r, given %s" % (stored, creds[0]), s)

    # what the device received is what the export gives the DM server
    p = subprocess.run([ARGS.lwbsctl, "credentials", "export", "--dsn-file", ARGS.dsn_file, "--format", "csv"],
                       capture_output=True, text=True, timeout=10)
    check(p.returncode == 0 and "%s,101,%s,%s\n" % (ep2, creds[0][0], creds[0][1]) in p.stdout,
          "csv export: %s %s" % (p.stdout, p.stderr), s)
    p = subprocess.run([ARGS.lwbsctl, "credentials", "export", "--dsn-file", ARGS.dsn_file, "--ssid", "101"],
                       capture_output=True, text=True, timeout=10)
    check(p.returncode == 0, "leshan export: %s" % p.stderr, s)
    check({"endpoint": ep2, "psk": {"identity": creds[0][0], "key": creds[0][1]}} in json.loads(p.stdout),
          "leshan export: %s" % p.stdout, s)

    # no template fits another home PLMN
    s.announce("127.0.0.20", imsi="208019999999999", imeisv="3520990012345702", home="20801", serving="20801")
    refused(s, s.bootstrap("127.0.0.20", "urn:imei:" + luhn_imei("3520990012345702")), "127.0.0.20", "no_template")
    # the endpoint is another device's (meter-7, IMSI ...002): never a second record
    s.announce("127.0.0.22", imsi="262019999999977")
    r = s.bootstrap("127.0.0.22", "meter-7")
    check(r["result"] != "ok", "an enrolment took another device's endpoint: %s" % r, s)
    rec = s.last_audit("127.0.0.22")
    check(rec.get("result") == "store_error", "audit of the endpoint clash: %s" % rec, s)
    check(s.sql("SELECT count(*) FROM device_identities WHERE value = '262019999999977'") == "0",
          "identity of the clash stored", s)

    # provisioning around enrolled devices
    p = subprocess.run([ARGS.lwbsctl, "provision", "export", "--dsn-file", ARGS.dsn_file],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0 and "# not exported: 2 devices lwbsd enrolled from templates" in p.stdout
          and ep not in p.stdout and '"plmn": "26202", "profile": "generated"' in p.stdout,
          "export with enrolled devices: %s %s" % (p.stdout, p.stderr), s)
    exported = os.path.join(s.dir, "export.yaml")
    with open(exported, "w") as f:
        f.write(p.stdout)
    p = subprocess.run([ARGS.lwbsctl, "provision", "apply", "--dsn-file", ARGS.dsn_file, "--prune", "x", exported],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0 and "devices: 0 new, 0 changed, 2 unchanged, 0 removed" in p.stdout
          and "templates: 0 new, 0 changed, 2 unchanged, 0 removed" in p.stdout,
          "re-apply of the export: %s %s" % (p.stdout, p.stderr), s)
    adopt = os.path.join(s.dir, "adopt.yaml")
    with open(adopt, "w") as f:
        f.write('devices:\n  - {endpoint: adopted-1, profile: generated, imsi: "262029999999991", batch: x}\n')
    p = subprocess.run([ARGS.lwbsctl, "provision", "apply", "--dsn-file", ARGS.dsn_file, exported, adopt],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0 and "replaced enrolled devices (an identity is now a file device's): %s" % ep2 in p.stdout,
          "a file device claiming an enrolled identity: %s %s" % (p.stdout, p.stderr), s)
    check(s.sql("SELECT count(*) FROM devices WHERE endpoint = '%s'" % ep2) == "0", "replaced device kept", s)
    check(s.sql("SELECT count(*) FROM devices WHERE endpoint = '%s'" % ep) == "1", "other enrolled device lost", s)


def t_config(_s):
    """Policy keys where they do not apply are configuration errors."""
    d = tempfile.mkdtemp(prefix="lwbsd-identity-conf-")
    try:
        with open(os.path.join(d, "devices.yaml"), "w") as f:
            f.write(PROVISIONING)
        cases = [
            ("listeners:\n  - {address: 127.0.0.1, port: 5683, policy: {trusted_apns: [a]}}\n"
             "store: {type: embedded, files: [devices.yaml]}\n", "needs trusted: true"),
            ("listeners:\n  - {address: 127.0.0.1, port: 5683, trusted: true, policy: {auto_enrol: true}}\n"
             "store: {type: embedded, files: [devices.yaml]}\n", "auto_enrol needs"),
            ("listeners:\n  - {address: 127.0.0.1, port: 5683, trusted: true, policy: {allowed_plmns: [262]}}\n"
             "store: {type: embedded, files: [devices.yaml]}\n", "5 or 6 digits"),
            ("listeners:\n  - {address: 127.0.0.1, port: 5683, trusted: true, identify: endpoint, "
             "policy: {trusted_apns: [a]}}\nstore: {type: embedded, files: [devices.yaml]}\n",
             "policy applies to identify: network"),
            ("listeners:\n  - {address: 127.0.0.1, port: 5683, trusted: true, stack: libcoap, "
             "policy: {trusted_apns: [a]}}\nstore: {type: embedded, files: [devices.yaml]}\n",
             "identify: network (the default: RADIUS binding and policy) needs transport udp and stack native"),
            ("listeners:\n  - {address: 127.0.0.1, port: 5683, trusted: true, policy: {colour: red}}\n"
             "store: {type: embedded, files: [devices.yaml]}\n", "unknown key \"colour\" in policy"),
        ]
        for text, want in cases:
            path = os.path.join(d, "c.yaml")
            with open(path, "w") as f:
                f.write(text)
            p = subprocess.run([ARGS.lwbsd, "--check-config", "-c", path], capture_output=True, text=True)
            check(p.returncode == 1 and want in p.stderr, "config %r: %s" % (want, p.stderr))
    finally:
        shutil.rmtree(d, ignore_errors=True)


TESTS = {"known": t_known, "refusals": t_refusals, "enrol": t_enrol, "credentials": t_credentials,
         "config": t_config, "enrol_pg": t_enrol_pg}


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--lwbsd", required=True)
    ap.add_argument("--lwbsctl", required=True)
    ap.add_argument("--devsim", required=True)
    ap.add_argument("--radclient", default=shutil.which("radclient") or "radclient")
    ap.add_argument("--dsn-file")
    ap.add_argument("--psql", default=shutil.which("psql") or "psql")
    ap.add_argument("test", choices=sorted(TESTS))
    ARGS = ap.parse_args()
    if (ARGS.test == "enrol_pg") != bool(ARGS.dsn_file):
        print("enrol_pg runs with --dsn-file, and only it")
        return 2
    for k in ("lwbsd", "lwbsctl", "devsim") + (("dsn_file",) if ARGS.dsn_file else ()):
        setattr(ARGS, k, os.path.abspath(getattr(ARGS, k)))
    if ARGS.test != "config" and not shutil.which(ARGS.radclient):
        print("radclient not found (apt-get install freeradius-utils)")
        return 77
    s = None if ARGS.test == "config" else Server()
    try:
        TESTS[ARGS.test](s)
        if s:
            s.stop()
    except Failure as e:
        print(e)
        return 1
    finally:
        if s:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
            s.cleanup()
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
