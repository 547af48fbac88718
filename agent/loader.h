/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader.h: finding, vetting and describing plugins.
 *
 * The agent process itself never dlopen()s a plugin: plugins pull in
 * libcurl, libpq and OpenSSL, and a long-running daemon should neither
 * carry them nor trust them. Descriptions (name, version, settings table)
 * are read in a short-lived child and sent back as JSON; runs happen in a
 * child of their own (runner.c), which calls loader_open_fd().
 */
#ifndef AGENT_LOADER_H
#define AGENT_LOADER_H

#include <stddef.h>

#include "probe-plugin.h"

struct sandbox_policy;

typedef struct plugin_setting_desc {
  char *key;
  probe_setting_type type;
  char *default_json; /* or NULL */
  unsigned flags;
  char *help;
} plugin_setting_desc;

typedef struct plugin_desc {
  char *name;
  char *path;
  char *version;
  char *description;
  plugin_setting_desc *settings;
  size_t nsettings;
  int has_check_config;
  unsigned needs; /* PROBE_NEEDS_* it declared (or the default) */
  char *error;    /* why it cannot be used, or NULL */
  int lazy;       /* a stub (loader_stub): the run child describes itself */
} plugin_desc;

typedef struct plugin_set {
  plugin_desc *items;
  size_t n;
} plugin_set;

/* Name of a setting type ("string", "duration", ...). */
const char *loader_type_name(probe_setting_type t);

/* 1 when name is a valid plugin name ([a-z0-9_-], 1..64 characters). */
int loader_valid_name(const char *name);

/* Builds dir/name.so (into out) and opens it once: O_NOFOLLOW (a link is
 * refused), checked on the descriptor (a regular file, owned by root or
 * by us, not writable by group or others), and every directory from / to
 * it likewise (a root-owned sticky one like /tmp is accepted above the
 * plugin's own directory). Returns the descriptor (close-on-exec), or -1
 * with the reason in err. */
int loader_plugin_fd(const char *dir, const char *name, char *out,
                     size_t outlen, char *err, size_t errlen);

/* dlopen()s the file open on fd (from loader_plugin_fd) in the calling
 * process and checks its ABI; path is for messages. *needs (when not
 * NULL) gets its PROBE_NEEDS_* declaration, or the documented default.
 * Returns the handle, or NULL with the reason (dlerror's text) in err. */
void *loader_open_fd(int fd, const char *path, const char *name,
                     const probe_plugin **plugin, unsigned *needs, char *err,
                     size_t errlen);

/* The names of the plugins (*.so) in dir, sorted; malloc'd array. */
int loader_list_dir(const char *dir, char ***names, size_t *n);

/* Describes the named plugins, each in a child process of its own (in
 * the sandbox of policy with nothing declared; NULL: the default user and
 * limits), concurrently, each with its own timeout. Always fills out with
 * one entry per name (with `error` set for those that cannot be used);
 * returns -1 only when no child could be started. */
int loader_describe(const char *dir, char *const *names, size_t n,
                    const struct sandbox_policy *policy, plugin_set *out);

/* A one-shot run's description of plugin name, made without a child: its
 * path and the sandbox needs read from its ELF file (no code of it runs),
 * `lazy` set and no settings table: the run child loads the plugin and
 * checks its own settings (conf.c config_check_loaded). A plugin that
 * cannot be opened gets `error` as loader_describe gives it. Returns -1
 * when the file could not be read that way (then describe it). */
int loader_stub(const char *dir, const char *name, plugin_desc *d);

/* Fills d (all fields malloc'd) from a plugin loaded in this process.
 * 0 or -1 (out of memory). */
int loader_desc_loaded(const probe_plugin *p, unsigned needs, const char *path,
                       plugin_desc *d);

const plugin_desc *plugin_set_find(const plugin_set *set, const char *name);
const plugin_setting_desc *plugin_desc_setting(const plugin_desc *d,
                                               const char *key);
void plugin_set_free(plugin_set *set);
/* Frees what one description owns (e.g. from loader_desc_loaded). */
void plugin_desc_free(plugin_desc *d);
void loader_free_names(char **names, size_t n);

#endif
