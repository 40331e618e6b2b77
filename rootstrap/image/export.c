/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "image.h"
#include "image-ext2.h"

/*
 * rootstrap export: an image's files as a tar stream, read with libext2fs
 * straight from the image file, so neither root nor a mount is needed and
 * owners, modes, device numbers, hard links and extended attributes come
 * out as they are stored. Entries are in sorted order: the same image
 * always gives the same archive. The image is read as a hostile one
 * (fsread.c): the output is never larger than what the image holds, a
 * sparse file's holes stay holes in the archive (GNU sparse pax entries),
 * and a directory met twice is an error, not a loop.
 */

#define ZEROS	(16U << 20)	/* a hole is handed to the writer in these */

struct export {
	struct fsread		 r;
	long long		 clamp;		/* -1, or SOURCE_DATE_EPOCH */
	struct archive		*a;
	struct archive_entry	*entry;
	char			*zeros;		/* made when first needed */
	int			 fd;
	int			 failed;	/* write nothing more */
	/* First path of each inode with more than one link, hashed. */
	struct link {
		ext2_ino_t	 ino;
		char		*path;
	}			*links;
	size_t			 nlinks, linksize;
};

struct child {
	char		*name;
	ext2_ino_t	 ino;
};

struct children {
	struct child	*v;
	size_t		 n;
	int		 bad;		/* a name no tar path can hold */
};

static int	 export_dir(struct export *, ext2_ino_t, const char *,
		     char **);

static int
child_add(ext2_ino_t dir, int entry, struct ext2_dir_entry *de, int offset,
    int blocksize, char *buf, void *arg)
{
	struct children	*c = arg;
	int		 len = ext2fs_dirent_name_len(de);

	(void)dir;
	(void)entry;
	(void)offset;
	(void)blocksize;
	(void)buf;
	if ((len == 1 && de->name[0] == '.') ||
	    (len == 2 && de->name[0] == '.' && de->name[1] == '.'))
		return (0);
	if (len == 0 || memchr(de->name, '/', len) != NULL ||
	    memchr(de->name, '\0', len) != NULL) {
		c->bad = 1;
		return (DIRENT_ABORT);
	}
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
write_fail(struct export *x, const char *path, char **cause)
{
	xasprintf(cause, "%s: %s", name_shown(path),
	    archive_error_string(x->a) != NULL ? archive_error_string(x->a) :
	    "cannot write");
	return (-1);
}

/*
 * len bytes of a hole. The pax writer skips a sparse entry's holes
 * without reading them, so they cost nothing but the calls.
 */
static int
write_hole(struct export *x, uint64_t len, const char *path, char **cause)
{
	la_ssize_t	 n;

	if (x->zeros == NULL)
		x->zeros = xcalloc(1, ZEROS);
	while (len > 0) {
		if (image_interrupted(cause))
			return (-1);
		n = archive_write_data(x->a, x->zeros, len < ZEROS ? len :
		    ZEROS);
		if (n <= 0)
			return (write_fail(x, path, cause));
		len -= n;
	}
	return (0);
}

/* A regular file's data: its blocks, and its holes as holes. */
static int
write_file(struct export *x, ext2_ino_t ino, struct ext2_inode *inode,
    const struct fsmap *map, const char *path, char **cause)
{
	ext2_file_t	 f;
	errcode_t	 rv;
	char		 buf[65536];
	uint64_t	 at = 0, left;
	unsigned int	 got;
	size_t		 i;

	if ((rv = ext2fs_file_open2(x->r.fs, ino, inode, 0, &f)) != 0) {
		xasprintf(cause, "%s: %s while opening", name_shown(path),
		    error_message(rv));
		return (-1);
	}
	for (i = 0; i < map->n; i++) {
		if (write_hole(x, map->v[i].off - at, path, cause) != 0)
			goto fail;
		if ((rv = ext2fs_file_llseek(f, map->v[i].off, EXT2_SEEK_SET,
		    NULL)) != 0)
			goto read_fail;
		for (left = map->v[i].len; left > 0; left -= got) {
			if (image_interrupted(cause))
				goto fail;
			rv = ext2fs_file_read(f, buf, left < sizeof buf ?
			    left : sizeof buf, &got);
			if (rv != 0)
				goto read_fail;
			if (got == 0) {
				rv = EXT2_ET_SHORT_READ;
				goto read_fail;
			}
			if (archive_write_data(x->a, buf, got) < 0) {
				write_fail(x, path, cause);
				goto fail;
			}
		}
		at = map->v[i].off + map->v[i].len;
	}
	if (write_hole(x, EXT2_I_SIZE(inode) - at, path, cause) != 0)
		goto fail;
	ext2fs_file_close(f);
	return (0);
read_fail:
	xasprintf(cause, "%s: %s while reading", name_shown(path),
	    error_message(rv));
fail:
	ext2fs_file_close(f);
	return (-1);
}

/* A hard link to an inode already written, or NULL (and remember it). */
static const char *
link_seen(struct export *x, ext2_ino_t ino, const char *path)
{
	struct link	*old = x->links;
	size_t		 i, j, oldsize = x->linksize;

	for (i = ino & (x->linksize - 1); x->linksize > 0 &&
	    x->links[i].path != NULL; i = (i + 1) & (x->linksize - 1)) {
		if (x->links[i].ino == ino)
			return (x->links[i].path);
	}
	if (2 * (x->nlinks + 1) > x->linksize) {
		x->linksize = x->linksize == 0 ? 256 : 2 * x->linksize;
		x->links = xcalloc(x->linksize, sizeof *x->links);
		for (j = 0; j < oldsize; j++) {
			if (old[j].path == NULL)
				continue;
			for (i = old[j].ino & (x->linksize - 1);
			    x->links[i].path != NULL;
			    i = (i + 1) & (x->linksize - 1))
				;
			x->links[i] = old[j];
		}
		free(old);
	}
	for (i = ino & (x->linksize - 1); x->links[i].path != NULL;
	    i = (i + 1) & (x->linksize - 1))
		;
	x->links[i].ino = ino;
	x->links[i].path = xstrdup(path);
	x->nlinks++;
	return (NULL);
}

/* The entry's header fields that come from the inode as they are. */
static void
set_header(struct export *x, struct archive_entry *e, ext2_ino_t ino,
    struct ext2_inode *inode, const char *path)
{
	struct ext2_xattr_handle *h;
	struct xattr_ctx	 ctx;

	archive_entry_clear(e);
	archive_entry_set_pathname(e, path);
	archive_entry_set_mode(e, inode->i_mode);
	archive_entry_set_uid(e, inode_uid(*inode));
	archive_entry_set_gid(e, inode_gid(*inode));
	if (x->clamp >= 0 && inode->i_mtime > x->clamp)
		archive_entry_set_mtime(e, x->clamp, 0);
	else
		archive_entry_set_mtime(e, inode->i_mtime, 0);
	if (LINUX_S_ISCHR(inode->i_mode) || LINUX_S_ISBLK(inode->i_mode))
		set_rdev(e, inode);
	if (ext2fs_xattrs_open(x->r.fs, ino, &h) == 0) {
		ctx.h = h;
		ctx.e = e;
		if (ext2fs_xattrs_read(h) == 0)
			ext2fs_xattrs_iterate(h, xattr_add, &ctx);
		ext2fs_xattrs_close(&h);
	}
}

/*
 * A regular file's size and holes into its header: sparse entries only
 * when it has a hole (an empty map of a non-empty file: one hole).
 */
static void
set_sparse(struct archive_entry *e, uint64_t size, const struct fsmap *map)
{
	size_t	 i;

	archive_entry_set_size(e, size);
	if (map->n == 1 && map->v[0].off == 0 && map->v[0].len == size)
		return;
	if (map->n == 0 && size > 0)
		archive_entry_sparse_add_entry(e, size, 0);
	for (i = 0; i < map->n; i++)
		archive_entry_sparse_add_entry(e, map->v[i].off,
		    map->v[i].len);
}

/* One file, its header and its data; directories recurse. */
static int
export_one(struct export *x, ext2_ino_t ino, const char *path, char **cause)
{
	struct ext2_inode_large	 big;
	struct ext2_inode	*inode = (struct ext2_inode *)&big;
	struct archive_entry	*e = x->entry;
	struct fsmap		 map = { NULL, 0 };
	const char		*first = NULL;
	char			*target = NULL, *data = NULL, *text;
	enum norm		 norm;
	size_t			 len = 0;
	errcode_t		 rv;
	int			 rc = -1;

	if (image_interrupted(cause))
		return (-1);
	/* The path in the image, without "./", as an import limits it. */
	if (strlen(path) > IMAGE_PATH_MAX + 2) {
		xasprintf(cause, "%s: '%s': a path longer than 4095 bytes",
		    x->r.image, name_shown(path));
		return (-1);
	}
	rv = ext2fs_read_inode2(x->r.fs, ino, inode, sizeof big, 0);
	if (rv != 0) {
		xasprintf(cause, "%s: %s: %s while reading inode %u",
		    x->r.image, name_shown(path), error_message(rv), ino);
		return (-1);
	}
	if (ino == EXT2_ROOT_INO && !LINUX_S_ISDIR(inode->i_mode)) {
		xasprintf(cause, "%s: the root is not a directory",
		    x->r.image);
		return (-1);
	}
	if ((norm = norm_rule(x->clamp, path)) == NORM_DROP)
		return (0);
	if (!LINUX_S_ISREG(inode->i_mode))
		norm = NORM_KEEP;
	if (fsread_seen(&x->r, ino)) {
		/* Met before: a hard link, or a directory cycle. */
		if (LINUX_S_ISDIR(inode->i_mode) || inode->i_links_count < 2 ||
		    (first = link_seen(x, ino, path)) == NULL) {
			xasprintf(cause, "%s: '%s': inode %u has more names "
			    "than its link count (a %s)", x->r.image,
			    name_shown(path), ino,
			    LINUX_S_ISDIR(inode->i_mode) ? "directory cycle" :
			    "corrupt image");
			return (-1);
		}
	} else if (!LINUX_S_ISDIR(inode->i_mode) && inode->i_links_count > 1)
		link_seen(x, ino, path);
	set_header(x, e, ino, inode, path);

	if (first != NULL) {
		archive_entry_set_hardlink(e, first);
		archive_entry_set_size(e, 0);
	} else if (norm == NORM_EMPTY)
		archive_entry_set_size(e, 0);
	else if (norm == NORM_SHADOW) {
		if ((text = fsread_small(&x->r, ino, inode, path, &len,
		    cause)) == NULL)
			return (-1);
		data = norm_shadow(text, x->clamp, &len);
		free(text);
		archive_entry_set_size(e, len);
	} else if (LINUX_S_ISREG(inode->i_mode)) {
		if (fsread_map(&x->r, ino, inode, path, &map, cause) != 0)
			return (-1);
		set_sparse(e, EXT2_I_SIZE(inode), &map);
	} else if (LINUX_S_ISLNK(inode->i_mode)) {
		if (fsread_symlink(&x->r, ino, inode, path, &target,
		    cause) != 0)
			return (-1);
		archive_entry_set_symlink(e, target);
		free(target);
	} else if (LINUX_S_ISDIR(inode->i_mode) &&
	    fsread_map(&x->r, ino, inode, path, NULL, cause) != 0)
		return (-1);

	if (archive_write_header(x->a, e) < ARCHIVE_WARN)
		write_fail(x, path, cause);
	else if (data != NULL) {
		if (archive_write_data(x->a, data, len) < 0)
			write_fail(x, path, cause);
		else
			rc = 0;
	} else if (first == NULL && norm == NORM_KEEP &&
	    LINUX_S_ISREG(inode->i_mode))
		rc = write_file(x, ino, inode, &map, path, cause);
	else
		rc = 0;
	free(data);
	free(map.v);
	if (rc == 0 && first == NULL && LINUX_S_ISDIR(inode->i_mode))
		rc = export_dir(x, ino, path, cause);
	return (rc);
}

static int
export_dir(struct export *x, ext2_ino_t dir, const char *path, char **cause)
{
	struct children	 c = { NULL, 0, 0 };
	errcode_t	 rv;
	char		*child;
	size_t		 i;
	int		 rc = 0;

	rv = ext2fs_dir_iterate2(x->r.fs, dir, 0, NULL, child_add, &c);
	if (c.bad) {
		xasprintf(cause, "%s: '%s': a name no path can hold (empty, "
		    "or with '/' or NUL in it)", x->r.image, name_shown(path));
		rc = -1;
	} else if (rv != 0) {
		xasprintf(cause, "%s: '%s': %s while reading the directory",
		    x->r.image, name_shown(path), error_message(rv));
		rc = -1;
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
 * libarchive's writer ends the archive when it is freed, even after an
 * error; once an export has failed, nothing more reaches the output, so a
 * stream cut short never looks whole.
 */
static la_ssize_t
export_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct export	*x = arg;
	ssize_t		 n;

	if (x->failed) {
		archive_set_error(a, ECANCELED, "the export failed");
		return (-1);
	}
	while ((n = write(x->fd, buf, len)) == -1 && errno == EINTR)
		;
	if (n == -1)
		archive_set_error(a, errno, "%s", strerror(errno));
	return (n);
}

/* The compression out's suffix asks for; other suffixes get a plain tar. */
static int
export_format(struct archive *a, const char *out)
{
	static const struct {
		const char	*suffix, *filter;
	} filters[] = {
		{ ".gz", "gzip" }, { ".tgz", "gzip" },
		{ ".bz2", "bzip2" }, { ".tbz2", "bzip2" },
		{ ".xz", "xz" }, { ".txz", "xz" },
		{ ".zst", "zstd" }, { ".tzst", "zstd" },
		{ ".lz4", "lz4" }, { ".lz", "lzip" }, { ".lzma", "lzma" },
		{ ".Z", "compress" },
	};
	size_t	 i, n = strlen(out), k;

	/* Only tar keeps holes as holes: never zip, cpio, iso by suffix. */
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK)
		return (-1);
	for (i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		k = strlen(filters[i].suffix);
		if (strcmp(out, "-") != 0 && n > k &&
		    strcmp(out + n - k, filters[i].suffix) == 0)
			return (archive_write_add_filter_by_name(a,
			    filters[i].filter) == ARCHIVE_OK ? 0 : -1);
	}
	return (0);
}

/*
 * Write the tar of image to out ("-": stdout), compressed by its suffix.
 * clamp >= 0 makes the archive reproducible (see normalise.c). Stops
 * early on SIGINT, SIGTERM or SIGHUP (image_interrupted), leaving
 * nothing at out.
 */
int
image_export(const char *image, const char *out, long long clamp,
    char **cause)
{
	struct export	 x;
	char		*tmp = NULL, *dir;
	mode_t		 mask;
	size_t		 i;
	int		 rc = -1;

	memset(&x, 0, sizeof x);
	x.clamp = clamp;
	x.fd = STDOUT_FILENO;
	if (fsread_open(&x.r, image, cause) != 0)
		return (-1);
	x.a = archive_write_new();
	if (export_format(x.a, out) != 0) {
		xasprintf(cause, "%s: %s", out, archive_error_string(x.a));
		goto out;
	}
	/* gzip's header would record when the export ran. */
	if (clamp >= 0)
		archive_write_set_options(x.a, "gzip:!timestamp");
	if (strcmp(out, "-") != 0) {
		/*
		 * Nothing half-written at out: a temporary name, locked while
		 * it is written and renamed (file_temp). What a killed export
		 * left there goes first.
		 */
		dir = path_dir(out);
		lock_sweep(dir);
		free(dir);
		if ((x.fd = file_temp(out, &tmp, cause)) == -1)
			goto out;
		mask = umask(0);
		umask(mask);
		fchmod(x.fd, 0666 & ~mask);
	}
	/* As archive_write_open_fd: a pipe gets whole 10 KB records. */
	archive_write_set_bytes_in_last_block(x.a, tmp == NULL ? 0 : 1);
	if (archive_write_open(x.a, &x, NULL, export_write, NULL) !=
	    ARCHIVE_OK) {
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
	if (tmp != NULL && (fsync(x.fd) == -1 || rename(tmp, out) == -1)) {
		xasprintf(cause, "%s: %s", out, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	x.failed = rc != 0;
	archive_write_free(x.a);
	if (rc != 0 && tmp != NULL && x.fd != -1)
		unlink(tmp);
	if (tmp != NULL && x.fd != -1)
		close(x.fd);
	if (x.entry != NULL)
		archive_entry_free(x.entry);
	fsread_close(&x.r);
	for (i = 0; i < x.linksize; i++)
		free(x.links[i].path);
	free(x.links);
	free(x.zeros);
	free(tmp);
	return (rc);
}
