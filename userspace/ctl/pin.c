// SPDX-License-Identifier: GPL-2.0
/*
 * What nrtlsctl's BPF commands (rx, steer) share: the network namespace
 * they work in, the BPF file system, and an attachment's pin directory,
 * /sys/fs/bpf/nrtls/<kind>-<netns inode>-<ifindex>/.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ctl.h"

#define BPFFS "/sys/fs/bpf"

unsigned long ctl_netns;

static bool libbpf_muted;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG || libbpf_muted)
		return 0;
	fprintf(stderr, "nrtlsctl: libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

void ctl_libbpf_quiet(void)
{
	libbpf_set_print(libbpf_print);
}

/*
 * Silence libbpf while the caller reports failures itself (libbpf also
 * prints, as a warning, what the caller takes for success: an EEXIST).
 */
void ctl_libbpf_mute(bool mute)
{
	libbpf_muted = mute;
}

int ctl_enter_netns(const char *name)
{
	char path[256];
	struct stat st;
	int fd;

	if (name) {
		snprintf(path, sizeof(path), strchr(name, '/') ? "%s" : "/run/netns/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET)) {
			fprintf(stderr, "nrtlsctl: network namespace %s: %s\n", name,
				strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	}
	if (stat("/proc/self/ns/net", &st)) {
		fprintf(stderr, "nrtlsctl: /proc/self/ns/net: %s\n", strerror(errno));
		return -1;
	}
	ctl_netns = st.st_ino;
	return 0;
}

int ctl_ensure_bpffs(void)
{
	struct statfs sf;

	if (statfs(BPFFS, &sf) || sf.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", BPFFS, "bpf", 0, "mode=0700")) {
			fprintf(stderr, "nrtlsctl: %s is not a BPF file system, and mounting one failed: %s\n",
				BPFFS, strerror(errno));
			return -1;
		}
		fprintf(stderr, "nrtlsctl: mounted a BPF file system on %s; pins last as long as\n"
			"  this mount namespace (under 'ip netns exec', not past the command: use --netns)\n",
			BPFFS);
	}
	if (mkdir(CTL_PIN_ROOT, 0700) && errno != EEXIST) {
		fprintf(stderr, "nrtlsctl: %s: %s\n", CTL_PIN_ROOT, strerror(errno));
		return -1;
	}
	return 0;
}

int ctl_dev_index(const char *dev)
{
	unsigned int ifindex = if_nametoindex(dev);
	char *end;
	long n;

	if (ifindex)
		return ifindex;
	n = strtol(dev, &end, 10);
	if (*dev && !*end && n > 0 && n < 1 << 30)
		return n;
	fprintf(stderr, "nrtlsctl: no device '%s'\n", dev);
	return 0;
}

void ctl_pin_path(char *buf, size_t len, const char *kind, unsigned long ns,
		  int ifindex, const char *file)
{
	snprintf(buf, len, CTL_PIN_ROOT "/%s-%lu-%d%s%s", kind, ns, ifindex,
		 file ? "/" : "", file ? file : "");
}

int ctl_pinned_fd(const char *kind, unsigned long ns, int ifindex,
		  const char *file)
{
	char path[128];

	ctl_pin_path(path, sizeof(path), kind, ns, ifindex, file);
	return bpf_obj_get(path);
}

void ctl_unpin_all(const char *kind, int ifindex, const char *const *files,
		   size_t n)
{
	char path[128];

	for (size_t i = 0; i < n; i++) {
		ctl_pin_path(path, sizeof(path), kind, ctl_netns, ifindex, files[i]);
		unlink(path);
	}
	ctl_pin_path(path, sizeof(path), kind, ctl_netns, ifindex, NULL);
	rmdir(path);
}

int ctl_pin_dir(const char *kind, int ifindex)
{
	char path[128];

	ctl_pin_path(path, sizeof(path), kind, ctl_netns, ifindex, NULL);
	if (mkdir(path, 0700)) {
		fprintf(stderr, "nrtlsctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int ctl_pin_map(struct bpf_map *map, const char *kind, int ifindex,
		const char *file)
{
	char path[128];
	int err;

	ctl_pin_path(path, sizeof(path), kind, ctl_netns, ifindex, file);
	unlink(path);
	err = bpf_map__pin(map, path);
	if (err)
		fprintf(stderr, "nrtlsctl: pinning %s: %s\n", path, strerror(-err));
	return err;
}

int ctl_reuse_pinned(struct bpf_map *map, const char *kind, int ifindex,
		     const char *file)
{
	int fd = ctl_pinned_fd(kind, ctl_netns, ifindex, file);
	int err = fd < 0 ? -ENOENT : bpf_map__reuse_fd(map, fd);

	if (fd >= 0)
		close(fd);
	if (err)
		fprintf(stderr, "nrtlsctl: the map pinned as %s-%lu-%d/%s: %s\n", kind,
			ctl_netns, ifindex, file, strerror(-err));
	return err;
}

unsigned long long ctl_stat_sum(int fd, unsigned int key)
{
	int n = libbpf_num_possible_cpus();
	unsigned long long sum = 0;
	__u64 *v;

	if (n <= 0)
		return 0;
	v = calloc(n, sizeof(*v));
	if (v && !bpf_map_lookup_elem(fd, &key, v))
		for (int i = 0; i < n; i++)
			sum += v[i];
	free(v);
	return sum;
}

int ctl_status(const char *kind, const char *prog, const char *dev, bool json,
	       bool (*show)(unsigned long ns, int ifindex, bool json, bool first))
{
	int only = dev ? ctl_dev_index(dev) : 0, n = 0, shown = 0, ret = 0;
	size_t len = strlen(kind);
	struct dirent *de;
	DIR *d;

	if (dev && !only)
		return 1;
	d = opendir(CTL_PIN_ROOT);
	if (json)
		printf("{\"programs\":[");
	while (d && (de = readdir(d))) {
		unsigned long ns;
		int ifindex;

		if (strncmp(de->d_name, kind, len) || de->d_name[len] != '-' ||
		    sscanf(de->d_name + len, "-%lu-%d", &ns, &ifindex) != 2 ||
		    (only && (ifindex != only || ns != ctl_netns)))
			continue;
		/* One that is unreadable prints nothing: no comma for it. */
		if (show(ns, ifindex, json, shown == 0))
			shown++;
		else
			ret = 1;
		n++;
	}
	if (d)
		closedir(d);
	if (json)
		printf("]}\n");
	else if (!n)
		printf("%s is not attached%s%s\n", prog, dev ? " to " : "", dev ? dev : "");
	if (dev && !n)
		ret = 1;
	return ret;
}
