/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls-cert.c: cmocka unit tests of the tls plugin's intake and judgement
 * (plugins/tls/tlscert.c) and its endpoint parsing (tlsprobe.c), on
 * certificates built in memory with OpenSSL: expiry of leaf and
 * intermediates, roots apart, verification, host names and wildcards, weak
 * signatures and keys, PEM/DER intake and its errors.
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

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "plugins/tls/tlscert.h"
#include "plugins/tls/tlsprobe.h"

#define DAY 86400L

static long next_serial = 1;

/* Adds one X509v3 extension given in openssl.cnf syntax. */
static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX v;
  X509_EXTENSION *e;
  X509V3_set_ctx_nodb(&v);
  X509V3_set_ctx(&v, issuer, x, NULL, NULL, 0);
  e = X509V3_EXT_conf_nid(NULL, &v, nid, value);
  assert_non_null(e);
  assert_int_equal(X509_add_ext(x, e, -1), 1);
  X509_EXTENSION_free(e);
}

/* A certificate for key, issued by issuer/ikey (self-signed when NULL),
 * valid from now+nb to now+na seconds. */
static X509 *mk(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey,
                long nb, long na, const EVP_MD *md, const char *san, int ca)
{
  X509 *x = X509_new();
  X509_NAME *n;
  assert_non_null(x);
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), next_serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), nb);
  X509_gmtime_adj(X509_getm_notAfter(x), na);
  X509_set_pubkey(x, key);
  n = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn,
                             -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
  if(ca) {
    add_ext(x, issuer ? issuer : x, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, issuer ? issuer : x, NID_key_usage,
            "critical,keyCertSign,cRLSign");
  }
  else {
    add_ext(x, issuer ? issuer : x, NID_basic_constraints, "CA:FALSE");
    add_ext(x, issuer ? issuer : x, NID_ext_key_usage, "serverAuth");
  }
  if(san)
    add_ext(x, issuer ? issuer : x, NID_subject_alt_name, san);
  assert_true(X509_sign(x, ikey ? ikey : key, md) > 0);
  return x;
}

static EVP_PKEY *ec_key(const char *curve)
{
  EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
  assert_non_null(k);
  return k;
}

/* The fixture: a root, an intermediate, their keys, a CA file. */
typedef struct pki {
  EVP_PKEY *rkey, *ikey, *lkey;
  X509 *root, *inter;
  char cafile[64];
} pki;

static int pki_setup(void **state)
{
  pki *p = calloc(1, sizeof *p);
  FILE *f;
  int fd;
  assert_non_null(p);
  p->rkey = ec_key("P-256");
  p->ikey = ec_key("P-256");
  p->lkey = ec_key("P-256");
  p->root = mk(p->rkey, "Unit Root", NULL, NULL, -DAY, 3650 * DAY, EVP_sha256(),
               NULL, 1);
  p->inter = mk(p->ikey, "Unit Inter", p->root, p->rkey, -DAY, 1000 * DAY,
                EVP_sha256(), NULL, 1);
  strcpy(p->cafile, "/tmp/tls-cert-ca.XXXXXX");
  fd = mkstemp(p->cafile);
  assert_true(fd >= 0);
  f = fdopen(fd, "w");
  PEM_write_X509(f, p->root);
  fclose(f);
  *state = p;
  return 0;
}

static int pki_teardown(void **state)
{
  pki *p = *state;
  unlink(p->cafile);
  X509_free(p->root);
  X509_free(p->inter);
  EVP_PKEY_free(p->rkey);
  EVP_PKEY_free(p->ikey);
  EVP_PKEY_free(p->lkey);
  free(p);
  return 0;
}

/* A chain of the given certificates (references taken). */
static STACK_OF(X509) * chain_of(X509 *a, X509 *b, X509 *c)
{
  STACK_OF(X509) *s = sk_X509_new_null();
  X509 *v[3] = {a, b, c};
  int i;
  for(i = 0; i < 3; i++)
    if(v[i]) {
      X509_up_ref(v[i]);
      sk_X509_push(s, v[i]);
    }
  return s;
}

/* Analyses a chain with the fixture's CA file (or the system store). */
static tlscert_report judge(pki *p, STACK_OF(X509) * ch, const char *host,
                            int system_store)
{
  tlscert_opts o;
  tlscert_report r;
  char err[256];
  memset(&o, 0, sizeof o);
  o.host = host;
  o.ca_file = system_store ? NULL : p->cafile;
  o.now = time(NULL);
  assert_int_equal(tlscert_analyze(ch, &o, &r, err, sizeof err), TLS_OK);
  return r;
}

static void test_valid_chain(void **state)
{
  pki *p = *state;
  X509 *leaf = mk(p->lkey, "svc", p->inter, p->ikey, -DAY, 200 * DAY,
                  EVP_sha256(), "DNS:svc.example.test,IP:127.0.0.1", 0);
  STACK_OF(X509) *ch = chain_of(leaf, p->inter, NULL);
  tlscert_report r = judge(p, ch, "svc.example.test", 0);
  assert_true(r.verified);
  assert_true(r.verify_ok);
  assert_true(r.host_checked && r.host_ok);
  assert_int_equal(r.expired_idx, -1);
  assert_int_equal(r.not_yet_valid_idx, -1);
  assert_int_equal(r.nweak, 0);
  assert_int_equal(r.counted, 2);
  assert_int_equal(r.chain_not_after_idx, 0);
  assert_true(r.chain_not_after - time(NULL) > 199 * DAY);
  assert_string_equal(r.subject, "CN=svc");
  assert_string_equal(r.issuer, "CN=Unit Inter");
  assert_string_equal(r.sans_json, "[\"svc.example.test\",\"IP:127.0.0.1\"]");
  assert_int_equal(strlen(r.sha256), 64);
  assert_string_equal(r.key_type, "EC");
  assert_int_equal(r.key_bits, 256);
  tlscert_report_free(&r);
  /* the same chain against the system store: not trusted there */
  r = judge(p, ch, "127.0.0.1", 1);
  assert_true(r.verified);
  assert_false(r.verify_ok);
  assert_non_null(r.verify_error);
  assert_true(r.host_ok); /* IP SAN */
  tlscert_report_free(&r);
  tlscert_chain_free(ch);
  X509_free(leaf);
}

static void test_intermediate_expires_first_root_apart(void **state)
{
  pki *p = *state;
  EVP_PKEY *k2 = ec_key("P-256");
  X509 *inter2 = mk(k2, "Short Inter", p->root, p->rkey, -DAY, 10 * DAY,
                    EVP_sha256(), NULL, 1);
  X509 *leaf = mk(p->lkey, "svc", inter2, k2, -DAY, 300 * DAY, EVP_sha256(),
                  "DNS:svc", 0);
  STACK_OF(X509) *ch = chain_of(leaf, inter2, p->root);
  tlscert_report r = judge(p, ch, "svc", 0);
  assert_int_equal(r.chain_not_after_idx, 1);
  assert_true(r.chain_not_after - time(NULL) <= 10 * DAY);
  assert_true(r.leaf_not_after - time(NULL) > 299 * DAY);
  assert_true(r.has_root);
  assert_string_equal(r.root_subject, "CN=Unit Root");
  assert_int_equal(r.counted, 2); /* the root's 10 years are not counted */
  assert_true(r.verify_ok);
  tlscert_report_free(&r);
  tlscert_chain_free(ch);
  X509_free(leaf);
  X509_free(inter2);
  EVP_PKEY_free(k2);
}

static void test_expired_and_future(void **state)
{
  pki *p = *state;
  X509 *old = mk(p->lkey, "old", p->inter, p->ikey, -30 * DAY, -2 * DAY,
                 EVP_sha256(), "DNS:svc", 0);
  X509 *fut = mk(p->lkey, "fut", p->inter, p->ikey, 3 * DAY, 90 * DAY,
                 EVP_sha256(), "DNS:svc", 0);
  STACK_OF(X509) *ch = chain_of(old, p->inter, NULL);
  tlscert_report r = judge(p, ch, "svc", 0);
  assert_int_equal(r.expired_idx, 0);
  assert_false(r.verify_ok);
  assert_int_equal(r.verify_code, X509_V_ERR_CERT_HAS_EXPIRED);
  assert_true(r.chain_not_after < time(NULL));
  tlscert_report_free(&r);
  tlscert_chain_free(ch);
  ch = chain_of(fut, p->inter, NULL);
  r = judge(p, ch, "svc", 0);
  assert_int_equal(r.not_yet_valid_idx, 0);
  assert_int_equal(r.expired_idx, -1);
  assert_int_equal(r.verify_code, X509_V_ERR_CERT_NOT_YET_VALID);
  tlscert_report_free(&r);
  tlscert_chain_free(ch);
  X509_free(old);
  X509_free(fut);
}

static void test_hostnames(void **state)
{
  pki *p = *state;
  X509 *leaf = mk(p->lkey, "wild", p->inter, p->ikey, -DAY, 90 * DAY,
                  EVP_sha256(), "DNS:*.example.test", 0);
  STACK_OF(X509) *ch = chain_of(leaf, p->inter, NULL);
  tlscert_report r = judge(p, ch, "a.example.test", 0);
  assert_true(r.host_ok);
  tlscert_report_free(&r);
  r = judge(p, ch, "example.test", 0);
  assert_false(r.host_ok);
  tlscert_report_free(&r);
  r = judge(p, ch, "a.b.example.test", 0);
  assert_false(r.host_ok);
  tlscert_report_free(&r);
  r = judge(p, ch, "127.0.0.1", 0);
  assert_false(r.host_ok);
  tlscert_report_free(&r);
  r = judge(p, ch, NULL, 0);
  assert_false(r.host_checked);
  tlscert_report_free(&r);
  tlscert_chain_free(ch);
  X509_free(leaf);
}

static void test_weak(void **state)
{
  pki *p = *state;
  EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
  EVP_PKEY *p224 = ec_key("P-224");
  X509 *sha1 = mk(p->lkey, "sha1", p->inter, p->ikey, -DAY, 90 * DAY,
                  EVP_sha1(), "DNS:svc", 0);
  X509 *small = mk(rsa, "rsa", p->inter, p->ikey, -DAY, 90 * DAY, EVP_sha256(),
                   "DNS:svc", 0);
  X509 *ec224 = mk(p224, "ec", p->inter, p->ikey, -DAY, 90 * DAY, EVP_sha256(),
                   "DNS:svc", 0);
  STACK_OF(X509) * ch;
  tlscert_report r;
  assert_non_null(rsa);
  ch = chain_of(sha1, p->inter, NULL);
  r = judge(p, ch, "svc", 0);
  assert_int_equal(r.nweak, 1);
  assert_string_equal(
      r.weak[0], "leaf signature ecdsa-with-SHA1 (MD5 and SHA-1 are refused)");
  tlscert_report_free(&r);
  tlscert_chain_free(ch);
  ch = chain_of(small, p->inter, NULL);
  r = judge(p, ch, "svc", 0);
  assert_int_equal(r.nweak, 1);
  assert_string_equal(r.weak[0], "leaf key RSA 1024 bits (minimum 2048)");
  tlscert_report_free(&r);
  tlscert_chain_free(ch);
  ch = chain_of(ec224, p->inter, NULL);
  r = judge(p, ch, "svc", 0);
  assert_int_equal(r.nweak, 1);
  assert_string_equal(r.weak[0], "leaf key EC 224 bits (minimum 256)");
  tlscert_report_free(&r);
  tlscert_chain_free(ch);
  X509_free(sha1);
  X509_free(small);
  X509_free(ec224);
  EVP_PKEY_free(rsa);
  EVP_PKEY_free(p224);
}

static void test_self_signed_and_bad_cafile(void **state)
{
  pki *p = *state;
  X509 *ss = mk(p->lkey, "self", NULL, NULL, -DAY, 90 * DAY, EVP_sha256(),
                "DNS:svc", 0);
  STACK_OF(X509) *ch = chain_of(ss, NULL, NULL);
  tlscert_opts o;
  tlscert_report r = judge(p, ch, "svc", 0);
  char err[256];
  assert_false(r.verify_ok);
  assert_int_equal(r.verify_code, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  assert_int_equal(r.counted, 1);
  assert_false(r.has_root); /* a self-signed leaf is the leaf */
  tlscert_report_free(&r);
  memset(&o, 0, sizeof o);
  o.ca_file = "/nonexistent/ca.pem";
  o.now = time(NULL);
  assert_int_equal(tlscert_analyze(ch, &o, &r, err, sizeof err), TLS_OK);
  assert_false(r.verify_ok);
  assert_non_null(
      strstr(r.verify_error, "cannot load ca_file /nonexistent/ca.pem"));
  tlscert_report_free(&r);
  tlscert_chain_free(ch);
  X509_free(ss);
}

/* PEM text of x, malloc'd. */
static char *pem_of(X509 *x)
{
  BIO *b = BIO_new(BIO_s_mem());
  char *d, *s;
  long n;
  PEM_write_bio_X509(b, x);
  n = BIO_get_mem_data(b, &d);
  s = strndup(d, (size_t)n);
  BIO_free(b);
  return s;
}

static void test_parse(void **state)
{
  pki *p = *state;
  STACK_OF(X509) *ch = NULL;
  char err[256], buf[8192];
  char *a = pem_of(p->inter), *b = pem_of(p->root);
  unsigned char *der = NULL;
  int dlen;
  /* bundle with a private key block in between: two certificates */
  snprintf(
      buf, sizeof buf,
      "junk\n%s-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n%s",
      a, b);
  assert_int_equal(tlscert_parse((unsigned char *)buf, strlen(buf), &ch, err,
                                 sizeof err),
                   TLS_OK);
  assert_int_equal(sk_X509_num(ch), 2);
  tlscert_chain_free(ch);
  /* DER */
  dlen = i2d_X509(p->root, &der);
  assert_true(dlen > 0);
  assert_int_equal(tlscert_parse(der, (size_t)dlen, &ch, err, sizeof err),
                   TLS_OK);
  assert_int_equal(sk_X509_num(ch), 1);
  tlscert_chain_free(ch);
  /* truncated DER */
  assert_int_equal(tlscert_parse(der, (size_t)dlen - 1, &ch, err, sizeof err),
                   TLS_ERR_EMPTY);
  assert_null(ch);
  OPENSSL_free(der);
  /* nothing, text, broken base64 */
  assert_int_equal(tlscert_parse((const unsigned char *)"", 0, &ch, err,
                                 sizeof err),
                   TLS_ERR_EMPTY);
  assert_int_equal(tlscert_parse((const unsigned char *)"hello", 5, &ch, err,
                                 sizeof err),
                   TLS_ERR_EMPTY);
  snprintf(buf, sizeof buf,
           "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
  assert_int_equal(tlscert_parse((unsigned char *)buf, strlen(buf), &ch, err,
                                 sizeof err),
                   TLS_ERR_PARSE);
  assert_non_null(strstr(err, "certificate block 1"));
  /* a good block, then a bad one: the error names block 2 */
  snprintf(buf, sizeof buf,
           "%s-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
           a);
  assert_int_equal(tlscert_parse((unsigned char *)buf, strlen(buf), &ch, err,
                                 sizeof err),
                   TLS_ERR_PARSE);
  assert_non_null(strstr(err, "block 2"));
  assert_null(ch);
  /* load_file on a missing file */
  assert_int_equal(tlscert_load_file("/nonexistent/x.pem", &ch, err,
                                     sizeof err),
                   TLS_ERR_IO);
  assert_non_null(strstr(err, "/nonexistent/x.pem"));
  free(a);
  free(b);
}

static void test_split_hostport(void **state)
{
  char *h, *p, err[128];
  (void)state;
  assert_int_equal(tlsprobe_split_hostport("example.com:8443", "443", &h, &p,
                                           err, sizeof err),
                   TLS_OK);
  assert_string_equal(h, "example.com");
  assert_string_equal(p, "8443");
  free(h);
  free(p);
  assert_int_equal(tlsprobe_split_hostport("[::1]:5432", "443", &h, &p, err,
                                           sizeof err),
                   TLS_OK);
  assert_string_equal(h, "::1");
  assert_string_equal(p, "5432");
  free(h);
  free(p);
  assert_int_equal(tlsprobe_split_hostport("example.com", "443", &h, &p, err,
                                           sizeof err),
                   TLS_OK);
  assert_string_equal(p, "443");
  free(h);
  free(p);
  assert_int_equal(tlsprobe_split_hostport("::1:443", "443", &h, &p, err,
                                           sizeof err),
                   TLS_ERR_CONFIG);
  assert_int_equal(tlsprobe_split_hostport("h:0", "443", &h, &p, err,
                                           sizeof err),
                   TLS_ERR_CONFIG);
  assert_int_equal(tlsprobe_split_hostport("h:65536", "443", &h, &p, err,
                                           sizeof err),
                   TLS_ERR_CONFIG);
  assert_int_equal(tlsprobe_split_hostport("h:44x", "443", &h, &p, err,
                                           sizeof err),
                   TLS_ERR_CONFIG);
  assert_int_equal(tlsprobe_split_hostport(":443", "443", &h, &p, err,
                                           sizeof err),
                   TLS_ERR_CONFIG);
  assert_int_equal(tlsprobe_split_hostport("[::1", "443", &h, &p, err,
                                           sizeof err),
                   TLS_ERR_CONFIG);
  assert_int_equal(tlsprobe_split_hostport("a b:1", "443", &h, &p, err,
                                           sizeof err),
                   TLS_ERR_CONFIG);
  assert_int_equal(tlsprobe_starttls_from_name("postgresql"),
                   TLSPROBE_POSTGRES);
  assert_int_equal(tlsprobe_starttls_from_name("SMTP"), TLSPROBE_SMTP);
  assert_int_equal(tlsprobe_starttls_from_name(NULL), TLSPROBE_NONE);
  assert_int_equal(tlsprobe_starttls_from_name("xmpp"), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_chain),
      cmocka_unit_test(test_intermediate_expires_first_root_apart),
      cmocka_unit_test(test_expired_and_future),
      cmocka_unit_test(test_hostnames),
      cmocka_unit_test(test_weak),
      cmocka_unit_test(test_self_signed_and_bad_cafile),
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_split_hostport),
  };
  return cmocka_run_group_tests_name("tls-cert", tests, pki_setup,
                                     pki_teardown);
}
