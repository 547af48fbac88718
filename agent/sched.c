/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sched.c: the daemon. Each enabled plugin runs on its own interval (with
 * a little jitter so that sidecars started together do not hit a database
 * in step), never twice at once. Signals arrive through a self-pipe:
 * SIGTERM/SIGINT stop scheduling and let the runs in flight finish until
 * agent.stop_timeout, then kill them; SIGHUP reloads the configuration (a
 * bad one is reported and the old one kept) and reopens the output file.
 * Start, stop and reloads are lines of the stream (agent.lifecycle,
 * agent.config). Each pass touches agent.heartbeat_file, unless result
 * lines cannot be written: a liveness probe then sees the agent stuck.
 * With agent.metrics_listen, the signal pipe and the listening socket
 * share one epoll descriptor, the one extra descriptor runner_poll waits
 * on, and /metrics is answered between passes (metrics.c); SIGHUP re-reads
 * its address too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/duration.h"
#include "agent.h"
#include "exitcode.h"
#include "diag.h"
#include "metrics.h"
#include "util.h"

/* Longest sleep between passes, so the heartbeat stays fresh. */
#define PASS_MAX_MS 5000

static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int sig)
{
  int saved = errno;
  if(sig == SIGTERM || sig == SIGINT)
    got_term = sig;
  else if(sig == SIGHUP)
    got_hup = 1;
  if(sig_pipe[1] >= 0) {
    char c = 0;
    ssize_t w = write(sig_pipe[1], &c, 1);
    (void)w;
  }
  errno = saved;
}

typedef struct slot {
  char *plugin;
  double next_ms;
} slot;

typedef struct schedule {
  slot *slots;
  size_t n;
} schedule;

/* A jittered interval: +-5% (at most 10 s either way). */
static double jittered_ms(double interval_s)
{
  double spread = util_min_ms(interval_s * 0.05, 10.0);
  double j = ((double)rand() / RAND_MAX * 2.0 - 1.0) * spread;
  double ms = (interval_s + j) * 1000.0;
  return ms < 100 ? 100 : ms;
}

/* Rebuilds the schedule for cfg->run, keeping the times of plugins that
 * stay. */
static int schedule_sync(schedule *s, const agent_config *cfg)
{
  slot *n = calloc(cfg->nrun ? cfg->nrun : 1, sizeof(*n));
  if(!n)
    return -1;
  double now = util_mono_ms();
  for(size_t i = 0; i < cfg->nrun; i++) {
    n[i].plugin = strdup(cfg->run[i]);
    /* first runs spread over up to a second (a quarter interval at most) */
    double spread =
        util_min_ms(1000.0, config_plugin_interval(cfg, cfg->run[i]) * 250.0);
    n[i].next_ms = now + (double)rand() / RAND_MAX * spread;
    for(size_t k = 0; k < s->n; k++)
      if(!strcmp(s->slots[k].plugin, cfg->run[i]))
        n[i].next_ms = s->slots[k].next_ms;
  }
  for(size_t k = 0; k < s->n; k++)
    free(s->slots[k].plugin);
  free(s->slots);
  s->slots = n;
  s->n = cfg->nrun;
  return 0;
}

static void schedule_free(schedule *s)
{
  for(size_t k = 0; k < s->n; k++)
    free(s->slots[k].plugin);
  free(s->slots);
  s->slots = NULL;
  s->n = 0;
}

/* Touches the heartbeat file (creating it). */
static void heartbeat(const char *path)
{
  if(!path)
    return;
  /* O_NONBLOCK, and only a regular file is touched: a FIFO or device
   * planted there must not freeze the scheduler */
  static int warned;
  struct stat st;
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
                0644);
  if(fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    if(!warned++)
      fprintf(stderr, "probe-agent: cannot touch heartbeat file %s: %s\n", path,
              fd < 0 ? strerror(errno) : "not a regular file");
    if(fd >= 0)
      close(fd);
    return;
  }
  futimens(fd, NULL);
  close(fd);
}

/* agent.stop_timeout in seconds (default 2). */
static double stop_timeout(const agent_config *cfg)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(cfg->root, "agent"), "stop_timeout");
  double d;
  if(cJSON_IsNumber(v) && v->valuedouble >= 0)
    return v->valuedouble;
  if(cJSON_IsString(v) && duration_parse(v->valuestring, 0, &d) == 0)
    return d;
  return 2;
}

/* One of the agent's own lines about itself (plugin "agent"). */
static void agent_event(agent *a, const char *check, probe_status st,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void agent_event(agent *a, const char *check, probe_status st,
                        const char *fmt, ...)
{
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  output_agent_line(&a->out, "agent", check, a->cfg.file ? a->cfg.file : "", st,
                    0, msg);
}

/* The errors of a rejected configuration as one line: "; " between them. */
static void one_line(const dbuf *errors, char *out, size_t outlen)
{
  const char *p = errors->data ? errors->data : "";
  size_t n = 0;
  out[0] = '\0';
  while(*p && n + 1 < outlen) {
    size_t len = strcspn(p, "\n");
    int w = snprintf(out + n, outlen - n, "%s%.*s", n ? "; " : "", (int)len, p);
    if(w < 0)
      break;
    n += (size_t)w < outlen - n ? (size_t)w : outlen - n - 1;
    p += len;
    if(*p)
      p++;
  }
}

/* SIGHUP: a new configuration, or the old one kept. */
static void reload(agent *a, schedule *s)
{
  agent_config fresh;
  dbuf errors;
  dbuf_init(&errors, 0);
  int rc = config_load(&a->req, &fresh, &errors);
  if(rc) {
    char msg[1500];
    diag_print_errors(&errors);
    fprintf(stderr, "probe-agent: SIGHUP: the new configuration is invalid; "
                    "keeping the previous one\n");
    one_line(&errors, msg, sizeof(msg));
    agent_event(
        a, "agent.config", PROBE_WARNING,
        "the new configuration was rejected, the previous one is kept: %s",
        msg);
    dbuf_free(&errors);
    char err[512];
    if(output_reopen(&a->out, err, sizeof(err)) < 0)
      fprintf(stderr, "probe-agent: %s\n", err);
    return;
  }
  dbuf_free(&errors);
  config_free(&a->cfg);
  a->cfg = fresh;
  char err[512];
  if(agent_apply_output(a, 0, err, sizeof(err)) < 0)
    fprintf(stderr, "probe-agent: %s\n", err);
  if(schedule_sync(s, &a->cfg) < 0)
    fprintf(stderr, "probe-agent: out of memory while rescheduling\n");
  fprintf(stderr, "probe-agent: configuration reloaded (%zu plugin%s)\n",
          a->cfg.nrun, a->cfg.nrun == 1 ? "" : "s");
  agent_event(a, "agent.config", PROBE_OK,
              "configuration reloaded from %s (%zu plugin%s)",
              a->cfg.file ? a->cfg.file : "the command line", a->cfg.nrun,
              a->cfg.nrun == 1 ? "" : "s");
}

/* agent.metrics_listen as served: the listening socket, the epoll
 * descriptor that waits on it and on the signal pipe (made with the first
 * socket, then kept), and the address, to see a change on SIGHUP. */
typedef struct listener {
  metrics_server ms;
  int ep;
  char *spec;
} listener;

/* The address the configuration asks for, or NULL (off). */
static const char *listen_spec(const agent_config *cfg)
{
  const char *spec = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(cfg->root, "agent"), "metrics_listen"));
  return spec && *spec ? spec : NULL;
}

/* What runner_poll watches: the epoll descriptor once there is one. */
static int listener_wake_fd(const listener *l)
{
  return l->ep >= 0 ? l->ep : sig_pipe[0];
}

/* Listens on spec and adds the socket to the epoll descriptor (made, with
 * the signal pipe in it, the first time). 0, or -1 with err set and
 * nothing listening. */
static int listener_open(listener *l, const char *spec, char *err,
                         size_t errlen)
{
  struct epoll_event ev;
  char *copy = strdup(spec);
  if(!copy) {
    snprintf(err, errlen, "agent.metrics_listen %s: out of memory", spec);
    return -1;
  }
  if(metrics_open(&l->ms, spec, err, errlen) < 0)
    goto fail;
  memset(&ev, 0, sizeof(ev));
  ev.events = EPOLLIN;
  if(l->ep < 0) {
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    ev.data.fd = sig_pipe[0];
    if(l->ep < 0 || epoll_ctl(l->ep, EPOLL_CTL_ADD, sig_pipe[0], &ev) < 0)
      goto fail_epoll;
  }
  ev.data.fd = l->ms.fd;
  if(epoll_ctl(l->ep, EPOLL_CTL_ADD, l->ms.fd, &ev) < 0)
    goto fail_epoll;
  free(l->spec);
  l->spec = copy;
  return 0;
fail_epoll:
  snprintf(err, errlen, "epoll: %s", strerror(errno));
  if(l->ep >= 0)
    close(l->ep);
  l->ep = -1;
fail:
  metrics_close(&l->ms);
  free(copy);
  return -1;
}

/* Stops listening (the epoll descriptor stays, with the signal pipe). */
static void listener_close(listener *l)
{
  if(l->ms.fd >= 0 && l->ep >= 0)
    epoll_ctl(l->ep, EPOLL_CTL_DEL, l->ms.fd, NULL);
  metrics_close(&l->ms);
  free(l->spec);
  l->spec = NULL;
}

/* At the daemon's end: the socket and the epoll descriptor. */
static void listener_free(listener *l)
{
  listener_close(l);
  if(l->ep >= 0)
    close(l->ep);
  l->ep = -1;
}

/* At the daemon's start: listens when agent.metrics_listen asks. 0, or -1
 * when it cannot (said on standard error). */
static int metrics_start(agent *a, listener *l)
{
  const char *spec = listen_spec(&a->cfg);
  char err[512];
  l->ms.fd = -1;
  l->ep = -1;
  l->spec = NULL;
  if(!spec)
    return 0;
  if(listener_open(l, spec, err, sizeof(err)) < 0) {
    fprintf(stderr, "probe-agent: %s\n", err);
    return -1;
  }
  output_keep_latest(&a->out, 1);
  fprintf(stderr, "probe-agent: serving /metrics on %s\n", spec);
  return 0;
}

/* SIGHUP: agent.metrics_listen re-read. A new address replaces the old
 * one (closed first, so that the same port on another host can be bound),
 * a removed one stops serving; one that cannot be listened on is an
 * agent.config warning, and the old address is served again. The latest
 * results are kept across a change of address. */
static void metrics_reload(agent *a, listener *l)
{
  const char *want = listen_spec(&a->cfg);
  char err[512], again[512];
  if(!want && !l->spec)
    return;
  if(want && l->spec && !strcmp(want, l->spec))
    return;
  char *old = l->spec; /* ours now, not listener_close's to free */
  l->spec = NULL;
  listener_close(l);
  if(!want) {
    output_keep_latest(&a->out, 0);
    fprintf(stderr, "probe-agent: no longer serving /metrics (was %s)\n", old);
    free(old);
    return;
  }
  if(listener_open(l, want, err, sizeof(err)) == 0) {
    output_keep_latest(&a->out, 1);
    fprintf(stderr, "probe-agent: serving /metrics on %s\n", want);
    free(old);
    return;
  }
  fprintf(stderr, "probe-agent: %s\n", err);
  if(old && listener_open(l, old, again, sizeof(again)) < 0)
    fprintf(stderr, "probe-agent: %s\n", again);
  if(l->spec) {
    agent_event(a, "agent.config", PROBE_WARNING,
                "%s; still serving /metrics on %s", err, old);
    free(old);
    return;
  }
  free(old);
  output_keep_latest(&a->out, 0);
  agent_event(a, "agent.config", PROBE_WARNING, "%s; /metrics is not served",
              err);
}

/* Closes the self-pipe the signal handler writes to. */
static void sig_pipe_close(void)
{
  close(sig_pipe[0]);
  close(sig_pipe[1]);
  sig_pipe[0] = sig_pipe[1] = -1;
}

/* The daemon's start: the self-pipe, /metrics, the signal handlers and
 * the first schedule. 0, or an exit code after saying why (nothing is
 * left open then). */
static int daemon_start(agent *a, schedule *s, listener *lis)
{
  if(pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
    fprintf(stderr, "probe-agent: pipe: %s\n", strerror(errno));
    return AGENT_EXIT_OSERR;
  }
  if(metrics_start(a, lis) < 0) {
    sig_pipe_close();
    return AGENT_EXIT_OSERR;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);
  srand((unsigned)(time(NULL) ^ getpid()));
  if(schedule_sync(s, &a->cfg) < 0) {
    listener_free(lis);
    sig_pipe_close();
    return AGENT_EXIT_OSERR;
  }
  fprintf(stderr, "probe-agent: daemon started (%zu plugin%s)\n", a->cfg.nrun,
          a->cfg.nrun == 1 ? "" : "s");
  agent_event(a, "agent.lifecycle", PROBE_OK, "agent %s started (%zu plugin%s)",
              PACKAGE_VERSION, a->cfg.nrun, a->cfg.nrun == 1 ? "" : "s");
  return 0;
}

/* Starts the runs that are due; the time of the next one due. */
static double start_due(agent *a, schedule *s, double now)
{
  double wake = now + PASS_MAX_MS;
  for(size_t i = 0; i < s->n; i++) {
    slot *sl = &s->slots[i];
    int busy = runner_busy(&a->runs, sl->plugin);
    if(now >= sl->next_ms && !busy) {
      runner_start(&a->runs, &a->cfg, sl->plugin, RUN_RESULTS);
      sl->next_ms =
          now + jittered_ms(config_plugin_interval(&a->cfg, sl->plugin));
    }
    /* a run still busy when due starts when it ends (SIGCHLD wakes us) */
    if(sl->next_ms < wake && !(busy && now >= sl->next_ms))
      wake = sl->next_ms;
  }
  return wake;
}

/* One pass of the daemon's loop: start what is due, beat, wait for a
 * child, a signal or a /metrics client until the next is due, reload on
 * SIGHUP. */
static void daemon_pass(agent *a, schedule *s, listener *lis, double *last_beat)
{
  double now = util_mono_ms();
  double wake = start_due(a, s, now);
  if(now - *last_beat >= 1000 && !a->out.failing) {
    heartbeat(a->cfg.heartbeat_file);
    *last_beat = now;
  }
  int wait_ms = (int)ceil(wake - util_mono_ms());
  if(wait_ms < 0)
    wait_ms = 0;
  if(runner_poll(&a->runs, wait_ms, listener_wake_fd(lis))) {
    char drain[64];
    while(read(sig_pipe[0], drain, sizeof(drain)) > 0)
      ;
    metrics_accept(&lis->ms, &a->out, &a->cfg);
  }
  if(got_hup) {
    got_hup = 0;
    reload(a, s);
    metrics_reload(a, lis);
  }
}

/* The daemon's end: the runs in flight are given agent.stop_timeout (none
 * when the output is gone), then everything is released. The exit code. */
static int daemon_stop(agent *a, schedule *s, listener *lis)
{
  int rc = 0;
  double grace = stop_timeout(&a->cfg);
  char why[128];
  if(a->out.broken) {
    fprintf(stderr, "probe-agent: the output's reader is gone; stopping\n");
    snprintf(why, sizeof(why), "the agent's output cannot be written");
    grace = 0;
    rc = AGENT_EXIT_IOERR;
  }
  else {
    fprintf(stderr, "probe-agent: stopping (%s)\n",
            got_term == SIGINT ? "SIGINT" : "SIGTERM");
    snprintf(why, sizeof(why),
             "the agent is shutting down (agent.stop_timeout %g s)", grace);
  }
  /* the runs in flight finish their lines; their groups are signalled only
   * at the deadline, so the children never see our SIGTERM */
  runner_stop_all(&a->runs, why, grace);
  agent_event(a, "agent.lifecycle", PROBE_OK, "agent stopped (%s)",
              rc                   ? "output lost"
              : got_term == SIGINT ? "SIGINT"
                                   : "SIGTERM");
  schedule_free(s);
  listener_free(lis);
  output_keep_latest(&a->out, 0);
  sig_pipe_close();
  return rc;
}

int sched_daemon(agent *a)
{
  schedule s = {NULL, 0};
  listener lis;
  int rc = daemon_start(a, &s, &lis);
  if(rc)
    return rc;
  double last_beat = -1e12;
  /* a reader of standard output that went away never comes back: stop */
  while(!got_term && !a->out.broken)
    daemon_pass(a, &s, &lis, &last_beat);
  return daemon_stop(a, &s, &lis);
}
