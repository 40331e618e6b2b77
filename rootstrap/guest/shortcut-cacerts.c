/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "shortcut.h"

/*
 * update-ca-certificates, as ca-certificates' postinst and its trigger
 * call it on a first install. The real one is a shell script that runs
 * four to six processes per certificate (basename, sed, readlink, ln, sed
 * again, a find -exec test): about 1,450 processes for --fresh and 740
 * for the trigger's run, the largest single cost of a build with
 * ca-certificates under UML (a minute and a half of a three-minute
 * configure). Here the same steps run in one process, in the script's
 * order, against the same files; only openssl rehash is a program.
 *
 * Only for a script whose SHA256 is one read and compared step by step
 * with this file (bookworm's and trixie's: trixie's differs by --sysroot
 * and quoting, which change nothing for the names accepted here), and
 * only where the script's shell word handling cannot make a difference:
 * names without whitespace at their ends, backslashes or control
 * characters; no subdirectory in /etc/ssl/certs, no link there to a
 * directory; no local certificates, no hooks, no leftover bundle. All
 * else goes to the real script.
 */

#define CERTSCONF	"/etc/ca-certificates.conf"
#define CERTSDIR	"/usr/share/ca-certificates"
#define LOCALCERTSDIR	"/usr/local/share/ca-certificates"
#define ETCCERTSDIR	"/etc/ssl/certs"
#define CERTBUNDLE	"ca-certificates.crt"
#define TEMPBUNDLE	ETCCERTSDIR "/" CERTBUNDLE ".new"
#define HOOKSDIR	"/etc/ca-certificates/update.d"
/* An entry of ETCCERTSDIR: the directory, a slash, a name (at most 255). */
#define ENTRY_MAX	(sizeof ETCCERTSDIR + 256)

/* The scripts this file reproduces, by SHA256. */
static const char *const known_scripts[] = {
	/* ca-certificates 20230311+deb12u1 (bookworm) */
	"395364bffc7ce85ccbe2de71215f9c6c85c024af3bbd991c75a01c2d2aa3080a",
	/* ca-certificates 20250419+deb13u1 (trixie) */
	"2cb06c85b5f01c4f6b72c3983d9f66d44aac0a7ac997ee55e7e429aedbc3934d",
	NULL
};

/* A name that read(1), an unquoted expansion and sed see as it is. */
static int
plain_name(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' ||
	    s[len - 1] == '\t')
		return (0);
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '\\')
			return (0);
	}
	return (1);
}

static int
empty_dir(const char *path)
{
	DIR		*d;
	struct dirent	*e;
	int		 empty = 1;

	if ((d = opendir(path)) == NULL)
		return (0);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	}
	closedir(d);
	return (empty);
}

static int
is_dir(const char *path)
{
	struct stat	 st;

	return (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

/* test -f */
static int
is_regular(const char *path)
{
	struct stat	 st;

	return (stat(path, &st) == 0 && S_ISREG(st.st_mode));
}

static int
exists(const char *path)
{
	struct stat	 st;

	return (lstat(path, &st) == 0 || errno != ENOENT);
}

/*
 * /etc/ssl/certs as the script's finds can walk it without surprise: a
 * directory, its entries plain names that an unquoted expansion leaves
 * alone (no blank, no glob character), none of them a directory or a
 * link to one (ln -sf and mv would write inside it).
 */
static int
plain_certs_dir(void)
{
	struct stat	 st;
	DIR		*d;
	struct dirent	*e;
	char		 path[ENTRY_MAX];
	int		 plain = 1;

	if (lstat(ETCCERTSDIR, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    (d = opendir(ETCCERTSDIR)) == NULL)
		return (0);
	while (plain && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", ETCCERTSDIR, e->d_name);
		if (!plain_name(e->d_name, strlen(e->d_name)) ||
		    strpbrk(e->d_name, " *?[") != NULL || is_dir(path))
			plain = 0;
	}
	closedir(d);
	return (plain);
}

/* The whole of a small file, NUL-terminated; NULL if it cannot be read. */
static char *
slurp(const char *path, size_t *len)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > 16 * 1024 * 1024 ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return (NULL);
	}
	while (off < (size_t)st.st_size &&
	    (n = read(fd, buf + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)n;
	close(fd);
	buf[off] = '\0';
	*len = off;
	return (buf);
}

/*
 * The configuration's lines, if each the script reads is one its sed and
 * read pass on unchanged: none with whitespace at an end (or after a
 * leading "!"), a backslash or a control character (NUL too); the file
 * ends in a newline (read drops an unterminated last line). Comments are
 * never read.
 */
static int
plain_conf(char **text, size_t *len)
{
	char	*p, *nl;

	/* Absent, the script's seds complain about it: theirs to say. */
	if ((*text = slurp(CERTSCONF, len)) == NULL)
		return (0);
	if ((*len > 0 && (*text)[*len - 1] != '\n') || strlen(*text) != *len)
		return (0);
	for (p = *text; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == p || *p == '#')
			continue;
		if (!plain_name(p, (size_t)(nl - p)) ||
		    (*p == '!' && (p[1] == ' ' || p[1] == '\t')))
			return (0);
	}
	return (1);
}

/*
 * /etc/ssl/certs/NAME.pem, NAME being basename(1) of path with suffix
 * removed as basename PATH SUFFIX does; -1 if it is too long to be a
 * file name (ln would fail, test -L is false).
 */
static int
pem_name(const char *path, const char *suffix, char *out, size_t size)
{
	size_t		 len = strlen(path), slen = strlen(suffix);
	const char	*start;

	while (len > 1 && path[len - 1] == '/')
		len--;
	start = path + len;
	while (start > path && start[-1] != '/')
		start--;
	if (len == 1 && path[0] == '/')
		start = path;
	len -= (size_t)(start - path);
	if (len > slen && memcmp(start + len - slen, suffix, slen) == 0)
		len -= slen;
	if (len + 4 > 255)
		return (-1);
	snprintf(out, size, "%s/%.*s.pem", ETCCERTSDIR, (int)len, start);
	return (0);
}

struct run {
	int	 added, removed;
	int	 bundle;		/* TEMPBUNDLE, once opened */
};

static int
fail(const char *what, const char *path)
{
	fprintf(stderr, "update-ca-certificates: %s %s: %s\n", what, path,
	    strerror(errno));
	return (1);
}

/* Append a certificate to the bundle, a newline added if it lacks one. */
static int
append(struct run *r, const char *cert)
{
	char	*text;
	size_t	 len;

	if ((text = slurp(cert, &len)) == NULL)
		return (fail("cannot read", cert));
	if (r->bundle == -1 && (r->bundle = open(TEMPBUNDLE,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666)) == -1) {
		free(text);
		return (fail("cannot write", TEMPBUNDLE));
	}
	if (write(r->bundle, text, len) != (ssize_t)len ||
	    (len > 0 && text[len - 1] != '\n' && write(r->bundle, "\n", 1) != 1)) {
		free(text);
		return (fail("cannot write", TEMPBUNDLE));
	}
	free(text);
	return (0);
}

/* The script's add(): the .pem link, then the bundle. */
static int
add(struct run *r, const char *cert)
{
	char	 pem[ENTRY_MAX], target[4096], *c;
	ssize_t	 n;

	if (pem_name(cert, ".crt", pem, sizeof pem) == -1) {
		errno = ENAMETOOLONG;
		return (fail("cannot link", cert));
	}
	/* sed -e 's/ /_/g' -e 's/[()]/=/g' -e 's/,/_/g' on the name */
	for (c = pem + sizeof ETCCERTSDIR; *c != '\0'; c++) {
		if (*c == ' ' || *c == ',')
			*c = '_';
		else if (*c == '(' || *c == ')')
			*c = '=';
	}
	n = readlink(pem, target, sizeof target - 1);
	target[n > 0 ? n : 0] = '\0';
	if (access(pem, F_OK) != 0 || strcmp(target, cert) != 0) {
		/* ln -sf: an existing link or file is replaced. */
		if ((unlink(pem) == -1 && errno != ENOENT) ||
		    symlink(cert, pem) == -1)
			return (fail("cannot link", pem));
		r->added++;
	}
	return (append(r, cert));
}

/* The script's remove(). */
static void
remove_cert(struct run *r, const char *cert)
{
	struct stat	 st;
	char		 pem[ENTRY_MAX];

	if (pem_name(cert, ".crt", pem, sizeof pem) == 0 &&
	    lstat(pem, &st) == 0 && S_ISLNK(st.st_mode)) {
		unlink(pem);
		r->removed++;
	}
}

/* --fresh: the links into the certificate directories, and dangling ones. */
static void
clear_links(int dangling_only)
{
	struct stat	 st;
	DIR		*d;
	struct dirent	*e;
	char		 path[ENTRY_MAX], target[4096];
	ssize_t		 n;

	if ((d = opendir(ETCCERTSDIR)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof path, "%s/%s", ETCCERTSDIR, e->d_name);
		if (lstat(path, &st) == -1 || !S_ISLNK(st.st_mode))
			continue;
		if (dangling_only) {
			if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
				unlink(path);
			continue;
		}
		if ((n = readlink(path, target, sizeof target - 1)) < 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, CERTSDIR, strlen(CERTSDIR)) == 0 ||
		    strncmp(target, LOCALCERTSDIR, strlen(LOCALCERTSDIR)) == 0)
			unlink(path);
	}
	closedir(d);
}

/* find -type l ! -exec test -e {} \; | rm: links to nothing. */
static void
remove_orphans(void)
{
	struct stat	 st;
	DIR		*d;
	struct dirent	*e;
	char		 path[ENTRY_MAX];

	if ((d = opendir(ETCCERTSDIR)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof path, "%s/%s", ETCCERTSDIR, e->d_name);
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
		    stat(path, &st) == -1)
			unlink(path);
	}
	closedir(d);
}

/* openssl rehash . > /dev/null, in ETCCERTSDIR; its exit status. */
static int
rehash(void)
{
	pid_t	 pid;
	int	 status, fd;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return (fail("cannot run", "openssl"));
	if (pid == 0) {
		if (chdir(ETCCERTSDIR) == -1)
			_exit(1);
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(fd, 1);
		execlp("openssl", "openssl", "rehash", ".", (char *)NULL);
		fprintf(stderr, "update-ca-certificates: openssl: %s\n",
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			return (fail("cannot wait for", "openssl"));
	}
	return (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Whether a program is found along PATH, as the shell would look. */
static int
on_path(const char *name)
{
	const char	*path = getenv("PATH"), *p, *colon;
	char		 buf[4096];

	if (path == NULL)
		return (0);
	for (p = path; ; p = colon + 1) {
		colon = strchr(p, ':');
		snprintf(buf, sizeof buf, "%.*s/%s", (int)(colon != NULL ?
		    colon - p : (ptrdiff_t)strlen(p)), p, name);
		if (access(buf, X_OK) == 0)
			return (1);
		if (colon == NULL)
			return (0);
	}
}

int
cacerts_answer(int argc, char **argv, const char *real)
{
	struct run	 r = { 0, 0, -1 };
	const char	*hooks = HOOKSDIR;
	char		*conf, *line, *nl, cert[8192];
	size_t		 len;
	int		 i, fresh = 0, hooks_run, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fresh") == 0 || strcmp(argv[i], "-f") == 0)
			fresh = 1;
		else if (strcmp(argv[i], "--hooksdir") == 0 && i + 1 < argc)
			hooks = argv[++i];
		else
			return (-1);
	}
	if (!shortcut_known(real, known_scripts) || !plain_certs_dir() || exists(TEMPBUNDLE) ||
	    (is_dir(LOCALCERTSDIR) && !empty_dir(LOCALCERTSDIR)) ||
	    access("/sbin/restorecon", X_OK) == 0 || !on_path("openssl"))
		return (-1);
	hooks_run = is_dir(hooks);
	if (hooks_run && (!empty_dir(hooks) || !on_path("run-parts")))
		return (-1);
	if (!plain_conf(&conf, &len)) {
		free(conf);
		return (-1);
	}

	/* [ ! -s CERTSCONF ]: fresh=1 */
	if (len == 0)
		fresh = 1;
	if (fresh) {
		printf("Clearing symlinks in %s...\n", ETCCERTSDIR);
		clear_links(0);
		clear_links(1);
		printf("done.\n");
	}
	printf("Updating certificates in %s...\n", ETCCERTSDIR);
	for (line = conf; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		if (line[0] == '!') {
			snprintf(cert, sizeof cert, "%s/%s", CERTSDIR, line + 1);
			remove_cert(&r, cert);
		}
		*nl = '\n';
	}
	for (line = conf; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		if (line[0] != '\0' && line[0] != '#' && line[0] != '!') {
			snprintf(cert, sizeof cert, "%s/%s", CERTSDIR, line);
			if (!is_regular(cert)) {
				fflush(stdout);
				fprintf(stderr, "W: %s not found, but listed in "
				    "%s.\n", cert, CERTSCONF);
			} else if (add(&r, cert) != 0) {
				rc = 1;
				goto out;
			}
		}
	}
	if (r.added > 0 || r.removed > 0) {
		remove_orphans();
		if ((rc = rehash()) != 0)
			goto out;
	}
	if (r.bundle != -1) {
		if (fchmod(r.bundle, 0644) == -1 || close(r.bundle) == -1 ||
		    rename(TEMPBUNDLE, ETCCERTSDIR "/" CERTBUNDLE) == -1) {
			r.bundle = -1;
			rc = fail("cannot replace", ETCCERTSDIR "/" CERTBUNDLE);
			goto out;
		}
		r.bundle = -1;
	}
	printf("%d added, %d removed; done.\n", r.added, r.removed);
	if (hooks_run)
		printf("Running hooks in %s...\ndone.\n", hooks);
	rc = 0;
out:
	/* The script's trap: no bundle left half-written. */
	if (r.bundle != -1)
		close(r.bundle);
	unlink(TEMPBUNDLE);
	free(conf);
	fflush(stdout);
	return (rc);
}
