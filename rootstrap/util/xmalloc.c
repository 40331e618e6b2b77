/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <err.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * Allocation that never returns NULL: running out of memory in a build
 * driver is not something to recover from.
 */

void *
xmalloc(size_t size)
{
	void	*p;

	if (size == 0)
		errx(1, "xmalloc: zero size");
	if ((p = malloc(size)) == NULL)
		err(1, "xmalloc: allocating %zu bytes", size);
	return (p);
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if (nmemb == 0 || size == 0)
		errx(1, "xcalloc: zero size");
	if ((p = calloc(nmemb, size)) == NULL)
		err(1, "xcalloc: allocating %zu * %zu bytes", nmemb, size);
	return (p);
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void	*p;

	if (nmemb == 0 || size == 0)
		errx(1, "xreallocarray: zero size");
	if (size > SIZE_MAX / nmemb)
		errx(1, "xreallocarray: %zu * %zu overflows", nmemb, size);
	if ((p = realloc(ptr, nmemb * size)) == NULL)
		err(1, "xreallocarray: allocating %zu * %zu bytes", nmemb, size);
	return (p);
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		err(1, "xstrdup");
	return (p);
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		err(1, "xstrndup");
	return (p);
}

int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int	 i;

	i = vasprintf(ret, fmt, ap);
	if (i < 0 || *ret == NULL)
		err(1, "xvasprintf");
	return (i);
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	 ap;
	int	 i;

	va_start(ap, fmt);
	i = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return (i);
}
