/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "image.h"

/*
 * rootstrap export: an image's files as a tar stream, read with libext2fs
 * straight from the image file, so neither root nor a mount is needed and
 * owners, modes, device numbers, hard links and extended attributes come
 * out as they are stored. Entries are in sorted order: the same image
 * always gives the same archive.
 */

struct export {
	ext2_filsys		 fs;
	long long		 clamp;		/* -1, or SOURCE_DATE_EPOCH */
	struct archive		*a;
	struct archive_entry	*entry;
	/* First path of each inode with more than one link. */
	ext2_ino_t		*linkino;
	char			**linkpath;
	size_t			 nlinks;
};

struct child {
	char		*name;
	ext2_ino_t	 ino;
};

struct children {
	struct child	*v;
	size_t		 n;
};

static int	 export_dir(struct export *, ext2_ino_t, const char *,
		     char **);

static int
child_add(ext2_ino_t dir, int entry, struct ext2_dir_entry *de, int offset,
    int blocksize, char *buf, void *arg)
{
	struct children	*c = arg;
	int		 len = ext2fs_dirent_name_len(de);

	if ((len == 1 && de->name[0] == '.') ||
	    (len == 2 && de->name[0] == '.' && de->name[1] == '.'))
		return (0);
	c->v = xreallocarray(c->v, c->n + 1, sizeof *c->v);
	c->v[c->n].name = xstrndup(de->name, len);
	c->v[c->n].ino = de->inode;
	c->n++;
	return (0);
}

static int
child_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct child *)a)->name,
	    ((const struct child *)b)->name));
}

struct xattr_ctx {
	struct ext2_xattr_handle *h;
	struct archive_entry	 *e;
};

/*
 * iterate hands out values as stored; POSIX ACLs are stored in ext4's own
 * format, and only ext2fs_xattr_get turns them into the xattr format that
 * tar, setfacl and ext2fs_xattr_set (on import) speak.
 */
static int
xattr_add(char *name, char *value, size_t len, void *arg)
{
	struct xattr_ctx	*x = arg;
	void			*conv;
	size_t			 convlen;

	if (strncmp(name, "system.posix_acl_", 17) == 0 &&
	    ext2fs_xattr_get(x->h, name, &conv, &convlen) == 0) {
		archive_entry_xattr_add_entry(x->e, name, conv, convlen);
		ext2fs_free_mem(&conv);
	} else
		archive_entry_xattr_add_entry(x->e, name, value, len);
	return (0);
}

/* Device numbers in either of the encodings ext2 uses in i_block. */
static void
set_rdev(struct archive_entry *e, const struct ext2_inode *inode)
{
	unsigned int	 dev;

	if (inode->i_block[0] != 0) {
		dev = inode->i_block[0];
		archive_entry_set_rdevmajor(e, (dev >> 8) & 0xff);
		archive_entry_set_rdevminor(e, dev & 0xff);
	} else {
		dev = inode->i_block[1];
		archive_entry_set_rdevmajor(e, (dev & 0xfff00) >> 8);
		archive_entry_set_rdevminor(e, (dev & 0xff) |
		    ((dev >> 12) & 0xfff00));
	}
}

static int
symlink_target(struct export *x, ext2_ino_t ino, struct ext2_inode *inode,
    char **target, char **cause)
{
	ext2_file_t	 f;
	errcode_t	 rv;
	size_t		 size = EXT2_I_SIZE(inode);
	unsigned int	 got;
	char		*buf;

	buf = xcalloc(1, size + EXT2_N_BLOCKS * 4 + 1);
	if (ext2fs_is_fast_symlink(inode))
		memcpy(buf, inode->i_block, size);
	else if (inode->i_flags & EXT4_INLINE_DATA_FL)
		rv = ext2fs_inline_data_get(x->fs, ino, inode, buf, &size);
	else {
		rv = ext2fs_file_open2(x->fs, ino, inode, 0, &f);
		if (rv == 0) {
			rv = ext2fs_file_read(f, buf, size, &got);
			ext2fs_file_close(f);
		}
		if (rv != 0) {
			xasprintf(cause, "inode %u: %s while reading a "
			    "symbolic link", ino, error_message(rv));
			free(buf);
			return (-1);
		}
	}
	buf[size] = '\0';
	*target = buf;
	return (0);
}

static int
copy_data(struct export *x, ext2_ino_t ino, struct ext2_inode *inode,
    const char *path, char **cause)
{
	ext2_file_t	 f;
	errcode_t	 rv;
	char		 buf[65536];
	unsigned int	 got;

	if ((rv = ext2fs_file_open2(x->fs, ino, inode, 0, &f)) != 0) {
		xasprintf(cause, "%s: %s while opening", path,
		    error_message(rv));
		return (-1);
	}
	do {
		if ((rv = ext2fs_file_read(f, buf, sizeof buf, &got)) != 0) {
			xasprintf(cause, "%s: %s while reading", path,
			    error_message(rv));
			ext2fs_file_close(f);
			return (-1);
		}
		if (got > 0 && archive_write_data(x->a, buf, got) < 0) {
			xasprintf(cause, "%s: %s", path,
			    archive_error_string(x->a));
			ext2fs_file_close(f);
			return (-1);
		}
	} while (got > 0);
	ext2fs_file_close(f);
	return (0);
}

/* A hard link to an inode already written, or NULL (and remember it). */
static const char *
link_seen(struct export *x, ext2_ino_t ino, const char *path)
{
	size_t	 i;

	for (i = 0; i < x->nlinks; i++) {
		if (x->linkino[i] == ino)
			return (x->linkpath[i]);
	}
	x->linkino = xreallocarray(x->linkino, x->nlinks + 1,
	    sizeof *x->linkino);
	x->linkpath = xreallocarray(x->linkpath, x->nlinks + 1,
	    sizeof *x->linkpath);
	x->linkino[x->nlinks] = ino;
	x->linkpath[x->nlinks++] = xstrdup(path);
	return (NULL);
}

/*
 * For reproducible images: files whose content records when or where a
 * build ran, and what becomes of them. Everything else only has its times
 * clamped.
 */
enum norm {
	NORM_KEEP,
	NORM_DROP,
	NORM_EMPTY,	/* kept, with no content */
	NORM_SHADOW,	/* "last changed" days clamped */
};

static const struct {
	const char	*pattern;
	enum norm	 what;
} norm_rules[] = {
	{ "./etc/machine-id",			NORM_EMPTY },
	{ "./var/lib/dbus/machine-id",		NORM_DROP },
	{ "./etc/shadow",			NORM_SHADOW },
	{ "./etc/shadow-",			NORM_SHADOW },
	{ "./var/cache/ldconfig/aux-cache",	NORM_DROP },
	{ "./var/lib/systemd/random-seed",	NORM_DROP },
	{ "./var/lib/dpkg/*-old",		NORM_DROP },
	{ "./var/cache/debconf/*-old",		NORM_DROP },
	{ "./var/log/*",			NORM_EMPTY },
	{ "./var/log/*/*",			NORM_EMPTY },
};

static enum norm
norm_rule(const struct export *x, const char *path)
{
	size_t	 i;

	if (x->clamp < 0)
		return (NORM_KEEP);
	for (i = 0; i < sizeof norm_rules / sizeof norm_rules[0]; i++) {
		if (fnmatch(norm_rules[i].pattern, path, FNM_PATHNAME) == 0)
			return (norm_rules[i].what);
	}
	return (NORM_KEEP);
}

/* A small file's content, read whole. */
static char *
read_small(struct export *x, ext2_ino_t ino, struct ext2_inode *inode,
    const char *path, size_t *len, char **cause)
{
	ext2_file_t	 f;
	errcode_t	 rv;
	unsigned int	 got;
	size_t		 size = EXT2_I_SIZE(inode);
	char		*buf = xmalloc(size + 1);

	if ((rv = ext2fs_file_open2(x->fs, ino, inode, 0, &f)) != 0 ||
	    (rv = ext2fs_file_read(f, buf, size, &got)) != 0) {
		xasprintf(cause, "%s: %s while reading", path,
		    error_message(rv));
		free(buf);
		return (NULL);
	}
	ext2fs_file_close(f);
	buf[got] = '\0';
	*len = got;
	return (buf);
}

/* shadow(5): no "last changed" day after SOURCE_DATE_EPOCH's. */
static char *
shadow_clamp(const char *in, long long clamp, size_t *len)
{
	long long	 days = clamp / 86400;
	const char	*p = in, *f2, *f3;
	char		*out = xstrdup(""), *t;

	while (*p != '\0') {
		size_t	 n = strcspn(p, "\n");
		char	*line = xstrndup(p, n);

		if ((f2 = strchr(line, ':')) != NULL &&
		    (f2 = strchr(f2 + 1, ':')) != NULL &&
		    (f3 = strchr(f2 + 1, ':')) != NULL && f3 > f2 + 1 &&
		    strtoll(f2 + 1, NULL, 10) > days)
			xasprintf(&t, "%s%.*s%lld%s\n", out, (int)(f2 + 1 - line),
			    line, days, f3);
		else
			xasprintf(&t, "%s%s\n", out, line);
		free(line);
		free(out);
		out = t;
		p += n;
		if (*p == '\n')
			p++;
	}
	*len = strlen(out);
	return (out);
}

/* One file, its header and its data; directories recurse. */
static int
export_one(struct export *x, ext2_ino_t ino, const char *path, char **cause)
{
	struct ext2_inode_large	 big;
	struct ext2_inode	*inode = (struct ext2_inode *)&big;
	struct ext2_xattr_handle *h;
	struct archive_entry	*e = x->entry;
	const char		*first = NULL;
	char			*target = NULL, *data = NULL;
	enum norm		 norm;
	size_t			 len = 0;
	errcode_t		 rv;
	int			 rc = -1;

	rv = ext2fs_read_inode2(x->fs, ino, inode, sizeof big, 0);
	if (rv != 0) {
		xasprintf(cause, "%s: %s while reading inode %u", path,
		    error_message(rv), ino);
		return (-1);
	}
	if ((norm = norm_rule(x, path)) == NORM_DROP)
		return (0);
	archive_entry_clear(e);
	archive_entry_set_pathname(e, path);
	archive_entry_set_mode(e, inode->i_mode);
	archive_entry_set_uid(e, inode_uid(*inode));
	archive_entry_set_gid(e, inode_gid(*inode));
	if (x->clamp >= 0 && inode->i_mtime > x->clamp)
		archive_entry_set_mtime(e, x->clamp, 0);
	else
		archive_entry_set_mtime(e, inode->i_mtime, 0);
	if (!LINUX_S_ISREG(inode->i_mode))
		norm = NORM_KEEP;
	if (!LINUX_S_ISDIR(inode->i_mode) && inode->i_links_count > 1 &&
	    (first = link_seen(x, ino, path)) != NULL) {
		archive_entry_set_hardlink(e, first);
		archive_entry_set_size(e, 0);
	} else if (norm == NORM_EMPTY)
		archive_entry_set_size(e, 0);
	else if (norm == NORM_SHADOW) {
		if ((data = read_small(x, ino, inode, path, &len,
		    cause)) == NULL)
			return (-1);
		target = shadow_clamp(data, x->clamp, &len);
		free(data);
		data = target;
		target = NULL;
		archive_entry_set_size(e, len);
	} else if (LINUX_S_ISREG(inode->i_mode))
		archive_entry_set_size(e, EXT2_I_SIZE(inode));
	else if (LINUX_S_ISLNK(inode->i_mode)) {
		if (symlink_target(x, ino, inode, &target, cause) != 0)
			return (-1);
		archive_entry_set_symlink(e, target);
		free(target);
	} else if (LINUX_S_ISCHR(inode->i_mode) ||
	    LINUX_S_ISBLK(inode->i_mode))
		set_rdev(e, inode);
	if (ext2fs_xattrs_open(x->fs, ino, &h) == 0) {
		struct xattr_ctx ctx = { h, e };

		if (ext2fs_xattrs_read(h) == 0)
			ext2fs_xattrs_iterate(h, xattr_add, &ctx);
		ext2fs_xattrs_close(&h);
	}
	if (archive_write_header(x->a, e) < ARCHIVE_WARN) {
		xasprintf(cause, "%s: %s", path, archive_error_string(x->a));
		free(data);
		return (-1);
	}
	if (data != NULL) {
		rc = archive_write_data(x->a, data, len) < 0 ? -1 : 0;
		free(data);
		if (rc != 0) {
			xasprintf(cause, "%s: %s", path,
			    archive_error_string(x->a));
			return (-1);
		}
	} else if (first == NULL && norm == NORM_KEEP &&
	    LINUX_S_ISREG(inode->i_mode) &&
	    copy_data(x, ino, inode, path, cause) != 0)
		return (-1);
	rc = 0;
	if (LINUX_S_ISDIR(inode->i_mode))
		rc = export_dir(x, ino, path, cause);
	return (rc);
}

static int
export_dir(struct export *x, ext2_ino_t dir, const char *path, char **cause)
{
	struct children	 c = { NULL, 0 };
	errcode_t	 rv;
	char		*child;
	size_t		 i;
	int		 rc = 0;

	rv = ext2fs_dir_iterate2(x->fs, dir, 0, NULL, child_add, &c);
	if (rv != 0) {
		xasprintf(cause, "%s: %s while reading the directory", path,
		    error_message(rv));
		return (-1);
	}
	if (c.n > 0)
		qsort(c.v, c.n, sizeof *c.v, child_cmp);
	for (i = 0; i < c.n; i++) {
		if (rc == 0) {
			xasprintf(&child, "%s/%s", path, c.v[i].name);
			rc = export_one(x, c.v[i].ino, child, cause);
			free(child);
		}
		free(c.v[i].name);
	}
	free(c.v);
	return (rc);
}

/*
 * Write the tar of image to out ("-": stdout), compressed by its suffix.
 * clamp >= 0 makes the archive reproducible (see norm_rules).
 */
int
image_export(const char *image, const char *out, long long clamp,
    char **cause)
{
	struct export	 x;
	errcode_t	 rv;
	char		*tmp = NULL, *dir;
	mode_t		 mask;
	int		 fd = STDOUT_FILENO, rc = -1;

	memset(&x, 0, sizeof x);
	x.clamp = clamp;
	add_error_table(&et_ext2_error_table);
	rv = ext2fs_open(image, EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &x.fs);
	if (rv != 0) {
		xasprintf(cause, "%s: %s while opening the filesystem", image,
		    error_message(rv));
		return (-1);
	}
	x.a = archive_write_new();
	if (strcmp(out, "-") == 0 ||
	    archive_write_set_format_filter_by_ext(x.a, out) != ARCHIVE_OK)
		archive_write_set_format_pax_restricted(x.a);
	if (strcmp(out, "-") != 0) {
		/*
		 * Nothing half-written at out: a temporary name, locked while
		 * it is written and renamed (file_temp). What a killed export
		 * left there goes first.
		 */
		dir = path_dir(out);
		lock_sweep(dir);
		free(dir);
		if ((fd = file_temp(out, &tmp, cause)) == -1)
			goto out;
		mask = umask(0);
		umask(mask);
		fchmod(fd, 0666 & ~mask);
	}
	if (archive_write_open_fd(x.a, fd) != ARCHIVE_OK) {
		xasprintf(cause, "%s: %s", out, archive_error_string(x.a));
		goto out;
	}
	x.entry = archive_entry_new();
	if (export_one(&x, EXT2_ROOT_INO, ".", cause) != 0)
		goto out;
	if (archive_write_close(x.a) != ARCHIVE_OK) {
		xasprintf(cause, "%s: %s", out, archive_error_string(x.a));
		goto out;
	}
	if (tmp != NULL && (fsync(fd) == -1 || rename(tmp, out) == -1)) {
		xasprintf(cause, "%s: %s", out, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && tmp != NULL && fd != -1)
		unlink(tmp);
	if (tmp != NULL && fd != -1)
		close(fd);
	if (x.entry != NULL)
		archive_entry_free(x.entry);
	archive_write_free(x.a);
	ext2fs_close_free(&x.fs);
	for (size_t i = 0; i < x.nlinks; i++)
		free(x.linkpath[i]);
	free(x.linkpath);
	free(x.linkino);
	free(tmp);
	return (rc);
}
