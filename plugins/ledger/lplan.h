/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lplan.h: the ledger plugin's choice between an incremental and a full
 * pass, as a pure function of the kept checkpoint, the clock and the
 * settings, so that every branch is tested without a ledger or a server
 * (tests/unit/ledger-plan.c).
 *
 * A full pass when: there is no checkpoint for this source; its times lie
 * in the future (written during a clock excursion: stale, it decides
 * nothing, but its hash still holds the ledger to its seq); incremental is
 * off; the source is standard input; compare_with is on (the copy is read
 * in step with a full pass); full_every has passed; the last full pass fit
 * full_budget; or the full passes, spaced to cost full_budget per interval
 * on average, are due. Otherwise incremental (a table may still turn it
 * into a full pass when its changed rows cannot be told: ledger.c).
 */
#ifndef PLUGINS_LEDGER_LPLAN_H
#define PLUGINS_LEDGER_LPLAN_H

typedef struct lp_input {
  int have_checkpoint; /* a checkpoint was loaded (any source) */
  int same_source;     /* ... and it is this source's */
  double last_full;    /* its times (seconds since the epoch) */
  double last_run;
  double full_seconds; /* how long the last full pass took */
  double now;
  double interval;   /* the plugin's run interval, s */
  double budget;     /* full_budget, s (0: only full_every) */
  double full_every; /* s (0: never for that reason) */
  int incremental;   /* the setting */
  int from_stdin;    /* source is "-" */
  int comparing;     /* compare_with is open */
} lp_input;

typedef struct lp_plan {
  int full;        /* 1: verify the whole ledger */
  int valid;       /* the checkpoint may hold the ledger to its seq */
  int stale;       /* the checkpoint's times lie in the future */
  const char *why; /* full: the reason (details' full_reason); else NULL */
} lp_plan;

/* Decides this run's pass. */
void lp_choose(const lp_input *in, lp_plan *out);

#endif
