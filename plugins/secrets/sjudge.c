/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sjudge.c: the secrets plugin's judge (see sjudge.h): rotation age,
 * file mode and owner, HMAC length, wallet address, baseline and
 * repository hits, each finding with its status.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "plugins/secrets/sjudge.h"

/* Age, mode and owner of a secret file. */
static void judge_file(const sjudge_limits *lim, const sjudge_facts *f,
                       pverdict *v)
{
  char mode[8];
  if(f->age_s > lim->max_age_days * 86400.0)
    pverdict_add(v, PROBE_WARNING,
                 "not rotated for %.0f days (max_age_days=%.0f)",
                 floor(f->age_s / 86400.0), lim->max_age_days);
  snprintf(mode, sizeof(mode), "%04o", (unsigned)(f->mode & 07777));
  if(!f->group_read_allowed &&
     (f->mode & (S_IRGRP | S_IROTH | S_IWGRP | S_IWOTH)))
    pverdict_add(v, PROBE_CRITICAL, "file mode %s: readable or writable by %s",
                 mode,
                 (f->mode & (S_IROTH | S_IWOTH)) ? "others" : "its group");
  if(f->owner == SJ_OWNER_UNKNOWN_USER)
    pverdict_add(v, PROBE_UNKNOWN, "expected_owner %s is no known user",
                 lim->expected_owner);
  else if(f->owner == SJ_OWNER_OTHER)
    pverdict_add(v, PROBE_CRITICAL, "owned by %s, expected %s",
                 f->owner_name ? f->owner_name : "another user",
                 lim->expected_owner);
}

/* A wallet key: valid, and deriving anchor.expected_sender. */
static void judge_eth(const sjudge_limits *lim, const sjudge_facts *f,
                      sjudge_verdict *out)
{
  const char *e = lim->expected_sender, *d = f->derived ? f->derived : "";
  if(!f->eth_valid) {
    pverdict_add(&out->v, PROBE_CRITICAL,
                 "not a valid secp256k1 private key (64 hex digits expected)");
    return;
  }
  if(!e) {
    pverdict_add(
        &out->v, PROBE_WARNING,
        "anchor.expected_sender is not set: derived address %s not compared",
        d);
    return;
  }
  if(!strncasecmp(e, "0x", 2))
    e += 2;
  if(!strncasecmp(d, "0x", 2))
    d += 2;
  out->sender_compared = 1;
  out->sender_match = !strcasecmp(e, d);
  if(!out->sender_match)
    pverdict_add(&out->v, PROBE_CRITICAL,
                 "wallet key derives %s but anchor.expected_sender is %s",
                 f->derived ? f->derived : "?", lim->expected_sender);
}

/* The repositories holding the value: the first place, then a count. */
static void judge_hits(const sjudge_facts *f, pverdict *v)
{
  if(f->nhits == 0)
    return;
  pverdict_add(v, PROBE_CRITICAL, "value found in %s: %s%s%s%s", f->hit_repo,
               f->hit_file, f->hit_commit[0] ? " (commit " : " (working tree)",
               f->hit_commit, f->hit_commit[0] ? ")" : "");
  if(f->nhits > 1) {
    size_t l = strlen(v->text);
    snprintf(v->text + l, sizeof(v->text) - l, " and %d more place%s",
             f->nhits - 1, f->nhits > 2 ? "s" : "");
  }
}

void sjudge_secret(const sjudge_limits *lim, const sjudge_facts *f,
                   sjudge_verdict *out)
{
  pverdict *v = &out->v;
  pverdict_init(v);
  out->sender_compared = out->sender_match = 0;
  if(f->rc != SEC_OK) {
    v->st = f->rc == SEC_ERR_ACCESS || f->rc == SEC_ERR_NOMEM ? PROBE_UNKNOWN
                                                              : PROBE_CRITICAL;
    snprintf(v->text, sizeof(v->text), "%s",
             f->err ? f->err : sec_strerror(f->rc));
    return;
  }
  if(f->len == 0)
    pverdict_add(v, PROBE_CRITICAL, "empty secret");
  if(f->have_info)
    judge_file(lim, f, v);
  if(f->kind == SJ_HMAC && f->len > 0 && (long long)f->len < lim->hmac_min)
    pverdict_add(v, PROBE_CRITICAL,
                 "HMAC secret shorter than %lld bytes (hmac_min_bytes=%lld)",
                 lim->hmac_min, lim->hmac_min);
  if(f->kind == SJ_ETH && f->len > 0)
    judge_eth(lim, f, out);
  if(f->in_baseline && f->unchanged)
    pverdict_add(v, lim->unchanged_status,
                 "not rotated since the baseline of %s",
                 f->baseline_at ? f->baseline_at : "?");
  judge_hits(f, v);
  if(!v->text[0]) {
    if(f->have_info)
      snprintf(v->text, sizeof(v->text), "ok: rotated %s (%.0f days ago)",
               f->rotated_at ? f->rotated_at : "?", floor(f->age_s / 86400.0));
    else
      snprintf(v->text, sizeof(v->text),
               "ok (environment variable; no rotation time)");
  }
  if(f->recorded) {
    size_t l = strlen(v->text);
    snprintf(v->text + l, sizeof(v->text) - l, "; baseline recorded");
  }
}

void sjudge_scan(const char *error, size_t hits, size_t files, size_t commits,
                 pverdict *out)
{
  pverdict_init(out);
  if(error)
    pverdict_add(out, PROBE_UNKNOWN, "scan incomplete: %s", error);
  else if(hits)
    pverdict_add(out, PROBE_CRITICAL,
                 "%zu place(s) hold a configured secret (see the "
                 "secrets.rotation lines)",
                 hits);
  else
    snprintf(out->text, sizeof(out->text),
             "no configured secret found in %zu files and %zu commits", files,
             commits);
}
