/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "image.h"
#include "image-ext2.h"

/*
 * Writing a tar archive's files into an ext2/3/4 image on the host, with
 * libext2fs: no root, no mount, owners, modes, device nodes, hard links and
 * extended attributes exactly as the archive has them. The archive is
 * hostile until proven otherwise: paths are confined to the image
 * (absolute names lose their "/", ".." is refused), a path ext4 cannot
 * hold (a name over 255 bytes, 4096 bytes in all) is refused here and an
 * inode it cannot hold in entry.c, before libext2fs, which trusts its
 * caller, is asked to make them. SIGINT, SIGTERM and SIGHUP stop it
 * between entries and between the blocks of one (image_interrupted).
 */

/*
 * "TARBALL: 'PATH': libext2fs's error while what" (a full disk, mostly),
 * once: the first error counts.
 */
int
populate_fail(struct populate *p, const char *path, errcode_t rv,
    const char *what)
{
	if (p->cause == NULL)
		xasprintf(&p->cause, "%s: '%s': %s while %s", p->tarball,
		    name_shown(path), error_message(rv), what);
	return (-1);
}

/* "TARBALL: why", names in why passed through name_shown. */
int
populate_refuse(struct populate *p, const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	free(p->cause);
	xasprintf(&p->cause, "%s: %s", p->tarball, why);
	free(why);
	return (-1);
}

/*
 * "./a//b/" → "a/b" in *out; NULL and a refusal for a path that would
 * leave the image or that ext4 cannot hold.
 */
int
populate_path(struct populate *p, const char *name, char **out)
{
	struct buf	 b = { 0 };
	const char	*s = name, *end;
	size_t		 len;

	*out = NULL;
	while (*s != '\0') {
		end = strchrnul(s, '/');
		len = end - s;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			free(b.s);
			return (populate_refuse(p, "'%s' leaves the image",
			    name_shown(name)));
		}
		if (len > EXT2_NAME_LEN) {
			free(b.s);
			return (populate_refuse(p, "'%s' has a name longer "
			    "than 255 bytes", name_shown(name)));
		}
		if (len > 0 && !(len == 1 && s[0] == '.')) {
			if (b.len > 0)
				buf_add(&b, "/", 1);
			buf_add(&b, s, len);
		}
		s = *end == '/' ? end + 1 : end;
	}
	if (b.len > IMAGE_PATH_MAX) {
		free(b.s);
		return (populate_refuse(p, "'%s' is longer than 4095 bytes",
		    name_shown(name)));
	}
	*out = b.s != NULL ? b.s : xstrdup("");
	return (0);
}

/* The EXT2_FT_* type of ino, read from its inode when the entry lacks it. */
int
populate_type(struct populate *p, ext2_ino_t ino, int type)
{
	struct ext2_inode	 inode;

	if (type != EXT2_FT_UNKNOWN ||
	    ext2fs_read_inode(p->fs, ino, &inode) != 0)
		return (type);
	return (LINUX_S_ISDIR(inode.i_mode) ? EXT2_FT_DIR : EXT2_FT_REG_FILE);
}

/*
 * Walk path (clean) from the root: *ino is its last component's inode.
 * With make, path is a directory for entry, made (0755, root) where it is
 * missing. 1 when a component is not there; -1 and p->cause on an error.
 */
int
populate_walk(struct populate *p, const char *entry, const char *path,
    int make, ext2_ino_t *ino, int *type)
{
	char		*copy = xstrdup(path), *s, *next;
	ext2_ino_t	 cur = EXT2_ROOT_INO;
	errcode_t	 rv;
	int		 t = EXT2_FT_DIR, rc = 0;

	for (s = copy; *s != '\0' && rc == 0; s = next) {
		if ((next = strchr(s, '/')) != NULL)
			*next++ = '\0';
		else
			next = s + strlen(s);
		if (populate_type(p, cur, t) != EXT2_FT_DIR) {
			s[-1] = '\0';
			rc = populate_refuse(p, "'%s' is inside '%s', which "
			    "is not a directory", name_shown(entry),
			    name_shown(copy));
			break;
		}
		rv = dirs_lookup(p->dirs, cur, s, &cur, &t);
		if (rv == EXT2_ET_FILE_NOT_FOUND && make) {
			if ((rv = dirs_mkdir(p->dirs, cur, s, &cur)) != 0)
				rc = populate_fail(p, entry, rv,
				    "making a directory");
			t = EXT2_FT_DIR;
		} else if (rv == EXT2_ET_FILE_NOT_FOUND)
			rc = 1;
		else if (rv != 0)
			rc = populate_fail(p, entry, rv,
			    "looking up a directory");
	}
	free(copy);
	*ino = cur;
	t = populate_type(p, cur, t);
	if (type != NULL)
		*type = t;
	if (rc == 0 && make && t != EXT2_FT_DIR)
		rc = populate_refuse(p, "'%s' is inside '%s', which is not a "
		    "directory", name_shown(entry), name_shown(path));
	return (rc);
}

/* One entry: its path made, its inode made or found, filled. */
static int
add_entry(struct populate *p, struct archive *a, struct archive_entry *e)
{
	const char		*hard = archive_entry_hardlink(e);
	mode_t			 mode = archive_entry_mode(e);
	char			*path, *name;
	ext2_ino_t		 dir = EXT2_ROOT_INO, ino;
	errcode_t		 rv;
	int			 type, rc = -1;

	if (image_interrupted(&p->cause))
		return (-1);
	if (populate_path(p, archive_entry_pathname(e), &path) != 0)
		return (-1);
	if ((name = strrchr(path, '/')) != NULL) {
		*name = '\0';
		rc = populate_walk(p, archive_entry_pathname(e), path, 1,
		    &dir, NULL);
		*name++ = '/';
		if (rc != 0)
			goto out;
		rc = -1;
	} else
		name = path;

	if (*path == '\0') {
		/* "./" itself: only a directory's attributes, never data. */
		if (!S_ISDIR(mode) || hard != NULL) {
			populate_refuse(p, "'%s' names the image's root, "
			    "which is a directory",
			    name_shown(archive_entry_pathname(e)));
			goto out;
		}
		ino = EXT2_ROOT_INO;
	} else if ((rv = dirs_lookup(p->dirs, dir, name, &ino, &type)) == 0) {
		/* Only a directory may come again, for its attributes. */
		if (!S_ISDIR(mode) || hard != NULL ||
		    populate_type(p, ino, type) != EXT2_FT_DIR) {
			populate_refuse(p, "'%s' is in the archive twice",
			    name_shown(path));
			goto out;
		}
	} else if (rv != EXT2_ET_FILE_NOT_FOUND) {
		populate_fail(p, path, rv, "looking it up");
		goto out;
	} else if (hard != NULL) {
		rc = entry_link(p, dir, name, path, hard);
		goto out;
	} else if (entry_make(p, e, dir, name, path, &ino) != 0)
		goto out;

	/* After the data: closing the file rewrites the inode. */
	if ((!S_ISREG(mode) || entry_data(p, a, e, ino, path) == 0) &&
	    entry_attrs(p, e, ino, path) == 0)
		rc = 0;
out:
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
	p->dirs = dirs_new(p->fs);
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
	char		*clean;
	int		 rc;

	if (populate_path(p, path, &clean) != 0) {
		free(p->cause);
		p->cause = NULL;
		return (0);
	}
	rc = populate_walk(p, path, clean, 0, &ino, NULL);
	free(clean);
	free(p->cause);
	p->cause = NULL;
	return (rc == 0);
}

/* Write everything out and close; -1 with cause if that failed. */
int
populate_close(struct populate *p, char **cause)
{
	errcode_t	 rv;
	int		 rc = 0;

	dirs_free(p->dirs);
	if ((rv = ext2fs_close_free(&p->fs)) != 0) {
		xasprintf(cause, "%s while closing the filesystem",
		    error_message(rv));
		rc = -1;
	}
	free(p->cause);
	free(p);
	return (rc);
}

/*
 * Give up on the image, which the caller removes: nothing more is written,
 * and nothing waits for the disk.
 */
void
populate_discard(struct populate *p)
{
	dirs_free(p->dirs);
	ext2fs_free(p->fs);
	free(p->cause);
	free(p);
}

/* Fill the (freshly made) filesystem in image from tarball. */
int
populate_from_tar(const char *image, const char *tarball, char **cause)
{
	struct populate		*p;
	struct tarin		*t = NULL;
	struct archive		*a;
	struct archive_entry	*e;
	char			*why = NULL, *closing = NULL;
	int			 r, rc = -1;
	size_t			 n = 0;

	if ((p = populate_open(image, tarball, cause)) == NULL)
		return (-1);
	if ((a = tarin_open(tarball, &t, &why)) == NULL)
		goto out;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN) {
		if (populate_entry(p, a, e, &why) != 0)
			goto out;
		/* The caller's progress_begin says what the files are for. */
		if (++n % 256 == 0)
			progress_update("%zu files", n);
	}
	if (r != ARCHIVE_EOF) {
		xasprintf(&why, "%s: %s", tarball, archive_error_string(a));
		goto out;
	}
	/* Damage past the archive's last entry fails it too. */
	if (tarin_finish(t, &why) != 0)
		goto out;
	progress_end();
	log_info("wrote %zu files from %s into the image", n, tarball);
	rc = 0;
out:
	if (rc != 0)
		tarin_why(t, &why);
	tarin_close(t);
	if (rc != 0)
		populate_discard(p);
	else if (populate_close(p, &closing) != 0) {
		xasprintf(&why, "%s: %s", image, closing);
		rc = -1;
	}
	free(closing);
	if (rc != 0)
		*cause = why != NULL ? why : xstrdup("import failed");
	return (rc);
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
