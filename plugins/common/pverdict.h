/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pverdict.h: the status of one result line built up from its findings:
 * each finding adds its text ("; "-separated) and the worst status wins,
 * in the agent's order critical > unknown > warning > ok.
 */
#ifndef PLUGINS_COMMON_PVERDICT_H
#define PLUGINS_COMMON_PVERDICT_H

#include "probe-plugin.h"

typedef struct pverdict {
  probe_status st;
  char text[1200];
} pverdict;

/* An ok verdict with no text. */
void pverdict_init(pverdict *v);

/* Badness of a status: ok 0, warning 1, unknown 2, critical 3
 * (lib/status.h's status_rank, kept for the plugins that call it). */
int pverdict_rank(probe_status s);

/* Adds one finding; an ok finding adds nothing. */
void pverdict_add(pverdict *v, probe_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
