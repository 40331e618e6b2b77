/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml.h"

/*
 * What a UML kernel offers and needs of the host: the options and
 * transports it was built with (asked with --help and read from the
 * binary), the directory it maps its memory in, and, when a run fails,
 * what its last words and the host's state say about why.
 */

#define KERNEL_HELP_MAX		(256 * 1024)
#define KERNEL_HELP_TIMEOUT	10
#define PROBE_MAGIC		"rootstrap-kernel-probe 1"

/* A transport UML may have, and how its name shows in the kernel. */
static const char *const kernel_transports[] = {
	"slirp", "tuntap", "daemon", "mcast", "vde", "pcap", NULL
};

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
uml_exec_dir(const char *dir, char **cause)
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

/* Whether the NUL-terminated word occurs in the file, as a C string. */
static int
file_has_word(const char *path, const char *word)
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
is_elf(const char *path)
{
	char	 magic[4];
	int	 fd, elf;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	elf = read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0;
	close(fd);
	return (elf);
}

/* What kernel --help and --version say, and what its binary holds. */
static void
probe_run(struct uml_kernel *k)
{
	struct buf	 help = { NULL, 0, 0 }, version = { NULL, 0, 0 };
	char		*argv[3], *cause = NULL;
	size_t		 i;
	int		 rc;

	argv[0] = k->path;
	argv[1] = "--help";
	argv[2] = NULL;
	rc = spawn_capture(argv, KERNEL_HELP_TIMEOUT, &help, KERNEL_HELP_MAX,
	    &cause);
	free(cause);
	cause = NULL;
	k->answered = rc == 0;
	k->is_uml = rc == 0 && strstr(help.s, "User Mode Linux") != NULL;
	k->hostfs = strstr(help.s, "hostfs=") != NULL;
	k->ubd = strstr(help.s, "ubd<n>") != NULL;
	k->seccomp = strstr(help.s, "seccomp=") != NULL;
	/* Linux 6.16 dropped ethN= and its transports; vecN: stayed. */
	k->legacy = strstr(help.s, "eth[0-9]+=") != NULL;
	/* A wrapper script's own text says nothing about the kernel's. */
	if ((k->elf = is_elf(k->path)) && k->legacy) {
		for (i = 0; kernel_transports[i] != NULL; i++) {
			if (file_has_word(k->path, kernel_transports[i]))
				strv_add(&k->transports, kernel_transports[i]);
		}
	}
	if (strstr(help.s, "vec[0-9]+") != NULL)
		strv_add(&k->transports, "vec");
	argv[1] = "--version";
	if (k->is_uml && spawn_capture(argv, KERNEL_HELP_TIMEOUT, &version,
	    64, &cause) == 0 && version.len > 0)
		k->version = xstrndup(version.s, strcspn(version.s, " \n"));
	else
		k->version = xstrdup("");
	free(cause);
	buf_free(&help);
	buf_free(&version);
}

/* The probe's file in cachedir, named by what identifies the binary. */
static char *
probe_file(const char *cachedir, const char *path)
{
	struct stat	 st;
	char		*id, *file;
	uint64_t	 h = 0xcbf29ce484222325ULL;
	const char	*p;

	if (cachedir == NULL || stat(path, &st) != 0)
		return (NULL);
	xasprintf(&id, "%s %llu %llu %lld.%09ld %lld", path,
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
	    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	    (long long)st.st_size);
	/* FNV-1a: a name, not a defence; the file says whose it is. */
	for (p = id; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	xasprintf(&file, "%s/probe-%016llx", cachedir, (unsigned long long)h);
	free(id);
	return (file);
}

/*
 * Loops per jiffy, as the kernel's delay-loop calibration printed it: 0
 * unless a plausible number (a guest wrote it; it is only kept if so).
 */
static unsigned long
lpj_parse(const char *s)
{
	uint64_t	 v;

	if (parse_uint(s, 100000000000ULL, &v) != 0 || v < 1000)
		return (0);
	return ((unsigned long)v);
}

static int
probe_load(struct uml_kernel *k, const char *file)
{
	struct recfile	 r;
	char		*cause = NULL;
	size_t		 i, n;

	if (file == NULL ||
	    recfile_read(file, PROBE_MAGIC, 65536, &r, &cause) != 0) {
		free(cause);
		return (-1);
	}
	for (i = 0; i < r.tags.n; i++) {
		if (strcmp(r.tags.v[i], "path") == 0 &&
		    strcmp(r.values.v[i], k->path) != 0)
			break;
		if (strcmp(r.tags.v[i], "version") == 0 && k->version == NULL)
			k->version = xstrdup(r.values.v[i]);
		else if (strcmp(r.tags.v[i], "transport") == 0)
			strv_add(&k->transports, r.values.v[i]);
		else if (strcmp(r.tags.v[i], "lpj") == 0)
			k->lpj = lpj_parse(r.values.v[i]);
		else if (strcmp(r.tags.v[i], "has") == 0) {
			k->hostfs |= strcmp(r.values.v[i], "hostfs") == 0;
			k->ubd |= strcmp(r.values.v[i], "ubd") == 0;
			k->seccomp |= strcmp(r.values.v[i], "seccomp") == 0;
			k->legacy |= strcmp(r.values.v[i], "eth") == 0;
			k->elf |= strcmp(r.values.v[i], "elf") == 0;
		}
	}
	n = r.tags.n;
	recfile_free(&r);
	if (i != n || k->version == NULL) {
		free(k->version);
		k->version = NULL;
		strv_free(&k->transports);
		k->hostfs = k->ubd = k->seccomp = k->legacy = k->elf = 0;
		return (-1);
	}
	k->answered = k->is_uml = 1;
	return (0);
}

/* Only a kernel that passed: one that did not is asked again. */
static void
probe_store(const struct uml_kernel *k, const char *cachedir,
    const char *file, unsigned long lpj)
{
	struct recfile	 r = { { 0 }, { 0 } };
	char		*cause = NULL, *tmp, num[32];
	size_t		 i;
	int		 fd;

	if (file == NULL || !k->is_uml ||
	    file_mkdirs(cachedir, 0755, &cause) != 0) {
		free(cause);
		return;
	}
	recfile_add(&r, "path", k->path);
	recfile_add(&r, "version", k->version);
	for (i = 0; i < k->transports.n; i++)
		recfile_add(&r, "transport", k->transports.v[i]);
	if (k->hostfs)
		recfile_add(&r, "has", "hostfs");
	if (k->ubd)
		recfile_add(&r, "has", "ubd");
	if (k->seccomp)
		recfile_add(&r, "has", "seccomp");
	if (k->legacy)
		recfile_add(&r, "has", "eth");
	if (k->elf)
		recfile_add(&r, "has", "elf");
	if (lpj > 0) {
		snprintf(num, sizeof num, "%lu", lpj);
		recfile_add(&r, "lpj", num);
	}
	/* Written whole under another name, then renamed over. */
	xasprintf(&tmp, "%s.XXXXXX", file);
	if ((fd = mkstemp(tmp)) != -1) {
		close(fd);
		if (recfile_write(tmp, PROBE_MAGIC, &r, &cause) != 0 ||
		    rename(tmp, file) != 0)
			unlink(tmp);
	}
	free(tmp);
	free(cause);
	recfile_free(&r);
}

/*
 * What the kernel name (looked up on rootstrap's PATH) is and offers.
 * With cachedir, the answer is kept there for the same binary (path,
 * inode, size and time), so a run asks the kernel only once. Returns 0
 * if it could be asked (k->is_uml says whether it is UML), -1 if there is
 * no such program; k is filled either way, to free.
 */
int
uml_kernel_probe(const char *name, const char *cachedir,
    struct uml_kernel *k)
{
	char	*file;

	memset(k, 0, sizeof *k);
	if ((k->path = host_which(name)) == NULL)
		return (-1);
	file = probe_file(cachedir, k->path);
	if (probe_load(k, file) != 0) {
		probe_run(k);
		probe_store(k, cachedir, file, 0);
	}
	if (file != NULL && k->is_uml) {
		k->cachedir = xstrdup(cachedir);
		k->probefile = file;
	} else
		free(file);
	return (0);
}

/*
 * The kernel calibrates its delay loop at every boot, about 45 ms of a
 * `rootstrap run` on the seccomp-mode kernel, to much the same number on
 * the same host (lower when the host is busy, as any boot's own would
 * be; UML's drivers hardly use the loop). The builder reads it from the
 * kernel's log into the run directory's lpj file; the first is kept with
 * the probe, and later boots of this kernel are given it (lpj=) and skip
 * the calibration.
 */
void
uml_kernel_keep_lpj(const struct uml_kernel *k, const char *rundir)
{
	char		*path, *s;
	unsigned long	 lpj;

	if (k == NULL || k->probefile == NULL || k->lpj != 0 || rundir == NULL)
		return;
	xasprintf(&path, "%s/lpj", rundir);
	if ((s = file_read(path, 64, NULL)) != NULL) {
		s[strcspn(s, "\n")] = '\0';
		if ((lpj = lpj_parse(s)) != 0)
			probe_store(k, k->cachedir, k->probefile, lpj);
	}
	free(s);
	free(path);
}

void
uml_kernel_free(struct uml_kernel *k)
{
	free(k->path);
	free(k->version);
	free(k->cachedir);
	free(k->probefile);
	strv_free(&k->transports);
	memset(k, 0, sizeof *k);
}

/*
 * What the build's failure looks like from the host, for the message:
 * the end of UML's output, the free space where the build writes, and
 * whether the builder ever started. Returns a hint to print, or NULL.
 */
char *
uml_diagnose(const char *tail, const char *imagedir, const char *kernel,
    int started)
{
	const char	*tmp = uml_tmpdir(), *p;
	char		*hint = NULL;

	if (imagedir != NULL && file_free_mb(imagedir) == 0)
		xasprintf(&hint, "%s: %s: the image file could not grow (free "
		    "some space, or build elsewhere)", imagedir,
		    strerror(ENOSPC));
	else if (file_free_mb(tmpdir()) == 0)
		xasprintf(&hint, "%s: %s (TMPDIR holds the run directory)",
		    tmpdir(), strerror(ENOSPC));
	else if (tail == NULL)
		return (NULL);
	else if (strstr(tail, "must be not mounted noexec") != NULL)
		uml_exec_dir(tmp, &hint);
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

