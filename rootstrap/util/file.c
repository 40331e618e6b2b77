/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <linux/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * Files: read whole, replaced atomically, copied sparsely; directories
 * made and removed. The builder edits the target with these in the guest,
 * where a process costs tens of milliseconds, and the host writes the run
 * directory and the caches with them.
 */

/* mkdir -p; existing directories are fine. */
int
file_mkdirs(const char *path, mode_t mode, char **cause)
{
	char	*p, *s;

	p = xstrdup(path);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST) {
			xasprintf(cause, "%s: %s while making directory", p,
			    strerror(errno));
			free(p);
			return (-1);
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return (0);
}

/* Make the directory path is in. */
static int
mkparent(const char *path, char **cause)
{
	char	*dir, *slash;
	int	 rc = 0;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		rc = file_mkdirs(dir, 0755, cause);
	}
	free(dir);
	return (rc);
}

/*
 * A new, empty file to become path: ".NAME.rootstrap-XXXXXX" beside it,
 * made with O_EXCL (so never an existing file, nor wherever a link
 * planted there points), mode 0600, and locked (lock.c) before it shows
 * under that name, so that a sweep never finds it unlocked while we live.
 * Returns its descriptor, which holds the lock until it is closed, and
 * *tmp its name; or -1 with *cause.
 */
int
file_temp(const char *path, char **tmp, char **cause)
{
	const char	*base;
	char		*new;
	int		 fd, saved;

	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	xasprintf(&new, "%.*s.%s.rootstrap-XXXXXX.new", (int)(base - path),
	    path, base);
	if ((fd = mkostemps(new, 4, O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s while creating a temporary file "
		    "beside it", path, strerror(errno));
		free(new);
		return (-1);
	}
	*tmp = xstrndup(new, strlen(new) - 4);
	if (flock(fd, LOCK_EX) == -1 || rename(new, *tmp) == -1) {
		saved = errno;
		unlink(new);
		close(fd);
		xasprintf(cause, "%s: %s while creating", *tmp,
		    strerror(saved));
		free(*tmp);
		*tmp = NULL;
		fd = -1;
	}
	free(new);
	return (fd);
}

/*
 * Replace path with content, atomically, making parent directories. An
 * existing file keeps its owner and mode (/etc/shadow stays root:shadow).
 */
int
file_write(const char *path, const char *content, mode_t mode, char **cause)
{
	struct stat	 st;
	char		*tmp;
	size_t		 len = strlen(content);
	ssize_t		 n;
	int		 fd, held = -1, rc = -1, existed;

	if (mkparent(path, cause) != 0)
		return (-1);
	/* Unchanged content is left alone, mtime and all: fix-ups repeat. */
	if ((tmp = file_read(path, len, NULL)) != NULL) {
		existed = strcmp(tmp, content) == 0;
		free(tmp);
		if (existed)
			return (0);
	}
	existed = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	if (existed)
		mode = st.st_mode & 07777;
	if ((fd = file_temp(path, &tmp, cause)) == -1)
		return (-1);
	n = write(fd, content, len);
	if (existed && fchown(fd, st.st_uid, st.st_gid) == -1)
		n = -1;
	if (n != (ssize_t)len || fchmod(fd, mode) == -1 ||
	    (held = dup(fd)) == -1) {
		xasprintf(cause, "%s: %s while writing", tmp, strerror(errno));
		goto out;
	}
	/* close() reports a late write error; the copy keeps the lock. */
	n = close(fd);
	fd = -1;
	if (n == -1) {
		xasprintf(cause, "%s: %s while writing", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) == -1) {
		xasprintf(cause, "%s: %s while renaming", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		unlink(tmp);
	if (fd != -1)
		close(fd);
	if (held != -1)
		close(held);
	free(tmp);
	return (rc);
}

/* ln -sf target linkpath, making parent directories. */
int
file_symlink(const char *target, const char *linkpath, char **cause)
{
	char	 old[PATH_MAX];
	ssize_t	 n;

	if (mkparent(linkpath, cause) != 0)
		return (-1);
	n = readlink(linkpath, old, sizeof old - 1);
	if (n >= 0 && (old[n] = '\0', strcmp(old, target) == 0))
		return (0);
	if (unlink(linkpath) == -1 && errno != ENOENT) {
		xasprintf(cause, "%s: %s while replacing", linkpath,
		    strerror(errno));
		return (-1);
	}
	if (symlink(target, linkpath) == -1) {
		xasprintf(cause, "%s: %s while linking", linkpath,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* Whether path is the root of a mounted filesystem (not its parent's). */
int
file_is_mountpoint(const char *path)
{
	struct stat	 st, pst;
	char		*parent;
	int		 rc;

	xasprintf(&parent, "%s/..", path);
	rc = stat(path, &st) == 0 && stat(parent, &pst) == 0 &&
	    (st.st_dev != pst.st_dev || st.st_ino == pst.st_ino);
	free(parent);
	return (rc);
}

/* root + path, for files inside the target. */
char *
path_join(const char *root, const char *path)
{
	char	*s;

	xasprintf(&s, "%s%s%s", root, *path == '/' ? "" : "/", path);
	return (s);
}

/*
 * A whole file, NUL-terminated, its length in *len (when not NULL); NULL
 * with errno set if it cannot be read or is larger than max (EFBIG).
 */
char *
file_read(const char *path, size_t max, size_t *len)
{
	struct buf	 b = { NULL, 0, 0 };
	char		 chunk[65536];
	ssize_t		 n;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	buf_add(&b, "", 0);
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (b.len + n > max) {
			n = -1;
			errno = EFBIG;
			break;
		}
		buf_add(&b, chunk, n);
	}
	saved = errno;
	close(fd);
	if (n == -1) {
		buf_free(&b);
		errno = saved;
		return (NULL);
	}
	if (len != NULL)
		*len = b.len;
	return (b.s);
}

/* The directory part of path: "." for a bare name, "/" for "/x". */
char *
path_dir(const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return (xstrdup("."));
	if (slash == path)
		return (xstrdup("/"));
	return (xstrndup(path, slash - path));
}

static int
remove_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return (0);
}

/* rm -rf, not following links; what cannot go stays. */
void
file_remove_tree(const char *dir)
{
	if (dir != NULL)
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * TMPDIR, where run directories are made: /tmp if unset, or if it has a
 * character UML's command line (split at blanks) or a shell would mangle.
 */
const char *
tmpdir(void)
{
	const char	*dir = getenv("TMPDIR");

	if (dir == NULL || *dir == '\0' ||
	    strpbrk(dir, " \t\n\"'") != NULL)
		dir = "/tmp";
	return (dir);
}

/* Copy [*off, end) with read and write; returns bytes, or -1. */
static ssize_t
copy_slowly(int in, int out, off_t *off, off_t end)
{
	char	 buf[65536];
	ssize_t	 n, w, done, total = 0;

	while (*off < end) {
		n = pread(in, buf, end - *off < (off_t)sizeof buf ?
		    (size_t)(end - *off) : sizeof buf, *off);
		if (n <= 0)
			return (n == 0 && total > 0 ? total : -1);
		/* A short write is retried, so a full disk shows as ENOSPC. */
		for (done = 0; done < n; done += w) {
			if ((w = pwrite(out, buf + done, n - done,
			    *off + done)) <= 0)
				return (-1);
		}
		*off += n;
		total += n;
	}
	return (total);
}

/*
 * Copy the open file in (src) to out (dst), sparse: a reflink where the
 * filesystem can, else only its data extents, so a 1 GB image with 300 MB
 * in it costs 300 MB.
 */
static int
copy_fd(int in, const char *src, int out, const char *dst, char **cause)
{
	struct stat	 st;
	off_t		 data, hole;
	ssize_t		 n;

	if (fstat(in, &st) == -1) {
		xasprintf(cause, "%s: %s", src, strerror(errno));
		return (-1);
	}
	if (ioctl(out, FICLONE, in) == 0)
		return (0);
	for (data = 0; (data = lseek(in, data, SEEK_DATA)) != -1;
	    data = hole) {
		if ((hole = lseek(in, data, SEEK_HOLE)) == -1)
			break;
		while (data < hole) {
			n = copy_file_range(in, &data, out, &data, hole - data,
			    0);
			/* Across filesystems the kernel may refuse: copy. */
			if (n == -1 && (errno == EXDEV || errno == EINVAL ||
			    errno == ENOSYS || errno == EOPNOTSUPP))
				n = copy_slowly(in, out, &data, hole);
			if (n <= 0) {
				xasprintf(cause, "%s: %s while copying", dst,
				    n == 0 ? "short copy" : strerror(errno));
				return (-1);
			}
		}
	}
	if (errno != ENXIO && data == -1) {
		xasprintf(cause, "%s: %s while copying", src, strerror(errno));
		return (-1);
	}
	if (ftruncate(out, st.st_size) == -1) {
		xasprintf(cause, "%s: %s", dst, strerror(errno));
		return (-1);
	}
	return (0);
}

/* Copy src over dst (not through a link there), sparse; see copy_fd. */
int
file_copy(const char *src, const char *dst, char **cause)
{
	int	 out, rc;

	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (out == -1) {
		xasprintf(cause, "%s: %s", dst, strerror(errno));
		return (-1);
	}
	rc = file_copy_to(src, out, dst, cause);
	if (close(out) == -1 && rc == 0) {
		xasprintf(cause, "%s: %s", dst, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		unlink(dst);
	return (rc);
}

/* Copy src into the open file out (named dst), sparse; see copy_fd. */
int
file_copy_to(const char *src, int out, const char *dst, char **cause)
{
	int	 in, rc;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", src, strerror(errno));
		return (-1);
	}
	rc = copy_fd(in, src, out, dst, cause);
	close(in);
	return (rc);
}

/* Free MB of the filesystem holding path, or -1. */
long long
file_free_mb(const char *path)
{
	struct statvfs	 sv;

	if (statvfs(path, &sv) == -1)
		return (-1);
	return ((long long)sv.f_bavail * sv.f_frsize / 1048576);
}

/*
 * All of buf to fd, through short writes and signals: 0, or -1 with errno
 * when a write fails (the reader is gone, the disk is full).
 */
int
fd_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}
