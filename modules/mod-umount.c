/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/mount.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"

/*
 * umount: unmount the target cleanly so the host sees a consistent
 * filesystem. Anything still mounted below it goes first.
 */

static int
umount_run(const struct plan *p, const env_t *env, char **cause)
{
	static const char *const below[] = { "/proc", "/sys", "/dev/pts",
	    "/dev", NULL };
	char		*path;
	size_t		 i;

	for (i = 0; below[i] != NULL; i++) {
		path = path_join(GUEST_TARGET, below[i]);
		if (file_is_mountpoint(path))
			(void)umount2(path, MNT_DETACH);
		free(path);
	}
	sync();
	if (umount(GUEST_TARGET) == -1) {
		xasprintf(cause, "%s: %s while unmounting", GUEST_TARGET,
		    strerror(errno));
		return (-1);
	}
	log_info("unmounted %s", GUEST_TARGET);
	return (0);
}

const struct module module_umount = {
	.name = "umount",
	.run = umount_run,
};
