/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <ifaddrs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

/*
 * One proxy setting for every path to the mirror. The host (the
 * preflight, the image cache's key, the host-side fetch) and the guest
 * (apt or debootstrap) reach the same proxy at different addresses: with
 * transport=user or slirp the guest reaches the host's loopback at the
 * gateway, 10.0.2.2; with transport=tuntap the host is host=, an address
 * that exists on the host only while UML runs, unless host_if names a tap
 * made beforehand; with transport=none the guest has no network and
 * only the host uses the proxy. So each *_proxy key is written for each
 * side: the host's environments (global, debian) get the host's view,
 * every step the guest's, whichever of the two the user wrote; and
 * 10.0.2.2, the README's form, means the host's loopback under every
 * transport (SLIRP_HOST).
 */

static const char *const proxy_keys[] = { "http_proxy", "https_proxy",
    "ftp_proxy", NULL };

/*
 * The host part of a proxy URL, [scheme://][user[:password]@]host[:port]
 * [/path], as curl and apt read it: its start, and its length in *len.
 */
static const char *
url_host(const char *url, size_t *len)
{
	const char	*a, *end, *at, *h;

	a = strstr(url, "://");
	a = a != NULL ? a + 3 : url;
	end = a + strcspn(a, "/?#");
	for (h = a; (at = memchr(h, '@', (size_t)(end - h))) != NULL; )
		h = at + 1;
	if (*h == '[')
		*len = strcspn(h, "]") + (h[strcspn(h, "]")] == ']');
	else
		*len = strcspn(h, ":/?#");
	if (h + *len > end)
		*len = (size_t)(end - h);
	return (h);
}

/* Whether host (len bytes) names the loopback: localhost, 127/8, ::1. */
static int
is_loopback(const char *host, size_t len)
{
	size_t	 i;

	if ((len == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	    (len == 5 && strncmp(host, "[::1]", 5) == 0))
		return (1);
	if (len < 5 || strncmp(host, "127.", 4) != 0)
		return (0);
	for (i = 4; i < len; i++) {
		if (!isdigit((unsigned char)host[i]) && host[i] != '.')
			return (0);
	}
	return (1);
}

/* url with its host replaced by to, when match says so; else NULL. */
static char *
url_rewrite(const char *url, int (*match)(const char *, size_t,
    const char *), const char *arg, const char *to)
{
	const char	*h;
	size_t		 len;
	char		*s;

	if (url == NULL || *url == '\0' || to == NULL || *to == '\0')
		return (NULL);
	h = url_host(url, &len);
	if (len == 0 || !match(h, len, arg))
		return (NULL);
	xasprintf(&s, "%.*s%s%s", (int)(h - url), url, to, h + len);
	return (s);
}

static int
match_loopback(const char *host, size_t len, const char *unused)
{
	(void)unused;
	return (is_loopback(host, len));
}

static int
match_exact(const char *host, size_t len, const char *name)
{
	return (strlen(name) == len && strncasecmp(host, name, len) == 0);
}

/*
 * The user transport's name for the host, 10.0.2.2, the one the README's
 * examples write. Under transport=none (or no network module) and
 * transport=tuntap the guest does not know the host by it, so a proxy
 * written that way means the host's loopback there too (the user changed
 * the transport, not the proxy line); unless the host itself is on a
 * network holding 10.0.2.2 (a VM under VirtualBox's NAT), where it is a
 * real neighbour and stays as written.
 */
#define SLIRP_HOST	"10.0.2.2"

/* Whether one of the host's IPv4 networks holds SLIRP_HOST. */
static int
slirp_host_on_link(void)
{
	struct ifaddrs		*ifa, *i;
	struct in_addr		 want;
	uint32_t		 a, m;
	int			 found = 0;

	if (inet_pton(AF_INET, SLIRP_HOST, &want) != 1 ||
	    getifaddrs(&ifa) != 0)
		return (0);
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_netmask == NULL ||
		    i->ifa_addr->sa_family != AF_INET)
			continue;
		a = ((struct sockaddr_in *)(void *)i->ifa_addr)->
		    sin_addr.s_addr;
		m = ((struct sockaddr_in *)(void *)i->ifa_netmask)->
		    sin_addr.s_addr;
		found = m != 0 && (a & m) == (want.s_addr & m);
	}
	freeifaddrs(ifa);
	return (found);
}

/*
 * The guest's name for the host's loopback under net's transport (NULL:
 * none, no guest network), and whether the host reaches the proxy by that
 * same name without rewriting it (a host_if tap is there before UML).
 * *other is SLIRP_HOST where it is a second name for the host's loopback
 * (see there), else NULL.
 */
static const char *
guest_alias(const env_t *net, int *host_has_it, const char **other)
{
	const char	*t = env_get(net, "transport");
	const char	*v;

	*host_has_it = 0;
	*other = NULL;
	if (t != NULL && (strcmp(t, "user") == 0 || strcmp(t, "slirp") == 0))
		return ((v = env_get(net, "gateway")) != NULL && *v != '\0' ?
		    v : SLIRP_HOST);
	if (!slirp_host_on_link())
		*other = SLIRP_HOST;
	if (t != NULL && strcmp(t, "tuntap") == 0) {
		*host_has_it = (v = env_get(net, "host_if")) != NULL &&
		    *v != '\0';
		return ((v = env_get(net, "host")) != NULL && *v != '\0' ?
		    v : NULL);
	}
	return (NULL);
}

/* One environment's key as the host (to_host) or the guest reaches it. */
static void
rewrite_env(env_t *env, const char *key, const char *alias, int to_host)
{
	char	*s;

	if (to_host)
		s = url_rewrite(env_get(env, key), match_exact, alias,
		    "127.0.0.1");
	else
		s = url_rewrite(env_get(env, key), match_loopback, NULL,
		    alias);
	if (s != NULL)
		env_set(env, key, s);
	free(s);
}

/* A guest's key written as other (SLIRP_HOST), as the guest reaches it. */
static void
rewrite_other(env_t *env, const char *key, const char *other,
    const char *alias)
{
	char	*s;

	if ((s = url_rewrite(env_get(env, key), match_exact, other,
	    alias)) != NULL)
		env_set(env, key, s);
	free(s);
}

/*
 * After the plan is made: each side's view of the proxy keys, for every
 * transport. With none the guest has no network, so only the host's
 * view changes.
 */
void
plan_resolve_proxies(struct plan *p)
{
	const char	*alias, *other;
	size_t		 i, k;
	int		 host_has_it;

	alias = guest_alias(&p->net, &host_has_it, &other);
	for (k = 0; proxy_keys[k] != NULL; k++) {
		if (alias != NULL && !host_has_it) {
			rewrite_env(&p->global, proxy_keys[k], alias, 1);
			rewrite_env(&p->debian, proxy_keys[k], alias, 1);
		}
		if (other != NULL) {
			rewrite_env(&p->global, proxy_keys[k], other, 1);
			rewrite_env(&p->debian, proxy_keys[k], other, 1);
		}
		for (i = 0; alias != NULL && i < p->nsteps; i++) {
			rewrite_env(&p->steps[i].env, proxy_keys[k], alias, 0);
			if (other != NULL)
				rewrite_other(&p->steps[i].env, proxy_keys[k],
				    other, alias);
		}
	}
}
