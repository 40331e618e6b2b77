/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml_net.h"

/*
 * The answer on fd 1, in protocol: the UML kernel waits for one without a
 * timeout, so every way out of the helper once fd 1 is known good answers
 * here, and only here. A leaf: it calls nothing else of uml_net's.
 */

static int	 reply_kind;	/* 0 until fd 1 is known good */

/* fd 1 is known to be a socket of this type: answer in protocol. */
void
reply_to(int kind)
{
	reply_kind = kind;
}

/* One datagram (up) or one length frame (add, del); fd: -1 for none. */
void
reply(const char *name, const char *text, int fd)
{
	char		 cbuf[CMSG_SPACE(sizeof(int))], ifname[IFNAMSIZ];
	struct cmsghdr	*cmsg;
	struct msghdr	 msg;
	struct iovec	 iov[2];
	int		 len = (int)strlen(text) + 1;
	ssize_t		 n;

	memset(&msg, 0, sizeof msg);
	if (reply_kind == SOCK_DGRAM) {
		memset(ifname, 0, sizeof ifname);
		if (name != NULL)
			strncpy(ifname, name, IFNAMSIZ - 1);
		iov[0].iov_base = ifname;
		iov[0].iov_len = name != NULL ? IFNAMSIZ : 0;
		if (fd != -1) {
			memset(cbuf, 0, sizeof cbuf);
			msg.msg_control = cbuf;
			msg.msg_controllen = sizeof cbuf;
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
		}
	} else {
		iov[0].iov_base = &len;
		iov[0].iov_len = sizeof len;
	}
	iov[1].iov_base = (void *)text;
	iov[1].iov_len = (size_t)len;
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	do
		n = sendmsg(STDOUT_FILENO, &msg, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		fprintf(stderr, "uml_net: answering on fd 1: %s\n",
		    strerror(errno));
}

/* The answer to every failure; the text ends up in the guest's log. */
void
refuse(const char *fmt, ...)
{
	char	 msg[1024], text[1100];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(text, sizeof text, "uml_net: %s\n", msg);
	if (reply_kind == 0)
		fputs(text, stderr);
	else
		reply(NULL, text, -1);
	exit(1);
}

