/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/if_tun.h>

#include <ctype.h>
#include <dirent.h>
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
 * of the caller's own: the prefix, the tun driver's flags and the owner
 * the kernel records must all agree.
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

/* A small sysfs attribute as a number; -1 if it is missing. */
static long
sysfs_number(const char *name, const char *attr, int base)
{
	char	 path[96], buf[32], *end;
	ssize_t	 n;
	long	 v;
	int	 fd;

	snprintf(path, sizeof path, "/sys/class/net/%s/%s", name, attr);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, base);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0'))
		return (-1);
	return (v);
}

/* How many taps the caller has now, for the quota. */
static int
tap_count(const char *prefix)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir("/sys/class/net")) == NULL)
		refuse("/sys/class/net: %s", strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	}
	closedir(d);
	return (n);
}

/*
 * A new tap for uid: IFF_TAP|IFF_NO_PI (what UML reads and writes), not
 * persistent, so it goes away with the last descriptor: when UML exits,
 * however it exits. Returns the descriptor; name gets the interface name.
 */
int
tap_create(uid_t uid, int quota, char *name)
{
	char		 prefix[IFNAMSIZ + 16];
	struct ifreq	 ifr;
	int		 fd, k;

	tap_name_prefix(uid, prefix, sizeof prefix);
	if (strlen(prefix) + 1 >= IFNAMSIZ)
		refuse("uid %lu is too long for a tap name", (unsigned long)uid);
	if (quota > 0 && tap_count(prefix) >= quota)
		refuse("uid %lu already has %d taps, the policy's max_taps",
		    (unsigned long)uid, quota);
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
		/* Another call took the name between the check and here. */
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

/* add/del only ever touch one of the caller's own taps. */
void
tap_check(const char *dev, uid_t uid)
{
	char	 prefix[IFNAMSIZ + 16];
	size_t	 i, len = strlen(dev);
	long	 flags, owner;

	if (len == 0 || len >= IFNAMSIZ)
		refuse("device '%.32s': not an interface name", dev);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)dev[i]))
			refuse("device '%s': not an interface name", dev);
	}
	tap_name_prefix(uid, prefix, sizeof prefix);
	if (strncmp(dev, prefix, strlen(prefix)) != 0 ||
	    strspn(dev + strlen(prefix), "0123456789") !=
	    strlen(dev + strlen(prefix)) || dev[strlen(prefix)] == '\0')
		refuse("device %s: not one of the caller's taps (%s<k>)", dev,
		    prefix);
	if (!tap_exists(dev))
		refuse("device %s: no such interface", dev);
	if ((flags = sysfs_number(dev, "tun_flags", 16)) == -1 ||
	    (flags & IFF_TAP) == 0)
		refuse("device %s: not a tap device", dev);
	if ((owner = sysfs_number(dev, "owner", 10)) != (long)uid)
		refuse("device %s: owned by uid %ld, not by the caller", dev,
		    owner);
}
