/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * Running a program from the guest's builder, which is PID 1: every
 * spawned process costs 20-40 ms in UML, so the stock modules call this
 * sparingly and do their file edits in C.
 */

extern char	**environ;

/*
 * Run argv with envp, inside root if it is not NULL, and wait for it. The
 * builder is PID 1, so orphans of argv land on us: reap them while waiting.
 * Returns the exit status (128+N for a signal), or -1 if it could not start.
 */
int
child_run(char *const *argv, char *const *envp, const char *root,
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

