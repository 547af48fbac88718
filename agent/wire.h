/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wire.h: the one definition of the line a plugin's run child sends to the
 * agent over its result pipe. host.c builds these lines, runner.c checks
 * them, output.c reads them; all three take the member names, limits and
 * status names from here, so the format is changed in one place.
 *
 * A result line:
 *   {"check":..,"target":..,"status":..,"summary":..,"duration_ms":..,
 *    "metrics":{..},"details":{..},"thresholds":{..}}
 * A control line: {"_ctl":"fail"|"progress"|"config_error"|
 *                  "config_invalid", ...}
 */
#ifndef AGENT_WIRE_H
#define AGENT_WIRE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "probe-plugin.h"

/* Longest line a run child may send (the agent drops longer ones). */
#define WIRE_MAX_LINE (64u * 1024u)
/* How many statuses there are (ok .. unknown, numbered 0..3). */
#define WIRE_NSTATUS (PROBE_UNKNOWN + 1)
/* Longest check name: [a-z0-9._-]{1,64}. */
#define WIRE_MAX_CHECK 64

/* Members of a result line. */
#define WIRE_CHECK "check"
#define WIRE_TARGET "target"
#define WIRE_STATUS "status"
#define WIRE_SUMMARY "summary"
#define WIRE_DURATION_MS "duration_ms"
#define WIRE_METRICS "metrics"
#define WIRE_DETAILS "details"
#define WIRE_THRESHOLDS "thresholds"

/* Members of control lines: the kind, then what each kind carries
 * (fail: summary; config_error: key, message; config_invalid: message;
 * progress: events, bytes, total). */
#define WIRE_CTL "_ctl"
#define WIRE_KEY "key"
#define WIRE_MESSAGE "message"
#define WIRE_EVENTS "events"
#define WIRE_BYTES "bytes"
#define WIRE_TOTAL "total"

/* The kinds of control line. */
typedef enum wire_ctl {
  WIRE_CTL_NONE = -1, /* a result line */
  WIRE_CTL_FAIL,
  WIRE_CTL_PROGRESS,
  WIRE_CTL_CONFIG_ERROR,
  WIRE_CTL_CONFIG_INVALID,
  WIRE_CTL_UNKNOWN /* a _ctl of a kind this agent does not know */
} wire_ctl;

/* A result line as output.c reads it: borrowed from the cJSON object. */
typedef struct wire_result {
  const char *check;   /* never NULL once decoded */
  const char *target;  /* NULL when absent */
  probe_status status; /* unknown when absent or not a status name */
  const char *summary; /* never NULL once decoded */
  double duration_ms;  /* 0 when absent */
  const cJSON *metrics, *details, *thresholds; /* NULL when absent */
} wire_result;

/* The name of a status on the wire ("ok" .. "unknown"); anything out of
 * range is "unknown". */
const char *wire_status_name(probe_status s);

/* The status a name stands for; -1 for NULL or no status name. */
int wire_status_from_name(const char *name);

/* The control kind of a line: WIRE_CTL_NONE for a result line. */
wire_ctl wire_ctl_of(const cJSON *o);

/* A new control line of the given kind (not WIRE_CTL_NONE/UNKNOWN), or
 * NULL when out of memory. */
cJSON *wire_ctl_new(wire_ctl kind);

/* Checks a result line against the schema; NULL when it holds, else why
 * not (a constant string). */
const char *wire_validate_result(const cJSON *o);

/* Reads a result line (checked or not: what is missing gets its default;
 * check defaults to fallback_check). */
void wire_decode_result(const cJSON *o, const char *fallback_check,
                        wire_result *out);

/* Sends o as one line on fd and deletes it; 0 or -1. A line longer than
 * WIRE_MAX_LINE goes too: the agent drops it there and says so. */
int wire_send(int fd, cJSON *o);

#endif
