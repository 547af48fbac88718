/* SPDX-License-Identifier: Apache-2.0 */
/*
 * output.h: the one place where result lines are written. Each line is
 * assembled whole (fields in a fixed order), written with a single write()
 * to standard output or an O_APPEND file, so lines never interleave and
 * never sit in a buffer; --format text prints one aligned human line.
 * When standard output is the journal ($JOURNAL_STREAM names it), each
 * line starts with its sd-daemon priority (<3>, <4>, <6>). The nagios and
 * openmetrics formats collect a run's results and write them at its end.
 */
#ifndef AGENT_OUTPUT_H
#define AGENT_OUTPUT_H

#include <cjson/cJSON.h>

#include "conf.h"
#include "probe-plugin.h"

typedef struct output {
  int fd;
  char *path; /* NULL or "-" for standard output */
  output_format format;
  int color;
  char *host;
  cJSON *labels;
  int failing;              /* the last write failed */
  int broken;               /* a write failed with EPIPE: the reader is gone */
  unsigned long lost;       /* lines lost since the last one written */
  unsigned long lost_total; /* lines lost over the process's life */
  probe_status lost_worst;  /* the worst status among those lines */
  int journal;              /* standard output is the journal: <N> prefixes */
  cJSON *collected;         /* nagios/openmetrics: the run's results so far */
  cJSON *latest;            /* agent.metrics_listen: {key: the latest result} */
} output;

/* Opens path ("-" or NULL: standard output) for appending. 0 or -1. */
int output_open(output *o, const char *path, output_format format,
                const char *host, const cJSON *labels, char *err,
                size_t errlen);
/* Reopens the same file (logrotate); keeps the old one on failure. */
int output_reopen(output *o, char *err, size_t errlen);
/* Takes new host/labels/format after a reload. */
void output_configure(output *o, output_format format, const char *host,
                      const cJSON *labels);
void output_close(output *o);

/* nagios and openmetrics: writes what the run collected (openmetrics with
 * a path: a temporary file in the same directory, renamed over it).
 * Nothing for the other formats. Returns 0 or -1. */
int output_finish(output *o);

/* Appends the OpenMetrics text of results (an array of what collect()
 * keeps) to b, "# EOF" last. */
int output_openmetrics(const output *o, const cJSON *results, dbuf *b);

/* Daemon with agent.metrics_listen: keep the latest result of every
 * (plugin, check, target) in o->latest, beside writing the lines. */
void output_keep_latest(output *o, int on);

/* Writes one validated result of a plugin: res holds check, target,
 * status, summary, duration_ms, metrics, details. Returns 0 or -1. */
int output_result(output *o, const char *plugin, const cJSON *res);

/* Writes a line the agent makes itself (crash, timeout, bad config). */
int output_agent_line(output *o, const char *plugin, const char *check,
                      const char *target, probe_status status,
                      double duration_ms, const char *summary);

/* Appends s[0..n) to b with control characters, C1 controls and invalid
 * UTF-8 escaped (\n, \r, \t, \\, \xHH, \u00HH). 0 or -1. */
int output_escape(dbuf *b, const char *s, size_t n);

/* The more severe of two statuses: critical > unknown > warning > ok. */
probe_status output_worse(probe_status a, probe_status b);

#endif
