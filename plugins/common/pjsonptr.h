/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pjsonptr.h: RFC 6901 JSON pointers over cJSON.
 *
 * Debian's libcjson-dev ships cJSON without cJSON_Utils, so this small
 * walker resolves the pointers users give in settings (e.g. the deadletter
 * plugin's count_pointer) against responses parsed with cJSON.
 */
#ifndef PLUGINS_COMMON_PJSONPTR_H
#define PLUGINS_COMMON_PJSONPTR_H

#include <cjson/cJSON.h>

/* RFC 6901 JSON pointer ("" is the whole document, ~0 and ~1 escapes, array
   indexes without leading zeros); NULL when it does not resolve or is malformed */
const cJSON *pjsonptr_get(const cJSON *root, const char *pointer);

/* 1 when `pointer` is syntactically valid (empty, or '/'-separated tokens
   whose '~' is always followed by '0' or '1'), else 0. */
int pjsonptr_valid(const char *pointer);

#endif
