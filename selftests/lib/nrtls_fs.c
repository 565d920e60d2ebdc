// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nrtls_fs.h"
#include "nrtls_test.h"

#define FUSE_MAGIC 0x65735546

/* helpers/nrtls_slowfs beside the running test binary. */
static int helper_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -1;
	self[n] = '\0';
	snprintf(buf, len, "%s/helpers/nrtls_slowfs", dirname(self));
	return access(buf, X_OK);
}

void nrtls_slowfs_gate(struct nrtls_slowfs *fs, bool open)
{
	if (open)
		close(creat(fs->gate, 0644));
	else
		unlink(fs->gate);
}

int nrtls_slowfs_start(struct nrtls_slowfs *fs, unsigned int delay_ms)
{
	char helper[PATH_MAX], delay[16];
	struct statfs st;
	int i;

	memset(fs, 0, sizeof(*fs));
	if (helper_path(helper, sizeof(helper))) {
		snprintf(fs->skip, sizeof(fs->skip), "no helpers/nrtls_slowfs beside the test");
		return -1;
	}
	if (nrtls_sh("modprobe fuse") && access("/dev/fuse", F_OK)) {
		snprintf(fs->skip, sizeof(fs->skip), "no FUSE in this kernel");
		return -1;
	}
	snprintf(fs->mnt, sizeof(fs->mnt), "/tmp/nrtls-slowfs-%d", getpid());
	snprintf(fs->gate, sizeof(fs->gate), "/tmp/nrtls-slowfs-%d.gate", getpid());
	snprintf(delay, sizeof(delay), "%u", delay_ms);
	unlink(fs->gate);
	mkdir(fs->mnt, 0755);
	fflush(NULL);
	fs->pid = fork();
	if (fs->pid < 0)
		return -1;
	if (!fs->pid) {
		execl(helper, helper, "--delay-ms", delay, "--gate", fs->gate, fs->mnt,
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 1000; i++) {
		if (!statfs(fs->mnt, &st) && st.f_type == FUSE_MAGIC)
			return 0;
		if (waitpid(fs->pid, NULL, WNOHANG) == fs->pid) {
			fs->pid = 0;
			snprintf(fs->skip, sizeof(fs->skip), "nrtls_slowfs could not mount");
			rmdir(fs->mnt);
			return -1;
		}
		usleep(10000);
	}
	snprintf(fs->skip, sizeof(fs->skip), "nrtls_slowfs did not mount in 10 s");
	nrtls_slowfs_stop(fs);
	return -1;
}

void nrtls_slowfs_stop(struct nrtls_slowfs *fs)
{
	if (!fs->mnt[0])
		return;
	/* Reads still waiting at the gate must come back for the unmount. */
	nrtls_slowfs_gate(fs, true);
	umount2(fs->mnt, MNT_DETACH);
	if (fs->pid > 0) {
		kill(fs->pid, SIGTERM);
		waitpid(fs->pid, NULL, 0);
	}
	rmdir(fs->mnt);
	unlink(fs->gate);
	fs->mnt[0] = '\0';
}

bool nrtls_find_9p(char *dir, size_t len)
{
	FILE *f = setmntent("/proc/mounts", "r");
	struct mntent *m;
	bool found = false;

	while (f && (m = getmntent(f))) {
		if (strcmp(m->mnt_type, "9p") || hasmntopt(m, "ro") ||
		    access(m->mnt_dir, W_OK))
			continue;
		snprintf(dir, len, "%s", m->mnt_dir);
		found = true;
		break;
	}
	if (f)
		endmntent(f);
	return found;
}
