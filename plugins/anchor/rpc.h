/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rpc.h: Ethereum JSON-RPC 2.0 over phttp for the anchor plugin: single
 * calls and batches (used while the node accepts them, else one call at a
 * time), every answer checked for shape before use: the right ids, one
 * answer per call, "result" or an "error" object. A node is something we
 * check, not something we believe: anything else is an error naming the
 * node (by its redacted URL) and what was wrong.
 */
#ifndef PLUGINS_ANCHOR_RPC_H
#define PLUGINS_ANCHOR_RPC_H

#include <stddef.h>

#include <cjson/cJSON.h>

typedef enum rpc_status {
  RPC_OK = 0,        /* "result" present (may be JSON null) */
  RPC_ERR_NODE,      /* the node answered with an "error" object */
  RPC_ERR_TRANSPORT, /* HTTP failed: connect, timeout, size, status */
  RPC_ERR_GARBAGE    /* not a JSON-RPC answer to what we asked */
} rpc_status;

/* One call of a batch: filled by the caller (method, params as JSON text),
 * answered by rpc_batch. */
typedef struct rpc_call {
  const char *method;
  const char *params; /* JSON array text, e.g. "[\"0x..\",false]" */
  rpc_status status;
  cJSON *result;      /* owned by the call; free with rpc_calls_free */
  long long err_code; /* RPC_ERR_NODE: the node's code */
  char err[320];      /* why, never with credentials */
} rpc_call;

typedef struct rpc_node {
  const char *url;
  char *target;     /* redacted URL, malloc'd by rpc_node_init */
  double timeout_s; /* per HTTP request */
  size_t max_bytes;
  int batch;        /* 1 try batches, 0 not (set to 0 when refused) */
  size_t batch_max; /* calls per HTTP request */
  unsigned long http_requests, calls; /* counters for metrics */
  double (*time_left)(void *ud);      /* optional: caps timeout_s */
  void *time_ud;
} rpc_node;

/* Prepares a node; 0 or -1 (out of memory). */
int rpc_node_init(rpc_node *n, const char *url, double timeout_s,
                  size_t max_bytes, size_t batch_max);
void rpc_node_free(rpc_node *n);

/* Performs the calls, in batches of batch_max when the node takes them.
 * Each call gets its own status. Returns the number of calls that are not
 * RPC_OK. */
size_t rpc_run(rpc_node *n, rpc_call *calls, size_t ncalls);

/* Frees the results of calls (not the array). */
void rpc_calls_free(rpc_call *calls, size_t ncalls);

/* Parses an HTTP body as the answer to calls[0..ncalls) whose ids are
 * first_id, first_id+1, ... (a batch when is_batch). Fills each call's
 * status/result/err. Pure; the fuzz target drives it. */
void rpc_parse_answer(const char *body, size_t len, int is_batch,
                      long long first_id, rpc_call *calls, size_t ncalls);

#endif
