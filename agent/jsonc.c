/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsonc.c: JSON with comments, with line numbers for errors (see jsonc.h).
 */
#include "config.h"

#include <ctype.h>
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

/* 1 when c can start a value. */
static int starts_value(char c)
{
  return c == '"' || c == '{' || c == '[' || c == '-' ||
         (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n';
}

/* A strict JSON syntax check of the comment-free text before cJSON sees
 * it, because cJSON notices a missing comma only at the next token (a
 * comma missing at the end of line 4 came out as line 5 column 3) and
 * stops at vague places otherwise. This one reports the character that is
 * wrong, and the line of a member name given twice in one object. */
/* A member name of the object being checked, as written. */
typedef struct raw_name {
  size_t off, len; /* the name's characters, without the quotes */
} raw_name;

typedef struct checker {
  const char *t;
  size_t len, at;
  size_t bad;           /* offset of the error */
  const char *what;     /* the error, or NULL */
  size_t other;         /* a second offset the message names, or 0 */
  const char *other_is; /* how the message names it */
  raw_name dup;         /* the name given twice, when is_dup */
  int is_dup;
  int oom;
} checker;

#define CHECK_MAX_DEPTH 1000

static int ck_fail(checker *c, size_t off, const char *what)
{
  if(!c->what) {
    c->bad = off;
    c->what = what;
  }
  return -1;
}

static void ck_ws(checker *c)
{
  while(c->at < c->len && (c->t[c->at] == ' ' || c->t[c->at] == '\t' ||
                           c->t[c->at] == '\r' || c->t[c->at] == '\n'))
    c->at++;
}

/* A string at c->at ('"'); stores where its characters are. */
static int ck_string(checker *c, raw_name *name)
{
  size_t open = c->at++;
  while(c->at < c->len && c->t[c->at] != '"') {
    unsigned char ch = (unsigned char)c->t[c->at];
    if(ch < 0x20)
      return ck_fail(
          c, c->at,
          ch == '\n'
              ? "line break inside a string (unterminated string, or write \\n)"
              : "control character inside a string (write it as \\u00XX)");
    if(ch == '\\') {
      char e = c->at + 1 < c->len ? c->t[c->at + 1] : '\0';
      if(e == 'u') {
        for(int i = 2; i < 6; i++)
          if(c->at + (size_t)i >= c->len ||
             !isxdigit((unsigned char)c->t[c->at + (size_t)i]))
            return ck_fail(c, c->at, "\\u needs four hex digits");
        c->at += 6;
        continue;
      }
      if(!e || !strchr("\"\\/bfnrt", e))
        return ck_fail(c, c->at, "unknown escape in a string");
      c->at += 2;
      continue;
    }
    c->at++;
  }
  if(c->at >= c->len)
    return ck_fail(c, open, "unterminated string");
  if(name) {
    name->off = open + 1;
    name->len = c->at - open - 1;
  }
  c->at++;
  return 0;
}

static int ck_number(checker *c)
{
  size_t start = c->at;
  const char *t = c->t;
  if(t[c->at] == '-')
    c->at++;
  if(c->at < c->len && t[c->at] == '0')
    c->at++;
  else if(c->at < c->len && t[c->at] >= '1' && t[c->at] <= '9')
    while(c->at < c->len && isdigit((unsigned char)t[c->at]))
      c->at++;
  else
    return ck_fail(c, start, "not a number");
  if(c->at < c->len && t[c->at] == '.') {
    c->at++;
    if(c->at >= c->len || !isdigit((unsigned char)t[c->at]))
      return ck_fail(c, start, "a number needs digits after '.'");
    while(c->at < c->len && isdigit((unsigned char)t[c->at]))
      c->at++;
  }
  if(c->at < c->len && (t[c->at] == 'e' || t[c->at] == 'E')) {
    c->at++;
    if(c->at < c->len && (t[c->at] == '+' || t[c->at] == '-'))
      c->at++;
    if(c->at >= c->len || !isdigit((unsigned char)t[c->at]))
      return ck_fail(c, start, "a number needs digits after its exponent");
    while(c->at < c->len && isdigit((unsigned char)t[c->at]))
      c->at++;
  }
  if(c->at < c->len && (isalnum((unsigned char)t[c->at]) || t[c->at] == '.'))
    return ck_fail(c, start, "not a number (strings need quotes)");
  return 0;
}

static const char *ck_text; /* for name_cmp: qsort has no context */

static int name_cmp(const void *a, const void *b)
{
  const raw_name *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int r = memcmp(ck_text + x->off, ck_text + y->off, n);
  if(r)
    return r;
  if(x->len != y->len)
    return x->len < y->len ? -1 : 1;
  return x->off < y->off ? -1 : x->off > y->off;
}

/* The second use of a name in names[0..n) that comes first in the file,
 * or -1. Sorting keeps this O(n log n) for an object of 150,000 members
 * (the pairwise check took minutes). */
static int ck_duplicates(checker *c, raw_name *names, size_t n)
{
  size_t best = (size_t)-1, first = 0;
  ck_text = c->t;
  qsort(names, n, sizeof(*names), name_cmp);
  for(size_t i = 1; i < n; i++)
    if(names[i].len == names[i - 1].len &&
       !memcmp(c->t + names[i].off, c->t + names[i - 1].off, names[i].len) &&
       (best == (size_t)-1 || names[i].off < best)) {
      best = names[i].off;
      first = names[i - 1].off;
    }
  if(best == (size_t)-1)
    return 0;
  c->other = first - 1;
  c->other_is = "first at";
  c->is_dup = 1;
  c->dup.off = best;
  for(size_t i = 0; i < n; i++)
    if(names[i].off == best)
      c->dup.len = names[i].len;
  return ck_fail(c, best - 1, "given twice in one object");
}

static int ck_value(checker *c, int depth);

/* After a value inside an object or array: ',' or the closing bracket. */
static int ck_after(checker *c, size_t value_end, char close, int *more)
{
  ck_ws(c);
  if(c->at < c->len && c->t[c->at] == ',') {
    size_t comma = c->at++;
    ck_ws(c);
    if(c->at < c->len && (c->t[c->at] == '}' || c->t[c->at] == ']'))
      return ck_fail(c, comma,
                     close == '}' ? "trailing comma before '}'"
                                  : "trailing comma before ']'");
    *more = 1;
    return 0;
  }
  if(c->at < c->len && c->t[c->at] == close) {
    c->at++;
    *more = 0;
    return 0;
  }
  if(c->at >= c->len)
    return ck_fail(c, value_end,
                   close == '}'
                       ? "the file ends inside an object ('}' missing)"
                       : "the file ends inside an array (']' missing)");
  if(starts_value(c->t[c->at])) {
    c->other = c->at;
    c->other_is = "before the next value at";
    return ck_fail(c, value_end, "',' missing here");
  }
  return ck_fail(c, c->at,
                 close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
}

static int ck_object(checker *c, int depth)
{
  raw_name *names = NULL;
  size_t n = 0, cap = 0;
  int rc = -1, more = 1;
  c->at++;
  ck_ws(c);
  if(c->at < c->len && c->t[c->at] == '}') {
    c->at++;
    return 0;
  }
  while(more) {
    ck_ws(c);
    if(c->at >= c->len || c->t[c->at] != '"') {
      ck_fail(c, c->at,
              c->at >= c->len ? "the file ends inside an object ('}' missing)"
                              : "expected a member name in double quotes");
      goto out;
    }
    if(n == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      raw_name *nv = realloc(names, ncap * sizeof(*nv));
      if(!nv) {
        c->oom = 1;
        ck_fail(c, c->at, "out of memory");
        goto out;
      }
      names = nv;
      cap = ncap;
    }
    if(ck_string(c, &names[n]) < 0)
      goto out;
    n++;
    size_t name_end = c->at;
    ck_ws(c);
    if(c->at >= c->len || c->t[c->at] != ':') {
      ck_fail(c, name_end, "':' missing after the member name");
      goto out;
    }
    c->at++;
    if(ck_value(c, depth + 1) < 0 || ck_after(c, c->at, '}', &more) < 0)
      goto out;
  }
  rc = ck_duplicates(c, names, n);
out:
  free(names);
  return rc;
}

static int ck_value(checker *c, int depth)
{
  ck_ws(c);
  if(depth > CHECK_MAX_DEPTH)
    return ck_fail(c, c->at, "nested too deeply");
  if(c->at >= c->len)
    return ck_fail(c, c->at, "a value is missing at the end of the file");
  char ch = c->t[c->at];
  if(ch == '{')
    return ck_object(c, depth);
  if(ch == '[') {
    int more = 1;
    c->at++;
    ck_ws(c);
    if(c->at < c->len && c->t[c->at] == ']') {
      c->at++;
      return 0;
    }
    while(more)
      if(ck_value(c, depth + 1) < 0 || ck_after(c, c->at, ']', &more) < 0)
        return -1;
    return 0;
  }
  if(ch == '"')
    return ck_string(c, NULL);
  if(ch == '-' || isdigit((unsigned char)ch))
    return ck_number(c);
  static const char *const lits[] = {"true", "false", "null"};
  for(int i = 0; i < 3; i++) {
    size_t l = strlen(lits[i]);
    if(c->len - c->at >= l && !memcmp(c->t + c->at, lits[i], l) &&
       (c->at + l >= c->len || !isalnum((unsigned char)c->t[c->at + l]))) {
      c->at += l;
      return 0;
    }
  }
  if(ch == '}' || ch == ']' || ch == ',' || ch == ':')
    return ck_fail(c, c->at, "expected a value");
  return ck_fail(c, c->at, "expected a value (strings need double quotes)");
}

/* Checks the whole text; on error writes "line L, column C: what". */
static int syntax_check(const char *t, size_t len, char *err, size_t errlen,
                        int *oom)
{
  checker c;
  memset(&c, 0, sizeof(c));
  c.t = t;
  c.len = len;
  int line, col;
  ck_ws(&c);
  if(c.at >= len) {
    snprintf(
        err, errlen,
        "line 1, column 1: the file is empty (an empty configuration is {})");
    return -1;
  }
  if(ck_value(&c, 0) == 0) {
    ck_ws(&c);
    if(c.at >= len)
      return 0;
    ck_fail(&c, c.at, "text after the end of the configuration");
  }
  *oom = c.oom;
  position(t, c.bad, &line, &col);
  if(c.other_is && !c.is_dup) {
    int l2, c2;
    position(t, c.other, &l2, &c2);
    snprintf(err, errlen, "line %d, column %d: %s (%s line %d, column %d)",
             line, col, c.what, c.other_is, l2, c2);
  }
  else if(c.is_dup) {
    int l2, c2;
    position(t, c.other, &l2, &c2);
    snprintf(err, errlen,
             "line %d, column %d: member \"%.*s\" %s (%s line %d, column %d)",
             line, col, (int)(c.dup.len > 60 ? 60 : c.dup.len), t + c.dup.off,
             c.what, c.other_is, l2, c2);
  }
  else
    snprintf(err, errlen, "line %d, column %d: %s", line, col, c.what);
  return -1;
}

/* One member of an object, for sorting by name. */
typedef struct member_ref {
  const cJSON *item;
  size_t index; /* position in the object */
} member_ref;

static int member_cmp(const void *a, const void *b)
{
  const member_ref *x = a, *y = b;
  int c = strcmp(x->item->string, y->item->string);
  if(c)
    return c;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* Finds a member name used twice in one object, anywhere in the tree: the
 * second occurrence of the first name repeated in the first object that has
 * one. Sorting the names of each object keeps this O(n log n); a pairwise
 * check took minutes for an object of 150,000 members. Sets *oom when
 * memory ran out. */
static const cJSON *find_duplicate(const cJSON *node, int *oom)
{
  if(cJSON_IsObject(node) && node->child && node->child->next) {
    size_t n = 0, i;
    for(const cJSON *c = node->child; c; c = c->next)
      n++;
    member_ref *v = malloc(n * sizeof(*v));
    if(!v) {
      *oom = 1;
      return NULL;
    }
    i = 0;
    for(const cJSON *c = node->child; c; c = c->next, i++) {
      v[i].item = c;
      v[i].index = i;
    }
    qsort(v, n, sizeof(*v), member_cmp);
    const member_ref *best = NULL;
    for(i = 1; i < n; i++)
      if(!strcmp(v[i - 1].item->string, v[i].item->string) &&
         (!best || v[i].index < best->index))
        best = &v[i];
    const cJSON *dup = best ? best->item : NULL;
    free(v);
    if(dup)
      return dup;
  }
  for(const cJSON *c = node ? node->child : NULL; c; c = c->next) {
    const cJSON *inner = find_duplicate(c, oom);
    if(inner || *oom)
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
    snprintf(err, errlen, "line %d, column %d: NUL byte in the file", line,
             col);
    goto err;
  }
  if(strip_comments(doc->text, len, &bad) < 0) {
    position(doc->text, bad, &line, &col);
    snprintf(err, errlen, "line %d, column %d: unterminated /* comment", line,
             col);
    goto err;
  }
  int oom = 0;
  if(syntax_check(doc->text, len, err, errlen, &oom) < 0)
    goto err;
  const char *end = NULL;
  /* len + 1: cJSON wants the terminating NUL inside the length */
  doc->root = cJSON_ParseWithLengthOpts(doc->text, len + 1, &end, 1);
  if(!doc->root) {
    /* the check above passed: cJSON's own nesting limit, or memory */
    snprintf(
        err, errlen,
        "line 1, column 1: cannot parse (nested too deeply, or out of memory)");
    goto err;
  }
  const cJSON *dup = find_duplicate(doc->root, &oom);
  if(oom) {
    snprintf(err, errlen, "out of memory");
    goto err;
  }
  if(dup) {
    snprintf(err, errlen, "member \"%s\" appears twice in one object",
             dup->string);
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

/* Inside an object or array closed by close: 1 at its end (consumed, or
 * the text's end), -1 after a comma, 0 at a member or element. */
static int container_step(walker *w, char close)
{
  skip_ws(w);
  if(*w->p == close || !*w->p) {
    if(*w->p)
      w->p++;
    return 1;
  }
  if(*w->p == ',') {
    w->p++;
    return -1;
  }
  return 0;
}

/* Walks one value; when path (n > 0) matches a member inside it, returns
 * the member's line. */
static int walk_value(walker *w, const char *const *path, int n)
{
  skip_ws(w);
  if(*w->p == '{') {
    w->p++;
    for(;;) {
      int at = container_step(w, '}');
      if(at > 0)
        return 0;
      if(at < 0)
        continue;
      const char *key;
      size_t klen;
      int kline = w->line;
      skip_string(w, &key, &klen);
      skip_ws(w);
      if(*w->p == ':')
        w->p++;
      int match =
          n > 0 && strlen(path[0]) == klen && !memcmp(path[0], key, klen);
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
      int at = container_step(w, ']');
      if(at > 0)
        return 0;
      if(at < 0)
        continue;
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
