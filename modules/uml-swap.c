/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"

/*
 * [uml] swap=MB: a swap file, /swapfile, as the Loopback Root Filesystem
 * HOWTO gives its loop root, so that a guest booted with little mem= can
 * still run what needs more. The kernel refuses a swap file with holes
 * (and one whose extents are only reserved, as fallocate leaves them, may
 * count as one), so every block is written. The header is the kernel's
 * own format (include/linux/swap.h, union swap_header, version 1), as
 * mkswap(8) writes it: written here so that no process is spawned, and so
 * that a reproducible build's UUID is not random.
 */

#define SWAP_MAGIC	"SWAPSPACE2"
#define SWAP_CHUNK	(1U << 20)

struct swap_header_v1 {
	char		bootbits[1024];
	uint32_t	version;
	uint32_t	last_page;
	uint32_t	nr_badpages;
	unsigned char	uuid[16];
	char		volume_name[16];
	uint32_t	padding[117];
	uint32_t	badpages[1];
};

/* Random; for a reproducible build, made of the epoch and the size. */
static void
swap_uuid(unsigned char uuid[16], const char *epoch, uint64_t mb)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	const char	*p;
	size_t		 i;

	if (epoch == NULL && getrandom(uuid, 16, 0) == 16)
		goto out;
	for (i = 0; i < 16; i++) {
		for (p = epoch != NULL ? epoch : ""; *p != '\0'; p++)
			h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
		h = (h ^ mb ^ i) * 0x100000001b3ULL;
		uuid[i] = (uint8_t)(h >> 24);
	}
out:
	uuid[6] = (uuid[6] & 0x0f) | 0x40;	/* version 4 ... */
	uuid[8] = (uuid[8] & 0x3f) | 0x80;	/* ... RFC 4122 variant */
}

/* The file, every page written: the header page, then zeros. */
static int
swap_fill(int fd, uint64_t mb, const char *epoch)
{
	struct swap_header_v1	*h;
	size_t			 page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t		 left = mb << 20, n;
	char			*buf;
	int			 rc = -1;

	buf = xcalloc(1, SWAP_CHUNK);
	h = (struct swap_header_v1 *)buf;
	h->version = 1;
	h->last_page = (uint32_t)(left / page - 1);
	swap_uuid(h->uuid, epoch, mb);
	memcpy(buf + page - strlen(SWAP_MAGIC), SWAP_MAGIC, strlen(SWAP_MAGIC));
	if (fd_write_all(fd, buf, page) != 0)
		goto out;
	memset(buf, 0, page);
	for (left -= page; left > 0; left -= n) {
		n = left < SWAP_CHUNK ? left : SWAP_CHUNK;
		if (fd_write_all(fd, buf, (size_t)n) != 0)
			goto out;
	}
	rc = fsync(fd);
out:
	free(buf);
	return (rc);
}

/* /swapfile of mb megabytes (0: none), mode 0600 as swapon(8) wants. */
int
uml_swapfile(uint64_t mb, const char *epoch, char **cause)
{
	char		*path = path_join(GUEST_TARGET, "/swapfile");
	struct stat	 st;
	int		 fd, e, rc = -1;

	if (mb == 0) {
		free(path);
		return (0);
	}
	/* An imported tree's own /swapfile is replaced; nothing else is. */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		xasprintf(cause, "swap: /swapfile exists and is not a file");
		goto out;
	}
	if (unlink(path) == -1 && errno != ENOENT)
		goto fail;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto fail;
	rc = swap_fill(fd, mb, epoch);
	e = errno;
	if (close(fd) == -1 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc != 0) {
		unlink(path);	/* no part of a swap file is left */
		errno = e;
		goto fail;
	}
	log_info("swap: /swapfile, %llu MB", (unsigned long long)mb);
	goto out;
fail:
	rc = -1;
	xasprintf(cause, "swap: /swapfile (%llu MB): %s%s",
	    (unsigned long long)mb, strerror(errno), errno == ENOSPC ?
	    " (make initialsize larger, or swap smaller)" : "");
out:
	free(path);
	return (rc);
}
