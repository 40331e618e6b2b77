/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef ROOTSTRAP_CLI_H
#define ROOTSTRAP_CLI_H

/*
 * The command line: one entry per subcommand in the table (main.c), each
 * in a file of its own. The top layer: it calls the build layer and,
 * for `run`, `boot`, `check`, `export` and `fetch`, the layers below.
 */

#include "build/build.h"

/* One subcommand, as tmux describes its commands. */
struct cmd_entry {
	const char	*name;		/* NULL: the build, `rootstrap IMAGE` */
	const char	*alias;
	const char	*usage;		/* what follows "rootstrap NAME" */
	const char	*help;		/* what it does, and its options */
	int		(*exec)(int, char **);	/* an exit status */
};

extern const struct cmd_entry cmd_build_entry;
extern const struct cmd_entry cmd_boot_entry;
extern const struct cmd_entry cmd_cache_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_fetch_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_start_entry;
extern const struct cmd_entry cmd_exec_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_ls_entry;

/* machine.c: the options run and start share, and what they make of UML */
struct machine {
	const char	*kernel;	/* -k */
	const char	*mem;		/* -m */
	const char	*umlargs;	/* -u */
	int		 snapshot;	/* -S */
	int		 net_given;	/* -N */
	struct strv	 forwards;	/* -p */
};
/* Their letters, for getopt_long; the long names are each command's. */
#define MACHINE_OPTS	"k:m:N:p:s:Su:v"
void		 machine_init(struct machine *, struct runspec *);
int		 machine_option(struct machine *, struct runspec *, int,
		     const char *);
void		 machine_args_done(struct machine *, struct runspec *);
void		 machine_image_usable(const struct machine *, const char *,
		     const char *, const char *);
void		 machine_uml(const struct machine *, const struct runspec *,
		     struct uml *, env_t *);
void		 machine_uml_free(struct machine *, struct uml *, env_t *);

/*
 * What exec returns, besides an exit status, for main.c to show the
 * command's usage (on stderr, exit status 2) or its help (stdout, 0).
 */
#define CMD_USAGE	(-1)
#define CMD_HELP	(-2)

#endif
