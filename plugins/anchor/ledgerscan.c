/*
 * ledgerscan.c: a minimal reader of plain JSON Lines snapshot files (and
 * "-"), standing in until plugins/common/lsrc lands; see ledgerscan.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/anchor/ledgerscan.h"

#define MAX_LINE ((size_t)16 * 1024 * 1024)

int ledgerscan_run(const ledgerscan_opts *o, ledgerscan_cb cb, void *ud,
                   char *err, size_t errlen)
{
  FILE *f;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  uint64_t no = 0;
  int rc = 0;
  if(strcmp(o->source, "-") == 0)
    f = stdin;
  else if(!(f = fopen(o->source, "r"))) {
    snprintf(err, errlen, "cannot open %s: %s", o->source, strerror(errno));
    return -1;
  }
  while((n = getline(&line, &cap, f)) >= 0) {
    no++;
    if((size_t)n > MAX_LINE) {
      snprintf(err, errlen, "line %llu is longer than %zu bytes",
               (unsigned long long)no, MAX_LINE);
      rc = -1;
      break;
    }
    if(n > 0 && line[n - 1] == '\n')
      line[--n] = '\0';
    if(n == 0)
      continue;
    int r = cb(ud, line, (size_t)n, no);
    if(r < 0) {
      snprintf(err, errlen, "stopped at line %llu", (unsigned long long)no);
      rc = -1;
      break;
    }
    if(r > 0)
      break;
  }
  if(rc == 0 && ferror(f)) {
    snprintf(err, errlen, "read error on %s", o->source);
    rc = -1;
  }
  free(line);
  if(f != stdin)
    fclose(f);
  return rc;
}

int ledgerscan_rereadable(const ledgerscan_opts *o)
{
  return strcmp(o->source, "-") != 0;
}

char *ledgerscan_target(const ledgerscan_opts *o)
{
  return strdup(o->source);
}
