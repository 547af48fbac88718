/* SPDX-License-Identifier: Apache-2.0 */
/*
 * phttp-get.c: a command-line driver of phttp_fetch for the integration
 * test tests/integration/phttp-fetch.sh (and for poking at servers by hand).
 *   phttp-get [-X POST] [-d BODY] [-t TIMEOUT_S] [-m MAX_BYTES] [-H HDR]... URL
 * Prints "code=<phttp_strerror> status=<n> len=<n> elapsed=<s>" on one line,
 * then "error=<text>" and, with -b, the body. Exits with the phttp_code.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugins/common/phttp.h"

int main(int argc, char **argv)
{
  phttp_request q = {.method = "GET", .timeout_s = 10};
  const char *headers[9] = {"Content-Type: application/json", NULL};
  int opt, show_body = 0, nh = 1;
  while((opt = getopt(argc, argv, "X:d:t:m:bH:")) != -1) {
    switch(opt) {
    case 'H':
      if(nh == 8)
        return 64;
      headers[nh++] = optarg;
      break;
    case 'X': q.method = optarg; break;
    case 'd':
      q.body = optarg;
      q.body_len = strlen(optarg);
      break;
    case 't': q.timeout_s = atof(optarg); break;
    case 'm': q.max_bytes = (size_t)strtoull(optarg, NULL, 10); break;
    case 'b': show_body = 1; break;
    default: return 64;
    }
  }
  if(optind != argc - 1) {
    fprintf(
        stderr,
        "usage: phttp-get [-X POST] [-d BODY] [-t S] [-m BYTES] [-b] [-H HDR]... URL\n");
    return 64;
  }
  q.url = argv[optind];
  q.headers = headers;
  phttp_response r;
  phttp_code c = phttp_fetch(&q, &r);
  printf("code=%s status=%ld len=%zu elapsed=%.2f\n", phttp_strerror(c),
         r.status, r.len, r.elapsed_s);
  printf("error=%s\n", r.error);
  if(show_body)
    fwrite(r.body, 1, r.len, stdout);
  phttp_response_free(&r);
  return (int)c;
}
