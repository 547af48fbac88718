/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lsrc.c: streaming ledger event source (see lsrc.h). Files are read
 * through one buffer that only grows for a line longer than it (never past
 * max_line); tables are streamed in libpq single-row mode, one row held at
 * a time.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <libpq-fe.h>

#include "lib/redact.h"
#include "plugins/common/lsrc.h"
#include "plugins/common/ppg.h"

#define LSRC_BUF (256u << 10)
/* A mapping's pages are let go in steps of this much: each release is an
 * madvise whose TLB shootdown interrupts every core the process runs on,
 * and per 128 KiB batch those cost 7% of a run's CPU time. */
#define RELEASE_STEP (2u << 20)
#define LSRC_MAX_LINE ((size_t)16 << 20)

enum { K_FD, K_GZ, K_TABLE };

struct lsrc {
  int kind;
  int fd;
  int own_fd;
  gzFile gz;
  int64_t size; /* plain regular file size, else -1 */
  char *buf;
  size_t cap, start, end, scan; /* data is buf[start..end); no '\n' in
                                   buf[start..scan) */
  int eof;
  uint64_t pos;  /* stream offset of buf[start] */
  uint64_t line; /* number of the last line returned */
  size_t max_line;
  PGconn *conn;
  PGresult *res;
  uint64_t bytes;  /* table: sum of row lengths */
  int64_t rows;    /* table: the planner's row estimate, -1 unknown */
  int mapped;      /* buf is a read-only mapping of the whole file */
  size_t released; /* mapping: pages below this offset were released */
  int slot;        /* mapping: its entry in maps[] */
  int keep;        /* mapping: the caller keeps views (lsrc_keep_views) */
  char err[256];
};

/* --- mappings --------------------------------------------------------------
 * A plain regular file is mapped whole, and its events are views into the
 * mapping (no copy from the kernel's page cache into a buffer, nor from
 * there into the verifier's batches). A file truncated under us makes a
 * read of a page past its new end raise SIGBUS: the handler maps zeros
 * over the rest of that mapping and marks it, so the faulting read goes on
 * (in whichever thread it was), and the source then reports a read error
 * (the verdict is unknown) instead of the process dying. A SIGBUS outside
 * every mapping goes to the handler there was before. */
#define MAX_MAPS 8
static struct {
  char *volatile base;
  volatile size_t len;
  volatile sig_atomic_t hit;
} maps[MAX_MAPS];
static pthread_mutex_t maps_mu = PTHREAD_MUTEX_INITIALIZER;
static int maps_used;
static struct sigaction old_bus;

/* SIGBUS: zeros over the rest of the mapping hit, or the old handler. */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
  char *a = si->si_addr;
  long pg = sysconf(_SC_PAGESIZE);
  for(int i = 0; i < MAX_MAPS; i++) {
    char *b = maps[i].base;
    if(b && a >= b && a < b + maps[i].len) {
      char *from = b + ((size_t)(a - b) & ~((size_t)pg - 1));
      maps[i].hit = 1;
      if(mmap(from, (size_t)(b + maps[i].len - from), PROT_READ,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED)
        return;
    }
  }
  if(old_bus.sa_flags & SA_SIGINFO)
    old_bus.sa_sigaction(sig, si, uc);
  else if(old_bus.sa_handler != SIG_IGN && old_bus.sa_handler != SIG_DFL)
    old_bus.sa_handler(sig);
  else {
    signal(SIGBUS, SIG_DFL); /* the fault recurs, and kills as it would */
  }
}

/* Enters a mapping in maps[] (the handler is set for the first one).
 * The slot, or -1 when all are taken (the caller reads instead). */
static int map_register(char *base, size_t len)
{
  int slot = -1;
  pthread_mutex_lock(&maps_mu);
  for(int i = 0; i < MAX_MAPS && slot < 0; i++)
    if(!maps[i].base)
      slot = i;
  if(slot >= 0 && maps_used == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if(sigaction(SIGBUS, &sa, &old_bus) != 0)
      slot = -1;
  }
  if(slot >= 0) {
    maps[slot].hit = 0;
    maps[slot].len = len;
    maps[slot].base = base;
    maps_used++;
  }
  pthread_mutex_unlock(&maps_mu);
  return slot;
}

/* Removes a mapping from maps[]; the last one puts the old handler back
 * (the plugin's code may be unloaded after). */
static void map_unregister(int slot)
{
  pthread_mutex_lock(&maps_mu);
  maps[slot].base = NULL;
  if(--maps_used == 0)
    sigaction(SIGBUS, &old_bus, NULL);
  pthread_mutex_unlock(&maps_mu);
}

/* Maps the plain regular file s->fd (size bytes) for reading from
 * offset start. 0, or -1 when it cannot be (the caller reads instead). */
static int map_file(lsrc *s, uint64_t start)
{
  char *m;
  if(s->size <= 0 || (uint64_t)s->size > SIZE_MAX)
    return -1;
  m = mmap(NULL, (size_t)s->size, PROT_READ, MAP_SHARED, s->fd, 0);
  if(m == MAP_FAILED)
    return -1;
  if((s->slot = map_register(m, (size_t)s->size)) < 0) {
    munmap(m, (size_t)s->size);
    return -1;
  }
  madvise(m, (size_t)s->size, MADV_SEQUENTIAL);
  s->mapped = 1;
  s->buf = m;
  s->cap = s->end = (size_t)s->size;
  s->start = s->scan = s->released = (size_t)start;
  s->eof = 1;
  return 0;
}

int lsrc_truncated(const lsrc *s)
{
  return s->mapped && maps[s->slot].hit;
}

int lsrc_keep_views(lsrc *s)
{
  s->keep = s->mapped;
  return s->mapped;
}

void lsrc_release(lsrc *s, uint64_t upto)
{
  size_t pg = (size_t)sysconf(_SC_PAGESIZE), to;
  if(!s->mapped || upto > s->end)
    return;
  to = (size_t)upto & ~(pg - 1);
  if(to <= (s->released & ~(pg - 1)) ||
     (to - (s->released & ~(pg - 1)) < RELEASE_STEP && upto < s->end))
    return;
  /* the pages stay in the page cache: only this process's hold goes */
  madvise(s->buf + (s->released & ~(pg - 1)), to - (s->released & ~(pg - 1)),
          MADV_DONTNEED);
  s->released = to;
}

lsrc_code lsrc_next_span(lsrc *s, size_t want, lsrc_span *sp)
{
  size_t left = s->end - s->start, len;
  if(!s->mapped || !s->keep)
    return LSRC_ERR_READ;
  if(lsrc_truncated(s)) {
    snprintf(s->err, sizeof(s->err), "the file was truncated while read");
    return LSRC_ERR_READ;
  }
  if(left == 0)
    return LSRC_EOF;
  sp->text = s->buf + s->start;
  sp->offset = s->pos;
  sp->at_end = 1;
  len = left;
  if(want == 0)
    want = 1;
  if(want < left) {
    /* to the first newline from byte want-1 on, looked for over at most
     * max_line + 1 bytes: not finding one there means the line holding
     * byte want-1 is too long, and the span may end inside it */
    size_t from = s->start + want - 1, look = s->end - from;
    const char *nl;
    if(look > s->max_line + 1)
      look = s->max_line + 1;
    nl = memchr(s->buf + from, '\n', look);
    if(nl) {
      len = (size_t)(nl + 1 - sp->text);
      sp->at_end = len == left;
    }
    else if(from + look < s->end) {
      len = from + look - s->start;
      sp->at_end = 0;
    }
  }
  sp->len = len;
  s->start += len;
  s->scan = s->start;
  s->pos += len;
  return LSRC_OK;
}

size_t lsrc_max_line(const lsrc *s)
{
  return s->max_line;
}

const char *lsrc_strerror(lsrc_code c)
{
  switch(c) {
  case LSRC_OK: return "ok";
  case LSRC_EOF: return "end of ledger";
  case LSRC_ERR_OPEN: return "cannot open source";
  case LSRC_ERR_READ: return "read error";
  case LSRC_ERR_TOO_LONG: return "line too long";
  case LSRC_ERR_QUERY: return "query failed";
  case LSRC_ERR_SEEK: return "resume offset beyond the end";
  case LSRC_ERR_NOMEM: return "out of memory";
  }
  return "unknown error";
}

/* Ends with suffix? */
static int ends_with(const char *s, const char *suffix)
{
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Reads up to n bytes into p; returns the count, 0 at EOF, -1 on error. */
static ssize_t src_read(lsrc *s, char *p, size_t n)
{
  if(s->kind == K_GZ) {
    int r;
    if(n > (1u << 30))
      n = 1u << 30;
    r = gzread(s->gz, p, (unsigned)n);
    if(r <= 0 || gzeof(s->gz)) {
      /* a truncated stream reads as data, then end of file with
       * Z_BUF_ERROR: that is an error, not the end of the ledger */
      int zerr = Z_OK;
      const char *m = gzerror(s->gz, &zerr);
      if(r < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
        snprintf(s->err, sizeof(s->err), "gzip: %s",
                 m && *m ? m : "corrupt stream");
        return -1;
      }
    }
    return r;
  }
  for(;;) {
    ssize_t r = read(s->fd, p, n);
    if(r < 0 && errno == EINTR)
      continue;
    if(r < 0)
      snprintf(s->err, sizeof(s->err), "read: %s", strerror(errno));
    return r;
  }
}

/* Skips n bytes by reading (stdin, or when lseek is not possible). */
static lsrc_code skip_bytes(lsrc *s, uint64_t n)
{
  while(n > 0) {
    size_t want = n < s->cap ? (size_t)n : s->cap;
    ssize_t r = src_read(s, s->buf, want);
    if(r < 0)
      return LSRC_ERR_READ;
    if(r == 0) {
      snprintf(s->err, sizeof(s->err),
               "resume offset beyond the end of the ledger");
      return LSRC_ERR_SEEK;
    }
    n -= (uint64_t)r;
  }
  return LSRC_OK;
}

/* Opens a file source. */
static lsrc_code open_file(lsrc *s, const lsrc_options *opt)
{
  struct stat st;
  const char *path = opt->source;
  if(strcmp(path, "-") == 0) {
    s->fd = 0;
    s->own_fd = 0;
  }
  else {
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if(s->fd < 0) {
      snprintf(s->err, sizeof(s->err), "%s: %s", path, strerror(errno));
      return LSRC_ERR_OPEN;
    }
    s->own_fd = 1;
  }
  s->size = -1;
  if(fstat(s->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    snprintf(s->err, sizeof(s->err), "%s: is a directory", path);
    return LSRC_ERR_OPEN;
  }
  s->kind = K_FD;
  if(ends_with(path, ".gz")) {
    int fd2 = dup(s->fd);
    if(fd2 < 0) {
      snprintf(s->err, sizeof(s->err), "%s: %s", path, strerror(errno));
      return LSRC_ERR_OPEN;
    }
    s->gz = gzdopen(fd2, "rb");
    if(!s->gz) {
      close(fd2);
      snprintf(s->err, sizeof(s->err), "%s: cannot open gzip stream", path);
      return LSRC_ERR_OPEN;
    }
    gzbuffer(s->gz, 256u << 10);
    s->kind = K_GZ;
  }
  else if(S_ISREG(st.st_mode))
    s->size = (int64_t)st.st_size;
  if(s->kind == K_FD && opt->start_offset <= (uint64_t)s->size &&
     map_file(s, opt->start_offset) == 0) {
    s->pos = opt->start_offset;
    s->line = opt->start_line > 0 ? opt->start_line - 1 : 0;
    return LSRC_OK;
  }
  s->cap = LSRC_BUF;
  s->buf = malloc(s->cap);
  if(!s->buf)
    return LSRC_ERR_NOMEM;
  if(opt->start_offset > 0) {
    lsrc_code c;
    if(s->kind == K_FD && s->size >= 0) {
      if(opt->start_offset > (uint64_t)s->size) {
        snprintf(s->err, sizeof(s->err),
                 "resume offset beyond the end of the ledger");
        return LSRC_ERR_SEEK;
      }
      if(lseek(s->fd, (off_t)opt->start_offset, SEEK_SET) < 0) {
        snprintf(s->err, sizeof(s->err), "%s: seek: %s", path, strerror(errno));
        return LSRC_ERR_READ;
      }
    }
    else if((c = skip_bytes(s, opt->start_offset)) != LSRC_OK)
      return c;
    s->pos = opt->start_offset;
    s->line = opt->start_line > 0 ? opt->start_line - 1 : 0;
  }
  return LSRC_OK;
}

/* Opens a table source: connects, finds the order, starts the query. */
static lsrc_code open_table(lsrc *s, const lsrc_options *opt)
{
  const char *table = opt->table && *opt->table ? opt->table : "ledger_events";
  const char *column = opt->column && *opt->column ? opt->column : "event";
  char *qt = NULL, *qc = NULL, *sql = NULL, *order = NULL;
  PGresult *r = NULL;
  const char *params[2];
  char seqbuf[32], tobuf[32];
  int has_seq = 0, np = 0;
  size_t n;
  lsrc_code code = LSRC_ERR_QUERY;

  s->kind = K_TABLE;
  s->size = -1;
  s->conn = ppg_connect_pwfile(opt->source, opt->password_file,
                               opt->timeout_s > 0 ? opt->timeout_s : 60, s->err,
                               sizeof(s->err));
  if(!s->conn)
    return LSRC_ERR_OPEN;
  qt = ppg_quote_qualified(s->conn, table);
  qc = sym_PQescapeIdentifier(s->conn, column, strlen(column));
  if(!qt || !qc) {
    snprintf(s->err, sizeof(s->err), "invalid table or column name");
    goto err;
  }
  params[0] = qt;
  r = sym_PQexecParams(
      s->conn,
      "SELECT to_regclass($1) IS NOT NULL, EXISTS (SELECT 1 FROM "
      "pg_attribute WHERE attrelid = to_regclass($1) AND attname "
      "= 'seq' AND attnum > 0 AND NOT attisdropped), (SELECT "
      "CASE WHEN reltuples > 0 THEN reltuples::bigint ELSE "
      "pg_stat_get_live_tuples(oid) END FROM pg_class WHERE "
      "oid = to_regclass($1))",
      1, NULL, params, NULL, NULL, 0);
  if(sym_PQresultStatus(r) != PGRES_TUPLES_OK || sym_PQntuples(r) != 1) {
    ppg_error(s->conn, r, s->err, sizeof(s->err));
    goto err;
  }
  if(strcmp(sym_PQgetvalue(r, 0, 0), "t") != 0) {
    snprintf(s->err, sizeof(s->err), "table %s does not exist", qt);
    goto err;
  }
  has_seq = strcmp(sym_PQgetvalue(r, 0, 1), "t") == 0;
  if(!sym_PQgetisnull(r, 0, 2))
    s->rows = strtoll(sym_PQgetvalue(r, 0, 2), NULL, 10);
  sym_PQclear(r);
  r = NULL;
  n = 2 * strlen(qc) + 128;
  order = malloc(n);
  if(!order) {
    code = LSRC_ERR_NOMEM;
    goto err;
  }
  if(has_seq)
    snprintf(order, n, "\"seq\"");
  else
    snprintf(order, n,
             "(CASE WHEN (%s->>'seq') ~ '^-?[0-9]{1,18}$' THEN (%s->>'seq')"
             "::bigint END)",
             qc, qc);
  n = strlen(qc) + strlen(qt) + 3 * strlen(order) + 160;
  sql = malloc(n);
  if(!sql) {
    code = LSRC_ERR_NOMEM;
    goto err;
  }
  if(opt->from_seq > 0 && opt->to_seq > 0) {
    snprintf(seqbuf, sizeof(seqbuf), "%" PRId64, opt->from_seq);
    snprintf(tobuf, sizeof(tobuf), "%" PRId64, opt->to_seq);
    params[0] = seqbuf;
    params[1] = tobuf;
    np = 2;
    snprintf(sql, n,
             "SELECT %s::text FROM %s WHERE %s >= $1::bigint AND %s <= "
             "$2::bigint ORDER BY %s NULLS LAST",
             qc, qt, order, order, order);
  }
  else if(opt->from_seq > 0) {
    snprintf(seqbuf, sizeof(seqbuf), "%" PRId64, opt->from_seq);
    params[0] = seqbuf;
    np = 1;
    snprintf(
        sql, n,
        "SELECT %s::text FROM %s WHERE %s >= $1::bigint ORDER BY %s NULLS LAST",
        qc, qt, order, order);
  }
  else
    snprintf(sql, n, "SELECT %s::text FROM %s ORDER BY %s NULLS LAST", qc, qt,
             order);
  if(!sym_PQsendQueryParams(s->conn, sql, np, NULL, params, NULL, NULL, 0) ||
     !sym_PQsetSingleRowMode(s->conn)) {
    ppg_error(s->conn, NULL, s->err, sizeof(s->err));
    goto err;
  }
  code = LSRC_OK;
err:
  sym_PQclear(r);
  sym_PQfreemem(qc);
  free(qt);
  free(order);
  free(sql);
  return code;
}

lsrc_code lsrc_open(const lsrc_options *opt, lsrc **out, char *err,
                    size_t errlen)
{
  lsrc *s;
  lsrc_code c;
  *out = NULL;
  if(!opt->source || !*opt->source) {
    snprintf(err, errlen, "no ledger source given");
    return LSRC_ERR_OPEN;
  }
  s = calloc(1, sizeof(*s));
  if(!s) {
    snprintf(err, errlen, "out of memory");
    return LSRC_ERR_NOMEM;
  }
  s->fd = -1;
  s->max_line = opt->max_line ? opt->max_line : LSRC_MAX_LINE;
  if(ppg_looks_like_conninfo(opt->source))
    c = open_table(s, opt);
  else
    c = open_file(s, opt);
  if(c != LSRC_OK) {
    snprintf(err, errlen, "%s", s->err[0] ? s->err : lsrc_strerror(c));
    lsrc_close(s);
    return c;
  }
  *out = s;
  return LSRC_OK;
}

/* Next row of a table source. */
static lsrc_code next_row(lsrc *s, lsrc_event *ev)
{
  PGresult *r;
  if(s->res) {
    sym_PQclear(s->res);
    s->res = NULL;
  }
  if(s->eof)
    return LSRC_EOF;
  r = sym_PQgetResult(s->conn);
  if(!r) {
    s->eof = 1;
    return LSRC_EOF;
  }
  switch(sym_PQresultStatus(r)) {
  case PGRES_SINGLE_TUPLE:
    s->res = r;
    ev->text = sym_PQgetvalue(r, 0, 0);
    ev->len = sym_PQgetisnull(r, 0, 0) ? 0 : (size_t)sym_PQgetlength(r, 0, 0);
    ev->line = ++s->line;
    ev->offset = 0;
    ev->terminated = 1;
    s->bytes += ev->len;
    return LSRC_OK;
  case PGRES_TUPLES_OK:
    sym_PQclear(r);
    while((r = sym_PQgetResult(s->conn)) != NULL)
      sym_PQclear(r);
    s->eof = 1;
    return LSRC_EOF;
  default:
    ppg_error(s->conn, r, s->err, sizeof(s->err));
    sym_PQclear(r);
    while((r = sym_PQgetResult(s->conn)) != NULL)
      sym_PQclear(r);
    s->eof = 1;
    return LSRC_ERR_QUERY;
  }
}

lsrc_code lsrc_next(lsrc *s, lsrc_event *ev)
{
  if(s->kind == K_TABLE)
    return next_row(s, ev);
  for(;;) {
    char *nl = NULL;
    if(s->scan < s->end)
      nl = memchr(s->buf + s->scan, '\n', s->end - s->scan);
    if(s->mapped && !s->keep && s->start - s->released >= RELEASE_STEP)
      lsrc_release(s, s->start); /* the last text returned is done with */
    if(lsrc_truncated(s)) {
      snprintf(s->err, sizeof(s->err), "the file was truncated while read");
      return LSRC_ERR_READ;
    }
    if(nl) {
      size_t len = (size_t)(nl - (s->buf + s->start));
      ev->line = ++s->line;
      ev->offset = s->pos;
      if(len > s->max_line) {
        snprintf(s->err, sizeof(s->err),
                 "line %" PRIu64 " is longer than %zu bytes", ev->line,
                 s->max_line);
        return LSRC_ERR_TOO_LONG;
      }
      ev->text = s->buf + s->start;
      ev->len = len;
      ev->terminated = 1;
      s->start += len + 1;
      s->scan = s->start;
      s->pos += len + 1;
      return LSRC_OK;
    }
    s->scan = s->end;
    if(s->eof) {
      if(s->start < s->end) {
        size_t len = s->end - s->start;
        ev->line = ++s->line;
        ev->offset = s->pos;
        /* a mapped file is at its end from the start: its last line
         * has not met the check below */
        if(len > s->max_line) {
          snprintf(s->err, sizeof(s->err),
                   "line %" PRIu64 " is longer than %zu bytes", ev->line,
                   s->max_line);
          return LSRC_ERR_TOO_LONG;
        }
        ev->text = s->buf + s->start;
        ev->len = len;
        ev->terminated = 0;
        s->start = s->scan = s->end;
        s->pos += len;
        return LSRC_OK;
      }
      return LSRC_EOF;
    }
    if(s->end - s->start > s->max_line) {
      ev->line = s->line + 1;
      ev->offset = s->pos;
      snprintf(s->err, sizeof(s->err),
               "line %" PRIu64 " is longer than %zu bytes", ev->line,
               s->max_line);
      return LSRC_ERR_TOO_LONG;
    }
    /* make room: move the partial line to the front, grow if full */
    if(s->start > 0) {
      size_t keep = s->end - s->start;
      memmove(s->buf, s->buf + s->start, keep);
      s->scan -= s->start;
      s->end = keep;
      s->start = 0;
    }
    if(s->end == s->cap) {
      size_t ncap = s->cap * 2;
      char *nb;
      if(ncap > s->max_line + 2)
        ncap = s->max_line + 2 > s->cap ? s->max_line + 2 : s->cap + 1;
      nb = realloc(s->buf, ncap);
      if(!nb)
        return LSRC_ERR_NOMEM;
      s->buf = nb;
      s->cap = ncap;
    }
    {
      ssize_t r = src_read(s, s->buf + s->end, s->cap - s->end);
      if(r < 0)
        return LSRC_ERR_READ;
      if(r == 0)
        s->eof = 1;
      s->end += (size_t)r;
    }
  }
}

const char *lsrc_error(const lsrc *s)
{
  return s->err;
}

int lsrc_is_table(const lsrc *s)
{
  return s->kind == K_TABLE;
}

uint64_t lsrc_bytes(const lsrc *s)
{
  return s->kind == K_TABLE ? s->bytes : s->pos;
}

int64_t lsrc_file_size(const lsrc *s)
{
  return s->size;
}

/* The table's rows from the catalogue (no scan), for a percent. */
int64_t lsrc_row_estimate(const lsrc *s)
{
  return s->kind == K_TABLE && s->rows > 0 ? s->rows : -1;
}

int64_t lsrc_progress_total(const lsrc *s, uint64_t rows, int64_t from_seq,
                            int64_t to_seq)
{
  int64_t est = lsrc_row_estimate(s);
  if(s->kind != K_TABLE)
    return s->size;
  if(est > 0 && from_seq > 1)
    est -= from_seq - 1;
  if(est > 0 && from_seq > 0 && to_seq >= from_seq &&
     est > to_seq - from_seq + 1)
    est = to_seq - from_seq + 1;
  if(est > 0 && rows > 0 && rows <= (uint64_t)est)
    return (int64_t)((double)s->bytes / (double)rows * (double)est);
  return -1;
}

void lsrc_close(lsrc *s)
{
  if(!s)
    return;
  if(s->res)
    sym_PQclear(s->res);
  if(s->conn)
    sym_PQfinish(s->conn);
  if(s->gz)
    gzclose(s->gz);
  if(s->own_fd && s->fd >= 0)
    close(s->fd);
  if(s->mapped) {
    munmap(s->buf, s->cap);
    map_unregister(s->slot);
  }
  else
    free(s->buf);
  free(s);
}

char *lsrc_target(const lsrc_options *opt)
{
  const char *src = opt->source ? opt->source : "";
  if(ppg_looks_like_conninfo(src)) {
    char *r = redact_target(src), *t;
    const char *table =
        opt->table && *opt->table ? opt->table : "ledger_events";
    const char *column = opt->column && *opt->column ? opt->column : "event";
    size_t n;
    if(!r)
      return NULL;
    n = strlen(r) + strlen(table) + strlen(column) + 4;
    t = malloc(n);
    if(t)
      snprintf(t, n, "%s#%s.%s", r, table, column);
    free(r);
    return t;
  }
  return strdup(strcmp(src, "-") == 0 ? "stdin" : src);
}
