/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/socket.h>
#include <sys/time.h>

#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "uml_net.h"

/*
 * The host side of the link over rtnetlink: no ip(8), no ifconfig, no
 * shell. Every request asks for an acknowledgement and its answer is
 * checked against our port and sequence number. Routes are added and
 * removed by interface index, never by name, and only ever on an index
 * that the caller's tap had when it was checked (tap_check): the kernel
 * matches a removal on that index, so a tap that is gone in between
 * matches nothing rather than everything.
 */

#define RTNL_BUF_SIZE	32768	/* what libmnl advises for dumps */
#define RTNL_TIMEOUT	5	/* seconds; a lost answer must not hang UML */
#define RTNL_TRIES	3	/* dumps the kernel says changed under us */

static struct mnl_socket *
rtnl_open(void)
{
	struct timeval		 tv = { RTNL_TIMEOUT, 0 };
	struct mnl_socket	*nl;

	if ((nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof tv) == -1)
		refuse("rtnetlink: %s", strerror(errno));
	return (nl);
}

/* Send one request, run cb on the answer; -1 with errno on failure. */
static int
rtnl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static char		 buf[RTNL_BUF_SIZE];
	struct mnl_socket	*nl = rtnl_open();
	unsigned int		 portid = mnl_socket_get_portid(nl);
	ssize_t			 n;
	int			 rc = -1, saved;

	nlh->nlmsg_seq = (unsigned int)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof buf)) > 0) {
		rc = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb,
		    data);
		if (rc <= MNL_CB_STOP)
			break;
	}
	if (n < 0)
		rc = -1;
out:
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return (rc < 0 ? -1 : 0);
}

/*
 * A dump of type with the family header hdr, each message to cb. A dump
 * the kernel marks as changed while it was read (libmnl: EINTR) is read
 * again; cb is first called with NULL each time, to start again.
 */
int
rtnl_dump(uint16_t type, const void *hdr, size_t len, rtnl_cb cb,
    void *data)
{
	char		 buf[256];
	struct nlmsghdr	*nlh;
	int		 i;

	for (i = 0; i < RTNL_TRIES; i++) {
		cb(NULL, data);
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = type;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		memcpy(mnl_nlmsg_put_extra_header(nlh, len), hdr, len);
		if (rtnl_talk(nlh, cb, data) == 0)
			return (0);
		if (errno != EINTR)
			break;
	}
	return (-1);
}

/* The gate as GATE/32 on the tap, and the tap up: what ifconfig did. */
void
rtnl_gate_up(int ifindex, uint32_t gate)
{
	char			 buf[256];
	struct nlmsghdr		*nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg	*ifa;
	struct ifinfomsg	*ifi;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
	    NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, gate);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, gate);
	if (rtnl_talk(nlh, NULL, NULL) == -1)
		refuse("adding the gate address: %s", strerror(errno));

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (rtnl_talk(nlh, NULL, NULL) == -1)
		refuse("bringing the tap up: %s", strerror(errno));
}

/*
 * RTM_NEWROUTE or RTM_DELROUTE of the host route ADDR/32 dev ifindex,
 * proto static, scope link, in the main table. Index 0 would make a
 * removal match that route on any interface: never sent.
 */
int
rtnl_route(int type, int ifindex, uint32_t addr)
{
	char		 buf[256];
	struct nlmsghdr	*nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg	*rtm;

	if (ifindex <= 0)
		refuse("route of interface index %d: not an interface",
		    ifindex);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (type == RTM_NEWROUTE)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_DST, addr);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	return (rtnl_talk(nlh, NULL, NULL));
}

/* Which of the main table's routes rtnl_route made to count. */
struct route_match {
	const struct links	*links;		/* any of the caller's taps */
	int			 ifindex;	/* or this one, for addr */
	uint32_t		 addr;
	int			 n;
};

static int
route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_match	*m = data;
	const struct link	*l;
	struct rtmsg		*rtm;
	struct nlattr		*a;
	uint32_t		 dst = 0, oif = 0, table;

	if (nlh == NULL) {
		m->n = 0;
		return (MNL_CB_OK);
	}
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len != 32 ||
	    rtm->rtm_protocol != RTPROT_STATIC ||
	    rtm->rtm_scope != RT_SCOPE_LINK || rtm->rtm_type != RTN_UNICAST)
		return (MNL_CB_OK);
	table = rtm->rtm_table;
	mnl_attr_for_each(a, nlh, sizeof *rtm) {
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			continue;
		if (mnl_attr_get_type(a) == RTA_DST)
			dst = mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == RTA_OIF)
			oif = mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == RTA_TABLE)
			table = mnl_attr_get_u32(a);
	}
	if (table != RT_TABLE_MAIN || oif == 0)
		return (MNL_CB_OK);
	if (m->links != NULL)
		m->n += (l = links_find(m->links, (int)oif)) != NULL &&
		    l->named;
	else
		m->n += (int)oif == m->ifindex && dst == m->addr;
	return (MNL_CB_OK);
}

/* Whether the route rtnl_route would remove is there, on that tap. */
int
rtnl_route_find(int ifindex, uint32_t addr)
{
	struct route_match	 m = { NULL, ifindex, addr, 0 };
	struct rtmsg		 rtm = { .rtm_family = AF_INET };

	if (rtnl_dump(RTM_GETROUTE, &rtm, sizeof rtm, route_cb, &m) == -1)
		refuse("listing the host's routes: %s", strerror(errno));
	return (m.n > 0);
}

/* How many guest routes the caller's taps have: max_addresses. */
int
rtnl_route_count(const struct links *links)
{
	struct route_match	 m = { links, 0, 0, 0 };
	struct rtmsg		 rtm = { .rtm_family = AF_INET };

	if (rtnl_dump(RTM_GETROUTE, &rtm, sizeof rtm, route_cb, &m) == -1)
		refuse("listing the host's routes: %s", strerror(errno));
	return (m.n);
}
