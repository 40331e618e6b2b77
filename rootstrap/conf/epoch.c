/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <errno.h>
#include <stdlib.h>

#include "conf.h"

/*
 * SOURCE_DATE_EPOCH (reproducible-builds.org): with it, a build's times
 * are this one, and two builds of one configuration give the same image.
 */

static long long
epoch_parse(const char *s)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return (-1);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return (-1);
	return (v);
}

/* The environment's SOURCE_DATE_EPOCH, or -1 when unset or not a number. */
long long
source_date_epoch(void)
{
	return (epoch_parse(getenv("SOURCE_DATE_EPOCH")));
}

/* A build's: the environment's, else [global] source_date_epoch, else -1. */
long long
plan_epoch(const struct plan *p)
{
	if (source_date_epoch() >= 0)
		return (source_date_epoch());
	return (epoch_parse(env_get(&p->global, "source_date_epoch")));
}
