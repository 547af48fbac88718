/*
 * main.c: probe-agent's command line. Reads the options, loads and checks
 * the configuration (conf.c), and either lists plugins, checks the
 * configuration, runs the selected plugins once (exit status = worst
 * result, Nagios style) or hands over to the daemon (sched.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "loader.h"
#include "util.h"

extern char **environ;

/* Exit statuses of the agent's own failures (sysexits). */
#define AGENT_EX_OSERR 71     /* no process, pipe or plugin directory */
#define AGENT_EX_CANTCREAT 73 /* the output cannot be opened */

#ifndef PLUGINDIR
#define PLUGINDIR "/usr/local/lib/probe-agent"
#endif
#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static const char usage_text[] =
  "Usage: probe-agent [options]\n"
  "Checks the iTrans ledger, its anchors, the relay, job queues, TLS\n"
  "certificates and secrets, and writes one JSON object per result line.\n"
  "\n"
  "  -c, --config FILE      configuration file (JSON; // and /* */ comments allowed)\n"
  "  -p, --plugin NAME      run this plugin (repeatable); without --daemon: once\n"
  "      --once             run every enabled plugin once, then exit (the default)\n"
  "      --daemon           run every enabled plugin on its interval until SIGTERM\n"
  "  -s, --set KEY=VALUE    override one setting, e.g. ledger.source=/x.jsonl\n"
  "                         (repeatable; VALUE is JSON, or else a string)\n"
  "  -o, --output FILE      append result lines to FILE instead of standard output\n"
  "      --format FORMAT    json (default), text (one readable line per result),\n"
  "                         nagios (the monitoring-plugins output; exit 0-3 only)\n"
  "                         or openmetrics (Prometheus text of one run)\n"
  "  -t, --timeout SECONDS  end the whole run after SECONDS (unknown lines for\n"
  "                         what was still running)\n"
  "      --plugin-dir DIR   where plugins are found (default " PLUGINDIR ";\n"
  "                         PROBE_AGENT_PLUGIN_DIR also sets it)\n"
  "      --state-dir DIR    where plugins keep state between runs\n"
  "      --list-plugins     name, version and description of each plugin\n"
  "      --check-config     load and validate the configuration, run nothing\n"
  "      --progress         one updating line of a long run's progress on standard\n"
  "                         error (the default when that is a terminal)\n"
  "      --no-progress      never that line\n"
  "  -h, --help             this text\n"
  "  -V, --version          the version\n"
  "\n"
  "Without -c, " SYSCONFDIR "/probe-agent/probe-agent.json is read when it exists\n"
  "(PROBE_AGENT_CONFIG names another). Settings also come from the environment\n"
  "as PROBE_<PLUGIN>_<KEY>; --set wins over the environment, which wins over the file.\n"
  "\n"
  "Exit status: 0 ok, 1 warning, 2 critical, 3 unknown (the worst result);\n"
  "64 usage error, 71 no plugin directory or process, 73 the output cannot be\n"
  "opened (standard output closed), 74 daemon: standard output's reader went away,\n"
  "78 invalid configuration; with --format nagios these are 3 UNKNOWN with the\n"
  "message on standard output.\n";

enum {
  OPT_ONCE = 256, OPT_DAEMON, OPT_FORMAT, OPT_PLUGIN_DIR, OPT_STATE_DIR,
  OPT_LIST, OPT_CHECK, OPT_PROGRESS, OPT_NO_PROGRESS
};

static const struct option long_options[] = {
  {"config", required_argument, NULL, 'c'},
  {"plugin", required_argument, NULL, 'p'},
  {"once", no_argument, NULL, OPT_ONCE},
  {"daemon", no_argument, NULL, OPT_DAEMON},
  {"set", required_argument, NULL, 's'},
  {"output", required_argument, NULL, 'o'},
  {"format", required_argument, NULL, OPT_FORMAT},
  {"timeout", required_argument, NULL, 't'},
  {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
  {"state-dir", required_argument, NULL, OPT_STATE_DIR},
  {"list-plugins", no_argument, NULL, OPT_LIST},
  {"check-config", no_argument, NULL, OPT_CHECK},
  {"progress", no_argument, NULL, OPT_PROGRESS},
  {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
  {"help", no_argument, NULL, 'h'},
  {"version", no_argument, NULL, 'V'},
  {NULL, 0, NULL, 0}
};

/* --format nagios: the first failure of the agent itself, said on standard
 * output as 3 UNKNOWN when the run ends with a status above 3. */
static int nagios_mode;
static char nagios_failure[1024];

/* Notes why the agent fails, for --format nagios. */
static void note_failure(const char *msg, size_t len)
{
  if(!nagios_failure[0])
    snprintf(nagios_failure, sizeof(nagios_failure), "%.*s", (int)len, msg);
}

/* A usage error: message, hint, exit 64. */
__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
  va_list ap;
  char msg[2048];
  dbuf esc;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  /* the words come from the command line: one line, whatever they hold */
  dbuf_init(&esc, 0);
  int ok = output_escape(&esc, msg, strlen(msg)) == 0 && esc.data;
  note_failure(ok ? esc.data : msg, strlen(ok ? esc.data : msg));
  fprintf(stderr, "probe-agent: %s\nTry 'probe-agent --help'.\n", ok ? esc.data : msg);
  dbuf_free(&esc);
  return CONFIG_EX_USAGE;
}

void agent_print_errors(const dbuf *errors)
{
  const char *p = errors->data ? errors->data : "";
  while(*p) {
    size_t n = strcspn(p, "\n");
    note_failure(p, n);
    fprintf(stderr, "probe-agent: %.*s\n", (int)n, p);
    p += n;
    if(*p)
      p++;
  }
}

/* Appends to a malloc'd string list. */
static int push(char ***v, size_t *n, char *s)
{
  char **nv = realloc(*v, (*n + 1) * sizeof(**v));
  if(!nv)
    return -1;
  nv[(*n)++] = s;
  *v = nv;
  return 0;
}

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
static char *resolve_state_dir(const agent *a)
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
  output_format fmt = a->format_override >= 0 ? (output_format)a->format_override : a->cfg.format;
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

/* --list-plugins */
static int list_plugins(const char *dir)
{
  char **names = NULL;
  size_t n = 0;
  plugin_set set = {NULL, 0};
  if(loader_list_dir(dir, &names, &n) < 0) {
    fprintf(stderr, "probe-agent: cannot read plugin directory %s: %s\n", dir, strerror(errno));
    return AGENT_EX_OSERR;
  }
  if(n == 0)
    fprintf(stderr, "probe-agent: no plugins in %s\n", dir);
  if(loader_describe(dir, names, n, NULL, &set) < 0) {
    loader_free_names(names, n);
    return AGENT_EX_OSERR;
  }
  int rc = 0;
  for(size_t i = 0; i < set.n; i++) {
    const plugin_desc *d = &set.items[i];
    if(d->error) {
      printf("%-12s %-8s (unusable: %s)\n", d->name, "-", d->error);
      rc = 1;
    }
    else
      printf("%-12s %-8s %s\n", d->name, d->version, d->description);
  }
  fflush(stdout);
  plugin_set_free(&set);
  loader_free_names(names, n);
  return rc;
}

/* --check-config: every error a run would hit, named. */
static int check_config(agent *a)
{
  size_t problems = 0;
  const cJSON *plugins = cJSON_GetObjectItemCaseSensitive(a->cfg.root, "plugins");
  const cJSON *sec;
  runner_init(&a->runs, &a->out, a->state_base);
  cJSON_ArrayForEach(sec, plugins) {
    const plugin_desc *d = plugin_set_find(&a->cfg.descs, sec->string);
    if(!d || d->error) {
      fprintf(stderr, "probe-agent: %s%splugin \"%s\": %s\n", a->cfg.file ? a->cfg.file : "",
              a->cfg.file ? ": " : "", sec->string, d && d->error ? d->error : "not found");
      problems++;
      continue;
    }
    if(d->has_check_config)
      runner_start(&a->runs, &a->cfg, sec->string, RUN_CHECK_CONFIG);
  }
  while(runner_active(&a->runs))
    runner_poll(&a->runs, -1, -1);
  problems += a->runs.config_errors;
  if(problems) {
    fprintf(stderr, "probe-agent: %zu problem%s in the configuration\n", problems,
            problems == 1 ? "" : "s");
    return CONFIG_EX_CONFIG;
  }
  printf("configuration ok: %s; plugins:", a->cfg.file ? a->cfg.file : "(no file)");
  int any = 0;
  cJSON_ArrayForEach(sec, plugins) {
    int enabled = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(sec, "enabled"));
    printf(" %s%s", sec->string, enabled ? "" : " (disabled)");
    any = 1;
  }
  printf("%s\n", any ? "" : " none");
  return 0;
}

/* Opens /dev/null on whichever of descriptors 0-2 is closed, so that no
 * file opened later (a configuration, a pipe to a plugin) becomes standard
 * output by accident and receives the result lines. Returns a bit mask of
 * the descriptors that were closed (bit 1: standard output). */
static unsigned reserve_std_fds(void)
{
  unsigned closed = 0;
  for(int fd = 0; fd <= 2; fd++) {
    if(fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
      continue;
    closed |= 1u << fd;
    /* the lowest free descriptor is fd itself */
    int got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if(got >= 0 && got != fd)
      close(got);
  }
  return closed;
}

/* --format nagios: a failure of the agent itself (usage, configuration,
 * output) as the one line and exit status 3 that a monitoring system
 * understands; the message was already said on standard error too. */
static int nagios_failure_exit(int rc)
{
  if(!nagios_mode || rc <= 3)
    return rc;
  dbuf b;
  dbuf_init(&b, 0);
  dbuf_addstr(&b, "PROBE-AGENT UNKNOWN: ");
  size_t at = b.len;
  output_escape(&b, nagios_failure[0] ? nagios_failure : "the agent failed",
                strlen(nagios_failure[0] ? nagios_failure : "the agent failed"));
  for(size_t i = at; b.data && i < b.len; i++)
    if(b.data[i] == '|')
      b.data[i] = '/';
  dbuf_printf(&b, " (exit status %d)\n", rc);
  if(b.data)
    fputs(b.data, stdout);
  fflush(stdout);
  dbuf_free(&b);
  return 3;
}

/* Maps the worst status to the Nagios exit status. */
static int exit_status(probe_status worst)
{
  return (int)worst; /* ok 0, warning 1, critical 2, unknown 3 */
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
static int run_once(agent *a, double deadline_s)
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
                 once_signal == SIGTERM ? "SIGTERM" : once_signal == SIGINT ? "SIGINT" : "SIGHUP");
      runner_stop_all(&a->runs, once_signal ? why : "the output cannot be written", 0);
      break;
    }
    int wait_ms = -1;
    if(end_ms > 0) {
      double left = end_ms - util_mono_ms();
      if(left <= 0) {
        snprintf(why, sizeof(why), "the run's timeout (-t %g) passed", deadline_s);
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
    note_failure(a->runs.first_config_error, strlen(a->runs.first_config_error));
    return CONFIG_EX_CONFIG;
  }
  probe_status worst = a->runs.worst;
  if(output_finish(&a->out) < 0)
    worst = output_worse(worst, PROBE_UNKNOWN);
  if(a->out.lost_total)
    worst = output_worse(worst, PROBE_UNKNOWN);
  return exit_status(worst);
}

int main(int argc, char **argv)
{
  agent a;
  memset(&a, 0, sizeof(a));
  a.format_override = -1;
  char **sets = NULL, **plugins = NULL;
  size_t nsets = 0, nplugins = 0;
  const char *config_file = NULL;
  const char *plugin_dir = getenv("PROBE_AGENT_PLUGIN_DIR");
  int mode_once = 0, mode_daemon = 0, mode_list = 0, mode_check = 0;
  int rc = 0, opt, progress = -1;
  double run_timeout = 0;
  char timeout_set[64];
  dbuf errors;
  dbuf_init(&errors, 0);

  unsigned closed_fds = reserve_std_fds();
  signal(SIGPIPE, SIG_IGN);
  opterr = 0;
  /* known before any usage error, so that such an error is said the
   * monitoring-plugins way too */
  for(int i = 1; i < argc && strcmp(argv[i], "--"); i++)
    if(!strcmp(argv[i], "--format=nagios") ||
       (!strcmp(argv[i], "--format") && i + 1 < argc && !strcmp(argv[i + 1], "nagios")))
      nagios_mode = 1;
  /* Icinga 2 merges a check's standard error into its output, ahead of
   * the status line: in this format the agent's own messages (and the
   * plugins' logs) go to standard error only when that is a terminal */
  if(nagios_mode && !isatty(STDERR_FILENO)) {
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if(null >= 0) {
      dup2(null, STDERR_FILENO);
      close(null);
    }
  }
  while((opt = getopt_long(argc, argv, ":c:p:s:o:t:hV", long_options, NULL)) != -1) {
    switch(opt) {
    case 'c': config_file = optarg; break;
    case 'p':
      if(!loader_valid_name(optarg)) {
        rc = usage_error("invalid plugin name '%s'", optarg);
        goto out;
      }
      push(&plugins, &nplugins, optarg);
      break;
    case 's':
      if(!strchr(optarg, '=')) {
        rc = usage_error("--set needs KEY=VALUE, got '%s'", optarg);
        goto out;
      }
      push(&sets, &nsets, optarg);
      break;
    case 'o': a.output_override = optarg; break;
    case OPT_ONCE: mode_once = 1; break;
    case OPT_DAEMON: mode_daemon = 1; break;
    case OPT_FORMAT:
      if(!strcmp(optarg, "json"))
        a.format_override = FORMAT_JSON;
      else if(!strcmp(optarg, "text"))
        a.format_override = FORMAT_TEXT;
      else if(!strcmp(optarg, "nagios"))
        a.format_override = FORMAT_NAGIOS;
      else if(!strcmp(optarg, "openmetrics"))
        a.format_override = FORMAT_OPENMETRICS;
      else {
        rc = usage_error("--format is json, text, nagios or openmetrics, not '%s'", optarg);
        goto out;
      }
      break;
    case 't': {
      char *end;
      errno = 0;
      run_timeout = strtod(optarg, &end);
      if(errno || end == optarg || *end || !(run_timeout > 0 && run_timeout <= 86400)) {
        rc = usage_error("-t needs seconds between 0 and 86400, got '%s'", optarg);
        goto out;
      }
      /* plugins size their own network timeouts by it */
      snprintf(timeout_set, sizeof(timeout_set), "agent.timeout=%g", run_timeout);
      push(&sets, &nsets, timeout_set);
      break;
    }
    case OPT_PLUGIN_DIR: plugin_dir = optarg; break;
    case OPT_STATE_DIR: a.state_override = optarg; break;
    case OPT_LIST: mode_list = 1; break;
    case OPT_CHECK: mode_check = 1; break;
    case OPT_PROGRESS: progress = 1; break;
    case OPT_NO_PROGRESS: progress = 0; break;
    case 'h': fputs(usage_text, stdout); goto out;
    case 'V': printf("probe-agent %s (plugin ABI %d)\n", PACKAGE_VERSION, PROBE_PLUGIN_ABI); goto out;
    case ':':
      rc = usage_error("option '%s' needs an argument", argv[optind - 1]);
      goto out;
    default:
      rc = usage_error("unknown option '%s'", argv[optind - 1]);
      goto out;
    }
  }
  if(optind < argc) {
    rc = usage_error("unexpected argument '%s'", argv[optind]);
    goto out;
  }
  if(mode_once + mode_daemon + mode_list + mode_check > 1) {
    rc = usage_error("%s", "choose one of --once, --daemon, --list-plugins, --check-config");
    goto out;
  }
  if(mode_daemon && a.format_override >= FORMAT_NAGIOS) {
    rc = usage_error("--format %s is for one run, not --daemon (use agent.metrics_listen)",
                     a.format_override == FORMAT_NAGIOS ? "nagios" : "openmetrics");
    goto out;
  }
  if(mode_daemon && run_timeout > 0) {
    rc = usage_error("%s", "-t is the timeout of one run, not of --daemon");
    goto out;
  }
  if(!plugin_dir || !*plugin_dir)
    plugin_dir = PLUGINDIR;
  if(mode_list) {
    rc = list_plugins(plugin_dir);
    goto out;
  }

  const char *env_file = getenv("PROBE_AGENT_CONFIG");
  a.req.file = config_file ? config_file
             : env_file && *env_file ? env_file
             : SYSCONFDIR "/probe-agent/probe-agent.json";
  a.req.file_explicit = config_file || (env_file && *env_file);
  a.req.sets = sets;
  a.req.nsets = nsets;
  a.req.plugins = plugins;
  a.req.nplugins = nplugins;
  a.req.plugin_dir = plugin_dir;
  a.req.environ = environ;
  /* one plugin run once (the Nagios way): one process, one dlopen(); its
   * run child checks its settings. --check-config, --list-plugins and the
   * daemon describe every plugin first. */
  a.req.lazy = nplugins == 1 && !mode_daemon && !mode_check;
  rc = config_load(&a.req, &a.cfg, &errors);
  if(rc) {
    agent_print_errors(&errors);
    goto out;
  }
  a.state_base = resolve_state_dir(&a);
  if(!a.state_base && !mode_check)
    fprintf(stderr, "probe-agent: no writable state directory; plugins run without state\n");
  if(mode_check) {
    rc = check_config(&a);
    goto out;
  }
  if(a.cfg.nrun == 0) {
    rc = usage_error("%s", "nothing to run: no plugin is configured (give --plugin NAME or a configuration file)");
    goto out;
  }
  char err[512] = "";
  const char *out_path = a.output_override ? a.output_override : a.cfg.output;
  if((closed_fds & 2) && (!out_path || !strcmp(out_path, "-"))) {
    fprintf(stderr, "probe-agent: standard output is closed: nowhere to write "
            "the result lines (give -o FILE or agent.output)\n");
    nagios_mode = 0; /* nowhere to say it either */
    rc = AGENT_EX_CANTCREAT;
    goto out;
  }
  if(agent_apply_output(&a, 1, err, sizeof(err)) < 0) {
    int e = errno;
    fprintf(stderr, "probe-agent: %s\n", *err ? err : "cannot open the output");
    note_failure(*err ? err : "cannot open the output", strlen(*err ? err : "cannot open the output"));
    if(!*err)
      fprintf(stderr, "probe-agent: standard output: %s\n", strerror(e));
    rc = AGENT_EX_CANTCREAT;
    goto out;
  }
  runner_init(&a.runs, &a.out, a.state_base);
  a.runs.keep_stdin = !mode_daemon;
  /* one updating line on a terminal; a daemon's standard error is a log */
  a.runs.progress = !mode_daemon && (progress >= 0 ? progress : isatty(STDERR_FILENO));
  if(mode_daemon)
    rc = sched_daemon(&a);
  else {
    rc = run_once(&a, run_timeout);
  }
  output_close(&a.out);
out:
  config_free(&a.cfg);
  free(a.state_base);
  free(sets);
  free(plugins);
  dbuf_free(&errors);
  return nagios_failure_exit(rc);
}
