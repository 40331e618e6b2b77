/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef ROOTSTRAP_CONF_H
#define ROOTSTRAP_CONF_H

/*
 * The configuration layer: rootstrap.conf read and checked, turned into
 * the plan (the modules to run and each one's environment), and the plan
 * and `rootstrap run`'s command carried to the guest in the run directory.
 * It defines what a module is (struct module); modules/ has the stock ones
 * and hands their table in. Calls only util.
 */

#include "util/util.h"

/* Fixed places inside the guest; part of the module contract. */
#define GUEST_DEVICE	"/dev/ubda"
#define GUEST_TARGET	"/run/target"
#define GUEST_TMPDIR	"/run/tmp"

/* One key of a section, with where it was set. */
struct entry {
	char		*section;
	char		*key;
	char		*value;
	char		*file;
	u_int		 line;
};

/* The merged configuration of every file read. */
struct conf {
	struct entry	*e;
	size_t		 n;
	struct strv	 errors;	/* "FILE:LINE: message", in order */
};

enum key_type {
	KEY_STRING,
	KEY_LIST,	/* whitespace-separated words */
	KEY_MB,		/* whole megabytes, > 0 */
	KEY_MB0,	/* whole megabytes, >= 0 */
	KEY_SECONDS,	/* whole seconds, > 0 */
	KEY_MEM,	/* number with optional K, M or G suffix */
	KEY_BOOL,	/* yes|no|true|false|1|0 */
	KEY_ENUM,	/* one word of choices */
	KEY_IPV4,	/* dotted quad, may be empty */
	KEY_HOSTNAME,
	KEY_PATHLIST,	/* colon-separated absolute or relative directories */
	KEY_EPOCH,	/* seconds since 1970, up to EPOCH_MAX */
};

struct key {
	const char	*name;
	enum key_type	 type;
	const char	*def;		/* default, or NULL for none */
	const char	*choices;	/* KEY_ENUM: "a|b|c" */
};

struct plan;

/*
 * A stock module: its section's keys, what the host must know of it, and
 * the work it does inside the guest. Everything the rest of rootstrap
 * knows of a stock module it asks here.
 */
struct module {
	const char	 *name;
	const struct key *keys;		/* its section's keys and defaults */
	/* Defaults that depend on other keys of its section. */
	void		(*defaults)(env_t *);
	/* On the host, while the plan is made: errors go into the conf. */
	void		(*check)(struct conf *, const env_t *);
	/* Host directories the guest writes for it (mounted read-write). */
	void		(*writes)(const env_t *, struct strv *);
	/* Whether the host fills the image for it before the boot. */
	int		(*fills_on_host)(const env_t *);
	/* It makes the filesystem: left out when the host fills the image. */
	int		  makes_fs;
	/* It installs from [debian]'s archive (the mirror is checked). */
	int		  reads_archive;
	/* Its section says which network UML gives the guest. */
	int		  gives_network;
	/* It mounts the image (again, when a build resumes from a stage). */
	int		  mounts;
	/* In the guest; returns 0, or -1 with *cause. */
	int		(*run)(const struct plan *, const env_t *, char **);
};

/* What plan_stock() looks for. */
enum module_has {
	HAS_NETWORK,		/* gives_network */
	HAS_ARCHIVE,		/* reads_archive */
	HAS_HOST_FILL,		/* fills_on_host, for its step's settings */
};

/* One step of the guest pipeline. */
struct step {
	char		*name;
	char		*path;		/* NULL: the stock module, in-process */
	const struct module *stock;
	env_t		 env;
};

/* What the host hands the builder through the run directory. */
struct plan {
	struct step	*steps;
	size_t		 nsteps;
	struct strv	 rw;		/* host dirs the guest may write */
	env_t		 global;
	/* Each stock section's effective keys, for modules that need more. */
	env_t		 net;
	env_t		 debian;
	env_t		 uml;
	char		*fstype;
	long long	 epoch;		/* SOURCE_DATE_EPOCH, or -1 */
};

/* Where a plan is made for. */
struct plan_ctx {
	const struct module *const *modules;	/* the stock modules */
	const char	*image;		/* temporary image, host path */
	const char	*rundir;
	const char	*workdir;
	const char	*stockdir;	/* stock modules as programs */
	const char	*sitedir;	/* $(sysconfdir)/rootstrap/modules */
};

/* What `rootstrap run` asks the builder to do. */
struct runspec {
	struct strv	 argv;
	struct strv	 shares;	/* "rw|ro HOST GUEST" */
	char		*net;		/* none, slirp, user, tuntap[:H:G] */
	char		*workdir;	/* inside the guest */
	int		 input;		/* stdin on con3 (else /dev/null) */
	int		 serve;		/* no command: an agent on con1
					   (rootstrap start) */
};

/* conf.c: the files */
#define CONF_LOCAL	"rootstrap.conf"	/* the current directory's */
void		 conf_init(struct conf *);
int		 conf_load(struct conf *, const char *, int);
void		 conf_load_layers(struct conf *, const char *);
void		 conf_set(struct conf *, const char *, const char *,
		     const char *, const char *, u_int);
const struct entry *conf_find(const struct conf *, const char *,
		     const char *);
const char	*conf_get(const struct conf *, const char *, const char *);
void		 conf_error(struct conf *, const struct entry *,
		     const char *, ...) printflike(3, 4);
void		 conf_free(struct conf *);

/* keys.c: key types and checks */
extern const struct key global_keys[];
const struct key *key_find(const struct key *, const char *);
int		 key_valid(const struct key *, const char *, char **);
char		*keys_list(const struct key *);

/* plan.c: the checked configuration as steps */
int		 plan_make(struct plan *, struct conf *, const struct plan_ctx *);
const struct step *plan_stock(const struct plan *, enum module_has);
void		 plan_remove(struct plan *, size_t);
void		 plan_free(struct plan *);
const struct module *module_in(const struct module *const *, const char *);

/* planfile.c: the plan and the run spec in the run directory */
int		 plan_write(const struct plan *, const char *, char **);
int		 plan_read(struct plan *, const char *,
		     const struct module *const *, char **);
void		 plan_print(const struct plan *, int);
int		 runspec_write(const struct runspec *, const char *, char **);
int		 runspec_read(struct runspec *, const char *, char **);
void		 runspec_free(struct runspec *);

/* epoch.c: the time a reproducible build pretends to be made at */
#define EPOCH_MAX	17179869183LL	/* ext4's last second, in 2446 */
#define EPOCH_HELP	"whole seconds since 1970-01-01 UTC, at most " \
			"17179869183"
int		 epoch_parse(const char *, long long *);
int		 source_date_epoch(long long *, char **);
void		 plan_resolve_epoch(struct plan *, struct conf *);

/* proxy.c: each *_proxy key as the host and as the guest reach it */
void		 plan_resolve_proxies(struct plan *);

#endif
