// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/x509v3.h>

#include "certs.h"
#include "libnrtls.h"

struct certs {
	int n;
	SSL_CTX *ctx[CERTS_MAX];	/* [0] is the default, which owns this */
};

static int certs_idx = -1;
static pthread_once_t certs_once = PTHREAD_ONCE_INIT;

/* ex_data's destructor: the default context is going, and the others. */
static void certs_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
		       void *argp)
{
	struct certs *set = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (!set)
		return;
	for (int i = 1; i < set->n; i++)
		SSL_CTX_free(set->ctx[i]);
	free(set);
}

static void certs_index(void)
{
	certs_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, certs_free);
}

/* During the handshake: the first certificate that covers the SNI name. */
static int certs_pick(SSL *ssl, int *alert, void *arg)
{
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	struct certs *set = arg;

	(void)alert;
	if (!name)
		return SSL_TLSEXT_ERR_OK;
	for (int i = 0; i < set->n; i++) {
		X509 *x = SSL_CTX_get0_certificate(set->ctx[i]);

		if (x && X509_check_host(x, name, 0, 0, NULL) == 1) {
			if (i)
				SSL_set_SSL_CTX(ssl, set->ctx[i]);
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_OK;	/* the default one */
}

SSL_CTX *certs_load(const char *const *certs, const char *const *keys, int n, char *err,
		    size_t errlen)
{
	struct certs *set;

	pthread_once(&certs_once, certs_index);
	if (certs_idx < 0 || n < 1 || n > CERTS_MAX) {
		snprintf(err, errlen, "cannot hold %d certificates", n);
		return NULL;
	}
	set = calloc(1, sizeof(*set));
	if (!set) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (; set->n < n; set->n++) {
		set->ctx[set->n] = nrtls_tls_server_ctx(certs[set->n], keys[set->n], err, errlen);
		if (!set->ctx[set->n])
			goto fail;
	}
	if (n > 1) {
		SSL_CTX_set_tlsext_servername_callback(set->ctx[0], certs_pick);
		SSL_CTX_set_tlsext_servername_arg(set->ctx[0], set);
	}
	/* From here the default context frees the set and the others. */
	if (!SSL_CTX_set_ex_data(set->ctx[0], certs_idx, set)) {
		snprintf(err, errlen, "SSL_CTX_set_ex_data failed");
		goto fail;
	}
	return set->ctx[0];
fail:
	for (int i = 0; i < set->n; i++)
		SSL_CTX_free(set->ctx[i]);
	free(set);
	return NULL;
}
