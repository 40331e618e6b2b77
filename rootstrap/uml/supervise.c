/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "uml.h"

/*
 * An instance's supervisor: `rootstrap start` forks it into a session of
 * its own, its output into the run directory's "log", and waits on a pipe
 * for "ready" or why not. The supervisor forks the keeper, which runs UML
 * through uml_launch (so a supervisor killed outright takes UML with it:
 * the keeper's death signal, then spawn's watchdog), listens on the
 * control socket, and relays frames (util.h) between the clients, each
 * one command, and the guest's agent on con1, giving each command a
 * stream. If the starting process dies before the guest is ready, if the
 * guest ends, if told to stop, or idle too long, it stops the guest,
 * removes the instance, and exits.
 */

#define SUPERVISE_CLIENTS	256
#define SUPERVISE_STOP_WAIT	10	/* seconds for the guest to power off */
#define SUPERVISE_TAIL		12	/* console lines quoted on failure */
#define SUPERVISE_BACKLOG	(64 * 1024)	/* for the guest, at most:
						   clients wait beyond */
/*
 * A client's output held here, at most: the agent sends FRAME_WINDOW
 * beyond what the client took, in frames of up to FRAME_DATA (with
 * headers); a guest that sends more ignores the window, and would have us
 * hold whatever it sends.
 */
#define SUPERVISE_OUT_MAX	(2 * (FRAME_WINDOW + FRAME_HDR + FRAME_DATA))

struct client {
	int		 fd;		/* -1: a free slot */
	unsigned	 stream;	/* its command's, 0 before OPEN */
	struct buf	 in, out;	/* frames from it, and to it */
	size_t		 sent;		/* of out */
	size_t		 inflight;	/* stdin not yet taken: FRAME_WINDOW */
	int		 stopper;	/* asked to stop: told by our exit */
	int		 done;		/* closed once out is sent */
	int		 refused;	/* told why; its frames ignored, and
					   closed at its end: a close with
					   its frames unread would reset the
					   connection, the refusal unread */
};

struct sv {
	const struct supervise *cfg;
	int		 ctl;		/* the listening socket */
	int		 ready_fd;	/* to start; -1 once told */
	int		 to_guest, from_guest;
	struct buf	 guest_in;	/* frames from the agent */
	struct buf	 guest_out;	/* frames for it */
	size_t		 guest_sent;
	size_t		 link_inflight;	/* sent, not yet read by the agent */
	pid_t		 keeper;
	int		 sfd;
	int		 ready, stopping, uml_gone;
	long		 last_active;	/* ms */
	unsigned	 next_stream;
	struct client	 clients[SUPERVISE_CLIENTS];
};

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* The keeper: UML, until it ends. */
static void __attribute__((noreturn))
keeper(const struct uml *u0, pid_t parent, int in, int out)
{
	struct uml		 u = *u0;
	struct uml_result	 res;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	spawn_init();
	u.agent_in = in;
	u.agent_out = out;
	uml_launch(&u, &res);
	if (res.end == UML_EXITED)
		fprintf(stderr, "rootstrap: UML exited with status %d\n",
		    res.status);
	else
		fprintf(stderr, "rootstrap: UML ended: %s\n", res.cause != NULL ?
		    res.cause : "(no cause)");
	_exit(res.end == UML_EXITED ? 0 : 1);
}

static void
client_close(struct client *c)
{
	if (c->fd != -1)
		close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

static void
client_send(struct client *c, int type, const void *data, size_t len)
{
	if (c->fd != -1)
		frame_put(&c->out, type, c->stream, data, len);
}

static void
guest_send(struct sv *sv, int type, unsigned stream, const void *data,
    size_t len)
{
	if (!sv->uml_gone)
		frame_put(&sv->guest_out, type, stream, data, len);
}

/* As much of what waits for the agent as its pipe takes now. */
static void
guest_flush(struct sv *sv)
{
	ssize_t	 n;

	size_t	 len;

	while (sv->guest_sent < sv->guest_out.len &&
	    sv->link_inflight < FRAME_LINK_WINDOW) {
		len = sv->guest_out.len - sv->guest_sent;
		if (len > FRAME_LINK_WINDOW - sv->link_inflight)
			len = FRAME_LINK_WINDOW - sv->link_inflight;
		n = write(sv->to_guest, sv->guest_out.s + sv->guest_sent, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (errno != EAGAIN)
				sv->guest_sent = sv->guest_out.len;
			return;
		}
		sv->guest_sent += (size_t)n;
		sv->link_inflight += (size_t)n;
	}
	if (sv->guest_sent < sv->guest_out.len)
		return;
	buf_free(&sv->guest_out);
	sv->guest_sent = 0;
}

/* A command whose client is gone: killed, its output no longer held. */
static void
client_abandon(struct sv *sv, struct client *c)
{
	static const unsigned char all[4] = { 0xff, 0xff, 0xff, 0xff };

	if (c->stream == 0 || c->done)
		return;
	guest_send(sv, FRAME_SIGNAL, c->stream, (char[]){ SIGKILL }, 1);
	guest_send(sv, FRAME_TAKEN, c->stream, all, 4);
}

/*
 * As much of what waits for the client as its socket takes now; the
 * agent told how much, as it sends at most FRAME_WINDOW of output beyond.
 */
static void
client_flush(struct sv *sv, struct client *c)
{
	unsigned char	 b[4];
	size_t		 before = c->sent, n_sent;
	ssize_t		 n;

	while (c->sent < c->out.len) {
		n = send(c->fd, c->out.s + c->sent, c->out.len - c->sent,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1) {
			/* Gone: its command is of no use any more. */
			client_abandon(sv, c);
			c->done = 1;
			c->sent = c->out.len;
			before = c->sent;
			break;
		}
		c->sent += (size_t)n;
	}
	if (c->sent > before && c->stream != 0 && !c->done) {
		n_sent = c->sent - before;
		b[0] = (unsigned char)(n_sent >> 24);
		b[1] = (unsigned char)(n_sent >> 16);
		b[2] = (unsigned char)(n_sent >> 8);
		b[3] = (unsigned char)n_sent;
		guest_send(sv, FRAME_TAKEN, c->stream, b, 4);
	}
	if (c->sent < c->out.len)
		return;
	buf_free(&c->out);
	c->sent = 0;
}

static struct client *
client_of(struct sv *sv, unsigned stream)
{
	size_t	 i;

	for (i = 0; i < SUPERVISE_CLIENTS; i++) {
		if (sv->clients[i].fd != -1 && sv->clients[i].stream == stream)
			return (&sv->clients[i]);
	}
	return (NULL);
}

/* A stream number no running command has. */
static unsigned
stream_new(struct sv *sv)
{
	do {
		sv->next_stream = sv->next_stream % 65535 + 1;
	} while (client_of(sv, sv->next_stream) != NULL);
	return (sv->next_stream);
}

/* The last lines of the guest's console, indented, for a message. */
static char *
console_tail(const struct sv *sv)
{
	struct buf	 b = { 0 };
	char		*path, *text, *p;
	size_t		 len;
	int		 lines = 0;

	xasprintf(&path, "%s/log", sv->cfg->inst->dir);
	text = file_read(path, 16 * 1024 * 1024, &len);
	free(path);
	if (text == NULL || len == 0) {
		free(text);
		return (xstrdup("  (nothing)"));
	}
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	for (p = text + len; p > text; p--) {
		if (p[-1] == '\n' && ++lines == SUPERVISE_TAIL)
			break;
	}
	for (; *p != '\0'; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0))
		buf_addf(&b, "  %.*s\n", (int)strcspn(p, "\n"), p);
	free(text);
	if (b.len > 0)
		b.s[--b.len] = '\0';
	return (b.s);
}

/* Tell start the guest did not become ready, and why. */
static void
tell_failure(struct sv *sv, const char *why)
{
	char	*tail, *msg;

	if (sv->ready_fd == -1)
		return;
	tail = console_tail(sv);
	xasprintf(&msg, "F%s; the console's last lines:\n%s\n", why, tail);
	(void)!fd_write_all(sv->ready_fd, msg, strlen(msg));
	close(sv->ready_fd);
	sv->ready_fd = -1;
	free(msg);
	free(tail);
}

/* A frame from the agent. */
static void
from_agent(struct sv *sv, const struct frame *f)
{
	static const char flood[] = "the guest sent more output than the "
	    "client had room for (its agent ignores the window); the "
	    "command was killed";
	struct client	*c;
	size_t		 taken;

	if (f->type == FRAME_READY && !sv->ready) {
		sv->ready = 1;
		if (sv->ready_fd != -1) {
			(void)!write(sv->ready_fd, "R", 1);
			close(sv->ready_fd);
			sv->ready_fd = -1;
		}
		return;
	}
	if (f->type == FRAME_TAKEN && f->stream == 0 && f->len == 4) {
		taken = (size_t)f->data[0] << 24 | (size_t)f->data[1] << 16 |
		    (size_t)f->data[2] << 8 | f->data[3];
		sv->link_inflight -= taken < sv->link_inflight ? taken :
		    sv->link_inflight;
		return;
	}
	if ((c = client_of(sv, f->stream)) == NULL || f->stream == 0)
		return;
	if (f->type == FRAME_TAKEN && f->len == 4) {
		taken = (size_t)f->data[0] << 24 | (size_t)f->data[1] << 16 |
		    (size_t)f->data[2] << 8 | f->data[3];
		c->inflight -= taken < c->inflight ? taken : c->inflight;
		return;
	}
	if (c->done)
		return;		/* (after its end, or refused) */
	if ((f->type == FRAME_STDOUT || f->type == FRAME_STDERR) &&
	    c->out.len - c->sent + f->len > SUPERVISE_OUT_MAX) {
		client_send(c, FRAME_ERROR, flood, strlen(flood));
		client_abandon(sv, c);
		c->done = 1;
		return;
	}
	if (f->type == FRAME_STDOUT || f->type == FRAME_STDERR ||
	    f->type == FRAME_EXIT)
		client_send(c, f->type, f->data, f->len);
	if (f->type == FRAME_EXIT)
		c->done = 1;
}

/* Refuse c, saying why: it has no command, and what it sends is dropped. */
static void
client_refuse(struct client *c, const char *why)
{
	frame_put(&c->out, FRAME_ERROR, 0, why, strlen(why));
	c->refused = c->done = 1;
}

/* A frame from a client: its command, its input, or stop. */
static void
from_client(struct sv *sv, struct client *c, const struct frame *f)
{
	static const char stopping[] = "the instance is stopping";

	switch (f->type) {
	case FRAME_OPEN:
		if (c->stream != 0)
			break;
		if (sv->stopping) {
			client_refuse(c, stopping);
			break;
		}
		c->stream = stream_new(sv);
		guest_send(sv, FRAME_OPEN, c->stream, f->data, f->len);
		break;
	case FRAME_STDIN:
	case FRAME_SIGNAL:
		if (c->stream != 0 && !c->done) {
			guest_send(sv, f->type, c->stream, f->data, f->len);
			if (f->type == FRAME_STDIN)
				c->inflight += f->len;
		}
		break;
	case FRAME_STOP:
		c->stopper = 1;
		sv->stopping = 1;
		break;
	}
}

/* A client connecting: only the user who started the instance. */
static void
client_accept(struct sv *sv)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof cred;
	struct buf	 b = { 0 };
	struct client	*c = NULL;
	char		*msg;
	size_t		 i;
	int		 fd;

	if ((fd = accept4(sv->ctl, NULL, NULL, SOCK_CLOEXEC |
	    SOCK_NONBLOCK)) == -1)
		return;
	for (i = 0; i < SUPERVISE_CLIENTS && c == NULL; i++) {
		if (sv->clients[i].fd == -1)
			c = &sv->clients[i];
	}
	if (c == NULL) {
		/* No slot to wait in for its end: told at once. */
		msg = xstrdup("too many commands at once");
		frame_put(&b, FRAME_ERROR, 0, msg, strlen(msg));
		(void)!send(fd, b.s, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		buf_free(&b);
		free(msg);
		close(fd);
		return;
	}
	c->fd = fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.uid != getuid()) {
		xasprintf(&msg, "instance %s belongs to uid %u, not to uid %u",
		    sv->cfg->inst->name, (unsigned)getuid(),
		    (unsigned)cred.uid);
		client_refuse(c, msg);
		free(msg);
	}
}

static int
nclients(const struct sv *sv)
{
	size_t	 i;
	int	 n = 0;

	/* (One refused keeps nothing alive.) */
	for (i = 0; i < SUPERVISE_CLIENTS; i++)
		n += sv->clients[i].fd != -1 && !sv->clients[i].refused;
	return (n);
}

/* The guest stopped, then made to; the instance removed; we exit. */
static void __attribute__((noreturn))
teardown(struct sv *sv)
{
	struct instance	*in = sv->cfg->inst;
	struct pollfd	 pfd;
	struct frame	 f;
	long		 until;
	size_t		 i;
	int		 status, sig = SIGTERM;
	static const char gone[] = "the instance stopped";

	if (!sv->uml_gone && sv->ready) {
		/* Asked first: the agent ends its commands, syncs, powers off. */
		guest_send(sv, FRAME_STOP, 0, NULL, 0);
		until = now_ms() + SUPERVISE_STOP_WAIT * 1000;
		pfd.fd = sv->from_guest;
		pfd.events = POLLIN;
		/* Still under the link's window: the agent's reads free it. */
		while (guest_flush(sv), now_ms() < until &&
		    poll(&pfd, 1, 100) >= 0) {
			if (pfd.revents == 0)
				continue;
			if (frame_fill(sv->from_guest, &sv->guest_in) <= 0)
				break;
			while (frame_next(&sv->guest_in, &f)) {
				from_agent(sv, &f);
				frame_drop(&sv->guest_in, &f);
			}
		}
	}
	close(sv->to_guest);
	close(sv->from_guest);
	/*
	 * Then made to: the keeper's spawn kills UML's whole group. A guest
	 * not ready yet has no agent to ask, so at once.
	 */
	until = now_ms() + (sv->ready ? SUPERVISE_STOP_WAIT * 1000 : 0);
	while (waitpid(sv->keeper, &status, WNOHANG) == 0) {
		if (now_ms() >= until) {
			kill(sv->keeper, sig);
			sig = SIGKILL;
			until = now_ms() + 5000;
		}
		usleep(10000);
	}
	for (i = 0; i < SUPERVISE_CLIENTS; i++) {
		struct client *c = &sv->clients[i];

		if (c->fd == -1)
			continue;
		if (c->stream != 0 && !c->done)
			client_send(c, FRAME_ERROR, gone, strlen(gone));
		fcntl(c->fd, F_SETFL, 0);
		client_flush(sv, c);
	}
	tell_failure(sv, "the guest ended");
	fprintf(stderr, "rootstrap: instance %s stopped\n", in->name);
	instance_forget(in->name, in->dir);
	/* The stoppers learn it by our exit, which closes their sockets. */
	_exit(0);
}

static void __attribute__((noreturn))
supervise_loop(struct sv *sv)
{
	struct pollfd	 pfd[4 + SUPERVISE_CLIENTS];
	struct signalfd_siginfo si;
	struct frame	 f;
	struct client	*c;
	long		 deadline, ready_by, wait;
	size_t		 i, n;

	ready_by = now_ms() + (long)sv->cfg->ready_timeout * 1000;
	sv->last_active = now_ms();
	for (;;) {
		guest_flush(sv);
		n = 0;
		pfd[n].fd = sv->from_guest;
		pfd[n++].events = POLLIN;
		pfd[n].fd = sv->guest_sent < sv->guest_out.len &&
		    sv->link_inflight < FRAME_LINK_WINDOW ? sv->to_guest : -1;
		pfd[n++].events = POLLOUT;
		pfd[n].fd = sv->ready ? sv->ctl : sv->ready_fd;
		pfd[n++].events = sv->ready ? POLLIN : 0;
		pfd[n].fd = sv->sfd;
		pfd[n++].events = POLLIN;
		for (i = 0; i < SUPERVISE_CLIENTS; i++) {
			c = &sv->clients[i];
			pfd[n].fd = c->fd;
			/* The guest's link slower than the input: it waits. */
			pfd[n++].events = (sv->guest_out.len - sv->guest_sent <
			    SUPERVISE_BACKLOG && c->inflight < FRAME_WINDOW ?
			    POLLIN : 0) |
			    (c->out.len > c->sent ? POLLOUT : 0);
		}
		deadline = -1;
		if (!sv->ready)
			deadline = ready_by;
		else if (sv->cfg->inst->idle > 0 && nclients(sv) == 0)
			deadline = sv->last_active +
			    (long)sv->cfg->inst->idle * 1000;
		wait = deadline == -1 ? -1 : deadline - now_ms();
		if (deadline != -1 && wait < 0)
			wait = 0;
		if (poll(pfd, n, wait > 60000 ? 60000 : (int)wait) == -1 &&
		    errno != EINTR)
			teardown(sv);
		if (!sv->ready && now_ms() >= ready_by) {
			char *why;

			xasprintf(&why, "the guest was not ready after %d s",
			    sv->cfg->ready_timeout);
			tell_failure(sv, why);
			free(why);
			teardown(sv);
		}
		if (sv->ready && deadline != -1 && now_ms() >= deadline) {
			fprintf(stderr, "rootstrap: idle for %d s\n",
			    sv->cfg->inst->idle);
			teardown(sv);
		}
		if (pfd[3].revents & POLLIN) {
			while (read(sv->sfd, &si, sizeof si) > 0)
				continue;
			teardown(sv);
		}
		/* Start was killed before the guest was ready. */
		if (!sv->ready && (pfd[2].revents & (POLLERR | POLLHUP))) {
			fprintf(stderr, "rootstrap: start went away\n");
			close(sv->ready_fd);
			sv->ready_fd = -1;
			teardown(sv);
		}
		if (pfd[0].revents) {
			if (frame_fill(sv->from_guest, &sv->guest_in) <= 0) {
				sv->uml_gone = 1;
				tell_failure(sv, "the guest ended before it "
				    "was ready");
				teardown(sv);
			}
			while (frame_next(&sv->guest_in, &f)) {
				from_agent(sv, &f);
				frame_drop(&sv->guest_in, &f);
			}
			sv->last_active = now_ms();
		}
		if (sv->ready && (pfd[2].revents & POLLIN))
			client_accept(sv);
		for (i = 0; i < SUPERVISE_CLIENTS; i++) {
			c = &sv->clients[i];
			if (c->fd == -1 || pfd[4 + i].fd != c->fd)
				continue;
			if (pfd[4 + i].revents & (POLLIN | POLLHUP | POLLERR)) {
				if (frame_fill(c->fd, &c->in) <= 0) {
					/* Gone before its end: so is its command. */
					client_abandon(sv, c);
					client_close(c);
					continue;
				}
				while (!c->refused && frame_next(&c->in, &f)) {
					from_client(sv, c, &f);
					frame_drop(&c->in, &f);
				}
				if (c->refused)
					buf_free(&c->in);
			}
			sv->last_active = now_ms();
		}
		for (i = 0; i < SUPERVISE_CLIENTS; i++) {
			c = &sv->clients[i];
			if (c->fd == -1)
				continue;
			client_flush(sv, c);
			if (c->done && c->out.len == 0 && c->refused)
				shutdown(c->fd, SHUT_WR);
			else if (c->done && c->out.len == 0)
				client_close(c);
		}
		if (sv->stopping)
			teardown(sv);
	}
}

/* The control socket, ours alone, bound and listening: its fd, or -1. */
static int
control_listen(const char *dir, char **cause)
{
	struct sockaddr_un	 sa;
	mode_t			 old;
	int			 fd;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s/control",
	    dir) >= sizeof sa.sun_path) {
		xasprintf(cause, "%s/control: too long for a socket's name "
		    "(a shorter TMPDIR?)", dir);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    listen(fd, 64) == -1) {
		xasprintf(cause, "%s: %s", sa.sun_path, strerror(errno));
		umask(old);
		close(fd);
		return (-1);
	}
	umask(old);
	return (fd);
}

/*
 * What we inherited from whoever ran start (a test harness's pipes, a
 * terminal) is closed: an instance holding them would keep its caller
 * waiting. Ours are all close-on-exec (the locks among them), theirs not.
 */
static void
close_inherited(void)
{
	int	 fd, flags;

	for (fd = 3; fd < 1024; fd++) {
		if ((flags = fcntl(fd, F_GETFD)) != -1 &&
		    !(flags & FD_CLOEXEC))
			close(fd);
	}
}

/* The supervisor's body, after the fork: never returns. */
static void __attribute__((noreturn))
supervise(struct sv *sv, int ready_fd)
{
	const struct uml	*u = sv->cfg->uml;
	struct instance		*in = sv->cfg->inst;
	sigset_t		 set;
	char			*path, *cause = NULL;
	pid_t			 me = getpid();
	int			 fd, down[2], up[2];

	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	setsid();
	signal(SIGPIPE, SIG_IGN);
	xasprintf(&path, "%s/log", in->dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) != -1) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	free(path);
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	close_inherited();
	log_fd = STDERR_FILENO;
	sv->ready_fd = ready_fd;
	in->pid = me;
	if (instance_write(in, &cause) != 0 || pipe2(down, O_CLOEXEC) == -1 ||
	    pipe2(up, O_CLOEXEC) == -1) {
		tell_failure(sv, cause != NULL ? cause : strerror(errno));
		instance_forget(in->name, in->dir);
		_exit(1);
	}
	if ((sv->keeper = fork()) == -1) {
		tell_failure(sv, strerror(errno));
		instance_forget(in->name, in->dir);
		_exit(1);
	}
	if (sv->keeper == 0) {
		close(sv->ctl);
		close(ready_fd);
		close(down[1]);
		close(up[0]);
		keeper(u, me, down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	sv->to_guest = down[1];
	sv->from_guest = up[0];
	fcntl(sv->to_guest, F_SETFL, O_NONBLOCK);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sv->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	supervise_loop(sv);
}

/*
 * Fork the supervisor and wait until the guest is ready: 0, or -1 with
 * *cause (the instance removed by then).
 */
int
supervise_start(const struct supervise *cfg, char **cause)
{
	static struct sv	 sv;
	struct buf		 msg = { 0 };
	char			 chunk[512];
	ssize_t			 n;
	size_t			 i;
	pid_t			 pid;
	int			 p[2];

	memset(&sv, 0, sizeof sv);
	sv.cfg = cfg;
	for (i = 0; i < SUPERVISE_CLIENTS; i++)
		sv.clients[i].fd = -1;
	if ((sv.ctl = control_listen(cfg->inst->dir, cause)) == -1)
		return (-1);
	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		xasprintf(cause, "%s", strerror(errno));
		close(sv.ctl);
		return (-1);
	}
	if (pid == 0) {
		close(p[0]);
		supervise(&sv, p[1]);
	}
	close(p[1]);
	close(sv.ctl);
	for (;;) {
		n = read(p[0], chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(&msg, chunk, (size_t)n);
	}
	close(p[0]);
	if (msg.len > 0 && msg.s[0] == 'R') {
		buf_free(&msg);
		return (0);
	}
	if (msg.len > 1)
		*cause = xstrdup(msg.s + 1);
	else
		xasprintf(cause, "the supervisor (pid %ld) ended before the "
		    "guest was ready; see %s/log", (long)pid, cfg->inst->dir);
	if (msg.len > 1 && (*cause)[strlen(*cause) - 1] == '\n')
		(*cause)[strlen(*cause) - 1] = '\0';
	buf_free(&msg);
	return (-1);
}
