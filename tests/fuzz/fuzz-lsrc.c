/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-lsrc.c: libFuzzer target for the ledger file reader of the ledger
 * and anchor plugins (plugins/common/lsrc.c: JSON Lines, plain or gzip,
 * resumable at an offset), which reads files another system wrote. Input:
 * one byte of options, then the file. Options pick how it is read: plain,
 * gzip-compressed here first (the events must then be the plain ones), or
 * the bytes themselves as a ".gz" file (corrupt streams); a short max_line;
 * a resume offset. Checks, plain and compressed: each event is the bytes at
 * its offset, without "\n", numbered one line after the other, no longer
 * than max_line, and the byte count ends where the last event does.
 *   ./fuzz-lsrc tests/fuzz/corpus/lsrc
 */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "plugins/common/lsrc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], plain_path[96], gz_path[96];

/* At exit: the two files and their directory go. */
static void cleanup(void)
{
  unlink(plain_path);
  unlink(gz_path);
  rmdir(dir);
}

/* A directory of our own for the two files each input is written to, in
 * memory when /dev/shm is there (six times the executions of /tmp). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  snprintf(dir, sizeof(dir), "/dev/shm/fuzz-lsrc.XXXXXX");
  if(!mkdtemp(dir)) {
    snprintf(dir, sizeof(dir), "/tmp/fuzz-lsrc.XXXXXX");
    if(!mkdtemp(dir))
      abort();
  }
  snprintf(plain_path, sizeof(plain_path), "%s/events.jsonl", dir);
  snprintf(gz_path, sizeof(gz_path), "%s/events.jsonl.gz", dir);
  atexit(cleanup);
  return 0;
}

/* Writes data[0..n) to path, gzip-compressed when gz; -1 on failure. */
static int write_file(const char *path, const uint8_t *data, size_t n, int gz)
{
  if(gz) {
    gzFile f = gzopen(path, "wb");
    if(!f)
      return -1;
    int ok = n == 0 || gzwrite(f, data, (unsigned)n) == (int)n;
    return gzclose(f) == Z_OK && ok ? 0 : -1;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if(fd < 0)
    return -1;
  ssize_t w = n ? write(fd, data, n) : 0;
  close(fd);
  return w == (ssize_t)n ? 0 : -1;
}

/* Reads the whole source; with the plain bytes known (plain != NULL), checks
 * every event against them. */
static void read_all(const lsrc_options *o, const uint8_t *plain, size_t n)
{
  char err[256];
  lsrc *s = NULL;
  lsrc_event ev;
  lsrc_code c;
  uint64_t line = o->start_line ? o->start_line - 1 : 0;
  uint64_t end = o->start_offset;
  if(lsrc_open(o, &s, err, sizeof(err)) != LSRC_OK) {
    if(s || !err[0])
      abort();
    return;
  }
  while((c = lsrc_next(s, &ev)) == LSRC_OK) {
    if(ev.line != ++line || ev.len > o->max_line || ev.offset < end ||
       memchr(ev.text, '\n', ev.len))
      abort();
    end = ev.offset + ev.len + (ev.terminated ? 1 : 0);
    if(plain && (end > n || memcmp(plain + ev.offset, ev.text, ev.len) ||
                 (ev.terminated && plain[ev.offset + ev.len] != '\n')))
      abort();
    if(lsrc_bytes(s) != end)
      abort();
  }
  if(c != LSRC_EOF && !lsrc_error(s)[0])
    abort();
  lsrc_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if(size < 1 || size > 65536)
    return 0;
  unsigned opt = data[0], mode = opt % 3;
  const uint8_t *file = data + 1;
  size_t n = size - 1;
  lsrc_options o;
  memset(&o, 0, sizeof(o));
  o.max_line = (opt & 0x08) ? 16 + (opt >> 4) * 8 : 4096;
  /* a resume point: the start of the second line, when there is one */
  const uint8_t *nl = (opt & 0x04) ? memchr(file, '\n', n) : NULL;
  if(nl) {
    o.start_offset = (uint64_t)(nl - file) + 1;
    o.start_line = 2;
  }
  o.source = mode == 0 ? plain_path : gz_path;
  if(write_file(o.source, file, n, mode == 1) < 0)
    return 0;
  read_all(&o, mode == 2 ? NULL : file, n);
  return 0;
}
