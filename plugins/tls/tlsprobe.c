/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlsprobe.c: connect, STARTTLS prelude and handshake for the tls plugin,
 * every step bounded by one deadline (non-blocking socket + poll), so that
 * a silent or stalling server costs at most the endpoint's timeout.
 */
#include "config.h"

#include "plugins/common/putil.h"
#include "plugins/tls/tlsprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

/* Longest line of a STARTTLS dialogue we read, and most lines. */
#define LINE_MAX_BYTES 1024
#define MAX_LINES 64

/* Milliseconds left before deadline for poll(), at least 0. */
static int ms_left(double deadline)
{
  double left = deadline - putil_now();
  if(left <= 0)
    return 0;
  if(left > 86400)
    left = 86400;
  return (int)(left * 1000) + 1;
}

/* Waits for events on fd; 1 ready, 0 deadline passed, -1 error. */
static int wait_fd(int fd, short events, double deadline)
{
  for(;;) {
    struct pollfd p = {fd, events, 0};
    int ms = ms_left(deadline), r;
    if(ms == 0)
      return 0;
    r = poll(&p, 1, ms);
    if(r < 0 && errno == EINTR)
      continue;
    if(r < 0)
      return -1;
    if(r == 0)
      continue; /* re-check the clock */
    return 1;
  }
}

int tlsprobe_starttls_from_name(const char *name)
{
  if(!name || !*name || !strcasecmp(name, "none"))
    return TLSPROBE_NONE;
  if(!strcasecmp(name, "postgres") || !strcasecmp(name, "postgresql"))
    return TLSPROBE_POSTGRES;
  if(!strcasecmp(name, "smtp"))
    return TLSPROBE_SMTP;
  if(!strcasecmp(name, "imap"))
    return TLSPROBE_IMAP;
  if(!strcasecmp(name, "ftp"))
    return TLSPROBE_FTP;
  return -1;
}

const char *tlsprobe_starttls_name(tlsprobe_starttls s)
{
  switch(s) {
  case TLSPROBE_POSTGRES: return "postgres";
  case TLSPROBE_SMTP: return "smtp";
  case TLSPROBE_IMAP: return "imap";
  case TLSPROBE_FTP: return "ftp";
  case TLSPROBE_NONE: break;
  }
  return "none";
}

/* Splits host:port; see tlsprobe.h. */
tls_err tlsprobe_split_hostport(const char *s, const char *dflt, char **host,
                                char **port, char *err, size_t errlen)
{
  const char *h, *hend, *p = NULL;
  size_t i, plen;
  *host = *port = NULL;
  if(!s || !*s) {
    putil_seterr(err, errlen, "empty endpoint");
    return TLS_ERR_CONFIG;
  }
  if(strlen(s) > 300) {
    putil_seterr(err, errlen, "endpoint longer than 300 characters");
    return TLS_ERR_CONFIG;
  }
  if(s[0] == '[') {
    h = s + 1;
    hend = strchr(h, ']');
    if(!hend || hend == h) {
      putil_seterr(err, errlen, "unterminated [IPv6] address");
      return TLS_ERR_CONFIG;
    }
    if(hend[1] == ':')
      p = hend + 2;
    else if(hend[1] != 0) {
      putil_seterr(err, errlen, "junk after ]");
      return TLS_ERR_CONFIG;
    }
  }
  else {
    const char *c = strchr(s, ':');
    h = s;
    if(c && strchr(c + 1, ':')) {
      putil_seterr(err, errlen, "IPv6 address must be written [addr]:port");
      return TLS_ERR_CONFIG;
    }
    hend = c ? c : s + strlen(s);
    if(c)
      p = c + 1;
    if(hend == h) {
      putil_seterr(err, errlen, "no host name");
      return TLS_ERR_CONFIG;
    }
  }
  for(i = 0; h + i < hend; i++) {
    unsigned char ch = (unsigned char)h[i];
    if(ch <= ' ' || ch >= 0x7f || ch == '/' || ch == '@') {
      putil_seterr(err, errlen, "bad character in host name");
      return TLS_ERR_CONFIG;
    }
  }
  if(p) {
    char *end;
    long v;
    plen = strlen(p);
    v = strtol(p, &end, 10);
    if(plen == 0 || plen > 5 || *end || v < 1 || v > 65535) {
      putil_seterr(err, errlen, "bad port");
      return TLS_ERR_CONFIG;
    }
  }
  else {
    p = dflt;
    if(!p) {
      putil_seterr(err, errlen, "no port");
      return TLS_ERR_CONFIG;
    }
  }
  *host = strndup(h, (size_t)(hend - h));
  *port = strdup(p);
  if(!*host || !*port) {
    free(*host);
    free(*port);
    *host = *port = NULL;
    return TLS_ERR_NOMEM;
  }
  return TLS_OK;
}

/* The shared client context. */
SSL_CTX *tlsprobe_ctx_new(void)
{
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if(!ctx)
    return NULL;
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, 0);
  SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  ERR_clear_error();
  return ctx;
}

/* Resolves host:port before the deadline. IP literals directly; names
 * through getaddrinfo_a so that a stalled DNS server costs at most the
 * time left (a request glibc cannot cancel stays allocated on purpose: the
 * plugin's process ends soon after). */
static tls_err resolve(const char *host, const char *port, double deadline,
                       struct addrinfo **res, char *err, size_t errlen)
{
  struct req {
    struct gaicb cb;
    struct addrinfo hints;
    char host[304];
    char port[8];
  } * rq;
  struct gaicb *list[1];
  unsigned char tmp[16];
  int e;
  if(inet_pton(AF_INET, host, tmp) == 1 ||
     inet_pton(AF_INET6, host, tmp) == 1) {
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    e = getaddrinfo(host, port, &hints, res);
    if(e != 0) {
      putil_seterr(err, errlen, "cannot resolve %s: %s", host, gai_strerror(e));
      return TLS_ERR_RESOLVE;
    }
    return TLS_OK;
  }
  rq = calloc(1, sizeof *rq);
  if(!rq)
    return TLS_ERR_NOMEM;
  snprintf(rq->host, sizeof rq->host, "%s", host);
  snprintf(rq->port, sizeof rq->port, "%s", port);
  rq->hints.ai_socktype = SOCK_STREAM;
  rq->hints.ai_flags = AI_NUMERICSERV;
  rq->cb.ar_name = rq->host;
  rq->cb.ar_service = rq->port;
  rq->cb.ar_request = &rq->hints;
  list[0] = &rq->cb;
  if(getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0) {
    free(rq);
    putil_seterr(err, errlen, "cannot resolve %s: resolver unavailable", host);
    return TLS_ERR_RESOLVE;
  }
  for(;;) {
    double left = deadline - putil_now();
    struct timespec ts;
    int r;
    if(gai_error(&rq->cb) != EAI_INPROGRESS)
      break;
    if(left <= 0)
      break;
    ts.tv_sec = (time_t)left;
    ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
    r = gai_suspend((const struct gaicb *const *)list, 1, &ts);
    if(r == 0 || r == EAI_ALLDONE)
      break;
  }
  e = gai_error(&rq->cb);
  if(e == EAI_INPROGRESS) {
    if(gai_cancel(&rq->cb) == EAI_CANCELED)
      free(rq);
    putil_seterr(err, errlen, "resolving %s timed out", host);
    return TLS_ERR_TIMEOUT;
  }
  if(e != 0) {
    free(rq);
    putil_seterr(err, errlen, "cannot resolve %s: %s", host, gai_strerror(e));
    return TLS_ERR_RESOLVE;
  }
  *res = rq->cb.ar_result;
  free(rq);
  return TLS_OK;
}

/* Non-blocking connect to the first address that answers. */
static tls_err do_connect(const char *host, const char *port, double deadline,
                          int *fdout, tlsprobe_info *info, char *err,
                          size_t errlen)
{
  struct addrinfo *res = NULL, *ai;
  int fd = -1;
  char last[160] = "no address";
  tls_err rc = resolve(host, port, deadline, &res, err, errlen);

  if(rc != TLS_OK)
    return rc;
  rc = TLS_ERR_CONNECT;
  for(ai = res; ai; ai = ai->ai_next) {
    int soerr = 0, w;
    socklen_t sl = sizeof soerr;
    char addr[INET6_ADDRSTRLEN] = "?";
    if(ai->ai_family == AF_INET)
      inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr,
                sizeof addr);
    else if(ai->ai_family == AF_INET6)
      inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
                addr, sizeof addr);
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                ai->ai_protocol);
    if(fd < 0) {
      snprintf(last, sizeof last, "%s: socket: %s", addr, strerror(errno));
      continue;
    }
    if(connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
      goto connected;
    if(errno != EINPROGRESS) {
      snprintf(last, sizeof last, "%s port %s: %s", addr, port,
               strerror(errno));
      close(fd);
      fd = -1;
      continue;
    }
    w = wait_fd(fd, POLLOUT, deadline);
    if(w == 0) {
      snprintf(last, sizeof last, "%s port %s: connect timed out", addr, port);
      rc = TLS_ERR_TIMEOUT;
      close(fd);
      fd = -1;
      break;
    }
    if(w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
       soerr != 0) {
      snprintf(last, sizeof last, "%s port %s: %s", addr, port,
               strerror(soerr ? soerr : errno));
      close(fd);
      fd = -1;
      continue;
    }
  connected:
    snprintf(info->address, sizeof info->address, "%s", addr);
    freeaddrinfo(res);
    *fdout = fd;
    return TLS_OK;
  }
  freeaddrinfo(res);
  putil_seterr(err, errlen, "%s", last);
  return rc;
}

/* Sends all of buf before the deadline. */
static tls_err send_all(int fd, const char *buf, size_t len, double deadline,
                        char *err, size_t errlen)
{
  while(len > 0) {
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if(n > 0) {
      buf += n;
      len -= (size_t)n;
      continue;
    }
    if(n < 0 && errno == EINTR)
      continue;
    if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int w = wait_fd(fd, POLLOUT, deadline);
      if(w == 0) {
        putil_seterr(err, errlen, "timed out sending");
        return TLS_ERR_TIMEOUT;
      }
      if(w < 0) {
        putil_seterr(err, errlen, "poll: %s", strerror(errno));
        return TLS_ERR_CONNECT;
      }
      continue;
    }
    putil_seterr(err, errlen, "send: %s", strerror(errno));
    return TLS_ERR_CONNECT;
  }
  return TLS_OK;
}

/* Reads one byte before the deadline. */
static tls_err recv_byte(int fd, char *c, double deadline, char *err,
                         size_t errlen)
{
  for(;;) {
    ssize_t n = recv(fd, c, 1, 0);
    if(n == 1)
      return TLS_OK;
    if(n == 0) {
      putil_seterr(err, errlen, "server closed the connection");
      return TLS_ERR_STARTTLS;
    }
    if(errno == EINTR)
      continue;
    if(errno == EAGAIN || errno == EWOULDBLOCK) {
      int w = wait_fd(fd, POLLIN, deadline);
      if(w == 0) {
        putil_seterr(err, errlen, "timed out waiting for the server");
        return TLS_ERR_TIMEOUT;
      }
      if(w < 0) {
        putil_seterr(err, errlen, "poll: %s", strerror(errno));
        return TLS_ERR_CONNECT;
      }
      continue;
    }
    putil_seterr(err, errlen, "recv: %s", strerror(errno));
    return TLS_ERR_CONNECT;
  }
}

/* Reads one CRLF- or LF-terminated line (bounded; byte by byte so that
 * nothing after the reply is consumed before TLS starts). */
static tls_err recv_line(int fd, char *line, size_t cap, double deadline,
                         char *err, size_t errlen)
{
  size_t n = 0;
  for(;;) {
    char c;
    tls_err rc = recv_byte(fd, &c, deadline, err, errlen);
    if(rc != TLS_OK)
      return rc;
    if(c == '\n')
      break;
    if(n + 1 >= cap) {
      putil_seterr(err, errlen, "reply line too long");
      return TLS_ERR_STARTTLS;
    }
    line[n++] = c;
  }
  if(n > 0 && line[n - 1] == '\r')
    n--;
  line[n] = 0;
  return TLS_OK;
}

/* Printable copy of a server line for an error message. */
static void printable(char *dst, size_t cap, const char *src)
{
  size_t i;
  for(i = 0; src[i] && i + 1 < cap && i < 80; i++)
    dst[i] = ((unsigned char)src[i] < 0x20 || (unsigned char)src[i] >= 0x7f)
                 ? '?'
                 : src[i];
  dst[i] = 0;
}

/* Reads an SMTP/FTP reply ("123-..." continued, "123 ..." last); its code
 * goes to *code. */
static tls_err read_reply(int fd, int *code, char *last, size_t lastcap,
                          double deadline, char *err, size_t errlen)
{
  char line[LINE_MAX_BYTES];
  int i;
  for(i = 0; i < MAX_LINES; i++) {
    tls_err rc = recv_line(fd, line, sizeof line, deadline, err, errlen);
    if(rc != TLS_OK)
      return rc;
    if(strlen(line) >= 3 && line[0] >= '1' && line[0] <= '5' &&
       line[1] >= '0' && line[1] <= '9' && line[2] >= '0' && line[2] <= '9' &&
       (line[3] == ' ' || line[3] == 0)) {
      *code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
      printable(last, lastcap, line);
      return TLS_OK;
    }
  }
  putil_seterr(err, errlen, "reply longer than %d lines", MAX_LINES);
  return TLS_ERR_STARTTLS;
}

/* Runs the plain-text prelude that switches the connection to TLS. */
static tls_err starttls(int fd, tlsprobe_starttls kind, double deadline,
                        char *err, size_t errlen)
{
  char last[100], line[LINE_MAX_BYTES];
  int code = 0, i;
  tls_err rc;
  switch(kind) {
  case TLSPROBE_NONE: return TLS_OK;
  case TLSPROBE_POSTGRES: {
    /* SSLRequest: length 8, code 80877103 */
    static const char req[8] = {0, 0, 0, 8, 0x04, (char)0xd2, 0x16, 0x2f};
    char c;
    if((rc = send_all(fd, req, sizeof req, deadline, err, errlen)) != TLS_OK)
      return rc;
    if((rc = recv_byte(fd, &c, deadline, err, errlen)) != TLS_OK)
      return rc;
    if(c == 'S')
      return TLS_OK;
    if(c == 'N')
      putil_seterr(err, errlen,
                   "PostgreSQL server does not accept SSL (ssl=off)");
    else
      putil_seterr(err, errlen,
                   "PostgreSQL server answered the SSLRequest with 0x%02x",
                   (unsigned char)c);
    return TLS_ERR_STARTTLS;
  }
  case TLSPROBE_SMTP:
    if((rc = read_reply(fd, &code, last, sizeof last, deadline, err, errlen)) !=
       TLS_OK)
      return rc;
    if(code != 220)
      goto refused;
    if((rc = send_all(fd, "EHLO probe-agent.invalid\r\n", 26, deadline, err,
                      errlen)) != TLS_OK)
      return rc;
    if((rc = read_reply(fd, &code, last, sizeof last, deadline, err, errlen)) !=
       TLS_OK)
      return rc;
    if(code != 250)
      goto refused;
    if((rc = send_all(fd, "STARTTLS\r\n", 10, deadline, err, errlen)) != TLS_OK)
      return rc;
    if((rc = read_reply(fd, &code, last, sizeof last, deadline, err, errlen)) !=
       TLS_OK)
      return rc;
    if(code != 220)
      goto refused;
    return TLS_OK;
  case TLSPROBE_FTP:
    if((rc = read_reply(fd, &code, last, sizeof last, deadline, err, errlen)) !=
       TLS_OK)
      return rc;
    if(code != 220)
      goto refused;
    if((rc = send_all(fd, "AUTH TLS\r\n", 10, deadline, err, errlen)) != TLS_OK)
      return rc;
    if((rc = read_reply(fd, &code, last, sizeof last, deadline, err, errlen)) !=
       TLS_OK)
      return rc;
    if(code != 234)
      goto refused;
    return TLS_OK;
  case TLSPROBE_IMAP:
    if((rc = recv_line(fd, line, sizeof line, deadline, err, errlen)) != TLS_OK)
      return rc;
    if(strncmp(line, "* OK", 4) != 0) {
      printable(last, sizeof last, line);
      goto refused;
    }
    if((rc = send_all(fd, "a1 STARTTLS\r\n", 13, deadline, err, errlen)) !=
       TLS_OK)
      return rc;
    for(i = 0; i < MAX_LINES; i++) {
      if((rc = recv_line(fd, line, sizeof line, deadline, err, errlen)) !=
         TLS_OK)
        return rc;
      if(strncmp(line, "a1 ", 3) == 0) {
        if(strncasecmp(line + 3, "OK", 2) == 0)
          return TLS_OK;
        printable(last, sizeof last, line);
        goto refused;
      }
    }
    putil_seterr(err, errlen, "no tagged reply to STARTTLS");
    return TLS_ERR_STARTTLS;
  }
  return TLS_ERR_CONFIG;
refused:
  putil_seterr(err, errlen, "%s STARTTLS refused: \"%s\"",
               tlsprobe_starttls_name(kind), last);
  return TLS_ERR_STARTTLS;
}

/* Text of the newest OpenSSL error, or a fallback. */
static void ssl_errtext(char *buf, size_t len, const char *fallback)
{
  unsigned long e = ERR_peek_last_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  snprintf(buf, len, "%s", r ? r : fallback);
}

/* Connect, STARTTLS and handshake; see tlsprobe.h. */
tls_err tlsprobe_fetch(SSL_CTX *ctx, const char *host, const char *port,
                       const char *servername, tlsprobe_starttls kind,
                       double deadline, STACK_OF(X509) * *chain,
                       tlsprobe_info *info, char *err, size_t errlen)
{
  int fd = -1, i, n;
  SSL *ssl = NULL;
  STACK_OF(X509) * peer, *out = NULL;
  tls_err rc;
  double t0 = putil_now();
  char msg[200];

  *chain = NULL;
  memset(info, 0, sizeof *info);
  ERR_clear_error();
  rc = do_connect(host, port, deadline, &fd, info, err, errlen);
  if(rc != TLS_OK)
    return rc;
  rc = starttls(fd, kind, deadline, msg, sizeof msg);
  if(rc != TLS_OK) {
    putil_seterr(err, errlen, "%s", msg);
    goto err;
  }
  ssl = SSL_new(ctx);
  if(!ssl || SSL_set_fd(ssl, fd) != 1) {
    rc = TLS_ERR_NOMEM;
    goto err;
  }
  if(servername && *servername)
    SSL_set_tlsext_host_name(ssl, servername);
  for(;;) {
    int r = SSL_connect(ssl), e, w;
    if(r == 1)
      break;
    e = SSL_get_error(ssl, r);
    if(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      w = wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
      if(w == 0) {
        putil_seterr(err, errlen, "TLS handshake timed out");
        rc = TLS_ERR_TIMEOUT;
        goto err;
      }
      if(w > 0)
        continue;
    }
    if(e == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0)
      snprintf(msg, sizeof msg, "%s",
               errno ? strerror(errno) : "connection closed by the server");
    else
      ssl_errtext(msg, sizeof msg, "handshake failed");
    putil_seterr(err, errlen, "TLS handshake failed: %s", msg);
    rc = TLS_ERR_HANDSHAKE;
    goto err;
  }
  info->handshake_s = putil_now() - t0;
  snprintf(info->version, sizeof info->version, "%s", SSL_get_version(ssl));
  snprintf(info->cipher, sizeof info->cipher, "%s",
           SSL_get_cipher_name(ssl) ? SSL_get_cipher_name(ssl) : "");
  peer = SSL_get_peer_cert_chain(ssl);
  n = peer ? sk_X509_num(peer) : 0;
  if(n == 0) {
    putil_seterr(err, errlen, "the server presented no certificate");
    rc = TLS_ERR_HANDSHAKE;
    goto err;
  }
  out = sk_X509_new_null();
  if(!out) {
    rc = TLS_ERR_NOMEM;
    goto err;
  }
  for(i = 0; i < n && i < TLSCERT_MAX_CHAIN; i++) {
    X509 *x = sk_X509_value(peer, i);
    if(!X509_up_ref(x)) {
      rc = TLS_ERR_NOMEM;
      goto err;
    }
    if(!sk_X509_push(out, x)) {
      X509_free(x);
      rc = TLS_ERR_NOMEM;
      goto err;
    }
  }
  SSL_shutdown(ssl); /* one non-blocking close_notify; its outcome is moot */
  SSL_free(ssl);
  close(fd);
  ERR_clear_error();
  *chain = out;
  return TLS_OK;
err:
  tlscert_chain_free(out);
  SSL_free(ssl);
  if(fd >= 0)
    close(fd);
  ERR_clear_error();
  return rc;
}
