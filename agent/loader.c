/*
 * loader.c: plugin discovery, permission checks, dlopen and description
 * (see loader.h for why descriptions come from a child process).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loader.h"
#include "util.h"

#define DESCRIBE_TIMEOUT_MS 15000
#define DESCRIBE_MAX_BYTES (4u << 20)

static const char *const type_names[] = {"string", "integer", "number",
                                         "boolean", "duration", "list",
                                         "object", "any"};

const char *loader_type_name(probe_setting_type t)
{
  if((unsigned)t < sizeof(type_names) / sizeof(type_names[0]))
    return type_names[t];
  return "?";
}

int loader_valid_name(const char *name)
{
  size_t len = strlen(name);
  if(len == 0 || len > 64)
    return 0;
  for(size_t i = 0; i < len; i++) {
    char c = name[i];
    if(!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

/* Refuses what another user could have replaced: group/world writable, or
 * owned by someone other than root and us. */
static int vet_owner_mode(const char *path, const struct stat *st,
                          const char *what, char *err, size_t errlen)
{
  if(st->st_mode & (S_IWGRP | S_IWOTH)) {
    snprintf(err, errlen, "refusing %s %s: writable by %s (mode %04o); "
             "chmod go-w it", what, path,
             (st->st_mode & S_IWOTH) ? "others" : "group",
             (unsigned)(st->st_mode & 07777));
    return -1;
  }
  if(st->st_uid != 0 && st->st_uid != geteuid()) {
    snprintf(err, errlen, "refusing %s %s: owned by uid %u, neither root nor "
             "the agent's user", what, path, (unsigned)st->st_uid);
    return -1;
  }
  return 0;
}

int loader_plugin_path(const char *dir, const char *name, char *out,
                       size_t outlen, char *err, size_t errlen)
{
  struct stat st;
  if(!loader_valid_name(name)) {
    snprintf(err, errlen, "invalid plugin name \"%s\" (letters a-z, digits, _ and - only)", name);
    return -1;
  }
  if(snprintf(out, outlen, "%s/%s.so", dir, name) >= (int)outlen) {
    snprintf(err, errlen, "plugin path too long");
    return -1;
  }
  if(stat(dir, &st) < 0) {
    snprintf(err, errlen, "plugin directory %s: %s", dir, strerror(errno));
    return -1;
  }
  if(vet_owner_mode(dir, &st, "plugin directory", err, errlen) < 0)
    return -1;
  if(stat(out, &st) < 0) {
    snprintf(err, errlen, "no plugin \"%s\": %s: %s", name, out, strerror(errno));
    return -1;
  }
  if(!S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "plugin %s is not a regular file", out);
    return -1;
  }
  return vet_owner_mode(out, &st, "plugin file", err, errlen);
}

void *loader_open(const char *path, const char *name,
                  const probe_plugin **plugin, char *err, size_t errlen)
{
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if(!h) {
    snprintf(err, errlen, "cannot load plugin %s: %s", path, dlerror());
    return NULL;
  }
  const probe_plugin *p = dlsym(h, PROBE_PLUGIN_SYMBOL);
  if(!p) {
    snprintf(err, errlen, "%s is not a probe-agent plugin: no symbol %s",
             path, PROBE_PLUGIN_SYMBOL);
    goto err;
  }
  if(p->abi_version != PROBE_PLUGIN_ABI) {
    snprintf(err, errlen, "plugin %s was built for plugin ABI %u, this agent "
             "speaks ABI %u: rebuild it against this agent's probe-plugin.h",
             path, p->abi_version, PROBE_PLUGIN_ABI);
    goto err;
  }
  if(!p->name || strcmp(p->name, name) || !p->run) {
    snprintf(err, errlen, "plugin %s calls itself \"%s\"%s", path,
             p->name ? p->name : "(null)", p->run ? "" : " and has no run()");
    goto err;
  }
  *plugin = p;
  return h;
err:
  dlclose(h);
  return NULL;
}

static int cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int loader_list_dir(const char *dir, char ***names, size_t *n)
{
  DIR *d = opendir(dir);
  char **v = NULL;
  size_t cnt = 0;
  if(!d)
    return -1;
  struct dirent *e;
  while((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if(len < 4 || strcmp(e->d_name + len - 3, ".so"))
      continue;
    char *name = strndup(e->d_name, len - 3);
    char **nv = realloc(v, (cnt + 1) * sizeof(*v));
    if(!name || !nv) {
      free(name);
      if(nv)
        v = nv;
      goto err;
    }
    v = nv;
    if(!loader_valid_name(name)) {
      free(name);
      continue;
    }
    v[cnt++] = name;
  }
  closedir(d);
  if(cnt)
    qsort(v, cnt, sizeof(*v), cmp_names);
  *names = v;
  *n = cnt;
  return 0;
err:
  closedir(d);
  loader_free_names(v, cnt);
  return -1;
}

void loader_free_names(char **names, size_t n)
{
  for(size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

/* Child side of loader_describe: one JSON array on fd. */
static void describe_child(int fd, const char *dir, char *const *names, size_t n)
{
  cJSON *arr = cJSON_CreateArray();
  for(size_t i = 0; i < n; i++) {
    char path[PATH_MAX], err[1024];
    const probe_plugin *p = NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "name", names[i]);
    if(loader_plugin_path(dir, names[i], path, sizeof(path), err, sizeof(err)) < 0) {
      cJSON_AddStringToObject(o, "error", err);
      continue;
    }
    cJSON_AddStringToObject(o, "path", path);
    void *h = loader_open(path, names[i], &p, err, sizeof(err));
    if(!h) {
      cJSON_AddStringToObject(o, "error", err);
      continue;
    }
    cJSON_AddStringToObject(o, "version", p->version ? p->version : "");
    cJSON_AddStringToObject(o, "description", p->description ? p->description : "");
    cJSON_AddBoolToObject(o, "check_config", p->check_config != NULL);
    cJSON *sets = cJSON_AddArrayToObject(o, "settings");
    for(const probe_setting *s = p->settings; s && s->key; s++) {
      cJSON *so = cJSON_CreateObject();
      cJSON_AddItemToArray(sets, so);
      cJSON_AddStringToObject(so, "key", s->key);
      cJSON_AddNumberToObject(so, "type", s->type);
      if(s->default_json)
        cJSON_AddStringToObject(so, "default", s->default_json);
      cJSON_AddNumberToObject(so, "flags", s->flags);
      cJSON_AddStringToObject(so, "help", s->help ? s->help : "");
    }
    /* handles stay open: the child exits right after */
  }
  char *text = cJSON_PrintUnformatted(arr);
  size_t len = text ? strlen(text) : 0;
  size_t off = 0;
  while(off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if(w < 0) {
      if(errno == EINTR)
        continue;
      break;
    }
    off += (size_t)w;
  }
  free(text);
  cJSON_Delete(arr);
}

static char *dup_json_string(const cJSON *o, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

/* Fills d from one described plugin. */
static int desc_from_json(plugin_desc *d, const cJSON *o)
{
  d->path = dup_json_string(o, "path");
  d->version = dup_json_string(o, "version");
  d->description = dup_json_string(o, "description");
  d->error = dup_json_string(o, "error");
  d->has_check_config = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "check_config"));
  const cJSON *sets = cJSON_GetObjectItemCaseSensitive(o, "settings");
  int n = cJSON_GetArraySize(sets);
  if(n > 0) {
    d->settings = calloc((size_t)n, sizeof(*d->settings));
    if(!d->settings)
      return -1;
    const cJSON *s;
    cJSON_ArrayForEach(s, sets) {
      plugin_setting_desc *sd = &d->settings[d->nsettings++];
      sd->key = dup_json_string(s, "key");
      sd->default_json = dup_json_string(s, "default");
      sd->help = dup_json_string(s, "help");
      const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "type");
      const cJSON *f = cJSON_GetObjectItemCaseSensitive(s, "flags");
      sd->type = cJSON_IsNumber(t) ? (probe_setting_type)t->valueint : PROBE_SET_ANY;
      sd->flags = cJSON_IsNumber(f) ? (unsigned)f->valueint : 0;
      if(!sd->key || !sd->help)
        return -1;
    }
  }
  return 0;
}

int loader_describe(const char *dir, char *const *names, size_t n,
                    plugin_set *out)
{
  int fds[2];
  dbuf buf;
  dbuf_init(&buf, DESCRIBE_MAX_BYTES);
  out->items = calloc(n ? n : 1, sizeof(*out->items));
  out->n = n;
  if(!out->items)
    return -1;
  for(size_t i = 0; i < n; i++)
    out->items[i].name = strdup(names[i]);
  if(n == 0)
    return 0;
  if(pipe(fds) < 0)
    return -1;
  fflush(NULL);
  pid_t pid = fork();
  if(pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if(pid == 0) {
    close(fds[0]);
    describe_child(fds[1], dir, names, n);
    _exit(0);
  }
  close(fds[1]);
  double deadline = util_mono_ms() + DESCRIBE_TIMEOUT_MS;
  int timed_out = 0;
  for(;;) {
    struct pollfd pfd = {fds[0], POLLIN, 0};
    int wait_ms = (int)(deadline - util_mono_ms());
    if(wait_ms <= 0) {
      timed_out = 1;
      break;
    }
    int pr = poll(&pfd, 1, wait_ms);
    if(pr < 0 && errno == EINTR)
      continue;
    if(pr <= 0) {
      timed_out = 1;
      break;
    }
    char chunk[8192];
    ssize_t r = read(fds[0], chunk, sizeof(chunk));
    if(r < 0 && errno == EINTR)
      continue;
    if(r <= 0)
      break;
    if(dbuf_add(&buf, chunk, (size_t)r) < 0)
      break;
  }
  close(fds[0]);
  if(timed_out)
    kill(pid, SIGKILL);
  int status = 0;
  while(waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  cJSON *arr = buf.data ? cJSON_Parse(buf.data) : NULL;
  dbuf_free(&buf);
  for(size_t i = 0; i < n; i++) {
    plugin_desc *d = &out->items[i];
    const cJSON *o = cJSON_GetArrayItem(arr, (int)i);
    if(o && desc_from_json(d, o) == 0)
      continue;
    char why[256];
    if(timed_out)
      snprintf(why, sizeof(why), "plugin %s hung while loading (killed after %d s)",
               names[i], DESCRIBE_TIMEOUT_MS / 1000);
    else if(WIFSIGNALED(status))
      snprintf(why, sizeof(why), "plugin %s crashed while loading (%s)",
               names[i], strsignal(WTERMSIG(status)));
    else
      snprintf(why, sizeof(why), "plugin %s could not be described", names[i]);
    free(d->error);
    d->error = strdup(why);
  }
  cJSON_Delete(arr);
  return 0;
}

const plugin_desc *plugin_set_find(const plugin_set *set, const char *name)
{
  for(size_t i = 0; set && i < set->n; i++)
    if(set->items[i].name && !strcmp(set->items[i].name, name))
      return &set->items[i];
  return NULL;
}

const plugin_setting_desc *plugin_desc_setting(const plugin_desc *d,
                                               const char *key)
{
  for(size_t i = 0; d && i < d->nsettings; i++)
    if(!strcmp(d->settings[i].key, key))
      return &d->settings[i];
  return NULL;
}

void plugin_set_free(plugin_set *set)
{
  for(size_t i = 0; i < set->n; i++) {
    plugin_desc *d = &set->items[i];
    free(d->name);
    free(d->path);
    free(d->version);
    free(d->description);
    free(d->error);
    for(size_t k = 0; k < d->nsettings; k++) {
      free(d->settings[k].key);
      free(d->settings[k].default_json);
      free(d->settings[k].help);
    }
    free(d->settings);
  }
  free(set->items);
  set->items = NULL;
  set->n = 0;
}
