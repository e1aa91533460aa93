"""What the integration test scripts share: their data files, failures and
checks, free ports, an lwbsd process started on a temporary configuration
(its log, waiting for a log line, the audit file, stopping it with the
sanitizer check), --check-config refusals, running lwbs-devsim for its JSON
report, radclient, the command line and the loop over named tests.
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request


def read_data(name):
    """The text of the file name in tests/integration/."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name)) as f:
        return f.read()


# "profiles:" with the basic profile (basic-profile.yaml without its
# comment): a YAML text that more profiles and "devices:" can follow
BASIC_PROFILE = "".join(line for line in read_data("basic-profile.yaml").splitlines(True)
                        if not line.startswith("#"))


class Failure(Exception):
    pass


def check(cond, what, server=None):
    if not cond:
        msg = "FAILED: " + what
        if server is not None:
            msg += "\n--- lwbsd stderr ---\n" + server.failure_log()
        raise Failure(msg)


def free_port(kind=socket.SOCK_DGRAM):
    """A port free on 0.0.0.0 for kind, drawn below the kernel's ephemeral
    range (32768-60999): a port the kernel hands out for bind(0) is also
    handed to the next client socket of a test running in parallel, which
    then takes it before lwbsd binds it."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(10000, 32000)
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("0.0.0.0", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise Failure("no free port found")


def read_metric(port, name, server=None):
    """The value of one sample (name with its labels) on lwbsd's metrics
    endpoint at 127.0.0.1:port; a failed check when it is missing."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return int(line.split()[1])
    check(False, "no metric %s" % name, server)


class Lwbsd:
    """An lwbsd process on the configuration self.conf, its stdout and stderr
    in self.errpath; a subclass writes both paths before launch()."""

    # when wait_log fails on an exited lwbsd: "before" or "after" looking
    # for the text, or None (never: the text may come after the exit)
    EXIT_CHECK = "before"

    def launch(self, lwbsd, mode="w", cwd=None):
        self.err = open(self.errpath, mode)
        self.proc = subprocess.Popen([lwbsd, "-c", self.conf], stdout=self.err, stderr=self.err, cwd=cwd)

    def log(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.errpath) as f:
            return f.read()

    def stderr_text(self):
        return self.log()

    def failure_log(self):
        """The part of the log a failed check shows."""
        return self.log()

    def check_running(self):
        if self.proc.poll() is not None:
            check(False, "lwbsd exited with %d" % self.proc.returncode, self)

    def wait_log(self, text, timeout=10.0, count=1):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.EXIT_CHECK == "before":
                self.check_running()
            if self.log().count(text) >= count:
                return
            if self.EXIT_CHECK == "after":
                self.check_running()
            time.sleep(0.05)
        check(False, "no log line with %r within %.0f s" % (text, timeout), self)

    def terminate(self, sig=signal.SIGTERM):
        """Sends sig and waits 15 s for the exit; kills lwbsd and fails after that."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                check(False, "lwbsd did not stop within 15 s", self)

    def stop(self, sig=signal.SIGTERM):
        self.terminate(sig)
        self.err.close()
        check("Sanitizer" not in self.log(), "sanitizer report", self)
        return self.proc.returncode

    def audit_records(self):
        if not os.path.exists(self.audit):
            return []
        with open(self.audit) as f:
            return [json.loads(line) for line in f if line.strip()]

    def wait_audit(self, pred, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for r in self.audit_records():
                if pred(r):
                    return r
            time.sleep(0.05)
        check(False, "no matching audit record within %.0f s; audit: %s" % (timeout, self.audit_records()), self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.err.closed:
            self.err.close()


def run_devsim(cmd, timeout, server):
    """Runs lwbs-devsim (cmd, with --timeout timeout) and returns its exit
    status and its JSON report."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 10)
    try:
        out = json.loads(p.stdout)
    except ValueError:
        check(False, "devsim %s printed no JSON (exit %d): %s %s" % (cmd, p.returncode, p.stdout, p.stderr),
              server)
    return p.returncode, out


def radclient_run(prog, port, lines, secret, code="acct", retries=1, wait=1):
    """Sends one RADIUS packet (radclient attribute lines) to 127.0.0.1:port."""
    return subprocess.run([prog, "-r", str(retries), "-t", str(wait), "-x", "127.0.0.1:%d" % port, code, secret],
                          input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=20)


def run_tests(tests, names):
    """Runs the named tests, prints ok or FAIL for each; 1 if any failed."""
    failed = 0
    for n in names:
        t0 = time.time()
        try:
            tests[n]()
            print("ok   %s (%.1f s)" % (n, time.time() - t0))
        except Failure as e:
            failed += 1
            print("FAIL %s (%.1f s)\n%s" % (n, time.time() - t0, e))
    sys.stdout.flush()
    return 1 if failed else 0


def check_config_rejects(lwbsd, d, name, text, want):
    """lwbsd --check-config on text (as d/bad.yaml) exits 1 with one line on
    stderr, containing want; returns that line."""
    bad = os.path.join(d, "bad.yaml")
    with open(bad, "w") as f:
        f.write(text)
    p = subprocess.run([lwbsd, "--check-config", "-c", bad], capture_output=True, text=True)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1, "%s: exit status %d (want 1): %r" % (name, p.returncode, p.stderr))
    check(len(lines) == 1 and want in lines[0], "%s: want one line containing %r, got %r" % (name, want, p.stderr))
    return lines[0]


def parse_args(tests, *options):
    """The command line of a script running tests on lwbsd with lwbs-devsim:
    --lwbsd, --devsim, options (flag, add_argument keywords), test names."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--lwbsd", required=True)
    ap.add_argument("--devsim", required=True)
    for flag, kw in options:
        ap.add_argument(flag, **kw)
    ap.add_argument("tests", nargs="*", help="tests to run (default all): " + " ".join(tests))
    return ap.parse_args()
