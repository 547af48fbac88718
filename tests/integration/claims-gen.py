#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""claims-gen.py: writes ledgers (format v1) of claims with known answers for
the claims plugin's tests and benchmark, independently of the C code
(json + hashlib; the answers are computed here from the claims' stage
times with the definitions of ledger-format.md section 4 and SPEC.md's
claims part, not by the plugin's code).

  claims-gen.py mix [--now T] [--answers FILE] > ledger.jsonl
      claims with chosen latencies (p50/p95/p99 known exactly), stuck ones,
      failed ones (ClaimFailed, final CallbackFailed), callbacks that never
      come (one overdue, one still within callback_grace), a duplicate
      submission, a synthetic claim (claim-synth-001, with an event of an
      unknown type), out-of-order claims, claims completed 35-40 min ago
      (outside the window, past anchor_grace), a non-claim event.
      Times are relative to --now (default: the current time) and at least
      60 s away from every default threshold, so that a run a few seconds
      later gives the same answers.
  claims-gen.py first --fails K [--now T] [--answers FILE] > ledger.jsonl
      the first ten organic claims after since (now - 9 min; one organic
      claim before it and a synthetic one among them are not counted), K of
      them failed, the others complete long enough ago.
  claims-gen.py anchored --rpc URL [--now T] [--answers FILE] > ledger.jsonl
      the mix, with one real anchor written at now - 2250 s: a transaction
      sent to the node at URL (eth_sendTransaction from its first unlocked
      account, input the raw 32 bytes of the anchored hash) and its
      AnchorSubmitted event, covering every event before it; then 20 blocks
      mined so that it is final. The answers add "anchor_seq", "anchor_tx".
  claims-gen.py append FILE --segment K [--now T] [--answers FILE]
      appends to the ledger FILE (continuing its chain; a new one when
      empty) segment K (0-3) of a live ledger: claims that all reach their
      end 0.3-0.9 s before --now (one in segment 3 stays in flight), with
      latencies, ClaimFailed and final CallbackFailed chosen so that each
      segment has its own p95 and callback ratio (for probe-report's sums
      over several runs with a short window). The answers are those of
      the segment alone.
  claims-gen.py bench N [--now T] > ledger.jsonl
      N events of realistic claims (5 events each: submitted, validated,
      adjudicated, callback delivered, paid), one claim every 3 s (a week
      for 200,000 claims), about 600 claims in flight at a time.

--answers FILE writes a JSON object: the expected metrics of
claims.lifecycle with the default settings (window 15m, stuck_after 15m,
callback_grace 5m, anchor_grace 30m; anchored unknown), and the event seq
of each claim's completing event (for anchoring tests).
Percentiles are nearest-rank: the value at rank ceil(p * n) of the sorted
latencies.
"""
import hashlib
import json
import math
import sys
import time

ZERO = "0" * 64
WINDOW, STUCK, CB_GRACE, ANCHOR_GRACE = 900, 900, 300, 1800


def jcs(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def iso(t):
    ms = int(round((t - math.floor(t)) * 1000))
    s = int(math.floor(t))
    if ms >= 1000:
        s, ms = s + 1, ms - 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%03dZ" % ms


class Ledger:
    """Events gathered with their times, written in time order and sealed."""

    def __init__(self):
        self.evs = []

    def add(self, t, typ, agg, payload=None):
        # millisecond times, as iTrans writes them
        t = round(t, 3)
        self.evs.append([t, len(self.evs), typ, agg, payload or {}])

    def write(self, out, rpc=None, prev=ZERO, seq0=1):
        seqs = []
        self.evs.sort(key=lambda e: (e[0], e[1]))
        for seq, (t, _, typ, agg, payload) in enumerate(self.evs, seq0):
            if typ == "AnchorSubmitted":
                # anchors the event before: a real transaction on the node
                h = prev
                frm = rpc_call(rpc, "eth_accounts")[0]
                tx = rpc_call(rpc, "eth_sendTransaction", [{"from": frm, "to": frm, "data": "0x" + h}])
                payload = {"anchored_seq": seq - 1, "anchored_hash": h, "chain_id": 1337, "tx_hash": tx}
                self.anchor = (seq, tx)
            ev = {"seq": seq, "ts": iso(t), "type": typ, "aggregate_id": agg,
                  "payload": payload, "prev_hash": prev}
            ev["hash"] = hashlib.sha256(jcs(ev).encode("utf-8")).hexdigest()
            prev = ev["hash"]
            out.write(json.dumps(ev, separators=(",", ":"), ensure_ascii=False) + "\n")
            seqs.append((seq, t, typ, agg, payload))
        return seqs


def rpc_call(url, method, params=None):
    import urllib.request
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    req = urllib.request.Request(url, body, {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        ans = json.load(r)
    if "error" in ans:
        sys.exit("%s: %s" % (method, ans["error"]))
    return ans["result"]


def answers(seqs, now, window=WINDOW):
    """The expected metrics, from the events (section 4's definitions)."""
    cl = {}
    for seq, t, typ, agg, p in seqs:
        if not agg.startswith("claim-"):
            continue
        c = cl.setdefault(agg, {"sub": None, "dec": None, "del": None, "fail": None,
                                "final_cb": False, "dups": [], "ooo": False, "done_seq": None})
        if typ == "ClaimSubmitted":
            if c["sub"] is not None:
                c["dups"].append(t)
            else:
                c["sub"] = t
            continue
        if typ not in ("ClaimValidated", "ClaimAdjudicated", "ClaimRejected", "ClaimFailed",
                       "CallbackDelivered", "CallbackFailed"):
            continue
        fin = c["fail"] is not None or (c["dec"] is not None and c["del"] is not None)
        if c["sub"] is None:
            c["ooo"] = True
        if typ in ("ClaimAdjudicated", "ClaimRejected") and c["dec"] is None:
            c["dec"] = t
        elif typ == "ClaimFailed" and not fin:
            c["fail"], c["done_seq"] = t, seq
        elif typ == "CallbackDelivered":
            if c["dec"] is None:
                c["ooo"] = True
            elif c["del"] is None and not fin:
                c["del"], c["done_seq"] = t, seq
        elif typ == "CallbackFailed" and p.get("final") is True:
            c["final_cb"] = True
            if not fin:
                c["fail"], c["done_seq"] = t, seq
    w0 = now - window
    lat, a = [], {"claims_submitted": 0, "claims_completed": 0, "claims_failed": 0,
                  "claims_in_flight": 0, "claims_stuck": 0, "duplicate_submissions": 0,
                  "out_of_order": 0, "callbacks_overdue": 0, "callbacks_final_failed": 0}
    ok = 0
    done_seq = {}
    for cid, c in cl.items():
        comp = c["dec"] is not None and c["del"] is not None
        failed = c["fail"] is not None
        done_seq[cid] = c["done_seq"]
        if c["sub"] is not None and w0 <= c["sub"] <= now:
            a["claims_submitted"] += 1
        if c["dups"] and c["dups"][-1] >= w0:
            a["duplicate_submissions"] += len(c["dups"])
        if c["ooo"]:
            a["out_of_order"] += 1
        if comp and c["del"] >= w0:
            a["claims_completed"] += 1
            ok += 1
            if c["sub"] is not None:
                lat.append(round(c["del"] - c["sub"], 3))
        if failed and c["fail"] >= w0:
            a["claims_failed"] += 1
            if c["final_cb"]:
                a["callbacks_final_failed"] += 1
        if not comp and not failed:
            a["claims_in_flight"] += 1
            if c["sub"] is not None and now - c["sub"] > STUCK:
                a["claims_stuck"] += 1
            if c["dec"] is not None and now - c["dec"] > CB_GRACE and c["dec"] >= w0 - CB_GRACE:
                a["callbacks_overdue"] += 1
    lat.sort()
    if lat:
        for p, k in ((0.50, "lifecycle_p50_seconds"), (0.95, "lifecycle_p95_seconds"),
                     (0.99, "lifecycle_p99_seconds")):
            a[k] = lat[max(1, math.ceil(p * len(lat))) - 1]
    due = ok + a["callbacks_final_failed"] + a["callbacks_overdue"]
    a["callbacks_due"] = due
    if due:
        a["callback_success_ratio"] = ok / due
    return {"metrics": a, "done_seq": done_seq}


def claim(L, cid, t0, lat, synthetic=False, decision="approved"):
    """A claim completing lat seconds after submission."""
    L.add(t0, "ClaimSubmitted", cid, {"synthetic": True} if synthetic else {"amount": "12.50"})
    L.add(t0 + lat * 0.2, "ClaimValidated", cid)
    L.add(t0 + lat * 0.5, "ClaimAdjudicated", cid, {"decision": decision})
    L.add(t0 + lat, "CallbackDelivered", cid, {"http_status": 200})


def mix(now):
    L = Ledger()
    # 100 claims, latencies 0.04 .. 4.00 s: p50 2.00, p95 3.80, p99 3.96
    for i in range(1, 101):
        claim(L, "claim-%06d" % i, now - 600 + i * 3, i * 0.04)
    # a duplicate submission of a completed claim
    L.add(now - 200, "ClaimSubmitted", "claim-000050")
    # stuck: validated 20 min ago, never decided
    for i in (201, 202):
        L.add(now - 1200, "ClaimSubmitted", "claim-%06d" % i)
        L.add(now - 1199, "ClaimValidated", "claim-%06d" % i)
    # failed: ClaimFailed, and a callback that became a dead letter
    for i in (301, 302):
        L.add(now - 480, "ClaimSubmitted", "claim-%06d" % i)
        L.add(now - 420, "ClaimFailed", "claim-%06d" % i, {"error": "adjudication engine"})
    L.add(now - 400, "ClaimSubmitted", "claim-000303")
    L.add(now - 399, "ClaimAdjudicated", "claim-000303", {"decision": "denied"})
    for k in (1, 2, 3):
        L.add(now - 398 + k * 10, "CallbackFailed", "claim-000303",
              {"http_status": 503, "attempt": k, "final": k == 3})
    # callbacks that never come: overdue (decided 8 min ago), within grace (1 min)
    L.add(now - 500, "ClaimSubmitted", "claim-000401")
    L.add(now - 480, "ClaimAdjudicated", "claim-000401", {"decision": "approved"})
    L.add(now - 70, "ClaimSubmitted", "claim-000402")
    L.add(now - 60, "ClaimRejected", "claim-000402", {"reason": "invalid member"})
    # the synthetic claim of step 8, with an event of a type unknown here
    claim(L, "claim-synth-001", now - 300, 1.5, synthetic=True)
    L.add(now - 297, "ClaimNoted", "claim-synth-001", {"note": "synthetic"})
    # out of order: a callback before the decision; a decision before submission
    L.add(now - 250, "ClaimSubmitted", "claim-000501")
    L.add(now - 249, "CallbackDelivered", "claim-000501", {"http_status": 200})
    L.add(now - 248, "ClaimAdjudicated", "claim-000501", {"decision": "approved"})
    L.add(now - 240, "ClaimAdjudicated", "claim-000502", {"decision": "approved"})
    L.add(now - 239, "ClaimSubmitted", "claim-000502")
    # completed 35-40 min ago: outside the window, past anchor_grace
    for i in range(601, 606):
        claim(L, "claim-%06d" % i, now - 2400 + (i - 601) * 60, 2.0)
    # not a claim
    L.add(now - 100, "LedgerNote", "ledger", {"note": "x"})
    return L


def first(now, fails):
    L = Ledger()
    since = now - 540
    L.add(since - 30, "ClaimSubmitted", "claim-early")  # before since: not counted
    claim(L, "claim-synth-002", since + 5, 1.0, synthetic=True)  # synthetic: left out
    for i in range(1, 11):
        cid = "claim-org-%02d" % i
        t0 = since + 10 + i * 20
        if i <= fails:
            L.add(t0, "ClaimSubmitted", cid)
            L.add(t0 + 2, "ClaimFailed", cid, {"error": "boom"})
        else:
            claim(L, cid, t0, 1.0 + i / 10)
    return L, iso(since)


# append: per segment the latencies of the claims that complete, how many
# end in ClaimFailed, how many in a final CallbackFailed, how many stay in
# flight (submitted, validated, no more)
SEGMENTS = [
    ([0.1 * i for i in range(1, 11)], 1, 0, 0),   # p95 1.0, callbacks 10/10
    ([0.2, 0.4, 0.6, 0.8, 1.4], 0, 1, 0),         # p95 1.4, callbacks 5/6
    ([0.05 * i for i in range(1, 41)], 2, 0, 0),  # p50 1.0 p95 1.9 p99 2.0, 40/40
    ([0.3, 0.6, 0.9], 0, 1, 1),                   # p95 0.9, callbacks 3/4
]


def segment(now, k):
    """Segment k of append: every claim ends in [now - 0.9, now - 0.3]."""
    L = Ledger()
    oks, fails, cbfails, open_ = SEGMENTS[k]
    for j, lat in enumerate(oks):
        end = now - 0.9 + 0.6 * j / len(oks)
        claim(L, "claim-s%d-%03d" % (k, j), end - lat, lat)
    for j in range(fails):
        cid = "claim-s%d-f%d" % (k, j)
        L.add(now - 0.8, "ClaimSubmitted", cid)
        L.add(now - 0.5, "ClaimFailed", cid, {"error": "adjudication engine"})
    for j in range(cbfails):
        cid = "claim-s%d-cb%d" % (k, j)
        L.add(now - 0.9, "ClaimSubmitted", cid)
        L.add(now - 0.8, "ClaimAdjudicated", cid, {"decision": "approved"})
        L.add(now - 0.4, "CallbackFailed", cid, {"http_status": 503, "attempt": 1, "final": True})
    for j in range(open_):
        cid = "claim-s%d-open%d" % (k, j)
        L.add(now - 0.7, "ClaimSubmitted", cid)
        L.add(now - 0.6, "ClaimValidated", cid)
    return L


def append(path, now, k):
    """Appends segment k to the ledger at path, continuing its chain."""
    prev, seq0 = ZERO, 1
    with open(path, "a+", encoding="utf-8") as f:
        f.seek(0)
        last = None
        for ln in f:
            if ln.strip():
                last = ln
        if last:
            ev = json.loads(last)
            prev, seq0 = ev["hash"], ev["seq"] + 1
        return segment(now, k).write(f, prev=prev, seq0=seq0)


def bench(n, now):
    """n events of claims of 5 events each, one claim every 3 s, ~600 in flight."""
    out = sys.stdout
    prev = ZERO
    per = 5
    nclaims = n // per
    steps = ("ClaimSubmitted", "ClaimValidated", "ClaimAdjudicated", "CallbackDelivered", "ClaimPaid")
    gap = 3.0
    t_start = now - nclaims * gap - 60
    seq = 0
    # claim k's step j is written at position k*per + j + j*lag*per: claims interleave
    lag = 200
    total = nclaims * per
    order = []
    for k in range(nclaims):
        for j in range(per):
            order.append(((k + j * lag) * per + j, k, j))
    order.sort()
    buf = []
    for _, k, j in order:
        seq += 1
        t = t_start + seq * (nclaims * gap / total)
        cid = "claim-%07d" % k
        p = {}
        if j == 0:
            p = {"amount": "%d.%02d" % (k % 10000, k % 100), "member_id": "M%08d" % k}
        elif j == 2:
            p = {"decision": "approved" if k % 7 else "denied"}
        elif j == 3:
            p = {"http_status": 200}
        ev = {"seq": seq, "ts": iso(t), "type": steps[j], "aggregate_id": cid,
              "payload": p, "prev_hash": prev}
        ev["hash"] = hashlib.sha256(jcs(ev).encode("utf-8")).hexdigest()
        prev = ev["hash"]
        buf.append(json.dumps(ev, separators=(",", ":")))
        if len(buf) >= 10000:
            out.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        out.write("\n".join(buf) + "\n")


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    mode, rest = args[0], args[1:]
    now, ans, fails, n, rpc, seg, path = time.time(), None, 0, 0, None, 0, None
    i = 0
    while i < len(rest):
        if rest[i] == "--segment":
            seg = int(rest[i + 1]); i += 2
        elif rest[i] == "--now":
            now = float(rest[i + 1]); i += 2
        elif rest[i] == "--answers":
            ans = rest[i + 1]; i += 2
        elif rest[i] == "--rpc":
            rpc = rest[i + 1]; i += 2
        elif rest[i] == "--fails":
            fails = int(rest[i + 1]); i += 2
        elif mode == "append" and path is None:
            path = rest[i]; i += 1
        else:
            n = int(rest[i]); i += 1
    extra = {}
    if mode == "mix":
        L = mix(now)
    elif mode == "first":
        L, since = first(now, fails)
        extra["since"] = since
    elif mode == "anchored":
        L = mix(now)
        L.add(now - 2250, "AnchorSubmitted", "ledger")
    elif mode == "bench":
        bench(n, now)
        return
    elif mode != "append" or path is None or not 0 <= seg < len(SEGMENTS):
        sys.exit(__doc__)
    if mode == "append":
        seqs = append(path, now, seg)
    else:
        seqs = L.write(sys.stdout, rpc)
    if rpc:
        for _ in range(20):
            rpc_call(rpc, "evm_mine")
        extra["anchor_seq"], extra["anchor_tx"] = L.anchor
    if ans:
        a = answers(seqs, now)
        a.update(extra)
        a["now"] = now
        with open(ans, "w") as f:
            json.dump(a, f, indent=1)


if __name__ == "__main__":
    main()
