/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hjudge.h: the http plugin's judge, kept apart from the fetching so that
 * the unit tests link it alone: what a target expects (status codes, JSON
 * assertions, latency) and what one request gave, judged with no I/O and
 * no host call into a verdict.
 */
#ifndef PLUGINS_HTTP_HJUDGE_H
#define PLUGINS_HTTP_HJUDGE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "plugins/common/phttp.h"
#include "plugins/common/pverdict.h"

#define HJUDGE_MAX_STATUSES 16

/* One JSON pointer assertion. */
typedef enum { HJ_EQUALS, HJ_ONE_OF, HJ_MIN, HJ_MAX } hjudge_kind;
typedef struct hjudge_assertion {
  char *pointer;
  hjudge_kind kind;
  cJSON *want; /* equals: the value; one_of: an array; min/max: a number */
} hjudge_assertion;

/* What a target expects of its reply. */
typedef struct hjudge_expect {
  long status[HJUDGE_MAX_STATUSES];
  size_t nstatus;
  double max_latency; /* seconds, < 0: off */
  hjudge_assertion *as;
  size_t nas;
} hjudge_expect;

/* What one request gave. */
typedef struct hjudge_reply {
  phttp_code code;
  const char *error; /* phttp's text of a failure */
  long status;
  const char *body;
  size_t len;
  double elapsed_s;
} hjudge_reply;

/* The judgement: status and text; failed marks a failure that
 * unhealthy_for may soften (a slow but correct reply is not one). */
typedef struct hjudge_verdict {
  pverdict v;
  int failed;
} hjudge_verdict;

/* Judges one reply against what its target expects. */
void hjudge_reply_judge(const hjudge_expect *x, const hjudge_reply *rp,
                        hjudge_verdict *out);

/* unhealthy_for: a critical failure that began `since` (wall seconds) is a
 * warning while it has lasted less than unhealthy_for seconds; `when` is
 * the time it began, as shown. Without a state directory it is unknown. */
void hjudge_soften(hjudge_verdict *out, int have_state, double since,
                   double now, double unhealthy_for, const char *when);

#endif
