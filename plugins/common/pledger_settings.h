/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pledger_settings.h: the settings of a ledger source (lsrc.h), written
 * once for every plugin that reads the iTrans ledger (ledger and claims
 * now, anchor to adopt), so that the keys, defaults and help texts cannot
 * drift apart, and the one reader of a password file.
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

/* The longest password a password file may hold, in bytes. */
#define PLEDGER_PASSWORD_MAX 65536

/* Fills o (cleared first) from the settings of PLEDGER_SOURCE_SETTINGS and
 * PLEDGER_MAX_LINE_SETTING read through k (their table defaults when
 * unset; an empty table or column is the default too), with a PostgreSQL
 * timeout of the run's time left less half a second. o->source stays NULL
 * when not set. The strings live until pkit_free(k). */
void pledger_settings_read(pkit *k, lsrc_options *o);

/* check_config: source not empty, max_line_bytes at least 256. Reports
 * each through config_error; returns 1 when one was bad, else 0. */
int pledger_settings_check(probe_ctx *ctx, const probe_host *h);

/* Reads the first line of a password file (without its "\r\n"), whole: a
 * file whose first line is longer than PLEDGER_PASSWORD_MAX is refused,
 * never cut. Returns a malloc'd string for pledger_password_free, or NULL
 * with a one-line reason in err (that names neither path nor content). */
char *pledger_password_read(const char *path, char *err, size_t errlen);

/* Wipes and frees a password of pledger_password_read (NULL is fine). */
void pledger_password_free(char *pw);

/* Sets PGPASSWORD of this run's process from a password file (libpq reads
 * it at connect time). 0, or -1 with err as pledger_password_read. */
int pledger_password_env(const char *path, char *err, size_t errlen);

#endif
