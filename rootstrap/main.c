/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rootstrap.h"
#include "debs.h"
#include "dpkgdb.h"

/*
 * rootstrap: build a Debian root filesystem image for User-Mode Linux.
 * The host checks the configuration, makes the image file, boots UML with
 * the builder as init to run the modules, reads back each module's result,
 * shrinks the image and renames it into place.
 */

/* What the command line asked for. */
struct opts {
	const char	*config;
	const char	*logfile;
	const char	*size;
	const char	*umlextra;
	int		 dry_run;
	int		 no_cache;
	const char	*import;	/* a root tarball instead of debian */
};

struct build {
	const char	*image;		/* the final path */
	char		*tmpimage;
	char		*rundir;
	char		*builder;
	char		*stockdir;
	char		*libexecdir;	/* also where uml_net is */
	char		 workdir[PATH_MAX];
	char		*cachedir;	/* NULL: no image cache */
	char		*cachekey;
	char		*cachewhat;
	uint64_t	 import_inodes;
	const env_t	*host_debian;	/* [debian] method=host: its env */
	struct debset	 debs;
	struct conf	 conf;
	struct plan	 plan;
};

static __attribute__((noreturn)) void
usage(int status)
{
	FILE	*f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: rootstrap [-nv] [-c file] [-o logfile] [-s MB] [-u umlargs] imagefile\n"
"       rootstrap run [options] image [--] command [argument ...]\n"
"       rootstrap boot [-N user|slirp|none] [-k kernel] [-t seconds] umlarg ...\n"
"       rootstrap cache list|clean\n"
"       rootstrap check [-c file] [imagefile]\n"
"       rootstrap export image file.tar[.gz|.xz|.zst]|-\n"
"       rootstrap fetch [-pv] [-c file]\n"
"       rootstrap import [-nv] [-c file] [-o logfile] [-s MB] tarball imagefile\n"
"\n"
"Build a Debian root filesystem image for User-Mode Linux, without root.\n"
"\n"
"  -c, --config FILE      read FILE after " SYSCONFDIR "/rootstrap/rootstrap.conf\n"
"                         and ./rootstrap.conf\n"
"  -n, --dry-run          check the configuration and print the plan\n"
"  -o, --log LOGFILE      write the transcript to LOGFILE instead of stdout\n"
"      --no-cache         build even if the image cache has this image\n"
"  -s, --image-size MB    initial image size (overrides initialsize)\n"
"  -u, --umlargs ARGS     extra UML kernel arguments (added to umlargs)\n"
"  -v, --verbose          show kernel messages and debug lines\n"
"  -h, --help             show this help\n"
"  -V, --version          show the version\n");
	exit(status);
}

/* Remove everything a build made, whatever stage it reached. */
static void
build_cleanup(struct build *b)
{
	char	*copy;

	if (b->tmpimage != NULL) {
		/* The shrink's working copy too (image_shrink). */
		xasprintf(&copy, "%s.shrink", b->tmpimage);
		unlink(copy);
		free(copy);
		unlink(b->tmpimage);
		free(b->tmpimage);
		b->tmpimage = NULL;
	}
	if (b->rundir != NULL) {
		rundir_remove(b->rundir);
		free(b->rundir);
		b->rundir = NULL;
	}
}

/* What a finished build still holds (a valgrind run checks). */
static void
build_free(struct build *b)
{
	plan_free(&b->plan);
	conf_free(&b->conf);
	free(b->builder);
	free(b->stockdir);
	free(b->libexecdir);
	free(b->cachedir);
	free(b->cachekey);
	free(b->cachewhat);
}

static __attribute__((noreturn)) void
build_fail(struct build *b, int status, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (fmt != NULL) {
		va_start(ap, fmt);
		xvasprintf(&msg, fmt, ap);
		va_end(ap);
		log_error("%s", msg);
		free(msg);
	}
	build_cleanup(b);
	if (spawn_signal != 0)
		status = 128 + spawn_signal;
	exit(status);
}

/* The image must be creatable: an existing directory, a free name. */
static void
check_image_path(struct build *b)
{
	struct stat	 st;
	char		*dir, *tmp;

	if (*b->image == '\0')
		errx(EXIT_USAGE, "the image path is empty");
	if (stat(b->image, &st) == 0 && S_ISDIR(st.st_mode))
		errx(EXIT_USAGE, "%s: is a directory", b->image);
	tmp = xstrdup(b->image);
	dir = dirname(tmp);
	if (stat(dir, &st) != 0)
		errx(EXIT_USAGE, "%s: %s (the image's directory)", dir,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		errx(EXIT_USAGE, "%s: not a directory", dir);
	if (access(dir, W_OK) != 0)
		errx(EXIT_USAGE, "%s: %s (the image's directory)", dir,
		    strerror(errno));
	free(tmp);
}

/* ROOTSTRAP_LIBEXECDIR lets a build tree run without installing. */
static void
find_libexec(struct build *b, int dry_run)
{
	const char	*dir = getenv("ROOTSTRAP_LIBEXECDIR");

	if (dir == NULL || *dir == '\0')
		dir = PKGLIBEXECDIR;
	b->libexecdir = xstrdup(dir);
	xasprintf(&b->builder, "%s/builder", dir);
	xasprintf(&b->stockdir, "%s/modules", dir);
	if (!dry_run && access(b->builder, X_OK) != 0)
		errx(EXIT_USAGE, "%s: %s (the builder; is rootstrap installed?)",
		    b->builder, strerror(errno));
}

/* The UML command line: hostfs root read-only, the image as ubda. */
static void
uml_argv(struct build *b, struct strv *argv, const char *extra)
{
	const env_t	*g = &b->plan.global;
	size_t		 i;

	uml_argv_start(argv, env_get(g, "kernel"), env_get(g, "mem"));
	strv_addf(argv, "ubd0=%s/image", b->rundir != NULL ? b->rundir :
	    "RUNDIR");
	strv_addf(argv, "init=%s", b->builder);
	strv_add(argv, "con0=fd:0,fd:1");
	strv_add(argv, "con=null");
	if (!log_verbose)
		strv_add(argv, "quiet");
	strv_addf(argv, "rsrun=%s", b->rundir != NULL ? b->rundir : "RUNDIR");
	/* UML's pid file and mconsole socket: not in ~/.uml, gone with us. */
	strv_addf(argv, "uml_dir=%s", b->rundir != NULL ? b->rundir : "RUNDIR");
	for (i = 0; i < b->plan.nsteps; i++) {
		if (b->plan.steps[i].stock != NULL &&
		    b->plan.steps[i].stock->umlargs != NULL)
			b->plan.steps[i].stock->umlargs(&b->plan.steps[i].env,
			    argv);
	}
	strv_split(argv, env_get(g, "umlargs"), " \t");
	if (extra != NULL)
		strv_split(argv, extra, " \t");
}

static long long	 build_epoch(const struct build *);

static void
set_paths(struct build *b)
{
	char	 epoch[32];
	size_t	 i;

	snprintf(epoch, sizeof epoch, "%lld", build_epoch(b));
	for (i = 0; i < b->plan.nsteps; i++) {
		env_set(&b->plan.steps[i].env, "ROOTSTRAP_IMAGE", b->tmpimage);
		env_set(&b->plan.steps[i].env, "ROOTSTRAP_RUNDIR", b->rundir);
		/* Modules that can be reproducible should know. */
		if (build_epoch(b) >= 0)
			env_set(&b->plan.steps[i].env, "SOURCE_DATE_EPOCH",
			    epoch);
	}
}

/* The run directory, with the plan and the dirs the guest may write. */
static void
make_rundir(struct build *b)
{
	char	*path, *cause;
	size_t	 i;

	if ((b->rundir = rundir_make(b->tmpimage, &cause)) == NULL)
		build_fail(b, EXIT_BUILD, "%s", cause);
	for (i = 0; i < b->plan.rw.n; i++) {
		if (guest_mkdirs(b->plan.rw.v[i], 0755, &cause) != 0)
			build_fail(b, EXIT_BUILD, "%s", cause);
	}
	set_paths(b);
	xasprintf(&path, "%s/plan", b->rundir);
	if (plan_write(&b->plan, path, &cause) != 0)
		build_fail(b, EXIT_BUILD, "%s", cause);
	free(path);
}

/*
 * What the builder recorded: "start NAME", "end NAME STATUS MS" and a final
 * "done". Returns 0 if every module succeeded; otherwise says which did not.
 */
static int
read_status(struct build *b, int uml_status)
{
	char	*path, *buf, *line, *save, name[256] = "";
	int	 st, failed = 0, done = 0, open = 0;
	long	 ms;

	xasprintf(&path, "%s/status", b->rundir);
	buf = guest_read(path, 1 << 20);
	free(path);
	for (line = buf != NULL ? strtok_r(buf, "\n", &save) : NULL;
	    line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "start %255s", name) == 1)
			open = 1;
		else if (sscanf(line, "end %255s %d %ld", name, &st, &ms) == 3) {
			open = 0;
			if (st != 0) {
				log_error("module '%s' failed with exit status "
				    "%d", name, st);
				failed = 1;
			} else
				log_info("module %s: ok (%ld.%ld s)", name,
				    ms / 1000, (ms % 1000) / 100);
		} else if (strcmp(line, "done") == 0)
			done = 1;
	}
	free(buf);
	if (failed)
		return (-1);
	if (open) {
		log_error("module '%s' did not finish (UML exited with status "
		    "%d)", name, uml_status);
		return (-1);
	}
	if (!done) {
		log_error("the builder did not finish (UML exited with status "
		    "%d); see the transcript", uml_status);
		return (-1);
	}
	return (0);
}

static void
parse_args(struct opts *o, int argc, char **argv, const char **image)
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "image-size",	required_argument,	NULL, 's' },
		{ "log",	required_argument,	NULL, 'o' },
		{ "no-cache",	no_argument,		NULL, 'C' },
		{ "umlargs",	required_argument,	NULL, 'u' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	uint64_t	 mb;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "c:hno:s:u:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'h':
			usage(0);
		case 'n':
			o->dry_run = 1;
			break;
		case 'C':
			o->no_cache = 1;
			break;
		case 'o':
			o->logfile = optarg;
			break;
		case 's':
			o->size = optarg;
			if (parse_mb(o->size, &mb) != 0 || mb == 0)
				errx(EXIT_USAGE, "-s: invalid size '%s' (a "
				    "whole number of MB, greater than 0)",
				    o->size);
			break;
		case 'u':
			o->umlextra = optarg;
			break;
		case 'v':
			log_verbose++;
			break;
		case 'V':
			printf("rootstrap %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (o->import != NULL) {
		/* rootstrap import [options] tarball imagefile */
		if (argc != 2) {
			warnx("import: a tarball and an image file, please");
			usage(EXIT_USAGE);
		}
		o->import = argv[0];
		argc--;
		argv++;
	}
	if (argc != 1) {
		warnx(argc == 0 ? "no image file given" :
		    "only one image file, please");
		usage(EXIT_USAGE);
	}
	*image = argv[0];
}

/*
 * rootstrap import: the tarball's files take the place of mkfs and debian;
 * the guest only mounts the image and applies the uml fix-ups. Sized from
 * the archive unless -s says otherwise.
 */
static void
import_setup(struct build *b, const struct opts *o)
{
	uint64_t	 bytes, entries;
	char		*cause, size[32];

	if (access(o->import, R_OK) != 0)
		err(EXIT_USAGE, "%s", o->import);
	if (tar_measure(o->import, &bytes, &entries, &cause) != 0)
		errx(EXIT_USAGE, "%s", cause);
	b->import_inodes = entries + entries / 4 + 1024;
	snprintf(size, sizeof size, "%llu",
	    (unsigned long long)(bytes / 1048576 + bytes / 1048576 / 4 + 64));
	conf_set(&b->conf, "global", "initialsize", size, "import", 0);
	conf_set(&b->conf, "global", "modules", "mount uml umount", "import",
	    0);
}

/* Make the filesystem on the host and write the tarball into it. */
static void
import_fill(struct build *b, const struct opts *o)
{
	char	 inodes[32];
	char	*argv[] = { MKE2FS, "-q", "-F", "-t", NULL, "-N", inodes,
		    NULL, NULL };
	char	*cause;
	int	 rc;

	argv[4] = (char *)env_get(&b->plan.global, "fstype");
	argv[7] = b->tmpimage;
	snprintf(inodes, sizeof inodes, "%llu",
	    (unsigned long long)b->import_inodes);
	if ((rc = spawn_run(argv, 0, 0, &cause)) != 0)
		build_fail(b, EXIT_BUILD, "import: %s", rc < 0 ? cause :
		    "mke2fs failed");
	if (populate_from_tar(b->tmpimage, o->import, &cause) != 0)
		build_fail(b, EXIT_BUILD, "import: %s", cause);
}

/*
 * [debian] method=host: the host makes the filesystem and unpacks the
 * packages into it before the boot, so a stock mkfs in the guest would
 * undo that: it leaves the plan (rootstrap -n shows it gone).
 */
static void
host_method_setup(struct build *b)
{
	struct step	*s;
	size_t		 i;

	for (i = 0; i < b->plan.nsteps; i++) {
		s = &b->plan.steps[i];
		/* The section's keys: the steps move when mkfs leaves. */
		if (s->stock != NULL && strcmp(s->name, "debian") == 0 &&
		    strcmp(env_get(&s->env, "method"), "host") == 0)
			b->host_debian = &b->plan.debian;
	}
	if (b->host_debian == NULL)
		return;
	for (i = 0; i < b->plan.nsteps; i++) {
		s = &b->plan.steps[i];
		if (s->stock == NULL || strcmp(s->name, "mkfs") != 0)
			continue;
		free(s->name);
		free(s->path);
		strv_free(&s->env);
		memmove(s, s + 1, (b->plan.nsteps - i - 1) * sizeof *s);
		b->plan.nsteps--;
		i--;
	}
}

/* Fetch the set, and make the image big enough to hold it unpacked. */
static void
host_method_fetch(struct build *b)
{
	uint64_t	 need, mb;
	char		*cause, size[32];

	if (debset_fetch(b->host_debian, &b->plan.global, &b->debs,
	    &cause) != 0)
		build_fail(b, EXIT_BUILD, "debian: %s", cause);
	/* Room for metadata, the database and what configure writes. */
	need = unpack_size(&b->debs);
	need = need / 1048576 + need / 1048576 / 4 + 128;
	parse_mb(env_get(&b->plan.global, "initialsize"), &mb);
	if (need > mb) {
		log_info("initialsize %llu MB is too small for %zu packages; "
		    "using %llu MB", (unsigned long long)mb, b->debs.n,
		    (unsigned long long)need);
		snprintf(size, sizeof size, "%llu", (unsigned long long)need);
		env_set(&b->plan.global, "initialsize", size);
	}
}

/*
 * The required set, for the guest to configure it first as debootstrap
 * does (modules/debian-host.c).
 */
static void
host_method_required(struct build *b)
{
	struct strv	 names = { 0 };
	char		*path, *list, *cause, *name;
	size_t		 i;

	for (i = 0; i < b->debs.n; i++) {
		if (!b->debs.v[i].required)
			continue;
		name = b->debs.v[i].package != NULL ?
		    xstrdup(b->debs.v[i].package) :
		    control_field(b->debs.v[i].control, "Package");
		if (name != NULL)
			strv_add(&names, name);
		free(name);
	}
	list = strv_join(&names, "\n");
	xasprintf(&path, "%s/debian-required", b->rundir);
	if (guest_write(path, list, 0644, &cause) != 0)
		build_fail(b, EXIT_BUILD, "debian: %s", cause);
	free(path);
	free(list);
	strv_free(&names);
	debset_free(&b->debs);
}

/* mke2fs and the unpacked packages, on the host. */
static void
host_method_fill(struct build *b)
{
	char	*argv[] = { MKE2FS, "-q", "-F", "-t", NULL, NULL, NULL };
	char	*cause;
	int	 rc;

	argv[4] = (char *)env_get(&b->plan.global, "fstype");
	argv[5] = b->tmpimage;
	log_info("mkfs and unpack on the host (debian method=host)");
	if ((rc = spawn_run(argv, 0, 0, &cause)) != 0)
		build_fail(b, EXIT_BUILD, "mkfs: %s", rc < 0 ? cause :
		    "mke2fs failed");
	if (unpack_debs(b->tmpimage, &b->debs, b->host_debian, &cause) != 0)
		build_fail(b, EXIT_BUILD, "debian: %s", cause);
}

/* Every error of every file, then of every module, before anything. */
static void
build_check(struct build *b, const struct opts *o)
{
	struct plan_ctx	 ctx;
	size_t		 i;

	conf_init(&b->conf);
	conf_load_layers(&b->conf, o->config);
	if (o->import != NULL)
		import_setup(b, o);
	if (o->size != NULL)
		conf_set(&b->conf, "global", "initialsize", o->size, "-s", 0);
	memset(&ctx, 0, sizeof ctx);
	ctx.image = b->image;
	ctx.rundir = "RUNDIR";
	ctx.workdir = b->workdir;
	ctx.stockdir = b->stockdir;
	ctx.sitedir = SYSCONFDIR "/rootstrap/modules";
	if (plan_make(&b->plan, &b->conf, &ctx) == 0)
		host_method_setup(b);
	for (i = 0; i < b->conf.errors.n; i++)
		fprintf(stderr, "%s\n", b->conf.errors.v[i]);
	if (b->conf.errors.n != 0)
		errx(EXIT_USAGE, "%zu error%s in the configuration; nothing "
		    "was built", b->conf.errors.n,
		    b->conf.errors.n == 1 ? "" : "s");
	if (strpbrk(b->builder, " \t\n") != NULL)
		errx(EXIT_USAGE, "%s: the builder's path cannot contain spaces",
		    b->builder);
}

/*
 * Look the build up in the image cache; a hit is copied into place and
 * ends the build. On a miss the key is kept, to store the result.
 */
static int
cache_reuse(struct build *b, const struct opts *o)
{
	struct strv	 what = { 0 };
	char		*hit, *cause = NULL;
	size_t		 i;

	if (o->no_cache || (b->cachedir = cache_dir()) == NULL)
		return (0);
	if ((b->cachekey = cache_key(&b->plan, b->builder, o->umlextra,
	    &cause)) == NULL) {
		log_warnx("image cache not used: %s", cause);
		free(cause);
		return (0);
	}
	if ((hit = cache_lookup(b->cachedir, b->cachekey)) == NULL) {
		for (i = 0; i < b->plan.nsteps; i++) {
			strv_add(&what, b->plan.steps[i].name);
			if (strcmp(b->plan.steps[i].name, "debian") == 0)
				strv_addf(&what, "(%s)",
				    env_get(&b->plan.debian, "dist"));
		}
		strv_addf(&what, "-> %s/%s", b->workdir, b->image);
		b->cachewhat = strv_join(&what, " ");
		strv_free(&what);
		return (0);
	}
	if (image_allocate(b->image, 1, &b->tmpimage, &cause) != 0 ||
	    file_copy(hit, b->tmpimage, &cause) != 0)
		build_fail(b, EXIT_BUILD, "image cache: %s", cause);
	if (rename(b->tmpimage, b->image) == -1)
		build_fail(b, EXIT_BUILD, "%s: %s while renaming %s into "
		    "place", b->image, strerror(errno), b->tmpimage);
	free(b->tmpimage);
	b->tmpimage = NULL;
	log_info("reused the cached image %.16s (nothing changed since it "
	    "was built; --no-cache rebuilds)", b->cachekey);
	log_info("built %s", b->image);
	free(hit);
	return (1);
}

/* SOURCE_DATE_EPOCH, else [global] source_date_epoch, else -1. */
static long long
build_epoch(const struct build *b)
{
	const char	*v = env_get(&b->plan.global, "source_date_epoch");

	if (source_date_epoch() >= 0)
		return (source_date_epoch());
	return (v != NULL ? strtoll(v, NULL, 10) : -1);
}

/*
 * A reproducible image. What the guest wrote is not: ext4's layout follows
 * the kernel's timing, and logs, machine-id and shadow dates record the
 * build. So the finished tree is exported with those normalised and times
 * clamped, and written in sorted order into a fresh filesystem whose UUID
 * and hash seed come from the configuration, sized to its content plus
 * freespace, with every time e2fsprogs sets pinned to the epoch.
 */
static void
reproduce(struct build *b, long long epoch, uint64_t freemb)
{
	uint64_t	 bytes, entries, mb;
	char		 uuid[37], seed[37], size[32], inodes[32], opts[80];
	char		 when[32];
	char		*tar, *fresh, *cause;
	int		 rc;
	char		*argv[] = { MKE2FS, "-q", "-F", "-t", NULL, "-U", uuid,
			    "-E", opts, "-N", inodes, NULL, NULL };

	snprintf(when, sizeof when, "%lld", epoch);
	setenv("E2FSPROGS_FAKE_TIME", when, 1);
	xasprintf(&tar, "%s/root.tar", b->rundir);
	if (image_export(b->tmpimage, tar, epoch, &cause) != 0 ||
	    tar_measure(tar, &bytes, &entries, &cause) != 0)
		build_fail(b, EXIT_BUILD, "reproducible: %s", cause);
	plan_uuids(&b->plan, uuid, seed);
	mb = bytes / 1048576 + bytes / 1048576 / 10 + 32 + freemb;
	parse_mb(env_get(&b->plan.global, "initialsize"), &bytes);
	if (freemb == 0)
		mb = bytes;
	snprintf(size, sizeof size, "%llu", (unsigned long long)mb);
	snprintf(inodes, sizeof inodes, "%llu",
	    (unsigned long long)(entries + entries / 4 + 1024));
	snprintf(opts, sizeof opts, "hash_seed=%s", seed);
	argv[4] = (char *)env_get(&b->plan.global, "fstype");
	if (image_allocate(b->image, mb, &fresh, &cause) != 0)
		build_fail(b, EXIT_BUILD, "reproducible: %s", cause);
	argv[11] = fresh;
	if ((rc = spawn_run(argv, 0, 0, &cause)) > 0)
		xasprintf(&cause, "mke2fs exited with status %d", rc);
	if (rc != 0 || populate_from_tar(fresh, tar, &cause) != 0) {
		unlink(fresh);
		build_fail(b, EXIT_BUILD, "reproducible: %s", cause);
	}
	if (rename(fresh, b->tmpimage) == -1) {
		unlink(fresh);
		build_fail(b, EXIT_BUILD, "reproducible: %s: %s", b->tmpimage,
		    strerror(errno));
	}
	unlink(tar);
	log_info("made reproducible: SOURCE_DATE_EPOCH %lld, UUID %s, %s MB",
	    epoch, uuid, size);
	free(fresh);
	free(tar);
}

/*
 * What the configuration cannot show: files killed builds left here, a
 * TMPDIR UML cannot map its memory in, a suite the mirror does not have.
 * Found before anything is made, in a second rather than minutes in.
 */
static void
build_preflight(struct build *b)
{
	char	*dir, *cause = NULL;
	size_t	 i;
	int	 rc;

	dir = xstrdup(b->image);
	stale_sweep_images(dirname(dir));
	free(dir);
	stale_sweep_rundirs(stale_tmpdir());
	if (check_exec_dir(uml_tmpdir(), &cause) != 0)
		errx(EXIT_BUILD, "%s; nothing was built", cause);
	for (i = 0; i < b->plan.nsteps; i++) {
		if (b->plan.steps[i].stock == NULL ||
		    strcmp(b->plan.steps[i].name, "debian") != 0)
			continue;
		rc = check_mirror(env_get(&b->plan.debian, "mirror"),
		    env_get(&b->plan.debian, "dist"),
		    env_get(&b->plan.debian, "http_proxy"), &cause);
		if (rc > 0)
			errx(EXIT_USAGE, "dist: %s; nothing was built", cause);
		if (rc < 0)
			errx(EXIT_BUILD, "mirror: %s; nothing was built",
			    cause);
	}
}

/* Say why UML's run failed, where the host can tell. */
static void
build_diagnose(struct build *b)
{
	struct stat	 st;
	char		*dir, *hint, *status;
	int		 started;

	/* The builder writes its status file as soon as it runs. */
	xasprintf(&status, "%s/status", b->rundir);
	started = stat(status, &st) == 0;
	free(status);
	dir = xstrdup(b->tmpimage != NULL ? b->tmpimage : b->image);
	hint = check_diagnose(spawn_tail(), dirname(dir),
	    env_get(&b->plan.global, "kernel"), started);
	if (hint != NULL)
		log_error("%s", hint);
	free(hint);
	free(dir);
}

/*
 * The cache store copies in-process, where the signalfd is never read: a
 * copy to a hung or slow filesystem would make SIGINT wait for it. So for
 * the store the signals act at once: the partial copy goes, the image
 * (complete, in place) stays, and the status says which signal.
 */
static char	*store_tmp;

static void
store_signal(int sig)
{
	static const char	 msg[] = "rootstrap: interrupted; the image is "
	    "complete, not stored in the image cache\n";

	unlink(store_tmp);
	(void)!write(STDERR_FILENO, msg, sizeof msg - 1);
	_exit(128 + sig);
}

static void
store_interruptible(struct build *b)
{
	struct sigaction	 sa;
	sigset_t		 set;

	store_tmp = cache_tmpname(b->cachedir, b->cachekey);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = store_signal;
	sigfillset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* allocate, the modules in one UML boot, shrink, rename into place. */
static void
build_run(struct build *b, const struct opts *o)
{
	struct strv	 uml = { 0 };
	const env_t	*net;
	char		*cause, *line, *path;
	uint64_t	 mb;
	int		 rc;

	build_preflight(b);
	if (cache_reuse(b, o))
		return;
	if (b->host_debian != NULL)
		host_method_fetch(b);
	parse_mb(env_get(&b->plan.global, "initialsize"), &mb);
	if (image_allocate(b->image, mb, &b->tmpimage, &cause) != 0)
		build_fail(b, EXIT_BUILD, "allocate: %s", cause);
	if (o->import != NULL)
		import_fill(b, o);
	if (b->host_debian != NULL)
		host_method_fill(b);
	make_rundir(b);
	if (b->host_debian != NULL)
		host_method_required(b);

	uml_argv(b, &uml, o->umlextra);
	line = strv_join(&uml, " ");
	log_info("booting UML: %s", line);
	free(line);
	parse_mb(env_get(&b->plan.global, "timeout"), &mb);
	path = uml_path_first(b->libexecdir);
	if ((net = usernet_plan(&b->plan)) != NULL)
		rc = usernet_spawn(net, uml.v, (int)mb, SPAWN_ONECPU, &cause);
	else
		rc = spawn_run(uml.v, (int)mb, SPAWN_ONECPU, &cause);
	setenv("PATH", path, 1);
	free(path);
	strv_free(&uml);
	if (rc < 0)
		build_fail(b, EXIT_BUILD, "UML: %s", cause);
	if (read_status(b, rc) != 0) {
		build_diagnose(b);
		build_fail(b, EXIT_BUILD, NULL);
	}
	if (spawn_io_error) {
		log_error("the guest could not write the image (I/O errors on "
		    "%s; see the transcript)", GUEST_DEVICE);
		build_diagnose(b);
		build_fail(b, EXIT_BUILD, NULL);
	}

	parse_mb(env_get(&b->plan.global, "freespace"), &mb);
	if (build_epoch(b) >= 0)
		reproduce(b, build_epoch(b), mb);
	else if (mb > 0 && image_shrink(b->tmpimage, mb, &cause) != 0) {
		log_error("shrink: %s", cause);
		build_diagnose(b);
		build_fail(b, EXIT_BUILD, NULL);
	}

	if (spawn_interrupted())
		build_fail(b, EXIT_BUILD, "interrupted by %s",
		    strsignal(spawn_signal));
	if (rename(b->tmpimage, b->image) == -1)
		build_fail(b, EXIT_BUILD, "%s: %s while renaming %s into "
		    "place", b->image, strerror(errno), b->tmpimage);
	free(b->tmpimage);
	b->tmpimage = NULL;
	build_cleanup(b);
	log_info("built %s", b->image);
	/* Interrupted now, the image is whole and stays; only the store goes. */
	if (spawn_interrupted())
		build_fail(b, EXIT_BUILD, "interrupted by %s; %s is complete, "
		    "not stored in the image cache", strsignal(spawn_signal),
		    b->image);
	if (b->cachekey != NULL) {
		store_interruptible(b);
		if (cache_store(b->cachedir, b->cachekey, b->image,
		    b->cachewhat, &cause) != 0)
			log_warnx("not stored in the image cache: %s", cause);
		else
			log_info("stored in the image cache as %.16s",
			    b->cachekey);
		if (spawn_interrupted())
			build_fail(b, EXIT_BUILD, "interrupted by %s; %s is "
			    "complete and stored", strsignal(spawn_signal),
			    b->image);
	}
}

/* -n: which cached image the build would reuse, if any. */
static void
dry_run_cache(struct build *b, const struct opts *o)
{
	char	*dir, *key, *hit, *cause = NULL;

	if (o->no_cache || (dir = cache_dir()) == NULL) {
		printf("cache: not used\n");
		return;
	}
	if ((key = cache_key(&b->plan, b->builder, o->umlextra,
	    &cause)) == NULL) {
		printf("cache: not used: %s\n", cause);
		free(cause);
	} else {
		hit = cache_lookup(dir, key);
		printf("cache: %s (%s)\n", key, hit != NULL ? "hit" : "miss");
		free(hit);
	}
	free(key);
	free(dir);
}

int
main(int argc, char **argv)
{
	struct build	 b;
	struct opts	 o;
	struct strv	 uml = { 0 };
	char		*line;

	memset(&b, 0, sizeof b);
	memset(&o, 0, sizeof o);
	if (argc > 1 && strcmp(argv[1], "run") == 0) {
		find_libexec(&b, 1);
		return (run_main(argc - 1, argv + 1, b.builder));
	}
	if (argc > 1 && (strcmp(argv[1], "check") == 0 ||
	    strcmp(argv[1], "--check") == 0)) {
		find_libexec(&b, 1);
		return (check_main(argc - 1, argv + 1, b.stockdir));
	}
	if (argc > 1 && strcmp(argv[1], "boot") == 0) {
		find_libexec(&b, 1);
		return (boot_main(argc - 1, argv + 1, b.libexecdir));
	}
	if (argc > 1 && strcmp(argv[1], "cache") == 0)
		return (cache_main(argc - 1, argv + 1));
	if (argc > 1 && strcmp(argv[1], "export") == 0)
		return (export_main(argc - 1, argv + 1));
	if (argc > 1 && strcmp(argv[1], "fetch") == 0)
		return (fetch_main(argc - 1, argv + 1));
	if (argc > 1 && strcmp(argv[1], "import") == 0) {
		o.import = "";
		o.no_cache = 1;
		argc--;
		argv++;
	}
	parse_args(&o, argc, argv, &b.image);
	if (getcwd(b.workdir, sizeof b.workdir) == NULL)
		err(EXIT_USAGE, "getcwd");
	find_libexec(&b, o.dry_run);
	build_check(&b, &o);

	if (o.dry_run) {
		uml_argv(&b, &uml, o.umlextra);
		line = strv_join(&uml, " ");
		printf("uml: %s\n", line);
		free(line);
		dry_run_cache(&b, &o);
		fflush(stdout);
		plan_print(&b.plan, STDOUT_FILENO);
		strv_free(&uml);
		build_free(&b);
		return (0);
	}
	check_image_path(&b);
	if (o.logfile != NULL) {
		if ((log_fd = open(o.logfile,
		    O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644)) == -1)
			err(EXIT_USAGE, "%s", o.logfile);
	}
	spawn_init();
	build_run(&b, &o);
	build_free(&b);
	return (0);
}
