/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>
#include <sys/utsname.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <crypt.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"

/*
 * uml: make the installed system boot cleanly under User-Mode Linux: root
 * on /dev/ubda, a login on the UML console (tty0), no hardware clock, the
 * hostname, the [network] settings for first boot, and a swap file if
 * swap= asks for one. All edits are done
 * here in C: no process is spawned.
 */

#define UML_MODULES	"/usr/lib/uml/modules"

static const struct key uml_keys[] = {
	{ "install_modules", KEY_ENUM,	"no",	"no|yes|hostfs" },
	{ "root_password", KEY_STRING,	"",	NULL },
	{ "swap",	   KEY_MB0,	"0",	NULL },
	{ NULL,		   KEY_STRING,	NULL,	NULL },
};

static int	 fix_console(char **);
static int	 fix_network(const env_t *, char **);

static int
target_exists(const char *path)
{
	char		*p = path_join(GUEST_TARGET, path);
	struct stat	 st;
	int		 rc;

	rc = lstat(p, &st) == 0;
	free(p);
	return (rc);
}

static int
target_write(const char *path, const char *content, char **cause)
{
	char	*p = path_join(GUEST_TARGET, path);
	int	 rc;

	rc = file_write(p, content, 0644, cause);
	free(p);
	return (rc);
}

static int
target_symlink(const char *to, const char *path, char **cause)
{
	char	*p = path_join(GUEST_TARGET, path);
	int	 rc;

	rc = file_symlink(to, p, cause);
	free(p);
	return (rc);
}

static int
is_systemd(void)
{
	return (target_exists("/lib/systemd/systemd") ||
	    target_exists("/usr/lib/systemd/systemd"));
}

/* Remove every link matching a glob inside the target. */
static void
target_unlink_glob(const char *pattern)
{
	char	*p = path_join(GUEST_TARGET, pattern);
	glob_t	 g;
	size_t	 i;

	if (glob(p, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
	}
	free(p);
}

/*
 * sysvinit: the first getty moves to tty0, the UML console; the others
 * would respawn on consoles that do not exist, so they are commented out.
 */
static int
fix_inittab(char **cause)
{
	char		*path = path_join(GUEST_TARGET, "/etc/inittab");
	char		*in, *line, *save, *out = NULL, *tmp;
	const char	*tty;
	int		 moved = 0, rc = -1;

	if ((in = file_read(path, 1 << 20, NULL)) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(path);
		return (-1);
	}
	out = xstrdup("");
	for (line = strtok_r(in, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		tty = strrchr(line, ' ');
		if (line[0] >= '1' && line[0] <= '6' && line[1] == ':' &&
		    strstr(line, "getty") != NULL && tty != NULL &&
		    strncmp(tty, " tty", 4) == 0 && tty[4] >= '1' &&
		    tty[4] <= '9' && tty[5] == '\0') {
			if (!moved) {
				xasprintf(&tmp, "%s%.*s tty0\n", out,
				    (int)(tty - line), line);
				moved = 1;
			} else
				xasprintf(&tmp, "%s#%s\n", out, line);
		} else
			xasprintf(&tmp, "%s%s\n", out, line);
		free(out);
		out = tmp;
	}
	if (!moved)
		log_warnx("/etc/inittab has no getty line to move to tty0");
	rc = file_write(path, out, 0644, cause);
	free(in);
	free(out);
	free(path);
	return (rc);
}

static int
fix_console(char **cause)
{
	char	*path, *s, *tmp;
	int	 rc = 0;

	if (is_systemd() && uml_systemd(cause) != 0)
		return (-1);
	if (target_exists("/etc/inittab") && fix_inittab(cause) != 0)
		return (-1);
	if (!is_systemd() && !target_exists("/etc/inittab"))
		log_warnx("the image has no init (add systemd-sysv or "
		    "sysvinit-core to [debian] include): it boots only with "
		    "init=/bin/sh");

	/* Only where securetty is consulted at all (bookworm ships none). */
	path = path_join(GUEST_TARGET, "/etc/securetty");
	if ((s = file_read(path, 1 << 20, NULL)) != NULL) {
		if (strstr(s, "\ntty0\n") == NULL && strncmp(s, "tty0\n", 5)) {
			xasprintf(&tmp, "%s%stty0\n", s,
			    *s != '\0' && s[strlen(s) - 1] != '\n' ? "\n" : "");
			rc = file_write(path, tmp, 0600, cause);
			free(tmp);
		}
		free(s);
	}
	free(path);
	return (rc);
}

/* UML has no RTC: the hwclock scripts only fail at boot and shutdown. */
static int
fix_hwclock(char **cause)
{
	if (target_exists("/etc/init.d/hwclock.sh")) {
		target_unlink_glob("/etc/rc[0-6S].d/[SK][0-9][0-9]hwclock.sh");
		if (target_write("/etc/default/hwclock", "HWCLOCKACCESS=no\n",
		    cause) != 0)
			return (-1);
	}
	if (is_systemd() &&
	    target_symlink("/dev/null", "/etc/systemd/system/hwclock.service",
	    cause) != 0)
		return (-1);
	return (0);
}

static int
fix_fstab(const char *fstype, const char *modules, int swap, char **cause)
{
	char	*s;
	int	 rc;

	/*
	 * No fsck at boot where the filesystem has a journal: systemd would
	 * wait for udev to announce /dev/ubda first, seconds under UML, and
	 * the journal makes an unclean stop safe. ext2 is checked.
	 */
	xasprintf(&s, "# /etc/fstab: static file system information, "
	    "written by rootstrap.\n"
	    "# <file system> <mount point> <type> <options> <dump> <pass>\n"
	    "/dev/ubda\t/\t%s\tdefaults\t0\t%d\n"
	    "proc\t/proc\tproc\tdefaults\t0\t0\n%s%s", fstype,
	    strcmp(fstype, "ext2") == 0 ? 1 : 0,
	    strcmp(modules, "hostfs") == 0 ?
	    "none\t/lib/modules\thostfs\tdefaults,ro," UML_MODULES "\t0\t0\n" :
	    "", swap ? "/swapfile\tnone\tswap\tsw\t0\t0\n" : "");
	rc = target_write("/etc/fstab", s, cause);
	free(s);
	return (rc);
}

static int
fix_hostname(const env_t *net, char **cause)
{
	const char	*host = env_get(net, "hostname");
	const char	*domain = env_get(net, "domain");
	char		*s, *fqdn;
	int		 rc;

	xasprintf(&s, "%s\n", host);
	rc = target_write("/etc/hostname", s, cause);
	free(s);
	if (rc != 0)
		return (-1);
	if (*domain != '\0')
		xasprintf(&fqdn, "%s.%s %s", host, domain, host);
	else
		fqdn = xstrdup(host);
	xasprintf(&s, "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n\n"
	    "::1\tlocalhost ip6-localhost ip6-loopback\n"
	    "ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n", fqdn);
	rc = target_write("/etc/hosts", s, cause);
	free(s);
	free(fqdn);
	return (rc);
}

static int
prefix_len(const char *mask)
{
	struct in_addr	 in;
	uint32_t	 m;
	int		 n = 0;

	inet_pton(AF_INET, mask, &in);
	for (m = ntohl(in.s_addr); m & 0x80000000U; m <<= 1)
		n++;
	return (n);
}

/*
 * The interface's twin: vecN for ethN and the other way round. The image
 * may be booted with the legacy ethN= transports or the vector driver's
 * vecN: (the only one from Linux 6.16 on), whichever the build used.
 */
static char *
iface_twin(const char *iface)
{
	char	*s;

	xasprintf(&s, "%s%s", strncmp(iface, "vec", 3) == 0 ? "eth" : "vec",
	    iface + 3);
	return (s);
}

/* One interface of /etc/network/interfaces, brought up by how. */
static char *
ifupdown_stanza(const char *how, const char *iface, const env_t *net)
{
	const char	*gw = env_get(net, "gateway");
	char		*s;

	xasprintf(&s, "%s %s\niface %s inet static\n\taddress %s\n"
	    "\tnetmask %s\n%s%s%s", how, iface, iface, env_get(net, "uml"),
	    env_get(net, "netmask"), *gw != '\0' ? "\tgateway " : "", gw,
	    *gw != '\0' ? "\n" : "");
	return (s);
}

/*
 * The interface and its twin for first boot, from the same [network]
 * settings the build used: systemd-networkd when the image has it, else
 * ifupdown, and a static resolv.conf either way.
 */
static int
fix_network(const env_t *net, char **cause)
{
	const char	*iface = env_get(net, "interface");
	const char	*ip = env_get(net, "uml");
	const char	*mask = env_get(net, "netmask");
	const char	*gw = env_get(net, "gateway");
	const char	*ns = env_get(net, "nameserver");
	const char	*domain = env_get(net, "domain");
	char		*s, *twin, *a, *b;
	int		 rc = 0, done = 0;

	if (strcmp(env_get(net, "transport"), "none") == 0 || *ip == '\0')
		return (0);
	twin = iface_twin(iface);
	if (target_exists("/lib/systemd/systemd-networkd") ||
	    target_exists("/usr/lib/systemd/systemd-networkd")) {
		xasprintf(&s, "# written by rootstrap from [network]\n"
		    "[Match]\nName=%s %s\n\n[Network]\nAddress=%s/%d\n%s%s%s",
		    iface, twin, ip, prefix_len(mask),
		    *gw != '\0' ? "Gateway=" : "", gw, *gw != '\0' ? "\n" : "");
		rc = target_write("/etc/systemd/network/10-rootstrap.network",
		    s, cause);
		free(s);
		if (rc == 0)
			rc = target_symlink(
			    "/lib/systemd/system/systemd-networkd.service",
			    "/etc/systemd/system/multi-user.target.wants/"
			    "systemd-networkd.service", cause);
		if (rc == 0)
			rc = target_symlink(
			    "/lib/systemd/system/systemd-networkd.socket",
			    "/etc/systemd/system/sockets.target.wants/"
			    "systemd-networkd.socket", cause);
		done = 1;
	}
	if (rc == 0 && target_exists("/sbin/ifup")) {
		/* The twin only when it appears: "auto" would fail without. */
		a = ifupdown_stanza("auto", iface, net);
		b = ifupdown_stanza("allow-hotplug", twin, net);
		xasprintf(&s, "# written by rootstrap from [network]\n"
		    "auto lo\niface lo inet loopback\n\n%s\n%s", a, b);
		free(a);
		free(b);
		rc = target_write("/etc/network/interfaces", s, cause);
		free(s);
		done = 1;
	}
	if (rc == 0 && *ns != '\0') {
		xasprintf(&s, "nameserver %s\n%s%s%s", ns,
		    *domain != '\0' ? "search " : "", domain,
		    *domain != '\0' ? "\n" : "");
		/* A link into /run (resolved) would hide it; replace it. */
		char *rc_path = path_join(GUEST_TARGET, "/etc/resolv.conf");
		struct stat st;

		if (lstat(rc_path, &st) == 0 && S_ISLNK(st.st_mode))
			unlink(rc_path);
		free(rc_path);
		rc = target_write("/etc/resolv.conf", s, cause);
		free(s);
	}
	if (rc == 0 && !done)
		log_warnx("no systemd-networkd or ifupdown in the image: %s is "
		    "not configured for first boot", iface);
	free(twin);
	return (rc);
}

/*
 * crypt's salt: random, except for a reproducible build, where it comes
 * from what else goes into the image (FNV-1a, stretched to 16 bytes).
 */
static char *
password_salt(const char *password, const env_t *env)
{
	const char	*epoch = env_get(env, "SOURCE_DATE_EPOCH");
	uint8_t		 r[16];
	uint64_t	 h = 0xcbf29ce484222325ULL;
	const char	*p;
	size_t		 i;

	if (epoch == NULL)
		return (crypt_gensalt_ra(NULL, 0, NULL, 0));
	for (i = 0; i < sizeof r; i++) {
		for (p = password; *p != '\0'; p++)
			h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
		for (p = epoch; *p != '\0'; p++)
			h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
		h = (h ^ i) * 0x100000001b3ULL;
		r[i] = (uint8_t)(h >> 24);
	}
	return (crypt_gensalt_ra(NULL, 0, (const char *)r, sizeof r));
}

static int
fix_root_password(const char *password, const env_t *env, char **cause)
{
	char		*path = path_join(GUEST_TARGET, "/etc/shadow");
	char		*in, *line = NULL, *rest, *out, *hash = NULL, *salt;
	struct crypt_data cd;
	int		 rc = -1;

	if ((in = file_read(path, 1 << 20, NULL)) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* root's line, wherever it is (not always the first). */
	if (strncmp(in, "root:", 5) == 0)
		line = in;
	else if ((line = strstr(in, "\nroot:")) != NULL)
		line++;
	if (line == NULL || (rest = strchr(line + 5, ':')) == NULL) {
		xasprintf(cause, "%s: no entry for root", path);
		goto out;
	}
	if (*password != '\0') {
		if ((salt = password_salt(password, env)) == NULL) {
			xasprintf(cause, "crypt_gensalt: %s", strerror(errno));
			goto out;
		}
		memset(&cd, 0, sizeof cd);
		hash = crypt_r(password, salt, &cd);
		free(salt);
		if (hash == NULL || *hash == '*') {
			xasprintf(cause, "crypt: cannot hash the root password");
			goto out;
		}
	}
	xasprintf(&out, "%.*sroot:%s%s", (int)(line - in), in,
	    hash != NULL ? hash : "", rest);
	rc = file_write(path, out, 0640, cause);
	free(out);
out:
	free(in);
	free(path);
	return (rc);
}

static const char *copy_dest;

static int
copy_one(const char *src, const struct stat *st, int flag, struct FTW *ftw)
{
	char	 buf[65536], link[4096];
	char	*dst;
	ssize_t	 n;
	int	 in, out, rc = 0;

	xasprintf(&dst, "%s/%s", copy_dest, src + strlen(UML_MODULES) + 1);
	if (flag == FTW_D)
		rc = mkdir(dst, st->st_mode & 07777) == -1 && errno != EEXIST;
	else if (flag == FTW_SL) {
		n = readlink(src, link, sizeof link - 1);
		rc = n < 0 || (link[n] = '\0', symlink(link, dst) == -1);
	} else if (flag == FTW_F) {
		in = open(src, O_RDONLY);
		out = open(dst, O_WRONLY|O_CREAT|O_TRUNC, st->st_mode & 07777);
		rc = in == -1 || out == -1;
		while (!rc && (n = read(in, buf, sizeof buf)) > 0)
			rc = write(out, buf, n) != n;
		if (in != -1)
			close(in);
		if (out != -1 && close(out) == -1)
			rc = 1;
	}
	if (rc)
		log_error("%s: %s while copying", dst, strerror(errno));
	free(dst);
	return (rc);
}

/* Copy the running UML kernel's modules into the image's /lib/modules. */
static int
install_modules(char **cause)
{
	struct utsname	 u;
	char		*src, *dst;
	int		 rc = -1;

	uname(&u);
	xasprintf(&src, "%s/%s", UML_MODULES, u.release);
	dst = path_join(GUEST_TARGET, "/lib/modules");
	if (file_mkdirs(dst, 0755, cause) != 0)
		goto out;
	free(dst);
	xasprintf(&dst, "%s/lib/modules/%s", GUEST_TARGET, u.release);
	copy_dest = dst;
	log_info("copying %s into the image", src);
	if (nftw(src, copy_one, 16, FTW_PHYS) != 0) {
		xasprintf(cause, "%s: cannot copy the UML kernel modules", src);
		goto out;
	}
	rc = 0;
out:
	free(src);
	free(dst);
	return (rc);
}

static int
uml_run(const struct plan *p, const env_t *env, char **cause)
{
	const char	*modules = env_get(env, "install_modules");
	const char	*fstype = env_get(env, "fstype");
	uint64_t	 swap = 0;

	if (!file_is_mountpoint(GUEST_TARGET)) {
		xasprintf(cause, "%s is not mounted", GUEST_TARGET);
		return (-1);
	}
	if (fstype == NULL)
		fstype = p->fstype;
	parse_uint(env_get(env, "swap"), PARSE_MB_MAX, &swap);
	if (uml_swapfile(swap, env_get(env, "SOURCE_DATE_EPOCH"), cause) != 0 ||
	    fix_fstab(fstype, modules, swap > 0, cause) != 0 ||
	    fix_console(cause) != 0 ||
	    fix_hwclock(cause) != 0 ||
	    fix_hostname(&p->net, cause) != 0 ||
	    fix_network(&p->net, cause) != 0 ||
	    fix_root_password(env_get(env, "root_password"), env, cause) != 0)
		return (-1);
	if (strcmp(modules, "yes") == 0 && install_modules(cause) != 0)
		return (-1);
	log_info("image set up for UML: root on %s, login on tty0, "
	    "hostname %s", GUEST_DEVICE, env_get(&p->net, "hostname"));
	return (0);
}

const struct module module_uml = {
	.name = "uml",
	.keys = uml_keys,
	.run = uml_run,
};
