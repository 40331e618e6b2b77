/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/signalfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

/*
 * rootstrap start, in the guest: the agent. The image is mounted as for
 * run (command.c); then the builder, still PID 1, serves the host on con1
 * until told to stop: each OPEN frame is a command, forked and chrooted
 * into the image with three pipes, whose output goes back in STDOUT and
 * STDERR frames and whose end in an EXIT frame (the wire is in util.h).
 * Commands run side by side, told apart by their stream. A command's end
 * is sent once it has exited and its pipes are closed, or a moment after
 * it exited when a daemon it started holds them.
 */

#define AGENT_STREAMS	256	/* commands at once */
#define AGENT_LINGER_MS	200	/* output after exit, from a daemon's pipes */

extern char	**environ;

struct stream {
	unsigned	 id;		/* 0: a free slot */
	pid_t		 pid;
	int		 in, out, err;	/* our ends; -1 once closed */
	struct buf	 pending;	/* stdin not yet taken */
	size_t		 taken;
	size_t		 out_inflight;	/* output sent, not yet taken */
	int		 reader_gone;	/* output need not wait for it */
	int		 in_eof;	/* the host's stdin has ended */
	int		 exited, status, timed_out;
	long		 deadline;	/* ms on CLOCK_MONOTONIC; 0: none */
	long		 exited_at;
};

static struct stream	 streams[AGENT_STREAMS];
static int		 tty = -1;

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
send_frame(int type, unsigned id, const void *data, size_t len)
{
	if (frame_send(tty, type, id, data, len) != 0)
		log_error("con1: %s", strerror(errno));
}

/* A FRAME_TAKEN's payload: a byte count, big-endian. */
static void
put_count(unsigned char b[4], size_t n)
{
	b[0] = (unsigned char)(n >> 24);
	b[1] = (unsigned char)(n >> 16);
	b[2] = (unsigned char)(n >> 8);
	b[3] = (unsigned char)n;
}

/* A command that could not start: its message and status, then its end. */
static void
refuse(unsigned id, int status, const char *msg)
{
	unsigned char	 st = (unsigned char)status;

	send_frame(FRAME_STDERR, id, msg, strlen(msg));
	send_frame(FRAME_EXIT, id, &st, 1);
}

static struct stream *
stream_find(unsigned id)
{
	size_t	 i;

	for (i = 0; i < AGENT_STREAMS; i++) {
		if (streams[i].id == id && id != 0)
			return (&streams[i]);
	}
	return (NULL);
}

static void
close_fd(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

/* The child: in the image, its pipes as stdio, then the command. */
static void __attribute__((noreturn))
child_exec(struct strv *argv, env_t *env, const char *cwd, int p_in,
    int p_out, int p_err, const sigset_t *mask)
{
	sigprocmask(SIG_SETMASK, mask, NULL);
	setsid();
	if (dup2(p_in, 0) == -1 || dup2(p_out, 1) == -1 || dup2(p_err, 2) == -1)
		_exit(EXIT_NOGUEST);
	close_range(3, ~0U, 0);
	log_fd = STDERR_FILENO;
	log_prefix = "rootstrap exec";
	if (chroot(GUEST_TARGET) == -1 || chdir(cwd) == -1) {
		log_error("%s: %s", cwd, strerror(errno));
		_exit(EXIT_NOGUEST);
	}
	environ = env->v;
	execvp(argv->v[0], argv->v);
	log_error("%s: %s", argv->v[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* OPEN: the payload parsed, the command started in a free slot. */
static void
stream_open(const struct frame *f, const sigset_t *mask)
{
	static const char *const base[] = { "PATH=/usr/local/sbin:"
	    "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
	    "LC_ALL=C.UTF-8", NULL };
	const char	*p = (const char *)f->data + 4, *end, *cwd = NULL, *eq;
	struct stream	*s = NULL;
	struct strv	 argv = { 0 };
	env_t		 env = { 0 };
	char		*name;
	size_t		 i;
	uint32_t	 timeout;
	int		 pin[2] = { -1, -1 }, pout[2] = { -1, -1 },
			 perr[2] = { -1, -1 };
	pid_t		 pid;

	end = (const char *)f->data + f->len;
	if (f->len < 5 || end[-1] != '\0' || stream_find(f->stream) != NULL) {
		refuse(f->stream, EXIT_NOGUEST, "rootstrap exec: a bad "
		    "request\n");
		return;
	}
	timeout = (uint32_t)f->data[0] << 24 | (uint32_t)f->data[1] << 16 |
	    (uint32_t)f->data[2] << 8 | f->data[3];
	for (i = 0; base[i] != NULL; i++)
		strv_add(&env, base[i]);
	for (; p < end; p += strlen(p) + 1) {
		if (cwd == NULL)
			cwd = p;
		else if (*p == 'a')
			strv_add(&argv, p + 1);
		else if (*p == 'e' && (eq = strchr(p + 1, '=')) != NULL) {
			name = xstrndup(p + 1, (size_t)(eq - p - 1));
			env_set(&env, name, eq + 1);
			free(name);
		}
	}
	for (i = 0; i < AGENT_STREAMS && s == NULL; i++) {
		if (streams[i].id == 0)
			s = &streams[i];
	}
	if (argv.n == 0 || cwd == NULL || s == NULL) {
		refuse(f->stream, EXIT_NOGUEST, s == NULL ? "rootstrap exec: "
		    "too many commands at once\n" : "rootstrap exec: no "
		    "command\n");
		goto out;
	}
	if (pipe2(pin, O_CLOEXEC) == -1 || pipe2(pout, O_CLOEXEC) == -1 ||
	    pipe2(perr, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		refuse(f->stream, EXIT_NOGUEST, "rootstrap exec: no pipe or "
		    "process for the command\n");
		goto out;
	}
	if (pid == 0)
		child_exec(&argv, &env, cwd, pin[0], pout[1], perr[1], mask);
	memset(s, 0, sizeof *s);
	s->id = f->stream;
	s->pid = pid;
	s->in = pin[1];
	s->out = pout[0];
	s->err = perr[0];
	pin[1] = pout[0] = perr[0] = -1;
	fcntl(s->in, F_SETFL, O_NONBLOCK);
	fcntl(s->out, F_SETFL, O_NONBLOCK);
	fcntl(s->err, F_SETFL, O_NONBLOCK);
	if (timeout > 0)
		s->deadline = now_ms() + (long)timeout * 1000;
out:
	for (i = 0; i < 2; i++) {
		close_fd(&pin[i]);
		close_fd(&pout[i]);
		close_fd(&perr[i]);
	}
	strv_free(&argv);
	strv_free(&env);
}

/* The stdin a command has not taken yet, as much as its pipe holds. */
static void
stream_feed(struct stream *s)
{
	ssize_t	 n;

	unsigned char	 b[4];
	size_t		 before = s->taken;

	while (s->in != -1 && s->taken < s->pending.len) {
		n = write(s->in, s->pending.s + s->taken,
		    s->pending.len - s->taken);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1) {
			/* It stopped reading: the rest is of no use. */
			close_fd(&s->in);
			break;
		}
		s->taken += (size_t)n;
	}
	/* The host sends more as the command takes it: FRAME_WINDOW. */
	if (s->taken > before) {
		put_count(b, s->taken - before);
		send_frame(FRAME_TAKEN, s->id, b, 4);
	}
	if (s->taken < s->pending.len && s->in != -1)
		return;
	if (s->taken == s->pending.len) {
		buf_free(&s->pending);
		s->taken = 0;
		if (s->in_eof)
			close_fd(&s->in);
	}
}

/*
 * What a command wrote, as frames; its pipe closed at end-of-file. 1 when
 * it stopped for the client's window, with output perhaps left.
 */
static int
stream_drain(struct stream *s, int *fd, int type)
{
	char	 chunk[FRAME_DATA];
	ssize_t	 n;

	size_t	 room;

	while (*fd != -1) {
		/* At most FRAME_WINDOW ahead of the client's reading. */
		room = s->reader_gone ? sizeof chunk : FRAME_WINDOW -
		    (s->out_inflight < FRAME_WINDOW ? s->out_inflight :
		    FRAME_WINDOW);
		if (room <= FRAME_HDR)
			return (1);
		room -= FRAME_HDR;
		n = read(*fd, chunk, room < sizeof chunk ? room : sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return (0);
		if (n <= 0) {
			close_fd(fd);
			return (0);
		}
		send_frame(type, s->id, chunk, (size_t)n);
		s->out_inflight += FRAME_HDR + (size_t)n;
	}
	return (0);
}

/* Whether a command's output waits for its client to read. */
static int
stream_full(const struct stream *s)
{
	return (!s->reader_gone && s->out_inflight + FRAME_HDR >=
	    FRAME_WINDOW);
}

/* Its end sent, once it exited and its output is in; the slot freed. */
static void
stream_finish(struct stream *s, int force)
{
	unsigned char	 st;

	if (!s->exited || (!force && (s->out != -1 || s->err != -1) &&
	    now_ms() - s->exited_at < AGENT_LINGER_MS))
		return;
	/* What is still in its pipes goes first, however slow the client. */
	if (stream_drain(s, &s->out, FRAME_STDOUT) ||
	    stream_drain(s, &s->err, FRAME_STDERR))
		return;
	if (s->timed_out)
		st = EXIT_TIMEOUT;
	else if (WIFEXITED(s->status))
		st = (unsigned char)WEXITSTATUS(s->status);
	else
		st = (unsigned char)(128 + WTERMSIG(s->status));
	send_frame(FRAME_EXIT, s->id, &st, 1);
	close_fd(&s->in);
	close_fd(&s->out);
	close_fd(&s->err);
	buf_free(&s->pending);
	memset(s, 0, sizeof *s);
	s->in = s->out = s->err = -1;
}

/* Every child that ended: a command's status kept, a daemon's reaped. */
static void
reap(void)
{
	pid_t	 pid;
	size_t	 i;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < AGENT_STREAMS; i++) {
			if (streams[i].id != 0 && streams[i].pid == pid &&
			    !streams[i].exited) {
				streams[i].exited = 1;
				streams[i].status = status;
				streams[i].exited_at = now_ms();
			}
		}
	}
}

/* A frame from the host; 1 when it says stop. */
static int
dispatch(const struct frame *f, const sigset_t *mask)
{
	struct stream	*s = stream_find(f->stream);
	size_t		 taken;

	switch (f->type) {
	case FRAME_OPEN:
		stream_open(f, mask);
		break;
	case FRAME_STDIN:
		if (s == NULL || s->in == -1)
			break;
		if (f->len == 0)
			s->in_eof = 1;
		else
			buf_add(&s->pending, f->data, f->len);
		stream_feed(s);
		break;
	case FRAME_TAKEN:
		/* Output the client took; all ones: it is gone. */
		if (s == NULL || f->len != 4)
			break;
		taken = (size_t)f->data[0] << 24 | (size_t)f->data[1] << 16 |
		    (size_t)f->data[2] << 8 | f->data[3];
		if (taken == 0xffffffff)
			s->reader_gone = 1;
		s->out_inflight -= taken < s->out_inflight ? taken :
		    s->out_inflight;
		break;
	case FRAME_SIGNAL:
		if (s != NULL && !s->exited && f->len == 1 && f->data[0] > 0 &&
		    f->data[0] < NSIG)
			kill(-s->pid, f->data[0]);
		break;
	case FRAME_STOP:
		return (1);
	}
	return (0);
}

/* Every process but us ended: asked first, then killed. */
static void
end_all(void)
{
	long	 until = now_ms() + 3000;

	kill(-1, SIGTERM);
	while (now_ms() < until) {
		if (waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD)
			return;
		usleep(20000);
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) != -1 || errno == EINTR)
		continue;
}

/* A pipe's fd in the poll set, whether left out (~fd) or not. */
static int
slot_fd(int fd)
{
	return (fd < -1 ? ~fd : fd);
}

/* The poll set: con1, child exits, and each command's pipes. */
static int
agent_wait(struct pollfd *pfd, size_t *npfd, int sfd)
{
	long	 now = now_ms(), wait = -1, left;
	size_t	 i, n = 0;
	int	 full;

	pfd[n].fd = tty;
	pfd[n++].events = POLLIN;
	pfd[n].fd = sfd;
	pfd[n++].events = POLLIN;
	for (i = 0; i < AGENT_STREAMS; i++) {
		struct stream *s = &streams[i];

		if (s->id == 0)
			continue;
		/*
		 * Output waits while the client is a window behind: its pipes
		 * left out of the poll (a negative fd, as ~fd, still tells
		 * the slot's place below).
		 */
		full = stream_full(s);
		pfd[n].fd = full && s->out != -1 ? ~s->out : s->out;
		pfd[n++].events = POLLIN;
		pfd[n].fd = full && s->err != -1 ? ~s->err : s->err;
		pfd[n++].events = POLLIN;
		pfd[n].fd = s->taken < s->pending.len ? s->in : -1;
		pfd[n++].events = POLLOUT;
		if (s->exited && full)
			continue;	/* until the client reads */
		if (s->exited)
			left = s->exited_at + AGENT_LINGER_MS - now;
		else if (s->deadline != 0)
			left = s->deadline - now;
		else
			continue;
		if (left < 0)
			left = 0;
		if (wait == -1 || left < wait)
			wait = left;
	}
	*npfd = n;
	return (poll(pfd, n, wait > INT32_MAX ? INT32_MAX : (int)wait));
}

int
agent_serve(const struct runspec *r)
{
	struct pollfd	 pfd[2 + 3 * AGENT_STREAMS];
	struct signalfd_siginfo si;
	struct termios	 t;
	struct frame	 f;
	struct buf	 in = { 0 };
	sigset_t	 set, old;
	unsigned char	 b[4];
	ssize_t		 got;
	size_t		 i, n, k;
	int		 sfd, stop = 0;

	log_prefix = "rootstrap start";
	if (command_prepare(r) != 0)
		return (-1);
	if ((tty = open("/dev/tty1", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    tcgetattr(tty, &t) == -1 || (cfmakeraw(&t),
	    tcsetattr(tty, TCSANOW, &t)) == -1) {
		log_error("/dev/tty1: %s (the agent's link to the host)",
		    strerror(errno));
		return (-1);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1) {
		log_error("signalfd: %s", strerror(errno));
		return (-1);
	}
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < AGENT_STREAMS; i++)
		streams[i].in = streams[i].out = streams[i].err = -1;
	/* Raw now: the host may send. */
	send_frame(FRAME_READY, 0, NULL, 0);
	while (!stop) {
		if (agent_wait(pfd, &n, sfd) == -1 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN) {
			while (read(sfd, &si, sizeof si) > 0)
				continue;
			reap();
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((got = frame_fill(tty, &in)) <= 0)
				break;	/* the host is gone */
			/* Read, so the host may send more: FRAME_LINK_WINDOW. */
			put_count(b, (size_t)got);
			send_frame(FRAME_TAKEN, 0, b, 4);
			while (!stop && frame_next(&in, &f)) {
				stop = dispatch(&f, &old);
				frame_drop(&in, &f);
			}
		}
		for (i = 0, k = 2; i < AGENT_STREAMS; i++) {
			struct stream *s = &streams[i];

			if (s->id == 0)
				continue;
			/* Slots opened by this round's frames were not polled. */
			if (k + 3 <= n && slot_fd(pfd[k].fd) == s->out &&
			    slot_fd(pfd[k + 1].fd) == s->err) {
				if (pfd[k].revents)
					stream_drain(s, &s->out, FRAME_STDOUT);
				if (pfd[k + 1].revents)
					stream_drain(s, &s->err, FRAME_STDERR);
				if (pfd[k + 2].revents)
					stream_feed(s);
				k += 3;
			}
			if (!s->exited && s->deadline != 0 &&
			    now_ms() >= s->deadline && !s->timed_out) {
				s->timed_out = 1;
				kill(-s->pid, SIGKILL);
			}
			stream_finish(s, 0);
		}
	}
	end_all();
	buf_free(&in);
	close(sfd);
	return (0);
}
