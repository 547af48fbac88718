/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c: agent.metrics_listen, the daemon's Prometheus endpoint (see
 * metrics.h). A deliberately small HTTP/1.0 server inside the scheduler's
 * own poll loop rather than libmicrohttpd: two fixed answers need no
 * library, no thread beside fork() and no new dependency in the image,
 * and every bound is ours to state: one request per connection, at most
 * METRICS_MAX_REQUEST bytes of it, read within METRICS_READ_MS, at most
 * METRICS_MAX_PER_WAKE connections per wake-up and none accepted once
 * METRICS_WAKE_MS have passed (so that clients which connect and say
 * nothing cannot hold the scheduler: the checks go on, the rest wait in
 * the backlog), written with a send
 * timeout; anything but GET /metrics or GET /healthz is 404/405.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "util.h"

#define METRICS_MAX_REQUEST 4096
#define METRICS_READ_MS 100
#define METRICS_WAKE_MS 300.0
#define METRICS_MAX_PER_WAKE 8

int metrics_parse_addr(const char *spec, char *host, size_t hostlen, char *port,
                       size_t portlen)
{
  const char *colon;
  size_t hl;
  if(!spec || !*spec)
    return -1;
  if(spec[0] == '[') {
    const char *end = strchr(spec, ']');
    if(!end || end[1] != ':')
      return -1;
    hl = (size_t)(end - spec - 1);
    spec++;
    colon = end + 1;
  }
  else {
    colon = strrchr(spec, ':');
    if(!colon || memchr(spec, ':', (size_t)(colon - spec)))
      return -1;
    hl = (size_t)(colon - spec);
  }
  const char *p = colon + 1;
  char *end;
  long n = strtol(p, &end, 10);
  if(!*p || *end || n < 1 || n > 65535 || hl == 0 || hl >= hostlen)
    return -1;
  memcpy(host, spec, hl);
  host[hl] = '\0';
  snprintf(port, portlen, "%ld", n);
  return 0;
}

int metrics_open(metrics_server *m, const char *spec, char *err, size_t errlen)
{
  char host[256], port[16];
  struct addrinfo hints, *ai = NULL;
  memset(m, 0, sizeof(*m));
  m->fd = -1;
  if(metrics_parse_addr(spec, host, sizeof(host), port, sizeof(port)) < 0) {
    snprintf(err, errlen, "agent.metrics_listen: \"%s\" is not HOST:PORT",
             spec);
    return -1;
  }
  memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  int rc = getaddrinfo(host, port, &hints, &ai);
  if(rc) {
    snprintf(err, errlen, "agent.metrics_listen %s: %s", spec,
             gai_strerror(rc));
    return -1;
  }
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  if(fd < 0 ||
     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
     bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
    snprintf(err, errlen, "agent.metrics_listen %s: %s", spec, strerror(errno));
    if(fd >= 0)
      close(fd);
    freeaddrinfo(ai);
    return -1;
  }
  freeaddrinfo(ai);
  m->fd = fd;
  return 0;
}

void metrics_close(metrics_server *m)
{
  if(m->fd >= 0)
    close(m->fd);
  m->fd = -1;
}

/* Reads the request head (up to the blank line) within the deadline and
 * the size cap. Returns its length, or -1. */
static ssize_t read_request(int fd, char *buf, size_t cap)
{
  size_t len = 0;
  double end = util_mono_ms() + METRICS_READ_MS;
  while(len < cap - 1) {
    int left = (int)(end - util_mono_ms());
    struct pollfd p = {fd, POLLIN, 0};
    if(left <= 0 || poll(&p, 1, left) <= 0)
      return -1;
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if(n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if(n <= 0)
      return -1;
    len += (size_t)n;
    buf[len] = '\0';
    if(strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
      return (ssize_t)len;
  }
  return -1; /* too large */
}

/* Writes all of buf, giving up after the socket's send timeout. */
static void send_all(int fd, const char *buf, size_t len)
{
  while(len > 0) {
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if(n < 0 && errno == EINTR)
      continue;
    if(n <= 0)
      return;
    buf += n;
    len -= (size_t)n;
  }
}

/* One answer: status line, headers, body; then the connection ends. */
static void respond(int fd, const char *status, const char *type,
                    const char *body, size_t len)
{
  dbuf b;
  dbuf_init(&b, 0);
  dbuf_printf(&b,
              "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
              "Connection: close\r\n\r\n",
              status, type, len);
  if(b.data) {
    send_all(fd, b.data, b.len);
    send_all(fd, body, len);
  }
  dbuf_free(&b);
}

/* 1 when plugin is among those the daemon runs (its interval applies). */
static int plugin_configured(const agent_config *cfg, const char *plugin)
{
  for(size_t i = 0; i < cfg->nrun; i++)
    if(!strcmp(cfg->run[i], plugin))
      return 1;
  return 0;
}

/* The latest results that are not stale: younger than two of their
 * plugin's intervals. A new array (the caller deletes it). */
static cJSON *fresh_results(const output *o, const agent_config *cfg)
{
  cJSON *a = cJSON_CreateArray();
  const cJSON *r;
  double now = (double)time(NULL);
  cJSON_ArrayForEach(r, o->latest) {
    const char *plugin =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "plugin"));
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(r, "ts");
    if(!plugin || !cJSON_IsNumber(ts))
      continue;
    double interval = plugin_configured(cfg, plugin)
                          ? config_plugin_interval(cfg, plugin)
                          : cfg->interval_s;
    if(now - ts->valuedouble > 2 * interval)
      continue;
    cJSON_AddItemReferenceToArray(a, (cJSON *)r);
  }
  return a;
}

/* Answers one connection. */
static void serve(int fd, output *o, const agent_config *cfg)
{
  char req[METRICS_MAX_REQUEST];
  struct timeval tv = {2, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  ssize_t n = read_request(fd, req, sizeof(req));
  if(n < 0) {
    static const char msg[] = "request too large or too slow\n";
    respond(fd, "400 Bad Request", "text/plain", msg, sizeof(msg) - 1);
    return;
  }
  char method[8], path[256];
  if(sscanf(req, "%7s %255s", method, path) != 2) {
    respond(fd, "400 Bad Request", "text/plain", "bad request\n", 12);
    return;
  }
  char *q = strchr(path, '?');
  if(q)
    *q = '\0';
  int is_metrics = !strcmp(path, "/metrics"),
      is_health = !strcmp(path, "/healthz");
  if(!is_metrics && !is_health) {
    respond(fd, "404 Not Found", "text/plain", "only /metrics and /healthz\n",
            27);
    return;
  }
  if(strcmp(method, "GET")) {
    respond(fd, "405 Method Not Allowed", "text/plain", "only GET\n", 9);
    return;
  }
  if(is_health) {
    respond(fd, "200 OK", "text/plain", "ok\n", 3);
    return;
  }
  cJSON *fresh = fresh_results(o, cfg);
  dbuf b;
  dbuf_init(&b, 0);
  if(fresh && output_openmetrics(o, fresh, &b) == 0 && b.data)
    respond(fd, "200 OK",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            b.data, b.len);
  else
    respond(fd, "500 Internal Server Error", "text/plain", "out of memory\n",
            14);
  dbuf_free(&b);
  cJSON_Delete(fresh);
}

/* Reads what the client still sends (at most 64 KiB, 100 ms), so that
 * closing with unread bytes does not reset the connection before the
 * client has read the answer (a request over the size cap). */
static void drain(int fd)
{
  char buf[4096];
  size_t total = 0;
  double end = util_mono_ms() + 100;
  while(total < 65536) {
    int left = (int)(end - util_mono_ms());
    struct pollfd p = {fd, POLLIN, 0};
    if(left <= 0 || poll(&p, 1, left) <= 0)
      return;
    ssize_t n = read(fd, buf, sizeof(buf));
    if(n <= 0)
      return;
    total += (size_t)n;
  }
}

void metrics_accept(metrics_server *m, output *o, const agent_config *cfg)
{
  double wake_end = util_mono_ms() + METRICS_WAKE_MS;
  for(int i = 0;
      m->fd >= 0 && i < METRICS_MAX_PER_WAKE && util_mono_ms() < wake_end;
      i++) {
    int c = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC);
    if(c < 0)
      return; /* EAGAIN: none left */
    serve(c, o, cfg);
    shutdown(c, SHUT_WR);
    drain(c);
    close(c);
  }
}
