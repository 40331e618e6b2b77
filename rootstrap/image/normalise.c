/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "image-ext2.h"

/*
 * For reproducible images (export.c with SOURCE_DATE_EPOCH): files whose
 * content records when or where a build ran, and what becomes of them.
 * Everything else only has its times clamped.
 */

static const struct {
	const char	*pattern;
	enum norm	 what;
} norm_rules[] = {
	{ "./etc/machine-id",			NORM_EMPTY },
	{ "./var/lib/dbus/machine-id",		NORM_DROP },
	{ "./etc/shadow",			NORM_SHADOW },
	{ "./etc/shadow-",			NORM_SHADOW },
	{ "./var/cache/ldconfig/aux-cache",	NORM_DROP },
	{ "./var/lib/systemd/random-seed",	NORM_DROP },
	{ "./var/lib/dpkg/*-old",		NORM_DROP },
	{ "./var/cache/debconf/*-old",		NORM_DROP },
	{ "./var/log/*",			NORM_EMPTY },
	{ "./var/log/*/*",			NORM_EMPTY },
};

/* What becomes of path; clamp < 0 keeps everything. */
enum norm
norm_rule(long long clamp, const char *path)
{
	size_t	 i;

	if (clamp < 0)
		return (NORM_KEEP);
	for (i = 0; i < sizeof norm_rules / sizeof norm_rules[0]; i++) {
		if (fnmatch(norm_rules[i].pattern, path, FNM_PATHNAME) == 0)
			return (norm_rules[i].what);
	}
	return (NORM_KEEP);
}

/* shadow(5): no "last changed" day after SOURCE_DATE_EPOCH's. */
char *
norm_shadow(const char *in, long long clamp, size_t *len)
{
	long long	 days = clamp / 86400;
	const char	*p = in, *f2, *f3;
	struct buf	 out = { 0 };

	while (*p != '\0') {
		size_t	 n = strcspn(p, "\n");
		char	*line = xstrndup(p, n);

		if ((f2 = strchr(line, ':')) != NULL &&
		    (f2 = strchr(f2 + 1, ':')) != NULL &&
		    (f3 = strchr(f2 + 1, ':')) != NULL && f3 > f2 + 1 &&
		    strtoll(f2 + 1, NULL, 10) > days)
			buf_addf(&out, "%.*s%lld%s\n", (int)(f2 + 1 - line),
			    line, days, f3);
		else
			buf_addf(&out, "%s\n", line);
		free(line);
		p += n;
		if (*p == '\n')
			p++;
	}
	*len = out.len;
	return (out.s != NULL ? out.s : xstrdup(""));
}
