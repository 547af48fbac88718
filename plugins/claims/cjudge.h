/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cjudge.h: the claims plugin's judgement of claims.lifecycle, free of
 * I/O: what the kept claims (cstore.h), the anchor plugin's confirmations
 * and MedLink's rows add up to in the window (cj_tally), and the verdict
 * the thresholds make of it (cj_judge). claims.c gathers the inputs and
 * emits the tally; tests/unit/claims-judge.c tests the judgement without
 * a ledger or a server.
 */
#ifndef PLUGINS_CLAIMS_CJUDGE_H
#define PLUGINS_CLAIMS_CJUDGE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "plugins/claims/cstore.h"
#include "plugins/common/pverdict.h"

/* Most claim ids a detail list holds. */
#define CJ_LIST_MAX 10

/* The anchor plugin's confirmations. */
typedef struct anchors {
  int known;
  char why[1400];
  int64_t covered;
  char tx[80], block_time[40];
  struct {
    int64_t from, to;
    char tx[80];
  } * list;
  size_t n;
} anchors;

/* MedLink's row for one claim. */
typedef struct mlrow {
  int asked, found, done;
  char status[40], updated[40];
} mlrow;

/* MedLink's rows of claims c[0..n-1] (in the store's order), when asked. */
typedef struct cj_medlink {
  int used; /* medlink_conninfo is set and the ledger was read */
  int ok;   /* the rows were read (or none was needed) */
  claim *const *c;
  const mlrow *rows;
  size_t n;
} cj_medlink;

/* The settings the judgement uses (seconds, ratios, counts). */
typedef struct cj_conf {
  double window, stuck_after, cb_grace, anchor_grace;
  double p95_warn, p95_crit, cb_warn, cb_crit;
  long long failed_warn, failed_crit;
} cj_conf;

/* The detail lists of a tally. */
enum {
  CJ_STUCK,
  CJ_FAILED,
  CJ_OOO,
  CJ_OVERDUE,
  CJ_UNANCHORED,
  CJ_NOT_ARRIVED,
  CJ_DUPS,
  CJ_NLISTS
};

/* What the window's claims add up to. */
typedef struct cj_tally {
  uint64_t submitted, completed, failed, stuck, dups, ooo;
  uint64_t cb_ok, cb_final, cb_overdue, cb_lag, unanch;
  size_t nlat;            /* completed claims with a latency */
  double p50, p95, p99;   /* nearest-rank lifecycle percentiles (nlat > 0) */
  cJSON *list[CJ_NLISTS]; /* up to CJ_LIST_MAX ids each */
} cj_tally;

/* Counts the store's claims at now. 0, or -1 out of memory (t freed). */
int cj_tally_claims(const cstore *st, const cj_conf *cf, const anchors *an,
                    const cj_medlink *ml, double now, cj_tally *t);

/* Adds the thresholds' findings to v, in the order the summary gives
 * them: p95, callback success, unanchored, failed, stuck. */
void cj_judge(const cj_tally *t, const cj_conf *cf, const anchors *an,
              const cj_medlink *ml, pverdict *v);

/* The callback success ratio's denominator; and the ratio (NAN when
 * nothing was due). */
uint64_t cj_callbacks_due(const cj_tally *t);
double cj_callback_ratio(const cj_tally *t);

/* Frees the tally's lists (the ones not taken: set them to NULL). */
void cj_tally_free(cj_tally *t);

/* Whether event seq is covered by a confirmed anchor; *tx and *to name it. */
int cj_anchored_by(const anchors *a, int64_t seq, const char **tx, int64_t *to);

/* A complete claim's lifecycle latency, to the microsecond (the times are
 * milliseconds; the difference of two doubles near 1.8e9 is not). */
double cj_latency(const claim *c);

/* Appends id to a list while it holds fewer than CJ_LIST_MAX. */
void cj_list_add(cJSON *arr, const char *id);

#endif
