/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.c: the anchor plugin's report: the one anchor.confirm result
 * line (counts, figures over window, the first failure by tx hash and
 * rule, the wallet's part) and confirmed.json for the claims plugin.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/rfc3339.h"
#include "lib/status.h"
#include "plugins/anchor/anchor.h"
#include "plugins/common/pstate.h"

#define CONFIRMED_FILE "confirmed.json"
#define CONFIRMED_MAX 1000 /* anchors listed in confirmed.json */

/* Leaves confirmed.json for the claims plugin (format in probe-agent.conf(5)):
 * the highest seq covered by a confirmed, not superseded anchor. Atomic
 * (pstate), then made readable by others (0644) on the descriptor. */
void anchor_write_confirmed(run *r, const char *state)
{
  const anchor *best = NULL;
  size_t ncon = 0, skip = 0;
  char t[32];
  struct timespec now;
  for(size_t i = 0; i < r->na; i++)
    if(r->a[i].status == A_CONFIRMED) {
      ncon++;
      if(!best || r->a[i].anchored_seq > best->anchored_seq)
        best = &r->a[i];
    }
  cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
  if(!o || !arr) {
    cJSON_Delete(o);
    cJSON_Delete(arr);
    return;
  }
  cJSON_AddNumberToObject(o, "version", 1);
  cJSON_AddNumberToObject(o, "covered_seq",
                          best ? (double)best->anchored_seq : 0);
  if(best) {
    cJSON_AddStringToObject(o, "tx_hash", best->tx_hex);
    cJSON_AddNumberToObject(o, "block_number", (double)best->block_number);
    rfc3339_format((double)best->block_ts, 0, t, sizeof(t));
    cJSON_AddStringToObject(o, "block_time", t);
  }
  clock_gettime(CLOCK_REALTIME, &now);
  rfc3339_format((double)now.tv_sec + now.tv_nsec / 1e9, 1, t, sizeof(t));
  cJSON_AddStringToObject(o, "updated_at", t);
  skip = ncon > CONFIRMED_MAX ? ncon - CONFIRMED_MAX : 0;
  int64_t prev = 0; /* an anchor covers the events after the one before */
  for(size_t i = 0; i < r->na; i++) {
    const anchor *a = &r->a[i];
    int64_t from = prev + 1;
    if(a->status != A_CONFIRMED)
      continue;
    if(a->anchored_seq > prev)
      prev = a->anchored_seq;
    if(skip && skip--)
      continue;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "from_seq",
                            (double)(from <= a->anchored_seq
                                         ? from
                                         : a->anchored_seq));
    cJSON_AddNumberToObject(e, "to_seq", (double)a->anchored_seq);
    cJSON_AddStringToObject(e, "tx_hash", a->tx_hex);
    rfc3339_format((double)a->block_ts, 0, t, sizeof(t));
    cJSON_AddStringToObject(e, "block_time", t);
    cJSON_AddItemToArray(arr, e);
  }
  cJSON_AddItemToObject(o, "anchors", arr);
  char *txt = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if(!txt)
    return;
  size_t len = strlen(txt);
  char *buf = realloc(txt, len + 2);
  if(buf) {
    txt = buf;
    txt[len++] = '\n';
    txt[len] = '\0';
  }
  if(pstate_write(state, CONFIRMED_FILE, txt, len) != 0) {
    r->host->log(r->ctx, PROBE_LOG_WARNING, "cannot write %s in %s: %s",
                 CONFIRMED_FILE, state, strerror(errno));
  }
  else {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", state, CONFIRMED_FILE);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if(fd >= 0) {
      if(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid())
        fchmod(fd, 0644); /* the claims plugin reads it */
      close(fd);
    }
  }
  free(txt);
}

/* Frees everything r holds. */
/* Formats the anchors' status and summary. */
static void say(int *st, char *buf, size_t n, int status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void say(int *st, char *buf, size_t n, int status, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, n, fmt, ap);
  va_end(ap);
  *st = status;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p (0..100) of sorted v[0..n), n > 0. */
static double percentile(const double *v, size_t n, double p)
{
  size_t k = (size_t)ceil(p / 100.0 * (double)n);
  return v[k ? k - 1 : 0];
}

/* The dashboard's figures over window: submission rate, latency p50/p95;
 * and the wallet's. */
static void emit_window(run *r, probe_result *res)
{
  const probe_host *h = r->host;
  size_t nsub = 0, nl = 0;
  double *lat = calloc(r->na + 1, sizeof(*lat));
  for(size_t i = 0; i < r->na; i++) {
    const anchor *a = &r->a[i];
    if(isnan(a->ts) || a->ts <= r->rules.now - r->window ||
       a->ts > r->rules.now + 300)
      continue;
    nsub++;
    if(lat && a->status == A_CONFIRMED && a->have_block)
      lat[nl++] = (double)a->block_ts - a->ts;
  }
  h->result_metric(res, "anchor_submission_rate_per_hour",
                   (double)nsub * 3600 / r->window);
  if(nl) {
    qsort(lat, nl, sizeof(*lat), cmp_double);
    h->result_metric(res, "confirmation_latency_p50_seconds",
                     percentile(lat, nl, 50));
    h->result_metric(res, "confirmation_latency_p95_seconds",
                     percentile(lat, nl, 95));
  }
  free(lat);
  if(!r->wallet_on)
    return;
  if(r->have_count) {
    h->result_metric(res, "wallet_nonce_count", (double)r->count);
    h->result_metric(res, "unrecorded_transactions", r->w_nunrec);
  }
  if(r->w_unrec) {
    char *txt = cJSON_PrintUnformatted(r->w_unrec);
    if(txt)
      h->result_detail_json(res, "unrecorded", txt);
    free(txt);
  }
  if(r->have_balance)
    h->result_metric(res, "wallet_balance_wei", r->balance);
  if(r->have_fee) {
    h->result_metric(res, "anchor_fee_wei", r->avg_fee);
    h->result_metric(res, "anchors_left", r->anchors_left);
  }
  if(r->have_runway)
    h->result_metric(res, "wallet_runway_seconds", r->runway);
  if(r->w_status != PROBE_OK)
    h->result_detail_string(res, "wallet", r->w_sum);
}

/* The anchors counted by what became of them, for the report. */
typedef struct tally {
  size_t ncon, npen, nfail, nsup, nunk, ncached;
  const anchor *first_fail, *first_unk, *newest, *newest_conf;
  int64_t max_covered;
  double max_latency, age;
  cJSON *fails, *pend; /* details.failures, details.pending */
} tally;

/* One anchor for details.failures or details.pending (with_rule). */
static void list_anchor(cJSON *arr, const anchor *a, int with_rule)
{
  cJSON *p;
  if(cJSON_GetArraySize(arr) >= MAX_LISTED || !(p = cJSON_CreateObject()))
    return;
  cJSON_AddStringToObject(p, "tx_hash", a->tx_hex);
  cJSON_AddNumberToObject(p, "seq", (double)a->seq);
  if(with_rule) {
    cJSON_AddNumberToObject(p, "rule", a->rule);
    cJSON_AddStringToObject(p, "rule_name", anchor_rule_names[a->rule]);
  }
  cJSON_AddStringToObject(p, "reason", a->reason);
  cJSON_AddItemToArray(arr, p);
}

/* A confirmed anchor in the tally. */
static void count_confirmed(tally *t, const anchor *a)
{
  t->ncon++;
  if(a->anchored_seq > t->max_covered)
    t->max_covered = a->anchored_seq;
  if(!t->newest_conf || a->seq > t->newest_conf->seq)
    t->newest_conf = a;
  if(a->have_block && !isnan(a->ts) && a->block_ts - a->ts > t->max_latency)
    t->max_latency = (double)a->block_ts - a->ts;
}

/* Counts the anchors into t (its lists created here). */
static void count_anchors(const run *r, tally *t)
{
  memset(t, 0, sizeof(*t));
  t->max_latency = -1;
  t->fails = cJSON_CreateArray();
  t->pend = cJSON_CreateArray();
  for(size_t i = 0; i < r->na; i++) {
    const anchor *a = &r->a[i];
    if(!t->newest || a->seq > t->newest->seq)
      t->newest = a;
    t->ncached += a->cached;
    switch(a->status) {
    case A_CONFIRMED: count_confirmed(t, a); break;
    case A_PENDING:
      t->npen++;
      list_anchor(t->pend, a, 0);
      break;
    case A_FAILED:
      t->nfail++;
      if(!t->first_fail)
        t->first_fail = a;
      list_anchor(t->fails, a, 1);
      break;
    case A_SUPERSEDED: t->nsup++; break;
    default:
      t->nunk++;
      if(!t->first_unk)
        t->first_unk = a;
    }
  }
  t->age =
      t->newest && !isnan(t->newest->ts) ? r->rules.now - t->newest->ts : -1;
}

/* A JSON detail of res (nothing for an empty array unless always);
 * frees v. */
static void detail_json(const probe_host *h, probe_result *res,
                        const char *name, cJSON *v, int always)
{
  char *txt =
      !always && cJSON_GetArraySize(v) == 0 ? NULL : cJSON_PrintUnformatted(v);
  if(txt)
    h->result_detail_json(res, name, txt);
  free(txt);
  cJSON_Delete(v);
}

/* The anchors' counts and figures as metrics. */
static void emit_counts(run *r, probe_result *res, const tally *t)
{
  const probe_host *h = r->host;
  h->result_metric(res, "anchors_total", (double)r->na);
  h->result_metric(res, "anchors_confirmed", (double)t->ncon);
  h->result_metric(res, "anchors_pending", (double)t->npen);
  h->result_metric(res, "anchors_failed", (double)t->nfail);
  h->result_metric(res, "anchors_superseded", (double)t->nsup);
  if(t->age >= 0)
    h->result_metric(res, "last_anchor_age_seconds", t->age);
  if(t->age >= 0 && PROBE_HOST_HAS_THRESHOLD(h))
    h->result_threshold(res, "last_anchor_age_seconds", r->max_age, NAN);
  /* an anchor whose fate is unknown (node down, say) may cover events
   * past the confirmed ones: the count is then unknown, not the worst case
   * (before any anchor is known that would be the whole ledger) */
  int64_t max_unknown = 0;
  for(size_t i = 0; i < r->na; i++)
    if(r->a[i].status == A_UNKNOWN && r->a[i].anchored_seq > max_unknown)
      max_unknown = r->a[i].anchored_seq;
  if(max_unknown > t->max_covered)
    h->result_detail_string(
        res, "unanchored_events_unknown",
        "anchors past the confirmed ones could not be checked");
  else
    h->result_metric(res, "unanchored_events",
                     (double)(r->head_seq > t->max_covered
                                  ? r->head_seq - t->max_covered
                                  : 0));
  if(t->newest_conf && t->newest_conf->have_block && !isnan(t->newest_conf->ts))
    h->result_metric(res, "confirmation_latency_seconds",
                     (double)t->newest_conf->block_ts - t->newest_conf->ts);
  h->result_metric(res, "anchors_cached", (double)t->ncached);
}

/* The requests made. */
static void emit_requests(run *r, probe_result *res)
{
  const probe_host *h = r->host;
  unsigned long reqs = 0, calls = 0;
  for(size_t k = 0; k < r->nurls && r->nodes; k++) {
    reqs += r->nodes[k].http_requests;
    calls += r->nodes[k].calls;
  }
  h->result_metric(res, "anchors_rechecked", (double)r->nrechecked);
  h->result_metric(res, "rpc_requests", (double)reqs);
  h->result_metric(res, "rpc_calls", (double)calls);
}

/* The nodes asked, as details.rpc_urls. */
static void emit_urls(run *r, probe_result *res)
{
  cJSON *urls = cJSON_CreateArray();
  for(size_t k = 0; k < r->nurls && r->nodes; k++)
    cJSON_AddItemToArray(urls, cJSON_CreateString(r->nodes[k].target));
  detail_json(r->host, res, "rpc_urls", urls, 1);
}

/* The anchors' status and summary (sum), and the details it names. */
static int summarize(run *r, probe_result *res, const tally *t, char *sum,
                     size_t n)
{
  const probe_host *h = r->host;
  const anchor *ff = t->first_fail, *fu = t->first_unk;
  int st = PROBE_OK;
  if(ff) {
    h->result_detail_string(res, "reason", anchor_rule_names[ff->rule]);
    h->result_detail_string(res, "tx_hash", ff->tx_hex);
    h->result_detail_number(res, "rule", ff->rule);
    say(&st, sum, n, PROBE_CRITICAL,
        "anchor %s (seq %" PRId64 ") failed rule %d %s: %s%s", ff->tx_hex,
        ff->seq, ff->rule, anchor_rule_names[ff->rule], ff->reason,
        t->nfail > 1 ? " (and more, see details.failures)" : "");
  }
  else if(fu) {
    h->result_detail_string(res, "tx_hash", fu->tx_hex);
    say(&st, sum, n, PROBE_UNKNOWN, "cannot confirm anchor %s: %s", fu->tx_hex,
        fu->reason);
  }
  else if(r->node_problem[0]) {
    /* every anchor confirmed (from the cache), but the next one could not be */
    h->result_detail_string(res, "node_error", r->node_problem);
    say(&st, sum, n, PROBE_WARNING,
        "%zu anchors: %zu confirmed, %zu pending, %zu superseded; but %s",
        r->na, t->ncon, t->npen, t->nsup, r->node_problem);
  }
  else if(r->na == 0)
    say(&st, sum, n, r->events ? PROBE_WARNING : PROBE_OK,
        "no anchors in the ledger (%" PRIu64 " events)", r->events);
  else if(t->age > r->max_age)
    say(&st, sum, n, PROBE_WARNING,
        "newest anchor (seq %" PRId64 ") is %.0f"
        " s old, more than max_anchor_age %.0f s",
        t->newest->seq, t->age, r->max_age);
  else
    say(&st, sum, n, PROBE_OK,
        "%zu anchors: %zu confirmed, %zu pending, %zu superseded", r->na,
        t->ncon, t->npen, t->nsup);
  return st;
}

/* The wallet's part joined to the summary: the worse part first. */
static int add_wallet(const run *r, int st, char *sum, size_t n)
{
  char both[3000];
  int m; /* cut short where long: details.wallet holds it whole */
  if(!r->wallet_on || !r->w_sum[0])
    return st;
  if(status_rank(r->w_status) > status_rank(st)) {
    m = snprintf(both, sizeof(both), "%s%s%.1500s", r->w_sum,
                 st != PROBE_OK ? "; " : "", st != PROBE_OK ? sum : "");
    st = r->w_status;
  }
  else
    m = snprintf(both, sizeof(both), "%.1500s; %.1400s", sum, r->w_sum);
  if(m >= 0)
    snprintf(sum, n, "%s", both);
  return st;
}

/* Emits the one result line. */
int anchor_emit(run *r, const char *target, int ledger_ok,
                const char *ledger_err)
{
  char sum[3000] = "";
  const probe_host *h = r->host;
  probe_result *res = h->result_begin(r->ctx, "anchor.confirm", target);
  tally t;
  int st;
  if(!res)
    return -1;
  if(!ledger_ok) {
    h->result_status(res, PROBE_UNKNOWN, "cannot read the ledger: %s",
                     ledger_err);
    return h->result_emit(res);
  }
  count_anchors(r, &t);
  emit_counts(r, res, &t);
  emit_requests(r, res);
  if(t.max_latency >= 0)
    h->result_detail_number(res, "max_confirmation_latency_seconds",
                            t.max_latency);
  emit_window(r, res);
  h->result_detail_number(res, "events", (double)r->events);
  h->result_detail_number(res, "head_seq", (double)r->head_seq);
  emit_urls(r, res);
  detail_json(h, res, "failures", t.fails, 0);
  detail_json(h, res, "pending", t.pend, 0);
  st = summarize(r, res, &t, sum, sizeof(sum));
  st = add_wallet(r, st, sum, sizeof(sum));
  h->result_status(res, (probe_status)st, "%s", sum);
  return h->result_emit(res);
}
