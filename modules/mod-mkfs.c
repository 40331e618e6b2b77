/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdlib.h>
#include <string.h>

#include "modules.h"

/*
 * mkfs: make the [global] fstype filesystem on the image with the host's
 * mke2fs, seen through hostfs. One process.
 */

static void
mkfs_check(struct conf *c, const env_t *env)
{
	module_check_tool(c, env, "mke2fs", "global", NULL);
}

static int
mkfs_run(const struct plan *p, const env_t *env, char **cause)
{
	const char	*fstype = env_get(env, "fstype");
	char		*argv[] = { "mke2fs", "-q", "-F", "-t", NULL,
			    GUEST_DEVICE, NULL };

	argv[4] = (char *)(fstype != NULL ? fstype : p->fstype);
	return (child_run(argv, env->v, NULL, cause) == 0 ? 0 : -1);
}

const struct module module_mkfs = {
	.name = "mkfs",
	.check = mkfs_check,
	.makes_fs = 1,
	.run = mkfs_run,
};
