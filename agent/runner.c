/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runner.c: isolated plugin runs (see runner.h).
 *
 * Parent side: one `run` per child with two pipes, results and logs.
 * Results are checked line by line: a line must be one JSON object of at
 * most WIRE_MAX_LINE bytes, valid UTF-8, with a known status, a check
 * name, numeric metrics and object details; anything else is reported,
 * never written. Logs (the child's stdout and stderr) are forwarded to the
 * agent's standard error with the plugin's name, escaped, capped per run.
 *
 * A run's deadline holds for everything it started. Each child is the
 * leader of a session of its own, and the agent is a child subreaper, so
 * whatever a run leaves behind (a background child, a setsid() daemon)
 * comes back to the agent as its child when its parent dies. A run ends at
 * EOF and exit, or a short grace after the exit when something else holds
 * its pipes, or at its deadline; then its process group is killed and a
 * sweep kills and reaps every child of the agent that is not a run still
 * going (see sweep()).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/utf8.h"
#include "host.h"
#include "loader.h"
#include "runner.h"
#include "sandbox.h"
#include "diag.h"
#include "util.h"
#include "wire.h"

#define LOG_FORWARD_MAX (64u * 1024u)
/* After the plugin's process exited, how long others may hold its pipes. */
#define EXIT_GRACE_MS 500.0
/* How often a poll wakes up while runs are going: notices an exit whose
 * pipes something else holds open (no SIGCHLD in one-shot mode). */
#define POLL_CAP_MS 200
/* A sweep again this soon after one that killed something, else this late. */
#define SWEEP_AGAIN_MS 20.0
#define SWEEP_IDLE_MS 5000.0

struct run {
  char *plugin;
  run_mode mode;
  pid_t pid;
  int res_fd;
  int log_fd;
  double start_ms;
  double deadline_ms;
  double timeout_s;
  size_t max_output;
  dbuf res;
  dbuf log;
  size_t res_bytes;
  size_t log_bytes;
  int lines;
  int invalid;
  int flooded;
  int timed_out;
  int stopped;
  int killed;      /* SIGKILL sent to the process group */
  int run_as_root; /* every line says details.run_as "root" */
  int reaped;
  double reaped_ms;
  int discarding; /* inside an overlong line: drop up to its newline */
  int wstatus;
  probe_status worst;
  char *fail_summary;
  const char *cfg_file; /* for config errors: the file name (borrowed copy) */
  char *cfg_file_copy;
  run *next;
};

static void progress_clear(void);

void runner_init(runner *r, output *out, const char *state_base)
{
  memset(r, 0, sizeof(*r));
  r->out = out;
  r->state_base = state_base;
  r->worst = PROBE_OK;
  /* orphans of the runs come back to us, to be reaped and killed */
  if(prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    fprintf(stderr,
            "probe-agent: cannot become a child subreaper: %s; "
            "a plugin's orphans may outlive their run\n",
            strerror(errno));
}

int runner_busy(const runner *r, const char *plugin)
{
  for(const run *x = r->runs; x; x = x->next)
    if(!strcmp(x->plugin, plugin))
      return 1;
  return 0;
}

/* Closes every descriptor above 2 except keep. close_range() costs one
 * system call; the loop it replaces made one per possible descriptor, 20,000
 * of them (18 ms a run) where the open-files limit is 20,000. */
static void close_other_fds(int keep)
{
#ifdef HAVE_CLOSE_RANGE
  /* the range below keep (when there is one), then all above it */
  int below_closed = keep <= 3 || close_range(3, (unsigned)keep - 1, 0) == 0;
  unsigned from = keep < 3 ? 3 : (unsigned)keep + 1;
  if(below_closed && close_range(from, ~0U, 0) == 0)
    return;
#endif
  struct rlimit rl;
  int max = 1024;
  if(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
     rl.rlim_cur < 65536)
    max = (int)rl.rlim_cur;
  for(int fd = 3; fd < max; fd++)
    if(fd != keep)
      close(fd);
}

/* A one-shot's run child, the plugin just loaded: the settings checks
 * config_load makes for a described plugin (types, required, defaults),
 * made here so that a one-shot is one process and one dlopen(). Each
 * problem goes to the agent as a {"_ctl":"config_invalid"} line, said as
 * config_load would say it (exit 78). -1 when the run must not go on. */
static int check_own_settings(const agent_config *cfg, const char *plugin,
                              const probe_plugin *p, unsigned needs,
                              const plugin_desc *stub, const char *path,
                              int res_fd)
{
  char why[1200];
  plugin_desc loaded;
  dbuf errors;
  if(needs != stub->needs) {
    /* the sandbox was chosen by what the file said; refuse to guess */
    snprintf(why, sizeof(why),
             "plugin %s declares sandbox needs 0x%x when loaded, "
             "0x%x in its file: not run",
             plugin, needs, stub->needs);
    host_send_failure(res_fd, why);
    return -1;
  }
  if(loader_desc_loaded(p, needs, path, &loaded) < 0) {
    host_send_failure(res_fd, "out of memory while checking the settings");
    return -1;
  }
  dbuf_init(&errors, 0);
  /* cfg is this child's own copy, after the fork */
  int bad = config_check_loaded((agent_config *)cfg, plugin, &loaded, &errors);
  plugin_desc_free(&loaded);
  const char *line = errors.data ? errors.data : "";
  while(*line) {
    size_t n = strcspn(line, "\n");
    host_send_config_invalid(res_fd, line, n);
    line += n;
    if(*line)
      line++;
  }
  dbuf_free(&errors);
  return bad ? -1 : 0;
}

/* The child: never returns. */
static void child_main(const agent_config *cfg, const char *plugin,
                       run_mode mode, int res_fd, int log_fd,
                       const char *state_base, double start_ms,
                       double deadline_ms, const char *plugin_dir,
                       int keep_stdin, const sandbox_policy *sb,
                       const char *state_refused, int progress)
{
  char path[PATH_MAX], err[1024];
  const probe_plugin *p = NULL;
  /* a session (and group) of its own: killed as one, and a terminal's
   * Ctrl-C, sent to the agent's foreground group, does not reach it */
  setsid();
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_DFL;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* one-shot runs keep standard input for a "-" source (ledger.source=-);
   * a daemon's plugins read nothing from it */
  int devnull = keep_stdin ? -1 : open("/dev/null", O_RDONLY);
  if(devnull >= 0) {
    dup2(devnull, STDIN_FILENO);
    close(devnull);
  }
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  if(log_fd > 2)
    close(log_fd);
  close_other_fds(res_fd);
  setvbuf(stdout, NULL, _IOLBF, 0);

  /* the file is opened (and checked) with the agent's rights, then the
   * sandbox closes in, then the plugin's own code first runs */
  unsigned needs = 0;
  int pfd = loader_plugin_fd(plugin_dir, plugin, path, sizeof(path), err,
                             sizeof(err));
  if(pfd < 0 || sandbox_enter(sb, err, sizeof(err)) < 0 ||
     !loader_open_fd(pfd, path, plugin, &p, &needs, err, sizeof(err))) {
    host_send_failure(res_fd, err);
    exit(0);
  }
  close(pfd); /* mapped now; the plugin holds only 0-2 and its pipe */
  const plugin_desc *d = plugin_set_find(&cfg->descs, plugin);
  if(mode == RUN_RESULTS && d && d->lazy &&
     check_own_settings(cfg, plugin, p, needs, d, path, res_fd) < 0)
    exit(0);
  host_run hr = {plugin,
                 cfg->root,
                 state_base,
                 start_ms,
                 deadline_ms,
                 res_fd,
                 mode == RUN_CHECK_CONFIG ? HOST_CHECK : HOST_RUN,
                 state_refused,
                 progress};
  int rc = host_run_plugin(&hr, p);
  fflush(NULL);
  exit(rc);
}

static char *plugin_dir_of(const agent_config *cfg, const char *plugin)
{
  const plugin_desc *d = plugin_set_find(&cfg->descs, plugin);
  if(d && d->path) {
    char *dir = strdup(d->path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if(slash)
      *slash = '\0';
    return dir;
  }
  return NULL;
}

/* Frees a finished run. */
static void run_free(run *x)
{
  if(x->res_fd >= 0)
    close(x->res_fd);
  if(x->log_fd >= 0)
    close(x->log_fd);
  dbuf_free(&x->res);
  dbuf_free(&x->log);
  free(x->plugin);
  free(x->fail_summary);
  free(x->cfg_file_copy);
  free(x);
}

/* A run that could not start: --check-config counts a problem, a run
 * writes its unknown line at once. */
static void start_failed(runner *r, const agent_config *cfg, const char *plugin,
                         run_mode mode, const char *why)
{
  if(mode == RUN_CHECK_CONFIG) {
    diag_plugin_error(cfg->file, plugin, "%s", why);
    r->config_errors++;
    return;
  }
  output_agent_line(r->out, plugin, "agent.run", plugin, PROBE_UNKNOWN, 0, why);
  r->worst = output_worse(r->worst, PROBE_UNKNOWN);
  r->any_result = 1;
  if(r->on_done)
    r->on_done(r->on_done_arg, plugin, PROBE_UNKNOWN);
}

/* A new run's bookkeeping, before its child exists; NULL when out of
 * memory. */
static run *run_new(const agent_config *cfg, const char *plugin, run_mode mode)
{
  run *x = calloc(1, sizeof(*x));
  if(!x)
    return NULL;
  x->res_fd = x->log_fd = -1;
  x->plugin = strdup(plugin);
  x->mode = mode;
  x->worst = PROBE_OK;
  x->timeout_s = config_plugin_timeout(cfg, plugin);
  x->max_output = cfg->max_output_bytes;
  x->cfg_file_copy = cfg->file ? strdup(cfg->file) : NULL;
  dbuf_init(&x->res, 0);
  dbuf_init(&x->log, 0);
  if(!x->plugin) {
    run_free(x);
    return NULL;
  }
  return x;
}

/* The sandbox of a run: compiled, its state directory prepared (a state
 * directory that cannot be handed over must not stop the check itself, or
 * anyone who can write the state base could silence it: the run goes on,
 * its own check refuses the directory, and its lines and an unknown
 * agent.state line say so; *state_ok is 0 then, with state_why). 0, or
 * -1 with why. */
static int run_sandbox(runner *r, const agent_config *cfg, run *x,
                       sandbox_policy *sb, int *state_ok, char *state_why,
                       size_t state_whylen, char *why, size_t whylen)
{
  char sberr[1024];
  if(config_plugin_sandbox(cfg, x->plugin, sb, sberr, sizeof(sberr)) < 0 ||
     (r->precompile && sandbox_compile(sb, sberr, sizeof(sberr)) < 0)) {
    snprintf(why, whylen, "cannot start plugin %s: %s", x->plugin, sberr);
    return -1;
  }
  *state_ok = sandbox_prepare_state(sb, r->state_base, x->plugin, state_why,
                                    state_whylen) == 0;
  if(!*state_ok)
    fprintf(stderr, "probe-agent: plugin %s: %s\n", x->plugin, state_why);
  sb->parent = getpid();
  x->run_as_root = geteuid() == 0 && (!sb->enabled || !sb->change_user);
  return 0;
}

int runner_start(runner *r, const agent_config *cfg, const char *plugin,
                 run_mode mode)
{
  int res_pipe[2] = {-1, -1}, log_pipe[2] = {-1, -1};
  char why[1200], state_why[1024];
  char *dir = NULL;
  int state_ok = 0;
  sandbox_policy sb;
  run *x = run_new(cfg, plugin, mode);
  if(!x)
    goto fail_nomem;
  const plugin_desc *d = plugin_set_find(&cfg->descs, plugin);
  if(!d || d->error) {
    snprintf(why, sizeof(why), "%s",
             d && d->error ? d->error : "plugin not found");
    goto fail;
  }
  if(!(dir = plugin_dir_of(cfg, plugin)))
    goto fail_nomem;
  if(run_sandbox(r, cfg, x, &sb, &state_ok, state_why, sizeof(state_why), why,
                 sizeof(why)) < 0)
    goto fail;
  if(pipe2(res_pipe, O_CLOEXEC) < 0 || pipe2(log_pipe, O_CLOEXEC) < 0) {
    snprintf(why, sizeof(why), "cannot start plugin %s: pipe: %s", plugin,
             strerror(errno));
    goto fail;
  }
  x->start_ms = util_mono_ms();
  x->deadline_ms = x->start_ms + x->timeout_s * 1000.0;
  fflush(NULL);
  x->pid = fork();
  if(x->pid < 0) {
    snprintf(why, sizeof(why), "cannot start plugin %s: fork: %s", plugin,
             strerror(errno));
    goto fail;
  }
  if(x->pid == 0) {
    close(res_pipe[0]);
    close(log_pipe[0]);
    /* the CLOEXEC pipes are inherited; child_main keeps what it needs */
    fcntl(res_pipe[1], F_SETFD, 0);
    /* the child needs none of the parent's bookkeeping */
    char dirbuf[PATH_MAX];
    double start_ms = x->start_ms, deadline_ms = x->deadline_ms;
    snprintf(dirbuf, sizeof(dirbuf), "%s", dir);
    free(dir);
    run_free(x);
    child_main(cfg, plugin, mode, res_pipe[1], log_pipe[1], r->state_base,
               start_ms, deadline_ms, dirbuf, r->keep_stdin, &sb,
               state_ok ? NULL : state_why, r->progress);
  }
  /* no setpgid() here: it would make the child a group leader before its
   * setsid(), which then fails; run_kill() also kills the pid itself */
  close(res_pipe[1]);
  close(log_pipe[1]);
  x->res_fd = res_pipe[0];
  x->log_fd = log_pipe[0];
  fcntl(x->res_fd, F_SETFL, O_NONBLOCK);
  fcntl(x->log_fd, F_SETFL, O_NONBLOCK);
  free(dir);
  x->next = r->runs;
  r->runs = x;
  r->nrunning++;
  return 0;
fail_nomem:
  snprintf(why, sizeof(why), "cannot start plugin %s: out of memory", plugin);
fail:
  for(int i = 0; i < 2; i++) {
    if(res_pipe[i] >= 0)
      close(res_pipe[i]);
    if(log_pipe[i] >= 0)
      close(log_pipe[i]);
  }
  free(dir);
  start_failed(r, cfg, plugin, mode, why);
  if(x)
    run_free(x);
  return -1;
}

/* Kills a run's whole process group (its session, unless a descendant
 * left it: those are the sweep's). */
static void run_kill(run *x)
{
  if(x->pid > 0) {
    kill(-x->pid, SIGKILL);
    if(!x->reaped)
      kill(x->pid, SIGKILL);
  }
  x->killed = 1;
}

/* Writes the agent's own line for a run (unknown, or worse when what it
 * stands for was worse) and counts it in the run's status. */
static void run_report_st(runner *r, run *x, probe_status st, const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));
static void run_report_st(runner *r, run *x, probe_status st, const char *fmt,
                          ...)
{
  char msg[1400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  progress_clear();
  if(output_agent_line(r->out, x->plugin, "agent.run", x->plugin, st,
                       util_mono_ms() - x->start_ms, msg) < 0)
    st = output_worse(st, PROBE_UNKNOWN);
  x->worst = output_worse(x->worst, st);
}
#define run_report(r, x, ...) run_report_st(r, x, PROBE_UNKNOWN, __VA_ARGS__)

/* The worst status a dropped line could be read to carry: every
 * "status":"NAME" in it counts (a plugin can only make its own loss look
 * worse), and unknown at the least. */
static probe_status dropped_status(const char *line, size_t len)
{
  static const char key[] = "\"" WIRE_STATUS "\"";
  probe_status st = PROBE_UNKNOWN;
  const char *p = line, *end = line + len;
  while(p < end && (p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1))) {
    p += sizeof(key) - 1;
    const char *q = p;
    while(q < end && (*q == ' ' || *q == '\t' || *q == ':'))
      q++;
    if(q < end && *q == '"') {
      const char *e = memchr(q + 1, '"', (size_t)(end - q - 1));
      char name[16];
      if(e && (size_t)(e - q - 1) < sizeof(name)) {
        memcpy(name, q + 1, (size_t)(e - q - 1));
        name[e - q - 1] = '\0';
        int v = wire_status_from_name(name);
        if(v >= 0)
          st = output_worse(st, (probe_status)v);
      }
    }
  }
  return st;
}

/* Reports a line longer than WIRE_MAX_LINE (prefix holds its start). */
static void report_overlong(runner *r, run *x, const char *prefix, size_t len)
{
  probe_status st = dropped_status(prefix, len);
  x->invalid++;
  run_report_st(r, x, st,
                "plugin %s sent a result line longer than %u bytes; dropped%s",
                x->plugin, WIRE_MAX_LINE,
                st == PROBE_CRITICAL ? " (its status read critical)" : "");
}

/* 1 while the progress line is on standard error (without its newline). */
static int progress_shown;

/* Takes the progress line away, before anything else is written to the
 * terminal it shares with the logs (and often the results). */
static void progress_clear(void)
{
  if(progress_shown) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
    progress_shown = 0;
  }
}

/* Shows a run's progress as one updating line: events and bytes done,
 * percent of the total, rate and time left when the total is known. */
static void progress_show(const run *x, const cJSON *o)
{
  double events =
      cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, WIRE_EVENTS));
  double bytes =
      cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, WIRE_BYTES));
  double total =
      cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, WIRE_TOTAL));
  if(!isfinite(events) || !isfinite(bytes) || events < 0 || bytes < 0)
    return;
  double secs = (util_mono_ms() - x->start_ms) / 1000.0;
  double rate = secs > 0 ? bytes / 1e6 / secs : 0;
  char tail[160] = "";
  if(isfinite(total) && total > 0 && bytes <= total) {
    double left = rate > 0 ? (total - bytes) / 1e6 / rate : 0;
    snprintf(tail, sizeof(tail),
             " of %.1f MB (%.0f%%), %.1f MB/s, %d:%02d left", total / 1e6,
             100.0 * bytes / total, rate, (int)(left / 60), (int)left % 60);
  }
  else
    snprintf(tail, sizeof(tail), ", %.1f MB/s", rate);
  fprintf(stderr, "\rprobe-agent: %s: %.0f events, %.1f MB%s\033[K", x->plugin,
          events, bytes / 1e6, tail);
  fflush(stderr);
  progress_shown = 1;
}

/* The member key of o as a string, or NULL. */
static const char *str_member(const cJSON *o, const char *key)
{
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* A one-shot's own settings check (check_own_settings) found a problem:
 * said as config_load says it, escaped again since a plugin sent it. */
static void config_invalid(runner *r, const char *m)
{
  dbuf b;
  dbuf_init(&b, 0);
  config_escape_text(&b, m ? m : "invalid configuration",
                     strlen(m ? m : "invalid configuration"));
  progress_clear();
  fprintf(stderr, "probe-agent: %s\n", b.data ? b.data : "");
  if(!r->first_config_error[0])
    snprintf(r->first_config_error, sizeof(r->first_config_error), "%s",
             b.data ? b.data : "");
  dbuf_free(&b);
}

/* Handles one control line from a child (wire.h); an unknown kind is
 * ignored. */
static void handle_ctl(runner *r, run *x, wire_ctl kind, const cJSON *o)
{
  const char *msg = str_member(o, WIRE_SUMMARY);
  const char *key = str_member(o, WIRE_KEY);
  const char *m = str_member(o, WIRE_MESSAGE);
  switch(kind) {
  case WIRE_CTL_FAIL:
    if(msg && !x->fail_summary)
      x->fail_summary = strdup(msg);
    break;
  case WIRE_CTL_PROGRESS:
    if(r->progress && x->mode == RUN_RESULTS)
      progress_show(x, o);
    break;
  case WIRE_CTL_CONFIG_ERROR:
    progress_clear();
    diag_plugin_error(x->cfg_file_copy, x->plugin, "%s%s%s%s",
                      key ? "setting \"" : "", key ? key : "",
                      key ? "\": " : "", m ? m : "invalid");
    r->config_errors++;
    x->lines++;
    break;
  case WIRE_CTL_CONFIG_INVALID:
    config_invalid(r, m);
    r->config_errors++;
    x->lines++;
    break;
  default: break;
  }
}

/* Handles one complete line from a child. A line that is dropped still
 * counts, at least as unknown and as badly as its status field reads. */
static void handle_line(runner *r, run *x, const char *line, size_t len)
{
  if(len == 0)
    return;
  if(len > WIRE_MAX_LINE) {
    report_overlong(r, x, line, len);
    return;
  }
  if(!utf8_valid(line, len, NULL)) {
    probe_status st = dropped_status(line, len);
    if(!x->invalid++)
      run_report_st(r, x, st,
                    "plugin %s sent a result that is not valid UTF-8; dropped",
                    x->plugin);
    x->worst = output_worse(x->worst, st);
    return;
  }
  errno = 0;
  cJSON *o = cJSON_ParseWithLength(line, len);
  if(!o && errno == ENOMEM) {
    /* the agent's memory, not the plugin's line: said so, unknown or the
     * worse status the line claims (a lost critical stays critical) */
    probe_status st = output_worse(dropped_status(line, len), PROBE_UNKNOWN);
    run_report_st(r, x, st,
                  "out of memory reading a result of plugin %s; dropped",
                  x->plugin);
    x->worst = output_worse(x->worst, st);
    return;
  }
  wire_ctl kind = wire_ctl_of(o);
  if(kind != WIRE_CTL_NONE) {
    handle_ctl(r, x, kind, o);
    cJSON_Delete(o);
    return;
  }
  const char *bad = wire_validate_result(o);
  if(bad || x->mode != RUN_RESULTS) {
    if(bad) {
      probe_status st = dropped_status(line, len);
      if(!x->invalid++)
        run_report_st(r, x, st,
                      "plugin %s sent an invalid result line (%s); dropped",
                      x->plugin, bad);
      x->worst = output_worse(x->worst, st);
    }
    cJSON_Delete(o);
    return;
  }
  if(x->run_as_root) {
    /* said by the agent, so the plugin can neither forge nor hide it */
    cJSON *det = cJSON_GetObjectItemCaseSensitive(o, WIRE_DETAILS);
    if(!det)
      det = cJSON_AddObjectToObject(o, WIRE_DETAILS);
    cJSON_DeleteItemFromObjectCaseSensitive(det, "run_as");
    cJSON_AddStringToObject(det, "run_as", "root");
  }
  int st = wire_status_from_name(
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, WIRE_STATUS)));
  /* a line that could not be written counts as unknown (output.c says so) */
  progress_clear();
  if(output_result(r->out, x->plugin, o) < 0)
    x->worst = output_worse(x->worst, PROBE_UNKNOWN);
  x->worst = output_worse(x->worst, (probe_status)st);
  x->lines++;
  cJSON_Delete(o);
}

/* Reads what the result pipe has; splits lines. An overlong line is
 * reported once and dropped up to and including its newline, so that what
 * follows it in the same line is never taken for a line of its own. */
static void read_results(runner *r, run *x)
{
  char chunk[16384];
  for(;;) {
    ssize_t n = read(x->res_fd, chunk, sizeof(chunk));
    if(n < 0 && errno == EINTR)
      continue;
    if(n < 0 && errno == EAGAIN)
      return;
    if(n <= 0) {
      if(x->res.len && !x->discarding)
        handle_line(r, x, x->res.data, x->res.len); /* last line without \n */
      dbuf_reset(&x->res);
      close(x->res_fd);
      x->res_fd = -1;
      return;
    }
    x->res_bytes += (size_t)n;
    if(x->res_bytes > x->max_output) {
      x->flooded = 1;
      run_kill(x);
      close(x->res_fd);
      x->res_fd = -1;
      return;
    }
    const char *p = chunk;
    size_t left = (size_t)n;
    if(x->discarding) {
      const char *nl = memchr(p, '\n', left);
      if(!nl)
        continue;
      x->discarding = 0;
      left -= (size_t)(nl + 1 - p);
      p = nl + 1;
    }
    if(dbuf_add(&x->res, p, left) < 0) {
      x->flooded = 1;
      run_kill(x);
      return;
    }
    char *start = x->res.data;
    char *nl;
    while((
        nl = memchr(start, '\n', x->res.len - (size_t)(start - x->res.data)))) {
      handle_line(r, x, start, (size_t)(nl - start));
      start = nl + 1;
    }
    dbuf_consume(&x->res, (size_t)(start - x->res.data));
    if(x->res.len > WIRE_MAX_LINE) {
      report_overlong(r, x, x->res.data, x->res.len);
      dbuf_reset(&x->res);
      x->discarding = 1;
    }
  }
}

/* Forwards one line of a plugin's log, escaped: a plugin's bytes never
 * drive the terminal or split a journal record. */
static void log_line(const run *x, const char *s, size_t n)
{
  dbuf b;
  dbuf_init(&b, 0);
  progress_clear();
  if(output_escape(&b, s, n) == 0)
    fprintf(stderr, "probe-agent: plugin %s: %s\n", x->plugin,
            b.data ? b.data : "");
  dbuf_free(&b);
}

/* Forwards the child's own output to our standard error, capped. */
static void read_logs(run *x)
{
  char chunk[16384];
  for(;;) {
    ssize_t n = read(x->log_fd, chunk, sizeof(chunk));
    if(n < 0 && errno == EINTR)
      continue;
    if(n < 0 && errno == EAGAIN)
      return;
    if(n <= 0) {
      if(x->log.len && x->log_bytes <= LOG_FORWARD_MAX)
        log_line(x, x->log.data, x->log.len);
      dbuf_reset(&x->log);
      close(x->log_fd);
      x->log_fd = -1;
      return;
    }
    size_t before = x->log_bytes;
    x->log_bytes += (size_t)n;
    if(before > LOG_FORWARD_MAX)
      continue;
    dbuf_add(&x->log, chunk, (size_t)n);
    char *start = x->log.data, *nl;
    while((
        nl = memchr(start, '\n', x->log.len - (size_t)(start - x->log.data)))) {
      log_line(x, start, (size_t)(nl - start));
      start = nl + 1;
    }
    dbuf_consume(&x->log, (size_t)(start - x->log.data));
    if(x->log_bytes > LOG_FORWARD_MAX) {
      fprintf(stderr,
              "probe-agent: plugin %s: more than %u bytes of log output; "
              "the rest of this run's is dropped\n",
              x->plugin, LOG_FORWARD_MAX);
      dbuf_reset(&x->log);
    }
  }
}

/* Decides the run's end line(s). */
static void run_finish(runner *r, run *x)
{
  double secs = (util_mono_ms() - x->start_ms) / 1000.0;
  progress_clear();
  if(x->mode == RUN_CHECK_CONFIG) {
    if(x->fail_summary) {
      diag_plugin_error(x->cfg_file_copy, x->plugin, "%s", x->fail_summary);
      r->config_errors++;
    }
    else if(x->timed_out || (x->reaped && WIFSIGNALED(x->wstatus))) {
      fprintf(stderr, "probe-agent: plugin \"%s\": configuration check %s\n",
              x->plugin, x->timed_out ? "timed out" : "crashed");
      r->config_errors++;
    }
    return;
  }
  if(x->stopped)
    run_report(r, x, "plugin %s was stopped after %.1f s: %s", x->plugin, secs,
               r->stop_why ? r->stop_why : "the agent is shutting down");
  else if(x->timed_out)
    run_report(
        r, x,
        "plugin %s timed out after %.1f s (timeout %g s) and was killed%s",
        x->plugin, secs, x->timeout_s,
        x->lines ? "; its earlier results stand" : "");
  else if(x->flooded)
    run_report(
        r, x,
        "plugin %s flooded its output (more than %zu bytes of results) and was killed",
        x->plugin, x->max_output);
  else if(WIFSIGNALED(x->wstatus))
    run_report(r, x, "plugin %s crashed: killed by signal %d (%s)%s", x->plugin,
               WTERMSIG(x->wstatus), strsignal(WTERMSIG(x->wstatus)),
               x->lines ? " after reporting" : "");
  else if(!x->lines && x->fail_summary)
    run_report(r, x, "%s", x->fail_summary);
  else if(!x->lines && !x->invalid && WIFEXITED(x->wstatus) &&
          WEXITSTATUS(x->wstatus))
    run_report(r, x,
               "plugin %s exited with status %d without reporting a result",
               x->plugin, WEXITSTATUS(x->wstatus));
  else if(!x->lines && !x->invalid)
    run_report(r, x, "plugin %s ended without reporting a result", x->plugin);
  else if(WIFEXITED(x->wstatus) && WEXITSTATUS(x->wstatus))
    fprintf(stderr,
            "probe-agent: plugin %s exited with status %d after reporting\n",
            x->plugin, WEXITSTATUS(x->wstatus));
  r->worst = r->any_result ? output_worse(r->worst, x->worst) : x->worst;
  r->any_result = 1;
  if(r->on_done)
    r->on_done(r->on_done_arg, x->plugin, x->worst);
}

/* ppid, process group and session of pid from /proc; 0 or -1. */
static int proc_ids(pid_t pid, long *ppid, long *pgrp, long *sid)
{
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if(fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if(n <= 0)
    return -1;
  buf[n] = '\0';
  const char *p = strrchr(buf, ')'); /* the name may hold anything */
  char state;
  if(!p || sscanf(p + 1, " %c %ld %ld %ld", &state, ppid, pgrp, sid) != 4)
    return -1;
  return 0;
}

/* Kills and reaps one child of the agent unless it is a run's process or
 * in the session of a run still going. 1 when it was one to kill. */
static int sweep_one(runner *r, pid_t pid)
{
  long ppid, pgrp, sid;
  for(const run *x = r->runs; x; x = x->next)
    if(!x->reaped && x->pid == pid)
      return 0;
  if(proc_ids(pid, &ppid, &pgrp, &sid) < 0 || ppid != (long)getpid())
    return 0;
  for(const run *x = r->runs; x; x = x->next)
    if((long)x->pid == sid)
      return 0;
  kill(pid, SIGKILL);
  if(pgrp == (long)pid)
    kill(-pid, SIGKILL);
  waitpid(pid, NULL, WNOHANG);
  return 1;
}

/* Kills and reaps the agent's children that belong to no run still going:
 * what runs left behind, reparented to us (a child subreaper), at every
 * depth, since each one's death hands its own children to us for the next
 * sweep. Reads our children list where the kernel has one, else scans
 * /proc. Returns how many it found. */
static int sweep(runner *r)
{
  char path[80];
  int found = 0;
  pid_t self = getpid();
  snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)self,
           (long)self);
  FILE *f = fopen(path, "re");
  if(f) {
    long pid;
    while(fscanf(f, "%ld", &pid) == 1)
      found += sweep_one(r, (pid_t)pid);
    fclose(f);
    return found;
  }
  DIR *d = opendir("/proc");
  struct dirent *e;
  if(!d)
    return 0;
  while((e = readdir(d))) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if(pid > 0 && !*end)
      found += sweep_one(r, (pid_t)pid);
  }
  closedir(d);
  return found;
}

/* Notices that a run's process exited and reaps it. */
static void check_exit(runner *r, run *x)
{
  (void)r;
  if(x->reaped)
    return;
  pid_t w = waitpid(x->pid, &x->wstatus, WNOHANG);
  if(w == x->pid || (w < 0 && errno == ECHILD)) {
    if(w < 0)
      x->wstatus = 0;
    x->reaped = 1;
    x->reaped_ms = util_mono_ms();
  }
}

/* Ends the runs that are over: exited with both pipes at EOF, or exited
 * and their grace (or deadline) passed, or killed and reaped. What the
 * pipes still hold is read, then they are closed whoever holds them. */
static void reap(runner *r)
{
  run **pp = &r->runs;
  while(*pp) {
    run *x = *pp;
    check_exit(r, x);
    double now = util_mono_ms();
    int done = x->reaped &&
               ((x->res_fd < 0 && x->log_fd < 0) || x->killed ||
                now >= x->reaped_ms + EXIT_GRACE_MS || now >= x->deadline_ms);
    if(!done) {
      pp = &x->next;
      continue;
    }
    if(x->res_fd >= 0) {
      read_results(r, x);
      if(x->res_fd >= 0) {
        if(x->res.len && !x->discarding)
          handle_line(r, x, x->res.data, x->res.len);
        close(x->res_fd);
        x->res_fd = -1;
      }
    }
    if(x->log_fd >= 0) {
      read_logs(x);
      if(x->log_fd >= 0) {
        close(x->log_fd);
        x->log_fd = -1;
      }
    }
    run_kill(x); /* what is left of its process group */
    *pp = x->next;
    r->nrunning--;
    run_finish(r, x);
    run_free(x);
    r->sweep_pending = 1;
    r->next_sweep_ms = 0;
  }
}

int runner_active(const runner *r)
{
  return r->runs != NULL || r->sweep_pending;
}

/* Descriptors runner_poll watches without allocating (two per run). */
#define POLL_ON_STACK 64

int runner_poll(runner *r, int timeout_ms, int extra_fd)
{
  struct pollfd spfd[POLL_ON_STACK];
  run *swho[POLL_ON_STACK];
  size_t n = 0, cap = 2 * r->nrunning + 1;
  struct pollfd *pfd = spfd;
  run **who = swho;
  int extra_ready = 0;
  if(cap > POLL_ON_STACK) {
    pfd = calloc(cap, sizeof(*pfd));
    who = calloc(cap, sizeof(*who));
    if(!pfd || !who) {
      /* out of memory: the first runs' pipes watched, and every run's
       * deadline still kept below (returning here spun, and let a hung
       * plugin run for ever) */
      free(pfd);
      free(who);
      pfd = spfd;
      who = swho;
      cap = POLL_ON_STACK;
    }
  }
  double now = util_mono_ms();
  for(run *x = r->runs; x; x = x->next) {
    if(!x->killed && now >= x->deadline_ms) {
      if(!x->reaped)
        x->timed_out = 1;
      run_kill(x);
    }
    /* how long until this run needs a look; never 0 twice in a row: each
     * expiry is acted on before the next poll */
    double t;
    if(x->killed && !x->reaped)
      t = SWEEP_AGAIN_MS; /* killed: about to be reaped */
    else if(x->reaped)
      t = util_min_ms(x->reaped_ms + EXIT_GRACE_MS, x->deadline_ms) - now;
    else
      t = util_min_ms(x->deadline_ms - now, POLL_CAP_MS);
    int ms = t < 1 ? 1 : (int)ceil(t);
    if(timeout_ms < 0 || ms < timeout_ms)
      timeout_ms = ms;
    /* (the last place is the extra descriptor's) */
    if(x->res_fd >= 0 && n + 1 < cap) {
      pfd[n] = (struct pollfd){x->res_fd, POLLIN, 0};
      who[n++] = x;
    }
    if(x->log_fd >= 0 && n + 1 < cap) {
      pfd[n] = (struct pollfd){x->log_fd, POLLIN, 0};
      who[n++] = x;
    }
  }
  if(r->sweep_pending) {
    double t = r->next_sweep_ms - now;
    int ms = t < 1 ? 1 : (int)ceil(t);
    if(timeout_ms < 0 || ms < timeout_ms)
      timeout_ms = ms;
  }
  if(extra_fd >= 0) {
    pfd[n] = (struct pollfd){extra_fd, POLLIN, 0};
    who[n++] = NULL;
  }
  int pr = poll(pfd, n, timeout_ms);
  if(pr > 0) {
    for(size_t i = 0; i < n; i++) {
      if(!pfd[i].revents)
        continue;
      if(!who[i]) {
        extra_ready = 1;
        continue;
      }
      if(pfd[i].fd == who[i]->res_fd)
        read_results(r, who[i]);
      else if(pfd[i].fd == who[i]->log_fd)
        read_logs(who[i]);
    }
  }
  if(pfd != spfd) {
    free(pfd);
    free(who);
  }
  reap(r);
  now = util_mono_ms();
  if(now >= r->next_sweep_ms) {
    int found = sweep(r);
    r->sweep_rounds = found ? r->sweep_rounds + 1 : 0;
    if(r->sweep_rounds > 250) { /* 5 s of killing: something will not die */
      fprintf(
          stderr,
          "probe-agent: a plugin's leftover processes do not die of SIGKILL; "
          "giving up on them for now\n");
      found = 0;
      r->sweep_rounds = 0;
    }
    r->sweep_pending = found > 0;
    r->next_sweep_ms = now + (found ? SWEEP_AGAIN_MS : SWEEP_IDLE_MS);
  }
  return extra_ready;
}

void runner_stop_all(runner *r, const char *why, double grace_s)
{
  double until = util_mono_ms() + grace_s * 1000.0;
  while(r->runs) {
    double left = until - util_mono_ms();
    if(left <= 0)
      break;
    runner_poll(r, (int)ceil(left), -1);
  }
  r->stop_why = why;
  for(run *x = r->runs; x; x = x->next) {
    if(!x->reaped && !x->timed_out && !x->flooded)
      x->stopped = 1;
    run_kill(x);
  }
  while(runner_active(r))
    runner_poll(r, 50, -1);
  r->stop_why = NULL;
}
