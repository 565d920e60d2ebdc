/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File systems whose reads wait: nrtls_slowfs (FUSE, slow and gated reads)
 * and a writable 9p mount (the VM's run directory).
 */
#ifndef NRTLS_FS_H
#define NRTLS_FS_H

#include <stdbool.h>
#include <sys/types.h>

struct nrtls_slowfs {
	char mnt[64];
	char gate[96];		/* reads of gated-* files wait for this file */
	pid_t pid;
	char skip[160];		/* why it could not be started */
};

/* Mount nrtls_slowfs with reads taking @delay_ms, gate closed: 0 or -1. */
int nrtls_slowfs_start(struct nrtls_slowfs *fs, unsigned int delay_ms);
void nrtls_slowfs_stop(struct nrtls_slowfs *fs);
void nrtls_slowfs_gate(struct nrtls_slowfs *fs, bool open);

/* A writable 9p mount's directory in @dir, or false. */
bool nrtls_find_9p(char *dir, size_t len);

#endif /* NRTLS_FS_H */
