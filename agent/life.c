/* SPDX-License-Identifier: Apache-2.0 */
/*
 * life.c: the life cycle of one agent process, shared by the command line
 * (main.c) and the daemon (sched.c) so that neither calls the other: the
 * state directory, the output (opened, reconfigured on reload), and the
 * one-shot run with its signals and exit status. The agent's messages
 * are diag.c's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "diag.h"
#include "exitcode.h"
#include "util.h"
#include "wire.h"

/* 1 when dir exists (or can be made) and we may write there. */
static int usable_dir(const char *dir)
{
  /* started as root, plugins run as another user, who must be able to
   * reach their own 0700 directories below it */
  if(util_mkdir_p(dir, geteuid() == 0 ? 0755 : 0700) < 0)
    return 0;
  return access(dir, W_OK | X_OK) == 0;
}

/* The state directory: --state-dir, agent.state_dir, $STATE_DIRECTORY,
 * /var/lib/probe-agent when writable, else $XDG_STATE_HOME/probe-agent. */
char *agent_resolve_state_dir(const agent *a)
{
  char buf[4096];
  const char *v;
  if(a->state_override)
    return usable_dir(a->state_override) ? strdup(a->state_override) : NULL;
  if(a->cfg.state_dir)
    return usable_dir(a->cfg.state_dir) ? strdup(a->cfg.state_dir) : NULL;
  if((v = getenv("STATE_DIRECTORY")) && *v) {
    snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(v, ":"), v);
    return usable_dir(buf) ? strdup(buf) : NULL;
  }
  if(usable_dir("/var/lib/probe-agent"))
    return strdup("/var/lib/probe-agent");
  if((v = getenv("XDG_STATE_HOME")) && *v)
    snprintf(buf, sizeof(buf), "%s/probe-agent", v);
  else if((v = getenv("HOME")) && *v)
    snprintf(buf, sizeof(buf), "%s/.local/state/probe-agent", v);
  else
    return NULL;
  return usable_dir(buf) ? strdup(buf) : NULL;
}

int agent_apply_output(agent *a, int first, char *err, size_t errlen)
{
  char hostbuf[256];
  const char *host = a->cfg.host;
  dbuf safe;
  dbuf_init(&safe, 0);
  if(!host) {
    if(gethostname(hostbuf, sizeof(hostbuf)) < 0)
      snprintf(hostbuf, sizeof(hostbuf), "unknown");
    hostbuf[sizeof(hostbuf) - 1] = '\0';
    /* the kernel takes any bytes as a host name; every line must be valid
     * UTF-8 without control characters, so such bytes are escaped */
    config_escape_text(&safe, hostbuf, strlen(hostbuf));
    host = safe.data ? safe.data : "unknown";
  }
  output_format fmt = a->format_override >= 0
                          ? (output_format)a->format_override
                          : a->cfg.format;
  const char *path = a->output_override ? a->output_override : a->cfg.output;
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(a->cfg.root, "agent"), "labels");
  int rc;
  if(first)
    rc = output_open(&a->out, path, fmt, host, labels, err, errlen);
  else {
    output_configure(&a->out, fmt, host, labels);
    rc = output_reopen(&a->out, err, errlen);
  }
  dbuf_free(&safe);
  return rc;
}

int agent_open_output(agent *a, int stdout_closed)
{
  char err[512] = "";
  const char *out_path =
      a->output_override ? a->output_override : a->cfg.output;
  if(stdout_closed && (!out_path || !strcmp(out_path, "-"))) {
    fprintf(stderr, "probe-agent: standard output is closed: nowhere to write "
                    "the result lines (give -o FILE or agent.output)\n");
    diag_nagios(0); /* nowhere to say it either */
    return AGENT_EXIT_CANTCREAT;
  }
  if(agent_apply_output(a, 1, err, sizeof(err)) < 0) {
    int e = errno;
    const char *msg = *err ? err : "cannot open the output";
    fprintf(stderr, "probe-agent: %s\n", msg);
    diag_note_failure(msg, strlen(msg));
    if(!*err)
      fprintf(stderr, "probe-agent: standard output: %s\n", strerror(e));
    return AGENT_EXIT_CANTCREAT;
  }
  return 0;
}

/* Maps the worst status to the Nagios exit status. */
static agent_exit exit_status(probe_status worst)
{
  static const agent_exit map[WIRE_NSTATUS] = {AGENT_EXIT_OK,
                                               AGENT_EXIT_WARNING,
                                               AGENT_EXIT_CRITICAL,
                                               AGENT_EXIT_UNKNOWN};
  return (unsigned)worst < WIRE_NSTATUS ? map[worst] : AGENT_EXIT_UNKNOWN;
}

static int once_pipe[2] = {-1, -1};
static volatile sig_atomic_t once_signal;

/* One-shot mode's SIGTERM/SIGINT/SIGHUP: noted, and the poll woken; and
 * SIGCHLD: the poll woken, for an exit that comes after the pipes' EOF. */
static void on_once_signal(int sig)
{
  int saved = errno;
  if(sig != SIGCHLD)
    once_signal = sig;
  if(once_pipe[1] >= 0) {
    char c = 0;
    ssize_t w = write(once_pipe[1], &c, 1);
    (void)w;
  }
  errno = saved;
}

/* Runs every selected plugin once. A termination signal, or an output
 * whose reader is gone (EPIPE), ends the runs at once: each running plugin
 * gets its unknown line and its process group is killed. The exit status
 * is the worst of what was written, unknown when a line was lost. */
int agent_run_once(agent *a, double deadline_s)
{
  static char why[80];
  double end_ms = deadline_s > 0 ? util_mono_ms() + deadline_s * 1000.0 : 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_once_signal;
  sigemptyset(&sa.sa_mask);
  if(pipe2(once_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
    once_pipe[0] = once_pipe[1] = -1;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);
  for(size_t i = 0; i < a->cfg.nrun && !once_signal && !a->out.broken; i++)
    runner_start(&a->runs, &a->cfg, a->cfg.run[i], RUN_RESULTS);
  while(runner_active(&a->runs)) {
    if(once_signal || a->out.broken) {
      if(once_signal)
        snprintf(why, sizeof(why), "the agent received %s",
                 once_signal == SIGTERM  ? "SIGTERM"
                 : once_signal == SIGINT ? "SIGINT"
                                         : "SIGHUP");
      runner_stop_all(&a->runs,
                      once_signal ? why : "the output cannot be written", 0);
      break;
    }
    int wait_ms = -1;
    if(end_ms > 0) {
      double left = end_ms - util_mono_ms();
      if(left <= 0) {
        snprintf(why, sizeof(why), "the run's timeout (-t %g) passed",
                 deadline_s);
        runner_stop_all(&a->runs, why, 0);
        break;
      }
      wait_ms = (int)left + 1;
    }
    if(runner_poll(&a->runs, wait_ms, once_pipe[0])) {
      char drain[64];
      while(read(once_pipe[0], drain, sizeof(drain)) > 0)
        ;
    }
  }
  if(a->runs.config_errors) {
    /* a lazy one-shot's run child refused its settings: as config_load
     * would have, before anything was written */
    diag_note_failure(a->runs.first_config_error,
                      strlen(a->runs.first_config_error));
    return AGENT_EXIT_CONFIG;
  }
  probe_status worst = a->runs.worst;
  if(output_finish(&a->out) < 0)
    worst = output_worse(worst, PROBE_UNKNOWN);
  if(a->out.lost_total)
    worst = output_worse(worst, PROBE_UNKNOWN);
  return exit_status(worst);
}
