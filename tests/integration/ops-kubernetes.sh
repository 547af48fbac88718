#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-kubernetes.sh: checks contrib/kubernetes/:
#  - every file parses as YAML into the expected kinds;
#  - the sidecar is locked down (non-root 10001, read-only root, no
#    privilege escalation, capabilities dropped), its liveness probe is the
#    image's HEALTHCHECK one-liner, every mount names a declared volume, the
#    ConfigMap it mounts exists and lands at /etc/probe-agent/probe-agent.json,
#    and every file the configuration names lies under one of its mounts;
#    pgqueue verifies the server with a mounted CA (sslrootcert) and reads
#    its password from password_file, not PGPASSWORD;
#  - the ConfigMap's JSON, with the sidecar's PROBE_* environment, passes
#    `probe-agent --check-config`;
#  - the nightly CronJob's own arguments, run on a gzipped copy of the test
#    ledger, give an ok line and exit 0, and exit 2 on a broken ledger (the
#    Job fails, which is what alerts).
. "$top_srcdir/tests/lib/env.sh"

k8s=$top_srcdir/contrib/kubernetes
py=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import yaml' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || fail "no python3 with the yaml module (apt-get install python3-yaml)"
built=" $(for la in ${PROBE_BUILT_PLUGINS:-}; do printf '%s ' "${la%.la}"; done)"
state=$TEST_TMP/state
mkdir -p "$state"

# The structural checks; writes the extracted pieces into $TEST_TMP.
"$py" - "$k8s" "$top_srcdir/contrib/Dockerfile" "$TEST_TMP" <<'PY'
import json, os, re, sys, yaml
k8s, dockerfile, out = sys.argv[1:4]
errors = []
def err(m): errors.append(m)
docs = []
for f in sorted(os.listdir(k8s)):
    if f.endswith((".yaml", ".yml")):
        for d in yaml.safe_load_all(open(os.path.join(k8s, f))):
            if d is not None:
                if not isinstance(d, dict) or "apiVersion" not in d or "kind" not in d:
                    err("%s: a document without apiVersion and kind" % f)
                else:
                    docs.append((f, d))
kinds = {d["kind"]: d for f, d in docs}
for k in ("ConfigMap", "Deployment", "CronJob"):
    if k not in kinds: err("no %s in contrib/kubernetes" % k)
if errors:
    print("\n".join("FAIL: ops-kubernetes: " + e for e in errors), file=sys.stderr); sys.exit(1)

hc = None
for line in open(dockerfile):
    m = re.match(r'\s*CMD (\["/bin/sh", "-c", .*\])\s*$', line)
    if m: hc = json.loads(m.group(1))
if not hc: err("no HEALTHCHECK CMD in the Dockerfile")

def check_container(where, c, volumes):
    sc = c.get("securityContext") or {}
    for k, v in (("runAsNonRoot", True), ("runAsUser", 10001), ("readOnlyRootFilesystem", True),
                 ("allowPrivilegeEscalation", False)):
        if sc.get(k) != v: err("%s: securityContext.%s is %r, expected %r" % (where, k, sc.get(k), v))
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        err("%s: capabilities are not all dropped" % where)
    mounts = {}
    for m in c.get("volumeMounts") or []:
        if m["name"] not in volumes: err("%s: mount of undeclared volume %s" % (where, m["name"]))
        mounts[m["mountPath"]] = m
    if "/var/lib/probe-agent" not in mounts:
        err("%s: no volume at /var/lib/probe-agent (the root filesystem is read-only)" % where)
    return mounts

def env_of(c):
    env = {}
    for e in c.get("env") or []:
        if "value" in e: env[e["name"]] = str(e["value"])
        elif e["name"] == "PROBE_AGENT_HOST": env[e["name"]] = "pod-name"
    return env

# --- the sidecar --------------------------------------------------------------
dep = kinds["Deployment"]
pod = dep["spec"]["template"]["spec"]
vols = {v["name"]: v for v in pod.get("volumes") or []}
cs = {c["name"]: c for c in pod["containers"]}
if "probe-agent" not in cs or len(cs) < 2:
    err("the Deployment has no probe-agent container next to the service")
else:
    c = cs["probe-agent"]
    mounts = check_container("sidecar", c, vols)
    if (c.get("args") or c.get("command")) != ["--daemon"]:
        err("the sidecar does not run --daemon")
    lp = (c.get("livenessProbe") or {}).get("exec", {}).get("command")
    if lp != hc: err("the liveness probe is not the Dockerfile's HEALTHCHECK: %r" % (lp,))
    env = env_of(c)
    if "PROBE_AGENT_HEARTBEAT_FILE" not in env: err("the sidecar sets no PROBE_AGENT_HEARTBEAT_FILE")
    elif not any(env["PROBE_AGENT_HEARTBEAT_FILE"].startswith(p + "/") for p in mounts
                 if not mounts[p].get("readOnly")):
        err("the heartbeat file is not on a writable volume")
    cm_mount = mounts.get("/etc/probe-agent")
    cm = kinds["ConfigMap"]
    if not cm_mount: err("the sidecar mounts nothing at /etc/probe-agent")
    else:
        v = vols[cm_mount["name"]]
        if (v.get("configMap") or {}).get("name") != cm["metadata"]["name"]:
            err("the /etc/probe-agent volume is not ConfigMap %s" % cm["metadata"]["name"])
    if "probe-agent.json" not in cm.get("data", {}):
        err("the ConfigMap has no probe-agent.json")
    else:
        text = cm["data"]["probe-agent.json"]
        try:
            conf = json.loads(text)
        except ValueError as e:
            err("the ConfigMap's probe-agent.json is not JSON: %s" % e); conf = {}
        open(os.path.join(out, "sidecar.json"), "w").write(text)
        # Every file named in the configuration is under a mount.
        def paths(x):
            if isinstance(x, str) and x.startswith("/"): yield x
            elif isinstance(x, dict):
                for k, v in x.items():
                    if k in ("path", "files", "source", "ca_file", "password_file") or isinstance(v, (list, dict)):
                        yield from paths(v)
            elif isinstance(x, list):
                for v in x: yield from paths(v)
        # pgqueue: a verifying sslmode needs the server's CA (sslrootcert,
        # a mounted file), and the password comes from password_file.
        pq = conf.get("plugins", {}).get("pgqueue")
        extra = []
        if pq:
            ci = pq.get("conninfo", "")
            mode = re.search(r"sslmode=([a-z-]+)", ci)
            root = re.search(r"sslrootcert=([^&\s]+)", ci)
            if mode and mode.group(1) in ("verify-ca", "verify-full"):
                if not root: err("pgqueue: sslmode=%s without sslrootcert can never connect" % mode.group(1))
                else: extra.append(root.group(1))
            if not pq.get("password_file"):
                err("pgqueue: no password_file (credentials go in files)")
        if any(e.get("name") == "PGPASSWORD" for e in c.get("env") or []):
            err("the sidecar passes PGPASSWORD in its environment; use pgqueue's password_file")
        for p in list(paths(conf.get("plugins", {}))) + extra:
            if not any(p == m or p.startswith(m.rstrip("/") + "/") for m in mounts):
                err("the configuration reads %s, which no volume of the sidecar provides" % p)
    with open(os.path.join(out, "sidecar.env"), "w") as f:
        for k, v in sorted(env.items()):
            if k.startswith("PROBE_"): f.write("%s=%s\n" % (k, v))

# --- the nightly CronJob ------------------------------------------------------
cj = kinds["CronJob"]
if not re.fullmatch(r"\S+ \S+ \S+ \S+ \S+", cj["spec"].get("schedule", "")):
    err("the CronJob has no five-field schedule")
if cj["spec"].get("concurrencyPolicy") != "Forbid":
    err("two nightly verifications could overlap (concurrencyPolicy)")
jpod = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
if jpod.get("restartPolicy") not in ("Never", "OnFailure"):
    err("the CronJob's pod restartPolicy must be Never or OnFailure")
jvols = {v["name"]: v for v in jpod.get("volumes") or []}
jc = jpod["containers"][0]
jmounts = check_container("cronjob", jc, jvols)
args = jc.get("args") or []
if "ledger" not in args: err("the CronJob does not run the ledger plugin")
for a in args:
    m = re.match(r"ledger\.source=(/.*)", a)
    if m and not any(m.group(1).startswith(p.rstrip("/") + "/") for p in jmounts):
        err("the CronJob reads %s, which no volume provides" % m.group(1))
# State in an emptyDir: no checkpoint, so every night is a full verification.
sd = args[args.index("--state-dir") + 1] if "--state-dir" in args else None
smount = jmounts.get(sd) if sd else None
if not smount or "emptyDir" not in jvols[smount["name"]]:
    err("the CronJob's --state-dir is not a fresh emptyDir (the verification would be incremental)")
json.dump({"args": args, "env": env_of(jc)}, open(os.path.join(out, "cronjob.json"), "w"))

if errors:
    print("\n".join("FAIL: ops-kubernetes: " + e for e in errors), file=sys.stderr); sys.exit(1)
PY

# --- the sidecar's configuration passes --check-config ------------------------
# Only built plugins can be validated; their sections and variables stay.
# Files the pod mounts under /run/secrets are made under $TEST_TMP/secrets
# (--check-config opens password_file).
jq --arg built "$built" --arg sec "$TEST_TMP/secrets/" \
  '.plugins |= with_entries(select(.key as $k | $built | contains(" " + $k + " ")))
   | walk(if type == "string" then gsub("/run/secrets/"; $sec) else . end)' \
  "$TEST_TMP/sidecar.json" >"$TEST_TMP/sidecar.built.json"
mkdir -p "$TEST_TMP/secrets/medlink-db-probe" "$TEST_TMP/secrets/medlink-db-ca"
( umask 077; echo 'probe-password' >"$TEST_TMP/secrets/medlink-db-probe/password" )
cp "$top_srcdir/contrib/demo/itrans-demo.pem" "$TEST_TMP/secrets/medlink-db-ca/ca.crt" 2>/dev/null || : >"$TEST_TMP/secrets/medlink-db-ca/ca.crt"
envargs=()
while IFS='=' read -r k v; do
  sect=$(echo "${k#PROBE_}" | cut -d_ -f1 | tr 'A-Z' 'a-z')
  [ "$sect" = agent ] || case "$built" in *" $sect "*) ;; *) continue ;; esac
  envargs+=("$k=${v//\/var\/lib\/probe-agent/$state}")
done <"$TEST_TMP/sidecar.env"
set +e
env "${envargs[@]}" "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --state-dir "$state" \
  -c "$TEST_TMP/sidecar.built.json" --check-config >"$TEST_TMP/cc.out" 2>"$TEST_TMP/cc.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$TEST_TMP/cc.err" >&2; fail "--check-config rejects the sidecar's ConfigMap with its environment (exit $rc)"; }
# A typo in the ConfigMap must be caught by the same check.
jq '.agent.intervall = 60' "$TEST_TMP/sidecar.built.json" >"$TEST_TMP/typo.json"
set +e
"$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" --state-dir "$state" -c "$TEST_TMP/typo.json" \
  --check-config >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 78 ] || fail "--check-config accepted a misspelt setting (exit $rc): the check above proves nothing"

# --- the CronJob's arguments, run --------------------------------------------
case "$built" in
  *" ledger "*) ;;
  *) echo "note: ledger plugin not built; the CronJob's command is not run" >&2; exit 0 ;;
esac
# run_cronjob LEDGER: the CronJob's args with its source and state replaced.
run_cronjob() {
  local src=$1 a args=() st
  st=$(mktemp -d "$TEST_TMP/cj.XXXXXX")
  while IFS= read -r a; do
    case "$a" in
      ledger.source=*) a="ledger.source=$src" ;;
      /var/lib/probe-agent) a=$st ;;
    esac
    args+=("$a")
  done < <(jq -r '.args[]' "$TEST_TMP/cronjob.json")
  local envs=()
  while IFS= read -r a; do envs+=("$a"); done < <(jq -r '.env | to_entries[] | "\(.key)=\(.value)"' "$TEST_TMP/cronjob.json")
  env "${envs[@]}" "$PROBE_AGENT" --plugin-dir "$PROBE_AGENT_PLUGIN_DIR" "${args[@]}"
}
gzip -c "$top_srcdir/tests/vectors/ledger-valid.jsonl" >"$TEST_TMP/ledger.jsonl.gz"
gzip -c "$top_srcdir/tests/vectors/ledger-broken-payload.jsonl" >"$TEST_TMP/broken.jsonl.gz"
set +e
run_cronjob "$TEST_TMP/ledger.jsonl.gz" >"$TEST_TMP/cj-ok.jsonl" 2>"$TEST_TMP/cj-ok.err"; rc=$?
set -e
[ "$rc" = 0 ] || { cat "$TEST_TMP/cj-ok.err" "$TEST_TMP/cj-ok.jsonl" >&2; fail "the CronJob's command on an intact ledger exited $rc"; }
jq_assert "$TEST_TMP/cj-ok.jsonl" 'select(.check == "ledger.chain") | .status == "ok" and .labels.job == "ledger-nightly"' \
  "the CronJob's run on an intact ledger is not ok with its labels"
set +e
run_cronjob "$TEST_TMP/broken.jsonl.gz" >"$TEST_TMP/cj-bad.jsonl" 2>/dev/null; rc=$?
set -e
[ "$rc" = 2 ] || fail "the CronJob's command on a broken ledger exited $rc, expected 2 (the Job must fail)"
echo "ok: Kubernetes examples parse, are locked down, and their configuration and command work"
