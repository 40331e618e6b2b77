/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/magic.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "rootstrap.h"

/*
 * What the host must offer a build, checked before one starts (so that a
 * build fails in a second, not after minutes) and by `rootstrap check`,
 * which lists every item with the fix for each problem.
 */

#define CHECK_MAX_HELP		(256 * 1024)
#define CHECK_MIN_FREE_MB	64

/* A transport UML may have, and how its name shows in the kernel. */
static const char *const check_transports[] = {
	"slirp", "tuntap", "daemon", "mcast", "vde", "pcap", NULL
};

struct check {
	int	 errors;
	int	 warnings;
};

static int	 check_mirror_file(const char *, const char *, const char *,
		     const char *, char **);
static void	 check_item(struct check *, const char *, const char *,
		     const char *, ...) printflike(4, 5);

/*
 * The directory UML keeps its memory file in: the first of TMPDIR, TMP and
 * TEMP that is set, else /dev/shm when it is a tmpfs, else /tmp (the order
 * of arch/um/os-Linux/mem.c). UML maps it executable, so it must not be
 * mounted noexec.
 */
const char *
uml_tmpdir(void)
{
	static const char *const vars[] = { "TMPDIR", "TMP", "TEMP", NULL };
	struct statfs	 sf;
	const char	*v;
	size_t		 i;

	for (i = 0; vars[i] != NULL; i++) {
		if ((v = getenv(vars[i])) != NULL && *v != '\0')
			return (v);
	}
	if (statfs("/dev/shm", &sf) == 0 && sf.f_type == TMPFS_MAGIC)
		return ("/dev/shm");
	return ("/tmp");
}

/* Whether UML can map its memory in dir; *cause says why not. */
int
check_exec_dir(const char *dir, char **cause)
{
	struct statvfs	 sv;

	if (statvfs(dir, &sv) == -1) {
		xasprintf(cause, "%s: %s (UML keeps its memory there)", dir,
		    strerror(errno));
		return (-1);
	}
	if (sv.f_flag & ST_NOEXEC) {
		xasprintf(cause, "%s is mounted noexec, but UML maps its "
		    "memory there executable; set TMPDIR to a directory on an "
		    "exec-able filesystem", dir);
		return (-1);
	}
	return (0);
}

/* Free MB of the filesystem holding path, or -1. */
static long long
check_free_mb(const char *path)
{
	struct statvfs	 sv;

	if (statvfs(path, &sv) == -1)
		return (-1);
	return ((long long)sv.f_bavail * sv.f_frsize / 1048576);
}

/*
 * Ask the mirror for the suite's InRelease, or its Release as debootstrap
 * falls back to (headers only). Returns 0 if it is there, 1 if the mirror
 * says it is not (404, or a file:// mirror without it), -1 if the mirror
 * cannot be reached; *cause says which.
 */
int
check_mirror(const char *mirror, const char *dist, const char *proxy,
    char **cause)
{
	int	 rc;

	rc = check_mirror_file(mirror, dist, "InRelease", proxy, cause);
	if (rc == 1) {
		free(*cause);
		*cause = NULL;
		rc = check_mirror_file(mirror, dist, "Release", proxy, cause);
	}
	return (rc);
}

static int
check_mirror_file(const char *mirror, const char *dist, const char *file,
    const char *proxy, char **cause)
{
	char	*url, err[CURL_ERROR_SIZE];
	long	 status;
	int	 code, rc = -1;

	xasprintf(&url, "%s/dists/%s/%s", mirror, dist, file);
	code = mirror_request(url, proxy, NULL, NULL, &status, err);
	if (code == CURLE_FILE_COULDNT_READ_FILE ||
	    (code == CURLE_OK && status == 404)) {
		xasprintf(cause, "no such suite '%s' on %s (%s: %s)", dist,
		    mirror, url, code == CURLE_OK ? "HTTP status 404" :
		    "no such file");
		rc = 1;
	} else if (code != CURLE_OK)
		xasprintf(cause, "cannot reach %s: %s", mirror, err);
	else if (status >= 400)
		xasprintf(cause, "%s: HTTP status %ld", url, status);
	else
		rc = 0;
	free(url);
	return (rc);
}

/*
 * What the build's failure looks like from the host, for the message:
 * the end of UML's output, the free space where the build writes, and
 * whether the builder ever started. Returns a hint to print, or NULL.
 */
char *
check_diagnose(const char *tail, const char *imagedir, const char *kernel,
    int started)
{
	const char	*tmp = uml_tmpdir(), *p;
	char		*hint = NULL;

	if (imagedir != NULL && check_free_mb(imagedir) == 0)
		xasprintf(&hint, "%s: %s: the image file could not grow (free "
		    "some space, or build elsewhere)", imagedir,
		    strerror(ENOSPC));
	else if (check_free_mb(stale_tmpdir()) == 0)
		xasprintf(&hint, "%s: %s (TMPDIR holds the run directory)",
		    stale_tmpdir(), strerror(ENOSPC));
	else if (tail == NULL)
		return (NULL);
	else if (strstr(tail, "must be not mounted noexec") != NULL)
		check_exec_dir(tmp, &hint);
	else if (strstr(tail, "VFS: Unable to mount root fs") != NULL)
		xasprintf(&hint, "the kernel could not mount the host's / over "
		    "hostfs: %s lacks hostfs (rootstrap check lists its "
		    "features; apt-get install user-mode-linux, or set "
		    "kernel=)", kernel);
	else if ((p = strstr(tail, "Kernel panic - not syncing: ")) != NULL)
		xasprintf(&hint, "the UML kernel panicked: %.*s", (int)strcspn(
		    p + 28, "\n"), p + 28);
	else if (strstr(tail, "No space left on device") != NULL)
		xasprintf(&hint, "%s while the guest wrote (see the transcript)",
		    strerror(ENOSPC));
	else if (!started)
		xasprintf(&hint, "%s never started the builder: is it a UML "
		    "kernel? (rootstrap check tests it; see the transcript)",
		    kernel);
	return (hint);
}

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

/* Run argv and keep up to size-1 bytes of its output; 10 s at most. */
static int
check_capture(char *const *argv, char *buf, size_t size)
{
	struct pollfd	 pfd;
	size_t		 len = 0;
	ssize_t		 n;
	pid_t		 pid;
	int		 fds[2], status = -1, waited = 0, tries;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return (-1);
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return (-1);
	}
	if (pid == 0) {
		setpgid(0, 0);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 10000) > 0) {
		if ((n = read(fds[0], buf + len, size - 1 - len)) <= 0)
			break;
		len += n;
		if (len == size - 1)
			break;
	}
	buf[len] = '\0';
	close(fds[0]);
	/* A kernel that hangs or floods is ended with its helpers. */
	for (tries = 0; tries < 100; tries++) {
		if ((waited = waitpid(pid, &status, WNOHANG) == pid))
			break;
		usleep(20000);
	}
	if (!waited) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		status = -1;
	}
	kill(-pid, SIGKILL);
	return (waited && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Whether the NUL-terminated word occurs in the file, as a C string. */
static int
check_file_has(const char *path, const char *word)
{
	struct stat	 st;
	const char	*p, *end;
	size_t		 len = strlen(word);
	void		*map;
	int		 fd, found = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	if (fstat(fd, &st) == -1 || st.st_size == 0 ||
	    (map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) ==
	    MAP_FAILED) {
		close(fd);
		return (0);
	}
	p = map;
	end = p + st.st_size;
	while (!found && p + len + 2 <= end &&
	    (p = memmem(p, end - p, word, len)) != NULL) {
		found = p > (const char *)map && p[-1] == '\0' &&
		    p + len < end && p[len] == '\0';
		p += len;
	}
	munmap(map, st.st_size);
	close(fd);
	return (found);
}

static int
check_is_elf(const char *path)
{
	char	 magic[4];
	int	 fd, elf;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	elf = read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0;
	close(fd);
	return (elf);
}

/* The kernel, what it can do, and whether the configured transport is in. */
static void
check_kernel(struct check *ck, const char *name, const char *transport)
{
	struct strv	 have = { 0 };
	const char	*want;
	char		*path, *help, *list, *argv[3];
	size_t		 i;
	int		 rc;

	if ((path = host_which(name)) == NULL) {
		check_item(ck, "error", "kernel", "%s: not found or not "
		    "executable; fix: apt-get install user-mode-linux, or set "
		    "kernel= to a UML kernel", name);
		return;
	}
	help = xmalloc(CHECK_MAX_HELP);
	argv[0] = path;
	argv[1] = "--help";
	argv[2] = NULL;
	rc = check_capture(argv, help, CHECK_MAX_HELP);
	if (rc != 0 || strstr(help, "User Mode Linux") == NULL) {
		check_item(ck, "error", "kernel", "%s: not a User-Mode Linux "
		    "kernel ('%s --help' %s); fix: apt-get install "
		    "user-mode-linux, or set kernel=", path, path,
		    rc == 0 ? "does not say User Mode Linux" : "failed");
		goto out;
	}
	check_item(ck, "ok", "kernel", "%s", path);
	if (strstr(help, "hostfs=") == NULL)
		check_item(ck, "error", "hostfs", "%s has no hostfs, which a "
		    "build boots from; fix: use Debian's user-mode-linux "
		    "kernel, or one built with CONFIG_HOSTFS", path);
	else
		check_item(ck, "ok", "hostfs", "the host's / can be the "
		    "guest's root");
	if (strstr(help, "ubd<n>") == NULL)
		check_item(ck, "error", "ubd", "%s has no ubd block devices, "
		    "which hold the image; fix: a kernel with "
		    "CONFIG_BLK_DEV_UBD", path);
	else
		check_item(ck, "ok", "ubd", "the image can be a block device");

	/* A wrapper script's own text says nothing about the kernel's. */
	if (!check_is_elf(path)) {
		check_item(ck, "warning", "transports", "%s is not an ELF "
		    "binary (a wrapper?), so its transports are not known",
		    path);
		goto out;
	}
	for (i = 0; check_transports[i] != NULL; i++) {
		if (check_file_has(path, check_transports[i]))
			strv_add(&have, check_transports[i]);
	}
	if (strstr(help, "vec[0-9]+") != NULL)
		strv_add(&have, "vec");
	list = have.n > 0 ? strv_join(&have, " ") : xstrdup("none");
	if (strcmp(transport, "none") == 0)
		check_item(ck, "ok", "transports", "%s (transport=none needs "
		    "none)", list);
	else {
		/* transport=user is the vector driver's fd transport. */
		want = strcmp(transport, "user") == 0 ? "vec" : transport;
		for (i = 0; i < have.n; i++) {
			if (strcmp(have.v[i], want) == 0)
				break;
		}
		if (i < have.n)
			check_item(ck, "ok", "transports", "%s", list);
		else
			check_item(ck, "error", "transports", "%s has no %s "
			    "transport (it has: %s); fix: choose another "
			    "[network] transport, or another kernel", path,
			    want, list);
	}
	free(list);
	strv_free(&have);
out:
	free(help);
	free(path);
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

	parse_mb(env_get(g, "initialsize"), &want);
	mb = check_free_mb(imagedir);
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

	mb = check_free_mb(tmp);
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
	const char	*saved = getenv("PATH");
	char		*keep, *found;

	/* The guest runs the host's programs along the configured PATH. */
	keep = xstrdup(saved != NULL ? saved : "");
	if (path != NULL)
		setenv("PATH", path, 1);
	if ((found = host_which("debootstrap")) != NULL)
		check_item(ck, "ok", "debootstrap", "%s", found);
	else
		check_item(ck, "error", "debootstrap", "not found in PATH %s; "
		    "fix: apt-get install debootstrap", path != NULL ? path :
		    "(unset)");
	free(found);
	setenv("PATH", keep, 1);
	free(keep);

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

static void
check_usage(void)
{
	fprintf(stderr, "usage: rootstrap check [-c file] [imagefile]\n");
	exit(EXIT_USAGE);
}

/*
 * rootstrap check [-c file] [imagefile]: is this host ready for a build
 * with this configuration? One line per item; exit 0 if usable, else 1.
 */
int
check_main(int argc, char **argv, const char *stockdir)
{
	struct check	 ck = { 0, 0 };
	struct conf	 c;
	struct plan	 p;
	struct plan_ctx	 ctx;
	const char	*config = NULL, *image = "root_fs";
	const char	*tmp = uml_tmpdir();
	char		 cwd[4096], *dir, *cause = NULL;
	size_t		 i;
	int		 ch, n;

	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch != 'c')
			check_usage();
		config = optarg;
	}
	if (argc - optind > 1)
		check_usage();
	if (argc - optind == 1)
		image = argv[optind];
	if (getcwd(cwd, sizeof cwd) == NULL)
		fatal("getcwd: %s", strerror(errno));

	/* The configuration, read as a build reads it. */
	conf_init(&c);
	conf_load_layers(&c, config);
	memset(&ctx, 0, sizeof ctx);
	ctx.image = image;
	ctx.rundir = "RUNDIR";
	ctx.workdir = cwd;
	ctx.stockdir = stockdir;
	ctx.sitedir = SYSCONFDIR "/rootstrap/modules";
	plan_make(&p, &c, &ctx);
	for (i = 0; i < c.errors.n; i++)
		check_item(&ck, "error", "configuration", "%s",
		    c.errors.v[i]);
	if (c.errors.n == 0)
		check_item(&ck, "ok", "configuration", "no errors");

	check_kernel(&ck, env_get(&p.global, "kernel"),
	    env_get(&p.net, "transport"));
	if (check_exec_dir(tmp, &cause) == 0)
		check_item(&ck, "ok", "exec memory", "%s allows executable "
		    "mappings", tmp);
	else {
		check_item(&ck, "error", "exec memory", "%s", cause);
		free(cause);
	}
	if (strrchr(image, '/') != NULL)
		dir = xstrndup(image, strrchr(image, '/') - image);
	else
		dir = xstrdup(".");
	check_space(&ck, *dir != '\0' ? dir : "/", &p.global);
	check_tools(&ck, &p);
	check_uml_net(&ck, env_get(&p.net, "transport"));

	cause = NULL;
	switch (check_mirror(env_get(&p.debian, "mirror"),
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

	/* What killed builds left here; removing it is safe (stale.c). */
	n = stale_sweep_images(*dir != '\0' ? dir : "/") +
	    stale_sweep_rundirs(stale_tmpdir());
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
