/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lsrc.h: a streaming source of ledger events (format v1, see
 * probe-agent-ledger(7)), for the ledger and anchor plugins.
 *
 * A source is a snapshot file (JSON Lines; plain, gzip when the name ends
 * in ".gz", "-" for standard input) or a PostgreSQL table holding one event
 * per row in a json/jsonb column. lsrc_next yields one event's JSON text at
 * a time with its line (or row) number and byte offset; the ledger is never
 * held whole in memory: a file is read through one buffer (grown only for a
 * line longer than it, up to max_line), a table is streamed in libpq's
 * single-row mode.
 *
 * Table order: by the table's `seq` column when it has one, else by the
 * expression (column->>'seq')::bigint; rows whose seq is not an integer
 * come last, so that one malformed row cannot make the query itself fail
 * (the verifier then meets the gap it leaves). Every identifier is quoted;
 * the session is read-only with timeouts (ppg_connect).
 */
#ifndef PLUGINS_COMMON_LSRC_H
#define PLUGINS_COMMON_LSRC_H

#include <stddef.h>
#include <stdint.h>

typedef enum lsrc_code {
  LSRC_OK = 0,
  LSRC_EOF,          /* no more events */
  LSRC_ERR_OPEN,     /* file or database could not be opened/connected */
  LSRC_ERR_READ,     /* read error, corrupt gzip stream */
  LSRC_ERR_TOO_LONG, /* a line longer than max_line */
  LSRC_ERR_QUERY,    /* the table query failed (no such table, ...) */
  LSRC_ERR_SEEK,     /* start_offset beyond the end of the file */
  LSRC_ERR_NOMEM
} lsrc_code;

typedef struct lsrc_options {
  const char
      *source; /* path, "-", or a conninfo/URI (ppg_looks_like_conninfo) */
  const char *table;  /* table: default "ledger_events"; "schema.table" ok */
  const char *column; /* table: default "event" */
  double timeout_s;   /* table: connect/statement timeout; 0 = 60 */
  size_t max_line;    /* longest event accepted; 0 = 16 MiB */
  /* Resume point. File: byte offset of a line start and the line number
   * of that line (both 0 = from the top). Table: only rows whose seq is at
   * least from_seq (0 = all); row numbers then start at 1 again. */
  uint64_t start_offset;
  uint64_t start_line;
  int64_t from_seq;
  int64_t to_seq; /* table, with from_seq: only rows up to this seq (0 = all) */
  const char *password_file; /* table: ppg_connect_pwfile's (NULL: none) */
} lsrc_options;

typedef struct lsrc_event {
  const char *text; /* the event's JSON, without the line's "\n"; valid
                       until the next lsrc_next or lsrc_close */
  size_t len;
  uint64_t line;   /* 1-based line number (file) or row number (table) */
  uint64_t offset; /* byte offset of the line's start in the uncompressed
                       stream (file); 0 for a table */
  int terminated;  /* 1 when the line ended with "\n" (always 1 for rows);
                       0 only for a last line without it (truncated) */
} lsrc_event;

typedef struct lsrc lsrc;

/* Opens a source. On failure returns an error code, *out stays NULL and err
 * holds a one-line, password-free reason. */
lsrc_code lsrc_open(const lsrc_options *opt, lsrc **out, char *err,
                    size_t errlen);

/* The next event: LSRC_OK with *ev filled, LSRC_EOF at the end, or an error
 * (lsrc_error says what). After LSRC_ERR_TOO_LONG, ev->line and ev->offset
 * name the line that was too long. */
lsrc_code lsrc_next(lsrc *s, lsrc_event *ev);

/* One-line reason of the last error ("" when none). */
const char *lsrc_error(const lsrc *s);

/* 1 when the source is a PostgreSQL table. */
int lsrc_is_table(const lsrc *s);

/* Bytes read so far: file bytes up to the end of the last event returned
 * (uncompressed, counted from offset 0 even when resuming), or the sum of
 * the row texts for a table. */
uint64_t lsrc_bytes(const lsrc *s);

/* Size of the (uncompressed) file when known cheaply: a plain regular
 * file's size; -1 otherwise (gzip, stdin, table). */
int64_t lsrc_file_size(const lsrc *s);

/* A table's row count as the catalogue estimates it (pg_class.reltuples,
 * else the statistics' live rows; no scan): for a progress percent. -1
 * when unknown or not a table. */
int64_t lsrc_row_estimate(const lsrc *s);

/* The total a progress percent is of, in the units of lsrc_bytes: a plain
 * file's size; for a table, the bytes the row estimate (less the rows
 * outside from_seq..to_seq, 0 = no bound) comes to at the mean size of
 * the `rows` read so far, so that the percent is the share of rows read.
 * -1 when unknown (gzip, stdin, no estimate, or one the rows outran). */
int64_t lsrc_progress_total(const lsrc *s, uint64_t rows, int64_t from_seq,
                            int64_t to_seq);

/* Asks that the events' texts stay valid until lsrc_close (or
 * lsrc_release), not only until the next lsrc_next, so that a reader may
 * keep views into them. 1 when they will (a mapped file), 0 when the
 * source cannot (gzip, stdin, table: texts are copies in a buffer). */
int lsrc_keep_views(lsrc *s);

/* A run of whole lines handed out as one view, for a reader that splits
 * the lines itself (and so in parallel). Lines are not numbered: the
 * reader counts them. */
typedef struct lsrc_span {
  const char *text; /* valid as lsrc_keep_views's texts are */
  size_t len;
  uint64_t offset; /* stream offset of text[0] */
  int at_end;      /* the span reaches the end of the file: a last line
                      without "\n" there is a truncated event */
} lsrc_span;

/* After lsrc_keep_views on a mapped file: the next span of about want
 * bytes, ending after the first "\n" at or past want bytes, or at the end
 * of the file. A span that is not at_end and whose last line has no "\n"
 * ends inside a line longer than max_line (so does any line in it longer
 * than max_line: the reader checks). LSRC_EOF when nothing is left,
 * LSRC_ERR_READ when the file was truncated under us. Spans and lsrc_next
 * do not mix on one source (lsrc_next would number lines wrongly). */
lsrc_code lsrc_next_span(lsrc *s, size_t want, lsrc_span *sp);

/* The longest event the source accepts (lsrc_options.max_line resolved). */
size_t lsrc_max_line(const lsrc *s);

/* 1 when the mapped file was found truncated under us: texts read since
 * may hold zeros where the lost bytes were, so no verdict stands. */
int lsrc_truncated(const lsrc *s);

/* After lsrc_keep_views: the texts before stream offset upto are no longer
 * needed, so the process's hold on their pages can go (the resident size
 * stays small over a large file; without lsrc_keep_views, lsrc_next does
 * this itself). No-op for a source that is not mapped. */
void lsrc_release(lsrc *s, uint64_t upto);

/* Closes the source (NULL is fine). */
void lsrc_close(lsrc *s);

/* A malloc'd text naming the source for a result's target: the path, or
 * the conninfo without its password plus "#table.column". */
char *lsrc_target(const lsrc_options *opt);

/* A short English name of a code. */
const char *lsrc_strerror(lsrc_code c);

#endif
