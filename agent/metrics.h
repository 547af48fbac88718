/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h: agent.metrics_listen, the daemon's Prometheus endpoint:
 * GET /metrics answers the OpenMetrics text of the latest result of every
 * check (output.c keeps them), leaving out those older than two of their
 * plugin's intervals; GET /healthz answers "ok". Served from the daemon's
 * poll loop (sched.c), one bounded request per connection.
 */
#ifndef AGENT_METRICS_H
#define AGENT_METRICS_H

#include <stddef.h>

#include "conf.h"
#include "output.h"

typedef struct metrics_server {
  int fd; /* the listening socket, or -1 */
} metrics_server;

/* Splits "HOST:PORT" or "[V6]:PORT". 0 or -1. */
int metrics_parse_addr(const char *spec, char *host, size_t hostlen, char *port,
                       size_t portlen);

/* Listens on spec (non-blocking). 0, or -1 with err set. */
int metrics_open(metrics_server *m, const char *spec, char *err, size_t errlen);
void metrics_close(metrics_server *m);

/* Answers the connections waiting (a bounded number per call). */
void metrics_accept(metrics_server *m, output *o, const agent_config *cfg);

#endif
