/* SPDX-License-Identifier: Apache-2.0 */
/*
 * phttp.c: bounded HTTP(S) requests over libcurl (see phttp.h).
 *
 * Redirects are followed here rather than by libcurl, so that each hop can
 * be checked (same scheme as the URL we were given, at most 3 hops) and the
 * total time bound holds across hops. A hop that leaves the origin (scheme,
 * host, port, compared as libcurl's own URL parser sees them) goes without
 * the caller's credentials: only the harmless headers in safe_header() and
 * no userinfo, for that hop and every later one, as libcurl does itself with
 * CURLOPT_UNRESTRICTED_AUTH off. The body goes through a write
 * callback that aborts the transfer the moment it grows past max_bytes.
 * libcurl is not linked: the first fetch opens it (plib.h), and the code
 * here calls it through the sym_curl_* pointers below.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "lib/dbuf.h"
#include "plugins/common/phttp.h"
#include "plugins/common/plib.h"
#include "plugins/common/putil.h"

/* The libcurl functions used here, each called as sym_<name>. */
#define PHTTP_CURL_FUNCS(X) \
  X(curl_easy_cleanup)      \
  X(curl_easy_getinfo)      \
  X(curl_easy_init)         \
  X(curl_easy_perform)      \
  X(curl_easy_reset)        \
  X(curl_easy_setopt)       \
  X(curl_easy_strerror)     \
  X(curl_free)              \
  X(curl_global_init)       \
  X(curl_slist_append)      \
  X(curl_slist_free_all)    \
  X(curl_url)               \
  X(curl_url_cleanup)       \
  X(curl_url_get)           \
  X(curl_url_set)
#define PHTTP_DEFINE_SYM(f) static __typeof__(&f) sym_##f;
PHTTP_CURL_FUNCS(PHTTP_DEFINE_SYM)

#define MAX_REDIRECTS 3
#define DEFAULT_TIMEOUT_S 30.0

/* Received body, bounded by max (the buffer's limit). */
struct sink {
  dbuf d;
  size_t max;
  int too_large;
};

/* libcurl write callback: appends to the sink, aborting past max. */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct sink *s = userdata;
  size_t add = size * nmemb;
  if(add > s->max - s->d.len) {
    s->too_large = 1;
    return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
  }
  if(dbuf_add(&s->d, ptr, add) < 0)
    return 0;
  return add;
}

/* 1 when url starts with "http://" or "https://" (any case); *https set. */
static int scheme_of(const char *url, int *https)
{
  if(strncasecmp(url, "http://", 7) == 0) {
    *https = 0;
    return 1;
  }
  if(strncasecmp(url, "https://", 8) == 0) {
    *https = 1;
    return 1;
  }
  return 0;
}

/* The origin of a URL (RFC 6454: scheme, host, port), as libcurl parses it
 * (so that what is compared is what libcurl connects to). */
typedef struct origin {
  char *scheme, *host, *port;
} origin;

/* Frees the parts of o. */
static void origin_free(origin *o)
{
  sym_curl_free(o->scheme);
  sym_curl_free(o->host);
  sym_curl_free(o->port);
  memset(o, 0, sizeof(*o));
}

/* Fills o from url (default port filled in). 0, or -1 when libcurl cannot
 * parse it. */
static int origin_of(const char *url, origin *o)
{
  CURLU *u = sym_curl_url();
  int rc = -1;
  memset(o, 0, sizeof(*o));
  if(!u)
    return -1;
  if(sym_curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
     sym_curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) == CURLUE_OK &&
     sym_curl_url_get(u, CURLUPART_HOST, &o->host, 0) == CURLUE_OK &&
     sym_curl_url_get(u, CURLUPART_PORT, &o->port, CURLU_DEFAULT_PORT) ==
         CURLUE_OK)
    rc = 0;
  sym_curl_url_cleanup(u);
  if(rc != 0)
    origin_free(o);
  return rc;
}

/* 1 when a and b are the same origin (scheme and host compared without
 * case, as hosts are). */
static int same_origin(const origin *a, const origin *b)
{
  return strcasecmp(a->scheme, b->scheme) == 0 &&
         strcasecmp(a->host, b->host) == 0 && strcmp(a->port, b->port) == 0;
}

/* malloc'd copy of url without its userinfo (user, password, login
 * options), so that no Basic credential goes to another origin; NULL when
 * libcurl cannot parse it or out of memory. */
static char *strip_userinfo(const char *url)
{
  CURLU *u = sym_curl_url();
  char *s = NULL, *out = NULL;
  if(!u)
    return NULL;
  if(sym_curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
     sym_curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
     sym_curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
     sym_curl_url_set(u, CURLUPART_OPTIONS, NULL, 0) == CURLUE_OK &&
     sym_curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
    out = strdup(s);
  sym_curl_free(s);
  sym_curl_url_cleanup(u);
  return out;
}

/* 1 when the request header "Name: value" may go to another origin: the
 * few that describe the body or what is accepted. Every other header
 * (Authorization, a custom token header, Cookie...) is a credential until
 * proven otherwise. */
static int safe_header(const char *h)
{
  static const char *const names[] = {"Content-Type", "Accept",
                                      "Accept-Encoding", "Accept-Language",
                                      NULL};
  size_t n = strcspn(h, ":");
  if(!h[n])
    return 0;
  for(const char *const *p = names; *p; p++)
    if(strlen(*p) == n && strncasecmp(h, *p, n) == 0)
      return 1;
  return 0;
}

/* Maps a libcurl result to our code. */
static phttp_code map_curl(CURLcode rc, const struct sink *s)
{
  switch(rc) {
  case CURLE_OK: return PHTTP_OK;
  case CURLE_OPERATION_TIMEDOUT: return PHTTP_ERR_TIMEOUT;
  case CURLE_FILESIZE_EXCEEDED: return PHTTP_ERR_TOO_LARGE;
  case CURLE_WRITE_ERROR:
    return s->too_large ? PHTTP_ERR_TOO_LARGE : PHTTP_ERR_OTHER;
  case CURLE_URL_MALFORMAT: return PHTTP_ERR_URL;
  case CURLE_UNSUPPORTED_PROTOCOL: /* the scheme was checked before: this is
                                    * libcurl refusing an HTTP/0.9 reply */
  case CURLE_WEIRD_SERVER_REPLY: return PHTTP_ERR_PROTOCOL;
  case CURLE_TOO_MANY_REDIRECTS: return PHTTP_ERR_REDIRECT;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE: return PHTTP_ERR_CONNECT;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_USE_SSL_FAILED: return PHTTP_ERR_TLS;
  default: return PHTTP_ERR_OTHER;
  }
}

/* Writes the error text of a failed transfer: libcurl's detail unless it
 * could quote a URL (and so a credential), else its generic text. */
static void set_curl_error(phttp_response *resp, CURLcode rc,
                           const char *errbuf, const struct sink *s)
{
  if(rc == CURLE_WRITE_ERROR && s->too_large) {
    snprintf(resp->error, sizeof(resp->error),
             "response body larger than %zu bytes", s->max);
    return;
  }
  if(errbuf[0] && !strstr(errbuf, "://") && !strchr(errbuf, '@') &&
     !strchr(errbuf, '?'))
    snprintf(resp->error, sizeof(resp->error), "%s", errbuf);
  else
    snprintf(resp->error, sizeof(resp->error), "%s",
             sym_curl_easy_strerror(rc));
}

/* Opens libcurl and runs curl_global_init, once per process (plugins run
 * in a fresh child). */
static int global_init(char *err, size_t errlen)
{
  static const plib_sym syms[] = {PHTTP_CURL_FUNCS(PLIB_SYM)};
  static void *handle;
  static int done;
  if(!done) {
    if(plib_open(PLIB_LIBCURL_SONAME, &handle, syms,
                 sizeof(syms) / sizeof(syms[0]), err, errlen) != 0)
      return -1;
    if(sym_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      snprintf(err, errlen, "curl_global_init failed");
      return -1;
    }
    done = 1;
  }
  return 0;
}

int phttp_init(char *err, size_t errlen)
{
  return global_init(err, errlen);
}

/* What the request asks for, checked before libcurl is opened: a URL,
 * http or https (*https), GET or POST (*post). PHTTP_OK, or the error
 * with resp->error. */
static phttp_code check_request(const phttp_request *req, int *https, int *post,
                                phttp_response *resp)
{
  if(!req || !req->url || !req->method) {
    snprintf(resp->error, sizeof(resp->error), "no URL or method");
    return PHTTP_ERR_URL;
  }
  if(!scheme_of(req->url, https)) {
    snprintf(resp->error, sizeof(resp->error),
             "not an http:// or https:// URL");
    return PHTTP_ERR_URL;
  }
  if(strcmp(req->method, "POST") == 0)
    *post = 1;
  else if(strcmp(req->method, "GET") == 0)
    *post = 0;
  else {
    snprintf(resp->error, sizeof(resp->error), "unsupported method");
    return PHTTP_ERR_OTHER;
  }
  return PHTTP_OK;
}

/* A redirect (status) after hop: checks where it goes before going
 * there (same scheme, at most MAX_REDIRECTS, a URL libcurl can parse) and
 * sets *url to it, without userinfo once a hop has left the first origin
 * (*crossed). 0 to go on, 1 when there is no Location (the answer is the
 * caller's as is), -1 with *code and resp->error. */
static int next_hop(CURL *h, long status, int hop, int https,
                    const origin *first, int *crossed, char **url,
                    phttp_code *code, phttp_response *resp)
{
  char *loc = NULL;
  int next_https = 0;
  sym_curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
  if(!loc) /* 3xx without Location: hand it to the caller as is */
    return 1;
  if(hop >= MAX_REDIRECTS) {
    snprintf(resp->error, sizeof(resp->error), "more than %d redirects",
             MAX_REDIRECTS);
    *code = PHTTP_ERR_REDIRECT;
    return -1;
  }
  if(!scheme_of(loc, &next_https) || next_https != https) {
    snprintf(resp->error, sizeof(resp->error),
             "redirect (HTTP %ld) to another scheme refused", status);
    *code = PHTTP_ERR_REDIRECT;
    return -1;
  }
  origin there;
  if(origin_of(loc, &there) != 0) {
    snprintf(resp->error, sizeof(resp->error),
             "redirect (HTTP %ld) to a malformed URL refused", status);
    *code = PHTTP_ERR_REDIRECT;
    return -1;
  }
  if(!same_origin(first, &there))
    *crossed = 1;
  origin_free(&there);
  char *next = *crossed ? strip_userinfo(loc) : strdup(loc);
  if(!next) {
    snprintf(resp->error, sizeof(resp->error), "out of memory");
    return -1;
  }
  free(*url);
  *url = next;
  return 0;
}

/* The request's headers as libcurl lists: all of them, and the harmless
 * ones (safe_header) for hops that left the origin. 0, or -1 when memory
 * ran out (the caller frees what was built). */
static int header_lists(const phttp_request *req, struct curl_slist **all,
                        struct curl_slist **safe)
{
  for(const char *const *p = req->headers; p && *p; p++) {
    struct curl_slist *n = sym_curl_slist_append(*all, *p);
    if(!n)
      return -1;
    *all = n;
    if(safe_header(*p)) {
      n = sym_curl_slist_append(*safe, *p);
      if(!n)
        return -1;
      *safe = n;
    }
  }
  return 0;
}

/* Sets up h for one hop to url within left seconds: no redirects of its
 * own, the body into s, the given headers, GET or POST. */
static void set_hop(CURL *h, const phttp_request *req, const char *url,
                    double left, struct sink *s, char *errbuf,
                    struct curl_slist *hdrs, int post)
{
  long ms = (long)(left * 1000.0);
  if(ms < 1)
    ms = 1;
  sym_curl_easy_setopt(h, CURLOPT_URL, url);
  sym_curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  sym_curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  sym_curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  sym_curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
  sym_curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
  sym_curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
  sym_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  sym_curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
  sym_curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  sym_curl_easy_setopt(h, CURLOPT_USERAGENT, "probe-agent/" PACKAGE_VERSION);
  if(req->ca_file)
    sym_curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
  if(hdrs)
    sym_curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  if(post) {
    sym_curl_easy_setopt(h, CURLOPT_POST, 1L);
    sym_curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    sym_curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(req->body ? req->body_len : 0));
  }
  else {
    sym_curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
}

/* Fills the phase times of resp from the hop just done: libcurl gives
 * times since the hop's start, cumulative, in microseconds. */
static void fill_times(CURL *h, phttp_response *resp)
{
  curl_off_t dns = 0, conn = 0, app = 0, first = 0, total = 0;
  sym_curl_easy_getinfo(h, CURLINFO_NAMELOOKUP_TIME_T, &dns);
  sym_curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &conn);
  sym_curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &app);
  sym_curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &first);
  sym_curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total);
  resp->dns_s = dns / 1e6;
  resp->connect_s = conn > 0 ? (conn - dns) / 1e6 : -1;
  resp->tls_s = app > 0 ? (app - conn) / 1e6 : (conn > 0 ? 0 : -1);
  resp->first_byte_s = first > 0 ? first / 1e6 : -1;
  resp->total_s = total / 1e6;
}

/* What one fetch holds across its hops. */
typedef struct fetch {
  CURL *h;
  struct curl_slist *hdrs, *safe_hdrs;
  char *url;
  origin first;
  int crossed; /* a hop left the origin: credentials stay behind */
  int https, post;
  double start, timeout;
  struct sink s;
  char errbuf[CURL_ERROR_SIZE];
} fetch;

/* Checks the request and makes the handle, the URL's origin and the
 * header lists. PHTTP_OK, or the code with resp->error. */
static phttp_code fetch_open(fetch *f, const phttp_request *req,
                             phttp_response *resp)
{
  phttp_code code = check_request(req, &f->https, &f->post, resp);
  if(code != PHTTP_OK)
    return code;
  f->timeout = req->timeout_s > 0 ? req->timeout_s : DEFAULT_TIMEOUT_S;
  f->s.max = req->max_bytes ? req->max_bytes : PHTTP_DEFAULT_MAX_BYTES;
  dbuf_init(&f->s.d, f->s.max);
  if(global_init(resp->error, sizeof(resp->error)) != 0)
    return PHTTP_ERR_OTHER;
  f->h = sym_curl_easy_init();
  f->url = strdup(req->url);
  if(!f->h || !f->url) {
    snprintf(resp->error, sizeof(resp->error), "out of memory");
    return PHTTP_ERR_OTHER;
  }
  if(origin_of(f->url, &f->first) != 0) {
    snprintf(resp->error, sizeof(resp->error), "malformed URL");
    return PHTTP_ERR_URL;
  }
  if(header_lists(req, &f->hdrs, &f->safe_hdrs) != 0) {
    snprintf(resp->error, sizeof(resp->error), "out of memory");
    return PHTTP_ERR_OTHER;
  }
  return PHTTP_OK;
}

/* Performs the hops, following redirects (next_hop) until a final
 * answer, within the request's time. PHTTP_OK with the body in f->s, or
 * the code with resp->error. */
static phttp_code fetch_hops(fetch *f, const phttp_request *req,
                             phttp_response *resp)
{
  phttp_code code = PHTTP_ERR_OTHER;
  for(int hop = 0;; hop++) {
    double left = f->timeout - (putil_now() - f->start);
    long status = 0;
    if(left <= 0) {
      snprintf(resp->error, sizeof(resp->error), "timed out after %.1f s",
               f->timeout);
      return PHTTP_ERR_TIMEOUT;
    }
    sym_curl_easy_reset(f->h);
    dbuf_reset(&f->s.d);
    f->s.too_large = 0;
    f->errbuf[0] = '\0';
    set_hop(f->h, req, f->url, left, &f->s, f->errbuf,
            f->crossed ? f->safe_hdrs : f->hdrs, f->post);

    CURLcode rc = sym_curl_easy_perform(f->h);
    sym_curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &status);
    fill_times(f->h, resp);
    resp->status = status;
    if(rc != CURLE_OK) {
      set_curl_error(resp, rc, f->errbuf, &f->s);
      return map_curl(rc, &f->s);
    }
    if(status < 300 || status > 399 || status == 304)
      return PHTTP_OK;

    int n = next_hop(f->h, status, hop, f->https, &f->first, &f->crossed,
                     &f->url, &code, resp);
    if(n > 0)
      return PHTTP_OK;
    if(n < 0)
      return code;
    if(status == 301 || status == 302 || status == 303)
      f->post = 0; /* what browsers and libcurl do; 307/308 keep the method */
  }
}

/* Frees what fetch_open made (before libcurl is open, the handle and the
 * lists are NULL). */
static void fetch_close(fetch *f)
{
  if(f->hdrs)
    sym_curl_slist_free_all(f->hdrs);
  if(f->safe_hdrs)
    sym_curl_slist_free_all(f->safe_hdrs);
  if(f->first.scheme || f->first.host || f->first.port)
    origin_free(&f->first);
  if(f->h)
    sym_curl_easy_cleanup(f->h);
  free(f->url);
}

/* Open, hops, then the body or an empty one with the error (see
 * phttp.h). */
phttp_code phttp_fetch(const phttp_request *req, phttp_response *resp)
{
  fetch f;
  memset(&f, 0, sizeof(f));
  f.start = putil_now();
  memset(resp, 0, sizeof(*resp));
  resp->dns_s = resp->connect_s = resp->tls_s = resp->first_byte_s = -1;
  phttp_code code = fetch_open(&f, req, resp);
  if(code == PHTTP_OK)
    code = fetch_hops(&f, req, resp);
  if(code == PHTTP_OK && !(resp->body = dbuf_take(&f.s.d, &resp->len))) {
    snprintf(resp->error, sizeof(resp->error), "out of memory");
    code = PHTTP_ERR_OTHER;
  }
  resp->elapsed_s = putil_now() - f.start;
  if(code != PHTTP_OK) {
    dbuf_free(&f.s.d);
    resp->body = malloc(1);
    if(resp->body)
      resp->body[0] = '\0';
    resp->len = 0;
    if(!resp->error[0])
      snprintf(resp->error, sizeof(resp->error), "%s", phttp_strerror(code));
  }
  fetch_close(&f);
  return code;
}

void phttp_response_free(phttp_response *resp)
{
  if(!resp)
    return;
  free(resp->body);
  memset(resp, 0, sizeof(*resp));
}

const char *phttp_strerror(phttp_code c)
{
  switch(c) {
  case PHTTP_OK: return "ok";
  case PHTTP_ERR_URL: return "bad URL";
  case PHTTP_ERR_CONNECT: return "connection failed";
  case PHTTP_ERR_TIMEOUT: return "timeout";
  case PHTTP_ERR_TOO_LARGE: return "response too large";
  case PHTTP_ERR_REDIRECT: return "redirect refused";
  case PHTTP_ERR_TLS: return "TLS error";
  case PHTTP_ERR_PROTOCOL: return "not an HTTP/1.x reply (HTTP/0.9 or garbled)";
  case PHTTP_ERR_OTHER: break;
  }
  return "HTTP error";
}
