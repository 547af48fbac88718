/*
 * agent.h: the state of one agent process, shared by main.c (command
 * line, one-shot runs) and sched.c (the daemon loop).
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
  char *state_base;     /* resolved state directory, or NULL */
  const char *output_override; /* -o */
  int format_override;  /* --format: -1 none, else output_format */
  const char *state_override; /* --state-dir */
} agent;

/* Runs the daemon until SIGTERM/SIGINT; returns the exit status. */
int sched_daemon(agent *a);

/* Applies cfg's output settings (with command-line overrides) to a->out;
 * opens it the first time. Returns 0 or -1 with err set. */
int agent_apply_output(agent *a, int first, char *err, size_t errlen);

/* Prints configuration errors the way every mode does. */
void agent_print_errors(const dbuf *errors);

#endif
