/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef ROOTSTRAP_IMAGE_H
#define ROOTSTRAP_IMAGE_H

/*
 * ext2/3/4 images on the host, without root and without mounting: the
 * image file made, filled from tar archives or package sets (libext2fs,
 * libarchive), exported as a tar archive, checked and shrunk. Calls util,
 * and the archive layer for the package set's type.
 */

#include "archive/archive.h"

/* image.c: the image file */
struct mkfs {
	const char	*fstype;
	uint64_t	 inodes;	/* 0: mke2fs's choice */
	const char	*uuid;		/* NULL: random */
	const char	*hash_seed;	/* NULL: random */
};
int		 image_allocate(const char *, uint64_t, char **, char **);
int		 image_mkfs(const char *, const struct mkfs *, char **);
int		 image_shrink(const char *, uint64_t, char **);
uint64_t	 image_size_mb(uint64_t, uint64_t);
uint64_t	 image_inodes(uint64_t);
int		 image_sweep(const char *);
int		 image_interrupted(char **);

/* populate.c: a tar archive's files into an image */
struct populate;
struct archive;
struct archive_entry;
int		 populate_from_tar(const char *, const char *, char **);
struct populate	*populate_open(const char *, const char *, char **);
void		 populate_source(struct populate *, const char *);
int		 populate_entry(struct populate *, struct archive *,
		     struct archive_entry *, char **);
int		 populate_file(struct populate *, struct archive_entry *,
		     const void *, size_t, char **);
int		 populate_put(struct populate *, const char *, mode_t,
		     const char *, size_t, dev_t, time_t, char **);
int		 populate_exists(struct populate *, const char *);
int		 populate_close(struct populate *, char **);
void		 populate_discard(struct populate *);
int		 tar_measure(const char *, uint64_t *, uint64_t *, char **);

/* export.c: an image's files as a tar archive */
int		 image_export(const char *, const char *, long long, char **);

/* dpkgdb.c: dpkg's database under /var/lib/dpkg, built up in memory */
struct dpkgdb {
	struct buf	 status;
	struct buf	 available;
	struct buf	 file_triggers;		/* triggers/File */
	struct strv	 trigger_names;		/* triggers/NAME ... */
	struct buf	*trigger_files;		/* ... and their contents */
};
void		 dpkgdb_add(struct dpkgdb *, const char *, const char *,
		     const struct strv *, const char *);
void		 dpkgdb_triggers(struct dpkgdb *, const char *, const char *);
void		 dpkgdb_free(struct dpkgdb *);

/* inflate.c: the .debs decompressed ahead, by worker threads */
struct inflated_member {
	char		*data;		/* NUL-terminated */
	size_t		 len;
};
struct inflated {
	struct inflated_member	 control, data;	/* control.tar, data.tar */
	char			*error;
};
struct inflater;
struct inflater	*inflate_start(const struct debset *);
const struct inflated *inflate_take(struct inflater *, size_t, char **);
void		 inflate_release(struct inflater *, size_t);
void		 inflate_stop(struct inflater *);

/* debootstrap.c: what debootstrap makes around the packages */
int		 debootstrap_base(struct populate *, const struct dpkgdb *,
		     const env_t *, time_t, char **);

/* unpack.c: a package set into a fresh image, as dpkg --unpack leaves it */
int		 unpack_debs(const char *, const struct debset *, const env_t *,
		     long long, char **);
uint64_t	 unpack_size(const struct debset *);

#endif
