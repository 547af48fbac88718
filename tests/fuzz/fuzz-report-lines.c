/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-report-lines.c: libFuzzer target for probe-report's input: the
 * bounded line reader (plain or gzip, report/lines.c), the parse of each
 * line and the streaming aggregation it feeds (report/agg.c), then the
 * end of input. The input is the file's content as is.
 *   ./fuzz-report-lines tests/fuzz/corpus/report-lines
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "report/agg.h"
#include "report/lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  int fd = memfd_create("fuzz-report-lines", MFD_CLOEXEC);
  if(fd < 0)
    return 0;
  if(write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
    close(fd);
    return 0;
  }
  rl_reader *r = rl_open_fd(fd);
  if(!r) {
    close(fd);
    return 0;
  }
  /* an open range (the axis grows) when the first byte is even, else a
   * fixed one over the generator's 72 hours */
  agg *a = size && (data[0] & 1) ? agg_new(1795824000.0, 1796083200.0)
                                 : agg_new(NAN, NAN);
  if(a) {
    (void)agg_add_label(a, "env=prod");
    const char *l;
    size_t n;
    int rc;
    while((rc = rl_next(r, &l, &n)) > 0) {
      if(rc == RL_LONG)
        agg_too_long(a);
      else
        agg_line(a, l, n);
    }
    agg_finish(a);
    agg_free(a);
  }
  rl_close(r);
  return 0;
}
