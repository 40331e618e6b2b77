/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "image.h"
#include "image-ext2.h"

/*
 * An archive to import, read so that damage is an error. Two gaps in
 * reading it with libarchive alone: its gzip filter never compares the
 * CRC and length in a member's trailer, so a .tar.gz damaged inside a
 * stored block imports with wrong bytes; and the tar reader stops at the
 * end-of-archive blocks, before any filter has read the end of its
 * stream, where xz, bzip2 and zstd keep their last check. So gzip is
 * decompressed here with zlib, which checks the trailer, and other
 * compressions by a libarchive reader of their own whose stream is read
 * to its end (tarin_finish) once the tar reader is done.
 */

enum tarin_kind {
	TARIN_PLAIN,		/* no compression, read by libarchive */
	TARIN_GZIP,		/* zlib */
	TARIN_NESTED,		/* decompressed by libarchive's filters */
};

struct tarin {
	const char		*path;
	enum tarin_kind		 kind;
	struct archive		*a;		/* what the caller reads */
	struct archive		*outer;		/* NESTED: its bytes */
	int			 fd;		/* TARIN_GZIP */
	z_stream		 z;
	int			 zinit;
	int			 between;	/* after a gzip member */
	int			 padding;	/* zeros after the last */
	int			 eof, done;
	char			*error;		/* ours; libarchive hides it */
	unsigned char		 in[65536];
	unsigned char		 out[65536];
};

static la_ssize_t printflike(2, 3)
tarin_fail(struct tarin *t, const char *fmt, ...)
{
	va_list	 ap;

	free(t->error);
	va_start(ap, fmt);
	xvasprintf(&t->error, fmt, ap);
	va_end(ap);
	archive_set_error(t->a, EIO, "%s", t->error);
	return (-1);
}

/* The next input, or EOF; -1 on a read error. */
static int
gz_fill(struct tarin *t)
{
	ssize_t	 n;

	if (t->z.avail_in > 0 || t->eof)
		return (0);
	while ((n = read(t->fd, t->in, sizeof t->in)) == -1 && errno == EINTR)
		;
	if (n == -1)
		return (-1);
	if (n == 0)
		t->eof = 1;
	t->z.next_in = t->in;
	t->z.avail_in = n;
	return (0);
}

/*
 * Decompressed bytes. Concatenated members are one stream, as gzip -d
 * has them; zeros may pad the file after the last one, nothing else.
 */
static la_ssize_t
gz_read(struct archive *a, void *arg, const void **data)
{
	struct tarin	*t = arg;
	size_t		 n;
	int		 r;

	(void)a;
	*data = t->out;
	while (!t->done) {
		if (gz_fill(t) != 0)
			return (tarin_fail(t, "%s", strerror(errno)));
		if (t->between || t->padding) {
			if (t->z.avail_in == 0) {
				t->done = t->eof;
				continue;
			}
			if (t->padding || t->z.next_in[0] == 0) {
				t->padding = 1;
				for (; t->z.avail_in > 0; t->z.avail_in--) {
					if (*t->z.next_in++ != 0)
						return (tarin_fail(t,
						    "garbage after the gzip "
						    "data"));
				}
				continue;
			}
			if (inflateReset(&t->z) != Z_OK)
				return (tarin_fail(t, "gzip: cannot restart"));
			t->between = 0;
		}
		t->z.next_out = t->out;
		t->z.avail_out = sizeof t->out;
		r = inflate(&t->z, Z_NO_FLUSH);
		n = sizeof t->out - t->z.avail_out;
		if (r == Z_STREAM_END)
			t->between = 1;
		else if (r == Z_BUF_ERROR && t->z.avail_in == 0 && t->eof)
			return (tarin_fail(t,
			    "the gzip data is cut short"));
		else if (r != Z_OK && r != Z_BUF_ERROR)
			return (tarin_fail(t, "the gzip data is damaged (%s)",
			    t->z.msg != NULL ? t->z.msg : "zlib error"));
		if (n > 0)
			return ((la_ssize_t)n);
	}
	return (0);
}

static la_ssize_t
nested_read(struct archive *a, void *arg, const void **data)
{
	struct tarin	*t = arg;
	la_ssize_t	 n;

	(void)a;
	*data = t->out;
	n = archive_read_data(t->outer, t->out, sizeof t->out);
	if (n < 0)
		return (tarin_fail(t, "%s", archive_error_string(t->outer) !=
		    NULL ? archive_error_string(t->outer) : "read error"));
	return (n);
}

/* Which compression, as libarchive's filters recognise it. */
static void
tarin_probe(struct tarin *t)
{
	struct archive_entry	*e;

	t->kind = TARIN_PLAIN;
	t->outer = archive_read_new();
	archive_read_support_filter_all(t->outer);
	archive_read_support_format_raw(t->outer);
	if (archive_read_open_filename(t->outer, t->path, 65536) ==
	    ARCHIVE_OK && archive_read_next_header(t->outer, &e) ==
	    ARCHIVE_OK && archive_filter_count(t->outer) > 1) {
		if (archive_filter_count(t->outer) == 2 &&
		    archive_filter_code(t->outer, 0) == ARCHIVE_FILTER_GZIP)
			t->kind = TARIN_GZIP;
		else
			t->kind = TARIN_NESTED;
	}
	if (t->kind != TARIN_NESTED) {
		archive_read_free(t->outer);
		t->outer = NULL;
	}
}

/* path opened for reading (any format and compression libarchive has). */
struct archive *
tarin_open(const char *path, struct tarin **tp, char **cause)
{
	struct tarin	*t = xcalloc(1, sizeof *t);
	int		 r = ARCHIVE_FATAL;

	t->path = path;
	t->fd = -1;
	tarin_probe(t);
	t->a = archive_read_new();
	archive_read_support_filter_all(t->a);
	archive_read_support_format_all(t->a);
	switch (t->kind) {
	case TARIN_PLAIN:
		r = archive_read_open_filename(t->a, path, 65536);
		break;
	case TARIN_GZIP:
		if ((t->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			archive_set_error(t->a, errno, "%s", strerror(errno));
			break;
		}
		if (inflateInit2(&t->z, 16 + MAX_WBITS) != Z_OK) {
			archive_set_error(t->a, ENOMEM, "out of memory");
			break;
		}
		t->zinit = 1;
		r = archive_read_open(t->a, t, NULL, gz_read, NULL);
		break;
	case TARIN_NESTED:
		r = archive_read_open(t->a, t, NULL, nested_read, NULL);
		break;
	}
	if (r != ARCHIVE_OK) {
		xasprintf(cause, "%s: %s", path, archive_error_string(t->a) !=
		    NULL ? archive_error_string(t->a) : "cannot read it");
		tarin_close(t);
		return (NULL);
	}
	*tp = t;
	return (t->a);
}

/*
 * After the archive's end: the rest of the compressed stream, read so
 * that its last check is made. -1 with cause when it fails.
 */
int
tarin_finish(struct tarin *t, char **cause)
{
	const void	*data;
	la_ssize_t	 n = 0;

	if (t->kind == TARIN_GZIP) {
		while ((n = gz_read(t->a, t, &data)) > 0)
			;
	} else if (t->kind == TARIN_NESTED) {
		while ((n = nested_read(t->a, t, &data)) > 0)
			;
	}
	if (n < 0) {
		xasprintf(cause, "%s: %s", t->path, t->error);
		return (-1);
	}
	return (0);
}

/*
 * Why reading failed: our own reason when the decompression failed, which
 * libarchive reports only as its input cut short.
 */
void
tarin_why(struct tarin *t, char **cause)
{
	if (t == NULL || t->error == NULL)
		return;
	free(*cause);
	xasprintf(cause, "%s: %s", t->path, t->error);
}

void
tarin_close(struct tarin *t)
{
	if (t == NULL)
		return;
	archive_read_free(t->a);
	if (t->outer != NULL)
		archive_read_free(t->outer);
	if (t->zinit)
		inflateEnd(&t->z);
	if (t->fd != -1)
		close(t->fd);
	free(t->error);
	free(t);
}

/* Bytes an entry's data takes: a sparse file's data, not its holes. */
static uint64_t
stored_size(struct archive_entry *e)
{
	la_int64_t	 off, len;
	uint64_t	 n = 0;

	if (archive_entry_sparse_reset(e) == 0)
		return (archive_entry_size(e) > 0 ? archive_entry_size(e) : 0);
	while (archive_entry_sparse_next(e, &off, &len) == ARCHIVE_OK)
		n += len > 0 ? len : 0;
	return (n);
}

/* What an archive needs: bytes of data, rounded to blocks, and entries. */
int
tar_measure(const char *tarball, uint64_t *bytes, uint64_t *entries,
    char **cause)
{
	struct tarin		*t;
	struct archive		*a;
	struct archive_entry	*e;
	char			*why = NULL;
	int			 r;

	*bytes = *entries = 0;
	if ((a = tarin_open(tarball, &t, cause)) == NULL)
		return (-1);
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN) {
		*bytes += (stored_size(e) + 4095) / 4096 * 4096 + 256;
		(*entries)++;
		if (image_interrupted(&why) ||
		    (r = archive_read_data_skip(a)) < ARCHIVE_WARN)
			break;
	}
	if (why == NULL && r != ARCHIVE_EOF)
		xasprintf(&why, "%s: %s", tarball, archive_error_string(a));
	if (why == NULL)
		tarin_finish(t, &why);
	else
		tarin_why(t, &why);
	tarin_close(t);
	if (why != NULL) {
		*cause = why;
		return (-1);
	}
	return (0);
}
