/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lines.h: reading the agent's JSON lines for probe-report: a bounded line
 * reader over plain or gzip files (or standard input), and the parse of one
 * line into the fields the report uses. Kept apart from the aggregation so
 * the libFuzzer target (tests/fuzz/fuzz-report-lines.c) reaches all of it.
 */
#ifndef PROBE_REPORT_LINES_H
#define PROBE_REPORT_LINES_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Longest line kept; longer ones are skipped whole, never buffered. */
#define RL_MAX_LINE (1024 * 1024)
/* Longest line skipped: past it the input is no log at all (/dev/zero, a
 * disk image) and reading stops with RL_ERR instead of going on forever. */
#define RL_MAX_SKIP (256ull * 1024 * 1024)
/* Most bytes read from one input (after decompression): a bound on a
 * gzip bomb or an endless stream. */
#define RL_MAX_INPUT (64ull * 1024 * 1024 * 1024)

enum { RL_EOF = 0, RL_LINE = 1, RL_LONG = 2, RL_ERR = -1 };

typedef struct rl_reader rl_reader;

/* Opens PATH ("-" is standard input); NULL with errno set. */
rl_reader *rl_open(const char *path);
/* Reads FD (taken over: rl_close closes it); NULL on ENOMEM, FD left open. */
rl_reader *rl_open_fd(int fd);
/* Next line (without its newline) in line and len, valid until the next
 * call. RL_LINE, RL_LONG (a line over RL_MAX_LINE was skipped), RL_EOF,
 * or RL_ERR (rl_error says why; the lines before it were returned). */
int rl_next(rl_reader *r, const char **line, size_t *len);
const char *rl_error(const rl_reader *r);
/* Lowers the two bounds above for r (0 keeps one): for tests. */
void rl_set_limits(rl_reader *r, unsigned long long max_skip,
                   unsigned long long max_input);
void rl_close(rl_reader *r);

/* Statuses in the order of severity used for "worst". */
enum { ST_OK = 0, ST_WARNING = 1, ST_UNKNOWN = 2, ST_CRITICAL = 3 };

typedef struct {
  double ts;                                   /* seconds since the epoch */
  int status;                                  /* ST_* */
  const char *host, *check, *target, *summary; /* "" when absent */
  const cJSON *metrics, *details, *labels;     /* NULL when absent */
  cJSON *root;
} rl_record;

enum { RP_OK = 0, RP_BAD_UTF8 = 1, RP_NOT_JSON = 2, RP_NOT_AGENT = 3 };

/* Parses one line; RP_OK fills *rec (free it with rl_record_free). */
int rl_parse(const char *line, size_t len, rl_record *rec);
void rl_record_free(rl_record *rec);
/* A metric of the record, or NAN. */
double rl_metric(const rl_record *rec, const char *name);

/* RFC 3339 time ("2026-11-28T12:00:00.123Z", "+01:00" offsets) to epoch
 * seconds; 0 on success. */
int rl_parse_time(const char *s, double *out);

#endif
