#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ledger-gen.py: writes test ledgers in format v1 for the ledger tests and
the benchmark, independently of the C code (json + hashlib).

  ledger-gen.py [options] N > ledger.jsonl
    --seed S            deterministic content (default 1); the first N lines
                        of a ledger of N+M events equal a ledger of N events
    --anchor-every K    an AnchorSubmitted event every K events (default 50)
    --far-anchor SEQ:TARGET  event SEQ is an anchor of event TARGET
    --break KIND:SEQ    make event SEQ the first bad one, of that kind:
                        truncated parse_error duplicate missing_member
                        bad_type seq_gap seq_repeat seq_order bad_genesis
                        prev_hash_mismatch hash_mismatch anchor_mismatch
    --respell           same events, other spellings: shuffled members, white
                        space, \\u escapes, 1.0 for 1, CRLF line ends
    --plain             members in sorted order, no shuffling (fast)
    --service-order     members in the order the service writes them (seq,
                        ts, type, aggregate_id, payload, prev_hash, hash, as
                        in the shared vectors), events otherwise the same as
                        without it (the shuffle still draws its numbers)

The canonical form used for hashing is json.dumps(sort_keys, compact,
ensure_ascii=False): that is JCS for what this generator writes (ASCII
member names, integers and floats whose Python repr equals the ECMAScript
spelling).
"""
import hashlib
import json
import random
import re
import sys

ZERO = "0" * 64
NAMES = ["Ŝarĝo", "José Ñúñez", "Ωmega Ltd", "Zoë Ğül", "Li Wei 李", "Plain Name"]
TYPES = ["ClaimSubmitted", "ClaimAdjudicated", "ClaimPaid", "ClaimDenied"]


def jcs(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def num(x):
    """An integral float as an int: JCS prints 62.0 as 62, Python as 62.0."""
    return int(x) if x == int(x) else x


def seal(ev):
    body = {k: v for k, v in ev.items() if k != "hash"}
    ev["hash"] = hashlib.sha256(jcs(body).encode("utf-8")).hexdigest()


def spell(ev, rnd, respell, plain, service=False):
    if plain:
        return jcs(ev)
    keys = list(ev.keys())
    rnd.shuffle(keys)
    if service:
        keys = list(ev.keys())
    obj = {k: ev[k] for k in keys}
    if not respell:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    text = json.dumps(obj, separators=(" , ", " : "), ensure_ascii=True)
    text = re.sub(r'"units" : (\d+)', r'"units" : \1.0', text)
    return " " + text + "\t"


def main():
    args = sys.argv[1:]
    seed, anchor_every, brk, far, respell, plain = 1, 50, None, {}, False, False
    service = False
    n = None
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--seed":
            seed = int(args[i + 1]); i += 2
        elif a == "--anchor-every":
            anchor_every = int(args[i + 1]); i += 2
        elif a == "--break":
            k, s = args[i + 1].split(":"); brk = (k, int(s)); i += 2
        elif a == "--far-anchor":
            s, t = args[i + 1].split(":"); far[int(s)] = int(t); i += 2
        elif a == "--respell":
            respell = True; i += 1
        elif a == "--plain":
            plain = True; i += 1
        elif a == "--service-order":
            service = True; i += 1
        else:
            n = int(a); i += 1
    rnd = random.Random(seed)
    out = sys.stdout
    nl = "\r\n" if respell else "\n"
    hashes = {}
    prev = ZERO
    kind, bseq = brk if brk else (None, -1)
    lines = []
    for seq in range(1, n + 1):
        t = 1771495200 + seq * 2
        ts = "2026-02-19T%02d:%02d:%02d.%03dZ" % ((t // 3600) % 24, (t // 60) % 60, t % 60, seq % 1000)
        if seq in far or (anchor_every and seq % anchor_every == 0 and seq > 1):
            target = far.get(seq, seq - 1)
            ev = {"seq": seq, "ts": ts, "type": "AnchorSubmitted", "aggregate_id": "ledger",
                  "payload": {"anchored_seq": target, "anchored_hash": hashes[target],
                              "chain_id": 1337, "tx_hash": "0x" + hashlib.sha256(b"%d" % seq).hexdigest()},
                  "prev_hash": prev}
        else:
            cid = "claim-%06d" % rnd.randrange(1000000)
            ev = {"seq": seq, "ts": ts, "type": TYPES[rnd.randrange(4)], "aggregate_id": cid,
                  "payload": {"claim_id": cid,
                              "patient": {"name": NAMES[rnd.randrange(len(NAMES))],
                                          "member_id": "M%08d" % rnd.randrange(10 ** 8)},
                              "amount": "%d.%02d" % (rnd.randrange(100000), rnd.randrange(100)),
                              "units": rnd.randrange(1, 30), "ratio": num(rnd.randrange(800) / 8),
                              "codes": ["99213", "J1100"][: rnd.randrange(1, 3)],
                              "flags": {"urgent": rnd.random() < 0.1, "reviewed": rnd.random() < 0.5,
                                        "note": "ok"}},
                  "prev_hash": prev}
        post = None
        if seq == bseq:
            if kind == "bad_genesis":
                ev["prev_hash"] = "1" * 64
            elif kind == "prev_hash_mismatch":
                ev["prev_hash"] = "ab" * 32
            elif kind == "anchor_mismatch":
                if ev["type"] != "AnchorSubmitted":
                    sys.exit("--break anchor_mismatch needs an anchor event")
                ev["payload"]["anchored_hash"] = "cd" * 32
            elif kind == "missing_member":
                del ev["ts"]
            elif kind == "bad_type":
                ev["payload"] = ["not", "an", "object"]
            elif kind == "hash_mismatch":
                post = "hash"
        seal(ev)
        if post == "hash" and ev["type"] != "AnchorSubmitted":
            ev["payload"]["amount"] = "99999.99"
        elif post == "hash":
            ev["ts"] = "2027-01-01T00:00:00.000Z"
        hashes[seq] = ev["hash"]
        prev = ev["hash"]
        line = spell(ev, rnd, respell, plain, service)
        if seq == bseq:
            if kind == "parse_error":
                line = line[: len(line) // 2]
            elif kind == "duplicate":
                line = '{"seq":%d,' % seq + line.lstrip()[1:]
            elif kind == "seq_gap":
                continue
            elif kind == "seq_repeat":
                out.write(line + nl)
            elif kind == "seq_order":
                out.write(lines[-3] if len(lines) >= 3 else line + nl)
            elif kind == "truncated":
                out.write(line[: len(line) // 2])
                break
        lines.append(line + nl)
        if len(lines) > 3:
            lines.pop(0)
        out.write(line + nl)


if __name__ == "__main__":
    main()
