/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkit.h: the plugin kit: a plugin's settings read through its own
 * probe_setting table, and its plain status lines.
 *
 * The settings table is the one place a default is written: the agent
 * applies it before a run, and pkit falls back to the same default_json
 * when a host does not (a test double, a key read before the agent's
 * defaults), so no plugin restates a default in code. A plugin reads all
 * its settings in one `read_settings` function, used by both its run and
 * its check_config:
 *
 *   pkit k;
 *   pkit_init(&k, ctx, host, settings);
 *   c->window = pkit_duration(&k, "window");       (table: "\"15m\"")
 *   c->table = pkit_opt(&k, "table");               (NULL when unset or "")
 *   ...
 *   pkit_free(&k);                                  (after the run)
 *
 * and reports a setting it cannot use with
 *   pkit_misconfigured(ctx, host, "x.check", target, "'a' needs 'b'");
 * which emits the one unknown line "misconfigured: 'a' needs 'b'".
 */
#ifndef PLUGINS_COMMON_PKIT_H
#define PLUGINS_COMMON_PKIT_H

#include <stddef.h>

#include "probe-plugin.h"

/* One plugin's settings during one run. */
typedef struct pkit {
  probe_ctx *ctx;
  const probe_host *host;
  const probe_setting *table; /* the plugin's own, NULL-key terminated */
  char **owned;               /* defaults decoded by pkit, freed by pkit_free */
  size_t nowned;
} pkit;

void pkit_init(pkit *k, probe_ctx *ctx, const probe_host *host,
               const probe_setting *table);
/* Frees the decoded defaults: strings from pkit_str and pkit_json live
 * until then (or until the run ends, for the host's own). */
void pkit_free(pkit *k);

/* The table entry of key, or NULL (a key the plugin does not declare). */
const probe_setting *pkit_setting(const probe_setting *table, const char *key);

/* A string setting, else its table default, else NULL. "" stays "". */
const char *pkit_str(pkit *k, const char *key);
/* As pkit_str, but NULL for "" too (optional names, paths). */
const char *pkit_opt(pkit *k, const char *key);
/* The setting unless unset or "", else its table default (names that
 * must not be empty, such as a column). */
const char *pkit_nonempty(pkit *k, const char *key);
/* Numbers: the setting, else its table default, else 0. */
long long pkit_int(pkit *k, const char *key);
double pkit_number(pkit *k, const char *key);
/* Seconds, from a number or "90s", "30m", "24h", "7d". */
double pkit_duration(pkit *k, const char *key);
int pkit_bool(pkit *k, const char *key);
/* The table default of a number or duration alone (0 when none): what a
 * run uses instead of a value out of range. */
double pkit_default(const pkit *k, const char *key);
/* Compact JSON text of a setting (lists, objects), else its default. */
const char *pkit_json(pkit *k, const char *key);

/* Emits one line of check on target with status st and the summary;
 * 0 when the agent accepted it. */
int pkit_line(probe_ctx *ctx, const probe_host *host, const char *check,
              const char *target, probe_status st, const char *fmt, ...)
    PROBE_PRINTF(6, 7);
/* The unknown line of a setting the run cannot use: summary
 * "misconfigured: <text>". */
int pkit_misconfigured(probe_ctx *ctx, const probe_host *host,
                       const char *check, const char *target, const char *fmt,
                       ...) PROBE_PRINTF(5, 6);

/* A setting that cannot be used: while the agent checks the configuration
 * (checking, with a config_error callback) a config_error on key, else an
 * error in the run's log. */
void pkit_config_error(probe_ctx *ctx, const probe_host *host, int checking,
                       const char *key, const char *fmt, ...)
    PROBE_PRINTF(5, 6);

#endif
