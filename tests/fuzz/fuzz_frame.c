/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * libFuzzer target for the frame decoder (util/frame.c): what a hostile
 * guest's agent sends the supervisor over con1, and a client its control
 * socket. The first byte of the input sets the size of the pieces the
 * rest arrives in (as reads return them), each piece appended and every
 * whole frame then taken off the front, as supervise.c does. A frame
 * found must lie within what arrived, carry at most FRAME_MAX bytes and,
 * put again with frame_put, give back the very bytes it was read from;
 * what is left over is less than one whole frame.
 */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
take_frames(struct buf *in, struct buf *again)
{
	struct frame	 f;
	size_t		 before;

	while (frame_next(in, &f)) {
		if (f.len > FRAME_MAX ||
		    f.data != (const unsigned char *)in->s + FRAME_HDR ||
		    FRAME_HDR + f.len > in->len ||
		    f.type != (unsigned char)in->s[0] || f.stream > 0xffff)
			abort();
		before = again->len;
		frame_put(again, f.type, f.stream, f.data, f.len);
		if (again->len - before != FRAME_HDR + f.len ||
		    memcmp(again->s + before, in->s, FRAME_HDR + f.len) != 0)
			abort();
		before = in->len;
		frame_drop(in, &f);
		if (in->len != before - FRAME_HDR - f.len)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 in = { 0 }, again = { 0 };
	size_t		 piece, off, n;

	if (size == 0)
		return (0);
	piece = (size_t)data[0] + 1;
	data++;
	size--;
	for (off = 0; off < size; off += n) {
		n = size - off < piece ? size - off : piece;
		buf_add(&in, data + off, n);
		take_frames(&in, &again);
	}
	/* All that was taken, then what is left, is all that came. */
	if (again.len + in.len != size ||
	    (again.len > 0 && memcmp(again.s, data, again.len) != 0) ||
	    (in.len >= FRAME_HDR && in.len >= FRAME_HDR +
	    ((size_t)(unsigned char)in.s[3] << 8 | (unsigned char)in.s[4])))
		abort();
	buf_free(&in);
	buf_free(&again);
	return (0);
}
