/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledgerscan.c: the anchor plugin's ledger reading over plugins/common/lsrc
 * (snapshot files plain or .gz, "-", PostgreSQL tables); see ledgerscan.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/anchor/ledgerscan.h"
#include "plugins/common/lsrc.h"
#include "plugins/ledger/lverify.h"

/* The lsrc options of o. */
static lsrc_options options_of(const ledgerscan_opts *o)
{
  lsrc_options lo;
  memset(&lo, 0, sizeof(lo));
  lo.source = o->source;
  lo.table = o->table;
  lo.column = o->column;
  lo.timeout_s = o->timeout_s;
  return lo;
}

int ledgerscan_run(const ledgerscan_opts *o, ledgerscan_cb cb,
                   ledgerscan_progress progress, void *ud, char *err,
                   size_t errlen)
{
  uint64_t events = 0;
  lsrc_options lo = options_of(o);
  lsrc *s = NULL;
  lsrc_event ev;
  lsrc_code c = lsrc_open(&lo, &s, err, errlen);
  int rc = 0;
  if(c != LSRC_OK)
    return -1;
  while((c = lsrc_next(s, &ev)) == LSRC_OK) {
    int r = cb(ud, ev.text, ev.len, ev.line);
    if(r < 0) {
      snprintf(err, errlen, "out of memory at line %llu",
               (unsigned long long)ev.line);
      rc = -1;
      break;
    }
    if(r > 0)
      break;
    events++;
    if(progress)
      progress(ud, events, lsrc_bytes(s), lsrc_progress_total(s, events, 0, 0));
  }
  if(rc == 0 && c != LSRC_OK && c != LSRC_EOF) {
    snprintf(err, errlen, "%s", lsrc_error(s));
    rc = -1;
  }
  lsrc_close(s);
  return rc;
}

int ledgerscan_hash_at(const ledgerscan_opts *o, const int64_t *seqs, size_t n,
                       struct lv_hash *out, char *err, size_t errlen)
{
  lsrc_options lo = options_of(o);
  return lv_hash_at(&lo, seqs, n, LV_HASH_STORED, out, err, errlen);
}

int ledgerscan_rereadable(const ledgerscan_opts *o)
{
  return strcmp(o->source, "-") != 0;
}

char *ledgerscan_target(const ledgerscan_opts *o)
{
  lsrc_options lo = options_of(o);
  return lsrc_target(&lo);
}
