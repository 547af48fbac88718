/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.c: probe-report, the hypercare reports written from the agent's
 * own lines (SPEC section 8): `daily` fills the checklist's daily status
 * check (4.4), `review` the post-launch review's metrics summary (7.1) and
 * the incidents for 7.2, as text or one self-contained HTML page with
 * inline SVG charts. Lines are folded as they are read (report/agg.c), so
 * a week of a busy daemon's lines fits in a few MiB.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/duration.h"
#include "lib/status.h"
#include "report/agg.h"
#include "report/lines.h"

/* Exit statuses (documented in probe-report.1). */
enum {
  EX_REPORT = 0,  /* report written from everything read */
  EX_PARTIAL = 1, /* report written, but an input ended in an error */
  EX_USAGE_ = 64,
  EX_EMPTY = 65,     /* no agent line in the range */
  EX_NOINPUT_ = 66,  /* an input could not be opened */
  EX_SOFTWARE_ = 70, /* out of memory */
  EX_IOERR_ = 74     /* the report could not be written */
};

#define NOT_5XX "not measured by probe-agent (load balancer / APM)"


/* --help, and the hint after a usage error. */
static void usage(FILE *f)
{
  fputs(
      "Usage: probe-report daily|review [options] [FILE...]\n"
      "Reads probe-agent's JSON lines (FILEs, plain or .gz, or standard input)\n"
      "and writes the checklist's daily status check (daily) or the post-launch\n"
      "review's metrics summary and incidents (review).\n"
      "  --since TIME        start of the range (RFC 3339, or relative: 24h, 30m, 7d)\n"
      "  --until TIME        end of the range (default: now for daily, open for review)\n"
      "  --label KEY=VALUE   only lines whose labels have KEY=VALUE (repeatable)\n"
      "  --html              one self-contained HTML page with charts instead of text\n"
      "  -o, --output FILE   write the report to FILE instead of standard output\n"
      "  -h, --help, -V, --version\n"
      "daily covers the 24 hours before --until unless --since is given.\n",
      f);
}

/* Longest duration --since or --until may go back: 1000 years (365250d),
 * beyond any log and well inside what a time can be printed as. */
#define MAX_AGO (365250.0 * 86400)

/* A --since/--until value: RFC 3339, "now", or a duration before now (at
 * most MAX_AGO). 0, -1 when it is none of those, -2 when the duration is
 * longer than MAX_AGO. */
static int parse_when(const char *s, double now, double *out)
{
  if(!strcmp(s, "now")) {
    *out = now;
    return 0;
  }
  if(!rl_parse_time(s, out))
    return 0;
  double d;
  if(duration_parse(s, DURATION_UNIT_REQUIRED, &d) < 0)
    return -1;
  if(d > MAX_AGO)
    return -2;
  *out = now - d;
  return 0;
}

/* "2026-11-28T05:02:00Z": whole seconds, UTC. */
static const char *fmt_time(double ts, char *buf, size_t n)
{
  time_t t = (time_t)floor(ts);
  struct tm tm;
  if(isnan(ts) || !gmtime_r(&t, &tm)) {
    snprintf(buf, n, "-");
    return buf;
  }
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/* "58m", "23h59m", "72h", "9m30s", "5d04h". */
static const char *fmt_dur(double secs, char *buf, size_t n)
{
  long s = (long)llround(secs < 0 ? 0 : secs);
  long d = s / 86400, h = s / 3600, m = (s % 3600) / 60, r = s % 60;
  if(s < 60)
    snprintf(buf, n, "%lds", s);
  else if(s < 3600)
    snprintf(buf, n, r ? "%ldm%02lds" : "%ldm", m, r);
  else if(h < 100)
    snprintf(buf, n, m ? "%ldh%02ldm" : "%ldh", h, m);
  else
    snprintf(buf, n, "%ldd%02ldh", d, (s % 86400) / 3600);
  return buf;
}

/* Output with a sticky error flag. */
typedef struct {
  FILE *f;
  int html;
} out_t;

static void outf(out_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* printf to the report (errors are seen once, at the flush). */
static void outf(out_t *o, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vfprintf(o->f, fmt, ap);
  va_end(ap);
}

/* Writes outside text: HTML-escaped, or with control characters (and, in
 * table cells, '|') escaped, so it never breaks a line or a cell. */
static void outs(out_t *o, const char *s, int cell)
{
  for(const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if(o->html) {
      switch(*p) {
      case '&': fputs("&amp;", o->f); continue;
      case '<': fputs("&lt;", o->f); continue;
      case '>': fputs("&gt;", o->f); continue;
      case '"': fputs("&quot;", o->f); continue;
      case '\'': fputs("&#39;", o->f); continue;
      default: break;
      }
    }
    if(*p < 0x20 || *p == 0x7f)
      fprintf(o->f, "\\x%02x", *p);
    else if(!o->html && cell && *p == '|')
      fputs("\\|", o->f);
    else
      fputc(*p, o->f);
  }
}

/* ---- the numbers ---------------------------------------------------------- */

/* Whether any claims.lifecycle window was counted. */
static int have_claims(const agg *a)
{
  return a->claims_windows > 0;
}

/* Claims that reached an end: completed or failed. */
static double claims_processed(const agg *a)
{
  return a->claims_completed + a->claims_failed;
}

/* Percent with two decimals, "99.97%". */
static const char *fmt_pct(double ratio, char *buf, size_t n)
{
  snprintf(buf, n, "%.2f%%", ratio * 100);
  return buf;
}

/* A count, without decimals. */
static const char *fmt_num(double v, char *buf, size_t n)
{
  snprintf(buf, n, "%.0f", v);
  return buf;
}

/* ---- text and HTML tables ------------------------------------------------- */

/* One row: a label and its value (daily). */
static void kv(out_t *o, const char *label, const char *value)
{
  if(o->html) {
    outf(o, "<tr><th scope=\"row\">");
    outs(o, label, 1);
    outf(o, "</th><td>");
    outs(o, value, 1);
    outf(o, "</td></tr>\n");
  }
  else {
    outf(o, "%s: ", label);
    outs(o, value, 0);
    outf(o, "\n");
  }
}

/* One row of a table of N cells. */
static void row(out_t *o, int header, size_t n, const char *const *cells)
{
  if(o->html)
    outf(o, "<tr>");
  else
    outf(o, "|");
  for(size_t i = 0; i < n; i++) {
    if(o->html) {
      outf(o, header ? "<th>" : "<td>");
      outs(o, cells[i], 1);
      outf(o, header ? "</th>" : "</td>");
    }
    else {
      outf(o, " ");
      outs(o, cells[i], 1);
      outf(o, " |");
    }
  }
  if(o->html) {
    outf(o, "</tr>\n");
  }
  else {
    outf(o, "\n");
    if(header) {
      outf(o, "|");
      for(size_t i = 0; i < n; i++)
        outf(o, "---|");
      outf(o, "\n");
    }
  }
}

/* A section title. */
static void heading(out_t *o, const char *title)
{
  if(o->html)
    outf(o, "<h2>%s</h2>\n", title);
  else
    outf(o, "\n%s\n", title);
}

/* HTML tables scroll sideways on a phone rather than overflow. */
static void open_table(out_t *o)
{
  if(o->html)
    outf(o, "<div class=\"wrap\"><table>\n");
}

/* The end of open_table. */
static void close_table(out_t *o)
{
  if(o->html)
    outf(o, "</table></div>\n");
}

/* The range the report covers (as asked, else as read) and its labels. */
static void range_line(out_t *o, const agg *a)
{
  char t1[40], t2[40], d[40];
  double s = isnan(a->since) ? a->first_ts : a->since;
  double u = isnan(a->until) ? a->last_ts : a->until;
  fmt_time(s, t1, sizeof(t1));
  fmt_time(u, t2, sizeof(t2));
  fmt_dur(u - s, d, sizeof(d));
  if(o->html)
    outf(o, "<p>Range: %s to %s (%s)", t1, t2, d);
  else
    outf(o, "Range: %s to %s (%s)", t1, t2, d);
  for(size_t i = 0; i < a->nlabels; i++) {
    outf(o, "%s", i ? ", " : "; labels ");
    outs(o, a->label_keys[i], 0);
    outf(o, "=");
    outs(o, a->label_values[i], 0);
  }
  outf(o, o->html ? "</p>\n" : "\n");
}

/* Open issues: every check whose latest line in the range is not ok. */
static size_t count_open(const agg *a)
{
  size_t n = 0;
  for(size_t i = 0; i < a->nkeys; i++)
    n += a->keys[i].status > ST_OK;
  return n;
}

/* The "Open issues" row with one item per check not ok at the end. */
static void open_issues(out_t *o, const agg *a)
{
  char t[40], d[40], buf[64];
  size_t n = count_open(a);
  int hosts = 0; /* name the host only where there are several */
  for(size_t i = 1; i < a->nkeys && !hosts; i++)
    hosts = strcmp(a->keys[i].host, a->keys[0].host) != 0;
  snprintf(buf, sizeof(buf), "%zu", n);
  if(o->html) {
    outf(o, "<tr><th scope=\"row\">Open issues</th><td>%s", buf);
    if(n)
      outf(o, "<ul>");
  }
  else {
    outf(o, "Open issues: %s\n", buf);
  }
  /* worst first, then in order of since */
  for(int st = ST_CRITICAL; st > ST_OK; st--) {
    for(size_t i = 0; i < a->nkeys; i++) {
      const agg_key *k = &a->keys[i];
      if(k->status != st)
        continue;
      outf(o, o->html ? "<li>" : "  - ");
      outs(o, k->check, 0);
      if(k->target[0]) {
        outf(o, " ");
        outs(o, k->target, 0);
      }
      if(k->host[0] && hosts) {
        outf(o, " on ");
        outs(o, k->host, 0);
      }
      outf(o, ": %s since %s (%s): ", status_rank_name(st),
           fmt_time(k->notok_since, t, sizeof(t)),
           fmt_dur(k->last_ts - k->notok_since, d, sizeof(d)));
      outs(o, k->summary, 0);
      outf(o, o->html ? "</li>\n" : "\n");
    }
  }
  if(o->html)
    outf(o, "%s</td></tr>\n", n ? "</ul>" : "");
}

/* The checklist's 4.4 template, filled in. */
static void daily(out_t *o, const agg *a)
{
  char b1[128], b2[128], b3[400];
  double u = isnan(a->until) ? a->last_ts : a->until;
  double s = isnan(a->since) ? a->first_ts : a->since;
  time_t t = (time_t)floor(u);
  struct tm tm;
  gmtime_r(&t, &tm);
  heading(o, "Daily status check (checklist 4.4)");
  range_line(o, a);
  open_table(o);
  if(!o->html)
    outf(o, "\n");
  strftime(b1, sizeof(b1), "%Y-%m-%d", &tm);
  kv(o, "Date", b1);
  strftime(b1, sizeof(b1), "%H:%M UTC", &tm);
  kv(o, "Time", b1);
  kv(o, "Reported by", "___");
  if(!o->html)
    outf(o, "\n");
  snprintf(b2, sizeof(b2), "Claims processed (last %s)",
           fmt_dur(u - s, b1, sizeof(b1)));
  kv(o, b2,
     have_claims(a) ? fmt_num(claims_processed(a), b1, sizeof(b1))
                    : "not measured (no claims.lifecycle lines in the range)");
  kv(o, "Failed claims",
     have_claims(a) ? fmt_num(a->claims_failed, b1, sizeof(b1))
                    : "not measured (no claims.lifecycle lines in the range)");
  if(a->dead_lines) {
    double in_store = NAN;
    for(size_t i = 0; i < a->nkeys; i++)
      if(!strcmp(a->keys[i].check, "deadletter.count") &&
         !isnan(a->keys[i].dead_last))
        in_store = (isnan(in_store) ? 0 : in_store) + a->keys[i].dead_last;
    snprintf(b3, sizeof(b3), "%.0f new (%.0f in the store at the end)",
             a->dead_new, in_store);
    kv(o, "Dead letters", b3);
  }
  else {
    kv(o, "Dead letters",
       "not measured (no deadletter.count lines in the range)");
  }
  kv(o, "5xx count", NOT_5XX);
  if(a->p95_lines) {
    snprintf(b3, sizeof(b3), "%.0f ms (worst window, %s)", a->p95_max * 1000,
             fmt_time(a->p95_max_ts, b1, sizeof(b1)));
    kv(o, "p95 latency", b3);
  }
  else {
    kv(o, "p95 latency",
       "not measured (no claims.lifecycle lines in the range)");
  }
  if(a->have_cb) {
    snprintf(b3, sizeof(b3), "%s (lowest window %s)",
             fmt_pct(a->cb_weighted / a->cb_weight, b1, sizeof(b1)),
             fmt_pct(a->cb_min, b2, sizeof(b2)));
    kv(o, "Callback success rate", b3);
  }
  else {
    kv(o, "Callback success rate",
       "not measured (no claims.lifecycle lines in the range)");
  }
  open_issues(o, a);
  kv(o, "Action items", "___");
  close_table(o);
}

/* One 7.1 row; STATUS "met", "not met", "not measured" or "". */
static void review_row(out_t *o, const char *metric, const char *target,
                       const char *actual, const char *status)
{
  const char *c[4] = {metric, target, actual, status};
  row(o, 0, 4, c);
}

#define NOCLAIMS "not measured (no claims.lifecycle lines)"

/* The 7.1 rows measured from claims.lifecycle lines: processed, success,
 * failures. */
static void review_claims(out_t *o, const agg *a)
{
  char b1[128];
  int hc = have_claims(a);
  double proc = claims_processed(a);
  review_row(o, "Total claims processed", "",
             hc ? fmt_num(proc, b1, sizeof(b1)) : NOCLAIMS, "");
  if(hc && proc > 0) {
    double r = a->claims_completed / proc;
    review_row(o, "Successful claims (%)", "> 99.5%",
               fmt_pct(r, b1, sizeof(b1)), r * 100 > 99.5 ? "met" : "not met");
  }
  else {
    review_row(o, "Successful claims (%)", "> 99.5%", NOCLAIMS, "not measured");
  }
  review_row(o, "Failed claims", "0",
             hc ? fmt_num(a->claims_failed, b1, sizeof(b1)) : NOCLAIMS,
             hc ? (a->claims_failed == 0 ? "met" : "not met") : "not measured");
}

/* The 7.1 rows of latency and callbacks (both from claims lines). */
static void review_latency(out_t *o, const agg *a)
{
  char b1[128], b2[400], t1[40];
  if(a->p95_lines) {
    snprintf(
        b2, sizeof(b2),
        "%.0f ms (worst window, %s); %llu of %llu windows at or over 2000 ms",
        a->p95_max * 1000, fmt_time(a->p95_max_ts, t1, sizeof(t1)),
        a->p95_over_review, a->p95_lines);
    review_row(o, "p95 claim lifecycle latency", "< 2000ms", b2,
               a->p95_max * 1000 < 2000 ? "met" : "not met");
  }
  else {
    review_row(o, "p95 claim lifecycle latency", "< 2000ms", NOCLAIMS,
               "not measured");
  }
  if(a->have_cb) {
    double r = a->cb_weighted / a->cb_weight;
    snprintf(b2, sizeof(b2), "%s (lowest window %s)",
             fmt_pct(r, b1, sizeof(b1)), fmt_pct(a->cb_min, t1, sizeof(t1)));
    review_row(o, "Callback success rate", "> 99.5%", b2,
               r * 100 > 99.5 ? "met" : "not met");
  }
  else {
    review_row(o, "Callback success rate", "> 99.5%", NOCLAIMS, "not measured");
  }
}

/* The 7.1 rows of operations: rollbacks and incidents. */
static void review_operations(out_t *o, const agg *a)
{
  char b1[128], b2[400];
  if(a->have_rollbacks)
    review_row(o, "Rollbacks initiated", "0",
               fmt_num(a->rollbacks, b1, sizeof(b1)),
               a->rollbacks == 0 ? "met" : "not met");
  else
    review_row(o, "Rollbacks initiated", "0", "not measured", "not measured");
  if(a->have_incidents) {
    review_row(o, "Incidents (S1/S2)", "0",
               fmt_num(a->incidents_s1s2, b1, sizeof(b1)),
               a->incidents_s1s2 == 0 ? "met" : "not met");
  }
  else {
    snprintf(b2, sizeof(b2), "not measured (%zu critical stretches below)",
             a->ninc + a->inc_dropped);
    review_row(o, "Incidents (S1/S2)", "0", b2, "not measured");
  }
}

/* The incidents for 7.2: every stretch of critical results. */
static void review_incidents(out_t *o, const agg *a)
{
  char t1[40], t2[40], d[40];
  heading(o, "Incidents: stretches of critical results (for table 7.2)");
  if(!a->ninc) {
    outf(o, o->html ? "<p>None.</p>\n" : "None.\n");
    return;
  }
  if(!o->html)
    outf(o, "\n");
  static const char *const ih[7] = {"#",   "Check",    "Target", "Start",
                                    "End", "Duration", "Summary"};
  open_table(o);
  row(o, 1, 7, ih);
  for(size_t i = 0; i < a->ninc; i++) {
    const agg_incident *in = &a->inc[i];
    const agg_key *k = &a->keys[in->key];
    char num[32], endb[64];
    snprintf(num, sizeof(num), "%zu", i + 1);
    fmt_time(in->end, t2, sizeof(t2));
    snprintf(endb, sizeof(endb), in->ongoing ? "ongoing (last seen %s)" : "%s",
             t2);
    const char *c[7] = {num,        k->check,
                        k->target,  fmt_time(in->start, t1, sizeof(t1)),
                        endb,       fmt_dur(in->end - in->start, d, sizeof(d)),
                        in->summary};
    row(o, 0, 7, c);
  }
  close_table(o);
  if(a->inc_dropped)
    outf(o,
         o->html ? "<p>and %zu more not listed</p>\n"
                 : "and %zu more not listed\n",
         a->inc_dropped);
}

/* The checklist's 7.1 table, then the incidents for 7.2. */
static void review(out_t *o, const agg *a)
{
  char b1[128];
  static const char *const hdr[4] = {"Metric", "Target", "Actual", "Status"};
  heading(o, "Post-launch review: metrics summary (checklist 7.1)");
  range_line(o, a);
  if(!o->html)
    outf(o, "\n");
  open_table(o);
  row(o, 1, 4, hdr);
  review_claims(o, a);
  if(a->dead_lines)
    review_row(o, "Dead letters generated", "0",
               fmt_num(a->dead_new, b1, sizeof(b1)),
               a->dead_new == 0 ? "met" : "not met");
  else
    review_row(o, "Dead letters generated", "0",
               "not measured (no deadletter.count lines)", "not measured");
  review_row(o, "5xx errors (total)", "0", NOT_5XX, "not measured");
  review_latency(o, a);
  review_operations(o, a);
  close_table(o);
  review_incidents(o, a);
}

/* ---- HTML charts ---------------------------------------------------------- */

#define CW 800.0
#define CH 200.0
#define PX0 72.0
#define PX1 792.0
#define PY0 12.0
#define PY1 176.0

/* The value a chart shows for a bucket: its largest, or its mean. */
/* The buckets the charts span: all of a range asked for, else from the
 * first to the last bucket with data (an open range's axis is wider). */
static size_t v_lo, v_hi;

static void set_view(const agg *a)
{
  v_lo = 0;
  v_hi = AGG_BUCKETS;
  if(a->axis_fixed)
    return;
  size_t lo = AGG_BUCKETS, hi = 0;
  for(size_t i = 0; i < AGG_BUCKETS; i++) {
    int used = 0;
    for(int s = 0; s < SER_N && !used; s++)
      used = a->ser[s][i].n > 0;
    for(size_t k = 0; k < a->nkeys && !used; k++)
      used = a->keys[k].tl[i] > 0;
    if(used) {
      if(i < lo)
        lo = i;
      hi = i + 1;
    }
  }
  if(hi > lo) {
    v_lo = lo;
    v_hi = hi;
  }
}

/* X of bucket position POS (fractional) between X0 and X1. */
static double xpos(double pos, double x0, double x1)
{
  return x0 + (x1 - x0) * (pos - (double)v_lo) / (double)(v_hi - v_lo);
}

static double bval(const agg *a, int s, size_t i, int mean)
{
  const agg_bucket *b = &a->ser[s][i];
  return mean ? b->sum / b->n : b->max;
}

/* An SVG line chart of up to two series, one polyline each. */
static void chart(out_t *o, const agg *a, const char *id, const char *title,
                  const char *unit, const int *ser, const char *const *names,
                  size_t nser, int mean, double scale)
{
  char t1[40], t2[40];
  double ymax = 0;
  size_t pts = 0;
  for(size_t s = 0; s < nser; s++)
    for(size_t i = 0; i < AGG_BUCKETS; i++)
      if(a->ser[ser[s]][i].n) {
        pts++;
        double v = bval(a, ser[s], i, mean) * scale;
        if(v > ymax)
          ymax = v;
      }
  if(ymax <= 0)
    ymax = 1;
  outf(
      o,
      "<section><h3>%s</h3>\n<svg id=\"%s\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
      "aria-label=\"%s\" xmlns=\"http://www.w3.org/2000/svg\">\n",
      title, id, CW, CH, title);
  outf(o,
       "<line class=\"ax\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
       "<line class=\"ax\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n",
       PX0, PY1, PX1, PY1, PX0, PY0, PX0, PY1);
  outf(
      o,
      "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.6g</text>"
      "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">0</text><text x=\"%.0f\" y=\"%.0f\" "
      "text-anchor=\"end\">%s</text>\n",
      PX0 - 4, PY0 + 8, ymax, PX0 - 4, PY1, PX0 - 4, (PY0 + PY1) / 2, unit);
  outf(
      o,
      "<text x=\"%.0f\" y=\"%.0f\">%s</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>\n",
      PX0, CH - 6, fmt_time(agg_bucket_time(a, v_lo), t1, sizeof(t1)), PX1,
      CH - 6, fmt_time(agg_bucket_time(a, v_hi), t2, sizeof(t2)));
  if(!pts)
    outf(
        o,
        "<text class=\"none\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">no lines in the range</text>\n",
        (PX0 + PX1) / 2, (PY0 + PY1) / 2);
  for(size_t s = 0; s < nser && pts; s++) {
    outf(o, "<polyline class=\"s%zu\" data-series=\"%s\" points=\"", s,
         names[s]);
    int first = 1;
    for(size_t i = 0; i < AGG_BUCKETS; i++) {
      if(!a->ser[ser[s]][i].n)
        continue;
      double x = xpos((double)i + 0.5, PX0, PX1);
      double y = PY1 - (PY1 - PY0) * bval(a, ser[s], i, mean) * scale / ymax;
      outf(o, "%s%.1f,%.1f", first ? "" : " ", x, y);
      first = 0;
    }
    outf(o, "\"/>\n");
  }
  outf(o, "</svg>\n");
  if(nser > 1) {
    outf(o, "<p class=\"legend\">");
    for(size_t s = 0; s < nser; s++)
      outf(o, "<span class=\"k%zu\">&#9632;</span> %s ", s, names[s]);
    outf(o, "</p>\n");
  }
  outf(o, "</section>\n");
}

/* The status timeline: one row per check, a rect per run of equal status. */
static void timeline(out_t *o, const agg *a)
{
  double lx = 300, rh = 20;
  double h = rh * (double)a->nkeys + 28;
  char t1[40], t2[40];
  outf(
      o,
      "<section><h3>Status of every check</h3>\n<svg id=\"timeline\" viewBox=\"0 0 %.0f %.0f\" "
      "role=\"img\" aria-label=\"status timeline\" xmlns=\"http://www.w3.org/2000/svg\">\n",
      CW, h);
  for(size_t k = 0; k < a->nkeys; k++) {
    const agg_key *key = &a->keys[k];
    double y = rh * (double)k;
    outf(o, "<text x=\"0\" y=\"%.0f\">", y + 15);
    char label[96];
    snprintf(label, sizeof(label), "%.34s%s%.*s", key->check,
             key->target[0] ? " " : "",
             (int)(strlen(key->check) < 34 ? 34 - strlen(key->check) : 0),
             key->target);
    outs(o, label, 0);
    outf(o, "</text>\n");
    size_t i = 0;
    while(i < AGG_BUCKETS) {
      unsigned char v = key->tl[i];
      size_t j = i + 1;
      while(j < AGG_BUCKETS && key->tl[j] == v)
        j++;
      if(v) { /* a bucket holds its worst rank + 1, 0 when empty */
        const char *cls = status_rank_name(v - 1);
        double x0 = xpos((double)i, lx, PX1);
        double x1 = xpos((double)j, lx, PX1);
        outf(
            o,
            "<rect class=\"%s\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\">"
            "<title>%s from %s</title></rect>\n",
            cls, x0, y + 2, x1 - x0, rh - 4, cls,
            fmt_time(agg_bucket_time(a, i), t1, sizeof(t1)));
      }
      i = j;
    }
  }
  outf(
      o,
      "<text x=\"%.0f\" y=\"%.0f\">%s</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>\n",
      lx, h - 8, fmt_time(agg_bucket_time(a, v_lo), t1, sizeof(t1)), PX1, h - 8,
      fmt_time(agg_bucket_time(a, v_hi), t2, sizeof(t2)));
  outf(
      o,
      "</svg>\n<p class=\"legend\"><span class=\"cok\">&#9632;</span> ok "
      "<span class=\"cwarning\">&#9632;</span> warning <span class=\"cunknown\">&#9632;</span> unknown "
      "<span class=\"ccritical\">&#9632;</span> critical</p></section>\n");
}

/* Every chart of the page (SPEC section 8), then the timeline. */
static void charts(out_t *o, const agg *a)
{
  static const int dead[] = {SER_DEAD}, queue[] = {SER_QDEPTH, SER_QFAIL},
                   p95[] = {SER_P95}, anchor[] = {SER_ANCHOR},
                   ledger[] = {SER_LEDGER};
  static const char *const ndead[] = {"dead letters"},
                           *const nqueue[] = {"depth", "failed in window"},
                           *const np95[] = {"p95 lifecycle"},
                           *const nanchor[] = {"confirmation latency"},
                           *const nledger[] = {"events per minute"};
  set_view(a);
  outf(o, "<h2>Over the range</h2>\n");
  chart(o, a, "chart-dead", "Dead letters (deadletter.count)", "count", dead,
        ndead, 1, 0, 1);
  chart(o, a, "chart-queue", "Queue depth and failures (pgqueue.health)",
        "jobs", queue, nqueue, 2, 0, 1);
  chart(o, a, "chart-p95", "p95 claim lifecycle latency (claims.lifecycle)",
        "ms", p95, np95, 1, 0, 1000);
  chart(o, a, "chart-anchor", "Anchor confirmation latency (anchor.confirm)",
        "s", anchor, nanchor, 1, 0, 1);
  chart(o, a, "chart-ledger", "Ledger events per minute (ledger.chain)", "/min",
        ledger, nledger, 1, 1, 1);
  timeline(o, a);
}

static const char css[] =
    "body{font-family:system-ui,sans-serif;max-width:62em;margin:0 auto;padding:0.5em;color:#111}"
    "h1{font-size:1.4em}h2{font-size:1.2em;margin-top:1.2em}h3{font-size:1em;margin:0.8em 0 0.2em}"
    ".wrap{overflow-x:auto}table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #999;padding:0.2em 0.4em;text-align:left;vertical-align:top}"
    ""
    "svg{width:100%;height:auto;display:block;font-size:14px}"
    "text{fill:#333}.ax{stroke:#555;stroke-width:1}polyline{fill:none;stroke-width:1.5}"
    ".s0{stroke:#1565c0}.s1{stroke:#c62828}.k0{color:#1565c0}.k1{color:#c62828}"
    "rect.ok{fill:#2e7d32}rect.warning{fill:#f9a825}rect.unknown{fill:#6a1b9a}rect.critical{fill:#c62828}"
    ".cok{color:#2e7d32}.cwarning{color:#f9a825}.cunknown{color:#6a1b9a}.ccritical{color:#c62828}"
    ".legend{margin:0.2em 0;font-size:0.9em}footer{margin-top:1.5em;font-size:0.85em;color:#444}"
    "@media print{body{max-width:none}section{break-inside:avoid}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}"
    "@media (max-width:40em){body{font-size:14px}th,td{overflow-wrap:anywhere;padding:0.1em 0.2em}"
    "svg{font-size:24px}#timeline{font-size:16px}}";

/* What was read and what was skipped, so nothing is left out silently. */
static void counts(out_t *o, const agg *a)
{
  outf(o, o->html ? "<footer>" : "\n");
  outf(o, "Read %llu lines: %llu agent lines in the range", a->lines,
       a->in_range);
  if(a->out_of_range)
    outf(o, ", %llu outside it", a->out_of_range);
  if(a->label_mismatch)
    outf(o, ", %llu with other labels", a->label_mismatch);
  if(a->not_agent)
    outf(o, ", %llu not the agent's (skipped)", a->not_agent);
  if(a->bad_utf8)
    outf(o, ", %llu not valid UTF-8 (skipped)", a->bad_utf8);
  if(a->too_long)
    outf(o, ", %llu longer than %d bytes (skipped)", a->too_long, RL_MAX_LINE);
  outf(o, ".");
  if(a->keys_dropped)
    outf(o, " More than %d checks: %zu lines of further checks not kept.",
         AGG_MAX_KEYS, a->keys_dropped);
  outf(o, o->html ? "</footer>\n" : "\n");
}

/* The whole report, text or page. */
static void render(out_t *o, const agg *a, int is_daily)
{
  if(o->html) {
    outf(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>probe-report: %s</title><style>%s</style></head><body>\n"
        "<h1>probe-report: %s</h1>\n",
        is_daily ? "daily status check" : "post-launch review", css,
        is_daily ? "daily status check" : "post-launch review");
  }
  if(is_daily)
    daily(o, a);
  else
    review(o, a);
  if(o->html)
    charts(o, a);
  counts(o, a);
  if(o->html)
    outf(o, "</body></html>\n");
}

/* ---- input ---------------------------------------------------------------- */

typedef struct {
  const char *path;
  double first;
  size_t order;
} input;

/* The time of the first agent line of PATH (NAN when none or unreadable),
 * to read a rotated set oldest first whatever order it is named in. */
static double first_time(const char *path)
{
  rl_reader *r = rl_open(path);
  if(!r)
    return NAN;
  double t = NAN;
  const char *l;
  size_t n;
  int rc;
  for(int i = 0; i < 1000 && (rc = rl_next(r, &l, &n)) > 0; i++) {
    rl_record rec;
    if(rc == RL_LINE && rl_parse(l, n, &rec) == RP_OK) {
      t = rec.ts;
      rl_record_free(&rec);
      break;
    }
  }
  rl_close(r);
  return t;
}

/* Oldest first; inputs without an agent line last, in the order given. */
static int input_cmp(const void *x, const void *y)
{
  const input *p = x, *q = y;
  int pn = isnan(p->first), qn = isnan(q->first);
  if(pn != qn)
    return pn - qn;
  if(!pn && p->first != q->first)
    return p->first < q->first ? -1 : 1;
  return p->order < q->order ? -1 : p->order > q->order;
}

/* The -o file, opened without following a link (a report written as root
 * into a shared directory must not clobber what a planted link names). */
static FILE *open_output(const char *path)
{
  int fd =
      open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if(fd < 0)
    return NULL;
  FILE *f = fdopen(fd, "w");
  if(!f)
    close(fd);
  return f;
}

/* Reads one input into A; 0, EX_PARTIAL, or EX_NOINPUT_. */
static int read_input(agg *a, const char *path)
{
  rl_reader *r = rl_open(path);
  if(!r) {
    fprintf(stderr, "probe-report: cannot open %s: %s\n", path,
            strerror(errno));
    return EX_NOINPUT_;
  }
  const char *l;
  size_t n;
  int rc;
  while((rc = rl_next(r, &l, &n)) > 0) {
    if(rc == RL_LONG)
      agg_too_long(a);
    else
      agg_line(a, l, n);
  }
  int ret = 0;
  if(rc == RL_ERR) {
    fprintf(stderr,
            "probe-report: %s: %s; the report covers the lines before it\n",
            strcmp(path, "-") ? path : "standard input", rl_error(r));
    ret = EX_PARTIAL;
  }
  rl_close(r);
  return ret;
}

/* The command line. */
typedef struct {
  const char *since, *until, *output;
  const char **labels;
  size_t nlabels;
  int html, done;
} cmdline;

static const struct option longopts[] = {
    {"since", required_argument, NULL, 'S'},
    {"until", required_argument, NULL, 'U'},
    {"label", required_argument, NULL, 'l'},
    {"html", no_argument, NULL, 'H'},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

/* Reads the options; 0, or an exit status. */
static int parse_opts(int argc, char **argv, const char *optstring, cmdline *cl)
{
  int c;
  while((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
    switch(c) {
    case 'S': cl->since = optarg; break;
    case 'U': cl->until = optarg; break;
    case 'H': cl->html = 1; break;
    case 'o': cl->output = optarg; break;
    case 'l': {
      const char **n = realloc(cl->labels, (cl->nlabels + 1) * sizeof(*n));
      if(!n)
        return EX_SOFTWARE_;
      cl->labels = n;
      cl->labels[cl->nlabels++] = optarg;
      break;
    }
    case 'h':
      usage(stdout);
      cl->done = 1;
      return 0;
    case 'V':
      printf("probe-report %s\n", PACKAGE_VERSION);
      cl->done = 1;
      return 0;
    default: usage(stderr); return EX_USAGE_;
    }
  }
  return 0;
}

/* Reads the n input files (none: stdin), the one whose first line is
 * oldest first. 0 or the last failing reader's code; *stop set when the
 * report must not be written (a file could not be opened, no memory). */
static int read_inputs(agg *a, char **paths, size_t n, int *stop)
{
  int ret = 0;
  *stop = 0;
  if(n == 0)
    return read_input(a, "-");
  input *in = calloc(n, sizeof(*in));
  if(!in) {
    *stop = 1;
    return EX_SOFTWARE_;
  }
  for(size_t i = 0; i < n; i++) {
    in[i].path = paths[i];
    in[i].order = i;
    in[i].first = strcmp(in[i].path, "-") ? first_time(in[i].path) : NAN;
  }
  if(n > 1)
    qsort(in, n, sizeof(*in), input_cmp);
  for(size_t i = 0; i < n; i++) {
    int r = read_input(a, in[i].path);
    if(r == EX_NOINPUT_) {
      ret = r;
      *stop = 1;
      break;
    }
    if(r)
      ret = r;
  }
  free(in);
  return ret;
}

/* One of --since/--until (NULL: not given) into *out; 0, or -1 after
 * saying why it is refused. */
static int when_option(const char *opt, const char *s, double now, double *out)
{
  if(!s)
    return 0;
  int rc = parse_when(s, now, out);
  if(rc == -2)
    fprintf(stderr,
            "probe-report: %s %s: longer ago than the limit, 365250d "
            "(1000 years)\n",
            opt, s);
  else if(rc < 0)
    fprintf(stderr,
            "probe-report: %s %s: not a time (RFC 3339) or a duration (24h)\n",
            opt, s);
  return rc < 0 ? -1 : 0;
}

/* The report's range from --since and --until (NAN: open; daily: the
 * last 24 hours by default). 0, or EX_USAGE_ after saying why. */
static int time_range(const char *since_s, const char *until_s, int is_daily,
                      double *since, double *until)
{
  /* now with its fraction: lines written this second are before it */
  struct timespec tsnow;
  clock_gettime(CLOCK_REALTIME, &tsnow);
  double now = (double)tsnow.tv_sec + tsnow.tv_nsec / 1e9;
  *since = *until = NAN;
  if(when_option("--since", since_s, now, since) < 0 ||
     when_option("--until", until_s, now, until) < 0)
    return EX_USAGE_;
  if(is_daily) {
    if(isnan(*until))
      *until = now;
    if(isnan(*since))
      *since = *until - 86400;
  }
  if(!isnan(*since) && !isnan(*until) && *until <= *since) {
    fprintf(
        stderr,
        "probe-report: the range is empty (--until is not after --since)\n");
    return EX_USAGE_;
  }
  return 0;
}

int main(int argc, char **argv)
{
  cmdline cl = {0};
  int ret = EX_REPORT;
  agg *a = NULL;
  FILE *f = NULL;
  /* first the command (options may come before it), then every option
   * wherever it is, the operands being the files */
  if((ret = parse_opts(argc, argv, "+o:hV", &cl)) || cl.done)
    goto out;
  if(optind >= argc ||
     (strcmp(argv[optind], "daily") && strcmp(argv[optind], "review"))) {
    fprintf(stderr, "probe-report: say daily or review (see --help)\n");
    ret = EX_USAGE_;
    goto out;
  }
  int is_daily = !strcmp(argv[optind], "daily");
  memmove(&argv[optind], &argv[optind + 1],
          (size_t)(argc - optind) * sizeof(*argv));
  argc--;
  free(cl.labels);
  memset(&cl, 0, sizeof(cl));
  optind = 0;
  if((ret = parse_opts(argc, argv, "o:hV", &cl)) || cl.done)
    goto out;
  const char *since_s = cl.since, *until_s = cl.until, *outpath = cl.output;
  const char **labels = cl.labels;
  size_t nlabels = cl.nlabels;
  int html = cl.html;
  double since, until;
  if((ret = time_range(since_s, until_s, is_daily, &since, &until)))
    goto out;
  a = agg_new(since, until);
  if(!a) {
    ret = EX_SOFTWARE_;
    goto out;
  }
  for(size_t i = 0; i < nlabels; i++) {
    if(agg_add_label(a, labels[i])) {
      fprintf(stderr, "probe-report: --label %s: expected KEY=VALUE\n",
              labels[i]);
      ret = EX_USAGE_;
      goto out;
    }
  }
  int stop;
  ret = read_inputs(a, argv + optind, (size_t)(argc - optind), &stop);
  if(stop)
    goto out;
  agg_finish(a);
  if(!a->in_range) {
    char t1[40], t2[40];
    fprintf(
        stderr,
        "probe-report: no agent line in the range (%s to %s): %llu lines read, "
        "%llu outside the range, %llu with other labels, %llu not the agent's\n",
        isnan(since) ? "the first line" : fmt_time(since, t1, sizeof(t1)),
        isnan(until) ? "the last" : fmt_time(until, t2, sizeof(t2)), a->lines,
        a->out_of_range, a->label_mismatch,
        a->not_agent + a->bad_utf8 + a->too_long);
    ret = EX_EMPTY;
    goto out;
  }
  f = outpath ? open_output(outpath) : stdout;
  if(!f) {
    fprintf(stderr, "probe-report: cannot write %s: %s\n", outpath,
            strerror(errno));
    ret = EX_IOERR_;
    goto out;
  }
  out_t o = {f, html};
  render(&o, a, is_daily);
  if(fflush(f) || ferror(f)) {
    fprintf(stderr, "probe-report: cannot write %s: %s\n",
            outpath ? outpath : "the report", strerror(errno));
    ret = EX_IOERR_;
  }
out:
  if(f && f != stdout && fclose(f) && ret == EX_REPORT) {
    fprintf(stderr, "probe-report: cannot write %s: %s\n", outpath,
            strerror(errno));
    ret = EX_IOERR_;
  }
  free(cl.labels);
  agg_free(a);
  return ret;
}
