/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.c: loading, merging and validating the configuration (see
 * conf.h). Every error names where the value came from: file and line,
 * environment variable, or --set argument.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/utf8.h"
#include "lib/duration.h"
#include "conf.h"
#include "conf_env.h"
#include "jsonc.h"
#include "loader.h"
#include "sandbox.h"

#define CONFIG_MAX_BYTES (8u << 20)

static const probe_setting agent_settings[] = {
    {"interval", PROBE_SET_DURATION, "60", 0,
     "default time between runs of each plugin (daemon)"},
    {"timeout", PROBE_SET_DURATION, "60", 0,
     "default time a plugin run may take before it is killed"},
    {"output", PROBE_SET_STRING, "\"-\"", 0,
     "file to append result lines to; - is standard output"},
    {"format", PROBE_SET_STRING, "\"json\"", 0,
     "json (one object per line) or text"},
    {"state_dir", PROBE_SET_STRING, NULL, 0,
     "where plugins keep state between runs"},
    {"host", PROBE_SET_STRING, NULL, 0,
     "host name written in every line (default: the host name)"},
    {"labels", PROBE_SET_OBJECT, "{}", 0,
     "string labels copied into every line"},
    {"heartbeat_file", PROBE_SET_STRING, NULL, 0,
     "file touched at each scheduler pass (liveness probes)"},
    {"max_output_bytes", PROBE_SET_INT, "1048576", 0,
     "result bytes one run may send before it is killed"},
    {"stop_timeout", PROBE_SET_DURATION, "2", 0,
     "on SIGTERM (daemon), time the runs in flight get to finish"},
    {"user", PROBE_SET_STRING, NULL, 0,
     "user plugins run as when the agent runs as root (default: probe-agent, else nobody)"},
    {"sandbox", PROBE_SET_BOOL, "true", 0,
     "false runs plugins without their sandbox: for debugging and benchmarks only"},
    {"metrics_listen", PROBE_SET_STRING, NULL, 0,
     "HOST:PORT where the daemon serves GET /metrics (OpenMetrics) and /healthz; off when unset"},
    {NULL, 0, NULL, 0, NULL}};

/* Settings every plugin section accepts besides its own table. */
static const probe_setting common_settings[] = {
    {"enabled", PROBE_SET_BOOL, "true", 0,
     "false keeps the plugin from running"},
    {"interval", PROBE_SET_DURATION, NULL, 0,
     "time between runs (default: agent.interval)"},
    {"timeout", PROBE_SET_DURATION, NULL, 0,
     "time a run may take (default: agent.timeout)"},
    {"user", PROBE_SET_STRING, NULL, 0,
     "user a run has when the agent runs as root; \"root\" keeps root (default: root if the plugin needs it, else agent.user)"},
    {"memory_limit", PROBE_SET_INT, NULL, 0,
     "address space of a run in MiB (default: 4096; 0: no limit)"},
    {"cpu_limit", PROBE_SET_DURATION, NULL, 0,
     "CPU time of a run (default: 300 s; 0: no limit)"},
    {"max_processes", PROBE_SET_INT, NULL, 0,
     "processes and threads of the run's user (default: 256; 0: no limit)"},
    {NULL, 0, NULL, 0, NULL}};

const probe_setting *config_agent_settings(void)
{
  return agent_settings;
}

/* Where a value came from, for error messages. */
typedef struct origin_ctx {
  const jsonc_doc *doc;
  const char *file;
  cJSON *origins;  /* "section.key" -> "environment X" / "--set X" */
  size_t *nerrors; /* problems found so far, also those not written */
} origin_ctx;

/* Problems written out in full; past this they are only counted, so that a
 * file of 150,000 unknown keys is refused at once, not after minutes of
 * looking up lines for messages nobody reads. */
#define CONFIG_MAX_ERRORS 20

/* 1 when one more problem should be written in full (counts it). */
static int want_error(const origin_ctx *oc)
{
  return (*oc->nerrors)++ < CONFIG_MAX_ERRORS;
}

void config_escape_text(dbuf *out, const char *s, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  size_t i = 0;
  while(i < len) {
    unsigned char c = (unsigned char)s[i];
    if(c >= 0x20 && c < 0x7f) {
      dbuf_add(out, s + i, 1);
      i++;
      continue;
    }
    if(c == '\n' || c == '\r' || c == '\t') {
      dbuf_addstr(out, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t");
      i++;
      continue;
    }
    size_t n = utf8_seq_len(s + i, len - i);
    /* valid UTF-8 stays, except the C1 controls U+0080..U+009F */
    if(n > 1 && !(c == 0xc2 && (unsigned char)s[i + 1] < 0xa0)) {
      dbuf_add(out, s + i, n);
      i += n;
      continue;
    }
    char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
    dbuf_add(out, esc, 4);
    i++;
  }
}

/* Appends the text of line to errors as one line: whatever it quotes
 * (names, paths, values from the file) has its control characters and
 * invalid UTF-8 escaped, so a key holding a newline cannot split the
 * message into two log records or forge one. */
static void add_line(dbuf *errors, const dbuf *line)
{
  config_escape_text(errors, line->data ? line->data : "", line->len);
  dbuf_addstr(errors, "\n");
}

/* Adds one error line from a format. */
__attribute__((format(printf, 2, 3))) static void errline(dbuf *errors,
                                                          const char *fmt, ...)
{
  dbuf line;
  dbuf_init(&line, 0);
  va_list ap;
  va_start(ap, fmt);
  dbuf_vprintf(&line, fmt, ap);
  va_end(ap);
  add_line(errors, &line);
  dbuf_free(&line);
}

/* Appends "<where>: " for section/key to errors. */
static void add_where(dbuf *errors, const origin_ctx *oc, int is_agent,
                      const char *section, const char *key)
{
  char full[256];
  snprintf(full, sizeof(full), "%s.%s", section, key ? key : "");
  const cJSON *o =
      key ? cJSON_GetObjectItemCaseSensitive(oc->origins, full) : NULL;
  if(cJSON_IsString(o)) {
    dbuf_printf(errors, "%s: ", o->valuestring);
    return;
  }
  if(oc->file) {
    const char *path[3] = {is_agent ? "agent" : "plugins", section, key};
    int line = 0;
    if(is_agent)
      line = key ? jsonc_line(oc->doc, (const char *[]){"agent", key}, 2)
                 : jsonc_line(oc->doc, (const char *[]){"agent"}, 1);
    else
      line = jsonc_line(oc->doc, path, key ? 3 : 2);
    if(line) {
      dbuf_printf(errors, "%s:%d: ", oc->file, line);
      return;
    }
    dbuf_printf(errors, "%s: ", oc->file);
  }
}

/* Adds one error line. */
__attribute__((format(printf, 6, 7))) static void
config_error(dbuf *errors, const origin_ctx *oc, int is_agent,
             const char *section, const char *key, const char *fmt, ...)
{
  if(!want_error(oc))
    return;
  dbuf line;
  dbuf_init(&line, 0);
  add_where(&line, oc, is_agent, section, key);
  if(is_agent)
    dbuf_printf(&line, "agent: ");
  else
    dbuf_printf(&line, "plugin \"%s\": ", section);
  if(key)
    dbuf_printf(&line, "setting \"%s\": ", key);
  va_list ap;
  va_start(ap, fmt);
  dbuf_vprintf(&line, fmt, ap);
  va_end(ap);
  add_line(errors, &line);
  dbuf_free(&line);
}

cJSON *config_parse_value(const char *text, int want_string)
{
  /* the whole text must be JSON: "60m" is a string, not 60 and garbage */
  cJSON *v = cJSON_ParseWithOpts(text, NULL, 1);
  if(v && want_string && !cJSON_IsString(v)) {
    cJSON_Delete(v);
    v = NULL;
  }
  if(!v)
    v = cJSON_CreateString(text);
  return v;
}

/* 1 when v has type t (durations also as strings like "30m"). */
static int value_has_type(const cJSON *v, probe_setting_type t)
{
  double d;
  switch(t) {
  case PROBE_SET_STRING: return cJSON_IsString(v);
  case PROBE_SET_INT: /* and exact: within 2^53, so any cast is defined */
    return cJSON_IsNumber(v) && fabs(v->valuedouble) <= 9007199254740992.0 &&
           floor(v->valuedouble) == v->valuedouble;
  case PROBE_SET_NUMBER: return cJSON_IsNumber(v) && isfinite(v->valuedouble);
  case PROBE_SET_BOOL: return cJSON_IsBool(v);
  case PROBE_SET_DURATION:
    if(cJSON_IsNumber(v))
      return isfinite(v->valuedouble) && v->valuedouble >= 0;
    return cJSON_IsString(v) && duration_parse(v->valuestring, 0, &d) == 0;
  case PROBE_SET_LIST: return cJSON_IsArray(v);
  case PROBE_SET_OBJECT: return cJSON_IsObject(v);
  case PROBE_SET_ANY: return 1;
  }
  return 0;
}

/* Looks key up in a probe_setting table. */
static const probe_setting *table_find(const probe_setting *t, const char *key)
{
  for(; t->key; t++)
    if(!strcmp(t->key, key))
      return t;
  return NULL;
}

/* The type a key of a plugin section must have, or -1 when unknown. */
static int section_key_type(const plugin_desc *d, const char *key,
                            unsigned *flags)
{
  const probe_setting *c = table_find(common_settings, key);
  *flags = 0;
  if(c)
    return (int)c->type;
  const plugin_setting_desc *s = plugin_desc_setting(d, key);
  if(s) {
    *flags = s->flags;
    return (int)s->type;
  }
  return -1;
}

/* Lists the keys a section accepts, for "unknown setting" errors. */
static void known_keys(dbuf *out, const plugin_desc *d, int is_agent)
{
  const probe_setting *t = is_agent ? agent_settings : common_settings;
  int first = 1;
  for(; t->key; t++) {
    dbuf_printf(out, "%s%s", first ? "" : ", ", t->key);
    first = 0;
  }
  for(size_t i = 0; !is_agent && d && i < d->nsettings; i++)
    dbuf_printf(out, ", %s", d->settings[i].key);
}

/* Validates one value against its setting; returns 0 when fine. */
static int check_value(dbuf *errors, const origin_ctx *oc, int is_agent,
                       const char *section, const char *key, const cJSON *v,
                       int type, unsigned flags)
{
  if(!value_has_type(v, (probe_setting_type)type)) {
    config_error(
        errors, oc, is_agent, section, key, "must be %s%s",
        type == PROBE_SET_INT ? "an " : "a ",
        type == PROBE_SET_DURATION
            ? "duration (seconds, or a string like \"30s\", \"5m\", \"24h\")"
            : loader_type_name((probe_setting_type)type));
    return -1;
  }
  if((flags & PROBE_SETTING_FILE) && cJSON_IsString(v) &&
     strcmp(v->valuestring, "-") && access(v->valuestring, R_OK) < 0) {
    config_error(errors, oc, is_agent, section, key, "cannot read %s: %s",
                 (flags & PROBE_SETTING_SECRET) ? "the file" : v->valuestring,
                 strerror(errno));
    return -1;
  }
  return 0;
}

/* Applies one KEY=VALUE override (from --set or the environment). */
static int apply_override(cJSON *root, const plugin_set *descs,
                          const char *section, const char *key,
                          const char *text, const char *origin, cJSON *origins)
{
  int is_agent = !strcmp(section, "agent");
  int want_string = 0;
  if(is_agent) {
    const probe_setting *s = table_find(agent_settings, key);
    want_string = s && s->type == PROBE_SET_STRING;
  }
  else {
    unsigned flags;
    const plugin_desc *d = plugin_set_find(descs, section);
    want_string = d && section_key_type(d, key, &flags) == PROBE_SET_STRING;
  }
  cJSON *parent =
      is_agent
          ? cJSON_GetObjectItemCaseSensitive(root, "agent")
          : cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(root, "plugins"), section);
  if(!parent) {
    parent = cJSON_CreateObject();
    if(is_agent)
      cJSON_AddItemToObject(root, "agent", parent);
    else
      cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(root, "plugins"),
                            section, parent);
  }
  cJSON *v = config_parse_value(text, want_string);
  if(!v)
    return -1;
  cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
  cJSON_AddItemToObject(parent, key, v);
  char full[256];
  snprintf(full, sizeof(full), "%s.%s", section, key);
  cJSON_DeleteItemFromObjectCaseSensitive(origins, full);
  cJSON_AddStringToObject(origins, full, origin);
  return 0;
}

/* Adds name to a list of unique names. */
static int add_name(char ***v, size_t *n, const char *name)
{
  for(size_t i = 0; i < *n; i++)
    if(!strcmp((*v)[i], name))
      return 0;
  char **nv = realloc(*v, (*n + 1) * sizeof(**v));
  if(!nv)
    return -1;
  *v = nv;
  if(!(nv[*n] = strdup(name)))
    return -1;
  (*n)++;
  return 0;
}

/* Splits "section.key" (also "plugins.section.key"); 0 or -1. */
static int split_set_key(const char *k, size_t klen, char *section, size_t slen,
                         char *key, size_t keylen)
{
  if(klen > 8 && !strncmp(k, "plugins.", 8)) {
    k += 8;
    klen -= 8;
  }
  const char *dot = memchr(k, '.', klen);
  if(!dot || dot == k || dot == k + klen - 1)
    return -1;
  size_t sl = (size_t)(dot - k), kl = klen - sl - 1;
  if(sl >= slen || kl >= keylen)
    return -1;
  memcpy(section, k, sl);
  section[sl] = '\0';
  memcpy(key, dot + 1, kl);
  key[kl] = '\0';
  return 0;
}

/* Environment variables the agent itself reads; not settings. */
static int agent_own_env(const char *name)
{
  return !strncmp(name, "PROBE_AGENT_CONFIG=", 19) ||
         !strncmp(name, "PROBE_AGENT_PLUGIN_DIR=", 23) ||
         !strncmp(name, "PROBE_AGENT_SANDBOX_DEBUG=", 26);
}

/* Splits one PROBE_<SECTION>_<KEY>=VALUE variable of the environment, the
 * one parser of that syntax: section (1..63 bytes) and key (1..127, "" when
 * malformed) lowercased, *value after the '=' (NULL when none). -1 when e
 * is not such a variable, or one of the agent's own (PROBE_AGENT_CONFIG...). */
int conf_parse_probe_env(const char *e, char section[64], char key[128],
                         const char **value)
{
  if(strncmp(e, "PROBE_", 6) || agent_own_env(e))
    return -1;
  const char *eq = strchr(e, '=');
  const char *p = e + 6;
  size_t pl = strcspn(p, "_=");
  if(pl == 0 || pl >= 64 || p[pl] != '_')
    return -1;
  for(size_t k = 0; k < pl; k++)
    section[k] = (char)tolower((unsigned char)p[k]);
  section[pl] = '\0';
  size_t kl = eq ? (size_t)(eq - (p + pl + 1)) : 0;
  if(kl >= 128)
    kl = 0;
  for(size_t k = 0; k < kl; k++)
    key[k] = (char)tolower((unsigned char)p[pl + 1 + k]);
  key[kl] = '\0';
  *value = eq ? eq + 1 : NULL;
  return 0;
}

static double section_duration(const cJSON *sec, const char *key, double dflt);

/* Validates one section against its table and applies defaults; its
 * required settings only when `runs` (a plugin left out by --plugin is
 * still type-checked, but need not be set up). */
static void validate_section(cJSON *sec, const plugin_desc *d, int is_agent,
                             const char *name, const origin_ctx *oc,
                             dbuf *errors, int *bad, int runs)
{
  if(!cJSON_IsObject(sec)) {
    config_error(errors, oc, is_agent, name, NULL, "must be an object");
    (*bad)++;
    return;
  }
  const cJSON *item;
  cJSON_ArrayForEach(item, sec) {
    unsigned flags = 0;
    int type;
    if(is_agent) {
      const probe_setting *s = table_find(agent_settings, item->string);
      type = s ? (int)s->type : -1;
    }
    else
      type = section_key_type(d, item->string, &flags);
    if(type < 0) {
      dbuf known;
      dbuf_init(&known, 0);
      known_keys(&known, d, is_agent);
      config_error(errors, oc, is_agent, name, item->string,
                   "unknown setting (known: %s)", known.data ? known.data : "");
      dbuf_free(&known);
      (*bad)++;
      continue;
    }
    if(check_value(errors, oc, is_agent, name, item->string, item, type,
                   flags) < 0)
      (*bad)++;
    else if(!strcmp(item->string, "interval") &&
            section_duration(sec, "interval", CONFIG_MIN_INTERVAL) <
                CONFIG_MIN_INTERVAL) {
      config_error(errors, oc, is_agent, name, item->string,
                   "must be at least %g s (got %g s)", CONFIG_MIN_INTERVAL,
                   section_duration(sec, "interval", 0));
      (*bad)++;
    }
  }
  /* defaults and required settings */
  const cJSON *en = cJSON_GetObjectItemCaseSensitive(sec, "enabled");
  int enabled = !cJSON_IsFalse(en) && runs;
  if(is_agent) {
    for(const probe_setting *s = agent_settings; s->key; s++)
      if(s->default_json && !cJSON_GetObjectItemCaseSensitive(sec, s->key))
        cJSON_AddItemToObject(sec, s->key, cJSON_Parse(s->default_json));
    return;
  }
  for(size_t i = 0; i < d->nsettings; i++) {
    const plugin_setting_desc *s = &d->settings[i];
    if(cJSON_GetObjectItemCaseSensitive(sec, s->key))
      continue;
    if(s->default_json) {
      cJSON *v = cJSON_Parse(s->default_json);
      if(v)
        cJSON_AddItemToObject(sec, s->key, v);
    }
    else if((s->flags & PROBE_SETTING_REQUIRED) && enabled) {
      config_error(errors, oc, 0, name, s->key, "required but not set");
      (*bad)++;
    }
  }
  if(!cJSON_GetObjectItemCaseSensitive(sec, "enabled"))
    cJSON_AddBoolToObject(sec, "enabled", 1);
}

/* 1 when s may go into every line as it is: valid UTF-8 without control
 * characters (the host name and labels are copied into each line, and a
 * log pipeline would get invalid JSON text or a split record otherwise). */
static int line_safe(const char *s)
{
  size_t len = strlen(s);
  if(!utf8_valid(s, len, NULL))
    return 0;
  for(size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if(c < 0x20 || c == 0x7f ||
       (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] < 0xa0))
      return 0;
  }
  return 1;
}

/* Reads a duration setting in seconds (validated before). */
static double section_duration(const cJSON *sec, const char *key, double dflt)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, key);
  double d;
  if(cJSON_IsNumber(v))
    return v->valuedouble;
  if(cJSON_IsString(v) && duration_parse(v->valuestring, 0, &d) == 0)
    return d;
  return dflt;
}

static char *section_string(const cJSON *sec, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, key);
  return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

/* An agent setting as --set, the environment or the file give it, before
 * the configuration is merged: plugins are described in the sandbox, and
 * agent.user and agent.sandbox decide which. A malloc'd text, or NULL. */
static char *early_agent_setting(const config_request *req, const cJSON *root,
                                 const char *key)
{
  char want[64], env[64];
  snprintf(want, sizeof(want), "agent.%s=", key);
  snprintf(env, sizeof(env), "PROBE_AGENT_%s=", key);
  for(char *u = env + 12; *u && *u != '='; u++)
    *u = (char)toupper((unsigned char)*u);
  for(size_t i = req->nsets; i-- > 0;)
    if(!strncmp(req->sets[i], want, strlen(want)))
      return strdup(req->sets[i] + strlen(want));
  for(char **e = req->environ; e && *e; e++)
    if(!strncmp(*e, env, strlen(env)))
      return strdup(*e + strlen(env));
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(root, "agent"), key);
  if(cJSON_IsString(v))
    return strdup(v->valuestring);
  if(cJSON_IsBool(v))
    return strdup(cJSON_IsTrue(v) ? "true" : "false");
  return NULL;
}

/* The sandbox plugins are described in (nothing declared yet). */
static void describe_policy(const config_request *req, const cJSON *root,
                            sandbox_policy *p)
{
  char err[256];
  char *user = early_agent_setting(req, root, "user");
  char *sb = early_agent_setting(req, root, "sandbox");
  memset(p, 0, sizeof(*p));
  p->enabled = !(sb && !strcmp(sb, "false"));
  p->memory_bytes = (unsigned long long)SANDBOX_DEFAULT_MEMORY_MIB << 20;
  p->cpu_s = SANDBOX_DEFAULT_CPU_S;
  p->processes = SANDBOX_DEFAULT_PROCESSES;
  if(sandbox_set_user(p, user ? user : sandbox_default_user(), err,
                      sizeof(err)) < 0)
    sandbox_set_user(p, sandbox_default_user(), err, sizeof(err));
  free(user);
  free(sb);
}

int config_plugin_sandbox(const agent_config *cfg, const char *plugin,
                          sandbox_policy *p, char *err, size_t errlen)
{
  const cJSON *sec = config_section(cfg, plugin);
  const plugin_desc *d = plugin_set_find(&cfg->descs, plugin);
  const cJSON *v;
  memset(p, 0, sizeof(*p));
  p->enabled = cfg->sandbox;
  p->needs = d ? d->needs : SANDBOX_DEFAULT_NEEDS;
  p->memory_bytes = (unsigned long long)SANDBOX_DEFAULT_MEMORY_MIB << 20;
  if(cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(sec, "memory_limit")))
    /* beyond 2^40 MiB no machine has it: no limit, not a wrapped one */
    p->memory_bytes = v->valuedouble > 0 && v->valuedouble < 1099511627776.0
                          ? (unsigned long long)v->valuedouble << 20
                          : 0;
  p->cpu_s = (unsigned long long)section_duration(sec, "cpu_limit",
                                                  SANDBOX_DEFAULT_CPU_S);
  p->processes = SANDBOX_DEFAULT_PROCESSES;
  if(cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(sec, "max_processes")))
    p->processes = v->valuedouble > 0 ? (unsigned long long)v->valuedouble : 0;
  const char *user =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sec, "user"));
  if(!user)
    user = (p->needs & PROBE_NEEDS_ROOT) ? "root"
           : cfg->user                   ? cfg->user
                                         : sandbox_default_user();
  return sandbox_set_user(p, user, err, errlen);
}

/* Describes the named plugins into cfg->descs: each in a child of its
 * own, or, for a one-shot (req->lazy), as a stub read from its file whose
 * run child describes it (loader_stub); a file that cannot be read that
 * way is described the usual way. -1 when no child could be started. */
static int describe_all(const config_request *req, agent_config *cfg,
                        char *const *names, size_t nnames)
{
  sandbox_policy dpol;
  char **rest = NULL;
  size_t nrest = 0;
  plugin_set more = {NULL, 0};
  int rc = -1;
  if(!req->lazy) {
    describe_policy(req, cfg->root, &dpol);
    return loader_describe(req->plugin_dir, names, nnames, &dpol, &cfg->descs);
  }
  cfg->descs.items = calloc(nnames ? nnames : 1, sizeof(*cfg->descs.items));
  rest = calloc(nnames ? nnames : 1, sizeof(*rest));
  if(!cfg->descs.items || !rest)
    goto out;
  /* only the plugin that runs is a stub: every other section is still
   * type-checked (issue 15), so those plugins are described as usual,
   * which costs a describe child only when such sections are there */
  for(size_t i = 0; i < nnames; i++) {
    int runs = req->nplugins == 1 && !strcmp(names[i], req->plugins[0]);
    if(runs && loader_stub(req->plugin_dir, names[i],
                           &cfg->descs.items[cfg->descs.n]) == 0)
      cfg->descs.n++;
    else
      rest[nrest++] = names[i];
  }
  if(nrest) {
    describe_policy(req, cfg->root, &dpol);
    if(loader_describe(req->plugin_dir, rest, nrest, &dpol, &more) < 0) {
      plugin_set_free(&more);
      goto out;
    }
    for(size_t i = 0; i < more.n; i++)
      cfg->descs.items[cfg->descs.n++] = more.items[i];
    free(more.items);
  }
  rc = 0;
out:
  free(rest);
  return rc;
}

/* Applies the PROBE_<PLUGIN>_<KEY> environment, then --set, over the
 * file's values; only those of section `only` when it is not NULL (a run
 * child applies its own again, now that it knows which are strings). */
static int apply_overrides(const config_request *req, agent_config *cfg,
                           const origin_ctx *oc, const char *only)
{
  for(char **e = req->environ; e && *e; e++) {
    char section[64], key[128], origin[192];
    const char *value;
    if(conf_parse_probe_env(*e, section, key, &value) < 0 || !value || !*key)
      continue;
    if(strcmp(section, "agent") && !plugin_set_find(&cfg->descs, section))
      continue; /* PROBE_* for something that is not a plugin here */
    if(only && strcmp(section, only))
      continue;
    snprintf(origin, sizeof(origin), "environment %.*s", (int)(value - 1 - *e),
             *e);
    if(apply_override(cfg->root, &cfg->descs, section, key, value, origin,
                      oc->origins) < 0)
      return -1;
  }
  for(size_t i = 0; i < req->nsets; i++) {
    char section[128], key[128], origin[300];
    const char *eq = strchr(req->sets[i], '=');
    split_set_key(req->sets[i], (size_t)(eq - req->sets[i]), section,
                  sizeof(section), key, sizeof(key));
    if(only && strcmp(section, only))
      continue;
    snprintf(origin, sizeof(origin), "--set %s.%s", section, key);
    if(apply_override(cfg->root, &cfg->descs, section, key, eq + 1, origin,
                      oc->origins) < 0)
      return -1;
  }
  return 0;
}

int config_check_loaded(agent_config *cfg, const char *plugin,
                        const plugin_desc *loaded, dbuf *errors)
{
  size_t nerrors = 0;
  int bad = 0;
  origin_ctx oc = {cfg->doc, cfg->file, cfg->origins, &nerrors};
  if(!cfg->req || !cfg->doc || !cfg->origins)
    return 0; /* described before the run: checked by config_load */
  plugin_desc *d = (plugin_desc *)plugin_set_find(&cfg->descs, plugin);
  if(!d)
    return 0;
  /* the stub becomes the description, for the overrides' types */
  plugin_desc stub = *d;
  *d = *loaded;
  if(apply_overrides(cfg->req, cfg, &oc, plugin) < 0) {
    errline(errors, "out of memory while loading the configuration");
    bad++;
  }
  else {
    cJSON *sec = (cJSON *)config_section(cfg, plugin);
    validate_section(sec, d, 0, plugin, &oc, errors, &bad, 1);
  }
  *d = stub;
  if(nerrors > CONFIG_MAX_ERRORS)
    errline(errors, "%s: %zu more problem%s not shown",
            cfg->file ? cfg->file : "configuration",
            nerrors - CONFIG_MAX_ERRORS,
            nerrors - CONFIG_MAX_ERRORS == 1 ? "" : "s");
  return bad;
}

/* What config_load's phases hand on to each other. */
typedef struct load_ctx {
  const config_request *req;
  agent_config *cfg;
  dbuf *errors;
  jsonc_doc doc;
  size_t nerrors;
  origin_ctx oc;
  char **names; /* every plugin named anywhere */
  size_t nnames;
  cJSON *plugins; /* cfg->root's "plugins" */
  int bad;        /* problems found by validation */
} load_ctx;

/* Out of memory in a phase: said, and the load fails; the agent's own
 * failure, not the configuration's (EX_OSERR, not EX_CONFIG). */
static int load_oom(load_ctx *lc)
{
  errline(lc->errors, "out of memory while loading the configuration");
  return AGENT_EXIT_OSERR;
}

/* Phase 1: the file, parsed with its line numbers (none: an empty
 * configuration, unless it was asked for by name). 0 or an exit status. */
static int load_file(load_ctx *lc)
{
  const config_request *req = lc->req;
  char *text = NULL;
  size_t len = 0;
  char err[512];
  if(!req->file)
    return 0;
  if(util_read_file(req->file, CONFIG_MAX_BYTES, &text, &len) < 0) {
    if(errno == ENOENT && !req->file_explicit)
      return 0;
    errline(lc->errors, "%s: cannot read the configuration: %s", req->file,
            errno == EFBIG    ? "larger than 8 MiB"
            : errno == EISDIR ? "a directory, not a file"
            : errno == EINVAL ? "not a regular file (a FIFO, socket or device?)"
                              : strerror(errno));
    return AGENT_EXIT_CONFIG;
  }
  int prc = jsonc_parse(text, len, &lc->doc, err, sizeof(err));
  free(text);
  if(prc < 0) {
    errline(lc->errors, "%s: %s", req->file, err);
    return AGENT_EXIT_CONFIG;
  }
  if(!cJSON_IsObject(lc->doc.root)) {
    errline(lc->errors, "%s:1: the configuration must be a JSON object",
            req->file);
    return AGENT_EXIT_CONFIG;
  }
  lc->cfg->file = strdup(req->file);
  lc->oc.file = lc->cfg->file;
  lc->cfg->root = cJSON_Duplicate(lc->doc.root, 1);
  if(!lc->cfg->file || !lc->cfg->root)
    /* not an empty configuration: defaults in place of its settings */
    return load_oom(lc);
  return 0;
}

/* Phase 2: the top level: "agent" and "plugins" made when absent, any
 * other member a problem, "plugins" an object. 0 or an exit status. */
static int load_top(load_ctx *lc)
{
  agent_config *cfg = lc->cfg;
  const char *file = cfg->file ? cfg->file : "configuration";
  if(!cfg->root)
    cfg->root = cJSON_CreateObject();
  if(!cfg->root ||
     (!cJSON_GetObjectItemCaseSensitive(cfg->root, "agent") &&
      !cJSON_AddObjectToObject(cfg->root, "agent")) ||
     (!cJSON_GetObjectItemCaseSensitive(cfg->root, "plugins") &&
      !cJSON_AddObjectToObject(cfg->root, "plugins")))
    return load_oom(lc);
  const cJSON *top;
  cJSON_ArrayForEach(top, cfg->root) {
    if(strcmp(top->string, "agent") && strcmp(top->string, "plugins")) {
      lc->bad++;
      if(!want_error(&lc->oc))
        continue;
      int line = jsonc_line(&lc->doc, (const char *[]){top->string}, 1);
      errline(lc->errors,
              "%s:%d: unknown top-level member \"%s\" (known: agent, plugins)",
              file, line, top->string);
    }
  }
  lc->plugins = cJSON_GetObjectItemCaseSensitive(cfg->root, "plugins");
  if(!cJSON_IsObject(lc->plugins)) {
    errline(lc->errors, "%s:%d: \"plugins\" must be an object", file,
            jsonc_line(&lc->doc, (const char *[]){"plugins"}, 1));
    return AGENT_EXIT_CONFIG;
  }
  return 0;
}

/* Phase 3a: the plugins PROBE_<PLUGIN>_* variables name, among those in
 * the plugin directory. 0 or -1 (out of memory). */
static int names_from_env(load_ctx *lc)
{
  char **dirnames = NULL;
  size_t ndirnames = 0;
  int rc = 0;
  if(loader_list_dir(lc->req->plugin_dir, &dirnames, &ndirnames) < 0) {
    dirnames = NULL;
    ndirnames = 0;
  }
  for(char **e = lc->req->environ; e && *e && rc == 0; e++) {
    char plugin[64], key[128];
    const char *value;
    if(conf_parse_probe_env(*e, plugin, key, &value) < 0)
      continue;
    for(size_t k = 0; k < ndirnames && rc == 0; k++)
      if(!strcmp(dirnames[k], plugin))
        rc = add_name(&lc->names, &lc->nnames, plugin);
  }
  loader_free_names(dirnames, ndirnames);
  return rc;
}

/* Phase 3: every plugin named anywhere (sections, --plugin, --set, the
 * environment), described. 0 or an exit status. */
static int load_names(load_ctx *lc)
{
  const config_request *req = lc->req;
  const cJSON *sec;
  cJSON_ArrayForEach(sec, lc->plugins)
    if(add_name(&lc->names, &lc->nnames, sec->string) < 0)
      return load_oom(lc);
  for(size_t i = 0; i < req->nplugins; i++)
    if(add_name(&lc->names, &lc->nnames, req->plugins[i]) < 0)
      return load_oom(lc);
  for(size_t i = 0; i < req->nsets; i++) {
    char section[128], key[128];
    const char *eq = strchr(req->sets[i], '=');
    if(!eq || split_set_key(req->sets[i], (size_t)(eq - req->sets[i]), section,
                            sizeof(section), key, sizeof(key)) < 0) {
      errline(
          lc->errors,
          "--set %s: expected SECTION.KEY=VALUE, e.g. ledger.source=/x.jsonl",
          req->sets[i]);
      return AGENT_EXIT_USAGE;
    }
    if(strcmp(section, "agent") &&
       add_name(&lc->names, &lc->nnames, section) < 0)
      return load_oom(lc);
  }
  if(names_from_env(lc) < 0)
    return load_oom(lc);
  if(describe_all(req, lc->cfg, lc->names, lc->nnames) < 0) {
    errline(lc->errors, "cannot start a process to load plugins: %s",
            strerror(errno));
    return AGENT_EXIT_OSERR; /* the agent's failure, not the file's */
  }
  return 0;
}

/* Phase 4: environment, then --set, over the file; a section for each
 * plugin named only with --plugin, so that its defaults apply. */
static int load_overrides(load_ctx *lc)
{
  if(apply_overrides(lc->req, lc->cfg, &lc->oc, NULL) < 0)
    return load_oom(lc);
  for(size_t i = 0; i < lc->req->nplugins; i++)
    if(!cJSON_GetObjectItemCaseSensitive(lc->plugins, lc->req->plugins[i]))
      cJSON_AddItemToObject(lc->plugins, lc->req->plugins[i],
                            cJSON_CreateObject());
  return 0;
}

/* Phase 5b: what the agent section's table cannot say: labels, host and
 * format become parts of every line. */
static void validate_agent_extras(load_ctx *lc, const cJSON *agent)
{
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(agent, "labels"), *l;
  cJSON_ArrayForEach(l, labels) {
    if(!cJSON_IsString(l)) {
      config_error(lc->errors, &lc->oc, 1, "agent", "labels",
                   "label \"%s\" must be a string", l->string);
      lc->bad++;
    }
    else if(!line_safe(l->string) || !line_safe(l->valuestring)) {
      config_error(lc->errors, &lc->oc, 1, "agent", "labels",
                   "label \"%s\": names and values "
                   "must be valid UTF-8 without control characters",
                   l->string);
      lc->bad++;
    }
  }
  const char *host =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(agent, "host"));
  if(host && (!*host || !line_safe(host))) {
    config_error(lc->errors, &lc->oc, 1, "agent", "host",
                 "must be a non-empty name in valid "
                 "UTF-8 without control characters");
    lc->bad++;
  }
  const char *fmt =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(agent, "format"));
  if(fmt && strcmp(fmt, "json") && strcmp(fmt, "text")) {
    config_error(lc->errors, &lc->oc, 1, "agent", "format",
                 "must be \"json\" or \"text\"");
    lc->bad++;
  }
}

/* Phase 5: every section against its table (a lazy plugin's by its run
 * child: config_check_loaded). 0 or an exit status. */
static int load_validate(load_ctx *lc)
{
  const config_request *req = lc->req;
  cJSON *agent = cJSON_GetObjectItemCaseSensitive(lc->cfg->root, "agent");
  validate_section(agent, NULL, 1, "agent", &lc->oc, lc->errors, &lc->bad, 1);
  cJSON *s;
  cJSON_ArrayForEach(s, lc->plugins) {
    const plugin_desc *d = plugin_set_find(&lc->cfg->descs, s->string);
    if(!d || d->error || d->lazy) {
      /* reported when it runs; --check-config reports it too */
      continue;
    }
    int runs = req->nplugins == 0;
    for(size_t i = 0; i < req->nplugins && !runs; i++)
      runs = !strcmp(req->plugins[i], s->string);
    validate_section(s, d, 0, s->string, &lc->oc, lc->errors, &lc->bad, runs);
  }
  if(cJSON_IsObject(agent))
    validate_agent_extras(lc, agent);
  return lc->bad ? AGENT_EXIT_CONFIG : 0;
}

/* Phase 6: the agent section parsed, and what runs: the --plugin list, or
 * every section not disabled. 0 or an exit status. */
static int load_agent_settings(load_ctx *lc)
{
  agent_config *cfg = lc->cfg;
  const config_request *req = lc->req;
  cJSON *agent = cJSON_GetObjectItemCaseSensitive(cfg->root, "agent");
  cfg->interval_s = section_duration(agent, "interval", 60);
  cfg->timeout_s = section_duration(agent, "timeout", 60);
  cfg->output = section_string(agent, "output");
  cfg->state_dir = section_string(agent, "state_dir");
  cfg->host = section_string(agent, "host");
  cfg->heartbeat_file = section_string(agent, "heartbeat_file");
  cfg->user = section_string(agent, "user");
  cfg->sandbox =
      !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(agent, "sandbox"));
  const char *fmt =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(agent, "format"));
  cfg->format = fmt && !strcmp(fmt, "text") ? FORMAT_TEXT : FORMAT_JSON;
  const cJSON *mob =
      cJSON_GetObjectItemCaseSensitive(agent, "max_output_bytes");
  cfg->max_output_bytes = cJSON_IsNumber(mob) && mob->valuedouble >= 4096
                              ? (size_t)mob->valuedouble
                              : 1u << 20;
  for(size_t i = 0; i < req->nplugins; i++)
    if(add_name(&cfg->run, &cfg->nrun, req->plugins[i]) < 0)
      return load_oom(lc);
  const cJSON *s;
  cJSON_ArrayForEach(s, lc->plugins)
    if(!req->nplugins &&
       !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s, "enabled")) &&
       add_name(&cfg->run, &cfg->nrun, s->string) < 0)
      return load_oom(lc);
  return 0;
}

/* Phase 7: a lazy one-shot keeps the document, its origins and the request
 * for the run child's config_check_loaded. 0 or an exit status. */
static int load_keep_for_child(load_ctx *lc)
{
  agent_config *cfg = lc->cfg;
  if(!lc->req->lazy)
    return 0;
  cfg->req = lc->req;
  cfg->doc = malloc(sizeof(*cfg->doc));
  if(!cfg->doc)
    return load_oom(lc);
  *cfg->doc = lc->doc;
  lc->doc.root = NULL;
  lc->doc.text = NULL;
  cfg->origins = lc->oc.origins;
  lc->oc.origins = NULL;
  return 0;
}

int config_load(const config_request *req, agent_config *cfg, dbuf *errors)
{
  static int (*const phases[])(
      load_ctx *) = {load_file,          load_top,      load_names,
                     load_overrides,     load_validate, load_agent_settings,
                     load_keep_for_child};
  load_ctx lc;
  memset(&lc, 0, sizeof(lc));
  memset(cfg, 0, sizeof(*cfg));
  lc.req = req;
  lc.cfg = cfg;
  lc.errors = errors;
  lc.oc = (origin_ctx){&lc.doc, NULL, cJSON_CreateObject(), &lc.nerrors};
  int rc = 0;
  for(size_t i = 0; rc == 0 && i < sizeof(phases) / sizeof(phases[0]); i++)
    rc = phases[i](&lc);
  if(lc.nerrors > CONFIG_MAX_ERRORS)
    errline(errors, "%s: %zu more problem%s not shown",
            cfg->file   ? cfg->file
            : req->file ? req->file
                        : "configuration",
            lc.nerrors - CONFIG_MAX_ERRORS,
            lc.nerrors - CONFIG_MAX_ERRORS == 1 ? "" : "s");
  if(rc == AGENT_EXIT_CONFIG && !lc.bad && !errors->len)
    errline(errors, "invalid configuration");
  jsonc_free(&lc.doc);
  cJSON_Delete(lc.oc.origins);
  loader_free_names(lc.names, lc.nnames);
  if(rc)
    config_free(cfg);
  return rc;
}

void config_free(agent_config *cfg)
{
  if(cfg->doc) {
    jsonc_free(cfg->doc);
    free(cfg->doc);
  }
  cJSON_Delete(cfg->origins);
  cJSON_Delete(cfg->root);
  plugin_set_free(&cfg->descs);
  free(cfg->file);
  loader_free_names(cfg->run, cfg->nrun);
  free(cfg->output);
  free(cfg->state_dir);
  free(cfg->host);
  free(cfg->heartbeat_file);
  free(cfg->user);
  memset(cfg, 0, sizeof(*cfg));
}

const cJSON *config_section(const agent_config *cfg, const char *plugin)
{
  return cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(cfg->root, "plugins"), plugin);
}

double config_plugin_interval(const agent_config *cfg, const char *plugin)
{
  return section_duration(config_section(cfg, plugin), "interval",
                          cfg->interval_s);
}

double config_plugin_timeout(const agent_config *cfg, const char *plugin)
{
  return section_duration(config_section(cfg, plugin), "timeout",
                          cfg->timeout_s);
}
