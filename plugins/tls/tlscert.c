/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlscert.c: certificate intake (PEM bundles, DER) and the judgement of a
 * chain for the tls plugin: expiry of leaf and intermediates, verification,
 * host name, weak signatures and keys, identity details. Pure OpenSSL, no
 * agent code and no network, so unit tests and the fuzz target use it as is.
 */
#include "config.h"

#include "lib/fileio.h"
#include "plugins/common/putil.h"
#include "plugins/tls/tlscert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <fcntl.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* Short text for an error code. */
const char *tls_strerror(tls_err e)
{
  switch(e) {
  case TLS_OK: return "ok";
  case TLS_ERR_NOMEM: return "out of memory";
  case TLS_ERR_IO: return "cannot read";
  case TLS_ERR_TOO_LARGE: return "too large";
  case TLS_ERR_PARSE: return "malformed certificate";
  case TLS_ERR_EMPTY: return "no certificate";
  case TLS_ERR_CONFIG: return "bad setting";
  case TLS_ERR_RESOLVE: return "host name did not resolve";
  case TLS_ERR_CONNECT: return "connection failed";
  case TLS_ERR_TIMEOUT: return "timed out";
  case TLS_ERR_STARTTLS: return "STARTTLS refused";
  case TLS_ERR_HANDSHAKE: return "TLS handshake failed";
  case TLS_ERR_OPENSSL: return "OpenSSL error";
  }
  return "unknown error";
}

/* OpenSSL's reason for the newest queued error, or a fallback. */
static const char *ossl_reason(void)
{
  unsigned long e = ERR_peek_last_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  return r ? r : "unknown reason";
}

/* Never prompts for a pass phrase (encrypted blocks are not ours). */
static int no_password(char *buf, int size, int rwflag, void *u)
{
  (void)buf;
  (void)size;
  (void)rwflag;
  (void)u;
  return -1;
}

/* Frees a chain from tlscert_parse/load_file (NULL is fine). */
void tlscert_chain_free(STACK_OF(X509) * chain)
{
  if(chain)
    sk_X509_pop_free(chain, X509_free);
}

/* Parses PEM CERTIFICATE blocks, or one DER certificate. */
tls_err tlscert_parse(const unsigned char *buf, size_t len,
                      STACK_OF(X509) * *out, char *err, size_t errlen)
{
  STACK_OF(X509) *chain = NULL;
  BIO *bio = NULL;
  tls_err rc = TLS_OK;
  int block = 0;

  *out = NULL;
  if(len > TLSCERT_MAX_INPUT) {
    putil_seterr(err, errlen, "input of %zu bytes exceeds %u", len,
                 TLSCERT_MAX_INPUT);
    return TLS_ERR_TOO_LARGE;
  }
  if(len == 0) {
    putil_seterr(err, errlen, "empty input");
    return TLS_ERR_EMPTY;
  }
  chain = sk_X509_new_null();
  if(!chain)
    return TLS_ERR_NOMEM;
  ERR_clear_error();
  bio = BIO_new_mem_buf(buf, (int)len);
  if(!bio) {
    rc = TLS_ERR_NOMEM;
    goto err;
  }
  for(;;) {
    X509 *x = PEM_read_bio_X509_AUX(bio, NULL, no_password, NULL);
    if(!x) {
      unsigned long e = ERR_peek_last_error();
      if(ERR_GET_LIB(e) == ERR_LIB_PEM &&
         ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        break;
      }
      putil_seterr(err, errlen, "certificate block %d: %s", block + 1,
                   ossl_reason());
      rc = TLS_ERR_PARSE;
      goto err;
    }
    block++;
    if(sk_X509_num(chain) >= TLSCERT_MAX_CHAIN) {
      X509_free(x);
      putil_seterr(err, errlen, "more than %d certificates", TLSCERT_MAX_CHAIN);
      rc = TLS_ERR_TOO_LARGE;
      goto err;
    }
    if(!sk_X509_push(chain, x)) {
      X509_free(x);
      rc = TLS_ERR_NOMEM;
      goto err;
    }
  }
  if(sk_X509_num(chain) == 0) {
    /* no PEM certificate: maybe one DER certificate */
    const unsigned char *p = buf;
    X509 *x = NULL;
    if(len >= 2 && buf[0] == 0x30)
      x = d2i_X509(NULL, &p, (long)len);
    if(x && p == buf + len) {
      if(!sk_X509_push(chain, x)) {
        X509_free(x);
        rc = TLS_ERR_NOMEM;
        goto err;
      }
    }
    else {
      X509_free(x);
      ERR_clear_error();
      putil_seterr(err, errlen,
                   "no PEM certificate block and not a DER certificate");
      rc = TLS_ERR_EMPTY;
      goto err;
    }
  }
  BIO_free(bio);
  *out = chain;
  return TLS_OK;
err:
  ERR_clear_error();
  BIO_free(bio);
  tlscert_chain_free(chain);
  return rc;
}

/* Reads a file (bounded, lib's fileio_read: a link is followed, as
 * /etc/ssl/certs is made of them) and parses it. */
tls_err tlscert_load_file(const char *path, STACK_OF(X509) * *out, char *err,
                          size_t errlen)
{
  char *buf = NULL;
  size_t len = 0;
  tls_err rc;

  *out = NULL;
  if(fileio_read(path, TLSCERT_MAX_INPUT, FILEIO_FOLLOW, NULL, &buf, &len, NULL,
                 0) < 0) {
    int e = errno;
    if(e == ENOMEM)
      return TLS_ERR_NOMEM;
    if(e == EFBIG) {
      putil_seterr(err, errlen, "%s: larger than %u bytes", path,
                   TLSCERT_MAX_INPUT);
      return TLS_ERR_TOO_LARGE;
    }
    if(e == EISDIR || e == EINVAL)
      putil_seterr(err, errlen, "%s: not a regular file", path);
    else
      putil_seterr(err, errlen, "%s: %s", path, strerror(e));
    return TLS_ERR_IO;
  }
  rc = tlscert_parse((const unsigned char *)buf, len, out, err, errlen);
  if(rc != TLS_OK && err && errlen) {
    /* prefix the path to the parser's message */
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", err);
    putil_seterr(err, errlen, "%s: %s", path, tmp);
  }
  free(buf);
  return rc;
}

/* Formats t as ISO 8601 UTC. */
void tlscert_fmt_time(time_t t, char *buf, size_t len)
{
  struct tm tm;
  if(!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(buf, len, "%lld", (long long)t);
}

/* ASN1_TIME to time_t; 0 on failure. */
static int asn1_to_time(const ASN1_TIME *a, time_t *out)
{
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  if(!a || ASN1_TIME_to_tm(a, &tm) != 1)
    return -1;
  *out = timegm(&tm);
  return 0;
}

/* notBefore and notAfter of x; see tlscert.h. */
int tlscert_cert_dates(X509 *x, time_t *not_before, time_t *not_after)
{
  if(asn1_to_time(X509_get0_notBefore(x), not_before) != 0 ||
     asn1_to_time(X509_get0_notAfter(x), not_after) != 0)
    return -1;
  return 0;
}

/* An X509_NAME as an RFC 2253 string (ASCII, escaped), malloc'd. */
static char *name_str(const X509_NAME *n)
{
  BIO *b = BIO_new(BIO_s_mem());
  char *data = NULL, *s = NULL;
  long len;
  if(!b)
    return NULL;
  if(X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) < 0) {
    BIO_free(b);
    return strdup("");
  }
  len = BIO_get_mem_data(b, &data);
  if(len > 2048)
    len = 2048;
  s = malloc((size_t)len + 1);
  if(s) {
    long i;
    for(i = 0; i < len; i++) {
      unsigned char c = (unsigned char)data[i];
      s[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    s[len] = 0;
  }
  BIO_free(b);
  return s;
}

/* bytes as lowercase hex, malloc'd. */
static char *hexstr(const unsigned char *p, size_t n)
{
  static const char dig[] = "0123456789abcdef";
  char *s = malloc(n * 2 + 1);
  size_t i;
  if(!s)
    return NULL;
  for(i = 0; i < n; i++) {
    s[2 * i] = dig[p[i] >> 4];
    s[2 * i + 1] = dig[p[i] & 15];
  }
  s[2 * n] = 0;
  return s;
}

/* Copies an ASN.1 string as printable ASCII (others become '?'). */
static void ascii_copy(char *dst, size_t dlen, const unsigned char *src, int n)
{
  size_t i, m = (size_t)(n < 0 ? 0 : n);
  if(m >= dlen)
    m = dlen - 1;
  for(i = 0; i < m; i++)
    dst[i] = (src[i] < 0x20 || src[i] >= 0x7f) ? '?' : (char)src[i];
  dst[m] = 0;
}

/* The subjectAltName entries of x as a JSON array text, malloc'd. */
static char *sans_json(X509 *x)
{
  GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
  cJSON *arr = cJSON_CreateArray();
  char *out = NULL;
  int i, n;
  if(!arr)
    goto done;
  n = gens ? sk_GENERAL_NAME_num(gens) : 0;
  for(i = 0; i < n && i < 100; i++) {
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
    char buf[300];
    buf[0] = 0;
    if(g->type == GEN_DNS) {
      ascii_copy(buf, sizeof buf, ASN1_STRING_get0_data(g->d.dNSName),
                 ASN1_STRING_length(g->d.dNSName));
    }
    else if(g->type == GEN_IPADD) {
      const unsigned char *ip = ASN1_STRING_get0_data(g->d.iPAddress);
      int l = ASN1_STRING_length(g->d.iPAddress);
      char a[INET6_ADDRSTRLEN];
      if(l == 4 && inet_ntop(AF_INET, ip, a, sizeof a))
        snprintf(buf, sizeof buf, "IP:%s", a);
      else if(l == 16 && inet_ntop(AF_INET6, ip, a, sizeof a))
        snprintf(buf, sizeof buf, "IP:%s", a);
      else
        snprintf(buf, sizeof buf, "IP:?");
    }
    else if(g->type == GEN_EMAIL) {
      char tmp[280];
      ascii_copy(tmp, sizeof tmp, ASN1_STRING_get0_data(g->d.rfc822Name),
                 ASN1_STRING_length(g->d.rfc822Name));
      snprintf(buf, sizeof buf, "email:%s", tmp);
    }
    else if(g->type == GEN_URI) {
      char tmp[280];
      ascii_copy(tmp, sizeof tmp,
                 ASN1_STRING_get0_data(g->d.uniformResourceIdentifier),
                 ASN1_STRING_length(g->d.uniformResourceIdentifier));
      snprintf(buf, sizeof buf, "URI:%s", tmp);
    }
    else {
      continue;
    }
    cJSON_AddItemToArray(arr, cJSON_CreateString(buf));
  }
  out = cJSON_PrintUnformatted(arr);
done:
  cJSON_Delete(arr);
  GENERAL_NAMES_free(gens);
  return out;
}

/* 1 when x is self-signed (issuer = subject and its own key verifies it). */
static int self_signed(X509 *x)
{
  return (X509_get_extension_flags(x) & EXFLAG_SS) != 0;
}

/* Adds one weakness line to the report. */
static void add_weak(tlscert_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_weak(tlscert_report *rep, const char *fmt, ...)
{
  char buf[160];
  va_list ap;
  if(rep->nweak >= TLSCERT_MAX_WEAK)
    return;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  rep->weak[rep->nweak] = strdup(buf);
  if(rep->weak[rep->nweak])
    rep->nweak++;
}

/* Checks one certificate's signature digest and key size. */
static void check_weak(tlscert_report *rep, X509 *x, int idx)
{
  int mdnid = NID_undef, pknid = NID_undef, secbits = 0;
  uint32_t flags = 0;
  const char *who = idx == 0 ? "leaf" : "intermediate";
  char num[16] = "";
  EVP_PKEY *pk;
  if(idx > 0)
    snprintf(num, sizeof num, " %d", idx);
  if(X509_get_signature_info(x, &mdnid, &pknid, &secbits, &flags) == 1) {
    if(mdnid == NID_md5 || mdnid == NID_sha1 || mdnid == NID_md4 ||
       mdnid == NID_md2)
      add_weak(rep, "%s%s signature %s (MD5 and SHA-1 are refused)", who, num,
               OBJ_nid2ln(X509_get_signature_nid(x)));
  }
  pk = X509_get0_pubkey(x);
  if(pk) {
    int id = EVP_PKEY_get_base_id(pk), bits = EVP_PKEY_get_bits(pk);
    if((id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS || id == EVP_PKEY_DSA) &&
       bits < 2048)
      add_weak(rep, "%s%s key %s %d bits (minimum 2048)", who, num,
               EVP_PKEY_get0_type_name(pk), bits);
    else if(id == EVP_PKEY_EC && bits < 256)
      add_weak(rep, "%s%s key EC %d bits (minimum 256)", who, num, bits);
  }
}

/* Verifies the chain against the system store or a CA file. */
static tls_err verify_chain(STACK_OF(X509) * chain, const tlscert_opts *opts,
                            tlscert_report *rep, char *err, size_t errlen)
{
  X509_STORE *st = X509_STORE_new();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  tls_err rc = TLS_OK;
  if(!st || !ctx) {
    rc = TLS_ERR_NOMEM;
    goto done;
  }
  if(opts->ca_file) {
    if(X509_STORE_load_file(st, opts->ca_file) != 1) {
      /* still a judgement: the chain cannot be verified as configured */
      char msg[512];
      snprintf(msg, sizeof msg, "cannot load ca_file %s: %s", opts->ca_file,
               ossl_reason());
      rep->verified = 1;
      rep->verify_ok = 0;
      rep->verify_error = strdup(msg);
      if(!rep->verify_error)
        rc = TLS_ERR_NOMEM;
      goto done;
    }
  }
  else if(X509_STORE_set_default_paths(st) != 1) {
    putil_seterr(err, errlen, "system trust store: %s", ossl_reason());
    rc = TLS_ERR_OPENSSL;
    goto done;
  }
  if(X509_STORE_CTX_init(ctx, st, sk_X509_value(chain, 0), chain) != 1) {
    rc = TLS_ERR_NOMEM;
    goto done;
  }
  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
  X509_STORE_CTX_set_time(ctx, 0, opts->now);
  rep->verified = 1;
  if(X509_verify_cert(ctx) == 1) {
    rep->verify_ok = 1;
  }
  else {
    int e = X509_STORE_CTX_get_error(ctx);
    rep->verify_ok = 0;
    rep->verify_code = e;
    rep->verify_depth = X509_STORE_CTX_get_error_depth(ctx);
    rep->verify_error = strdup(X509_verify_cert_error_string(e));
    if(!rep->verify_error)
      rc = TLS_ERR_NOMEM;
  }
done:
  ERR_clear_error();
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(st);
  return rc;
}

/* Host name (or IP literal) match of the leaf: SANs, wildcards. */
static int host_matches(X509 *leaf, const char *host)
{
  unsigned char tmp[16];
  if(inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1)
    return X509_check_ip_asc(leaf, host, 0) == 1;
  return X509_check_host(leaf, host, 0, 0, NULL) == 1;
}

/* The identity of the leaf into rep: subject, issuer, SANs, serial,
 * SHA-256, signature and key. TLS_OK, or TLS_ERR_NOMEM. */
static tls_err leaf_identity(X509 *leaf, tlscert_report *rep)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  rep->subject = name_str(X509_get_subject_name(leaf));
  rep->issuer = name_str(X509_get_issuer_name(leaf));
  rep->sans_json = sans_json(leaf);
  const ASN1_INTEGER *ser = X509_get0_serialNumber(leaf);
  BIGNUM *bn = ser ? ASN1_INTEGER_to_BN(ser, NULL) : NULL;
  if(bn) {
    char *h = BN_bn2hex(bn);
    rep->serial = h ? strdup(h) : NULL;
    OPENSSL_free(h);
    BN_free(bn);
  }
  if(X509_digest(leaf, EVP_sha256(), md, &mdlen) == 1)
    rep->sha256 = hexstr(md, mdlen);
  rep->sig_alg = strdup(OBJ_nid2ln(X509_get_signature_nid(leaf))
                            ? OBJ_nid2ln(X509_get_signature_nid(leaf))
                            : "unknown");
  EVP_PKEY *pk = X509_get0_pubkey(leaf);
  rep->key_type =
      strdup(pk && EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk)
                                               : "unknown");
  rep->key_bits = pk ? EVP_PKEY_get_bits(pk) : 0;
  if(!rep->subject || !rep->issuer || !rep->sans_json || !rep->serial ||
     !rep->sha256 || !rep->sig_alg || !rep->key_type)
    return TLS_ERR_NOMEM;
  return TLS_OK;
}

/* The validity of the leaf and the presented intermediates into rep (a
 * presented root only noted). TLS_OK, or TLS_ERR_PARSE with err. */
static tls_err chain_validity(STACK_OF(X509) * chain, int n,
                              const tlscert_opts *opts, tlscert_report *rep,
                              char *err, size_t errlen)
{
  for(int i = 0; i < n; i++) {
    X509 *x = sk_X509_value(chain, i);
    time_t nb = 0, na = 0;
    if(i > 0 && self_signed(x)) {
      /* a presented root: its expiry is the trust store's business */
      if(!rep->has_root) {
        rep->has_root = 1;
        rep->root_subject = name_str(X509_get_subject_name(x));
        if(asn1_to_time(X509_get0_notAfter(x), &rep->root_not_after) != 0)
          rep->root_not_after = 0;
      }
      continue;
    }
    if(asn1_to_time(X509_get0_notBefore(x), &nb) != 0 ||
       asn1_to_time(X509_get0_notAfter(x), &na) != 0) {
      putil_seterr(err, errlen, "certificate %d: unreadable validity dates", i);
      return TLS_ERR_PARSE;
    }
    if(i == 0) {
      rep->leaf_not_before = nb;
      rep->leaf_not_after = na;
    }
    if(rep->counted == 0 || na < rep->chain_not_after) {
      rep->chain_not_after = na;
      rep->chain_not_after_idx = i;
    }
    if(rep->counted == 0 || nb > rep->chain_not_before)
      rep->chain_not_before = nb;
    if(na < opts->now && rep->expired_idx < 0)
      rep->expired_idx = i;
    if(nb > opts->now && rep->not_yet_valid_idx < 0)
      rep->not_yet_valid_idx = i;
    check_weak(rep, x, i);
    rep->counted++;
  }
  return TLS_OK;
}

/* Judges a chain (see tlscert.h): the leaf's identity, the chain's
 * validity, the host name, then verification. */
tls_err tlscert_analyze(STACK_OF(X509) * chain, const tlscert_opts *opts,
                        tlscert_report *rep, char *err, size_t errlen)
{
  memset(rep, 0, sizeof *rep);
  rep->expired_idx = rep->not_yet_valid_idx = -1;
  int n = chain ? sk_X509_num(chain) : 0;
  if(n <= 0) {
    putil_seterr(err, errlen, "no certificate");
    return TLS_ERR_EMPTY;
  }
  X509 *leaf = sk_X509_value(chain, 0);
  tls_err rc = leaf_identity(leaf, rep);
  if(rc == TLS_OK)
    rc = chain_validity(chain, n, opts, rep, err, errlen);
  if(rc != TLS_OK)
    goto err;
  if(opts->host && *opts->host) {
    rep->host_checked = 1;
    rep->host_ok = host_matches(leaf, opts->host);
  }
  if(!opts->no_verify) {
    rc = verify_chain(chain, opts, rep, err, errlen);
    if(rc != TLS_OK)
      goto err;
  }
  ERR_clear_error();
  return TLS_OK;
err:
  ERR_clear_error();
  tlscert_report_free(rep);
  return rc;
}

/* Frees the strings of a report and zeroes it. */
void tlscert_report_free(tlscert_report *rep)
{
  int i;
  free(rep->subject);
  free(rep->issuer);
  free(rep->serial);
  free(rep->sha256);
  free(rep->sans_json);
  free(rep->sig_alg);
  free(rep->key_type);
  free(rep->root_subject);
  free(rep->verify_error);
  for(i = 0; i < rep->nweak; i++)
    free(rep->weak[i]);
  memset(rep, 0, sizeof *rep);
  rep->expired_idx = rep->not_yet_valid_idx = -1;
}
