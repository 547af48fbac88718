/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fileage.c: a minimal third-party probe-agent plugin, built only against
 * the installed <probe-plugin.h> (see Makefile: pkg-config probe-agent).
 *
 * Check `fileage.age`: how long ago a file was last modified; warning and
 * critical above the configured ages. A backup job that stopped writing
 * its snapshot is the kind of thing it catches.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <probe-plugin.h>

static const probe_setting fileage_settings[] = {
    {"path", PROBE_SET_STRING, NULL, PROBE_SETTING_REQUIRED,
     "the file to watch"},
    {"warn_age", PROBE_SET_DURATION, "\"26h\"", 0,
     "warning when older than this"},
    {"crit_age", PROBE_SET_DURATION, "\"50h\"", 0,
     "critical when older than this"},
    {NULL, 0, NULL, 0, NULL}};

/* One run: stat the file, judge its age, report one line. */
static int fileage_run(probe_ctx *ctx, const probe_host *h)
{
  const char *path = NULL;
  double warn = 26 * 3600, crit = 50 * 3600;
  struct stat st;
  h->conf_string(ctx, "path", &path);
  h->conf_duration(ctx, "warn_age", &warn);
  h->conf_duration(ctx, "crit_age", &crit);
  probe_result *r = h->result_begin(ctx, "fileage.age", path);
  if(stat(path, &st) < 0) {
    h->result_status(r, PROBE_CRITICAL, "cannot stat %s: %s", path,
                     strerror(errno));
    return h->result_emit(r);
  }
  double age = difftime(time(NULL), st.st_mtime);
  probe_status s = age > crit   ? PROBE_CRITICAL
                   : age > warn ? PROBE_WARNING
                                : PROBE_OK;
  h->result_status(r, s, "modified %.0f s ago", age);
  h->result_metric(r, "age_seconds", age);
  h->result_metric(r, "size_bytes", (double)st.st_size);
  return h->result_emit(r);
}

PROBE_PLUGIN_EXPORT const probe_plugin
    probe_plugin_entry = {PROBE_PLUGIN_ABI,
                          "fileage",
                          "1.0",
                          "age of a file (example third-party plugin)",
                          fileage_settings,
                          NULL,
                          fileage_run,
                          NULL,
                          NULL};
