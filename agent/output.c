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
#include <unistd.h>

#include "lib/redact.h"
#include "output.h"
#include "util.h"

static const char *const status_names[] = {"ok", "warning", "critical", "unknown"};
static const char *const level_names[] = {"info", "warn", "error", "error"};

int output_status_from_name(const char *name)
{
  for(int i = 0; i < 4; i++)
    if(name && !strcmp(name, status_names[i]))
      return i;
  return -1;
}

const char *output_status_name(probe_status s)
{
  return (unsigned)s < 4 ? status_names[s] : "unknown";
}

/* Severity rank: ok 0, warning 1, unknown 2, critical 3. */
static int rank(probe_status s)
{
  switch(s) {
  case PROBE_OK: return 0;
  case PROBE_WARNING: return 1;
  case PROBE_UNKNOWN: return 2;
  case PROBE_CRITICAL: return 3;
  }
  return 2;
}

probe_status output_worse(probe_status a, probe_status b)
{
  return rank(a) >= rank(b) ? a : b;
}

static int open_path(const char *path, char *err, size_t errlen)
{
  if(!path || !strcmp(path, "-"))
    return dup(STDOUT_FILENO);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if(fd < 0)
    snprintf(err, errlen, "cannot open output file %s: %s", path, strerror(errno));
  return fd;
}

int output_open(output *o, const char *path, output_format format,
                const char *host, const cJSON *labels, char *err, size_t errlen)
{
  memset(o, 0, sizeof(*o));
  o->fd = open_path(path, err, errlen);
  if(o->fd < 0)
    return -1;
  o->path = path && strcmp(path, "-") ? strdup(path) : NULL;
  o->color = !o->path && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
  output_configure(o, format, host, labels);
  return 0;
}

int output_reopen(output *o, char *err, size_t errlen)
{
  if(!o->path)
    return 0;
  int fd = open_path(o->path, err, errlen);
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
  o->fd = -1;
  o->path = NULL;
  o->host = NULL;
  o->labels = NULL;
}

/* Writes all of a line with one write() where the kernel allows. */
static int write_whole(int fd, const char *buf, size_t len)
{
  size_t off = 0;
  while(off < len) {
    ssize_t n = write(fd, buf + off, len - off);
    if(n < 0) {
      if(errno == EINTR)
        continue;
      return -1;
    }
    off += (size_t)n;
  }
  return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
  size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
             : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
  if(len == 0 || len > n || !util_utf8_valid((const char *)s, len))
    return 0;
  return len;
}

/* Escapes so that the text is one inert line on a terminal: C0 controls,
 * DEL, C1 controls (U+0080..U+009F) and bytes that are not UTF-8 become
 * \n, \r, \t, \\ or \xHH / \u00HH; everything else is copied. */
int output_escape(dbuf *b, const char *s, size_t n)
{
  const unsigned char *u = (const unsigned char *)s;
  for(size_t i = 0; i < n;) {
    unsigned char c = u[i];
    size_t len = utf8_seq(u + i, n - i);
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

/* One human line: time, status, check, target, summary, duration. */
static int write_text(output *o, const char *ts, const char *check,
                      const char *target, int status, const char *summary,
                      double ms)
{
  static const char *const colors[] = {"\033[32m", "\033[33m", "\033[31m", "\033[35m"};
  static const char *const upper[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
  dbuf b;
  dbuf_init(&b, 0);
  dbuf_printf(&b, "%s %s%-8s%s ", ts, o->color ? colors[status] : "", upper[status],
              o->color ? "\033[0m" : "");
  size_t at = b.len;
  output_escape(&b, check, strlen(check));
  while(b.len < at + 18) /* the check's column, as %-18s did */
    dbuf_addstr(&b, " ");
  dbuf_addstr(&b, " ");
  output_escape(&b, target, strlen(target));
  dbuf_addstr(&b, *target ? ": " : "");
  output_escape(&b, summary, strlen(summary));
  int rc = dbuf_printf(&b, " (%.1f ms)\n", ms);
  rc = rc == 0 && b.data ? write_whole(o->fd, b.data, b.len) : -1;
  dbuf_free(&b);
  return rc;
}

/* Builds and writes the final line. */
static int build_line(output *o, const char *plugin, const char *check,
                      const char *target_raw, int status, const char *summary,
                      double ms, const cJSON *metrics, const cJSON *details)
{
  char ts[40];
  util_timestamp(ts, sizeof(ts));
  char *target = redact_target(target_raw ? target_raw : "");
  int rc = -1;
  if(!target)
    return -1;
  if(o->format == FORMAT_TEXT) {
    rc = write_text(o, ts, check, target, status, summary, ms);
    free(target);
    return rc;
  }
  cJSON *line = cJSON_CreateObject();
  cJSON_AddStringToObject(line, "ts", ts);
  cJSON_AddStringToObject(line, "host", o->host ? o->host : "");
  cJSON_AddStringToObject(line, "agent_version", PACKAGE_VERSION);
  cJSON_AddStringToObject(line, "plugin", plugin);
  cJSON_AddStringToObject(line, "check", check);
  cJSON_AddStringToObject(line, "target", target);
  cJSON_AddStringToObject(line, "status", status_names[status]);
  cJSON_AddStringToObject(line, "level", level_names[status]);
  cJSON_AddStringToObject(line, "summary", summary);
  cJSON_AddNumberToObject(line, "duration_ms", round(ms * 1000.0) / 1000.0);
  cJSON_AddItemToObject(line, "metrics", metrics ? cJSON_Duplicate(metrics, 1) : cJSON_CreateObject());
  cJSON_AddItemToObject(line, "details", details ? cJSON_Duplicate(details, 1) : cJSON_CreateObject());
  cJSON_AddItemToObject(line, "labels", o->labels ? cJSON_Duplicate(o->labels, 1) : cJSON_CreateObject());
  char *text = cJSON_PrintUnformatted(line);
  cJSON_Delete(line);
  free(target);
  if(!text)
    return -1;
  size_t len = strlen(text);
  char *withnl = realloc(text, len + 2);
  if(!withnl) {
    free(text);
    return -1;
  }
  withnl[len] = '\n';
  withnl[len + 1] = '\0';
  rc = write_whole(o->fd, withnl, len + 1);
  free(withnl);
  return rc;
}

/* Writes one line and keeps the books on lines lost: the first failure of
 * a streak is said on standard error, and the first line written after it
 * is followed by an unknown line that counts what was lost. */
static int write_line(output *o, const char *plugin, const char *check,
                      const char *target_raw, int status, const char *summary,
                      double ms, const cJSON *metrics, const cJSON *details)
{
  errno = 0;
  int rc = build_line(o, plugin, check, target_raw, status, summary, ms, metrics, details);
  if(rc < 0) {
    int e = errno ? errno : ENOMEM;
    o->lost++;
    o->lost_total++;
    if(e == EPIPE)
      o->broken = 1;
    if(!o->failing)
      fprintf(stderr, "probe-agent: cannot write result lines to %s: %s; "
              "lines are lost until writing works again\n",
              o->path ? o->path : "standard output", strerror(e));
    o->failing = 1;
    return -1;
  }
  if(o->lost) {
    char msg[200];
    snprintf(msg, sizeof(msg), "%lu result line%s could not be written to %s",
             o->lost, o->lost == 1 ? "" : "s", o->path ? o->path : "standard output");
    o->failing = 0;
    if(build_line(o, "agent", "agent.output", o->path ? o->path : "-", PROBE_UNKNOWN, msg,
                  0, NULL, NULL) == 0) {
      fprintf(stderr, "probe-agent: writing result lines works again; %s\n", msg);
      o->lost = 0;
    }
  }
  o->failing = 0;
  return 0;
}

int output_result(output *o, const char *plugin, const cJSON *res)
{
  const char *check = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "check"));
  const char *target = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "target"));
  const char *summary = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "summary"));
  int status = output_status_from_name(
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "status")));
  const cJSON *dur = cJSON_GetObjectItemCaseSensitive(res, "duration_ms");
  return write_line(o, plugin, check ? check : plugin, target, status < 0 ? PROBE_UNKNOWN : status,
                    summary ? summary : "", cJSON_IsNumber(dur) ? dur->valuedouble : 0,
                    cJSON_GetObjectItemCaseSensitive(res, "metrics"),
                    cJSON_GetObjectItemCaseSensitive(res, "details"));
}

int output_agent_line(output *o, const char *plugin, const char *check,
                      const char *target, probe_status status,
                      double duration_ms, const char *summary)
{
  return write_line(o, plugin, check, target, (int)status, summary, duration_ms,
                    NULL, NULL);
}
