/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

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
 * deb-systemd-helper enable UNIT on a first install, as init-system-helpers
 * 1.65 does it: with systemctl there and no state file for the unit yet, it
 * runs "systemctl --root=/ --system --preset-mode=enable-only preset UNIT"
 * (which makes the links and says so) and then records, for each link the
 * unit's WantedBy= and RequiredBy= lines name, the link in UNIT.dsh-also and
 * an empty file of the link's name under the enabled-state directory. Six
 * units of the shipped set are enabled so, each a perl run before the
 * systemctl; here the same systemctl runs, from one small process. Units
 * with Also=, Alias= or DefaultInstance= lines, templates, quoted or oddly
 * written values, a helper of another version than the one this was read
 * off (by SHA256), and everything else go to the real helper.
 */

/* The helpers this file reproduces, by SHA256. */
static const char *const known_helpers[] = {
	/* init-system-helpers 1.65.2+deb12u1 (bookworm) */
	"a895d5f077651960b6ca4ed9c53f8b36eae422ae170f61c972d0c6579e9f8732",
	NULL
};

#define STATE_DIR	"/var/lib/systemd/deb-systemd-helper-enabled"
#define UNIT_DIR	"/etc/systemd/system/"

static int
exists(const char *path)
{
	struct stat	 st;

	return (stat(path, &st) == 0);
}

/* A unit name systemd takes, without '@' (no template, no instance). */
static int
plain_unit(const char *s)
{
	size_t	 len = strlen(s);

	return (len > 0 && len < 256 && s[0] != '.' && s[0] != '-' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789:_.-\\") == len && strchr(s, '.') != NULL);
}

/* deb-systemd-helper's find_unit(): the first regular file of the name. */
static int
find_unit(const char *unit, char *path, size_t size)
{
	static const char *const dirs[] = {
		"/etc/systemd/system/", "/lib/systemd/system/",
		"/usr/lib/systemd/system/", NULL
	};
	struct stat	 st;
	int		 i;

	for (i = 0; dirs[i] != NULL; i++) {
		if ((size_t)snprintf(path, size, "%s%s", dirs[i], unit) <
		    size && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return (0);
	}
	return (-1);
}

/* Case-insensitively, does LINE (after blanks) set KEY? */
static int
sets(const char *line, const char *key)
{
	size_t	 n = strlen(key);

	line += strspn(line, " \t\r\f\v");
	return (strncasecmp(line, key, n) == 0 && line[n] == '=');
}

/*
 * The links the unit's [Install] names, as get_link_closure() finds them:
 * every "WantedBy=" or "RequiredBy=" line, each value a directory
 * (.wants or .requires) under /etc/systemd/system with the unit in it.
 * -1 for anything it would read otherwise.
 */
static int
unit_links(const char *path, const char *unit, char ***links, size_t *n)
{
	FILE	*f;
	char	 line[4096], *v, *tok, *save;
	int	 rc = 0, wanted;

	*links = NULL;
	*n = 0;
	if ((f = fopen(path, "re")) == NULL)
		return (-1);
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(f)) {
			rc = -1;
			break;
		}
		line[strcspn(line, "\n")] = '\0';
		if (sets(line, "Also") || sets(line, "Alias") ||
		    sets(line, "DefaultInstance")) {
			rc = -1;
			break;
		}
		if (!sets(line, "WantedBy") && !sets(line, "RequiredBy"))
			continue;
		/* Written as deb-systemd-helper compares it, values plain. */
		if (strncmp(line, "WantedBy=", 9) == 0)
			wanted = 1;
		else if (strncmp(line, "RequiredBy=", 11) == 0)
			wanted = 0;
		else {
			rc = -1;
			break;
		}
		v = strchr(line, '=') + 1;
		if (*v == '\0' || strchr(" \t\r\f\v", *v) != NULL ||
		    strpbrk(v, "\"'\r\f\v") != NULL) {
			rc = -1;
			break;
		}
		for (tok = strtok_r(v, " \t", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t", &save)) {
			if (!plain_unit(tok)) {
				rc = -1;
				break;
			}
			*links = realloc(*links, (*n + 1) * sizeof **links);
			if (*links == NULL || asprintf(&(*links)[*n],
			    UNIT_DIR "%s.%s/%s", tok, wanted ? "wants" :
			    "requires", unit) == -1) {
				rc = -1;
				break;
			}
			(*n)++;
		}
	}
	if (ferror(f))
		rc = -1;
	fclose(f);
	return (rc);
}

/* make_path(): each missing directory with mode 0777 less the umask. */
static int
make_path(const char *dir)
{
	char	 buf[4096], *p;

	if ((size_t)snprintf(buf, sizeof buf, "%s", dir) >= sizeof buf)
		return (-1);
	for (p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char	 c = *p;

			*p = '\0';
			if (mkdir(buf, 0777) == -1 && errno != EEXIST)
				return (-1);
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return (0);
}

/*
 * record_in_statefile(): LINK added to STATE unless there, through a
 * temporary file of mode 0644 renamed over it.
 */
static int
record(const char *state, const char *link)
{
	char	 tmp[4096], *old, buf[4096];
	FILE	*in, *out;
	size_t	 len = strlen(link);
	int	 fd, there = 0;

	if ((size_t)snprintf(tmp, sizeof tmp, STATE_DIR "/.stateXXXXXX.tmp") >=
	    sizeof tmp || (fd = mkstemps(tmp, 4)) == -1)
		return (-1);
	if (fchmod(fd, 0644) == -1 || (out = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return (-1);
	}
	if ((in = fopen(state, "re")) != NULL) {
		while (fgets(buf, sizeof buf, in) != NULL) {
			old = buf;
			if (strncmp(old, link, len) == 0 &&
			    strcmp(old + len, "\n") == 0)
				there = 1;
			fputs(old, out);
		}
		fclose(in);
	}
	if (!there)
		fprintf(out, "%s\n", link);
	if (fclose(out) != 0 || rename(tmp, state) == -1) {
		unlink(tmp);
		return (-1);
	}
	return (0);
}

/* The same preset call, found through PATH as the perl helper runs it. */
static int
preset(const char *unit)
{
	pid_t	 pid;
	int	 status;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		execlp("systemctl", "systemctl", "--root=/", "--system",
		    "--preset-mode=enable-only", "preset", unit, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1);
}

int
systemd_enable_answer(int argc, char **argv, const char *real)
{
	const char	*unit, *self = "/usr/bin/deb-systemd-helper";
	char		 path[4096], state[4096], flag[4096], **links;
	size_t		 n, i;
	int		 fd, rc = 0;

	/* One unit, not enabled before, systemctl there to preset it. */
	if (argc != 3 || strcmp(argv[1], "enable") != 0)
		return (-1);
	unit = argv[2];
	if (!shortcut_known(real, known_helpers) || !plain_unit(unit) || (access("/bin/systemctl", X_OK) != 0 &&
	    access("/usr/bin/systemctl", X_OK) != 0) ||
	    (size_t)snprintf(state, sizeof state, STATE_DIR "/%s.dsh-also",
	    unit) >= sizeof state || exists(state) ||
	    find_unit(unit, path, sizeof path) != 0)
		return (-1);
	if (unit_links(path, unit, &links, &n) != 0) {
		for (i = 0; i < n; i++)
			free(links[i]);
		free(links);
		return (-1);
	}

	/*
	 * The real one's message ends with perl's $!, which there is what
	 * its last look before systemctl left: the state file not found.
	 */
	if (preset(unit) != 0) {
		fprintf(stderr, "%s: error: systemctl preset failed on %s: "
		    "%s\n", self, unit, strerror(ENOENT));
		rc = 1;
	}
	for (i = 0; rc == 0 && i < n; i++) {
		if (make_path(STATE_DIR) != 0 || record(state, links[i]) != 0) {
			fprintf(stderr, "%s: error: unable to record %s in %s\n",
			    self, links[i], state);
			rc = 1;
			break;
		}
		snprintf(flag, sizeof flag, STATE_DIR "/%s",
		    links[i] + strlen(UNIT_DIR));
		if (exists(flag))
			continue;
		*strrchr(flag, '/') = '\0';
		if (make_path(flag) != 0) {
			rc = 1;
			break;
		}
		flag[strlen(flag)] = '/';
		if ((fd = open(flag, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0666)) == -1 || close(fd) != 0) {
			fprintf(stderr, "%s: error: Failed to create/touch "
			    "%s\n", self, flag);
			rc = 1;
		}
	}
	for (i = 0; i < n; i++)
		free(links[i]);
	free(links);
	return (rc);
}
