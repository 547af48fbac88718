/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lcompare.c: compare_with, two copies of the ledger side by side: the
 * copy is verified by its own lv_verify pass on a thread of its own, in
 * step with the live ledger's pass (see lcompare.h for what is checked and
 * why in one pass). The two passes meet in a ring of the live ledger's
 * last LC_RING hashes: the live pass waits when the copy is that far
 * behind, the copy's pass waits until the live one has reached its seq.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hex.h"
#include "plugins/ledger/lcompare.h"
#include "plugins/ledger/lverify.h"

#define LC_RING 16384 /* live hashes held for the copy: 512 KiB */

struct lc_stream {
  lv_options o; /* the copy's pass */
  lv_result br; /* what it found */
  int vrc;      /* its lv_verify's return */
  pthread_t th;
  int started;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  uint8_t (*ring)[32];
  int64_t a_head;     /* last live seq pushed (0: none yet) */
  int64_t b_pos;      /* last copy seq handed to the comparison */
  int a_done, b_done; /* a pass has ended: the other no longer waits */
  int waiting;        /* a side waits on cv */
  lc_result r;
};

/* The copy's on_event: waits for the live pass to reach seq, compares. */
static void copy_event(void *arg, int64_t seq, const uint8_t hash[32])
{
  lc_stream *s = arg;
  pthread_mutex_lock(&s->mu);
  while(!s->a_done && s->a_head < seq && !s->r.fork_seq) {
    s->waiting = 1;
    pthread_cond_wait(&s->cv, &s->mu);
  }
  if(!s->r.fork_seq && s->a_head >= seq && s->a_head - seq < LC_RING) {
    s->r.a_seen = seq;
    s->r.compared++;
    if(memcmp(s->ring[seq % LC_RING], hash, 32) != 0)
      s->r.fork_seq = seq;
  }
  s->b_pos = seq;
  if(s->waiting) {
    s->waiting = 0;
    pthread_cond_broadcast(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
}

/* The copy's thread: its whole verification pass. */
static void *copy_thread(void *arg)
{
  lc_stream *s = arg;
  s->vrc = lv_verify(&s->o, &s->br);
  pthread_mutex_lock(&s->mu);
  s->b_done = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

int lc_open(const lsrc_options *bo, int threads, lc_stream **out, char *err,
            size_t errlen)
{
  lc_stream *s = calloc(1, sizeof(*s));
  *out = NULL;
  if(!s || !(s->ring = malloc(sizeof(*s->ring) * LC_RING))) {
    free(s);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  s->o.src = *bo;
  s->o.threads = threads;
  s->o.on_event = copy_event;
  s->o.on_event_arg = s;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  if(pthread_create(&s->th, NULL, copy_thread, s) != 0) {
    snprintf(err, errlen, "cannot start a thread");
    lc_close(s);
    return -1;
  }
  s->started = 1;
  *out = s;
  return 0;
}

void lc_feed(void *arg, int64_t seq, const uint8_t hash[32])
{
  lc_stream *s = arg;
  pthread_mutex_lock(&s->mu);
  /* the ring's slot for seq must have been compared (or never will be) */
  while(!s->b_done && !s->r.fork_seq && seq - s->b_pos > LC_RING) {
    s->waiting = 1;
    pthread_cond_wait(&s->cv, &s->mu);
  }
  memcpy(s->ring[seq % LC_RING], hash, 32);
  s->a_head = seq;
  if(s->waiting) {
    s->waiting = 0;
    pthread_cond_broadcast(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
}

/* Ends the live side and waits for the copy's pass to end. */
static void join_copy(lc_stream *s)
{
  if(!s->started)
    return;
  pthread_mutex_lock(&s->mu);
  s->a_done = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->th, NULL);
  s->started = 0;
}

int lc_finish(lc_stream *s, int64_t a_head, lc_result *r)
{
  const lv_result *b = &s->br;
  join_copy(s);
  *r = s->r;
  if(b->source_error || s->vrc != 0) {
    r->source_error = 1;
    snprintf(r->error, sizeof(r->error), "compare_with: %s",
             b->error[0] ? b->error : "cannot be verified");
    return -1;
  }
  r->b_head = b->head.seq;
  if(b->head.seq > 0)
    memcpy(r->b_hash, b->head.hash, sizeof(r->b_hash));
  if(b->reason != LV_OK) {
    r->b_bad_seq = b->bad_seq >= 0 ? b->bad_seq : b->head.seq + 1;
    snprintf(r->b_detail, sizeof(r->b_detail), "%s: %.150s",
             lv_reason_name(b->reason), b->detail);
  }
  /* a deferred anchor check may have cut either head after the compare */
  if(r->a_seen > a_head)
    r->a_seen = a_head;
  if(r->a_seen > r->b_head)
    r->a_seen = r->b_head;
  if(r->fork_seq > r->b_head)
    r->fork_seq = 0; /* past the copy's first bad event: that one is reported */
  return 0;
}

void lc_close(lc_stream *s)
{
  if(!s)
    return;
  join_copy(s);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s->ring);
  free(s);
}
