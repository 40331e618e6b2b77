/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/*
 * Running host programs (UML above all) under supervision. Each child gets
 * its own process group, so one kill reaches UML and every helper process
 * it forks; its output is copied into the transcript (or kept, for a
 * program run for what it says); a deadline and SIGINT/SIGTERM/SIGHUP end
 * it without leaving anything behind. Those
 * signals stay blocked in rootstrap and arrive through a signalfd, so they
 * are only acted on at points where cleanup is possible.
 */

/* Above the numbers a spawned program is given (spawn_fd's as). */
#define SPAWN_FD_FLOOR	64

static int	 spawn_sfd = -1;
static int	 spawn_gofd = -1;	/* write end of the child's go pipe */
static sigset_t	 spawn_oldmask;
int		 spawn_signal;		/* the signal that interrupted us */

void
spawn_init(void)
{
	sigset_t	 set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &spawn_oldmask);
	if ((spawn_sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		fatal("signalfd: %s", strerror(errno));
	/* Orphans of our children become ours (spawn_reap_orphans). */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

/*
 * linux.uml calls setsid() when it is not a process group leader, as when
 * a kernel= wrapper script forks it rather than exec'ing it: it then
 * escapes the group kill. As a subreaper we inherit it once the wrapper is
 * gone, and end it, and its group, here. Children that stayed in our
 * session are left to whoever started them.
 */
static void
spawn_reap_orphans(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[64], buf[512], *p;
	pid_t		 pid, ppid, pgid, sid;
	int		 fd, found, pass;
	ssize_t		 n;

	for (pass = 0; pass < 50; pass++) {
		found = 0;
		if ((d = opendir("/proc")) == NULL)
			return;
		while ((de = readdir(d)) != NULL) {
			if ((pid = (pid_t)strtol(de->d_name, &p, 10)) <= 0 ||
			    *p != '\0')
				continue;
			snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
				continue;
			n = read(fd, buf, sizeof buf - 1);
			close(fd);
			/* "pid (comm) state ppid pgrp ...": comm may hold ')'. */
			if (n <= 0)
				continue;
			buf[n] = '\0';
			/* Only those that left our session: ours stay ours. */
			if ((p = strrchr(buf, ')')) == NULL ||
			    sscanf(p + 1, " %*c %d %d %d", &ppid, &pgid,
			    &sid) != 3 || ppid != getpid() || sid == getsid(0))
				continue;
			found = 1;
			if (pgid != getpgrp())
				kill(-pgid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		closedir(d);
		if (!found)
			return;
	}
}

/* Whether SIGINT, SIGTERM or SIGHUP arrived; remembers which. */
int
spawn_interrupted(void)
{
	struct signalfd_siginfo	 si;

	while (read(spawn_sfd, &si, sizeof si) == sizeof si) {
		if (si.ssi_signo != SIGCHLD)
			spawn_signal = si.ssi_signo;
	}
	return (spawn_signal != 0);
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* The last output seen, for saying why a program failed. */
static char	 spawn_tailbuf[16384];
static size_t	 spawn_taillen;

const char *
spawn_tail(void)
{
	return (spawn_tailbuf);
}

static void
tail_add(const char *buf, size_t n)
{
	size_t	 cap = sizeof spawn_tailbuf - 1;

	if (n > cap) {
		buf += n - cap;
		n = cap;
	}
	if (spawn_taillen + n > cap) {
		memmove(spawn_tailbuf, spawn_tailbuf + spawn_taillen + n - cap,
		    cap - n);
		spawn_taillen = cap - n;
	}
	memcpy(spawn_tailbuf + spawn_taillen, buf, n);
	spawn_taillen += n;
	spawn_tailbuf[spawn_taillen] = '\0';
}

/*
 * A chunk of the program's output: into the capture buffer, or the
 * transcript (the UML console ends lines with CR LF; the transcript wants
 * LF); either way into the tail, and shown to the caller's observer.
 */
static void
output(const struct spawn *sp, char *buf, ssize_t n)
{
	ssize_t	 i, j;

	if (sp->capture != NULL) {
		if (sp->capture->len + n > sp->capture_max)
			n = sp->capture_max - sp->capture->len;
		buf_add(sp->capture, buf, n);
	} else {
		for (i = j = 0; i < n; i++) {
			if (buf[i] != '\r' && buf[i] != '\0')
				buf[j++] = buf[i];
		}
		n = j;
		log_program(buf, n);
	}
	tail_add(buf, n);
	if (sp->seen != NULL)
		sp->seen(buf, n, sp->seen_arg);
}

/*
 * UML carries each guest process in a host process it drives with ptrace:
 * every system call and page fault in the guest is a round trip between
 * the two. On two CPUs each trip waits for a cross-CPU wake-up; on one it
 * is a plain switch, and a fork+exec in the guest costs a third or less.
 * The CPU is the one the scheduler has us on now, the least busy one as
 * far as it knows. A caller that wants another uses taskset(1): an
 * affinity of one CPU is left as it is.
 */
static void
pin_to_one_cpu(void)
{
	cpu_set_t	 set;
	int		 cpu;

	if (sched_getaffinity(0, sizeof(set), &set) == -1 ||
	    CPU_COUNT(&set) < 2 || (cpu = sched_getcpu()) == -1)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * The child waits before exec for a byte on the go pipe (spawn_go): by
 * then the watchdog is running. Without the wait, rootstrap killed between
 * the fork and the watchdog's start left UML's helper processes behind,
 * since the death signal reaches only the first.
 */
static pid_t
spawn_start(const struct spawn *sp, int out, char **cause)
{
	/*
	 * out == -1: the child writes to our own stdout. With SPAWN_FD3 our
	 * stderr is its fd 3 and its own stderr is /dev/null: UML's console
	 * for the guest's stderr stays clean of what UML and slirp print.
	 */
	char *const	*argv = sp->argv;
	struct landlock	 ll;
	pid_t		 pid, parent = getpid();
	int		 null, go[2], flags = sp->flags, moved[SPAWN_FDS];
	size_t		 i;
	char		 c;

	if (pipe2(go, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return (-1);
	}
	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		close(go[0]);
		close(go[1]);
		return (-1);
	}
	if (pid == 0) {
		setpgid(0, 0);
		/* If rootstrap dies, so does UML. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Dead already, before the line above could take effect. */
		if (getppid() != parent)
			_exit(127);
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		close(go[0]);
		sigprocmask(SIG_SETMASK, &spawn_oldmask, NULL);
		if (flags & SPAWN_STDIN) {
			/* A console on our terminal reads it in the foreground. */
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(STDIN_FILENO, getpid());
			signal(SIGTTOU, SIG_DFL);
		} else if ((null = open("/dev/null", O_RDONLY)) != -1) {
			dup2(null, STDIN_FILENO);
			close(null);
		}
		if (out != -1) {
			dup2(out, STDOUT_FILENO);
			dup2(out, STDERR_FILENO);
		} else if (flags & SPAWN_FD3) {
			dup2(STDERR_FILENO, 3);
			if ((null = open("/dev/null", O_WRONLY)) != -1) {
				dup2(null, STDERR_FILENO);
				close(null);
			}
		}
		if (flags & SPAWN_ONECPU)
			pin_to_one_cpu();
		/*
		 * Last: the descriptors above may have been anywhere. Each one
		 * to give, and the ruleset, first out of the way of the
		 * numbers given, which one of them may hold.
		 */
		for (i = 0; i < sp->ngive; i++)
			moved[i] = fcntl(sp->give[i].fd, F_DUPFD_CLOEXEC,
			    SPAWN_FD_FLOOR);
		if (sp->confine != NULL) {
			ll = *sp->confine;
			ll.fd = fcntl(ll.fd, F_DUPFD_CLOEXEC, SPAWN_FD_FLOOR);
		}
		for (i = 0; i < sp->ngive; i++)
			dup2(moved[i], sp->give[i].as);
		if (sp->confine != NULL && landlock_enter(&ll) == -1) {
			dprintf(STDERR_FILENO, "rootstrap: cannot confine %s: "
			    "%s\n", argv[0], strerror(errno));
			_exit(127);
		}
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "rootstrap: %s: %s%s\n", argv[0],
		    strerror(errno), sp->confine != NULL && errno == EACCES ?
		    " (confined: is its ELF interpreter outside the system's "
		    "directories and its own?)" : "");
		_exit(127);
	}
	setpgid(pid, pid);
	close(go[0]);
	spawn_gofd = go[1];
	return (pid);
}

/* Let the child started last go on to exec. */
static void
spawn_go(void)
{
	(void)!write(spawn_gofd, "", 1);
	close(spawn_gofd);
	spawn_gofd = -1;
}

/*
 * The peer: a forked process that serves the program (the user-mode
 * network serves UML), in its process group, so every kill of the group
 * takes it too, and with the same death signal. UML sends its group
 * SIGTERM as it halts or panics; the peer ignores that (and SIGINT and
 * SIGHUP), so that it is seen to end only when the program lets go of it,
 * not as a failure of its own: rootstrap ends it with SIGKILL.
 */
static pid_t
peer_start(const struct spawn_peer *peer, pid_t pgid, char **cause)
{
	pid_t	 pid, parent = getpid();

	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		return (-1);
	}
	if (pid == 0) {
		setpgid(0, pgid);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		sigprocmask(SIG_SETMASK, &spawn_oldmask, NULL);
		close(spawn_sfd);
		close(spawn_gofd);
		_exit(peer->main(peer->arg));
	}
	setpgid(pid, pgid);
	return (pid);
}

/*
 * A watchdog for the case no handler sees: rootstrap itself killed with
 * SIGKILL. PR_SET_PDEATHSIG reaches only UML's first process, and the host
 * processes that carry the guest would run on. The watchdog waits on a
 * pipe; a byte means all is well, end-of-file means rootstrap died, and the
 * whole group goes.
 */
static pid_t
guardian_start(pid_t pgid, int *wfd)
{
	char	 c;
	pid_t	 pid;
	int	 fds[2], saved;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return (-1);
	if ((pid = fork()) == -1) {
		saved = errno;
		close(fds[0]);
		close(fds[1]);
		errno = saved;
		return (-1);
	}
	if (pid == 0) {
		close(fds[1]);
		if (dup2(fds[0], 3) == 3)
			close_range(4, ~0U, 0);
		if (read(3, &c, 1) != 1)
			kill(-pgid, SIGKILL);
		_exit(0);
	}
	close(fds[0]);
	*wfd = fds[1];
	return (pid);
}

static void
guardian_stop(pid_t pid, int wfd)
{
	if (pid == -1)
		return;
	(void)!write(wfd, "", 1);
	close(wfd);
	waitpid(pid, NULL, 0);
}

/* A child that never got to exec, and its peer, ended. Returns -1. */
static pid_t
spawn_abort(pid_t pid, pid_t peerpid)
{
	close(spawn_gofd);
	spawn_gofd = -1;
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (peerpid != -1)
		waitpid(peerpid, NULL, 0);
	return (-1);
}

/* A result that is not a plain exit, with its cause. */
static void
result(struct spawn_result *r, enum spawn_end end, int code,
    const char *fmt, ...) printflike(4, 5);

static void
result(struct spawn_result *r, enum spawn_end end, int code,
    const char *fmt, ...)
{
	va_list	 ap;

	r->end = end;
	r->code = code;
	va_start(ap, fmt);
	xvasprintf(&r->cause, fmt, ap);
	va_end(ap);
}

/*
 * The descriptors given away (spawn_fd's away) closed: the program's
 * alone, so that a pipe whose far end it holds sees end-of-file when the
 * program ends, not when we do.
 */
static void
give_away(const struct spawn *sp)
{
	size_t	 i;

	for (i = 0; i < sp->ngive; i++) {
		if (sp->give[i].away)
			close(sp->give[i].fd);
	}
}

/*
 * Run sp->argv to completion with its output in the transcript (with
 * SPAWN_PASSTHROUGH, on our own stdout and stderr; with sp->capture, in
 * that buffer), and say in *r how it ended: it exited, was killed by a
 * signal, ran past sp->timeout seconds (0: no limit), could not start, or
 * rootstrap was interrupted. In every case no process of its group is
 * left. The program gets sp->give's descriptors as the numbers they ask
 * for. sp->peer, if not NULL, is started beside the program: a peer that
 * fails ends the program with it; one that exits with status 0, having
 * been let go of, does not.
 */
void
spawn(const struct spawn *sp, struct spawn_result *r)
{
	const struct spawn_peer	*peer = sp->peer;
	char *const	*argv = sp->argv;
	struct pollfd	 pfd[2];
	char		 buf[8192], *cause = NULL;
	long long	 deadline = 0, left;
	ssize_t		 n;
	pid_t		 pid, guard, peerpid = -1;
	int		 fds[2], status = 0, exited = 0, timedout = 0;
	int		 open_out = 1, gfd = -1, peerstatus = 0, peerdied = 0;

	memset(r, 0, sizeof *r);
	if (spawn_interrupted()) {
		give_away(sp);
		result(r, SPAWN_INTERRUPTED, spawn_signal, "interrupted by "
		    "signal %d", spawn_signal);
		return;
	}
	if (sp->flags & SPAWN_PASSTHROUGH) {
		fds[0] = fds[1] = -1;
		open_out = 0;
	} else if (pipe2(fds, O_CLOEXEC) == -1) {
		give_away(sp);
		result(r, SPAWN_NOT_STARTED, 0, "pipe: %s", strerror(errno));
		return;
	}
	log_debug("spawn: %s", argv[0]);
	pid = spawn_start(sp, fds[1], &cause);
	if (fds[1] != -1)
		close(fds[1]);
	/* Before the peer and the watchdog fork, who would hold them too. */
	give_away(sp);
	if (pid != -1 && peer != NULL &&
	    (peerpid = peer_start(peer, pid, &cause)) == -1)
		pid = spawn_abort(pid, -1);
	if (pid != -1 && (guard = guardian_start(pid, &gfd)) == -1) {
		xasprintf(&cause, "cannot start the watchdog: %s",
		    strerror(errno));
		pid = spawn_abort(pid, peerpid);
	}
	if (pid == -1) {
		if (fds[0] != -1)
			close(fds[0]);
		result(r, SPAWN_NOT_STARTED, 0, "%s", cause);
		free(cause);
		return;
	}
	spawn_go();
	if (sp->timeout > 0)
		deadline = now_ms() + (long long)sp->timeout * 1000;

	/* Until the child is gone and its output drained. */
	while (!exited || open_out) {
		pfd[0].fd = open_out ? fds[0] : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = spawn_sfd;
		pfd[1].events = POLLIN;
		left = -1;
		if (deadline != 0 && !exited) {
			left = deadline - now_ms();
			if (left < 0)
				left = 0;
		} else if (exited)
			left = 2000;	/* output of stragglers, briefly */
		/*
		 * Without spawn_init() no signalfd wakes us when the child
		 * exits after closing its output: look again soon.
		 */
		if (spawn_sfd == -1 && !exited && !open_out &&
		    (left < 0 || left > 20))
			left = 20;
		n = poll(pfd, 2, (int)left);
		if (exited && (n == 0 || !open_out))
			break;
		if (n == 0 && !timedout && !exited && deadline != 0 &&
		    now_ms() >= deadline) {
			timedout = 1;
			kill(-pid, SIGKILL);
		}
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			n = read(fds[0], buf, sizeof buf);
			if (n > 0)
				output(sp, buf, n);
			else if (n == 0 || errno != EINTR)
				open_out = 0;
		}
		if (pfd[1].revents & POLLIN) {
			if (spawn_interrupted() && !exited)
				kill(-pid, SIGKILL);
		}
		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = 1;
			/* Helpers UML forked may outlive it: end them too. */
			kill(-pid, SIGKILL);
		}
		/*
		 * A peer may end by itself (status 0) when the program lets
		 * go of it; one that fails leaves the program of no use.
		 */
		if (peerpid != -1 && !exited &&
		    waitpid(peerpid, &peerstatus, WNOHANG) == peerpid) {
			peerpid = -1;
			if (!WIFEXITED(peerstatus) ||
			    WEXITSTATUS(peerstatus) != 0) {
				peerdied = 1;
				kill(-pid, SIGKILL);
			}
		}
	}
	guardian_stop(guard, gfd);
	if (fds[0] != -1)
		close(fds[0]);
	if (!exited)
		waitpid(pid, &status, 0);
	if (peerpid != -1) {
		kill(-pid, SIGKILL);
		waitpid(peerpid, NULL, 0);
	}
	spawn_reap_orphans();
	if (sp->flags & SPAWN_STDIN) {
		/* The terminal's foreground comes back to us. */
		signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(STDIN_FILENO, getpgrp());
		signal(SIGTTOU, SIG_DFL);
	}
	if (timedout)
		result(r, SPAWN_TIMEDOUT, 0, "%s timed out after %d s",
		    argv[0], sp->timeout);
	else if (spawn_signal != 0)
		result(r, SPAWN_INTERRUPTED, spawn_signal, "interrupted by %s",
		    strsignal(spawn_signal));
	else if (peerdied)
		result(r, SPAWN_PEER_FAILED, WIFEXITED(peerstatus) ?
		    WEXITSTATUS(peerstatus) : 128 + WTERMSIG(peerstatus),
		    "%s: the %s failed (%s %d)", argv[0], peer->name,
		    WIFEXITED(peerstatus) ? "status" : "signal",
		    WIFEXITED(peerstatus) ? WEXITSTATUS(peerstatus) :
		    WTERMSIG(peerstatus));
	else if (WIFEXITED(status)) {
		r->end = SPAWN_EXITED;
		r->code = WEXITSTATUS(status);
	} else
		result(r, SPAWN_SIGNALED, WTERMSIG(status), "%s: killed by %s",
		    argv[0], strsignal(WTERMSIG(status)));
}

/* An exit status as a shell gives it (128+N: signal N), or -1 and why. */
static int
spawn_status(struct spawn_result *r, char **cause)
{
	if (r->end == SPAWN_EXITED)
		return (r->code);
	if (r->end == SPAWN_SIGNALED) {
		free(r->cause);
		return (128 + r->code);
	}
	*cause = r->cause;
	return (-1);
}

/*
 * Run argv to completion with its output in the transcript (or, with
 * SPAWN_PASSTHROUGH, on our own stdout and stderr). Returns its exit status
 * (128+N if killed by signal N), or -1 with *cause set if it could not
 * start, ran past timeout seconds (0: no limit), or rootstrap was
 * interrupted.
 */
int
spawn_run(char *const *argv, int timeout, int flags, char **cause)
{
	struct spawn		 sp;
	struct spawn_result	 r;

	memset(&sp, 0, sizeof sp);
	sp.argv = argv;
	sp.timeout = timeout;
	sp.flags = flags;
	spawn(&sp, &r);
	return (spawn_status(&r, cause));
}

/*
 * Run argv for its output (stdout and stderr, up to max bytes, into out)
 * within timeout seconds. Returns its exit status (128+N for a signal), or
 * -1 with *cause.
 */
int
spawn_capture(char *const *argv, int timeout, struct buf *out, size_t max,
    char **cause)
{
	struct spawn		 sp;
	struct spawn_result	 r;

	memset(&sp, 0, sizeof sp);
	sp.argv = argv;
	sp.timeout = timeout;
	sp.capture = out;
	sp.capture_max = max;
	buf_add(out, "", 0);
	spawn(&sp, &r);
	return (spawn_status(&r, cause));
}
