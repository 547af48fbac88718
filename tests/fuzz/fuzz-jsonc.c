/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-jsonc.c: libFuzzer target for the reader of the agent's
 * configuration file (agent/jsonc.c: JSON with comments, duplicate names
 * refused, line numbers found afterwards), which config_load runs on a file
 * an operator wrote. Input: the file's bytes, in a buffer of exactly that
 * size (so that a read past the end is caught). Checks that a refusal says
 * why, and that the line of every member (up to four levels down) is within
 * the file.
 *   ./fuzz-jsonc tests/fuzz/corpus/jsonc
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/jsonc.h"

#define MAX_DEPTH 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Looks up the line of each member below node, its path so far in path[0..n),
 * and aborts on a line outside the file's [1, lines]. */
static void check_lines(const jsonc_doc *doc, const cJSON *node,
                        const char **path, int n, int lines)
{
  if(n == MAX_DEPTH || !cJSON_IsObject(node))
    return;
  for(const cJSON *m = node->child; m; m = m->next) {
    path[n] = m->string;
    int line = jsonc_line(doc, path, n + 1);
    if(line < 0 || line > lines)
      abort();
    check_lines(doc, m, path, n + 1, lines);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *buf = malloc(size ? size : 1);
  char err[256] = "";
  const char *path[MAX_DEPTH];
  jsonc_doc doc;
  if(!buf)
    return 0;
  if(size)
    memcpy(buf, data, size);
  if(jsonc_parse(buf, size, &doc, err, sizeof(err)) == 0) {
    int lines = 1;
    for(size_t i = 0; i < size; i++)
      lines += buf[i] == '\n';
    if(!doc.root)
      abort();
    check_lines(&doc, doc.root, path, 0, lines);
    jsonc_free(&doc);
  }
  else if(!err[0] || doc.root || doc.text) {
    abort();
  }
  free(buf);
  return 0;
}
