/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml_net.h"

/*
 * Tap devices. Each caller's taps are named umlt<uid>n<k>, so a name alone
 * tells whose it is, and add/del can refuse any interface that is not one
 * of the caller's own: the prefix, the tun driver's type and the owner the
 * kernel records must all agree. All three come from one rtnetlink
 * message per interface (links_load), together with its index, so that
 * what was checked is what is then acted on: the index, which the kernel
 * does not give to another interface while this one exists.
 */

void
tap_name_prefix(uid_t uid, char *buf, size_t len)
{
	snprintf(buf, len, TAP_PREFIX "%lun", (unsigned long)uid);
}

int
tap_exists(const char *name)
{
	char	 path[64];

	snprintf(path, sizeof path, "/sys/class/net/%s", name);
	return (access(path, F_OK) == 0);
}

/* umlt<uid>n<k>, with k digits only. */
static int
tap_named(const char *name, const char *prefix)
{
	size_t	 len = strlen(prefix);

	return (strncmp(name, prefix, len) == 0 && name[len] != '\0' &&
	    strspn(name + len, "0123456789") == strlen(name + len));
}

struct links_ctx {
	struct links	*links;
	uid_t		 uid;
	char		 prefix[IFNAMSIZ + 16];
};

/* IFLA_LINKINFO of a tun device: its type and owner. */
static void
link_tun(const struct nlattr *info, struct link *l)
{
	const struct nlattr	*a, *b;
	int			 tun = 0;

	mnl_attr_for_each_nested(a, info) {
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			tun = strcmp(mnl_attr_get_str(a), "tun") == 0;
	}
	if (!tun)
		return;
	mnl_attr_for_each_nested(a, info) {
		if (mnl_attr_get_type(a) != IFLA_INFO_DATA)
			continue;
		mnl_attr_for_each_nested(b, a) {
			if (mnl_attr_get_type(b) == IFLA_TUN_TYPE &&
			    mnl_attr_validate(b, MNL_TYPE_U8) == 0)
				l->tap = mnl_attr_get_u8(b) == IFF_TAP;
			else if (mnl_attr_get_type(b) == IFLA_TUN_OWNER &&
			    mnl_attr_validate(b, MNL_TYPE_U32) == 0)
				l->owner = (long)mnl_attr_get_u32(b);
		}
	}
}

static int
link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct links_ctx	*c = data;
	struct links		*ls = c->links;
	struct ifinfomsg	*ifi;
	struct nlattr		*a;
	struct link		*l, *v;

	if (nlh == NULL) {
		ls->n = 0;
		return (MNL_CB_OK);
	}
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index <= 0)
		return (MNL_CB_OK);
	if ((ls->n & 15) == 0) {
		if ((v = reallocarray(ls->v, (size_t)ls->n + 16,
		    sizeof *v)) == NULL)
			refuse("out of memory");
		ls->v = v;
	}
	l = &ls->v[ls->n++];
	memset(l, 0, sizeof *l);
	l->index = ifi->ifi_index;
	l->owner = -1;
	mnl_attr_for_each(a, nlh, sizeof *ifi) {
		if (mnl_attr_get_type(a) == IFLA_IFNAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
		    strlen(mnl_attr_get_str(a)) < IFNAMSIZ)
			memcpy(l->name, mnl_attr_get_str(a),
			    strlen(mnl_attr_get_str(a)) + 1);
		else if (mnl_attr_get_type(a) == IFLA_LINKINFO)
			link_tun(a, l);
	}
	l->named = tap_named(l->name, c->prefix);
	l->ours = l->named && l->tap && l->owner == (long)c->uid;
	return (MNL_CB_OK);
}

/* Every interface of the host, and which are the caller's taps. */
void
links_load(struct links *ls, uid_t uid)
{
	struct links_ctx	 c;
	struct ifinfomsg	 ifi = { .ifi_family = AF_UNSPEC };

	memset(ls, 0, sizeof *ls);
	c.links = ls;
	c.uid = uid;
	tap_name_prefix(uid, c.prefix, sizeof c.prefix);
	if (rtnl_dump(RTM_GETLINK, &ifi, sizeof ifi, link_cb, &c) == -1)
		refuse("listing the host's interfaces: %s", strerror(errno));
}

const struct link *
links_find(const struct links *ls, int index)
{
	int	 i;

	for (i = 0; i < ls->n; i++) {
		if (ls->v[i].index == index)
			return (&ls->v[i]);
	}
	return (NULL);
}

/* How many taps the caller has now, for max_taps. */
int
links_named(const struct links *ls)
{
	int	 i, n = 0;

	for (i = 0; i < ls->n; i++)
		n += ls->v[i].named;
	return (n);
}

/*
 * A new tap for uid: IFF_TAP|IFF_NO_PI (what UML reads and writes), not
 * persistent, so it goes away with the last descriptor: when UML exits,
 * however it exits. Returns the descriptor; name gets the interface name.
 * The quota is checked by the caller, under the lock (lock.c).
 */
int
tap_create(uid_t uid, char *name)
{
	char		 prefix[IFNAMSIZ + 16];
	struct ifreq	 ifr;
	int		 fd, k;

	tap_name_prefix(uid, prefix, sizeof prefix);
	if (strlen(prefix) + 1 >= IFNAMSIZ)
		refuse("uid %lu is too long for a tap name", (unsigned long)uid);
	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1)
		refuse("/dev/net/tun: %s", strerror(errno));
	for (k = 0; k < 1000; k++) {
		memset(&ifr, 0, sizeof ifr);
		if (snprintf(ifr.ifr_name, IFNAMSIZ, "%s%d", prefix, k) >=
		    IFNAMSIZ)
			break;
		if (tap_exists(ifr.ifr_name))
			continue;
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
		if (ioctl(fd, TUNSETIFF, &ifr) == 0)
			break;
		/* Taken since the check, not by uml_net: it holds the lock. */
		if (errno != EBUSY && errno != EEXIST && errno != EINVAL)
			refuse("TUNSETIFF %s: %s", ifr.ifr_name,
			    strerror(errno));
	}
	if (k == 1000 || strncmp(ifr.ifr_name, prefix, strlen(prefix)) != 0)
		refuse("no free tap name for uid %lu", (unsigned long)uid);
	/* A persistent tap of that name would be joined, not made: refuse. */
	if (ioctl(fd, TUNGETIFF, &ifr) == -1 || (ifr.ifr_flags & IFF_PERSIST))
		refuse("%s: exists already as a persistent tap", ifr.ifr_name);
	/* Owned by the caller, so UML (running as the caller) keeps access. */
	if (ioctl(fd, TUNSETOWNER, (unsigned long)uid) == -1)
		refuse("TUNSETOWNER %s: %s", ifr.ifr_name, strerror(errno));
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	return (fd);
}

/*
 * add/del only ever touch one of the caller's own taps: its index, as
 * the same message that named it, a tap, owned by the caller, gave it.
 */
int
tap_check(const struct links *ls, const char *dev, uid_t uid)
{
	char			 prefix[IFNAMSIZ + 16];
	const struct link	*l = NULL;
	size_t			 i, len = strlen(dev);

	if (len == 0 || len >= IFNAMSIZ)
		refuse("device '%.32s': not an interface name", dev);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)dev[i]))
			refuse("device '%s': not an interface name", dev);
	}
	tap_name_prefix(uid, prefix, sizeof prefix);
	if (!tap_named(dev, prefix))
		refuse("device %s: not one of the caller's taps (%s<k>)", dev,
		    prefix);
	for (i = 0; i < (size_t)ls->n && l == NULL; i++) {
		if (strcmp(ls->v[i].name, dev) == 0)
			l = &ls->v[i];
	}
	if (l == NULL)
		refuse("device %s: no such interface", dev);
	if (!l->tap)
		refuse("device %s: not a tap device", dev);
	if (l->owner != (long)uid)
		refuse("device %s: owned by uid %ld, not by the caller", dev,
		    l->owner);
	if (l->index <= 0)
		refuse("device %s: no interface index", dev);
	return (l->index);
}
