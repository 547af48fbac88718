/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlsjudge.c: the tls plugin's decisions and its line (tlsjudge.h).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/x509_vfy.h>

#include "plugins/tls/tlsjudge.h"

double tls_days_until(time_t t, time_t now)
{
  return trunc(((double)t - (double)now) / 86400.0);
}

void tls_target_free(tls_target *t)
{
  free(t->label);
  free(t->path);
  free(t->host);
  free(t->port);
  free(t->servername);
  free(t->ca_file);
  free(t->config_error);
  tlscert_chain_free(t->chain);
  if(t->analyzed)
    tlscert_report_free(&t->rep);
}

/* Validity first: expired / not yet valid are said as exactly that, else
 * the days left against crit_days and warn_days. */
static void judge_dates(const tlscert_report *p, const tls_target *t,
                        const tls_limits *lim, time_t now, tls_verdict *out)
{
  char a[32], b[32];
  pverdict *v = &out->v;
  if(p->expired_idx >= 0) {
    tlscert_fmt_time(t->bad_not_after, a, sizeof(a));
    tlscert_fmt_time(t->bad_not_before, b, sizeof(b));
    pverdict_add(v, PROBE_CRITICAL,
                 "expired: %s certificate notAfter %s "
                 "(%.0f days ago), notBefore %s",
                 p->expired_idx == 0 ? "leaf" : "intermediate", a,
                 -tls_days_until(t->bad_not_after, now), b);
    return;
  }
  if(p->not_yet_valid_idx >= 0) {
    tlscert_fmt_time(t->bad_not_before, b, sizeof(b));
    tlscert_fmt_time(t->bad_not_after, a, sizeof(a));
    pverdict_add(v, PROBE_CRITICAL,
                 "not yet valid: %s certificate notBefore "
                 "%s, notAfter %s",
                 p->not_yet_valid_idx == 0 ? "leaf" : "intermediate", b, a);
    return;
  }
  tlscert_fmt_time(p->chain_not_after, a, sizeof(a));
  if(out->days < lim->crit_days)
    pverdict_add(v, PROBE_CRITICAL,
                 "expires in %.0f days (crit_days=%g; %s "
                 "certificate notAfter %s)",
                 out->days, lim->crit_days, out->who, a);
  else if(out->days < lim->warn_days)
    pverdict_add(v, PROBE_WARNING,
                 "expires in %.0f days (warn_days=%g; %s "
                 "certificate notAfter %s)",
                 out->days, lim->warn_days, out->who, a);
}

void tls_judge(const tls_target *t, const tls_limits *lim, time_t now,
               tls_verdict *out)
{
  const tlscert_report *p = &t->rep;
  char a[32];
  pverdict *v = &out->v;
  pverdict_init(v);
  out->days = tls_days_until(p->chain_not_after, now);
  out->who = p->chain_not_after_idx == 0 ? "leaf" : "intermediate";
  judge_dates(p, t, lim, now, out);
  if(p->host_checked && !p->host_ok)
    pverdict_add(v, PROBE_CRITICAL,
                 "host name %s does not match the "
                 "certificate (SANs %s)",
                 t->servername ? t->servername : t->host, p->sans_json);
  if(p->verified && !p->verify_ok) {
    int timeerr = p->verify_code == X509_V_ERR_CERT_HAS_EXPIRED ||
                  p->verify_code == X509_V_ERR_CERT_NOT_YET_VALID;
    /* an expiry problem already said above is not said twice */
    if(!(timeerr && (p->expired_idx >= 0 || p->not_yet_valid_idx >= 0)))
      pverdict_add(v, lim->verify_status,
                   "verification failed: %s (depth "
                   "%d)",
                   p->verify_error, p->verify_depth);
  }
  for(int i = 0; i < p->nweak; i++)
    pverdict_add(v, lim->weak_status, "weak %s", p->weak[i]);
  if(!v->text[0]) {
    tlscert_fmt_time(p->chain_not_after, a, sizeof(a));
    snprintf(v->text, sizeof(v->text),
             "valid for %.0f more days (until %s)"
             "%s%s",
             out->days, a, p->verified ? ", chain verified" : "",
             p->host_checked ? ", host name matches" : "");
  }
}

void tls_judge_failure(const tls_target *t, probe_status *st, char *summary,
                       size_t n)
{
  if(t->fate == TLS_FATE_NOT_PROBED) {
    *st = PROBE_UNKNOWN;
    snprintf(summary, n, "%s", t->err);
    return;
  }
  if(t->is_file)
    *st = t->rc == TLS_ERR_IO || t->rc == TLS_ERR_NOMEM ? PROBE_UNKNOWN
                                                        : PROBE_CRITICAL;
  else
    *st = t->rc == TLS_ERR_NOMEM || t->rc == TLS_ERR_OPENSSL ? PROBE_UNKNOWN
                                                             : PROBE_CRITICAL;
  const char *what = t->is_file                  ? "cannot use certificate file"
                     : t->rc == TLS_ERR_STARTTLS ? "STARTTLS failed"
                     : t->rc == TLS_ERR_HANDSHAKE ? "TLS handshake failed"
                     : t->rc == TLS_ERR_TIMEOUT   ? "timed out"
                                                  : "connection failed";
  snprintf(summary, n, "%s: %s", what, t->err);
}

/* The certificate's facts as metrics and details. */
static void facts(const probe_host *host, probe_result *r,
                  const tls_limits *lim, const tls_target *t,
                  const tls_verdict *tv)
{
  const tlscert_report *p = &t->rep;
  char a[32];
  host->result_metric(r, "leaf_not_after_timestamp_seconds",
                      (double)p->leaf_not_after);
  host->result_metric(r, "chain_not_after_timestamp_seconds",
                      (double)p->chain_not_after);
  host->result_metric(r, "days_left", tv->days);
  /* warn_days > crit_days: the range alerts below them */
  if(PROBE_HOST_HAS_THRESHOLD(host))
    host->result_threshold(r, "days_left", lim->warn_days, lim->crit_days);
  host->result_metric(r, "chain_certificates", (double)sk_X509_num(t->chain));
  if(!t->is_file)
    host->result_metric(r, "handshake_seconds", t->info.handshake_s);
  host->result_detail_string(r, "subject", p->subject);
  host->result_detail_string(r, "issuer", p->issuer);
  host->result_detail_json(r, "sans", p->sans_json);
  host->result_detail_string(r, "serial", p->serial);
  host->result_detail_string(r, "sha256_fingerprint", p->sha256);
  tlscert_fmt_time(p->leaf_not_before, a, sizeof(a));
  host->result_detail_string(r, "not_before", a);
  tlscert_fmt_time(p->leaf_not_after, a, sizeof(a));
  host->result_detail_string(r, "not_after", a);
  tlscert_fmt_time(p->chain_not_after, a, sizeof(a));
  host->result_detail_string(r, "chain_not_after", a);
  host->result_detail_string(r, "chain_not_after_from", tv->who);
  host->result_detail_bool(r, "expired", p->expired_idx >= 0);
  host->result_detail_bool(r, "not_yet_valid", p->not_yet_valid_idx >= 0);
}

/* Verification, host name, key, weaknesses, root, protocol. */
static void checks(const probe_host *host, probe_result *r, const tls_target *t)
{
  const tlscert_report *p = &t->rep;
  char a[32];
  if(p->verified) {
    host->result_detail_bool(r, "verify_ok", p->verify_ok);
    if(!p->verify_ok)
      host->result_detail_string(r, "verify_error", p->verify_error);
  }
  if(p->host_checked) {
    host->result_detail_string(r, "hostname",
                               t->servername ? t->servername : t->host);
    host->result_detail_bool(r, "hostname_match", p->host_ok);
  }
  host->result_detail_string(r, "signature_algorithm", p->sig_alg);
  host->result_detail_string(r, "key_type", p->key_type);
  host->result_detail_number(r, "key_bits", p->key_bits);
  cJSON *w = cJSON_CreateArray();
  for(int i = 0; w && i < p->nweak; i++)
    cJSON_AddItemToArray(w, cJSON_CreateString(p->weak[i]));
  char *s = w ? cJSON_PrintUnformatted(w) : NULL;
  if(s)
    host->result_detail_json(r, "weak", s);
  free(s);
  cJSON_Delete(w);
  if(p->has_root) {
    host->result_detail_string(r, "root_subject",
                               p->root_subject ? p->root_subject : "");
    tlscert_fmt_time(p->root_not_after, a, sizeof(a));
    host->result_detail_string(r, "root_not_after", a);
  }
  if(!t->is_file) {
    host->result_detail_string(r, "tls_version", t->info.version);
    host->result_detail_string(r, "cipher", t->info.cipher);
  }
}

/* What was looked at: kind, protocol, address, path, trust. */
static void where(const probe_host *host, probe_result *r, const tls_target *t)
{
  host->result_detail_string(r, "kind", t->is_file ? "file" : "endpoint");
  if(!t->is_file) {
    host->result_detail_string(r, "starttls",
                               tlsprobe_starttls_name(t->starttls));
    if(t->info.address[0])
      host->result_detail_string(r, "address", t->info.address);
  }
  else if(t->path && t->label && strcmp(t->path, t->label))
    host->result_detail_string(r, "path", t->path);
  if(t->ca_file)
    host->result_detail_string(r, "ca_file", t->ca_file);
  host->result_duration(r, t->ms);
}

void tls_emit(probe_ctx *ctx, const probe_host *host, const tls_limits *lim,
              time_t now, const tls_target *t)
{
  probe_result *r =
      host->result_begin(ctx, "tls.cert", t->label ? t->label : "?");
  if(!r)
    return;
  if(t->config_error) {
    host->result_status(r, PROBE_UNKNOWN, "%s", t->config_error);
    host->result_emit(r);
    return;
  }
  where(host, r, t);
  if(!t->analyzed) {
    probe_status st;
    char summary[700];
    tls_judge_failure(t, &st, summary, sizeof(summary));
    host->result_detail_string(r, "error", tls_strerror(t->rc));
    host->result_status(r, st, "%s", summary);
    host->result_emit(r);
    return;
  }
  tls_verdict tv;
  tls_judge(t, lim, now, &tv);
  host->result_status(r, tv.v.st, "%s", tv.v.text);
  facts(host, r, lim, t, &tv);
  checks(host, r, t);
  host->result_emit(r);
}
