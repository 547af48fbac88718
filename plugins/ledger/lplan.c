/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lplan.c: the ledger plugin's incremental-or-full decision (lplan.h),
 * kept free of I/O so that each of its branches is a unit test.
 */
#include "config.h"

#include <stddef.h>

#include "plugins/ledger/lplan.h"

/* Whether the full passes are due by time and budget: always when the last
 * one fit the budget; otherwise when, spaced to cost the budget per
 * interval on average, one is due; and at least every full_every. NULL
 * when not due, else the reason. */
static const char *due_by_time(const lp_input *in)
{
  double since = in->now - in->last_full;
  if(in->full_every > 0 && since >= in->full_every)
    return "full_every";
  if(in->budget > 0 && in->full_seconds <= in->budget)
    return "within full_budget";
  if(in->budget > 0 && since >= in->interval * in->full_seconds / in->budget)
    return "spaced to keep within full_budget";
  return NULL;
}

/* The reasons are checked in the order the details have always named
 * them: a setting or the source overrides a missing or stale checkpoint. */
void lp_choose(const lp_input *in, lp_plan *out)
{
  out->full = 1;
  out->valid = in->have_checkpoint && in->same_source;
  out->stale =
      out->valid && (in->last_full > in->now || in->last_run > in->now);
  out->why = out->stale ? "the checkpoint's times lie in the future"
                        : "no usable checkpoint";
  if(!in->incremental)
    out->why = "incremental=false";
  else if(in->from_stdin)
    out->why = "standard input";
  else if(in->comparing) {
    if(out->valid && !out->stale)
      out->why = "compare_with (the copy is compared in step with a full "
                 "pass)";
  }
  else if(out->valid && !out->stale) {
    out->why = due_by_time(in);
    out->full = out->why != NULL;
  }
}
