/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shortcut.h"

/*
 * addgroup --system --quiet NAME, as adduser 3.x answers it: udev's
 * postinst makes four system groups so, and each call is a perl run
 * that loads adduser's modules (a third of a second under UML) only to
 * pick the first free GID from 100 to 999 and run "groupadd -g GID NAME".
 * Here the same checks pick the same GID and the same groupadd writes
 * the same lines into /etc/group and /etc/gshadow, under the same lock
 * file (/run/adduser). Whatever adduser would do differently (a changed
 * adduser.conf, a name it would judge, an existing group it would warn
 * about, a group database that is not plain files, an adduser of another
 * version than the one this was read off, by SHA256) goes to the real one.
 */

/* The adduser this file reproduces, by SHA256: the script, its module. */
static const char *const known_adduser[] = {
	/* adduser 3.134 (bookworm) */
	"ad8ec15dc661b2ccb236584721c8395a0dd910151d486b0c1440b715ba1beb70",
	NULL
};
static const char *const known_common[] = {
	"f4a24f0721dde56f6836e005b736f932216b8c190ef007d554b9465a23065e7a",
	NULL
};
#define ADDUSER_COMMON	"/usr/share/perl5/Debian/AdduserCommon.pm"

#define ADDUSER_CONF	"/etc/adduser.conf"
#define ADDUSER_LOCK	"/run/adduser"
#define FIRST_SYS_GID	100	/* adduser's defaults */
#define LAST_SYS_GID	999

/* adduser.conf's variables (adduser 3.134's preseed_config). */
static const char *const conf_known[] = {
	"system", "only_if_empty", "remove_home", "home", "remove_all_files",
	"backup", "backup_to", "dshell", "first_system_uid", "last_system_uid",
	"first_uid", "last_uid", "first_system_gid", "last_system_gid",
	"first_gid", "last_gid", "dhome", "skel", "usergroups", "users_gid",
	"users_group", "grouphomes", "letterhomes", "quotauser", "dir_mode",
	"sys_dir_mode", "setgid_home", "no_del_paths", "name_regex",
	"sys_name_regex", "exclude_fstypes", "skel_ignore_regex",
	"extra_groups", "add_extra_groups", NULL
};

/* Those that change what addgroup --system does: left to the real one. */
static const char *const conf_matters[] = {
	"first_system_gid", "last_system_gid", "sys_name_regex", NULL
};

static int
listed(const char *const *list, const char *s)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, s) == 0)
			return (1);
	}
	return (0);
}

static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0, n;

	if ((f = fopen(path, "re")) == NULL)
		return (NULL);
	for (;;) {
		if ((buf = realloc(buf, len + 4097)) == NULL)
			break;
		n = fread(buf + len, 1, 4096, f);
		len += n;
		if (n < 4096)
			break;
	}
	if (buf != NULL && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf != NULL)
		buf[len] = '\0';
	return (buf);
}

/*
 * adduser.conf: 1 if every line is one adduser reads without a word
 * and none moves the system GID range or the name rule; a missing file
 * means adduser's defaults.
 */
static int
conf_plain(void)
{
	char	*buf, *line, *next, *p, key[64];
	size_t	 n, i;
	int	 ok = 1;

	if ((buf = slurp(ADDUSER_CONF)) == NULL)
		return (errno == ENOENT);
	for (line = buf; ok && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (line[0] == '#' || line[strspn(line, " \t\r\f\v")] == '\0')
			continue;
		p = line + strspn(line, " \t");
		n = strspn(p, "_abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		if (n == 0 || n >= sizeof key) {
			ok = 0;
			break;
		}
		memcpy(key, p, n);
		key[n] = '\0';
		p += n;
		p += strspn(p, " \t");
		for (i = 0; i < n; i++) {
			if (key[i] >= 'A' && key[i] <= 'Z')
				key[i] += 'a' - 'A';
		}
		if (*p != '=' || !listed(conf_known, key) ||
		    listed(conf_matters, key))
			ok = 0;
	}
	free(buf);
	return (ok);
}

/* The group database is /etc/group alone, as nsswitch.conf says. */
static int
groups_from_files(void)
{
	char	*buf, *line, *next, *p;
	int	 ok = 0;

	if ((buf = slurp("/etc/nsswitch.conf")) == NULL)
		return (0);
	for (line = buf; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (strncmp(line, "group:", 6) != 0)
			continue;
		p = line + 6 + strspn(line + 6, " \t");
		ok = strncmp(p, "files", 5) == 0 &&
		    p[5 + strspn(p + 5, " \t")] == '\0';
		break;
	}
	free(buf);
	return (ok);
}

/* A name adduser's default SYS_NAME_REGEX takes, without a final '$'. */
static int
plain_name(const char *s)
{
	size_t	 len = strlen(s);

	return (len > 0 && len <= 32 &&
	    ((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_') &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len);
}

/*
 * /etc/group read as glibc's files backend would: NAME's GID into *gid
 * (-1 if absent) and the system GIDs in use into used[]. 0 if every line
 * is a plain NAME:PASSWORD:GID:MEMBERS entry, else -1.
 */
static int
read_groups(const char *name, long *gid, char used[])
{
	char	*buf, *line, *next, *f[4], *end;
	long	 g;
	int	 i, rc = 0;

	*gid = -1;
	if ((buf = slurp("/etc/group")) == NULL)
		return (-1);
	for (line = buf; rc == 0 && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		f[0] = line;
		for (i = 1; i < 4; i++) {
			if ((f[i] = strchr(f[i - 1], ':')) == NULL)
				break;
			*f[i]++ = '\0';
		}
		if (i < 4 || !plain_name(f[0]) || f[2][0] < '0' ||
		    f[2][0] > '9') {
			rc = -1;
			break;
		}
		errno = 0;
		g = strtol(f[2], &end, 10);
		if (*end != '\0' || errno != 0 || g > 0xfffffffeL) {
			rc = -1;
			break;
		}
		if (*gid == -1 && strcmp(f[0], name) == 0)
			*gid = g;
		if (g >= FIRST_SYS_GID && g <= LAST_SYS_GID)
			used[g] = 1;
	}
	free(buf);
	return (rc);
}

/* adduser's which(): the first executable groupadd on its own PATH. */
static const char *
groupadd_path(void)
{
	static const char *const dirs[] = {
		"/bin/groupadd", "/usr/bin/groupadd", "/sbin/groupadd",
		"/usr/sbin/groupadd", NULL
	};
	int	 i;

	for (i = 0; dirs[i] != NULL; i++) {
		if (access(dirs[i], X_OK) == 0)
			return (dirs[i]);
	}
	return (NULL);
}

int
addgroup_answer(int argc, char **argv, const char *real)
{
	static char	 used[LAST_SYS_GID + 1];
	const char	*name = NULL, *groupadd;
	char		 gidarg[16];
	long		 gid;
	pid_t		 pid;
	int		 i, sys = 0, quiet = 0, opts = 1, lock, status;

	for (i = 1; i < argc; i++) {
		if (opts && strcmp(argv[i], "--") == 0)
			opts = 0;
		else if (opts && strcmp(argv[i], "--system") == 0)
			sys = 1;
		else if (opts && (strcmp(argv[i], "--quiet") == 0 ||
		    strcmp(argv[i], "-q") == 0))
			quiet = 1;
		else if ((opts && argv[i][0] == '-') || name != NULL)
			return (-1);
		else
			name = argv[i];
	}
	if (!sys || !quiet || name == NULL || geteuid() != 0 ||
	    !shortcut_known(real, known_adduser) ||
	    !shortcut_known(ADDUSER_COMMON, known_common) ||
	    !plain_name(name) || !conf_plain() || !groups_from_files() ||
	    (groupadd = groupadd_path()) == NULL)
		return (-1);

	/* adduser takes its lock before it looks. */
	if ((lock = open(ADDUSER_LOCK, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC, 0666)) == -1)
		return (-1);
	if (flock(lock, LOCK_EX | LOCK_NB) == -1 ||
	    read_groups(name, &gid, used) != 0) {
		close(lock);
		return (-1);
	}
	if (gid != -1) {
		close(lock);
		/* There already, as a system group: quietly done. */
		return (gid >= FIRST_SYS_GID && gid <= LAST_SYS_GID ? 0 : -1);
	}
	for (gid = FIRST_SYS_GID; gid <= LAST_SYS_GID && used[gid]; gid++)
		;
	if (gid > LAST_SYS_GID) {
		close(lock);
		return (-1);
	}
	snprintf(gidarg, sizeof gidarg, "%ld", gid);

	/* groupadd in the environment adduser gives it. */
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(lock);
		return (-1);
	}
	if (pid == 0) {
		setenv("PATH", "/bin:/usr/bin:/sbin:/usr/sbin", 1);
		setenv("IFS", " \t\n", 1);
		setenv("VERBOSE", "0", 1);
		setenv("DEBUG", "0", 1);
		execl(groupadd, groupadd, "-g", gidarg, name, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	close(lock);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return (0);
	if (WIFEXITED(status))
		fprintf(stderr, "addgroup: `%s -g %s %s' returned error code "
		    "%d. Exiting.\n", groupadd, gidarg, name,
		    WEXITSTATUS(status));
	else
		fprintf(stderr, "addgroup: `%s -g %s %s' exited from signal "
		    "%d. Exiting.\n", groupadd, gidarg, name,
		    WTERMSIG(status));
	return (1);
}
