/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

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
	int		 fd, rc = -1, existed;

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
	xasprintf(&tmp, "%s.rootstrap-new", path);
	if ((fd = open(tmp, O_WRONLY|O_CREAT|O_TRUNC|O_NOFOLLOW, mode)) == -1) {
		xasprintf(cause, "%s: %s while creating", tmp, strerror(errno));
		goto out;
	}
	n = write(fd, content, len);
	if (existed && fchown(fd, st.st_uid, st.st_gid) == -1)
		n = -1;
	if (n != (ssize_t)len || fchmod(fd, mode) == -1 || close(fd) == -1) {
		xasprintf(cause, "%s: %s while writing", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) == -1) {
		xasprintf(cause, "%s: %s while renaming", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
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
 * Copy a sparse file: a reflink where the filesystem can, else only its
 * data extents, so a 1 GB image with 300 MB in it costs 300 MB.
 */
int
file_copy(const char *src, const char *dst, char **cause)
{
	struct stat	 st;
	off_t		 data, hole;
	ssize_t		 n;
	int		 in, out = -1, rc = -1;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(in, &st) == -1) {
		xasprintf(cause, "%s: %s", src, strerror(errno));
		goto out;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out == -1) {
		xasprintf(cause, "%s: %s", dst, strerror(errno));
		goto out;
	}
	if (ioctl(out, FICLONE, in) == 0) {
		rc = 0;
		goto out;
	}
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
				goto out;
			}
		}
	}
	if (errno != ENXIO && data == -1) {
		xasprintf(cause, "%s: %s while copying", src, strerror(errno));
		goto out;
	}
	if (ftruncate(out, st.st_size) == -1) {
		xasprintf(cause, "%s: %s", dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (in != -1)
		close(in);
	if (out != -1 && close(out) == -1 && rc == 0) {
		xasprintf(cause, "%s: %s", dst, strerror(errno));
		rc = -1;
	}
	if (rc != 0 && out != -1)
		unlink(dst);
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

