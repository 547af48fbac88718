/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cjudge.h: the config plugin's judge, kept apart from the reading so the
 * unit tests link it alone: what one expectation wants (equals, one_of,
 * absent), what was found where, and the pure function that says whether
 * it matched and with which status and summary.
 */
#ifndef PLUGINS_CONFIG_CJUDGE_H
#define PLUGINS_CONFIG_CJUDGE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "probe-plugin.h"

#define CJUDGE_SHOW_MAX 120

/* What an expectation wants. */
typedef enum { CJ_EQUALS, CJ_ONE_OF, CJ_ABSENT } cjudge_want;

typedef struct cjudge_expect {
  const char *label; /* its name, else its key */
  cjudge_want kind;
  const cJSON *equals; /* CJ_EQUALS: a string, number or boolean */
  const cJSON *one_of; /* CJ_ONE_OF: a non-empty array of them */
  int secret;          /* never show the value */
} cjudge_expect;

/* What was found for it. */
typedef struct cjudge_found {
  int present;
  const char *text;  /* the value as text (strings bare, other JSON as JSON) */
  const cJSON *json; /* the JSON value (JSON sources), else NULL */
  const char *where; /* file or redacted URL */
  unsigned line;     /* 0 when not known */
  unsigned dups;     /* earlier assignments (env files) */
  unsigned first_line;
} cjudge_found;

typedef struct cjudge_verdict {
  probe_status st; /* ok or critical */
  int matched;
  char text[2048]; /* room for every part at its bound */
} cjudge_verdict;

/* Judges one expectation against what was found: no I/O, no host call. */
void cjudge_value(const cjudge_expect *x, const cjudge_found *f,
                  cjudge_verdict *out);

/* A printable, bounded copy of s (control characters as '?', "..." when
 * cut, never inside a UTF-8 sequence). */
void cjudge_show(const char *s, char *out, size_t n);

#endif
