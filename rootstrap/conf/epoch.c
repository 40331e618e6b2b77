/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

/*
 * SOURCE_DATE_EPOCH (reproducible-builds.org): with it, a build's times
 * are this one, and two builds of one configuration give the same image.
 * A build takes it from the environment, else from [global]
 * source_date_epoch, once, when the plan is made: from then on every part
 * of the build (the host's unpacker, the image cache, the modules in the
 * guest, the final image) sees the same number, however it was given.
 */

/*
 * Whole seconds since 1970, as the specification has it, and no later
 * than ext4's last time (its inodes keep 34 bits of seconds: 2446-05-10):
 * a later one could not be written into the image.
 */
int
epoch_parse(const char *s, long long *epoch)
{
	char		*end;
	long long	 v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return (-1);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > EPOCH_MAX)
		return (-1);
	*epoch = v;
	return (0);
}

/*
 * The environment's SOURCE_DATE_EPOCH: 0 with *epoch -1 when unset or
 * empty, 0 with the number, or -1 with *cause when it is not one (the
 * specification asks for a build to stop then, not to go on without).
 */
int
source_date_epoch(long long *epoch, char **cause)
{
	const char	*s = getenv("SOURCE_DATE_EPOCH");

	*epoch = -1;
	if (s == NULL || *s == '\0')
		return (0);
	if (epoch_parse(s, epoch) == 0)
		return (0);
	xasprintf(cause, "SOURCE_DATE_EPOCH in the environment: invalid "
	    "epoch '%s' (" EPOCH_HELP ")", s);
	return (-1);
}

/*
 * The build's epoch into p->epoch: the environment's, else [global]'s
 * key. It reaches every step as SOURCE_DATE_EPOCH, and the key itself is
 * taken out of every environment of the plan (the steps' and the
 * sections' the host reads, which the image's UUID is derived from), so
 * that a build given it either way has the same plan: the same image
 * cache key and the same image.
 */
void
plan_resolve_epoch(struct plan *p, struct conf *c)
{
	const struct entry	*e;
	const char		*v;
	char			*cause, s[32];
	size_t			 i;

	p->epoch = -1;
	if (source_date_epoch(&p->epoch, &cause) != 0) {
		conf_error(c, NULL, "%s", cause);
		free(cause);
	} else if (p->epoch < 0 &&
	    (v = env_get(&p->global, "source_date_epoch")) != NULL)
		epoch_parse(v, &p->epoch);	/* key_valid checked it */
	for (i = 0; i < c->n; i++) {
		e = &c->e[i];
		/* The uppercase name would reach the modules, not the host. */
		if (strcmp(e->key, "SOURCE_DATE_EPOCH") == 0)
			conf_error(c, e, "SOURCE_DATE_EPOCH: write it as "
			    "[global] source_date_epoch= (the environment's "
			    "SOURCE_DATE_EPOCH wins over it)");
		else if (strcmp(e->key, "source_date_epoch") == 0 &&
		    strcmp(e->section, "global") != 0)
			conf_error(c, e, "source_date_epoch: only in [global] "
			    "(one time for the whole build)");
	}
	env_unset(&p->global, "source_date_epoch");
	env_unset(&p->net, "source_date_epoch");	/* the image's UUID */
	env_unset(&p->debian, "source_date_epoch");
	env_unset(&p->uml, "source_date_epoch");
	snprintf(s, sizeof s, "%lld", p->epoch);
	for (i = 0; i < p->nsteps; i++) {
		env_unset(&p->steps[i].env, "source_date_epoch");
		if (p->epoch >= 0)
			env_set(&p->steps[i].env, "SOURCE_DATE_EPOCH", s);
	}
}
