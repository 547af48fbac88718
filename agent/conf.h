/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.h: the agent's configuration: the file (JSON with comments), the
 * PROBE_<PLUGIN>_<KEY> environment and --set overrides, merged with the
 * precedence --set > environment > file > defaults, and validated against
 * each plugin's settings table before anything runs.
 */
#ifndef AGENT_CONF_H
#define AGENT_CONF_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "exitcode.h"
#include "loader.h"
#include "util.h"

/* Exit statuses of configuration problems (exitcode.h). */
#define CONFIG_EX_USAGE AGENT_EXIT_USAGE
#define CONFIG_EX_CONFIG AGENT_EXIT_CONFIG

/* The shortest interval accepted (agent.interval and each plugin's): a
 * plugin run every 0.1 s is a busy loop, not monitoring. */
#define CONFIG_MIN_INTERVAL 1.0

/* json and text write each line at once; nagios and openmetrics (one run
 * only, from the command line) collect the results and write them at the
 * end of the run (output_finish). */
typedef enum output_format {
  FORMAT_JSON,
  FORMAT_TEXT,
  FORMAT_NAGIOS,
  FORMAT_OPENMETRICS
} output_format;

/* What the command line asks for. */
typedef struct config_request {
  const char *file;  /* -c, or NULL for the default file if it exists */
  int file_explicit; /* a missing file is an error */
  char **sets;       /* --set KEY=VALUE */
  size_t nsets;
  char **plugins; /* --plugin NAME */
  size_t nplugins;
  const char *plugin_dir;
  char **environ; /* the environment to read PROBE_* from */
  int lazy;       /* a one-shot: each run child checks its own plugin's
                         * settings (config_check_loaded), none is described
                         * beforehand; the request must outlive the config */
} config_request;

struct jsonc_doc;

typedef struct agent_config {
  cJSON *root;      /* {"agent":{..},"plugins":{name:{..}}}, defaults applied */
  plugin_set descs; /* descriptions of every plugin named anywhere */
  char *file;       /* the file read, or NULL */
  char **run;       /* plugins to run, in order */
  size_t nrun;
  /* the agent section, parsed */
  double interval_s;
  double timeout_s;
  char *output; /* "-" for standard output */
  output_format format;
  char *state_dir; /* NULL: decided by the agent */
  char *host;
  char *heartbeat_file; /* or NULL */
  size_t max_output_bytes;
  char *user;  /* agent.user, or NULL for the default */
  int sandbox; /* agent.sandbox (false: debugging only) */
  /* a lazy load (config_request.lazy): what config_check_loaded needs */
  const config_request *req;
  struct jsonc_doc *doc; /* the file, for line numbers */
  cJSON *origins;        /* where overrides came from */
} agent_config;

/* Loads and validates. Returns 0, CONFIG_EX_USAGE or CONFIG_EX_CONFIG;
 * every problem is appended to errors as one line. */
int config_load(const config_request *req, agent_config *cfg, dbuf *errors);
void config_free(agent_config *cfg);

/* In a one-shot's run child, with the plugin loaded (`loaded`, from
 * loader_desc_loaded): applies the overrides of its section again with
 * their types known, then checks its settings and applies the defaults as
 * config_load does for a described plugin, into cfg->root. Appends each
 * problem to errors as config_load would and returns how many there were
 * (0 when cfg was not loaded lazily). */
int config_check_loaded(agent_config *cfg, const char *plugin,
                        const plugin_desc *loaded, dbuf *errors);

/* The merged section of a plugin (never NULL for a plugin in cfg->run). */
const cJSON *config_section(const agent_config *cfg, const char *plugin);
/* interval and timeout of a plugin in seconds. */
double config_plugin_interval(const agent_config *cfg, const char *plugin);
double config_plugin_timeout(const agent_config *cfg, const char *plugin);

/* The sandbox of a run of plugin: what it declared it needs, its limits
 * (memory_limit, cpu_limit, max_processes) and its user (its `user`,
 * else root when it needs root, else agent.user). Returns 0, or -1 with
 * err when that user cannot be used. */
struct sandbox_policy;
int config_plugin_sandbox(const agent_config *cfg, const char *plugin,
                          struct sandbox_policy *p, char *err, size_t errlen);

/* The agent section's own settings table (for --help and the man page). */
const probe_setting *config_agent_settings(void);

/* Parses a --set/environment value: JSON when it parses, else the text as
 * a string; a string-typed setting always keeps the text. */
cJSON *config_parse_value(const char *text, int want_string);

/* Appends s[0..len) to out with control characters (C0, DEL, C1) and
 * invalid UTF-8 escaped (\n, \t, \xNN), so that outside text quoted in
 * a message stays on one line and is valid UTF-8. */
void config_escape_text(dbuf *out, const char *s, size_t len);

#endif
