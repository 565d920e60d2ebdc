/* SPDX-License-Identifier: GPL-2.0 */
/* What nrtlsctl's commands share. */
#ifndef NRTLS_CTL_H
#define NRTLS_CTL_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_map;

#define CTL_PIN_ROOT "/sys/fs/bpf/nrtls"

/* Print @s as a JSON string, quotes included. */
void json_str(const char *s);
/*
 * Whether argv[@i] is one of @valued (NULL-terminated), options that take
 * a value, with nothing after it; says so.  The caller exits 2.
 */
bool ctl_no_value(int argc, char **argv, int i, const char *const *valued);
/* nrtlsctl rx ...: @argv is what follows "rx"; returns the exit status. */
int ctl_rx(int argc, char **argv);
/* nrtlsctl steer ... (steer.c). */
int ctl_steer(int argc, char **argv);

/* --- drain.c: nrtlsctl drain, and a wrapper's lowers over rtnetlink --- */

int ctl_drain(int argc, char **argv);
/* Whether @dev is an nrtls_lag wrapper (its driver says so). */
bool ctl_is_wrapper(const char *dev);
/* The ifindex of @ifindex's master device, 0 if none, or -1. */
int ctl_master_of(int ifindex);

struct ctl_lower {
	int ifindex;
	char name[16];
	bool up;		/* up, with carrier */
	bool drained;
	unsigned int contexts;	/* flows offloaded on it */
};

/* Lowers of one wrapper that nrtlsctl reads at most. */
#define CTL_LOWERS_MAX 64

/* Up to @max lowers of the wrapper @master into @out: how many, or -1. */
int ctl_lag_lowers(int master, struct ctl_lower *out, int max);

/* --- pin.c: attachments pinned in CTL_PIN_ROOT/<kind>-<netns>-<ifindex>/ --- */

/* The network namespace's inode (from ctl_enter_netns). */
extern unsigned long ctl_netns;

/* libbpf's messages to stderr, prefixed, without its debug ones. */
void ctl_libbpf_quiet(void);
void ctl_libbpf_mute(bool mute);
/* Move to @name's network namespace (NULL: stay) and note which it is. */
int ctl_enter_netns(const char *name);
/* A BPF file system on /sys/fs/bpf (mounted if need be), and our directory. */
int ctl_ensure_bpffs(void);
/* @dev's ifindex (a name, or a number for a device that is gone), or 0. */
int ctl_dev_index(const char *dev);
void ctl_pin_path(char *buf, size_t len, const char *kind, unsigned long ns,
		  int ifindex, const char *file);
int ctl_pinned_fd(const char *kind, unsigned long ns, int ifindex,
		  const char *file);
/* Remove an attachment's @files and its directory (what is there of them). */
void ctl_unpin_all(const char *kind, int ifindex, const char *const *files,
		   size_t n);
int ctl_pin_dir(const char *kind, int ifindex);
/* Pin @map as @file, replacing what was there. */
int ctl_pin_map(struct bpf_map *map, const char *kind, int ifindex,
		const char *file);
/* Have @map be the one pinned as @file (before load). */
int ctl_reuse_pinned(struct bpf_map *map, const char *kind, int ifindex,
		     const char *file);
/*
 * status [DEV] [--json] of the attachments of @kind (all namespaces'
 * without @dev), each through @show; @prog names the program when there
 * is none.  Returns the exit status.
 */
int ctl_status(const char *kind, const char *prog, const char *dev, bool json,
	       bool (*show)(unsigned long ns, int ifindex, bool json, bool first));
/* The sum over CPUs of a per-CPU array's u64 at @key. */
unsigned long long ctl_stat_sum(int fd, unsigned int key);

#endif /* NRTLS_CTL_H */
