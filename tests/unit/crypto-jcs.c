/*
 * crypto-jcs.c: unit tests of crypto/jcs and crypto/sha256 against the
 * independent vectors in tests/vectors/ (jcs.jsonl: input, canonical text
 * and its SHA-256; es6-numbers.csv: a double's bits and the exact text
 * ECMAScript prints for it), plus what must be rejected.
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
    fail_msg("canonicalize(%.*s): %s", (int)inlen, in,
             crypto_jcs_strerror(c));
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
  crypto_jcs *j = crypto_jcs_new();
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
  crypto_jcs *j = crypto_jcs_new();
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
  crypto_jcs *j = crypto_jcs_new();
  (void)state;
  expect_canon(j, S("{\"b\":1.0,\"a\":\"\\u00e9\"}"),
               "{\"a\":\"\xc3\xa9\",\"b\":1}");
  expect_canon(j, S(" { \"a\" :\t\"\xc3\xa9\" ,\r\n\"b\" : 1 } \r"),
               "{\"a\":\"\xc3\xa9\",\"b\":1}");
  expect_canon(j, S("[10E-1, 0.1e1, 100e-2, 1, 1.000000000000000000000001]"), "[1,1,1,1,1]");
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
  crypto_jcs *j = crypto_jcs_new();
  char *in = malloc(200000), *want = malloc(200000);
  size_t il = 0, wl = 0;
  int i;
  (void)state;
  in[il++] = '{';
  for(i = 999; i >= 0; i--)
    il += (size_t)sprintf(in + il, "%s\"k%04d\":%d", i == 999 ? "" : ",", i,
                          i);
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
    {"\"\xc0\xaf\"", CRYPTO_JCS_ERR_UTF8},      /* overlong */
    {"\"\xed\xa0\x80\"", CRYPTO_JCS_ERR_UTF8},  /* encoded surrogate */
    {"\"\xf4\x90\x80\x80\"", CRYPTO_JCS_ERR_UTF8}, /* > U+10FFFF */
    {"\"\xe2\x82\"", CRYPTO_JCS_ERR_UTF8},      /* truncated */
    {"\"\x80\"", CRYPTO_JCS_ERR_UTF8},
    {"1e400", CRYPTO_JCS_ERR_NUMBER},
    {"-1e99999999999999", CRYPTO_JCS_ERR_NUMBER},
  };
  crypto_jcs *j = crypto_jcs_new();
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
  crypto_jcs *j = crypto_jcs_new();
  const char *in = "{\"seq\":7,\"hash\":\"ab\",\"payload\":{\"z\":[1,{\"q\":\"}\"}],"
                   "\"anchored_seq\":6,\"a\\\"b\":\"x,y\"},\"type\":\"T\"}";
  const char *v, *t;
  size_t vl, tl;
  (void)state;
  assert_int_equal(crypto_jcs_canonicalize_omit(j, in, strlen(in), "hash"),
                   CRYPTO_JCS_OK);
  t = crypto_jcs_text(j, &tl);
  assert_int_equal(tl, strlen("{\"payload\":{\"a\\\"b\":\"x,y\",\"anchored_seq\":6,"
                              "\"z\":[1,{\"q\":\"}\"}]},\"seq\":7,\"type\":\"T\"}"));
  assert_memory_equal(t, "{\"payload\":{\"a\\\"b\":\"x,y\",\"anchored_seq\":6,"
                         "\"z\":[1,{\"q\":\"}\"}]},\"seq\":7,\"type\":\"T\"}", tl);
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

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sha256),
    cmocka_unit_test(test_jcs_vectors),
    cmocka_unit_test(test_es6_numbers),
    cmocka_unit_test(test_respellings),
    cmocka_unit_test(test_large),
    cmocka_unit_test(test_rejects),
    cmocka_unit_test(test_omit_and_members),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
