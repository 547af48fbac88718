/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secrets.c: the secrets plugin (check `secrets.rotation`, one line per
 * secret): rotation hygiene of secrets given as `files` or `env` names.
 *
 * Per secret, each problem with its status:
 *   critical  file missing or empty; env variable not set or empty; file
 *             readable or writable by group or others; owner other than
 *             `expected_owner` (when set); an `hmac` secret shorter than
 *             `hmac_min_bytes`; an `eth_private_key` that is not one, or
 *             whose address differs from anchor.expected_sender; the value
 *             found in a `repo_paths` working tree or its git history.
 *   warning   older than `max_age_days` (time since rotation: a Kubernetes
 *             secret volume's ..data link, else the file's mtime; env
 *             secrets have no age); unchanged since the recorded baseline
 *             (`unchanged_status`); an eth key with no
 *             anchor.expected_sender to compare with.
 *   unknown   the file exists but the probe may not read it; a bad entry.
 * Baseline: `--set secrets.baseline=record` stores HMAC-SHA-256
 * fingerprints of every secret, keyed with 32 random bytes kept in the
 * state directory (fingerprint.key, mode 0600), in baseline.json; later
 * runs compare. Lines carry only a keyed fingerprint's first 16 hex digits,
 * never a value, a piece of one, its length or a plain hash.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "probe-plugin.h"
#include "plugins/common/pverdict.h"
#include "crypto/eth.h"
#include "crypto/hex.h"
#include "plugins/common/pkit.h"
#include "plugins/common/pstate.h"
#include "plugins/common/putil.h"
#include "plugins/secrets/secutil.h"
#include "plugins/secrets/sjudge.h"

#define CHECK_NAME "secrets.rotation"
#define MAX_SECRETS 500
#define KEY_FILE "fingerprint.key"
#define BASELINE_FILE "baseline.json"
#define MAX_HITS_SHOWN 10

typedef sjudge_kind kind;

/* One configured secret and what was found about it. */
typedef struct secret {
  char *label; /* the target: path or env:NAME */
  char *id;    /* baseline key: name, else the label */
  char *name;  /* given name or NULL */
  char *path;  /* file secrets */
  char *env;   /* env secrets */
  kind kind;
  int is_env; /* from the env list (else files) */
  char *config_error;
  sec_err rc;
  char err[512];
  sec_value v;
  int have_info;
  sec_fileinfo fi;
  char fp[65]; /* keyed fingerprint, "" when none */
} secret;

static const probe_setting sec_settings[] = {
    {"files", PROBE_SET_LIST, "[]", 0,
     "secret files: a path, or {\"path\":..., \"kind\":\"api_key|hmac|eth_private_key\", \"name\":...}"},
    {"env", PROBE_SET_LIST, "[]", 0,
     "secret environment variables: a name, or {\"env\":..., \"kind\":..., \"name\":...}"},
    {"max_age_days", PROBE_SET_NUMBER, "90", 0,
     "warning when a secret file was not rotated for longer (Kubernetes: the ..data link's age)"},
    {"hmac_min_bytes", PROBE_SET_INT, "32", 0,
     "critical when an hmac secret is shorter"},
    {"baseline", PROBE_SET_STRING, "\"compare\"", 0,
     "record: store keyed fingerprints now; compare: report secrets unchanged since; off"},
    {"unchanged_status", PROBE_SET_STRING, "\"warning\"", 0,
     "status of a secret unchanged since the baseline: critical, warning or ignore"},
    {"expected_owner", PROBE_SET_STRING, NULL, 0,
     "user name or uid that must own the secret files (critical otherwise)"},
    {"repo_paths", PROBE_SET_LIST, "[]", 0,
     "working trees to scan (with their git history when git is there) for any secret's value"},
    {"git_history", PROBE_SET_BOOL, "true", 0,
     "also scan repo_paths' git history (git log -p --all)"},
    {NULL, 0, NULL, 0, NULL}};

static void secret_free(secret *s)
{
  free(s->label);
  free(s->id);
  free(s->name);
  free(s->path);
  free(s->env);
  free(s->config_error);
  sec_value_free(&s->v);
}

static int kind_from_name(const char *k)
{
  if(!k || !strcmp(k, "api_key"))
    return SJ_API_KEY;
  if(!strcmp(k, "hmac"))
    return SJ_HMAC;
  if(!strcmp(k, "eth_private_key"))
    return SJ_ETH;
  return -1;
}

static const char *kind_name(kind k)
{
  return k == SJ_HMAC ? "hmac" : k == SJ_ETH ? "eth_private_key" : "api_key";
}

/* Fills a secret from one `files` (is_env 0) or `env` element. */
static void entry(const cJSON *e, int is_env, secret *s, int *oom)
{
  const char *where = NULL, *k = NULL, *name = NULL,
             *key = is_env ? "env" : "path";
  char buf[300], *json = NULL;
  int kd;
  s->is_env = is_env;
  if(cJSON_IsString(e)) {
    where = e->valuestring;
  }
  else if(cJSON_IsObject(e)) {
    const cJSON *m;
    cJSON_ArrayForEach(m, e) {
      if(!cJSON_IsString(m)) {
        snprintf(buf, sizeof buf,
                 "bad entry: member \"%.60s\" must be a string", m->string);
        goto bad;
      }
      if(!strcmp(m->string, key))
        where = m->valuestring;
      else if(!strcmp(m->string, "kind"))
        k = m->valuestring;
      else if(!strcmp(m->string, "name"))
        name = m->valuestring;
      else {
        snprintf(buf, sizeof buf,
                 "bad entry: unknown member \"%.60s\" (%s, kind, name)",
                 m->string, key);
        goto bad;
      }
    }
  }
  if(!where || !*where) {
    snprintf(buf, sizeof buf, "bad entry: %s",
             is_env ? "an env entry is a variable name or {\"env\": ...}"
                    : "a files entry is a path or {\"path\": ...}");
    goto bad;
  }
  kd = kind_from_name(k);
  if(kd < 0) {
    snprintf(buf, sizeof buf,
             "bad entry: kind must be api_key, hmac or eth_private_key");
    goto bad;
  }
  s->kind = (kind)kd;
  if(is_env) {
    size_t l = strlen(where) + 5;
    s->env = putil_strdup(where, oom);
    s->label = malloc(l);
    if(s->label)
      snprintf(s->label, l, "env:%s", where);
    else
      *oom = 1;
  }
  else {
    s->path = putil_strdup(where, oom);
    s->label = putil_strdup(where, oom);
  }
  s->name = putil_strdup(name, oom);
  s->id = putil_strdup(name ? name : s->label, oom);
  return;
bad:
  json = cJSON_PrintUnformatted(e);
  s->label = putil_strdup(json ? json : "?", oom);
  s->config_error = putil_strdup(buf, oom);
  free(json);
}

/* Appends the secrets of one list setting. */
static int add_secrets(const char *json, int is_env, secret **ss, size_t *n,
                       int *oom, probe_ctx *ctx, const probe_host *host)
{
  cJSON *arr = cJSON_Parse(json), *e;
  if(!arr || !cJSON_IsArray(arr)) {
    cJSON_Delete(arr);
    host->log(ctx, PROBE_LOG_ERROR, "%s is not a JSON array",
              is_env ? "env" : "files");
    return -1;
  }
  cJSON_ArrayForEach(e, arr) {
    secret *ns;
    if(*n >= MAX_SECRETS)
      break;
    ns = realloc(*ss, (*n + 1) * sizeof **ss);
    if(!ns) {
      *oom = 1;
      break;
    }
    *ss = ns;
    memset(&(*ss)[*n], 0, sizeof **ss);
    entry(e, is_env, &(*ss)[*n], oom);
    (*n)++;
  }
  cJSON_Delete(arr);
  return 0;
}

/* The fingerprint key of the state directory, made on first use. */
static int load_key(const char *dir, uint8_t key[32], int create, char *err,
                    size_t errlen)
{
  char *buf = NULL;
  size_t len = 0;
  int r;
  if(!dir) {
    snprintf(err, errlen, "no state directory");
    return -1;
  }
  r = pstate_read(dir, KEY_FILE, 64, &buf, &len);
  if(r == 0 && len == 32) {
    memcpy(key, buf, 32);
    OPENSSL_cleanse(buf, len);
    free(buf);
    return 0;
  }
  if(buf) {
    OPENSSL_cleanse(buf, len);
    free(buf);
  }
  if(r == 0) {
    snprintf(err, errlen, "%s/%s is not 32 bytes", dir, KEY_FILE);
    return -1;
  }
  if(r < 0) {
    snprintf(err, errlen, "%s/%s: %s", dir, KEY_FILE, strerror(errno));
    return -1;
  }
  if(!create)
    return 1;
  if(RAND_bytes(key, 32) != 1 || pstate_write(dir, KEY_FILE, key, 32) != 0) {
    snprintf(err, errlen, "cannot create %s/%s: %s", dir, KEY_FILE,
             strerror(errno));
    return -1;
  }
  return 0;
}


/* Owner check: expected is a user name or a number. -1 if unknown user. */
static int owner_uid(const char *expected, uid_t *uid)
{
  char *end;
  long n = strtol(expected, &end, 10);
  struct passwd *pw;
  if(*expected && !*end && n >= 0) {
    *uid = (uid_t)n;
    return 0;
  }
  pw = getpwnam(expected);
  if(!pw)
    return -1;
  *uid = pw->pw_uid;
  return 0;
}

/* What `baseline` asks for. */
typedef enum baseline_mode {
  BASELINE_OFF,
  BASELINE_COMPARE,
  BASELINE_RECORD
} baseline_mode;

/* The settings and shared state of a run. */
typedef struct run {
  double max_age_days;
  long long hmac_min;
  int git_history;
  baseline_mode baseline_mode;
  probe_status unchanged_status;
  const char *expected_owner;
  const char *expected_sender;
  time_t now;
  int have_key;
  uint8_t key[32];
  cJSON *baseline; /* loaded baseline, or NULL */
  const char *baseline_at;
  sec_scan *scans; /* one per repo path */
  char **scan_roots;
  char **scan_errors;
  size_t nscans;
  sjudge_limits lim; /* the above, as the judge applies them */
  pkit *kit;         /* the settings */
} run;

/* In a Kubernetes secret volume a non-root container can read a secret only
 * through its group (fsGroup, mode 0440): group-read is then no finding,
 * as long as nothing else may read or write it and the group is ours. */
static int fsgroup_read_only(const sec_fileinfo *fi)
{
  if(!fi->k8s || (fi->mode & (S_IROTH | S_IWOTH | S_IWGRP)) ||
     !(fi->mode & S_IRGRP))
    return 0;
  if(fi->gid == getegid())
    return 1;
  gid_t groups[256];
  int n = getgroups(256, groups);
  for(int i = 0; i < n; i++)
    if(groups[i] == fi->gid)
      return 1;
  return 0;
}

/* The details of a secret file: rotation time, age, mode, owner; fills
 * the facts the judge needs about them. */
static void file_facts(const probe_host *host, probe_result *r, const run *R,
                       const secret *s, sjudge_facts *f, char *tbuf,
                       size_t tlen, char *mode, size_t mlen)
{
  struct passwd *pw = getpwuid(s->fi.uid);
  struct group *gr = getgrgid(s->fi.gid);
  struct tm tm;
  f->have_info = 1;
  f->age_s = difftime(R->now, s->fi.rotated);
  f->mode = s->fi.mode;
  f->group_read_allowed = fsgroup_read_only(&s->fi);
  f->owner_name = pw ? pw->pw_name : NULL;
  if(R->expected_owner) {
    uid_t want;
    f->owner = owner_uid(R->expected_owner, &want) != 0 ? SJ_OWNER_UNKNOWN_USER
               : want != s->fi.uid                      ? SJ_OWNER_OTHER
                                                        : SJ_OWNER_MATCH;
  }
  host->result_metric(r, "age_seconds", f->age_s);
  host->result_metric(r, "age_days", floor(f->age_s / 86400.0));
  if(PROBE_HOST_HAS_THRESHOLD(host))
    host->result_threshold(r, "age_seconds", R->max_age_days * 86400.0, NAN);
  gmtime_r(&s->fi.rotated, &tm);
  strftime(tbuf, tlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
  f->rotated_at = tbuf;
  host->result_detail_string(r, "rotated_at", tbuf);
  host->result_detail_string(r, "age_from",
                             s->fi.k8s
                                 ? "..data link (Kubernetes secret volume)"
                                 : "file mtime");
  host->result_detail_bool(r, "kubernetes_volume", s->fi.k8s);
  snprintf(mode, mlen, "%04o", (unsigned)(s->fi.mode & 07777));
  host->result_detail_string(r, "mode", mode);
  if(pw)
    host->result_detail_string(r, "owner", pw->pw_name);
  else
    host->result_detail_number(r, "owner", (double)s->fi.uid);
  if(gr)
    host->result_detail_string(r, "group", gr->gr_name);
  else
    host->result_detail_number(r, "group", (double)s->fi.gid);
  if(f->group_read_allowed)
    host->result_detail_string(r, "group_read",
                               "allowed: Kubernetes secret volume, fsGroup is "
                               "one of the agent's groups");
}

/* A wallet key: derives its address (shown, never the key). */
static void eth_facts(const probe_host *host, probe_result *r, const secret *s,
                      sjudge_facts *f, char *shown, size_t n)
{
  uint8_t priv[32], addr[20];
  char hex[41];
  f->eth_valid = sec_eth_parse_key(&s->v, priv) == 0 &&
                 crypto_eth_address_from_privkey(priv, addr) == 0;
  OPENSSL_cleanse(priv, sizeof(priv));
  if(!f->eth_valid)
    return;
  crypto_hex_encode(addr, 20, hex);
  snprintf(shown, n, "0x%s", hex);
  f->derived = shown;
  host->result_detail_string(r, "derived_address", shown);
}

/* The keyed fingerprint against the baseline. */
static void baseline_facts(const probe_host *host, probe_result *r,
                           const run *R, const secret *s, sjudge_facts *f)
{
  char shortfp[17];
  f->recorded = R->baseline_mode == BASELINE_RECORD && R->have_key;
  if(!s->fp[0])
    return;
  snprintf(shortfp, sizeof(shortfp), "%.16s", s->fp);
  host->result_detail_string(r, "fingerprint", shortfp);
  if(R->baseline_mode == BASELINE_RECORD) {
    host->result_detail_string(r, "baseline", "recorded");
    return;
  }
  if(!R->baseline)
    return;
  const cJSON *fps =
      cJSON_GetObjectItemCaseSensitive(R->baseline, "fingerprints");
  const cJSON *old = cJSON_GetObjectItemCaseSensitive(fps, s->id);
  if(R->baseline_at)
    host->result_detail_string(r, "baseline_recorded_at", R->baseline_at);
  if(!cJSON_IsString(old)) {
    host->result_detail_string(r, "baseline", "not in the baseline");
    return;
  }
  f->in_baseline = 1;
  f->baseline_at = R->baseline_at;
  f->unchanged = strlen(old->valuestring) == 64 &&
                 CRYPTO_memcmp(old->valuestring, s->fp, 64) == 0;
  host->result_detail_bool(r, "changed_since_baseline", !f->unchanged);
}

/* The repository places holding secret idx: counted, the first kept for
 * the summary, up to MAX_HITS_SHOWN listed. */
static void hit_facts(const probe_host *host, probe_result *r, const run *R,
                      size_t idx, sjudge_facts *f)
{
  cJSON *hits;
  if(!R->nscans)
    return;
  hits = cJSON_CreateArray();
  f->scanned = 1;
  for(size_t i = 0; i < R->nscans; i++)
    for(size_t j = 0; j < R->scans[i].n; j++) {
      sec_hit *h = &R->scans[i].hits[j];
      cJSON *o;
      if(h->needle != idx)
        continue;
      if(++f->nhits == 1) {
        f->hit_repo = R->scan_roots[i];
        f->hit_file = h->file;
        f->hit_commit = h->commit;
      }
      if(f->nhits > MAX_HITS_SHOWN || !hits)
        continue;
      o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "repo", R->scan_roots[i]);
      cJSON_AddStringToObject(o, "file", h->file);
      if(h->commit[0])
        cJSON_AddStringToObject(o, "commit", h->commit);
      else
        cJSON_AddNumberToObject(o, "line", (double)h->line);
      cJSON_AddItemToArray(hits, o);
    }
  char *js = hits ? cJSON_PrintUnformatted(hits) : NULL;
  host->result_metric(r, "repo_hits", f->nhits);
  if(js)
    host->result_detail_json(r, "repo_hits", js);
  free(js);
  cJSON_Delete(hits);
}

/* Emits the line of one secret: gathers its facts (and details), judges
 * them, sets the status. */
static void emit_secret(probe_ctx *ctx, const probe_host *host, run *R,
                        secret *s, size_t idx)
{
  probe_result *r =
      host->result_begin(ctx, CHECK_NAME, s->label ? s->label : "?");
  sjudge_facts f;
  sjudge_verdict jv;
  char tbuf[40], mode[8], derived[43];
  if(!r)
    return;
  if(s->config_error) {
    host->result_status(r, PROBE_UNKNOWN, "%s", s->config_error);
    host->result_emit(r);
    return;
  }
  memset(&f, 0, sizeof(f));
  f.rc = s->rc;
  f.err = s->err;
  f.len = s->v.len;
  f.kind = s->kind;
  host->result_detail_string(r, "kind", kind_name(s->kind));
  host->result_detail_string(r, "source", s->env ? "env" : "file");
  if(s->name)
    host->result_detail_string(r, "name", s->name);
  if(s->rc != SEC_OK) {
    host->result_detail_string(r, "error", sec_strerror(s->rc));
  }
  else {
    if(s->have_info)
      file_facts(host, r, R, s, &f, tbuf, sizeof(tbuf), mode, sizeof(mode));
    else if(s->env)
      host->result_detail_string(
          r, "age_from", "none: environment variables have no rotation time");
    if(s->kind == SJ_ETH && s->v.len > 0)
      eth_facts(host, r, s, &f, derived, sizeof(derived));
    baseline_facts(host, r, R, s, &f);
    hit_facts(host, r, R, idx, &f);
  }
  sjudge_secret(&R->lim, &f, &jv);
  if(jv.sender_compared) {
    host->result_detail_string(r, "expected_sender", R->expected_sender);
    host->result_detail_bool(r, "sender_match", jv.sender_match);
  }
  host->result_status(r, jv.v.st, "%s", jv.v.text);
  host->result_emit(r);
}

/* Reads every secret's value and file information. */
static void read_secret(secret *s)
{
  if(s->config_error)
    return;
  if(s->path) {
    struct stat st;
    s->rc = sec_read_file_st(s->path, &s->v, &st, s->err, sizeof s->err);
    if(s->rc == SEC_ERR_NOENT)
      snprintf(s->err, sizeof s->err, "secret file %s is missing", s->path);
    if(s->rc == SEC_OK && sec_file_info(s->path, &s->fi, NULL, 0) == SEC_OK) {
      /* mode and owner of the file read, from its descriptor: the path
       * could have been swapped since */
      s->fi.mode = st.st_mode;
      s->fi.uid = st.st_uid;
      s->fi.gid = st.st_gid;
      s->fi.dev = st.st_dev;
      s->fi.ino = st.st_ino;
      s->have_info = 1;
    }
  }
  else {
    const char *e = getenv(s->env);
    if(!e) {
      s->rc = SEC_ERR_NOENT;
      snprintf(s->err, sizeof s->err, "environment variable %s is not set",
               s->env);
    }
    else {
      s->rc = sec_value_set(&s->v, e, strlen(e));
      if(s->rc != SEC_OK)
        snprintf(s->err, sizeof s->err, "environment variable %s: %s", s->env,
                 sec_strerror(s->rc));
    }
  }
}

/* Writes the baseline of every readable secret. */
static int write_baseline(const char *dir, secret *ss, size_t n, time_t now,
                          char *err, size_t errlen)
{
  cJSON *root = cJSON_CreateObject(), *fps = cJSON_CreateObject();
  char tbuf[40], *txt;
  struct tm tm;
  size_t i;
  int rc;
  gmtime_r(&now, &tm);
  strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if(!root || !fps) {
    cJSON_Delete(root);
    cJSON_Delete(fps);
    return -1;
  }
  cJSON_AddNumberToObject(root, "version", 1);
  cJSON_AddStringToObject(root, "recorded_at", tbuf);
  cJSON_AddStringToObject(root, "algorithm", "HMAC-SHA-256, key in " KEY_FILE);
  for(i = 0; i < n; i++)
    if(ss[i].fp[0])
      cJSON_AddStringToObject(fps, ss[i].id, ss[i].fp);
  cJSON_AddItemToObject(root, "fingerprints", fps);
  txt = cJSON_Print(root);
  cJSON_Delete(root);
  if(!txt)
    return -1;
  rc = pstate_write(dir, BASELINE_FILE, txt, strlen(txt));
  if(rc != 0)
    snprintf(err, errlen, "cannot write %s/%s: %s", dir, BASELINE_FILE,
             strerror(errno));
  free(txt);
  return rc;
}

/* Reports one bad setting: to --check-config, or to the log of a run. */

/* `baseline` as a mode; -1 when it is none of the three. */
static int baseline_mode_of(const char *s, baseline_mode *out)
{
  if(!strcmp(s, "record"))
    *out = BASELINE_RECORD;
  else if(!strcmp(s, "compare"))
    *out = BASELINE_COMPARE;
  else if(!strcmp(s, "off"))
    *out = BASELINE_OFF;
  else
    return -1;
  return 0;
}

/* unchanged_status as a status; -1 when it is none of the three. */
static int unchanged_status_of(const char *s, probe_status *out)
{
  if(!strcasecmp(s, "critical"))
    *out = PROBE_CRITICAL;
  else if(!strcasecmp(s, "warning"))
    *out = PROBE_WARNING;
  else if(!strcasecmp(s, "ignore"))
    *out = PROBE_OK;
  else
    return -1;
  return 0;
}

/* The scalar settings, for both run and check_config, through the kit:
 * every default is the settings table's. -1 after reporting one that is
 * unusable. */
static int read_conf(pkit *k, run *R, int checking)
{
  probe_ctx *ctx = k->ctx;
  const probe_host *host = k->host;
  const char *s;
  int bad = 0;
  R->max_age_days = pkit_number(k, "max_age_days");
  R->hmac_min = pkit_int(k, "hmac_min_bytes");
  R->git_history = pkit_bool(k, "git_history");
  s = pkit_str(k, "baseline");
  if(!s || baseline_mode_of(s, &R->baseline_mode) != 0) {
    pkit_config_error(ctx, host, checking, "baseline",
                      "baseline must be record, compare or off");
    bad = 1;
  }
  s = pkit_str(k, "unchanged_status");
  if(!s || unchanged_status_of(s, &R->unchanged_status) != 0) {
    pkit_config_error(ctx, host, checking, "unchanged_status",
                      "unchanged_status must be critical, warning or ignore");
    bad = 1;
  }
  R->expected_owner = pkit_str(k, "expected_owner"); /* no default: unchecked */
  /* another plugin's setting, outside this table: read as is */
  if(host->conf_string(ctx, "anchor.expected_sender", &R->expected_sender) != 0)
    R->expected_sender = NULL;
  R->now = time(NULL);
  R->lim.max_age_days = R->max_age_days;
  R->lim.hmac_min = R->hmac_min;
  R->lim.unchanged_status = R->unchanged_status;
  R->lim.expected_owner = R->expected_owner;
  R->lim.expected_sender = R->expected_sender;
  return bad ? -1 : 0;
}

/* The settings and the configured secrets (files, then env), for both
 * run and check_config; a bad entry is kept in its secret (and reported
 * when checking). -1 when a setting is unusable. */
static int read_settings(pkit *k, run *R, int checking, secret **ss, size_t *n,
                         int *oom)
{
  probe_ctx *ctx = k->ctx;
  const probe_host *host = k->host;
  const char *json;
  int bad = read_conf(k, R, checking) != 0;
  if((json = pkit_json(k, "files")) &&
     add_secrets(json, 0, ss, n, oom, ctx, host) != 0)
    bad = 1;
  if((json = pkit_json(k, "env")) &&
     add_secrets(json, 1, ss, n, oom, ctx, host) != 0)
    bad = 1;
  for(size_t i = 0; checking && i < *n; i++)
    if((*ss)[i].config_error) {
      pkit_config_error(ctx, host, checking, (*ss)[i].is_env ? "env" : "files",
                        "%s: %s", (*ss)[i].label ? (*ss)[i].label : "?",
                        (*ss)[i].config_error);
      bad = 1;
    }
  return bad || *oom ? -1 : 0;
}

/* Scans repo_paths for every readable secret's value. */
static void scan_repos(probe_ctx *ctx, const probe_host *host, run *R,
                       secret *ss, size_t n)
{
  const char *json = NULL;
  cJSON *arr, *e;
  sec_needle *nd = NULL;
  dev_t *sd = NULL;
  ino_t *si = NULL;
  size_t i, ns = 0, k = 0, m;
  double tl = host->time_left(ctx), deadline;
  if(!(json = pkit_json(R->kit, "repo_paths")))
    return;
  arr = cJSON_Parse(json);
  m = (size_t)cJSON_GetArraySize(arr);
  if(!arr || !cJSON_IsArray(arr) || m == 0) {
    cJSON_Delete(arr);
    return;
  }
  if(!(tl > 0))
    tl = 60;
  deadline = putil_now() + tl * 0.8;
  nd = calloc(n, sizeof *nd);
  sd = calloc(n, sizeof *sd);
  si = calloc(n, sizeof *si);
  R->scans = calloc(m, sizeof *R->scans);
  R->scan_roots = calloc(m, sizeof *R->scan_roots);
  R->scan_errors = calloc(m, sizeof *R->scan_errors);
  if(!nd || !sd || !si || !R->scans || !R->scan_roots || !R->scan_errors)
    goto done;
  /* needles: the values (an eth key without 0x, any case); values shorter
   * than 8 bytes would match by chance and are not searched */
  for(i = 0; i < n; i++) {
    if(ss[i].rc == SEC_OK && ss[i].v.len >= 8) {
      nd[i].p = ss[i].v.p;
      nd[i].len = ss[i].v.len;
      if(ss[i].kind == SJ_ETH && nd[i].len == 66 &&
         !strncasecmp((const char *)nd[i].p, "0x", 2)) {
        nd[i].p += 2;
        nd[i].len -= 2;
      }
      nd[i].icase = ss[i].kind == SJ_ETH;
    }
    if(ss[i].have_info) {
      sd[ns] = ss[i].fi.dev;
      si[ns] = ss[i].fi.ino;
      ns++;
    }
  }
  cJSON_ArrayForEach(e, arr) {
    char err[512] = "";
    sec_err rc;
    if(!cJSON_IsString(e))
      continue;
    R->scan_roots[k] = strdup(e->valuestring);
    if(!R->scan_roots[k])
      break;
    rc = sec_scan_tree(e->valuestring, nd, n, sd, si, ns, deadline,
                       &R->scans[k], err, sizeof err);
    if(rc != SEC_OK) {
      R->scan_errors[k] = strdup(err);
    }
    else if(R->git_history) {
      char gitdir[4096];
      struct stat st;
      snprintf(gitdir, sizeof gitdir, "%s/.git", e->valuestring);
      if(stat(gitdir, &st) == 0) {
        rc = sec_scan_git(e->valuestring, nd, n, deadline, &R->scans[k], err,
                          sizeof err);
        if(rc != SEC_OK)
          R->scan_errors[k] = strdup(err);
      }
    }
    k++;
  }
  R->nscans = k;
done:
  cJSON_Delete(arr);
  free(nd);
  free(sd);
  free(si);
}

/* One line per scanned tree, so that a failed or partial scan is
 * visible. */
static void emit_scans(probe_ctx *ctx, const probe_host *host, const run *R)
{
  for(size_t i = 0; i < R->nscans; i++) {
    const sec_scan *sc = &R->scans[i];
    probe_result *r =
        host->result_begin(ctx, "secrets.repo_scan", R->scan_roots[i]);
    pverdict v;
    if(!r)
      continue;
    host->result_metric(r, "files_scanned", (double)sc->files_scanned);
    host->result_metric(r, "commits_scanned", (double)sc->commits_scanned);
    host->result_metric(r, "hits", (double)sc->n);
    if(PROBE_HOST_HAS_THRESHOLD(host))
      host->result_threshold(r, "hits", NAN, 0);
    sjudge_scan(R->scan_errors[i], sc->n, sc->files_scanned,
                sc->commits_scanned, &v);
    host->result_status(r, v.st, "%s", v.text);
    host->result_emit(r);
  }
}

/* Emits one unknown line about the baseline (or the plugin as a whole). */
static void unknown_line(probe_ctx *ctx, const probe_host *host,
                         const char *target, const char *why)
{
  probe_result *r = host->result_begin(ctx, CHECK_NAME, target ? target : "-");
  if(r) {
    host->result_status(r, PROBE_UNKNOWN, "%s", why);
    host->result_emit(r);
  }
}

/* Loads the baseline to compare with, when there is one. */
static void load_baseline(probe_ctx *ctx, const probe_host *host, run *R,
                          const char *dir)
{
  char *txt = NULL;
  size_t len = 0;
  if(pstate_read(dir, BASELINE_FILE, 4u << 20, &txt, &len) == 0) {
    R->baseline = cJSON_Parse(txt);
    if(R->baseline) {
      const cJSON *at =
          cJSON_GetObjectItemCaseSensitive(R->baseline, "recorded_at");
      R->baseline_at = cJSON_IsString(at) ? at->valuestring : NULL;
    }
    else {
      host->log(ctx, PROBE_LOG_WARNING, "%s/%s is not valid JSON; ignored", dir,
                BASELINE_FILE);
    }
  }
  free(txt);
}

/* Gathers the fingerprints: the key (made when recording), each readable
 * secret's keyed fingerprint, then records the baseline or loads it. */
static void gather_fingerprints(probe_ctx *ctx, const probe_host *host, run *R,
                                secret *ss, size_t n)
{
  const char *dir = host->state_dir(ctx);
  char err[512] = "", why[600];
  int record = R->baseline_mode == BASELINE_RECORD, kr;
  if(R->baseline_mode == BASELINE_OFF)
    return;
  kr = load_key(dir, R->key, record, err, sizeof(err));
  if(kr < 0)
    host->log(ctx, PROBE_LOG_WARNING, "fingerprints unavailable: %s", err);
  R->have_key = kr == 0;
  if(!R->have_key) {
    if(record) {
      snprintf(why, sizeof(why), "baseline not recorded: %s",
               err[0] ? err : "no key");
      unknown_line(ctx, host, dir, why);
    }
    return;
  }
  for(size_t i = 0; i < n; i++)
    if(ss[i].rc == SEC_OK && sec_fingerprint(R->key, &ss[i].v, ss[i].fp) != 0)
      ss[i].fp[0] = 0;
  if(!record) {
    load_baseline(ctx, host, R, dir);
    return;
  }
  if(write_baseline(dir, ss, n, R->now, err, sizeof(err)) != 0) {
    snprintf(why, sizeof(why), "baseline not recorded: %s", err);
    unknown_line(ctx, host, dir, why);
    R->have_key = 0;
  }
}

/* Frees what a run gathered; wipes the key. */
static void run_free(run *R, secret *ss, size_t n)
{
  OPENSSL_cleanse(R->key, sizeof(R->key));
  cJSON_Delete(R->baseline);
  for(size_t i = 0; i < R->nscans; i++) {
    sec_scan_free(&R->scans[i]);
    free(R->scan_roots[i]);
    free(R->scan_errors[i]);
  }
  free(R->scans);
  free(R->scan_roots);
  free(R->scan_errors);
  for(size_t i = 0; i < n; i++)
    secret_free(&ss[i]);
  free(ss);
}

/* The run: read settings, gather (values, fingerprints, repositories),
 * then judge and emit each secret. */
static int sec_run(probe_ctx *ctx, const probe_host *host)
{
  run R;
  secret *ss = NULL;
  size_t n = 0;
  int oom = 0, rc = -1;

  pkit k;

  memset(&R, 0, sizeof(R));
  pkit_init(&k, ctx, host, sec_settings);
  R.kit = &k;
  if(read_settings(&k, &R, 0, &ss, &n, &oom) != 0)
    goto done;
  rc = 0;
  if(n == 0) {
    unknown_line(ctx, host, "-",
                 "nothing to check: set secrets.files or secrets.env");
    goto done;
  }
  for(size_t i = 0; i < n; i++)
    read_secret(&ss[i]);
  gather_fingerprints(ctx, host, &R, ss, n);
  scan_repos(ctx, host, &R, ss, n);
  emit_scans(ctx, host, &R);
  for(size_t i = 0; i < n; i++)
    emit_secret(ctx, host, &R, &ss[i], i);
done:
  if(oom)
    host->log(ctx, PROBE_LOG_ERROR, "out of memory reading the settings");
  run_free(&R, ss, n);
  pkit_free(&k);
  return rc;
}

/* --check-config: entries and enum settings, no reading of secrets. */
static int sec_check_config(probe_ctx *ctx, const probe_host *host)
{
  run R;
  secret *ss = NULL;
  size_t n = 0;
  int oom = 0;
  pkit k;
  memset(&R, 0, sizeof(R));
  pkit_init(&k, ctx, host, sec_settings);
  R.kit = &k;
  int bad = read_settings(&k, &R, 1, &ss, &n, &oom) != 0;
  run_free(&R, ss, n);
  pkit_free(&k);
  return bad;
}

/* git for repository history; root for the root-only secret files it
 * guards (secrets.user names another user to run it as). No network. */
PROBE_PLUGIN_EXPORT const probe_sandbox probe_plugin_sandbox = {
    PROBE_SANDBOX_VERSION, PROBE_NEEDS_PROGRAMS | PROBE_NEEDS_ROOT};

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
    PROBE_PLUGIN_ABI,
    "secrets",
    PACKAGE_VERSION,
    "secret rotation hygiene: age, baseline, file mode and owner, HMAC length, wallet address, repository leaks",
    sec_settings,
    NULL,
    sec_run,
    NULL,
    sec_check_config};
