/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef ROOTSTRAP_BUILD_H
#define ROOTSTRAP_BUILD_H

/*
 * A build, from the configuration to the image renamed into place: the
 * plan checked, the image cache asked, the host's share of the work done
 * (packages fetched and unpacked, or a tarball written in), one UML boot
 * for the guest modules, each module's status read back, the image made
 * reproducible or shrunk, renamed and stored. Calls every layer below it:
 * conf and modules, archive, image and uml.
 */

#include <limits.h>

#include "modules/modules.h"
#include "archive/archive.h"
#include "image/image.h"
#include "uml/uml.h"

/* What the command line asked of a build (rootstrap, rootstrap import). */
struct build_opts {
	const char	*image;
	const char	*config;
	const char	*logfile;
	const char	*size;		/* -s MB */
	const char	*umlextra;	/* -u ARGS */
	const char	*import;	/* a root tarball instead of debian */
	int		 dry_run;
	int		 no_cache;
	int		 quiet;		/* -q: the transcript to the log only */
};

/* kernel.c: the UML kernel, chosen, fetched, made to run here */
/* The UML kernel chosen (kernel.c). */
struct kernel {
	struct uml_kernel k;		/* k.path is what runs */
	char		*origin;	/* where it came from, one line */
	char		*identity;	/* the packages it is; NULL: its file */
};

/* A build under way. */
struct build {
	const struct build_opts *o;
	const char	*image;		/* the final path */
	char		*tmpimage;
	char		*rundir;
	char		*logpath;	/* the transcript's file, once open */
	char		*builder;
	char		*libexecdir;	/* the builder, modules/, uml_net */
	char		 workdir[PATH_MAX];
	char		*cachedir;	/* NULL: no image cache */
	char		*cachekey;
	char		*cachewhat;
	char		*stagekey;	/* NULL: no stage for this build */
	ssize_t		 stage;		/* the step it follows */
	uint64_t	 import_inodes;
	const struct step *filler;	/* the step the host fills the image for */
	struct kernel	 kernel;
	struct debset	 debs;
	struct conf	 conf;
	struct plan	 plan;
};

/* build.c */
int		 build(const struct build_opts *);
void		 build_uml(struct build *, struct uml *);
char		*libexec_dir(void);
int		 build_plan(struct conf *, struct plan *, const char *,
		     const char *);
int		 build_plan_again(struct conf *, struct plan *, const char *);

/* fail.c */
void		 build_cleanup(struct build *);
__attribute__((noreturn)) void build_fail(struct build *, int,
		     const char *, ...) printflike(3, 4);

/* prepare.c: the host's share, before the boot */
void		 prepare_import(struct build *);
void		 prepare_plan(struct build *);
void		 prepare_fetch(struct build *);
void		 prepare_fill(struct build *);
void		 prepare_rundir(struct build *);

/* kernel.c */
char		*kernel_dir(void);
int		 kernel_choose(const env_t *, const env_t *, int,
		     struct kernel *, char **);
int		 kernel_choose_default(const char *, struct kernel *, char **);
int		 kernel_update(const env_t *, const env_t *, char **);
void		 kernel_free(struct kernel *);

/* stage.c: the image as it stands after the packages */
ssize_t		 stage_step(const struct plan *);
void		 stage_view(const struct plan *, size_t, int, struct plan *);
void		 stage_view_free(struct plan *);

/* reproduce.c */
void		 reproduce(struct build *, long long, uint64_t);

/* imgcache.c: builds kept, keyed by everything that made them */
char		*imgcache_dir(void);
char		*imgcache_key(const struct plan *, const char *,
		     const struct kernel *, const char *, char **);
char		*imgcache_stage_key(const struct plan *, size_t, const char *,
		     const struct kernel *, const char *, char **);
int		 imgcache_lookup(const char *, const char *, char **,
		     char **);
int		 imgcache_put(const char *, const char *, const char *,
		     const char *, char **);
int		 imgcache_reuse(struct build *);
void		 imgcache_store(struct build *);
void		 imgcache_dry_run(struct build *);
int		 imgcache_list(const char *, int);
void		 plan_uuids(const struct plan *, char[37], char[37]);

#endif
