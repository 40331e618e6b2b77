/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdlib.h>
#include <string.h>

#include "build.h"

/*
 * The stage: the image as it stands once the packages are installed and
 * configured, kept in the image cache under a key of what made it
 * (imgcache_stage_key). Nearly all of a build's time goes into that
 * point; what comes after it (the uml module's fix-ups, the hostname, a
 * module after debian) takes a second. So a build with a stage boots
 * twice the first time, the steps up to the stage and then the rest, and
 * a later build whose changes all come after the stage starts from the
 * copy and boots once, for the rest.
 */

/*
 * The step after which a build has a stage: the one that installs from
 * the archive, when a stock mount comes before it (the rest needs the
 * image mounted again), something after it may change the image, and a
 * stock umount ends the plan (which the first part borrows). Else -1.
 */
ssize_t
stage_step(const struct plan *p)
{
	const struct step	*s;
	ssize_t			 last = -1;
	size_t			 i, mounts = 0, after = 0;

	for (i = 0; i < p->nsteps; i++) {
		s = &p->steps[i];
		if (last == -1 && s->stock != NULL && s->stock->reads_archive)
			last = i;
		else if (last == -1 && s->stock != NULL && s->stock->mounts)
			mounts++;
		else if (last != -1 && i + 1 < p->nsteps)
			after++;
	}
	if (last == -1 || mounts == 0 || after == 0 ||
	    (s = &p->steps[p->nsteps - 1])->stock == NULL ||
	    strcmp(s->name, "umount") != 0)
		return (-1);
	return (last);
}

/*
 * A plan that shares p's sections and steps but runs only some of them:
 * the first part, steps 0 to last and the final umount; or the rest,
 * what sets the guest up (the network, the mount) and the steps after
 * last. Free it with stage_view_free(); p stays as it was.
 */
void
stage_view(const struct plan *p, size_t last, int rest, struct plan *v)
{
	const struct step	*s;
	size_t			 i;

	*v = *p;
	v->steps = xcalloc(p->nsteps, sizeof *v->steps);
	v->nsteps = 0;
	for (i = 0; i < p->nsteps; i++) {
		s = &p->steps[i];
		if ((!rest && (i <= last || i + 1 == p->nsteps)) ||
		    (rest && (i > last || (s->stock != NULL &&
		    (s->stock->mounts || s->stock->gives_network)))))
			v->steps[v->nsteps++] = *s;
	}
}

void
stage_view_free(struct plan *v)
{
	free(v->steps);
	memset(v, 0, sizeof *v);
}
