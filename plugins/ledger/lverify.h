/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lverify.h: the ledger verifier engine (format v1), apart from the plugin
 * glue so that the benchmark and tests can drive it directly.
 *
 * lv_verify streams a ledger from an lsrc source and checks every rule of
 * the format in its documented order, stopping at the first bad event.
 * Canonicalization and hashing run on worker threads over batches of
 * lines; the order checks (seq, prev_hash, anchors) run sequentially on
 * the calling thread. Memory is bounded independently of the ledger's
 * length: a fixed number of batches in flight, a ring of the last
 * LV_WINDOW hashes, a sparse index of at most LV_INDEX_MAX resume points,
 * and at most LV_PENDING_MAX deferred anchor checks.
 *
 * Anchors: an AnchorSubmitted event whose anchored_seq lies within the
 * last LV_WINDOW events is checked at once against the ring. One that
 * points further back is deferred; deferred checks are resolved by a
 * second, hash-only read of the verified part of the ledger (starting at
 * the nearest sparse-index point), at the end of the run or whenever
 * LV_PENDING_MAX of them have piled up. Since the chain up to the current
 * event is already verified, the second read only needs each needed
 * event's stored hash. If a deferred check fails, its event is the first
 * bad one (every earlier event passed all checks). Standard input cannot
 * be read twice: such far-back anchors are counted as unresolved.
 */
#ifndef PLUGINS_LEDGER_LVERIFY_H
#define PLUGINS_LEDGER_LVERIFY_H

#include <stdint.h>

#include "plugins/common/lsrc.h"

#define LV_WINDOW 8192
#define LV_INDEX_MAX 1024
#define LV_PENDING_MAX 2048

/* Failure kinds in the format's order (names: lv_reason_name). */
typedef enum lv_reason {
  LV_OK = 0,
  LV_TRUNCATED,
  LV_PARSE_ERROR,
  LV_MISSING_MEMBER,
  LV_BAD_TYPE,
  LV_SEQ_GAP,
  LV_SEQ_REPEAT,
  LV_SEQ_ORDER,
  LV_BAD_GENESIS,
  LV_PREV_HASH_MISMATCH,
  LV_HASH_MISMATCH,
  LV_ANCHOR_MISMATCH,
  LV_ROLLBACK /* not a format rule: the checkpoint's event changed/vanished */
} lv_reason;

/* A verified event to resume from, or to hold the ledger to. */
typedef struct lv_checkpoint {
  int64_t seq; /* 0 = none */
  char hash[65];
  uint64_t offset; /* file: byte offset of its line */
  uint64_t line;   /* file: its line number */
} lv_checkpoint;

typedef struct lv_options {
  lsrc_options src;
  int threads; /* worker threads; 0 = one per online CPU */
  /* Incremental: start at this event (which must still be there, with
   * this hash, at this offset) and verify only what follows. */
  const lv_checkpoint *resume;
  /* Full run: the event at expect->seq must exist and have expect->hash,
   * else LV_ROLLBACK. */
  const lv_checkpoint *expect;
  /* Segment (table): verify only src.from_seq..src.to_seq; the first event
   * must be from_seq and is checked on its own (its hash), not linked to
   * the one before it. Re-verifies rows changed in place (lxmin.h). */
  int segment;
  /* Called on the calling thread, in seq order, for each event once it
   * has passed every check (on an incremental run first for the resume
   * event): its seq and stored (= recomputed) hash. A deferred anchor
   * check may still find an earlier event bad at the end of the run, so a
   * consumer caps what it saw at r->head.seq. NULL: none. compare_with
   * uses it to read the copy in step with this pass (lcompare.h). */
  void (*on_event)(void *arg, int64_t seq, const uint8_t hash[32]);
  void *on_event_arg;
  /* Called from the calling thread after each batch is checked, with the
   * events and bytes verified so far and the file's size (-1: a table);
   * NULL: none. For the agent's progress line on long runs. */
  void (*progress)(void *arg, uint64_t events, uint64_t bytes, int64_t total);
  void *progress_arg;
} lv_options;

typedef struct lv_result {
  lv_reason reason;  /* LV_OK: intact */
  int64_t bad_seq;   /* the first bad event's seq, -1 when unreadable */
  uint64_t bad_line; /* its line (file) or row number */
  uint64_t bad_offset;
  char detail[256];   /* what exactly is wrong there */
  uint64_t events;    /* events verified by this run */
  lv_checkpoint head; /* last intact event (seq 0: none) */
  char head_ts[40];
  uint64_t bytes;    /* bytes read (file: end offset of the last event) */
  int64_t file_size; /* plain file's size, else -1 */
  uint64_t anchors;  /* anchor events checked */
  uint64_t anchors_deferred;
  uint64_t anchors_unresolved; /* far back on a source read only once */
  int checkpoint_mismatch;     /* resume: the checkpoint event is not there */
  int source_error;            /* the source failed: result unknown */
  char error[256];
} lv_result;

/* Verifies; fills *r. Returns 0 when the verification ran (whatever it
 * found), -1 when it could not (r->source_error and r->error say why, or
 * out of memory). */
int lv_verify(const lv_options *o, lv_result *r);

/* The ledger's real extent, past any bad event: counts the events of src
 * from its start and reads the last one's seq (the count when it has none).
 * Used on a critical run, so that events and head_seq stay the ledger's
 * real ones. Returns 0, or -1 when the source cannot be read again. */
int lv_scan_head(const lsrc_options *src, int64_t *events, int64_t *head_seq);

/* The format's name of a reason ("hash_mismatch"), "ok" for LV_OK. */
const char *lv_reason_name(lv_reason r);

/* --- The hash at a seq: one engine for "the ledger's hash of event seq",
 * read the way the verifier reads an event (the JCS form without "hash";
 * seq an integer up to 2^53; "hash" 64 lower-case hex digits), shared
 * with the anchor plugin's rule 7. */

#define LV_HASH_STORED 1u   /* want the event's "hash" member */
#define LV_HASH_COMPUTED 2u /* want SHA-256 of its JCS form without "hash" */

typedef struct lv_hash {
  int found; /* lv_hash_at: an event with this seq was read */
  int64_t seq;
  int stored_ok; /* "hash" is there and 64 lower-case hex digits */
  uint8_t stored[32];
  int computed_ok; /* LV_HASH_COMPUTED asked and done */
  uint8_t computed[32];
} lv_hash;

typedef struct lv_hasher lv_hasher;

/* A reusable canonicalizer and hash for lv_line_hash; NULL out of memory. */
lv_hasher *lv_hasher_new(void);
void lv_hasher_free(lv_hasher *h);

/* The seq and hashes (want: LV_HASH_*) of one event's text. 0; -1 when the
 * text is not a JSON object (per JCS); -2 when it has no integer seq; -3
 * out of memory or no hash computed when asked (no answer about the
 * text). */
int lv_line_hash(lv_hasher *h, const char *text, size_t len, unsigned want,
                 lv_hash *out);

/* A top-level member of the text lv_line_hash last read, in its JCS
 * spelling (strings with their quotes). 0, or -1 when there is none. */
int lv_hasher_member(const lv_hasher *h, const char *name, const char **v,
                     size_t *len);

/* The hashes of the events at seqs[0..n) (ascending, each once) in one
 * read of src from its start, stopping once all are found: out[i] for
 * seqs[i] (found 0 when the ledger has no such event; the first event of
 * a seq counts). 0, or -1 with err when the source cannot be read. */
int lv_hash_at(const lsrc_options *src, const int64_t *seqs, size_t n,
               unsigned want, lv_hash *out, char *err, size_t errlen);

#endif
