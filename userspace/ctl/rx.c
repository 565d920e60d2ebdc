// SPDX-License-Identifier: GPL-2.0
/*
 * nrtlsctl rx: attach, replace, detach and read the nrtls_rx XDP program
 * (bpf/nrtls_rx.bpf.c).  An attachment is a BPF link pinned with the
 * program's maps in /sys/fs/bpf/nrtls/rx-<netns inode>-<ifindex>/, so that
 * it outlives nrtlsctl and shows in bpftool; attaching again replaces the
 * program in the link atomically (bpf_link_update) and keeps its flows and
 * counters.  --netns works on a device in another network namespace from
 * this mount namespace: under "ip netns exec", which mounts a /sys of its
 * own, pins would go with the command.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <linux/nrtls.h>
#include "ctl.h"
#include "nrtls_rx.h"
#include "nrtls_rx.skel.h"

#define KIND "rx"
/* The files of one attachment, in its directory. */
static const char *const pins[] = { "link", "flows", "stats", "config" };

static void rx_usage(FILE *f)
{
	fprintf(f,
		"usage: nrtlsctl rx attach DEV [--port PORT] [--steer-cpu] [--netns NAME]\n"
		"       nrtlsctl rx detach DEV [--netns NAME]\n"
		"       nrtlsctl rx status [DEV] [--netns NAME] [--json]\n"
		"\n"
		"  attach  load nrtls_rx (XDP) on DEV's receive side, or replace the\n"
		"          one there without losing its flows; --port follows only\n"
		"          TCP flows with that port at either end (default: all);\n"
		"          --steer-cpu sends the packets of each flow that has an nrtls\n"
		"          context to the CPU that owns it (a cpumap), to be received there\n"
		"  detach  remove it\n"
		"  status  per device: counters, and per flow the TLS records seen,\n"
		"          their bytes, packets dropped for an impossible record\n"
		"  --netns  DEV is in that network namespace (ip netns's NAME, or a\n"
		"          path such as /proc/PID/ns/net); use it, not 'ip netns exec'\n"
		"DEV is a device name, or an ifindex for a device that is gone.\n"
		"Pinned in " CTL_PIN_ROOT "/rx-NETNS-IFINDEX/; needs root and nrtls.ko.\n");
}

static int pinned_fd(int ifindex, const char *file)
{
	return ctl_pinned_fd(KIND, ctl_netns, ifindex, file);
}

static void unpin_all(int ifindex)
{
	ctl_unpin_all(KIND, ifindex, pins, sizeof(pins) / sizeof(pins[0]));
}

static int pin_map(struct bpf_map *map, int ifindex, const char *file)
{
	return ctl_pin_map(map, KIND, ifindex, file);
}

/* Replace the program in the pinned link @link_fd: same link, same maps. */
static int replace(struct nrtls_rx *skel, int ifindex, int link_fd)
{
	if (bpf_link_update(link_fd, bpf_program__fd(skel->progs.nrtls_rx), NULL)) {
		fprintf(stderr, "nrtlsctl: replacing the program: %s\n", strerror(errno));
		return -1;
	}
	return pin_map(skel->maps.rodata, ifindex, "config") ? -1 : 0;
}

/*
 * A queue to every CPU there is, before the program can redirect to it; a
 * CPU that refuses one (offline) keeps its flows on the receiving CPU.
 */
static int fill_cpus(struct nrtls_rx *skel)
{
	struct bpf_cpumap_val val = { .qsize = 2048 };
	int fd = bpf_map__fd(skel->maps.nrtls_rx_cpus), n = 0;
	__u32 cpu, ncpus = bpf_map__max_entries(skel->maps.nrtls_rx_cpus);

	for (cpu = 0; cpu < ncpus; cpu++)
		if (!bpf_map_update_elem(fd, &cpu, &val, BPF_ANY))
			n++;
	if (!n) {
		fprintf(stderr, "nrtlsctl: --steer-cpu: no CPU takes a cpumap queue: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

static int attach_new(struct nrtls_rx *skel, int ifindex, const char *dev)
{
	struct bpf_link *link;
	char path[128];
	int err;

	/* No link pinned: whatever else is there is left from a failure. */
	unpin_all(ifindex);
	if (ctl_pin_dir(KIND, ifindex))
		return -1;
	link = bpf_program__attach_xdp(skel->progs.nrtls_rx, ifindex);
	if (!link) {
		err = errno;
		fprintf(stderr, "nrtlsctl: attaching XDP to %s: %s%s\n", dev, strerror(err),
			err == EBUSY || err == EEXIST ?
			" (another XDP program is attached there)" : "");
		unpin_all(ifindex);
		return -1;
	}
	ctl_pin_path(path, sizeof(path), KIND, ctl_netns, ifindex, "link");
	err = bpf_link__pin(link, path);
	if (err)
		fprintf(stderr, "nrtlsctl: pinning %s: %s\n", path, strerror(-err));
	if (!err)
		err = pin_map(skel->maps.nrtls_rx_flows, ifindex, "flows");
	if (!err)
		err = pin_map(skel->maps.nrtls_rx_stats, ifindex, "stats");
	if (!err)
		err = pin_map(skel->maps.rodata, ifindex, "config");
	if (err) {
		/* Unpinned, the link goes with its last fd: detached. */
		unpin_all(ifindex);
	}
	bpf_link__destroy(link);
	return err ? -1 : 0;
}

static int rx_attach(const char *dev, int port, bool steer)
{
	int ncpus = libbpf_num_possible_cpus();
	int ifindex = ctl_dev_index(dev), link_fd, ret = 1;
	struct nrtls_rx *skel;

	if (!ifindex || ctl_ensure_bpffs())
		return 1;
	link_fd = pinned_fd(ifindex, "link");
	skel = nrtls_rx__open();
	if (!skel) {
		fprintf(stderr, "nrtlsctl: opening nrtls_rx: %s\n", strerror(errno));
		goto out;
	}
	skel->rodata->port = port;
	skel->rodata->steer_cpu = steer;
	if (ncpus < 1 || bpf_map__set_max_entries(skel->maps.nrtls_rx_cpus, ncpus)) {
		fprintf(stderr, "nrtlsctl: sizing the cpumap: %s\n", strerror(ncpus < 1 ? -ncpus : errno));
		goto out;
	}
	if (link_fd >= 0) {
		/* The new program takes over the old one's flows and counters. */
		if (ctl_reuse_pinned(skel->maps.nrtls_rx_flows, KIND, ifindex, "flows") ||
		    ctl_reuse_pinned(skel->maps.nrtls_rx_stats, KIND, ifindex, "stats"))
			goto out;
	}
	if (nrtls_rx__load(skel)) {
		fprintf(stderr, "nrtlsctl: loading nrtls_rx: %s%s\n", strerror(errno),
			access("/sys/module/nrtls", F_OK) ? " (nrtls.ko is not loaded)" : "");
		goto out;
	}
	if (steer && fill_cpus(skel))
		goto out;
	if (link_fd >= 0 ? replace(skel, ifindex, link_fd) :
			   attach_new(skel, ifindex, dev))
		goto out;
	printf("nrtls_rx %s %s (ifindex %d), following ", link_fd >= 0 ?
	       "replaced on" : "attached to", dev, ifindex);
	if (port)
		printf("TCP port %d", port);
	else
		printf("all TCP ports");
	if (steer)
		printf(", steering flows with a context to their CPU");
	printf("; pinned in " CTL_PIN_ROOT "/rx-%lu-%d\n", ctl_netns, ifindex);
	ret = 0;
out:
	nrtls_rx__destroy(skel);
	if (link_fd >= 0)
		close(link_fd);
	return ret;
}

static int rx_detach(const char *dev)
{
	int ifindex = ctl_dev_index(dev), fd;

	if (!ifindex)
		return 1;
	fd = pinned_fd(ifindex, "link");
	if (fd < 0) {
		fprintf(stderr, "nrtlsctl: nrtls_rx is not attached to %s (nothing in "
			CTL_PIN_ROOT "/rx-%lu-%d)\n", dev, ctl_netns, ifindex);
		return 1;
	}
	/* Detach now, even if some other process holds the link open. */
	if (bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL) {
		fprintf(stderr, "nrtlsctl: detaching from %s: %s\n", dev, strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	unpin_all(ifindex);
	printf("nrtls_rx detached from %s\n", dev);
	return 0;
}

static void endpoint(char *buf, size_t len, int family, const __be32 *addr,
		     __be16 port)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, addr, a, sizeof(a));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, ntohs(port));
}

static void show_flows(int fd, bool json)
{
	struct nrtls_flow key, next;
	struct nrtls_rx_flow v;
	bool first = true;
	void *prev = NULL;

	if (json)
		printf(",\"flows\":[");
	else
		printf("  %-5s %-44s %-44s %-7s %10s %12s %8s\n", "proto", "source",
		       "destination", "state", "records", "bytes", "dropped");
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		char src[64], dst[64];
		const char *state;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		endpoint(src, sizeof(src), key.family, key.saddr, key.sport);
		endpoint(dst, sizeof(dst), key.family, key.daddr, key.dport);
		state = v.state == NRTLS_RX_SYNCED ? "synced" : "lost";
		if (json) {
			printf("%s{\"source\":", first ? "" : ",");
			json_str(src);
			printf(",\"destination\":");
			json_str(dst);
			printf(",\"state\":\"%s\",\"records\":%llu,\"bytes\":%llu,\"dropped\":%llu}",
			       state, (unsigned long long)v.records,
			       (unsigned long long)v.bytes, (unsigned long long)v.dropped);
		} else {
			printf("  %-5s %-44s %-44s %-7s %10llu %12llu %8llu\n", "tcp", src, dst,
			       state, (unsigned long long)v.records,
			       (unsigned long long)v.bytes, (unsigned long long)v.dropped);
		}
		first = false;
	}
	if (json)
		printf("]");
}

static const char *const stat_names[NRTLS_RX_NSTATS] = {
	[NRTLS_RX_PACKETS] = "packets",
	[NRTLS_RX_RECORDS] = "records",
	[NRTLS_RX_DROPPED] = "dropped",
	[NRTLS_RX_LOST_SYNC] = "lost_sync",
	[NRTLS_RX_UNTRACKED] = "untracked",
	[NRTLS_RX_STEERED] = "steered",
};

/*
 * One attachment; false if its pins are unreadable.  Device names are
 * known only in the namespace nrtlsctl is in.
 */
static bool show_one(unsigned long ns, int ifindex, bool json, bool first)
{
	int link = ctl_pinned_fd(KIND, ns, ifindex, "link");
	int stats = ctl_pinned_fd(KIND, ns, ifindex, "stats");
	int flows = ctl_pinned_fd(KIND, ns, ifindex, "flows");
	int config = ctl_pinned_fd(KIND, ns, ifindex, "config");
	struct bpf_link_info info = { 0 };
	__u32 info_len = sizeof(info), zero = 0;
	char name[IF_NAMESIZE] = "";
	union {
		struct nrtls_rx__rodata v;
		unsigned char b[64];
	} cfg = { 0 };
	bool ok = link >= 0 && stats >= 0 && flows >= 0 && config >= 0;
	__u16 port = 0;
	bool steer = false;

	if (ok && bpf_obj_get_info_by_fd(link, &info, &info_len))
		ok = false;
	if (ok && !bpf_map_lookup_elem(config, &zero, cfg.b)) {
		port = cfg.v.port;
		steer = cfg.v.steer_cpu;
	}
	if (ns != ctl_netns || !if_indextoname(ifindex, name))
		strcpy(name, "");
	if (!ok) {
		fprintf(stderr, "nrtlsctl: " CTL_PIN_ROOT "/rx-%lu-%d: incomplete or unreadable\n",
			ns, ifindex);
	} else if (json) {
		printf("%s{\"device\":", first ? "" : ",");
		if (*name)
			json_str(name);
		else
			printf("null");
		printf(",\"netns\":%lu,\"ifindex\":%d,\"attached\":%s,\"link\":%u,"
		       "\"program\":%u,\"port\":%u,\"steer_cpu\":%s", ns, ifindex,
		       info.xdp.ifindex ? "true" : "false", info.id, info.prog_id, port,
		       steer ? "true" : "false");
		for (int i = 0; i < NRTLS_RX_NSTATS; i++)
			printf(",\"%s\":%llu", stat_names[i], ctl_stat_sum(stats, i));
		show_flows(flows, true);
		printf("}");
	} else {
		if (ns != ctl_netns)
			printf("netns %lu ifindex %d: ", ns, ifindex);
		else
			printf("%s (ifindex %d): ", *name ? name : "(gone)", ifindex);
		printf("%s, link %u, program %u, %s",
		       info.xdp.ifindex ? "attached" : "detached (device gone)",
		       info.id, info.prog_id, port ? "port " : "all TCP ports");
		if (port)
			printf("%u", port);
		if (steer)
			printf(", steering to CPUs");
		printf("\n ");
		for (int i = 0; i < NRTLS_RX_NSTATS; i++)
			printf(" %s %llu", stat_names[i], ctl_stat_sum(stats, i));
		printf("\n");
		show_flows(flows, false);
	}
	if (link >= 0)
		close(link);
	if (stats >= 0)
		close(stats);
	if (flows >= 0)
		close(flows);
	if (config >= 0)
		close(config);
	return ok;
}


int ctl_rx(int argc, char **argv)
{
	const char *cmd = NULL, *dev = NULL, *netns = NULL;
	bool json = false, steer = false;
	long port = 0;

	for (int i = 0; i < argc; i++) {
		static const char *const valued[] = { "--port", "--netns", NULL };

		if (ctl_no_value(argc, argv, i, valued))
			return 2;
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			rx_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			char *end;

			port = strtol(argv[++i], &end, 10);
			if (*end || port < 1 || port > 65535) {
				fprintf(stderr, "nrtlsctl: --port: '%s' is not a port (1-65535)\n",
					argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--steer-cpu")) {
			steer = true;
		} else if (!strcmp(argv[i], "--netns") && i + 1 < argc) {
			netns = argv[++i];
		} else if (argv[i][0] != '-' && !cmd) {
			cmd = argv[i];
		} else if (argv[i][0] != '-' && !dev) {
			dev = argv[i];
		} else {
			fprintf(stderr, "nrtlsctl: rx: unexpected '%s'\n", argv[i]);
			rx_usage(stderr);
			return 2;
		}
	}
	ctl_libbpf_quiet();
	if (cmd && (!strcmp(cmd, "status") || dev) && ctl_enter_netns(netns))
		return 1;
	if (cmd && !strcmp(cmd, "status") && !port && !steer)
		return ctl_status(KIND, "nrtls_rx", dev, json, show_one);
	if (cmd && dev && !json && !strcmp(cmd, "attach"))
		return rx_attach(dev, port, steer);
	if (cmd && dev && !json && !port && !steer && !strcmp(cmd, "detach"))
		return rx_detach(dev);
	if (cmd && strcmp(cmd, "status") && strcmp(cmd, "attach") && strcmp(cmd, "detach"))
		fprintf(stderr, "nrtlsctl: rx: unknown command '%s'\n", cmd);
	rx_usage(stderr);
	return 2;
}
