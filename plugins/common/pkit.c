/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkit.c: the plugin kit (pkit.h): typed settings with the plugin's own
 * table as the only source of defaults, and plain status lines.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lib/duration.h"
#include "plugins/common/pkit.h"

void pkit_init(pkit *k, probe_ctx *ctx, const probe_host *host,
               const probe_setting *table)
{
  memset(k, 0, sizeof(*k));
  k->ctx = ctx;
  k->host = host;
  k->table = table;
}

void pkit_free(pkit *k)
{
  for(size_t i = 0; i < k->nowned; i++)
    free(k->owned[i]);
  free(k->owned);
  k->owned = NULL;
  k->nowned = 0;
}

const probe_setting *pkit_setting(const probe_setting *table, const char *key)
{
  for(const probe_setting *s = table; s && s->key; s++)
    if(strcmp(s->key, key) == 0)
      return s;
  return NULL;
}

/* The default of key as parsed JSON (cJSON_Delete it), or NULL. */
static cJSON *dflt(const pkit *k, const char *key)
{
  const probe_setting *s = pkit_setting(k->table, key);
  return s && s->default_json ? cJSON_Parse(s->default_json) : NULL;
}

/* Keeps s until pkit_free; NULL when it cannot. */
static const char *keep(pkit *k, char *s)
{
  char **n = s ? realloc(k->owned, (k->nowned + 1) * sizeof(*n)) : NULL;
  if(!n) {
    free(s);
    return NULL;
  }
  k->owned = n;
  k->owned[k->nowned++] = s;
  return s;
}

/* Seconds of a table default such as "90", "30m", "24h" (lib/duration.c,
 * the agent's own parser, so that a default reads as the same setting
 * written in the configuration would); -1 when not one. */
static double duration_text(const char *s)
{
  double v;
  return duration_parse(s, 0, &v) == 0 ? v : -1;
}

/* The table default of a string setting, kept until pkit_free. */
static const char *default_str(pkit *k, const char *key)
{
  cJSON *d = dflt(k, key);
  const char *out = NULL;
  if(cJSON_IsString(d))
    out = keep(k, strdup(d->valuestring));
  cJSON_Delete(d);
  return out;
}

const char *pkit_str(pkit *k, const char *key)
{
  const char *v = NULL;
  if(k->host->conf_string(k->ctx, key, &v) == 0 && v)
    return v;
  return default_str(k, key);
}

const char *pkit_opt(pkit *k, const char *key)
{
  const char *v = pkit_str(k, key);
  return v && *v ? v : NULL;
}

const char *pkit_nonempty(pkit *k, const char *key)
{
  const char *v = pkit_opt(k, key);
  if(v)
    return v;
  return default_str(k, key);
}

double pkit_default(const pkit *k, const char *key)
{
  cJSON *d = dflt(k, key);
  double v = 0;
  if(cJSON_IsNumber(d))
    v = d->valuedouble;
  else if(cJSON_IsString(d) && duration_text(d->valuestring) >= 0)
    v = duration_text(d->valuestring);
  cJSON_Delete(d);
  return v;
}

long long pkit_int(pkit *k, const char *key)
{
  long long v = 0;
  if(k->host->conf_int(k->ctx, key, &v) == 0)
    return v;
  return (long long)pkit_default(k, key);
}

double pkit_number(pkit *k, const char *key)
{
  double v = 0;
  if(k->host->conf_number(k->ctx, key, &v) == 0)
    return v;
  return pkit_default(k, key);
}

double pkit_duration(pkit *k, const char *key)
{
  double v = 0;
  if(k->host->conf_duration(k->ctx, key, &v) == 0)
    return v;
  return pkit_default(k, key);
}

int pkit_bool(pkit *k, const char *key)
{
  int v = 0;
  if(k->host->conf_bool(k->ctx, key, &v) == 0)
    return v;
  cJSON *d = dflt(k, key);
  v = cJSON_IsTrue(d);
  cJSON_Delete(d);
  return v;
}

const char *pkit_json(pkit *k, const char *key)
{
  const char *v = NULL;
  if(k->host->conf_json(k->ctx, key, &v) == 0 && v)
    return v;
  const probe_setting *s = pkit_setting(k->table, key);
  return s ? s->default_json : NULL;
}

/* pkit_line with a prefix before the formatted summary. */
__attribute__((format(printf, 7, 0))) static int
vline(probe_ctx *ctx, const probe_host *host, const char *check,
      const char *target, probe_status st, const char *prefix, const char *fmt,
      va_list ap)
{
  char msg[1024];
  vsnprintf(msg, sizeof(msg), fmt, ap);
  probe_result *r = host->result_begin(ctx, check, target);
  if(!r)
    return -1;
  host->result_status(r, st, "%s%s", prefix, msg);
  return host->result_emit(r) == 0 ? 0 : -1;
}

int pkit_line(probe_ctx *ctx, const probe_host *host, const char *check,
              const char *target, probe_status st, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int rc = vline(ctx, host, check, target, st, "", fmt, ap);
  va_end(ap);
  return rc;
}

int pkit_misconfigured(probe_ctx *ctx, const probe_host *host,
                       const char *check, const char *target, const char *fmt,
                       ...)
{
  va_list ap;
  va_start(ap, fmt);
  int rc = vline(ctx, host, check, target, PROBE_UNKNOWN,
                 "misconfigured: ", fmt, ap);
  va_end(ap);
  return rc;
}

void pkit_config_error(probe_ctx *ctx, const probe_host *host, int checking,
                       const char *key, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if(checking && host->config_error)
    host->config_error(ctx, key, "%s", msg);
  else
    host->log(ctx, PROBE_LOG_ERROR, "%s", msg);
}
