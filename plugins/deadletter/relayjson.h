/* SPDX-License-Identifier: Apache-2.0 */
/*
 * relayjson.h: parsing of relay API responses (dead-letter count and
 * status), kept apart from the plugin so that the libFuzzer target
 * tests/fuzz/fuzz-relay.c can drive exactly the code the plugin runs.
 */
#ifndef PLUGINS_DEADLETTER_RELAYJSON_H
#define PLUGINS_DEADLETTER_RELAYJSON_H

#include <stddef.h>

typedef struct relay_status {
  int connected;
  int has_backlog;
  double backlog;
} relay_status;

/* The dead-letter count at `pointer` in body[0..len): a non-negative
   integer, or an array whose length counts. 0, or -1 with why. */
int relayjson_count(const char *body, size_t len, const char *pointer,
                    double *count, char *why, size_t whylen);

/* connected (a boolean) and backlog (a number, optional) of a status
   response. 0, or -1 with why. */
int relayjson_status(const char *body, size_t len, const char *connected_ptr,
                     const char *backlog_ptr, relay_status *out, char *why,
                     size_t whylen);

#endif
