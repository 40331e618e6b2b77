/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/mount.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "modules.h"

/*
 * mount: mount the image on the target. The rest of the pipeline writes
 * there, so a mount that did not happen must stop the build here: the
 * modules after it would otherwise fill the guest's tmpfs instead.
 */

static int
mount_run(const struct plan *p, const env_t *env, char **cause)
{
	const char	*fstype = env_get(env, "fstype");

	if (fstype == NULL)
		fstype = p->fstype;
	if (file_mkdirs(GUEST_TARGET, 0755, cause) != 0)
		return (-1);
	if (mount(GUEST_DEVICE, GUEST_TARGET, fstype, 0, NULL) == -1) {
		xasprintf(cause, "%s: %s while mounting on %s as %s",
		    GUEST_DEVICE, strerror(errno), GUEST_TARGET, fstype);
		return (-1);
	}
	if (!file_is_mountpoint(GUEST_TARGET)) {
		xasprintf(cause, "%s: not a mount point after mounting",
		    GUEST_TARGET);
		return (-1);
	}
	log_info("mounted %s on %s", GUEST_DEVICE, GUEST_TARGET);
	return (0);
}

const struct module module_mount = {
	.name = "mount",
	.mounts = 1,
	.run = mount_run,
};
