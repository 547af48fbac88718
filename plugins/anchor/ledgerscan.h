/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledgerscan.h: the anchor plugin's view of a ledger source: one call
 * that streams every event's JSON text to a callback, so the plugin never
 * holds the ledger. Built on plugins/common/lsrc (files, .gz, "-",
 * PostgreSQL tables) when that is present; this header is what the rest of
 * the plugin uses, so the source behind it can change without them.
 */
#ifndef PLUGINS_ANCHOR_LEDGERSCAN_H
#define PLUGINS_ANCHOR_LEDGERSCAN_H

#include <stddef.h>
#include <stdint.h>

typedef struct ledgerscan_opts {
  const char *source; /* path, "-", or a PostgreSQL conninfo/URI */
  const char *table;  /* NULL = default */
  const char *column; /* NULL = default */
  double timeout_s;
} ledgerscan_opts;

/* Called for each event; returns 0 to go on, 1 to stop early, -1 error. */
typedef int (*ledgerscan_cb)(void *ud, const char *text, size_t len,
                             uint64_t line);

/* Called after each event with the events and bytes read so far and the
 * file's size (-1 when unknown: gzip, stdin, a table); it decides itself
 * how often to pass them on. */
typedef void (*ledgerscan_progress)(void *ud, uint64_t events, uint64_t bytes,
                                    int64_t total);

/* Streams the source once (progress may be NULL). 0, or -1 with err (one
 * line, no password). */
int ledgerscan_run(const ledgerscan_opts *o, ledgerscan_cb cb,
                   ledgerscan_progress progress, void *ud, char *err,
                   size_t errlen);

/* The ledger's hashes at seqs[0..n) (ascending, each once) in one read:
 * lv_hash_at (plugins/ledger/lverify.h) over this source. 0, or -1 with
 * err. */
struct lv_hash;
int ledgerscan_hash_at(const ledgerscan_opts *o, const int64_t *seqs, size_t n,
                       struct lv_hash *out, char *err, size_t errlen);

/* 1 when the source can be read a second time (not standard input). */
int ledgerscan_rereadable(const ledgerscan_opts *o);

/* malloc'd name of the source for a result's target (no password). */
char *ledgerscan_target(const ledgerscan_opts *o);

#endif
