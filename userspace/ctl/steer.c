// SPDX-License-Identifier: GPL-2.0
/*
 * nrtlsctl steer: the nrtls_steer TC program
 * (bpf/nrtls_steer.bpf.c) on a wrapper's egress.  Pinned, with its maps,
 * in /sys/fs/bpf/nrtls/steer-<netns inode>-<ifindex>/: as a tcx link
 * where the kernel has them (6.6 and later), else (6.1) as a tc filter on
 * the clsact qdisc, whose program is pinned instead.  Attaching again
 * replaces the program atomically in either, keeping decisions (they live
 * on the contexts), rules and counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <linux/nrtls.h>
#include "ctl.h"
#include "nrtls_steer.h"
#include "nrtls_steer.skel.h"

#define KIND "steer"
/* "drain": a map of older versions (draining is the wrapper's now), unpinned. */
static const char *const pins[] = { "link", "prog", "rules", "stats", "config", "drain" };

/* BPF_TCX_EGRESS (Linux 6.6), which Debian 12's headers do not have. */
#define TCX_EGRESS 47
/* The tc filter, where there is no tcx: ours by its handle and priority. */
#define TC_HANDLE 0x6e72
#define TC_PRIO 0x6e72

static const char *const policies[] = {
	[NRTLS_STEER_HASH] = "hash",
	[NRTLS_STEER_LEAST_LOADED] = "least-loaded",
	[NRTLS_STEER_MAP] = "map",
};

static const char *const stat_names[NRTLS_STEER_NSTATS] = {
	[NRTLS_STEER_PACKETS] = "packets",
	[NRTLS_STEER_OFFLOADED] = "offloaded",
	[NRTLS_STEER_DECISIONS] = "decisions",
	[NRTLS_STEER_ERRORS] = "errors",
	[NRTLS_STEER_NO_LOWER] = "no_lower",
};

static void steer_usage(FILE *f)
{
	fprintf(f,
		"usage: nrtlsctl steer attach DEV [--policy hash|least-loaded|map] [--netns NAME]\n"
		"       nrtlsctl steer detach DEV [--netns NAME]\n"
		"       nrtlsctl steer status [DEV] [--netns NAME] [--json]\n"
		"       nrtlsctl steer rule add DEV PREFIX LOWER [--port PORT] [--netns NAME]\n"
		"       nrtlsctl steer rule del DEV PREFIX [--port PORT] [--netns NAME]\n"
		"\n"
		"  attach  load nrtls_steer (TC) on the egress of DEV, an nrtls_lag wrapper,\n"
		"          or replace the one there; --policy decides for flows without a\n"
		"          lower to keep (default hash: of the 4-tuple; least-loaded: the\n"
		"          lower with the fewest offloaded flows; map: the rules, else hash)\n"
		"  detach  remove it; flows keep the lowers they were steered to\n"
		"  status  per wrapper: policy, counters, rules, drained lowers\n"
		"  rule    for --policy map: flows to a peer in PREFIX (and PORT, default\n"
		"          any) go by LOWER\n"
		"  (draining a lower of the wrapper: nrtlsctl drain --help)\n"
		"  --netns  the devices are in that network namespace (ip netns's NAME, or\n"
		"          a path such as /proc/PID/ns/net); use it, not 'ip netns exec'\n"
		"Pinned in " CTL_PIN_ROOT "/steer-NETNS-IFINDEX/; needs root and nrtls.ko.\n");
}

static int pinned_fd(int ifindex, const char *file)
{
	return ctl_pinned_fd(KIND, ctl_netns, ifindex, file);
}

static void unpin_all(int ifindex)
{
	ctl_unpin_all(KIND, ifindex, pins, sizeof(pins) / sizeof(pins[0]));
}

/*
 * Our tc filter on @ifindex's egress (no tcx): put @prog there (@flags
 * BPF_TC_F_REPLACE to replace it), or with @prog < 0 take it off.
 * Returns 0 or -errno.
 */
static int tc_filter(int ifindex, int prog, __u32 flags)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIO);

	if (prog < 0)
		return bpf_tc_detach(&hook, &opts);
	opts.prog_fd = prog;
	opts.flags = flags;
	return bpf_tc_attach(&hook, &opts);
}

/* Pin the program (tc mode), replacing an older pin. */
static int pin_prog(struct nrtls_steer *skel, int ifindex)
{
	char path[128];
	int err;

	ctl_pin_path(path, sizeof(path), KIND, ctl_netns, ifindex, "prog");
	unlink(path);
	err = bpf_program__pin(skel->progs.nrtls_steer, path);
	if (err)
		fprintf(stderr, "nrtlsctl: pinning %s: %s\n", path, strerror(-err));
	return err;
}

/* Attach @skel's program on @ifindex's egress and pin it all. */
static int attach_new(struct nrtls_steer *skel, int ifindex, const char *dev)
{
	int prog = bpf_program__fd(skel->progs.nrtls_steer);
	bool tc = false;
	char path[128];
	int link, err;

	/* Nothing attached: whatever is pinned is left from a failure. */
	unpin_all(ifindex);
	if (ctl_pin_dir(KIND, ifindex))
		return -1;
	link = bpf_link_create(prog, ifindex, TCX_EGRESS, NULL);
	if (link >= 0) {
		ctl_pin_path(path, sizeof(path), KIND, ctl_netns, ifindex, "link");
		err = bpf_obj_pin(link, path) ? -errno : 0;
		if (err)
			fprintf(stderr, "nrtlsctl: pinning %s: %s\n", path, strerror(-err));
		close(link);
	} else if (errno == EINVAL) {
		/* No tcx here (before 6.6): a filter on clsact. */
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_EGRESS);

		/* A clsact qdisc there already (ours, left by a detach) is fine. */
		ctl_libbpf_mute(true);
		err = bpf_tc_hook_create(&hook);
		ctl_libbpf_mute(false);
		if (err && err != -EEXIST) {
			fprintf(stderr, "nrtlsctl: adding a clsact qdisc to %s: %s\n", dev,
				strerror(-err));
			unpin_all(ifindex);
			return -1;
		}
		err = tc_filter(ifindex, prog, 0);
		if (err) {
			fprintf(stderr, "nrtlsctl: attaching a tc filter to %s: %s\n", dev,
				strerror(-err));
			unpin_all(ifindex);
			return -1;
		}
		tc = true;
		err = pin_prog(skel, ifindex);
	} else {
		fprintf(stderr, "nrtlsctl: attaching to %s's egress: %s\n", dev,
			strerror(errno));
		unpin_all(ifindex);
		return -1;
	}
	if (!err)
		err = ctl_pin_map(skel->maps.nrtls_steer_rules, KIND, ifindex, "rules");
	if (!err)
		err = ctl_pin_map(skel->maps.nrtls_steer_stats, KIND, ifindex, "stats");
	if (!err)
		err = ctl_pin_map(skel->maps.rodata, KIND, ifindex, "config");
	if (err) {
		/* A tcx link goes with its pin; a tc filter must be taken off. */
		if (tc)
			tc_filter(ifindex, -1, 0);
		unpin_all(ifindex);
	}
	return err ? -1 : 0;
}

/* Replace the attached program: in the link, or the tc filter. */
static int replace(struct nrtls_steer *skel, int ifindex, int link)
{
	int prog = bpf_program__fd(skel->progs.nrtls_steer);
	int err;

	if (link >= 0) {
		if (bpf_link_update(link, prog, NULL)) {
			fprintf(stderr, "nrtlsctl: replacing the program: %s\n",
				strerror(errno));
			return -1;
		}
	} else {
		err = tc_filter(ifindex, prog, BPF_TC_F_REPLACE);
		if (err) {
			fprintf(stderr, "nrtlsctl: replacing the tc filter: %s\n",
				strerror(-err));
			return -1;
		}
		if (pin_prog(skel, ifindex))
			return -1;
	}
	return ctl_pin_map(skel->maps.rodata, KIND, ifindex, "config") ? -1 : 0;
}

static int steer_attach(const char *dev, int policy)
{
	int ifindex = ctl_dev_index(dev), link, old, ret = 1;
	struct nrtls_steer *skel = NULL;

	if (!ifindex)
		return 1;
	if (!ctl_is_wrapper(dev)) {
		fprintf(stderr, "nrtlsctl: %s is not an nrtls_lag wrapper (ip link add %s type nrtls_lag)\n",
			dev, dev);
		return 1;
	}
	if (ctl_ensure_bpffs())
		return 1;
	link = pinned_fd(ifindex, "link");
	old = pinned_fd(ifindex, "prog");
	skel = nrtls_steer__open();
	if (!skel) {
		fprintf(stderr, "nrtlsctl: opening nrtls_steer: %s\n", strerror(errno));
		goto out;
	}
	skel->rodata->policy = policy;
	if ((link >= 0 || old >= 0) &&
	    (ctl_reuse_pinned(skel->maps.nrtls_steer_rules, KIND, ifindex, "rules") ||
	     ctl_reuse_pinned(skel->maps.nrtls_steer_stats, KIND, ifindex, "stats")))
		goto out;
	if (nrtls_steer__load(skel)) {
		fprintf(stderr, "nrtlsctl: loading nrtls_steer: %s%s\n", strerror(errno),
			access("/sys/module/nrtls", F_OK) ? " (nrtls.ko is not loaded)" : "");
		goto out;
	}
	if (link >= 0 || old >= 0 ? replace(skel, ifindex, link) :
				    attach_new(skel, ifindex, dev))
		goto out;
	printf("nrtls_steer %s %s (ifindex %d), policy %s; pinned in "
	       CTL_PIN_ROOT "/steer-%lu-%d\n", link >= 0 || old >= 0 ?
	       "replaced on" : "attached to", dev, ifindex, policies[policy],
	       ctl_netns, ifindex);
	ret = 0;
out:
	nrtls_steer__destroy(skel);
	if (link >= 0)
		close(link);
	if (old >= 0)
		close(old);
	return ret;
}

static int steer_detach(const char *dev)
{
	int ifindex = ctl_dev_index(dev), link, prog;

	if (!ifindex)
		return 1;
	link = pinned_fd(ifindex, "link");
	prog = pinned_fd(ifindex, "prog");
	if (link < 0 && prog < 0) {
		fprintf(stderr, "nrtlsctl: nrtls_steer is not attached to %s (nothing in "
			CTL_PIN_ROOT "/steer-%lu-%d)\n", dev, ctl_netns, ifindex);
		return 1;
	}
	if (link >= 0) {
		/* Detach now, even if some other process holds the link open. */
		if (bpf_link_detach(link) && errno != ENOLINK && errno != EINVAL) {
			fprintf(stderr, "nrtlsctl: detaching from %s: %s\n", dev,
				strerror(errno));
			close(link);
			return 1;
		}
		close(link);
	} else {
		int err = tc_filter(ifindex, -1, 0);

		close(prog);
		/* Gone with its device, or taken off by hand: nothing to do. */
		if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL) {
			fprintf(stderr, "nrtlsctl: removing the tc filter from %s: %s\n",
				dev, strerror(-err));
			return 1;
		}
	}
	unpin_all(ifindex);
	printf("nrtls_steer detached from %s\n", dev);
	return 0;
}

/* The wrapper @ifindex's drained lowers (nrtlsctl drain), from the kernel. */
static void show_drained(int ifindex, bool json)
{
	struct ctl_lower lowers[CTL_LOWERS_MAX];
	int n = ctl_lag_lowers(ifindex, lowers, CTL_LOWERS_MAX);
	bool first = true;

	printf(json ? ",\"drained\":[" : "  drained:");
	for (int i = 0; i < n; i++) {
		if (!lowers[i].drained)
			continue;
		if (json) {
			printf("%s", first ? "" : ",");
			json_str(lowers[i].name);
		} else {
			printf(" %s", lowers[i].name);
		}
		first = false;
	}
	printf(json ? "]" : first ? " none\n" : "\n");
}

static void show_rules(int fd, bool json)
{
	struct nrtls_steer_key key, next;
	void *prev = NULL;
	bool first = true;
	__u32 lower;

	printf(json ? ",\"rules\":[" : "");
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		char addr[INET6_ADDRSTRLEN] = "?", name[IF_NAMESIZE];
		static const __u8 v4[12] = { [10] = 0xff, [11] = 0xff };
		bool is4 = !memcmp(next.addr, v4, sizeof(v4)) && next.prefixlen >= 16 + 96;
		unsigned int plen = next.prefixlen - 16 - (is4 ? 96 : 0);
		unsigned int port = next.port[0] << 8 | next.port[1];

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &lower))
			continue;
		inet_ntop(is4 ? AF_INET : AF_INET6, is4 ? &key.addr[12] : key.addr, addr,
			  sizeof(addr));
		if (!if_indextoname(lower, name))
			snprintf(name, sizeof(name), "%u", lower);
		if (json) {
			printf("%s{\"prefix\":\"%s/%u\",\"port\":%u,\"lower\":", first ? "" : ",",
			       addr, plen, port);
			json_str(name);
			printf("}");
		} else {
			printf("  rule %s/%u port %s%.0u -> %s\n", addr, plen, port ? "" : "any",
			       port, name);
		}
		first = false;
	}
	if (json)
		printf("]");
}

/* One attachment; false if its pins are unreadable. */
static bool show_one(unsigned long ns, int ifindex, bool json, bool first)
{
	int link = ctl_pinned_fd(KIND, ns, ifindex, "link");
	int prog = ctl_pinned_fd(KIND, ns, ifindex, "prog");
	int rules = ctl_pinned_fd(KIND, ns, ifindex, "rules");
	int stats = ctl_pinned_fd(KIND, ns, ifindex, "stats");
	int config = ctl_pinned_fd(KIND, ns, ifindex, "config");
	struct bpf_link_info info = { 0 };
	struct bpf_prog_info pinfo = { 0 };
	__u32 info_len = sizeof(info), pinfo_len = sizeof(pinfo), zero = 0;
	bool ok = (link >= 0 || prog >= 0) && rules >= 0 && stats >= 0 &&
		  config >= 0;
	char name[IF_NAMESIZE] = "";
	unsigned char cfg[64] = { 0 };
	const char *how = "tc filter";
	__u32 policy = 0, prog_id = 0;
	bool attached = true;

	if (ok && link >= 0) {
		ok = !bpf_obj_get_info_by_fd(link, &info, &info_len);
		prog_id = info.prog_id;
		how = "tcx link";
		/*
		 * A tcx link whose device went is detached: ifindex 0.  Its
		 * ifindex is where XDP's is; 6.1's headers know only that one.
		 */
		attached = info.xdp.ifindex;
	} else if (ok) {
		ok = !bpf_obj_get_info_by_fd(prog, &pinfo, &pinfo_len);
		prog_id = pinfo.id;
	}
	if (ok && !bpf_map_lookup_elem(config, &zero, cfg))
		memcpy(&policy, cfg, sizeof(policy));
	if (policy > NRTLS_STEER_MAP)
		policy = NRTLS_STEER_HASH;
	if (ns != ctl_netns || !if_indextoname(ifindex, name))
		strcpy(name, "");
	/* A tc filter goes with its device; elsewhere we cannot tell. */
	if (link < 0 && ns == ctl_netns && !*name)
		attached = false;
	if (!ok) {
		fprintf(stderr, "nrtlsctl: " CTL_PIN_ROOT "/steer-%lu-%d: incomplete or unreadable\n",
			ns, ifindex);
	} else if (json) {
		printf("%s{\"device\":", first ? "" : ",");
		if (*name)
			json_str(name);
		else
			printf("null");
		printf(",\"netns\":%lu,\"ifindex\":%d,\"attached\":%s,\"how\":\"%s\","
		       "\"link\":%u,\"program\":%u,\"policy\":\"%s\"", ns, ifindex,
		       attached ? "true" : "false", link >= 0 ? "tcx" : "tc", info.id,
		       prog_id, policies[policy]);
		for (int i = 0; i < NRTLS_STEER_NSTATS; i++)
			printf(",\"%s\":%llu", stat_names[i], ctl_stat_sum(stats, i));
		show_rules(rules, true);
		if (*name)
			show_drained(ifindex, true);
		printf("}");
	} else {
		if (ns != ctl_netns)
			printf("netns %lu ifindex %d: ", ns, ifindex);
		else
			printf("%s (ifindex %d): ", *name ? name : "(gone)", ifindex);
		printf("%s, %s, program %u, policy %s\n ", attached ? "attached" :
		       "detached (device gone)", how, prog_id, policies[policy]);
		for (int i = 0; i < NRTLS_STEER_NSTATS; i++)
			printf(" %s %llu", stat_names[i], ctl_stat_sum(stats, i));
		printf("\n");
		if (*name)
			show_drained(ifindex, false);
		show_rules(rules, false);
	}
	for (int *fd = (int[]){ link, prog, rules, stats, config, -2 }; *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
	return ok;
}


/* The pinned map @file of the steering on @dev, or -1 with a message. */
static int steer_map(const char *dev, int ifindex, const char *file)
{
	int fd = pinned_fd(ifindex, file);

	if (fd < 0)
		fprintf(stderr, "nrtlsctl: nrtls_steer is not attached to %s (nrtlsctl steer attach %s)\n",
			dev, dev);
	return fd;
}

/* PREFIX (ADDR or ADDR/LEN) and PORT into a rules key. */
static int parse_rule(const char *prefix, long port, struct nrtls_steer_key *key)
{
	char addr[INET6_ADDRSTRLEN + 8], *slash, *end;
	bool is4;
	long len;

	memset(key, 0, sizeof(*key));
	snprintf(addr, sizeof(addr), "%s", prefix);
	slash = strchr(addr, '/');
	if (slash)
		*slash++ = '\0';
	is4 = inet_pton(AF_INET, addr, &key->addr[12]) == 1;
	if (is4) {
		key->addr[10] = 0xff;
		key->addr[11] = 0xff;
	} else if (inet_pton(AF_INET6, addr, key->addr) != 1) {
		fprintf(stderr, "nrtlsctl: '%s' is not an IPv4 or IPv6 prefix\n", prefix);
		return -1;
	}
	len = is4 ? 32 : 128;
	if (slash) {
		len = strtol(slash, &end, 10);
		if (*end || !*slash || len < 0 || len > (is4 ? 32 : 128)) {
			fprintf(stderr, "nrtlsctl: '%s': bad prefix length\n", prefix);
			return -1;
		}
	}
	key->prefixlen = 16 + (is4 ? 96 : 0) + len;
	key->port[0] = port >> 8;
	key->port[1] = port & 0xff;
	return 0;
}

static int steer_rule(const char *op, const char *dev, const char *prefix,
		      const char *lower, long port)
{
	int ifindex = ctl_dev_index(dev), fd, err;
	struct nrtls_steer_key key;
	__u32 lower_index = 0;

	if (!ifindex || parse_rule(prefix, port, &key))
		return 1;
	if (lower) {
		lower_index = ctl_dev_index(lower);
		if (!lower_index)
			return 1;
		if (ctl_master_of(lower_index) != ifindex) {
			fprintf(stderr, "nrtlsctl: %s is not a lower of %s\n", lower, dev);
			return 1;
		}
	}
	fd = steer_map(dev, ifindex, "rules");
	if (fd < 0)
		return 1;
	err = lower ? bpf_map_update_elem(fd, &key, &lower_index, BPF_ANY) :
		      bpf_map_delete_elem(fd, &key);
	if (err)
		fprintf(stderr, "nrtlsctl: steer rule %s %s: %s\n", op, prefix,
			errno == ENOENT ? "no such rule" : strerror(errno));
	close(fd);
	return err ? 1 : 0;
}

static int parse_port(const char *s, long *port)
{
	char *end;

	*port = strtol(s, &end, 10);
	if (*end || *port < 1 || *port > 65535) {
		fprintf(stderr, "nrtlsctl: --port: '%s' is not a port (1-65535)\n", s);
		return -1;
	}
	return 0;
}

int ctl_steer(int argc, char **argv)
{
	const char *args[5] = { NULL }, *netns = NULL;
	int nargs = 0, policy = -1;
	bool json = false;
	long port = 0;

	for (int i = 0; i < argc; i++) {
		static const char *const valued[] = { "--policy", "--port", "--netns", NULL };

		if (ctl_no_value(argc, argv, i, valued))
			return 2;
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			steer_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--policy") && i + 1 < argc) {
			/* Each one on its own: a later bad one is not an earlier good one. */
			policy = -1;
			i++;
			for (int p = 0; p <= NRTLS_STEER_MAP; p++)
				if (!strcmp(argv[i], policies[p]))
					policy = p;
			if (policy < 0) {
				fprintf(stderr, "nrtlsctl: --policy: '%s' is not hash, least-loaded or map\n",
					argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			if (parse_port(argv[++i], &port))
				return 2;
		} else if (!strcmp(argv[i], "--netns") && i + 1 < argc) {
			netns = argv[++i];
		} else if (argv[i][0] != '-' && nargs < 5) {
			args[nargs++] = argv[i];
		} else {
			fprintf(stderr, "nrtlsctl: steer: unexpected '%s'\n", argv[i]);
			steer_usage(stderr);
			return 2;
		}
	}
	ctl_libbpf_quiet();
	if (nargs && ctl_enter_netns(netns))
		return 1;
	if (nargs <= 2 && args[0] && !strcmp(args[0], "status") && policy < 0 && !port)
		return ctl_status(KIND, "nrtls_steer", args[1], json, show_one);
	if (nargs == 2 && !json && !port && !strcmp(args[0], "attach"))
		return steer_attach(args[1], policy < 0 ? NRTLS_STEER_HASH : policy);
	if (nargs == 2 && !json && !port && policy < 0 && !strcmp(args[0], "detach"))
		return steer_detach(args[1]);
	if (nargs == 5 && !json && policy < 0 && !strcmp(args[0], "rule") &&
	    !strcmp(args[1], "add"))
		return steer_rule("add", args[2], args[3], args[4], port);
	if (nargs == 4 && !json && policy < 0 && !strcmp(args[0], "rule") &&
	    !strcmp(args[1], "del"))
		return steer_rule("del", args[2], args[3], NULL, port);
	if (nargs && strcmp(args[0], "status") && strcmp(args[0], "attach") &&
	    strcmp(args[0], "detach") && strcmp(args[0], "rule"))
		fprintf(stderr, "nrtlsctl: steer: unknown command '%s'\n", args[0]);
	steer_usage(stderr);
	return 2;
}
