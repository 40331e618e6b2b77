/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/socket.h>

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
 * checked against our port and sequence number.
 */

static struct mnl_socket *
rtnl_open(void)
{
	struct mnl_socket	*nl;

	if ((nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1)
		refuse("rtnetlink: %s", strerror(errno));
	return (nl);
}

/* Send one request, run cb on the answer; -1 with errno on failure. */
static int
rtnl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
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

static int
addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ifaddrmsg	*ifa = mnl_nlmsg_get_payload(nlh);
	struct nlattr		*a;
	uint32_t		*want = data;

	if (ifa->ifa_family != AF_INET)
		return (MNL_CB_OK);
	mnl_attr_for_each(a, nlh, sizeof *ifa) {
		if ((mnl_attr_get_type(a) == IFA_LOCAL ||
		    mnl_attr_get_type(a) == IFA_ADDRESS) &&
		    mnl_attr_get_payload_len(a) == 4 &&
		    *(uint32_t *)mnl_attr_get_payload(a) == *want)
			want[1] = 1;
	}
	return (MNL_CB_OK);
}

/* Whether addr is configured on any interface of this host. */
int
rtnl_is_host_addr(uint32_t addr)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg	*ifa;
	uint32_t		 want[2] = { addr, 0 };

	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
	ifa->ifa_family = AF_INET;
	if (rtnl_talk(nlh, addr_cb, want) == -1)
		refuse("listing the host's addresses: %s", strerror(errno));
	return (want[1] != 0);
}

/* The gate as GATE/32 on the tap, and the tap up: what ifconfig did. */
void
rtnl_gate_up(int ifindex, uint32_t gate)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
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

/* RTM_NEWROUTE or RTM_DELROUTE of the host route ADDR/32 dev ifindex. */
int
rtnl_route(int type, int ifindex, uint32_t addr)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg	*rtm;

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
