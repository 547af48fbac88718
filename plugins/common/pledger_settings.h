/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pledger_settings.h: the settings of a ledger source (lsrc.h), written
 * once for every plugin that reads the iTrans ledger (ledger and claims
 * and anchor), so that the keys, defaults and help texts cannot drift
 * apart. A password_file is read at connect time by ppg_connect_pwfile.
 *
 * Use:
 *   static const probe_setting my_settings[] = {
 *     PLEDGER_SOURCE_SETTINGS,      source, table, column
 *     ...your own rows...
 *     PLEDGER_MAX_LINE_SETTING,     max_line_bytes
 *     {NULL, 0, NULL, 0, NULL}};
 * then pledger_settings_read (through the plugin's pkit, so that the
 * defaults come from these rows and nowhere else) in the plugin's
 * read_settings, and pledger_settings_check in check_config().
 */
#ifndef PLUGINS_COMMON_PLEDGER_SETTINGS_H
#define PLUGINS_COMMON_PLEDGER_SETTINGS_H

#include <stddef.h>

#include "plugins/common/lsrc.h"
#include "plugins/common/pkit.h"
#include "probe-plugin.h"

/* The rows source, table and column of a settings table (kept as rows of
 * a table: doc/settings-man.py reads them). */
/* clang-format off */
#define PLEDGER_SOURCE_SETTINGS                                               \
  {"source", PROBE_SET_STRING, NULL, PROBE_SETTING_REQUIRED,                  \
   "ledger snapshot (JSON Lines, .gz, - for stdin) or PostgreSQL "            \
   "conninfo/URI"},                                                           \
  {"table", PROBE_SET_STRING, "\"ledger_events\"", 0,                         \
   "PostgreSQL: table holding one event per row (schema.table allowed)"},     \
  {"column", PROBE_SET_STRING, "\"event\"", 0,                                \
   "PostgreSQL: json/jsonb column holding the whole event"}

/* The row max_line_bytes (lsrc_options.max_line). */
#define PLEDGER_MAX_LINE_SETTING                                              \
  {"max_line_bytes", PROBE_SET_INT, "16777216", 0,                            \
   "longest event accepted, in bytes"}
/* clang-format on */

/* Fills o (cleared first) from the settings of PLEDGER_SOURCE_SETTINGS and
 * PLEDGER_MAX_LINE_SETTING read through k (their table defaults when
 * unset; an empty table or column is the default too), with a PostgreSQL
 * timeout of the run's time left less half a second. o->source stays NULL
 * when not set. The strings live until pkit_free(k). */
void pledger_settings_read(pkit *k, lsrc_options *o);

/* check_config: source not empty, max_line_bytes at least 256. Reports
 * each through config_error; returns 1 when one was bad, else 0. */
int pledger_settings_check(probe_ctx *ctx, const probe_host *h);

#endif
