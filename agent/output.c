/* SPDX-License-Identifier: Apache-2.0 */
/*
 * output.c: writing result lines (see output.h). A line that cannot be
 * written is counted, said once on standard error per failing streak, and
 * reported as an unknown line once writing works again, so a lost line is
 * never silence; the text format escapes what a terminal would obey.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/utf8.h"
#include "lib/fileio.h"
#include "lib/redact.h"
#include "lib/status.h"
#include "output.h"
#include "util.h"
#include "wire.h"

static const char *const level_names[] = {"info", "warn", "error", "error"};

/* The ranking is lib/status.c's, the one probe-report and the kit use. */
probe_status output_worse(probe_status a, probe_status b)
{
  return (probe_status)status_worse((int)a, (int)b);
}

static int open_path(const char *path, output_format format, char *err,
                     size_t errlen)
{
  if(!path || !strcmp(path, "-"))
    return dup(STDOUT_FILENO);
  if(format == FORMAT_OPENMETRICS)
    return -2; /* written whole at the end: a temporary file, renamed */
  /* O_NONBLOCK: a FIFO without a reader fails at once (ENXIO) instead of
   * blocking the agent before its first run; writes block again after */
  int fd =
      open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640);
  if(fd < 0) {
    snprintf(err, errlen, "cannot open output file %s: %s", path,
             errno == ENXIO ? "a FIFO that nobody reads" : strerror(errno));
    return -1;
  }
  int fl = fcntl(fd, F_GETFL);
  if(fl >= 0)
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

/* 1 when standard output is the stream $JOURNAL_STREAM names
 * ("st_dev:st_ino", systemd.exec(5)): a child's inherited variable with
 * another standard output must not make prefixes appear in a file. */
static int stdout_is_journal(void)
{
  const char *v = getenv("JOURNAL_STREAM");
  unsigned long long dev, ino;
  char tail;
  struct stat st;
  if(!v || sscanf(v, "%llu:%llu%c", &dev, &ino, &tail) != 2)
    return 0;
  if(fstat(STDOUT_FILENO, &st) < 0)
    return 0;
  return (unsigned long long)st.st_dev == dev &&
         (unsigned long long)st.st_ino == ino;
}

int output_open(output *o, const char *path, output_format format,
                const char *host, const cJSON *labels, char *err, size_t errlen)
{
  memset(o, 0, sizeof(*o));
  o->fd = open_path(path, format, err, errlen);
  if(o->fd == -1)
    return -1;
  o->path = path && strcmp(path, "-") ? strdup(path) : NULL;
  o->color = !o->path && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
  o->journal = !o->path && stdout_is_journal();
  output_configure(o, format, host, labels);
  return 0;
}

int output_reopen(output *o, char *err, size_t errlen)
{
  if(!o->path || o->fd < 0)
    return 0;
  int fd = open_path(o->path, o->format, err, errlen);
  if(fd < 0)
    return -1;
  close(o->fd);
  o->fd = fd;
  return 0;
}

void output_configure(output *o, output_format format, const char *host,
                      const cJSON *labels)
{
  o->format = format;
  free(o->host);
  o->host = strdup(host ? host : "");
  cJSON_Delete(o->labels);
  o->labels = labels ? cJSON_Duplicate(labels, 1) : cJSON_CreateObject();
}

void output_close(output *o)
{
  if(o->fd >= 0)
    close(o->fd);
  free(o->path);
  free(o->host);
  cJSON_Delete(o->labels);
  cJSON_Delete(o->collected);
  cJSON_Delete(o->latest);
  o->latest = NULL;
  o->fd = -1;
  o->path = NULL;
  o->host = NULL;
  o->labels = NULL;
  o->collected = NULL;
}

/* Escapes so that the text is one inert line on a terminal: C0 controls,
 * DEL, C1 controls (U+0080..U+009F) and bytes that are not UTF-8 become
 * \n, \r, \t, \\ or \xHH / \u00HH; everything else is copied. */
int output_escape(dbuf *b, const char *s, size_t n)
{
  const unsigned char *u = (const unsigned char *)s;
  for(size_t i = 0; i < n;) {
    unsigned char c = u[i];
    size_t len = utf8_seq_len(s + i, n - i);
    int rc;
    if(c == '\n')
      rc = dbuf_addstr(b, "\\n");
    else if(c == '\r')
      rc = dbuf_addstr(b, "\\r");
    else if(c == '\t')
      rc = dbuf_addstr(b, "\\t");
    else if(c == '\\')
      rc = dbuf_addstr(b, "\\\\");
    else if(c < 0x20 || c == 0x7f || len == 0)
      rc = dbuf_printf(b, "\\x%02x", c);
    else if(len == 2 && c == 0xc2 && u[i + 1] < 0xa0)
      rc = dbuf_printf(b, "\\u%04x", u[i + 1]);
    else
      rc = dbuf_add(b, s + i, len);
    if(rc < 0)
      return -1;
    i += len ? len : 1;
  }
  return 0;
}

/* sd-daemon(3) priorities: ok info, warning warning, critical and unknown
 * err, so that journalctl -p warning finds the warnings and worse. */
static const char *const journal_prefix[] = {"<6>", "<4>", "<3>", "<3>"};

/* The statuses as the text and Nagios formats spell them. */
static const char *const status_upper[] = {"OK", "WARNING", "CRITICAL",
                                           "UNKNOWN"};

/* One human line: time, status, check, target, summary, duration. */
static int write_text(output *o, const char *ts, const char *check,
                      const char *target, int status, const char *summary,
                      double ms)
{
  static const char *const colors[] = {"\033[32m", "\033[33m", "\033[31m",
                                       "\033[35m"};
  dbuf b;
  dbuf_init(&b, 0);
  if(o->journal)
    dbuf_addstr(&b, journal_prefix[status]);
  dbuf_printf(&b, "%s %s%-8s%s ", ts, o->color ? colors[status] : "",
              status_upper[status], o->color ? "\033[0m" : "");
  size_t at = b.len;
  output_escape(&b, check, strlen(check));
  while(b.len < at + 18 && dbuf_addc(&b, ' ') == 0) /* as %-18s did */
    ;
  dbuf_addstr(&b, " ");
  output_escape(&b, target, strlen(target));
  dbuf_addstr(&b, *target ? ": " : "");
  output_escape(&b, summary, strlen(summary));
  int rc = dbuf_printf(&b, " (%.1f ms)\n", ms);
  rc = rc == 0 && b.data ? fileio_write_all(o->fd, b.data, b.len) : -1;
  dbuf_free(&b);
  return rc;
}

/* The most distinct results agent.metrics_listen keeps (memory bound). */
#define LATEST_MAX 10000

void output_keep_latest(output *o, int on)
{
  if(on && !o->latest)
    o->latest = cJSON_CreateObject();
  else if(!on) {
    cJSON_Delete(o->latest);
    o->latest = NULL;
  }
}

/* Adds a copy of src (an empty object when NULL) to obj as key. */
static int add_copy(cJSON *obj, const char *key, const cJSON *src)
{
  cJSON *c = src ? cJSON_Duplicate(src, 1) : cJSON_CreateObject();
  if(c && cJSON_AddItemToObject(obj, key, c))
    return 1;
  cJSON_Delete(c);
  return 0;
}

/* One result as collect() and the /metrics store keep it. */
static cJSON *result_obj(const char *plugin, const char *check,
                         const char *target, int status, const char *summary,
                         double ms, const cJSON *metrics,
                         const cJSON *thresholds)
{
  cJSON *r = cJSON_CreateObject();
  /* whole or not at all (see json_line) */
  if(r && cJSON_AddStringToObject(r, "plugin", plugin) &&
     cJSON_AddStringToObject(r, "check", check) &&
     cJSON_AddStringToObject(r, "target", target) &&
     cJSON_AddNumberToObject(r, "status", status) &&
     cJSON_AddStringToObject(r, "summary", summary) &&
     cJSON_AddNumberToObject(r, "duration_ms", ms) &&
     cJSON_AddNumberToObject(r, "ts", (double)time(NULL)) &&
     add_copy(r, "metrics", metrics) &&
     (!cJSON_IsObject(thresholds) || add_copy(r, "thresholds", thresholds)))
    return r;
  cJSON_Delete(r);
  return NULL;
}

/* agent.metrics_listen: replaces the latest result of the same plugin,
 * check and target (a new key past LATEST_MAX is dropped). */
static void keep_latest(output *o, const char *plugin, const char *check,
                        const char *target, int status, const char *summary,
                        double ms, const cJSON *metrics)
{
  dbuf key;
  dbuf_init(&key, 0);
  dbuf_printf(&key, "%s\x1f%s\x1f%s", plugin, check, target);
  if(!key.data)
    return;
  int have = cJSON_GetObjectItemCaseSensitive(o->latest, key.data) != NULL;
  if(have || cJSON_GetArraySize(o->latest) < LATEST_MAX) {
    cJSON *r =
        result_obj(plugin, check, target, status, summary, ms, metrics, NULL);
    if(r && have)
      cJSON_ReplaceItemInObjectCaseSensitive(o->latest, key.data, r);
    else if(r)
      cJSON_AddItemToObject(o->latest, key.data, r);
  }
  dbuf_free(&key);
}

/* nagios/openmetrics: keeps one result (target already redacted) for
 * output_finish. */
static int collect(output *o, const char *plugin, const char *check,
                   const char *target, int status, const char *summary,
                   double ms, const cJSON *metrics, const cJSON *thresholds)
{
  if(!o->collected && !(o->collected = cJSON_CreateArray()))
    return -1;
  cJSON *r = result_obj(plugin, check, target, status, summary, ms, metrics,
                        thresholds);
  if(!r)
    return -1;
  cJSON_AddItemToArray(o->collected, r);
  return 0;
}

/* The JSON line's object, or NULL when out of memory: whole or not at
 * all, since a line without its status or check would be read as another
 * line. */
static cJSON *json_line(const output *o, const char *ts, const char *plugin,
                        const char *check, const char *target, int status,
                        const char *summary, double ms, const cJSON *metrics,
                        const cJSON *details)
{
  cJSON *line = cJSON_CreateObject();
  if(line && cJSON_AddStringToObject(line, "ts", ts) &&
     cJSON_AddStringToObject(line, "host", o->host ? o->host : "") &&
     cJSON_AddStringToObject(line, "agent_version", PACKAGE_VERSION) &&
     cJSON_AddStringToObject(line, "plugin", plugin) &&
     cJSON_AddStringToObject(line, "check", check) &&
     cJSON_AddStringToObject(line, "target", target) &&
     cJSON_AddStringToObject(line, "status",
                             wire_status_name((probe_status)status)) &&
     cJSON_AddStringToObject(line, "level", level_names[status]) &&
     cJSON_AddStringToObject(line, "summary", summary) &&
     cJSON_AddNumberToObject(line, "duration_ms", util_round_us(ms)) &&
     add_copy(line, "metrics", metrics) && add_copy(line, "details", details) &&
     add_copy(line, "labels", o->labels))
    return line;
  cJSON_Delete(line);
  return NULL;
}

/* Builds and writes the final line. */
static int build_line(output *o, const char *plugin, const char *check,
                      const char *target_raw, int status, const char *summary,
                      double ms, const cJSON *metrics, const cJSON *details,
                      const cJSON *thresholds)
{
  char ts[40];
  util_timestamp(ts, sizeof(ts));
  char *target = redact_target(target_raw ? target_raw : "");
  int rc = -1;
  if(!target)
    return -1;
  if(o->latest)
    keep_latest(o, plugin, check, target, status, summary, ms, metrics);
  if(o->format == FORMAT_TEXT) {
    rc = write_text(o, ts, check, target, status, summary, ms);
    free(target);
    return rc;
  }
  if(o->format == FORMAT_NAGIOS || o->format == FORMAT_OPENMETRICS) {
    rc = collect(o, plugin, check, target, status, summary, ms, metrics,
                 thresholds);
    free(target);
    return rc;
  }
  cJSON *line = json_line(o, ts, plugin, check, target, status, summary, ms,
                          metrics, details);
  free(target);
  char *text = line ? cJSON_PrintUnformatted(line) : NULL;
  cJSON_Delete(line);
  if(!text)
    return -1;
  dbuf b;
  dbuf_init(&b, 0);
  if((o->journal && dbuf_addstr(&b, journal_prefix[status]) < 0) ||
     dbuf_addstr(&b, text) < 0 || dbuf_addstr(&b, "\n") < 0) {
    /* a part lost: so is the line, rather than written cut */
    free(text);
    dbuf_free(&b);
    return -1;
  }
  free(text);
  rc = fileio_write_all(o->fd, b.data, b.len);
  dbuf_free(&b);
  return rc;
}

/* Writes one line and keeps the books on lines lost: the first failure of
 * a streak is said on standard error, and the first line written after it
 * is followed by an unknown line that counts what was lost. */
static int write_line(output *o, const char *plugin, const char *check,
                      const char *target_raw, int status, const char *summary,
                      double ms, const cJSON *metrics, const cJSON *details,
                      const cJSON *thresholds)
{
  errno = 0;
  int rc = build_line(o, plugin, check, target_raw, status, summary, ms,
                      metrics, details, thresholds);
  if(rc < 0) {
    int e = errno ? errno : ENOMEM;
    o->lost++;
    o->lost_total++;
    o->lost_worst = output_worse(o->lost_worst, (probe_status)status);
    if(e == EPIPE)
      o->broken = 1;
    if(!o->failing)
      fprintf(stderr,
              "probe-agent: cannot write result lines to %s: %s; "
              "lines are lost until writing works again\n",
              o->path ? o->path : "standard output", strerror(e));
    o->failing = 1;
    return -1;
  }
  if(o->lost) {
    char msg[200];
    snprintf(msg, sizeof(msg), "%lu result line%s could not be written to %s",
             o->lost, o->lost == 1 ? "" : "s",
             o->path ? o->path : "standard output");
    o->failing = 0;
    if(build_line(o, "agent", "agent.output", o->path ? o->path : "-",
                  PROBE_UNKNOWN, msg, 0, NULL, NULL, NULL) == 0) {
      fprintf(stderr, "probe-agent: writing result lines works again; %s\n",
              msg);
      o->lost = 0;
    }
  }
  o->failing = 0;
  return 0;
}

int output_result(output *o, const char *plugin, const cJSON *res)
{
  wire_result w;
  wire_decode_result(res, plugin, &w);
  return write_line(o, plugin, w.check, w.target, (int)w.status, w.summary,
                    w.duration_ms, w.metrics, w.details, w.thresholds);
}

int output_agent_line(output *o, const char *plugin, const char *check,
                      const char *target, probe_status status,
                      double duration_ms, const char *summary)
{
  return write_line(o, plugin, check, target, (int)status, summary, duration_ms,
                    NULL, NULL, NULL);
}

/* The status a collected result holds. */
static probe_status status_of(const cJSON *r)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "status");
  return cJSON_IsNumber(v) && (unsigned)v->valueint < WIRE_NSTATUS
             ? (probe_status)v->valueint
             : PROBE_UNKNOWN;
}

/* The results of a run, worst first (stable: equal ones keep their order):
 * fills idx[0..n) with indices into o->collected. */
static void worst_first(const cJSON *all, int *idx, int n)
{
  for(int i = 0; i < n; i++)
    idx[i] = i;
  for(int i = 1; i < n; i++) {
    int v = idx[i], j = i;
    int rv = status_rank((int)status_of(cJSON_GetArrayItem(all, v)));
    while(j > 0 && status_rank((int)status_of(
                       cJSON_GetArrayItem(all, idx[j - 1]))) < rv) {
      idx[j] = idx[j - 1];
      j--;
    }
    idx[j] = v;
  }
}

static const char *str_of(const cJSON *r, const char *key)
{
  const char *v =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, key));
  return v ? v : "";
}

/* Plugin output text: escaped to one line, and '|' (the perfdata
 * separator of the plugin convention) shown as '/'. */
static void nagios_text(dbuf *b, const char *s)
{
  size_t at = b->len;
  output_escape(b, s, strlen(s));
  for(size_t i = at; b->data && i < b->len; i++)
    if(b->data[i] == '|')
      b->data[i] = '/';
}

/* The unit of measurement the guidelines know, from the name's suffix. */
static const char *uom_of(const char *name)
{
  static const char *const map[][2] = {
      {"_seconds", "s"}, {"_milliseconds", "ms"}, {"_ms", "ms"},
      {"_bytes", "B"},   {"_percent", "%"},       {"_total", "c"}};
  size_t n = strlen(name);
  for(size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
    size_t k = strlen(map[i][0]);
    if(n > k && !strcmp(name + n - k, map[i][0]))
      return map[i][1];
  }
  return "";
}

/* A perfdata label: quoted, with what would end or split it ('=' and the
 * quote itself, controls, '|') as '_'; a label already used (the same
 * check, metric and target twice) gets "#2", "#3"... so none is lost. */
static void nagios_label(dbuf *b, cJSON *used, const char *check,
                         const char *metric, const char *target)
{
  dbuf tmp;
  dbuf_init(&tmp, 0);
  dbuf_printf(&tmp, "%s.%s", check, metric);
  if(target)
    dbuf_printf(&tmp, "[%s]", target);
  for(size_t i = 0; tmp.data && i < tmp.len; i++) {
    unsigned char c = (unsigned char)tmp.data[i];
    if(c < 0x20 || c == 0x7f || c == '=' || c == '\'' || c == '|')
      tmp.data[i] = '_';
  }
  if(tmp.data) {
    cJSON *n = cJSON_GetObjectItemCaseSensitive(used, tmp.data);
    if(n) {
      cJSON_SetNumberValue(n, n->valuedouble + 1);
      dbuf_printf(b, "'%s#%d'", tmp.data, n->valueint);
    }
    else {
      cJSON_AddNumberToObject(used, tmp.data, 1);
      dbuf_printf(b, "'%s'", tmp.data);
    }
  }
  dbuf_free(&tmp);
}

/* One threshold as a range: "w" alerts above w, "w:" below it. */
static void nagios_threshold(dbuf *b, const cJSON *v, int below)
{
  if(cJSON_IsNumber(v) && isfinite(v->valuedouble))
    dbuf_printf(b, "%.15g%s", v->valuedouble, below ? ":" : "");
}

/* Perfdata of one result: each metric with its unit and the thresholds
 * the plugin handed over. */
static void nagios_perfdata(dbuf *b, cJSON *used, const cJSON *r,
                            int with_target)
{
  const cJSON *m;
  const cJSON *th = cJSON_GetObjectItemCaseSensitive(r, "thresholds");
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r, "metrics")) {
    if(!cJSON_IsNumber(m) || !isfinite(m->valuedouble))
      continue;
    dbuf_addstr(b, " ");
    nagios_label(b, used, str_of(r, "check"), m->string,
                 with_target ? str_of(r, "target") : NULL);
    dbuf_printf(b, "=%.15g%s", m->valuedouble, uom_of(m->string));
    const cJSON *pair = cJSON_GetObjectItemCaseSensitive(th, m->string);
    if(cJSON_IsArray(pair) && cJSON_GetArraySize(pair) == 2) {
      const cJSON *w = cJSON_GetArrayItem(pair, 0),
                  *c = cJSON_GetArrayItem(pair, 1);
      int below = cJSON_IsNumber(w) && cJSON_IsNumber(c) &&
                  w->valuedouble > c->valuedouble;
      dbuf_addstr(b, ";");
      nagios_threshold(b, w, below);
      dbuf_addstr(b, ";");
      nagios_threshold(b, c, below);
    }
  }
}

/* 1 when another result has the same check (its perfdata labels then name
 * the target, so that they stay apart). */
static int check_repeats(const cJSON *all, const cJSON *r)
{
  const cJSON *x;
  cJSON_ArrayForEach(x, all)
    if(x != r && !strcmp(str_of(x, "check"), str_of(r, "check")))
      return 1;
  return 0;
}

/* The one line when the results could not all be kept or told: written
 * without allocating, at the worst status among them, so that Nagios
 * never shows an empty output. Returns -1: the output failed. */
static int nagios_lost(output *o)
{
  probe_status worst = output_worse(o->lost_worst, PROBE_UNKNOWN);
  char line[200];
  for(int i = 0; i < cJSON_GetArraySize(o->collected); i++)
    worst = output_worse(worst, status_of(cJSON_GetArrayItem(o->collected, i)));
  int n = snprintf(line, sizeof(line),
                   "PROBE-AGENT %s: out of memory: results lost (%lu) or not "
                   "told; the worst is %s\n",
                   status_upper[worst], o->lost_total, status_upper[worst]);
  (void)fileio_write_all(o->fd, line, (size_t)n);
  return -1;
}

/* The monitoring-plugins text: "PLUGIN STATUS: summary | perfdata" for the
 * worst result, then one long-output line per further result, worst first. */
static int write_nagios(output *o)
{
  const cJSON *all = o->collected;
  int n = cJSON_GetArraySize(all);
  int counts[WIRE_NSTATUS] = {0, 0, 0, 0};
  dbuf b;
  dbuf_init(&b, 0);
  if(o->lost_total)
    return nagios_lost(o);
  if(n == 0) {
    dbuf_addstr(&b, "PROBE-AGENT UNKNOWN: no result\n");
    int rc = b.data ? fileio_write_all(o->fd, b.data, b.len) : -1;
    dbuf_free(&b);
    return rc;
  }
  int *idx = calloc((size_t)n, sizeof(*idx));
  if(!idx)
    return nagios_lost(o);
  worst_first(all, idx, n);
  for(int i = 0; i < n; i++)
    counts[status_of(cJSON_GetArrayItem(all, i))]++;
  for(int i = 0; i < n; i++) {
    const cJSON *r = cJSON_GetArrayItem(all, idx[i]);
    int st = (int)status_of(r);
    const char *target = str_of(r, "target");
    if(i == 0) {
      for(const char *p = str_of(r, "plugin"); *p; p++) {
        char ch = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A')
                  : *p == '-'            ? '_'
                                         : *p;
        dbuf_add(&b, &ch, 1);
      }
      dbuf_printf(&b, " %s: ", status_upper[st]);
    }
    else
      dbuf_printf(&b, "%s: ", status_upper[st]);
    nagios_text(&b, str_of(r, "check"));
    if(*target) {
      dbuf_addstr(&b, " ");
      nagios_text(&b, target);
    }
    dbuf_addstr(&b, ": ");
    nagios_text(&b, str_of(r, "summary"));
    if(i == 0 && n > 1)
      dbuf_printf(&b,
                  " (%d results: %d critical, %d unknown, %d warning, %d ok)",
                  n, counts[PROBE_CRITICAL], counts[PROBE_UNKNOWN],
                  counts[PROBE_WARNING], counts[PROBE_OK]);
    if(i == 0) {
      size_t bar = b.len;
      cJSON *used = cJSON_CreateObject();
      dbuf_addstr(&b, " |");
      for(int j = 0; j < n && used; j++) {
        const cJSON *x = cJSON_GetArrayItem(all, idx[j]);
        nagios_perfdata(&b, used, x, check_repeats(all, x));
      }
      cJSON_Delete(used);
      if(b.len == bar + 2)
        b.len = bar; /* no perfdata: no separator */
    }
    dbuf_addstr(&b, "\n");
  }
  free(idx);
  if(b.nomem || !b.data) {
    dbuf_free(&b);
    return nagios_lost(o);
  }
  int rc = fileio_write_all(o->fd, b.data, b.len);
  dbuf_free(&b);
  return rc;
}

/* An OpenMetrics metric or label name: [a-zA-Z_:][a-zA-Z0-9_:]*, other
 * bytes as '_'. */
static void om_name(dbuf *b, const char *s)
{
  for(size_t i = 0; s[i]; i++) {
    char c = s[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
             (i > 0 && c >= '0' && c <= '9');
    dbuf_add(b, ok ? &c : "_", 1);
  }
}

/* A label value, escaped as OpenMetrics says (\\, \", \n). */
static void om_value(dbuf *b, const char *s)
{
  for(; *s; s++) {
    if(*s == '\\')
      dbuf_addstr(b, "\\\\");
    else if(*s == '"')
      dbuf_addstr(b, "\\\"");
    else if(*s == '\n')
      dbuf_addstr(b, "\\n");
    else
      dbuf_add(b, s, 1);
  }
}

/* {check="..",target="..",<configured labels>}: configured values are
 * redacted like targets; a configured label that would clash with check,
 * target or a reserved __ name is left out. */
static void om_labels(dbuf *b, const output *o, const cJSON *r)
{
  dbuf_addstr(b, "{check=\"");
  om_value(b, str_of(r, "check"));
  dbuf_addstr(b, "\",target=\"");
  om_value(b, str_of(r, "target"));
  dbuf_addstr(b, "\"");
  const cJSON *l;
  cJSON_ArrayForEach(l, o->labels) {
    if(!l->string || !cJSON_IsString(l) || !strcmp(l->string, "check") ||
       !strcmp(l->string, "target") || !strncmp(l->string, "__", 2) ||
       !*l->string)
      continue;
    char *v = redact_target(l->valuestring);
    if(!v)
      continue;
    dbuf_addstr(b, ",");
    om_name(b, l->string);
    dbuf_addstr(b, "=\"");
    om_value(b, v);
    dbuf_addstr(b, "\"");
    free(v);
  }
  dbuf_addstr(b, "}");
}

/* One gauge family: # TYPE, then a sample per result that has it. */
static void om_family(dbuf *b, const output *o, const cJSON *results,
                      const char *family, const char *help, const char *key,
                      const char *plugin)
{
  const cJSON *r;
  dbuf_addstr(b, "# TYPE ");
  om_name(b, family);
  dbuf_addstr(b, " gauge\n");
  if(help) {
    dbuf_addstr(b, "# HELP ");
    om_name(b, family);
    dbuf_addstr(b, " ");
    for(const char *h = help; *h; h++) /* metric names come from plugins */
      dbuf_add(b, (unsigned char)*h < 0x20 || *h == '\\' || *h == '"' ? "_" : h,
               1);
    dbuf_addstr(b, "\n");
  }
  cJSON_ArrayForEach(r, results) {
    double v;
    if(plugin) {
      const cJSON *m = cJSON_GetObjectItemCaseSensitive(
          cJSON_GetObjectItemCaseSensitive(r, "metrics"), key);
      if(strcmp(str_of(r, "plugin"), plugin) || !cJSON_IsNumber(m))
        continue;
      v = m->valuedouble;
    }
    else if(!strcmp(key, "duration_ms"))
      v = cJSON_GetObjectItemCaseSensitive(r, key)->valuedouble / 1000.0;
    else
      v = cJSON_GetObjectItemCaseSensitive(r, key)->valuedouble;
    om_name(b, family);
    om_labels(b, o, r);
    dbuf_printf(b, " %.15g\n", v);
  }
}

/* The OpenMetrics text of what was collected, families kept together. */
int output_openmetrics(const output *o, const cJSON *results, dbuf *b)
{
  const cJSON *r, *m;
  cJSON *seen = cJSON_CreateObject();
  if(!seen)
    return -1;
  om_family(b, o, results, "probe_status",
            "0 ok, 1 warning, 2 critical, 3 unknown", "status", NULL);
  om_family(b, o, results, "probe_last_run_timestamp_seconds",
            "when the result was made", "ts", NULL);
  om_family(b, o, results, "probe_run_duration_seconds",
            "how long the check took", "duration_ms", NULL);
  cJSON_ArrayForEach(r, results) {
    const char *plugin = str_of(r, "plugin");
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r, "metrics")) {
      dbuf fam;
      dbuf_init(&fam, 0);
      dbuf_printf(&fam, "probe_%s_%s", plugin, m->string);
      if(fam.data && !cJSON_GetObjectItemCaseSensitive(seen, fam.data)) {
        char help[200];
        snprintf(help, sizeof(help), "metric %s of the %s plugin's checks",
                 m->string, plugin);
        cJSON_AddTrueToObject(seen, fam.data);
        om_family(b, o, results, fam.data, help, m->string, plugin);
      }
      dbuf_free(&fam);
    }
  }
  cJSON_Delete(seen);
  return dbuf_addstr(b, "# EOF\n");
}

/* Writes text to path through a temporary file in its directory and a
 * rename, so that a reader (node_exporter's textfile collector) never sees
 * half of it. */
static int write_replace(const char *path, const char *text, size_t len)
{
  dbuf tmp;
  dbuf_init(&tmp, 0);
  if(dbuf_printf(&tmp, "%s.tmp.XXXXXX", path) < 0 || !tmp.data)
    return -1;
  int fd = mkostemp(tmp.data, O_CLOEXEC);
  if(fd < 0)
    goto fail;
  if(fchmod(fd, 0644) < 0 || fileio_write_all(fd, text, len) < 0 ||
     fsync(fd) < 0) {
    int e = errno;
    close(fd);
    unlink(tmp.data);
    errno = e;
    goto fail;
  }
  if(close(fd) < 0 || rename(tmp.data, path) < 0) {
    int e = errno;
    unlink(tmp.data);
    errno = e;
    goto fail;
  }
  dbuf_free(&tmp);
  return 0;
fail:
  fprintf(stderr, "probe-agent: cannot write %s: %s\n", path, strerror(errno));
  dbuf_free(&tmp);
  return -1;
}

int output_finish(output *o)
{
  if(o->format == FORMAT_NAGIOS)
    return write_nagios(o);
  if(o->format != FORMAT_OPENMETRICS)
    return 0;
  dbuf b;
  dbuf_init(&b, 0);
  int rc = output_openmetrics(o, o->collected, &b);
  if(rc == 0 && b.data)
    rc = o->fd >= 0 ? fileio_write_all(o->fd, b.data, b.len)
                    : write_replace(o->path, b.data, b.len);
  dbuf_free(&b);
  return rc;
}
