/* SPDX-License-Identifier: GPL-2.0 */
/* The server: one io_uring event loop per thread. */
#ifndef NRTLS_SERVE_SERVER_H
#define NRTLS_SERVE_SERVER_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

struct listen_addr {
	bool on;
	struct sockaddr_storage sa;
	socklen_t len;
	char text[80];
};

struct server_config {
	const char *root;
	int root_fd;
	struct listen_addr http, https;
	SSL_CTX *tls;
	int threads;
	unsigned int max_conns;		/* over all threads */
	unsigned int idle_timeout;	/* seconds, between requests */
	unsigned int header_timeout;	/* seconds, to receive a request head */
	unsigned int send_timeout;	/* seconds without the peer taking data */
	unsigned int shutdown_timeout;	/* seconds to finish on SIGTERM */
	size_t max_head, max_target;
	bool stats_endpoint;
	bool no_module;
	FILE *access_log;		/* NULL: none */
};

/*
 * Listen, serve until SIGTERM or SIGINT (then finish what is in flight),
 * print statistics on SIGUSR1.  Return: the exit status.
 */
int server_run(struct server_config *cfg);

#endif /* NRTLS_SERVE_SERVER_H */
