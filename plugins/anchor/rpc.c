/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rpc.c: JSON-RPC 2.0 over phttp (see rpc.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/redact.h"
#include "lib/dbuf.h"
#include "plugins/anchor/rpc.h"
#include "plugins/common/phttp.h"

#if defined(__GNUC__)
#define PROBE_FMT(a, b) __attribute__((format(printf, a, b)))
#else
#define PROBE_FMT(a, b)
#endif

int rpc_node_init(rpc_node *n, const char *url, double timeout_s,
                  size_t max_bytes, size_t batch_max)
{
  memset(n, 0, sizeof(*n));
  n->url = url;
  n->target = redact_target(url);
  if(!n->target)
    return -1;
  n->timeout_s = timeout_s > 0 ? timeout_s : 10;
  n->max_bytes = max_bytes;
  n->batch_max = batch_max ? batch_max : 1;
  n->batch = n->batch_max > 1;
  return 0;
}

void rpc_node_free(rpc_node *n)
{
  free(n->target);
  n->target = NULL;
}

void rpc_calls_free(rpc_call *calls, size_t ncalls)
{
  for(size_t i = 0; i < ncalls; i++) {
    cJSON_Delete(calls[i].result);
    calls[i].result = NULL;
  }
}

/* Marks calls[0..n) with one status and message. */
static void set_all(rpc_call *calls, size_t n, rpc_status st, const char *msg)
{
  for(size_t i = 0; i < n; i++) {
    cJSON_Delete(calls[i].result);
    calls[i].result = NULL;
    calls[i].status = st;
    snprintf(calls[i].err, sizeof(calls[i].err), "%s", msg);
  }
}

/* A JSON-RPC error's code as an integer; 0 when it is not a number a long
 * long holds (the node's text: 1e300 or -7e97 cast would be undefined). */
static long long error_code(const cJSON *code)
{
  double d = cJSON_IsNumber(code) ? code->valuedouble : 0;
  return d > -9.2e18 && d < 9.2e18 ? (long long)d : 0;
}

/* Reads one answer object into the call it answers. */
static void take_answer(cJSON *obj, rpc_call *call)
{
  cJSON *res = cJSON_GetObjectItemCaseSensitive(obj, "result");
  cJSON *error = cJSON_GetObjectItemCaseSensitive(obj, "error");
  cJSON *ver = cJSON_GetObjectItemCaseSensitive(obj, "jsonrpc");
  if(!cJSON_IsString(ver) || strcmp(ver->valuestring, "2.0") != 0) {
    call->status = RPC_ERR_GARBAGE;
    snprintf(call->err, sizeof(call->err), "answer is not JSON-RPC 2.0");
    return;
  }
  if(error && !res) {
    cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    cJSON *msg = cJSON_GetObjectItemCaseSensitive(error, "message");
    call->status = RPC_ERR_NODE;
    call->err_code = error_code(code);
    snprintf(call->err, sizeof(call->err), "node error %lld: %.150s",
             call->err_code,
             cJSON_IsString(msg) ? msg->valuestring : "(no message)");
    return;
  }
  if(!res || error) {
    call->status = RPC_ERR_GARBAGE;
    snprintf(call->err, sizeof(call->err),
             "answer has %s \"result\" and \"error\"",
             res ? "both" : "neither");
    return;
  }
  call->status = RPC_OK;
  call->result = cJSON_DetachItemViaPointer(obj, res);
  call->err[0] = '\0';
}

void rpc_parse_answer(const char *body, size_t len, int is_batch,
                      long long first_id, rpc_call *calls, size_t ncalls)
{
  cJSON *doc = cJSON_ParseWithLength(body, len);
  for(size_t i = 0; i < ncalls; i++) {
    cJSON_Delete(calls[i].result);
    calls[i].result = NULL;
    calls[i].status = RPC_ERR_GARBAGE;
    snprintf(calls[i].err, sizeof(calls[i].err), "no answer for this call");
  }
  if(!doc) {
    set_all(calls, ncalls, RPC_ERR_GARBAGE, "answer is not JSON");
    return;
  }
  if(!is_batch) {
    if(ncalls != 1 || !cJSON_IsObject(doc)) {
      set_all(calls, ncalls, RPC_ERR_GARBAGE, "answer is not a JSON object");
      goto out;
    }
    cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
    /* an error about the request itself may come with id null */
    if(!cJSON_IsNumber(id) || id->valuedouble != (double)first_id) {
      if(cJSON_IsNull(id) && cJSON_GetObjectItemCaseSensitive(doc, "error"))
        take_answer(doc, &calls[0]);
      else
        set_all(calls, 1, RPC_ERR_GARBAGE, "answer has the wrong id");
      goto out;
    }
    take_answer(doc, &calls[0]);
    goto out;
  }
  if(!cJSON_IsArray(doc)) {
    /* a node without batches answers one error object (id null) */
    cJSON *error = cJSON_IsObject(doc)
                       ? cJSON_GetObjectItemCaseSensitive(doc, "error")
                       : NULL;
    if(error) {
      rpc_call tmp = {0};
      take_answer(doc, &tmp);
      cJSON_Delete(tmp.result);
      set_all(calls, ncalls, RPC_ERR_NODE, tmp.err);
      for(size_t i = 0; i < ncalls; i++)
        calls[i].err_code = tmp.err_code;
    }
    else {
      set_all(calls, ncalls, RPC_ERR_GARBAGE, "batch answer is not an array");
    }
    goto out;
  }
  unsigned char *seen = calloc(ncalls ? ncalls : 1, 1);
  if(!seen) {
    set_all(calls, ncalls, RPC_ERR_GARBAGE, "out of memory");
    goto out;
  }
  cJSON *el;
  cJSON_ArrayForEach(el, doc) {
    cJSON *id =
        cJSON_IsObject(el) ? cJSON_GetObjectItemCaseSensitive(el, "id") : NULL;
    if(!cJSON_IsNumber(id))
      continue; /* answers we cannot place are ignored; theirs stay unanswered */
    double d = id->valuedouble - (double)first_id;
    if(d < 0 || d >= (double)ncalls || d != (double)(size_t)d)
      continue;
    size_t k = (size_t)d;
    if(seen[k]) { /* two answers to one call: believe neither */
      cJSON_Delete(calls[k].result);
      calls[k].result = NULL;
      calls[k].status = RPC_ERR_GARBAGE;
      snprintf(calls[k].err, sizeof(calls[k].err), "two answers for one call");
      continue;
    }
    seen[k] = 1;
    take_answer(el, &calls[k]);
  }
  free(seen);
out:
  cJSON_Delete(doc);
}

/* One HTTP request for calls[0..n), as a batch or a single call. */
static void do_request(rpc_node *node, rpc_call *calls, size_t n, int batch)
{
  static long long next_id = 1;
  const char *headers[] = {"Content-Type: application/json",
                           "Accept: application/json", NULL};
  dbuf b;
  int bad = 0;
  long long first = next_id;
  next_id += (long long)n;
  dbuf_init(&b, 0);
  if(batch)
    bad |= dbuf_addc(&b, '[');
  for(size_t i = 0; i < n; i++)
    bad |= dbuf_printf(
        &b,
        "%s{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"%s\",\"params\":%s}",
        i ? "," : "", first + (long long)i, calls[i].method,
        calls[i].params ? calls[i].params : "[]");
  if(batch)
    bad |= dbuf_addc(&b, ']');
  if(bad) {
    dbuf_free(&b);
    set_all(calls, n, RPC_ERR_TRANSPORT, "out of memory");
    return;
  }
  size_t len = 0;
  char *body = dbuf_take(&b, &len);
  if(!body) {
    set_all(calls, n, RPC_ERR_TRANSPORT, "out of memory");
    return;
  }
  double timeout = node->timeout_s;
  if(node->time_left) {
    double left = node->time_left(node->time_ud) - 1.0;
    if(left < timeout)
      timeout = left > 0.5 ? left : 0.5;
  }
  phttp_request req = {.method = "POST",
                       .url = node->url,
                       .body = body,
                       .body_len = len,
                       .headers = headers,
                       .timeout_s = timeout,
                       .max_bytes = node->max_bytes};
  phttp_response resp;
  phttp_code c = phttp_fetch(&req, &resp);
  node->http_requests++;
  node->calls += n;
  free(body);
  if(c != PHTTP_OK) {
    char msg[300];
    snprintf(msg, sizeof(msg), "%s: %s", phttp_strerror(c), resp.error);
    set_all(calls, n, RPC_ERR_TRANSPORT, msg);
  }
  else if(resp.status != 200 &&
          !(batch && resp.status >= 400 && resp.status < 500)) {
    char msg[300];
    snprintf(msg, sizeof(msg), "HTTP status %ld", resp.status);
    set_all(calls, n, RPC_ERR_TRANSPORT, msg);
  }
  else if(resp.status != 200) {
    /* a 4xx to a batch: most likely batches are not accepted */
    set_all(calls, n, RPC_ERR_NODE, "batch refused");
  }
  else {
    rpc_parse_answer(resp.body, resp.len, batch, first, calls, n);
  }
  phttp_response_free(&resp);
}

size_t rpc_run(rpc_node *n, rpc_call *calls, size_t ncalls)
{
  size_t i = 0, bad = 0;
  while(i < ncalls) {
    if(n->batch && ncalls - i > 1) {
      size_t k = ncalls - i < n->batch_max ? ncalls - i : n->batch_max;
      do_request(n, calls + i, k, 1);
      /* refused as a whole (every call failed alike, not transport):
       * the node takes no batches; ask these again one by one */
      int refused = 1;
      for(size_t j = 0; j < k; j++)
        if(calls[i + j].status != RPC_ERR_NODE &&
           calls[i + j].status != RPC_ERR_GARBAGE)
          refused = 0;
      if(refused && k > 1 &&
         (calls[i].status == RPC_ERR_GARBAGE ||
          strcmp(calls[i].err, calls[i + k - 1].err) == 0)) {
        n->batch = 0;
        continue;
      }
      i += k;
    }
    else {
      do_request(n, calls + i, 1, 0);
      i++;
    }
  }
  for(i = 0; i < ncalls; i++)
    if(calls[i].status != RPC_OK)
      bad++;
  return bad;
}
