#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-k8s-schema.sh: validates every manifest in
# contrib/kubernetes/ against the Kubernetes OpenAPI schema, with the
# validators npm kubernetes-models generates from it (tests/package.json).
# Those accept unknown fields, as the API server's non-strict mode does; the
# API server's strict field validation (kubectl's default) refuses them, so
# this test does too: each object is validated through a proxy that records
# which fields the schema's validator reads, and a field it never reads
# (outside maps such as labels or data) is unknown. Negative controls: a
# misspelt field and a string where an integer goes must both fail.
. "$top_srcdir/tests/lib/env.sh"

mods=$top_srcdir/tests/node_modules
if [ ! -d "$mods/kubernetes-models/_schemas" ] || ! command -v node >/dev/null; then
  [ "${CI:-}" = true ] && { echo "ERROR: kubernetes-models or node missing (npm ci --prefix tests)" >&2; exit 99; }
  echo "SKIP: kubernetes-models is not installed (npm ci --prefix tests)" >&2; exit 77
fi
python3 -c 'import json, os, sys, yaml
d = sys.argv[1]; out = []
for f in sorted(os.listdir(d)):
    if f.endswith((".yaml", ".yml")):
        out += [{"file": f, "doc": x} for x in yaml.safe_load_all(open(os.path.join(d, f))) if x is not None]
print(json.dumps(out))' "$top_srcdir/contrib/kubernetes" >"$TEST_TMP/docs.json" \
  || fail "cannot read contrib/kubernetes"

node - "$mods" "$TEST_TMP/docs.json" <<'JS'
const path = require("path");
const [mods, docsPath] = process.argv.slice(2);
const docs = JSON.parse(require("fs").readFileSync(docsPath, "utf8"));
const errors = [];
// schemaOf: the generated validator of apiVersion/kind (IoK8sApi<Group><Version><Kind>).
function schemaOf(apiVersion, kind) {
  const [g, v] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  const name = "IoK8sApi" + cap(g.split(".")[0]) + cap(v) + kind;
  return require(path.join(mods, "kubernetes-models/_schemas", name + ".js")).validate;
}
// spy: v behind a proxy noting each field read (and whether keys were listed).
function spy(v, where, seen) {
  if (v === null || typeof v !== "object") return v;
  const rec = { read: new Set(), listed: false, obj: v };
  seen.set(where, rec);
  return new Proxy(v, {
    get(t, k, r) {
      const x = Reflect.get(t, k, r);
      if (typeof k !== "string") return x;
      rec.read.add(k);
      return Object.prototype.hasOwnProperty.call(t, k) ? spy(x, where + "/" + k, seen) : x;
    },
    ownKeys(t) { rec.listed = true; return Reflect.ownKeys(t); },
  });
}
// check: the schema's errors and the unknown fields of one object.
function check(doc) {
  let validate;
  try { validate = schemaOf(doc.apiVersion, doc.kind); }
  catch (e) { return [`no schema for ${doc.apiVersion} ${doc.kind}`]; }
  const seen = new Map(), out = [];
  if (!validate(spy(doc, "", seen)))
    for (const e of validate.errors) out.push(`${e.instancePath || "/"} ${e.message}`);
  for (const [where, rec] of seen) {
    if (Array.isArray(rec.obj) || rec.listed) continue;
    for (const k of Object.keys(rec.obj)) if (!rec.read.has(k)) out.push(`${where}/${k}: unknown field`);
  }
  return out;
}
const kinds = new Set();
for (const { file, doc } of docs) {
  kinds.add(doc.kind);
  for (const e of check(doc)) errors.push(`${file}: ${doc.kind} ${doc.metadata && doc.metadata.name}: ${e}`);
}
for (const k of ["ConfigMap", "Deployment", "CronJob"]) if (!kinds.has(k)) errors.push(`no ${k} validated`);
// Negative controls on the Deployment: each must be refused.
const dep = docs.find((d) => d.doc.kind === "Deployment");
if (dep) {
  const misspelt = JSON.parse(JSON.stringify(dep.doc));
  misspelt.spec.template.spec.containers[0].imagePullPolicyy = "Always";
  const wrongType = JSON.parse(JSON.stringify(dep.doc));
  wrongType.spec.replicas = "2";
  const misplaced = JSON.parse(JSON.stringify(dep.doc));
  misplaced.spec.template.spec.containers.find((c) => c.securityContext).securityContext.fsGroup = 10001;
  for (const [what, d] of [["a misspelt field", misspelt], ["a string replicas", wrongType],
                           ["a pod-level field in a container", misplaced]])
    if (!check(d).length) errors.push(`the validation accepts ${what}: it proves nothing`);
}
if (errors.length) { for (const e of errors) console.error("FAIL: ops-k8s-schema: " + e); process.exit(1); }
console.log(`ok: ${docs.length} manifests valid against the Kubernetes OpenAPI schema, unknown fields refused, controls rejected`);
JS
