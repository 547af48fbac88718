/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host.c: the probe_host a plugin sees, inside its run process (see
 * host.h). Results and control lines go to the agent on the result pipe
 * in the format wire.h defines.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/utf8.h"
#include "lib/duration.h"
#include "host.h"
#include "lib/statefile.h"
#include "util.h"
#include "wire.h"

struct probe_ctx {
  const host_run *hr;
  const cJSON *section;
  char *state_dir;
  int state_tried;
  char state_refused[512]; /* why the state directory was refused, or "" */
  int emitted;
  int config_errors;
  double progress_ms; /* when progress was last sent (monotonic) */
  char **scratch;     /* strings handed to the plugin, freed after the run */
  size_t nscratch;
};

struct probe_result {
  probe_ctx *ctx;
  cJSON *obj;
  cJSON *metrics;
  cJSON *details;
  cJSON *thresholds; /* or NULL: {"metric":[warn,crit]} */
  double duration_ms;
  int has_duration;
};

void host_send_failure(int fd, const char *summary)
{
  cJSON *o = wire_ctl_new(WIRE_CTL_FAIL);
  cJSON_AddStringToObject(o, WIRE_SUMMARY, summary);
  wire_send(fd, o);
}

void host_send_config_invalid(int fd, const char *msg, size_t len)
{
  char *m = strndup(msg, len);
  cJSON *o = wire_ctl_new(WIRE_CTL_CONFIG_INVALID);
  cJSON_AddStringToObject(o, WIRE_MESSAGE, m ? m : "invalid configuration");
  free(m);
  wire_send(fd, o);
}

/* A copy of s that is valid UTF-8 (bad bytes become U+FFFD). */
static char *utf8_clean(const char *s)
{
  size_t len = strlen(s);
  if(utf8_valid(s, len, NULL))
    return strdup(s);
  dbuf b;
  dbuf_init(&b, 0);
  for(size_t i = 0; i < len;) {
    size_t n = utf8_seq_len(s + i, len - i);
    if(n)
      dbuf_add(&b, s + i, n);
    else {
      dbuf_addstr(&b, "\xef\xbf\xbd");
      n = 1;
    }
    i += n;
  }
  if(!b.data)
    return strdup("");
  return b.data;
}

/* Adds a string member, cleaned to valid UTF-8. */
static void add_clean_string(cJSON *o, const char *key, const char *value)
{
  char *clean = utf8_clean(value ? value : "");
  char *ckey = utf8_clean(key ? key : "");
  if(clean && ckey) {
    cJSON_DeleteItemFromObjectCaseSensitive(o, ckey);
    cJSON_AddStringToObject(o, ckey, clean);
  }
  free(clean);
  free(ckey);
}

/* Resolves "key" in the plugin's section, or "plugin.key" elsewhere. */
static const cJSON *lookup(probe_ctx *ctx, const char *key)
{
  const char *dot = strchr(key, '.');
  if(!dot)
    return cJSON_GetObjectItemCaseSensitive(ctx->section, key);
  char section[128];
  size_t sl = (size_t)(dot - key);
  if(sl >= sizeof(section))
    return NULL;
  memcpy(section, key, sl);
  section[sl] = '\0';
  const cJSON *sec =
      !strcmp(section, "agent")
          ? cJSON_GetObjectItemCaseSensitive(ctx->hr->root, "agent")
          : cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(ctx->hr->root, "plugins"),
                section);
  return cJSON_GetObjectItemCaseSensitive(sec, dot + 1);
}

static int h_conf_string(probe_ctx *ctx, const char *key, const char **out)
{
  const cJSON *v = lookup(ctx, key);
  if(!cJSON_IsString(v))
    return -1;
  *out = v->valuestring;
  return 0;
}

static int h_conf_int(probe_ctx *ctx, const char *key, long long *out)
{
  const cJSON *v = lookup(ctx, key);
  if(!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
     floor(v->valuedouble) != v->valuedouble || fabs(v->valuedouble) > 9.0e15)
    return -1;
  *out = (long long)v->valuedouble;
  return 0;
}

static int h_conf_number(probe_ctx *ctx, const char *key, double *out)
{
  const cJSON *v = lookup(ctx, key);
  if(!cJSON_IsNumber(v))
    return -1;
  *out = v->valuedouble;
  return 0;
}

static int h_conf_bool(probe_ctx *ctx, const char *key, int *out)
{
  const cJSON *v = lookup(ctx, key);
  if(!cJSON_IsBool(v))
    return -1;
  *out = cJSON_IsTrue(v);
  return 0;
}

static int h_conf_duration(probe_ctx *ctx, const char *key, double *out)
{
  const cJSON *v = lookup(ctx, key);
  if(cJSON_IsNumber(v) && v->valuedouble >= 0) {
    *out = v->valuedouble;
    return 0;
  }
  if(cJSON_IsString(v))
    return duration_parse(v->valuestring, 0, out);
  return -1;
}

static int h_conf_json(probe_ctx *ctx, const char *key, const char **out)
{
  const cJSON *v = lookup(ctx, key);
  if(!v)
    return -1;
  char *text = cJSON_PrintUnformatted(v);
  char **ns = realloc(ctx->scratch, (ctx->nscratch + 1) * sizeof(*ns));
  if(!text || !ns) {
    free(text);
    if(ns)
      ctx->scratch = ns;
    return -1;
  }
  ctx->scratch = ns;
  ctx->scratch[ctx->nscratch++] = text;
  *out = text;
  return 0;
}

/* Checks a state directory on its own descriptor (opened without
 * following a link): ours (the effective user) and not writable by group or
 * others, so that another user cannot plant a checkpoint. Returns 0, or -1
 * with why filled. */
static int state_dir_ok(const char *path, char *why, size_t whylen)
{
  struct stat st;
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if(fd < 0) {
    if(errno == ELOOP || errno == ENOTDIR)
      snprintf(why, whylen, "%.400s is a link or not a directory", path);
    else
      snprintf(why, whylen, "%.400s: %s", path, strerror(errno));
    return -1;
  }
  int rc = fstat(fd, &st);
  close(fd);
  if(rc < 0 || !S_ISDIR(st.st_mode)) {
    snprintf(why, whylen, "%.400s is not a directory", path);
    return -1;
  }
  if(st.st_uid != geteuid()) {
    snprintf(why, whylen,
             "%.400s is owned by uid %ld, not by this run's uid %ld", path,
             (long)st.st_uid, (long)geteuid());
    return -1;
  }
  if(st.st_mode & (S_IWGRP | S_IWOTH)) {
    snprintf(why, whylen, "%.400s is writable by group or others (mode %03o)",
             path, (unsigned)(st.st_mode & 0777));
    return -1;
  }
  return 0;
}

/* The plugin's state directory, made on first use; NULL when there is none
 * or it cannot be trusted (then the run goes on without state, its lines
 * say so and the host adds an unknown agent.state line). */
static const char *h_state_dir(probe_ctx *ctx)
{
  if(ctx->state_tried)
    return ctx->state_dir;
  ctx->state_tried = 1;
  if(!ctx->hr->state_base)
    return NULL;
  if(ctx->hr->state_refused) {
    snprintf(ctx->state_refused, sizeof(ctx->state_refused),
             "state directory refused: %s", ctx->hr->state_refused);
    return NULL;
  }
  char path[4096];
  /* the naming rule is lib/statefile.h's, the kit's pstate uses the same */
  if(statefile_dir(ctx->hr->state_base, ctx->hr->plugin, path, sizeof(path)) <
     0)
    return NULL;
  if(util_mkdir_p(path, 0700) < 0) {
    snprintf(ctx->state_refused, sizeof(ctx->state_refused),
             "cannot create state directory %.400s: %s", path, strerror(errno));
    fprintf(stderr, "%s: %s\n", ctx->hr->plugin, ctx->state_refused);
    return NULL;
  }
  char why[480];
  if(state_dir_ok(path, why, sizeof(why)) < 0) {
    snprintf(ctx->state_refused, sizeof(ctx->state_refused),
             "state directory refused: %s", why);
    fprintf(stderr, "%s: %s\n", ctx->hr->plugin, ctx->state_refused);
    return NULL;
  }
  ctx->state_dir = strdup(path);
  return ctx->state_dir;
}

static double h_time_left(probe_ctx *ctx)
{
  double left = (ctx->hr->deadline_ms - util_mono_ms()) / 1000.0;
  return left > 0 ? left : 0;
}

static PROBE_PRINTF(3, 4) void h_log(probe_ctx *ctx, probe_log_level level,
                                     const char *fmt, ...)
{
  static const char *const names[] = {"error", "warning", "info", "debug"};
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s: %s: %s\n", ctx->hr->plugin,
          (unsigned)level < 4 ? names[level] : "log", msg);
  fflush(stderr);
}

static probe_result *h_result_begin(probe_ctx *ctx, const char *check,
                                    const char *target)
{
  probe_result *r = calloc(1, sizeof(*r));
  if(!r)
    return NULL;
  r->ctx = ctx;
  r->obj = cJSON_CreateObject();
  add_clean_string(r->obj, WIRE_CHECK, check ? check : ctx->hr->plugin);
  add_clean_string(r->obj, WIRE_TARGET, target ? target : "");
  cJSON_AddStringToObject(r->obj, WIRE_STATUS, wire_status_name(PROBE_UNKNOWN));
  cJSON_AddStringToObject(r->obj, WIRE_SUMMARY, "");
  r->metrics = cJSON_CreateObject();
  r->details = cJSON_CreateObject();
  return r;
}

static PROBE_PRINTF(3, 4) void h_result_status(probe_result *r,
                                               probe_status status,
                                               const char *fmt, ...)
{
  if(!r)
    return;
  char msg[4096];
  va_list ap;
  msg[0] = 0; /* a NULL format is an empty summary */
  if(fmt) {
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
  }
  cJSON_DeleteItemFromObjectCaseSensitive(r->obj, WIRE_STATUS);
  cJSON_AddStringToObject(r->obj, WIRE_STATUS, wire_status_name(status));
  add_clean_string(r->obj, WIRE_SUMMARY, msg);
}

static void h_result_metric(probe_result *r, const char *name, double value)
{
  if(!r || !name || !isfinite(value))
    return;
  cJSON_DeleteItemFromObjectCaseSensitive(r->metrics, name);
  cJSON_AddNumberToObject(r->metrics, name, value);
}

static void h_result_detail_string(probe_result *r, const char *key,
                                   const char *value)
{
  if(r && key)
    add_clean_string(r->details, key, value);
}

static void h_result_detail_number(probe_result *r, const char *key,
                                   double value)
{
  if(!r || !key || !isfinite(value))
    return;
  cJSON_DeleteItemFromObjectCaseSensitive(r->details, key);
  cJSON_AddNumberToObject(r->details, key, value);
}

static void h_result_detail_bool(probe_result *r, const char *key, int value)
{
  if(!r || !key)
    return;
  cJSON_DeleteItemFromObjectCaseSensitive(r->details, key);
  cJSON_AddBoolToObject(r->details, key, value);
}

static void h_result_detail_json(probe_result *r, const char *key,
                                 const char *json)
{
  if(!r || !key || !json)
    return;
  cJSON *v = cJSON_Parse(json);
  if(!v)
    return;
  char *text = cJSON_PrintUnformatted(v);
  int ok = text && utf8_valid(text, strlen(text), NULL);
  free(text);
  if(!ok) {
    cJSON_Delete(v);
    return;
  }
  cJSON_DeleteItemFromObjectCaseSensitive(r->details, key);
  cJSON_AddItemToObject(r->details, key, v);
}

static void h_result_duration(probe_result *r, double ms)
{
  if(r && isfinite(ms) && ms >= 0) {
    r->duration_ms = ms;
    r->has_duration = 1;
  }
}

static void h_result_discard(probe_result *r)
{
  if(!r)
    return;
  cJSON_Delete(r->obj);
  cJSON_Delete(r->metrics);
  cJSON_Delete(r->details);
  cJSON_Delete(r->thresholds);
  free(r);
}

static int h_result_emit(probe_result *r)
{
  if(!r)
    return -1;
  probe_ctx *ctx = r->ctx;
  if(ctx->hr->mode != HOST_RUN) {
    h_result_discard(r);
    return -1;
  }
  if(ctx->state_refused[0])
    add_clean_string(r->details, "state_error", ctx->state_refused);
  double ms =
      r->has_duration ? r->duration_ms : util_mono_ms() - ctx->hr->start_ms;
  cJSON_AddNumberToObject(r->obj, WIRE_DURATION_MS, util_round_us(ms));
  cJSON_AddItemToObject(r->obj, WIRE_METRICS, r->metrics);
  cJSON_AddItemToObject(r->obj, WIRE_DETAILS, r->details);
  if(r->thresholds)
    cJSON_AddItemToObject(r->obj, WIRE_THRESHOLDS, r->thresholds);
  cJSON *o = r->obj;
  free(r);
  int rc = wire_send(ctx->hr->result_fd, o);
  if(rc == 0)
    ctx->emitted++;
  return rc == 0 ? 0 : -1;
}

static PROBE_PRINTF(3, 4) void h_config_error(probe_ctx *ctx, const char *key,
                                              const char *fmt, ...)
{
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  ctx->config_errors++;
  cJSON *o = wire_ctl_new(WIRE_CTL_CONFIG_ERROR);
  if(key)
    add_clean_string(o, WIRE_KEY, key);
  add_clean_string(o, WIRE_MESSAGE, msg);
  wire_send(ctx->hr->result_fd, o);
}

/* Keeps the thresholds a plugin used for a metric, so that the Nagios
 * perfdata shows them rather than a guess: {"name":[warn,crit]} with null
 * for a threshold it does not have. */
static void h_result_threshold(probe_result *r, const char *name, double warn,
                               double crit)
{
  if(!r || !name || (!isfinite(warn) && !isfinite(crit)))
    return;
  if(!r->thresholds && !(r->thresholds = cJSON_CreateObject()))
    return;
  cJSON *pair = cJSON_CreateArray();
  cJSON_AddItemToArray(pair, isfinite(warn) ? cJSON_CreateNumber(warn)
                                            : cJSON_CreateNull());
  cJSON_AddItemToArray(pair, isfinite(crit) ? cJSON_CreateNumber(crit)
                                            : cJSON_CreateNull());
  cJSON_DeleteItemFromObjectCaseSensitive(r->thresholds, name);
  cJSON_AddItemToObject(r->thresholds, name, pair);
}

/* Progress of a long run, for the agent's one updating line: at most four
 * a second reach the pipe, and none when the agent shows none. */
static void h_progress(probe_ctx *ctx, double events, double bytes,
                       double total)
{
  if(!ctx || !ctx->hr->progress || !isfinite(events) || !isfinite(bytes))
    return;
  double now = util_mono_ms();
  if(now - ctx->progress_ms < 250.0)
    return;
  ctx->progress_ms = now;
  cJSON *o = wire_ctl_new(WIRE_CTL_PROGRESS);
  cJSON_AddNumberToObject(o, WIRE_EVENTS, events);
  cJSON_AddNumberToObject(o, WIRE_BYTES, bytes);
  cJSON_AddNumberToObject(o, WIRE_TOTAL, isfinite(total) ? total : -1);
  wire_send(ctx->hr->result_fd, o);
}

static const probe_host host_vtable = {PROBE_PLUGIN_ABI,
                                       h_conf_string,
                                       h_conf_int,
                                       h_conf_number,
                                       h_conf_bool,
                                       h_conf_duration,
                                       h_conf_json,
                                       h_state_dir,
                                       h_time_left,
                                       h_log,
                                       h_result_begin,
                                       h_result_status,
                                       h_result_metric,
                                       h_result_detail_string,
                                       h_result_detail_number,
                                       h_result_detail_bool,
                                       h_result_detail_json,
                                       h_result_duration,
                                       h_result_emit,
                                       h_result_discard,
                                       h_config_error,
                                       PROBE_HOST_MINOR,
                                       h_result_threshold,
                                       h_progress};

/* A state that could not be kept counts as unknown in the stream (SPEC 6):
 * one line of the host's own, naming the directory and why. */
static void state_refused_line(probe_ctx *ctx)
{
  char msg[sizeof(ctx->state_refused)];
  snprintf(msg, sizeof(msg), "%s", ctx->state_refused);
  ctx->state_refused[0] = 0; /* not repeated as a detail of its own line */
  probe_result *r = h_result_begin(ctx, "agent.state", ctx->hr->plugin);
  h_result_status(r, PROBE_UNKNOWN, "%s; this run kept no state", msg);
  h_result_emit(r);
}

int host_run_plugin(const host_run *hr, const probe_plugin *p)
{
  probe_ctx ctx;
  memset(&ctx, 0, sizeof(ctx));
  ctx.hr = hr;
  ctx.progress_ms = hr->start_ms; /* the first after a quarter second */
  ctx.section = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(hr->root, "plugins"), hr->plugin);
  int rc = 0;
  char why[256];
  if(hr->mode == HOST_CHECK) {
    if(p->check_config)
      rc = p->check_config(&ctx, &host_vtable);
    if(rc && !ctx.config_errors)
      h_config_error(&ctx, NULL, "the plugin's configuration check failed (%d)",
                     rc);
    goto out;
  }
  if(p->init && (rc = p->init(&ctx, &host_vtable)) != 0) {
    if(!ctx.emitted) {
      snprintf(why, sizeof(why), "plugin %s failed to initialize (%d)",
               hr->plugin, rc);
      host_send_failure(hr->result_fd, why);
    }
    goto out;
  }
  rc = p->run(&ctx, &host_vtable);
  if(p->fini)
    p->fini(&ctx, &host_vtable);
  if(!ctx.emitted) {
    if(rc)
      snprintf(why, sizeof(why),
               "plugin %s failed (%d) without reporting a result", hr->plugin,
               rc);
    else
      snprintf(why, sizeof(why), "plugin %s ended without reporting a result",
               hr->plugin);
    host_send_failure(hr->result_fd, why);
  }
  if(ctx.state_refused[0])
    state_refused_line(&ctx);
out:
  for(size_t i = 0; i < ctx.nscratch; i++)
    free(ctx.scratch[i]);
  free(ctx.scratch);
  free(ctx.state_dir);
  return 0;
}
