/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config-envfile.c: unit tests of the config plugin's environment-file
 * parser (plugins/config/envfile.c): files as shells and systemd's
 * EnvironmentFile= read them (comments, export, quotes, escapes, a value
 * holding '=', continuations), the last of a duplicated key winning with
 * its line, and the input it must refuse with the line named.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "plugins/config/envfile.h"

/* Parses s; the value of key (NULL when absent), its line in *line. */
static const char *get(envfile *f, const char *s, const char *key,
                       unsigned *line)
{
  char err[200];
  assert_int_equal(envfile_parse(s, strlen(s), f, err, sizeof(err)), 0);
  const envfile_entry *e = envfile_get(f, key);
  if(line)
    *line = e ? e->line : 0;
  return e ? e->value : NULL;
}

static void test_syntax(void **state)
{
  (void)state;
  envfile f;
  unsigned line;
  const char *text = "# MedLink production\n"
                     "\n"
                     "; systemd comment\n"
                     "export ITRANS_AUTO_SUBMIT_ENABLED=false\n"
                     "   SPACED = value with spaces   \n"
                     "SQ='it''s # not a comment'\n"
                     "DQ=\"a \\\"quoted\\\" \\$HOME \\n kept\"\n"
                     "EQ=postgres://h/db?sslmode=require&x=1\n"
                     "CMT=on # the rest is a comment\n"
                     "HASH=a#b\n"
                     "CONT=first\\\n"
                     "second\n"
                     "MULTI=\"line1\n"
                     "line2\"\n"
                     "EMPTY=\n"
                     "CRLF=yes\r\n";
  assert_string_equal(get(&f, text, "ITRANS_AUTO_SUBMIT_ENABLED", &line),
                      "false");
  assert_int_equal(line, 4);
  assert_string_equal(envfile_get(&f, "SPACED")->value, "value with spaces");
  assert_string_equal(envfile_get(&f, "SQ")->value, "its # not a comment");
  assert_string_equal(envfile_get(&f, "DQ")->value,
                      "a \"quoted\" $HOME \\n kept");
  assert_string_equal(envfile_get(&f, "EQ")->value,
                      "postgres://h/db?sslmode=require&x=1");
  assert_string_equal(envfile_get(&f, "CMT")->value, "on");
  assert_string_equal(envfile_get(&f, "HASH")->value, "a#b");
  assert_string_equal(envfile_get(&f, "CONT")->value, "firstsecond");
  assert_string_equal(envfile_get(&f, "MULTI")->value, "line1\nline2");
  assert_string_equal(envfile_get(&f, "EMPTY")->value, "");
  assert_string_equal(envfile_get(&f, "CRLF")->value, "yes");
  assert_int_equal(envfile_get(&f, "CRLF")->line, 16);
  assert_null(envfile_get(&f, "export"));
  envfile_free(&f);
}

static void test_duplicates(void **state)
{
  (void)state;
  envfile f;
  unsigned line;
  assert_string_equal(get(&f, "K=1\nOTHER=x\nK=2\nexport K=3\n", "K", &line),
                      "3");
  assert_int_equal(line, 4);
  assert_int_equal(envfile_get(&f, "K")->dups, 2);
  assert_int_equal(envfile_get(&f, "K")->first_line, 1);
  envfile_free(&f);
}

/* envfile_parse must fail on s with an error naming want. */
static void refuse(const char *s, size_t len, const char *want)
{
  envfile f;
  char err[200] = "";
  assert_int_equal(envfile_parse(s, len, &f, err, sizeof(err)), -1);
  assert_int_equal(f.n, 0);
  if(!strstr(err, want))
    fail_msg("error \"%s\" does not say \"%s\"", err, want);
}

static void test_refused(void **state)
{
  (void)state;
  refuse("A=1\nB=\0x\n", 8, "line 2 holds a NUL byte");
  refuse("A=1\nB=\xff\n", 7, "line 2 is not valid UTF-8");
  refuse("A=1\nB=\xc0\xaf\n", 8, "not valid UTF-8"); /* overlong */
  refuse("A=1\nnot an assignment\n", 22, "line 2 is not KEY=VALUE");
  refuse("1A=x\n", 5, "line 1 is not KEY=VALUE");
  refuse("A=1\nB=\"open\nC=2\n", 16, "line 2: a double quote is not closed");
  refuse("A='open\n", 8, "line 1: a single quote is not closed");
}

static void test_edges(void **state)
{
  (void)state;
  envfile f;
  char err[200];
  assert_int_equal(envfile_parse("", 0, &f, err, sizeof(err)), 0);
  assert_int_equal(f.n, 0);
  assert_int_equal(envfile_parse("A=x\\", 4, &f, err, sizeof(err)),
                   0); /* backslash at the end */
  assert_string_equal(envfile_get(&f, "A")->value, "x");
  envfile_free(&f);
  assert_int_equal(envfile_parse("U=\xc3\xa9t\xc3\xa9", 7, &f, err,
                                 sizeof(err)),
                   0);
  assert_string_equal(envfile_get(&f, "U")->value, "\xc3\xa9t\xc3\xa9");
  envfile_free(&f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_syntax),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
