/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "uml.h"

/*
 * transport=user: a user-mode NAT for the guest, run by rootstrap itself
 * with libslirp, so the guest reaches the mirror with neither root, nor a
 * tap, nor the legacy eth0=slirp transport that mainline UML dropped in
 * 6.16. The guest's vecN interface uses UML's vector driver on a file
 * descriptor it inherits (vecN:transport=fd,fd=USERNET_FD): one end of a
 * SOCK_SEQPACKET socketpair, each message one Ethernet frame, no header
 * (arch/um/drivers/vector_user.c, user_init_fd_fds; the fd transport adds
 * no vnet header, and a socket handles recvmmsg, so vec=0 is not needed).
 * The other end is served by a process spawn() runs beside UML, in UML's
 * process group, which ends when the guest's end closes.
 */

#define USERNET_MAXPOLL	256		/* host sockets libslirp watches */
#define USERNET_TIMERS	4		/* libslirp 4.7 has one: IPv6 RA */
#define USERNET_FRAME	65536		/* larger than any MTU UML allows */

struct usernet_timer {
	int		 used;
	SlirpTimerId	 id;
	void		*cb_opaque;
	int64_t		 expire_ms;	/* -1: not armed */
};

struct usernet {
	int			 guest_fd;	/* UML's end */
	int			 host_fd;	/* ours */
	struct in_addr		 net, mask, host, dns, dhcp;
	Slirp			*slirp;
	struct pollfd		 pfd[1 + USERNET_MAXPOLL];
	int			 npfd;
	struct usernet_timer	 timers[USERNET_TIMERS];
	struct spawn_peer	 peer;
};

static int	 usernet_main(void *);
static int	 usernet_start(struct usernet *, const struct strv *, char **);

static int64_t
clock_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Addresses from [network]; network_check made sure they fit together. */
static void
usernet_addresses(struct usernet *un, const env_t *env)
{
	struct in_addr	 guest;

	inet_pton(AF_INET, env_get(env, "uml"), &guest);
	inet_pton(AF_INET, env_get(env, "netmask"), &un->mask);
	inet_pton(AF_INET, env_get(env, "gateway"), &un->host);
	inet_pton(AF_INET, env_get(env, "nameserver"), &un->dns);
	un->net.s_addr = guest.s_addr & un->mask.s_addr;
	/* A guest that asks by DHCP gets the address it was configured. */
	un->dhcp = guest;
}

/*
 * The NAT for a guest with the [network] settings env: a socketpair whose
 * guest end UML gets as its fd USERNET_FD (usernet_peer says how), and
 * whose other end the NAT process serves, listening already on the host
 * ports forwards asks for (usernet_forward). NULL, with *cause, if it
 * cannot be made or a port cannot be had.
 */
struct usernet *
usernet_new(const env_t *env, const struct strv *forwards, char **cause)
{
	struct usernet	*un;
	int		 fds[2];

	un = xcalloc(1, sizeof *un);
	un->guest_fd = un->host_fd = -1;
	usernet_addresses(un, env);
	/*
	 * SOCK_SEQPACKET rather than SOCK_DGRAM: frames keep their bounds
	 * either way, but only a connected stream-like socket tells us (by
	 * POLLHUP) that UML has gone.
	 */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == -1) {
		xasprintf(cause, "socketpair: %s", strerror(errno));
		usernet_free(un);
		return (NULL);
	}
	/* Clear of the low descriptors spawn.c sets up in UML's process. */
	un->guest_fd = fcntl(fds[0], F_DUPFD_CLOEXEC, 10);
	un->host_fd = fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
	close(fds[0]);
	close(fds[1]);
	if (un->guest_fd == -1 || un->host_fd == -1) {
		xasprintf(cause, "fcntl: %s", strerror(errno));
		usernet_free(un);
		return (NULL);
	}
	if (usernet_start(un, forwards, cause) != 0) {
		usernet_free(un);
		return (NULL);
	}
	un->peer.name = "user-mode network";
	un->peer.main = usernet_main;
	un->peer.arg = un;
	return (un);
}

/*
 * The NAT as spawn() runs it beside UML, and the descriptor UML gets as
 * its USERNET_FD.
 */
const struct spawn_peer *
usernet_peer(struct usernet *un, struct spawn_fd *give)
{
	give->fd = un->guest_fd;
	give->as = USERNET_FD;
	return (&un->peer);
}

void
usernet_free(struct usernet *un)
{
	if (un->guest_fd != -1)
		close(un->guest_fd);
	if (un->host_fd != -1)
		close(un->host_fd);
	/* Our copies of the listening sockets: the NAT process has its own. */
	if (un->slirp != NULL)
		slirp_cleanup(un->slirp);
	free(un);
}

/* libslirp's callbacks. */

static ssize_t
cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct usernet	*un = opaque;
	ssize_t		 n;

	/*
	 * Blocking: UML drains its end as its interrupt handler runs, and
	 * its own sends never block, so waiting here cannot deadlock, and a
	 * frame waited for is one TCP need not resend.
	 */
	do
		n = send(un->host_fd, buf, len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return (n);
}

static void
cb_guest_error(const char *msg, void *opaque)
{
	log_debug("%s: %s", __func__, msg);
}

static int64_t
cb_clock_get_ns(void *opaque)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

static void *
cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct usernet	*un = opaque;
	size_t		 i;

	for (i = 0; i < USERNET_TIMERS; i++) {
		if (!un->timers[i].used) {
			un->timers[i].used = 1;
			un->timers[i].id = id;
			un->timers[i].cb_opaque = cb_opaque;
			un->timers[i].expire_ms = -1;
			return (&un->timers[i]);
		}
	}
	fatal("user-mode network: more than %d timers", USERNET_TIMERS);
}

static void
cb_timer_free(void *timer, void *opaque)
{
	struct usernet_timer	*t = timer;

	t->used = 0;
}

static void
cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct usernet_timer	*t = timer;

	t->expire_ms = expire_ms;
}

static void
cb_nothing(int fd, void *opaque)
{
}

static void
cb_notify(void *opaque)
{
}

static int
cb_add_poll(int fd, int events, void *opaque)
{
	struct usernet	*un = opaque;
	struct pollfd	*p;

	if (un->npfd == 1 + USERNET_MAXPOLL)
		fatal("user-mode network: more than %d sockets",
		    USERNET_MAXPOLL);
	p = &un->pfd[un->npfd];
	p->fd = fd;
	p->events = 0;
	if (events & SLIRP_POLL_IN)
		p->events |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		p->events |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		p->events |= POLLPRI;
	p->revents = 0;
	return (un->npfd++);
}

static int
cb_get_revents(int idx, void *opaque)
{
	struct usernet	*un = opaque;
	short		 r = un->pfd[idx].revents;
	int		 events = 0;

	if (r & POLLIN)
		events |= SLIRP_POLL_IN;
	if (r & POLLOUT)
		events |= SLIRP_POLL_OUT;
	if (r & POLLPRI)
		events |= SLIRP_POLL_PRI;
	if (r & POLLERR)
		events |= SLIRP_POLL_ERR;
	if (r & POLLHUP)
		events |= SLIRP_POLL_HUP;
	return (events);
}

static const SlirpCb usernet_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_nothing,
	.unregister_poll_fd = cb_nothing,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

/*
 * A port forward, -p [ADDR:]HOSTPORT:GUESTPORT[/udp|/tcp]: connections to
 * ADDR (default 127.0.0.1, so that only this host reaches the guest)
 * port HOSTPORT go to the guest's GUESTPORT. 0, or -1 with *cause.
 */
int
usernet_forward(const char *spec, struct usernet_forward *f, char **cause)
{
	struct strv	 parts = { 0 };
	char		*copy = xstrdup(spec), *proto;
	const char	*addr = "127.0.0.1";
	uint64_t	 hport, gport;
	int		 rc = -1;

	memset(f, 0, sizeof *f);
	if ((proto = strrchr(copy, '/')) != NULL) {
		*proto++ = '\0';
		f->udp = strcmp(proto, "udp") == 0;
	}
	strv_split(&parts, copy, ":");
	if (parts.n == 3)
		addr = parts.v[0];
	if (proto != NULL && strcmp(proto, "udp") != 0 &&
	    strcmp(proto, "tcp") != 0)
		xasprintf(cause, "%s: '%s' is neither tcp nor udp", spec,
		    proto);
	else if (strchr(copy, ':') == NULL || (parts.n != 2 && parts.n != 3)
	    || copy[strlen(copy) - 1] == ':' || copy[0] == ':')
		xasprintf(cause, "%s: not [ADDR:]HOSTPORT:GUESTPORT[/udp]",
		    spec);
	else if (inet_pton(AF_INET, addr, &f->host) != 1)
		xasprintf(cause, "%s: invalid IPv4 address '%s'", spec, addr);
	else if (parse_uint(parts.v[parts.n - 2], 65535, &hport) != 0 ||
	    hport == 0)
		xasprintf(cause, "%s: invalid host port '%s'", spec,
		    parts.v[parts.n - 2]);
	else if (parse_uint(parts.v[parts.n - 1], 65535, &gport) != 0 ||
	    gport == 0)
		xasprintf(cause, "%s: invalid guest port '%s'", spec,
		    parts.v[parts.n - 1]);
	else {
		f->host_port = (int)hport;
		f->guest_port = (int)gport;
		rc = 0;
	}
	strv_free(&parts);
	free(copy);
	return (rc);
}

/*
 * libslirp, made here rather than in the NAT process so that the ports
 * forwarded are listened on before UML starts: one already taken is an
 * error before the guest boots, not after. The NAT process inherits it.
 */
static int
usernet_start(struct usernet *un, const struct strv *forwards, char **cause)
{
	struct usernet_forward	 f;
	struct in_addr		 guest = un->dhcp;
	SlirpConfig		 cfg;
	char			 addr[INET_ADDRSTRLEN];
	size_t			 i;

	memset(&cfg, 0, sizeof cfg);
	cfg.version = 4;
	cfg.in_enabled = true;
	cfg.vnetwork = un->net;
	cfg.vnetmask = un->mask;
	cfg.vhost = un->host;
	cfg.vnameserver = un->dns;
	cfg.vdhcp_start = un->dhcp;
	/* The guest is configured for IPv4 alone. */
	cfg.in6_enabled = false;
	if ((un->slirp = slirp_new(&cfg, &usernet_callbacks, un)) == NULL) {
		xasprintf(cause, "user-mode network: libslirp could not start");
		return (-1);
	}
	for (i = 0; forwards != NULL && i < forwards->n; i++) {
		if (usernet_forward(forwards->v[i], &f, cause) != 0)
			return (-1);
		errno = 0;
		if (slirp_add_hostfwd(un->slirp, f.udp, f.host, f.host_port,
		    guest, f.guest_port) != 0) {
			inet_ntop(AF_INET, &f.host, addr, sizeof addr);
			xasprintf(cause, "--publish %s: cannot listen on %s "
			    "port %d/%s: %s", forwards->v[i], addr,
			    f.host_port, f.udp ? "udp" : "tcp", errno != 0 ?
			    strerror(errno) : "refused by libslirp");
			return (-1);
		}
	}
	return (0);
}

/* Hand every frame UML has queued to libslirp; -1 once UML is gone. */
static int
usernet_from_guest(struct usernet *un, uint8_t *buf)
{
	ssize_t	 n;

	for (;;) {
		n = recv(un->host_fd, buf, USERNET_FRAME, MSG_DONTWAIT);
		if (n > 0) {
			slirp_input(un->slirp, buf, (int)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (0);
		return (-1);	/* 0: UML closed its end */
	}
}

/* Fire the timers that are due; the poll timeout until the next one. */
static uint32_t
usernet_timers(struct usernet *un, uint32_t timeout)
{
	struct usernet_timer	*t;
	int64_t			 now = clock_ms();
	size_t			 i;

	for (i = 0; i < USERNET_TIMERS; i++) {
		t = &un->timers[i];
		if (!t->used || t->expire_ms < 0)
			continue;
		if (t->expire_ms <= now) {
			t->expire_ms = -1;
			slirp_handle_timer(un->slirp, t->id, t->cb_opaque);
		} else if (t->expire_ms - now < timeout)
			timeout = (uint32_t)(t->expire_ms - now);
	}
	return (timeout);
}

/*
 * The NAT process: libslirp's poll loop on our end of the socketpair,
 * until UML closes its end. The guest's gateway address reaches the
 * host's loopback (libslirp does so unless disable_host_loopback), and its
 * nameserver address is libslirp's forwarder to the host's resolver.
 */
static int
usernet_main(void *arg)
{
	struct usernet	*un = arg;
	uint8_t		*buf;
	uint32_t	 timeout;
	int		 n, rc = 0;

	/* UML alone holds the guest's end: its closing is our end. */
	close(un->guest_fd);
	/* A name of its own in ps(1), beside UML's. */
	prctl(PR_SET_NAME, "rootstrap-net");
	buf = xmalloc(USERNET_FRAME);
	for (;;) {
		/* Slot 0 is UML; libslirp's sockets follow. */
		un->pfd[0].fd = un->host_fd;
		un->pfd[0].events = POLLIN;
		un->pfd[0].revents = 0;
		un->npfd = 1;
		timeout = UINT32_MAX;
		slirp_pollfds_fill(un->slirp, &timeout, cb_add_poll, un);
		timeout = usernet_timers(un, timeout);
		n = poll(un->pfd, un->npfd, timeout > INT32_MAX ? -1 :
		    (int)timeout);
		if (n == -1 && errno != EINTR) {
			log_error("user-mode network: poll: %s",
			    strerror(errno));
			rc = 1;
			break;
		}
		if (n > 0 && (un->pfd[0].revents & (POLLIN | POLLHUP |
		    POLLERR)) && usernet_from_guest(un, buf) != 0)
			break;
		slirp_pollfds_poll(un->slirp, n == -1, cb_get_revents, un);
		usernet_timers(un, 0);
	}
	slirp_cleanup(un->slirp);
	free(buf);
	return (rc);
}
