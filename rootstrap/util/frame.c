/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * Frames of a long-lived instance (the format is in util.h): put into a
 * buffer or sent whole, read into a buffer as they come, taken from its
 * front once complete. Both ends are hostile to each other's mistakes:
 * a length is never trusted beyond FRAME_MAX.
 */

void
frame_put(struct buf *b, int type, unsigned stream, const void *data,
    size_t len)
{
	unsigned char	 hdr[FRAME_HDR];

	if (len > FRAME_MAX)
		len = FRAME_MAX;
	hdr[0] = (unsigned char)type;
	hdr[1] = (unsigned char)(stream >> 8);
	hdr[2] = (unsigned char)(stream & 0xff);
	hdr[3] = (unsigned char)(len >> 8);
	hdr[4] = (unsigned char)(len & 0xff);
	buf_add(b, hdr, sizeof hdr);
	if (len > 0)
		buf_add(b, data, len);
}

/* One frame written whole to fd: 0, or -1 with errno. */
int
frame_send(int fd, int type, unsigned stream, const void *data, size_t len)
{
	struct buf	 b = { 0 };
	int		 rc;

	frame_put(&b, type, stream, data, len);
	rc = fd_write_all(fd, b.s, b.len);
	buf_free(&b);
	return (rc);
}

/* What one read of fd gave, appended to b: its byte count, 0 at EOF. */
ssize_t
frame_fill(int fd, struct buf *b)
{
	char	 chunk[FRAME_HDR + FRAME_DATA];
	ssize_t	 n;

	while ((n = read(fd, chunk, sizeof chunk)) == -1 && errno == EINTR)
		continue;
	if (n > 0)
		buf_add(b, chunk, (size_t)n);
	return (n);
}

/* Whether b starts with a whole frame; *f points into b if so. */
int
frame_next(const struct buf *b, struct frame *f)
{
	const unsigned char	*p = (const unsigned char *)b->s;
	size_t			 len;

	if (b->len < FRAME_HDR)
		return (0);
	len = (size_t)p[3] << 8 | p[4];
	if (b->len < FRAME_HDR + len)
		return (0);
	f->type = p[0];
	f->stream = (unsigned)p[1] << 8 | p[2];
	f->len = len;
	f->data = p + FRAME_HDR;
	return (1);
}

/* Take f, the frame frame_next found, off the front of b. */
void
frame_drop(struct buf *b, const struct frame *f)
{
	size_t	 used = FRAME_HDR + f->len;

	memmove(b->s, b->s + used, b->len - used);
	b->len -= used;
}
