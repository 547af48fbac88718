/*
 * jsonc.c: JSON with comments, with line numbers for errors (see jsonc.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonc.h"

/* Replaces comments by spaces (newlines kept). Returns -1 on an
 * unterminated block comment, storing its start offset in *bad. */
static int strip_comments(char *s, size_t len, size_t *bad)
{
  size_t i = 0;
  while(i < len) {
    char c = s[i];
    if(c == '"') {
      i++;
      while(i < len && s[i] != '"') {
        if(s[i] == '\\' && i + 1 < len)
          i++;
        i++;
      }
      i++;
      continue;
    }
    if(c == '/' && i + 1 < len && s[i + 1] == '/') {
      while(i < len && s[i] != '\n')
        s[i++] = ' ';
      continue;
    }
    if(c == '/' && i + 1 < len && s[i + 1] == '*') {
      size_t start = i;
      s[i++] = ' ';
      s[i++] = ' ';
      while(i < len && !(s[i] == '*' && i + 1 < len && s[i + 1] == '/')) {
        if(s[i] != '\n')
          s[i] = ' ';
        i++;
      }
      if(i >= len) {
        *bad = start;
        return -1;
      }
      s[i++] = ' ';
      s[i++] = ' ';
      continue;
    }
    i++;
  }
  return 0;
}

/* Line and column of offset off in s. */
static void position(const char *s, size_t off, int *line, int *col)
{
  *line = 1;
  *col = 1;
  for(size_t i = 0; i < off && s[i]; i++) {
    if(s[i] == '\n') {
      (*line)++;
      *col = 1;
    }
    else
      (*col)++;
  }
}

/* Finds a member name used twice in one object, anywhere in the tree. */
static const cJSON *find_duplicate(const cJSON *node)
{
  for(const cJSON *c = node ? node->child : NULL; c; c = c->next) {
    if(cJSON_IsObject(node))
      for(const cJSON *d = c->next; d; d = d->next)
        if(c->string && d->string && !strcmp(c->string, d->string))
          return d;
    const cJSON *inner = find_duplicate(c);
    if(inner)
      return inner;
  }
  return NULL;
}

int jsonc_parse(const char *text, size_t len, jsonc_doc *doc, char *err,
                size_t errlen)
{
  int line, col;
  size_t bad;
  doc->root = NULL;
  doc->text = malloc(len + 1);
  if(!doc->text) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(doc->text, text, len);
  doc->text[len] = '\0';
  if(strlen(doc->text) != len) {
    position(doc->text, strlen(doc->text), &line, &col);
    snprintf(err, errlen, "line %d, column %d: NUL byte in the file", line, col);
    goto err;
  }
  if(strip_comments(doc->text, len, &bad) < 0) {
    position(doc->text, bad, &line, &col);
    snprintf(err, errlen, "line %d, column %d: unterminated /* comment", line, col);
    goto err;
  }
  const char *end = NULL;
  /* len + 1: cJSON wants the terminating NUL inside the length */
  doc->root = cJSON_ParseWithLengthOpts(doc->text, len + 1, &end, 1);
  if(!doc->root) {
    size_t off = end ? (size_t)(end - doc->text) : 0;
    const char *ep = cJSON_GetErrorPtr();
    if(ep && ep >= doc->text && ep <= doc->text + len)
      off = (size_t)(ep - doc->text);
    position(doc->text, off, &line, &col);
    snprintf(err, errlen, "line %d, column %d: not valid JSON near '%.20s'",
             line, col, doc->text + off);
    goto err;
  }
  const cJSON *dup = find_duplicate(doc->root);
  if(dup) {
    snprintf(err, errlen, "member \"%s\" appears twice in one object", dup->string);
    goto err;
  }
  return 0;
err:
  jsonc_free(doc);
  return -1;
}

void jsonc_free(jsonc_doc *doc)
{
  cJSON_Delete(doc->root);
  free(doc->text);
  doc->root = NULL;
  doc->text = NULL;
}

/* A cursor over comment-free, already valid JSON. */
typedef struct walker {
  const char *p;
  int line;
} walker;

static void skip_ws(walker *w)
{
  while(*w->p == ' ' || *w->p == '\t' || *w->p == '\r' || *w->p == '\n') {
    if(*w->p == '\n')
      w->line++;
    w->p++;
  }
}

/* Skips a string at w->p ('"'), returning its raw contents. */
static void skip_string(walker *w, const char **start, size_t *len)
{
  w->p++;
  *start = w->p;
  while(*w->p && *w->p != '"') {
    if(*w->p == '\\' && w->p[1])
      w->p++;
    w->p++;
  }
  *len = (size_t)(w->p - *start);
  if(*w->p)
    w->p++;
}

/* Walks one value; when path (n > 0) matches a member inside it, returns
 * the member's line. */
static int walk_value(walker *w, const char *const *path, int n)
{
  skip_ws(w);
  if(*w->p == '{') {
    w->p++;
    for(;;) {
      skip_ws(w);
      if(*w->p == '}' || !*w->p) {
        if(*w->p)
          w->p++;
        return 0;
      }
      if(*w->p == ',') {
        w->p++;
        continue;
      }
      const char *key;
      size_t klen;
      int kline = w->line;
      skip_string(w, &key, &klen);
      skip_ws(w);
      if(*w->p == ':')
        w->p++;
      int match = n > 0 && strlen(path[0]) == klen && !memcmp(path[0], key, klen);
      if(match && n == 1)
        return kline;
      int found = walk_value(w, match ? path + 1 : NULL, match ? n - 1 : 0);
      if(found)
        return found;
    }
  }
  if(*w->p == '[') {
    w->p++;
    for(;;) {
      skip_ws(w);
      if(*w->p == ']' || !*w->p) {
        if(*w->p)
          w->p++;
        return 0;
      }
      if(*w->p == ',') {
        w->p++;
        continue;
      }
      walk_value(w, NULL, 0);
    }
  }
  if(*w->p == '"') {
    const char *s;
    size_t l;
    skip_string(w, &s, &l);
    return 0;
  }
  while(*w->p && !strchr(",}] \t\r\n", *w->p))
    w->p++;
  return 0;
}

int jsonc_line(const jsonc_doc *doc, const char *const *path, int n)
{
  if(!doc || !doc->text || n <= 0)
    return 0;
  walker w = {doc->text, 1};
  return walk_value(&w, path, n);
}
