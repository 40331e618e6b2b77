/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <linux/capability.h>
#include <linux/rtnetlink.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml_net.h"

/*
 * uml_net: what the UML kernel runs, by name from its PATH, for a
 * tuntap interface in helper mode (eth0=tuntap,,,GATE). Protocol 4:
 *
 *   uml_net 4 tuntap up GATE	fd 1 is a SOCK_DGRAM socket; the answer is
 *				one datagram: the interface name in 16
 *				NUL-padded bytes, then NUL-terminated text,
 *				with the tap descriptor as SCM_RIGHTS.
 *   uml_net 4 add|del DEV ADDR NETMASK
 *				fd 1 is a SOCK_STREAM socket; the answer is
 *				an int N and N bytes of NUL-terminated text.
 *
 * The kernel waits for that answer without a timeout, so every path out
 * of this program after fd 1 has been checked answers in protocol: a
 * datagram without a descriptor, or a frame. See reply.c.
 *
 * Why no request escalates (the program may run with CAP_NET_ADMIN, or
 * setuid root reduced to it at once):
 * - "up" makes a new, non-persistent tap named after the caller's uid and
 *   owned by it, within max_taps, and puts an address from the policy's
 *   gate ranges on it that the host does not use (inuse.c); it ends with
 *   the caller's UML.
 * - "add" and "del" act only on a tap whose name, tun type and recorded
 *   owner say it is the caller's, and on it by the index the kernel gave
 *   with them (tap.c). "add" routes one guest address from the policy's
 *   guest ranges that the host does not use to that tap, within
 *   max_addresses, and masquerades it by a rule that names the tap and
 *   the address; "del" removes that route only if it is there on that
 *   tap, and that rule.
 * - A request's checks and what it makes are one step: requests take a
 *   lock (lock.c) before they look at the host.
 * - Nothing is executed: no shell, no ip(8), no modprobe; the environment
 *   is cleared before anything else, and no input but argv and the policy
 *   file is read.
 */

static struct policy	 policy;
static struct links	 links;		/* as the request found them */
static uid_t		 caller;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: uml_net 4 tuntap up GATE\n"
	    "       uml_net 4 add|del DEV ADDR NETMASK\n"
	    "uml_net is run by the User-Mode Linux kernel for "
	    "eth0=tuntap,,,GATE\nand answers on fd 1; policy: %s\n",
	    SYSCONFDIR "/rootstrap/uml-net.conf");
	exit(1);
}

/*
 * Start from nothing inherited: UML's environment (BASH_ENV, LD_*, PATH
 * are of no use to a program that runs nothing, and clearing them keeps
 * it so), its open descriptors, its blocked and ignored signals.
 */
static void
harden(void)
{
	sigset_t	 none;
	int		 sig;

	clearenv();
	umask(077);
	close_range(3, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);	/* fails harmlessly for KILL, STOP */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/*
 * Keep CAP_NET_ADMIN and nothing else. Installed setuid root, become the
 * caller again first (keeping capabilities across the change), so files
 * are opened with the caller's rights; with file capabilities or run by
 * root this only narrows what is held.
 */
static void
drop_privileges(void)
{
	struct __user_cap_header_struct	 hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct	 data[2];
	uid_t				 uid = getuid();
	gid_t				 gid = getgid();

	caller = uid;
	if (geteuid() == 0 && uid != 0) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
		    setresgid(gid, gid, gid) == -1 ||
		    setresuid(uid, uid, uid) == -1)
			refuse("dropping setuid root: %s", strerror(errno));
	}
	memset(data, 0, sizeof data);
	if (syscall(SYS_capget, &hdr, data) == -1)
		refuse("capget: %s", strerror(errno));
	data[0].effective = data[0].permitted &
	    (1U << CAP_NET_ADMIN);
	data[0].permitted = data[0].effective;
	data[0].inheritable = 0;
	data[1].effective = data[1].permitted = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data) == -1)
		refuse("capset: %s", strerror(errno));
}

/* fd 1 must be the kind of socket the kernel makes for this request. */
static void
check_stdout(int want)
{
	socklen_t	 len = sizeof(int), dlen = sizeof(int);
	int		 type, domain;

	if (getsockopt(STDOUT_FILENO, SOL_SOCKET, SO_TYPE, &type, &len) == -1
	    || getsockopt(STDOUT_FILENO, SOL_SOCKET, SO_DOMAIN, &domain,
	    &dlen) == -1 || type != want || domain != AF_UNIX) {
		fprintf(stderr, "uml_net: fd 1 is not the unix %s socket the "
		    "UML kernel passes; nothing done\n",
		    want == SOCK_DGRAM ? "datagram" : "stream");
		exit(1);
	}
	reply_to(want);
}

static int
reserved(uint32_t addr)
{
	uint32_t	 h = ntohl(addr);

	return ((h >> 24) == 0 || (h >> 24) == 127 || (h >> 28) >= 14);
}

/* A dotted quad that may be an address of some host at all. */
static uint32_t
address(const char *what, const char *s)
{
	uint32_t	 a;

	if (parse_ipv4(s, &a) != 0)
		refuse("%s '%.32s': not a dotted-quad IPv4 address", what, s);
	if (reserved(a))
		refuse("%s %s: a reserved address (0/8, 127/8, 224/4 or "
		    "240/4)", what, s);
	return (a);
}

/* One the policy gives and nobody on the host has: see inuse.c. */
static void
claim(const char *what, const char *s, uint32_t a, const struct range *r,
    int n, const char *key)
{
	char	 why[256];

	if (!policy_allows(r, n, a))
		refuse("%s %s: outside the policy's %s (%s)", what, s, key,
		    policy.path);
	if (inuse_find(a, &links, why, sizeof why))
		refuse("%s %s: %s", what, s, why);
}

/* tuntap up GATE: a tap with GATE/32 on it, handed over as a descriptor. */
static void
tuntap_up(const char *gate_s)
{
	char		 name[IFNAMSIZ], text[128];
	uint32_t	 gate;
	int		 fd, ifindex;

	gate = address("gate", gate_s);
	claim("gate", gate_s, gate, policy.gates, policy.ngates,
	    "gate_ranges");
	if (policy.max_taps > 0 && links_named(&links) >= policy.max_taps)
		refuse("uid %lu already has %d taps, the policy's max_taps",
		    (unsigned long)caller, policy.max_taps);
	fd = tap_create(caller, name);
	/* Ours while fd is open; 0 would be no interface at all. */
	if ((ifindex = (int)if_nametoindex(name)) == 0)
		refuse("%s: no interface index: %s", name, strerror(errno));
	rtnl_gate_up(ifindex, gate);
	/* Rules of a killed UML's tap of this name must not apply to ours. */
	if (policy.nat && nat_forget(name) == -1)
		refuse("removing stale NAT rules of %s: %s", name,
		    strerror(errno));
	snprintf(text, sizeof text, "uml_net: %s up, host side %s/32\n", name,
	    gate_s);
	reply(name, text, fd);
}

/* add DEV ADDR: the guest's host route and its NAT rule. */
static void
guest_add(const char *dev, int ifindex, const char *addr_s, uint32_t addr)
{
	char		 text[256];
	const char	*fwd = "";

	claim("address", addr_s, addr, policy.guests, policy.nguests,
	    "guest_ranges");
	if (policy.max_addresses > 0 &&
	    rtnl_route_count(&links) >= policy.max_addresses)
		refuse("uid %lu already has %d guest addresses, the policy's "
		    "max_addresses", (unsigned long)caller,
		    policy.max_addresses);
	if (rtnl_route(RTM_NEWROUTE, ifindex, addr) == -1)
		refuse("adding route %s dev %s: %s", addr_s, dev,
		    strerror(errno));
	if (policy.nat && nat_add(dev, addr) == -1) {
		rtnl_route(RTM_DELROUTE, ifindex, addr);
		refuse("adding the NAT rule for %s: %s", addr_s,
		    strerror(errno));
	}
	if (policy.ip_forward && ip_forward_on() == -1)
		fwd = "; could not turn on ip_forward";
	else if (policy.ip_forward)
		fwd = "; ip_forward on";
	snprintf(text, sizeof text, "uml_net: route %s/32 dev %s%s%s\n",
	    addr_s, dev, policy.nat ? "; masquerading its traffic" : "", fwd);
	reply(NULL, text, -1);
}

/*
 * del DEV ADDR: what add made, on that tap, and nothing else. The route
 * is looked for first, on the tap's index, and removed by that index, so
 * the kernel matches it on the interface too; neither the policy's ranges
 * nor what the host uses matter here, since only the caller's is touched.
 */
static void
guest_del(const char *dev, int ifindex, const char *addr_s, uint32_t addr)
{
	char	 text[256];
	int	 route, rules;

	if ((route = rtnl_route_find(ifindex, addr)) &&
	    rtnl_route(RTM_DELROUTE, ifindex, addr) == -1) {
		if (errno != ESRCH)
			refuse("removing route %s dev %s: %s", addr_s, dev,
			    strerror(errno));
		route = 0;
	}
	if ((rules = nat_del(dev, addr)) == -1)
		refuse("removing the NAT rule of %s: %s", addr_s,
		    strerror(errno));
	if (route)
		snprintf(text, sizeof text, "uml_net: removed route %s/32 dev "
		    "%s%s\n", addr_s, dev, rules ? " and its NAT rule" : "");
	else
		snprintf(text, sizeof text, "uml_net: no route %s/32 dev %s "
		    "to remove%s\n", addr_s, dev, rules ? "; removed its NAT "
		    "rule" : "");
	reply(NULL, text, -1);
}

/* add|del DEV ADDR NETMASK, on one of the caller's taps. */
static void
guest_addr(const char *op, const char *dev, const char *addr_s,
    const char *mask_s)
{
	uint32_t	 addr, mask, host;
	int		 ifindex;

	ifindex = tap_check(&links, dev, caller);
	if (parse_ipv4(mask_s, &mask) != 0 ||
	    ((~ntohl(mask)) & (~ntohl(mask) + 1)) != 0)
		refuse("netmask '%.32s': not a contiguous IPv4 netmask",
		    mask_s);
	addr = address("address", addr_s);
	host = ntohl(addr) & ~ntohl(mask);
	if (ntohl(mask) < 0xfffffffeU && (host == 0 || host == ~ntohl(mask)))
		refuse("address %s: the network or broadcast address of "
		    "netmask %s", addr_s, mask_s);
	if (strcmp(op, "add") == 0)
		guest_add(dev, ifindex, addr_s, addr);
	else
		guest_del(dev, ifindex, addr_s, addr);
}

int
main(int argc, char **argv)
{
	static char	 conf[PATH_MAX] = SYSCONFDIR "/rootstrap/uml-net.conf";
	const char	*env = getenv("UML_NET_CONF");
	char		 why[512];
	int		 up;

	/* A test's policy, never in a setuid or file-capability run. */
	if (getauxval(AT_SECURE) == 0 && env != NULL && *env != '\0' &&
	    strlen(env) < sizeof conf)
		memcpy(conf, env, strlen(env) + 1);
	harden();
	if (argc < 2)
		usage();
	check_stdout(argc >= 3 && strcmp(argv[2], "tuntap") == 0 ?
	    SOCK_DGRAM : SOCK_STREAM);
	drop_privileges();

	if (strcmp(argv[1], "4") != 0)
		refuse("protocol version '%.16s' is not supported (only 4)",
		    argv[1]);
	if (policy_load(&policy, conf, why, sizeof why) != 0)
		refuse("%s", why);
	if (caller != 0 && (policy.group == (gid_t)-1 ||
	    !caller_in_group(policy.group)))
		refuse("uid %lu is not in group '%s' (%s)",
		    (unsigned long)caller, policy.group_name, policy.path);
	up = argc >= 4 && strcmp(argv[2], "tuntap") == 0 &&
	    strcmp(argv[3], "up") == 0;
	if (up && argc == 4)
		refuse("tuntap up needs the host-side address "
		    "(eth0=tuntap,,,GATE)");
	if (!(up && argc == 5) && !(argc == 6 &&
	    (strcmp(argv[2], "add") == 0 || strcmp(argv[2], "del") == 0)))
		refuse("unsupported request '%.32s%s%.32s' with %d arguments "
		    "(only tuntap up, add and del)", argv[2] != NULL ? argv[2] :
		    "", argc > 3 ? " " : "", argc > 3 ? argv[3] : "", argc - 1);

	/* Every check of the host's state and what follows, as one step. */
	lock_take();
	links_load(&links, caller);
	if (up)
		tuntap_up(argv[4]);
	else
		guest_addr(argv[2], argv[3], argv[4], argv[5]);
	return (0);
}
