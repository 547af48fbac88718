/* SPDX-License-Identifier: Apache-2.0 */
/*
 * envfile.c: the environment-file parser of the config plugin (see
 * envfile.h). Where shells and systemd disagree, the line is read as
 * systemd does for whitespace inside an unquoted value (kept, trailing
 * whitespace trimmed) and as shells do for a `#` after whitespace (the
 * rest of the line is a comment); both read the flag files the cutover
 * turns the same way.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dbuf.h"
#include "lib/utf8.h"
#include "plugins/config/envfile.h"

/* Appends c to b; a failure is remembered in *oom (checked once a line
 * is read, so that the parser itself needs no error path per byte). */
static void sb_put(dbuf *b, char c, int *oom)
{
  if(!*oom && dbuf_addc(b, c) < 0)
    *oom = 1;
}

/* Line number (1-based) of offset off in buf. */
static unsigned line_of(const char *buf, size_t off)
{
  unsigned l = 1;
  for(size_t i = 0; i < off; i++)
    l += buf[i] == '\n';
  return l;
}

/* Stores key=value (taking both) as the last assignment of key. */
static int store(envfile *f, char *key, char *value, unsigned line)
{
  for(size_t i = 0; i < f->n; i++)
    if(!strcmp(f->e[i].key, key)) {
      memset(f->e[i].value, 0, strlen(f->e[i].value));
      free(f->e[i].value);
      free(key);
      f->e[i].value = value;
      f->e[i].line = line;
      f->e[i].dups++;
      return 0;
    }
  if(f->n == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 16;
    envfile_entry *ne = realloc(f->e, cap * sizeof(*ne));
    if(!ne)
      return -1;
    f->e = ne;
    f->cap = cap;
  }
  f->e[f->n].key = key;
  f->e[f->n].value = value;
  f->e[f->n].line = line;
  f->e[f->n].first_line = line;
  f->e[f->n].dups = 0;
  f->n++;
  return 0;
}

/* 1 for a blank that separates words on a line. */
static int blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Reads the value that starts at buf[*ip] (after the '=' and the blanks,
 * skipped tells whether there were any) into v, up to the end of its
 * line; *ip and *linep move on. *keep gets the value's length without
 * its trailing unquoted blanks. 0, or -1 with err (a quote not closed). */
static int read_value(const char *buf, size_t len, size_t *ip, unsigned *linep,
                      int skipped, dbuf *v, int *oom, size_t *keep, char *err,
                      size_t errlen)
{
  size_t i = *ip;
  unsigned line = *linep;
  int after_blank = skipped;
  *keep = 0;
  while(i < len && buf[i] != '\n') {
    char c = buf[i];
    if(c == '\'') {
      size_t end = i + 1;
      while(end < len && buf[end] != '\'')
        end++;
      if(end >= len) {
        snprintf(err, errlen, "line %u: a single quote is not closed", line);
        return -1;
      }
      for(size_t j = i + 1; j < end; j++) {
        line += buf[j] == '\n';
        sb_put(v, buf[j], oom);
      }
      i = end + 1;
      *keep = v->len;
    }
    else if(c == '"') {
      unsigned qline = line;
      i++;
      while(i < len && buf[i] != '"') {
        if(buf[i] == '\\' && i + 1 < len) {
          char n = buf[i + 1];
          if(n == '\n') {
            line++;
          }
          else if(n == '"' || n == '\\' || n == '$' || n == '`') {
            sb_put(v, n, oom);
          }
          else {
            sb_put(v, '\\', oom);
            sb_put(v, n, oom);
          }
          i += 2;
          continue;
        }
        line += buf[i] == '\n';
        sb_put(v, buf[i++], oom);
      }
      if(i >= len) {
        snprintf(err, errlen, "line %u: a double quote is not closed", qline);
        return -1;
      }
      i++;
      *keep = v->len;
    }
    else if(c == '\\') {
      if(i + 1 < len && buf[i + 1] == '\n') {
        line++;
      }
      else if(i + 1 < len) {
        sb_put(v, buf[i + 1], oom);
        *keep = v->len;
      }
      i += i + 1 < len ? 2 : 1;
    }
    else if(c == '#' && after_blank) {
      while(i < len && buf[i] != '\n')
        i++;
      break;
    }
    else {
      sb_put(v, c, oom);
      if(!blank(c))
        *keep = v->len;
      i++;
    }
    after_blank = blank(buf[i - 1]);
  }
  *ip = i;
  *linep = line;
  return 0;
}

int envfile_parse(const char *buf, size_t len, envfile *out, char *err,
                  size_t errlen)
{
  size_t i = 0, bad = 0;
  dbuf k, v;
  int oom = 0;
  dbuf_init(&k, 0);
  dbuf_init(&v, 0);
  memset(out, 0, sizeof(*out));
  if(memchr(buf, '\0', len)) {
    snprintf(err, errlen, "line %u holds a NUL byte: not a text file",
             line_of(buf,
                     (size_t)((const char *)memchr(buf, '\0', len) - buf)));
    return -1;
  }
  if(!utf8_valid(buf, len, &bad)) {
    snprintf(err, errlen, "line %u is not valid UTF-8", line_of(buf, bad));
    return -1;
  }
  unsigned line = 1;
  while(i < len) {
    while(i < len && blank(buf[i]))
      i++;
    if(i >= len)
      break;
    if(buf[i] == '\n') {
      line++;
      i++;
      continue;
    }
    if(buf[i] == '#' || buf[i] == ';') {
      while(i < len && buf[i] != '\n')
        i++;
      continue;
    }
    unsigned kline = line;
    if(len - i > 7 && !memcmp(buf + i, "export", 6) && blank(buf[i + 6])) {
      i += 6;
      while(i < len && blank(buf[i]))
        i++;
    }
    dbuf_reset(&k);
    if(i < len &&
       (buf[i] == '_' || ((buf[i] | 0x20) >= 'a' && (buf[i] | 0x20) <= 'z')))
      while(i < len && (buf[i] == '_' || (buf[i] >= '0' && buf[i] <= '9') ||
                        ((buf[i] | 0x20) >= 'a' && (buf[i] | 0x20) <= 'z')))
        sb_put(&k, buf[i++], &oom);
    while(i < len && blank(buf[i]))
      i++;
    if(k.len == 0 || i >= len || buf[i] != '=') {
      snprintf(err, errlen, "line %u is not KEY=VALUE, a comment or blank",
               kline);
      goto fail;
    }
    i++;
    int skipped = 0;
    while(i < len && blank(buf[i])) {
      i++;
      skipped = 1;
    }
    dbuf_reset(&v);
    if(dbuf_add(&v, "", 0) < 0) { /* v.data exists for an empty value */
      snprintf(err, errlen, "out of memory");
      goto fail;
    }
    size_t keep; /* length without trailing unquoted blanks */
    if(read_value(buf, len, &i, &line, skipped, &v, &oom, &keep, err, errlen) <
       0)
      goto fail;
    if(oom) {
      snprintf(err, errlen, "out of memory");
      goto fail;
    }
    v.data[keep] = '\0';
    if(strlen(v.data) != keep) {
      snprintf(err, errlen, "line %u: the value holds a NUL byte", kline);
      goto fail;
    }
    if(store(out, k.data, v.data, kline) != 0) {
      snprintf(err, errlen, "out of memory");
      goto fail;
    }
    dbuf_init(&k, 0); /* store took both */
    dbuf_init(&v, 0);
  }
  dbuf_free(&k);
  return 0;
fail:
  dbuf_free(&k);
  dbuf_free_wipe(&v);
  envfile_free(out);
  return -1;
}

const envfile_entry *envfile_get(const envfile *f, const char *key)
{
  for(size_t i = 0; i < f->n; i++)
    if(!strcmp(f->e[i].key, key))
      return &f->e[i];
  return NULL;
}

void envfile_free(envfile *f)
{
  for(size_t i = 0; i < f->n; i++) {
    free(f->e[i].key);
    memset(f->e[i].value, 0, strlen(f->e[i].value));
    free(f->e[i].value);
  }
  free(f->e);
  memset(f, 0, sizeof(*f));
}
