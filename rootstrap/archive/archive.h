/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef ROOTSTRAP_ARCHIVE_H
#define ROOTSTRAP_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/util.h"

/*
 * The Debian archive client, on the host: the suite's signed index, the
 * Packages files it vouches for, debootstrap's choice of packages, and
 * the verified .debs in the persistent package cache. Calls only util
 * (and libcurl, nettle, libarchive and gpgv).
 */

/* One package to install, verified. */
struct deb {
	char	*package, *version, *arch;
	char	*path;		/* absolute path of the verified .deb in the cache */
	char	*control;	/* its whole Packages stanza, as the index has it
				   (Filename, Size, SHA256 too), ending in \n:
				   for dpkg's status and available */
	int	 essential;	/* Essential: yes */
	int	 required;	/* Priority: required */
};

/*
 * Essential packages first (with what they depend on), then required
 * ones, then the rest; within each group a package comes after what it
 * Pre-Depends and Depends on, except where a dependency cycle forces a
 * choice.
 */
struct debset {
	struct deb	*v;
	size_t		 n;
};

/* Resolve and fetch everything [debian] asks for. 0, or -1 with *cause. */
int		 debset_fetch(const env_t *, const env_t *, struct debset *,
		     char **);
int		 debset_resolve(const env_t *, const env_t *, struct debset *,
		     char **);
int		 debset_named(const env_t *, const env_t *, const struct strv *,
		     struct debset *, char **);
void		 debset_free(struct debset *);

/* packages.c: the stanzas of Packages files, as far as we need them. */
struct stanza {
	const char	*text;		/* the whole stanza, in index.buf */
	size_t		 len;		/* up to and including its last \n */
	char		*package;
	char		*version;
	char		*arch;
	char		*priority;
	char		*essential;
	char		*depends;
	char		*predepends;
	char		*filename;
	char		*sha256;
	uint64_t	 size;
};
struct index {
	char		**bufs;		/* the text each stanza points into */
	size_t		 nbufs;
	struct stanza	*v;
	size_t		 n;
	struct stanza	**byname;	/* index_sort: by name, best version first */
};
int		 index_add(struct index *, char *, size_t, const char *,
		     char **);
void		 index_sort(struct index *);
const struct stanza *index_lookup(const struct index *, const char *);
void		 index_free(struct index *);
int		 version_compare(const char *, const char *);

/* release.c: the signed InRelease and the files it lists. */
struct release_file {
	char		*path;		/* relative to dists/SUITE/ */
	char		 sha256[65];
	uint64_t	 size;
};
struct release {
	char			*suite, *codename, *date, *valid_until;
	struct release_file	*files;
	size_t			 nfiles;
};
int		 release_parse(struct release *, const char *, size_t,
		     char **);
const struct release_file *release_find(const struct release *,
		     const char *);
int		 release_check(const struct release *, const char *, time_t,
		     char **);
int		 release_current(const struct release *, time_t, char **);
int		 release_verify(const char *, const char *, char **, size_t *,
		     char **);
void		 release_free(struct release *);

/* resolve.c: debootstrap's selection, from parsed indexes. */
struct resolve_in {
	const char	*suite;		/* the codename, where known */
	const char	*variant;
	const char	*mirror;
	struct strv	 include, exclude;
};
int		 resolve_select(const struct index *, const struct resolve_in *,
		     struct strv *, struct strv *, char **);
const struct stanza **resolve_order(const struct index *,
		     const struct strv *, const struct strv *, size_t *);

/* fetch.c: parallel, resumable, verified downloads. */
struct fetch_item {
	char		*url;
	char		*dest;		/* final path in the cache */
	char		 sha256[65];
	uint64_t	 size;
};
struct fetch_opts {
	const char	*proxy;		/* NULL: libcurl's environment rules */
	const char	*noproxy;
	long		 stall;		/* seconds without a byte: give up */
	int		 parallel;
	int		 retries;
};
int		 fetch_files(struct fetch_item *, size_t,
		     const struct fetch_opts *, char **);
int		 fetch_verify(const char *, uint64_t, const char *, char **);

/* sha256.c: what the indexes are checked with */
struct sha256_ctx;
int		 sha256_update_file(struct sha256_ctx *, const char *,
		     uint64_t *, char **);
int		 sha256_file(const char *, char[65], uint64_t *, char **);
void		 sha256_buf(const void *, size_t, char[65]);
void		 sha256_hex(struct sha256_ctx *, char[65]);

/* debfile.c: files out of a .deb */
int		 deb_extract(const char *, const char *const *, const char *,
		     char **);

/* mirror.c: single requests to the mirror, outside a fetch */
int		 mirror_request(const char *, const char *, char **, size_t *,
		     long *, char *);
int		 mirror_check(const char *, const char *, const char *,
		     char **);
char		*mirror_inrelease(const char *, const char *, const char *,
		     size_t *, char **);

#endif
