/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger-spans.c: unit tests of the verifier's reading of a plain file in
 * spans (lsrc_next_span: the workers split the lines). The oracle is the
 * same ledger gzip-compressed, which lsrc reads line by line through its
 * buffer: both must give the same result, field for field, on 1, 2 and 4
 * threads, for an intact ledger with lines longer than a span, a broken
 * hash far in, a line longer than max_line (first, in the middle, last),
 * an unterminated last line, an empty line, and a resumed run; and each
 * hex digit of the hashes read at its place.
 */
#include "config.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "crypto/hex.h"
#include "crypto/sha256.h"
#include "plugins/ledger/lverify.h"

static char dir[] = "/tmp/ledger-spans.XXXXXX";

/* How a generated ledger deviates from an intact one. */
typedef struct ledger_shape {
  int events;
  int long_every;    /* every long_every-th event has a payload of
                        long_bytes (0: none) */
  size_t long_bytes; /* > 128 KiB spans a batch */
  int bad_hash_at;   /* this seq's stored hash is wrong (0: none) */
  int empty_after;   /* an empty line after this seq (0: none) */
  int unterminated;  /* the last line lacks its newline */
} ledger_shape;

/* Writes a ledger of shape sh to path (and path.gz); events are written in
 * canonical member order, so the hash is over the text without "hash". */
static void write_ledger(const char *path, const ledger_shape *sh)
{
  char gzpath[300], prev[65], hash[65];
  FILE *f = fopen(path, "w");
  gzFile gz;
  char *pad = NULL;
  int i;
  snprintf(gzpath, sizeof(gzpath), "%s.gz", path);
  gz = gzopen(gzpath, "wb");
  assert_non_null(f);
  assert_non_null(gz);
  memset(prev, '0', 64);
  prev[64] = 0;
  if(sh->long_bytes) {
    pad = malloc(sh->long_bytes + 1);
    assert_non_null(pad);
    memset(pad, 'x', sh->long_bytes);
    pad[sh->long_bytes] = 0;
  }
  for(i = 1; i <= sh->events; i++) {
    int is_long = sh->long_every && i % sh->long_every == 0;
    const char *p = is_long ? pad : "ok";
    size_t cap = (is_long ? sh->long_bytes : 0) + 512;
    char *body = malloc(cap), *line = malloc(cap + 80);
    int n;
    assert_non_null(body);
    assert_non_null(line);
    /* body: everything after "hash" in canonical order */
    snprintf(body, cap,
             "\"payload\":{\"n\":%d,\"pad\":\"%s\"},\"prev_hash\":\"%s\","
             "\"seq\":%d,\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"T\"}",
             i, p, prev, i);
    n = snprintf(line, cap + 80, "{\"aggregate_id\":\"a\",%s", body);
    assert_int_equal(crypto_sha256_hex(line, (size_t)n, hash), 0);
    if(i == sh->bad_hash_at)
      hash[0] = hash[0] == 'a' ? 'b' : 'a';
    n = snprintf(line, cap + 80, "{\"aggregate_id\":\"a\",\"hash\":\"%s\",%s%s",
                 hash, body, i == sh->events && sh->unterminated ? "" : "\n");
    assert_int_equal(fwrite(line, 1, (size_t)n, f), (size_t)n);
    assert_int_equal(gzwrite(gz, line, (unsigned)n), n);
    if(i == sh->empty_after) {
      fputc('\n', f);
      gzputc(gz, '\n');
    }
    memcpy(prev, hash, 65);
    free(body);
    free(line);
  }
  free(pad);
  assert_int_equal(fclose(f), 0);
  assert_int_equal(gzclose(gz), Z_OK);
}

/* Runs the verifier over path on threads threads. */
static void verify(const char *path, int threads, size_t max_line,
                   const lv_checkpoint *resume, lv_result *r)
{
  lv_options o;
  memset(&o, 0, sizeof(o));
  o.src.source = path;
  o.src.max_line = max_line;
  o.threads = threads;
  o.resume = resume;
  lv_verify(&o, r);
}

/* The result of the plain file (spans) equals the gzip one (lines), for
 * every field a report shows but the byte counts of the file itself. */
static void same_result(const lv_result *a, const lv_result *b)
{
  assert_int_equal(a->reason, b->reason);
  assert_int_equal(a->bad_seq, b->bad_seq);
  assert_int_equal(a->bad_line, b->bad_line);
  assert_int_equal(a->bad_offset, b->bad_offset);
  assert_string_equal(a->detail, b->detail);
  assert_int_equal(a->events, b->events);
  assert_int_equal(a->head.seq, b->head.seq);
  assert_string_equal(a->head.hash, b->head.hash);
  assert_int_equal(a->head.offset, b->head.offset);
  assert_int_equal(a->head.line, b->head.line);
  assert_int_equal(a->bytes, b->bytes);
  assert_int_equal(a->checkpoint_mismatch, b->checkpoint_mismatch);
  assert_int_equal(a->source_error, b->source_error);
  assert_string_equal(a->error, b->error);
}

/* Writes shape sh, verifies it plain and gzip on 1, 2 and 4 threads, checks
 * they agree; *out gets the plain result on 2 threads. */
static void run_shape(const char *name, const ledger_shape *sh, size_t max_line,
                      lv_result *out)
{
  char path[256], gzpath[300];
  int t;
  snprintf(path, sizeof(path), "%s/%s.jsonl", dir, name);
  snprintf(gzpath, sizeof(gzpath), "%s.gz", path);
  write_ledger(path, sh);
  for(t = 1; t <= 4; t *= 2) {
    lv_result a, b;
    verify(path, t, max_line, NULL, &a);
    verify(gzpath, t, max_line, NULL, &b);
    same_result(&a, &b);
    if(t == 2)
      *out = a;
  }
}

/* Intact, with events longer than a span (128 KiB) every 97 events. */
static void test_intact_long_lines(void **state)
{
  ledger_shape sh = {.events = 3000, .long_every = 97, .long_bytes = 200000};
  lv_result r;
  (void)state;
  run_shape("intact", &sh, 0, &r);
  assert_int_equal(r.reason, LV_OK);
  assert_int_equal(r.events, 3000);
  assert_int_equal(r.head.seq, 3000);
  assert_int_equal(r.head.line, 3000);
  assert_int_equal(r.bytes, (uint64_t)r.file_size);
}

/* A wrong hash many spans in: its line and seq, not a neighbour's. */
static void test_bad_hash_far_in(void **state)
{
  ledger_shape sh = {.events = 4000, .bad_hash_at = 3333};
  lv_result r;
  (void)state;
  run_shape("badhash", &sh, 0, &r);
  assert_int_equal(r.reason, LV_HASH_MISMATCH);
  assert_int_equal(r.bad_seq, 3333);
  assert_int_equal(r.bad_line, 3333);
  assert_int_equal(r.events, 3332);
}

/* A line longer than max_line ends the reading there, with lsrc's words,
 * wherever it is: in the first span, far in, or last. */
static void test_too_long(void **state)
{
  static const int at[] = {1, 2500, 3000};
  int i;
  (void)state;
  for(i = 0; i < 3; i++) {
    ledger_shape sh = {.events = 3000, .long_every = at[i], .long_bytes = 5000};
    lv_result r;
    char want[96];
    run_shape("toolong", &sh, 4096, &r);
    assert_int_equal(r.reason, LV_PARSE_ERROR);
    assert_int_equal(r.bad_line, (uint64_t)at[i]);
    assert_int_equal(r.events, (uint64_t)at[i] - 1);
    snprintf(want, sizeof(want), "line %d is longer than 4096 bytes", at[i]);
    assert_non_null(strstr(r.detail, want));
  }
}

/* A last line without its newline is a truncated event. */
static void test_unterminated(void **state)
{
  ledger_shape sh = {.events = 2000, .unterminated = 1};
  lv_result r;
  (void)state;
  run_shape("unterminated", &sh, 0, &r);
  assert_int_equal(r.reason, LV_TRUNCATED);
  assert_int_equal(r.bad_line, 2000);
  assert_int_equal(r.events, 1999);
}

/* An empty line is a parse error on its own line number. */
static void test_empty_line(void **state)
{
  ledger_shape sh = {.events = 2000, .empty_after = 1500};
  lv_result r;
  (void)state;
  run_shape("empty", &sh, 0, &r);
  assert_int_equal(r.reason, LV_PARSE_ERROR);
  assert_int_equal(r.bad_line, 1501);
  assert_int_equal(r.events, 1500);
}

/* A run resumed at a checkpoint in the middle numbers its lines from the
 * checkpoint's, and ends where the full run does. */
static void test_resume(void **state)
{
  ledger_shape sh = {.events = 3000, .long_every = 500, .long_bytes = 150000};
  char path[256];
  lv_result full, mid, a, b;
  lv_checkpoint cp;
  (void)state;
  snprintf(path, sizeof(path), "%s/resume.jsonl", dir);
  write_ledger(path, &sh);
  /* the checkpoint: seq 1234 as a full run up to it would leave it */
  {
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    uint64_t off = 0;
    int i;
    assert_non_null(f);
    for(i = 1; i < 1234; i++)
      off += (uint64_t)getline(&line, &cap, f);
    assert_true(getline(&line, &cap, f) > 0);
    memset(&cp, 0, sizeof(cp));
    cp.seq = 1234;
    cp.offset = off;
    cp.line = 1234;
    memcpy(cp.hash, strstr(line, "\"hash\":\"") + 8, 64);
    free(line);
    fclose(f);
  }
  verify(path, 2, 0, NULL, &full);
  verify(path, 2, 0, &cp, &mid);
  assert_int_equal(full.reason, LV_OK);
  assert_int_equal(mid.reason, LV_OK);
  assert_false(mid.checkpoint_mismatch);
  assert_int_equal(mid.events, 3000 - 1234);
  assert_int_equal(mid.head.seq, full.head.seq);
  assert_int_equal(mid.head.line, full.head.line);
  assert_int_equal(mid.head.offset, full.head.offset);
  assert_string_equal(mid.head.hash, full.head.hash);
  /* and the same through gzip */
  {
    char gzpath[300];
    snprintf(gzpath, sizeof(gzpath), "%s.gz", path);
    verify(path, 1, 0, &cp, &a);
    verify(gzpath, 1, 0, &cp, &b);
    same_result(&a, &b);
  }
}

/* Every one of the 64 digits of a prev_hash and of a stored hash is read:
 * at each place, a byte next to the digits' ranges is bad_type, and
 * another digit there is a mismatch. */
static void test_hash_digits(void **state)
{
  static const char bad[] = "/:`g@AFG", good[] = "0123456789abcdef";
  ledger_shape sh = {.events = 3};
  char path[256];
  char *text;
  long size;
  size_t at[2], k;
  FILE *f;
  int i;
  (void)state;
  snprintf(path, sizeof(path), "%s/digits.jsonl", dir);
  write_ledger(path, &sh);
  f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  size = ftell(f);
  rewind(f);
  text = malloc((size_t)size + 1);
  assert_non_null(text);
  assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
  text[size] = 0;
  fclose(f);
  /* the second event's prev_hash and stored hash */
  {
    const char *l2 = strchr(text, '\n') + 1;
    at[0] = (size_t)(strstr(l2, "\"prev_hash\":\"") + 13 - text);
    at[1] = (size_t)(strstr(l2, "\"hash\":\"") + 8 - text);
  }
  for(k = 0; k < 2; k++)
    for(i = 0; i < 64; i++) {
      char was = text[at[k] + i];
      int g;
      for(g = 0; g < 2; g++) {
        lv_result r;
        /* a bad byte, cycling through them; or the next digit */
        text[at[k] + i] =
            g ? good[(strchr(good, was) - good + 1) % 16] : bad[i % 8];
        f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, (size_t)size, f), (size_t)size);
        assert_int_equal(fclose(f), 0);
        verify(path, 1, 0, NULL, &r);
        if(r.bad_seq != 2)
          fail_msg("%s %d, '%c': %s at seq %" PRId64 ": %s",
                   k ? "hash" : "prev_hash", i, text[at[k] + i],
                   lv_reason_name(r.reason), r.bad_seq, r.detail);
        if(!g) {
          assert_int_equal(r.reason, LV_BAD_TYPE);
          assert_non_null(strstr(r.detail, k ? "hash is not" : "prev_hash is"));
        }
        else
          assert_int_equal(r.reason,
                           k ? LV_HASH_MISMATCH : LV_PREV_HASH_MISMATCH);
      }
      text[at[k] + i] = was;
    }
  free(text);
}

/* Removes the test files. */
static int cleanup(void **state)
{
  char cmd[300];
  (void)state;
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_intact_long_lines),
      cmocka_unit_test(test_bad_hash_far_in),
      cmocka_unit_test(test_too_long),
      cmocka_unit_test(test_unterminated),
      cmocka_unit_test(test_empty_line),
      cmocka_unit_test(test_resume),
      cmocka_unit_test(test_hash_digits),
  };
  if(!mkdtemp(dir))
    return 1;
  return cmocka_run_group_tests(tests, NULL, cleanup);
}
