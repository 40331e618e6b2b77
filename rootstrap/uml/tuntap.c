/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/socket.h>
#include <sys/uio.h>
#include <net/if.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml.h"

/*
 * transport=tuntap on a kernel without the legacy ethN= transports (Linux
 * 6.16 on). The legacy driver ran the uml_net helper itself: "tuntap up
 * GATE" for a tap device, handed back as a descriptor, then "add DEV
 * ADDR NETMASK" for the guest's route and NAT once the guest had its
 * address. The vector driver does neither, so rootstrap asks the same
 * helper, in the same protocol (doc/uml-net.8), before the boot, and
 * hands the tap to UML as vecN:transport=fd; "del" after it.
 */

#define ANSWER_MAX	4096
#define HELPER_TIMEOUT	30

/* Run helper with args, fd 1 one end of a socketpair of type. */
static int
helper_run(struct tuntap *t, char *const *argv, int type, int *sock,
    char **cause)
{
	struct spawn		 sp;
	struct spawn_result	 r;
	int			 sv[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == -1) {
		xasprintf(cause, "socketpair: %s", strerror(errno));
		return (-1);
	}
	memset(&sp, 0, sizeof sp);
	sp.argv = argv;
	sp.timeout = HELPER_TIMEOUT;
	sp.give[0].fd = sv[1];
	sp.give[0].as = STDOUT_FILENO;
	sp.ngive = 1;
	spawn(&sp, &r);
	close(sv[1]);
	if (r.end != SPAWN_EXITED) {
		xasprintf(cause, "%s: %s", t->helper, r.cause);
		free(r.cause);
		close(sv[0]);
		return (-1);
	}
	*sock = sv[0];
	return (r.code);
}

/* The helper's text, one line, for a message. */
static void
answer_text(char *text, size_t len)
{
	text[len] = '\0';
	text[strcspn(text, "\n")] = '\0';
}

/*
 * uml_net 4 tuntap up GATE: one datagram, the interface's name in 16
 * bytes, then text, with the tap as SCM_RIGHTS; a refusal is text alone.
 */
static int
tuntap_open(struct tuntap *t, const char *gate, char **cause)
{
	char		 buf[IFNAMSIZ + ANSWER_MAX + 1];
	char		 cbuf[CMSG_SPACE(sizeof(int))];
	char		*argv[] = { (char *)t->helper, "4", "tuntap", "up",
			    (char *)gate, NULL };
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	ssize_t		 n;
	int		 sock, rc;

	if ((rc = helper_run(t, argv, SOCK_DGRAM, &sock, cause)) < 0)
		return (-1);
	memset(&msg, 0, sizeof msg);
	iov.iov_base = buf;
	iov.iov_len = sizeof buf - 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof cbuf;
	n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	close(sock);
	cmsg = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (cmsg != NULL && cmsg->cmsg_level == SOL_SOCKET &&
	    cmsg->cmsg_type == SCM_RIGHTS &&
	    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&t->fd, CMSG_DATA(cmsg), sizeof t->fd);
	if (rc == 0 && t->fd != -1 && n > IFNAMSIZ &&
	    memchr(buf, '\0', IFNAMSIZ) != NULL && buf[0] != '\0') {
		memcpy(t->name, buf, IFNAMSIZ);
		return (0);
	}
	if (n > 0)
		answer_text(buf, n);
	else
		snprintf(buf, sizeof buf, "no answer (status %d)", rc);
	xasprintf(cause, "%s: %s", t->helper, buf);
	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
	return (-1);
}

/* uml_net 4 add|del DEV ADDR NETMASK: a frame, an int then text. */
static int
tuntap_route(struct tuntap *t, const char *op, char **cause)
{
	char	 text[ANSWER_MAX + 1];
	char	*argv[] = { (char *)t->helper, "4", (char *)op, t->name,
		    t->addr, t->mask, NULL };
	ssize_t	 n;
	int	 len = 0, sock, rc;

	if ((rc = helper_run(t, argv, SOCK_STREAM, &sock, cause)) < 0)
		return (-1);
	if (read(sock, &len, sizeof len) == sizeof len && len > 0 &&
	    len <= ANSWER_MAX && (n = read(sock, text, len)) > 0)
		answer_text(text, n);
	else
		snprintf(text, sizeof text, "no answer");
	close(sock);
	if (rc == 0)
		return (0);
	xasprintf(cause, "%s %s %s: %s", t->helper, op, t->addr, text);
	return (-1);
}

/*
 * The tap for net ([network] host, uml, netmask), from the helper: its
 * descriptor in t->fd, the guest's route and NAT set up. 0, or -1 with
 * *cause and nothing left.
 */
int
tuntap_up(struct tuntap *t, const env_t *net, const char *helper,
    char **cause)
{
	memset(t, 0, sizeof *t);
	t->fd = -1;
	t->helper = helper;
	t->addr = xstrdup(env_get(net, "uml"));
	t->mask = xstrdup(env_get(net, "netmask"));
	if (tuntap_open(t, env_get(net, "host"), cause) != 0 ||
	    tuntap_route(t, "add", cause) != 0) {
		tuntap_down(t);
		return (-1);
	}
	t->routed = 1;
	log_info("%s: %s (tap %s for %s)", t->helper, env_get(net, "host"),
	    t->name, t->addr);
	return (0);
}

/* The route and NAT rule gone, and the tap with the last descriptor. */
void
tuntap_down(struct tuntap *t)
{
	char	*cause = NULL;

	if (t->routed && tuntap_route(t, "del", &cause) != 0)
		log_warnx("%s", cause);
	free(cause);
	if (t->fd != -1)
		close(t->fd);
	free(t->addr);
	free(t->mask);
	memset(t, 0, sizeof *t);
	t->fd = -1;
}
