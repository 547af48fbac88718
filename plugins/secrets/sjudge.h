/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sjudge.h: the secrets plugin's judge, kept apart from the reading so the
 * unit tests link it alone: what was gathered about one secret (read
 * result, age, mode, owner, kind checks, baseline, repository hits) and
 * the pure function that turns it into the status and summary of its line.
 */
#ifndef PLUGINS_SECRETS_SJUDGE_H
#define PLUGINS_SECRETS_SJUDGE_H

#include <stddef.h>
#include <sys/types.h>

#include "plugins/common/pverdict.h"
#include "plugins/secrets/secutil.h"

typedef enum sjudge_kind { SJ_API_KEY, SJ_HMAC, SJ_ETH } sjudge_kind;

/* How the owner of a secret file compares with expected_owner. */
typedef enum sjudge_owner {
  SJ_OWNER_UNCHECKED = 0, /* no expected_owner */
  SJ_OWNER_MATCH,
  SJ_OWNER_OTHER,       /* owned by someone else */
  SJ_OWNER_UNKNOWN_USER /* expected_owner names no user */
} sjudge_owner;

/* The settings the judge applies. */
typedef struct sjudge_limits {
  double max_age_days;
  long long hmac_min;
  probe_status unchanged_status; /* ok: ignore */
  const char *expected_owner;    /* NULL: unchecked */
  const char *expected_sender;   /* anchor.expected_sender or NULL */
} sjudge_limits;

/* What was gathered about one secret. */
typedef struct sjudge_facts {
  sec_err rc;      /* reading; SEC_OK when read */
  const char *err; /* why, when rc is not SEC_OK */
  size_t len;      /* bytes of the value */
  sjudge_kind kind;
  int have_info;          /* a file: the fields below are set */
  double age_s;           /* since the last rotation */
  const char *rotated_at; /* RFC 3339 of the rotation */
  mode_t mode;
  int group_read_allowed; /* Kubernetes fsGroup read: no finding */
  sjudge_owner owner;
  const char *owner_name; /* NULL when the uid has no name */
  int eth_valid;          /* SJ_ETH: the value is a secp256k1 key */
  const char *derived;    /* SJ_ETH: "0x..." address of the key */
  int in_baseline;        /* compared with a baseline that has it */
  int unchanged;          /* ... and its fingerprint is the same */
  const char *baseline_at;
  int scanned;                                  /* repositories were scanned */
  int nhits;                                    /* places holding the value */
  const char *hit_repo, *hit_file, *hit_commit; /* the first ("" commit:
                                                 * working tree) */
  int recorded; /* its fingerprint went into the baseline */
} sjudge_facts;

/* The judgement; sender_match is set when an eth key was compared. */
typedef struct sjudge_verdict {
  pverdict v;
  int sender_compared, sender_match;
} sjudge_verdict;

/* Judges one secret: no I/O, no host call. */
void sjudge_secret(const sjudge_limits *lim, const sjudge_facts *f,
                   sjudge_verdict *out);

/* Judges the scan of one repository: unknown when it did not finish
 * (error not NULL), critical when it found any configured secret. */
void sjudge_scan(const char *error, size_t hits, size_t files, size_t commits,
                 pverdict *out);

#endif
