// SPDX-License-Identifier: GPL-2.0
/* nrtls-serve: command line and start-up; server.c does the serving. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libnrtls.h"
#include "mime.h"
#include "server.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: nrtls-serve --root DIR [--http ADDR:PORT] [--https ADDR:PORT --cert FILE --key FILE]\n"
"                   [options]\n"
"\n"
"An HTTP/1.1 static file server on io_uring.  Responses go out through\n"
"nrtls.ko's asynchronous sendfile when /dev/nrtls exists, through splice\n"
"otherwise; HTTPS records are encrypted by the kernel (kTLS) when it can.\n"
"\n"
"  --root DIR              serve the files beneath DIR (symlinks may not leave it)\n"
"  --http ADDR:PORT        plain HTTP, e.g. 0.0.0.0:80, [::]:8080, :8080\n"
"  --https ADDR:PORT       HTTPS; needs --cert and --key\n"
"  --cert FILE             PEM certificate chain\n"
"  --key FILE              PEM private key\n"
"  --threads N             event loops, one ring each (default: one per CPU)\n"
"  --max-conns N           open connections at most (default 10000)\n"
"  --idle-timeout S        close a keep-alive connection idle this long (default 60)\n"
"  --header-timeout S      time to send a request head (default 10)\n"
"  --send-timeout S        close when the peer takes no data this long (default 60)\n"
"  --shutdown-timeout S    on SIGTERM, wait this long for responses (default 30)\n"
"  --max-header BYTES      request line and headers (default 8192; beyond: 431)\n"
"  --max-uri BYTES         request target (default 2048; beyond: 414)\n"
"  --mime-types FILE       extension to type map (default /etc/mime.types)\n"
"  --access-log FILE       a line per request; '-' is stdout (default), 'off' none\n"
"  --stats                 serve statistics as JSON at /.nrtls/stats\n"
"  --no-module             use splice even if nrtls.ko is loaded\n"
"  -h, --help              this text\n"
"  -V, --version           print the version\n"
"\n"
"Signals: SIGTERM or SIGINT finish the responses in flight and exit;\n"
"SIGUSR1 prints statistics to standard error.\n");
}

static int parse_addr(const char *s, struct listen_addr *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	struct sockaddr_in *in4 = (void *)&a->sa;
	struct sockaddr_in6 *in6 = (void *)&a->sa;
	char *end;
	long port;
	size_t hl;

	if (!colon)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 1 || port > 65535)
		return -1;
	hl = colon - s;
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(&a->sa, 0, sizeof(a->sa));
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -1;
		a->len = sizeof(*in6);
	} else {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		if (hl && inet_pton(AF_INET, host, &in4->sin_addr) != 1)
			return -1;
		a->len = sizeof(*in4);
	}
	snprintf(a->text, sizeof(a->text), "%s", s);
	a->on = true;
	return 0;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "http", required_argument, NULL, 'p' },
		{ "https", required_argument, NULL, 's' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "threads", required_argument, NULL, 't' },
		{ "max-conns", required_argument, NULL, 'm' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "header-timeout", required_argument, NULL, 'H' },
		{ "send-timeout", required_argument, NULL, 'S' },
		{ "shutdown-timeout", required_argument, NULL, 'D' },
		{ "max-header", required_argument, NULL, 'x' },
		{ "max-uri", required_argument, NULL, 'u' },
		{ "mime-types", required_argument, NULL, 'T' },
		{ "access-log", required_argument, NULL, 'l' },
		{ "stats", no_argument, NULL, 'z' },
		{ "no-module", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct server_config cfg = {
		.threads = sysconf(_SC_NPROCESSORS_ONLN),
		.max_conns = 10000,
		.idle_timeout = 60,
		.header_timeout = 10,
		.send_timeout = 60,
		.shutdown_timeout = 30,
		.max_head = 8192,
		.max_target = 2048,
		.access_log = stdout,
	};
	const char *cert = NULL, *key = NULL, *mime = "/etc/mime.types";
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			cfg.root = optarg;
			break;
		case 'p':
		case 's':
			if (parse_addr(optarg, c == 'p' ? &cfg.http : &cfg.https)) {
				fprintf(stderr, "nrtls-serve: bad address '%s' (want ADDR:PORT)\n", optarg);
				return 2;
			}
			break;
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 't': case 'm': case 'i': case 'H': case 'S': case 'D': case 'x': case 'u': {
			static const struct { int opt; unsigned long min, max; } r[] = {
				{ 't', 1, 256 }, { 'm', 1, 1000000 }, { 'i', 1, 86400 },
				{ 'H', 1, 3600 }, { 'S', 1, 86400 }, { 'D', 0, 3600 },
				{ 'x', 256, 1 << 20 }, { 'u', 16, 1 << 16 },
			};
			size_t j = 0;

			while (r[j].opt != c)
				j++;
			if (parse_uint(optarg, r[j].min, r[j].max, &v)) {
				fprintf(stderr, "nrtls-serve: bad value '%s' for --%s (%lu to %lu)\n",
					optarg, argv[optind - 1] + 2, r[j].min, r[j].max);
				return 2;
			}
			switch (c) {
			case 't': cfg.threads = v; break;
			case 'm': cfg.max_conns = v; break;
			case 'i': cfg.idle_timeout = v; break;
			case 'H': cfg.header_timeout = v; break;
			case 'S': cfg.send_timeout = v; break;
			case 'D': cfg.shutdown_timeout = v; break;
			case 'x': cfg.max_head = v; break;
			case 'u': cfg.max_target = v; break;
			}
			break;
		}
		case 'T':
			mime = optarg;
			break;
		case 'l':
			if (!strcmp(optarg, "off")) {
				cfg.access_log = NULL;
			} else if (strcmp(optarg, "-")) {
				cfg.access_log = fopen(optarg, "a");
				if (!cfg.access_log) {
					fprintf(stderr, "nrtls-serve: %s: %s\n", optarg, strerror(errno));
					return 1;
				}
			}
			break;
		case 'z':
			cfg.stats_endpoint = true;
			break;
		case 'n':
			cfg.no_module = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("nrtls-serve 0.1.0\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nrtls-serve: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (!cfg.root || (!cfg.http.on && !cfg.https.on)) {
		fprintf(stderr, "nrtls-serve: --root and --http or --https are required (see --help)\n");
		return 2;
	}
	if (cfg.https.on != (cert && key) || (!cfg.https.on && (cert || key))) {
		fprintf(stderr, "nrtls-serve: --https goes with --cert and --key\n");
		return 2;
	}
	if (cfg.max_target >= cfg.max_head) {
		fprintf(stderr, "nrtls-serve: --max-uri must be smaller than --max-header\n");
		return 2;
	}
	cfg.root_fd = open(cfg.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cfg.root_fd < 0) {
		fprintf(stderr, "nrtls-serve: --root %s: %s\n", cfg.root, strerror(errno));
		return 1;
	}
	if (mime_load(mime) < 0)
		fprintf(stderr, "nrtls-serve: %s: %s; every file is application/octet-stream\n",
			mime, strerror(errno));
	if (cfg.https.on) {
		char err[256];

		cfg.tls = nrtls_tls_server_ctx(cert, key, err, sizeof(err));
		if (!cfg.tls) {
			fprintf(stderr, "nrtls-serve: TLS: %s\n", err);
			return 1;
		}
	}
	if (cfg.access_log)
		setvbuf(cfg.access_log, NULL, _IOLBF, 0);
	return server_run(&cfg);
}
