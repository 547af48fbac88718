/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mock_host.c: the probe_host test double (mock_host.h). State is one
 * static record per process, as in collectd's plugin_mock.c: unit tests
 * drive one plugin function at a time and then read what it handed over.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tests/lib/mock_host.h"

#define MOCK_MAX_LINES 256
#define MOCK_MAX_MSGS 256

struct probe_ctx {
  int unused;
};

struct probe_result {
  mock_line *line;
};

static struct {
  cJSON *settings;
  double time_left;
  char *state_dir;
  mock_line lines[MOCK_MAX_LINES];
  probe_result results[MOCK_MAX_LINES];
  size_t nlines;
  char *logs[MOCK_MAX_MSGS], *cerrs[MOCK_MAX_MSGS];
  size_t nlogs, ncerrs;
  char *json_out[MOCK_MAX_MSGS]; /* conf_json's answers */
  size_t njson;
} M;

static probe_ctx the_ctx;

/* vasprintf that never returns NULL for a test to trip on. */
static PROBE_PRINTF(1, 0) char *vfmt(const char *fmt, va_list ap)
{
  char *s = NULL;
  if(vasprintf(&s, fmt, ap) < 0)
    s = NULL;
  return s ? s : strdup("");
}

static const cJSON *get(const char *key)
{
  return cJSON_GetObjectItemCaseSensitive(M.settings, key);
}

static int conf_string(probe_ctx *ctx, const char *key, const char **out)
{
  (void)ctx;
  const cJSON *v = get(key);
  if(!cJSON_IsString(v))
    return -1;
  *out = v->valuestring;
  return 0;
}

static int conf_int(probe_ctx *ctx, const char *key, long long *out)
{
  (void)ctx;
  const cJSON *v = get(key);
  if(!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
    return -1;
  *out = (long long)v->valuedouble;
  return 0;
}

static int conf_number(probe_ctx *ctx, const char *key, double *out)
{
  (void)ctx;
  const cJSON *v = get(key);
  if(!cJSON_IsNumber(v))
    return -1;
  *out = v->valuedouble;
  return 0;
}

static int conf_bool(probe_ctx *ctx, const char *key, int *out)
{
  (void)ctx;
  const cJSON *v = get(key);
  if(!cJSON_IsBool(v))
    return -1;
  *out = cJSON_IsTrue(v);
  return 0;
}

/* Numbers, and "<n>" with one unit of s, m, h, d (enough for tests). */
static int conf_duration(probe_ctx *ctx, const char *key, double *out)
{
  (void)ctx;
  const cJSON *v = get(key);
  if(cJSON_IsNumber(v)) {
    *out = v->valuedouble;
    return 0;
  }
  if(!cJSON_IsString(v))
    return -1;
  char *end;
  double d = strtod(v->valuestring, &end);
  double unit = !*end               ? 1
                : !strcmp(end, "s") ? 1
                : !strcmp(end, "m") ? 60
                : !strcmp(end, "h") ? 3600
                : !strcmp(end, "d") ? 86400
                                    : -1;
  if(end == v->valuestring || unit < 0)
    return -1;
  *out = d * unit;
  return 0;
}

static int conf_json(probe_ctx *ctx, const char *key, const char **out)
{
  (void)ctx;
  const cJSON *v = get(key);
  if(!v || M.njson >= MOCK_MAX_MSGS)
    return -1;
  char *s = cJSON_PrintUnformatted(v);
  if(!s)
    return -1;
  M.json_out[M.njson++] = s;
  *out = s;
  return 0;
}

static const char *state_dir(probe_ctx *ctx)
{
  (void)ctx;
  return M.state_dir;
}

static double time_left(probe_ctx *ctx)
{
  (void)ctx;
  return M.time_left;
}

static PROBE_PRINTF(3, 4) void log_msg(probe_ctx *ctx, probe_log_level level,
                                       const char *fmt, ...)
{
  (void)ctx;
  (void)level;
  va_list ap;
  va_start(ap, fmt);
  char *s = vfmt(fmt, ap);
  va_end(ap);
  if(M.nlogs < MOCK_MAX_MSGS)
    M.logs[M.nlogs++] = s;
  else
    free(s);
}

static probe_result *result_begin(probe_ctx *ctx, const char *check,
                                  const char *target)
{
  (void)ctx;
  if(M.nlines >= MOCK_MAX_LINES)
    return NULL;
  mock_line *l = &M.lines[M.nlines];
  memset(l, 0, sizeof(*l));
  l->check = strdup(check ? check : "");
  l->target = strdup(target ? target : "");
  l->status = PROBE_UNKNOWN;
  M.results[M.nlines].line = l;
  return &M.results[M.nlines++];
}

static PROBE_PRINTF(3, 4) void result_status(probe_result *r, probe_status st,
                                             const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  free(r->line->summary);
  r->line->summary = vfmt(fmt, ap);
  va_end(ap);
  r->line->status = st;
  r->line->status_set = 1;
}

static void result_metric(probe_result *r, const char *name, double value)
{
  mock_line *l = r->line;
  if(l->nmetrics >= MOCK_MAX_ITEMS)
    return;
  l->metric_name[l->nmetrics] = strdup(name);
  l->metric_value[l->nmetrics++] = value;
}

/* Records a detail as JSON text (takes json). */
static void add_detail(probe_result *r, const char *key, char *json)
{
  mock_line *l = r->line;
  if(!json || l->ndetails >= MOCK_MAX_ITEMS) {
    free(json);
    return;
  }
  l->detail_key[l->ndetails] = strdup(key);
  l->detail_json[l->ndetails++] = json;
}

static void detail_string(probe_result *r, const char *key, const char *value)
{
  cJSON *s = cJSON_CreateString(value ? value : "");
  add_detail(r, key, cJSON_PrintUnformatted(s));
  cJSON_Delete(s);
}

static void detail_number(probe_result *r, const char *key, double value)
{
  cJSON *s = cJSON_CreateNumber(value);
  add_detail(r, key, cJSON_PrintUnformatted(s));
  cJSON_Delete(s);
}

static void detail_bool(probe_result *r, const char *key, int value)
{
  add_detail(r, key, strdup(value ? "true" : "false"));
}

static void detail_json(probe_result *r, const char *key, const char *json)
{
  cJSON *v = cJSON_Parse(json);
  if(v)
    add_detail(r, key, strdup(json));
  cJSON_Delete(v);
}

static void result_duration(probe_result *r, double ms)
{
  (void)r;
  (void)ms;
}

static int result_emit(probe_result *r)
{
  r->line->emitted = 1;
  return 0;
}

static void result_discard(probe_result *r)
{
  r->line->emitted = 0;
}

static PROBE_PRINTF(3, 4) void config_error(probe_ctx *ctx, const char *key,
                                            const char *fmt, ...)
{
  (void)ctx;
  va_list ap;
  va_start(ap, fmt);
  char *s = vfmt(fmt, ap), *full = NULL;
  va_end(ap);
  if(key && asprintf(&full, "%s: %s", key, s) >= 0) {
    free(s);
    s = full;
  }
  if(M.ncerrs < MOCK_MAX_MSGS)
    M.cerrs[M.ncerrs++] = s;
  else
    free(s);
}

static void result_threshold(probe_result *r, const char *name, double warn,
                             double crit)
{
  mock_line *l = r->line;
  if(l->nthresholds >= MOCK_MAX_ITEMS)
    return;
  l->threshold_name[l->nthresholds] = strdup(name);
  l->threshold_warn[l->nthresholds] = warn;
  l->threshold_crit[l->nthresholds++] = crit;
}

static void progress(probe_ctx *ctx, double events, double bytes, double total)
{
  (void)ctx;
  (void)events;
  (void)bytes;
  (void)total;
}

static const probe_host the_host = {
    PROBE_PLUGIN_ABI, conf_string,      conf_int,         conf_number,
    conf_bool,        conf_duration,    conf_json,        state_dir,
    time_left,        log_msg,          result_begin,     result_status,
    result_metric,    detail_string,    detail_number,    detail_bool,
    detail_json,      result_duration,  result_emit,      result_discard,
    config_error,     PROBE_HOST_MINOR, result_threshold, progress};

void mock_host_setup(const char *settings_json, const probe_setting *table)
{
  mock_host_teardown();
  M.time_left = 10;
  M.settings = settings_json ? cJSON_Parse(settings_json) : NULL;
  if(!cJSON_IsObject(M.settings)) {
    cJSON_Delete(M.settings);
    M.settings = cJSON_CreateObject();
  }
  for(const probe_setting *s = table; s && s->key; s++)
    if(s->default_json && !get(s->key))
      cJSON_AddItemToObject(M.settings, s->key, cJSON_Parse(s->default_json));
}

void mock_host_teardown(void)
{
  for(size_t i = 0; i < M.nlines; i++) {
    mock_line *l = &M.lines[i];
    free(l->check);
    free(l->target);
    free(l->summary);
    for(size_t j = 0; j < l->nmetrics; j++)
      free(l->metric_name[j]);
    for(size_t j = 0; j < l->nthresholds; j++)
      free(l->threshold_name[j]);
    for(size_t j = 0; j < l->ndetails; j++) {
      free(l->detail_key[j]);
      free(l->detail_json[j]);
    }
  }
  for(size_t i = 0; i < M.nlogs; i++)
    free(M.logs[i]);
  for(size_t i = 0; i < M.ncerrs; i++)
    free(M.cerrs[i]);
  for(size_t i = 0; i < M.njson; i++)
    free(M.json_out[i]);
  cJSON_Delete(M.settings);
  free(M.state_dir);
  memset(&M, 0, sizeof(M));
}

const probe_host *mock_host(void)
{
  return &the_host;
}

probe_ctx *mock_ctx(void)
{
  return &the_ctx;
}

void mock_set_time_left(double s)
{
  M.time_left = s;
}

void mock_set_state_dir(const char *dir)
{
  free(M.state_dir);
  M.state_dir = dir ? strdup(dir) : NULL;
}

size_t mock_nlines(void)
{
  return M.nlines;
}

const mock_line *mock_line_at(size_t i)
{
  return i < M.nlines ? &M.lines[i] : NULL;
}

const mock_line *mock_find(const char *check)
{
  for(size_t i = 0; i < M.nlines; i++)
    if(!strcmp(M.lines[i].check, check))
      return &M.lines[i];
  return NULL;
}

double mock_metric(const mock_line *l, const char *name)
{
  for(size_t i = 0; l && i < l->nmetrics; i++)
    if(!strcmp(l->metric_name[i], name))
      return l->metric_value[i];
  return NAN;
}

int mock_threshold(const mock_line *l, const char *name, double *warn,
                   double *crit)
{
  for(size_t i = 0; l && i < l->nthresholds; i++)
    if(!strcmp(l->threshold_name[i], name)) {
      *warn = l->threshold_warn[i];
      *crit = l->threshold_crit[i];
      return 0;
    }
  return -1;
}

const char *mock_detail(const mock_line *l, const char *key)
{
  for(size_t i = 0; l && i < l->ndetails; i++)
    if(!strcmp(l->detail_key[i], key))
      return l->detail_json[i];
  return NULL;
}

size_t mock_nlogs(void)
{
  return M.nlogs;
}

const char *mock_log_at(size_t i)
{
  return i < M.nlogs ? M.logs[i] : NULL;
}

size_t mock_nconfig_errors(void)
{
  return M.ncerrs;
}

const char *mock_config_error_at(size_t i)
{
  return i < M.ncerrs ? M.cerrs[i] : NULL;
}

int mock_run(const probe_plugin *p, const char *settings_json)
{
  mock_host_setup(settings_json, p->settings);
  return p->run(mock_ctx(), mock_host());
}

int mock_check_config(const probe_plugin *p, const char *settings_json)
{
  mock_host_setup(settings_json, p->settings);
  return p->check_config(mock_ctx(), mock_host());
}
