#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-alerts.sh: checks contrib/alerts/probe-agent.rules.yaml:
#  - it is a Loki ruler rule file (groups of rules with alert, expr,
#    severity label, summary), parentheses and braces balanced;
#  - each rule is preceded by a comment naming the checklist row it answers,
#    and every go-live checklist 5.2 row probe-agent answers has a rule;
#  - every stream selector names checks and statuses that exist, every
#    check probe-agent emits is alerted on, and `unwrap` reads metrics the
#    plugins emit;
#  - the rules' selectors match the agent's real lines they are for, and
#    not the others: ledger (broken and intact ledgers), certificates (20
#    and 3 days left), secrets (a group-readable file), for the plugins
#    that are built.
. "$top_srcdir/tests/lib/env.sh"

rules=$top_srcdir/contrib/alerts/probe-agent.rules.yaml
py=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import yaml' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || fail "no python3 with the yaml module (apt-get install python3-yaml)"

lines=$TEST_TMP/lines.jsonl
: >"$lines"
case " ${PROBE_BUILT_PLUGINS:-} " in
  *" ledger.la "*)
    set +e
    agent -p ledger -s ledger.source="$top_srcdir/tests/vectors/ledger-valid.jsonl" >>"$lines"
    agent -p ledger -s ledger.source="$top_srcdir/tests/vectors/ledger-broken-payload.jsonl" >>"$lines"
    set -e ;;
  *) echo "note: ledger plugin not built; its rule is not matched against real lines" >&2 ;;
esac
# Certificates with 20 and 3 days left (tls: warning, critical) and a
# group-readable secret (secrets: critical), when those plugins are built.
case " ${PROBE_BUILT_PLUGINS:-} " in
  *" tls.la "*)
    for days in 20 3; do
      openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=probe-$days.example" \
        -keyout "$TEST_TMP/key$days.pem" -out "$TEST_TMP/cert$days.pem" >/dev/null 2>&1 \
        || fail "openssl could not make a test certificate"
    done
    set +e
    agent -p tls -s 'tls.endpoints=[]' -s "tls.files=[\"$TEST_TMP/cert20.pem\", \"$TEST_TMP/cert3.pem\"]" \
      -s 'tls.verify_failure="ignore"' >>"$lines"
    set -e ;;
esac
case " ${PROBE_BUILT_PLUGINS:-} " in
  *" secrets.la "*)
    ( umask 037; head -c 48 /dev/urandom | base64 >"$TEST_TMP/grp_secret" )
    set +e
    agent -p secrets -s "secrets.files=[\"$TEST_TMP/grp_secret\"]" -s 'secrets.env=[]' >>"$lines"
    set -e ;;
esac

"$py" - "$rules" "$lines" <<'PY'
import json, re, sys, yaml

path, lines_path = sys.argv[1], sys.argv[2]
text = open(path).read()
doc = yaml.safe_load(text)
errors = []
def err(msg): errors.append(msg)

# The checks probe-agent emits (SPEC section 5) and the metrics per check
# that rules may unwrap.
CHECKS = {"ledger.chain", "relay.status", "deadletter.count", "deadletter.rate",
          "pgqueue.health", "tls.cert", "secrets.rotation", "anchor.confirm",
          "claims.lifecycle", "claims.trace", "claims.first"}
METRICS = {
    "pgqueue.health": {"depth", "in_flight", "failed_window", "completed_window",
                       "oldest_pending_age_seconds"},
    "anchor.confirm": {"anchors_total", "anchors_confirmed", "anchors_pending",
                       "anchors_failed", "anchors_superseded", "last_anchor_age_seconds",
                       "unanchored_events", "confirmation_latency_seconds"},
    "tls.cert": {"leaf_not_after_timestamp_seconds", "chain_not_after_timestamp_seconds",
                 "days_left"},
    "ledger.chain": {"events", "head_seq", "appended_events", "append_rate_per_minute"},
    "claims.lifecycle": {"claims_submitted", "claims_completed", "claims_failed",
                         "claims_in_flight", "claims_stuck", "lifecycle_p50_seconds",
                         "lifecycle_p95_seconds", "lifecycle_p99_seconds",
                         "callback_success_ratio", "claims_unanchored", "duplicate_submissions"},
}
STATUSES = {"ok", "warning", "critical", "unknown"}
# Go-live checklist 5.2 rows probe-agent answers; each must be named in a
# rule's comment.
ROWS_52 = ["iTrans ledger integrity failure", "Relay worker down", "Dead letters detected",
           "Dead letters accumulating", "Queue backlog"]

if not isinstance(doc, dict) or not isinstance(doc.get("groups"), list) or not doc["groups"]:
    sys.exit("FAIL: no groups list in " + path)

# Comment block before each "- alert:" line.
src = text.splitlines()
comment_of = {}
for i, l in enumerate(src):
    m = re.match(r"\s*- alert:\s*(\S+)", l)
    if not m:
        continue
    j, block = i - 1, []
    while j >= 0 and src[j].strip().startswith("#"):
        block.insert(0, src[j].strip().lstrip("#").strip())
        j -= 1
    comment_of[m.group(1)] = " ".join(block)

names, covered = set(), set()
selector_re = re.compile(r"\{([^{}]*)\}")
matcher_re = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"\s*')
parsed = []   # (alert, [(label, op, value)])
for g in doc["groups"]:
    if not isinstance(g, dict) or not g.get("name") or not isinstance(g.get("rules"), list):
        err("group without name or rules: %r" % (g,)); continue
    for r in g["rules"]:
        a = r.get("alert")
        if not a or not re.fullmatch(r"[A-Z][A-Za-z0-9]+", a):
            err("rule without a CamelCase alert name: %r" % (r,)); continue
        if a in names: err("duplicate alert " + a)
        names.add(a)
        expr = r.get("expr")
        if not isinstance(expr, str) or not expr.strip():
            err(a + ": no expr"); continue
        if set(r) - {"alert", "expr", "for", "labels", "annotations"}:
            err(a + ": unknown keys %s" % (set(r) - {"alert", "expr", "for", "labels", "annotations"}))
        if "for" in r and not re.fullmatch(r"\d+[smh]", str(r["for"])):
            err(a + ": bad for: %r" % r["for"])
        sev = (r.get("labels") or {}).get("severity")
        if sev not in ("critical", "warning"):
            err(a + ": severity label must be critical or warning, is %r" % sev)
        if not (r.get("annotations") or {}).get("summary"):
            err(a + ": no summary annotation")
        for o, c in ("()", "{}", "[]"):
            if expr.count(o) != expr.count(c):
                err(a + ": unbalanced %s%s in expr" % (o, c))
        c = comment_of.get(a, "")
        if "checklist" not in c.lower():
            err(a + ": no comment naming the checklist row (or 'Not a checklist row')")
        sels = selector_re.findall(expr)
        if not sels:
            err(a + ": no stream selector")
        for s in sels:
            ms = [m for m in s.split(",") if m.strip()]
            triples = []
            for m in ms:
                mm = matcher_re.fullmatch(m)
                if not mm:
                    err(a + ": cannot read matcher %r" % m); continue
                triples.append(mm.groups())
            d = {l: (op, v) for l, op, v in triples}
            if d.get("job") != ("=", "probe-agent"):
                err(a + ': selector lacks job="probe-agent"')
            checks = []
            if "check" in d:
                op, v = d["check"]
                checks = v.split("|") if op == "=~" else [v]
                for ch in checks:
                    if ch not in CHECKS: err(a + ": check %r does not exist" % ch)
                    covered.add(ch)
            if "status" in d:
                op, v = d["status"]
                for st in (v.split("|") if op == "=~" else [v]):
                    if st not in STATUSES: err(a + ": status %r does not exist" % st)
            for lbl in d:
                if lbl not in ("job", "check", "status", "plugin"):
                    err(a + ": selector uses label %r that the pipelines do not set" % lbl)
            # unwrap X, X extracted by `| json X="metrics.NAME"`
            jsonmap = dict(re.findall(r'([a-z_][a-z0-9_]*)\s*=\s*"metrics\.([a-z0-9_]+)"', expr))
            for u in re.findall(r"unwrap\s+([a-z_][a-z0-9_]*)", expr):
                if u not in jsonmap:
                    err(a + ": unwrap %s is not a metric extracted by | json %s=\"metrics.NAME\"" % (u, u)); continue
                metric = jsonmap[u]
                if not checks:
                    err(a + ": unwrap without a check in the selector")
                for ch in checks:
                    if metric not in METRICS.get(ch, set()):
                        err(a + ": check %s has no metric %r" % (ch, metric))
            parsed.append((a, triples))

for ch in sorted(CHECKS - covered):
    err("no rule alerts on check " + ch)
allc = " ".join(comment_of.values())
for row in ROWS_52:
    if '"%s"' % row not in allc:
        err('checklist 5.2 row "%s" has no rule naming it' % row)

# Selectors against real agent lines (labels as the pipelines set them).
def matches(triples, labels):
    for l, op, v in triples:
        x = labels.get(l, "")
        if op == "=" and x != v: return False
        if op == "!=" and x == v: return False
        if op == "=~" and not re.fullmatch(v, x): return False
        if op == "!~" and re.fullmatch(v, x): return False
    return True
real = [json.loads(l) for l in open(lines_path) if l.strip()]
if real:
    by_status = {}
    for j in real:
        lab = {"job": "probe-agent", "status": j["status"], "plugin": j["plugin"], "check": j["check"]}
        by_status.setdefault(j["status"], []).append(lab)
    rules_by_name = dict((a, t) for a, t in parsed)
    def expect(alert, check, status, want):
        """alert's selector must (want=True) or must not match a real line."""
        labs = [lab for lab in by_status.get(status, []) if lab["check"] == check]
        if not labs:
            return False
        t = rules_by_name.get(alert)
        if t is None:
            err("no %s rule" % alert); return True
        if any(matches(t, lab) for lab in labs) != want:
            err("%s %s the agent's real %s %s line" % (alert, "does not match" if want else "matches", status, check))
        return True
    checked = 0
    checked += expect("ITransLedgerIntegrityFailure", "ledger.chain", "critical", True)
    checked += expect("ITransLedgerIntegrityFailure", "ledger.chain", "ok", False)
    checked += expect("CertificateExpiringSoon", "tls.cert", "warning", True)
    checked += expect("CertificateExpiringSoon", "tls.cert", "critical", False)
    checked += expect("CertificateCritical", "tls.cert", "critical", True)
    checked += expect("CertificateCritical", "tls.cert", "warning", False)
    checked += expect("SecretRotationOverdue", "secrets.rotation", "critical", True)
    if not checked:
        err("none of the agent's real lines could be matched against a rule: %s" % sorted(by_status))
    silent = [t for a, t in parsed if a == "ProbeAgentSilent"]
    if silent and not all(matches(t, lab) for t in silent for l in by_status.values() for lab in l):
        err("ProbeAgentSilent's selector does not see every agent line")
    print("matched %d rule/line pairs against real agent lines" % checked)

if errors:
    for e in errors: print("FAIL: ops-alerts: " + e, file=sys.stderr)
    sys.exit(1)
print("ok: %d alert rules, checks covered: %s" % (len(names), ", ".join(sorted(covered))))
PY
