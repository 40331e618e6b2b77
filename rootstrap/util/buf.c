/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * A growable string, for text built up piece by piece (dpkg's database)
 * or read in chunks (a program's output, a download held in memory).
 */

void
buf_add(struct buf *b, const void *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 len;

	va_start(ap, fmt);
	len = xvasprintf(&s, fmt, ap);
	va_end(ap);
	buf_add(b, s, len);
	free(s);
}

void
buf_free(struct buf *b)
{
	free(b->s);
	memset(b, 0, sizeof *b);
}
