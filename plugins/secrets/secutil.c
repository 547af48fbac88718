/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secutil.c: secret values, their files' rotation times, keyed
 * fingerprints, Ethereum keys, and scans of working trees and git history
 * for the secrets plugin. Values live only in sec_value buffers, wiped
 * with OPENSSL_cleanse on free; nothing here writes a value anywhere.
 */
#include "config.h"

#include "lib/fileio.h"
#include "plugins/common/putil.h"
#include "crypto/hex.h"
#include "plugins/secrets/secutil.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define MAX_SCAN_FILE (16u * 1024u * 1024u)
#define MAX_TREE_FILES 200000u
#define MAX_DEPTH 64
#define GIT_CHUNK 65536
#define GIT_MAX_LINE (1024u * 1024u)

const char *sec_strerror(sec_err e)
{
  switch(e) {
  case SEC_OK: return "ok";
  case SEC_ERR_NOMEM: return "out of memory";
  case SEC_ERR_NOENT: return "missing";
  case SEC_ERR_ACCESS: return "not readable";
  case SEC_ERR_IO: return "read error";
  case SEC_ERR_TOO_LARGE: return "too large";
  case SEC_ERR_NOTFILE: return "not a regular file";
  case SEC_ERR_STATE: return "state directory problem";
  case SEC_ERR_GIT: return "git failed";
  case SEC_ERR_TIMEOUT: return "timed out";
  case SEC_ERR_LINK: return "a link out of its directory (not followed)";
  }
  return "unknown error";
}

/* errno of an open/read failure to our codes. */
static sec_err from_errno(int e)
{
  if(e == ENOENT || e == ENOTDIR)
    return SEC_ERR_NOENT;
  if(e == EACCES || e == EPERM)
    return SEC_ERR_ACCESS;
  return SEC_ERR_IO;
}

/* Drops trailing CR/LF (files written with echo, editors). */
static void trim_eol(sec_value *v)
{
  while(v->len > 0 && (v->p[v->len - 1] == '\n' || v->p[v->len - 1] == '\r')) {
    v->len--;
    v->p[v->len] = 0;
  }
}

void sec_value_free(sec_value *v)
{
  if(v->p) {
    OPENSSL_cleanse(v->p, v->len + 1);
    free(v->p);
  }
  v->p = NULL;
  v->len = 0;
}

sec_err sec_value_set(sec_value *out, const char *s, size_t len)
{
  out->p = NULL;
  out->len = 0;
  if(len > SEC_MAX_VALUE)
    return SEC_ERR_TOO_LARGE;
  out->p = malloc(len + 1);
  if(!out->p)
    return SEC_ERR_NOMEM;
  memcpy(out->p, s, len);
  out->p[len] = 0;
  out->len = len;
  trim_eol(out);
  return SEC_OK;
}

/* Opens a secret file the way sec_read_file_st describes; -1 with err. */
static int open_secret(const char *path, sec_err *rc, char *err, size_t errlen)
{
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
  struct stat lst, dst;
  int dfd, fd;
  if(slash == path)
    snprintf(dir, sizeof dir, "/");
  else if(slash)
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  else
    snprintf(dir, sizeof dir, ".");
  if(!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
    putil_seterr(err, errlen, "%s: not a regular file", path);
    *rc = SEC_ERR_NOTFILE;
    return -1;
  }
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if(dfd < 0) {
    int e = errno;
    putil_seterr(err, errlen, "%s: %s", path, strerror(e));
    *rc = from_errno(e);
    return -1;
  }
  if(fstatat(dfd, base, &lst, AT_SYMLINK_NOFOLLOW) != 0) {
    int e = errno;
    close(dfd);
    putil_seterr(err, errlen, "%s: %s", path, strerror(e));
    *rc = from_errno(e);
    return -1;
  }
  if(!S_ISLNK(lst.st_mode)) {
    fd = openat(dfd, base,
                O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
  }
  else if(fstat(dfd, &dst) != 0 ||
          (lst.st_uid != 0 && lst.st_uid != dst.st_uid)) {
    close(dfd);
    putil_seterr(
        err, errlen,
        "%s: a link owned by uid %u, neither root nor the owner of its "
        "directory: not followed",
        path, (unsigned)lst.st_uid);
    *rc = SEC_ERR_LINK;
    return -1;
  }
  else {
    fd = fileio_openat_beneath(dfd, dir, base);
  }
  if(fd < 0) {
    int e = errno;
    close(dfd);
    if(e == EXDEV || e == ELOOP) {
      putil_seterr(err, errlen,
                   "%s: a link that leads out of its directory: not followed",
                   path);
      *rc = SEC_ERR_LINK;
    }
    else {
      putil_seterr(err, errlen, "%s: %s", path, strerror(e));
      *rc = from_errno(e);
    }
    return -1;
  }
  close(dfd);
  return fd;
}

sec_err sec_read_file(const char *path, sec_value *out, char *err,
                      size_t errlen)
{
  return sec_read_file_st(path, out, NULL, err, errlen);
}

sec_err sec_read_file_st(const char *path, sec_value *out, struct stat *stout,
                         char *err, size_t errlen)
{
  int fd;
  struct stat st;
  size_t cap = SEC_MAX_VALUE + 1;
  sec_err orc = SEC_ERR_IO;
  out->p = NULL;
  out->len = 0;
  fd = open_secret(path, &orc, err, errlen);
  if(fd < 0)
    return orc;
  if(fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    putil_seterr(err, errlen, "%s: not a regular file", path);
    return SEC_ERR_NOTFILE;
  }
  if(stout)
    *stout = st;
  out->p = malloc(cap + 1);
  if(!out->p) {
    close(fd);
    return SEC_ERR_NOMEM;
  }
  for(;;) {
    ssize_t n = read(fd, out->p + out->len, cap - out->len);
    if(n < 0 && errno == EINTR)
      continue;
    if(n < 0) {
      int e = errno;
      close(fd);
      sec_value_free(out);
      putil_seterr(err, errlen, "%s: %s", path, strerror(e));
      return from_errno(e);
    }
    if(n == 0)
      break;
    out->len += (size_t)n;
    if(out->len >= cap) {
      close(fd);
      sec_value_free(out);
      putil_seterr(err, errlen, "%s: larger than %u bytes", path,
                   SEC_MAX_VALUE);
      return SEC_ERR_TOO_LARGE;
    }
  }
  close(fd);
  out->p[out->len] = 0;
  trim_eol(out);
  return SEC_OK;
}

sec_err sec_file_info(const char *path, sec_fileinfo *fi, char *err,
                      size_t errlen)
{
  struct stat lst, st, dst;
  char dir[PATH_MAX], link[PATH_MAX], data[PATH_MAX + 8];
  const char *slash;
  ssize_t ln;
  memset(fi, 0, sizeof *fi);
  if(lstat(path, &lst) != 0 || stat(path, &st) != 0) {
    int e = errno;
    putil_seterr(err, errlen, "%s: %s", path, strerror(e));
    return from_errno(e);
  }
  fi->mode = st.st_mode;
  fi->uid = st.st_uid;
  fi->gid = st.st_gid;
  fi->dev = st.st_dev;
  fi->ino = st.st_ino;
  fi->rotated = st.st_mtime;
  slash = strrchr(path, '/');
  if(slash)
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  else
    snprintf(dir, sizeof dir, ".");
  if(!dir[0])
    snprintf(dir, sizeof dir, "/");
  snprintf(data, sizeof data, "%s/..data", dir);
  ln = S_ISLNK(lst.st_mode) ? readlink(path, link, sizeof link - 1) : -1;
  if(ln >= 0)
    link[ln] = 0;
  if((ln >= 7 && strncmp(link, "..data/", 7) == 0) ||
     (lstat(data, &dst) == 0 && S_ISLNK(dst.st_mode))) {
    if(lstat(data, &dst) == 0) {
      fi->k8s = 1;
      fi->rotated = dst.st_mtime;
    }
  }
  return SEC_OK;
}

int sec_fingerprint(const uint8_t key[32], const sec_value *v, char hex[65])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if(!HMAC(EVP_sha256(), key, 32, v->p ? v->p : (const unsigned char *)"",
           v->len, md, &mdlen) ||
     mdlen != 32)
    return -1;
  crypto_hex_encode(md, 32, hex);
  OPENSSL_cleanse(md, sizeof md);
  return 0;
}

int sec_eth_parse_key(const sec_value *v, uint8_t priv[32])
{
  size_t b = 0, e = v->len;
  while(b < e && isspace(v->p[b]))
    b++;
  while(e > b && isspace(v->p[e - 1]))
    e--;
  /* crypto_hex_decode takes the 0x and wants exactly 64 digits */
  if(crypto_hex_decode((const char *)v->p + b, e - b, priv, 32) != 0) {
    OPENSSL_cleanse(priv, 32);
    return -1;
  }
  return 0;
}

/* --- scanning ----------------------------------------------------------- */

/* First occurrence of needle in hay (case-insensitively when asked). */
static const unsigned char *find(const unsigned char *hay, size_t hlen,
                                 const sec_needle *n)
{
  size_t i;
  if(n->len == 0 || hlen < n->len)
    return NULL;
  if(!n->icase)
    return memmem(hay, hlen, n->p, n->len);
  for(i = 0; i + n->len <= hlen; i++)
    if(tolower(hay[i]) == tolower(n->p[0]) &&
       strncasecmp((const char *)hay + i, (const char *)n->p, n->len) == 0)
      return hay + i;
  return NULL;
}

/* Records one hit (bounded). */
static sec_err add_hit(sec_scan *res, size_t needle, const char *file,
                       long line, const char *commit)
{
  sec_hit *h;
  size_t i;
  /* one hit per (needle, file, commit) */
  for(i = 0; i < res->n; i++)
    if(res->hits[i].needle == needle && !strcmp(res->hits[i].file, file) &&
       !strcmp(res->hits[i].commit, commit ? commit : ""))
      return SEC_OK;
  if(res->n >= SEC_MAX_HITS) {
    res->truncated = 1;
    return SEC_OK;
  }
  if(res->n == res->cap) {
    size_t nc = res->cap ? res->cap * 2 : 16;
    sec_hit *nh = realloc(res->hits, nc * sizeof *nh);
    if(!nh)
      return SEC_ERR_NOMEM;
    res->hits = nh;
    res->cap = nc;
  }
  h = &res->hits[res->n];
  h->file = strdup(file);
  if(!h->file)
    return SEC_ERR_NOMEM;
  h->needle = needle;
  h->line = line;
  snprintf(h->commit, sizeof h->commit, "%s", commit ? commit : "");
  res->n++;
  return SEC_OK;
}

void sec_scan_free(sec_scan *res)
{
  size_t i;
  for(i = 0; i < res->n; i++)
    free(res->hits[i].file);
  free(res->hits);
  memset(res, 0, sizeof *res);
}

/* Reads a whole file (bounded); -1 when skipped. */
static int slurp(int dirfd, const char *name, unsigned char **buf, size_t *len)
{
  int fd = openat(dirfd, name,
                  O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  struct stat st;
  size_t got = 0;
  if(fd < 0)
    return -1;
  if(fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
     (size_t)st.st_size > MAX_SCAN_FILE) {
    close(fd);
    return -1;
  }
  *buf = malloc((size_t)st.st_size + 1);
  if(!*buf) {
    close(fd);
    return -1;
  }
  while(got < (size_t)st.st_size) {
    ssize_t n = read(fd, *buf + got, (size_t)st.st_size - got);
    if(n < 0 && errno == EINTR)
      continue;
    if(n <= 0)
      break;
    got += (size_t)n;
  }
  close(fd);
  *len = got;
  return 0;
}

/* Line number (1-based) of position pos in buf. */
static long line_of(const unsigned char *buf, size_t pos)
{
  long l = 1;
  size_t i;
  for(i = 0; i < pos; i++)
    if(buf[i] == '\n')
      l++;
  return l;
}

/* Recursive walk below dirfd (rel: path relative to the root). */
static sec_err walk(int dfd, const char *rel, int depth, const sec_needle *nd,
                    size_t nn, const dev_t *sd, const ino_t *si, size_t ns,
                    double deadline, sec_scan *res)
{
  DIR *d;
  struct dirent *de;
  sec_err rc = SEC_OK;
  if(depth > MAX_DEPTH) {
    res->truncated = 1;
    return SEC_OK;
  }
  d = fdopendir(dfd);
  if(!d) {
    close(dfd);
    return SEC_OK;
  }
  while((de = readdir(d)) != NULL) {
    struct stat st;
    char path[PATH_MAX];
    size_t i;
    if(!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
       !strcmp(de->d_name, ".git"))
      continue;
    if(putil_now() > deadline) {
      rc = SEC_ERR_TIMEOUT;
      break;
    }
    if(fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    snprintf(path, sizeof path, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
    if(S_ISDIR(st.st_mode)) {
      int fd = openat(dirfd(d), de->d_name,
                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if(fd < 0)
        continue;
      rc = walk(fd, path, depth + 1, nd, nn, sd, si, ns, deadline, res);
      if(rc != SEC_OK)
        break;
    }
    else if(S_ISREG(st.st_mode)) {
      unsigned char *buf = NULL;
      size_t len = 0, k;
      int skip = 0;
      for(k = 0; k < ns; k++)
        if(sd[k] == st.st_dev && si[k] == st.st_ino)
          skip = 1;
      if(skip)
        continue;
      if(res->files_scanned >= MAX_TREE_FILES) {
        res->truncated = 1;
        break;
      }
      if(slurp(dirfd(d), de->d_name, &buf, &len) != 0)
        continue;
      res->files_scanned++;
      for(i = 0; i < nn && rc == SEC_OK; i++) {
        const unsigned char *hit = find(buf, len, &nd[i]);
        if(hit)
          rc = add_hit(res, i, path, line_of(buf, (size_t)(hit - buf)), NULL);
      }
      OPENSSL_cleanse(buf, len);
      free(buf);
      if(rc != SEC_OK)
        break;
    }
  }
  closedir(d);
  return rc;
}

sec_err sec_scan_tree(const char *root, const sec_needle *nd, size_t nn,
                      const dev_t *skip_dev, const ino_t *skip_ino,
                      size_t nskip, double deadline, sec_scan *res, char *err,
                      size_t errlen)
{
  int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  sec_err rc;
  if(fd < 0) {
    int e = errno;
    putil_seterr(err, errlen, "%s: %s", root, strerror(e));
    return from_errno(e);
  }
  rc = walk(fd, "", 0, nd, nn, skip_dev, skip_ino, nskip, deadline, res);
  if(rc == SEC_ERR_TIMEOUT)
    putil_seterr(err, errlen, "%s: scan timed out", root);
  return rc;
}

/* State of the git log parser. */
typedef struct gitp {
  char commit[41];
  char file[PATH_MAX];
  int in_add;   /* the current (possibly split) line is an added line */
  int at_start; /* the next byte starts a line */
} gitp;

/* Handles one complete line (or a piece of a long one) of git log -p. */
static sec_err git_line(gitp *g, const unsigned char *l, size_t len, int start,
                        const sec_needle *nd, size_t nn, sec_scan *res)
{
  size_t i;
  if(start) {
    g->in_add = 0;
    if(len == 47 && !memcmp(l, "commit ", 7)) {
      memcpy(g->commit, l + 7, 40);
      g->commit[40] = 0;
      res->commits_scanned++;
      return SEC_OK;
    }
    if(len >= 6 && !memcmp(l, "+++ b/", 6)) {
      snprintf(g->file, sizeof g->file, "%.*s", (int)(len - 6),
               (const char *)l + 6);
      return SEC_OK;
    }
    if(len >= 4 && !memcmp(l, "+++ ", 4))
      return SEC_OK;
    if(len >= 6 && !memcmp(l, "--- a/", 6)) {
      snprintf(g->file, sizeof g->file, "%.*s", (int)(len - 6),
               (const char *)l + 6);
      return SEC_OK;
    }
    if(len >= 4 && !memcmp(l, "diff", 4))
      return SEC_OK;
    g->in_add = len > 0 && l[0] == '+';
  }
  if(!g->in_add || !g->commit[0])
    return SEC_OK;
  for(i = 0; i < nn; i++)
    if(find(l, len, &nd[i])) {
      sec_err rc = add_hit(res, i, g->file[0] ? g->file : "?", 0, g->commit);
      if(rc != SEC_OK)
        return rc;
    }
  return SEC_OK;
}

/*
 * git runs as root on a repository that someone else may control, so
 * nothing the repository (or a home directory) configures may make it run
 * a program. Config cannot be switched off for $GIT_DIR/config itself, so:
 * - system and global config are not read (GIT_CONFIG_NOSYSTEM,
 *   GIT_CONFIG_GLOBAL=/dev/null, a clean environment with HOME=/nonexistent);
 * - every key that runs a program during `git log -p` is overridden with -c,
 *   which wins over the repository's config and anything it includes
 *   (include.path / includeIf cannot be disabled, only outvoted):
 *   log.showSignature and gpg.*program (signature checks), core.fsmonitor,
 *   core.hooksPath, core.pager / pager.log, diff.external, core.sshCommand,
 *   core.gitProxy, core.askPass, credential.helper, protocol.allow=never and
 *   GIT_NO_LAZY_FETCH (a partial clone would fetch missing blobs through a
 *   transport), core.alternateRefsCommand, uploadpack.packObjectsHook;
 * - the options --no-show-signature, --no-ext-diff (diff.<driver>.command
 *   from .gitattributes) and --no-textconv (diff.<driver>.textconv);
 * - replace refs ignored (GIT_NO_REPLACE_OBJECTS) so history cannot be
 *   swapped, optional locks off (GIT_OPTIONAL_LOCKS=0: the scan writes
 *   nothing), no terminal prompt;
 * - safe.directory names only the repository configured, so that git
 *   scans it whoever owns it (it reads, with the overrides above);
 * - standard input /dev/null, standard error /dev/null, every other
 *   descriptor closed (the plugin's result descriptor too), signals reset.
 * Never returns.
 */
static void git_child(const char *root, int outfd)
{
  static const char *const envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin",
                                     "HOME=/nonexistent",
                                     "LC_ALL=C",
                                     "GIT_CONFIG_NOSYSTEM=1",
                                     "GIT_CONFIG_GLOBAL=/dev/null",
                                     "GIT_ATTR_NOSYSTEM=1",
                                     "GIT_TERMINAL_PROMPT=0",
                                     "GIT_OPTIONAL_LOCKS=0",
                                     "GIT_NO_LAZY_FETCH=1",
                                     "GIT_NO_REPLACE_OBJECTS=1",
                                     "GIT_PAGER=cat",
                                     "PAGER=cat",
                                     "GIT_ASKPASS=/bin/false",
                                     "SSH_ASKPASS=/bin/false",
                                     "GIT_SSH_COMMAND=/bin/false",
                                     NULL};
  char safe[PATH_MAX + 32];
  const char *argv[64];
  int n = 0, devnull = open("/dev/null", O_RDWR);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  if(outfd != 1) {
    if(dup2(outfd, 1) < 0)
      _exit(126);
  }
  else if(fcntl(1, F_SETFD, 0) < 0)
    _exit(126);
  if(devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 2) < 0)
    _exit(126);
#ifdef HAVE_CLOSE_RANGE
  if(close_range(3, ~0U, 0) != 0)
#endif
  {
    for(int fd = 3; fd < 65536; fd++)
      close(fd);
  }
  snprintf(safe, sizeof safe, "safe.directory=%s", root);
  argv[n++] = "git";
  argv[n++] = "--no-pager";
  argv[n++] = "-c";
  argv[n++] = safe;
  argv[n++] = "-c";
  argv[n++] = "log.showSignature=false";
  argv[n++] = "-c";
  argv[n++] = "gpg.program=/bin/false";
  argv[n++] = "-c";
  argv[n++] = "gpg.openpgp.program=/bin/false";
  argv[n++] = "-c";
  argv[n++] = "gpg.x509.program=/bin/false";
  argv[n++] = "-c";
  argv[n++] = "gpg.ssh.program=/bin/false";
  argv[n++] = "-c";
  argv[n++] = "core.fsmonitor=false";
  argv[n++] = "-c";
  argv[n++] = "core.hooksPath=/dev/null";
  argv[n++] = "-c";
  argv[n++] = "core.pager=cat";
  argv[n++] = "-c";
  argv[n++] = "pager.log=false";
  argv[n++] = "-c";
  argv[n++] = "diff.external=";
  argv[n++] = "-c";
  argv[n++] = "core.sshCommand=/bin/false";
  argv[n++] = "-c";
  argv[n++] = "core.gitProxy=";
  argv[n++] = "-c";
  argv[n++] = "core.askPass=/bin/false";
  argv[n++] = "-c";
  argv[n++] = "credential.helper=";
  argv[n++] = "-c";
  argv[n++] = "protocol.allow=never";
  argv[n++] = "-c";
  argv[n++] = "core.alternateRefsCommand=";
  argv[n++] = "-c";
  argv[n++] = "uploadpack.packObjectsHook=";
  argv[n++] = "-C";
  argv[n++] = root;
  argv[n++] = "log";
  argv[n++] = "-p";
  argv[n++] = "--all";
  argv[n++] = "--no-color";
  argv[n++] = "--no-show-signature";
  argv[n++] = "--no-ext-diff";
  argv[n++] = "--no-textconv";
  argv[n++] = "--format=commit %H";
  argv[n] = NULL;
  execvpe("git", (char *const *)argv, (char *const *)envp);
  _exit(127);
}

/* Starts git_child with its output on a pipe: *rfd the read end.
 * SEC_OK, or SEC_ERR_GIT with err. */
static sec_err spawn_git(const char *root, pid_t *pid, int *rfd, char *err,
                         size_t errlen)
{
  int pfd[2];
  if(pipe2(pfd, O_CLOEXEC) != 0) {
    putil_seterr(err, errlen, "pipe: %s", strerror(errno));
    return SEC_ERR_GIT;
  }
  *pid = fork();
  if(*pid < 0) {
    close(pfd[0]);
    close(pfd[1]);
    putil_seterr(err, errlen, "fork: %s", strerror(errno));
    return SEC_ERR_GIT;
  }
  if(*pid == 0)
    git_child(root, pfd[1]);
  close(pfd[1]);
  *rfd = pfd[0];
  return SEC_OK;
}

/* Waits (until deadline) for git's output and appends a piece of it to
 * buf; *eof set at its end. 1 when something was read or the end came, 0
 * when nothing yet (call again), -1 when the deadline passed. */
static int read_piece(int fd, unsigned char *buf, size_t *have, size_t cap,
                      double deadline, int *eof)
{
  struct pollfd p = {fd, POLLIN, 0};
  double left = deadline - putil_now();
  if(left <= 0)
    return -1;
  int pr = poll(&p, 1, (int)(left * 1000) + 1);
  if((pr < 0 && errno == EINTR) || pr == 0)
    return 0;
  ssize_t n =
      read(fd, buf + *have, cap - *have < GIT_CHUNK ? cap - *have : GIT_CHUNK);
  if(n < 0 && errno == EINTR)
    return 0;
  if(n <= 0)
    *eof = 1;
  else
    *have += (size_t)n;
  return 1;
}

/* Searches the complete lines in buf (the rest too at eof; a piece of a
 * line longer than GIT_MAX_LINE, keeping an overlap of the longest
 * needle less one byte) and moves what is left to the front. */
static sec_err scan_lines(gitp *g, unsigned char *buf, size_t *have, int eof,
                          size_t maxn, const sec_needle *nd, size_t nn,
                          sec_scan *res)
{
  unsigned char *nl;
  size_t start = 0;
  sec_err rc;
  while((nl = memchr(buf + start, '\n', *have - start)) != NULL) {
    size_t len = (size_t)(nl - (buf + start));
    rc = git_line(g, buf + start, len, g->at_start, nd, nn, res);
    g->at_start = 1;
    start += len + 1;
    if(rc != SEC_OK)
      return rc;
  }
  if(eof && start < *have) {
    rc = git_line(g, buf + start, *have - start, g->at_start, nd, nn, res);
    start = *have;
    if(rc != SEC_OK)
      return rc;
  }
  else if(*have - start >= GIT_MAX_LINE) {
    size_t keep = maxn > 0 ? maxn - 1 : 0;
    rc = git_line(g, buf + start, *have - start, g->at_start, nd, nn, res);
    if(rc != SEC_OK)
      return rc;
    g->at_start = 0;
    start = *have - keep;
  }
  memmove(buf, buf + start, *have - start);
  *have -= start;
  return SEC_OK;
}

/* Ends git (killed when the scan failed), reaps it and turns its exit
 * into the scan's outcome, with err. */
static sec_err finish_git(pid_t pid, int rfd, sec_err rc, const char *root,
                          char *err, size_t errlen)
{
  int status = 0;
  close(rfd);
  if(rc != SEC_OK)
    kill(pid, SIGKILL);
  while(waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if(rc == SEC_ERR_TIMEOUT) {
    putil_seterr(err, errlen, "git history of %s: scan timed out", root);
  }
  else if(rc == SEC_OK && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
    if(WIFEXITED(status) && WEXITSTATUS(status) == 127)
      putil_seterr(err, errlen, "git is not installed");
    else
      putil_seterr(err, errlen, "git log in %s failed (not a git repository?)",
                   root);
    rc = SEC_ERR_GIT;
  }
  return rc;
}

/* git log -p of every ref, searched line by line: spawn, read and scan
 * until the end or the deadline, finish. */
sec_err sec_scan_git(const char *root, const sec_needle *nd, size_t nn,
                     double deadline, sec_scan *res, char *err, size_t errlen)
{
  size_t have = 0, cap = GIT_MAX_LINE + GIT_CHUNK, maxn = 0;
  gitp g;
  int eof = 0, rfd = -1;
  pid_t pid;

  memset(&g, 0, sizeof g);
  g.at_start = 1;
  for(size_t i = 0; i < nn; i++)
    if(nd[i].len > maxn)
      maxn = nd[i].len;
  sec_err rc = spawn_git(root, &pid, &rfd, err, errlen);
  if(rc != SEC_OK)
    return rc;
  unsigned char *buf = malloc(cap);
  if(!buf)
    rc = SEC_ERR_NOMEM;
  while(buf && (!eof || have > 0)) {
    if(!eof) {
      int r = read_piece(rfd, buf, &have, cap, deadline, &eof);
      if(r < 0) {
        rc = SEC_ERR_TIMEOUT;
        break;
      }
      if(r == 0)
        continue;
    }
    rc = scan_lines(&g, buf, &have, eof, maxn, nd, nn, res);
    if(rc != SEC_OK || eof)
      break;
  }
  rc = finish_git(pid, rfd, rc, root, err, errlen);
  if(buf) {
    OPENSSL_cleanse(buf, cap);
    free(buf);
  }
  return rc;
}
