/*
 * phttp-redact.c: unit tests of phttp_redact_url, the function that makes
 * a URL fit for a result's target or an error message.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugins/common/phttp.h"

/* Asserts that redacting `in` gives `want`. */
static void check(const char *in, const char *want)
{
  char *got = phttp_redact_url(in);
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
}

static void test_plain_urls_unchanged(void **state)
{
  (void)state;
  check("http://127.0.0.1:8545", "http://127.0.0.1:8545");
  check("https://eth.example/rpc?x=1&y=2#top", "https://eth.example/rpc?x=1&y=2#top");
  check("http://relay:8080/relay/workflow/dead-letters",
        "http://relay:8080/relay/workflow/dead-letters");
  check("", "");
}

static void test_userinfo_password(void **state)
{
  (void)state;
  check("https://user:hunter2@node.example:8545/",
        "https://user:REDACTED@node.example:8545/");
  check("https://user:@node.example/", "https://user:REDACTED@node.example/");
  check("https://user@node.example/", "https://user@node.example/");
  /* an '@' in the path is not userinfo */
  check("http://h/a@b", "http://h/a@b");
  /* a password containing '@' (last '@' ends the userinfo) */
  check("http://u:p@ss@h/x", "http://u:REDACTED@h/x");
}

static void test_query_credentials(void **state)
{
  (void)state;
  check("https://h/rpc?apikey=abc&chain=1", "https://h/rpc?apikey=REDACTED&chain=1");
  check("https://h/?access_token=t0k&Password=x;sig=1&AUTH=2&plain=3",
        "https://h/?access_token=REDACTED&Password=REDACTED;sig=REDACTED&AUTH=REDACTED&plain=3");
  check("https://h/?client_secret=&a", "https://h/?client_secret=REDACTED&a");
  check("https://h/cb#access_token=xyz&state=1", "https://h/cb#access_token=REDACTED&state=1");
  check("https://h/?X-Amz-Signature=deadbeef#f", "https://h/?X-Amz-Signature=REDACTED#f");
}

static void test_path_keys(void **state)
{
  (void)state;
  check("https://mainnet.infura.io/v3/9aa3d95b3bc440fa88ea12eaa4456161",
        "https://mainnet.infura.io/v3/REDACTED");
  check("https://eth-mainnet.g.alchemy.com/v2/AbCdEf0123456789AbCdEf0123/x",
        "https://eth-mainnet.g.alchemy.com/v2/REDACTED/x");
  /* long but all letters: a word, not a key */
  check("https://h/averyveryverylongpathsegmentname",
        "https://h/averyveryverylongpathsegmentname");
}

static void test_everything_at_once(void **state)
{
  (void)state;
  char *got = phttp_redact_url(
      "https://alice:s3cr3t-pw@n.example/v3/0123456789abcdef0123456789abcdef?token=tt&x=1");
  assert_non_null(got);
  assert_null(strstr(got, "s3cr3t"));
  assert_null(strstr(got, "0123456789abcdef"));
  assert_null(strstr(got, "tt&"));
  assert_string_equal(got, "https://alice:REDACTED@n.example/v3/REDACTED?token=REDACTED&x=1");
  free(got);
  assert_null(phttp_redact_url(NULL));
}

static void test_strerror(void **state)
{
  (void)state;
  assert_string_equal(phttp_strerror(PHTTP_ERR_TIMEOUT), "timeout");
  assert_string_equal(phttp_strerror(PHTTP_OK), "ok");
}

static void test_bad_urls_refused(void **state)
{
  (void)state;
  phttp_response r;
  phttp_request q = {.method = "GET", .url = "ftp://h/x", .timeout_s = 1};
  assert_int_equal(phttp_fetch(&q, &r), PHTTP_ERR_URL);
  assert_non_null(r.body);
  assert_string_equal(r.body, "");
  phttp_response_free(&r);
  q.url = "file:///etc/passwd";
  assert_int_equal(phttp_fetch(&q, &r), PHTTP_ERR_URL);
  phttp_response_free(&r);
  q.url = "http://127.0.0.1:1/";
  q.method = "DELETE";
  assert_int_equal(phttp_fetch(&q, &r), PHTTP_ERR_OTHER);
  phttp_response_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_urls_unchanged),
      cmocka_unit_test(test_userinfo_password),
      cmocka_unit_test(test_query_credentials),
      cmocka_unit_test(test_path_keys),
      cmocka_unit_test(test_everything_at_once),
      cmocka_unit_test(test_strerror),
      cmocka_unit_test(test_bad_urls_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
