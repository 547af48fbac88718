/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secutil.h: the secrets plugin's handling of secret values, apart from the
 * agent so unit tests drive it: bounded reading (values wiped on free),
 * where a secret's rotation time comes from (a Kubernetes secret volume's
 * ..data link, else the file's mtime), keyed fingerprints (HMAC-SHA-256
 * under a random key of the state directory), Ethereum private keys, and
 * the scan of working trees and git history for configured values.
 *
 * No function here ever puts a secret value, a piece of it or a plain hash
 * of it into an error message or any other output.
 */
#ifndef PLUGINS_SECRETS_SECUTIL_H
#define PLUGINS_SECRETS_SECUTIL_H

#include <stddef.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* The one error enum of the secrets plugin. */
typedef enum sec_err {
  SEC_OK = 0,
  SEC_ERR_NOMEM,
  SEC_ERR_NOENT,     /* no such file */
  SEC_ERR_ACCESS,    /* not readable by the probe */
  SEC_ERR_IO,        /* other read error */
  SEC_ERR_TOO_LARGE, /* over the size limit */
  SEC_ERR_NOTFILE,   /* not a regular file */
  SEC_ERR_STATE,     /* state directory problem */
  SEC_ERR_GIT,       /* git could not be run or failed */
  SEC_ERR_TIMEOUT,
  SEC_ERR_LINK /* a link that leaves its directory, or not trusted */
} sec_err;

const char *sec_strerror(sec_err e);

/* Largest secret read (bytes). */
#define SEC_MAX_VALUE (64u * 1024u)

/* A secret value: malloc'd, wiped and freed by sec_value_free. */
typedef struct sec_value {
  unsigned char *p;
  size_t len;
} sec_value;

/* Reads a secret file (at most SEC_MAX_VALUE bytes), trailing CR/LF
 * removed. err never holds any of the content. The probe runs as root, so
 * a link is followed only while it stays inside the file's directory (a
 * Kubernetes secret volume: key -> ..data/key, ..data -> ..<timestamp>)
 * and only when the link is owned by root or by the directory's owner;
 * anything else is SEC_ERR_LINK, never read. When st is not NULL it gets
 * fstat() of the file read (mode, owner: checked on the descriptor). */
sec_err sec_read_file_st(const char *path, sec_value *out, struct stat *st,
                         char *err, size_t errlen);
sec_err sec_read_file(const char *path, sec_value *out, char *err,
                      size_t errlen);

/* Copies a value (an environment variable's), trailing CR/LF removed. */
sec_err sec_value_set(sec_value *out, const char *s, size_t len);

/* Wipes and frees. */
void sec_value_free(sec_value *v);

/* Where a secret file's rotation time comes from, and its mode/owner. */
typedef struct sec_fileinfo {
  int k8s;        /* 1: a Kubernetes secret volume (..data link) */
  time_t rotated; /* mtime of the ..data link, else of the file */
  mode_t mode;    /* of the file the path resolves to */
  uid_t uid;
  gid_t gid;
  dev_t dev;
  ino_t ino;
} sec_fileinfo;

/* Fills fi for path. A path is taken as a Kubernetes secret volume entry
 * when it is a symlink into "..data/" or its folder holds a "..data"
 * symlink; the rotation time is then lstat() of that link. */
sec_err sec_file_info(const char *path, sec_fileinfo *fi, char *err,
                      size_t errlen);

/* HMAC-SHA-256 of the value under key, as 64 hex digits. 0 or -1. */
int sec_fingerprint(const uint8_t key[32], const sec_value *v, char hex[65]);

/* Parses a secp256k1 private key: 64 hex digits, optional 0x, surrounding
 * white space ignored. 0, or -1 when it is not one. */
int sec_eth_parse_key(const sec_value *v, uint8_t priv[32]);

/* --- scanning repositories -------------------------------------------- */

/* One value looked for (not owned). */
typedef struct sec_needle {
  const unsigned char *p;
  size_t len;
  int icase; /* hex keys: any letter case */
} sec_needle;

/* One place a value was found. */
typedef struct sec_hit {
  size_t needle;   /* index into the needles */
  char *file;      /* relative to the scanned root */
  long line;       /* 1-based; 0 when unknown */
  char commit[41]; /* "" for the working tree */
} sec_hit;

typedef struct sec_scan {
  sec_hit *hits;
  size_t n, cap;
  size_t files_scanned, commits_scanned;
  int truncated; /* a bound was reached */
} sec_scan;

/* Most hits kept per scan. */
#define SEC_MAX_HITS 200

/* Walks root (not following symlinks, skipping .git and files over
 * 16 MiB, and files whose (dev, ino) is in skip) for the needles. */
sec_err sec_scan_tree(const char *root, const sec_needle *nd, size_t nn,
                      const dev_t *skip_dev, const ino_t *skip_ino,
                      size_t nskip, double deadline, sec_scan *res, char *err,
                      size_t errlen);

/* Runs `git log -p --all` in root (no pager, no external diff or
 * textconv) and records each commit whose added lines hold a needle. */
sec_err sec_scan_git(const char *root, const sec_needle *nd, size_t nn,
                     double deadline, sec_scan *res, char *err, size_t errlen);

void sec_scan_free(sec_scan *res);

#endif
