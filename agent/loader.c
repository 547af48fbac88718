/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader.c: plugin discovery, permission checks, dlopen and description
 * (see loader.h for why descriptions come from a child process). A plugin
 * file is opened once, without following links, checked on that
 * descriptor (and every directory above it), and loaded from it.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#define ELFW_CLASS (__ELF_NATIVE_CLASS == 64 ? ELFCLASS64 : ELFCLASS32)
#include <errno.h>
#include <fcntl.h>
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

#include "lib/fileio.h"
#include "loader.h"
#include "sandbox.h"
#include "util.h"

#define DESCRIBE_TIMEOUT_MS 15000
#define DESCRIBE_MAX_BYTES (4u << 20)

static const char *const type_names[] = {"string",  "integer",  "number",
                                         "boolean", "duration", "list",
                                         "object",  "any"};

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
    if(!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-'))
      return 0;
  }
  return 1;
}

/* Refuses what another user could have replaced: group/world writable, or
 * owned by someone other than root and us. A root-owned sticky directory
 * (/tmp) is accepted above the plugin's own directory: nobody else can
 * rename or remove what root or we own in it, and each step below it is
 * checked again. */
static int vet_owner_mode(const char *path, const struct stat *st,
                          const char *what, int sticky_ok, char *err,
                          size_t errlen)
{
  int sticky = sticky_ok && st->st_uid == 0 && (st->st_mode & S_ISVTX);
  if((st->st_mode & (S_IWGRP | S_IWOTH)) && !sticky) {
    snprintf(err, errlen,
             "refusing %s %s: writable by %s (mode %04o); "
             "chmod go-w it",
             what, path, (st->st_mode & S_IWOTH) ? "others" : "group",
             (unsigned)(st->st_mode & 07777));
    return -1;
  }
  if(st->st_uid != 0 && st->st_uid != geteuid()) {
    snprintf(err, errlen,
             "refusing %s %s: owned by uid %u, neither root nor "
             "the agent's user",
             what, path, (unsigned)st->st_uid);
    return -1;
  }
  return 0;
}

/* Opens the directory abs (absolute, links already resolved) one step at
 * a time from /, without following links, vetting each step on its
 * descriptor. Returns an O_PATH descriptor of abs, or -1 with err. */
static int open_vetted_dir(const char *abs, const char *shown, char *err,
                           size_t errlen)
{
  char walked[PATH_MAX] = "";
  size_t wlen = 0;
  struct stat st;
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if(fd < 0 || fstat(fd, &st) < 0) {
    snprintf(err, errlen, "plugin directory %s: /: %s", shown, strerror(errno));
    goto fail;
  }
  const char *p = abs;
  for(;;) {
    while(*p == '/')
      p++;
    size_t len = strcspn(p, "/");
    int last = p[len] == '\0' || p[len + strspn(p + len, "/")] == '\0';
    if(vet_owner_mode(wlen ? walked : "/", &st,
                      last && !len ? "plugin directory"
                                   : "parent directory of plugins",
                      1, err, errlen) < 0)
      goto fail;
    if(!len)
      break;
    char comp[NAME_MAX + 1];
    if(len > NAME_MAX || (len == 2 && !strncmp(p, "..", 2))) {
      snprintf(err, errlen, "plugin directory %s: bad path component", shown);
      goto fail;
    }
    memcpy(comp, p, len);
    comp[len] = '\0';
    if(wlen + len + 2 >= sizeof(walked)) {
      snprintf(err, errlen, "plugin directory %s: path too long", shown);
      goto fail;
    }
    walked[wlen++] = '/';
    memcpy(walked + wlen, comp, len + 1);
    wlen += len;
    int nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if(nfd < 0) {
      snprintf(err, errlen, "plugin directory %s: %s: %s", shown, walked,
               errno == ELOOP || errno == ENOTDIR
                   ? "not a directory (a link that changed?)"
                   : strerror(errno));
      goto fail;
    }
    close(fd);
    fd = nfd;
    if(fstat(fd, &st) < 0) {
      snprintf(err, errlen, "plugin directory %s: %s", walked, strerror(errno));
      goto fail;
    }
    p += len;
    if(last) {
      /* the plugin's own directory: no sticky exception */
      if(vet_owner_mode(shown, &st, "plugin directory", 0, err, errlen) < 0)
        goto fail;
      break;
    }
  }
  return fd;
fail:
  if(fd >= 0)
    close(fd);
  return -1;
}

int loader_plugin_fd(const char *dir, const char *name, char *out,
                     size_t outlen, char *err, size_t errlen)
{
  struct stat st;
  char real[PATH_MAX];
  int dfd = -1, fd = -1;
  if(!loader_valid_name(name)) {
    snprintf(err, errlen,
             "invalid plugin name \"%s\" (letters a-z, digits, _ and - only)",
             name);
    return -1;
  }
  if(snprintf(out, outlen, "%s/%s.so", dir, name) >= (int)outlen) {
    snprintf(err, errlen, "plugin path too long");
    return -1;
  }
  /* the directory's links are resolved once, then every step of where
   * they lead is checked; a link swapped meanwhile fails the walk */
  if(!realpath(dir, real)) {
    snprintf(err, errlen, "plugin directory %s: %s", dir, strerror(errno));
    return -1;
  }
  if((dfd = open_vetted_dir(real, dir, err, errlen)) < 0)
    return -1;
  char file[NAME_MAX + 1];
  snprintf(file, sizeof(file), "%s.so", name);
  fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if(fd < 0) {
    if(errno == ELOOP)
      snprintf(err, errlen, "refusing plugin file %s: a symbolic link", out);
    else
      snprintf(err, errlen, "no plugin \"%s\": %s: %s", name, out,
               strerror(errno));
    goto fail;
  }
  if(fstat(fd, &st) < 0) {
    snprintf(err, errlen, "plugin %s: %s", out, strerror(errno));
    goto fail;
  }
  if(!S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "plugin %s is not a regular file", out);
    goto fail;
  }
  if(vet_owner_mode(out, &st, "plugin file", 0, err, errlen) < 0)
    goto fail;
  fcntl(fd, F_SETFL, 0);
  close(dfd);
  return fd;
fail:
  if(fd >= 0)
    close(fd);
  close(dfd);
  return -1;
}

void *loader_open_fd(int fd, const char *path, const char *name,
                     const probe_plugin **plugin, unsigned *needs, char *err,
                     size_t errlen)
{
  char self[64];
  /* the very file that was checked, not whatever the path names now */
  snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
  void *h = dlopen(self, RTLD_NOW | RTLD_LOCAL);
  if(!h) {
    snprintf(err, errlen, "cannot load plugin %s: %s", path, dlerror());
    return NULL;
  }
  const probe_plugin *p = dlsym(h, PROBE_PLUGIN_SYMBOL);
  if(!p) {
    snprintf(err, errlen, "%s is not a probe-agent plugin: no symbol %s", path,
             PROBE_PLUGIN_SYMBOL);
    goto err;
  }
  if(p->abi_version != PROBE_PLUGIN_ABI) {
    snprintf(err, errlen,
             "plugin %s was built for plugin ABI %u, this agent "
             "speaks ABI %u: rebuild it against this agent's probe-plugin.h",
             path, p->abi_version, PROBE_PLUGIN_ABI);
    goto err;
  }
  if(!p->name || strcmp(p->name, name) || !p->run) {
    snprintf(err, errlen, "plugin %s calls itself \"%s\"%s", path,
             p->name ? p->name : "(null)", p->run ? "" : " and has no run()");
    goto err;
  }
  if(needs) {
    const probe_sandbox *sb = dlsym(h, PROBE_SANDBOX_SYMBOL);
    *needs = SANDBOX_DEFAULT_NEEDS;
    if(sb && sb->version >= 1)
      *needs = sb->needs &
               (PROBE_NEEDS_NETWORK | PROBE_NEEDS_PROGRAMS | PROBE_NEEDS_ROOT);
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

/* Adds what describes a loaded plugin (version, description, needs,
 * settings table) to o: the describing child sends it, and a one-shot's
 * run child reads its own description from it (loader_desc_loaded). */
static void describe_into(cJSON *o, const probe_plugin *p, unsigned needs)
{
  cJSON_AddStringToObject(o, "version", p->version ? p->version : "");
  cJSON_AddStringToObject(o, "description",
                          p->description ? p->description : "");
  cJSON_AddBoolToObject(o, "check_config", p->check_config != NULL);
  cJSON_AddNumberToObject(o, "needs", needs);
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
}

/* Child side of loader_describe: one plugin, loaded in the sandbox with
 * nothing declared (a constructor gets no network and no programs), its
 * description as one JSON object on fd. Standard output goes to
 * /dev/null: what a constructor prints never reaches the result stream. */
static void describe_child(int fd, const char *dir, const char *name,
                           const sandbox_policy *sb)
{
  char path[PATH_MAX], err[1024];
  const probe_plugin *p = NULL;
  unsigned needs = 0;
  int devnull = open("/dev/null", O_RDWR);
  if(devnull >= 0) {
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
    close(devnull);
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", name);
  int pfd = loader_plugin_fd(dir, name, path, sizeof(path), err, sizeof(err));
  if(pfd < 0) {
    cJSON_AddStringToObject(o, "error", err);
    goto send;
  }
  cJSON_AddStringToObject(o, "path", path);
  if(sandbox_enter(sb, err, sizeof(err)) < 0) {
    cJSON_AddStringToObject(o, "error", err);
    goto send;
  }
  void *h = loader_open_fd(pfd, path, name, &p, &needs, err, sizeof(err));
  if(!h) {
    cJSON_AddStringToObject(o, "error", err);
    goto send;
  }
  describe_into(o, p, needs);
  /* the handle stays open: the child exits right after */
send:;
  char *text = cJSON_PrintUnformatted(o);
  size_t len = text ? strlen(text) : 0;
  if(len)
    (void)fileio_write_all(fd, text,
                           len); /* the parent sees a short line as a failure */
  free(text);
  cJSON_Delete(o);
}

/* Copies the string member key of o into *dst (NULL when there is none).
 * Returns 0, or -1 when o has it and the copy failed. */
static int dup_json_string(const cJSON *o, const char *key, char **dst)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  *dst = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
  return cJSON_IsString(v) && !*dst ? -1 : 0;
}

/* Fills d from one described plugin. A description without its error
 * must be whole (the sender may have run out of memory building it): a
 * setting that lost its flags would lose its redaction. Returns 0, or -1
 * when it is not whole or a copy failed. */
static int desc_from_json(plugin_desc *d, const cJSON *o)
{
  if(dup_json_string(o, "path", &d->path) < 0 ||
     dup_json_string(o, "version", &d->version) < 0 ||
     dup_json_string(o, "description", &d->description) < 0 ||
     dup_json_string(o, "error", &d->error) < 0)
    return -1;
  if(d->error)
    return 0;
  const cJSON *needs = cJSON_GetObjectItemCaseSensitive(o, "needs");
  const cJSON *sets = cJSON_GetObjectItemCaseSensitive(o, "settings");
  if(!d->path || !d->version || !d->description || !cJSON_IsNumber(needs) ||
     !cJSON_IsArray(sets))
    return -1;
  d->has_check_config =
      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "check_config"));
  d->needs = (unsigned)needs->valueint;
  int n = cJSON_GetArraySize(sets);
  if(n > 0) {
    d->settings = calloc((size_t)n, sizeof(*d->settings));
    if(!d->settings)
      return -1;
    const cJSON *s;
    cJSON_ArrayForEach(s, sets) {
      plugin_setting_desc *sd = &d->settings[d->nsettings++];
      const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "type");
      const cJSON *f = cJSON_GetObjectItemCaseSensitive(s, "flags");
      if(dup_json_string(s, "key", &sd->key) < 0 ||
         dup_json_string(s, "default", &sd->default_json) < 0 ||
         dup_json_string(s, "help", &sd->help) < 0 || !sd->key || !sd->help ||
         !cJSON_IsNumber(t) || !cJSON_IsNumber(f))
        return -1;
      sd->type = (probe_setting_type)t->valueint;
      sd->flags = (unsigned)f->valueint;
    }
  }
  return 0;
}

/* One describing child, parent side. */
typedef struct describer {
  pid_t pid;
  int fd;
  dbuf buf;
  int timed_out;
  int status;
} describer;

/* Starts the child describing the i-th name; pid -1 when none could be
 * made. The child holds no other child's pipe (the rest of the agent's
 * descriptors are close-on-exec, and become so in the sandbox). */
static void describe_start(describer *all, size_t i, const char *dir,
                           const char *name, const sandbox_policy *sb)
{
  describer *w = &all[i];
  int fds[2];
  w->pid = -1;
  w->fd = -1;
  if(pipe2(fds, O_CLOEXEC) < 0)
    return;
  fflush(NULL);
  w->pid = fork();
  if(w->pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return;
  }
  if(w->pid == 0) {
    close(fds[0]);
    for(size_t k = 0; k < i; k++)
      if(all[k].fd >= 0)
        close(all[k].fd);
    setpgid(0, 0);
    describe_child(fds[1], dir, name, sb);
    _exit(0);
  }
  setpgid(w->pid, w->pid);
  close(fds[1]);
  w->fd = fds[0];
}

/* The policy of describing children when the caller has none: the
 * defaults of a run's sandbox. */
static void default_policy(sandbox_policy *dflt)
{
  char err[256];
  memset(dflt, 0, sizeof(*dflt));
  dflt->enabled = 1;
  dflt->memory_bytes = (unsigned long long)SANDBOX_DEFAULT_MEMORY_MIB << 20;
  dflt->cpu_s = SANDBOX_DEFAULT_CPU_S;
  dflt->processes = SANDBOX_DEFAULT_PROCESSES;
  if(sandbox_set_user(dflt, sandbox_default_user(), err, sizeof(err)) < 0)
    dflt->change_user = 0;
}

/* Kills every describing child still open: its time is up. */
static void describe_timeout(describer *w, const size_t *idx, nfds_t np)
{
  for(nfds_t k = 0; k < np; k++) {
    describer *d = &w[idx[k]];
    d->timed_out = 1;
    kill(-d->pid, SIGKILL);
    kill(d->pid, SIGKILL);
    close(d->fd);
    d->fd = -1;
  }
}

/* Reads every describing child's pipe until EOF, or until the shared
 * deadline, when the rest are killed. pfd has room for n. */
static void describe_wait(describer *w, size_t n, struct pollfd *pfd)
{
  double deadline = util_mono_ms() + DESCRIBE_TIMEOUT_MS;
  size_t idx[n ? n : 1];
  for(;;) {
    nfds_t np = 0;
    for(size_t i = 0; i < n; i++)
      if(w[i].fd >= 0) {
        pfd[np] = (struct pollfd){w[i].fd, POLLIN, 0};
        idx[np++] = i;
      }
    if(!np)
      return;
    int wait_ms = (int)(deadline - util_mono_ms());
    int pr = wait_ms > 0 ? poll(pfd, np, wait_ms) : 0;
    if(pr < 0 && errno == EINTR)
      continue;
    if(pr <= 0) {
      describe_timeout(w, idx, np);
      return;
    }
    for(nfds_t k = 0; k < np; k++) {
      if(!pfd[k].revents)
        continue;
      describer *d = &w[idx[k]];
      char chunk[8192];
      ssize_t r = read(d->fd, chunk, sizeof(chunk));
      if(r < 0 && errno == EINTR)
        continue;
      if(r <= 0 || dbuf_add(&d->buf, chunk, (size_t)r) < 0) {
        close(d->fd);
        d->fd = -1;
      }
    }
  }
}

/* Reaps one describing child and turns what it sent into d, or into the
 * reason it could not be described (d->error). Returns 0, or -1 when not
 * even the reason could be kept (memory). */
static int describe_finish(describer *c, plugin_desc *d, const char *name)
{
  if(c->pid > 0) {
    /* the child may linger after closing its pipe (a destructor) */
    if(!c->timed_out)
      kill(-c->pid, SIGKILL);
    while(waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
      ;
  }
  cJSON *o = c->buf.data ? cJSON_Parse(c->buf.data) : NULL;
  dbuf_free(&c->buf);
  int ok = o && cJSON_IsObject(o) && desc_from_json(d, o) == 0;
  cJSON_Delete(o);
  if(ok)
    return 0;
  char why[256];
  if(c->pid < 0)
    snprintf(why, sizeof(why),
             "plugin %s: no process could be started to load it", name);
  else if(c->timed_out)
    snprintf(why, sizeof(why),
             "plugin %s hung while loading (killed after %d s)", name,
             DESCRIBE_TIMEOUT_MS / 1000);
  else if(WIFSIGNALED(c->status) && WTERMSIG(c->status) != SIGKILL)
    snprintf(why, sizeof(why), "plugin %s crashed while loading (%s)", name,
             strsignal(WTERMSIG(c->status)));
  else
    snprintf(why, sizeof(why), "plugin %s could not be described", name);
  free(d->error);
  d->error = strdup(why);
  return d->error ? 0 : -1;
}

int loader_describe(const char *dir, char *const *names, size_t n,
                    const sandbox_policy *policy, plugin_set *out)
{
  describer *w = NULL;
  sandbox_policy dflt;
  out->items = calloc(n ? n : 1, sizeof(*out->items));
  out->n = 0;
  if(!out->items) {
    errno = ENOMEM;
    return -1;
  }
  out->n = n;
  for(size_t i = 0; i < n; i++)
    if(!(out->items[i].name = strdup(names[i])))
      goto nomem;
  if(n == 0)
    return 0;
  if(!policy) {
    default_policy(&dflt);
    policy = &dflt;
  }
  sandbox_policy sb = *policy;
  char cerr[256];
  sb.needs = 0;
  sb.parent = getpid();
  if(sandbox_compile(&sb, cerr, sizeof(cerr)) < 0)
    sb.filter = NULL; /* each child builds its own, and says why it cannot */
  w = calloc(n, sizeof(*w));
  struct pollfd *pfd = calloc(n, sizeof(*pfd));
  if(!w || !pfd) {
    free(w);
    free(pfd);
    goto nomem;
  }
  size_t started = 0;
  /* one child each, all at once: a hanging or noisy constructor costs only
   * its own plugin, and each has the whole timeout */
  for(size_t i = 0; i < n; i++) {
    dbuf_init(&w[i].buf, DESCRIBE_MAX_BYTES);
    describe_start(w, i, dir, names[i], &sb);
    if(w[i].pid > 0)
      started++;
  }
  if(!started) {
    for(size_t i = 0; i < n; i++)
      dbuf_free(&w[i].buf);
    free(w);
    free(pfd);
    int e = errno; /* why the last fork failed */
    plugin_set_free(out);
    errno = e;
    return -1;
  }
  describe_wait(w, n, pfd);
  free(pfd);
  int lost = 0; /* every child is reaped, even after a failure */
  for(size_t i = 0; i < n; i++)
    lost |= describe_finish(&w[i], &out->items[i], names[i]) < 0;
  free(w);
  if(lost)
    goto nomem;
  return 0;
nomem:
  plugin_set_free(out);
  errno = ENOMEM;
  return -1;
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

/* Frees what the entries of set own, not the array itself. */
static void plugin_set_free_items(plugin_set *set)
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
}

void plugin_desc_free(plugin_desc *d)
{
  plugin_set one = {d, 1};
  plugin_set_free_items(&one);
  memset(d, 0, sizeof(*d));
}

void plugin_set_free(plugin_set *set)
{
  plugin_set_free_items(set);
  free(set->items);
  set->items = NULL;
  set->n = 0;
}

/* pread of exactly len bytes at off; 0 or -1. */
static int pread_full(int fd, void *buf, size_t len, off_t off)
{
  size_t got = 0;
  while(got < len) {
    ssize_t n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
    if(n < 0 && errno == EINTR)
      continue;
    if(n <= 0)
      return -1;
    got += (size_t)n;
  }
  return 0;
}

/* The sandbox needs a plugin file declares (its PROBE_SANDBOX_SYMBOL), read
 * from the ELF file on fd without running any of its code: a one-shot run
 * must know them before its sandbox closes in, and that is before the
 * plugin is loaded. Only a native, section-headed shared object is read;
 * anything else returns -1 (the caller describes the plugin instead), and
 * the run child checks the value against what dlsym() finds. */
static int elf_needs(int fd, unsigned *needs)
{
  ElfW(Ehdr) eh;
  struct stat st;
  if(fstat(fd, &st) < 0 || pread_full(fd, &eh, sizeof(eh), 0) < 0)
    return -1;
  if(memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
     eh.e_ident[EI_CLASS] != ELFW_CLASS ||
     eh.e_shentsize != sizeof(ElfW(Shdr)) || eh.e_shnum == 0 ||
     eh.e_shnum > 4096 || eh.e_shoff == 0 ||
     eh.e_shoff > (ElfW(Off))st.st_size ||
     (ElfW(Off))st.st_size - eh.e_shoff <
         (ElfW(Off))eh.e_shnum * sizeof(ElfW(Shdr)))
    return -1;
  ElfW(Shdr) *sh = malloc(eh.e_shnum * sizeof(*sh));
  char *names = NULL;
  ElfW(Sym) *syms = NULL;
  int rc = -1;
  if(!sh || pread_full(fd, sh, eh.e_shnum * sizeof(*sh), (off_t)eh.e_shoff) < 0)
    goto out;
  for(size_t i = 0; i < eh.e_shnum; i++) {
    if(sh[i].sh_type != SHT_DYNSYM)
      continue;
    const ElfW(Shdr) *sy = &sh[i];
    if(sy->sh_link >= eh.e_shnum || sy->sh_entsize != sizeof(ElfW(Sym)))
      goto out;
    const ElfW(Shdr) *str = &sh[sy->sh_link];
    if(sy->sh_size > (1u << 24) || str->sh_size == 0 ||
       str->sh_size > (1u << 24) || sy->sh_offset > (ElfW(Off))st.st_size ||
       sy->sh_size > (ElfW(Off))st.st_size - sy->sh_offset ||
       str->sh_offset > (ElfW(Off))st.st_size ||
       str->sh_size > (ElfW(Off))st.st_size - str->sh_offset)
      goto out;
    syms = malloc(sy->sh_size);
    names = malloc(str->sh_size + 1);
    if(!syms || !names ||
       pread_full(fd, syms, sy->sh_size, (off_t)sy->sh_offset) < 0 ||
       pread_full(fd, names, str->sh_size, (off_t)str->sh_offset) < 0)
      goto out;
    names[str->sh_size] = '\0';
    *needs = SANDBOX_DEFAULT_NEEDS; /* no declaration: the documented default */
    rc = 0;
    for(size_t k = 0; k < sy->sh_size / sizeof(ElfW(Sym)); k++) {
      const ElfW(Sym) *s = &syms[k];
      if(s->st_name >= str->sh_size ||
         strcmp(names + s->st_name, PROBE_SANDBOX_SYMBOL) ||
         s->st_shndx == SHN_UNDEF)
        continue;
      probe_sandbox sb;
      const ElfW(Shdr) *in = s->st_shndx < eh.e_shnum ? &sh[s->st_shndx] : NULL;
      if(!in || s->st_size < sizeof(sb) || s->st_value < in->sh_addr ||
         s->st_value - in->sh_addr > in->sh_size ||
         in->sh_size - (s->st_value - in->sh_addr) < sizeof(sb)) {
        rc = -1;
        break;
      }
      if(in->sh_type == SHT_NOBITS)
        memset(&sb, 0, sizeof(sb));
      else if(pread_full(fd, &sb, sizeof(sb),
                         (off_t)(in->sh_offset + (s->st_value - in->sh_addr))) <
              0) {
        rc = -1;
        break;
      }
      if(sb.version >= 1)
        *needs = sb.needs & (PROBE_NEEDS_NETWORK | PROBE_NEEDS_PROGRAMS |
                             PROBE_NEEDS_ROOT);
      break;
    }
    break;
  }
out:
  free(sh);
  free(syms);
  free(names);
  return rc;
}

int loader_stub(const char *dir, const char *name, plugin_desc *d)
{
  char path[PATH_MAX], err[1024];
  memset(d, 0, sizeof(*d));
  int fd = loader_plugin_fd(dir, name, path, sizeof(path), err, sizeof(err));
  if(fd < 0) {
    if(!(d->name = strdup(name)) || !(d->error = strdup(err)))
      goto nomem;
    return 0;
  }
  unsigned needs;
  int rc = elf_needs(fd, &needs);
  close(fd);
  if(rc < 0)
    return -1;
  if(!(d->name = strdup(name)) || !(d->path = strdup(path)))
    goto nomem;
  d->needs = needs;
  d->lazy = 1;
  return 0;
nomem:
  free(d->name);
  free(d->error);
  memset(d, 0, sizeof(*d));
  return -1;
}

int loader_desc_loaded(const probe_plugin *p, unsigned needs, const char *path,
                       plugin_desc *d)
{
  memset(d, 0, sizeof(*d));
  cJSON *o = cJSON_CreateObject();
  if(!o)
    return -1;
  cJSON_AddStringToObject(o, "path", path);
  describe_into(o, p, needs);
  int rc = (d->name = strdup(p->name)) ? desc_from_json(d, o) : -1;
  cJSON_Delete(o);
  if(rc < 0) {
    plugin_set set = {d, 1};
    plugin_set_free_items(&set);
    memset(d, 0, sizeof(*d));
  }
  return rc;
}
