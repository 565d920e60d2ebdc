// SPDX-License-Identifier: GPL-2.0
/*
 * link_nrtls.so: the "nrtls" and "nrtls_lag" link types for iproute2's
 * ip(8), and "nrtls_lag_slave", a lower's state in its wrapper.
 *
 *   ip link add nic0 type nrtls personality cxgb4 peer name nic0p
 *   ip link add lag0 type nrtls_lag vlan 100
 *   ip -d link show nic0
 *
 * ip dlopen()s link_<kind>.so from its library directory (Debian:
 * /usr/lib/x86_64-linux-gnu/ip, or $IP_LIB_DIR) and looks up
 * <kind>_link_util: this one file is installed under the three names.
 * iproute2 installs no development headers, so the few declarations of
 * ip's own that a plugin uses are repeated below; they are those of
 * iproute2 6.1 (Debian 12), whose ip exports these symbols.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <linux/nrtls.h>

/* --- ip's interface for link plugins (ip/ip_common.h and include/) --- */

struct link_util {
	struct link_util *next;
	const char *id;
	int maxattr;
	int (*parse_opt)(struct link_util *, int, char **, struct nlmsghdr *);
	void (*print_opt)(struct link_util *, FILE *, struct rtattr *[]);
	void (*print_xstats)(struct link_util *, FILE *, struct rtattr *);
	void (*print_help)(struct link_util *, int, char **, FILE *);
	int (*parse_ifla_xstats)(struct link_util *, int, char **);
	int (*print_ifla_xstats)(struct nlmsghdr *, void *);
};

struct iplink_req {
	struct nlmsghdr n;
	struct ifinfomsg i;
	char buf[1024];
};

enum output_type { PRINT_FP = 1, PRINT_JSON = 2, PRINT_ANY = 4 };
enum color_attr { COLOR_NONE = 6 };

int addattr8(struct nlmsghdr *n, int maxlen, int type, __u8 data);
int addattr32(struct nlmsghdr *n, int maxlen, int type, __u32 data);
int addattr_l(struct nlmsghdr *n, int maxlen, int type, const void *data,
	      int alen);
int iplink_parse(int argc, char **argv, struct iplink_req *req, char **type);
int print_color_string(enum output_type t, enum color_attr color,
		       const char *key, const char *fmt, const char *value);
int print_color_uint(enum output_type t, enum color_attr color,
		     const char *key, const char *fmt, unsigned int value);
int print_color_on_off(enum output_type t, enum color_attr color,
		     const char *key, const char *fmt, bool value);

/* ------------------------------------------------------------------------ */

#define MSG_MAX 1024
#define TAIL(n) ((struct rtattr *)((char *)(n) + NLMSG_ALIGN((n)->nlmsg_len)))

static const char *const modes[] = { [NRTLS_LINK_NIC] = "nic",
				     [NRTLS_LINK_LAG] = "lag" };
static const char *const personalities[] = { [NRTLS_PERS_MLX5] = "mlx5",
					     [NRTLS_PERS_CXGB4] = "cxgb4" };

static const struct {
	const char *name;
	int attr;
} numbers[] = {
	{ "ring", IFLA_NRTLS_RING },
	{ "latency", IFLA_NRTLS_LATENCY },
	{ "pool-low", IFLA_NRTLS_POOL_LOW },
	{ "pool-high", IFLA_NRTLS_POOL_HIGH },
	{ "pool-bulk", IFLA_NRTLS_POOL_BULK },
	{ "credits", IFLA_NRTLS_CREDITS },
	{ "compl-every", IFLA_NRTLS_COMPL_EVERY },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ip link add NAME type nrtls\n"
		"                  [ personality { mlx5 | cxgb4 } ] [ ring DESCRIPTORS ]\n"
		"                  [ latency MICROSECONDS ] [ pool-low N ] [ pool-high N ]\n"
		"                  [ pool-bulk N ] [ credits N ] [ compl-every N ]\n"
		"                  [ peer [ name PEER ] [ OPTIONS ] ]\n"
		"       ip link set NAME type nrtls [ ring N ] [ latency MICROSECONDS ] ...\n"
		"\n"
		"An emulated kTLS-offload NIC and its peer, like veth.\n"
		"peer, if given, comes last: the rest of the line sets up the peer.\n"
		"The wrapper device is its own type: see ip link help nrtls_lag.\n");
}

static int pick(const char *what, const char *arg, const char *const *names,
		int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(arg, names[i]))
			return i;
	fprintf(stderr, "nrtls: unknown %s \"%s\"\n", what, arg);
	return -1;
}

static int parse_u32(const char *name, const char *arg, __u32 *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || x > 0xffffffffULL) {
		fprintf(stderr, "nrtls: \"%s\" is not a valid %s\n", arg, name);
		return -1;
	}
	*v = x;
	return 0;
}

/* The peer: its own ifinfomsg and IFLA_* attributes, nested. */
static int parse_peer(int argc, char **argv, struct nlmsghdr *n)
{
	struct ifinfomsg *ifm = NLMSG_DATA(n), *peer_ifm;
	unsigned int flags = ifm->ifi_flags, change = ifm->ifi_change;
	int index = ifm->ifi_index;
	struct rtattr *data = TAIL(n);
	char *type = NULL;
	int err;

	/* iplink_parse() writes the peer's flags and index to n's ifinfomsg. */
	ifm->ifi_flags = 0;
	ifm->ifi_change = 0;
	ifm->ifi_index = 0;
	addattr_l(n, MSG_MAX, IFLA_NRTLS_PEER, NULL, 0);
	n->nlmsg_len += sizeof(struct ifinfomsg);
	err = iplink_parse(argc, argv, (struct iplink_req *)n, &type);
	if (err < 0)
		return err;
	if (type) {
		fprintf(stderr, "nrtls: the peer's type is nrtls too\n");
		return -1;
	}
	peer_ifm = RTA_DATA(data);
	memset(peer_ifm, 0, sizeof(*peer_ifm));
	peer_ifm->ifi_flags = ifm->ifi_flags;
	peer_ifm->ifi_change = ifm->ifi_change;
	peer_ifm->ifi_index = ifm->ifi_index;
	ifm->ifi_flags = flags;
	ifm->ifi_change = change;
	ifm->ifi_index = index;
	data->rta_len = (char *)TAIL(n) - (char *)data;
	return argc - err;
}

static int nrtls_parse_opt(struct link_util *lu, int argc, char **argv,
			   struct nlmsghdr *n)
{
	(void)lu;
	while (argc > 0) {
		const char *opt = *argv;
		size_t i;
		__u32 v;
		int x;

		if (!strcmp(opt, "help")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(opt, "peer")) {
			int left = parse_peer(argc - 1, argv + 1, n);

			if (left < 0)
				return -1;
			if (left) {
				fprintf(stderr, "nrtls: garbage after the peer's options\n");
				return -1;
			}
			return 0;
		}
		if (argc < 2) {
			fprintf(stderr, "nrtls: \"%s\" needs a value (see: ip link help nrtls)\n",
				opt);
			return -1;
		}
		if (!strcmp(opt, "mode")) {
			x = pick("mode", argv[1], modes, 2);
			if (x < 0)
				return -1;
			/* The kernel says where the wrapper went. */
			addattr8(n, MSG_MAX, IFLA_NRTLS_MODE, x);
		} else if (!strcmp(opt, "personality")) {
			x = pick("personality", argv[1], personalities, 2);
			if (x < 0)
				return -1;
			addattr8(n, MSG_MAX, IFLA_NRTLS_PERSONALITY, x);
		} else {
			for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
				if (!strcmp(opt, numbers[i].name))
					break;
			if (i == sizeof(numbers) / sizeof(numbers[0])) {
				fprintf(stderr, "nrtls: unknown option \"%s\" (see: ip link help nrtls)\n",
					opt);
				return -1;
			}
			if (parse_u32(opt, argv[1], &v))
				return -1;
			addattr32(n, MSG_MAX, numbers[i].attr, v);
		}
		argc -= 2;
		argv += 2;
	}
	return 0;
}

static void nrtls_print_opt(struct link_util *lu, FILE *f, struct rtattr *tb[])
{
	(void)lu;
	(void)f;
	if (!tb)
		return;
	if (tb[IFLA_NRTLS_PERSONALITY]) {
		__u8 p = *(__u8 *)RTA_DATA(tb[IFLA_NRTLS_PERSONALITY]);

		print_color_string(PRINT_ANY, COLOR_NONE, "personality",
				   "personality %s ", p < 2 ? personalities[p] : "?");
	}
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		char fmt[32];

		if (!tb[numbers[i].attr])
			continue;
		snprintf(fmt, sizeof(fmt), "%s %%u ", numbers[i].name);
		print_color_uint(PRINT_ANY, COLOR_NONE, numbers[i].name, fmt,
				 *(__u32 *)RTA_DATA(tb[numbers[i].attr]));
	}
}

static void nrtls_print_help(struct link_util *lu, int argc, char **argv,
			     FILE *f)
{
	(void)lu;
	(void)argc;
	(void)argv;
	usage(f);
}

struct link_util nrtls_link_util = {
	.id = "nrtls",
	.maxattr = IFLA_NRTLS_MAX,
	.parse_opt = nrtls_parse_opt,
	.print_opt = nrtls_print_opt,
	.print_help = nrtls_print_help,
};

/* --- the wrapper: type nrtls_lag ----------------------------------------- */

static void lag_usage(FILE *f)
{
	fprintf(f,
		"Usage: ip link add NAME type nrtls_lag [ vlan VID ]\n"
		"\n"
		"A wrapper device over nrtls NICs (FreeBSD's lagg with send tags): lowers\n"
		"are added with 'ip link set DEV master NAME', and a TLS flow offloaded to\n"
		"it moves with its keys to another lower when its own goes away.\n"
		"vlan VID (1-4094): its frames leave tagged, only that VLAN's come in;\n"
		"fixed at creation.\n");
}

static int lag_parse_opt(struct link_util *lu, int argc, char **argv,
			 struct nlmsghdr *n)
{
	__u32 v;

	(void)lu;
	while (argc > 0) {
		if (!strcmp(*argv, "help")) {
			lag_usage(stdout);
			exit(0);
		}
		if (strcmp(*argv, "vlan")) {
			fprintf(stderr, "nrtls_lag: unknown option \"%s\" (see: ip link help nrtls_lag)\n",
				*argv);
			return -1;
		}
		if (argc < 2) {
			fprintf(stderr, "nrtls_lag: \"vlan\" needs a value (see: ip link help nrtls_lag)\n");
			return -1;
		}
		if (parse_u32("vlan", argv[1], &v))
			return -1;
		addattr32(n, MSG_MAX, IFLA_NRTLS_LAG_VLAN, v);
		argc -= 2;
		argv += 2;
	}
	return 0;
}

static void lag_print_opt(struct link_util *lu, FILE *f, struct rtattr *tb[])
{
	(void)lu;
	(void)f;
	if (tb && tb[IFLA_NRTLS_LAG_VLAN])
		print_color_uint(PRINT_ANY, COLOR_NONE, "vlan", "vlan %u ",
				 *(__u32 *)RTA_DATA(tb[IFLA_NRTLS_LAG_VLAN]));
}

static void lag_print_help(struct link_util *lu, int argc, char **argv, FILE *f)
{
	(void)lu;
	(void)argc;
	(void)argv;
	lag_usage(f);
}

struct link_util nrtls_lag_link_util = {
	.id = "nrtls_lag",
	.maxattr = IFLA_NRTLS_LAG_MAX,
	.parse_opt = lag_parse_opt,
	.print_opt = lag_print_opt,
	.print_help = lag_print_help,
};

/* --- a lower of the wrapper: type nrtls_lag_slave ------------------------ */

static void lag_slave_usage(FILE *f)
{
	fprintf(f,
		"Usage: ip -d link show DEV\n"
		"\n"
		"DEV is a lower of an nrtls_lag wrapper: \"nrtls_lag_slave drain on|off\n"
		"contexts N\" is its drain and the flows offloaded on it.  Drain it with\n"
		"nrtlsctl drain DEV [--undo]: ip link set cannot (ip takes a kind up to its\n"
		"first '_' as the lower's own, so the kernel refuses the request).\n");
}

static int lag_slave_parse_opt(struct link_util *lu, int argc, char **argv,
			       struct nlmsghdr *n)
{
	(void)lu;
	(void)n;
	if (argc > 0 && !strcmp(*argv, "help")) {
		lag_slave_usage(stdout);
		exit(0);
	}
	fprintf(stderr, "nrtls_lag_slave: use nrtlsctl drain DEV [--undo] (see: ip link help nrtls_lag_slave)\n");
	return -1;
}

static void lag_slave_print_opt(struct link_util *lu, FILE *f, struct rtattr *tb[])
{
	(void)lu;
	(void)f;
	if (!tb)
		return;
	if (tb[IFLA_NRTLS_LAG_SLAVE_DRAIN])
		print_color_on_off(PRINT_ANY, COLOR_NONE, "drain", "drain %s ",
				 *(__u8 *)RTA_DATA(tb[IFLA_NRTLS_LAG_SLAVE_DRAIN]));
	if (tb[IFLA_NRTLS_LAG_SLAVE_CONTEXTS])
		print_color_uint(PRINT_ANY, COLOR_NONE, "contexts", "contexts %u ",
				 *(__u32 *)RTA_DATA(tb[IFLA_NRTLS_LAG_SLAVE_CONTEXTS]));
}

static void lag_slave_print_help(struct link_util *lu, int argc, char **argv,
				 FILE *f)
{
	(void)lu;
	(void)argc;
	(void)argv;
	lag_slave_usage(f);
}

struct link_util nrtls_lag_slave_link_util = {
	.id = "nrtls_lag_slave",
	.maxattr = IFLA_NRTLS_LAG_SLAVE_MAX,
	.parse_opt = lag_slave_parse_opt,
	.print_opt = lag_slave_print_opt,
	.print_help = lag_slave_print_help,
};
