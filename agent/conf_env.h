/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_env.h: the parser of PROBE_<SECTION>_<KEY>=VALUE environment
 * variables (agent/conf.c), declared on its own so that the fuzz target
 * (tests/fuzz/fuzz-probe-env.c) reaches it without the rest of config_load.
 */
#ifndef AGENT_CONF_ENV_H
#define AGENT_CONF_ENV_H

/* Splits one PROBE_<SECTION>_<KEY>=VALUE variable of the environment:
 * section (1..63 bytes) and key (1..127, "" when malformed) lowercased,
 * *value after the '=' (NULL when none). -1 when e is not such a
 * variable, or one of the agent's own (PROBE_AGENT_CONFIG...). */
int conf_parse_probe_env(const char *e, char section[64], char key[128],
                         const char **value);

#endif
