/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "modules.h"

/*
 * The network module's check of transport=user (rootstrap/uml/usernet.c). The
 * NAT is made from the [network] addresses, so they must describe one
 * network: the guest, the gateway (the NAT itself, and the host's
 * loopback) and the nameserver (libslirp's forwarder) in one subnet, each
 * a different address. A mismatch would give a guest that cannot route.
 */

static uint32_t
addr(const env_t *env, const char *key)
{
	struct in_addr	 in;

	if (inet_pton(AF_INET, env_get(env, key), &in) != 1)
		return (0);
	return (ntohl(in.s_addr));
}

void
usernet_check(struct conf *c, const env_t *env)
{
	static const char *const keys[] = { "gateway", "nameserver" };
	const struct entry	*e;
	uint32_t		 guest = addr(env, "uml");
	uint32_t		 mask = addr(env, "netmask"), a;
	size_t			 i;

	if (guest == 0)
		return;		/* network_check said so */
	if (mask == 0 || (~mask & (~mask + 1)) != 0) {
		conf_error(c, conf_find(c, "network", "netmask"),
		    "netmask: '%s' is not a netmask", env_get(env, "netmask"));
		return;
	}
	for (i = 0; i < 2; i++) {
		if ((e = conf_find(c, "network", keys[i])) == NULL)
			e = conf_find(c, "network", "transport");
		a = addr(env, keys[i]);
		if (a == 0)
			conf_error(c, e, "[network] %s: required with "
			    "transport=user", keys[i]);
		else if ((a & mask) != (guest & mask) || a == guest)
			conf_error(c, e, "%s: %s is not another address in "
			    "the guest's network %s/%s", keys[i],
			    env_get(env, keys[i]), env_get(env, "uml"),
			    env_get(env, "netmask"));
	}
}
