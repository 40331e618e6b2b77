/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive.h"

/*
 * A few files taken out of a .deb onto the host, as dpkg-deb -x would
 * take all of them: the data.tar member read as a stream (a kernel
 * package's is 170 MB unpacked, of which a build wants one file), each
 * wanted entry written under its own name into one directory. The .deb
 * was verified by its SHA256 before it got here; its entries are still
 * not trusted to name paths: only their last component is used.
 */

#define DEB_FILE_MAX	(256ULL << 20)

/* The outer ar archive, and its data.tar member read as an archive. */
struct debfile {
	struct archive	*outer;
	struct archive	*data;
	char		 buf[65536];
};

static la_ssize_t
outer_read(struct archive *a, void *arg, const void **data)
{
	struct debfile	*d = arg;

	(void)a;
	*data = d->buf;
	return (archive_read_data(d->outer, d->buf, sizeof d->buf));
}

static void
debfile_close(struct debfile *d)
{
	if (d->data != NULL)
		archive_read_free(d->data);
	archive_read_free(d->outer);
	free(d);
}

/* Open path's data.tar for reading its entries; NULL with *cause. */
static struct debfile *
debfile_open(const char *path, char **cause)
{
	struct debfile		*d = xcalloc(1, sizeof *d);
	struct archive_entry	*e;
	int			 r;

	d->outer = archive_read_new();
	archive_read_support_format_ar(d->outer);
	if (archive_read_open_filename(d->outer, path, 65536) != ARCHIVE_OK) {
		xasprintf(cause, "%s: %s", path,
		    archive_error_string(d->outer));
		debfile_close(d);
		return (NULL);
	}
	while ((r = archive_read_next_header(d->outer, &e)) == ARCHIVE_OK) {
		if (strncmp(archive_entry_pathname(e), "data.tar", 8) != 0)
			continue;
		d->data = archive_read_new();
		archive_read_support_filter_all(d->data);
		archive_read_support_format_tar(d->data);
		if (archive_read_open(d->data, d, NULL, outer_read,
		    NULL) == ARCHIVE_OK)
			return (d);
		xasprintf(cause, "%s: data.tar: %s", path,
		    archive_error_string(d->data));
		debfile_close(d);
		return (NULL);
	}
	xasprintf(cause, "%s: %s", path, r == ARCHIVE_EOF ?
	    "not a Debian package (no data.tar)" :
	    archive_error_string(d->outer));
	debfile_close(d);
	return (NULL);
}

/* Whether the entry's path ("./usr/bin/x" or "usr/bin/x") is wanted. */
static int
wanted(const char *path, const char *const *patterns)
{
	size_t	 i;

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	for (i = 0; patterns[i] != NULL; i++) {
		if (fnmatch(patterns[i], path, FNM_PATHNAME) == 0)
			return (1);
	}
	return (0);
}

/* One entry, a file or a link to a name beside it, into dir. */
static int
extract_one(struct archive *a, struct archive_entry *e, const char *dir,
    const char *deb, char **cause)
{
	const char	*name = strrchr(archive_entry_pathname(e), '/');
	const char	*target;
	char		*path, buf[65536];
	la_ssize_t	 n;
	int		 fd, rc = -1;

	name = name != NULL ? name + 1 : archive_entry_pathname(e);
	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return (0);
	path = path_join(dir, name);
	if (archive_entry_filetype(e) == AE_IFLNK) {
		target = archive_entry_symlink(e);
		/* Only a link to a name in the same directory makes sense. */
		if (target == NULL || strchr(target, '/') != NULL ||
		    symlink(target, path) != 0)
			xasprintf(cause, "%s: %s: %s", deb, name,
			    target == NULL || strchr(target, '/') != NULL ?
			    "a link out of its directory" : strerror(errno));
		else
			rc = 0;
		free(path);
		return (rc);
	}
	if (archive_entry_filetype(e) != AE_IFREG ||
	    archive_entry_size(e) > (la_int64_t)DEB_FILE_MAX) {
		free(path);
		return (0);
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, archive_entry_perm(e) & 0755)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(path);
		return (-1);
	}
	while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
		if (write(fd, buf, n) != n) {
			n = -2;
			break;
		}
	}
	if (n == 0 && close(fd) == 0)
		rc = 0;
	else {
		xasprintf(cause, "%s: %s: %s", deb, name, n == -1 ?
		    archive_error_string(a) : strerror(errno));
		if (n != 0)
			close(fd);
	}
	free(path);
	return (rc);
}

/*
 * Take the entries of deb's data.tar whose paths match one of patterns
 * (fnmatch, without "./") into dir, each under its last component.
 * Returns how many, or -1 with *cause.
 */
int
deb_extract(const char *deb, const char *const *patterns, const char *dir,
    char **cause)
{
	struct debfile		*d;
	struct archive_entry	*e;
	int			 r, n = 0;

	if ((d = debfile_open(deb, cause)) == NULL)
		return (-1);
	while ((r = archive_read_next_header(d->data, &e)) == ARCHIVE_OK) {
		if (!wanted(archive_entry_pathname(e), patterns))
			continue;
		if (extract_one(d->data, e, dir, deb, cause) != 0) {
			debfile_close(d);
			return (-1);
		}
		n++;
	}
	if (r != ARCHIVE_EOF) {
		xasprintf(cause, "%s: data.tar: %s", deb,
		    archive_error_string(d->data));
		n = -1;
	}
	debfile_close(d);
	return (n);
}
