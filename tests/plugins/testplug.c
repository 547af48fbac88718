/* SPDX-License-Identifier: Apache-2.0 */
/*
 * testplug.c: plugins for the agent's own tests, one per behaviour,
 * selected at build time with -DTP_<BEHAVIOUR>: a well-behaved "echo"
 * plugin with settings, and misbehaving ones (crash, abort, hang, flood,
 * silence, wrong ABI) whose runs must each end in exactly one unknown line;
 * "leak" leaves processes behind (mode fork, setsid, system, hang-setsid)
 * that must not outlive the run, "raw" writes to the result pipe itself
 * (mode badutf8, overlong, bigcritical, logs), and "echo2" is a second echo.
 * The sandbox ones (sbprobe, sbnonet, sbprog, sbroot: the same code with
 * different declarations) report what the sandbox looks like from inside;
 * ctorhang and ctorprint misbehave in their constructor, while loading;
 * evil calls itself "echo" (a file swapped in for echo.so must never load).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "probe-plugin.h"

#if defined(TP_ECHO_NAMED)
/* an echo under another name (benchmarks build many: tests/bench) */
#define TP_NAME TP_ECHO_NAMED
#define TP_ECHO 1
#elif defined(TP_ECHO)
#define TP_NAME "echo"
#elif defined(TP_ECHO2)
#define TP_NAME "echo2"
#define TP_ECHO 1
#elif defined(TP_LEAK)
#define TP_NAME "leak"
#elif defined(TP_RAW)
#define TP_NAME "raw"
#elif defined(TP_SEGV)
#define TP_NAME "segv"
#elif defined(TP_ABORT)
#define TP_NAME "abort"
#elif defined(TP_HANG)
#define TP_NAME "hang"
#elif defined(TP_FLOOD)
#define TP_NAME "flood"
#elif defined(TP_SILENT)
#define TP_NAME "silent"
#elif defined(TP_WRONGABI)
#define TP_NAME "wrongabi"
#elif defined(TP_SBPROBE)
#define TP_NAME "sbprobe"
#define TP_SANDBOX
#elif defined(TP_SBNONET)
#define TP_NAME "sbnonet"
#define TP_SANDBOX
#elif defined(TP_SBPROG)
#define TP_NAME "sbprog"
#define TP_SANDBOX
#elif defined(TP_SBROOT)
#define TP_NAME "sbroot"
#define TP_SANDBOX
#elif defined(TP_CTORHANG)
#define TP_NAME "ctorhang"
#define TP_ECHO_LIKE
#elif defined(TP_CTORPRINT)
#define TP_NAME "ctorprint"
#define TP_ECHO_LIKE
#elif defined(TP_EVIL)
#define TP_NAME "echo"
#define TP_ECHO_LIKE
#endif

#if defined(TP_ECHO)
#define TP_ECHO_LIKE
#endif

static const probe_setting tp_settings[] = {
    {"status", PROBE_SET_STRING, "\"ok\"", 0,
     "status to report: ok, warning, critical, unknown; a list (\"ok,warning\") gives the lines each in turn"},
    {"count", PROBE_SET_INT, "1", 0, "how many lines to report"},
    {"message", PROBE_SET_STRING, "\"hello\"", 0, "summary text"},
    {"target", PROBE_SET_STRING, "\"echo-target\"", 0, "target of each line"},
    {"delay", PROBE_SET_DURATION, "0", 0, "time to sleep before reporting"},
    {"token_file", PROBE_SET_STRING, NULL,
     PROBE_SETTING_FILE | PROBE_SETTING_SECRET, "a file that must be readable"},
    {"must", PROBE_SET_STRING, NULL, 0, "any string (tests)"},
    {"mode", PROBE_SET_STRING, "\"\"", 0, "leak and raw: what to do"},
    {"marker", PROBE_SET_STRING, "\"0\"", 0,
     "leak: a number in the leftovers' command lines"},
    {NULL, 0, NULL, 0, NULL}};

/* Maps a status name; -1 when unknown. */
static int tp_status(const char *s)
{
  static const char *const names[] = {"ok", "warning", "critical", "unknown"};
  for(int i = 0; i < 4; i++)
    if(!strcmp(s, names[i]))
      return i;
  return -1;
}

/* The "mode" setting, "" when unset. */
__attribute__((unused)) static const char *tp_mode(probe_ctx *ctx,
                                                   const probe_host *h)
{
  const char *mode = "";
  h->conf_string(ctx, "mode", &mode);
  return mode;
}

/* How many statuses the status setting lists ("ok,warning": 2). */
static long long tp_status_n(const char *list)
{
  long long n = 1;
  for(const char *p = list; *p; p++)
    n += *p == ',';
  return n;
}

/* The status of line i: the i-th of the list, in turn (one run gives every
 * status, for the real journal test). -1 when that entry is not a status. */
static int tp_status_at(const char *list, long long i)
{
  long long k = i % tp_status_n(list);
  const char *p = list;
  char one[16];
  while(k-- > 0)
    p = strchr(p, ',') + 1;
  size_t len = strcspn(p, ",");
  if(len >= sizeof(one))
    return -1;
  memcpy(one, p, len);
  one[len] = '\0';
  return tp_status(one);
}

/* The echo plugin counts its runs in its state directory. */
__attribute__((unused)) static long tp_count_runs(probe_ctx *ctx,
                                                  const probe_host *h)
{
  const char *dir = h->state_dir(ctx);
  char path[4096];
  long n = 0;
  if(!dir)
    return -1;
  snprintf(path, sizeof(path), "%s/runs", dir);
  FILE *f = fopen(path, "r");
  if(f) {
    if(fscanf(f, "%ld", &n) != 1)
      n = 0;
    fclose(f);
  }
  n++;
  f = fopen(path, "w");
  if(f) {
    fprintf(f, "%ld\n", n);
    fclose(f);
  }
  return n;
}

/* Descriptors open in this run's process, the directory's own excluded:
 * the agent must hand a plugin nothing but 0, 1, 2 and its result pipe. */
__attribute__((unused)) static long tp_open_fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  long n = 0;
  if(!d)
    return -1;
  while((e = readdir(d)))
    if(e->d_name[0] != '.')
      n++;
  closedir(d);
  return n - 1;
}

/* The result pipe as the agent hands it: the one descriptor above 2. */
__attribute__((unused)) static int tp_result_fd(void)
{
  struct stat st;
  for(int fd = 3; fd < 1024; fd++)
    if(fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
      return fd;
  return -1;
}

/* Writes all of buf to fd. */
__attribute__((unused)) static void tp_write(int fd, const char *buf,
                                             size_t len)
{
  while(len) {
    ssize_t n = write(fd, buf, len);
    if(n < 0 && errno == EINTR)
      continue;
    if(n <= 0)
      return;
    buf += n;
    len -= (size_t)n;
  }
}

#if defined(TP_SANDBOX)
/* One "Name:\tvalue" field of /proc/self/status (the first word), or "?". */
static void tp_status_field(const char *name, char *out, size_t outlen)
{
  char line[512];
  size_t nl = strlen(name);
  FILE *f = fopen("/proc/self/status", "r");
  snprintf(out, outlen, "?");
  if(!f)
    return;
  while(fgets(line, sizeof(line), f))
    if(!strncmp(line, name, nl) && line[nl] == ':') {
      const char *v = line + nl + 1;
      v += strspn(v, " \t");
      snprintf(out, outlen, "%.*s", (int)strcspn(v, " \t\n"), v);
      break;
    }
  fclose(f);
}

static void *tp_thread(void *arg)
{
  return arg;
}

/* "ok" or the error of a call, as a detail. */
static void tp_errno_detail(const probe_host *h, probe_result *r,
                            const char *key, int failed, int err)
{
  h->result_detail_string(r, key, failed ? strerror(err) : "ok");
}

/* What the sandbox looks like from inside, one line. */
static void tp_sandbox_report(probe_ctx *ctx, const probe_host *h)
{
  char v[64];
  probe_result *r = h->result_begin(ctx, "sandbox.status", TP_NAME);
  h->result_status(r, PROBE_OK, "sandbox as seen from inside");
  tp_status_field("NoNewPrivs", v, sizeof(v));
  h->result_detail_string(r, "NoNewPrivs", v);
  tp_status_field("Seccomp", v, sizeof(v));
  h->result_detail_string(r, "Seccomp", v);
  tp_status_field("Uid", v, sizeof(v));
  h->result_detail_string(r, "Uid", v);
  h->result_detail_number(r, "dumpable", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  /* and it cannot make itself dumpable again */
  int dr = prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  tp_errno_detail(h, r, "set_dumpable", dr != 0, errno);
  h->result_detail_number(r, "dumpable_after",
                          prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  struct rlimit rl;
  getrlimit(RLIMIT_CORE, &rl);
  h->result_detail_number(r, "core_limit", (double)rl.rlim_cur);
  getrlimit(RLIMIT_AS, &rl);
  h->result_detail_number(r, "as_limit",
                          rl.rlim_cur == RLIM_INFINITY ? -1
                                                       : (double)rl.rlim_cur);
  getrlimit(RLIMIT_CPU, &rl);
  h->result_detail_number(r, "cpu_limit",
                          rl.rlim_cur == RLIM_INFINITY ? -1
                                                       : (double)rl.rlim_cur);
  getrlimit(RLIMIT_NPROC, &rl);
  h->result_detail_number(r, "nproc_limit",
                          rl.rlim_cur == RLIM_INFINITY ? -1
                                                       : (double)rl.rlim_cur);
  h->result_detail_bool(r, "setuid0", setuid(0) == 0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  tp_errno_detail(h, r, "socket_inet", fd < 0, errno);
  if(fd >= 0)
    close(fd);
  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  tp_errno_detail(h, r, "socket_unix", fd < 0, errno);
  if(fd >= 0)
    close(fd);
  /* a path that does not exist: ENOENT when allowed, EPERM when not */
  char *const argv[] = {"/nonexistent/probe-test-program", NULL};
  execve(argv[0], argv, argv + 1);
  tp_errno_detail(h, r, "execve", 1, errno);
  pid_t pid = fork();
  if(pid == 0)
    _exit(0);
  if(pid > 0)
    waitpid(pid, NULL, 0);
  tp_errno_detail(h, r, "fork", pid < 0, errno);
  pthread_t t;
  int terr = pthread_create(&t, NULL, tp_thread, NULL);
  if(!terr)
    pthread_join(t, NULL);
  tp_errno_detail(h, r, "thread", terr != 0, terr);
  h->result_emit(r);
}

PROBE_PLUGIN_EXPORT const probe_sandbox probe_plugin_sandbox = {
#if defined(TP_SBNONET)
    PROBE_SANDBOX_VERSION, 0
#elif defined(TP_SBPROG)
    PROBE_SANDBOX_VERSION, PROBE_NEEDS_NETWORK | PROBE_NEEDS_PROGRAMS
#elif defined(TP_SBROOT)
    PROBE_SANDBOX_VERSION, PROBE_NEEDS_ROOT
#else
    /* sbprobe: version 0, which the agent must treat as no declaration */
    0, 0
#endif
};
#endif

#if defined(TP_LEAK)
/* leak starts programs (its leftovers): without this its fork would fail
 * under the sandbox and the tests of the deadline would prove nothing */
PROBE_PLUGIN_EXPORT const probe_sandbox
    probe_plugin_sandbox = {PROBE_SANDBOX_VERSION, PROBE_NEEDS_PROGRAMS};
#endif

#if defined(TP_CTORHANG)
/* Hangs while being loaded: only this plugin may pay for it. */
__attribute__((constructor)) static void tp_ctor(void)
{
  sleep(20);
}
#elif defined(TP_CTORPRINT)
/* Prints while being loaded: never a line of the result stream. With
 * TP_LOAD_LOG set, also appends a line there for each load, so that a test
 * counts the processes that loaded it (agent-oneshot.sh). */
__attribute__((constructor)) static void tp_ctor(void)
{
  static const char junk[] = "NOT JSON from a constructor\n";
  const char *log = getenv("TP_LOAD_LOG");
  if(log) {
    int fd =
        open(log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if(fd >= 0) {
      ssize_t w = write(fd, "loaded\n", 7);
      (void)w; /* a lost line shows in the test's count */
      close(fd);
    }
  }
  if(write(STDOUT_FILENO, junk, sizeof(junk) - 1) < 0)
    return;
}
#endif

static int tp_check(probe_ctx *ctx, const probe_host *h)
{
  const char *status = "ok";
  h->conf_string(ctx, "status", &status);
  for(long long i = 0; i < tp_status_n(status); i++)
    if(tp_status_at(status, i) < 0) {
      h->config_error(ctx, "status",
                      "must be ok, warning, critical or unknown, not \"%s\"",
                      status);
      return 1;
    }
  return 0;
}

static int tp_run(probe_ctx *ctx, const probe_host *h)
{
#if defined(TP_SANDBOX)
  tp_sandbox_report(ctx, h);
#elif defined(TP_ECHO_LIKE)
  const char *status = "ok", *message = "", *target = "";
  long long count = 1;
  double delay = 0;
  h->conf_string(ctx, "status", &status);
  h->conf_string(ctx, "message", &message);
  h->conf_string(ctx, "target", &target);
  h->conf_int(ctx, "count", &count);
  h->conf_duration(ctx, "delay", &delay);
  int overlap = 0;
  if(delay > 0) {
    /* a marker held for the whole run: a second run of this plugin while
     * it exists means the agent overlapped two runs */
    char busy[4096];
    snprintf(busy, sizeof(busy), "%s/busy",
             h->state_dir(ctx) ? h->state_dir(ctx) : "/tmp");
    int fd = open(busy, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if(fd < 0) {
      overlap = 1;
      message = "overlapping run";
    }
    usleep((useconds_t)(delay * 1e6));
    if(fd >= 0) {
      close(fd);
      unlink(busy);
    }
  }
  if(!strcmp(tp_mode(ctx, h), "progress") && PROBE_HOST_HAS_PROGRESS(h))
    for(int i = 1; i <= 5; i++) { /* a long run, for the progress line */
      usleep(200000);
      h->progress(ctx, i * 1000.0, i * 1e6, 5e6);
    }
  long runs = tp_count_runs(ctx, h);
  for(long long i = 0; i < count; i++) {
    int st = overlap ? PROBE_CRITICAL : tp_status_at(status, i);
    probe_result *r = h->result_begin(ctx, "echo.line", target);
#if defined(TP_EVIL)
    (void)message;
    (void)st;
    h->result_status(r, PROBE_CRITICAL, "EVIL: a swapped file was loaded");
#else
    h->result_status(r, st < 0 ? PROBE_UNKNOWN : (probe_status)st, "%s",
                     message);
#endif
    h->result_metric(r, "index", (double)i);
    h->result_metric(r, "runs", (double)runs);
    h->result_metric(r, "open_fds", (double)tp_open_fds());
    h->result_metric(r, "wait_seconds", delay);
    if(PROBE_HOST_HAS_THRESHOLD(h)) { /* one range above, one below */
      h->result_threshold(r, "index", 10, 20);
      h->result_threshold(r, "wait_seconds", 30, 5);
    }
    h->result_detail_string(r, "time_left_positive",
                            h->time_left(ctx) > 0 ? "yes" : "no");
    h->result_emit(r);
  }
  return 0;
#elif defined(TP_LEAK)
  const char *mode = "", *marker = "0";
  h->conf_string(ctx, "mode", &mode);
  h->conf_string(ctx, "marker", &marker);
  probe_result *r = h->result_begin(ctx, "leak.line", mode);
  h->result_status(r, PROBE_OK, "leaving something behind (%s)", mode);
  h->result_emit(r);
  char cmd[256];
  /* the leftovers hold the result pipe; "sleep 20.MARKER" names them */
  snprintf(cmd, sizeof(cmd), "sleep 20.%s &", marker);
  if(!strcmp(mode, "system"))
    return system(cmd) == 0 ? 0 : 1;
  pid_t pid = fork();
  if(pid == 0) {
    if(!strcmp(mode, "setsid") || !strcmp(mode, "hang-setsid"))
      setsid();
    snprintf(cmd, sizeof(cmd), "20.%s", marker);
    execlp("sleep", "sleep", cmd, (char *)NULL);
    _exit(127);
  }
  if(!strcmp(mode, "hang-setsid"))
    for(;;)
      pause();
  return 0;
#elif defined(TP_RAW)
  const char *mode = "";
  h->conf_string(ctx, "mode", &mode);
  int fd = tp_result_fd();
  static char big[70 * 1024 + 1];
  memset(big, 'x', sizeof(big) - 1);
  if(!strcmp(mode, "badutf8")) {
    static const char bad[] =
        "{\"check\":\"raw.bad\",\"status\":\"ok\",\"summary\":\"\xff\xfe\"}\n";
    tp_write(fd, bad, sizeof(bad) - 1);
  }
  else if(!strcmp(mode, "overlong")) {
    /* 70 KB without a newline, then a line of the plugin's choosing */
    static const char forged[] =
        "{\"check\":\"raw.forged\",\"status\":\"ok\",\"summary\":\"forged\"}\n";
    tp_write(fd, big, sizeof(big) - 1);
    usleep(300000); /* the agent has read the 70 KB before the line comes */
    tp_write(fd, forged, sizeof(forged) - 1);
  }
  else if(!strcmp(mode, "bigcritical")) {
    probe_result *r = h->result_begin(ctx, "raw.big", "raw");
    h->result_status(r, PROBE_CRITICAL, "bad news with a long detail");
    h->result_detail_string(r, "detail", big);
    h->result_emit(r);
    return 0;
  }
  else if(!strcmp(mode, "logs"))
    fprintf(stderr,
            "log \033[31mred\033[0m bell\a cr\rX bad\xff c1\xc2\x9b end\n");
  probe_result *r = h->result_begin(ctx, "raw.ok", "raw");
  h->result_status(r, PROBE_OK, "fine");
  h->result_emit(r);
  return 0;
#elif defined(TP_SEGV)
  (void)h;
  (void)ctx;
  /* a signal, not a null store: UBSan would catch that one first */
  raise(SIGSEGV);
#elif defined(TP_ABORT)
  (void)ctx;
  (void)h;
  abort();
#elif defined(TP_HANG)
  probe_result *r = h->result_begin(ctx, "hang.before", "hang");
  h->result_status(r, PROBE_OK, "about to hang");
  h->result_emit(r);
  for(;;)
    pause();
#elif defined(TP_FLOOD)
  static char filler[4096];
  memset(filler, 'x', sizeof(filler) - 1);
  /* 100 MB of logs, then endless results */
  for(int i = 0; i < 100 * 256; i++)
    fwrite(filler, 1, sizeof(filler) - 1, stdout);
  for(;;) {
    probe_result *r = h->result_begin(ctx, "flood.line", "flood");
    h->result_status(r, PROBE_OK, "%s", filler);
    h->result_emit(r);
  }
#else
  (void)ctx;
  (void)h;
#endif
  return 0;
}

PROBE_PLUGIN_EXPORT const probe_plugin probe_plugin_entry = {
#if defined(TP_WRONGABI)
    PROBE_PLUGIN_ABI + 41,
#else
    PROBE_PLUGIN_ABI,
#endif
    TP_NAME,
    "1.0",
    "test plugin (" TP_NAME ")",
    tp_settings,
    NULL,
    tp_run,
    NULL,
    tp_check};
