#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""gen-lines.py: agent lines with known answers, for probe-report's tests
and benchmark. 72 hours from 2026-11-28T00:00:00Z (ts at .123 of each
minute), every check once a minute, labels env=prod:
  - deadletter.count: 0 dead letters, a burst at hour 5 (2, 4, ... 12 at
    05:00-05:05; warning at 1, critical at 5), replayed to 0 at 06:00;
  - pgqueue.health: depth 5; stalled at hour 30 (30:00-30:29: nothing
    completed, depth +10/min; critical 30:10-30:29), drained at 30:30;
  - claims.lifecycle (window 900 s): 30 claims completed per window,
    p95 1.2 s, callbacks 100%; 3 claims failed at 05:05 (the windows of
    05:05-05:19 show 27 completed, 3 failed, ratio 0.9: critical);
    p95 6.5 s (over the 5 s threshold: critical) at 50:00-50:09;
  - anchor.confirm, ledger.chain: ok; tls.cert: warning throughout;
  - two lines that are not the agent's, and one staging line (env=staging,
    a critical deadletter.count) at hour 10.
--hosts N repeats every prod line for N hosts (the benchmark's volume);
--hours H shortens or lengthens the run.
"""
import argparse
import json
import sys
from datetime import datetime, timedelta, timezone

T0 = datetime(2026, 11, 28, tzinfo=timezone.utc)


def ts(m):
    return (T0 + timedelta(minutes=m, milliseconds=123)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


LEVEL = {"ok": "info", "warning": "warn", "critical": "error", "unknown": "error"}


def line(m, host, plugin, check, target, status, summary, metrics, details=None, env="prod"):
    o = {"ts": ts(m), "host": host, "agent_version": "0.1.0", "plugin": plugin, "check": check,
         "target": target, "status": status, "level": LEVEL[status], "summary": summary,
         "duration_ms": 12.5, "metrics": metrics, "details": details or {},
         "labels": {"service": "medlink", "env": env}}
    return json.dumps(o, separators=(",", ":"))


def dead(m):
    if 300 <= m <= 305:
        return 2 * (m - 299)
    if 305 < m < 360:
        return 12
    return 0


def minute(m, host, out):
    w = out.write
    w(line(m, host, "ledger", "ledger.chain", "/var/backups/itrans/ledger.jsonl", "ok",
           "chain intact", {"events": 1000 + 120 * m, "appended_events": 120,
                            "append_rate_per_minute": 120}) + "\n")
    w(line(m, host, "anchor", "anchor.confirm", "postgresql://probe@db/itrans", "ok",
           "all anchors confirmed", {"anchors_total": 10 + m // 60, "anchors_failed": 0,
                                     "confirmation_latency_seconds": 30 + m % 10}) + "\n")
    n = dead(m)
    st = "ok" if n == 0 else ("warning" if n < 5 else "critical")
    w(line(m, host, "deadletter", "deadletter.count", "http://relay:8080", st,
           "%d dead letters" % n, {"dead_letters": n}) + "\n")
    if 1800 <= m < 1830:
        depth, comp = 5 + (m - 1800) * 10, 0
        st = "critical" if m >= 1810 else "ok"
        summ = "stalled: %d waiting, nothing completed in 10m" % depth if st == "critical" else "%d waiting" % depth
    else:
        depth, comp, st, summ = 5, 50, "ok", "5 waiting"
    w(line(m, host, "pgqueue", "pgqueue.health", "submit_queue", st, summ,
           {"depth": depth, "in_flight": 2, "failed_window": 0, "completed_window": comp,
            "oldest_pending_age_seconds": 4}) + "\n")
    com, fai, ratio, p95, st, summ = 30, 0, 1.0, 1.2, "ok", "30 claims completed"
    if 305 <= m < 320:
        com, fai, ratio, st, summ = 27, 3, 0.9, "critical", "callback success 0.90 < 0.95"
    if 3000 <= m < 3010:
        p95, st, summ = 6.5, "critical", "p95 6.5 s > 5 s"
    w(line(m, host, "claims", "claims.lifecycle", "/var/backups/itrans/ledger.jsonl", st, summ,
           {"claims_submitted": 30, "claims_completed": com, "claims_failed": fai,
            "claims_in_flight": 4, "claims_stuck": 0, "lifecycle_p50_seconds": 0.6,
            "lifecycle_p95_seconds": p95, "lifecycle_p99_seconds": p95 + 0.5,
            "callbacks_due": com + fai, "callback_success_ratio": ratio},
           {"window_seconds": 900}) + "\n")
    w(line(m, host, "tls", "tls.cert", "medlink.example:443", "warning",
           "certificate expires in 20 days", {"days_left": 20}) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=int, default=72)
    ap.add_argument("--hosts", type=int, default=1)
    a = ap.parse_args()
    out = sys.stdout
    for m in range(a.hours * 60):
        for h in range(a.hosts):
            minute(m, "medlink-7f9c" if h == 0 else "medlink-%d" % h, out)
        if m == 100:
            out.write("Nov 28 01:40:00 medlink-7f9c systemd[1]: Started probe-agent.service.\n")
        if m == 200:
            out.write('{"msg":"not an agent line","ts":"2026-11-28T03:20:00Z"}\n')
        if m == 600:
            out.write(line(m, "medlink-stg", "deadletter", "deadletter.count", "http://relay-stg:8080",
                           "critical", "50 dead letters", {"dead_letters": 50}, env="staging") + "\n")


if __name__ == "__main__":
    main()
