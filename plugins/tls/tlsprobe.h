/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlsprobe.h: fetching the certificate chain a TLS server presents, for the
 * tls plugin: non-blocking connect bounded by a deadline, an optional
 * plain-text STARTTLS prelude (PostgreSQL SSLRequest, SMTP, IMAP, FTP
 * AUTH TLS), then a TLS handshake with SNI that accepts any certificate
 * (judging it is tlscert's job, so that an expired or untrusted one is
 * still seen and reported as what it is). Thread-safe; one SSL_CTX is
 * shared by all workers of a run.
 */
#ifndef PLUGINS_TLS_TLSPROBE_H
#define PLUGINS_TLS_TLSPROBE_H

#include <openssl/ssl.h>

#include "plugins/tls/tlscert.h"

/* Plain-text protocols that negotiate TLS in-band. */
typedef enum tlsprobe_starttls {
  TLSPROBE_NONE = 0,
  TLSPROBE_POSTGRES,
  TLSPROBE_SMTP,
  TLSPROBE_IMAP,
  TLSPROBE_FTP
} tlsprobe_starttls;

/* "postgres"/"postgresql", "smtp", "imap", "ftp", "none"/"" to the enum;
 * -1 when unknown. */
int tlsprobe_starttls_from_name(const char *name);
const char *tlsprobe_starttls_name(tlsprobe_starttls s);

/* Splits "host:port", "[v6]:port" or "host" (port defaults to dflt) into
 * malloc'd host (brackets removed) and port. Returns TLS_OK or
 * TLS_ERR_CONFIG with err set. */
tls_err tlsprobe_split_hostport(const char *s, const char *dflt, char **host,
                                char **port, char *err, size_t errlen);

/* The client context every probe of a run shares: accepts any certificate
 * and any protocol version and cipher OpenSSL still has, at security level
 * 0, so that weak servers can be reached and reported. NULL on failure. */
SSL_CTX *tlsprobe_ctx_new(void);

/* What a handshake yielded besides the chain. */
typedef struct tlsprobe_info {
  char address[64]; /* the address connected to */
  char version[16]; /* "TLSv1.3" */
  char cipher[64];
  double handshake_s; /* connect to end of handshake */
} tlsprobe_info;

/* Connects to host:port (servername for SNI, NULL for none), runs the
 * STARTTLS prelude and the handshake, all before `deadline` (a
 * CLOCK_MONOTONIC time in seconds), and returns the presented chain (leaf
 * first) in *chain. On failure err says which step failed and why. */
tls_err tlsprobe_fetch(SSL_CTX *ctx, const char *host, const char *port,
                       const char *servername, tlsprobe_starttls starttls,
                       double deadline, STACK_OF(X509) * *chain,
                       tlsprobe_info *info, char *err, size_t errlen);

#endif
