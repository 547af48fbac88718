/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsonc.h: configuration files are JSON with // and / * * / comments. This
 * module strips the comments (keeping every newline, so positions stay
 * true), parses with cJSON, refuses duplicate member names, and finds the
 * line of any member afterwards, so that every configuration error can
 * name file and line.
 */
#ifndef AGENT_JSONC_H
#define AGENT_JSONC_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct jsonc_doc {
  cJSON *root;
  char *text; /* the comment-free text, for jsonc_line */
} jsonc_doc;

/* Parses text[0..len). On error returns -1 and writes "line L, column C:
 * what" into err. */
int jsonc_parse(const char *text, size_t len, jsonc_doc *doc, char *err,
                size_t errlen);
void jsonc_free(jsonc_doc *doc);

/* Line (1-based) of the member named by path[0..n) (object member names),
 * or 0 when not found. */
int jsonc_line(const jsonc_doc *doc, const char *const *path, int n);

#endif
