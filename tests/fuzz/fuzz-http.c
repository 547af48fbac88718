/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-http.c: libFuzzer target for what the http plugin parses
 * (plugins/http): its targets setting (URLs, expect_status, headers, JSON
 * assertions), read by check_config through the probe_host double, and a
 * reply body judged against JSON assertions (hjudge.c).
 * First byte even: the rest is the targets list. Checks that the password
 * of a URL's userinfo never appears in a configuration error.
 * First byte odd: the rest is a line of assertions (a JSON list as in
 * http.targets[].json) then the body. Checks that the verdict is one line
 * of valid UTF-8 without control characters, ok exactly when nothing
 * failed.
 *   ./fuzz-http tests/fuzz/corpus/http
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "plugins/common/pjsonptr.h"
#include "plugins/http/hjudge.h"
#include "tests/fuzz/fuzzutil.h"
#include "tests/lib/mock_host.h"

extern const probe_plugin probe_plugin_entry;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The password of a URL's userinfo ("scheme://user:PASSWORD@host"), as a
 * pointer into url and its length; 0 when there is none. */
static size_t url_password(const char *url, const char **pw)
{
  const char *s = strstr(url, "://");
  if(!s)
    return 0;
  s += 3;
  size_t auth = strcspn(s, "/?#");
  const char *at = NULL;
  for(const char *p = s; p < s + auth; p++)
    if(*p == '@')
      at = p;
  const char *colon = at ? memchr(s, ':', (size_t)(at - s)) : NULL;
  if(!colon)
    return 0;
  *pw = colon + 1;
  return (size_t)(at - *pw);
}

/* The targets list through check_config; no password in its errors. */
static void settings(const char *json, size_t len)
{
  cJSON *arr = cJSON_ParseWithLength(json, len);
  char *text = cJSON_PrintUnformatted(arr);
  char *section = NULL;
  if(!arr || !text || asprintf(&section, "{\"targets\": %s}", text) < 0)
    goto done;
  mock_check_config(&probe_plugin_entry, section);
  const cJSON *t;
  cJSON_ArrayForEach(t, arr) {
    const cJSON *u = cJSON_IsString(t) ? t : cJSON_GetObjectItem(t, "url");
    const char *pw;
    size_t n = cJSON_IsString(u) ? url_password(u->valuestring, &pw) : 0;
    if(!n || !fuzz_secret_distinct(pw, n) || fuzz_count(section, pw, n) != 1)
      continue; /* none, or the same text elsewhere in the settings */
    for(size_t i = 0; i < mock_nconfig_errors(); i++)
      if(fuzz_leaks(mock_config_error_at(i), pw, n))
        abort();
  }
  mock_host_teardown();
done:
  free(section);
  free(text);
  cJSON_Delete(arr);
}

/* Assertions of the form of http.targets[].json, the well-formed ones. */
static size_t assertions(const cJSON *arr, hjudge_assertion *as, size_t max)
{
  static const char *const kinds[] = {"equals", "one_of", "min", "max"};
  size_t n = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    const cJSON *p = cJSON_GetObjectItem(e, "pointer");
    if(n == max || !cJSON_IsString(p) || !pjsonptr_valid(p->valuestring) ||
       !fuzz_text_ok(p->valuestring) || strlen(p->valuestring) > 64)
      continue;
    for(int k = 0; k < 4; k++) {
      cJSON *w = cJSON_GetObjectItem(e, kinds[k]);
      if(!w || (k == HJ_ONE_OF && !cJSON_IsArray(w)) ||
         (k >= HJ_MIN && !cJSON_IsNumber(w)))
        continue;
      as[n].pointer = p->valuestring;
      as[n].kind = (hjudge_kind)k;
      as[n].want = w;
      n++;
      break;
    }
  }
  return n;
}

/* A body judged against assertions: one clean line, ok iff not failed. */
static void judge(const char *in, size_t len)
{
  const char *nl = memchr(in, '\n', len);
  if(!nl)
    return;
  cJSON *arr = cJSON_ParseWithLength(in, (size_t)(nl - in));
  hjudge_assertion as[8];
  hjudge_expect x = {{200}, 1, -1, as, 0};
  x.nas = assertions(arr, as, 8);
  char *body = malloc(len - (size_t)(nl + 1 - in) + 1);
  if(!body)
    goto done;
  hjudge_reply rp = {PHTTP_OK, NULL, 200, body, len - (size_t)(nl + 1 - in),
                     0.1};
  memcpy(body, nl + 1, rp.len);
  body[rp.len] = '\0';
  hjudge_verdict v;
  hjudge_reply_judge(&x, &rp, &v);
  int clean = !memchr(in, 0x7f, len) && !memchr(in, 0, len);
  if(clean) {
    char *all = strndup(in, len);
    clean = all && fuzz_utf8_ok(all, 1);
    free(all);
  }
  /* values are shown as cJSON prints them (control characters escaped):
   * one clean line when the input is UTF-8 without DEL */
  if((clean && !fuzz_text_ok(v.v.text)) || (v.v.st == PROBE_OK) != !v.failed)
    abort();
  free(body);
done:
  cJSON_Delete(arr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  return fuzz_two_modes(data, size, judge, settings);
}
