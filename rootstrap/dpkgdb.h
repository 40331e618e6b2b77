/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef DPKGDB_H
#define DPKGDB_H

#include "rootstrap.h"

/* A growing string. */
struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

/* dpkg's database under /var/lib/dpkg, as it is built up in memory. */
struct dpkgdb {
	struct buf	 status;
	struct buf	 available;
	struct buf	 file_triggers;		/* triggers/File */
	struct strv	 trigger_names;		/* triggers/NAME ... */
	struct buf	*trigger_files;		/* ... and their contents */
};

/* dpkgdb.c */
void	 buf_add(struct buf *, const char *, size_t);
void	 buf_addf(struct buf *, const char *, ...) printflike(2, 3);
char	*control_field(const char *, const char *);
void	 dpkgdb_add(struct dpkgdb *, const char *, const char *,
	     const struct strv *, const char *);
void	 dpkgdb_triggers(struct dpkgdb *, const char *, const char *);
void	 dpkgdb_free(struct dpkgdb *);

/* unpack.c */
struct debset;
int	 unpack_debs(const char *, const struct debset *, const env_t *,
	     char **);
uint64_t unpack_size(const struct debset *);

#endif
