// SPDX-License-Identifier: GPL-2.0
/*
 * nrtlsctl drain, and the lowers of an nrtls_lag wrapper as rtnetlink
 * shows them.  Draining is the wrapper's: a lower's IFLA_INFO_SLAVE_DATA
 * (IFLA_NRTLS_LAG_SLAVE_DRAIN), so it works with or without nrtls_steer
 * attached, and the wrapper moves idle flows too.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/nrtls.h>
#include "ctl.h"

#define DRAIN_WAIT_DEFAULT 10	/* seconds */
/* <linux/if.h>'s, which cannot be included beside <net/if.h>. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP (1 << 16)
#endif

static void drain_usage(FILE *f)
{
	fprintf(f,
		"usage: nrtlsctl drain LOWER [--undo] [--wait SECONDS | --no-wait] [--netns NAME]\n"
		"\n"
		"  Move every flow offloaded on LOWER, a lower of an nrtls_lag wrapper,\n"
		"  to its other lowers, each staying offloaded (idle flows too), and\n"
		"  place no flow there until --undo.  Traffic keeps using LOWER only\n"
		"  while no other lower is up.  Waits until no flow is left on LOWER\n"
		"  (at most SECONDS, default %d; exit 1 if some are) and reports.\n"
		"  --undo   LOWER takes flows again\n"
		"  --netns  the devices are in that network namespace (ip netns's NAME, or\n"
		"           a path such as /proc/PID/ns/net)\n"
		"Needs CAP_NET_ADMIN and nrtls.ko.\n", DRAIN_WAIT_DEFAULT);
}

/* Whether @dev is an nrtls_lag wrapper (its driver says so). */
bool ctl_is_wrapper(const char *dev)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (void *)&info;
	ok = !ioctl(fd, SIOCETHTOOL, &ifr) && !strcmp(info.driver, "nrtls") &&
	     !strcmp(info.version, "lag");
	close(fd);
	return ok;
}

/* A link's message can be large (VFs). */
static char nl_buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));

static void rta_walk(struct rtattr *rta, int len, struct rtattr **tb, int max)
{
	memset(tb, 0, sizeof(*tb) * (max + 1));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type <= max)
			tb[rta->rta_type] = rta;
}

static __u32 rta_u32(const struct rtattr *rta)
{
	__u32 v = 0;

	if (rta && RTA_PAYLOAD(rta) >= sizeof(v))
		memcpy(&v, RTA_DATA(rta), sizeof(v));
	return v;
}

/* One RTM_NEWLINK message into @l; false if it is not a link of @master. */
static bool parse_link(struct nlmsghdr *nh, int master, struct ctl_lower *l)
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	struct rtattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	struct rtattr *sd[IFLA_NRTLS_LAG_SLAVE_MAX + 1];

	rta_walk(IFLA_RTA(ifi), IFLA_PAYLOAD(nh), tb, IFLA_MAX);
	if ((int)rta_u32(tb[IFLA_MASTER]) != master || !tb[IFLA_IFNAME])
		return false;
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	snprintf(l->name, sizeof(l->name), "%s", (char *)RTA_DATA(tb[IFLA_IFNAME]));
	l->up = (ifi->ifi_flags & (IFF_UP | IFF_LOWER_UP)) == (IFF_UP | IFF_LOWER_UP);
	if (!tb[IFLA_LINKINFO])
		return true;
	rta_walk(RTA_DATA(tb[IFLA_LINKINFO]), RTA_PAYLOAD(tb[IFLA_LINKINFO]), li,
		 IFLA_INFO_MAX);
	if (!li[IFLA_INFO_SLAVE_DATA])
		return true;
	rta_walk(RTA_DATA(li[IFLA_INFO_SLAVE_DATA]), RTA_PAYLOAD(li[IFLA_INFO_SLAVE_DATA]),
		 sd, IFLA_NRTLS_LAG_SLAVE_MAX);
	l->drained = sd[IFLA_NRTLS_LAG_SLAVE_DRAIN] &&
		     *(__u8 *)RTA_DATA(sd[IFLA_NRTLS_LAG_SLAVE_DRAIN]);
	l->contexts = rta_u32(sd[IFLA_NRTLS_LAG_SLAVE_CONTEXTS]);
	return true;
}

int ctl_lag_lowers(int master, struct ctl_lower *out, int max)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr master_rta;
		__u32 master;
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = RTM_GETLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.ifi.ifi_family = AF_UNSPEC,
		/* The kernel dumps only @master's lowers; we check anyway. */
		.master_rta.rta_len = RTA_LENGTH(sizeof(__u32)),
		.master_rta.rta_type = IFLA_MASTER,
		.master = master,
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int n = 0, ret = -1;
	bool done = false;

	if (fd < 0)
		return -1;
	if (send(fd, &req, sizeof(req), 0) < 0)
		goto out;
	while (!done) {
		ssize_t got = recv(fd, nl_buf, sizeof(nl_buf), 0);
		struct nlmsghdr *nh = (struct nlmsghdr *)nl_buf;
		size_t len = got;

		if (got < 0)
			goto out;
		/* The kernel's messages are aligned: @len cannot wrap. */
		for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				errno = -((struct nlmsgerr *)NLMSG_DATA(nh))->error;
				goto out;
			}
			if (nh->nlmsg_type == RTM_NEWLINK && n < max &&
			    parse_link(nh, master, &out[n]))
				n++;
		}
	}
	ret = n;
out:
	close(fd);
	return ret;
}

/* The ifindex of @ifindex's master device, 0 if none, or -1. */
int ctl_master_of(int ifindex)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		.nh.nlmsg_type = RTM_GETLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST,
		.ifi.ifi_index = ifindex,
	};
	struct nlmsghdr *nh = (struct nlmsghdr *)nl_buf;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct rtattr *tb[IFLA_MAX + 1];
	int master = -1;
	ssize_t n;

	if (fd < 0)
		return -1;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0 ||
	    (n = recv(fd, nl_buf, sizeof(nl_buf), 0)) < 0 ||
	    !NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type != RTM_NEWLINK)
		goto out;
	rta_walk(IFLA_RTA((struct ifinfomsg *)NLMSG_DATA(nh)), IFLA_PAYLOAD(nh), tb,
		 IFLA_MAX);
	master = rta_u32(tb[IFLA_MASTER]);
out:
	close(fd);
	return master;
}

/* Set @ifindex's drain in its wrapper; 0 or -errno. */
static int set_drain(int ifindex, bool drain)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr linkinfo;
		struct rtattr slave_data;
		struct rtattr drain_rta;
		__u8 drain;
		__u8 pad[3];
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = RTM_NEWLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.ifi.ifi_family = AF_UNSPEC,
		.ifi.ifi_index = ifindex,
		.linkinfo.rta_len = 3 * sizeof(struct rtattr) + 4,
		.linkinfo.rta_type = IFLA_LINKINFO | NLA_F_NESTED,
		.slave_data.rta_len = 2 * sizeof(struct rtattr) + 4,
		.slave_data.rta_type = IFLA_INFO_SLAVE_DATA | NLA_F_NESTED,
		.drain_rta.rta_len = RTA_LENGTH(1),
		.drain_rta.rta_type = IFLA_NRTLS_LAG_SLAVE_DRAIN,
		.drain = drain,
	};
	struct nlmsghdr *nh = (struct nlmsghdr *)nl_buf;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int err = -EIO;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) < 0 ||
	    (n = recv(fd, nl_buf, sizeof(nl_buf), 0)) < 0)
		err = -errno;
	else if (NLMSG_OK(nh, (size_t)n) && nh->nlmsg_type == NLMSG_ERROR)
		err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	close(fd);
	return err;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* @lower in @master's lowers: its flows now, and whether another is open. */
static int lower_state(int master, int lower, unsigned int *contexts, bool *other)
{
	struct ctl_lower lowers[CTL_LOWERS_MAX];
	int n = ctl_lag_lowers(master, lowers, CTL_LOWERS_MAX), found = -1;

	*other = false;
	for (int i = 0; i < n; i++) {
		if (lowers[i].ifindex == lower) {
			*contexts = lowers[i].contexts;
			found = 0;
		} else if (lowers[i].up && !lowers[i].drained) {
			*other = true;
		}
	}
	return found;
}

int ctl_drain(int argc, char **argv)
{
	const char *lower = NULL, *netns = NULL;
	char master_name[IF_NAMESIZE];
	int ifindex, master, err, wait = DRAIN_WAIT_DEFAULT;
	unsigned int before = 0, left = 0;
	bool undo = false, other;
	long t0;

	for (int i = 0; i < argc; i++) {
		static const char *const valued[] = { "--wait", "--netns", NULL };
		char *end;

		if (ctl_no_value(argc, argv, i, valued))
			return 2;
		if (!strcmp(argv[i], "--undo")) {
			undo = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			drain_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--no-wait")) {
			wait = 0;
		} else if (!strcmp(argv[i], "--wait") && i + 1 < argc) {
			wait = strtol(argv[++i], &end, 10);
			if (*end || !*argv[i] || wait < 1 || wait > 3600) {
				fprintf(stderr, "nrtlsctl: --wait: '%s' is not a number of seconds (1-3600)\n",
					argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--netns") && i + 1 < argc) {
			netns = argv[++i];
		} else if (argv[i][0] != '-' && !lower) {
			lower = argv[i];
		} else {
			fprintf(stderr, "nrtlsctl: drain: unexpected '%s'\n", argv[i]);
			drain_usage(stderr);
			return 2;
		}
	}
	if (!lower) {
		drain_usage(stderr);
		return 2;
	}
	if (ctl_enter_netns(netns))
		return 1;
	ifindex = ctl_dev_index(lower);
	if (!ifindex)
		return 1;
	master = ctl_master_of(ifindex);
	if (master <= 0 || !if_indextoname(master, master_name) ||
	    !ctl_is_wrapper(master_name)) {
		fprintf(stderr, "nrtlsctl: %s is not a lower of an nrtls_lag wrapper\n", lower);
		return 1;
	}
	lower_state(master, ifindex, &before, &other);
	err = set_drain(ifindex, !undo);
	if (err) {
		fprintf(stderr, "nrtlsctl: drain %s: %s\n", lower, strerror(-err));
		return 1;
	}
	if (undo) {
		printf("%s takes flows again (%s)\n", lower, master_name);
		return 0;
	}
	printf("%s drained (%s): %u offloaded flows to move\n", lower, master_name, before);
	if (!wait)
		return 0;
	t0 = now_ms();
	for (;;) {
		if (lower_state(master, ifindex, &left, &other)) {
			fprintf(stderr, "nrtlsctl: %s left %s while draining\n", lower,
				master_name);
			return 1;
		}
		if (!left || now_ms() - t0 >= wait * 1000L)
			break;
		usleep(20000);
	}
	if (left) {
		fprintf(stderr, "nrtlsctl: %s: %u flows still on it after %d s%s\n", lower,
			left, wait, other ? "" : " (no other lower of the wrapper is up and not drained)");
		return 1;
	}
	printf("%s: no flow left on it after %ld ms\n", lower, now_ms() - t0);
	return 0;
}
