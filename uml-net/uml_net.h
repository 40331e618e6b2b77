/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef UML_NET_H
#define UML_NET_H

#include <sys/types.h>

#include <net/if.h>
#include <stdint.h>

struct nlmsghdr;

/*
 * uml_net: the host helper the UML kernel runs for eth0=tuntap,,,GATE.
 * Addresses are kept in network byte order throughout, as the kernel and
 * nftables want them.
 */

#define TAP_PREFIX	"umlt"		/* umlt<uid>n<k> */
#define MAX_RANGES	16

struct range {
	uint32_t	 net;
	uint32_t	 mask;
};

struct policy {
	const char	*path;
	gid_t		 group;		/* callers other than root need it */
	char		 group_name[64];
	struct range	 gates[MAX_RANGES];
	int		 ngates;
	struct range	 guests[MAX_RANGES];
	int		 nguests;
	int		 nat;
	int		 ip_forward;
	int		 max_taps;	/* per uid; 0: no limit */
	int		 max_addresses;	/* per uid; 0: no limit */
};

/*
 * The host's interfaces as one rtnetlink dump saw them: what tells the
 * caller's taps from everything else, by index, so that nothing later
 * depends on a name that may have changed owner in between.
 */
struct link {
	int		 index;
	char		 name[IFNAMSIZ];
	int		 named;		/* umlt<caller>n<k>: counts to quotas */
	int		 ours;		/* and a tap the caller owns */
	int		 tap;		/* a tun device in tap mode */
	long		 owner;		/* its tun owner; -1: none */
};

struct links {
	struct link	*v;
	int		 n;
};

/* reply.c: every answer, refusals included, in protocol */
void		 reply_to(int);
void		 reply(const char *, const char *, int);
void __attribute__((noreturn, format(printf, 1, 2)))
		 refuse(const char *, ...);

/* policy.c: parsers, which return errors rather than refuse */
int		 policy_load(struct policy *, const char *, char *, size_t);
int		 policy_allows(const struct range *, int, uint32_t);
int		 parse_ipv4(const char *, uint32_t *);
int		 caller_in_group(gid_t);

/* lock.c */
void		 lock_take(void);

/* tap.c */
int		 tap_create(uid_t, char *);
int		 tap_check(const struct links *, const char *, uid_t);
int		 tap_exists(const char *);
void		 tap_name_prefix(uid_t, char *, size_t);
void		 links_load(struct links *, uid_t);
const struct link *links_find(const struct links *, int);
int		 links_named(const struct links *);

/* rtnl.c */
typedef int	(*rtnl_cb)(const struct nlmsghdr *, void *);
int		 rtnl_dump(uint16_t, const void *, size_t, rtnl_cb, void *);
void		 rtnl_gate_up(int, uint32_t);
int		 rtnl_route(int, int, uint32_t);
int		 rtnl_route_find(int, uint32_t);
int		 rtnl_route_count(const struct links *);

/* inuse.c */
int		 inuse_find(uint32_t, const struct links *, char *, size_t);

/* nat.c */
int		 nat_add(const char *, uint32_t);
int		 nat_del(const char *, uint32_t);
int		 nat_forget(const char *);
int		 ip_forward_on(void);

#endif
