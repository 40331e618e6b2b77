/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"

/*
 * The host's share of a build, done before the boot at native speed: when
 * a step asks the host to fill the image (debian, method=host), the
 * packages are fetched, the filesystem made and the packages unpacked into
 * it here, and the guest only configures them; `rootstrap import` writes a
 * tarball's files in instead. Either way no guest step makes the
 * filesystem again.
 */

/* [uml] swap=: the file the uml module writes takes room in the image. */
static uint64_t
swap_mb(const char *value)
{
	uint64_t	 mb;

	if (value == NULL || parse_uint(value, PARSE_MB_MAX, &mb) != 0)
		return (0);	/* plan_make says what is wrong with it */
	return (mb);
}

/*
 * rootstrap import: the tarball's files take the place of mkfs and debian;
 * the guest only mounts the image and applies the uml fix-ups. Sized from
 * the archive (and the swap file) unless -s says otherwise.
 */
void
prepare_import(struct build *b)
{
	const struct entry	*e;
	uint64_t		 bytes, entries;
	char			*cause, size[32];

	if (access(b->o->import, R_OK) != 0)
		err(EXIT_USAGE, "%s", b->o->import);
	if (tar_measure(b->o->import, &bytes, &entries, &cause) != 0)
		errx(EXIT_USAGE, "%s", cause);
	b->import_inodes = image_inodes(entries);
	e = conf_find(&b->conf, "uml", "swap");
	snprintf(size, sizeof size, "%llu", (unsigned long long)
	    image_size_mb(bytes, 64 + swap_mb(e != NULL ? e->value : NULL)));
	conf_set(&b->conf, "global", "initialsize", size, "import", 0);
	conf_set(&b->conf, "global", "modules", "mount uml umount", "import",
	    0);
}

/*
 * The step the host fills the image for, if any. It makes the filesystem
 * and unpacks the packages into it before the boot, so a step that makes
 * the filesystem in the guest would undo that: it leaves the plan
 * (rootstrap -n shows it gone).
 */
void
prepare_plan(struct build *b)
{
	size_t	 i;

	if (plan_stock(&b->plan, HAS_HOST_FILL) == NULL)
		return;
	for (i = 0; i < b->plan.nsteps; i++) {
		if (b->plan.steps[i].stock != NULL &&
		    b->plan.steps[i].stock->makes_fs)
			plan_remove(&b->plan, i--);
	}
	/* After the removal: the steps have moved. */
	b->filler = plan_stock(&b->plan, HAS_HOST_FILL);
}

/* Fetch the set, and make the image big enough to hold it unpacked. */
void
prepare_fetch(struct build *b)
{
	const struct step	*s;
	uint64_t		 need, mb, swap;
	size_t			 i;
	char			*cause, size[32];

	if (debset_fetch(&b->plan.debian, &b->plan.global, &b->debs,
	    &cause) != 0)
		build_fail(b, EXIT_BUILD, "debian: %s", cause);
	/*
	 * Room for metadata, the database, what configure writes, and the
	 * swap file the uml module will write.
	 */
	for (i = 0, swap = 0; i < b->plan.nsteps; i++) {
		s = &b->plan.steps[i];
		if (s->stock != NULL && strcmp(s->stock->name, "uml") == 0)
			swap = swap_mb(env_get(&s->env, "swap"));
	}
	need = image_size_mb(unpack_size(&b->debs), 128 + swap);
	parse_uint(env_get(&b->plan.global, "initialsize"), PARSE_MB_MAX,
	    &mb);
	if (need > mb) {
		log_info("initialsize %llu MB is too small for %zu packages; "
		    "using %llu MB", (unsigned long long)mb, b->debs.n,
		    (unsigned long long)need);
		snprintf(size, sizeof size, "%llu", (unsigned long long)need);
		env_set(&b->plan.global, "initialsize", size);
	}
}

/* mke2fs and the image's files, on the host. */
void
prepare_fill(struct build *b)
{
	struct mkfs	 m;
	char		*cause;

	memset(&m, 0, sizeof m);
	m.fstype = env_get(&b->plan.global, "fstype");
	if (b->o->import != NULL) {
		m.inodes = b->import_inodes;
		log_info("importing %s", b->o->import);
		progress_begin("importing");
		if (image_mkfs(b->tmpimage, &m, &cause) != 0 ||
		    populate_from_tar(b->tmpimage, b->o->import, &cause) != 0)
			build_fail(b, EXIT_BUILD, "import: %s", cause);
	}
	if (b->filler == NULL)
		return;
	log_info("mkfs and unpack on the host (debian method=host)");
	if (image_mkfs(b->tmpimage, &m, &cause) != 0)
		build_fail(b, EXIT_BUILD, "mkfs: %s", cause);
	if (unpack_debs(b->tmpimage, &b->debs, &b->plan.debian,
	    b->plan.epoch, &cause) != 0)
		build_fail(b, EXIT_BUILD, "debian: %s", cause);
}

/*
 * The required set, in the run directory, for the guest to configure it
 * first as debootstrap does (modules/debian-configure.c); the progress
 * display counts the packages it sets up.
 */
void
prepare_rundir(struct build *b)
{
	struct strv	 names = { 0 };
	char		*path, *list, *cause;
	size_t		 i;

	if (b->filler == NULL)
		return;
	for (i = 0; i < b->debs.n; i++) {
		if (b->debs.v[i].required)
			strv_add(&names, b->debs.v[i].package);
	}
	list = strv_join(&names, "\n");
	xasprintf(&path, "%s/debian-required", b->rundir);
	if (file_write(path, list, 0644, &cause) != 0)
		build_fail(b, EXIT_BUILD, "debian: %s", cause);
	free(path);
	free(list);
	strv_free(&names);
	/* The guest's dpkg sets them all up, in the boot that follows. */
	progress_watch_setups(b->debs.n);
	debset_free(&b->debs);
}
