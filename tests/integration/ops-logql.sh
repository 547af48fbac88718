#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/ops-logql.sh: parses every rule of
# contrib/alerts/probe-agent.rules.yaml with the LogQL grammar Grafana
# itself uses (npm @grafana/lezer-logql, tests/package.json), and checks:
#  - no rule has a syntax error node; a broken copy (a brace dropped, a
#    stray pipe) does, so the parse is real;
#  - no rule has a bare `| json` (every field a label, each line its own
#    series): each names the fields it uses;
#  - every rule that unwraps drops unreadable lines with `| __error__=""`
#    after the unwrap (a line without the metric must not fail the query).
. "$top_srcdir/tests/lib/env.sh"

rules=$top_srcdir/contrib/alerts/probe-agent.rules.yaml
mods=$top_srcdir/tests/node_modules
if [ ! -f "$mods/@grafana/lezer-logql/package.json" ] || ! command -v node >/dev/null; then
  [ "${CI:-}" = true ] && { echo "ERROR: @grafana/lezer-logql or node missing (npm ci --prefix tests)" >&2; exit 99; }
  echo "SKIP: @grafana/lezer-logql is not installed (npm ci --prefix tests)" >&2; exit 77
fi
python3 -c 'import json, sys, yaml; d = yaml.safe_load(open(sys.argv[1]))
print(json.dumps([{"alert": r["alert"], "expr": r["expr"]} for g in d["groups"] for r in g["rules"]]))' \
  "$rules" >"$TEST_TMP/rules.json" || fail "cannot read $rules"

NODE_PATH=$mods node - "$TEST_TMP/rules.json" <<'JS'
const { parser } = require("@grafana/lezer-logql");
const rules = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const errors = [];
// errorsIn: positions of the grammar's error nodes in expr.
function errorsIn(expr) {
  const bad = [];
  parser.parse(expr).iterate({ enter: (n) => { if (n.type.isError) bad.push(n.from); } });
  return bad;
}
for (const r of rules) {
  const bad = errorsIn(r.expr);
  if (bad.length) errors.push(`${r.alert}: LogQL syntax error at ${bad[0]}: ${r.expr.slice(Math.max(0, bad[0] - 20), bad[0] + 20)}`);
  if (/\|\s*json\s*(\||\[|\)|$)/.test(r.expr)) errors.push(`${r.alert}: bare | json: name the fields used`);
  const u = r.expr.search(/\|\s*unwrap\b/);
  if (u >= 0 && !/\|\s*__error__\s*=\s*""/.test(r.expr.slice(u)))
    errors.push(`${r.alert}: unwraps without | __error__="" after the unwrap`);
}
// Broken controls: the grammar must reject them, or the check proves nothing.
const first = rules[0].expr;
for (const broken of [first.replace("}", ""), first.replace("|", "| |"), "sum by (host (count_over_time({job=\"x\"}[5m]))"]) {
  if (!errorsIn(broken).length) errors.push(`the grammar accepts a broken expression: ${broken}`);
}
if (!rules.length) errors.push("no rules read");
if (errors.length) { for (const e of errors) console.error("FAIL: ops-logql: " + e); process.exit(1); }
console.log(`ok: ${rules.length} rules parsed by @grafana/lezer-logql, broken controls rejected`);
JS
