/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-config.c: libFuzzer target for what the config plugin parses
 * (plugins/config): a JSON or environment file source read by a run
 * through the probe_host double (the same from_json reads a URL source's
 * body), and the judge of a value (cjudge.c).
 * First byte even: the rest is the file, looked up by a secret JSON
 * pointer, a secret env key and a shown JSON pointer. Checks that every
 * summary and shown value is one line of valid UTF-8 without control
 * characters, and that no secret expectation shows its value.
 * First byte odd: a line holding what is expected (a JSON value: equals;
 * a list: one_of), then the value found. Checks that a secret verdict
 * says the same whatever the value (unless that changes the match), and
 * that a shown value is clean text within its bound.
 *   ./fuzz-config tests/fuzz/corpus/config
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include <cjson/cJSON.h>

#include "plugins/common/psandbox.h"
#include "plugins/config/cjudge.h"
#include "tests/fuzz/fuzzutil.h"
#include "tests/lib/mock_host.h"

extern const probe_plugin probe_plugin_entry;


/* Replaces plugins/common/psandbox.c (this object comes first, so the
 * archive's member is not linked): every run would stack one more seccomp
 * filter on the process, each making every later system call slower, until
 * the kernel refuses more. Nothing here opens a socket. */
int psandbox_no_network(void)
{
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A run over the file: clean summaries, no secret value shown. */
static void source(const char *in, size_t len)
{
  const char *path = fuzz_scratch("f");
  char settings[512];
  FILE *f = fopen(path, "w");
  if(!f || fwrite(in, 1, len, f) != len || fclose(f) != 0)
    abort();
  snprintf(settings, sizeof(settings),
           "{\"expect\": [{\"name\": \"j\", \"file\": \"%s\", \"key\": \"/a\", "
           "\"equals\": \"x\", \"secret\": true}, {\"name\": \"e\", \"file\": "
           "\"%s\", \"key\": \"A\", \"one_of\": [\"x\", 1], \"secret\": true}, "
           "{\"name\": \"s\", \"file\": \"%s\", \"key\": \"/b\", \"equals\": "
           "true}]}",
           path, path, path);
  mock_run(&probe_plugin_entry, settings);
  for(size_t i = 0; i < mock_nlines(); i++) {
    const mock_line *l = mock_line_at(i);
    const char *name = mock_detail(l, "name");
    if(l->summary && !fuzz_text_ok(l->summary))
      abort();
    if(name && strcmp(name, "\"s\"") && mock_detail(l, "value"))
      abort(); /* a secret expectation showed its value */
  }
  mock_host_teardown();
}

/* A secret verdict on text and on other text: the same words. */
static void judge(const char *in, size_t len)
{
  const char *nl = memchr(in, '\n', len);
  if(!nl)
    return;
  cJSON *want = cJSON_ParseWithLength(in, (size_t)(nl - in));
  char *text = strndup(nl + 1, len - (size_t)(nl + 1 - in));
  char *all = strndup(in, len);
  /* valid UTF-8 only: the sources check it (envfile, from_json), and so
   * does the agent's configuration reader */
  int utf8 = all && strlen(all) == len && fuzz_utf8_ok(all, 1);
  free(all);
  if(!want || !text || (cJSON_IsArray(want) && !cJSON_GetArraySize(want)) ||
     !utf8)
    goto done;
  cjudge_expect x = {"k", cJSON_IsArray(want) ? CJ_ONE_OF : CJ_EQUALS, want,
                     want, 1};
  cjudge_found f = {1, text, NULL, "f", 3, 1, 2};
  cjudge_verdict v1, v2, v3;
  cjudge_value(&x, &f, &v1);
  f.text = "\x01\x02";
  cjudge_value(&x, &f, &v2);
  if(v1.matched == v2.matched && strcmp(v1.text, v2.text))
    abort(); /* the secret verdict depends on the value */
  if(!fuzz_text_ok(v1.text))
    abort();
  x.secret = 0;
  f.text = text;
  cjudge_value(&x, &f, &v3);
  if(v3.matched != v1.matched || v3.st != v1.st || !fuzz_text_ok(v3.text))
    abort();
  char shown[CJUDGE_SHOW_MAX + 8];
  cjudge_show(text, shown, sizeof(shown));
  if(!fuzz_text_ok(shown) || strlen(shown) >= sizeof(shown))
    abort();
done:
  free(text);
  cJSON_Delete(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  return fuzz_two_modes(data, size, judge, source);
}
