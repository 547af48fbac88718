/* SPDX-License-Identifier: Apache-2.0 */
/*
 * probe-plugin.h: the whole contract between probe-agent and its plugins.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * `probe_plugin_entry`, a `struct probe_plugin` describing itself, the
 * settings it accepts and its entry points. The agent dlopen()s it in a
 * child process for every run, so a plugin may crash, hang or leak without
 * harming the agent: the agent turns any such end into one `unknown` line.
 *
 * A plugin never prints results. It hands them to the agent through the
 * functions of `struct probe_host`, which the agent passes to every entry
 * point; the agent stamps time, host, labels and duration, validates and
 * writes the line. This header is installed; third-party plugins need
 * nothing else (see contrib/example-plugin/).
 *
 * Compatibility: PROBE_PLUGIN_ABI changes whenever a struct below changes
 * layout or meaning. The agent refuses a plugin built for another ABI.
 */
#ifndef PROBE_PLUGIN_H
#define PROBE_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PROBE_PLUGIN_ABI 1

/* The symbol every plugin exports. */
#define PROBE_PLUGIN_SYMBOL "probe_plugin_entry"

/* Result status, ordered as Nagios plugins number them. The exit status of
 * a run is the worst result, where critical > unknown > warning > ok. */
typedef enum probe_status {
  PROBE_OK = 0,
  PROBE_WARNING = 1,
  PROBE_CRITICAL = 2,
  PROBE_UNKNOWN = 3
} probe_status;

/* The kinds of setting the agent validates before any plugin runs. */
typedef enum probe_setting_type {
  PROBE_SET_STRING,   /* JSON string */
  PROBE_SET_INT,      /* JSON integer */
  PROBE_SET_NUMBER,   /* any JSON number */
  PROBE_SET_BOOL,     /* true / false */
  PROBE_SET_DURATION, /* seconds as a number, or "90s", "30m", "24h", "7d" */
  PROBE_SET_LIST,     /* JSON array (elements checked by the plugin) */
  PROBE_SET_OBJECT,   /* JSON object (members checked by the plugin) */
  PROBE_SET_ANY       /* any JSON value */
} probe_setting_type;

/* Flags of a setting. */
#define PROBE_SETTING_REQUIRED 0x1u /* a run without it is misconfigured */
#define PROBE_SETTING_SECRET 0x2u   /* never echoed, not even in errors */
#define PROBE_SETTING_FILE 0x4u     /* a path that must name a readable file */

/* One accepted setting. A plugin's table ends with an entry whose key is
 * NULL. `interval`, `timeout` and `enabled` are the agent's own and are
 * accepted for every plugin without being listed. */
typedef struct probe_setting {
  const char *key;
  probe_setting_type type;
  const char *default_json; /* default as JSON text, or NULL for none */
  unsigned flags;
  const char *help; /* one line, for --help-plugin and the man page */
} probe_setting;

typedef struct probe_ctx probe_ctx;       /* one run of one plugin */
typedef struct probe_result probe_result; /* one result line being built */

/* Severity of a log message (standard error of the agent, never the
 * result stream). */
typedef enum probe_log_level {
  PROBE_LOG_ERROR,
  PROBE_LOG_WARNING,
  PROBE_LOG_INFO,
  PROBE_LOG_DEBUG
} probe_log_level;

#if defined(__GNUC__)
#define PROBE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PROBE_PRINTF(a, b)
#endif

/*
 * What the agent offers a plugin. Every function is safe to call from the
 * plugin's entry points; none of them is thread-safe unless it says so.
 *
 * Settings: `key` is a key of the plugin's own section, or
 * "<plugin>.<key>" to read another plugin's setting (e.g. the secrets
 * plugin reads "anchor.expected_sender"). Defaults from the settings table
 * are already applied. The returned pointers live until the run ends.
 */
typedef struct probe_host {
  unsigned abi_version; /* PROBE_PLUGIN_ABI of the agent */

  /* Settings. Each returns 0 when the value is set and has that type,
   * -1 otherwise (and leaves *out alone). */
  int (*conf_string)(probe_ctx *ctx, const char *key, const char **out);
  int (*conf_int)(probe_ctx *ctx, const char *key, long long *out);
  int (*conf_number)(probe_ctx *ctx, const char *key, double *out);
  int (*conf_bool)(probe_ctx *ctx, const char *key, int *out);
  /* A duration in seconds (numbers and "30m"-like strings). */
  int (*conf_duration)(probe_ctx *ctx, const char *key, double *out);
  /* Any value as compact JSON text (arrays and objects). */
  int (*conf_json)(probe_ctx *ctx, const char *key, const char **out);

  /* Where this plugin may keep state between runs: an existing directory
   * private to the plugin (<state_dir>/<plugin>), or NULL if none could be
   * made. Write files there atomically (temp file + rename). */
  const char *(*state_dir)(probe_ctx *ctx);

  /* Seconds left before the agent kills this run; plugins size their own
   * network timeouts with it. */
  double (*time_left)(probe_ctx *ctx);

  /* Standard error, prefixed with the plugin's name. Never pass secrets. */
  void (*log)(probe_ctx *ctx, probe_log_level level, const char *fmt, ...)
      PROBE_PRINTF(3, 4);

  /* Results. begin() starts a line for `check` (e.g. "ledger.chain") on
   * `target` (a path, host:port or URL; the agent redacts URLs and
   * conninfo, deny by default: lib/redact.h).
   * The status defaults to unknown until set. emit() hands the line to the
   * agent and frees it; discard() frees it unsent. */
  probe_result *(*result_begin)(probe_ctx *ctx, const char *check,
                                const char *target);
  void (*result_status)(probe_result *r, probe_status status,
                        const char *summary_fmt, ...) PROBE_PRINTF(3, 4);
  /* Metrics are numbers with stable names, units in the name. */
  void (*result_metric)(probe_result *r, const char *name, double value);
  void (*result_detail_string)(probe_result *r, const char *key,
                               const char *value);
  void (*result_detail_number)(probe_result *r, const char *key, double value);
  void (*result_detail_bool)(probe_result *r, const char *key, int value);
  /* `json` must be one valid JSON value; an invalid one is dropped. */
  void (*result_detail_json)(probe_result *r, const char *key,
                             const char *json);
  /* Overrides the measured duration of the line (milliseconds). */
  void (*result_duration)(probe_result *r, double ms);
  /* Returns 0 when the agent accepted the line. */
  int (*result_emit)(probe_result *r);
  void (*result_discard)(probe_result *r);

  /* For check_config: reports one problem with setting `key` (NULL for
   * the section as a whole). The agent adds file, line and plugin. */
  void (*config_error)(probe_ctx *ctx, const char *key, const char *fmt, ...)
      PROBE_PRINTF(3, 4);

  /* --- ABI 1, minor 1: added at the end, so that plugins built for ABI 1
   * keep working. An agent whose host_minor is 0 or absent (agents before
   * 0.2 end the struct above) has none of what follows: a plugin that may
   * run on such an agent reads host_minor only when the agent's version
   * says so; the plugins shipped with an agent always may. */
  unsigned host_minor; /* PROBE_HOST_MINOR of the agent */

  /* The warning and critical thresholds the plugin applied to metric
   * `name` of r, for the monitoring formats (Nagios perfdata). warn <=
   * crit: the metric alerts above them; warn > crit: below them (e.g.
   * days left). NAN for a threshold the plugin does not have. */
  void (*result_threshold)(probe_result *r, const char *name, double warn,
                           double crit);

  /* --- minor 2 --- Progress of a long run (a full pass over a large
   * ledger): `events` and `bytes` done so far, of `total` bytes (negative
   * when unknown, e.g. a table). Call it as often as convenient from the
   * thread that runs the plugin: the agent keeps at most a few a second
   * and shows them only on a terminal (or with --progress), never in the
   * result stream. */
  void (*progress)(probe_ctx *ctx, double events, double bytes, double total);
} probe_host;

/* The minor revision of probe_host this header describes. */
#define PROBE_HOST_MINOR 2

/* 1 when host offers result_threshold (use before calling it). */
#define PROBE_HOST_HAS_THRESHOLD(h) \
  ((h)->host_minor >= 1 && (h)->result_threshold)
/* 1 when host offers progress. */
#define PROBE_HOST_HAS_PROGRESS(h) ((h)->host_minor >= 2 && (h)->progress)

/*
 * The plugin's description and entry points. init and fini are optional
 * (NULL); run is required. Each entry point returns 0 on success; a
 * non-zero return from init or run without any emitted line makes the
 * agent write an `unknown` line saying so.
 */
typedef struct probe_plugin {
  unsigned abi_version; /* PROBE_PLUGIN_ABI when built */
  const char *name;     /* [a-z0-9_-]+, the configuration section */
  const char *version;
  const char *description; /* one line */
  const probe_setting *settings;
  int (*init)(probe_ctx *ctx, const probe_host *host);
  int (*run)(probe_ctx *ctx, const probe_host *host);
  void (*fini)(probe_ctx *ctx, const probe_host *host);
  /* Optional: checks the settings' meaning (not their types, which the
   * agent checks) without touching the network, for --check-config and
   * before a daemon starts. Reports each problem with host->config_error
   * and returns non-zero when there was one. */
  int (*check_config)(probe_ctx *ctx, const probe_host *host);
} probe_plugin;

/*
 * Optional: what a plugin needs from its sandbox. Each run is a child
 * with a seccomp filter that denies what the plugin did not declare, and
 * (when the agent runs as root) an unprivileged user. A plugin declares
 * its needs by exporting a second symbol, PROBE_SANDBOX_SYMBOL:
 *
 *   PROBE_PLUGIN_EXPORT const probe_sandbox probe_plugin_sandbox = {
 *     PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK
 *   };
 *
 * A plugin without it (every plugin built before it existed) gets
 * PROBE_NEEDS_NETWORK only: sockets yes, starting programs no, not root.
 * This is not part of struct probe_plugin, so PROBE_PLUGIN_ABI stays 1.
 */
#define PROBE_SANDBOX_SYMBOL "probe_plugin_sandbox"
#define PROBE_SANDBOX_VERSION 1u

#define PROBE_NEEDS_NETWORK 0x1u  /* socket(): TCP, UDP, unix sockets (libpq) */
#define PROBE_NEEDS_PROGRAMS 0x2u /* fork() and execve(): starting programs */
#define PROBE_NEEDS_ROOT 0x4u     /* run as root when the agent does */

typedef struct probe_sandbox {
  unsigned version; /* PROBE_SANDBOX_VERSION */
  unsigned needs;   /* PROBE_NEEDS_* */
} probe_sandbox;

/* Use as: PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {..}; */
#if defined(__GNUC__)
#define PROBE_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define PROBE_PLUGIN_EXPORT
#endif

#ifdef __cplusplus
}
#endif

#endif /* PROBE_PLUGIN_H */
