/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

/*
 * The builder: init (PID 1) inside the UML guest. The root is the host's /
 * over hostfs, read-only; only the run directory and the package cache are
 * mounted writable. It runs the plan's modules in order, records each one's
 * status and duration in the run directory for the host, and powers off.
 *
 * Invoked under a stock module's name (the links in the stock module
 * directory), it runs just that module with its environment instead. For
 * `rootstrap run` it runs one command in the image (command.c).
 */

extern char	**environ;

static int	 status_fd = -1;

static void
status_put(const char *fmt, ...) printflike(1, 2);

static void
status_put(const char *fmt, ...)
{
	va_list	 ap;
	char	*line;
	int	 len;

	va_start(ap, fmt);
	len = xvasprintf(&line, fmt, ap);
	va_end(ap);
	if (status_fd != -1) {
		(void)!write(status_fd, line, len);
		fsync(status_fd);
	}
	free(line);
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

/* Mount fstype on dir unless something is there already. */
static int
mount_fs(const char *src, const char *dir, const char *fstype,
    const char *data)
{
	char	*cause = NULL;

	if (file_is_mountpoint(dir) && strcmp(fstype, "hostfs") != 0)
		return (0);
	if (file_mkdirs(dir, 0755, &cause) != 0) {
		log_error("%s", cause);
		free(cause);
		return (-1);
	}
	if (mount(src, dir, fstype, 0, data) == -1) {
		log_error("%s: %s while mounting %s", dir, strerror(errno),
		    fstype);
		return (-1);
	}
	return (0);
}

/* The run directory is the kernel argument rsrun=. */
static char *
cmdline_rundir(void)
{
	char	*cmdline, *p, *end;

	if ((cmdline = file_read("/proc/cmdline", 65536, NULL)) == NULL)
		return (NULL);
	for (p = cmdline; (p = strstr(p, "rsrun=")) != NULL; p++) {
		if (p == cmdline || p[-1] == ' ') {
			p += 6;
			end = p + strcspn(p, " \n");
			p = xstrndup(p, end - p);
			free(cmdline);
			return (p);
		}
	}
	free(cmdline);
	return (NULL);
}

/* Early mounts: the kernel gave us only the read-only hostfs root. */
static int
setup_guest(void)
{
	int	 fd;

	if (mount_fs("proc", "/proc", "proc", NULL) != 0 ||
	    mount_fs("sysfs", "/sys", "sysfs", NULL) != 0 ||
	    mount_fs("devtmpfs", "/dev", "devtmpfs", NULL) != 0 ||
	    mount_fs("tmpfs", "/run", "tmpfs", "mode=0755") != 0)
		return (-1);
	if ((fd = open("/dev/console", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	mkdir(GUEST_TMPDIR, 01777);
	chmod(GUEST_TMPDIR, 01777);
	return (0);
}

static int
run_step(const struct plan *p, const struct step *s)
{
	char		*cause = NULL;
	char		*argv[2];
	const char	*wd = env_get(&s->env, "ROOTSTRAP_WORKDIR");
	int		 rc;

	if (wd != NULL && chdir(wd) != 0)
		log_warnx("%s: %s", wd, strerror(errno));
	if (s->stock != NULL) {
		log_info("module %s (stock)", s->name);
		rc = s->stock->run(p, &s->env, &cause) == 0 ? 0 : 1;
	} else {
		log_info("module %s from %s", s->name, s->path);
		argv[0] = s->path;
		argv[1] = NULL;
		rc = child_run(argv, s->env.v, NULL, &cause);
		if (rc < 0)
			rc = 127;
	}
	if (cause != NULL) {
		log_error("%s: %s", s->name, cause);
		free(cause);
	}
	/* Back to the root the next module starts in; / is always there. */
	if (chdir("/") != 0)
		log_error("chdir /: %s", strerror(errno));
	return (rc);
}

static void
power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

/*
 * The kernel's delay-loop calibration, for the host to give later boots
 * (uml_kernel_keep_lpj): the lpj= of "Calibrating delay loop... N
 * BogoMIPS (lpj=L)" in its log, into the run directory's lpj file. A boot
 * given lpj= says "(skipped)" instead, and nothing is written.
 */
static void
note_lpj(const char *rundir)
{
	static const char	 measured[] = "Calibrating delay loop... ";
	char			*log, *p, *path, *cause = NULL, num[32];
	size_t			 len;
	int			 size, n;

	if ((size = klogctl(10, NULL, 0)) <= 0)	/* SYSLOG_ACTION_SIZE_BUFFER */
		return;
	log = xmalloc((size_t)size + 1);
	if ((n = klogctl(3, log, size)) > 0) {	/* SYSLOG_ACTION_READ_ALL */
		log[n] = '\0';
		if ((p = strstr(log, measured)) != NULL &&
		    (p = strstr(p, "(lpj=")) != NULL &&
		    (len = strspn(p + 5, "0123456789")) > 0 &&
		    len < sizeof num - 1 && p[5 + len] == ')') {
			memcpy(num, p + 5, len);
			num[len] = '\n';
			num[len + 1] = '\0';
			xasprintf(&path, "%s/lpj", rundir);
			if (file_write(path, num, 0644, &cause) != 0)
				free(cause);	/* only a boot's 45 ms */
			free(path);
		}
	}
	free(log);
}

static int
builder_init(void)
{
	struct plan	 p;
	struct runspec	 spec;
	struct timespec	 t0;
	char		*rundir, *path, *cause;
	size_t		 i;
	int		 rc = 0;

	if (setup_guest() != 0)
		return (-1);
	if ((rundir = cmdline_rundir()) == NULL) {
		log_error("no rsrun= on the kernel command line");
		return (-1);
	}
	/* Writable only where the build must write. */
	if (mount_fs("none", rundir, "hostfs", rundir) != 0)
		return (-1);
	xasprintf(&path, "%s/status", rundir);
	status_fd = open(path, O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, 0644);
	if (status_fd == -1) {
		log_error("%s: %s", path, strerror(errno));
		return (-1);
	}
	free(path);
	note_lpj(rundir);
	xasprintf(&path, "%s/run", rundir);
	if (access(path, F_OK) == 0) {
		if (runspec_read(&spec, path, &cause) != 0) {
			log_error("%s", cause);
			return (-1);
		}
		if (spec.serve)
			agent_serve(&spec);
		else if ((rc = command_run(&spec)) >= 0)
			status_put("exit %d\n", rc);
		runspec_free(&spec);
		sync();
		umount2(GUEST_TARGET, MNT_DETACH);
		return (0);
	}
	free(path);
	xasprintf(&path, "%s/plan", rundir);
	if (plan_read(&p, path, stock_modules, &cause) != 0) {
		log_error("%s", cause);
		return (-1);
	}
	free(path);
	for (i = 0; i < p.rw.n; i++) {
		if (mount_fs("none", p.rw.v[i], "hostfs", p.rw.v[i]) != 0)
			return (-1);
	}

	for (i = 0; i < p.nsteps; i++) {
		status_put("start %s\n", p.steps[i].name);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = run_step(&p, &p.steps[i]);
		status_put("end %s %d %ld\n", p.steps[i].name, rc,
		    elapsed_ms(&t0));
		if (rc != 0)
			break;
	}
	if (rc != 0) {
		/* Leave the image unmounted even when umount never ran. */
		sync();
		umount2(GUEST_TARGET "/proc", MNT_DETACH);
		umount2(GUEST_TARGET, MNT_DETACH);
		return (0);
	}
	status_put("done\n");
	return (0);
}

/* One stock module on its own, as a program, with our environment. */
static int
builder_module(const struct module *m)
{
	struct plan	 p;
	env_t		 env = { 0 };
	char		*cause = NULL;
	char		**e;

	for (e = environ; *e != NULL; e++)
		strv_add(&env, *e);
	memset(&p, 0, sizeof p);
	p.net = env;
	p.debian = env;
	p.uml = env;
	p.fstype = (char *)(env_get(&env, "fstype") != NULL ?
	    env_get(&env, "fstype") : "ext4");
	if (m->run(&p, &env, &cause) != 0) {
		log_error("%s", cause != NULL ? cause : "failed");
		return (1);
	}
	return (0);
}

/* For make and the tests: the names the stock module links take. */
static int
print_stock_modules(void)
{
	size_t	 i;

	for (i = 0; stock_modules[i] != NULL; i++)
		printf("%s\n", stock_modules[i]->name);
	return (fflush(stdout) == 0 ? 0 : 1);
}

int
main(int argc, char **argv)
{
	const struct module	*m;
	char			*name = basename(argv[0]);

	if (getpid() != 1) {
		log_prefix = name;
		if ((m = stock_module(name)) != NULL)
			return (builder_module(m));
		if (argc == 2 && strcmp(argv[1], "--stock-modules") == 0)
			return (print_stock_modules());
		fprintf(stderr, "%s: runs as init inside UML (started by "
		    "rootstrap), or as a stock module by name\n", name);
		return (EXIT_USAGE);
	}
	log_prefix = "rootstrap-builder";
	if (builder_init() != 0)
		log_error("the build could not start");
	power_off();
}
