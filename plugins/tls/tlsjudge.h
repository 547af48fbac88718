/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlsjudge.h: the tls plugin's decisions and its line, apart from the
 * network and the worker threads: what a target's outcome means (days
 * left, expiry, validity, host name, chain, weak crypto; or why it could
 * not be judged), and the tls.cert line that says it. tls_judge and
 * tls_judge_failure do no I/O and call no host function.
 */
#ifndef PLUGINS_TLS_TLSJUDGE_H
#define PLUGINS_TLS_TLSJUDGE_H

#include <time.h>

#include "probe-plugin.h"
#include "plugins/common/pverdict.h"
#include "plugins/tls/tlscert.h"
#include "plugins/tls/tlsprobe.h"

/* Why a target has no chain to judge, beside tls_err. */
typedef enum tls_fate {
  TLS_FATE_PROBED = 0, /* fetched or loaded (successfully or not) */
  TLS_FATE_NOT_PROBED  /* the run's time ran out before its turn */
} tls_fate;

/* One target of a run, filled by the workers, read by the main thread. */
typedef struct tls_target {
  /* configuration */
  char *label; /* the target as shown in the line */
  int is_file;
  char *path; /* file: the certificate file */
  char *host, *port;
  char *servername; /* SNI and host name to match */
  char *ca_file;
  tlsprobe_starttls starttls;
  char *config_error; /* bad entry: reported as unknown */
  /* outcome */
  tls_fate fate;
  tls_err rc;
  char err[512];
  STACK_OF(X509) * chain;
  tlsprobe_info info;
  tlscert_report rep;
  int analyzed;
  double ms;
  /* the dates of rep.expired_idx, else of rep.not_yet_valid_idx */
  time_t bad_not_before, bad_not_after;
} tls_target;

/* The settings the judgement uses. */
typedef struct tls_limits {
  double warn_days, crit_days;
  probe_status verify_status, weak_status;
} tls_limits;

/* Whole days left until t (towards zero: -2 when it expired 2.5 days
 * ago). */
double tls_days_until(time_t t, time_t now);

/* The verdict of an analyzed target. */
typedef struct tls_verdict {
  pverdict v;      /* status and summary */
  double days;     /* days left of the chain */
  const char *who; /* "leaf" or "intermediate": whose notAfter counts */
} tls_verdict;

/* Judges an analyzed target at `now`. */
void tls_judge(const tls_target *t, const tls_limits *lim, time_t now,
               tls_verdict *out);

/* The status and summary of a target that could not be analyzed. */
void tls_judge_failure(const tls_target *t, probe_status *st, char *summary,
                       size_t n);

/* Emits the tls.cert line of a target. */
void tls_emit(probe_ctx *ctx, const probe_host *host, const tls_limits *lim,
              time_t now, const tls_target *t);

/* Frees a target's strings and outcome. */
void tls_target_free(tls_target *t);

#endif
