/* SPDX-License-Identifier: Apache-2.0 */
/*
 * claims-cstore.c: unit tests of plugins/claims/cstore.c, the claims
 * plugin's table: what each event does to a claim (stages, failures,
 * duplicates, events out of order, pinned claims and `first`), retention
 * by the events' own times, the member scan against cJSON, and the binary
 * state (a round trip, an incremental run equal to one pass, and every
 * damaged body refused).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugins/claims/cstore.h"

static const char *const pins[] = {"claim-pin"};
/* retain 100 s; first 2 since 2026-01-01T00:00:10Z */
static cstore_conf conf = {"claim-",
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
                           2,
                           0,
                           100};

#define T0 1767225600.0 /* 2026-01-01T00:00:00Z */

/* Applies one event: seq, seconds after T0, type, id, payload members. */
static cst_code ev(cstore *s, int64_t seq, double at, const char *type,
                   const char *id, const char *payload)
{
  char line[1024], ts[40];
  cst_event e;
  int ms = (int)(at * 1000 + 0.5);
  snprintf(ts, sizeof(ts), "2026-01-01T%02d:%02d:%02d.%03dZ", ms / 3600000,
           ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
  snprintf(line, sizeof(line),
           "{\"seq\":%lld,\"ts\":\"%s\",\"type\":\"%s\",\"aggregate_id\":"
           "\"%s\",\"payload\":{%s},\"hash\":\"%064lld\"}",
           (long long)seq, ts, type, id, payload ? payload : "",
           (long long)seq);
  return cstore_apply(s, line, strlen(line), &e);
}

/* The five events of a complete claim, the callback `lat` s after `at`. */
static void complete(cstore *s, int64_t *seq, double at, double lat,
                     const char *id)
{
  assert_int_equal(ev(s, ++*seq, at, "ClaimSubmitted", id, NULL), CST_OK);
  assert_int_equal(ev(s, ++*seq, at + lat / 4, "ClaimValidated", id, NULL),
                   CST_OK);
  assert_int_equal(ev(s, ++*seq, at + lat / 2, "ClaimAdjudicated", id,
                      "\"decision\":\"approved\""),
                   CST_OK);
  assert_int_equal(ev(s, ++*seq, at + lat, "CallbackDelivered", id, NULL),
                   CST_OK);
}

static int setup(void **state)
{
  conf.since = T0 + 10;
  *state = NULL;
  return 0;
}

/* A claim's stages and its completion; in_flight follows. */
static void test_stages(void **state)
{
  cstore s;
  claim *c;
  int64_t seq = 0;
  (void)state;
  assert_int_equal(cstore_init(&s, &conf), 0);
  assert_int_equal(ev(&s, ++seq, 1, "ClaimSubmitted", "claim-1", NULL), CST_OK);
  assert_int_equal(s.in_flight, 1);
  c = cstore_get(&s, "claim-1");
  assert_non_null(c);
  assert_false(claim_complete(c));
  assert_int_equal(ev(&s, ++seq, 2, "ClaimRejected", "claim-1", NULL), CST_OK);
  assert_string_equal(c->decision, "rejected");
  assert_int_equal(ev(&s, ++seq, 3.5, "CallbackDelivered", "claim-1", NULL),
                   CST_OK);
  assert_true(claim_complete(c));
  assert_int_equal(s.in_flight, 0);
  assert_true(c->del - c->sub > 2.499 && c->del - c->sub < 2.501);
  assert_int_equal(c->done_seq, 3);
  /* not a claim: skipped; bad events: parse errors with a reason */
  assert_int_equal(ev(&s, ++seq, 4, "ClaimSubmitted", "member-1", NULL),
                   CST_SKIP);
  {
    cst_event e;
    const char *bad = "{\"seq\":9,\"ts\":\"yesterday\",\"type\":\"X\","
                      "\"aggregate_id\":\"claim-1\"}";
    assert_int_equal(cstore_apply(&s, bad, strlen(bad), &e), CST_PARSE);
    assert_non_null(strstr(e.why, "ts"));
    assert_int_equal(cstore_apply(&s, "[1]", 3, &e), CST_PARSE);
    assert_int_equal(cstore_apply(&s, "{\"seq\":0}", 9, &e), CST_PARSE);
  }
  cstore_free(&s);
}

/* Failures, duplicates and events out of order are counted, not fatal. */
static void test_failures_order(void **state)
{
  cstore s;
  claim *c;
  int64_t seq = 0;
  (void)state;
  assert_int_equal(cstore_init(&s, &conf), 0);
  ev(&s, ++seq, 1, "ClaimSubmitted", "claim-f", NULL);
  ev(&s, ++seq, 2, "ClaimFailed", "claim-f", NULL);
  c = cstore_get(&s, "claim-f");
  assert_true(claim_failed(c) && (c->flags & CL_FAIL_CLAIM));
  ev(&s, ++seq, 1, "ClaimSubmitted", "claim-cb", NULL);
  ev(&s, ++seq, 2, "ClaimAdjudicated", "claim-cb", "\"decision\":\"denied\"");
  ev(&s, ++seq, 3, "CallbackFailed", "claim-cb", "\"final\":false");
  c = cstore_get(&s, "claim-cb");
  assert_false(claim_failed(c));
  assert_int_equal(c->cb_fails, 1);
  ev(&s, ++seq, 4, "CallbackFailed", "claim-cb", "\"final\":true");
  assert_true(claim_failed(c) && (c->flags & CL_FAIL_CB));
  assert_int_equal(c->cb_fails, 2);
  assert_string_equal(c->decision, "denied");
  ev(&s, ++seq, 5, "ClaimSubmitted", "claim-d", NULL);
  ev(&s, ++seq, 6, "ClaimSubmitted", "claim-d", NULL);
  assert_int_equal(cstore_get(&s, "claim-d")->dups, 1);
  ev(&s, ++seq, 7, "CallbackDelivered", "claim-o", NULL);
  c = cstore_get(&s, "claim-o");
  assert_true(c->flags & CL_OOO_DEC);
  assert_true(c->flags & CL_OOO_CB);
  assert_false(claim_complete(c));
  assert_int_equal(s.in_flight, 2); /* claim-d and claim-o */
  cstore_free(&s);
}

/* Finished claims go once retain has passed by the events' times; pinned
 * and `first` claims stay, with their other events. */
static void test_retention_pins(void **state)
{
  cstore s;
  claim *c;
  int64_t seq = 0;
  (void)state;
  assert_int_equal(cstore_init(&s, &conf), 0);
  complete(&s, &seq, 1, 2, "claim-old");
  complete(&s, &seq, 1, 2, "claim-pin");
  ev(&s, ++seq, 2, "ClaimNoted", "claim-pin", NULL);
  ev(&s, ++seq, 2, "ClaimNoted", "claim-old", NULL);
  assert_int_equal(cstore_get(&s, "claim-pin")->nx, 1);
  assert_int_equal(cstore_get(&s, "claim-old")->nx, 0);
  complete(&s, &seq, 11, 1, "claim-a"); /* first 1 */
  ev(&s, ++seq, 12, "ClaimSubmitted", "claim-s", "\"synthetic\":true");
  complete(&s, &seq, 13, 1, "claim-b"); /* first 2 */
  complete(&s, &seq, 14, 1, "claim-c"); /* not first */
  assert_int_equal(cstore_get(&s, "claim-a")->first_idx, 1);
  assert_true(cstore_get(&s, "claim-s")->flags & CL_SYNTH);
  assert_int_equal(cstore_get(&s, "claim-s")->first_idx, 0);
  assert_int_equal(cstore_get(&s, "claim-b")->first_idx, 2);
  assert_int_equal(cstore_get(&s, "claim-c")->first_idx, 0);
  cstore_sweep(&s);
  assert_int_equal(s.n, 6);
  /* 200 s later: the unpinned finished ones are forgotten */
  ev(&s, ++seq, 220, "ClaimSubmitted", "claim-z", NULL);
  cstore_sweep(&s);
  assert_null(cstore_get(&s, "claim-old"));
  assert_null(cstore_get(&s, "claim-c"));
  assert_non_null(cstore_get(&s, "claim-pin"));
  assert_non_null(cstore_get(&s, "claim-a"));
  assert_non_null(cstore_get(&s, "claim-b"));
  assert_non_null(cstore_get(&s, "claim-s")); /* in flight */
  /* a forgotten claim's event starts it afresh, sweep or not */
  c = NULL;
  complete(&s, &seq, 221, 1, "claim-y");
  ev(&s, ++seq, 500, "CallbackDelivered", "claim-y", NULL);
  c = cstore_get(&s, "claim-y");
  assert_non_null(c);
  assert_true(c->sub <= 0 && (c->flags & CL_OOO_DEC));
  cstore_free(&s);
}

#define H63 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"
#define H64 H63 "f"

/* The scan and cJSON read the same members; the unusual goes to cJSON. */
static void test_fields(void **state)
{
  static const char *const lines[] = {
      "{\"seq\":5,\"ts\":\"2026-01-01T00:00:01Z\",\"type\":\"ClaimAdjudicated\","
      "\"aggregate_id\":\"claim-1\",\"payload\":{\"n\":[1,{\"a\":\"}\"}],"
      "\"decision\":\"approved\",\"final\":true}}",
      " { \"payload\" : { } , \"seq\" : 7 , \"type\" : \"T\" , "
      "\"aggregate_id\" : \"claim-2\" , \"ts\" : \"x\" } ",
      "{\"seq\":8,\"type\":\"T\\u0041\",\"aggregate_id\":\"claim-3\"}",
      "{\"seq\":8,\"seq\":9}",
      "{\"seq\":1e3,\"type\":\"T\"}",
      /* decisions of 15, 16 and 24 bytes: kept whole, cut to 15 */
      "{\"seq\":2,\"payload\":{\"decision\":\"abcdefghijklmno\"}}",
      "{\"seq\":3,\"payload\":{\"decision\":\"abcdefghijklmnop\"}}",
      "{\"seq\":4,\"payload\":{\"decision\":\"approved-with-conditions\"}}",
      /* the hash (64 digits: kept; 63: not) */
      "{\"seq\":6,\"hash\":\"" H64 "\",\"payload\":{}}",
      "{\"seq\":7,\"hash\":\"" H63 "\",\"payload\":{}}",
      /* empty and escaped strings skipped before the decision */
      "{\"seq\":5,\"payload\":{\"a\":\"\",\"b\":\"x\\\"\",\"decision\":\"ok\"}}",
  };
  static const int fast_ok[] = {0, 0, -1, -1, -1, 0, 0, 0, 0, 0, 0};
  static const char *const decisions[] = {"approved",
                                          "",
                                          NULL,
                                          NULL,
                                          NULL,
                                          "abcdefghijklmno",
                                          "abcdefghijklmno",
                                          "approved-with-c",
                                          "",
                                          "",
                                          "ok"};
  size_t i;
  (void)state;
  for(i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
    cst_fields a, b;
    size_t n = strlen(lines[i]);
    assert_int_equal(cst_fields_read(&conf, lines[i], n, &a, 1), fast_ok[i]);
    if(fast_ok[i] == 0) {
      assert_int_equal(cst_fields_read(&conf, lines[i], n, &b, 0), 0);
      assert_true(cst_fields_equal(&a, &b));
      assert_string_equal(a.decision, decisions[i]);
    }
  }
  {
    cst_fields f;
    assert_int_equal(cst_fields_read(&conf, lines[0], strlen(lines[0]), &f, 1),
                     0);
    assert_int_equal(f.seq, 5);
    assert_string_equal(f.decision, "approved");
    assert_true(f.final && !f.synth);
    assert_int_equal(cst_fields_read(&conf, lines[2], strlen(lines[2]), &f, 0),
                     0);
    assert_string_equal(f.type, "TA");
    assert_int_equal(cst_fields_read(&conf, lines[8], strlen(lines[8]), &f, 1),
                     0);
    assert_string_equal(f.hash, H64);
    assert_int_equal(cst_fields_read(&conf, lines[9], strlen(lines[9]), &f, 1),
                     0);
    assert_string_equal(f.hash, "");
  }
  assert_true(cst_parse_ts("2026-01-01T00:00:00Z") == T0);
  assert_true(cst_parse_ts("2026-01-01T00:00:00.5+00:00") == T0 + 0.5);
  assert_true(cst_parse_ts("2026-01-01T00:00:00+01:00") < 0);
  assert_true(cst_parse_ts("2026-13-01T00:00:00Z") < 0);
}

/* The times the old own parser took and lib/rfc3339.h refuses: a day
 * its month does not have (the old one moved "30 February" to 2 March,
 * silently shifting a claim's `since` or an event's time). */
static void test_parse_ts_strict(void **state)
{
  (void)state;
  assert_true(cst_parse_ts("2026-02-30T00:00:00Z") < 0);
  assert_true(cst_parse_ts("2026-04-31T12:00:00Z") < 0);
  assert_true(cst_parse_ts("2024-02-29T00:00:00Z") > 0); /* a leap year */
  assert_true(cst_parse_ts("2026-02-28T00:00:00Z") == T0 + 58 * 86400.0);
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

/* Two tables hold the same claims and counters. */
static void assert_same_table(const cstore *a, const cstore *b)
{
  size_t i;
  const claim *c, *d;
  assert_int_equal(a->n, b->n);
  assert_int_equal(a->in_flight, b->in_flight);
  assert_true(a->maxts == b->maxts);
  assert_int_equal(a->first_count, b->first_count);
  for(i = 0; i < a->nb; i++)
    for(c = a->b[i]; c; c = c->next) {
      d = cstore_get(b, c->id);
      assert_non_null(d);
      assert_true(same(c, d));
    }
}

/* Feeds the events of a mixed ledger: seq from..to of the same sequence. */
static void feed(cstore *s, int64_t from, int64_t to)
{
  int64_t k;
  for(k = from; k <= to; k++) {
    char id[32];
    double at = (double)k * 0.7;
    snprintf(id, sizeof(id), "claim-%lld", (long long)(k / 5));
    switch(k % 5) {
    case 0:
      ev(s, k, at, "ClaimSubmitted", k % 35 ? id : "claim-pin", NULL);
      break;
    case 1:
      ev(s, k, at, k % 17 ? "ClaimValidated" : "ClaimNoted",
         k % 35 == 1 ? "claim-pin" : id, NULL);
      break;
    case 2:
      ev(s, k, at, "ClaimAdjudicated", id, "\"decision\":\"approved\"");
      break;
    case 3:
      ev(s, k, at, k % 13 ? "CallbackDelivered" : "CallbackFailed", id,
         "\"final\":true");
      break;
    default: ev(s, k, at, k % 11 ? "Other" : "ClaimSubmitted", id, NULL);
    }
    if(k % 64 == 0)
      cstore_sweep(s);
  }
  cstore_sweep(s);
}

/* Saved and loaded, the table is the same; a run resumed from the saved
 * table ends where one pass ends. */
static void test_roundtrip_incremental(void **state)
{
  cstore one, part, resumed;
  char *body = NULL, why[200];
  size_t len = 0;
  (void)state;
  assert_int_equal(cstore_init(&one, &conf), 0);
  feed(&one, 1, 3000);
  assert_int_equal(cstore_init(&part, &conf), 0);
  feed(&part, 1, 1234);
  assert_int_equal(cstore_save(&part, &body, &len), 0);
  assert_int_equal(cstore_init(&resumed, &conf), 0);
  assert_int_equal(cstore_load(&resumed, body, len, why, sizeof(why)), 0);
  assert_same_table(&part, &resumed);
  free(body);
  feed(&resumed, 1235, 3000);
  assert_same_table(&one, &resumed);
  assert_same_table(&resumed, &one);
  assert_true(one.n > 10 && one.n < 3000 / 5 / 2);
  cstore_free(&one);
  cstore_free(&part);
  cstore_free(&resumed);
}

/* Loads text into a fresh table: 0 or -1. */
static int load(const char *text, size_t len)
{
  cstore s;
  char why[200] = "";
  int rc;
  assert_int_equal(cstore_init(&s, &conf), 0);
  rc = cstore_load(&s, text, len, why, sizeof(why));
  if(rc != 0)
    assert_true(why[0] != 0);
  cstore_free(&s);
  return rc;
}

/* Every damaged body is refused: cut short anywhere, a byte too many, a
 * NUL in an id, an absurd time, an id twice, another magic. */
static void test_load_refuses(void **state)
{
  cstore s;
  char *body = NULL, *b2;
  size_t len = 0, i, off;
  int64_t seq = 0;
  double bad = -1;
  (void)state;
  assert_int_equal(cstore_init(&s, &conf), 0);
  complete(&s, &seq, 1, 2, "claim-pin");
  ev(&s, ++seq, 2, "ClaimNoted", "claim-pin", NULL);
  complete(&s, &seq, 3, 2, "claim-2");
  assert_int_equal(cstore_save(&s, &body, &len), 0);
  cstore_free(&s);
  assert_int_equal(load(body, len), 0);
  for(i = 0; i < len; i++)
    assert_int_equal(load(body, i), -1);
  b2 = malloc(len + 1);
  assert_non_null(b2);
  memcpy(b2, body, len);
  b2[len] = 0;
  assert_int_equal(load(b2, len + 1), -1);
  /* the first claim's record starts after the 28-byte head; its id after
   * the 92 bytes of fixed fields */
  off = 28 + 92;
  memcpy(b2, body, len);
  b2[off + 3] = 0;
  assert_int_equal(load(b2, len), -1);
  memcpy(b2, body, len);
  memcpy(b2 + 28 + 8, &bad, 8); /* sub */
  assert_int_equal(load(b2, len), -1);
  memcpy(b2, body, len);
  b2[0] = 'X';
  assert_int_equal(load(b2, len), -1);
  free(b2);
  /* the same claim twice */
  {
    cstore one;
    char *t = NULL;
    size_t tl = 0, rec;
    uint64_t two = 2;
    assert_int_equal(cstore_init(&one, &conf), 0);
    seq = 0;
    complete(&one, &seq, 1, 2, "claim-x");
    assert_int_equal(cstore_save(&one, &t, &tl), 0);
    cstore_free(&one);
    rec = tl - 28;
    b2 = malloc(tl + rec);
    assert_non_null(b2);
    memcpy(b2, t, tl);
    memcpy(b2 + tl, t + 28, rec);
    memcpy(b2 + 20, &two, 8);
    assert_int_equal(load(b2, tl + rec), -1);
    free(b2);
    free(t);
  }
  free(body);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_stages, setup),
      cmocka_unit_test_setup(test_failures_order, setup),
      cmocka_unit_test_setup(test_retention_pins, setup),
      cmocka_unit_test_setup(test_fields, setup),
      cmocka_unit_test(test_parse_ts_strict),
      cmocka_unit_test_setup(test_roundtrip_incremental, setup),
      cmocka_unit_test_setup(test_load_refuses, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
