/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host.h: the child side of a plugin run. Implements the probe_host
 * functions a plugin calls, and sends each result to the agent as one JSON
 * line over a pipe. The agent (runner.c) validates and writes it; nothing
 * here writes to the agent's output.
 */
#ifndef AGENT_HOST_H
#define AGENT_HOST_H

#include <cjson/cJSON.h>

#include "probe-plugin.h"

typedef enum host_mode { HOST_RUN, HOST_CHECK } host_mode;

typedef struct host_run {
  const char *plugin;
  const cJSON *root;      /* the merged configuration */
  const char *state_base; /* the agent's state directory, or NULL */
  double start_ms;        /* monotonic */
  double deadline_ms;     /* monotonic */
  int result_fd;
  host_mode mode;
  /* why the agent refused the state directory before the run (a shared
   * base, another user's directory), or NULL: then the run has none */
  const char *state_refused;
  int progress; /* the agent shows progress: send it */
} host_run;

/* Runs init/run/fini (or check_config) of a loaded plugin in this child
 * process. Returns the child's exit status. */
int host_run_plugin(const host_run *hr, const probe_plugin *p);

/* Tells the agent, over the result pipe, why the run produced nothing. */
void host_send_failure(int fd, const char *summary);

/* Tells the agent one problem a one-shot's run child found in its own
 * settings (msg[0..len), one line as config_load writes it). */
void host_send_config_invalid(int fd, const char *msg, size_t len);

#endif
