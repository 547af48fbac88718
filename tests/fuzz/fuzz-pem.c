/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-pem.c: libFuzzer target for the tls plugin's certificate intake:
 * tlscert_parse() on arbitrary bytes (PEM bundles, DER), then
 * tlscert_analyze() on whatever parsed (identity, SANs, dates, weak
 * algorithms, host name match), without chain verification so that no
 * trust store is read. Build: configure --enable-fuzzing CC=clang; run:
 * tests/fuzz/fuzz-pem -max_total_time=60 [corpus-dir].
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "plugins/tls/tlscert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  STACK_OF(X509) *chain = NULL;
  char err[256];
  if(tlscert_parse(data, size, &chain, err, sizeof err) == TLS_OK) {
    tlscert_opts o = {"www.example.test", NULL, 1, (time_t)1800000000};
    tlscert_report r;
    if(tlscert_analyze(chain, &o, &r, err, sizeof err) == TLS_OK)
      tlscert_report_free(&r);
    tlscert_chain_free(chain);
  }
  return 0;
}
