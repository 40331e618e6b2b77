/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>
#include <sys/xattr.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/*
 * rootstrap check [-c file] [imagefile]: is this host ready for a build
 * with this configuration? One line per item, with the fix for each
 * problem; exit 0 if it is, else 1. A build checks the same things it
 * must (uml/kernel.c, archive/mirror.c) before it starts.
 */

#define CHECK_MIN_FREE_MB	64

struct check {
	int	 errors;
	int	 warnings;
};

static void	 check_item(struct check *, const char *, const char *,
		     const char *, ...) printflike(4, 5);

/* "STATUS  ITEM: detail", and the fix on the same line for a problem. */
static void
check_item(struct check *ck, const char *status, const char *item,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	printf("%-8s%s: %s\n", status, item, msg);
	if (strcmp(status, "error") == 0)
		ck->errors++;
	else if (strcmp(status, "warning") == 0)
		ck->warnings++;
	free(msg);
}

/*
 * A kernel the current directory's rootstrap.conf names is a program
 * someone else may have put there (cd into their directory, run check):
 * found, but not run unless --run-kernel asks. Returns 1 if it may run.
 */
static int
check_kernel_runs(struct check *ck, const struct conf *c, int run_kernel)
{
	const struct entry	*e = conf_find(c, "global", "kernel");
	char			*path;

	if (run_kernel || e == NULL || strcmp(e->file, CONF_LOCAL) != 0)
		return (1);
	if ((path = host_which(e->value)) == NULL)
		return (1);	/* nothing to run: say it is not found */
	check_item(ck, "warning", "kernel", "%s, named by ./%s:%u, was not "
	    "run: check runs no program the current directory's file names "
	    "(rootstrap check --run-kernel runs '%s --help' to test it)",
	    path, e->file, e->line, path);
	free(path);
	return (0);
}

/* The kernel, what it can do, and whether the configured transport is in. */
static void
check_kernel(struct check *ck, const struct plan *p)
{
	const char		*transport = env_get(&p->net, "transport");
	const char		*name = env_get(&p->global, "kernel");
	struct kernel		 kn;
	struct uml_kernel	*k = &kn.k;
	const char		*want;
	char			*list, *cause = NULL;

	if (kernel_choose(&p->global, &p->debian, 0, &kn, &cause) != 0 ||
	    k->path == NULL) {
		check_item(ck, "error", "kernel", "%s: not found or not "
		    "executable; fix: apt-get install user-mode-linux, or set "
		    "kernel= to a UML kernel", k->path == NULL &&
		    strcmp(name, "auto") == 0 ? "linux.uml" : name);
		free(cause);
		kernel_free(&kn);
		return;
	}
	if (!k->is_uml) {
		check_item(ck, "error", "kernel", "%s: not a User-Mode Linux "
		    "kernel ('%s --help' %s); fix: apt-get install "
		    "user-mode-linux, or set kernel=", k->path, k->path,
		    k->answered ? "does not say User Mode Linux" : "failed");
		kernel_free(&kn);
		return;
	}
	check_item(ck, "ok", "kernel", "%s, Linux %s: %s", k->path,
	    k->version, kn.origin);
	if (strcmp(name, "auto") == 0 &&
	    *env_get(&p->global, "kernel_suite") != '\0' &&
	    strncmp(kn.origin, "the host's", 10) == 0)
		check_item(ck, "warning", "kernel", "the %s kernel is not in "
		    "the cache yet, so auto would use the host's; fix: "
		    "rootstrap fetch (a build fetches it too)",
		    env_get(&p->global, "kernel_suite"));
	if (k->seccomp)
		check_item(ck, "ok", "mode", "seccomp: a guest's system calls "
		    "and page faults need no ptrace round trip");
	else
		check_item(ck, "ok", "mode", "ptrace (Linux %s has no seccomp "
		    "mode; 6.16 and later have)", k->version);
	if (!k->hostfs)
		check_item(ck, "error", "hostfs", "%s has no hostfs, which a "
		    "build boots from; fix: use Debian's user-mode-linux "
		    "kernel, or one built with CONFIG_HOSTFS", k->path);
	else
		check_item(ck, "ok", "hostfs", "the host's / can be the "
		    "guest's root");
	if (!k->ubd)
		check_item(ck, "error", "ubd", "%s has no ubd block devices, "
		    "which hold the image; fix: a kernel with "
		    "CONFIG_BLK_DEV_UBD", k->path);
	else
		check_item(ck, "ok", "ubd", "the image can be a block device");

	if (!k->elf && k->legacy) {
		check_item(ck, "warning", "transports", "%s is not an ELF "
		    "binary (a wrapper?), so its transports are not known",
		    k->path);
		kernel_free(&kn);
		return;
	}
	list = k->transports.n > 0 ? strv_join(&k->transports, " ") :
	    xstrdup("none");
	/* user is the vector driver's fd transport; tuntap works on both. */
	want = strcmp(transport, "user") == 0 ||
	    (strcmp(transport, "tuntap") == 0 && !k->legacy) ? "vec" :
	    transport;
	if (strcmp(transport, "none") == 0)
		check_item(ck, "ok", "transports", "%s (transport=none needs "
		    "none)", list);
	else if (strv_has(&k->transports, want))
		check_item(ck, "ok", "transports", "%s", list);
	else
		check_item(ck, "error", "transports", "%s has no %s "
		    "transport (it has: %s); fix: choose another "
		    "[network] transport, or another kernel", k->path, want,
		    list);
	free(list);
	kernel_free(&kn);
}

/* Whether run and boot can keep the guest to what it is given. */
static void
check_confinement(struct check *ck)
{
	struct landlock	 ll;
	char		*cause = NULL;

	if (landlock_open(&ll, &cause) == 0) {
		check_item(ck, "ok", "confinement", "Landlock %d: run and "
		    "boot keep UML and its guest to the system's files, their "
		    "images and the shares given", ll.abi);
		landlock_close(&ll);
		return;
	}
	check_item(ck, "warning", "confinement", "%s: a guest of run or "
	    "boot can mount the host's files over hostfs and read or write "
	    "whatever you can; fix: a kernel with Landlock enabled (lsm= on "
	    "its command line)", cause);
	free(cause);
}

/* Whether the helper may create tap devices: setuid root or the cap. */
static const char *
check_privilege(const char *path, const struct stat *st)
{
	unsigned char	 cap[24];
	ssize_t		 n;
	uint32_t	 permitted;

	if ((st->st_mode & S_ISUID) && st->st_uid == 0)
		return ("setuid root");
	n = getxattr(path, "security.capability", cap, sizeof cap);
	if (n >= 8) {
		/* vfs_cap_data: magic_etc, then permitted (low 32 bits). */
		permitted = cap[4] | cap[5] << 8 | cap[6] << 16 |
		    (uint32_t)cap[7] << 24;
		if (permitted & (1U << 12))	/* CAP_NET_ADMIN */
			return ("cap_net_admin");
	}
	return (NULL);
}

/* The helper UML runs for transport=tuntap. */
static void
check_uml_net(struct check *ck, const char *transport)
{
	struct stat	 st;
	const char	*how, *level;
	char		*path;

	level = strcmp(transport, "tuntap") == 0 ? "error" : "warning";
	xasprintf(&path, "%s/uml_net", PKGLIBEXECDIR);
	if (stat(path, &st) != 0) {
		free(path);
		if ((path = host_which("uml_net")) == NULL ||
		    stat(path, &st) != 0) {
			check_item(ck, level, "uml_net", "no uml_net helper, "
			    "needed for transport=tuntap only; fix: install "
			    "rootstrap's uml_net, or use transport=slirp");
			free(path);
			return;
		}
	}
	if ((how = check_privilege(path, &st)) != NULL)
		check_item(ck, "ok", "uml_net", "%s (%s)", path, how);
	else
		check_item(ck, level, "uml_net", "%s is neither setuid root "
		    "nor has cap_net_admin, so it cannot make tap devices "
		    "(transport=tuntap); fix: setcap cap_net_admin+ep %s", path,
		    path);
	free(path);
}

/* Free space where the image is made and where UML keeps its memory. */
static void
check_space(struct check *ck, const char *imagedir, const env_t *g)
{
	const char	*tmp = uml_tmpdir();
	long long	 mb;
	uint64_t	 want = 0;

	parse_uint(env_get(g, "initialsize"), PARSE_MB_MAX, &want);
	mb = file_free_mb(imagedir);
	if (mb < 0)
		check_item(ck, "error", "image space", "%s: %s", imagedir,
		    strerror(errno));
	else if (mb < CHECK_MIN_FREE_MB)
		check_item(ck, "error", "image space", "%s: only %lld MB free; "
		    "fix: free some space, or build the image elsewhere",
		    imagedir, mb);
	else if ((uint64_t)mb < want)
		check_item(ck, "warning", "image space", "%s: %lld MB free, "
		    "less than initialsize=%llu (the image is sparse, but may "
		    "fill that much)", imagedir, mb, (unsigned long long)want);
	else
		check_item(ck, "ok", "image space", "%s: %lld MB free",
		    imagedir, mb);

	mb = file_free_mb(tmp);
	if (mb >= 0 && mb < CHECK_MIN_FREE_MB)
		check_item(ck, "error", "memory space", "%s: only %lld MB "
		    "free, and UML's memory (mem=%s) is a file there; fix: "
		    "set TMPDIR to a roomier directory", tmp, mb,
		    env_get(g, "mem"));
	else if (mb >= 0)
		check_item(ck, "ok", "memory space", "%s: %lld MB free", tmp,
		    mb);
}

/* The programs and files the stock modules use on the host. */
static void
check_tools(struct check *ck, const struct plan *p)
{
	struct strv	 words = { 0 };
	const char	*t = env_get(&p->net, "transport");
	const char	*keyring = env_get(&p->debian, "keyring");
	const char	*path = env_get(&p->global, "PATH");
	char		*found;

	/* The guest runs the host's programs along the configured PATH. */
	if ((found = which_in(path, "debootstrap")) != NULL)
		check_item(ck, "ok", "debootstrap", "%s", found);
	else
		check_item(ck, "error", "debootstrap", "not found in PATH %s; "
		    "fix: apt-get install debootstrap", path != NULL ? path :
		    "(unset)");
	free(found);

	strv_split(&words, env_get(&p->net, "slirp"), " \t");
	found = words.n > 0 ? host_which(words.v[0]) : NULL;
	if (found != NULL)
		check_item(ck, "ok", "slirp", "%s", found);
	else
		check_item(ck, strcmp(t, "slirp") == 0 ? "error" : "warning",
		    "slirp", "'%s' not found (needed for transport=slirp); "
		    "fix: apt-get install slirp, or set [network] slirp=",
		    words.n > 0 ? words.v[0] : "");
	free(found);
	strv_free(&words);

	if (*keyring == '\0')
		keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
	if (access(keyring, R_OK) == 0)
		check_item(ck, "ok", "keyring", "%s", keyring);
	else
		check_item(ck, "error", "keyring", "%s: %s; fix: apt-get "
		    "install debian-archive-keyring, or set [debian] keyring=",
		    keyring, strerror(errno));
}

static int
cmd_check(int argc, char **argv)
{
	struct check	 ck = { 0, 0 };
	struct conf	 c;
	struct plan	 p;
	const char	*config = NULL, *image = "root_fs";
	const char	*tmp = uml_tmpdir();
	char		*dir, *cause = NULL;
	size_t		 i;
	int		 ch, n, run_kernel = 0;
	static const struct option longopts[] = {
		{ "run-kernel",	no_argument,		NULL, 'K' },
		{ NULL,		0,			NULL, 0 }
	};

	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'K':
			run_kernel = 1;
			break;
		default:
			return (CMD_USAGE);
		}
	}
	if (argc - optind > 1)
		return (CMD_USAGE);
	if (argc - optind == 1)
		image = argv[optind];

	/* The configuration, read as a build reads it. */
	build_plan(&c, &p, config, image);
	for (i = 0; i < c.errors.n; i++)
		check_item(&ck, "error", "configuration", "%s",
		    c.errors.v[i]);
	if (c.errors.n == 0)
		check_item(&ck, "ok", "configuration", "no errors");

	if (check_kernel_runs(&ck, &c, run_kernel))
		check_kernel(&ck, &p);
	if (uml_exec_dir(tmp, &cause) == 0)
		check_item(&ck, "ok", "exec memory", "%s allows executable "
		    "mappings", tmp);
	else {
		check_item(&ck, "error", "exec memory", "%s", cause);
		free(cause);
	}
	check_confinement(&ck);
	dir = path_dir(image);
	check_space(&ck, *dir != '\0' ? dir : "/", &p.global);
	check_tools(&ck, &p);
	check_uml_net(&ck, env_get(&p.net, "transport"));

	cause = NULL;
	switch (mirror_check(env_get(&p.debian, "mirror"),
	    env_get(&p.debian, "dist"), env_get(&p.debian, "http_proxy"),
	    &cause)) {
	case 0:
		check_item(&ck, "ok", "mirror", "%s has %s",
		    env_get(&p.debian, "mirror"), env_get(&p.debian, "dist"));
		break;
	default:
		check_item(&ck, "error", "mirror", "%s; fix: check [debian] "
		    "mirror and dist, and http_proxy", cause);
		break;
	}
	free(cause);

	/* What killed builds left here; removing it is safe (util/lock.c). */
	n = image_sweep(*dir != '\0' ? dir : "/") +
	    rundir_sweep();
	if (n == 0)
		check_item(&ck, "ok", "stale files", "none");
	else
		check_item(&ck, "ok", "stale files", "removed %d left by "
		    "killed builds", n);
	free(dir);

	printf("%d error%s, %d warning%s: %s\n", ck.errors,
	    ck.errors == 1 ? "" : "s", ck.warnings, ck.warnings == 1 ? "" : "s",
	    ck.errors == 0 ? "this host can build images" :
	    "fix the errors above before building");
	plan_free(&p);
	conf_free(&c);
	return (ck.errors == 0 ? 0 : 1);
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.alias = "--check",
	.usage = "[-c file] [--run-kernel] [imagefile]",
	.help =
"Check that this host can build images with this configuration: the\n"
"kernel and what it offers, memory and image space, the tools the modules\n"
"use, uml_net, the mirror. One line per item, with the fix for a problem.\n"
"\n"
"  -c FILE                read FILE after the system and ./rootstrap.conf\n"
"  --run-kernel           run the kernel even when ./rootstrap.conf names\n"
"                         it (without, check runs no program it names)\n",
	.exec = cmd_check,
};
