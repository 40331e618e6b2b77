/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rootstrap.h"

/*
 * What the stock modules need inside the guest: running a program (with
 * PID 1's duty of reaping orphans), and writing files into the target.
 * Every spawned process costs 20-40 ms in UML, so modules call these
 * sparingly and do file edits here in C.
 */

extern char	**environ;

/*
 * Run argv with envp, inside root if it is not NULL, and wait for it. The
 * builder is PID 1, so orphans of argv land on us: reap them while waiting.
 * Returns the exit status (128+N for a signal), or -1 if it could not start.
 */
int
guest_run(char *const *argv, char *const *envp, const char *root,
    char **cause)
{
	pid_t	 pid, w;
	int	 status;

	log_debug("run %s%s%s", argv[0], root ? " in " : "", root ? root : "");
	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		return (-1);
	}
	if (pid == 0) {
		if (root != NULL && (chroot(root) == -1 || chdir("/") == -1)) {
			fprintf(stderr, "%s: chroot %s: %s\n", argv[0], root,
			    strerror(errno));
			_exit(127);
		}
		environ = (char **)envp;
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		w = waitpid(-1, &status, 0);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			xasprintf(cause, "waitpid: %s", strerror(errno));
			return (-1);
		}
		if (w == pid)
			break;
	}
	if (WIFEXITED(status))
		status = WEXITSTATUS(status);
	else
		status = 128 + WTERMSIG(status);
	if (status != 0)
		xasprintf(cause, "%s exited with status %d", argv[0], status);
	return (status);
}

/* mkdir -p; existing directories are fine. */
int
guest_mkdirs(const char *path, mode_t mode, char **cause)
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
		rc = guest_mkdirs(dir, 0755, cause);
	}
	free(dir);
	return (rc);
}

/*
 * Replace path with content, atomically, making parent directories. An
 * existing file keeps its owner and mode (/etc/shadow stays root:shadow).
 */
int
guest_write(const char *path, const char *content, mode_t mode, char **cause)
{
	struct stat	 st;
	char		*tmp;
	size_t		 len = strlen(content);
	ssize_t		 n;
	int		 fd, rc = -1, existed;

	if (mkparent(path, cause) != 0)
		return (-1);
	/* Unchanged content is left alone, mtime and all: fix-ups repeat. */
	if ((tmp = guest_read(path, len)) != NULL) {
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
guest_symlink(const char *target, const char *linkpath, char **cause)
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
guest_is_mountpoint(const char *path)
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
guest_path(const char *root, const char *path)
{
	char	*s;

	xasprintf(&s, "%s%s%s", root, *path == '/' ? "" : "/", path);
	return (s);
}

/* A whole small file as a string, or NULL; files over max are refused. */
char *
guest_read(const char *path, size_t max)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	buf = xmalloc(max + 1);
	n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(buf);
		errno = EFBIG;
		return (NULL);
	}
	buf[n] = '\0';
	return (buf);
}
