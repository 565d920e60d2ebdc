// SPDX-License-Identifier: GPL-2.0
/*
 * The user ABI must not change by accident: sizes and offsets of every
 * request struct, checked at compile time (the header must also compile
 * standalone as strict C11 with gcc and clang) and printed as TAP.
 */
#include <stddef.h>
#include <stdio.h>

#include <linux/nrtls.h>

#define CHECK(expr) _Static_assert(expr, #expr)

CHECK(sizeof(struct nrtls_flow) == 40);
CHECK(offsetof(struct nrtls_flow, sport) == 4);
CHECK(offsetof(struct nrtls_flow, saddr) == 8);
CHECK(offsetof(struct nrtls_flow, daddr) == 24);
CHECK(sizeof(struct nrtls_ctx_create) == 72);
CHECK(offsetof(struct nrtls_ctx_create, flow) == 16);
CHECK(offsetof(struct nrtls_ctx_create, reserved) == 56);
CHECK(sizeof(struct nrtls_ctx_destroy) == 8);
CHECK(sizeof(struct nrtls_version) == 56);
CHECK(offsetof(struct nrtls_version, release) == 8);
CHECK(sizeof(struct nrtls_sendfile) == 72);
CHECK(sizeof(struct nrtls_uring_cmd) == 16);
CHECK(NRTLS_SF_FLAGS == 0x3f);
CHECK(NRTLS_ABI_VERSION == 2);
/* Link attributes of "ip link ... type nrtls": numbers are ABI too. */
CHECK(IFLA_NRTLS_MODE == 1 && IFLA_NRTLS_PEER == 3 && IFLA_NRTLS_COMPL_EVERY == 10);
CHECK(IFLA_NRTLS_VLAN == 11 && IFLA_NRTLS_MAX == 11);
CHECK(NRTLS_LINK_LAG == 1 && NRTLS_PERS_CXGB4 == 1);

int main(void)
{
	printf("1..1\n");
	printf("ok 1 uapi structs have their v%d layout (%s)\n",
	       NRTLS_ABI_VERSION,
#ifdef __clang__
	       "clang"
#else
	       "gcc"
#endif
	);
	return 0;
}
