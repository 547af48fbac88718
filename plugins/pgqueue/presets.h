/* SPDX-License-Identifier: Apache-2.0 */
/*
 * presets.h: how pgqueue reads each job-queue library's own tables.
 *
 * Every preset builds one read-only SELECT that returns a single row with
 * the columns of pgq_col, from the library's real tables and states (see
 * presets.c for the source file and version each one follows). Window
 * parameters: $1 window seconds, $2 the previous run's DB time (epoch
 * seconds, or NULL on a first run), then preset-specific parameters.
 */
#ifndef PLUGINS_PGQUEUE_PRESETS_H
#define PLUGINS_PGQUEUE_PRESETS_H

#include <libpq-fe.h>

/* Columns of every preset's row, in order. NULL where not applicable. */
enum pgq_col {
  PGQ_NOW,             /* DB time, epoch seconds */
  PGQ_DEPTH,           /* jobs due and waiting for a worker */
  PGQ_IN_FLIGHT,       /* jobs being worked */
  PGQ_SCHEDULED,       /* jobs waiting for a future time (incl. retries) */
  PGQ_OLDEST_AGE,      /* seconds the oldest due job has been due */
  PGQ_FAILED_WIN,      /* failures with a timestamp inside the window */
  PGQ_COMPLETED_WIN,   /* completions with a timestamp inside the window */
  PGQ_FAILED_SINCE,    /* failures since the previous run ($2) */
  PGQ_COMPLETED_SINCE, /* completions since the previous run */
  PGQ_LAST_DONE_AGE,   /* seconds since the newest completion on record */
  PGQ_LIVE,            /* rows in the table (derived presets) */
  PGQ_MAX_ID,          /* id sequence high-water mark (derived presets) */
  PGQ_POISON,          /* pgmq: messages read poison_reads times or more */
  PGQ_NCOLS
};

/* What a preset needs from the settings. */
typedef struct pgq_conf {
  const char *schema;         /* NULL: the library's default */
  const char *table;          /* generic: the table; pgmq: unused */
  const char *queue;          /* pgmq: queue name; others: optional filter */
  const char *status_column;  /* generic */
  const char *created_column; /* generic: when a job was enqueued */
  const char *updated_column; /* generic: when its status last changed */
  const char *run_at_column;  /* generic: when it becomes due (optional) */
  const char
      *pending_values; /* generic: Postgres text[] literals, e.g. {a,b} */
  const char *running_values;
  const char *failed_values;
  const char *done_values;
  long long poison_reads; /* pgmq */
} pgq_conf;

/* A built query: SQL, parameters ($1 and $2 are filled by the caller). */
typedef struct pgq_query {
  char *sql;
  char *relation;        /* the main table, for the result's target */
  const char *params[8]; /* params[0], params[1] set by the caller */
  int nparams;
  int derived_completions; /* completions come from rows leaving the table */
  int derived_failures;    /* failures come from growth of PGQ_POISON */
  const char *note;        /* how completions/failures are counted */
  char *owned[4];          /* strings params point into */
} pgq_query;

/* 0 and a filled query, or -1 with a message in err. May run catalog
   queries (read-only) to pick between library versions. */
int pgq_build(PGconn *conn, const char *preset, const pgq_conf *conf,
              pgq_query *q, char *err, size_t errlen);
void pgq_query_free(pgq_query *q);

/* 1 when name is a known preset. */
int pgq_preset_known(const char *name);

#endif
