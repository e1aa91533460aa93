"""Shared by tests/bench/bootstrap.sh and dtls.sh.

  benchlib.py row DEVSIM_JSON C0 C1 HZ RSS_KB E0 E1 U0 U1 AUDIT CONC LABEL_KEY LABEL [X0 X1]
      one JSON line for a run: devsim's load figures plus lwbsd's CPU per
      session (utime+stime ticks C0..C1 over the window), peak RSS,
      RcvbufErrors during the run (E0..E1), UDP datagrams sent on the host
      per session over the window (U0..U1: both ends on loopback, so
      anything else sending UDP meanwhile counts too), the audit records
      written and,
      with X0 X1, the database server's CPU per session (its processes'
      ticks over the same window).
  benchlib.py summary LABEL_KEY < rows
      min / median / max of each figure, per label.
"""
import json
import sys

FIGURES = ("sessions_per_s", "failed", "p50_ms", "p99_ms", "lwbsd_cpu_us_per_session",
           "lwbsd_peak_rss_mb", "devsim_cpu_us_per_session", "db_cpu_us_per_session", "datagrams_per_session",
           "rcvbuf_errors")


def row(argv):
    path, c0, c1, hz, rss, e0, e1, u0, u1, audit, conc, key, label = argv[:13]
    x0, x1 = argv[13:15] if len(argv) >= 15 else (None, None)
    d = json.load(open(path))
    cpu = (int(c1) - int(c0)) / int(hz)
    db = (int(x1) - int(x0)) / int(hz) if x0 is not None else None
    s = d["sessions"]
    out = {
        key: label,
        "concurrency": int(conc),
        "sessions_per_s": d["sessions_per_s"],
        "sessions": s,
        "failed": d["failed"],
        "timeouts": d.get("timeouts"),
        "p50_ms": d["p50_ms"],
        "p99_ms": d["p99_ms"],
        "lwbsd_cpu_us_per_session": round(cpu * 1e6 / s, 1) if s else None,
        "lwbsd_peak_rss_mb": round(int(rss) / 1024, 1),
        "devsim_cpu_us_per_session": d.get("cpu_us_per_session"),
        "db_cpu_us_per_session": round(db * 1e6 / s, 1) if db is not None and s else None,
        "retransmissions": d.get("retransmissions"),
        "datagrams_per_session": round((int(u1) - int(u0)) / s, 2) if s else None,
        "rcvbuf_errors": int(e1) - int(e0),
        "audit_records": int(audit),
    }
    print(json.dumps(out))


def summary(key):
    rows = [json.loads(line) for line in sys.stdin if line.strip()]
    for label in dict.fromkeys(r[key] for r in rows):
        rk = [r for r in rows if r[key] == label]
        print("%s (%d runs, concurrency %d):" % (label, len(rk), rk[0]["concurrency"]))
        for k in FIGURES:
            v = sorted(r[k] for r in rk if r[k] is not None)
            mmm = "%s / %s / %s" % (v[0], v[len(v) // 2], v[-1]) if v else "-"
            print("  %-28s min / median / max: %s" % (k, mmm))


if __name__ == "__main__":
    if sys.argv[1:2] == ["row"]:
        row(sys.argv[2:])
    else:
        summary(sys.argv[2])
