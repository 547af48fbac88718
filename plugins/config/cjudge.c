/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cjudge.c: the config plugin's judge (see cjudge.h). Env files and
 * ConfigMaps hold text, JSON sources typed values: "false" in an env file
 * is the boolean false a cutover flag asks for, a JSON true is not the
 * string "true".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/config/cjudge.h"

/* Text a wanted scalar is compared as (false -> "false", 2 -> "2"). */
static int want_text(const cJSON *w, char *out, size_t n)
{
  if(cJSON_IsString(w))
    snprintf(out, n, "%s", w->valuestring);
  else if(cJSON_IsBool(w))
    snprintf(out, n, "%s", cJSON_IsTrue(w) ? "true" : "false");
  else if(cJSON_IsNumber(w)) {
    char *s = cJSON_PrintUnformatted(w);
    snprintf(out, n, "%s", s ? s : "?");
    free(s);
  }
  else
    return -1;
  return 0;
}

/* 1 when the found value matches one wanted scalar: a JSON value equal as
 * JSON, or any value whose text is the wanted one's text. */
static int matches_one(const cjudge_found *f, const cJSON *w)
{
  char wt[4096];
  if(f->json && cJSON_Compare(f->json, w, 1))
    return 1;
  if(want_text(w, wt, sizeof(wt)) != 0)
    return 0;
  if(f->json && !cJSON_IsString(f->json) && cJSON_IsString(w))
    return 0; /* a JSON true is not the string "true" the user asked for */
  return f->text && !strcmp(f->text, wt);
}

void cjudge_show(const char *s, char *out, size_t n)
{
  size_t o = 0;
  for(const unsigned char *p = (const unsigned char *)s; *p && o + 4 < n; p++)
    out[o++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
  if(*s && strlen(s) > o && o + 4 <= n) {
    /* do not cut a UTF-8 sequence in two */
    while(o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
      o--;
    if(o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0xc0)
      o--;
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

/* Whether f matches x, and what x wants as shown in a summary. */
static int judge_match(const cjudge_expect *x, const cjudge_found *f,
                       char *wanted, size_t n)
{
  char shown[CJUDGE_SHOW_MAX + 8], wt[200];
  const cJSON *w;
  int ok = 0;
  if(x->kind == CJ_ABSENT) {
    snprintf(wanted, n, "absent");
    return !f->present;
  }
  if(x->kind == CJ_EQUALS) {
    if(want_text(x->equals, wt, sizeof(wt)) != 0)
      wt[0] = '\0';
    cjudge_show(wt, shown, sizeof(shown));
    snprintf(wanted, n, "%s", x->secret ? "the expected value" : shown);
    return f->present && matches_one(f, x->equals);
  }
  cJSON_ArrayForEach(w, x->one_of)
    ok |= f->present && matches_one(f, w);
  if(x->secret) {
    snprintf(wanted, n, "one of the expected values");
  }
  else {
    char *s = cJSON_PrintUnformatted(x->one_of);
    cjudge_show(s ? s : "?", shown, sizeof(shown));
    snprintf(wanted, n, "one of %s", shown);
    free(s);
  }
  return ok;
}

void cjudge_value(const cjudge_expect *x, const cjudge_found *f,
                  cjudge_verdict *out)
{
  char wanted[300], loc[700], dup[120] = "", shown[CJUDGE_SHOW_MAX + 8];
  const char *where = f->where ? f->where : "";
  int ok = judge_match(x, f, wanted, sizeof(wanted));
  out->matched = ok;
  out->st = ok ? PROBE_OK : PROBE_CRITICAL;
  if(f->line)
    snprintf(loc, sizeof(loc), " (%.600s:%u)", where, f->line);
  else
    snprintf(loc, sizeof(loc), " (%.600s)", where);
  if(f->dups)
    snprintf(dup, sizeof(dup),
             "; set %u times, first at line %u, the last one wins", f->dups + 1,
             f->first_line);
  if(!f->present)
    snprintf(out->text, sizeof(out->text), "%.200s is not set%s, want %s",
             x->label, loc, wanted);
  else if(x->secret)
    snprintf(out->text, sizeof(out->text), "%.200s %s%s%s", x->label,
             ok ? "matches the expected value"
                : "does not match the expected value",
             loc, dup);
  else {
    cjudge_show(f->text ? f->text : "", shown, sizeof(shown));
    snprintf(out->text, sizeof(out->text), "%.200s is \"%s\"%s%s%s%s", x->label,
             shown, loc, ok ? "" : ", want ", ok ? "" : wanted, dup);
  }
}
