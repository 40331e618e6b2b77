/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/mount.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "guest.h"

/*
 * rootstrap run, in the guest: the image mounted on the target with what a
 * command expects (/dev, /proc, /sys, /run) and the shared host
 * directories, the network brought up as `run -N` asked, and the command
 * chrooted into the image with its stdout and stderr on two UML consoles,
 * its stdin from a third (input.c) when the host has one to give.
 */

extern char	**environ;

/* A UML console for the command's output: raw, so "\n" stays "\n". */
static int
open_console(const char *tty)
{
	struct termios	 t;
	int		 fd;

	if ((fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return (-1);
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return (fd);
}

/* Mount what a command in the image expects, and the shared host dirs. */
static int
run_mounts(const struct runspec *r)
{
	struct strv	 f = { 0 };
	char		*dir, *cause = NULL;
	size_t		 i;
	int		 rc = 0;

	if (file_mkdirs(GUEST_TARGET, 0755, &cause) != 0 ||
	    (mount(GUEST_DEVICE, GUEST_TARGET, "ext4", 0, NULL) == -1 &&
	    mount(GUEST_DEVICE, GUEST_TARGET, "ext2", 0, NULL) == -1)) {
		log_error("%s: %s while mounting the image", GUEST_DEVICE,
		    cause != NULL ? cause : strerror(errno));
		return (-1);
	}
	dir = path_join(GUEST_TARGET, "/dev");
	rc |= mount("/dev", dir, NULL, MS_BIND | MS_REC, NULL);
	free(dir);
	dir = path_join(GUEST_TARGET, "/proc");
	rc |= mount("proc", dir, "proc", 0, NULL);
	free(dir);
	dir = path_join(GUEST_TARGET, "/sys");
	rc |= mount("sysfs", dir, "sysfs", 0, NULL);
	free(dir);
	dir = path_join(GUEST_TARGET, "/run");
	rc |= mount("tmpfs", dir, "tmpfs", 0, "mode=0755");
	free(dir);
	if (rc != 0) {
		log_error("%s: %s while mounting /dev, /proc, /sys or /run",
		    GUEST_TARGET, strerror(errno));
		return (-1);
	}
	for (i = 0; i < r->shares.n; i++) {
		strv_free(&f);
		strv_split(&f, r->shares.v[i], " ");
		if (f.n != 3)
			continue;
		dir = path_join(GUEST_TARGET, f.v[2]);
		if (file_mkdirs(dir, 0755, &cause) != 0 ||
		    mount("none", dir, "hostfs", strcmp(f.v[0], "rw") == 0 ?
		    0 : MS_RDONLY, f.v[1]) == -1) {
			log_error("%s: %s while sharing %s", f.v[2],
			    cause != NULL ? cause : strerror(errno), f.v[1]);
			free(dir);
			strv_free(&f);
			return (-1);
		}
		free(dir);
	}
	strv_free(&f);
	return (0);
}

/*
 * The guest as run's command and start's agent find it: the network
 * brought up as -N asked, the image and the shares mounted. 0, or -1
 * once said why.
 */
int
command_prepare(const struct runspec *r)
{
	env_t	 net = { 0 };
	char	*cause = NULL;

	if (strcmp(r->net, "none") != 0) {
		network_env(&net, r->net);
		if (stock_module("network")->run(NULL, &net, &cause) != 0) {
			log_error("network: %s", cause);
			strv_free(&net);
			return (-1);
		}
		strv_free(&net);
	}
	return (run_mounts(r));
}

/* rootstrap run: the command, chrooted into the image; its exit status. */
int
command_run(const struct runspec *r)
{
	static char	*envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:"
			    "/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
			    "LC_ALL=C.UTF-8", NULL };
	pid_t		 pid, w, decoder = -1;
	int		 out, err, in = -1, status;

	log_prefix = "rootstrap run";
	out = open_console("/dev/tty1");
	err = open_console("/dev/tty2");
	if (err != -1)
		dup2(err, STDERR_FILENO);
	if (command_prepare(r) != 0)
		return (-1);
	if (r->input && (in = input_open("/dev/tty3", &decoder)) == -1)
		return (-1);
	if (in == -1)
		in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if ((pid = fork()) == 0) {
		dup2(in, STDIN_FILENO);
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		setsid();
		if (chroot(GUEST_TARGET) == -1 || chdir(r->workdir != NULL ?
		    r->workdir : "/") == -1) {
			log_error("%s: %s", r->workdir != NULL ? r->workdir :
			    GUEST_TARGET, strerror(errno));
			_exit(EXIT_NOGUEST);
		}
		environ = envp;
		execvp(r->argv.v[0], r->argv.v);
		log_error("%s: %s", r->argv.v[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	while ((w = waitpid(-1, &status, 0)) != pid) {
		if (w == -1 && errno != EINTR)
			return (-1);
	}
	/* The input the command left unread is of no use now. */
	if (decoder != -1)
		kill(decoder, SIGKILL);
	close(in);
	/* The consoles are asynchronous: let them drain before power off. */
	tcdrain(out);
	tcdrain(err);
	return (WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status));
}

