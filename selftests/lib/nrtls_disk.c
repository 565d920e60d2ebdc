// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nrtls_disk.h"
#include "nrtls_test.h"

#define NULLB "/sys/kernel/config/nullb"
#define TRACING "/sys/kernel/tracing"

static int put_flags(const char *dir, const char *attr, const char *val,
		     int flags)
{
	char path[256];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static int put(const char *dir, const char *attr, const char *val)
{
	return put_flags(dir, attr, val, 0);
}

int nrtls_disk_create(struct nrtls_disk *d, unsigned int latency_ms,
		      unsigned int size_mb)
{
	char dir[96], val[160], idx[16] = "";
	struct stat st;
	FILE *f;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "nrtls%d", getpid());
	if (nrtls_sh("modprobe null_blk nr_devices=0")) {
		snprintf(d->skip, sizeof(d->skip), "no null_blk module");
		return -1;
	}
	snprintf(dir, sizeof(dir), NULLB "/%s", d->name);
	if (mkdir(dir, 0755)) {
		snprintf(d->skip, sizeof(d->skip), "cannot create %.96s (configfs?)", dir);
		return -1;
	}
	snprintf(val, sizeof(val), "%u", size_mb);
	put(dir, "size", val);
	put(dir, "blocksize", "4096");
	put(dir, "memory_backed", "1");
	put(dir, "irqmode", "2");	/* completions from a timer */
	snprintf(val, sizeof(val), "%llu", latency_ms * 1000000ull);
	put(dir, "completion_nsec", val);
	if (put(dir, "power", "1")) {
		snprintf(d->skip, sizeof(d->skip), "null_blk refused the configuration");
		rmdir(dir);
		return -1;
	}
	/* 6.1 names the device after the directory, older kernels nullbN. */
	snprintf(d->dev, sizeof(d->dev), "/dev/%s", d->name);
	if (stat(d->dev, &st)) {
		snprintf(val, sizeof(val), "%s/index", dir);
		f = fopen(val, "r");
		if (f && fgets(idx, sizeof(idx), f))
			idx[strcspn(idx, "\n")] = '\0';
		if (f)
			fclose(f);
		snprintf(d->dev, sizeof(d->dev), "/dev/nullb%s", idx);
	}
	snprintf(d->mnt, sizeof(d->mnt), "/tmp/%s", d->name);
	if (nrtls_sh("mkfs.ext4 -q -F -O ^has_journal -E lazy_itable_init=1,nodiscard %s",
		     d->dev) ||
	    mkdir(d->mnt, 0755) ||
	    nrtls_sh("mount -o noatime %s %s", d->dev, d->mnt)) {
		snprintf(d->skip, sizeof(d->skip), "cannot make ext4 on %s", d->dev);
		nrtls_disk_destroy(d);
		return -1;
	}
	return 0;
}

void nrtls_disk_destroy(struct nrtls_disk *d)
{
	char dir[128];

	if (!d->name[0])
		return;
	if (d->mnt[0]) {
		nrtls_sh("umount %s", d->mnt);
		rmdir(d->mnt);
	}
	snprintf(dir, sizeof(dir), NULLB "/%s", d->name);
	put(dir, "power", "0");
	rmdir(dir);
}

int nrtls_disk_badblocks(struct nrtls_disk *d, int fd, uint64_t off,
			 uint64_t len, int add)
{
	struct fiemap *fm = calloc(1, sizeof(*fm) + sizeof(struct fiemap_extent));
	char dir[128], val[64];
	uint64_t phys;

	if (!fm)
		return -1;
	fm->fm_start = off;
	fm->fm_length = len;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, fm) || !fm->fm_mapped_extents) {
		free(fm);
		return -1;
	}
	/* The first extent holds @off: map the file offset to the device. */
	phys = fm->fm_extents[0].fe_physical + (off - fm->fm_extents[0].fe_logical);
	free(fm);
	snprintf(dir, sizeof(dir), NULLB "/%s", d->name);
	snprintf(val, sizeof(val), "%c%llu-%llu", add ? '+' : '-',
		 (unsigned long long)(phys / 512),
		 (unsigned long long)((phys + len) / 512 - 1));
	return put(dir, "badblocks", val);
}

/*
 * With record-cmd on, enabling an event also hooks sched_switch and
 * sched_wakeup, and disabling it live-patches those hot paths again; under
 * QEMU TCG that patching once took an int3 oops in ttwu_do_activate (6.12).
 * The tests do not need task names: turn it off while they trace.
 */
static int record_cmd = -1;	/* as it was before the first start */

int nrtls_trace_option(const char *opt)
{
	char path[256];
	FILE *f;
	int val;

	snprintf(path, sizeof(path), TRACING "/options/%s", opt);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

int nrtls_trace_start(void)
{
	if (record_cmd < 0)
		record_cmd = nrtls_trace_option("record-cmd");
	put(TRACING, "options/record-cmd", "0");
	if (put(TRACING, "events/nrtls/enable", "1"))
		return -1;
	/* Opening the buffer with O_TRUNC is what clears it. */
	return put_flags(TRACING, "trace", "", O_TRUNC);
}

void nrtls_trace_stop(void)
{
	put(TRACING, "events/nrtls/enable", "0");
	if (record_cmd >= 0)
		put(TRACING, "options/record-cmd", record_cmd ? "1" : "0");
}

void nrtls_trace_mark(const char *msg)
{
	put(TRACING, "trace_marker", msg);
}

char *nrtls_trace_read(void)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	fd = open(TRACING "/trace", O_RDONLY);
	if (fd < 0 || !buf) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

int nrtls_trace_find(const char *trace, int from, const char *what)
{
	const char *p = trace;
	int line = 0;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		if (line >= from && memmem(p, n, what, strlen(what)))
			return line;
		if (!eol)
			break;
		p = eol + 1;
		line++;
	}
	return -1;
}

int nrtls_trace_find_last(const char *trace, const char *what)
{
	int at = -1, next;

	while ((next = nrtls_trace_find(trace, at + 1, what)) >= 0)
		at = next;
	return at;
}
