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
  diag_note_failure(ok ? esc.data : msg, strlen(ok ? esc.data : msg));
  fprintf(stderr, "probe-agent: %s\nTry 'probe-agent --help'.\n", ok ? esc.data : msg);
  dbuf_free(&esc);
  return AGENT_EXIT_USAGE;
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

/* --list-plugins */
static int list_plugins(const char *dir)
{
  char **names = NULL;
  size_t n = 0;
  plugin_set set = {NULL, 0};
  if(loader_list_dir(dir, &names, &n) < 0) {
    fprintf(stderr, "probe-agent: cannot read plugin directory %s: %s\n", dir, strerror(errno));
    return AGENT_EXIT_OSERR;
  }
  if(n == 0)
    fprintf(stderr, "probe-agent: no plugins in %s\n", dir);
  if(loader_describe(dir, names, n, NULL, &set) < 0) {
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
  const cJSON *plugins = cJSON_GetObjectItemCaseSensitive(a->cfg.root, "plugins");
  const cJSON *sec;
  runner_init(&a->runs, &a->out, a->state_base);
  cJSON_ArrayForEach(sec, plugins) {
    const plugin_desc *d = plugin_set_find(&a->cfg.descs, sec->string);
    if(!d || d->error) {
      diag_plugin_error(a->cfg.file, sec->string, "%s", d && d->error ? d->error : "not found");
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
    return AGENT_EXIT_CONFIG;
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
      diag_nagios(1);
  /* Icinga 2 merges a check's standard error into its output, ahead of
   * the status line: in this format the agent's own messages (and the
   * plugins' logs) go to standard error only when that is a terminal */
  if(diag_nagios(-1) && !isatty(STDERR_FILENO)) {
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
    diag_print_errors(&errors);
    goto out;
  }
  a.state_base = agent_resolve_state_dir(&a);
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
  if((rc = agent_open_output(&a, closed_fds & 2)) != 0)
    goto out;
  runner_init(&a.runs, &a.out, a.state_base);
  a.runs.keep_stdin = !mode_daemon;
  /* one updating line on a terminal; a daemon's standard error is a log */
  a.runs.progress = !mode_daemon && (progress >= 0 ? progress : isatty(STDERR_FILENO));
  if(mode_daemon)
    rc = sched_daemon(&a);
  else {
    rc = agent_run_once(&a, run_timeout);
  }
  output_close(&a.out);
out:
  config_free(&a.cfg);
  free(a.state_base);
  free(sets);
  free(plugins);
  dbuf_free(&errors);
  return diag_nagios_exit(rc);
}
