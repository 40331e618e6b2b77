/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "archive.h"

/*
 * SHA-256 with nettle: what InRelease vouches for indexes and packages
 * with, and what the image cache's key is made of.
 */

/* The digest so far, in hex. */
void
sha256_hex(struct sha256_ctx *ctx, char hex[65])
{
	uint8_t	 digest[SHA256_DIGEST_SIZE];
	size_t	 i;

	sha256_digest(ctx, sizeof digest, digest);
	for (i = 0; i < sizeof digest; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

/* The SHA256 of a buffer, in hex. */
void
sha256_buf(const void *data, size_t len, char hex[65])
{
	struct sha256_ctx	 ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_hex(&ctx, hex);
}

/* A file's bytes into h, and their count into *size (when not NULL). */
int
sha256_update_file(struct sha256_ctx *h, const char *path, uint64_t *size,
    char **cause)
{
	uint8_t	 buf[65536];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (size != NULL)
		*size = 0;
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			close(fd);
			return (-1);
		}
		sha256_update(h, n, buf);
		if (size != NULL)
			*size += n;
	}
	close(fd);
	return (0);
}

/* The SHA256 of a file, in hex, and its size. */
int
sha256_file(const char *path, char hex[65], uint64_t *size, char **cause)
{
	struct sha256_ctx	 ctx;

	sha256_init(&ctx);
	if (sha256_update_file(&ctx, path, size, cause) != 0)
		return (-1);
	sha256_hex(&ctx, hex);
	return (0);
}

