/* SPDX-License-Identifier: GPL-2.0 */
/* The server: one io_uring event loop per thread. */
#ifndef NRTLS_SERVE_SERVER_H
#define NRTLS_SERVE_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

#include "certs.h"
#include <stdio.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#define MAX_LISTEN 16

struct listen_addr {
	bool tls;
	struct sockaddr_storage sa;
	socklen_t len;
	char text[80];		/* numeric, "127.0.0.1:80" or "[::1]:80" */
};

struct server_config {
	const char *root;
	int root_fd;
	struct listen_addr listen[MAX_LISTEN];
	int nlisten;
	/* --cert and --key pairs, re-read on SIGHUP; the first is the default */
	const char *certs[CERTS_MAX], *keys[CERTS_MAX];
	int ncerts, nkeys;
	SSL_CTX *tls;			/* the first; the server owns it */
	int threads;
	unsigned int max_conns;		/* over all threads */
	unsigned int idle_timeout;	/* seconds, between requests */
	unsigned int header_timeout;	/* seconds, to receive a request head */
	unsigned int send_timeout;	/* seconds without the peer taking data */
	unsigned int shutdown_timeout;	/* seconds to finish on SIGTERM */
	size_t max_head, max_target;
	bool stats_endpoint;
	bool dotfiles;			/* serve names that start with '.' */
	bool precompressed;		/* FILE.br, FILE.gz for FILE if accepted */
	const char *user;		/* --user: whom to become once set up */
	uid_t uid;
	gid_t gid;
	bool no_module;
	const char *access_log_path;	/* reopened on SIGUSR1 and SIGHUP */
	FILE *access_log;		/* NULL: none */
	bool log_timing;		/* "combined" + milliseconds and send path */
};

/*
 * Listen, serve until SIGTERM or SIGINT (then finish what is in flight);
 * SIGHUP re-reads the certificate and key and reopens the access log,
 * SIGUSR1 reopens the log, SIGUSR2 prints statistics.  Return: the exit
 * status.
 */
int server_run(struct server_config *cfg);

#endif /* NRTLS_SERVE_SERVER_H */
