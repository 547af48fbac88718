/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-resume.c: libFuzzer target for the verifier's checkpoints
 * (plugins/ledger/lverify.c), which a plugin reads back from a state file
 * that a full disk or a crash can leave wrong. A fixed ledger of 40 valid
 * events is written with a checkpoint made from the input: one of its
 * events, its seq, offset, line and hash each perhaps moved, perhaps one
 * event tampered with, perhaps bytes appended. The run is incremental
 * (resume) or full with the checkpoint held to (expect). Checks:
 *   - a resumed run that does not report a checkpoint mismatch started at
 *     a real event: seq, hash and offset of one event, untampered;
 *   - from there it finds a tampered event after the checkpoint, as a
 *     hash mismatch at its seq, and an untouched ledger intact to seq 40;
 *   - a full run held to a checkpoint the ledger does not have is not
 *     intact.
 *   ./fuzz-resume tests/fuzz/corpus/resume
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sha256.h"
#include "plugins/ledger/lverify.h"
#include "tests/fuzz/fuzzutil.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EVENTS 40

static char ledger[EVENTS * 400];
static size_t ledger_len;
static struct {
  uint64_t offset, len;
  char hash[65];
  size_t amount; /* offset of the amount's first digit in its line */
} ev[EVENTS];

/* The fixture: events already in canonical order, so that each hash is
 * the SHA-256 of the line without its "hash" member. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  char prev[65], body[400];
  int i;
  (void)argc;
  (void)argv;
  memset(prev, '0', 64);
  prev[64] = 0;
  for(i = 0; i < EVENTS; i++) {
    int n = snprintf(body, sizeof(body),
                     "{\"aggregate_id\":\"claim-%d\",\"payload\":{\"amount\":"
                     "\"%d.00\"},\"prev_hash\":\"%s\",\"seq\":%d,\"ts\":"
                     "\"2026-01-01T00:00:%02d.000Z\",\"type\":\"ClaimPaid\"}",
                     i % 7, 100 + i, prev, i + 1, i);
    char *amount = strstr(body, "\"amount\":\"") + 10;
    if(crypto_sha256_hex(body, (size_t)n, ev[i].hash) != 0)
      abort();
    ev[i].offset = ledger_len;
    /* the line: "hash" where JCS puts it, between aggregate_id and payload */
    n = snprintf(ledger + ledger_len, sizeof(ledger) - ledger_len,
                 "%.*s\"hash\":\"%s\",%s\n",
                 (int)(strchr(body, ',') - body + 1), body, ev[i].hash,
                 strchr(body, ',') + 1);
    ev[i].amount = (size_t)(amount - body) + 7 + 64 + 3;
    ev[i].len = (uint64_t)n - 1;
    ledger_len += (size_t)n;
    memcpy(prev, ev[i].hash, 65);
  }
  return 0;
}

/* The event whose line starts at offset, or -1. */
static int event_at(uint64_t offset)
{
  int i;
  for(i = 0; i < EVENTS; i++)
    if(ev[i].offset == offset)
      return i;
  return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char file[sizeof(ledger) + 4096];
  const char *path = fuzz_scratch("ledger.jsonl");
  lv_checkpoint cp;
  lv_options o;
  lv_result r;
  int k, tampered = -1, mode, i;
  size_t flen, tail;
  FILE *f;
  if(size < 8)
    return 0;
  k = data[0] % EVENTS;
  mode = data[1];
  memset(&cp, 0, sizeof(cp));
  cp.seq = k + 1;
  cp.offset = ev[k].offset;
  cp.line = (uint64_t)k + 1;
  memcpy(cp.hash, ev[k].hash, 65);
  if(mode & 1)
    cp.seq += (int8_t)data[2];
  if(mode & 2)
    cp.offset += (uint64_t)(int64_t)(int16_t)(data[3] | data[4] << 8);
  if(mode & 4) /* another event's hash, or one digit changed */
    memcpy(cp.hash, ev[data[5] % EVENTS].hash, 65);
  if(mode & 8)
    cp.hash[data[5] % 64] = "0123456789abcdefX"[data[6] % 17];
  if(mode & 16)
    cp.line += (uint64_t)(int64_t)(int8_t)data[6];
  memcpy(file, ledger, ledger_len);
  flen = ledger_len;
  if(mode & 32) { /* one event's amount changed, its hash left */
    tampered = data[7] % EVENTS;
    file[ev[tampered].offset + ev[tampered].amount] ^= 1;
  }
  tail = size - 8 < 4096 ? size - 8 : 4096;
  memcpy(file + flen, data + 8, tail);
  flen += tail;
  f = fopen(path, "wb");
  if(!f || fwrite(file, 1, flen, f) != flen || fclose(f) != 0)
    abort();

  memset(&o, 0, sizeof(o));
  o.src.source = path;
  o.src.max_line = 2048;
  o.threads = (mode & 64) ? 2 : 1;
  if(mode & 128)
    o.expect = &cp;
  else
    o.resume = &cp;
  if(lv_verify(&o, &r) != 0 || r.source_error)
    return 0;
  if(o.expect) {
    /* held to a checkpoint that is not the ledger's: never intact */
    int real = cp.seq >= 1 && cp.seq <= EVENTS &&
               strcmp(cp.hash, ev[cp.seq - 1].hash) == 0;
    if(r.reason == LV_OK && cp.seq > 0 && !real)
      abort();
    return 0;
  }
  if(r.checkpoint_mismatch)
    return 0;
  /* resumed: from a real, untampered event */
  i = event_at(cp.offset);
  if(i < 0 || cp.seq != i + 1 || strcmp(cp.hash, ev[i].hash) != 0 ||
     tampered == i)
    abort();
  if(tampered > i) {
    if(r.reason != LV_HASH_MISMATCH || r.bad_seq != tampered + 1)
      abort();
  }
  else if(tail == 0 && (r.reason != LV_OK || r.head.seq != EVENTS))
    abort();
  return 0;
}
