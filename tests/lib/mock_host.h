/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mock_host.h: a probe_host test double for unit tests of plugins (the
 * model: collectd's src/daemon/plugin_mock.c). It answers the settings
 * from a JSON object, applies the plugin's table defaults as the agent
 * does, and records every line (check, target, status, summary, metrics,
 * details, thresholds), log message and config_error a plugin hands it,
 * so that a test reads them back. One mock per process (tests are
 * single-threaded); mock_host_setup starts over.
 */
#ifndef TESTS_LIB_MOCK_HOST_H
#define TESTS_LIB_MOCK_HOST_H

#include <stddef.h>

#include "probe-plugin.h"

#define MOCK_MAX_ITEMS 64

/* One recorded line. Details hold JSON text ("\"x\"", "3", "true"). */
typedef struct mock_line {
  char *check, *target;
  probe_status status;
  int status_set;
  char *summary;
  int emitted; /* 0: discarded */
  size_t nmetrics, ndetails;
  char *metric_name[MOCK_MAX_ITEMS];
  double metric_value[MOCK_MAX_ITEMS];
  char *detail_key[MOCK_MAX_ITEMS];
  char *detail_json[MOCK_MAX_ITEMS];
  size_t nthresholds; /* result_threshold's, in order */
  char *threshold_name[MOCK_MAX_ITEMS];
  double threshold_warn[MOCK_MAX_ITEMS], threshold_crit[MOCK_MAX_ITEMS];
} mock_line;

/* Starts over: settings_json is the plugin's section (an object, NULL for
 * none); table, when not NULL, supplies defaults for keys not set. */
void mock_host_setup(const char *settings_json, const probe_setting *table);
void mock_host_teardown(void);

/* mock_host_setup with the plugin's own table, then its run or its
 * check_config; returns what the entry point returned. */
int mock_run(const probe_plugin *p, const char *settings_json);
int mock_check_config(const probe_plugin *p, const char *settings_json);

/* The host and the run's context to pass to a plugin's entry points. */
const probe_host *mock_host(void);
probe_ctx *mock_ctx(void);

/* What time_left and state_dir answer (defaults: 10 s, NULL). */
void mock_set_time_left(double s);
void mock_set_state_dir(const char *dir);

/* Recorded lines, in order (emitted and discarded). */
size_t mock_nlines(void);
const mock_line *mock_line_at(size_t i);
/* The first line of check, NULL when none. */
const mock_line *mock_find(const char *check);
/* A metric's value, or NAN when the line has none of that name. */
double mock_metric(const mock_line *l, const char *name);
/* The thresholds handed over for a metric: 0 and *warn, *crit (NAN for
 * none), or -1 when the line has none for that name. */
int mock_threshold(const mock_line *l, const char *name, double *warn,
                   double *crit);
/* A detail's JSON text, or NULL. */
const char *mock_detail(const mock_line *l, const char *key);

/* Log messages and config_error reports, formatted ("key: text" for
 * config errors with a key). */
size_t mock_nlogs(void);
const char *mock_log_at(size_t i);
size_t mock_nconfig_errors(void);
const char *mock_config_error_at(size_t i);

#endif
