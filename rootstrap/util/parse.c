/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * A whole decimal number from 0 to max: digits only, no sign, no blanks,
 * no suffix. Sizes in MB (PARSE_MB_MAX) and seconds (PARSE_SECONDS_MAX)
 * are read with it. Returns 0, or -1 leaving *v alone.
 */
int
parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	char			*end;
	unsigned long long	 n;

	if (!isdigit((unsigned char)*s))
		return (-1);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return (-1);
	*v = n;
	return (0);
}

/*
 * A network interface's name as the kernel takes it (dev_valid_name): 1
 * to 15 bytes, not "." or "..", no '/', ':' or blank. ([network] host_if)
 */
int
ifname_valid(const char *s)
{
	size_t	 len = strlen(s);
	size_t	 i;

	if (len == 0 || len > 15 || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return (0);
	for (i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] == ':' ||
		    isspace((unsigned char)s[i]) || !isprint((unsigned char)s[i]))
			return (0);
	}
	return (1);
}
