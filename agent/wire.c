/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wire.c: the child-to-agent line format (see wire.h): status names,
 * control kinds, the result schema's check and its decoding, and the
 * sending of one line. Nothing else in agent/ spells a member name.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "lib/status.h"
#include "wire.h"

static const char *const ctl_names[] = {"fail", "progress", "config_error",
                                        "config_invalid"};

_Static_assert((int)PROBE_OK == STATUS_OK &&
                   (int)PROBE_WARNING == STATUS_WARNING &&
                   (int)PROBE_CRITICAL == STATUS_CRITICAL &&
                   (int)PROBE_UNKNOWN == STATUS_UNKNOWN,
               "probe_status and lib/status.h agree");

/* The names are lib/status.c's (one table for the agent, the kit and
 * probe-report); the wire keeps its entry points for its callers. */
const char *wire_status_name(probe_status s)
{
  return status_name((int)s);
}

int wire_status_from_name(const char *name)
{
  return name ? status_from_name(name) : -1;
}

wire_ctl wire_ctl_of(const cJSON *o)
{
  const cJSON *ctl = cJSON_GetObjectItemCaseSensitive(o, WIRE_CTL);
  if(!cJSON_IsString(ctl))
    return WIRE_CTL_NONE; /* a result line (a non-string _ctl is checked as one) */
  for(int i = 0; i < (int)(sizeof(ctl_names) / sizeof(ctl_names[0])); i++)
    if(!strcmp(ctl->valuestring, ctl_names[i]))
      return (wire_ctl)i;
  return WIRE_CTL_UNKNOWN;
}

cJSON *wire_ctl_new(wire_ctl kind)
{
  if(kind < WIRE_CTL_FAIL || kind > WIRE_CTL_CONFIG_INVALID)
    return NULL;
  cJSON *o = cJSON_CreateObject();
  if(o && !cJSON_AddStringToObject(o, WIRE_CTL, ctl_names[kind])) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

/* 1 when s is a plausible check name. */
static int valid_check(const char *s)
{
  size_t n = strlen(s);
  if(n == 0 || n > WIRE_MAX_CHECK)
    return 0;
  for(size_t i = 0; i < n; i++) {
    char c = s[i];
    if(!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

/* NULL when the metrics member is absent or an object of finite numbers. */
static const char *bad_metrics(const cJSON *v)
{
  const cJSON *m;
  if(!v)
    return NULL;
  if(!cJSON_IsObject(v))
    return "\"" WIRE_METRICS "\" is not an object";
  cJSON_ArrayForEach(m, v)
    if(!cJSON_IsNumber(m) || !isfinite(m->valuedouble))
      return "a metric is not a finite number";
  return NULL;
}

const char *wire_validate_result(const cJSON *o)
{
  const cJSON *v;
  if(!cJSON_IsObject(o))
    return "not a JSON object";
  v = cJSON_GetObjectItemCaseSensitive(o, WIRE_CHECK);
  if(!cJSON_IsString(v) || !valid_check(v->valuestring))
    return "missing or malformed \"" WIRE_CHECK "\"";
  v = cJSON_GetObjectItemCaseSensitive(o, WIRE_STATUS);
  if(!cJSON_IsString(v) || wire_status_from_name(v->valuestring) < 0)
    return "missing or unknown \"" WIRE_STATUS "\"";
  v = cJSON_GetObjectItemCaseSensitive(o, WIRE_SUMMARY);
  if(!cJSON_IsString(v))
    return "missing \"" WIRE_SUMMARY "\"";
  v = cJSON_GetObjectItemCaseSensitive(o, WIRE_TARGET);
  if(v && !cJSON_IsString(v))
    return "\"" WIRE_TARGET "\" is not a string";
  v = cJSON_GetObjectItemCaseSensitive(o, WIRE_DURATION_MS);
  if(v &&
     (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0))
    return "\"" WIRE_DURATION_MS "\" is not a non-negative number";
  const char *bad =
      bad_metrics(cJSON_GetObjectItemCaseSensitive(o, WIRE_METRICS));
  if(bad)
    return bad;
  v = cJSON_GetObjectItemCaseSensitive(o, WIRE_DETAILS);
  if(v && !cJSON_IsObject(v))
    return "\"" WIRE_DETAILS "\" is not an object";
  return NULL;
}

void wire_decode_result(const cJSON *o, const char *fallback_check,
                        wire_result *out)
{
  const char *check =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, WIRE_CHECK));
  const char *summary =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, WIRE_SUMMARY));
  int st = wire_status_from_name(
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, WIRE_STATUS)));
  const cJSON *dur = cJSON_GetObjectItemCaseSensitive(o, WIRE_DURATION_MS);
  out->check = check ? check : fallback_check;
  out->target =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, WIRE_TARGET));
  out->status = st < 0 ? PROBE_UNKNOWN : (probe_status)st;
  out->summary = summary ? summary : "";
  out->duration_ms = cJSON_IsNumber(dur) ? dur->valuedouble : 0;
  out->metrics = cJSON_GetObjectItemCaseSensitive(o, WIRE_METRICS);
  out->details = cJSON_GetObjectItemCaseSensitive(o, WIRE_DETAILS);
  out->thresholds = cJSON_GetObjectItemCaseSensitive(o, WIRE_THRESHOLDS);
}

/* Writes text and a newline to fd, all of it, in one write where the
 * kernel allows (so that lines from concurrent writers do not mix). */
static int write_line(int fd, const char *text)
{
  size_t len = strlen(text);
  char *buf = malloc(len + 1);
  if(!buf)
    return -1;
  memcpy(buf, text, len);
  buf[len] = '\n';
  int rc = fileio_write_all(fd, buf, len + 1);
  free(buf);
  return rc;
}

int wire_send(int fd, cJSON *o)
{
  char *text = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  if(!text)
    return -1;
  int rc = write_line(fd, text);
  free(text);
  return rc;
}
