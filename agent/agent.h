/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.h: the state of one agent process, shared by main.c (command
 * line), life.c (state directory, output, one-shot runs) and sched.c (the
 * daemon loop). main.c calls life.c and sched.c; sched.c calls life.c;
 * nothing calls main.c.
 */
#ifndef AGENT_AGENT_H
#define AGENT_AGENT_H

#include "conf.h"
#include "output.h"
#include "runner.h"

typedef struct agent {
  config_request req;
  agent_config cfg;
  output out;
  runner runs;
  char *state_base;            /* resolved state directory, or NULL */
  const char *output_override; /* -o */
  int format_override;         /* --format: -1 none, else output_format */
  const char *state_override;  /* --state-dir */
} agent;

/* Runs the daemon until SIGTERM/SIGINT; returns the exit status. */
int sched_daemon(agent *a);

/* The state directory: --state-dir, agent.state_dir, $STATE_DIRECTORY,
 * /var/lib/probe-agent when writable, else $XDG_STATE_HOME/probe-agent;
 * NULL when none is usable. Malloc'd. */
char *agent_resolve_state_dir(const agent *a);

/* Opens the output the first time (stdout_closed: standard output was
 * closed at start). 0, or the exit status (said on standard error). */
int agent_open_output(agent *a, int stdout_closed);

/* Runs every selected plugin once, within deadline_s (0: no limit);
 * returns the exit status (exitcode.h). */
int agent_run_once(agent *a, double deadline_s);

/* Applies cfg's output settings (with command-line overrides) to a->out;
 * opens it the first time. Returns 0 or -1 with err set. */
int agent_apply_output(agent *a, int first, char *err, size_t errlen);

#endif
