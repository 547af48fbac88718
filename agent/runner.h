/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runner.h: where plugin runs are isolated. Each run is a forked child
 * (its own process group) that loads the plugin and reports over a pipe;
 * the agent reads every child at once with poll(), validates each line
 * (JSON schema, size, UTF-8) before output.c writes it, and turns a crash,
 * a timeout, a flood or silence into exactly one `unknown` line.
 */
#ifndef AGENT_RUNNER_H
#define AGENT_RUNNER_H

#include <sys/types.h>

#include "conf.h"
#include "output.h"

typedef enum run_mode { RUN_RESULTS, RUN_CHECK_CONFIG } run_mode;

typedef struct run run;

typedef struct runner {
  run *runs; /* running children */
  size_t nrunning;
  output *out;
  const char *state_base;
  probe_status worst; /* over every finished run */
  int any_result;
  size_t config_errors; /* RUN_CHECK_CONFIG, or a one-shot's own settings
                         * check: problems reported */
  char first_config_error[1024]; /* the first of a one-shot's, or "" */
  int keep_stdin;    /* one-shot mode: plugins may read standard input */
  int progress;      /* one-shot mode: show the runs' progress on stderr */
  int precompile;    /* daemon: seccomp filters compiled once, here; a
                        one-shot's only child compiles its own */
  int sweep_pending; /* leftovers of finished runs may remain: sweep again */
  int sweep_rounds;  /* sweeps in a row that found something */
  double next_sweep_ms;
  const char *stop_why; /* during runner_stop_all: why runs are stopped */
  /* called when a run ends, with the run's worst status */
  void (*on_done)(void *arg, const char *plugin, probe_status worst);
  void *on_done_arg;
} runner;

void runner_init(runner *r, output *out, const char *state_base);

/* Starts one run of plugin with configuration cfg. Never fails silently:
 * when no child can be made, the unknown line is written at once.
 * Returns 0 when a child runs. */
int runner_start(runner *r, const agent_config *cfg, const char *plugin,
                 run_mode mode);

/* 1 when plugin has a run in progress. */
int runner_busy(const runner *r, const char *plugin);

/* Waits up to timeout_ms (-1: until something happens) for the children
 * and for extra_fd (-1: none); handles output, timeouts and ends. Returns
 * 1 when extra_fd became readable, else 0. */
int runner_poll(runner *r, int timeout_ms, int extra_fd);

/* 1 while runs go on or leftovers of finished runs are being killed. */
int runner_active(const runner *r);

/* Stops every run (shutdown): waits up to grace_s for the runs to end by
 * themselves, then kills them (process group and leftovers); each killed
 * run gets its unknown line, "plugin P was stopped after N s: WHY". */
void runner_stop_all(runner *r, const char *why, double grace_s);

#endif
