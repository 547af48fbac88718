/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cstore.h: the claims plugin's memory of claims (ledger format section 4).
 *
 * A table of claims keyed by id, fed one ledger event at a time
 * (cstore_apply), holding the claims in flight and the finished ones for
 * as long as a run may still count them (`retain` seconds after they
 * finished, measured against the newest event time seen), never the whole
 * ledger. A finished claim is forgotten once `retain` has passed by the
 * events' own times (the newest ts read), whether a sweep has removed it
 * yet or not (an event for it then starts afresh), so that the table after
 * a given event is the same whether the ledger was read in one pass or in
 * several runs: incremental runs give the numbers of a full pass. The table is saved and loaded as
 * a compact binary of fixed-width fields (cstore_save / cstore_load; no
 * decimal printing or scanning, the fixed cost of an incremental run),
 * which the fuzz target and tests/unit/claims-cstore.c also feed.
 */
#ifndef PLUGINS_CLAIMS_CSTORE_H
#define PLUGINS_CLAIMS_CSTORE_H

#include <stddef.h>
#include <stdint.h>

#define CSTORE_SWEEP_EVERY 65536
#define CSTORE_MAX_EXTRA 32

/* Flags of a claim. */
#define CL_SYNTH 0x01u   /* payload synthetic: true */
#define CL_PINNED 0x02u  /* asked about (claim_ids or first): never forgotten */
#define CL_OOO_DEC 0x04u /* a decision (or validation) before its submission */
#define CL_OOO_CB 0x08u  /* a callback before its decision */
#define CL_FAIL_CLAIM 0x10u /* ClaimFailed */
#define CL_FAIL_CB 0x20u    /* CallbackFailed with final: true */

typedef struct cl_extra {
  char type[48];
  double ts;
  int64_t seq;
} cl_extra;

typedef struct claim {
  struct claim *next; /* hash chain */
  char *id;
  double sub, val, dec, del, fail, dup_ts; /* 0: not seen */
  int64_t sub_seq, done_seq, last_seq;
  uint32_t dups, cb_fails, first_idx; /* first_idx: 1..N for `first` */
  unsigned flags;
  char decision[16];
  cl_extra *x; /* other events, pinned claims only */
  unsigned nx;
} claim;

/* Spellings and selections: which events mean what, which claims to keep. */
typedef struct cstore_conf {
  const char *id_prefix;
  const char *t_sub, *t_val, *t_adj, *t_rej, *t_fail, *t_cb_ok, *t_cb_fail;
  const char *m_synth, *m_decision, *m_final;
  const char *const *pin_ids; /* claim_ids */
  size_t npin;
  uint32_t first; /* pin the first N non-synthetic claims submitted ... */
  double since;   /* ... at or after this time */
  double retain;  /* seconds a finished claim is kept */
} cstore_conf;

typedef struct cstore {
  const cstore_conf *conf;
  claim **b;
  size_t nb, n;
  size_t in_flight;
  double maxts;
  uint32_t first_count;
} cstore;

/* What cstore_apply made of one event. */
typedef enum cst_code {
  CST_OK = 0,
  CST_SKIP,  /* not a claim's event */
  CST_PARSE, /* not a JSON object, or seq/ts/type/aggregate_id missing */
  CST_NOMEM
} cst_code;

/* The members of one event that matter (filled by cstore_apply). */
typedef struct cst_event {
  int64_t seq;
  double ts;
  char hash[65];
  char why[128]; /* CST_PARSE: what is wrong */
} cst_event;

/* The members of one event the table needs, as read from its text. */
typedef struct cst_fields {
  int64_t seq; /* 0 when missing or not a positive integer */
  int has_ts, has_type, has_id, id_long, has_decision, synth, final;
  char ts[64], type[128], id[260], hash[65], decision[16];
} cst_fields;

/* Reads the members: fast = 1 by a scan that handles plainly spelled
 * events (-1 for anything else), fast = 0 through cJSON (-1 when the text
 * is not one JSON object). cstore_apply tries the scan first; the fuzz
 * target holds the two to the same answers. */
int cst_fields_read(const cstore_conf *cf, const char *text, size_t len,
                    cst_fields *f, int fast);

/* 1 when two readings agree: on every flag and number, on hash, ts and
 * decision byte for byte, on type and id as strings (the scan leaves
 * their bytes past the NUL as they were). */
int cst_fields_equal(const cst_fields *a, const cst_fields *b);

int cstore_init(cstore *s, const cstore_conf *conf);
void cstore_free(cstore *s);

/* A claim by id, or NULL. */
claim *cstore_get(const cstore *s, const char *id);

/* Parses one event's JSON text and applies it. ev gets seq, ts, hash. */
cst_code cstore_apply(cstore *s, const char *text, size_t len, cst_event *ev);

/* Frees the claims forgotten by now (finished, unpinned, finished more
 * than retain before the newest event): every CSTORE_SWEEP_EVERY seqs and
 * at the end of a read. */
void cstore_sweep(cstore *s);

/* 1 when a claim is complete / failed / in flight. */
int claim_complete(const claim *c);
int claim_failed(const claim *c);

/* Seconds since the epoch of an RFC 3339 UTC time ("Z" or "+00:00"), or
 * -1 when it is not one. */
double cst_parse_ts(const char *s);

/* The table as a malloc'd binary body (*out, *len; native byte order,
 * which cstore_load checks). 0 or -1 (no memory). */
int cstore_save(const cstore *s, char **out, size_t *len);

/* Loads claims saved by cstore_save into an empty table, every length and
 * value checked. 0, or -1 with why filled (bad body: the caller frees the
 * table and starts over). */
int cstore_load(cstore *s, const char *text, size_t len, char *why,
                size_t whylen);

#endif
