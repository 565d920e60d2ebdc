// SPDX-License-Identifier: GPL-2.0
/*
 * nrtls_slowfs: a FUSE file system whose reads are slow, for the tests of
 * file systems whose ->read_folio waits for the read.
 *
 *   nrtls_slowfs [--delay-ms N] [--gate PATH] MOUNTPOINT [FUSE options]
 *
 * Files are made up from their names, with the tests' pattern:
 *   /f-SIZE-SEED      every read takes N ms
 *   /gated-SIZE-SEED  as f-, and reads wait until PATH exists
 *   /flaky-SIZE-SEED  as f-, but the first read of each fails with EIO
 * Runs in the foreground until unmounted.  Reads are served by several
 * threads, so that one waiting read does not hold up the others.
 */
#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nrtls_pattern.h"

static struct {
	unsigned int delay_ms;
	const char *gate;
} opt = { .delay_ms = 100 };

struct name {
	bool gated, flaky;
	uint64_t size;
	uint32_t seed;
};

static bool parse(const char *path, struct name *n)
{
	int end = 0;

	n->gated = !strncmp(path, "/gated-", 7);
	n->flaky = !strncmp(path, "/flaky-", 7);
	if (n->gated || n->flaky)
		path += 7;
	else if (!strncmp(path, "/f-", 3))
		path += 3;
	else
		return false;
	return sscanf(path, "%" SCNu64 "-%" SCNu32 "%n", &n->size, &n->seed,
		      &end) == 2 && !path[end];
}

/* Whether @path was read before; it is from now on. */
static bool read_before(const char *path)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char seen[64][64];
	static int nseen;
	bool found = false;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < nseen && !found; i++)
		found = !strcmp(seen[i], path);
	if (!found && nseen < 64)
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", path);
	pthread_mutex_unlock(&lock);
	return found;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int fs_getattr(const char *path, struct stat *st,
		      struct fuse_file_info *fi)
{
	struct name n;

	(void)fi;
	memset(st, 0, sizeof(*st));
	if (!strcmp(path, "/")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (!parse(path, &n))
		return -ENOENT;
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = n.size;
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	struct name n;

	if (!parse(path, &n))
		return -ENOENT;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	/* The page cache is what the tests are about: keep it. */
	fi->keep_cache = 1;
	return 0;
}

static int fs_read(const char *path, char *buf, size_t len, off_t off,
		   struct fuse_file_info *fi)
{
	struct name n;

	(void)fi;
	if (!parse(path, &n))
		return -ENOENT;
	sleep_ms(opt.delay_ms);
	while (n.gated && opt.gate && access(opt.gate, F_OK))
		sleep_ms(10);
	if (n.flaky && !read_before(path))
		return -EIO;
	if ((uint64_t)off >= n.size)
		return 0;
	if (len > n.size - off)
		len = n.size - off;
	nrtls_file_fill(n.seed, off, (uint8_t *)buf, len);
	return len;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* Readahead sends its reads without waiting for them. */
	conn->want |= FUSE_CAP_ASYNC_READ;
	cfg->kernel_cache = 1;
	cfg->direct_io = 0;
	return NULL;
}

static const struct fuse_operations ops = {
	.init = fs_init,
	.getattr = fs_getattr,
	.open = fs_open,
	.read = fs_read,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: nrtls_slowfs [--delay-ms N] [--gate PATH] MOUNTPOINT [FUSE options]\n"
		   "  files /f-SIZE-SEED: each read takes N ms (default 100)\n"
		   "  files /gated-SIZE-SEED: reads also wait until PATH exists\n"
		   "  files /flaky-SIZE-SEED: the first read of each fails (EIO)\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "gate", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *fargv[16];
	int c, fargc = 0;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt.delay_ms = strtoul(optarg, NULL, 10);
			break;
		case 'g':
			opt.gate = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	fargv[fargc++] = argv[0];
	fargv[fargc++] = "-f";
	fargv[fargc++] = "-o";
	fargv[fargc++] = "fsname=nrtls_slowfs,allow_other";
	fargv[fargc++] = argv[optind++];
	while (optind < argc && fargc < 15)
		fargv[fargc++] = argv[optind++];
	fargv[fargc] = NULL;
	return fuse_main(fargc, fargv, &ops, NULL);
}
