// SPDX-License-Identifier: GPL-2.0
/* nrtls-serve: command line and start-up; server.c does the serving. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "libnrtls.h"
#include "mime.h"
#include "server.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: nrtls-serve --root DIR [--http ADDR:PORT]... [--https ADDR:PORT... --cert FILE --key FILE]\n"
"                   [options]\n"
"\n"
"An HTTP/1.1 static file server on io_uring.  Responses go out through\n"
"nrtls.ko's asynchronous sendfile when /dev/nrtls exists, through splice\n"
"otherwise; HTTPS records are encrypted by the kernel (kTLS) when it can.\n"
"\n"
"  --root DIR              serve the files beneath DIR (symlinks may not leave it)\n"
"  --http ADDR:PORT        plain HTTP, e.g. 0.0.0.0:80, [::]:8080, :8080 (every\n"
"                          IPv4 address), localhost:8080 (every address of the\n"
"                          name); may be given several times\n"
"  --https ADDR:PORT       HTTPS, the same way; needs --cert and --key\n"
"  --cert FILE             PEM certificate chain\n"
"  --key FILE              PEM private key; --cert and --key may be given up\n"
"                          to 16 times, in pairs: a client gets the first pair\n"
"                          whose certificate covers the name it asks for (SNI),\n"
"                          else the first\n"
"  --threads N             event loops, one ring each (default: one per CPU)\n"
"  --max-conns N           open connections at most (default 10000)\n"
"  --idle-timeout S        close a keep-alive connection idle this long (default 60)\n"
"  --header-timeout S      time to send a request head, from its first byte (a\n"
"                          connection's first: from the accept or the TLS\n"
"                          handshake) (default 10)\n"
"  --send-timeout S        close when the peer takes no data this long (default 60)\n"
"  --shutdown-timeout S    on SIGTERM, wait this long for responses (default 30)\n"
"  --max-header BYTES      request line and headers (default 8192; beyond: 431)\n"
"  --max-uri BYTES         request target (default 2048; beyond: 414)\n"
"  --mime-types FILE       extension to type map (default /etc/mime.types)\n"
"  --access-log FILE       a line per request; '-' is stdout (default), 'off' none\n"
"  --log-format FORMAT     'combined' (default: as Apache's and nginx's), or\n"
"                          'timing': combined + milliseconds, the send path and\n"
"                          (HTTPS) who decrypted the request\n"
"  --stats                 serve statistics as JSON at /.nrtls/stats and in\n"
"                          Prometheus's text format at /.nrtls/metrics\n"
"  --precompressed         serve FILE.br or FILE.gz for FILE to clients that\n"
"                          accept that coding, when it exists (nginx's\n"
"                          gzip_static)\n"
"  --dotfiles              serve files and directories whose names start with\n"
"                          '.' (default: 403, but for /.well-known/)\n"
"  --no-module             use splice even if nrtls.ko is loaded\n"
"  --user NAME             once listening, with the certificate, key and log\n"
"                          open, run as NAME (and its group); SIGHUP then\n"
"                          reads the certificate and key as NAME\n"
"  --check                 check the arguments, certificate and key, and exit\n"
"  -h, --help              this text\n"
"  -V, --version           print the version\n"
"\n"
"Signals: SIGTERM or SIGINT finish the responses in flight and exit;\n"
"SIGHUP re-reads the certificate and key (for new connections) and reopens\n"
"the access log; SIGUSR1 reopens the access log (for logrotate); SIGUSR2\n"
"prints statistics to standard error.\n");
}

/*
 * ADDR:PORT, [IPV6]:PORT or :PORT (every IPv4 address); a host name
 * listens on every address it resolves to.  Appends to cfg->listen.
 */
static int parse_listen(const char *opt, const char *s, bool tls, struct server_config *cfg)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	const char *colon = strrchr(s, ':');
	struct addrinfo *res, *ai;
	char host[256], *end;
	size_t hl;
	long port;
	int err;

	if (!colon)
		goto bad;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 1 || port > 65535)
		goto bad;
	hl = colon - s;
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		memmove(host, host + 1, hl - 1);
		hints.ai_family = AF_INET6;
		hints.ai_flags |= AI_NUMERICHOST;
	} else if (!hl) {
		hints.ai_family = AF_INET;
		hints.ai_flags |= AI_PASSIVE;
	} else if (strchr(host, ':') || strchr(host, '[')) {
		goto bad;
	} else if (strspn(host, "0123456789.") == hl) {
		struct in_addr in;

		/* Not getaddrinfo()'s inet_aton(), which reads 1.2.3 as 1.2.0.3. */
		if (inet_pton(AF_INET, host, &in) != 1)
			goto bad;
	}
	err = getaddrinfo(hl ? host : NULL, colon + 1, &hints, &res);
	if (err) {
		fprintf(stderr, "nrtls-serve: --%s %s: %s\n", opt, s, gai_strerror(err));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct listen_addr *a = &cfg->listen[cfg->nlisten];
		char ip[INET6_ADDRSTRLEN];

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (cfg->nlisten == MAX_LISTEN) {
			fprintf(stderr, "nrtls-serve: more than %d addresses to listen on\n",
				MAX_LISTEN);
			freeaddrinfo(res);
			return -1;
		}
		memset(a, 0, sizeof(*a));
		memcpy(&a->sa, ai->ai_addr, ai->ai_addrlen);
		a->len = ai->ai_addrlen;
		a->tls = tls;
		if (ai->ai_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
				  ip, sizeof(ip));
			snprintf(a->text, sizeof(a->text), "%s:%ld", ip, port);
		} else {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
				  ip, sizeof(ip));
			snprintf(a->text, sizeof(a->text), "[%s]:%ld", ip, port);
		}
		cfg->nlisten++;
	}
	freeaddrinfo(res);
	return 0;
bad:
	fprintf(stderr, "nrtls-serve: bad address '%s' for --%s (want ADDR:PORT)\n", s, opt);
	return -1;
}

static int port_of(const struct listen_addr *a)
{
	return ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
}

/* Two listeners on one port: the same address twice, or HTTP with HTTPS. */
static int check_listeners(const struct server_config *cfg)
{
	for (int i = 0; i < cfg->nlisten; i++) {
		for (int j = 0; j < i; j++) {
			const struct listen_addr *a = &cfg->listen[i], *b = &cfg->listen[j];

			if (port_of(a) != port_of(b))
				continue;
			if (a->tls != b->tls) {
				fprintf(stderr, "nrtls-serve: port %d is given to both --http and --https\n",
					port_of(a));
				return -1;
			}
			if (!strcmp(a->text, b->text)) {
				fprintf(stderr, "nrtls-serve: %s is given twice\n", a->text);
				return -1;
			}
		}
	}
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
		{ "log-format", required_argument, NULL, 'F' },
		{ "stats", no_argument, NULL, 'z' },
		{ "no-module", no_argument, NULL, 'n' },
		{ "dotfiles", no_argument, NULL, 'd' },
		{ "precompressed", no_argument, NULL, 'P' },
		{ "user", required_argument, NULL, 'U' },
		{ "check", no_argument, NULL, 'C' },
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
	const char *mime = "/etc/mime.types";
	bool check = false, https = false;
	int c, li = 0;
	unsigned long v;

	while ((c = getopt_long(argc, argv, "hV", opts, &li)) != -1) {
		switch (c) {
		case 'r':
			cfg.root = optarg;
			break;
		case 'p':
		case 's':
			if (parse_listen(opts[li].name, optarg, c == 's', &cfg))
				return 2;
			https |= c == 's';
			break;
		case 'c':
		case 'k':
			if ((c == 'c' ? cfg.ncerts : cfg.nkeys) == CERTS_MAX) {
				fprintf(stderr, "nrtls-serve: at most %d --%s\n", CERTS_MAX,
					opts[li].name);
				return 2;
			}
			if (c == 'c')
				cfg.certs[cfg.ncerts++] = optarg;
			else
				cfg.keys[cfg.nkeys++] = optarg;
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
					optarg, opts[li].name, r[j].min, r[j].max);
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
			cfg.access_log_path = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "combined") && strcmp(optarg, "timing")) {
				fprintf(stderr, "nrtls-serve: --log-format: '%s' is neither "
					"'combined' nor 'timing'\n", optarg);
				return 2;
			}
			cfg.log_timing = !strcmp(optarg, "timing");
			break;
		case 'z':
			cfg.stats_endpoint = true;
			break;
		case 'n':
			cfg.no_module = true;
			break;
		case 'd':
			cfg.dotfiles = true;
			break;
		case 'P':
			cfg.precompressed = true;
			break;
		case 'U': {
			struct passwd *pw = getpwnam(optarg);

			if (!pw) {
				fprintf(stderr, "nrtls-serve: --user %s: no such user\n", optarg);
				return 2;
			}
			cfg.user = optarg;
			cfg.uid = pw->pw_uid;
			cfg.gid = pw->pw_gid;
			break;
		}
		case 'C':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("nrtls-serve %s\n", NRTLS_VERSION);
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
	if (!cfg.root || !cfg.nlisten) {
		fprintf(stderr, "nrtls-serve: --root and --http or --https are required (see --help)\n");
		return 2;
	}
	if (https != (cfg.ncerts && cfg.nkeys) || (!https && (cfg.ncerts || cfg.nkeys))) {
		fprintf(stderr, "nrtls-serve: --https goes with --cert and --key\n");
		return 2;
	}
	if (cfg.ncerts != cfg.nkeys) {
		fprintf(stderr, "nrtls-serve: %d --cert but %d --key: give them in pairs\n",
			cfg.ncerts, cfg.nkeys);
		return 2;
	}
	if (check_listeners(&cfg))
		return 2;
	if (cfg.max_target >= cfg.max_head) {
		fprintf(stderr, "nrtls-serve: --max-uri must be smaller than --max-header\n");
		return 2;
	}
	cfg.root_fd = open(cfg.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cfg.root_fd < 0) {
		fprintf(stderr, "nrtls-serve: --root %s: %s\n", cfg.root, strerror(errno));
		return 1;
	}
	if (access(cfg.root, R_OK | X_OK))
		fprintf(stderr, "nrtls-serve: warning: --root %s: %s; requests will fail\n",
			cfg.root, strerror(errno));
	if (mime_load(mime) < 0)
		fprintf(stderr, "nrtls-serve: %s: %s; every file is application/octet-stream\n",
			mime, strerror(errno));
	if (https) {
		char err[256];

		cfg.tls = certs_load(cfg.certs, cfg.keys, cfg.ncerts, err, sizeof(err));
		if (!cfg.tls) {
			fprintf(stderr, "nrtls-serve: TLS: %s\n", err);
			return 1;
		}
	}
	if (cfg.access_log_path && !strcmp(cfg.access_log_path, "off")) {
		cfg.access_log = NULL;
		cfg.access_log_path = NULL;
	} else if (!cfg.access_log_path || !strcmp(cfg.access_log_path, "-")) {
		cfg.access_log_path = NULL;
	} else {
		cfg.access_log = fopen(cfg.access_log_path, "ae");
		if (!cfg.access_log) {
			fprintf(stderr, "nrtls-serve: --access-log %s: %s\n", cfg.access_log_path,
				strerror(errno));
			return 1;
		}
	}
	if (check) {
		printf("nrtls-serve: the configuration is valid\n");
		return 0;
	}
	if (cfg.access_log)
		setvbuf(cfg.access_log, NULL, _IOLBF, 0);
	return server_run(&cfg);
}
