/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/ioctl.h>
#include <linux/if_tun.h>
#include <net/if.h>

#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml.h"

/*
 * [network] host_if: the host side is a tap an administrator made once
 * for the user (ip tuntap add tap0 mode tap user NAME) and gave the
 * host= address, as the rootstrap article sets it up. UML attaches to it
 * directly: no helper, no privilege. On a kernel with the legacy
 * transports UML opens it itself (eth0=tuntap,tap0); on the vector
 * driver's kernels rootstrap opens it and hands UML the descriptor, as
 * for the helper's taps (tuntap.c). Either way it is opened here first,
 * so a missing tap, or one this user may not open, stops the build
 * before UML starts, with the command that makes it.
 */

#define TUN_FLAGS	"/sys/class/net/%s/tun_flags"
#define TUN_OWNER	"/sys/class/net/%s/owner"

/* A user's name for a message, or "uid N". */
static char *
user_of(long uid)
{
	struct passwd	*pw;
	char		*s;

	if (uid >= 0 && (pw = getpwuid((uid_t)uid)) != NULL)
		return (xstrdup(pw->pw_name));
	xasprintf(&s, "uid %ld", uid);
	return (s);
}

/* The tap's owner, as ip tuntap ... user set it; -1: none. */
static long
tap_owner(const char *name)
{
	char	*path, *s;
	long	 uid;

	xasprintf(&path, TUN_OWNER, name);
	s = file_read(path, 64, NULL);
	free(path);
	uid = s != NULL ? strtol(s, NULL, 10) : -1;
	free(s);
	return (uid);
}

/* Whether name is a tap (not a tun, not another kind of interface). */
static int
hostif_kind(const char *name, char **cause)
{
	char		*path, *s, *me;
	unsigned long	 flags;

	if (if_nametoindex(name) == 0) {
		me = user_of((long)getuid());
		xasprintf(cause, "host_if=%s: no such interface (an "
		    "administrator makes it once: ip tuntap add %s mode tap "
		    "user %s, then gives it the host= address)", name, name,
		    me);
		free(me);
		return (-1);
	}
	xasprintf(&path, TUN_FLAGS, name);
	s = file_read(path, 64, NULL);
	free(path);
	if (s == NULL) {
		xasprintf(cause, "host_if=%s: not a tap device", name);
		return (-1);
	}
	flags = strtoul(s, NULL, 16);
	free(s);
	if ((flags & IFF_TAP) == 0) {
		xasprintf(cause, "host_if=%s: a tun device, not a tap (ip "
		    "tuntap add %s mode tap)", name, name);
		return (-1);
	}
	return (0);
}

/*
 * The tap named host_if, opened: its descriptor in t->fd. 0, or -1 with
 * *cause. Only an existing tap: TUNSETIFF would make a new one for a
 * caller with CAP_NET_ADMIN, which is not what host_if asks for.
 */
int
hostif_open(struct tuntap *t, const char *name, char **cause)
{
	struct ifreq	 ifr;
	char		*me, *owner;
	int		 fd;

	memset(t, 0, sizeof *t);
	t->fd = -1;
	if (!ifname_valid(name)) {
		xasprintf(cause, "host_if: invalid interface name '%s'", name);
		return (-1);
	}
	if (hostif_kind(name, cause) != 0)
		return (-1);
	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1) {
		xasprintf(cause, "host_if=%s: /dev/net/tun: %s%s", name,
		    strerror(errno), errno == EACCES ? " (Debian makes it "
		    "mode 0666: the tap's owner is the access check)" : "");
		return (-1);
	}
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		if (errno == EPERM) {
			me = user_of((long)getuid());
			owner = user_of(tap_owner(name));
			xasprintf(cause, "host_if=%s: %s may not open it (its "
			    "owner is %s; ip tuntap add %s mode tap user %s "
			    "makes one for %s)", name, me, owner, name, me, me);
			free(owner);
			free(me);
		} else if (errno == EBUSY)
			xasprintf(cause, "host_if=%s: in use (by another UML?)",
			    name);
		else
			xasprintf(cause, "host_if=%s: %s", name,
			    strerror(errno));
		close(fd);
		return (-1);
	}
	t->fd = fd;
	snprintf(t->name, sizeof t->name, "%s", name);
	return (0);
}
