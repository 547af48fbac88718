/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-probe-env.c: libFuzzer target for the agent's parser of
 * PROBE_<SECTION>_<KEY>=VALUE environment variables (agent/conf.c,
 * conf_parse_probe_env), which turns whatever the environment holds into
 * settings. Input: one variable (cut at its first NUL). Checks what was
 * split against the input: the section and the key are the lowercased
 * bytes before and after the first '_' past "PROBE_", within their
 * bounds, and the value is what follows the first '='.
 *   ./fuzz-probe-env tests/fuzz/corpus/probe-env
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/conf_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when s is the lowercased copy of the n bytes at p. */
static int lowered(const char *s, const char *p, size_t n)
{
  if(strlen(s) != n)
    return 0;
  for(size_t i = 0; i < n; i++)
    if(s[i] != (char)tolower((unsigned char)p[i]))
      return 0;
  return 1;
}

/* Checks one accepted variable against the parser's contract. */
static void check(const char *e, const char *section, const char *key,
                  const char *value)
{
  const char *eq = strchr(e, '=');
  const char *p = e + 6;
  size_t sl = strlen(section), kl = strlen(key);
  if(strncmp(e, "PROBE_", 6) || sl == 0 || sl > 63 || kl > 127)
    abort();
  if(!lowered(section, p, sl) || p[sl] != '_' || strcspn(p, "_=") != sl)
    abort();
  if(value != (eq ? eq + 1 : NULL))
    abort();
  if(kl && (!eq || !lowered(key, p + sl + 1, kl) || p + sl + 1 + kl != eq))
    abort();
  if(!kl && eq && eq > p + sl + 1 && eq - (p + sl + 1) < 128)
    abort(); /* a key of 1..127 bytes was there */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *e = malloc(size + 1);
  char section[64], key[128];
  const char *value = NULL;
  if(!e)
    return 0;
  memcpy(e, data, size);
  e[size] = '\0';
  memset(section, 'S', sizeof(section));
  memset(key, 'K', sizeof(key));
  if(conf_parse_probe_env(e, section, key, &value) == 0)
    check(e, section, key, value);
  else if(!strncmp(e, "PROBE_", 6) && strcspn(e + 6, "_=") > 0 &&
          strcspn(e + 6, "_=") < 64 && e[6 + strcspn(e + 6, "_=")] == '_' &&
          strncmp(e, "PROBE_AGENT_", 12) != 0)
    abort(); /* a well-formed variable refused */
  free(e);
  return 0;
}
