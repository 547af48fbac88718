/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exitcode.h: every exit status of probe-agent, named once. 0-3 are the
 * Nagios statuses of a run's worst result (probe_status has the same
 * numbers); the others are the agent's own failures, as sysexits(3)
 * numbers them (doc/probe-agent.1, EXIT STATUS).
 */
#ifndef AGENT_EXITCODE_H
#define AGENT_EXITCODE_H

typedef enum agent_exit {
  AGENT_EXIT_OK = 0,
  AGENT_EXIT_WARNING = 1,
  AGENT_EXIT_CRITICAL = 2,
  AGENT_EXIT_UNKNOWN = 3,
  AGENT_EXIT_USAGE = 64,     /* EX_USAGE: a usage error */
  AGENT_EXIT_OSERR = 71,     /* EX_OSERR: no process, pipe or plugin dir */
  AGENT_EXIT_CANTCREAT = 73, /* EX_CANTCREAT: the output cannot be opened */
  AGENT_EXIT_IOERR = 74,     /* EX_IOERR: the daemon's output reader left */
  AGENT_EXIT_CONFIG = 78     /* EX_CONFIG: invalid configuration */
} agent_exit;

/* The last Nagios status: above it, --format nagios says 3 instead. */
#define AGENT_EXIT_NAGIOS_MAX AGENT_EXIT_UNKNOWN

#endif
