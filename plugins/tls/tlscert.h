/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlscert.h: certificate intake and judgement for the tls plugin, apart
 * from any network or agent code so that unit tests and the PEM fuzz
 * target drive it directly.
 *
 * tlscert_parse() turns a PEM bundle (or one DER certificate) into an
 * ordered chain; tlscert_analyze() judges a chain (leaf first, as a server
 * presents it or as a fullchain.pem holds it): expiry of the leaf and the
 * presented intermediates (a presented self-signed root is reported apart),
 * chain verification against the system store or a CA file, host name
 * match, weak signatures and keys, and the leaf's identity for details.
 * Everything here is thread-safe: the plugin analyses endpoints in worker
 * threads.
 */
#ifndef PLUGINS_TLS_TLSCERT_H
#define PLUGINS_TLS_TLSCERT_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

/* The one error enum of the tls plugin, returned up the stack. */
typedef enum tls_err {
  TLS_OK = 0,
  TLS_ERR_NOMEM,     /* out of memory */
  TLS_ERR_IO,        /* a file could not be read */
  TLS_ERR_TOO_LARGE, /* input over its size limit */
  TLS_ERR_PARSE,     /* malformed certificate or PEM block */
  TLS_ERR_EMPTY,     /* no certificate in the input */
  TLS_ERR_CONFIG,    /* bad setting */
  TLS_ERR_RESOLVE,   /* host name did not resolve */
  TLS_ERR_CONNECT,   /* TCP connection failed */
  TLS_ERR_TIMEOUT,   /* deadline passed */
  TLS_ERR_STARTTLS,  /* the plain-text protocol refused to start TLS */
  TLS_ERR_HANDSHAKE, /* TLS handshake failed */
  TLS_ERR_OPENSSL    /* any other OpenSSL failure */
} tls_err;

/* Short text for an error code. */
const char *tls_strerror(tls_err e);

/* Largest certificate file or bundle accepted (bytes). */
#define TLSCERT_MAX_INPUT (4u * 1024u * 1024u)
/* Most certificates kept from one bundle or handshake. */
#define TLSCERT_MAX_CHAIN 64

/* Parses every CERTIFICATE block of a PEM text (other blocks, such as a
 * private key, are skipped unread), or one DER certificate when the input
 * holds no PEM. On success *out is a new chain in input order. On failure
 * err says what went wrong and where (the block number). */
tls_err tlscert_parse(const unsigned char *buf, size_t len,
                      STACK_OF(X509) * *out, char *err, size_t errlen);

/* Reads a file (at most TLSCERT_MAX_INPUT bytes) and parses it. */
tls_err tlscert_load_file(const char *path, STACK_OF(X509) * *out, char *err,
                          size_t errlen);

/* Frees a chain from tlscert_parse/load_file (NULL is fine). */
void tlscert_chain_free(STACK_OF(X509) * chain);

/* What tlscert_analyze needs beyond the chain. */
typedef struct tlscert_opts {
  const char *host;    /* name to match (DNS name or IP literal), or NULL */
  const char *ca_file; /* trust anchors; NULL = the system store */
  int no_verify;       /* 1: skip chain verification (fuzzing, tests) */
  time_t now;          /* the time of judgement */
} tlscert_opts;

/* One weakness of a certificate of the chain. */
#define TLSCERT_MAX_WEAK 8

/* The judgement of one chain. Strings are malloc'd (tlscert_report_free). */
typedef struct tlscert_report {
  /* leaf */
  char *subject, *issuer, *serial, *sha256; /* serial and fingerprint hex */
  char *sans_json;                          /* JSON array of strings */
  char *sig_alg;                            /* e.g. "sha256WithRSAEncryption" */
  char *key_type;                           /* "RSA", "EC", "ED25519", ... */
  int key_bits;
  time_t leaf_not_before, leaf_not_after;
  /* leaf and presented intermediates (a presented self-signed root apart) */
  time_t chain_not_after;  /* earliest notAfter of those */
  int chain_not_after_idx; /* which certificate (0 = leaf) */
  time_t chain_not_before; /* latest notBefore of those */
  int counted;             /* how many certificates counted */
  int expired_idx;         /* first expired certificate, or -1 */
  int not_yet_valid_idx;   /* first not-yet-valid certificate, or -1 */
  /* a presented self-signed root, reported apart (has_root 0 when none) */
  int has_root;
  char *root_subject;
  time_t root_not_after;
  /* verification */
  int verified; /* 1 when verification ran */
  int verify_ok;
  char *verify_error; /* OpenSSL's reason, NULL when ok */
  int verify_code;    /* X509_V_ERR_..., 0 when ok or not from OpenSSL */
  int verify_depth;   /* depth of the failing certificate */
  /* host name */
  int host_checked, host_ok;
  /* weaknesses: "leaf signature sha1WithRSAEncryption", "leaf key RSA 1024" */
  int nweak;
  char *weak[TLSCERT_MAX_WEAK];
} tlscert_report;

/* Judges a chain (leaf first). Returns TLS_OK with *rep filled, or an
 * error with err set (rep is then empty and needs no free). */
tls_err tlscert_analyze(STACK_OF(X509) * chain, const tlscert_opts *opts,
                        tlscert_report *rep, char *err, size_t errlen);

/* Frees the strings of a report and zeroes it. */
void tlscert_report_free(tlscert_report *rep);

/* notBefore and notAfter of x as time_t; 0, or -1 when unreadable. */
int tlscert_cert_dates(X509 *x, time_t *not_before, time_t *not_after);

/* Formats t as "2026-11-28T12:00:00Z" into buf (at least 21 bytes). */
void tlscert_fmt_time(time_t t, char *buf, size_t len);

#endif
