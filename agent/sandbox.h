/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox.h: what a plugin child gives up before the plugin is loaded.
 *
 * A plugin is code the agent did not write, run for a root daemon. So
 * that the next unknown hole in one of them (or in a library it parses
 * hostile input with) stays inside its run, the child enters a sandbox
 * right before dlopen(): no new privileges, not dumpable and no core
 * files (secrets live in its memory), killed with the agent, resource
 * limits, descriptors closed on exec, an unprivileged user when the agent
 * runs as root, and a seccomp filter that denies what the plugin did not
 * declare it needs (PROBE_NEEDS_* in probe-plugin.h).
 *
 * The parent prepares the policy (user lookups need NSS, which a sandboxed
 * child should not depend on); the child only applies it.
 */
#ifndef AGENT_SANDBOX_H
#define AGENT_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

#define SANDBOX_MAX_GROUPS 64

/* Defaults of the per-plugin limits (see doc/probe-agent.conf.5). */
#define SANDBOX_DEFAULT_MEMORY_MIB 4096
#define SANDBOX_DEFAULT_CPU_S 300
#define SANDBOX_DEFAULT_PROCESSES 256

/* What the plugin a descriptor was read for gets without a declaration. */
#define SANDBOX_DEFAULT_NEEDS PROBE_NEEDS_NETWORK

typedef struct sandbox_policy {
  int enabled;     /* 0: none of it (agent.sandbox=false, debugging) */
  unsigned needs;  /* PROBE_NEEDS_* the plugin may use */
  int change_user; /* 1: become uid/gid (the agent runs as root) */
  uid_t uid;
  gid_t gid;
  gid_t groups[SANDBOX_MAX_GROUPS];
  int ngroups;
  unsigned long long memory_bytes; /* address space; 0: no limit */
  unsigned long long cpu_s;        /* CPU seconds; 0: no limit */
  unsigned long long processes;    /* processes of the user; 0: no limit */
  pid_t parent;                    /* the agent: the child ends when it does */
  const void *filter; /* compiled seccomp filter (sandbox_compile) */
  unsigned short filter_len;
} sandbox_policy;

/* With on, users are looked up in a child process (a daemon: the NSS
 * modules getpwnam loads stay out of it, see sandbox.c), else here (a
 * one-shot: one fork, the run's). Off at first. */
void sandbox_lookup_in_child(int on);

/* The user plugin children run as when agent.user is not set: a
 * dedicated "probe-agent" user where it exists, else "nobody". Looked up
 * only when the agent is root, the only one that changes user. */
const char *sandbox_default_user(void);

/* Fills the user part of p: when the agent's euid is 0 and user is not
 * "root", the child becomes that user (its uid, primary group and
 * supplementary groups). Returns 0, or -1 with the reason in err. */
int sandbox_set_user(sandbox_policy *p, const char *user, char *err,
                     size_t errlen);

/* Parent side, before a run, when the agent is root: makes <base>/<plugin>
 * (mode 0700) belong to the uid the child will run as (root included), so
 * that the child, and only it, may keep state there; and lets that user
 * traverse base. Refuses a link, or a directory owned by anyone but root
 * and that user. Returns 0, or -1 with err. */
int sandbox_prepare_state(const sandbox_policy *p, const char *base,
                          const char *plugin, char *err, size_t errlen);

/* Parent side: compiles the seccomp filter for p's needs (once per set of
 * needs; kept for the agent's life) so that a child only installs it. The
 * compiling is done in a short-lived child, bounded in time (libseccomp
 * can loop when memory runs out). Returns 0, or -1 with err. */
int sandbox_compile(sandbox_policy *p, char *err, size_t errlen);

/* Child side, right before the plugin is loaded: applies p. Descriptors
 * 0-2 stay as they are; every other one becomes close-on-exec. Returns 0,
 * or -1 with the reason in err (the child must then not load the plugin). */
int sandbox_enter(const sandbox_policy *p, char *err, size_t errlen);

#endif
