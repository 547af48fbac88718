/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact.c: the one deny-by-default redactor of URLs and conninfo in
 * printed text (see redact.h for what it hides and why).
 *
 * One pass over the text: white space separates words; a word that starts
 * with scheme:// (or just ://) is a URL up to the next white space; a key
 * followed by '=' is a key=value pair read as libpq reads conninfo;
 * everything else is copied. Every copy goes through put_clean, which
 * keeps the output valid UTF-8 without control characters.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/redact.h"

/* An allowed value nested deeper than this is redacted whole. */
#define MAX_DEPTH 4

/* Growable output; oom remembers an allocation failure. */
typedef struct out {
  char *p;
  size_t len, cap;
  int oom;
} out;

/* Appends [s, s+n). */
static void put(out *o, const char *s, size_t n)
{
  if(o->oom || n == 0)
    return;
  if(o->len + n + 1 > o->cap) {
    size_t cap = o->cap ? o->cap : 64;
    while(cap < o->len + n + 1)
      cap *= 2;
    char *np = realloc(o->p, cap);
    if(!np) {
      o->oom = 1;
      return;
    }
    o->p = np;
    o->cap = cap;
  }
  memcpy(o->p + o->len, s, n);
  o->len += n;
  o->p[o->len] = '\0';
}

static void puts_(out *o, const char *s)
{
  put(o, s, strlen(s));
}

static int is_space(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

static int is_alpha(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
  return c >= '0' && c <= '9';
}

/* Characters of a key in key=value text. */
static int is_key(unsigned char c)
{
  return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.';
}

/* Characters of a URL scheme (RFC 3986's, and '_': anything before ://
 * makes a URL here). */
static int is_scheme(unsigned char c)
{
  return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.' ||
         c == '_';
}

/* Number of bytes of [p, end) before the first of the bytes in stop. */
static size_t span_to(const char *p, const char *end, const char *stop)
{
  const char *q = p;
  while(q < end && !strchr(stop, *q))
    q++;
  return (size_t)(q - p);
}

/* Length of the valid UTF-8 sequence at [s, s+n), or 0 when it is not one
 * (overlong, surrogate, above U+10FFFF, truncated). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
  unsigned c = s[0];
  size_t len;
  unsigned cp, min;
  if(c < 0x80)
    return 1;
  if(c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
    min = 0x80;
  }
  else if(c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
    min = 0x800;
  }
  else if(c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
    min = 0x10000;
  }
  else
    return 0;
  if(n < len)
    return 0;
  for(size_t i = 1; i < len; i++) {
    if((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if(cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

/* Copies [s, s+n) keeping it valid UTF-8 without control characters:
 * white space becomes ' ', other controls and invalid bytes U+FFFD. */
static void put_clean(out *o, const char *s, size_t n)
{
  static const char repl[] = "\xef\xbf\xbd";
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, run = 0; /* [i-run, i) is clean and not yet copied */
  while(i < n) {
    unsigned char c = u[i];
    if(c >= 0x20 && c < 0x7f) {
      i++;
      run++;
      continue;
    }
    size_t l = c >= 0x80 ? utf8_len(u + i, n - i) : 0;
    /* C1 controls are U+0080..U+009F: 0xc2 0x80..0x9f */
    if(l > 1 && !(c == 0xc2 && u[i + 1] < 0xa0)) {
      i += l;
      run += l;
      continue;
    }
    put(o, s + i - run, run);
    run = 0;
    if(is_space(c))
      put(o, " ", 1);
    else
      put(o, repl, 3);
    i += l ? l : 1;
  }
  put(o, s + i - run, run);
}

int redact_name_shown(const char *name, size_t len)
{
  static const char *const names[] = {
      /* libpq keywords whose values are not secrets */
      "host", "hostaddr", "port", "dbname", "user", "passfile", "service",
      "connect_timeout", "client_encoding", "options", "application_name",
      "fallback_application_name", "keepalives", "keepalives_idle",
      "keepalives_interval", "keepalives_count", "tcp_user_timeout",
      "replication", "gssencmode", "sslmode", "sslnegotiation",
      "sslcompression", "sslcert", "sslkey", "sslcertmode", "sslrootcert",
      "sslcrl", "sslcrldir", "sslsni", "requirepeer", "require_auth",
      "channel_binding", "ssl_min_protocol_version", "ssl_max_protocol_version",
      "krbsrvname", "gsslib", "gssdelegation", "target_session_attrs",
      "load_balance_hosts",
      /* query names of paging, formats and versions */
      "limit", "offset", "page", "per_page", "page_size", "size", "sort",
      "order", "format", "lang", "version", "chain", "chainid", "network",
      "since", "until", "timeout", NULL};
  for(const char *const *p = names; *p; p++)
    if(strlen(*p) == len && strncasecmp(name, *p, len) == 0)
      return 1;
  return 0;
}

/* 1 when [p, p+n) looks like an API key: 24 or more letters, digits, '-'
 * or '_', with both letters and digits (as in .../v3/<key>). */
static int keylike(const char *p, size_t n)
{
  int alpha = 0, digit = 0;
  if(n < 24)
    return 0;
  for(size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if(is_digit(c))
      digit = 1;
    else if(is_alpha(c))
      alpha = 1;
    else if(c != '-' && c != '_')
      return 0;
  }
  return alpha && digit;
}

/* Case-insensitive search of a NUL-terminated needle in [p, p+n). */
static int has(const char *p, size_t n, const char *needle)
{
  size_t k = strlen(needle);
  for(size_t i = 0; i + k <= n; i++)
    if(strncasecmp(p + i, needle, k) == 0)
      return 1;
  return 0;
}

/* 1 when an allowed value [p, p+n) of a URL parameter may still hide a
 * credential (a nested URL, userinfo or conninfo, also percent-encoded). */
static int value_nests(const char *p, size_t n)
{
  return memchr(p, '=', n) || memchr(p, '@', n) || has(p, n, "://") ||
         has(p, n, "%3d") || has(p, n, "%40");
}

/* Copies the parameters [p, p+n) of a query (query=1) or fragment,
 * split at '&' and ';': allowed names keep their values, others are
 * REDACTED; a word without '=' is REDACTED in a query, and in a fragment
 * when it looks like a key. */
static void put_params(out *o, const char *p, size_t n, int query)
{
  const char *end = p + n;
  while(p < end) {
    const char *amp = p;
    while(amp < end && *amp != '&' && *amp != ';')
      amp++;
    size_t len = (size_t)(amp - p);
    const char *eq = memchr(p, '=', len);
    if(eq) {
      size_t klen = (size_t)(eq - p);
      put_clean(o, p, klen + 1);
      if(redact_name_shown(p, klen) && !value_nests(eq + 1, len - klen - 1))
        put_clean(o, eq + 1, len - klen - 1);
      else
        puts_(o, REDACT_WORD);
    }
    else if(len && (query ? !redact_name_shown(p, len) : keylike(p, len)))
      puts_(o, REDACT_WORD);
    else
      put_clean(o, p, len);
    if(amp < end)
      put(o, amp, 1);
    p = amp + 1;
  }
}

/* 1 when every ':' of the authority [p, p+n) outside [...] is followed by
 * digits only, up to ',' (host lists) or the end; *colon says whether
 * there is such a ':' at all, *first where the first one is. */
static int ports_numeric(const char *p, size_t n, int *colon,
                         const char **first)
{
  int bracket = 0, in_port = 0, ok = 1;
  *colon = 0;
  *first = NULL;
  for(size_t i = 0; i < n; i++) {
    char c = p[i];
    if(c == '[')
      bracket = 1;
    else if(c == ']')
      bracket = 0;
    else if(c == ':' && !bracket) {
      if(!*colon)
        *first = p + i;
      *colon = 1;
      in_port = 1;
    }
    else if(c == ',')
      in_port = 0;
    else if(in_port && !is_digit((unsigned char)c))
      ok = 0;
  }
  return ok;
}

/* Last '@' in [p, p+n), or NULL. */
static const char *last_at(const char *p, size_t n)
{
  const char *at = NULL;
  for(size_t i = 0; i < n; i++)
    if(p[i] == '@')
      at = p + i;
  return at;
}

/* Redacts the URL [s, s+n) (no white space in it; s starts with
 * scheme://, the scheme possibly empty). */
static void put_url(out *o, const char *s, size_t n)
{
  const char *end = s + n;
  const char *a = s + span_to(s, end, ":") + 3; /* the caller saw "://" */
  put(o, s, (size_t)(a - s));
  size_t alen = span_to(a, end, "/?#");
  size_t qlen = span_to(a, end, "?#"); /* authority and path */
  int colon;
  const char *first_colon;
  int numeric = ports_numeric(a, alen, &colon, &first_colon);
  const char *at = last_at(a, alen);
  if(!at && colon)
    at = last_at(a, numeric ? qlen : (size_t)(end - a));
  if(at) {
    /* every userinfo, whatever it holds */
    puts_(o, REDACT_WORD "@");
    a = at + 1;
    alen = span_to(a, end, "/?#");
    numeric = ports_numeric(a, alen, &colon, &first_colon);
  }
  if(colon && !numeric) {
    /* "host:word": no port is a word; it could be a password */
    put_clean(o, a, (size_t)(first_colon - a));
    puts_(o, ":" REDACT_WORD);
    a += alen;
    alen = 0;
  }
  put_clean(o, a, alen);
  const char *p = a + alen;
  /* the path, segment by segment */
  const char *pend = p;
  while(pend < end && *pend != '?' && *pend != '#')
    pend++;
  while(p < pend) {
    const char *slash = memchr(p, '/', (size_t)(pend - p));
    const char *send = slash ? slash : pend;
    if(keylike(p, (size_t)(send - p)))
      puts_(o, REDACT_WORD);
    else
      put_clean(o, p, (size_t)(send - p));
    if(slash)
      put(o, "/", 1);
    p = slash ? slash + 1 : pend;
  }
  /* the query up to '#', then the fragment (OAuth puts tokens there) */
  if(p < end && *p == '?') {
    const char *q = ++p;
    while(p < end && *p != '#')
      p++;
    put(o, "?", 1);
    put_params(o, q, (size_t)(p - q), 1);
  }
  if(p < end) {
    put(o, "#", 1);
    p++;
    put_params(o, p, (size_t)(end - p), 0);
  }
}

static void put_text(out *o, const char *s, size_t n, int depth);

/* Redacts the allowed value [v, v+n) (unescaped: u, ulen) of a pair whose
 * raw text is [raw, raw+rawn): copied as it was when it hides nothing,
 * else redacted and quoted again. */
static void put_allowed(out *o, const char *raw, size_t rawn, const char *u,
                        size_t ulen, int depth)
{
  if(!memchr(u, '=', ulen) && !memchr(u, '@', ulen) && !has(u, ulen, "://")) {
    put_clean(o, raw, rawn);
    return;
  }
  if(depth >= MAX_DEPTH) {
    puts_(o, REDACT_WORD);
    return;
  }
  out in = {0};
  put_text(&in, u, ulen, depth + 1);
  if(in.oom) {
    o->oom = 1;
    free(in.p);
    return;
  }
  if(in.len == ulen && memcmp(in.p, u, ulen) == 0)
    put_clean(o, raw, rawn);
  else {
    put(o, "'", 1);
    for(size_t i = 0; i < in.len; i++) {
      if(in.p[i] == '\'' || in.p[i] == '\\')
        put(o, "\\", 1);
      put(o, in.p + i, 1);
    }
    put(o, "'", 1);
  }
  free(in.p);
}

/* Reads the value of a pair at [p, end) as libpq does (quoted with '...'
 * and backslash escapes, to the end when not closed; or unquoted up to
 * white space, backslash escaping the next byte); its unescaped bytes go
 * to u. Returns where the value ends. What libpq would refuse, text right
 * after the closing quote, is taken as more of the value, up to white
 * space, so that it is redacted with it. */
static const char *read_value(const char *p, const char *end, out *u)
{
  if(p < end && *p == '\'') {
    p++;
    while(p < end && *p != '\'') {
      if(*p == '\\' && p + 1 < end)
        p++;
      put(u, p, 1);
      p++;
    }
    if(p == end)
      return p;
    p++;
  }
  while(p < end && !is_space((unsigned char)*p)) {
    if(*p == '\\' && p + 1 < end)
      p++;
    put(u, p, 1);
    p++;
  }
  return p;
}

/* Redacts the text [s, s+n): URLs, key=value pairs, the rest copied. */
static void put_text(out *o, const char *s, size_t n, int depth)
{
  const char *end = s + n, *p = s;
  while(p < end && !o->oom) {
    unsigned char c = (unsigned char)*p;
    int start = p == s || !is_key((unsigned char)p[-1]);
    if(p == s || !is_scheme((unsigned char)p[-1])) {
      const char *q = p;
      while(q < end && is_scheme((unsigned char)*q))
        q++;
      if(end - q >= 3 && memcmp(q, "://", 3) == 0) {
        const char *w = q;
        while(w < end && !is_space((unsigned char)*w))
          w++;
        put_url(o, p, (size_t)(w - p));
        p = w;
        continue;
      }
    }
    if(p == s || is_space((unsigned char)p[-1])) {
      /* user:password@host:port without a scheme (a tls endpoint, a
       * third-party target): a word whose part before its last '@' holds
       * a ':'. The word ends at white space, at an '=' (the key=value
       * rule's from there: in a:b@c:k=v@d the word is a:b@c) and at a
       * URL inside it: from its scheme on it is the URL rule's, which
       * redacts it when it gets there; read past it, an '=' inside the
       * URL would spare the part before it here and not once the URL is
       * redacted (fuzz-redact). */
      const char *w = p, *at = NULL, *colon = NULL;
      while(w < end && !is_space((unsigned char)*w) && *w != '=' &&
            !(end - w >= 3 && memcmp(w, "://", 3) == 0))
        w++;
      if(w < end && *w == ':') /* "://": the scheme is not the word's */
        while(w > p && is_scheme((unsigned char)w[-1]))
          w--;
      for(const char *x = p; x < w; x++)
        if(*x == '@')
          at = x;
      for(const char *x = p; at && x < at; x++)
        if(*x == ':')
          colon = x;
      if(at && colon) {
        puts_(o, REDACT_WORD);
        p = at;
        continue;
      }
    }
    if(start && is_key(c)) {
      const char *k = p, *q = p;
      while(q < end && is_key((unsigned char)*q))
        q++;
      size_t klen = (size_t)(q - k);
      while(q < end && is_space((unsigned char)*q))
        q++;
      if(q < end && *q == '=') {
        q++;
        while(q < end && is_space((unsigned char)*q))
          q++;
        out u = {0};
        const char *vend = read_value(q, end, &u);
        if(u.oom) {
          o->oom = 1;
          free(u.p);
          return;
        }
        /* right after a ':' with an '@' in its value, the "key" may be
         * the start of the password in user:pa=ss@host: it goes too, and
         * the value whatever the key. (A rule that read such a word
         * whole would not redact twice to the same text: this one drops
         * the white space after an '=', fuzz-redact found.) */
        int userinfo = k > s && k[-1] == ':' && u.p && memchr(u.p, '@', u.len);
        if(userinfo)
          puts_(o, REDACT_WORD);
        else
          put(o, k, klen);
        put(o, "=", 1);
        if(userinfo)
          puts_(o, REDACT_WORD);
        else if(redact_name_shown(k, klen))
          put_allowed(o, q, (size_t)(vend - q), u.p ? u.p : "", u.len, depth);
        else
          puts_(o, REDACT_WORD);
        free(u.p);
        p = vend;
        continue;
      }
      /* a word, not a key: copy it whole (it cannot start a pair) */
      put(o, k, klen);
      p = k + klen;
      continue;
    }
    /* one character, or one UTF-8 sequence */
    size_t l = 1;
    if(c >= 0x80)
      l = utf8_len((const unsigned char *)p, (size_t)(end - p));
    put_clean(o, p, l ? l : 1);
    p += l ? l : 1;
  }
}

char *redact_target(const char *text)
{
  out o = {0};
  if(!text)
    return NULL;
  put_text(&o, text, strlen(text), 0);
  if(o.oom) {
    free(o.p);
    return NULL;
  }
  if(!o.p)
    return strdup("");
  return o.p;
}
