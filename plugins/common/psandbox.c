/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psandbox.c: see psandbox.h. A raw BPF program, no libseccomp: plugins
 * do not link it. The agent's own filter, installed first, already kills
 * any call made through another architecture's table, so this one only
 * looks at the number.
 */
#include "config.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "plugins/common/psandbox.h"

int psandbox_no_network(void)
{
#ifdef __NR_socket
  struct sock_filter insns[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof(insns) / sizeof(insns[0]), insns};
  /* set already by the agent's sandbox; needed when it is off */
  if(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -1;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 ? -1 : 0;
#else
  errno = ENOSYS;
  return -1;
#endif
}
