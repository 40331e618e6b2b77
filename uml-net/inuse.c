/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/socket.h>

#include <linux/neighbour.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "uml_net.h"

/*
 * Whether an address a caller asks for is one the host uses already.
 * A gate is a local address (the host answers ARP for it on every
 * interface) and a guest address gets a /32 route, which beats any
 * shorter one: either would take the address over from whoever has it.
 * So neither may be an address of the host, inside a network the host
 * has an address in or a route to, the gateway of any route or nexthop
 * object, or in the neighbour table (plain or proxy) -- unless what is
 * there is one of the caller's own taps. Default routes (length 0) are
 * the one exception, or nothing would be left: what they reach is kept
 * out by the policy's ranges, which is why their default is narrow.
 *
 * This is what the host looks like now. It holds against other uml_net
 * requests, which wait for the lock (lock.c); an address the host gets
 * later, from DHCP or an administrator, is not foreseen.
 */

struct inuse {
	uint32_t		 addr;
	const struct links	*links;
	char			*why;
	size_t			 len;
	int			 found;
};

static uint32_t
prefix_mask(unsigned int len)
{
	if (len == 0)
		return (0);
	return (htonl(len >= 32 ? 0xffffffffU : 0xffffffffU << (32 - len)));
}

/* Not one of the caller's taps (an unknown index included). */
static int
foreign(const struct links *ls, int index)
{
	const struct link	*l = links_find(ls, index);

	return (l == NULL || !l->ours);
}

static const char *
link_name(const struct links *ls, int index)
{
	const struct link	*l = links_find(ls, index);

	return (l != NULL && *l->name != '\0' ? l->name : "an interface");
}

/* The first reason found is the one given. */
static void __attribute__((format(printf, 2, 3)))
found(struct inuse *u, const char *fmt, ...)
{
	va_list	 ap;

	if (u->found++)
		return;
	va_start(ap, fmt);
	vsnprintf(u->why, u->len, fmt, ap);
	va_end(ap);
}

static int
addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct inuse		*u = data;
	struct ifaddrmsg	*ifa;
	struct nlattr		*a;
	struct in_addr		 net;
	uint32_t		 v, mask;
	char			 s[INET_ADDRSTRLEN];

	/* A dump read again: what was found was there, so it stays. */
	if (nlh == NULL)
		return (MNL_CB_OK);
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET)
		return (MNL_CB_OK);
	mask = prefix_mask(ifa->ifa_prefixlen);
	mnl_attr_for_each(a, nlh, sizeof *ifa) {
		if ((mnl_attr_get_type(a) != IFA_LOCAL &&
		    mnl_attr_get_type(a) != IFA_ADDRESS) ||
		    mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			continue;
		v = mnl_attr_get_u32(a);
		net.s_addr = v & mask;
		inet_ntop(AF_INET, &net, s, sizeof s);
		if (v == u->addr)
			found(u, "already an address of this host (%s)",
			    link_name(u->links, (int)ifa->ifa_index));
		else if ((v & mask) == (u->addr & mask) &&
		    foreign(u->links, (int)ifa->ifa_index))
			found(u, "inside %s/%u, a network of %s", s,
			    ifa->ifa_prefixlen,
			    link_name(u->links, (int)ifa->ifa_index));
	}
	return (MNL_CB_OK);
}

/* The gateways and interfaces of a multipath route. */
static int
route_nexthops(struct inuse *u, const struct nlattr *mp)
{
	const struct rtnexthop	*nh = mnl_attr_get_payload(mp);
	const struct nlattr	*a;
	int			 left = (int)mnl_attr_get_payload_len(mp);
	int			 others = 0;

	while (left >= (int)sizeof *nh && nh->rtnh_len >= sizeof *nh &&
	    nh->rtnh_len <= left) {
		others |= foreign(u->links, nh->rtnh_ifindex);
		for (a = (const struct nlattr *)RTNH_DATA(nh);
		    mnl_attr_ok(a, (int)((const char *)nh + nh->rtnh_len -
		    (const char *)a)); a = mnl_attr_next(a)) {
			if (mnl_attr_get_type(a) == RTA_GATEWAY &&
			    mnl_attr_validate(a, MNL_TYPE_U32) == 0 &&
			    mnl_attr_get_u32(a) == u->addr)
				found(u, "the gateway of a route of this host "
				    "(via %s)", link_name(u->links,
				    nh->rtnh_ifindex));
		}
		left -= RTNH_ALIGN(nh->rtnh_len);
		nh = RTNH_NEXT(nh);
	}
	return (others);
}

static int
route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct inuse	*u = data;
	struct rtmsg	*rtm;
	struct nlattr	*a;
	struct in_addr	 net;
	uint32_t	 dst = 0, mask;
	int		 oif = 0, others = 0, gateway = 0;
	char		 s[INET_ADDRSTRLEN];

	if (nlh == NULL)
		return (MNL_CB_OK);
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET)
		return (MNL_CB_OK);
	mnl_attr_for_each(a, nlh, sizeof *rtm) {
		if (mnl_attr_get_type(a) == RTA_MULTIPATH)
			others |= route_nexthops(u, a);
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			continue;
		if (mnl_attr_get_type(a) == RTA_DST)
			dst = mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == RTA_OIF)
			oif = (int)mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == RTA_GATEWAY)
			gateway = mnl_attr_get_u32(a) == u->addr;
	}
	if (gateway)
		found(u, "the gateway of a route of this host (via %s)",
		    link_name(u->links, oif));
	/* No interface (blackhole, unreachable): not the caller's either. */
	others |= oif == 0 || foreign(u->links, oif);
	mask = prefix_mask(rtm->rtm_dst_len);
	if (rtm->rtm_dst_len > 0 && (u->addr & mask) == dst && others) {
		net.s_addr = dst;
		inet_ntop(AF_INET, &net, s, sizeof s);
		found(u, "inside %s/%u, which this host routes %s%s", s,
		    rtm->rtm_dst_len, oif != 0 ? "to " : "",
		    oif != 0 ? link_name(u->links, oif) : "(no interface)");
	}
	return (MNL_CB_OK);
}

/* Nexthop objects (ip nexthop), whose gateways routes need not show. */
static int
nexthop_cb(const struct nlmsghdr *nlh, void *data)
{
	struct inuse	*u = data;
	struct nhmsg	*nhm;
	struct nlattr	*a;
	uint32_t	 oif = 0;
	int		 gateway = 0;

	if (nlh == NULL)
		return (MNL_CB_OK);
	nhm = mnl_nlmsg_get_payload(nlh);
	if (nhm->nh_family != AF_INET)
		return (MNL_CB_OK);
	mnl_attr_for_each(a, nlh, sizeof *nhm) {
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			continue;
		if (mnl_attr_get_type(a) == NHA_GATEWAY)
			gateway = mnl_attr_get_u32(a) == u->addr;
		else if (mnl_attr_get_type(a) == NHA_OIF)
			oif = mnl_attr_get_u32(a);
	}
	if (gateway)
		found(u, "the gateway of a nexthop of this host (via %s)",
		    link_name(u->links, (int)oif));
	return (MNL_CB_OK);
}

static int
neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	struct inuse	*u = data;
	struct ndmsg	*ndm;
	struct nlattr	*a;

	if (nlh == NULL)
		return (MNL_CB_OK);
	ndm = mnl_nlmsg_get_payload(nlh);
	if (ndm->ndm_family != AF_INET || !foreign(u->links, ndm->ndm_ifindex))
		return (MNL_CB_OK);
	mnl_attr_for_each(a, nlh, sizeof *ndm) {
		if (mnl_attr_get_type(a) == NDA_DST &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0 &&
		    mnl_attr_get_u32(a) == u->addr)
			found(u, "in this host's %sneighbour table (%s)",
			    (ndm->ndm_flags & NTF_PROXY) ? "proxy " : "",
			    link_name(u->links, ndm->ndm_ifindex));
	}
	return (MNL_CB_OK);
}

/*
 * Whether addr is in use by the host (see above); if so, why (of size
 * len) says how, for the refusal.
 */
int
inuse_find(uint32_t addr, const struct links *ls, char *why, size_t len)
{
	struct inuse		 u = { addr, ls, why, len, 0 };
	struct ifaddrmsg	 ifa = { .ifa_family = AF_INET };
	struct rtmsg		 rtm = { .rtm_family = AF_INET };
	struct ndmsg		 ndm = { .ndm_family = AF_INET };
	struct ndmsg		 pndm = { .ndm_family = AF_INET,
	    .ndm_flags = NTF_PROXY };
	struct nhmsg		 nhm = { .nh_family = AF_INET };

	if (rtnl_dump(RTM_GETADDR, &ifa, sizeof ifa, addr_cb, &u) == -1)
		refuse("listing the host's addresses: %s", strerror(errno));
	if (!u.found &&
	    rtnl_dump(RTM_GETROUTE, &rtm, sizeof rtm, route_cb, &u) == -1)
		refuse("listing the host's routes: %s", strerror(errno));
	/* A kernel without nexthop objects (before 5.3) has none to show. */
	if (!u.found &&
	    rtnl_dump(RTM_GETNEXTHOP, &nhm, sizeof nhm, nexthop_cb, &u) == -1 &&
	    errno != EOPNOTSUPP && errno != EINVAL)
		refuse("listing the host's nexthops: %s", strerror(errno));
	if (!u.found &&
	    rtnl_dump(RTM_GETNEIGH, &ndm, sizeof ndm, neigh_cb, &u) == -1)
		refuse("listing the host's neighbours: %s", strerror(errno));
	if (!u.found &&
	    rtnl_dump(RTM_GETNEIGH, &pndm, sizeof pndm, neigh_cb, &u) == -1)
		refuse("listing the host's proxy neighbours: %s",
		    strerror(errno));
	return (u.found != 0);
}
