/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diag.c: the agent's own messages on standard error (see diag.h). Kept
 * apart from main.c so that the runner, the one-shot and the daemon print
 * them the same way without calling into each other.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "exitcode.h"
#include "output.h"

/* The first failure of the agent itself, for --format nagios. */
static char first_failure[1024];
static int nagios_mode;

void diag_plugin_error(const char *file, const char *plugin, const char *fmt,
                       ...)
{
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  fprintf(stderr, "probe-agent: %s%splugin \"%s\": %s\n", file ? file : "",
          file ? ": " : "", plugin, msg);
}

void diag_note_failure(const char *msg, size_t len)
{
  if(!first_failure[0])
    snprintf(first_failure, sizeof(first_failure), "%.*s", (int)len, msg);
}

const char *diag_failure(void)
{
  return first_failure;
}

void diag_print_errors(const dbuf *errors)
{
  const char *p = errors->data ? errors->data : "";
  if(errors->nomem) { /* what was said may be cut: say why */
    static const char oom[] = "out of memory: the problems found are not "
                              "all said";
    diag_note_failure(oom, sizeof(oom) - 1);
    fprintf(stderr, "probe-agent: %s\n", oom);
  }
  while(*p) {
    size_t n = strcspn(p, "\n");
    diag_note_failure(p, n);
    fprintf(stderr, "probe-agent: %.*s\n", (int)n, p);
    p += n;
    if(*p)
      p++;
  }
}

int diag_nagios(int on)
{
  if(on >= 0)
    nagios_mode = on;
  return nagios_mode;
}

/* --format nagios: a failure of the agent itself (usage, configuration,
 * output) as the one line and exit status 3 that a monitoring system
 * understands; the message was already said on standard error too. */
int diag_nagios_exit(int rc)
{
  if(!nagios_mode || rc <= AGENT_EXIT_NAGIOS_MAX)
    return rc;
  dbuf b;
  dbuf_init(&b, 0);
  dbuf_addstr(&b, "PROBE-AGENT UNKNOWN: ");
  size_t at = b.len;
  output_escape(&b, *diag_failure() ? diag_failure() : "the agent failed",
                strlen(*diag_failure() ? diag_failure() : "the agent failed"));
  for(size_t i = at; b.data && i < b.len; i++)
    if(b.data[i] == '|')
      b.data[i] = '/';
  dbuf_printf(&b, " (exit status %d)\n", rc);
  if(b.data && !b.nomem)
    fputs(b.data, stdout);
  else /* never an empty or cut output */
    printf("PROBE-AGENT UNKNOWN: the agent failed, out of memory (exit "
           "status %d)\n",
           rc);
  fflush(stdout);
  dbuf_free(&b);
  return AGENT_EXIT_UNKNOWN;
}
