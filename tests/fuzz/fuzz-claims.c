/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-claims.c: libFuzzer target for what the claims plugin parses
 * (plugins/claims/cstore.c): ledger event lines and its own state body.
 * First byte even: the rest is event lines, each read both by the fast
 * scan and by cJSON (when the scan reads a line that cJSON parses, both
 * must give the same members) and applied to a table; odd: the rest is a
 * binary state body, loaded, saved and loaded again (every claim must come
 * back the same).
 *   ./fuzz-claims tests/fuzz/corpus/claims
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/claims/cstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const pins[] = {"claim-synth-001"};
static const cstore_conf conf = {"claim-",
                                 "ClaimSubmitted",
                                 "ClaimValidated",
                                 "ClaimAdjudicated",
                                 "ClaimRejected",
                                 "ClaimFailed",
                                 "CallbackDelivered",
                                 "CallbackFailed",
                                 "synthetic",
                                 "decision",
                                 "final",
                                 pins,
                                 1,
                                 3,
                                 0,
                                 2700};

/* The event lines of one input. */
static void events(const char *p, size_t n)
{
  cstore s;
  const char *e = p + n;
  if(cstore_init(&s, &conf) != 0)
    return;
  while(p < e) {
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(e - p);
    /* a copy of its exact size, so that reads past the line are caught */
    char *line = malloc(len ? len : 1);
    cst_fields a, b;
    cst_event ev;
    if(!line)
      break;
    memcpy(line, p, len);
    if(cst_fields_read(&conf, line, len, &a, 1) == 0 &&
       cst_fields_read(&conf, line, len, &b, 0) == 0 &&
       !cst_fields_equal(&a, &b))
      abort();
    if(cstore_apply(&s, line, len, &ev) == CST_NOMEM)
      abort();
    free(line);
    p += len + (nl ? 1 : 0);
  }
  cstore_sweep(&s);
  cstore_free(&s);
}

/* Two claims hold the same. */
static int same(const claim *a, const claim *b)
{
  unsigned i;
  if(a->flags != b->flags || a->sub != b->sub || a->val != b->val ||
     a->dec != b->dec || a->del != b->del || a->fail != b->fail ||
     a->dup_ts != b->dup_ts || a->sub_seq != b->sub_seq ||
     a->done_seq != b->done_seq || a->last_seq != b->last_seq ||
     a->dups != b->dups || a->cb_fails != b->cb_fails ||
     a->first_idx != b->first_idx || strcmp(a->decision, b->decision) ||
     a->nx != b->nx)
    return 0;
  for(i = 0; i < a->nx; i++)
    if(strcmp(a->x[i].type, b->x[i].type) || a->x[i].ts != b->x[i].ts ||
       a->x[i].seq != b->x[i].seq)
      return 0;
  return 1;
}

/* One state body, round-tripped. */
static void state(const char *p, size_t n)
{
  cstore s1, s2;
  char *t1 = NULL, why[200];
  size_t l1 = 0, i;
  const claim *c, *d;
  if(cstore_init(&s1, &conf) != 0)
    return;
  if(cstore_load(&s1, p, n, why, sizeof(why)) == 0 &&
     cstore_save(&s1, &t1, &l1) == 0 && cstore_init(&s2, &conf) == 0) {
    if(cstore_load(&s2, t1, l1, why, sizeof(why)) != 0)
      abort();
    if(s1.n != s2.n || s1.in_flight != s2.in_flight || s1.maxts != s2.maxts)
      abort();
    for(i = 0; i < s1.nb; i++)
      for(c = s1.b[i]; c; c = c->next)
        if(!(d = cstore_get(&s2, c->id)) || !same(c, d))
          abort();
    cstore_free(&s2);
  }
  free(t1);
  cstore_free(&s1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if(size < 1)
    return 0;
  if(data[0] & 1)
    state((const char *)data + 1, size - 1);
  else
    events((const char *)data + 1, size - 1);
  return 0;
}
