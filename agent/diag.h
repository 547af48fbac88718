/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diag.h: how the agent says its own problems on standard error, in one
 * place: the configuration's errors one a line, a plugin's problem with
 * its settings as "FILE: plugin "NAME": ...", and the first failure kept
 * for --format nagios, which repeats it on standard output at the end.
 */
#ifndef AGENT_DIAG_H
#define AGENT_DIAG_H

#include <stddef.h>

#include "util.h"

/* Prints "probe-agent: FILE: plugin "PLUGIN": MESSAGE" (no "FILE: " when
 * file is NULL). */
void diag_plugin_error(const char *file, const char *plugin, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));

/* Prints each line of errors (config_load's) as a line of its own, and
 * keeps the first as the agent's failure. */
void diag_print_errors(const dbuf *errors);

/* Keeps msg[0..len) as why the agent fails, unless a failure is kept. */
void diag_note_failure(const char *msg, size_t len);

/* The failure kept, or "" when none. */
const char *diag_failure(void);

/* --format nagios: on (1), off (0: nowhere to say it), or asked (-1).
 * Returns whether it is on. */
int diag_nagios(int on);

/* The exit of the agent: with --format nagios, a status above 3 (the
 * agent's own failure) becomes the one line "PROBE-AGENT UNKNOWN: ..." on
 * standard output and exit status 3; else rc as it is. */
int diag_nagios_exit(int rc);

#endif
