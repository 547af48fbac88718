/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto-jcs.c: unit tests of crypto/jcs and crypto/sha256 against the
 * independent vectors in tests/vectors/ (jcs.jsonl: input, canonical text
 * and its SHA-256; es6-numbers.csv: a double's bits and the exact text
 * ECMAScript prints for it), plus what must be rejected. Every test runs
 * once per implementation (the full parser alone, and the fast path with
 * each scanner this CPU has), and the fast path's results are compared
 * with the full parser's on the vectors, ledger lines and their mutations.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "crypto/hex.h"
#include "crypto/jcs.h"
#include "crypto/sha256.h"

/* The implementation the tests of the current group use. */
static crypto_jcs_path g_path = CRYPTO_JCS_PATH_FULL;

/* A canonicalizer on g_path. */
static crypto_jcs *new_jcs(void)
{
  crypto_jcs *j = crypto_jcs_new();
  assert_non_null(j);
  assert_int_equal(crypto_jcs_set_path(j, g_path), 0);
  return j;
}

/* Opens tests/vectors/name under $top_srcdir (or the current directory). */
static FILE *open_vector(const char *name)
{
  char path[4096];
  const char *top = getenv("top_srcdir");
  snprintf(path, sizeof(path), "%s/tests/vectors/%s", top ? top : ".", name);
  return fopen(path, "r");
}

/* Canonicalizes s and checks the result text. */
static void expect_canon(crypto_jcs *j, const char *in, size_t inlen,
                         const char *want)
{
  size_t len;
  const char *out;
  crypto_jcs_code c = crypto_jcs_canonicalize(j, in, inlen);
  if(c != CRYPTO_JCS_OK)
    fail_msg("canonicalize(%.*s): %s", (int)inlen, in, crypto_jcs_strerror(c));
  out = crypto_jcs_text(j, &len);
  if(len != strlen(want) || memcmp(out, want, len) != 0)
    fail_msg("canonicalize(%.*s) = %.*s, want %s", (int)inlen, in, (int)len,
             out, want);
}

/* Every line of jcs.jsonl: canonical text and its SHA-256. */
static void test_jcs_vectors(void **state)
{
  FILE *f = open_vector("jcs.jsonl");
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int count = 0;
  crypto_jcs *j = new_jcs();
  (void)state;
  assert_non_null(f);
  assert_non_null(j);
  while((n = getline(&line, &cap, f)) > 0) {
    cJSON *v = cJSON_Parse(line);
    const char *in, *want, *sha;
    char hex[65];
    size_t len;
    const char *out;
    assert_non_null(v);
    in = cJSON_GetStringValue(cJSON_GetObjectItem(v, "input"));
    want = cJSON_GetStringValue(cJSON_GetObjectItem(v, "canonical"));
    sha = cJSON_GetStringValue(cJSON_GetObjectItem(v, "sha256"));
    assert_non_null(in);
    assert_non_null(want);
    assert_non_null(sha);
    expect_canon(j, in, strlen(in), want);
    out = crypto_jcs_text(j, &len);
    assert_int_equal(crypto_sha256_hex(out, len, hex), 0);
    assert_string_equal(hex, sha);
    cJSON_Delete(v);
    count++;
  }
  assert_true(count >= 40);
  free(line);
  fclose(f);
  crypto_jcs_free(j);
}

/* All lines of es6-numbers.csv: formatting the double directly, and
 * canonicalizing both its %.17g spelling and the expected text itself. */
static void test_es6_numbers(void **state)
{
  FILE *f = open_vector("es6-numbers.csv");
  char line[256], buf[64];
  int count = 0;
  crypto_jcs *j = new_jcs();
  (void)state;
  assert_non_null(f);
  while(fgets(line, sizeof(line), f)) {
    char *comma = strchr(line, ',');
    char *want;
    uint64_t bits;
    double d;
    int w;
    size_t wl;
    assert_non_null(comma);
    *comma = 0;
    want = comma + 1;
    wl = strcspn(want, "\r\n");
    want[wl] = 0;
    bits = strtoull(line, NULL, 16);
    memcpy(&d, &bits, sizeof(d));
    w = crypto_jcs_format_double(d, buf);
    if(w < 0 || (size_t)w != wl || memcmp(buf, want, wl) != 0)
      fail_msg("format(%s) = %.*s, want %s", line, w, buf, want);
    snprintf(buf, sizeof(buf), "%.17g", d);
    expect_canon(j, buf, strlen(buf), want);
    expect_canon(j, want, wl, want);
    count++;
  }
  assert_int_equal(count, 20000);
  fclose(f);
  crypto_jcs_free(j);
}

#define S(lit) lit, sizeof(lit) - 1

/* Re-spellings that must give the same canonical text. */
static void test_respellings(void **state)
{
  crypto_jcs *j = new_jcs();
  (void)state;
  expect_canon(j, S("{\"b\":1.0,\"a\":\"\\u00e9\"}"),
               "{\"a\":\"\xc3\xa9\",\"b\":1}");
  expect_canon(j, S(" { \"a\" :\t\"\xc3\xa9\" ,\r\n\"b\" : 1 } \r"),
               "{\"a\":\"\xc3\xa9\",\"b\":1}");
  expect_canon(j, S("[10E-1, 0.1e1, 100e-2, 1, 1.000000000000000000000001]"),
               "[1,1,1,1,1]");
  expect_canon(j, S("[-0.0, 0e5, 0.000]"), "[0,0,0]");
  /* supplementary characters sort before U+E000..U+FFFF in UTF-16 */
  expect_canon(j, S("{\"\xef\xac\x81\":1,\"\xf0\x9f\x98\x80\":2}"),
               "{\"\xf0\x9f\x98\x80\":2,\"\xef\xac\x81\":1}");
  /* escaped names sort by their code units: \n (U+000A) before A */
  expect_canon(j, S("{\"A\":1,\"\\n\":2,\"\\t\":3}"),
               "{\"\\t\":3,\"\\n\":2,\"A\":1}");
  expect_canon(j, S("\"\\/\\u0041\\u00410\""), "\"/AA0\"");
  crypto_jcs_free(j);
}

/* Many members (merge sort path) and deep nesting. */
static void test_large(void **state)
{
  crypto_jcs *j = new_jcs();
  char *in = malloc(200000), *want = malloc(200000);
  size_t il = 0, wl = 0;
  int i;
  (void)state;
  in[il++] = '{';
  for(i = 999; i >= 0; i--)
    il += (size_t)sprintf(in + il, "%s\"k%04d\":%d", i == 999 ? "" : ",", i, i);
  in[il++] = '}';
  want[wl++] = '{';
  for(i = 0; i < 1000; i++)
    wl += (size_t)sprintf(want + wl, "%s\"k%04d\":%d", i ? "," : "", i, i);
  want[wl++] = '}';
  want[wl] = 0;
  expect_canon(j, in, il, want);
  /* duplicate far apart */
  in[il - 1] = ',';
  il += (size_t)sprintf(in + il - 0, "\"k0500\":1}");
  assert_int_equal(crypto_jcs_canonicalize(j, in, il),
                   CRYPTO_JCS_ERR_DUPLICATE);
  il = 0;
  for(i = 0; i < CRYPTO_JCS_MAX_DEPTH; i++)
    in[il++] = '[';
  for(i = 0; i < CRYPTO_JCS_MAX_DEPTH; i++)
    in[il++] = ']';
  assert_int_equal(crypto_jcs_canonicalize(j, in, il), CRYPTO_JCS_OK);
  il = 0;
  for(i = 0; i <= CRYPTO_JCS_MAX_DEPTH; i++)
    in[il++] = '[';
  for(i = 0; i <= CRYPTO_JCS_MAX_DEPTH; i++)
    in[il++] = ']';
  assert_int_equal(crypto_jcs_canonicalize(j, in, il), CRYPTO_JCS_ERR_DEPTH);
  free(in);
  free(want);
  crypto_jcs_free(j);
}

/* What must be rejected, and with which code. */
static void test_rejects(void **state)
{
  static const struct {
    const char *in;
    crypto_jcs_code want;
  } cases[] = {
      {"", CRYPTO_JCS_ERR_SYNTAX},
      {"   ", CRYPTO_JCS_ERR_SYNTAX},
      {"{", CRYPTO_JCS_ERR_SYNTAX},
      {"{\"a\":1,}", CRYPTO_JCS_ERR_SYNTAX},
      {"{\"a\" 1}", CRYPTO_JCS_ERR_SYNTAX},
      {"{a:1}", CRYPTO_JCS_ERR_SYNTAX},
      {"[1,]", CRYPTO_JCS_ERR_SYNTAX},
      {"[1 2]", CRYPTO_JCS_ERR_SYNTAX},
      {"{} {}", CRYPTO_JCS_ERR_SYNTAX},
      {"01", CRYPTO_JCS_ERR_SYNTAX},
      {"1.", CRYPTO_JCS_ERR_SYNTAX},
      {".5", CRYPTO_JCS_ERR_SYNTAX},
      {"1e", CRYPTO_JCS_ERR_SYNTAX},
      {"+1", CRYPTO_JCS_ERR_SYNTAX},
      {"-", CRYPTO_JCS_ERR_SYNTAX},
      {"NaN", CRYPTO_JCS_ERR_SYNTAX},
      {"Infinity", CRYPTO_JCS_ERR_SYNTAX},
      {"tru", CRYPTO_JCS_ERR_SYNTAX},
      {"nul", CRYPTO_JCS_ERR_SYNTAX},
      {"\"abc", CRYPTO_JCS_ERR_SYNTAX},
      {"\"a\tb\"", CRYPTO_JCS_ERR_SYNTAX},
      {"\"\\x\"", CRYPTO_JCS_ERR_SYNTAX},
      {"\"\\u12\"", CRYPTO_JCS_ERR_SYNTAX},
      {"\"\\u12g4\"", CRYPTO_JCS_ERR_SYNTAX},
      {"'a'", CRYPTO_JCS_ERR_SYNTAX},
      {"{\"a\":1,\"a\":2}", CRYPTO_JCS_ERR_DUPLICATE},
      {"{\"b\":1,\"a\":2,\"b\":3}", CRYPTO_JCS_ERR_DUPLICATE},
      {"{\"\\u0061\":1,\"a\":2}", CRYPTO_JCS_ERR_DUPLICATE},
      {"{\"x\":{\"a\":1,\"a\":1}}", CRYPTO_JCS_ERR_DUPLICATE},
      {"\"\\ud800\"", CRYPTO_JCS_ERR_SURROGATE},
      {"\"\\udc00\"", CRYPTO_JCS_ERR_SURROGATE},
      {"\"\\ud800\\u0041\"", CRYPTO_JCS_ERR_SURROGATE},
      {"\"\\ud800x\"", CRYPTO_JCS_ERR_SURROGATE},
      {"\"\\ude00\\ud83d\"", CRYPTO_JCS_ERR_SURROGATE},
      {"\"\xff\"", CRYPTO_JCS_ERR_UTF8},
      {"\"\xc0\xaf\"", CRYPTO_JCS_ERR_UTF8},         /* overlong */
      {"\"\xed\xa0\x80\"", CRYPTO_JCS_ERR_UTF8},     /* encoded surrogate */
      {"\"\xf4\x90\x80\x80\"", CRYPTO_JCS_ERR_UTF8}, /* > U+10FFFF */
      {"\"\xe2\x82\"", CRYPTO_JCS_ERR_UTF8},         /* truncated */
      {"\"\x80\"", CRYPTO_JCS_ERR_UTF8},
      {"1e400", CRYPTO_JCS_ERR_NUMBER},
      {"-1e99999999999999", CRYPTO_JCS_ERR_NUMBER},
  };
  crypto_jcs *j = new_jcs();
  size_t i;
  (void)state;
  for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    crypto_jcs_code c =
        crypto_jcs_canonicalize(j, cases[i].in, strlen(cases[i].in));
    if(c != cases[i].want)
      fail_msg("case %zu (%s): got %s, want %s", i, cases[i].in,
               crypto_jcs_strerror(c), crypto_jcs_strerror(cases[i].want));
  }
  /* a NUL inside a string is a raw control character */
  assert_int_equal(crypto_jcs_canonicalize(j, "\"a\0b\"", 5),
                   CRYPTO_JCS_ERR_SYNTAX);
  crypto_jcs_free(j);
}

/* Omitting the top-level "hash" member and reading members back. */
static void test_omit_and_members(void **state)
{
  crypto_jcs *j = new_jcs();
  const char *in =
      "{\"seq\":7,\"hash\":\"ab\",\"payload\":{\"z\":[1,{\"q\":\"}\"}],"
      "\"anchored_seq\":6,\"a\\\"b\":\"x,y\"},\"type\":\"T\"}";
  const char *v, *t;
  size_t vl, tl;
  (void)state;
  assert_int_equal(crypto_jcs_canonicalize_omit(j, in, strlen(in), "hash"),
                   CRYPTO_JCS_OK);
  t = crypto_jcs_text(j, &tl);
  assert_int_equal(tl,
                   strlen(
                       "{\"payload\":{\"a\\\"b\":\"x,y\",\"anchored_seq\":6,"
                       "\"z\":[1,{\"q\":\"}\"}]},\"seq\":7,\"type\":\"T\"}"));
  assert_memory_equal(t,
                      "{\"payload\":{\"a\\\"b\":\"x,y\",\"anchored_seq\":6,"
                      "\"z\":[1,{\"q\":\"}\"}]},\"seq\":7,\"type\":\"T\"}",
                      tl);
  v = crypto_jcs_omitted(j, &vl);
  assert_non_null(v);
  assert_int_equal(vl, 4);
  assert_memory_equal(v, "\"ab\"", 4);
  assert_int_equal(crypto_jcs_top_member(j, "seq", &v, &vl), 0);
  assert_int_equal(vl, 1);
  assert_memory_equal(v, "7", 1);
  assert_int_equal(crypto_jcs_top_member(j, "hash", &v, &vl), -1);
  assert_int_equal(crypto_jcs_top_member(j, "payload", &v, &vl), 0);
  assert_true(v[0] == '{' && v[vl - 1] == '}');
  {
    const char *pv;
    size_t pl;
    assert_int_equal(crypto_jcs_member(v, vl, "anchored_seq", &pv, &pl), 0);
    assert_memory_equal(pv, "6", 1);
    assert_int_equal(pl, 1);
    assert_int_equal(crypto_jcs_member(v, vl, "z", &pv, &pl), 0);
    assert_int_equal(pl, strlen("[1,{\"q\":\"}\"}]"));
    assert_int_equal(crypto_jcs_member(v, vl, "nope", &pv, &pl), -1);
  }
  {
    /* strings ending in an escaped backslash, or holding escaped quotes
     * after backslashes: the quote closes after an even run only */
    static const char obj[] = "{\"a\\\\\":\"\\\\\",\"b\\\"\":\"x\\\\\\\"\\\\\","
                              "\"c\":[\"\\\\\",\"]\"],\"d\":2}";
    const char *pv;
    size_t pl;
    assert_int_equal(crypto_jcs_member(obj, strlen(obj), "a\\\\", &pv, &pl), 0);
    assert_int_equal(pl, 4);
    assert_memory_equal(pv, "\"\\\\\"", 4);
    assert_int_equal(crypto_jcs_member(obj, strlen(obj), "b\\\"", &pv, &pl), 0);
    assert_int_equal(pl, 9);
    assert_memory_equal(pv, "\"x\\\\\\\"\\\\\"", 9);
    assert_int_equal(crypto_jcs_member(obj, strlen(obj), "c", &pv, &pl), 0);
    assert_int_equal(pl, 10);
    assert_memory_equal(pv, "[\"\\\\\",\"]\"]", 10);
    assert_int_equal(crypto_jcs_member(obj, strlen(obj), "d", &pv, &pl), 0);
    assert_memory_equal(pv, "2", 1);
    assert_int_equal(pl, 1);
    /* cut inside a string: no member past it */
    assert_int_equal(crypto_jcs_member(obj, 24, "c", &pv, &pl), -1);
  }
  assert_int_equal(crypto_jcs_top_member(j, "type", &v, &vl), 0);
  assert_memory_equal(v, "\"T\"", 3);
  /* already sorted input with the omitted member in the middle */
  in = "{\"a\":1,\"hash\":2,\"z\":3}";
  assert_int_equal(crypto_jcs_canonicalize_omit(j, in, strlen(in), "hash"),
                   CRYPTO_JCS_OK);
  t = crypto_jcs_text(j, &tl);
  assert_int_equal(tl, 13);
  assert_memory_equal(t, "{\"a\":1,\"z\":3}", 13);
  /* nested "hash" stays */
  in = "{\"p\":{\"hash\":1}}";
  assert_int_equal(crypto_jcs_canonicalize_omit(j, in, strlen(in), "hash"),
                   CRYPTO_JCS_OK);
  assert_null(crypto_jcs_omitted(j, &vl));
  t = crypto_jcs_text(j, &tl);
  assert_memory_equal(t, in, tl);
  crypto_jcs_free(j);
}

/* Runs in[0..len) through the full parser (full) and the path under test
 * (fast) and fails unless code, error offset, text, omitted value and the
 * top-level members agree. Returns whether the fast path completed it. */
static int agree(crypto_jcs *full, crypto_jcs *fast, const char *text,
                 size_t len, const char *omit)
{
  static const char *const names[] = {"seq", "type", "payload", "prev_hash",
                                      "a",   "b",    ""};
  /* an exact-size copy, so that ASan sees any read past the end */
  char *in = malloc(len ? len : 1);
  crypto_jcs_code a, b;
  const char *ta, *tb, *vals[7];
  size_t la, lb, i, vlens[7], lens[7], found = 0;
  int r;
  assert_non_null(in);
  memcpy(in, text, len);
  a = crypto_jcs_canonicalize_omit(full, in, len, omit);
  b = crypto_jcs_canonicalize_omit(fast, in, len, omit);
  if(a != b)
    fail_msg("%.*s: full %s, fast %s", (int)len, in, crypto_jcs_strerror(a),
             crypto_jcs_strerror(b));
  if(a != CRYPTO_JCS_OK) {
    if(crypto_jcs_error_offset(full) != crypto_jcs_error_offset(fast))
      fail_msg("%.*s: offsets %zu, %zu", (int)len, in,
               crypto_jcs_error_offset(full), crypto_jcs_error_offset(fast));
    free(in);
    return crypto_jcs_last_fast(fast);
  }
  ta = crypto_jcs_text(full, &la);
  tb = crypto_jcs_text(fast, &lb);
  if(la != lb || memcmp(ta, tb, la) != 0)
    fail_msg("%.*s: full %.*s, fast %.*s", (int)len, in, (int)la, ta, (int)lb,
             tb);
  ta = crypto_jcs_omitted(full, &la);
  tb = crypto_jcs_omitted(fast, &lb);
  assert_true((ta == NULL) == (tb == NULL));
  if(ta)
    assert_true(la == lb && memcmp(ta, tb, la) == 0);
  /* the one-pass lookup finds what the single lookups find */
  assert_int_equal(sizeof(names) / sizeof(names[0]), 7);
  for(i = 0; i < 7; i++)
    lens[i] = strlen(names[i]);
  found = crypto_jcs_top_members(fast, names, lens, 7, vals, vlens);
  for(i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    int ra = crypto_jcs_top_member(full, names[i], &ta, &la);
    int rb = crypto_jcs_top_member(fast, names[i], &tb, &lb);
    assert_int_equal(ra, rb);
    assert_int_equal(ra == 0, vals[i] != NULL);
    if(ra == 0) {
      assert_true(la == lb && memcmp(ta, tb, la) == 0);
      assert_true(vals[i] == tb && vlens[i] == lb);
      found--;
    }
  }
  assert_int_equal(found, 0);
  r = crypto_jcs_last_fast(fast);
  free(in);
  return r;
}

/* Every single-byte deletion, substitution (by bytes that matter to the
 * grammar) and truncation of in: both paths must agree on each. */
static void agree_mutations(crypto_jcs *full, crypto_jcs *fast, const char *in,
                            size_t len)
{
  static const char subst[] = "\"\\ 0.e-}],:{[u1\x7f\x80\xc3\x1f\t/E+9n";
  char *b = malloc(len + 1);
  size_t i, k;
  assert_non_null(b);
  for(i = 0; i < len; i++) {
    memcpy(b, in, i);
    memcpy(b + i, in + i + 1, len - i - 1);
    agree(full, fast, b, len - 1, "hash");
    agree(full, fast, in, i, "hash");
    memcpy(b, in, len);
    for(k = 0; k < sizeof(subst) - 1; k++) {
      b[i] = subst[k];
      agree(full, fast, b, len, "hash");
      agree(full, fast, b, len, NULL);
    }
  }
  free(b);
}

/* The fast path against the full parser on the vectors, ledger lines,
 * numbers, strings and mutations of them. */
static void test_paths_agree(void **state)
{
  static const char *const files[] = {"ledger-valid.jsonl",
                                      "ledger-broken-deleted.jsonl",
                                      "ledger-broken-payload.jsonl",
                                      "ledger-broken-rechained.jsonl"};
  static const char *const extra[] = {
      "0",
      "-0",
      "-0.0",
      "0.0",
      "0.5",
      "-0.5",
      "0.000001",
      "0.0000001",
      "0.0000012",
      "0.000001234567890123",
      "0.00000123456789012345",
      "123456789012345",
      "1234567890123456",
      "12345678901234567",
      "100000000000000000000",
      "1000000000000000000000",
      "1e21",
      "1E2",
      "12345678.9012345",
      "1234567.89012345",
      "1.10",
      "10",
      "1.5e3",
      "01",
      "1.",
      "-",
      "-a",
      "0.",
      "00",
      "-01",
      "9007199254740993",
      "[1.0]",
      "\"\\u001f\"",
      "\"\\u001F\"",
      "\"\\u000a\"",
      "\"\\u0008\"",
      "\"\\u0020\"",
      "\"\\u00e9\"",
      "\"\\/\"",
      "\"\\b\\f\\n\\r\\t\\\"\\\\\"",
      "\"\\u0000\"",
      "\"\\u001\"",
      "\"\\u00\"",
      "\"\\",
      "\"\\u",
      "\"\xc3\"",
      "\"\xc3\xa9\"",
      "\"\xf0\x9f\x98\x80\"",
      "\"\xed\xa0\x80\"",
      "\"\x7f\"",
      "{\"a\":1,\"a\":2}",
      "{\"b\":1,\"a\":2,\"b\":3}",
      "{\"a\\n\":1,\"a\\t\":2}",
      "{\"hash\":1}",
      "{\"hash\":1,\"a\":2}",
      "{\"a\":{\"hash\":1},\"hash\":[]}",
      "{\"\\u0068ash\":1}",
      "{}",
      "[]",
      "[{}]",
      "{\"a\":{}}",
      " {\"a\":1} ",
      "\t[1]\r\n",
      "{\"a\" :1}",
      "{\"a\": 1}",
      "[1 ]",
      "true",
      "false",
      "null",
      "tru",
      "nulll",
      "[true,false,null]",
      "\"abcdefghijklmnopqrstuvwxyz0123\"",
      "{\"abcdefgh1\":1,\"abcdefgh0\":2,\"abcdefg\":3,\"\":4}",
      "{\"\xef\xac\x81\":1,\"\xf0\x9f\x98\x80\":2}",
      "[",
      "[1,",
      "{\"a\":",
      "{\"a\"",
      "{\"a\":[", /* end mid-value */
  };
  crypto_jcs *full, *fast;
  char *line = NULL, buf[96];
  size_t cap = 0, i;
  ssize_t n;
  int fastn = 0, lines = 0;
  FILE *f;
  (void)state;
  full = crypto_jcs_new();
  assert_non_null(full);
  assert_int_equal(crypto_jcs_set_path(full, CRYPTO_JCS_PATH_FULL), 0);
  fast = new_jcs();
  for(i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
    agree(full, fast, extra[i], strlen(extra[i]), NULL);
    agree(full, fast, extra[i], strlen(extra[i]), "hash");
    agree_mutations(full, fast, extra[i], strlen(extra[i]));
  }
  for(i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    f = open_vector(files[i]);
    assert_non_null(f);
    while((n = getline(&line, &cap, f)) > 0) {
      fastn += agree(full, fast, line, (size_t)n, "hash");
      agree(full, fast, line, (size_t)n, NULL);
      if(lines++ < 3)
        agree_mutations(full, fast, line, (size_t)n);
    }
    fclose(f);
  }
  f = open_vector("jcs.jsonl");
  assert_non_null(f);
  while((n = getline(&line, &cap, f)) > 0) {
    cJSON *v = cJSON_Parse(line);
    const char *in = cJSON_GetStringValue(cJSON_GetObjectItem(v, "input"));
    const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(v, "canonical"));
    assert_non_null(in);
    assert_non_null(c);
    agree(full, fast, in, strlen(in), NULL);
    agree(full, fast, c, strlen(c), "hash");
    agree_mutations(full, fast, in, strlen(in));
    cJSON_Delete(v);
  }
  fclose(f);
  /* every ES6 number, as written by ECMAScript and as %.17g, in context */
  f = open_vector("es6-numbers.csv");
  assert_non_null(f);
  while(fgets(buf, sizeof(buf), f)) {
    char *comma = strchr(buf, ','), doc[160];
    uint64_t bits;
    double d;
    int dl;
    assert_non_null(comma);
    *comma = 0;
    comma[1 + strcspn(comma + 1, "\r\n")] = 0;
    bits = strtoull(buf, NULL, 16);
    memcpy(&d, &bits, sizeof(d));
    dl = snprintf(doc, sizeof(doc), "{\"b\":%s,\"a\":[%.17g]}", comma + 1, d);
    agree(full, fast, doc, (size_t)dl, NULL);
    agree(full, fast, comma + 1, strlen(comma + 1), NULL);
  }
  fclose(f);
  free(line);
  /* canonical ledger lines are the fast path's to finish */
  if(g_path != CRYPTO_JCS_PATH_FULL)
    assert_true(fastn > 0);
  else
    assert_int_equal(fastn, 0);
  crypto_jcs_free(full);
  crypto_jcs_free(fast);
}

/* Which texts the fast path finishes itself: canonical tokens in any member
 * order; anything to respell goes to the full parser (with the same text
 * as the result). */
static void test_fast_taken(void **state)
{
  static const char *const taken[] = {
      "{\"b\":[1,2.5,-0.125,0.000001,123456789012345],\"a\":\"\xc3\xa9\\n\"}",
      "{\"z\":{\"y\":true,\"x\":null},\"hash\":\"ab\",\"seq\":1}",
      "[\"\\u001f\\\"\\\\\",false,{}]",
      "0",
      "-7",
      " [] ",
  };
  static const char *const respelled[] = {
      "{\"a\": 1}",  "[1.0]",       "[1e2]",
      "[-0]",        "[0.0000001]", "[1234567890123456]",
      "\"\\u0041\"", "\"\\/\"",     "\"\\u001F\"",
      "\"\\u000a\"", "[1,\n2]",
  };
  crypto_jcs *j = new_jcs();
  size_t i;
  (void)state;
  for(i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
    assert_int_equal(crypto_jcs_canonicalize_omit(j, taken[i], strlen(taken[i]),
                                                  "hash"),
                     CRYPTO_JCS_OK);
    if(crypto_jcs_last_fast(j) != (g_path != CRYPTO_JCS_PATH_FULL))
      fail_msg("%s: fast %d on %s", taken[i], crypto_jcs_last_fast(j),
               crypto_jcs_path_name(j));
  }
  for(i = 0; i < sizeof(respelled) / sizeof(respelled[0]); i++) {
    assert_int_equal(crypto_jcs_canonicalize(j, respelled[i],
                                             strlen(respelled[i])),
                     CRYPTO_JCS_OK);
    if(crypto_jcs_last_fast(j))
      fail_msg("%s: taken by the fast path", respelled[i]);
  }
  crypto_jcs_free(j);
}

/* Canonicalizes warm on fast (recording its shape), then checks in against
 * the full parser (agree) with omit "hash"; returns whether in was finished
 * by replaying warm's shape. The shapes are forgotten first, so that each
 * case stands alone. */
static int replayed_after(crypto_jcs *full, crypto_jcs *fast, const char *warm,
                          const char *in, size_t len, const char *omit)
{
  crypto_jcs_set_shapes(fast, 1);
  assert_int_equal(crypto_jcs_canonicalize_omit(fast, warm, strlen(warm),
                                                "hash"),
                   CRYPTO_JCS_OK);
  assert_int_equal(crypto_jcs_last_shaped(fast), 0);
  agree(full, fast, in, len, omit);
  return crypto_jcs_last_shaped(fast);
}

/* Shape replay (crypto_jcs_set_shapes): a line of a recorded shape is
 * finished by replay with the full parser's text, omitted value and
 * members (agree), whatever its values, its member order and whichever
 * member is omitted; a line that differs in a name, a member, where an
 * object is, or in a spelling to change is not replayed and still agrees;
 * every mutation of a line, tried against its own recorded shape, agrees;
 * and the shuffled ledger's lines after the first are replayed. */
static void test_shape_replay(void **state)
{
  static const char base[] =
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[1,\"x\",true],"
      "\"a\":{\"d\":null,\"c\":2}},\"hash\":\"ab\"}";
  static const char *const same[] = {
      base,
      "{\"seq\":-2.5,\"ts\":\"\xc3\xa9\\n\\u001f\",\"payload\":{\"b\":[],"
      "\"a\":{\"d\":\"\",\"c\":false}},\"hash\":[1,2]}",
      " {\"seq\":0,\"ts\":\"\",\"payload\":{\"b\":[\"\"],\"a\":{\"d\":0.000001,"
      "\"c\":\"{}\"}},\"hash\":\"\"}\r\n",
      /* the members in other orders */
      "{\"hash\":\"ab\",\"payload\":{\"a\":{\"c\":2,\"d\":null},"
      "\"b\":[1]},\"ts\":\"x\",\"seq\":1}",
      "{\"ts\":\"x\",\"payload\":{\"b\":[1],\"a\":{\"c\":2,\"d\":null}},"
      "\"seq\":1,\"hash\":\"ab\"}",
  };
  static const char *const other[] = {
      /* a name renamed, added, dropped, given twice (in place of another
       * and besides the others) */
      "{\"seq\":1,\"tz\":\"x\",\"payload\":{\"b\":[1],\"a\":{\"d\":null,"
      "\"c\":2}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[1],\"a\":{\"d\":null,"
      "\"c\":2,\"e\":3}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[1],\"a\":{\"d\":null}},"
      "\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[1],\"a\":{\"d\":null,"
      "\"d\":2}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[1],\"a\":{\"d\":null,"
      "\"c\":2,\"d\":3}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"x\",\"seq\":1,\"payload\":{\"b\":[1],"
      "\"a\":{\"d\":null,\"c\":2}},\"hash\":\"ab\"}",
      /* an object where the shape has none, and the other way round */
      "{\"seq\":{\"z\":1,\"y\":2},\"ts\":\"x\",\"payload\":{\"b\":[1],"
      "\"a\":{\"d\":null,\"c\":2}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[1],\"a\":3},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[1],\"a\":{\"d\":null,"
      "\"c\":{}}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[1],\"a\":{\"d\":1e-7,"
      "\"c\":2}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[{\"z\":1,\"y\":2}],"
      "\"a\":{\"d\":null,\"c\":2}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[[2,1]],"
      "\"a\":{\"d\":null,\"c\":2}},\"hash\":\"ab\"}",
      /* spellings the full parser changes */
      "{\"seq\":1.0,\"ts\":\"x\",\"payload\":{\"b\":[1],\"a\":{\"d\":null,"
      "\"c\":2}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"\\u0078\",\"payload\":{\"b\":[1],\"a\":{\"d\":null,"
      "\"c\":2}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"\\u0074s\":\"x\",\"payload\":{\"b\":[1],\"a\":{\"d\":null,"
      "\"c\":2}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\" :\"x\",\"payload\":{\"b\":[1],\"a\":{\"d\":null,"
      "\"c\":2}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[1, 2],\"a\":{\"d\":null,"
      "\"c\":2}},\"hash\":\"ab\"}",
      /* not one JSON text, not valid UTF-8 */
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[1],\"a\":{\"d\":null,"
      "\"c\":2}},\"hash\":\"ab\"}}",
      "{\"seq\":1,\"ts\":\"\xc3\",\"payload\":{\"b\":[1],\"a\":{\"d\":null,"
      "\"c\":2}},\"hash\":\"ab\"}",
      "{\"seq\":1,\"ts\":\"x\",\"payload\":{\"b\":[1],\"a\":{\"d\":nul,"
      "\"c\":2}},\"hash\":\"ab\"}",
  };
  static const char *const omits[] = {"hash", NULL, "seq", "payload", "c"};
  static const char subst[] = "\"\\ 0.e-}],:{[u1\x7f\x80\xc3\x1f\t/E+9n";
  crypto_jcs *full = crypto_jcs_new(), *fast = new_jcs();
  int on = g_path != CRYPTO_JCS_PATH_FULL, shaped = 0, fastn = 0;
  size_t i, k, len = sizeof(base) - 1;
  char b[sizeof(base)], *line = NULL;
  size_t cap = 0;
  ssize_t n;
  FILE *f;
  (void)state;
  assert_non_null(full);
  assert_int_equal(crypto_jcs_set_path(full, CRYPTO_JCS_PATH_FULL), 0);
  for(i = 0; i < sizeof(same) / sizeof(same[0]); i++)
    for(k = 0; k < sizeof(omits) / sizeof(omits[0]); k++)
      if(replayed_after(full, fast, base, same[i], strlen(same[i]), omits[k]) !=
         on)
        fail_msg("%s (omit %s): replayed %d", same[i],
                 omits[k] ? omits[k] : "none", !on);
  for(i = 0; i < sizeof(other) / sizeof(other[0]); i++)
    if(replayed_after(full, fast, base, other[i], strlen(other[i]), "hash"))
      fail_msg("%s: replayed", other[i]);
  /* turned off, nothing is replayed */
  crypto_jcs_set_shapes(fast, 0);
  agree(full, fast, base, len, "hash");
  agree(full, fast, base, len, "hash");
  assert_int_equal(crypto_jcs_last_shaped(fast), 0);
  for(i = 0; i < len; i++) {
    memcpy(b, base, len);
    memmove(b + i, b + i + 1, len - i - 1);
    replayed_after(full, fast, base, b, len - 1, "hash");
    replayed_after(full, fast, base, base, i, "hash");
    memcpy(b, base, len);
    for(k = 0; k < sizeof(subst) - 1; k++) {
      b[i] = subst[k];
      shaped += replayed_after(full, fast, base, b, len, "hash");
      replayed_after(full, fast, base, b, len, NULL);
    }
  }
  if(on != (shaped > 0))
    fail_msg("%d mutations replayed on %s", shaped, crypto_jcs_path_name(fast));
  /* objects that differ by place: a payload of another kind is recorded
   * beside the first, and lines of either kind are replayed after that;
   * so are lines whose nested objects are all new, past the templates'
   * room (they start again from the line that did not fit) */
  {
    static const char other_payload[] =
        "{\"seq\":2,\"ts\":\"y\",\"payload\":{\"anchored_seq\":1,"
        "\"anchored_hash\":\"ab\",\"tx\":{\"b\":1,\"a\":[]}},\"hash\":\"cd\"}";
    char many[128];
    crypto_jcs_set_shapes(fast, 1);
    agree(full, fast, base, len, "hash");
    assert_int_equal(crypto_jcs_last_shaped(fast), 0);
    agree(full, fast, other_payload, sizeof(other_payload) - 1, "hash");
    assert_int_equal(crypto_jcs_last_shaped(fast), 0);
    for(i = 0; i < 3; i++) {
      agree(full, fast, other_payload, sizeof(other_payload) - 1, "hash");
      assert_int_equal(crypto_jcs_last_shaped(fast), on);
      agree(full, fast, same[i], strlen(same[i]), "hash");
      assert_int_equal(crypto_jcs_last_shaped(fast), on);
    }
    for(i = 0; i < 200; i++) {
      int l = snprintf(many, sizeof(many),
                       "{\"seq\":%zu,\"payload\":{\"k%zu\":{\"z%zu\":1,"
                       "\"y\":[%zu]}},\"hash\":\"h\"}",
                       i, i, i, i);
      agree(full, fast, many, (size_t)l, "hash");
      assert_int_equal(crypto_jcs_last_shaped(fast), 0);
      agree(full, fast, many, (size_t)l, NULL);
      assert_int_equal(crypto_jcs_last_shaped(fast), on);
    }
  }
  /* a ledger, members shuffled: every line after the first has the first
   * one's shape */
  crypto_jcs_set_shapes(fast, 1);
  shaped = 0;
  f = open_vector("ledger-valid.jsonl");
  assert_non_null(f);
  while((n = getline(&line, &cap, f)) > 0) {
    fastn += agree(full, fast, line, (size_t)n, "hash");
    shaped += crypto_jcs_last_shaped(fast);
  }
  fclose(f);
  free(line);
  /* its lines the fast path finishes have two shapes (claims, anchors;
   * those with "big" or "tiny" numbers are respelled): each recorded
   * once, the others replayed */
  if(on)
    assert_int_equal(shaped, fastn - 2);
  else
    assert_int_equal(shaped, 0);
  crypto_jcs_free(full);
  crypto_jcs_free(fast);
}

/* Text nested n deep: n-1 objects {"b":1,"a":...} (members out of order)
 * around an innermost {"z":1,"y":2}, written to buf (room for 24 bytes a
 * level). */
static size_t nest(char *buf, int n)
{
  size_t l = 0;
  int i;
  for(i = 1; i < n; i++)
    l += (size_t)sprintf(buf + l, "{\"b\":1,\"a\":");
  l += (size_t)sprintf(buf + l, "{\"z\":1,\"y\":2}");
  for(i = 1; i < n; i++)
    buf[l++] = '}';
  buf[l] = 0;
  return l;
}

/* The shapes where the fast path's reordering and omission have edges, each
 * checked byte for byte against the full parser (agree): a reordered object
 * inside one in order and the other way round, the omitted member first,
 * last, alone or with a value to reorder, empty objects, nesting at the
 * depth limit and one past it, and lines the fast path gives up on halfway
 * (after it has reordered objects), which the full parser then redoes. */
static void test_fast_edges(void **state)
{
  static const char *const taken[] = {
      "{\"a\":{\"d\":1,\"c\":2},\"b\":3}",
      "{\"b\":{\"d\":1,\"c\":2},\"a\":3}",
      "{\"a\":[{\"z\":1,\"y\":2},{\"x\":{\"w\":1,\"v\":[]}}],\"b\":{}}",
      "{\"a\":1,\"b\":{\"c\":{\"f\":1,\"e\":2},\"d\":3}}",
      "{\"hash\":\"h\",\"a\":2,\"b\":3}",
      "{\"a\":2,\"b\":3,\"hash\":\"h\"}",
      "{\"b\":3,\"a\":2,\"hash\":\"h\"}",
      "{\"hash\":\"h\",\"b\":3,\"a\":2}",
      "{\"a\":2,\"hash\":\"h\",\"b\":3}",
      "{\"hash\":\"h\"}",
      "{\"hash\":{\"d\":1,\"c\":[{\"f\":1,\"e\":2}]},\"a\":1}",
      "{\"z\":1,\"hash\":{\"d\":1,\"c\":2},\"a\":{\"hash\":1,\"b\":2}}",
      "{\"hash\":{}}",
      "{}",
      "{\"a\":{}}",
      "{\"b\":{},\"a\":[]}",
      "[{},{\"b\":{},\"a\":{}}]",
      "[{\"b\":1,\"a\":2},3,{\"d\":1,\"c\":2}]",
  };
  static const char *const halfway[] = {
      "{\"b\":{\"d\":1,\"c\":2},\"a\":[1,2,1.0]}",
      "{\"b\":{\"d\":1,\"c\":2},\"a\":{\"f\":1,\"e\":\"\\u0041\"}}",
      "{\"hash\":\"h\",\"b\":{\"d\":1,\"c\":2}, \"a\":1}",
      "{\"b\":{\"d\":1,\"c\":2},\"b\":1}",
      "{\"b\":{\"d\":1,\"c\":2,\"d\":3},\"a\":1}",
      "{\"b\":{\"d\":1,\"c\":2},\"a\":1}x",
      "{\"b\":{\"d\":1,\"c\":2},\"a\":1",
      "[{\"b\":1,\"a\":2},1e2]",
  };
  crypto_jcs *full = crypto_jcs_new(), *fast = new_jcs();
  char *deep = malloc(24 * (CRYPTO_JCS_MAX_DEPTH + 2));
  size_t i, l;
  int on = g_path != CRYPTO_JCS_PATH_FULL;
  (void)state;
  assert_non_null(full);
  assert_non_null(deep);
  assert_int_equal(crypto_jcs_set_path(full, CRYPTO_JCS_PATH_FULL), 0);
  for(i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
    if(agree(full, fast, taken[i], strlen(taken[i]), "hash") != on)
      fail_msg("%s: fast %d", taken[i], !on);
    if(agree(full, fast, taken[i], strlen(taken[i]), NULL) != on)
      fail_msg("%s: fast %d without omitting", taken[i], !on);
  }
  for(i = 0; i < sizeof(halfway) / sizeof(halfway[0]); i++)
    if(agree(full, fast, halfway[i], strlen(halfway[i]), "hash"))
      fail_msg("%s: taken by the fast path", halfway[i]);
  l = nest(deep, CRYPTO_JCS_MAX_DEPTH);
  assert_int_equal(agree(full, fast, deep, l, "hash"), on);
  assert_int_equal(crypto_jcs_canonicalize(full, deep, l), CRYPTO_JCS_OK);
  l = nest(deep, CRYPTO_JCS_MAX_DEPTH + 1);
  assert_int_equal(agree(full, fast, deep, l, "hash"), 0);
  assert_int_equal(crypto_jcs_canonicalize(full, deep, l),
                   CRYPTO_JCS_ERR_DEPTH);
  free(deep);
  crypto_jcs_free(full);
  crypto_jcs_free(fast);
}

/* Member names chosen to meet every way of ordering: the empty name,
 * prefixes of each other, names alike in their first 7 or 8 bytes (the
 * sorting network's key and the comparison's), non-ASCII names (U+1F600,
 * a surrogate pair in UTF-16, sorts before U+E000 and U+FF61, unlike in
 * UTF-8), and names whose canonical spelling holds an escape. */
/* clang-format off */
static const char *const order_names[] = {
    "", "a", "b", "ab", "abc", "z", "A", "Z", "_", "0", "9",
    "abcdefg", "abcdefga", "abcdefgb", "abcdefgab", "abcdefh", "abcdefgh",
    "abcdefghi", "prev_hash", "prev_has", "prev_hashes", "payload", "payloads",
    "\xc3\xa9", "\xc3\xa9" "a", "a\xc3\xa9", "\xef\xbd\xa1", "\xf0\x9f\x98\x80",
    "\xee\x80\x80", "\xf0\x9f\x98\x80" "a", "a\"b", "a\\", "\n", "\x01", "tab\t"};
/* clang-format on */

/* A name's UTF-16 code units (the names above are valid UTF-8). */
static size_t utf16_units(const char *s, uint16_t *u)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t n = 0;
  while(*p) {
    uint32_t cp;
    if(*p < 0x80)
      cp = *p++;
    else if(*p < 0xE0) {
      cp = (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
      p += 2;
    }
    else if(*p < 0xF0) {
      cp = (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 |
           (p[2] & 0x3F);
      p += 3;
    }
    else {
      cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
           (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
      p += 4;
    }
    if(cp >= 0x10000) {
      u[n++] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
      u[n++] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
    }
    else
      u[n++] = (uint16_t)cp;
  }
  return n;
}

/* RFC 8785's order, computed the slow and obvious way: qsort's comparator
 * over indexes into order_names. */
static int order_cmp(const void *a, const void *b)
{
  uint16_t x[64], y[64];
  size_t nx = utf16_units(order_names[*(const int *)a], x);
  size_t ny = utf16_units(order_names[*(const int *)b], y);
  size_t i;
  for(i = 0; i < nx && i < ny; i++)
    if(x[i] != y[i])
      return x[i] < y[i] ? -1 : 1;
  return (nx > ny) - (nx < ny);
}

/* Appends a name in its canonical spelling, quoted. */
static char *put_name(char *o, const char *s)
{
  *o++ = '"';
  for(; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if(c == '"' || c == '\\') {
      *o++ = '\\';
      *o++ = (char)c;
    }
    else if(c == '\n') {
      *o++ = '\\';
      *o++ = 'n';
    }
    else if(c == '\t') {
      *o++ = '\\';
      *o++ = 't';
    }
    else if(c < 0x20)
      o += sprintf(o, "\\u%04x", c);
    else
      *o++ = (char)c;
  }
  *o++ = '"';
  return o;
}

/* Objects of 1 to 20 members, names drawn from order_names in a random
 * order, some nested in another object or an array, some with white space
 * (the full parser's way) and some with a name twice: the canonical text
 * must hold the members in the order qsort gives with an independent
 * UTF-16 comparison, and a name twice must be refused. Both paths share
 * the member sort, so only an order computed apart can catch it wrong. */
static void test_member_order(void **state)
{
  const size_t nn = sizeof(order_names) / sizeof(order_names[0]);
  crypto_jcs *j = new_jcs();
  uint64_t r = 0x9E3779B97F4A7C15ULL;
  static char in[8192], want[8192];
  int round;
  (void)state;
  for(round = 0; round < 20000; round++) {
    int pick[40], sorted[40];
    size_t n, i, k;
    int spaced, nest, dup;
    char *o, *w;
    const char *out;
    size_t len;
    crypto_jcs_code c;
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    n = 1 + (size_t)(r % 20);
    spaced = (r >> 8) % 5 == 0;
    nest = (int)((r >> 12) % 3);
    dup = n > 1 && (r >> 16) % 7 == 0;
    for(i = 0; i < nn; i++)
      pick[i] = (int)i;
    for(i = 0; i < n; i++) { /* the first n of a shuffle */
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      k = i + (size_t)(r % (nn - i));
      int t = pick[i];
      pick[i] = pick[k];
      pick[k] = t;
    }
    if(dup)
      pick[n - 1] = pick[(r >> 20) % (n - 1)];
    o = in;
    w = want;
    if(nest == 1) {
      o += sprintf(o, "{\"x\":");
      w += sprintf(w, "{\"x\":");
    }
    else if(nest == 2) {
      o += sprintf(o, "[1,");
      w += sprintf(w, "[1,");
    }
    *o++ = '{';
    for(i = 0; i < n; i++) {
      if(i)
        *o++ = ',';
      if(spaced)
        *o++ = ' ';
      o = put_name(o, order_names[pick[i]]);
      o += sprintf(o, spaced ? " : %d" : ":%d", pick[i]);
    }
    *o++ = '}';
    memcpy(sorted, pick, n * sizeof(int));
    qsort(sorted, n, sizeof(int), order_cmp);
    *w++ = '{';
    for(i = 0; i < n; i++) {
      if(i)
        *w++ = ',';
      w = put_name(w, order_names[sorted[i]]);
      w += sprintf(w, ":%d", sorted[i]);
    }
    *w++ = '}';
    if(nest) {
      *o++ = nest == 1 ? '}' : ']';
      *w++ = nest == 1 ? '}' : ']';
    }
    *w = 0;
    c = crypto_jcs_canonicalize(j, in, (size_t)(o - in));
    if(dup) {
      if(c != CRYPTO_JCS_ERR_DUPLICATE)
        fail_msg("%.*s: %s, want a duplicate refused", (int)(o - in), in,
                 crypto_jcs_strerror(c));
      continue;
    }
    if(c != CRYPTO_JCS_OK)
      fail_msg("%.*s: %s", (int)(o - in), in, crypto_jcs_strerror(c));
    out = crypto_jcs_text(j, &len);
    if(len != (size_t)(w - want) || memcmp(out, want, len) != 0)
      fail_msg("%.*s\n gives %.*s\n want  %s", (int)(o - in), in, (int)len, out,
               want);
  }
  crypto_jcs_free(j);
}

/* crypto_jcs_top_members against crypto_jcs_top_member, for names whose
 * first 8 bytes match and whose tails differ at each place a compare
 * could stop (bytes 8, 9, 15, 16, 17, 20), names of no more than 8 bytes,
 * the empty name, and names that are not plain ASCII or that the input
 * escapes (a name is asked for in its canonical spelling: a\"b for a"b);
 * each line three times, so that a fast path also answers from a replay. */
static void test_top_members_names(void **state)
{
  static const char *const lines[] = {
      "{\"aggregate_id\":1,\"aggregate_ix\":2,\"aggregat\":3,\"aggregate\":4,"
      "\"abcdefghijklmnop\":5,\"abcdefghijklmnoq\":6,\"abcdefghijklmnopq\":7,"
      "\"abcdefghijklmnopqrst\":8,\"abcdefghijklmnopqrsu\":9,\"ts\":10,"
      "\"seq\":11,\"x\":12,\"hash\":14}",
      "{\"caf\\u00e9_12345\":1,\"caf\xc3\xa9_12346\":2,\"\\u0061ggregate_id\":3,"
      "\"\xc3\xa9\":4,\"a\\\"b\":5,\"prev_hash\":6,\"\":8,\"hash\":7}"};
  /* where two names share a length, the one that must not match comes
   * first, so that a compare which stops early takes it */
  static const char *const names[] = {"aggregate_iy",
                                      "aggregate_id",
                                      "aggregate_ix",
                                      "aggregat",
                                      "aggregatf",
                                      "aggregate",
                                      "abcdefghijklmnor",
                                      "abcdefghijklmnop",
                                      "abcdefghijklmnoq",
                                      "abcdefghXjklmnopq",
                                      "abcdefghijklmnopr",
                                      "abcdefghijklmnopq",
                                      "abcdefghijklmnopqrsv",
                                      "abcdefghijklmnopqrst",
                                      "abcdefghijklmnopqrsu",
                                      "tx",
                                      "ts",
                                      "seq",
                                      "x",
                                      "",
                                      "hash",
                                      "caf\xc3\xa9_12347",
                                      "caf\xc3\xa9_12345",
                                      "caf\xc3\xa9_12346",
                                      "\xc3\xa9",
                                      "a\\\"b",
                                      "prev_hasi",
                                      "prev_hash"};
  enum { N = sizeof(names) / sizeof(names[0]) };
  crypto_jcs *j = new_jcs();
  crypto_jcs_names *w = crypto_jcs_names_new(names, N);
  const char *vals[N], *fvals[N];
  size_t lens[N], vlens[N], fvlens[N], i, k, r;
  int shaped = 0;
  (void)state;
  assert_non_null(w);
  for(k = 0; k < N; k++)
    lens[k] = strlen(names[k]);
  for(i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
    for(r = 0; r < 3; r++) {
      size_t found, want = 0;
      assert_int_equal(crypto_jcs_canonicalize_omit(j, lines[i],
                                                    strlen(lines[i]), "hash"),
                       CRYPTO_JCS_OK);
      shaped += crypto_jcs_last_shaped(j);
      found = crypto_jcs_top_members(j, names, lens, N, vals, vlens);
      /* and the set's look-up, from the second replay on from memory */
      assert_int_equal(crypto_jcs_find_members(j, w, fvals, fvlens), found);
      for(k = 0; k < N; k++) {
        const char *v;
        size_t vl;
        if(crypto_jcs_top_member(j, names[k], &v, &vl) != 0) {
          if(vals[k] || fvals[k])
            fail_msg("line %zu: \"%s\" found, not a member", i, names[k]);
          continue;
        }
        want++;
        if(!vals[k] || vals[k] != v || vlens[k] != vl || fvals[k] != v ||
           fvlens[k] != vl)
          fail_msg("line %zu: \"%s\" not found as top_member finds it", i,
                   names[k]);
      }
      assert_int_equal(found, want);
      /* the lines hold each of these, of every length class */
      if(want != (i == 0 ? 12u : 7u))
        fail_msg("line %zu: %zu of the names found", i, want);
    }
  /* the first line replays after it is recorded, on a fast path */
  assert_int_equal(shaped, g_path == CRYPTO_JCS_PATH_FULL ? 0 : 2);
  /* an omitted name sharing its length and first 8 bytes with another:
   * that one stays, on replayed lines too */
  for(r = 0; r < 3; r++) {
    const char *v;
    size_t vl;
    assert_int_equal(crypto_jcs_canonicalize_omit(j, lines[0], strlen(lines[0]),
                                                  "aggregate_ix"),
                     CRYPTO_JCS_OK);
    assert_non_null(v = crypto_jcs_omitted(j, &vl));
    assert_true(vl == 1 && v[0] == '2');
    assert_int_equal(crypto_jcs_top_member(j, "aggregate_id", &v, &vl), 0);
    assert_true(vl == 1 && v[0] == '1');
    assert_int_not_equal(crypto_jcs_top_member(j, "aggregate_ix", &v, &vl), 0);
    shaped += crypto_jcs_last_shaped(j);
  }
  assert_int_equal(shaped, g_path == CRYPTO_JCS_PATH_FULL ? 0 : 5);
  crypto_jcs_names_free(w);
  crypto_jcs_free(j);
}

/* What crypto_jcs_find_members remembers of a replayed shape is used for
 * that shape in any member order, and not for another set (one made where
 * a freed one was), another omitted member, another top-level shape, or
 * a shape kept under the same number after the templates were forgotten.
 * Each step is checked against crypto_jcs_top_member. */
static void test_find_members_memory(void **state)
{
  static const char *const a[] = {"seq", "ts", "prev_hash", "hash"},
                           *b[] = {"hash", "seq", "x", "ts"};
  /* A in two orders; B and C, when sorted, have "hash" first as A has,
   * and the other names elsewhere */
  static const char *const A = "{\"hash\":\"h\",\"seq\":1,\"ts\":\"t\","
                               "\"prev_hash\":\"p\"}";
  static const char *const A2 = "{\"ts\":\"t\",\"prev_hash\":\"p\","
                                "\"seq\":2,\"hash\":\"h\"}";
  static const char *const B = "{\"p0\":0,\"hash\":\"h\",\"seq\":3,"
                               "\"ts\":\"t\",\"prev_hash\":\"p\"}";
  static const char *const C =
      "{\"x0\":0,\"ts\":\"t\",\"seq\":4,\"hash\":\"h\"}";
  static const struct {
    const char *line, *omit;
    int set;   /* 0: a, 1: b; a change makes a new set */
    int clear; /* forget the templates first */
    int shaped;
  } steps[] = {
      {NULL, "hash", 0, 0, 0}, /* A recorded */
      {NULL, "hash", 0, 0, 1}, /* A2 replayed: remembered */
      {NULL, "hash", 0, 0, 1}, /* A: from memory */
      {NULL, NULL, 0, 0, 1},   /* nothing omitted */
      {NULL, "seq", 0, 0, 1},  /* another member omitted */
      {NULL, "hash", 0, 0, 1}, /* remembered again */
      {"B", "hash", 0, 0, 0},  /* B recorded */
      {"B", "hash", 0, 0, 1},  /* another top-level template */
      {"B", "hash", 1, 0, 1},  /* another set */
      {NULL, "hash", 1, 0, 1}, /* A remembered for it */
      {"C", "hash", 1, 1, 0},  /* forgotten; C recorded as A was */
      {"C", "hash", 1, 0, 1},  /* the number A had, another shape */
  };
  crypto_jcs *j = new_jcs();
  crypto_jcs_names *w = NULL;
  size_t r, i;
  int set = -1;
  (void)state;
  for(r = 0; r < sizeof(steps) / sizeof(steps[0]); r++) {
    const char *const *names = steps[r].set ? b : a;
    const char *line = !steps[r].line            ? (r % 2 ? A2 : A)
                       : steps[r].line[0] == 'B' ? B
                                                 : C;
    const char *vals[4];
    size_t vlens[4], found, want = 0;
    if(steps[r].set != set) {
      crypto_jcs_names_free(w);
      assert_non_null(w = crypto_jcs_names_new(names, 4));
      set = steps[r].set;
    }
    if(steps[r].clear)
      assert_int_equal(crypto_jcs_set_shapes(j, 1), 0);
    assert_int_equal(crypto_jcs_canonicalize_omit(j, line, strlen(line),
                                                  steps[r].omit),
                     CRYPTO_JCS_OK);
    if(g_path != CRYPTO_JCS_PATH_FULL &&
       crypto_jcs_last_shaped(j) != steps[r].shaped)
      fail_msg("step %zu: replayed %d", r, crypto_jcs_last_shaped(j));
    found = crypto_jcs_find_members(j, w, vals, vlens);
    for(i = 0; i < 4; i++) {
      const char *v;
      size_t vl;
      if(crypto_jcs_top_member(j, names[i], &v, &vl) != 0) {
        if(vals[i])
          fail_msg("step %zu: \"%s\" found", r, names[i]);
        continue;
      }
      want++;
      if(vals[i] != v || vlens[i] != vl)
        fail_msg("step %zu: \"%s\" is not where top_member finds it", r,
                 names[i]);
    }
    assert_int_equal(found, want);
  }
  crypto_jcs_names_free(w);
  crypto_jcs_free(j);
}

/* SHA-256: one-shot, streaming in pieces, and reuse of a context. */
static void test_sha256(void **state)
{
  crypto_sha256_ctx *c = crypto_sha256_new();
  uint8_t d[32];
  char hex[65];
  (void)state;
  assert_int_equal(crypto_sha256_hex("abc", 3, hex), 0);
  assert_string_equal(
      hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_int_equal(crypto_sha256_update(c, "a", 1), 0);
  assert_int_equal(crypto_sha256_update(c, "bc", 2), 0);
  assert_int_equal(crypto_sha256_final(c, d), 0);
  crypto_hex_encode(d, 32, hex);
  assert_string_equal(
      hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_int_equal(crypto_sha256_final(c, d), 0); /* empty message */
  crypto_hex_encode(d, 32, hex);
  assert_string_equal(
      hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  crypto_sha256_free(c);
}

/* Runs every test once per implementation this CPU has. */
int main(void)
{
  static const struct {
    crypto_jcs_path p;
    const char *name;
  } paths[] = {{CRYPTO_JCS_PATH_FULL, "full"},
               {CRYPTO_JCS_PATH_SWAR, "fast-swar"},
               {CRYPTO_JCS_PATH_SSE2, "fast-sse2"},
               {CRYPTO_JCS_PATH_AVX2, "fast-avx2"}};
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256),
      cmocka_unit_test(test_jcs_vectors),
      cmocka_unit_test(test_es6_numbers),
      cmocka_unit_test(test_respellings),
      cmocka_unit_test(test_large),
      cmocka_unit_test(test_rejects),
      cmocka_unit_test(test_omit_and_members),
      cmocka_unit_test(test_paths_agree),
      cmocka_unit_test(test_fast_taken),
      cmocka_unit_test(test_fast_edges),
      cmocka_unit_test(test_shape_replay),
      cmocka_unit_test(test_member_order),
      cmocka_unit_test(test_top_members_names),
      cmocka_unit_test(test_find_members_memory),
  };
  size_t i;
  int failed = 0;
  for(i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
    crypto_jcs *j = crypto_jcs_new();
    int ok = j && crypto_jcs_set_path(j, paths[i].p) == 0;
    crypto_jcs_free(j);
    if(!ok) {
      printf("# %s: not on this CPU, skipped\n", paths[i].name);
      continue;
    }
    g_path = paths[i].p;
    failed +=
        _cmocka_run_group_tests(paths[i].name, tests,
                                sizeof(tests) / sizeof(tests[0]), NULL, NULL);
  }
  return failed;
}
