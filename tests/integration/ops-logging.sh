#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-logging.sh: the log-pipeline examples that cannot
# run here (Fluent Bit, Vector, Promtail, Filebeat are not Debian packages;
# rsyslog runs for real in ops-rsyslog.sh) are at least checked for what
# they promise and for what they assume of the agent's lines:
#  - the YAML ones parse; each reads the same file and keeps status, plugin
#    and check as labels, and takes the event time from "ts";
#  - the time format they assume (RFC 3339 UTC with milliseconds) is the one
#    the agent really writes, and the fields they pick exist in a real line.
. "$top_srcdir/tests/lib/env.sh"

dir=$top_srcdir/contrib/logging
py=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import yaml' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || fail "no python3 with the yaml module (apt-get install python3-yaml)"
[ -d "${PROBE_TEST_PLUGIN_DIR:-}" ] || fail "no test plugins in ${PROBE_TEST_PLUGIN_DIR:-(unset)}: run through make check"

"$PROBE_AGENT" --plugin-dir "$PROBE_TEST_PLUGIN_DIR" --state-dir "$TEST_TMP/state" -p echo \
  -s 'agent.labels={"service":"medlink"}' >"$TEST_TMP/line.jsonl" || fail "the echo run failed"

"$py" - "$dir" "$TEST_TMP/line.jsonl" <<'PY'
import json, os, re, sys, yaml
d, line_path = sys.argv[1], sys.argv[2]
errors = []
def err(m): errors.append(m)
line = json.loads(open(line_path).readline())
PATH = "/var/log/probe-agent/results.jsonl"
for k in ("ts", "status", "plugin", "check", "level", "target", "host", "metrics"):
    if k not in line: err("the agent's line has no %r field, which the pipelines use" % k)
# The time format every example parses.
if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line.get("ts", "")):
    err("the agent's ts %r is not YYYY-MM-DDTHH:MM:SS.mmmZ, which the examples parse" % line.get("ts"))

def text(f): return open(os.path.join(d, f)).read()

# Fluent Bit (classic format): sections and keys.
fb = text("fluent-bit.conf"); fbp = text("fluent-bit-parsers.conf")
if "Path         " + PATH not in fb: err("fluent-bit.conf does not tail " + PATH)
m = re.search(r"^\s*Label_Keys\s+(\S+)", fb, re.M)
if not m or set(m.group(1).split(",")) != {"$status", "$plugin", "$check"}:
    err("fluent-bit.conf does not keep $status,$plugin,$check as Label_Keys")
pname = re.search(r"^\s*Parser\s+(\S+)", fb, re.M)
if not pname or not re.search(r"^\s*Name\s+%s\s*$" % re.escape(pname.group(1)), fbp, re.M):
    err("fluent-bit.conf's Parser is not defined in fluent-bit-parsers.conf")
if not re.search(r"^\s*Format\s+json\s*$", fbp, re.M) or not re.search(r"^\s*Time_Key\s+ts\s*$", fbp, re.M):
    err("the Fluent Bit parser is not json with Time_Key ts")
if not re.search(r"^\s*Time_Format\s+%Y-%m-%dT%H:%M:%S\.%LZ\s*$", fbp, re.M):
    err("the Fluent Bit Time_Format does not match the agent's ts")
if "Parsers_File fluent-bit-parsers.conf" not in fb: err("fluent-bit.conf does not load its parsers file")
# Lines already in the file when Fluent Bit first starts are shipped too.
if not re.search(r"^\s*Read_from_Head\s+On\s*$", fb, re.M | re.I):
    err("fluent-bit.conf lacks Read_from_Head On: lines written before its first start are never shipped")
if "structure only" not in fb:
    err("fluent-bit.conf does not say it is checked for structure only")

# Vector.
v = yaml.safe_load(text("vector.yaml"))
src = v["sources"]["probe_agent_file"]
if src.get("type") != "file" or PATH not in src.get("include", []): err("vector.yaml does not read " + PATH)
t = v["transforms"]["probe_agent_parsed"]
if t.get("type") != "remap" or "parse_json!" not in t.get("source", "") or ".ts" not in t["source"]:
    err("vector.yaml does not parse the JSON and the ts")
if t.get("inputs") != ["probe_agent_file"]: err("vector.yaml's transform does not read the source")
sink = v["sinks"]["loki"]
if sink.get("inputs") != ["probe_agent_parsed"]: err("vector.yaml's sink does not read the transform")
labels = sink.get("labels", {})
for k in ("status", "plugin", "check"):
    if labels.get(k) != "{{ %s }}" % k: err("vector.yaml does not keep %s as a label" % k)
if labels.get("job") != "probe-agent": err('vector.yaml does not set job="probe-agent" (the alert rules select on it)')

# Promtail.
p = yaml.safe_load(text("promtail.yaml"))
sc = p["scrape_configs"][0]
sl = sc["static_configs"][0]["labels"]
if sl.get("__path__") != PATH: err("promtail.yaml does not read " + PATH)
if sl.get("job") != "probe-agent": err('promtail.yaml does not set job="probe-agent"')
stages = {list(s)[0]: s[list(s)[0]] for s in sc["pipeline_stages"]}
ex = (stages.get("json") or {}).get("expressions", {})
lab = stages.get("labels") or {}
for k in ("status", "plugin", "check"):
    if ex.get(k) != k: err("promtail.yaml does not extract %s" % k)
    if k not in lab: err("promtail.yaml does not make %s a label" % k)
ts = stages.get("timestamp") or {}
if ts.get("source") != "ts" or ts.get("format") not in ("RFC3339", "RFC3339Nano"):
    err("promtail.yaml does not take the time from ts as RFC 3339")
for k in ex.values():
    if k not in line: err("promtail.yaml extracts %r, which the agent's line lacks" % k)

# Filebeat.
f = yaml.safe_load(text("filebeat.yml"))
inp = f["filebeat.inputs"][0]
if inp.get("type") != "filestream" or PATH not in inp.get("paths", []) or not inp.get("id"):
    err("filebeat.yml has no filestream input with an id on " + PATH)
nd = [x["ndjson"] for x in inp.get("parsers", []) if "ndjson" in x]
if not nd or nd[0].get("target") != "probe": err("filebeat.yml does not decode the lines under probe")
cp = [x["copy_fields"] for x in f.get("processors", []) if "copy_fields" in x]
got = {(c["from"], c["to"]) for c in (cp[0]["fields"] if cp else [])}
for k in ("status", "plugin", "check"):
    if ("probe." + k, "labels." + k) not in got: err("filebeat.yml does not copy probe.%s to labels.%s" % (k, k))
tsp = [x["timestamp"] for x in f.get("processors", []) if "timestamp" in x]
if not tsp or tsp[0].get("field") != "probe.ts": err("filebeat.yml does not take the time from probe.ts")
elif "2006-01-02T15:04:05.999Z" not in tsp[0].get("layouts", []):
    err("filebeat.yml's timestamp layout does not match the agent's ts")

if errors:
    for e in errors: print("FAIL: ops-logging: " + e, file=sys.stderr)
    sys.exit(1)
print("ok: Fluent Bit, Vector, Promtail and Filebeat examples agree with the agent's lines")
PY
