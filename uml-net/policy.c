/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml_net.h"

/*
 * The policy file: "key = value" lines, '#' comments. It decides who may
 * use the helper and for which addresses, so it is trusted only when root
 * owns it and nobody else can write it (doas's rule); a missing file means
 * the compiled-in defaults, which match the shipped file.
 */

#define LINE_MAX_LEN	512

/* Strict dotted quad: inet_pton refuses "1.2.3", "1.2.3.4x", "01.2.3.4". */
int
parse_ipv4(const char *s, uint32_t *addr)
{
	struct in_addr	 in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return (-1);
	*addr = in.s_addr;
	return (0);
}

int
policy_allows(const struct range *r, int n, uint32_t addr)
{
	int	 i;

	for (i = 0; i < n; i++) {
		if ((addr & r[i].mask) == r[i].net)
			return (1);
	}
	return (0);
}

int
caller_in_group(gid_t g)
{
	gid_t	 groups[NGROUPS_MAX];
	int	 i, n;

	if (getgid() == g)
		return (1);
	if ((n = getgroups(NGROUPS_MAX, groups)) == -1)
		return (0);
	for (i = 0; i < n; i++) {
		if (groups[i] == g)
			return (1);
	}
	return (0);
}

static int
parse_cidr(const char *s, struct range *r)
{
	char		 buf[32], *slash, *end;
	unsigned long	 bits = 32;
	uint32_t	 addr;

	if (strlen(s) >= sizeof buf)
		return (-1);
	memcpy(buf, s, strlen(s) + 1);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		errno = 0;
		bits = strtoul(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || errno != 0 || bits > 32)
			return (-1);
	}
	if (parse_ipv4(buf, &addr) != 0)
		return (-1);
	r->mask = bits == 0 ? 0 : htonl(0xffffffffU << (32 - bits));
	if ((addr & r->mask) != addr)
		return (-1);		/* host bits set: a typo, most likely */
	r->net = addr;
	return (0);
}

/* "a/n, b/m": comma- or blank-separated CIDR ranges. */
static const char *
parse_ranges(char *v, struct range *r, int *n)
{
	char	*w;

	*n = 0;
	while ((w = strsep(&v, ", \t")) != NULL) {
		if (*w == '\0')
			continue;
		if (*n == MAX_RANGES)
			return ("too many ranges");
		if (parse_cidr(w, &r[*n]) != 0)
			return ("not an IPv4 range like 10.0.0.0/8");
		(*n)++;
	}
	return (*n == 0 ? "no range given" : NULL);
}

static int
parse_bool(const char *v)
{
	if (strcmp(v, "yes") == 0)
		return (1);
	if (strcmp(v, "no") == 0)
		return (0);
	return (-1);
}

static const char *
set_group(struct policy *p, const char *v)
{
	struct group	*gr;
	char		*end;
	unsigned long	 id;

	if (*v == '\0' || strlen(v) >= sizeof p->group_name)
		return ("not a group name");
	memcpy(p->group_name, v, strlen(v) + 1);
	errno = 0;
	id = strtoul(v, &end, 10);
	if (isdigit((unsigned char)*v) && *end == '\0' && errno == 0 &&
	    id < (gid_t)-1) {
		p->group = (gid_t)id;
		return (NULL);
	}
	/* An unknown group is not an error here: only root may then call. */
	p->group = (gr = getgrnam(v)) != NULL ? gr->gr_gid : (gid_t)-1;
	return (NULL);
}

static const char *
policy_set(struct policy *p, const char *k, char *v)
{
	char		*end;
	long		 n;
	int		 b;

	if (strcmp(k, "group") == 0)
		return (set_group(p, v));
	if (strcmp(k, "gate_ranges") == 0)
		return (parse_ranges(v, p->gates, &p->ngates));
	if (strcmp(k, "guest_ranges") == 0)
		return (parse_ranges(v, p->guests, &p->nguests));
	if (strcmp(k, "nat") == 0 || strcmp(k, "ip_forward") == 0) {
		if ((b = parse_bool(v)) == -1)
			return ("must be yes or no");
		*(k[0] == 'n' ? &p->nat : &p->ip_forward) = b;
		return (NULL);
	}
	if (strcmp(k, "max_taps") == 0 || strcmp(k, "max_addresses") == 0) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 || n < 0 ||
		    n > 1000)
			return ("must be a number from 0 to 1000");
		*(k[4] == 't' ? &p->max_taps : &p->max_addresses) = (int)n;
		return (NULL);
	}
	return ("unknown key (group, gate_ranges, guest_ranges, nat, "
	    "ip_forward, max_taps, max_addresses)");
}

/*
 * The defaults, as in the shipped file. The ranges are one /24 taken at
 * random from 10/8, away from the networks virtual machines, containers
 * and home routers use by default (10.0.2/24, 172.17/16 and up,
 * 192.168.0/24, 192.168.122/24, ...): a guest address takes over the
 * host's traffic to it, and one reached through a default route is not
 * seen by inuse.c, so what the policy allows must be unused.
 */
#define DEFAULT_RANGES	"10.213.47.0/24"

static void
policy_defaults(struct policy *p, const char *path)
{
	char	 ranges[] = DEFAULT_RANGES;
	char	 copy[sizeof ranges];

	memset(p, 0, sizeof *p);
	p->path = path;
	set_group(p, UML_NET_GROUP);
	memcpy(copy, ranges, sizeof ranges);
	parse_ranges(copy, p->gates, &p->ngates);
	memcpy(copy, ranges, sizeof ranges);
	parse_ranges(copy, p->guests, &p->nguests);
	p->nat = 1;
	p->ip_forward = 1;
	p->max_taps = 8;
	p->max_addresses = 16;
}

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return (s);
}

/*
 * The policy in path over the defaults; a missing file leaves them.
 * Returns 0, or -1 with why (of size len) saying what is wrong.
 */
int
policy_load(struct policy *p, const char *path, char *why, size_t len)
{
	char		 line[LINE_MAX_LEN], *k, *v, *eq;
	struct stat	 st;
	const char	*bad;
	FILE		*f;
	int		 fd, lineno = 0, rc = -1;

	policy_defaults(p, path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return (0);
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || (f = fdopen(fd, "r")) == NULL) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(why, len, "%s: not trusted: it must be owned by root "
		    "and not writable by group or others", path);
		goto out;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(why, len, "%s:%d: line too long", path, lineno);
			goto out;
		}
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(why, len, "%s:%d: expected 'key = value'",
			    path, lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if ((bad = policy_set(p, k, v)) != NULL) {
			snprintf(why, len, "%s:%d: %s: %s", path, lineno, k,
			    bad);
			goto out;
		}
	}
	if (ferror(f))
		snprintf(why, len, "%s: %s", path, strerror(errno));
	else
		rc = 0;
out:
	fclose(f);
	return (rc);
}
