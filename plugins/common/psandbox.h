/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psandbox.h: a plugin narrowing its own sandbox for one run. The agent's
 * seccomp filter allows what the plugin declared for all its runs (the
 * ledger plugin: the network, for a PostgreSQL source or
 * service_verify_url); a run that turns out to need less stacks a filter
 * of its own, so that, e.g., a ledger verified from a file opens no
 * socket whatever its bytes make the parser do.
 */
#ifndef PLUGINS_COMMON_PSANDBOX_H
#define PLUGINS_COMMON_PSANDBOX_H

/* From now on socket() fails with EPERM in this process (all threads
 * started later too). Returns 0, or -1 when the kernel refused the filter
 * (then nothing changed). */
int psandbox_no_network(void);

#endif
