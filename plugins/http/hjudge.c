/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hjudge.c: the http plugin's judge (see hjudge.h): status codes, JSON
 * pointer assertions over the body, the latency threshold and
 * unhealthy_for, as pure functions over a reply already fetched.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/common/pjsonptr.h"
#include "plugins/http/hjudge.h"

static const char *const kind_names[] = {"equals", "one_of", "min", "max"};

/* Short JSON text of a value for a summary (at most n-1 bytes), "..." when
 * cut, never inside a UTF-8 sequence. */
static void show_json(const cJSON *v, char *out, size_t n)
{
  char *s = v ? cJSON_PrintUnformatted(v) : NULL;
  snprintf(out, n, "%s", s ? s : "missing");
  if(s && strlen(s) >= n && n > 4) {
    size_t o = n - 4;
    while(o > 0 && ((unsigned char)out[o] & 0xc0) == 0x80)
      o--; /* out[o] is now the first byte of the cut character */
    memcpy(out + o, "...", 4);
  }
  free(s);
}

/* 1 when the value found at an assertion's pointer satisfies it. */
static int assertion_holds(const hjudge_assertion *a, const cJSON *got)
{
  int ok = 0;
  const cJSON *c;
  switch(a->kind) {
  case HJ_EQUALS: return got && cJSON_Compare(got, a->want, 1);
  case HJ_ONE_OF:
    cJSON_ArrayForEach(c, a->want)
      ok |= got && cJSON_Compare(got, c, 1);
    return ok;
  case HJ_MIN:
    return cJSON_IsNumber(got) && got->valuedouble >= a->want->valuedouble;
  case HJ_MAX:
    return cJSON_IsNumber(got) && got->valuedouble <= a->want->valuedouble;
  }
  return 0;
}

/* Judges the body against the assertions. */
static void judge_json(const hjudge_expect *x, const hjudge_reply *rp,
                       hjudge_verdict *out)
{
  cJSON *doc = cJSON_ParseWithLength(rp->body ? rp->body : "", rp->len);
  if(!doc) {
    pverdict_add(&out->v, PROBE_CRITICAL, "body is not valid JSON");
    out->failed = 1;
    return;
  }
  for(size_t i = 0; i < x->nas; i++) {
    const hjudge_assertion *a = &x->as[i];
    const cJSON *got = pjsonptr_get(doc, a->pointer);
    char g[80], w[80];
    if(assertion_holds(a, got))
      continue;
    show_json(got, g, sizeof(g));
    show_json(a->want, w, sizeof(w));
    pverdict_add(&out->v, PROBE_CRITICAL, "%s is %s, want %s %s", a->pointer, g,
                 kind_names[a->kind], w);
    out->failed = 1;
  }
  cJSON_Delete(doc);
}

/* The status code against the expected ones; 1 when it is one of them. */
static int judge_status(const hjudge_expect *x, const hjudge_reply *rp,
                        hjudge_verdict *out)
{
  char want[120] = "";
  size_t o = 0;
  for(size_t i = 0; i < x->nstatus; i++)
    if(rp->status == x->status[i])
      return 1;
  for(size_t i = 0; i < x->nstatus && o < sizeof(want) - 8; i++)
    o += (size_t)snprintf(want + o, sizeof(want) - o, "%s%ld", i ? "," : "",
                          x->status[i]);
  pverdict_add(&out->v, PROBE_CRITICAL, "HTTP %ld, expected %s", rp->status,
               want);
  out->failed = 1;
  return 0;
}

void hjudge_reply_judge(const hjudge_expect *x, const hjudge_reply *rp,
                        hjudge_verdict *out)
{
  pverdict_init(&out->v);
  out->failed = 0;
  if(rp->code != PHTTP_OK) {
    pverdict_add(&out->v, PROBE_CRITICAL, "%s: %s", phttp_strerror(rp->code),
                 rp->error ? rp->error : "");
    out->failed = 1;
    return;
  }
  if(judge_status(x, rp, out) && x->nas)
    judge_json(x, rp, out);
  if(x->max_latency >= 0 && rp->elapsed_s > x->max_latency)
    pverdict_add(&out->v, PROBE_WARNING, "took %.0f ms (max_latency=%.0f ms)",
                 rp->elapsed_s * 1000, x->max_latency * 1000);
}

void hjudge_soften(hjudge_verdict *out, int have_state, double since,
                   double now, double unhealthy_for, const char *when)
{
  char text[sizeof(out->v.text)];
  if(!have_state) {
    pverdict_add(&out->v, PROBE_UNKNOWN,
                 "unhealthy_for needs a state directory");
    return;
  }
  snprintf(text, sizeof(text), "%s", out->v.text);
  if(now - since < unhealthy_for && out->v.st == PROBE_CRITICAL) {
    out->v.st = PROBE_WARNING;
    snprintf(out->v.text, sizeof(out->v.text),
             "%.900s; failing since %s, for %.0f s (unhealthy_for=%.0f s)",
             text, when, now - since, unhealthy_for);
  }
  else {
    snprintf(out->v.text, sizeof(out->v.text),
             "%.900s; failing since %s, for %.0f s", text, when, now - since);
  }
}
