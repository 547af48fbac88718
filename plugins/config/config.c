/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c: the config plugin. Checks the settings the cutover turns and
 * that nobody may get wrong (ITRANS_AUTO_SUBMIT_ENABLED false until step 10,
 * true after it) where the service reads them: an environment file, a JSON
 * file (with an RFC 6901 pointer), a Kubernetes ConfigMap volume (a file per
 * key behind the `..data` link) or an HTTP JSON endpoint.
 *
 * Check config.value, one line per expectation: ok or critical, the value
 * found (never for a `secret` one: only whether it matched), the file and
 * line, and when the file last changed. A source that cannot be read (a
 * missing file, a directory, a FIFO, a binary file, a file too large,
 * invalid UTF-8) is one clear unknown line, never a hang: files are opened
 * O_NONBLOCK | O_NOFOLLOW and checked on the descriptor before reading.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "probe-plugin.h"
#include "lib/redact.h"
#include "plugins/common/phttp.h"
#include "plugins/common/pjsonptr.h"
#include "plugins/common/pkit.h"
#include "plugins/common/psandbox.h"
#include "plugins/common/putil.h"
#include "plugins/config/cjudge.h"
#include "plugins/config/envfile.h"

#define CHECK_NAME "config.value"
#define MAX_EXPECT 200
#define SHOW_MAX CJUDGE_SHOW_MAX

static const probe_setting config_settings[] = {
    {"expect", PROBE_SET_LIST, "[]", 0,
     "expectations: {\"name\", \"file\" | \"configmap\" | \"url\", \"key\" (a JSON pointer for "
     "JSON files and URLs), \"equals\" | \"one_of\" | \"absent\", \"secret\" (bool)}"},
    {"max_file_bytes", PROBE_SET_INT, "1048576", 0,
     "largest file (or response) read; a larger one is unknown"},
    {NULL, 0, NULL, 0, NULL}};

/* What was found for one expectation. */
typedef struct found {
  int present;
  char *text;    /* the value as text (strings bare, other JSON as JSON) */
  cJSON *json;   /* the JSON value (JSON sources), else NULL */
  unsigned line; /* 0 when not known */
  unsigned dups; /* earlier assignments (env files) */
  unsigned first_line;
  double
      changed; /* wall time the file (or ..data link) last changed, < 0 unknown */
  char where[600]; /* file or redacted URL */
} found;

/* Frees what f holds, wiping the text (it may be a secret). */
static void found_free(found *f)
{
  if(f->text) {
    memset(f->text, 0, strlen(f->text));
    free(f->text);
  }
  cJSON_Delete(f->json);
  f->text = NULL;
  f->json = NULL;
}

/* Reads a regular file whole through fd (taken), at most max bytes.
 * 0, or -1 with why. Never blocks on a FIFO (opened O_NONBLOCK). */
static int read_fd(int fd, const char *shown, size_t max, char **out,
                   size_t *len, double *mtime, char *why, size_t n)
{
  struct stat st;
  *out = NULL;
  if(fstat(fd, &st) != 0) {
    snprintf(why, n, "%s: cannot stat: %s", shown, strerror(errno));
    close(fd);
    return -1;
  }
  if(!S_ISREG(st.st_mode)) {
    snprintf(why, n, "%s is %s, not a regular file", shown,
             S_ISDIR(st.st_mode)                          ? "a directory"
             : S_ISFIFO(st.st_mode)                       ? "a FIFO"
             : S_ISSOCK(st.st_mode)                       ? "a socket"
             : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                          : "not a file");
    close(fd);
    return -1;
  }
  if((unsigned long long)st.st_size > max) {
    snprintf(why, n, "%s is larger than max_file_bytes (%lld > %zu bytes)",
             shown, (long long)st.st_size, max);
    close(fd);
    return -1;
  }
  if(mtime)
    *mtime = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
  char *buf = malloc(max + 1);
  size_t got = 0;
  if(!buf) {
    snprintf(why, n, "out of memory");
    close(fd);
    return -1;
  }
  for(;;) {
    ssize_t r = read(fd, buf + got, max + 1 - got);
    if(r < 0 && errno == EINTR)
      continue;
    if(r < 0) {
      snprintf(why, n, "%s: cannot read: %s", shown, strerror(errno));
      free(buf);
      close(fd);
      return -1;
    }
    if(r == 0)
      break;
    got += (size_t)r;
    if(got > max) {
      snprintf(why, n, "%s grew larger than max_file_bytes (%zu bytes)", shown,
               max);
      free(buf);
      close(fd);
      return -1;
    }
  }
  close(fd);
  buf[got] = '\0';
  *out = buf;
  *len = got;
  return 0;
}

/* Opens path (no link followed, never blocking) and reads it. */
static int read_path(const char *path, size_t max, char **out, size_t *len,
                     double *mtime, char *why, size_t n)
{
  int fd =
      open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if(fd < 0) {
    if(errno == ELOOP)
      snprintf(why, n, "%s is a symbolic link (name the file itself)", path);
    else
      snprintf(why, n, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  return read_fd(fd, path, max, out, len, mtime, why, n);
}

/* Text of a JSON value: a string bare, anything else as JSON. */
static char *json_text(const cJSON *v)
{
  if(cJSON_IsString(v))
    return strdup(v->valuestring);
  return cJSON_PrintUnformatted(v);
}

/* Looks pointer up in a JSON document held in buf. */
static int from_json(const char *buf, size_t len, const char *pointer, found *f,
                     char *why, size_t n)
{
  size_t bad;
  if(!envfile_utf8_valid(buf, len, &bad) || memchr(buf, '\0', len)) {
    snprintf(why, n, "%s is not text (invalid UTF-8 or a NUL byte)", f->where);
    return -1;
  }
  cJSON *doc = cJSON_ParseWithLength(buf, len);
  if(!doc) {
    snprintf(why, n, "%s is not valid JSON", f->where);
    return -1;
  }
  const cJSON *v = pjsonptr_get(doc, pointer);
  if(v) {
    f->present = 1;
    f->json = cJSON_Duplicate(v, 1);
    f->text = json_text(v);
    if(!f->json || !f->text) {
      cJSON_Delete(doc);
      snprintf(why, n, "out of memory");
      return -1;
    }
  }
  cJSON_Delete(doc);
  return 0;
}

/* Looks key up in an environment file held in buf. */
static int from_env(const char *buf, size_t len, const char *key, found *f,
                    char *why, size_t n)
{
  envfile ef;
  char perr[200];
  if(envfile_parse(buf, len, &ef, perr, sizeof(perr)) != 0) {
    snprintf(why, n, "%s: %s", f->where, perr);
    return -1;
  }
  const envfile_entry *e = envfile_get(&ef, key);
  if(e) {
    f->present = 1;
    f->text = strdup(e->value);
    f->line = e->line;
    f->dups = e->dups;
    f->first_line = e->first_line;
  }
  envfile_free(&ef);
  if(e && !f->text) {
    snprintf(why, n, "out of memory");
    return -1;
  }
  return 0;
}

/* A ConfigMap volume: dir/..data is a link to the current timestamped
 * directory, dir/<key> a link into it. The key's file is read from the
 * directory ..data names, opened without following links, and the time the
 * ..data link was last replaced is when the ConfigMap last changed. */
static int from_configmap(const char *dir, const char *key, size_t max,
                          found *f, char *why, size_t n)
{
  char target[256];
  struct stat st;
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if(dfd < 0) {
    snprintf(why, n, "cannot open ConfigMap volume %s: %s", dir,
             strerror(errno));
    return -1;
  }
  ssize_t tl = readlinkat(dfd, "..data", target, sizeof(target) - 1);
  if(tl < 0 || fstatat(dfd, "..data", &st, AT_SYMLINK_NOFOLLOW) != 0) {
    snprintf(why, n, "%s has no ..data link: not a ConfigMap volume (%s)", dir,
             strerror(errno));
    close(dfd);
    return -1;
  }
  target[tl] = '\0';
  if(strchr(target, '/') || !strcmp(target, "..") || !strcmp(target, ".")) {
    snprintf(why, n, "%s/..data does not point at a directory beside it", dir);
    close(dfd);
    return -1;
  }
  f->changed = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
  if(strchr(key, '/') || !strcmp(key, "..") || !strcmp(key, ".") ||
     key[0] == '\0') {
    snprintf(why, n, "a ConfigMap key is a file name, not \"%s\"", key);
    close(dfd);
    return -1;
  }
  snprintf(f->where, sizeof(f->where), "%s/%s", dir, key);
  int ddfd =
      openat(dfd, target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  close(dfd);
  if(ddfd < 0) {
    snprintf(why, n, "cannot open %s/%s: %s", dir, target, strerror(errno));
    return -1;
  }
  int fd = openat(ddfd, key,
                  O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  int e = errno;
  close(ddfd);
  if(fd < 0) {
    if(e == ENOENT)
      return 0; /* absent */
    snprintf(why, n, "cannot open %s: %s", f->where, strerror(e));
    return -1;
  }
  char *buf = NULL;
  size_t len = 0;
  if(read_fd(fd, f->where, max, &buf, &len, NULL, why, n) != 0)
    return -1;
  size_t bad;
  if(memchr(buf, '\0', len) || !envfile_utf8_valid(buf, len, &bad)) {
    snprintf(why, n, "%s is not text (invalid UTF-8 or a NUL byte)", f->where);
    memset(buf, 0, len);
    free(buf);
    return -1;
  }
  if(len > 0 && buf[len - 1] == '\n') /* kubectl --from-file keeps it */
    buf[--len] = '\0';
  f->present = 1;
  f->text = buf;
  f->line = 1;
  return 0;
}

/* One expectation as read from the settings. */
typedef struct expect {
  const cJSON *j;
  const char *name, *file, *configmap, *url, *key;
  const cJSON *equals, *one_of;
  int absent, secret;
  cjudge_want kind;
} expect;

/* Reads and checks one entry of `expect`. 0, or -1 with why. */
static int parse_expect(const cJSON *j, expect *x, char *why, size_t n)
{
  memset(x, 0, sizeof(*x));
  x->j = j;
  if(!cJSON_IsObject(j)) {
    snprintf(why, n, "each expectation is an object");
    return -1;
  }
  static const char *const known[] = {"name",   "file",   "configmap", "url",
                                      "key",    "equals", "one_of",    "absent",
                                      "secret", NULL};
  const cJSON *m;
  cJSON_ArrayForEach(m, j) {
    int ok = 0;
    for(const char *const *k = known; *k; k++)
      ok |= !strcmp(m->string, *k);
    if(!ok) {
      snprintf(why, n, "unknown key \"%.64s\"", m->string);
      return -1;
    }
  }
#define STR(f)                                                \
  do {                                                        \
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, #f); \
    if(s && !cJSON_IsString(s)) {                             \
      snprintf(why, n, #f " must be a string");               \
      return -1;                                              \
    }                                                         \
    x->f = s ? s->valuestring : NULL;                         \
  } while(0)
  STR(name);
  STR(file);
  STR(configmap);
  STR(url);
  STR(key);
#undef STR
  int sources = !!x->file + !!x->configmap + !!x->url;
  if(sources != 1) {
    snprintf(why, n, "give exactly one of file, configmap, url");
    return -1;
  }
  if(!x->key || !*x->key) {
    snprintf(why, n, "key is required");
    return -1;
  }
  if((x->url || x->key[0] == '/') && !pjsonptr_valid(x->key)) {
    snprintf(why, n, "key \"%.80s\" is not an RFC 6901 JSON pointer", x->key);
    return -1;
  }
  if(x->url && x->key[0] != '/') {
    snprintf(why, n,
             "with url, key is a JSON pointer (\"/flags/auto_submit\")");
    return -1;
  }
  if(x->url && strncmp(x->url, "http://", 7) &&
     strncmp(x->url, "https://", 8)) {
    snprintf(why, n, "url must be http:// or https://");
    return -1;
  }
  x->equals = cJSON_GetObjectItemCaseSensitive(j, "equals");
  x->one_of = cJSON_GetObjectItemCaseSensitive(j, "one_of");
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "absent");
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "secret");
  if(a && !cJSON_IsTrue(a)) {
    snprintf(why, n, "absent must be true");
    return -1;
  }
  if(s && !cJSON_IsBool(s)) {
    snprintf(why, n, "secret must be true or false");
    return -1;
  }
  x->absent = a != NULL;
  x->secret = cJSON_IsTrue(s);
  if(!!x->equals + !!x->one_of + x->absent != 1) {
    snprintf(why, n, "give exactly one of equals, one_of, absent");
    return -1;
  }
  if(x->one_of &&
     (!cJSON_IsArray(x->one_of) || cJSON_GetArraySize(x->one_of) == 0)) {
    snprintf(why, n, "one_of must be a non-empty list");
    return -1;
  }
  if(x->equals && (cJSON_IsObject(x->equals) || cJSON_IsArray(x->equals) ||
                   cJSON_IsNull(x->equals))) {
    snprintf(why, n, "equals must be a string, number or boolean");
    return -1;
  }
  x->kind = x->equals ? CJ_EQUALS : x->one_of ? CJ_ONE_OF : CJ_ABSENT;
  return 0;
}

/* "2026-11-28T12:00:05Z" of a wall time. */
static void fmt_utc(double t, char *out, size_t n)
{
  time_t tt = (time_t)t;
  struct tm tm;
  if(!gmtime_r(&tt, &tm) || !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(out, n, "?");
}

/* Reads the source of x into f. 0, or -1 with why. */
static int lookup(const probe_host *host, probe_ctx *ctx, const expect *x,
                  size_t max, found *f, char *why, size_t n)
{
  char *buf = NULL;
  size_t len = 0;
  int rc;
  f->changed = -1;
  if(x->configmap) {
    snprintf(f->where, sizeof(f->where), "%s", x->configmap);
    return from_configmap(x->configmap, x->key, max, f, why, n);
  }
  if(x->url) {
    char *red = redact_target(x->url);
    snprintf(f->where, sizeof(f->where), "%s", red ? red : "(url)");
    free(red);
    double tl = host->time_left ? host->time_left(ctx) : 10;
    phttp_request rq = {0};
    phttp_response rs;
    rq.method = "GET";
    rq.url = x->url;
    rq.timeout_s = tl > 2 ? (tl - 1) / 2 : 1;
    if(rq.timeout_s > 10)
      rq.timeout_s = 10;
    rq.max_bytes = max;
    phttp_code c = phttp_fetch(&rq, &rs);
    if(c != PHTTP_OK) {
      snprintf(why, n, "GET %s: %s: %s", f->where, phttp_strerror(c), rs.error);
      phttp_response_free(&rs);
      return -1;
    }
    if(rs.status != 200) {
      snprintf(why, n, "GET %s: HTTP %ld", f->where, rs.status);
      phttp_response_free(&rs);
      return -1;
    }
    rc = from_json(rs.body, rs.len, x->key, f, why, n);
    phttp_response_free(&rs);
    return rc;
  }
  snprintf(f->where, sizeof(f->where), "%s", x->file);
  if(read_path(x->file, max, &buf, &len, &f->changed, why, n) != 0)
    return -1;
  if(x->key[0] == '/')
    rc = from_json(buf, len, x->key, f, why, n);
  else
    rc = from_env(buf, len, x->key, f, why, n);
  memset(buf, 0, len);
  free(buf);
  return rc;
}

/* Emits the unknown line of an expectation whose source could not be
 * read. */
static void emit_unreadable(probe_ctx *ctx, const probe_host *host,
                            const expect *x, const found *f, const char *why)
{
  const char *label = x->name ? x->name : x->key;
  probe_result *r =
      host->result_begin(ctx, CHECK_NAME, f->where[0] ? f->where : "-");
  if(!r)
    return;
  host->result_detail_string(r, "name", label);
  host->result_detail_string(r, "key", x->key);
  host->result_status(r, PROBE_UNKNOWN, "%s: %s", label, why);
  host->result_emit(r);
}

/* Emits the line of a judged expectation: status, value (never a secret
 * one), where, when it changed; `matched` with its critical threshold. */
static void emit_value(probe_ctx *ctx, const probe_host *host, const expect *x,
                       const found *f, const cjudge_verdict *v, double now)
{
  char shown[SHOW_MAX + 8];
  probe_result *r = host->result_begin(ctx, CHECK_NAME, f->where);
  if(!r)
    return;
  host->result_status(r, v->st, "%s", v->text);
  host->result_detail_string(r, "name", x->name ? x->name : x->key);
  host->result_detail_string(r, "key", x->key);
  host->result_detail_bool(r, "matched", v->matched);
  host->result_detail_bool(r, "present", f->present);
  if(f->present && !x->secret) {
    cjudge_show(f->text, shown, sizeof(shown));
    host->result_detail_string(r, "value", shown);
  }
  if(f->line)
    host->result_detail_number(r, "line", f->line);
  if(f->dups)
    host->result_detail_number(r, "duplicates", f->dups);
  if(f->changed >= 0) {
    char when[32];
    fmt_utc(f->changed, when, sizeof(when));
    host->result_detail_string(r, "changed_at", when);
    host->result_metric(r, "age_seconds",
                        now - f->changed > 0 ? floor(now - f->changed) : 0);
  }
  host->result_metric(r, "matched", v->matched);
  /* critical below 1 (warn 1 > crit 0.5 reads "below" in perfdata) */
  if(PROBE_HOST_HAS_THRESHOLD(host))
    host->result_threshold(r, "matched", 1, 0.5);
  host->result_emit(r);
}

/* Checks one expectation: gather its source, judge, emit. */
static void check_one(probe_ctx *ctx, const probe_host *host, const expect *x,
                      size_t max, double now)
{
  found f;
  char why[900];
  memset(&f, 0, sizeof(f));
  if(lookup(host, ctx, x, max, &f, why, sizeof(why)) != 0) {
    emit_unreadable(ctx, host, x, &f, why);
    found_free(&f);
    return;
  }
  cjudge_expect je = {x->name ? x->name : x->key, x->kind, x->equals, x->one_of,
                      x->secret};
  cjudge_found jf = {f.present, f.text, f.json,      f.where,
                     f.line,    f.dups, f.first_line};
  cjudge_verdict v;
  cjudge_value(&je, &jf, &v);
  emit_value(ctx, host, x, &f, &v, now);
  found_free(&f);
}

/* Parses `expect` into *root. -1 when the setting is not a list or too
 * long (why says which). */
static int each_expect(pkit *k, cJSON **root, char *why, size_t n)
{
  const char *json = pkit_json(k, "expect");
  *root = NULL;
  if(!json)
    return 0;
  *root = cJSON_Parse(json);
  if(!cJSON_IsArray(*root)) {
    snprintf(why, n, "expect must be a list");
    return -1;
  }
  if(cJSON_GetArraySize(*root) > MAX_EXPECT) {
    snprintf(why, n, "more than %d expectations", MAX_EXPECT);
    return -1;
  }
  return 0;
}

/* The settings, for both run and check_config, through the kit:
 * max_file_bytes (below 1: the table's default; above 64 MiB: capped)
 * and the `expect` list. When checking, each bad expectation is
 * reported; a run reports them on their lines. -1 when the list is
 * unusable (why says why) or, when checking, after any problem. */
static int read_settings(pkit *k, int checking, size_t *max, cJSON **root,
                         char *why, size_t n)
{
  long long m = pkit_int(k, "max_file_bytes");
  int bad = 0;
  if(m <= 0)
    m = (long long)pkit_default(k, "max_file_bytes");
  if(m > 64LL * 1024 * 1024)
    m = 64LL * 1024 * 1024; /* the cap, not the default, for a value above it */
  *max = (size_t)m;
  if(each_expect(k, root, why, n) != 0) {
    if(checking)
      k->host->config_error(k->ctx, "expect", "%s", why);
    return -1;
  }
  const cJSON *e, *list = checking ? *root : NULL;
  int i = 0;
  cJSON_ArrayForEach(e, list) {
    expect x;
    char ewhy[300];
    i++;
    if(parse_expect(e, &x, ewhy, sizeof(ewhy)) != 0) {
      k->host->config_error(k->ctx, "expect", "expectation %d: %s", i, ewhy);
      bad = 1;
    }
  }
  return bad ? -1 : 0;
}

/* The run: one line per expectation. */
static int config_run(probe_ctx *ctx, const probe_host *host)
{
  cJSON *root = NULL;
  char why[300];
  size_t max = 0;
  pkit k;
  pkit_init(&k, ctx, host, config_settings);
  int bad = read_settings(&k, 0, &max, &root, why, sizeof(why)) != 0;
  if(bad || cJSON_GetArraySize(root) == 0) {
    /* the reason read_settings gave (too many, not a list), else none set */
    pkit_line(ctx, host, CHECK_NAME, "-", PROBE_UNKNOWN, "%s",
              bad && root ? why : "nothing to check: set config.expect");
    cJSON_Delete(root);
    pkit_free(&k);
    return 0;
  }
  double now = putil_wall();
  const cJSON *e;
  int i = 0, urls = 0;
  cJSON_ArrayForEach(e, root)
    urls += cJSON_GetObjectItemCaseSensitive(e, "url") != NULL;
  if(!urls && psandbox_no_network() != 0)
    host->log(ctx, PROBE_LOG_WARNING,
              "could not drop the network for this run");
  cJSON_ArrayForEach(e, root) {
    expect x;
    i++;
    if(parse_expect(e, &x, why, sizeof(why)) != 0)
      pkit_misconfigured(ctx, host, CHECK_NAME, "-", "expectation %d: %s", i,
                         why);
    else
      check_one(ctx, host, &x, max, now);
  }
  cJSON_Delete(root);
  pkit_free(&k);
  return 0;
}

/* --check-config: every bad expectation named, no file read. */
static int config_check_config(probe_ctx *ctx, const probe_host *host)
{
  cJSON *root = NULL;
  char why[300];
  size_t max;
  pkit k;
  pkit_init(&k, ctx, host, config_settings);
  int bad = read_settings(&k, 1, &max, &root, why, sizeof(why)) != 0;
  cJSON_Delete(root);
  pkit_free(&k);
  return bad;
}

/* Sockets only for expectations with a url: a run without one drops them
 * itself (psandbox_no_network) before any file is read. */
PROBE_PLUGIN_EXPORT const probe_sandbox
    probe_plugin_sandbox = {PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK};

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI,
    "config",
    PACKAGE_VERSION,
    "the flags the cutover turns, where the service reads them: env file, JSON, ConfigMap, URL",
    config_settings,
    NULL,
    config_run,
    NULL,
    config_check_config};
