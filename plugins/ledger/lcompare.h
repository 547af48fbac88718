/*
 * lcompare.h: the ledger plugin's compare_with: a second copy of the
 * ledger (the backup snapshot, a restored instance's table) read side by
 * side with the live one, so that "backup verified" (checklist T-12h) and
 * "verify restored ledger" (rollback 3.3) come from the data itself.
 *
 * One pass over each source, in step, memory flat: the second source is
 * verified as it is read (seq contiguous from 1, prev_hash linking, each
 * hash recomputed: SHA-256 of the JCS text without "hash"); the first,
 * already verified by the ledger.chain pass, is read for its stored seq and
 * hash only, and only as far as the second goes. At every seq both hold,
 * the hashes must be equal: the shorter must be a prefix of the longer.
 */
#ifndef PLUGINS_LEDGER_LCOMPARE_H
#define PLUGINS_LEDGER_LCOMPARE_H

#include <stdint.h>

#include "plugins/common/lsrc.h"

typedef struct lc_result {
  int source_error;     /* a source could not be read: error says which */
  char error[300];
  int64_t b_head;       /* last intact event of the second source (0: none) */
  char b_hash[65];
  int64_t a_seen;       /* last seq read from the first source */
  int64_t fork_seq;     /* first seq whose hashes differ (0: none) */
  int64_t b_bad_seq;    /* the second source's first bad event (0: intact) */
  char b_detail[200];
  uint64_t compared;    /* seqs compared */
} lc_result;

/* Compares a (the live ledger) with b (the copy). 0 when the comparison
 * ran (whatever it found), -1 with r->source_error set. */
int lc_compare(const lsrc_options *a, const lsrc_options *b, lc_result *r);

#endif
