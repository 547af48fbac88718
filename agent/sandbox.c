/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox.c: the sandbox a plugin child enters before its plugin is
 * loaded (see sandbox.h for why). Order matters: limits are set while
 * still root (the process limit's hard value), then the user changes,
 * then what a credential change resets (parent-death signal, dumpable) is
 * set again, and the seccomp filter comes last.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe-plugin.h"
#include "sandbox.h"

/* What a user lookup found, as the child that made it hands it back. */
typedef struct user_ids {
  int found; /* the user exists */
  int err;   /* the lookup's errno when it failed (0: no such user) */
  uid_t uid;
  gid_t gid;
  int ngroups;
  gid_t groups[SANDBOX_MAX_GROUPS];
} user_ids;

static int lookup_in_child;

void sandbox_lookup_in_child(int on)
{
  lookup_in_child = on;
}

/* Fills u from the passwd entry and groups of user (in this process). */
static void lookup_here(const char *user, user_ids *u)
{
  struct passwd *pw;
  errno = 0;
  pw = getpwnam(user);
  if(pw) {
    int n = SANDBOX_MAX_GROUPS;
    u->found = 1;
    u->uid = pw->pw_uid;
    u->gid = pw->pw_gid;
    if(getgrouplist(user, pw->pw_gid, u->groups, &n) < 0) {
      /* more groups than we keep: the primary one only */
      u->groups[0] = pw->pw_gid;
      n = 1;
    }
    u->ngroups = n;
  }
  else
    u->err = errno;
}

/* Looks user up (passwd entry and groups); in a daemon in a child process,
 * so that the NSS modules getpwnam loads (libnss_systemd, a userdb client,
 * with its libraries: 360 KiB resident) stay out of the daemon, which
 * keeps running as root for years. 0 with *u filled, or -1 with errno. */
static int lookup_user(const char *user, user_ids *u)
{
  int fd[2], saved;
  pid_t pid;
  ssize_t r;
  memset(u, 0, sizeof(*u));
  if(!lookup_in_child) {
    lookup_here(user, u);
    return 0;
  }
  if(pipe2(fd, O_CLOEXEC) < 0)
    return -1;
  pid = fork();
  if(pid < 0) {
    saved = errno;
    close(fd[0]);
    close(fd[1]);
    errno = saved;
    return -1;
  }
  if(pid == 0) {
    close(fd[0]);
    lookup_here(user, u);
    _exit(write(fd[1], u, sizeof(*u)) == (ssize_t)sizeof(*u) ? 0 : 1);
  }
  close(fd[1]);
  do
    r = read(fd[0], u, sizeof(*u));
  while(r < 0 && errno == EINTR);
  saved = errno;
  close(fd[0]);
  while(waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if(r != (ssize_t)sizeof(*u)) {
    errno = r < 0 ? saved : EIO;
    return -1;
  }
  return 0;
}

/* Lookups made in the last minute, so that a run (every run asks for its
 * plugin's user) costs no extra process: a changed passwd entry is seen
 * within USER_TTL_S. Only the daemon's main thread looks users up. */
#define USER_CACHE 8
#define USER_TTL_S 60
static struct {
  char name[64];
  user_ids ids;
  struct timespec at;
} user_cache[USER_CACHE];

/* Seconds from a to b. */
static double elapsed_s(const struct timespec *a, const struct timespec *b)
{
  return (double)(b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* lookup_user through user_cache (a name too long for it is not kept). */
static int lookup_user_cached(const char *user, user_ids *u)
{
  struct timespec now;
  int i, slot = 0;
  clock_gettime(CLOCK_MONOTONIC, &now);
  for(i = 0; i < USER_CACHE; i++) {
    if(user_cache[i].name[0] && !strcmp(user_cache[i].name, user) &&
       elapsed_s(&user_cache[i].at, &now) < USER_TTL_S) {
      *u = user_cache[i].ids;
      return 0;
    }
    if(!user_cache[i].name[0] ||
       (user_cache[slot].name[0] &&
        elapsed_s(&user_cache[i].at, &user_cache[slot].at) > 0))
      slot = i; /* a free slot, else the oldest */
  }
  if(lookup_user(user, u) != 0)
    return -1;
  if(strlen(user) < sizeof(user_cache[0].name)) {
    snprintf(user_cache[slot].name, sizeof(user_cache[0].name), "%s", user);
    user_cache[slot].ids = *u;
    user_cache[slot].at = now;
  }
  return 0;
}

const char *sandbox_default_user(void)
{
  user_ids u;
  /* only root changes user (sandbox_set_user): an agent that is not root
   * (NRPE's, systemd's DynamicUser) keeps its own for its runs, and a
   * look-up of a name that is not there goes through every NSS module,
   * 0.6 to 1.7 ms with nss-systemd, on each one-shot for nothing */
  if(geteuid() != 0)
    return "nobody";
  return lookup_user_cached("probe-agent", &u) == 0 && u.found ? "probe-agent"
                                                               : "nobody";
}

int sandbox_set_user(sandbox_policy *p, const char *user, char *err,
                     size_t errlen)
{
  user_ids u;
  p->change_user = 0;
  p->ngroups = 0;
  if(geteuid() != 0 || !user || !strcmp(user, "root"))
    return 0;
  if(lookup_user_cached(user, &u) != 0) {
    snprintf(err, errlen, "cannot look user \"%s\" up: %s", user,
             strerror(errno));
    return -1;
  }
  if(!u.found) {
    snprintf(err, errlen, "cannot run as user \"%s\": %s", user,
             u.err ? strerror(u.err) : "no such user");
    return -1;
  }
  if(u.uid == 0) {
    snprintf(err, errlen, "user \"%s\" has uid 0: say \"root\" to run as root",
             user);
    return -1;
  }
  p->uid = u.uid;
  p->gid = u.gid;
  if(u.ngroups < 1 || u.ngroups > SANDBOX_MAX_GROUPS) {
    u.groups[0] = u.gid;
    u.ngroups = 1;
  }
  memcpy(p->groups, u.groups, sizeof(gid_t) * (size_t)u.ngroups);
  p->ngroups = u.ngroups;
  p->change_user = 1;
  return 0;
}

int sandbox_prepare_state(const sandbox_policy *p, const char *base,
                          const char *plugin, char *err, size_t errlen)
{
  struct stat st;
  int bfd = -1, dfd = -1;
  /* root plugins too: a directory that an unprivileged user made (all
   * plugins but root ones share that user) is never handed to root */
  uid_t uid = p->change_user ? p->uid : 0;
  gid_t gid = p->change_user ? p->gid : 0;
  if(!p->enabled || geteuid() != 0 || !base)
    return 0;
  bfd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if(bfd < 0 || fstat(bfd, &st) < 0) {
    snprintf(err, errlen, "state directory %s: %s", base,
             errno == ELOOP || errno == ENOTDIR ? "a link or not a directory"
                                                : strerror(errno));
    goto fail;
  }
  /* a base others can write to (a shared 1777 directory) lets them plant
   * the plugin's directory before its first run, even as the very user
   * the plugins run as: nothing in it is trusted */
  if((st.st_mode & (S_IWGRP | S_IWOTH)) ||
     (st.st_uid != 0 && st.st_uid != geteuid())) {
    snprintf(err, errlen,
             "state directory %s is writable by group or others or not "
             "the agent's (mode %04o, uid %u): shared, so never trusted",
             base, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
    goto fail;
  }
  /* the plugin's user must be able to reach its own directory */
  if(p->change_user && st.st_uid == geteuid() && (st.st_mode & 0011) != 0011 &&
     fchmod(bfd, (st.st_mode & 07777) | 0011) < 0) {
    snprintf(err, errlen, "state directory %s: chmod: %s", base,
             strerror(errno));
    goto fail;
  }
  if(mkdirat(bfd, plugin, 0700) < 0 && errno != EEXIST) {
    snprintf(err, errlen, "state directory %s/%s: %s", base, plugin,
             strerror(errno));
    goto fail;
  }
  dfd = openat(bfd, plugin, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if(dfd < 0 || fstat(dfd, &st) < 0) {
    snprintf(err, errlen, "state directory %s/%s: %s", base, plugin,
             errno == ELOOP || errno == ENOTDIR ? "not a directory (a link?)"
                                                : strerror(errno));
    goto fail;
  }
  /* one that others could write to may hold what they planted: never
   * repaired into trust; the run's own check refuses it and says so */
  if(st.st_mode & (S_IWGRP | S_IWOTH)) {
    snprintf(err, errlen,
             "state directory %s/%s: writable by group or others (mode %03o)",
             base, plugin, (unsigned)(st.st_mode & 0777));
    goto fail;
  }
  if(st.st_uid != geteuid() && st.st_uid != uid) {
    snprintf(err, errlen,
             "state directory %s/%s: owned by uid %u, neither the agent "
             "nor the plugin's user",
             base, plugin, (unsigned)st.st_uid);
    goto fail;
  }
  if((st.st_uid != uid || st.st_gid != gid) && fchown(dfd, uid, gid) < 0) {
    snprintf(err, errlen, "state directory %s/%s: chown: %s", base, plugin,
             strerror(errno));
    goto fail;
  }
  if((st.st_mode & 07777) != 0700 && fchmod(dfd, 0700) < 0) {
    snprintf(err, errlen, "state directory %s/%s: chmod: %s", base, plugin,
             strerror(errno));
    goto fail;
  }
  close(dfd);
  close(bfd);
  return 0;
fail:
  if(dfd >= 0)
    close(dfd);
  if(bfd >= 0)
    close(bfd);
  return -1;
}

/* Sets one limit, soft and hard (hard a little above for CPU, so that the
 * soft one's SIGXCPU comes first). */
static int set_limit(int which, unsigned long long v, unsigned long long slack)
{
  struct rlimit rl = {(rlim_t)v, (rlim_t)(v + slack)};
  return setrlimit(which, &rl);
}

/* Marks every descriptor above 2 close-on-exec: a program a plugin starts
 * inherits nothing, not even the result pipe (issue 11, item 8). */
static void cloexec_all(void)
{
#if defined(HAVE_CLOSE_RANGE) && defined(CLOSE_RANGE_CLOEXEC)
  if(close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return;
#endif
  DIR *d = opendir("/proc/self/fd");
  if(d) {
    int self = dirfd(d);
    struct dirent *e;
    while((e = readdir(d))) {
      int fd = atoi(e->d_name);
      if(fd > 2 && fd != self)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    closedir(d);
    return;
  }
  for(int fd = 3; fd < 4096; fd++)
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* System calls no plugin needs: each one is a way out of the sandbox or
 * into the kernel's rarely used corners. io_uring is here because its
 * operations (socket, openat) bypass the filter. */
static const char *const always_denied[] = {
#ifndef PROBE_SANITIZERS
    /* LeakSanitizer stops the world with ptrace at exit */
    "ptrace",
#endif
    "process_vm_writev",
    "process_vm_readv",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "bpf",
    "reboot",
    "swapon",
    "swapoff",
    "keyctl",
    "add_key",
    "request_key",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "open_by_handle_at",
    "name_to_handle_at",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "sethostname",
    "setdomainname",
    "iopl",
    "ioperm",
    "quotactl",
    "lookup_dcookie",
    "vhangup",
    "fsopen",
    "fsmount",
    "fspick",
    "fsconfig",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "kcmp",
    "pidfd_getfd",
    NULL};

/* Adds "deny with errno" for one call; a call this architecture does not
 * have is skipped. */
static int deny(scmp_filter_ctx f, const char *name, int eno, unsigned n,
                const struct scmp_arg_cmp *cmp)
{
  int nr = seccomp_syscall_resolve_name(name);
  if(nr == __NR_SCMP_ERROR)
    return 0;
  return seccomp_rule_add_array(f, SCMP_ACT_ERRNO((unsigned)eno), nr, n, cmp);
}

/* Default allow, deny what was not declared (robust under the sanitizers,
 * which need calls an allow-list would have to guess). */
static int build_filter(unsigned needs, scmp_filter_ctx *out, char *err,
                        size_t errlen)
{
  scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
  int rc = 0;
  const char *what = "seccomp_init";
  if(!f) {
    snprintf(err, errlen,
             "cannot build the seccomp filter: seccomp_init failed");
    return -1;
  }
  for(const char *const *s = always_denied; *s && rc == 0; s++) {
    what = *s;
    rc = deny(f, *s, EPERM, 0, NULL);
  }
  if(rc == 0) {
    /* personality(0xffffffff) only asks; changing it (e.g. READ_IMPLIES_EXEC) not.
     * Each comparison gives both data words: with one, the struct's
     * datum_b is left out and clang's -Wextra refuses it */
    struct scmp_arg_cmp q = SCMP_A0(SCMP_CMP_NE, 0xffffffffu, 0);
    what = "personality";
    rc = deny(f, "personality", EPERM, 1, &q);
  }
#ifndef PROBE_SANITIZERS
  /* (LeakSanitizer's tracer makes itself dumpable to stop the world) */
  if(rc == 0) {
    /* not dumpable stays so: a core or ptrace would show its secrets */
    struct scmp_arg_cmp cmp[2] = {SCMP_A0(SCMP_CMP_EQ, PR_SET_DUMPABLE, 0),
                                  SCMP_A1(SCMP_CMP_NE, 0, 0)};
    what = "prctl";
    rc = deny(f, "prctl", EPERM, 2, cmp);
  }
#endif
  if(rc == 0 && !(needs & PROBE_NEEDS_NETWORK)) {
    what = "socket";
    rc = deny(f, "socket", EPERM, 0, NULL);
  }
  if(rc == 0 && !(needs & PROBE_NEEDS_PROGRAMS)) {
    /* threads stay: clone with CLONE_THREAD; clone3 hides its flags in
     * memory, so it says ENOSYS and glibc falls back to clone */
#ifdef PROBE_SANITIZERS
    /* LeakSanitizer's tracer is a CLONE_VM process; without execve a
     * process sharing our memory can do nothing a thread could not */
    struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VM, 0);
#else
    struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0);
#endif
    const char *const calls[] = {"execve", "execveat", "fork", "vfork", NULL};
    for(const char *const *s = calls; *s && rc == 0; s++) {
      what = *s;
      rc = deny(f, *s, EPERM, 0, NULL);
    }
    if(rc == 0) {
      what = "clone";
      rc = deny(f, "clone", EPERM, 1, &c);
    }
    if(rc == 0) {
      what = "clone3";
      rc = deny(f, "clone3", ENOSYS, 0, NULL);
    }
  }
  if(rc < 0) {
    seccomp_release(f);
    snprintf(err, errlen, "cannot build the seccomp filter (%s): %s", what,
             strerror(-rc));
    return -1;
  }
  *out = f;
  return 0;
}

/* The compiled filters, one per set of needs: built once in the agent
 * (libseccomp's compiler costs a child about 2 ms, copy-on-write faults
 * included), then only installed by each child. */
static struct {
  struct sock_filter *insns;
  unsigned short len;
} compiled[8];

/* How long libseccomp may take to compile a filter (about 2 ms). */
#define COMPILE_TIMEOUT_MS 10000

/* Compiles the filter for needs into the memfd fd in a child of its own,
 * and waits for it at most COMPILE_TIMEOUT_MS: libseccomp 2.5.4's
 * compiler loops forever when an allocation fails inside it (seen with
 * each allocation of a run failing in turn), and the agent must not hang
 * with it. 0, or -1 with err. */
static int compile_in_child(unsigned needs, int fd, char *err, size_t errlen)
{
  struct timespec tick = {0, 500000};
  int status = 0, why[2];
  pid_t pid, w;
  if(pipe2(why, O_CLOEXEC | O_NONBLOCK) < 0) {
    snprintf(err, errlen, "cannot compile the seccomp filter: pipe: %s",
             strerror(errno));
    return -1;
  }
  fflush(NULL);
  pid = fork();
  if(pid < 0) {
    snprintf(err, errlen, "cannot compile the seccomp filter: fork: %s",
             strerror(errno));
    close(why[0]);
    close(why[1]);
    return -1;
  }
  if(pid == 0) {
    scmp_filter_ctx f;
    char e[256];
    int rc;
    if(build_filter(needs, &f, e, sizeof(e)) < 0) {
      (void)!write(why[1], e, strlen(e));
      _exit(1);
    }
    if((rc = seccomp_export_bpf(f, fd)) < 0) {
      snprintf(e, sizeof(e), "cannot compile the seccomp filter: %s",
               strerror(-rc));
      (void)!write(why[1], e, strlen(e));
      _exit(1);
    }
    _exit(0);
  }
  close(why[1]);
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for(;;) {
    w = waitpid(pid, &status, WNOHANG);
    if(w == pid || (w < 0 && errno != EINTR))
      break;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >=
       COMPILE_TIMEOUT_MS) {
      kill(pid, SIGKILL);
      while(waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
      close(why[0]);
      snprintf(err, errlen,
               "cannot compile the seccomp filter: libseccomp did not finish "
               "in %d s",
               COMPILE_TIMEOUT_MS / 1000);
      return -1;
    }
    nanosleep(&tick, NULL);
  }
  if(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    close(why[0]);
    return 0;
  }
  ssize_t n = errlen > 1 ? read(why[0], err, errlen - 1) : -1;
  close(why[0]);
  if(n > 0)
    err[n] = 0;
  else
    snprintf(err, errlen, "cannot compile the seccomp filter: %s",
             w != pid ? strerror(errno) : "its compiler died");
  return -1;
}

int sandbox_compile(sandbox_policy *p, char *err, size_t errlen)
{
  unsigned k = p->needs & 7u;
  int fd = -1;
  char *buf = NULL;
  off_t len = -1;
  if(!p->enabled || compiled[k].insns)
    goto done;
  fd = memfd_create("probe-seccomp", MFD_CLOEXEC);
  if(fd < 0) {
    snprintf(err, errlen, "cannot compile the seccomp filter: memfd: %s",
             strerror(errno));
    return -1;
  }
  if(compile_in_child(p->needs, fd, err, errlen) < 0) {
    close(fd);
    return -1;
  }
  len = lseek(fd, 0, SEEK_END);
  int sane = len > 0 && len % (off_t)sizeof(struct sock_filter) == 0 &&
             len / (off_t)sizeof(struct sock_filter) <= 65535;
  if(!sane || !(buf = malloc((size_t)len)) ||
     pread(fd, buf, (size_t)len, 0) != len) {
    snprintf(err, errlen, "cannot compile the seccomp filter: %s",
             sane && !buf ? "out of memory" : "bad export");
    free(buf);
    close(fd);
    return -1;
  }
  close(fd);
  compiled[k].insns = (struct sock_filter *)(void *)buf;
  compiled[k].len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
done:
  p->filter = compiled[k].insns;
  p->filter_len = compiled[k].len;
  return 0;
}

/* Installs p's filter (compiled by the parent, or here when it was not). */
static int load_filter(const sandbox_policy *p, char *err, size_t errlen)
{
  if(p->filter) {
    struct sock_fprog prog = {p->filter_len, (struct sock_filter *)p->filter};
    if(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) {
      snprintf(err, errlen, "cannot install the seccomp filter: %s",
               strerror(errno));
      return -1;
    }
    return 0;
  }
  scmp_filter_ctx f;
  if(build_filter(p->needs, &f, err, errlen) < 0)
    return -1;
  int rc = seccomp_load(f);
  seccomp_release(f);
  if(rc < 0) {
    snprintf(err, errlen, "cannot install the seccomp filter: %s",
             strerror(-rc));
    return -1;
  }
  return 0;
}

/* PROBE_AGENT_SANDBOX_DEBUG=1: one line on standard error (the agent's,
 * prefixed with the plugin) of how the sandbox looks from inside. */
static void debug_report(void)
{
  char line[256], msg[512] = "";
  size_t len = 0;
  FILE *f = fopen("/proc/self/status", "r");
  if(!f)
    return;
  while(fgets(line, sizeof(line), f)) {
    static const char *const keys[] = {"Uid:", "Gid:", "NoNewPrivs:",
                                       "Seccomp:", NULL};
    for(const char *const *k = keys; *k; k++)
      if(!strncmp(line, *k, strlen(*k)) && len < sizeof(msg)) {
        line[strcspn(line, "\n")] = '\0';
        for(char *t = line; *t; t++)
          if(*t == '\t')
            *t = ' ';
        len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s",
                                len ? "; " : "", line);
      }
  }
  fclose(f);
  fprintf(stderr, "sandbox: %s; Dumpable: %d\n", msg,
          prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  fflush(stderr);
}

int sandbox_enter(const sandbox_policy *p, char *err, size_t errlen)
{
  if(!p->enabled)
    return 0;
  if(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    snprintf(err, errlen, "sandbox: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
    return -1;
  }
  if(set_limit(RLIMIT_CORE, 0, 0) < 0 ||
#ifndef PROBE_SANITIZERS
     /* AddressSanitizer reserves terabytes of address space */
     (p->memory_bytes && set_limit(RLIMIT_AS, p->memory_bytes, 0) < 0) ||
#endif
     (p->cpu_s && set_limit(RLIMIT_CPU, p->cpu_s, 5) < 0) ||
     (p->processes && set_limit(RLIMIT_NPROC, p->processes, 0) < 0)) {
    snprintf(err, errlen, "sandbox: setrlimit: %s", strerror(errno));
    return -1;
  }
  if(p->change_user) {
    if(setgroups((size_t)p->ngroups, p->groups) < 0 ||
       setresgid(p->gid, p->gid, p->gid) < 0 ||
       setresuid(p->uid, p->uid, p->uid) < 0) {
      snprintf(err, errlen, "sandbox: cannot become uid %u: %s",
               (unsigned)p->uid, strerror(errno));
      return -1;
    }
    if(setuid(0) == 0 || getuid() != p->uid || geteuid() != p->uid ||
       getegid() != p->gid) {
      snprintf(err, errlen, "sandbox: the change to uid %u did not hold",
               (unsigned)p->uid);
      return -1;
    }
  }
  /* a change of credentials clears both: set them after it */
  if(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
     prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
    snprintf(err, errlen, "sandbox: prctl: %s", strerror(errno));
    return -1;
  }
  if(p->parent > 0 && getppid() != p->parent) {
    snprintf(err, errlen, "sandbox: the agent ended before its plugin started");
    return -1;
  }
  cloexec_all();
  if(load_filter(p, err, errlen) < 0)
    return -1;
  const char *dbg = getenv("PROBE_AGENT_SANDBOX_DEBUG");
  if(dbg && *dbg && strcmp(dbg, "0"))
    debug_report();
  return 0;
}
