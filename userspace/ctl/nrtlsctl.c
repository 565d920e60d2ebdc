// SPDX-License-Identifier: GPL-2.0
/*
 * nrtlsctl: the state of nrtls.ko, for people (default) and programs (--json).
 *
 *   nrtlsctl status [--json]
 *   nrtlsctl contexts [--json]
 *   nrtlsctl rx attach|detach|status ...   (rx.c)
 *   nrtlsctl steer attach|detach|status|rule ...   (steer.c)
 *   nrtlsctl drain ...   (drain.c)
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/nrtls.h>
#include "ctl.h"

#define SYSMOD "/sys/module/nrtls"
#define DEBUGFS "/sys/kernel/debug/nrtls"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nrtlsctl status [--json]\n"
		"       nrtlsctl contexts [--json]\n"
		"       nrtlsctl rx attach DEV [--port PORT] [--steer-cpu] [--netns NAME]\n"
		"       nrtlsctl rx detach DEV [--netns NAME]\n"
		"       nrtlsctl rx status [DEV] [--netns NAME] [--json]\n"
		"       nrtlsctl steer attach DEV [--policy hash|least-loaded|map] [--netns NAME]\n"
		"       nrtlsctl steer detach DEV | status [DEV] [--json] | rule ...\n"
		"       nrtlsctl drain LOWER [--undo] [--wait SECONDS | --no-wait] [--netns NAME]\n"
		"\n"
		"  status    is nrtls.ko loaded, its version, parameters, live objects\n"
		"            and event counters (the last two need root: debugfs)\n"
		"  contexts  the live offload contexts: flow, type, mode, device,\n"
		"            references, and what the device says of each (root)\n"
		"  rx        the nrtls_rx XDP program on DEV: TLS records per flow, drops\n"
		"            of impossible records; --port follows only that TCP port;\n"
		"            --netns: DEV's network namespace (root; nrtlsctl rx --help)\n"
		"  steer     the nrtls_steer TC program on DEV, an nrtls_lag wrapper: which\n"
		"            lower carries each offloaded flow (root; nrtlsctl steer --help)\n"
		"  drain     move every flow off LOWER, a lower of an nrtls_lag wrapper,\n"
		"            offloaded, idle ones too, keep new ones off it, and wait\n"
		"            until none is left (nrtlsctl drain --help)\n"
		"  --json    JSON instead of text\n"
		"  -h, --help     this text\n"
		"  -V, --version  the version of nrtlsctl (status gives the module's)\n"
		"\n"
		"Exit status: 0 loaded, 1 not loaded or unreadable, 2 usage.\n");
}

static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok = f && fgets(buf, len, f);

	if (f)
		fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* JSON string body: the values here are names and numbers, but be safe. */
void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

bool ctl_no_value(int argc, char **argv, int i, const char *const *valued)
{
	if (i + 1 < argc)
		return false;
	for (; *valued; valued++) {
		if (!strcmp(argv[i], *valued)) {
			fprintf(stderr, "nrtlsctl: option %s needs a value\n", argv[i]);
			return true;
		}
	}
	return false;
}

static bool is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A "name value" file as one JSON object, or text lines; false if unreadable. */
static bool show_pairs(const char *path, bool json, const char *title)
{
	char name[64], value[64];
	FILE *f = fopen(path, "r");
	bool first = true;

	if (!f)
		return false;
	if (!json)
		printf("%s:\n", title);
	else
		putchar('{');
	while (fscanf(f, "%63s %63s", name, value) == 2) {
		if (json) {
			printf("%s", first ? "" : ",");
			json_str(name);
			putchar(':');
			if (is_number(value))
				printf("%s", value);
			else
				json_str(value);
		} else {
			printf("  %-20s %s\n", name, value);
		}
		first = false;
	}
	if (json)
		putchar('}');
	fclose(f);
	return true;
}

static void show_params(bool json)
{
	DIR *d = opendir(SYSMOD "/parameters");
	struct dirent *de;
	bool first = true;
	char path[512], value[128];

	if (json)
		putchar('{');
	else
		printf("parameters:\n");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SYSMOD "/parameters/%s", de->d_name);
		if (!read_line(path, value, sizeof(value)))
			continue;
		if (json) {
			printf("%s", first ? "" : ",");
			json_str(de->d_name);
			putchar(':');
			if (is_number(value))
				printf("%s", value);
			else
				json_str(value);
		} else {
			printf("  %-20s %s\n", de->d_name, value);
		}
		first = false;
	}
	if (d)
		closedir(d);
	if (json)
		putchar('}');
}

/* The loaded module's ABI: from NRTLS_IOC_VERSION, or 1 before it existed. */
static int module_abi(void)
{
	struct nrtls_version v;
	int fd = open(NRTLS_DEVICE, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, NRTLS_IOC_VERSION, &v);
	close(fd);
	if (ret)
		return errno == ENOTTY ? 1 : -1;
	return v.abi;
}

static int status(bool json)
{
	char version[64] = "unknown";
	struct stat st;
	bool loaded = !stat(SYSMOD, &st);
	bool dev = !stat(NRTLS_DEVICE, &st) && S_ISCHR(st.st_mode);
	int abi = dev ? module_abi() : -1;

	if (!loaded) {
		if (json)
			printf("{\"loaded\":false}\n");
		else
			printf("nrtls: not loaded (insmod nrtls.ko)\n");
		return 1;
	}
	read_line(SYSMOD "/version", version, sizeof(version));
	if (json) {
		printf("{\"loaded\":true,\"version\":");
		json_str(version);
		printf(",\"device\":");
		if (dev)
			json_str(NRTLS_DEVICE);
		else
			printf("null");
		if (abi > 0)
			printf(",\"abi\":%d,\"parameters\":", abi);
		else
			printf(",\"abi\":null,\"parameters\":");
		show_params(true);
		printf(",\"counters\":");
		if (!show_pairs(DEBUGFS "/counters", true, NULL))
			printf("null");
		printf(",\"events\":");
		if (!show_pairs(DEBUGFS "/events", true, NULL))
			printf("null");
		printf("}\n");
		return 0;
	}
	if (abi > 0)
		printf("nrtls: loaded, version %s, ABI %d\n", version, abi);
	else
		printf("nrtls: loaded, version %s, ABI unknown (%s)\n", version,
		       NRTLS_DEVICE " not usable");
	printf("device: %s\n", dev ? NRTLS_DEVICE : "missing");
	show_params(false);
	if (!show_pairs(DEBUGFS "/counters", false, "live objects") ||
	    !show_pairs(DEBUGFS "/events", false, "events"))
		printf("counters: %s (debugfs; run as root)\n", strerror(errno));
	return 0;
}

/*
 * One line of debugfs contexts: "id type mode ifindex refs proto src dst"
 * then "key=value" words (dev=, and the device's own).
 */
static void show_context(char *line, bool json, bool first)
{
	static const char *const names[] = {
		"id", "type", "mode", "ifindex", "refs", "proto", "src", "dst",
	};
	char *save, *w;
	int i = 0;

	line[strcspn(line, "\n")] = '\0';
	if (json)
		printf("%s{", first ? "" : ",");
	for (w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save), i++) {
		char *key = (char *)(i < 8 ? names[i] : w), *val = w, *eq;

		if (i >= 8) {
			eq = strchr(w, '=');
			if (!eq)
				continue;
			*eq = '\0';
			val = eq + 1;
		}
		if (json) {
			printf("%s", i ? "," : "");
			json_str(key);
			putchar(':');
			if (is_number(val))
				printf("%s", val);
			else
				json_str(val);
		} else if (i < 8) {
			printf(i == 0 ? "%-5s" : i == 6 || i == 7 ? " %-22s" : " %-8s", val);
		} else {
			printf(" %s=%s", key, val);
		}
	}
	if (json)
		putchar('}');
	else
		putchar('\n');
}

static int contexts(bool json)
{
	char line[1024];
	bool first = true;
	struct stat st;
	FILE *f;

	if (stat(SYSMOD, &st)) {
		if (json)
			printf("{\"loaded\":false}\n");
		else
			fprintf(stderr, "nrtls: not loaded (insmod nrtls.ko)\n");
		return 1;
	}
	f = fopen(DEBUGFS "/contexts", "r");
	if (!f) {
		int err = errno;

		if (json) {
			printf("{\"loaded\":true,\"error\":");
			json_str(strerror(err));
			printf("}\n");
		} else {
			fprintf(stderr, "nrtlsctl: %s/contexts: %s (debugfs; run as root)\n",
				DEBUGFS, strerror(err));
		}
		return 1;
	}
	/* The first line names the columns. */
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return 1;
	}
	if (json)
		putchar('[');
	else
		printf("%-5s %-8s %-8s %-8s %-8s %-8s %-22s %-22s\n", "id", "type", "mode",
		       "ifindex", "refs", "proto", "src", "dst");
	while (fgets(line, sizeof(line), f)) {
		show_context(line, json, first);
		first = false;
	}
	if (json)
		printf("]\n");
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	bool json = false;
	const char *cmd = NULL;

	if (argc > 1 && !strcmp(argv[1], "rx"))
		return ctl_rx(argc - 2, argv + 2);
	if (argc > 1 && !strcmp(argv[1], "steer"))
		return ctl_steer(argc - 2, argv + 2);
	if (argc > 1 && !strcmp(argv[1], "drain"))
		return ctl_drain(argc - 2, argv + 2);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("nrtlsctl %s\n", NRTLS_VERSION);
			return 0;
		} else if (!cmd && argv[i][0] != '-') {
			cmd = argv[i];
		} else {
			fprintf(stderr, "nrtlsctl: unexpected '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (cmd && !strcmp(cmd, "status"))
		return status(json);
	if (cmd && !strcmp(cmd, "contexts"))
		return contexts(json);
	if (cmd)
		fprintf(stderr, "nrtlsctl: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
