/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c: probe-agent's command line. Reads the options, loads and checks
 * the configuration (conf.c), and either lists plugins, checks the
 * configuration, runs the selected plugins once (exit status = worst
 * result, Nagios style; life.c) or hands over to the daemon (sched.c).
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
#include "exitcode.h"
#include "diag.h"
#include "loader.h"
#include "sandbox.h"
#include "util.h"

extern char **environ;

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
    "Without -c, " SYSCONFDIR
    "/probe-agent/probe-agent.json is read when it exists\n"
    "(PROBE_AGENT_CONFIG names another). Settings also come from the environment\n"
    "as PROBE_<PLUGIN>_<KEY>; --set wins over the environment, which wins over the file.\n"
    "\n"
    "Exit status: 0 ok, 1 warning, 2 critical, 3 unknown (the worst result);\n"
    "64 usage error, 71 no plugin directory or process, 73 the output cannot be\n"
    "opened (standard output closed), 74 daemon: standard output's reader went away,\n"
    "78 invalid configuration; with --format nagios these are 3 UNKNOWN with the\n"
    "message on standard output.\n";

enum {
  OPT_ONCE = 256,
  OPT_DAEMON,
  OPT_FORMAT,
  OPT_PLUGIN_DIR,
  OPT_STATE_DIR,
  OPT_LIST,
  OPT_CHECK,
  OPT_PROGRESS,
  OPT_NO_PROGRESS
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
    {NULL, 0, NULL, 0}};

/* A usage error: message, hint, exit 64. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
                                                             ...)
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
  diag_note_failure(ok ? esc.data : msg, strlen(ok ? esc.data : msg));
  fprintf(stderr, "probe-agent: %s\nTry 'probe-agent --help'.\n",
          ok ? esc.data : msg);
  dbuf_free(&esc);
  return AGENT_EXIT_USAGE;
}

/* Appends to a malloc'd string list: 0, or the exit status when out of
 * memory (an option dropped would change what runs). */
static int push(char ***v, size_t *n, char *s)
{
  char **nv = realloc(*v, (*n + 1) * sizeof(**v));
  if(!nv) {
    static const char oom[] = "out of memory reading the options";
    diag_note_failure(oom, sizeof(oom) - 1);
    fprintf(stderr, "probe-agent: %s\n", oom);
    return AGENT_EXIT_OSERR;
  }
  nv[(*n)++] = s;
  *v = nv;
  return 0;
}

/* --list-plugins */
static int list_plugins(const char *dir)
{
  char **names = NULL;
  size_t n = 0;
  plugin_set set = {NULL, 0};
  if(loader_list_dir(dir, &names, &n) < 0) {
    fprintf(stderr, "probe-agent: cannot read plugin directory %s: %s\n", dir,
            strerror(errno));
    return AGENT_EXIT_OSERR;
  }
  if(n == 0)
    fprintf(stderr, "probe-agent: no plugins in %s\n", dir);
  if(loader_describe(dir, names, n, NULL, &set) < 0) {
    fprintf(stderr, "probe-agent: cannot load the plugins in %s: %s\n", dir,
            strerror(errno));
    loader_free_names(names, n);
    return AGENT_EXIT_OSERR;
  }
  int rc = 0;
  for(size_t i = 0; i < set.n; i++) {
    const plugin_desc *d = &set.items[i];
    if(d->error) {
      printf("%-12s %-8s (unusable: %s)\n", d->name, "-", d->error);
      rc = AGENT_EXIT_WARNING; /* listed, but not every plugin can run */
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
  const cJSON *plugins =
      cJSON_GetObjectItemCaseSensitive(a->cfg.root, "plugins");
  const cJSON *sec;
  runner_init(&a->runs, &a->out, a->state_base);
  cJSON_ArrayForEach(sec, plugins) {
    const plugin_desc *d = plugin_set_find(&a->cfg.descs, sec->string);
    if(!d || d->error) {
      diag_plugin_error(a->cfg.file, sec->string, "%s",
                        d && d->error ? d->error : "not found");
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
    fprintf(stderr, "probe-agent: %zu problem%s in the configuration\n",
            problems, problems == 1 ? "" : "s");
    return AGENT_EXIT_CONFIG;
  }
  printf("configuration ok: %s; plugins:",
         a->cfg.file ? a->cfg.file : "(no file)");
  int any = 0;
  cJSON_ArrayForEach(sec, plugins) {
    int enabled =
        !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(sec, "enabled"));
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

/* What the command line asks for, beside what goes into the agent. */
typedef struct cmdline {
  char **sets, **plugins;
  size_t nsets, nplugins;
  const char *config_file;
  const char *plugin_dir;
  int mode_once, mode_daemon, mode_list, mode_check;
  int progress;         /* -1: on a terminal */
  double run_timeout;   /* -t, 0: none */
  char timeout_set[64]; /* -t as the agent.timeout --set */
  int done;             /* -h or -V: said, nothing more to do */
} cmdline;

/* --format nagios is known before any usage error, so that such an error
 * is said the monitoring-plugins way too. Icinga 2 merges a check's
 * standard error into its output, ahead of the status line: in this format
 * the agent's own messages (and the plugins' logs) go to standard error
 * only when that is a terminal. */
static void nagios_early(int argc, char **argv)
{
  for(int i = 1; i < argc && strcmp(argv[i], "--"); i++)
    if(!strcmp(argv[i], "--format=nagios") ||
       (!strcmp(argv[i], "--format") && i + 1 < argc &&
        !strcmp(argv[i + 1], "nagios")))
      diag_nagios(1);
  if(diag_nagios(-1) && !isatty(STDERR_FILENO)) {
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if(null >= 0) {
      dup2(null, STDERR_FILENO);
      close(null);
    }
  }
}

/* --format NAME into a->format_override; 0 or the usage error's status. */
static int parse_format(agent *a, const char *name)
{
  static const char *const names[] = {"json", "text", "nagios", "openmetrics"};
  static const output_format formats[] = {FORMAT_JSON, FORMAT_TEXT,
                                          FORMAT_NAGIOS, FORMAT_OPENMETRICS};
  for(size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if(!strcmp(name, names[i])) {
      a->format_override = formats[i];
      return 0;
    }
  return usage_error("--format is json, text, nagios or openmetrics, not '%s'",
                     name);
}

/* -t SECONDS, also handed to the plugins as agent.timeout (they size their
 * own network timeouts by it); 0 or the usage error's status. */
static int parse_timeout(cmdline *c, const char *arg)
{
  char *end;
  errno = 0;
  c->run_timeout = strtod(arg, &end);
  if(errno || end == arg || *end ||
     !(c->run_timeout > 0 && c->run_timeout <= 86400))
    return usage_error("-t needs seconds between 0 and 86400, got '%s'", arg);
  snprintf(c->timeout_set, sizeof(c->timeout_set), "agent.timeout=%g",
           c->run_timeout);
  return push(&c->sets, &c->nsets, c->timeout_set);
}

/* One option of getopt_long's; 0 or an exit status. */
static int take_option(agent *a, cmdline *c, int opt, char **argv)
{
  switch(opt) {
  case 'c': c->config_file = optarg; return 0;
  case 'p':
    if(!loader_valid_name(optarg))
      return usage_error("invalid plugin name '%s'", optarg);
    return push(&c->plugins, &c->nplugins, optarg);
  case 's':
    if(!strchr(optarg, '='))
      return usage_error("--set needs KEY=VALUE, got '%s'", optarg);
    return push(&c->sets, &c->nsets, optarg);
  case 'o': a->output_override = optarg; return 0;
  case OPT_ONCE: c->mode_once = 1; return 0;
  case OPT_DAEMON: c->mode_daemon = 1; return 0;
  case OPT_FORMAT: return parse_format(a, optarg);
  case 't': return parse_timeout(c, optarg);
  case OPT_PLUGIN_DIR: c->plugin_dir = optarg; return 0;
  case OPT_STATE_DIR: a->state_override = optarg; return 0;
  case OPT_LIST: c->mode_list = 1; return 0;
  case OPT_CHECK: c->mode_check = 1; return 0;
  case OPT_PROGRESS: c->progress = 1; return 0;
  case OPT_NO_PROGRESS: c->progress = 0; return 0;
  case 'h':
    fputs(usage_text, stdout);
    c->done = 1;
    return 0;
  case 'V':
    printf("probe-agent %s (plugin ABI %d)\n", PACKAGE_VERSION,
           PROBE_PLUGIN_ABI);
    c->done = 1;
    return 0;
  case ':':
    return usage_error("option '%s' needs an argument", argv[optind - 1]);
  default: return usage_error("unknown option '%s'", argv[optind - 1]);
  }
}

/* The options, and the combinations that make no sense; 0 or an exit
 * status (c->done after -h and -V). */
static int parse_options(agent *a, cmdline *c, int argc, char **argv)
{
  int opt, rc;
  opterr = 0;
  while((opt = getopt_long(argc, argv, ":c:p:s:o:t:hV", long_options, NULL)) !=
        -1)
    if((rc = take_option(a, c, opt, argv)) != 0 || c->done)
      return rc;
  if(optind < argc)
    return usage_error("unexpected argument '%s'", argv[optind]);
  if(c->mode_once + c->mode_daemon + c->mode_list + c->mode_check > 1)
    return usage_error(
        "%s", "choose one of --once, --daemon, --list-plugins, --check-config");
  if(c->mode_daemon && a->format_override >= FORMAT_NAGIOS)
    return usage_error(
        "--format %s is for one run, not --daemon (use agent.metrics_listen)",
        a->format_override == FORMAT_NAGIOS ? "nagios" : "openmetrics");
  if(c->mode_daemon && c->run_timeout > 0)
    return usage_error("%s", "-t is the timeout of one run, not of --daemon");
  if(!c->plugin_dir || !*c->plugin_dir)
    c->plugin_dir = PLUGINDIR;
  return 0;
}

/* The configuration the command line names, loaded; 0 or an exit status
 * (the errors said). */
static int load_config(agent *a, const cmdline *c)
{
  const char *env_file = getenv("PROBE_AGENT_CONFIG");
  dbuf errors;
  a->req.file = c->config_file          ? c->config_file
                : env_file && *env_file ? env_file
                                        : SYSCONFDIR
                    "/probe-agent/probe-agent.json";
  a->req.file_explicit = c->config_file || (env_file && *env_file);
  a->req.sets = c->sets;
  a->req.nsets = c->nsets;
  a->req.plugins = c->plugins;
  a->req.nplugins = c->nplugins;
  a->req.plugin_dir = c->plugin_dir;
  a->req.environ = environ;
  /* one plugin run once (the Nagios way): one process, one dlopen(); its
   * run child checks its settings. --check-config, --list-plugins and the
   * daemon describe every plugin first. */
  a->req.lazy = c->nplugins == 1 && !c->mode_daemon && !c->mode_check;
  /* a daemon keeps the NSS modules of user lookups out of itself; a
   * one-shot stays one fork */
  sandbox_lookup_in_child(c->mode_daemon);
  dbuf_init(&errors, 0);
  int rc = config_load(&a->req, &a->cfg, &errors);
  if(rc)
    diag_print_errors(&errors);
  dbuf_free(&errors);
  return rc;
}

/* Runs what the command line asks for once the configuration is loaded:
 * the check, the one-shot run or the daemon. Returns the exit status. */
static int run_command(agent *a, const cmdline *c, unsigned closed_fds)
{
  int rc;
  a->state_base = agent_resolve_state_dir(a);
  if(!a->state_base && !c->mode_check)
    fprintf(
        stderr,
        "probe-agent: no writable state directory; plugins run without state\n");
  if(c->mode_check)
    return check_config(a);
  if(a->cfg.nrun == 0)
    return usage_error(
        "%s",
        "nothing to run: no plugin is configured (give --plugin NAME or a configuration file)");
  if((rc = agent_open_output(a, closed_fds & 2)) != 0)
    return rc;
  runner_init(&a->runs, &a->out, a->state_base);
  a->runs.keep_stdin = !c->mode_daemon;
  a->runs.precompile = c->mode_daemon;
  /* one updating line on a terminal; a daemon's standard error is a log */
  a->runs.progress = !c->mode_daemon &&
                     (c->progress >= 0 ? c->progress : isatty(STDERR_FILENO));
  if(c->mode_daemon)
    rc = sched_daemon(a);
  else
    rc = agent_run_once(a, c->run_timeout);
  output_close(&a->out);
  return rc;
}

int main(int argc, char **argv)
{
  agent a;
  cmdline c;
  memset(&a, 0, sizeof(a));
  memset(&c, 0, sizeof(c));
  a.format_override = -1;
  c.plugin_dir = getenv("PROBE_AGENT_PLUGIN_DIR");
  c.progress = -1;
  unsigned closed_fds = reserve_std_fds();
  signal(SIGPIPE, SIG_IGN);
  nagios_early(argc, argv);
  int rc = parse_options(&a, &c, argc, argv);
  if(rc == 0 && !c.done && c.mode_list)
    rc = list_plugins(c.plugin_dir);
  else if(rc == 0 && !c.done && (rc = load_config(&a, &c)) == 0)
    rc = run_command(&a, &c, closed_fds);
  config_free(&a.cfg);
  free(a.state_base);
  free(c.sets);
  free(c.plugins);
  return diag_nagios_exit(rc);
}
