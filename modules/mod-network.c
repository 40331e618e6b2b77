/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"

/*
 * network: the guest's interface during the build. Its section tells the
 * UML launcher which transport to give the guest (rootstrap/uml/launch.c:
 * vec0:transport=fd to rootstrap's own NAT and eth0=slirp,,CMD need no
 * privileges; eth0=tuntap needs the uml_net helper); in the guest it
 * configures the interface with ioctls rather than spawning ip(8), and
 * points the resolver at the configured nameserver without touching the
 * read-only host /etc.
 */

static const struct key network_keys[] = {
	{ "interface",	 KEY_STRING,	"",		NULL },	/* see below */
	{ "transport",	 KEY_ENUM,	"user",		"slirp|tuntap|user|none" },
	{ "host",	 KEY_IPV4,	"",		NULL },
	{ "uml",	 KEY_IPV4,	"",		NULL },
	{ "netmask",	 KEY_IPV4,	"255.255.255.0", NULL },
	{ "gateway",	 KEY_IPV4,	"",		NULL },
	{ "nameserver",	 KEY_IPV4,	"",		NULL },
	{ "domain",	 KEY_STRING,	"",		NULL },
	{ "hostname",	 KEY_HOSTNAME,	"rootstrap",	NULL },
	{ "slirp",	 KEY_STRING,	"slirp-fullbolt", NULL },
	{ "host_if",	 KEY_STRING,	"",		NULL },	/* tuntap.c */
	{ NULL,		 KEY_STRING,	NULL,		NULL },
};

#define RESOLV_TMP	"/run/rootstrap/resolv.conf"

static void
set_default(env_t *env, const char *key, const char *value)
{
	const char	*v = env_get(env, key);

	if (v == NULL || *v == '\0')
		env_set(env, key, value);
}

/*
 * slirp's own addressing, used unless the config says otherwise; libslirp
 * (transport=user) has the same. The interface is eth0, but vec0 with
 * transport=user: UML's vector driver names its devices vecN.
 */
static void
network_defaults(env_t *env)
{
	const char	*t = env_get(env, "transport");
	int		 user = t != NULL && strcmp(t, "user") == 0;

	set_default(env, "interface", user ? "vec0" : "eth0");
	if (t != NULL && (strcmp(t, "slirp") == 0 || user)) {
		set_default(env, "uml", "10.0.2.15");
		set_default(env, "gateway", "10.0.2.2");
		set_default(env, "nameserver", "10.0.2.3");
	}
	/* The host end of the tap is the guest's way out (uml_net NATs). */
	if (t != NULL && strcmp(t, "tuntap") == 0)
		set_default(env, "gateway", env_get(env, "host"));
}

/*
 * The settings of a guest network that no configuration describes: that
 * `rootstrap run -N` and `rootstrap boot -N` give, with transport's
 * defaults, as the builder and the user-mode network both see them.
 * transport is one of network_keys' or "tuntap:HOST:GUEST", the host's
 * and the guest's addresses on the tap (as checked by network_spec_valid).
 */
void
network_env(env_t *env, const char *transport)
{
	const struct key	*k;
	struct strv		 f = { 0 };

	for (k = network_keys; k->name != NULL; k++) {
		if (k->def != NULL)
			env_set(env, k->name, k->def);
	}
	strv_split(&f, transport, ":");
	env_set(env, "transport", f.n > 0 ? f.v[0] : transport);
	if (f.n > 0 && strcmp(f.v[0], "tuntap") == 0) {
		env_set(env, "host", f.n == 3 ? f.v[1] : NETWORK_TUNTAP_HOST);
		env_set(env, "uml", f.n == 3 ? f.v[2] : NETWORK_TUNTAP_GUEST);
	}
	strv_free(&f);
	network_defaults(env);
}

/*
 * Whether spec is a transport `run -N` and `boot -N` take: none, slirp,
 * user, tuntap or tuntap:HOST:GUEST. NULL, or why not.
 */
char *
network_spec_valid(const char *spec)
{
	const struct key	 ipv4 = { "address", KEY_IPV4, NULL, NULL };
	struct strv		 f = { 0 };
	char			*cause = NULL, *why;
	size_t			 i;

	if (strcmp(spec, "none") == 0 || strcmp(spec, "slirp") == 0 ||
	    strcmp(spec, "user") == 0 || strcmp(spec, "tuntap") == 0)
		return (NULL);
	strv_split(&f, spec, ":");
	if (f.n != 3 || strcmp(f.v[0], "tuntap") != 0)
		xasprintf(&cause, "invalid transport '%s' (none, slirp, user, "
		    "tuntap or tuntap:HOST:GUEST)", spec);
	for (i = 1; cause == NULL && i < 3; i++) {
		if (key_valid(&ipv4, f.v[i], &why) != 0) {
			xasprintf(&cause, "%s: %s", spec, why);
			free(why);
		}
	}
	strv_free(&f);
	return (cause);
}

static void
network_check(struct conf *c, const env_t *env)
{
	const char	*iface = env_get(env, "interface");
	const char	*t = env_get(env, "transport");
	const char	*slirp = env_get(env, "slirp");
	const char	*host_if = env_get(env, "host_if");
	const char	*kind = strcmp(t, "user") == 0 ? "vec" : "eth";
	struct strv	 words = { 0 };
	size_t		 i;

	if (strncmp(iface, kind, 3) != 0 || iface[3] == '\0' ||
	    strspn(iface + 3, "0123456789") != strlen(iface + 3))
		conf_error(c, conf_find(c, "network", "interface"),
		    "interface: invalid UML interface '%s' for transport=%s "
		    "(%s0, %s1, ...)", iface, t, kind, kind);
	if (strcmp(t, "none") == 0)
		return;
	if (*env_get(env, "uml") == '\0')
		conf_error(c, conf_find(c, "network", "transport"),
		    "[network] uml: the guest address is required with "
		    "transport=%s", t);
	if (strcmp(t, "tuntap") == 0 && *env_get(env, "host") == '\0')
		conf_error(c, conf_find(c, "network", "transport"),
		    "[network] host: the host-side address is required with "
		    "transport=tuntap");
	if (*host_if != '\0' && strcmp(t, "tuntap") != 0)
		conf_error(c, conf_find(c, "network", "host_if"),
		    "host_if: a tap for transport=tuntap, not transport=%s", t);
	else if (*host_if != '\0' && !ifname_valid(host_if))
		conf_error(c, conf_find(c, "network", "host_if"),
		    "host_if: invalid interface name '%s' (at most 15 "
		    "characters, no '/', ':' or blank)", host_if);
	if (strcmp(t, "slirp") == 0) {
		strv_split(&words, slirp, " \t");
		if (words.n == 0 || !host_has_program(words.v[0]))
			conf_error(c, conf_find(c, "network", "slirp"),
			    "slirp: '%s' not found in PATH (apt-get install "
			    "slirp)", words.n > 0 ? words.v[0] : "");
		for (i = 0; i < words.n; i++) {
			if (strchr(words.v[i], ',') != NULL)
				conf_error(c, conf_find(c, "network", "slirp"),
				    "slirp: ',' cannot be passed to UML in "
				    "'%s'", words.v[i]);
		}
		strv_free(&words);
	}
	if (strcmp(t, "user") == 0)
		usernet_check(c, env);
}

static int
if_up(int s, const char *name, char **cause)
{
	struct ifreq	 ifr;

	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1)
		goto fail;
	return (0);
fail:
	xasprintf(cause, "%s: %s while bringing the interface up", name,
	    strerror(errno));
	return (-1);
}

static int
if_addr(int s, const char *name, unsigned long req, const char *addr,
    char **cause)
{
	struct ifreq		 ifr;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	if (ioctl(s, req, &ifr) == -1) {
		xasprintf(cause, "%s: %s while setting address %s", name,
		    strerror(errno), addr);
		return (-1);
	}
	return (0);
}

static int
default_route(int s, const char *name, const char *gw, char **cause)
{
	struct rtentry		 rt;
	struct sockaddr_in	*sin;

	memset(&rt, 0, sizeof rt);
	sin = (struct sockaddr_in *)&rt.rt_dst;
	sin->sin_family = AF_INET;
	sin = (struct sockaddr_in *)&rt.rt_genmask;
	sin->sin_family = AF_INET;
	sin = (struct sockaddr_in *)&rt.rt_gateway;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, gw, &sin->sin_addr);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = (char *)name;
	if (ioctl(s, SIOCADDRT, &rt) == -1 && errno != EEXIST) {
		xasprintf(cause, "%s: %s while adding default route via %s",
		    name, strerror(errno), gw);
		return (-1);
	}
	return (0);
}

/*
 * The guest's root is the host's read-only /, so its /etc/resolv.conf names
 * the host's resolver. Cover it with ours: write through a symlink that
 * points into the guest's own /run, or bind-mount a file over it.
 */
static int
resolver_set(const env_t *env, char **cause)
{
	const char	*ns = env_get(env, "nameserver");
	const char	*domain = env_get(env, "domain");
	char		*content, link[PATH_MAX];
	ssize_t		 len;

	if (ns == NULL || *ns == '\0')
		return (0);
	xasprintf(&content, "nameserver %s\n%s%s%s", ns,
	    *domain != '\0' ? "search " : "", domain,
	    *domain != '\0' ? "\n" : "");
	len = readlink("/etc/resolv.conf", link, sizeof link - 1);
	if (len > 0 && link[0] == '/' && (link[len] = '\0',
	    strncmp(link, "/run/", 5) == 0)) {
		if (file_write(link, content, 0644, cause) != 0)
			goto fail;
	} else {
		if (file_write(RESOLV_TMP, content, 0644, cause) != 0)
			goto fail;
		if (mount(RESOLV_TMP, "/etc/resolv.conf", NULL, MS_BIND,
		    NULL) == -1) {
			xasprintf(cause, "/etc/resolv.conf: %s while covering "
			    "it with %s", strerror(errno), RESOLV_TMP);
			goto fail;
		}
	}
	free(content);
	return (0);
fail:
	free(content);
	return (-1);
}

/*
 * The interface asked for, or its twin (vecN for ethN and the other way
 * round) when UML gave the guest that one: a kernel without the legacy
 * ethN= transports (Linux 6.16 on) has transport=tuntap's tap on vecN.
 */
static const char *
iface_present(int s, const char *iface, char *twin)
{
	struct ifreq	 ifr;

	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, iface, IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFINDEX, &ifr) == 0)
		return (iface);
	snprintf(twin, IFNAMSIZ, "%s%s", strncmp(iface, "vec", 3) == 0 ?
	    "eth" : "vec", iface + strcspn(iface, "0123456789"));
	memcpy(ifr.ifr_name, twin, IFNAMSIZ);
	if (ioctl(s, SIOCGIFINDEX, &ifr) == 0)
		return (twin);
	return (iface);
}

static int
network_run(const struct plan *p, const env_t *env, char **cause)
{
	const char	*iface = env_get(env, "interface");
	const char	*t = env_get(env, "transport");
	const char	*gw = env_get(env, "gateway");
	char		 twin[IFNAMSIZ];
	int		 s, rc = -1;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	if (if_up(s, "lo", cause) != 0)
		goto out;
	if (strcmp(t, "none") == 0) {
		rc = 0;
		goto out;
	}
	iface = iface_present(s, iface, twin);
	if (if_addr(s, iface, SIOCSIFADDR, env_get(env, "uml"), cause) != 0 ||
	    if_addr(s, iface, SIOCSIFNETMASK, env_get(env, "netmask"),
	    cause) != 0 || if_up(s, iface, cause) != 0)
		goto out;
	if (*gw != '\0' && default_route(s, iface, gw, cause) != 0)
		goto out;
	if (resolver_set(env, cause) != 0)
		goto out;
	log_info("%s: %s/%s via %s", iface, env_get(env, "uml"),
	    env_get(env, "netmask"), *gw != '\0' ? gw : "(no gateway)");
	rc = 0;
out:
	close(s);
	return (rc);
}

const struct module module_network = {
	.name = "network",
	.keys = network_keys,
	.defaults = network_defaults,
	.check = network_check,
	.gives_network = 1,
	.run = network_run,
};
