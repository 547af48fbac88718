/* SPDX-License-Identifier: Apache-2.0 */
/*
 * phttp.h: one bounded HTTP(S) request for a plugin, over libcurl.
 *
 * Plugins talk to services they are meant to distrust (a JSON-RPC node, a
 * relay's API), so every request is bounded: a total time that includes a
 * body that stalls half way, a maximum body size enforced while receiving
 * (never buffered first), http and https only, at most 3 redirects and only
 * to the same scheme (an https URL never silently goes plain http), and a
 * redirect that leaves the origin (scheme, host, port) takes neither the
 * caller's headers (but Content-Type and Accept*) nor userinfo. Error
 * texts never hold credentials; redact_target (lib/redact.h) makes a URL
 * fit to print.
 */
#ifndef PLUGINS_COMMON_PHTTP_H
#define PLUGINS_COMMON_PHTTP_H

#include <stddef.h>

typedef enum phttp_code {
  PHTTP_OK = 0,
  PHTTP_ERR_URL,       /* not an http:// or https:// URL, or malformed */
  PHTTP_ERR_CONNECT,   /* resolve, connect, reset, closed early */
  PHTTP_ERR_TIMEOUT,   /* timeout_s passed (connect, headers or body) */
  PHTTP_ERR_TOO_LARGE, /* body larger than max_bytes */
  PHTTP_ERR_REDIRECT,  /* to another scheme, bad Location, or more than 3 */
  PHTTP_ERR_TLS,       /* handshake or certificate verification */
  PHTTP_ERR_PROTOCOL,  /* the reply is no HTTP/1.x or later: no status line
                        * (HTTP/0.9) or a garbled one */
  PHTTP_ERR_OTHER
} phttp_code;

typedef struct phttp_request {
  const char *method; /* "GET" or "POST" */
  const char *url;    /* http:// or https:// only */
  const char *body;   /* POST body or NULL */
  size_t body_len;
  const char *const *headers; /* NULL-terminated "Name: value", or NULL */
  double timeout_s;           /* whole request, incl. a stalled body */
  size_t max_bytes;           /* 0 = 16 MiB */
  const char *ca_file;        /* PEM CA bundle for https, or NULL */
} phttp_request;

typedef struct phttp_response {
  long status; /* HTTP status of the last response, 0 if none */
  char *body;  /* NUL-terminated, malloc'd; "" after an error */
  size_t len;
  double elapsed_s;
  char error[256]; /* human text, never credentials; "" on success */
  /* Phases of the last hop, from libcurl's CURLINFO_*_TIME_T (seconds;
   * -1 when that phase was not reached): name lookup, TCP connect, TLS
   * handshake (0 for http), first byte after the request, whole hop. */
  double dns_s, connect_s, tls_s, first_byte_s, total_s;
} phttp_response;

/* Default of phttp_request.max_bytes. */
#define PHTTP_DEFAULT_MAX_BYTES ((size_t)16 * 1024 * 1024)

/* Performs one request (following same-scheme redirects, at most 3; from
 * the first hop that leaves the origin on, without credentials).
 * resp is always initialised; free it with phttp_response_free. An HTTP
 * error status (4xx, 5xx) is PHTTP_OK with that status: the caller judges. */
phttp_code phttp_fetch(const phttp_request *req, phttp_response *resp);

/* Opens libcurl and initialises it, once per process. phttp_fetch calls
 * it itself; a plugin that fetches from several threads calls it first,
 * from one thread. 0, or -1 with the reason in err. */
int phttp_init(char *err, size_t errlen);

/* Frees the body of resp and zeroes it. */
void phttp_response_free(phttp_response *resp);

/* A short English name of a code ("timeout", "too large", ...). */
const char *phttp_strerror(phttp_code c);

#endif
