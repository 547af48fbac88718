/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lxmin.h: which rows of a PostgreSQL ledger changed since the last run,
 * from the rows' xmin, so that an incremental run also re-verifies every
 * row updated (or deleted and re-inserted) in place.
 *
 * Each run records the oldest transaction still running when it started,
 * pg_snapshot_xmin(pg_current_snapshot()) (xid8, 64 bits: no wrap-around).
 * Every row version written since then has an xmin at or after it. Row
 * xmin is a 32-bit xid, so rows are compared through age(), which counts
 * back from the current transaction modulo 2^32: age(xmin) <= age(since)
 * holds exactly for xids at or after `since` as long as the distance is
 * below 2^31. Past 2^30 transactions since the last run (or a database
 * whose counter went backwards: a restored copy) it cannot tell, and the
 * caller runs a full pass. Frozen rows have age INT_MAX and are old anyway;
 * an old xid that appears young after wrap-around is only re-verified.
 */
#ifndef PLUGINS_LEDGER_LXMIN_H
#define PLUGINS_LEDGER_LXMIN_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/common/lsrc.h"

/* At most this many changed rows are listed; more mean a full pass. */
#define LX_MAX_CHANGED 100000

/* Reads the current snapshot's xmin into *now8 and, when since8 > 0, the
 * seqs (ascending, distinct, at most max_seq) of the rows whose xmin is at
 * or after since8 into a malloc'd *seqs / *n. Returns 0; 1 when it cannot
 * tell (since8 too old or ahead of the database, or more than
 * LX_MAX_CHANGED rows): *now8 is still set, the caller verifies in full;
 * -1 with err filled when the database could not be asked. */
int lx_changes(const lsrc_options *src, uint64_t since8, int64_t max_seq,
               uint64_t *now8, int64_t **seqs, size_t *n, char *err,
               size_t errlen);

#endif
