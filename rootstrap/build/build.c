/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"

/*
 * The path of one build: check everything, ask the image cache, let the
 * host do its share, boot UML once with the builder as init to run the
 * guest modules, read back each module's result, make the image
 * reproducible or shrink it, rename it into place and store it.
 */

/* What a finished build still holds (a valgrind run checks). */
static void
build_free(struct build *b)
{
	plan_free(&b->plan);
	conf_free(&b->conf);
	debset_free(&b->debs);
	kernel_free(&b->kernel);
	free(b->builder);
	free(b->libexecdir);
	free(b->cachedir);
	free(b->cachekey);
	free(b->cachewhat);
	free(b->stagekey);
	free(b->logpath);
}

/* The image must be creatable: an existing directory, a free name. */
static void
check_image_path(struct build *b)
{
	struct stat	 st;
	char		*dir;

	if (*b->image == '\0')
		errx(EXIT_USAGE, "the image path is empty");
	if (stat(b->image, &st) == 0 && S_ISDIR(st.st_mode))
		errx(EXIT_USAGE, "%s: is a directory", b->image);
	dir = path_dir(b->image);
	if (stat(dir, &st) != 0)
		errx(EXIT_USAGE, "%s: %s (the image's directory)", dir,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		errx(EXIT_USAGE, "%s: not a directory", dir);
	if (access(dir, W_OK) != 0)
		errx(EXIT_USAGE, "%s: %s (the image's directory)", dir,
		    strerror(errno));
	free(dir);
}

/*
 * Where the builder, the stock module links and uml_net are:
 * ROOTSTRAP_LIBEXECDIR lets a build tree run without installing.
 */
char *
libexec_dir(void)
{
	const char	*dir = getenv("ROOTSTRAP_LIBEXECDIR");

	return (xstrdup(dir != NULL && *dir != '\0' ? dir : PKGLIBEXECDIR));
}

/*
 * The configuration's layers read (and extra, -c) and the plan made, as
 * every command that reads the configuration makes it, for an image at
 * image. Returns what plan_make returns; the errors are in c.
 */
int
build_plan(struct conf *c, struct plan *p, const char *extra,
    const char *image)
{
	conf_init(c);
	conf_load_layers(c, extra);
	return (build_plan_again(c, p, image));
}

/* The plan made of c as it is now (build_plan's second half). */
int
build_plan_again(struct conf *c, struct plan *p, const char *image)
{
	struct plan_ctx	 ctx;
	char		 cwd[PATH_MAX], *libexec, *stockdir;
	int		 rc;

	if (getcwd(cwd, sizeof cwd) == NULL)
		err(EXIT_USAGE, "getcwd");
	libexec = libexec_dir();
	xasprintf(&stockdir, "%s/modules", libexec);
	memset(&ctx, 0, sizeof ctx);
	ctx.modules = stock_modules;
	ctx.image = image;
	ctx.rundir = "RUNDIR";
	ctx.workdir = cwd;
	ctx.stockdir = stockdir;
	ctx.sitedir = SYSCONFDIR "/rootstrap/modules";
	rc = plan_make(p, c, &ctx);
	free(stockdir);
	free(libexec);
	return (rc);
}

static void
set_paths(struct build *b)
{
	size_t	 i;

	for (i = 0; i < b->plan.nsteps; i++) {
		env_set(&b->plan.steps[i].env, "ROOTSTRAP_IMAGE", b->tmpimage);
		env_set(&b->plan.steps[i].env, "ROOTSTRAP_RUNDIR", b->rundir);
	}
}

/* The run directory, and the dirs the guest may write. */
static void
make_rundir(struct build *b)
{
	char	*cause;
	size_t	 i;

	if ((b->rundir = rundir_make(b->tmpimage, &cause)) == NULL)
		build_fail(b, EXIT_BUILD, "%s", cause);
	for (i = 0; i < b->plan.rw.n; i++) {
		if (file_mkdirs(b->plan.rw.v[i], 0755, &cause) != 0)
			build_fail(b, EXIT_BUILD, "%s", cause);
	}
	set_paths(b);
}

/* The plan for the next boot, and no status from an earlier one. */
static void
write_plan(struct build *b, const struct plan *p)
{
	char	*path, *cause;

	xasprintf(&path, "%s/status", b->rundir);
	unlink(path);
	free(path);
	xasprintf(&path, "%s/plan", b->rundir);
	if (plan_write(p, path, &cause) != 0)
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
	buf = file_read(path, 1 << 20, NULL);
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

/* Every error of every file, then of every module, before anything. */
static void
build_check(struct build *b)
{
	size_t	 i;

	conf_init(&b->conf);
	conf_load_layers(&b->conf, b->o->config);
	if (b->o->import != NULL)
		prepare_import(b);
	if (b->o->size != NULL)
		conf_set(&b->conf, "global", "initialsize", b->o->size, "-s",
		    0);
	if (build_plan_again(&b->conf, &b->plan, b->image) == 0)
		prepare_plan(b);
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
 * The kernel the build boots (kernel.c), fetched when fetch and it must
 * be, and whether it offers what the plan asks of it.
 */
static void
build_kernel(struct build *b, int fetch)
{
	const struct step	*net = plan_stock(&b->plan, HAS_NETWORK);
	struct tuntap		 tap;
	char			*cause = NULL;

	if (kernel_choose(&b->plan.global, &b->plan.debian, fetch, &b->kernel,
	    &cause) != 0)
		errx(EXIT_USAGE, "kernel: %s; nothing was built", cause);
	if (!fetch)
		return;
	log_info("kernel: %s", b->kernel.origin);
	if (!b->kernel.k.is_uml)
		return;		/* the boot says what it is (uml_diagnose) */
	if (uml_net_check(&b->kernel.k, net != NULL ? &net->env : NULL,
	    &cause) != 0)
		errx(EXIT_USAGE, "%s; nothing was built", cause);
	if (net != NULL && strcmp(env_get(&net->env, "transport"),
	    "tuntap") == 0 && *env_get(&net->env, "host_if") != '\0') {
		/* The boot opens it again; a refusal now costs nothing. */
		if (hostif_open(&tap, env_get(&net->env, "host_if"),
		    &cause) != 0)
			errx(EXIT_USAGE, "%s; nothing was built", cause);
		close(tap.fd);
	}
}

/*
 * What the configuration cannot show: files killed builds left here, a
 * TMPDIR UML cannot map its memory in, a suite the mirror does not have.
 * Found before anything is made, in a second rather than minutes in.
 */
static void
build_preflight(struct build *b)
{
	const struct step	*s;
	char			*dir, *cause = NULL;
	int			 rc;

	dir = path_dir(b->image);
	image_sweep(dir);
	free(dir);
	rundir_sweep();
	/* An instance writing the image would lose it under a rename. */
	if ((rc = lock_image(b->image, 0)) != -1)
		close(rc);
	else if (errno == EWOULDBLOCK) {
		dir = instance_holding(b->image);
		errx(EXIT_USAGE, "%s: in use by instance %s (started without "
		    "-S); rootstrap stop it first; nothing was built", b->image,
		    dir != NULL ? dir : "(not yours)");
	}
	if (uml_exec_dir(uml_tmpdir(), &cause) != 0)
		errx(EXIT_BUILD, "%s; nothing was built", cause);
	build_kernel(b, 1);
	if ((s = plan_stock(&b->plan, HAS_ARCHIVE)) == NULL)
		return;
	rc = mirror_check(env_get(&b->plan.debian, "mirror"),
	    env_get(&b->plan.debian, "dist"),
	    env_get(&b->plan.debian, "http_proxy"), &cause);
	if (rc > 0)
		errx(EXIT_USAGE, "dist: %s; nothing was built", cause);
	if (rc < 0)
		errx(EXIT_BUILD, "mirror: %s; nothing was built", cause);
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
	dir = path_dir(b->tmpimage != NULL ? b->tmpimage : b->image);
	hint = uml_diagnose(spawn_tail(), dir, b->kernel.k.path, started);
	if (hint != NULL)
		log_error("%s", hint);
	free(hint);
	free(dir);
}

/* UML as a build runs it: the builder as init, the image as ubda. */
void
build_uml(struct build *b, struct uml *u)
{
	const struct step	*net = plan_stock(&b->plan, HAS_NETWORK);
	uint64_t		 secs = 0;
	char			*ubd;

	memset(u, 0, sizeof *u);
	u->kernel = b->kernel.k.path;
	u->probe = &b->kernel.k;
	u->mem = env_get(&b->plan.global, "mem");
	u->rundir = b->rundir != NULL ? b->rundir : "RUNDIR";
	xasprintf(&ubd, "%s/image", u->rundir);
	u->ubd0 = ubd;
	u->init = b->builder;
	u->console = UML_CONSOLE_LOG;
	u->net = net != NULL ? &net->env : NULL;
	u->libexecdir = b->libexecdir;
	strv_split(&u->args, env_get(&b->plan.global, "umlargs"), " \t");
	if (b->o->umlextra != NULL)
		strv_split(&u->args, b->o->umlextra, " \t");
	parse_uint(env_get(&b->plan.global, "timeout"), PARSE_SECONDS_MAX,
	    &secs);
	u->timeout = (int)secs;
}

static void
build_uml_free(struct uml *u)
{
	free((char *)u->ubd0);
	strv_free(&u->args);
}

/* The guest modules, in one UML boot; then what each of them did. */
static void
build_boot(struct build *b)
{
	struct uml		 u;
	struct uml_result	 r;

	build_uml(b, &u);
	uml_launch(&u, &r);
	progress_end();
	build_uml_free(&u);
	switch (r.end) {
	case UML_EXITED:
	case UML_PANICKED:
		break;
	case UML_KILLED:
		r.status += 128;
		break;
	default:
		build_fail(b, EXIT_BUILD, "UML: %s", r.cause);
	}
	if (read_status(b, r.status) != 0) {
		build_diagnose(b);
		build_fail(b, EXIT_BUILD, NULL);
	}
	if (r.io_error) {
		log_error("the guest could not write the image (I/O errors on "
		    "%s; see the transcript)", GUEST_DEVICE);
		build_diagnose(b);
		build_fail(b, EXIT_BUILD, NULL);
	}
	uml_result_free(&r);
}

/*
 * The stage this build has (stage.c), if any: its key, and whether the
 * image cache holds it. A hit makes the image from the copy (returns 1).
 */
static int
build_stage(struct build *b)
{
	char	*hit, *cause = NULL;

	if (b->cachedir == NULL || (b->stage = stage_step(&b->plan)) < 0)
		return (0);
	if ((b->stagekey = imgcache_stage_key(&b->plan, b->stage, b->builder,
	    &b->kernel, b->o->umlextra, &cause)) == NULL) {
		free(cause);
		return (0);
	}
	switch (imgcache_lookup(b->cachedir, b->stagekey, &hit, &cause)) {
	case -1:
		build_fail(b, EXIT_BUILD, "image cache: %s; not reused, "
		    "nothing was built (remove it, or use --no-cache)", cause);
	case 0:
		return (0);
	}
	if (image_allocate(b->image, 1, &b->tmpimage, &cause) != 0 ||
	    file_copy(hit, b->tmpimage, &cause) != 0)
		build_fail(b, EXIT_BUILD, "image cache: %s", cause);
	log_info("starting from the stage %.16s: the image as this "
	    "configuration left it after '%s'", b->stagekey,
	    b->plan.steps[b->stage].name);
	free(hit);
	return (1);
}

/*
 * The guest's steps: all in one boot; or, for a build with a stage, in
 * two (the stage kept between them), or in one after it.
 */
static void
build_steps(struct build *b, int resumed)
{
	struct plan	 v;
	char		*cause = NULL, *what;

	if (b->stagekey == NULL) {
		write_plan(b, &b->plan);
		prepare_rundir(b);
		build_boot(b);
		return;
	}
	if (!resumed) {
		stage_view(&b->plan, b->stage, 0, &v);
		write_plan(b, &v);
		stage_view_free(&v);
		prepare_rundir(b);
		build_boot(b);
		xasprintf(&what, "stage: the image after '%s' for %s",
		    b->plan.steps[b->stage].name, b->cachewhat != NULL ?
		    b->cachewhat : b->image);
		if (imgcache_put(b->cachedir, b->stagekey, b->tmpimage, what,
		    &cause) != 0)
			log_warnx("stage not kept: %s", cause);
		else
			log_info("kept the stage as %.16s", b->stagekey);
		free(what);
		free(cause);
	}
	stage_view(&b->plan, b->stage, 1, &v);
	write_plan(b, &v);
	stage_view_free(&v);
	build_boot(b);
}

/* allocate, the modules in UML, shrink, rename into place. */
static void
build_run(struct build *b)
{
	long long	 epoch = b->plan.epoch;
	char		*cause;
	uint64_t	 mb;
	int		 resumed;

	build_preflight(b);
	if (imgcache_reuse(b))
		return;
	if (!(resumed = build_stage(b))) {
		if (b->filler != NULL)
			prepare_fetch(b);
		parse_uint(env_get(&b->plan.global, "initialsize"),
		    PARSE_MB_MAX, &mb);
		if (image_allocate(b->image, mb, &b->tmpimage, &cause) != 0)
			build_fail(b, EXIT_BUILD, "allocate: %s", cause);
		prepare_fill(b);
	}
	make_rundir(b);
	build_steps(b, resumed);

	parse_uint(env_get(&b->plan.global, "freespace"), PARSE_MB_MAX, &mb);
	if (epoch >= 0)
		reproduce(b, epoch, mb);
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
	imgcache_store(b);
}

/* -n: the UML command line, the cache's answer and the plan. */
static void
build_dry_run(struct build *b)
{
	struct strv	 argv = { 0 };
	struct uml	 u;
	char		*line;

	build_kernel(b, 0);
	build_uml(b, &u);
	uml_argv(&u, &argv);
	build_uml_free(&u);
	line = strv_join(&argv, " ");
	printf("kernel: %s\n", b->kernel.origin);
	printf("uml: %s\n", line);
	free(line);
	strv_free(&argv);
	imgcache_dry_run(b);
	fflush(stdout);
	plan_print(&b->plan, STDOUT_FILENO);
}

/*
 * The whole transcript is always kept in a file: -o's, else IMAGE.log
 * beside the image, which a failure names. Without -o or -q the terminal
 * shows the transcript as it goes too. IMAGE.log is the user's, replaced
 * each build; a link there is not followed.
 */
static void
open_transcript(struct build *b)
{
	int	 fd;

	if (b->o->logfile != NULL) {
		if ((log_fd = open(b->o->logfile,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
			err(EXIT_USAGE, "%s", b->o->logfile);
		b->logpath = xstrdup(b->o->logfile);
		return;
	}
	xasprintf(&b->logpath, "%s.log", b->image);
	fd = open(b->logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	if (fd == -1)
		err(EXIT_USAGE, "%s (the transcript; -o names another file)",
		    b->logpath);
	if (b->o->quiet)
		log_fd = fd;
	else
		log_copy_fd = fd;
}

/* rootstrap [options] image, and rootstrap import: returns 0 or exits. */
int
build(const struct build_opts *o)
{
	struct build	 b;

	memset(&b, 0, sizeof b);
	b.o = o;
	b.image = o->image;
	if (getcwd(b.workdir, sizeof b.workdir) == NULL)
		err(EXIT_USAGE, "getcwd");
	b.libexecdir = libexec_dir();
	xasprintf(&b.builder, "%s/builder", b.libexecdir);
	if (!o->dry_run && access(b.builder, X_OK) != 0)
		errx(EXIT_USAGE, "%s: %s (the builder; is rootstrap installed?)",
		    b.builder, strerror(errno));
	build_check(&b);
	if (o->dry_run)
		build_dry_run(&b);
	else {
		check_image_path(&b);
		open_transcript(&b);
		progress_init(o->quiet ? -1 : STDOUT_FILENO);
		spawn_init();
		build_run(&b);
	}
	build_free(&b);
	return (0);
}
