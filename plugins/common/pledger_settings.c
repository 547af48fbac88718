/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pledger_settings.c: reading and checking the shared settings of a ledger
 * source (pledger_settings.h says why they are here).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fileio.h"
#include "plugins/common/pledger_settings.h"
#include "plugins/common/putil.h"

/* One place that turns the settings into source options, so that ledger
 * and claims read them alike. */
void pledger_settings_read(pkit *k, lsrc_options *o)
{
  long long maxline = pkit_int(k, "max_line_bytes");
  double left = k->host->time_left(k->ctx);
  memset(o, 0, sizeof(*o));
  o->source = pkit_str(k, "source");
  o->table = pkit_nonempty(k, "table");
  o->column = pkit_nonempty(k, "column");
  o->max_line = maxline > 0 ? (size_t)maxline : 0;
  o->timeout_s = left > 1 ? left - 0.5 : 1;
}

/* The meaning of the shared settings (their types are the agent's). */
int pledger_settings_check(probe_ctx *ctx, const probe_host *h)
{
  const char *s;
  long long n;
  int bad = 0;
  if(h->conf_string(ctx, "source", &s) == 0 && !*s) {
    h->config_error(ctx, "source", "must not be empty");
    bad = 1;
  }
  if(h->conf_int(ctx, "max_line_bytes", &n) == 0 && n < 256) {
    h->config_error(ctx, "max_line_bytes", "must be at least 256");
    bad = 1;
  }
  return bad;
}
