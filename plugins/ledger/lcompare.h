/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lcompare.h: the ledger plugin's compare_with: a second copy of the
 * ledger (the backup snapshot, a restored instance's table) read side by
 * side with the live one, so that "backup verified" (checklist T-12h) and
 * "verify restored ledger" (rollback 3.3) come from the data itself.
 *
 * One pass over each source, in step, memory flat: the live ledger is not
 * read a second time. The copy is verified by a pass of its own (lv_verify,
 * every rule of the format) on a thread of its own, started by lc_open;
 * the live ledger's verification pass hands each verified event's seq and
 * hash to lc_feed (lv_options.on_event), and the copy's pass compares its
 * hash at that seq against it, each pass waiting for the other when it
 * gets too far ahead (a ring of the live ledger's last hashes). At every
 * seq both hold, the hashes must be equal: the shorter must be a prefix of
 * the longer.
 */
#ifndef PLUGINS_LEDGER_LCOMPARE_H
#define PLUGINS_LEDGER_LCOMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/common/lsrc.h"

typedef struct lc_result {
  int source_error; /* a source could not be read: error says which */
  char error[300];
  int64_t b_head; /* last intact event of the second source (0: none) */
  char b_hash[65];
  int64_t a_seen;    /* last live seq compared */
  int64_t fork_seq;  /* first seq whose hashes differ (0: none) */
  int64_t b_bad_seq; /* the second source's first bad event (0: intact) */
  char b_detail[200];
  uint64_t compared; /* seqs compared */
} lc_result;

typedef struct lc_stream lc_stream;

/* Starts the copy b's pass (threads: its lv_options.threads). 0, or -1 with
 * why in err (*out stays NULL); the copy's own errors (a missing file)
 * come from lc_finish. */
int lc_open(const lsrc_options *b, int threads, lc_stream **out, char *err,
            size_t errlen);

/* One verified live event, in seq order from 1 (an lv_options.on_event);
 * arg is the lc_stream. Waits while the copy is far behind. */
void lc_feed(void *arg, int64_t seq, const uint8_t hash[32]);

/* Ends the live side, waits for the copy's pass and fills *r; a_head caps
 * what counts as seen of the live ledger (its verified head: a deferred
 * anchor check may have cut it). 0, or -1 with r->source_error set. */
int lc_finish(lc_stream *s, int64_t a_head, lc_result *r);

/* Ends the copy's pass if still running and frees s (NULL is fine). */
void lc_close(lc_stream *s);

#endif
