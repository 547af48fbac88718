/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secrets-util.c: cmocka unit tests of the secrets plugin's helpers
 * (plugins/secrets/secutil.c): bounded reading and trimming, Kubernetes
 * ..data rotation times, keyed fingerprints, Ethereum key parsing with the
 * address derived through crypto/eth.h, and the working-tree and git
 * history scans (git history only when git is installed).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/eth.h"
#include "crypto/hex.h"
#include "plugins/common/putil.h"
#include "plugins/secrets/secutil.h"

static char tmpdir[64];

static int setup(void **state)
{
  (void)state;
  strcpy(tmpdir, "/tmp/secrets-util.XXXXXX");
  assert_non_null(mkdtemp(tmpdir));
  return 0;
}

static int teardown(void **state)
{
  char cmd[128];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *rel, const char *data)
{
  char p[256];
  FILE *f;
  snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
  f = fopen(p, "w");
  assert_non_null(f);
  fputs(data, f);
  fclose(f);
}

static void test_read(void **state)
{
  sec_value v;
  char p[256], err[256];
  (void)state;
  put("a", "s3cr3t-value\r\n");
  snprintf(p, sizeof p, "%s/a", tmpdir);
  assert_int_equal(sec_read_file(p, &v, err, sizeof err), SEC_OK);
  assert_int_equal(v.len, 12);
  assert_memory_equal(v.p, "s3cr3t-value", 12);
  sec_value_free(&v);
  assert_null(v.p);
  snprintf(p, sizeof p, "%s/none", tmpdir);
  assert_int_equal(sec_read_file(p, &v, err, sizeof err), SEC_ERR_NOENT);
  assert_int_equal(sec_read_file(tmpdir, &v, err, sizeof err), SEC_ERR_NOTFILE);
  {
    /* over the limit */
    char *big = malloc(SEC_MAX_VALUE + 10);
    memset(big, 'x', SEC_MAX_VALUE + 9);
    big[SEC_MAX_VALUE + 9] = 0;
    put("big", big);
    free(big);
    snprintf(p, sizeof p, "%s/big", tmpdir);
    assert_int_equal(sec_read_file(p, &v, err, sizeof err), SEC_ERR_TOO_LARGE);
    assert_null(strstr(err, "xxxxxxxx"));
  }
}

static void test_k8s_age(void **state)
{
  char d[200], p[300], data[256];
  sec_fileinfo fi;
  struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};
  (void)state;
  snprintf(d, sizeof d, "%s/vol/..2026_01_01", tmpdir);
  snprintf(p, sizeof p, "%s/vol", tmpdir);
  mkdir(p, 0700);
  mkdir(d, 0700);
  put("vol/..2026_01_01/key", "abc");
  /* the file itself is old; the ..data link is new */
  snprintf(p, sizeof p, "%s/key", d);
  utimes(p, tv);
  snprintf(data, sizeof data, "%s/vol/..data", tmpdir);
  assert_int_equal(symlink("..2026_01_01", data), 0);
  snprintf(p, sizeof p, "%s/vol/key", tmpdir);
  assert_int_equal(symlink("..data/key", p), 0);
  assert_int_equal(sec_file_info(p, &fi, NULL, 0), SEC_OK);
  assert_true(fi.k8s);
  assert_true(fi.rotated > time(NULL) - 60);
  /* a plain file: its mtime */
  put("plain", "abc");
  snprintf(p, sizeof p, "%s/plain", tmpdir);
  utimes(p, tv);
  assert_int_equal(sec_file_info(p, &fi, NULL, 0), SEC_OK);
  assert_false(fi.k8s);
  assert_int_equal(fi.rotated, 1000000000);
}

static void test_fingerprint(void **state)
{
  uint8_t k1[32], k2[32];
  sec_value v;
  char a[65], b[65], c[65];
  (void)state;
  memset(k1, 1, 32);
  memset(k2, 2, 32);
  assert_int_equal(sec_value_set(&v, "topsecret\n", 10), SEC_OK);
  assert_int_equal(v.len, 9);
  assert_int_equal(sec_fingerprint(k1, &v, a), 0);
  assert_int_equal(sec_fingerprint(k1, &v, b), 0);
  assert_int_equal(sec_fingerprint(k2, &v, c), 0);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c); /* keyed */
  /* not the plain SHA-256 of "topsecret" */
  assert_string_not_equal(
      a, "c2d8dd5db3c5d05b3aee0a9e0a9a70e0a62adcb4cfb8ed9e2b2fc0f6a7e3e5aa");
  sec_value_free(&v);
}

static void test_eth(void **state)
{
  /* the first ganache --wallet.deterministic account */
  const char *key =
      "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
  uint8_t priv[32], addr[20];
  char hex[41];
  sec_value v;
  (void)state;
  assert_int_equal(sec_value_set(&v, key, strlen(key)), SEC_OK);
  assert_int_equal(sec_eth_parse_key(&v, priv), 0);
  assert_int_equal(crypto_eth_address_from_privkey(priv, addr), 0);
  crypto_hex_encode(addr, 20, hex);
  assert_string_equal(hex, "90f8bf6a479f320ead074411a4b0e7944ea8c9c1");
  sec_value_free(&v);
  assert_int_equal(sec_value_set(&v, "0x1234", 6), SEC_OK);
  assert_int_equal(sec_eth_parse_key(&v, priv), -1);
  sec_value_free(&v);
  assert_int_equal(sec_value_set(&v, key + 2, 63), SEC_OK);
  assert_int_equal(sec_eth_parse_key(&v, priv), -1);
  sec_value_free(&v);
}

static void test_scan_tree_and_git(void **state)
{
  char p[256], cmd[1024], err[256];
  sec_needle nd[2] = {{(const unsigned char *)"NEEDLE-one-1234", 15, 0},
                      {(const unsigned char *)"abcdefabcdef", 12, 1}};
  sec_scan res;
  size_t i;
  int found0 = 0, found1 = 0;
  (void)state;
  snprintf(p, sizeof p, "%s/repo", tmpdir);
  mkdir(p, 0700);
  put("repo/clean.txt", "nothing here\n");
  put("repo/cfg.env", "A=1\nTOKEN=NEEDLE-one-1234\n");
  mkdir(strcat(strcpy(cmd, p), "/sub"), 0700);
  put("repo/sub/k.txt", "key: ABCDEFABCDEF\n");
  memset(&res, 0, sizeof res);
  assert_int_equal(sec_scan_tree(p, nd, 2, NULL, NULL, 0, putil_now() + 30,
                                 &res, err, sizeof err),
                   SEC_OK);
  assert_int_equal(res.n, 2);
  for(i = 0; i < res.n; i++) {
    if(res.hits[i].needle == 0) {
      assert_string_equal(res.hits[i].file, "cfg.env");
      assert_int_equal(res.hits[i].line, 2);
      found0 = 1;
    }
    else {
      assert_string_equal(res.hits[i].file, "sub/k.txt");
      found1 = 1;
    }
  }
  assert_true(found0 && found1);
  sec_scan_free(&res);
  if(system("git --version >/dev/null 2>&1") != 0)
    return;
  /* history: added in one commit, removed in the next */
  snprintf(
      cmd, sizeof cmd,
      "cd '%s' && git init -q . && git -c user.name=t -c user.email=t@t add -A && "
      "git -c user.name=t -c user.email=t@t commit -qm one && rm cfg.env sub/k.txt && "
      "git -c user.name=t -c user.email=t@t commit -qam two",
      p);
  assert_int_equal(system(cmd), 0);
  memset(&res, 0, sizeof res);
  assert_int_equal(sec_scan_tree(p, nd, 2, NULL, NULL, 0, putil_now() + 30,
                                 &res, err, sizeof err),
                   SEC_OK);
  assert_int_equal(res.n, 0);
  assert_int_equal(sec_scan_git(p, nd, 2, putil_now() + 30, &res, err,
                                sizeof err),
                   SEC_OK);
  assert_int_equal(res.commits_scanned, 2);
  assert_int_equal(res.n, 2);
  assert_int_equal(strlen(res.hits[0].commit), 40);
  sec_scan_free(&res);
  /* not a repository */
  memset(&res, 0, sizeof res);
  assert_int_equal(sec_scan_git(tmpdir, nd, 2, putil_now() + 30, &res, err,
                                sizeof err),
                   SEC_ERR_GIT);
  sec_scan_free(&res);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_read),
      cmocka_unit_test(test_k8s_age),
      cmocka_unit_test(test_fingerprint),
      cmocka_unit_test(test_eth),
      cmocka_unit_test(test_scan_tree_and_git),
  };
  return cmocka_run_group_tests_name("secrets-util", tests, setup, teardown);
}
