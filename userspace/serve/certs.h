/* SPDX-License-Identifier: GPL-2.0 */
/* Several certificates on one HTTPS server, chosen by the client's SNI. */
#ifndef NRTLS_SERVE_CERTS_H
#define NRTLS_SERVE_CERTS_H

#include <stddef.h>
#include <openssl/ssl.h>

#define CERTS_MAX 16

/*
 * Load the @n certificate and key pairs.  The first is the default; a
 * client whose SNI names a host that another pair's certificate covers
 * (its DNS names, wildcards included) gets that one.  The returned
 * context holds the others and frees them with itself.
 * Return: the first pair's context, or NULL with a message in @err.
 */
SSL_CTX *certs_load(const char *const *certs, const char *const *keys, int n, char *err,
		    size_t errlen);

#endif /* NRTLS_SERVE_CERTS_H */
