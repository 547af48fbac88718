/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256many.c: many short messages hashed together (see sha256many.h).
 * With Intel's multi-buffer crypto library (intel-ipsec-mb) the messages
 * queued are handed to its job manager, which hashes one per lane (SHA-NI
 * lanes where the CPU has them, else the vector lanes its CPU check
 * picks): the hashing is theirs, not ours. Without it, each message is
 * hashed as it comes: by sha256c.c's SHA extensions where the CPU has
 * them (1.0 GB/s on 380-byte messages against EVP's 0.66-0.74 on a
 * first-generation EPYC, measured), else through OpenSSL's EVP, which has
 * code for other CPUs' hashing instructions (ARMv8's, say).
 * A build with the library links no OpenSSL here: on a CPU it has no code
 * for, and for CRYPTO_SHA256_SERIAL, messages go through sha256c.c instead
 * (the SHA extensions, or portable C), so that the ledger plugin maps one
 * crypto library (OpenSSL's loading was a millisecond of a one-shot run,
 * measured); so do CRYPTO_SHA256_FEW's where the SHA extensions are there.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_IPSEC_MB
#include <intel-ipsec-mb.h>
#endif

#include "crypto/sha256c.h"
#include "crypto/sha256many.h"
#ifndef HAVE_IPSEC_MB
#include "crypto/sha256.h"
#endif

#ifdef HAVE_IPSEC_MB
/* What the queue holds between runs: 64 messages in a 64 KiB arena keep
 * every lane of the widest manager (16) busy and fit in L2. A message
 * longer than MANY_LONG is hashed at once by the library's one-buffer
 * function: its jobs refuse 65,535 bytes and more (1.3, measured), and a
 * long message gains nothing from lanes. */
#define MANY_QUEUE 64
#define MANY_ARENA (64 * 1024)
#define MANY_LONG (16 * 1024)

typedef struct queued {
  size_t off, len;
  uint8_t *out;
} queued;
#endif

struct crypto_sha256_many {
#ifndef HAVE_IPSEC_MB
  int shani;              /* sha256c.c's SHA extensions, not EVP */
  crypto_sha256_ctx *evp; /* made on first use, since OpenSSL's first
                             fetch costs 1.4 ms (measured) */
#endif
  char name[64];
#ifdef HAVE_IPSEC_MB
  IMB_MGR *mgr; /* NULL: one at a time, by portable C */
  char *arena;
  size_t used, nq;
  queued q[MANY_QUEUE];
#endif
};

/* Hashes one message at once into out, by the library's one-buffer
 * function, sha256c.c (the SHA extensions or the portable C), or EVP;
 * zeros on failure. */
static int many_serial(crypto_sha256_many *m, const void *data, size_t len,
                       uint8_t *out)
{
#ifdef HAVE_IPSEC_MB
  if(m->mgr)
    IMB_SHA256(m->mgr, data, len, out);
  else
    crypto_sha256c(data, len, out);
  return 0;
#else
  if(m->shani) {
    crypto_sha256c(data, len, out);
    return 0;
  }
  if((!m->evp && !(m->evp = crypto_sha256_new())) ||
     crypto_sha256_update(m->evp, data, len) != 0 ||
     crypto_sha256_final(m->evp, out) != 0) {
    memset(out, 0, CRYPTO_SHA256_LEN);
    return -1;
  }
  return 0;
#endif
}

#ifdef HAVE_IPSEC_MB
/* Names the manager in use. */
static void many_name(crypto_sha256_many *m, IMB_ARCH arch)
{
  static const char *const arch_names[] = {"none", "noaesni", "sse",
                                           "avx",  "avx2",    "avx512"};
  const char *a = (unsigned)arch < sizeof(arch_names) / sizeof(*arch_names)
                      ? arch_names[arch]
                      : "other";
  snprintf(m->name, sizeof(m->name), "intel-ipsec-mb %s %s%s",
           imb_get_version_str(), a,
           (m->mgr->features & IMB_FEATURE_SHANI) ? "+shani" : "");
}

/* A completed job: its digest is in place unless the library refused it. */
static int many_done(IMB_JOB *job)
{
  if(job->status == IMB_STATUS_COMPLETED)
    return 0;
  memset(job->auth_tag_output, 0, CRYPTO_SHA256_LEN);
  return -1;
}
#endif

crypto_sha256_many *crypto_sha256_many_new(crypto_sha256_engine engine)
{
  crypto_sha256_many *m = calloc(1, sizeof(*m));
  if(!m)
    return NULL;
#ifdef HAVE_IPSEC_MB
  snprintf(m->name, sizeof(m->name), "%s", crypto_sha256c_name());
  if(engine == CRYPTO_SHA256_AUTO ||
     (engine == CRYPTO_SHA256_FEW && !crypto_sha256c_fast())) {
    IMB_ARCH arch = IMB_ARCH_NONE;
    if(!(m->arena = malloc(MANY_ARENA)) || !(m->mgr = alloc_mb_mgr(0))) {
      crypto_sha256_many_free(m);
      return NULL;
    }
    /* with the SHA extensions, the SSE manager: it hashes two messages at
     * a time on them, which no vector lane beats (measured: 1.25 GB/s
     * against 0.38 for the AVX2 manager on an AMD EPYC of the first
     * generation, where the library's own choice, AVX2, was 45% of the
     * ledger pass; 1.9 against 1.6-1.8 for AVX-512's 16 lanes on a later
     * one) */
    if(m->mgr->features & IMB_FEATURE_SHANI) {
      init_mb_mgr_sse(m->mgr);
      arch = IMB_ARCH_SSE;
    }
    else
      init_mb_mgr_auto(m->mgr, &arch);
    if(imb_get_errno(m->mgr) != 0 || arch == IMB_ARCH_NONE) {
      /* no manager for this CPU: the portable C it is */
      free_mb_mgr(m->mgr);
      m->mgr = NULL;
    }
    else
      many_name(m, arch);
  }
#else
  (void)engine;
  m->shani = crypto_sha256c_fast();
  snprintf(m->name, sizeof(m->name), "%s",
           m->shani ? crypto_sha256c_name() : "openssl");
#endif
  return m;
}

void crypto_sha256_many_free(crypto_sha256_many *m)
{
  if(!m)
    return;
#ifndef HAVE_IPSEC_MB
  crypto_sha256_free(m->evp);
#else
  if(m->mgr)
    free_mb_mgr(m->mgr);
  free(m->arena);
#endif
  free(m);
}

int crypto_sha256_many_add(crypto_sha256_many *m, const void *data, size_t len,
                           uint8_t out[CRYPTO_SHA256_LEN])
{
#ifdef HAVE_IPSEC_MB
  queued *q;
  if(m->mgr && len <= MANY_LONG) {
    int rc = 0;
    if(m->nq == MANY_QUEUE || MANY_ARENA - m->used < len)
      rc = crypto_sha256_many_run(m);
    q = &m->q[m->nq++];
    q->off = m->used;
    q->len = len;
    q->out = out;
    if(len)
      memcpy(m->arena + m->used, data, len);
    m->used += len;
    return rc;
  }
#endif
  return many_serial(m, data, len, out);
}

int crypto_sha256_many_run(crypto_sha256_many *m)
{
#ifdef HAVE_IPSEC_MB
  size_t i;
  int rc = 0;
  IMB_JOB *job;
  if(!m->mgr)
    return 0;
  for(i = 0; i < m->nq; i++) {
    job = IMB_GET_NEXT_JOB(m->mgr);
    job->cipher_mode = IMB_CIPHER_NULL;
    job->cipher_direction = IMB_DIR_ENCRYPT;
    job->chain_order = IMB_ORDER_HASH_CIPHER;
    job->msg_len_to_cipher_in_bytes = 0;
    job->cipher_start_src_offset_in_bytes = 0;
    job->hash_alg = IMB_AUTH_SHA_256;
    job->src = (const uint8_t *)m->arena + m->q[i].off;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = m->q[i].len;
    job->auth_tag_output = m->q[i].out;
    job->auth_tag_output_len_in_bytes = CRYPTO_SHA256_LEN;
    /* the checked submit: a job the library refuses comes back with an
     * error status instead of being hashed wrong */
    for(job = IMB_SUBMIT_JOB(m->mgr); job; job = IMB_GET_COMPLETED_JOB(m->mgr))
      rc |= many_done(job);
  }
  while((job = IMB_FLUSH_JOB(m->mgr)) != NULL)
    rc |= many_done(job);
  m->nq = 0;
  m->used = 0;
  return rc;
#else
  (void)m;
  return 0;
#endif
}

const char *crypto_sha256_many_engine(const crypto_sha256_many *m)
{
  return m->name;
}
