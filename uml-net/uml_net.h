/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef UML_NET_H
#define UML_NET_H

#include <sys/types.h>

#include <net/if.h>
#include <stdint.h>

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

/* tap.c */
int		 tap_create(uid_t, int, char *);
void		 tap_check(const char *, uid_t);
int		 tap_exists(const char *);
void		 tap_name_prefix(uid_t, char *, size_t);

/* rtnl.c */
int		 rtnl_is_host_addr(uint32_t);
void		 rtnl_gate_up(int, uint32_t);
int		 rtnl_route(int, int, uint32_t);

/* nat.c */
int		 nat_add(const char *, uint32_t);
int		 nat_del(const char *, uint32_t);
int		 nat_forget(const char *);
int		 ip_forward_on(void);

#endif
