/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef ROOTSTRAP_IMAGE_EXT2_H
#define ROOTSTRAP_IMAGE_EXT2_H

/*
 * What the image layer's own files share, in libext2fs's and libarchive's
 * types; other layers see only image.h.
 */

#include <archive.h>
#include <ext2fs/ext2fs.h>

/* The limits ext4 sets on what an import may ask of it. */
#define IMAGE_PATH_MAX	4095	/* bytes in a path, as PATH_MAX - 1 */

/* populate.c: a tar archive's files into an image (image.h's API) */
struct archive_entry;
struct populate {
	ext2_filsys	 fs;
	struct dirs	*dirs;
	const char	*tarball;	/* the source, for messages */
	char		*cause;
	const char	*buf;		/* data of an entry made in memory */
	size_t		 buflen;
};
int		 populate_fail(struct populate *, const char *, errcode_t,
		     const char *);
int		 populate_refuse(struct populate *, const char *, ...)
		     printflike(2, 3);
int		 populate_path(struct populate *, const char *, char **);
int		 populate_walk(struct populate *, const char *, const char *,
		     int, ext2_ino_t *, int *);
int		 populate_type(struct populate *, ext2_ino_t, int);

/* entry.c: one entry's inode, made, filled and given its attributes */
int		 entry_make(struct populate *, struct archive_entry *,
		     ext2_ino_t, const char *, const char *, ext2_ino_t *);
int		 entry_link(struct populate *, ext2_ino_t, const char *,
		     const char *, const char *);
int		 entry_data(struct populate *, struct archive *,
		     struct archive_entry *, ext2_ino_t, const char *);
int		 entry_attrs(struct populate *, struct archive_entry *,
		     ext2_ino_t, const char *);

/* dirs.c: populate's directories, names looked up in memory */
struct dirs;
struct dirs	*dirs_new(ext2_filsys);
void		 dirs_free(struct dirs *);
errcode_t	 dirs_lookup(struct dirs *, ext2_ino_t, const char *,
		     ext2_ino_t *, int *);
errcode_t	 dirs_link(struct dirs *, ext2_ino_t, const char *, ext2_ino_t,
		     int);
errcode_t	 dirs_mkdir(struct dirs *, ext2_ino_t, const char *,
		     ext2_ino_t *);

/* tarin.c: an archive to import, its compression checked to the end */
struct tarin;
struct archive	*tarin_open(const char *, struct tarin **, char **);
int		 tarin_finish(struct tarin *, char **);
void		 tarin_why(struct tarin *, char **);
void		 tarin_close(struct tarin *);

/* fsread.c: an image that may be hostile, read within what ext4 allows */
struct fsread {
	const char		*image;
	ext2_filsys		 fs;
	ext2fs_block_bitmap	 blocks;	/* read: none is read twice */
	ext2fs_inode_bitmap	 inodes;	/* read, or entered */
};
struct fsmap {
	struct {
		uint64_t	 off, len;	/* bytes that have blocks */
	}		*v;
	size_t		 n;
};
int		 fsread_open(struct fsread *, const char *, char **);
void		 fsread_close(struct fsread *);
int		 fsread_seen(struct fsread *, ext2_ino_t);
int		 fsread_map(struct fsread *, ext2_ino_t, struct ext2_inode *,
		     const char *, struct fsmap *, char **);
int		 fsread_symlink(struct fsread *, ext2_ino_t,
		     struct ext2_inode *, const char *, char **, char **);
char		*fsread_small(struct fsread *, ext2_ino_t, struct ext2_inode *,
		     const char *, size_t *, char **);

/* normalise.c: what a reproducible export changes */
enum norm {
	NORM_KEEP,
	NORM_DROP,
	NORM_EMPTY,	/* kept, with no content */
	NORM_SHADOW,	/* "last changed" days clamped */
};
enum norm	 norm_rule(long long, const char *);
char		*norm_shadow(const char *, long long, size_t *);

/* image.c: names from archives and images, as messages show them */
const char	*name_shown(const char *);

#endif
