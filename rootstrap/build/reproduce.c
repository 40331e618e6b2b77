/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"

/*
 * A reproducible image. What the guest wrote is not: ext4's layout follows
 * the kernel's timing, and logs, machine-id and shadow dates record the
 * build. So the finished tree is exported with those normalised and times
 * clamped (image/export.c), and written in sorted order into a fresh
 * filesystem whose UUID and hash seed come from the configuration, sized
 * to its content plus freespace, with every time e2fsprogs sets pinned to
 * the epoch.
 */
void
reproduce(struct build *b, long long epoch, uint64_t freemb)
{
	struct mkfs	 m;
	uint64_t	 bytes, entries, mb;
	char		 uuid[37], seed[37], when[32];
	char		*tar, *fresh, *cause;

	log_info("making the image reproducible: its tree exported and "
	    "written into a fresh filesystem");
	snprintf(when, sizeof when, "%lld", epoch);
	setenv("E2FSPROGS_FAKE_TIME", when, 1);
	xasprintf(&tar, "%s/root.tar", b->rundir);
	progress_begin("reproducible:");
	progress_update("exporting the tree");
	if (image_export(b->tmpimage, tar, epoch, &cause) != 0 ||
	    tar_measure(tar, &bytes, &entries, &cause) != 0)
		build_fail(b, EXIT_BUILD, "reproducible: %s", cause);
	plan_uuids(&b->plan, uuid, seed);
	if (freemb > 0)
		mb = image_size_mb(bytes, 32 + freemb);
	else
		parse_uint(env_get(&b->plan.global, "initialsize"),
		    PARSE_MB_MAX, &mb);
	memset(&m, 0, sizeof m);
	m.fstype = env_get(&b->plan.global, "fstype");
	m.inodes = image_inodes(entries);
	m.uuid = uuid;
	m.hash_seed = seed;
	if (image_allocate(b->image, mb, &fresh, &cause) != 0)
		build_fail(b, EXIT_BUILD, "reproducible: %s", cause);
	progress_update("making the fresh filesystem");
	progress_begin("reproducible: writing");
	if (image_mkfs(fresh, &m, &cause) != 0 ||
	    populate_from_tar(fresh, tar, &cause) != 0) {
		unlink(fresh);
		build_fail(b, EXIT_BUILD, "reproducible: %s", cause);
	}
	if (rename(fresh, b->tmpimage) == -1) {
		unlink(fresh);
		build_fail(b, EXIT_BUILD, "reproducible: %s: %s", b->tmpimage,
		    strerror(errno));
	}
	unlink(tar);
	log_info("made reproducible: SOURCE_DATE_EPOCH %lld, UUID %s, %llu MB",
	    epoch, uuid, (unsigned long long)mb);
	free(fresh);
	free(tar);
}
