/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lines.c: the bounded line reader (zlib's gzread reads plain files and
 * gzip alike) and the parse of one agent line (see lines.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "lib/rfc3339.h"
#include "lib/status.h"
#include "lib/utf8.h"
#include "report/lines.h"

#define CHUNK (64 * 1024)

struct rl_reader {
  gzFile gz;
  char *buf; /* RL_MAX_LINE + CHUNK + 1 bytes */
  size_t start, end;
  int eof, err, skipping;
  size_t lineno;                     /* lines handed over so far */
  unsigned long long skipped, total; /* of the line skipped, of input */
  unsigned long long max_skip, max_input;
  char msg[256];
};

rl_reader *rl_open(const char *path)
{
  int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
  if(fd < 0)
    return NULL;
  struct stat st;
  if(fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    errno = EISDIR;
    return NULL;
  }
  rl_reader *r = rl_open_fd(fd);
  if(!r) {
    close(fd);
    errno = ENOMEM;
  }
  return r;
}

rl_reader *rl_open_fd(int fd)
{
  rl_reader *r = calloc(1, sizeof(*r));
  if(!r)
    return NULL;
  r->buf = malloc(RL_MAX_LINE + CHUNK + 1);
  if(!r->buf)
    goto fail;
  r->gz = gzdopen(fd, "rb");
  if(!r->gz)
    goto fail;
  gzbuffer(r->gz, CHUNK);
  r->max_skip = RL_MAX_SKIP;
  r->max_input = RL_MAX_INPUT;
  return r;
fail:
  free(r->buf);
  free(r);
  return NULL;
}

/* Reads more input behind r->end; 0 at end of input or error. */
static size_t fill(rl_reader *r)
{
  if(r->eof || r->err)
    return 0;
  if(r->start > 0) {
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
  }
  int n = gzread(r->gz, r->buf + r->end, CHUNK), code = Z_OK;
  const char *m = n <= 0 ? gzerror(r->gz, &code) : NULL;
  /* zlib reports a truncated stream as Z_BUF_ERROR, with n == 0 once the
   * data before the cut has been returned */
  if(n < 0 || (n == 0 && code != Z_OK)) {
    snprintf(r->msg, sizeof(r->msg), "%s",
             code == Z_BUF_ERROR
                 ? "the compressed file ends early (truncated gzip)"
             : code == Z_ERRNO ? strerror(errno)
                               : m);
    r->err = 1;
    return 0;
  }
  if(n == 0) {
    r->eof = 1;
    return 0;
  }
  r->total += (unsigned)n;
  if(r->total > r->max_input) {
    snprintf(r->msg, sizeof(r->msg),
             "more than %llu bytes of input (the limit), stopped in line %zu",
             r->max_input, r->lineno + 1);
    r->err = 1;
    return 0;
  }
  r->end += (size_t)n;
  return (size_t)n;
}

/* The end of a skipped line: counted, and the next one starts afresh. */
static int skipped(rl_reader *r)
{
  r->skipping = 0;
  r->skipped = 0;
  r->lineno++;
  return RL_LONG;
}

/* A line past max_skip: the input is not a log, reading stops here. */
static int too_long(rl_reader *r)
{
  snprintf(r->msg, sizeof(r->msg),
           "line %zu is longer than %llu bytes (the limit), stopped there",
           r->lineno + 1, r->max_skip);
  r->err = 1;
  r->skipping = 0;
  return RL_ERR;
}

int rl_next(rl_reader *r, const char **line, size_t *len)
{
  for(;;) {
    char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
    if(nl) {
      size_t s = r->start;
      r->start = (size_t)(nl - r->buf) + 1;
      if(r->skipping)
        return skipped(r);
      *line = r->buf + s;
      *len = (size_t)(nl - r->buf) - s;
      r->lineno++;
      return RL_LINE;
    }
    if(r->skipping || r->end - r->start > RL_MAX_LINE) {
      r->skipping = 1;
      r->skipped += r->end - r->start;
      r->start = r->end = 0;
      if(r->skipped > r->max_skip)
        return too_long(r);
    }
    if(!fill(r)) {
      if(r->end > r->start) {
        /* a last line without its newline (truncated): hand it over */
        size_t s = r->start;
        r->start = r->end;
        if(r->skipping)
          return skipped(r);
        *line = r->buf + s;
        *len = r->end - s;
        r->lineno++;
        return RL_LINE;
      }
      if(r->skipping)
        return skipped(r);
      return r->err ? RL_ERR : RL_EOF;
    }
  }
}

void rl_set_limits(rl_reader *r, unsigned long long max_skip,
                   unsigned long long max_input)
{
  if(max_skip)
    r->max_skip = max_skip;
  if(max_input)
    r->max_input = max_input;
}

const char *rl_error(const rl_reader *r)
{
  return r->msg;
}

void rl_close(rl_reader *r)
{
  if(!r)
    return;
  gzclose(r->gz);
  free(r->buf);
  free(r);
}

/* lib/rfc3339.c's parser, with the one leniency probe-report always had:
 * a space instead of the "T" (RFC 3339 section 5.6, NOTE). */
int rl_parse_time(const char *s, double *out)
{
  char buf[64];
  size_t n = strlen(s);
  if(n >= 11 && n < sizeof(buf) && s[10] == ' ') {
    memcpy(buf, s, n + 1);
    buf[10] = 'T';
    s = buf;
  }
  return rfc3339_parse(s, out);
}

/* A string member, or "" so that callers need no NULL checks. */
static const char *str_or_empty(const cJSON *o, const char *name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

int rl_parse(const char *line, size_t len, rl_record *rec)
{
  memset(rec, 0, sizeof(*rec));
  if(!utf8_valid(line, len, NULL))
    return RP_BAD_UTF8;
  cJSON *root = cJSON_ParseWithLength(line, len);
  if(!root)
    return RP_NOT_JSON;
  if(!cJSON_IsObject(root))
    goto not_agent;
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "ts");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "status");
  const cJSON *ck = cJSON_GetObjectItemCaseSensitive(root, "check");
  if(!cJSON_IsString(ts) || !cJSON_IsString(st) || !cJSON_IsString(ck) ||
     !ck->valuestring[0] || rl_parse_time(ts->valuestring, &rec->ts))
    goto not_agent;
  /* the report keeps a status as its rank (lib/status.h) */
  int sv = status_from_name(st->valuestring);
  if(sv < 0)
    goto not_agent;
  rec->status = status_rank(sv);
  rec->root = root;
  rec->check = ck->valuestring;
  rec->host = str_or_empty(root, "host");
  rec->target = str_or_empty(root, "target");
  rec->summary = str_or_empty(root, "summary");
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "metrics");
  rec->metrics = cJSON_IsObject(o) ? o : NULL;
  o = cJSON_GetObjectItemCaseSensitive(root, "details");
  rec->details = cJSON_IsObject(o) ? o : NULL;
  o = cJSON_GetObjectItemCaseSensitive(root, "labels");
  rec->labels = cJSON_IsObject(o) ? o : NULL;
  return RP_OK;
not_agent:
  cJSON_Delete(root);
  memset(rec, 0, sizeof(*rec));
  return RP_NOT_AGENT;
}

void rl_record_free(rl_record *rec)
{
  cJSON_Delete(rec->root);
  memset(rec, 0, sizeof(*rec));
}

double rl_metric(const rl_record *rec, const char *name)
{
  const cJSON *v = rec->metrics
                       ? cJSON_GetObjectItemCaseSensitive(rec->metrics, name)
                       : NULL;
  return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : NAN;
}
