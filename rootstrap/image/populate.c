/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "image.h"

/*
 * Writing a tar archive's files into an ext2/3/4 image on the host, with
 * libext2fs: no root, no mount, owners, modes, device nodes, hard links and
 * extended attributes exactly as the archive has them. Paths are confined
 * to the image: absolute names lose their "/", and ".." is refused.
 */

struct populate {
	ext2_filsys	 fs;
	const char	*tarball;	/* the source, for messages */
	char		*cause;
	const char	*buf;		/* data of an entry made in memory */
	size_t		 buflen;
};

static int
fail(struct populate *p, const char *path, errcode_t rv, const char *what)
{
	if (p->cause == NULL)
		xasprintf(&p->cause, "%s: %s while %s", path,
		    error_message(rv), what);
	return (-1);
}

/* "./a/b/" → "a/b"; NULL for a name that would leave the image. */
static char *
clean_path(const char *name)
{
	struct strv	 parts = { 0 };
	char		*s;
	size_t		 i;

	strv_split(&parts, name, "/");
	for (i = 0; i < parts.n; i++) {
		if (strcmp(parts.v[i], "..") == 0) {
			strv_free(&parts);
			return (NULL);
		}
	}
	/* Drop "." components. */
	s = xstrdup("");
	for (i = 0; i < parts.n; i++) {
		if (strcmp(parts.v[i], ".") == 0)
			continue;
		char *t;
		xasprintf(&t, "%s%s%s", s, *s != '\0' ? "/" : "", parts.v[i]);
		free(s);
		s = t;
	}
	strv_free(&parts);
	return (s);
}

/* Link name into dir, growing the directory when it is full. */
static errcode_t
link_in(ext2_filsys fs, ext2_ino_t dir, const char *name, ext2_ino_t ino,
    int type)
{
	errcode_t	 rv;

	rv = ext2fs_link(fs, dir, name, ino, type);
	if (rv == EXT2_ET_DIR_NO_SPACE) {
		if ((rv = ext2fs_expand_dir(fs, dir)) == 0)
			rv = ext2fs_link(fs, dir, name, ino, type);
	}
	return (rv);
}

static errcode_t
make_dir(ext2_filsys fs, ext2_ino_t parent, const char *name)
{
	errcode_t	 rv;

	rv = ext2fs_mkdir(fs, parent, 0, name);
	if (rv == EXT2_ET_DIR_NO_SPACE) {
		if ((rv = ext2fs_expand_dir(fs, parent)) == 0)
			rv = ext2fs_mkdir(fs, parent, 0, name);
	}
	return (rv);
}

/* The directory at path, made (0755, root) where it is missing. */
static int
dir_of(struct populate *p, const char *path, ext2_ino_t *ino)
{
	struct strv	 parts = { 0 };
	ext2_ino_t	 cur = EXT2_ROOT_INO, next;
	errcode_t	 rv;
	size_t		 i;
	int		 rc = 0;

	strv_split(&parts, path, "/");
	for (i = 0; i < parts.n && rc == 0; i++) {
		rv = ext2fs_lookup(p->fs, cur, parts.v[i], strlen(parts.v[i]),
		    NULL, &next);
		if (rv == EXT2_ET_FILE_NOT_FOUND &&
		    ((rv = make_dir(p->fs, cur, parts.v[i])) != 0 ||
		    (rv = ext2fs_lookup(p->fs, cur, parts.v[i],
		    strlen(parts.v[i]), NULL, &next)) != 0))
			rc = fail(p, path, rv, "making the directory");
		else if (rv != 0)
			rc = fail(p, path, rv, "looking up the directory");
		cur = next;
	}
	strv_free(&parts);
	*ino = cur;
	return (rc);
}

static int
file_type(mode_t mode)
{
	switch (mode & AE_IFMT) {
	case AE_IFREG:
		return (EXT2_FT_REG_FILE);
	case AE_IFDIR:
		return (EXT2_FT_DIR);
	case AE_IFLNK:
		return (EXT2_FT_SYMLINK);
	case AE_IFCHR:
		return (EXT2_FT_CHRDEV);
	case AE_IFBLK:
		return (EXT2_FT_BLKDEV);
	case AE_IFIFO:
		return (EXT2_FT_FIFO);
	case AE_IFSOCK:
		return (EXT2_FT_SOCK);
	}
	return (EXT2_FT_UNKNOWN);
}

/* Owner, mode bits and times of an entry onto an inode. */
static void
set_attrs(struct ext2_inode *inode, struct archive_entry *e)
{
	unsigned int	 uid = archive_entry_uid(e), gid = archive_entry_gid(e);

	inode->i_mode = (inode->i_mode & LINUX_S_IFMT) |
	    (archive_entry_mode(e) & 07777);
	inode->i_uid = uid & 0xffff;
	inode->osd2.linux2.l_i_uid_high = uid >> 16;
	inode->i_gid = gid & 0xffff;
	inode->osd2.linux2.l_i_gid_high = gid >> 16;
	inode->i_mtime = archive_entry_mtime(e);
	inode->i_atime = archive_entry_atime_is_set(e) ?
	    archive_entry_atime(e) : inode->i_mtime;
	inode->i_ctime = archive_entry_ctime_is_set(e) ?
	    archive_entry_ctime(e) : inode->i_mtime;
}

/* A new inode of any kind but directory and symlink, linked at name. */
static int
new_inode(struct populate *p, ext2_ino_t dir, const char *name,
    const char *path, struct archive_entry *e, ext2_ino_t *ino)
{
	struct ext2_inode	 inode;
	ext2_extent_handle_t	 h;
	mode_t			 mode = archive_entry_mode(e);
	unsigned int		 maj, min;
	errcode_t		 rv;

	if ((rv = ext2fs_new_inode(p->fs, dir, mode, NULL, ino)) != 0)
		return (fail(p, path, rv, "allocating an inode"));
	memset(&inode, 0, sizeof inode);
	inode.i_mode = mode;
	inode.i_links_count = 1;
	set_attrs(&inode, e);
	if (S_ISCHR(mode) || S_ISBLK(mode)) {
		maj = archive_entry_rdevmajor(e);
		min = archive_entry_rdevminor(e);
		if (maj < 256 && min < 256)
			inode.i_block[0] = maj * 256 + min;
		else
			inode.i_block[1] = (min & 0xff) | (maj << 8) |
			    ((min & ~0xffU) << 12);
	} else if (S_ISREG(mode) && ext2fs_has_feature_extents(p->fs->super)) {
		/* An empty extent tree in i_block, as the kernel would. */
		if ((rv = ext2fs_extent_open2(p->fs, *ino, &inode, &h)) != 0)
			return (fail(p, path, rv, "starting its extent tree"));
		ext2fs_extent_free(h);
	}
	if ((rv = ext2fs_write_new_inode(p->fs, *ino, &inode)) != 0)
		return (fail(p, path, rv, "writing its inode"));
	ext2fs_inode_alloc_stats2(p->fs, *ino, +1, 0);
	if ((rv = link_in(p->fs, dir, name, *ino, file_type(mode))) != 0)
		return (fail(p, path, rv, "linking it"));
	return (0);
}

static int
write_data(struct populate *p, struct archive *a, ext2_ino_t ino,
    const char *path)
{
	ext2_file_t	 f;
	errcode_t	 rv;
	char		 buf[65536];
	ssize_t		 n;
	unsigned int	 done;

	if ((rv = ext2fs_file_open(p->fs, ino, EXT2_FILE_WRITE, &f)) != 0)
		return (fail(p, path, rv, "opening it"));
	if (a == NULL) {
		/* populate_file: the data is in memory. */
		rv = ext2fs_file_write(f, p->buf, p->buflen, &done);
		if (rv != 0 || done != p->buflen) {
			ext2fs_file_close(f);
			return (fail(p, path, rv, "writing it"));
		}
		n = 0;
	}
	while (a != NULL && (n = archive_read_data(a, buf, sizeof buf)) > 0) {
		if ((rv = ext2fs_file_write(f, buf, n, &done)) != 0 ||
		    done != (unsigned int)n) {
			ext2fs_file_close(f);
			return (fail(p, path, rv, "writing it"));
		}
	}
	if (n < 0) {
		ext2fs_file_close(f);
		xasprintf(&p->cause, "%s: %s", p->tarball,
		    archive_error_string(a));
		return (-1);
	}
	if ((rv = ext2fs_file_close(f)) != 0)
		return (fail(p, path, rv, "closing it"));
	return (0);
}

static int
set_xattrs(struct populate *p, ext2_ino_t ino, struct archive_entry *e,
    const char *path)
{
	struct ext2_xattr_handle *h;
	const char	*name;
	const void	*value;
	size_t		 size;
	errcode_t	 rv;

	if (archive_entry_xattr_reset(e) == 0)
		return (0);
	if ((rv = ext2fs_xattrs_open(p->fs, ino, &h)) != 0 ||
	    (rv = ext2fs_xattrs_read(h)) != 0)
		return (fail(p, path, rv, "reading its attributes"));
	while (archive_entry_xattr_next(e, &name, &value, &size) ==
	    ARCHIVE_OK) {
		if ((rv = ext2fs_xattr_set(h, name, value, size)) != 0) {
			ext2fs_xattrs_close(&h);
			return (fail(p, path, rv, name));
		}
	}
	if ((rv = ext2fs_xattrs_close(&h)) != 0)
		return (fail(p, path, rv, "writing its attributes"));
	return (0);
}

static int
add_entry(struct populate *p, struct archive *a, struct archive_entry *e)
{
	struct ext2_inode	 inode;
	const char		*hard = archive_entry_hardlink(e);
	mode_t			 mode = archive_entry_mode(e);
	char			*path, *name, *target = NULL;
	ext2_ino_t		 dir, ino;
	errcode_t		 rv;
	int			 rc = -1;

	if ((path = clean_path(archive_entry_pathname(e))) == NULL) {
		xasprintf(&p->cause, "%s: '%s' leaves the image", p->tarball,
		    archive_entry_pathname(e));
		return (-1);
	}
	if ((name = strrchr(path, '/')) != NULL) {
		*name++ = '\0';
		if (dir_of(p, path, &dir) != 0)
			goto out;
		name[-1] = '/';
	} else {
		name = path;
		dir = EXT2_ROOT_INO;
	}
	if (*path == '\0')
		ino = EXT2_ROOT_INO;	/* "./" itself: only its attributes */
	else if (ext2fs_lookup(p->fs, dir, name, strlen(name), NULL,
	    &ino) == 0) {
		if (!S_ISDIR(mode) || hard != NULL) {
			xasprintf(&p->cause, "%s: '%s' is in the archive twice",
			    p->tarball, path);
			goto out;
		}
	} else if (hard != NULL) {
		if ((target = clean_path(hard)) == NULL ||
		    (rv = ext2fs_namei(p->fs, EXT2_ROOT_INO, EXT2_ROOT_INO,
		    target, &ino)) != 0) {
			xasprintf(&p->cause, "%s: '%s' links to '%s', which "
			    "is not there", p->tarball, path, hard);
			goto out;
		}
		if ((rv = ext2fs_read_inode(p->fs, ino, &inode)) != 0 ||
		    (rv = link_in(p->fs, dir, name, ino,
		    file_type(inode.i_mode & LINUX_S_IFMT))) != 0) {
			fail(p, path, rv, "making a hard link");
			goto out;
		}
		inode.i_links_count++;
		if ((rv = ext2fs_write_inode(p->fs, ino, &inode)) != 0)
			fail(p, path, rv, "making a hard link");
		else
			rc = 0;
		goto out;
	} else if (S_ISDIR(mode)) {
		if ((rv = make_dir(p->fs, dir, name)) != 0 ||
		    (rv = ext2fs_lookup(p->fs, dir, name, strlen(name), NULL,
		    &ino)) != 0) {
			fail(p, path, rv, "making the directory");
			goto out;
		}
	} else if (S_ISLNK(mode)) {
		rv = ext2fs_symlink(p->fs, dir, 0, name,
		    archive_entry_symlink(e));
		if (rv == EXT2_ET_DIR_NO_SPACE &&
		    (rv = ext2fs_expand_dir(p->fs, dir)) == 0)
			rv = ext2fs_symlink(p->fs, dir, 0, name,
			    archive_entry_symlink(e));
		if (rv != 0 || (rv = ext2fs_lookup(p->fs, dir, name,
		    strlen(name), NULL, &ino)) != 0) {
			fail(p, path, rv, "making the symbolic link");
			goto out;
		}
	} else if (new_inode(p, dir, name, path, e, &ino) != 0)
		goto out;

	if (S_ISREG(mode) && write_data(p, a, ino, path) != 0)
		goto out;
	/* After the data: closing the file rewrote the inode. */
	if ((rv = ext2fs_read_inode(p->fs, ino, &inode)) != 0) {
		fail(p, path, rv, "reading its inode");
		goto out;
	}
	set_attrs(&inode, e);
	if ((rv = ext2fs_write_inode(p->fs, ino, &inode)) != 0) {
		fail(p, path, rv, "writing its inode");
		goto out;
	}
	rc = set_xattrs(p, ino, e, path);
out:
	free(target);
	free(path);
	return (rc);
}

/* Open the (freshly made) filesystem in image for writing. */
struct populate *
populate_open(const char *image, const char *source, char **cause)
{
	struct populate	*p;
	errcode_t	 rv;

	p = xcalloc(1, sizeof *p);
	p->tarball = source;
	add_error_table(&et_ext2_error_table);
	rv = ext2fs_open(image, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
	    unix_io_manager, &p->fs);
	if (rv != 0) {
		xasprintf(cause, "%s: %s while opening the filesystem", image,
		    error_message(rv));
		free(p);
		return (NULL);
	}
	if ((rv = ext2fs_read_bitmaps(p->fs)) != 0) {
		xasprintf(cause, "%s: %s while reading bitmaps", image,
		    error_message(rv));
		ext2fs_close_free(&p->fs);
		free(p);
		return (NULL);
	}
	return (p);
}

/* Name the source of the entries that follow, for messages. */
void
populate_source(struct populate *p, const char *source)
{
	p->tarball = source;
}

/* Write one archive entry (and its data, read from a) into the image. */
int
populate_entry(struct populate *p, struct archive *a, struct archive_entry *e,
    char **cause)
{
	if (add_entry(p, a, e) == 0)
		return (0);
	*cause = p->cause != NULL ? p->cause : xstrdup("writing failed");
	p->cause = NULL;
	return (-1);
}

/* A regular file, directory or symlink made from e, its data from buf. */
int
populate_file(struct populate *p, struct archive_entry *e, const void *buf,
    size_t len, char **cause)
{
	p->buf = buf;
	p->buflen = len;
	return (populate_entry(p, NULL, e, cause));
}

/* Is path (image-relative, no leading "/") there, as any kind of file? */
int
populate_exists(struct populate *p, const char *path)
{
	ext2_ino_t	 ino;

	return (ext2fs_namei(p->fs, EXT2_ROOT_INO, EXT2_ROOT_INO, path,
	    &ino) == 0);
}

/* Write everything out and close; -1 with cause if that failed. */
int
populate_close(struct populate *p, char **cause)
{
	errcode_t	 rv;
	int		 rc = 0;

	if ((rv = ext2fs_close_free(&p->fs)) != 0) {
		xasprintf(cause, "%s while closing the filesystem",
		    error_message(rv));
		rc = -1;
	}
	free(p->cause);
	free(p);
	return (rc);
}

/* Fill the (freshly made) filesystem in image from tarball. */
int
populate_from_tar(const char *image, const char *tarball, char **cause)
{
	struct populate		*p;
	struct archive		*a;
	struct archive_entry	*e;
	char			*why = NULL, *closing = NULL;
	int			 r, rc = -1;
	size_t			 n = 0;

	if ((p = populate_open(image, tarball, cause)) == NULL)
		return (-1);
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, tarball, 65536) != ARCHIVE_OK) {
		xasprintf(&why, "%s: %s", tarball, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN) {
		if (populate_entry(p, a, e, &why) != 0)
			goto out;
		n++;
	}
	if (r != ARCHIVE_EOF) {
		xasprintf(&why, "%s: %s", tarball, archive_error_string(a));
		goto out;
	}
	log_info("wrote %zu files from %s into the image", n, tarball);
	rc = 0;
out:
	archive_read_free(a);
	if (populate_close(p, &closing) != 0 && rc == 0) {
		xasprintf(&why, "%s: %s", image, closing);
		rc = -1;
	}
	free(closing);
	if (rc != 0)
		*cause = why != NULL ? why : xstrdup("import failed");
	return (rc);
}

/* What an archive needs: bytes of data, rounded to blocks, and entries. */
int
tar_measure(const char *tarball, uint64_t *bytes, uint64_t *entries,
    char **cause)
{
	struct archive		*a = archive_read_new();
	struct archive_entry	*e;
	int			 r;

	*bytes = *entries = 0;
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, tarball, 65536) != ARCHIVE_OK)
		goto fail;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN) {
		*bytes += (archive_entry_size(e) + 4095) / 4096 * 4096 + 256;
		(*entries)++;
		archive_read_data_skip(a);
	}
	if (r != ARCHIVE_EOF)
		goto fail;
	archive_read_free(a);
	return (0);
fail:
	xasprintf(cause, "%s: %s", tarball, archive_error_string(a));
	archive_read_free(a);
	return (-1);
}

/*
 * A file, directory, symlink (data: its target) or device at path, owned
 * by root, made in memory rather than read from an archive.
 */
int
populate_put(struct populate *p, const char *path, mode_t mode,
    const char *data, size_t len, dev_t rdev, time_t mtime, char **cause)
{
	struct archive_entry	*e = archive_entry_new();
	int			 rc;

	archive_entry_copy_pathname(e, path);
	archive_entry_set_mode(e, mode);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, mtime, 0);
	if (S_ISLNK(mode))
		archive_entry_copy_symlink(e, data);
	if (S_ISCHR(mode) || S_ISBLK(mode))
		archive_entry_set_rdev(e, rdev);
	if (S_ISREG(mode))
		archive_entry_set_size(e, len);
	rc = populate_file(p, e, data, S_ISREG(mode) ? len : 0, cause);
	archive_entry_free(e);
	return (rc);
}
