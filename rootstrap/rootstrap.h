/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef ROOTSTRAP_H
#define ROOTSTRAP_H

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define printflike(a, b) __attribute__((format(printf, a, b)))

/* Fixed places inside the guest; part of the module contract. */
#define GUEST_DEVICE	"/dev/ubda"
#define GUEST_TARGET	"/run/target"
#define GUEST_TMPDIR	"/run/tmp"

/*
 * Debian's UML kernel has RAID-6 and XOR code built in (for btrfs), and
 * times each of its algorithms at every boot: 0.9 s of a 1.3 s boot here.
 * The guests rootstrap builds in and runs commands in use neither (no md
 * RAID, no btrfs RAID-5/6), so those two initcalls are skipped. Not for
 * "rootstrap boot": that system is the user's.
 */
#define UML_SKIP_BENCHMARKS \
	"initcall_blacklist=raid6_select_algo,calibrate_xor_blocks"

/*
 * The helpers the shortcut (shortcut.c) stands in for while packages are
 * configured, and where each real one waits meanwhile (debian-host.c).
 */
#define SHORTCUT_MAINT_HELPER	"/usr/bin/dpkg-maintscript-helper"
#define SHORTCUT_SYSTEMD_HELPER	"/usr/bin/deb-systemd-helper"
#define SHORTCUT_REAL_SUFFIX	".rootstrap-real"

/* Exit statuses, documented in rootstrap(1). */
#define EXIT_BUILD	1
#define EXIT_USAGE	2

/* A growable NULL-terminated vector of strings (argv, envp, lists). */
struct strv {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

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
};

struct key {
	const char	*name;
	enum key_type	 type;
	const char	*def;		/* default, or NULL for none */
	const char	*choices;	/* KEY_ENUM: "a|b|c" */
};

/* The environment a module runs with ("KEY=VALUE" strings). */
typedef struct strv env_t;

struct plan;

/*
 * A stock module: its config section's keys, a host-side check run for
 * every module before any runs, the UML arguments it adds on the host, and
 * the work it does inside the guest.
 */
struct module {
	const char	 *name;
	const struct key *keys;
	void		(*check)(struct conf *, const env_t *);
	void		(*umlargs)(const env_t *, struct strv *);
	int		(*run)(const struct plan *, const env_t *, char **);
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
};

/* xmalloc.c */
void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xreallocarray(void *, size_t, size_t);
char		*xstrdup(const char *);
char		*xstrndup(const char *, size_t);
int		 xasprintf(char **, const char *, ...) printflike(2, 3);
int		 xvasprintf(char **, const char *, va_list);

/* strv.c */
void		 strv_add(struct strv *, const char *);
void		 strv_addf(struct strv *, const char *, ...) printflike(2, 3);
void		 strv_split(struct strv *, const char *, const char *);
void		 strv_free(struct strv *);
char		*strv_join(const struct strv *, const char *);
const char	*env_get(const env_t *, const char *);
void		 env_set(env_t *, const char *, const char *);
int		 str_yes(const char *);
char		*str_escape(const char *);
char		*str_unescape(const char *);

/* What `rootstrap run` asks the builder to do (runspec.c). */
struct runspec {
	struct strv	 argv;
	struct strv	 shares;	/* "rw|ro HOST GUEST" */
	char		*net;		/* none, slirp or user */
	char		*workdir;	/* inside the guest */
};
int		 runspec_write(const struct runspec *, const char *, char **);
int		 runspec_read(struct runspec *, const char *, char **);
void		 runspec_free(struct runspec *);

/* log.c */
extern int	 log_verbose;
extern int	 log_fd;
extern const char *log_prefix;
void		 log_info(const char *, ...) printflike(1, 2);
void		 log_warnx(const char *, ...) printflike(1, 2);
void		 log_error(const char *, ...) printflike(1, 2);
void		 log_debug(const char *, ...) printflike(1, 2);
void		 log_write(const char *, size_t);

/* spawn.c */
extern int	 spawn_signal;
void		 spawn_init(void);
int		 spawn_interrupted(void);
#define SPAWN_PASSTHROUGH	0x1	/* output not into the transcript */
#define SPAWN_FD3		0x2	/* our stderr as fd 3, its own to null */
#define SPAWN_STDIN		0x4	/* our stdin, and our terminal, for it */
#define SPAWN_ONECPU		0x8	/* on one CPU: UML, see spawn.c */
int		 spawn_run(char *const *, int, int, char **);
/* A process run beside a spawned program, in its process group. */
struct spawn_peer {
	const char	*name;		/* for messages */
	int		(*main)(void *);	/* its body; returns its status */
	void		*arg;
	int		 fd;		/* handed to the program ... */
	int		 fd_as;		/* ... as this descriptor (> 3) */
};
int		 spawn_run_peer(char *const *, int, int,
		     const struct spawn_peer *, char **);

/* log.c (fatal) */
__attribute__((noreturn)) void fatal(const char *, ...) printflike(1, 2);

/* cache.c */
char		*cache_dir(void);
char		*cache_key(const struct plan *, const char *, const char *,
		     char **);
char		*cache_lookup(const char *, const char *);
void		 plan_uuids(const struct plan *, char[37], char[37]);
int		 cache_store(const char *, const char *, const char *,
		     const char *, char **);
int		 cache_main(int, char **);
int		 file_copy(const char *, const char *, char **);

/* populate.c */
struct populate;
struct archive;
struct archive_entry;
int		 populate_from_tar(const char *, const char *, char **);
struct populate	*populate_open(const char *, const char *, char **);
void		 populate_source(struct populate *, const char *);
int		 populate_entry(struct populate *, struct archive *,
		     struct archive_entry *, char **);
int		 populate_file(struct populate *, struct archive_entry *,
		     const void *, size_t, char **);
int		 populate_exists(struct populate *, const char *);
int		 populate_close(struct populate *, char **);
int		 tar_measure(const char *, uint64_t *, uint64_t *, char **);

/* fetch-cmd.c (the rest of the package fetch is in debs.h) */
int		 fetch_main(int, char **);

/* export.c */
int		 export_main(int, char **);
int		 image_export(const char *, const char *, long long, char **);
long long	 source_date_epoch(void);

/* rundir.c */
char		*rundir_make(const char *, char **);
void		 rundir_remove(const char *);

/* run.c */
int		 run_main(int, char **, const char *);

/* image.c */
int		 image_allocate(const char *, uint64_t, char **, char **);
int		 image_shrink(const char *, uint64_t, char **);

/* conf.c */
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

/* keys.c */
extern const struct key global_keys[];
const struct key *key_find(const struct key *, const char *);
int		 key_valid(const struct key *, const char *, char **);
int		 parse_mb(const char *, uint64_t *);
char		*keys_list(const struct key *);

/* guest.c: helpers for modules running inside the guest */
int		 guest_run(char *const *, char *const *, const char *, char **);
int		 guest_mkdirs(const char *, mode_t, char **);
int		 guest_write(const char *, const char *, mode_t, char **);
int		 guest_symlink(const char *, const char *, char **);
int		 guest_is_mountpoint(const char *);
char		*guest_path(const char *, const char *);
char		*guest_read(const char *, size_t);

/* modules/module.c */
extern const struct module *const module_table[];
const struct module *module_find(const char *);
void		 network_defaults(env_t *);
char		*host_which(const char *);
int		 host_has_program(const char *);
int		 module_check_tool(struct conf *, const env_t *, const char *,
		     const char *, const char *);

/* modules/debian-host.c */
int		 debian_host_configure(const env_t *, char **);
void		 debian_target_env(const env_t *, struct strv *);

/* plan.c */
struct plan_ctx {
	const char	*image;		/* temporary image, host path */
	const char	*rundir;
	const char	*workdir;
	const char	*stockdir;	/* stock modules */
	const char	*sitedir;	/* $(sysconfdir)/rootstrap/modules */
};
int		 plan_make(struct plan *, struct conf *, const struct plan_ctx *);
int		 plan_write(const struct plan *, const char *, char **);
int		 plan_read(struct plan *, const char *, char **);
void		 plan_print(const struct plan *, int);
void		 plan_free(struct plan *);

/* usernet.c: transport=user, libslirp beside UML */
#define USERNET_FD	4	/* UML's vecN:transport=fd,fd=USERNET_FD */
const env_t	*usernet_plan(const struct plan *);
int		 usernet_spawn(const env_t *, char *const *, int, int, char **);
void		 usernet_check(struct conf *, const env_t *);	/* modules/ */

/* stale.c: temporary files of killed builds */
int		 stale_lock(const char *);
int		 stale_sweep_images(const char *);
int		 stale_sweep_rundirs(const char *);
const char	*stale_tmpdir(void);

/* check.c: the host's readiness, before a build and as rootstrap check */
const char	*uml_tmpdir(void);
int		 check_exec_dir(const char *, char **);
int		 check_mirror(const char *, const char *, const char *,
		     char **);
char		*check_diagnose(const char *, const char *, const char *,
		     int);
int		 check_main(int, char **, const char *);

/* spawn.c: UML's command line's start; our uml_net first on its PATH */
void		 uml_argv_start(struct strv *, const char *, const char *);
char		*uml_path_first(const char *);

/* boot.c: rootstrap boot */
int		 boot_main(int, char **, const char *);

/* cache.c: the name a store copies to first; one request to the mirror */
char		*cache_tmpname(const char *, const char *);
int		 mirror_request(const char *, const char *, char **, size_t *,
		     long *, char *);

/* spawn.c: the end of the last program's output, for diagnoses */
extern int	 spawn_io_error;
const char	*spawn_tail(void);

#endif
