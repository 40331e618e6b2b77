/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef ROOTSTRAP_UML_H
#define ROOTSTRAP_UML_H

/*
 * UML supervision: the one launcher of the kernel for builds, `run`,
 * `boot` and `import` (its command line, network, consoles and how the
 * run ended), the user-mode network beside it, the run directory the host
 * and the guest share, and what a kernel offers. Calls only util (and
 * libslirp).
 */

#include <netinet/in.h>

#include "util/util.h"

/* launch.c: one UML run */
enum uml_console {
	UML_CONSOLE_LOG,	/* con0 into the transcript (builds) */
	UML_CONSOLE_COMMAND,	/* con1, con2: a command's stdout, stderr (run) */
	UML_CONSOLE_TERMINAL,	/* con0 on our terminal, stdin and all (boot) */
	UML_CONSOLE_AGENT,	/* con0 to our stdout, con1 the agent's
				   link (start): agent_in, agent_out */
};
struct uml_kernel;
struct uml {
	const char	*kernel;
	const struct uml_kernel *probe;	/* what it offers; NULL: not known */
	const char	*mem;		/* NULL: not given (boot) */
	const char	*ubd0;		/* "FILE" or "COW,FILE"; NULL: in args */
	const char	*init;		/* the builder, on a read-only hostfs
					   root; NULL: the image's own init */
	const char	*rundir;	/* rsrun= (with init) and uml_dir= */
	enum uml_console console;
	const env_t	*net;		/* [network]'s settings; NULL: none */
	struct strv	 forwards;	/* transport=user: -p's, usernet.c */
	const char	*libexecdir;	/* our uml_net: first on UML's PATH */
	struct strv	 args;		/* the rest: modules', config's, user's */
	int		 timeout;	/* seconds; 0: none */
	int		 confine;	/* only what it needs: confine.c */
	int		 input;		/* UML_CONSOLE_COMMAND: our stdin on
					   con3, for the command: input.c */
	int		 agent_in;	/* UML_CONSOLE_AGENT: con1's input */
	int		 agent_out;	/* ... and its output */
	struct strv	 reach_ro;	/* with confine: host paths to read */
	struct strv	 reach_rw;	/* ... and to write */
};
enum uml_end {
	UML_EXITED,		/* status: UML's exit status */
	UML_PANICKED,		/* the kernel said so; status as above */
	UML_KILLED,		/* status: the signal */
	UML_TIMEDOUT,
	UML_INTERRUPTED,	/* rootstrap was: spawn_signal says by what */
	UML_NET_FAILED,		/* the user-mode network beside it */
	UML_NOT_STARTED,
};
struct uml_result {
	enum uml_end	 end;
	int		 status;
	int		 io_error;	/* the guest saw its image's writes fail */
	char		*cause;		/* what happened, but for UML_EXITED */
};
#define USERNET_FD	4	/* vecN:transport=fd,fd=USERNET_FD */
int		 uml_net_check(const struct uml_kernel *, const env_t *, char **);
void		 uml_argv(const struct uml *, struct strv *);
void		 uml_launch(const struct uml *, struct uml_result *);
void		 uml_result_free(struct uml_result *);

/* con1=fd:AGENT_IN_FD,fd:AGENT_OUT_FD: the agent of an instance */
#define AGENT_IN_FD	6
#define AGENT_OUT_FD	7

/* instance.c: long-lived instances (rootstrap start), found by name */
struct instance {
	char		*name;
	char		*dir;		/* its run directory */
	char		*image;
	int		 snapshot;
	pid_t		 pid;		/* the supervisor */
	long long	 started;	/* seconds since the epoch */
	int		 idle;		/* seconds; 0: none */
	char		*boot_id;	/* the host's boot it started in */
};
char		*instance_registry(char **);
int		 instance_name_valid(const char *);
char		*instance_register(const char *, const char *, const char *,
		     char **);
int		 instance_find(const char *, struct instance *, char **);
int		 instance_list(struct instance **, size_t *);
int		 instance_write(const struct instance *, char **);
void		 instance_forget(const char *, const char *);
char		*instance_holding(const char *);
char		*instance_boot_id(void);
void		 instance_free(struct instance *);

/* supervise.c: an instance's supervisor, which owns its UML */
struct supervise {
	const struct uml *uml;
	struct instance	*inst;
	int		 ready_timeout;	/* seconds */
};
int		 supervise_start(const struct supervise *, char **);

/* input.c: run's stdin, relayed to con3 */
#define INPUT_IN_FD	6	/* con3=fd:INPUT_IN_FD,fd:INPUT_OUT_FD */
#define INPUT_OUT_FD	7
struct input {
	pid_t		 pid;		/* the relay */
};
int		 input_start(struct input *, int *, int *, char **);
void		 input_stop(struct input *);

/* ttyout.c: our terminals behind pipes while UML runs a command */
struct ttyout {
	pid_t		 pid;		/* the relay, or -1 */
	int		 saved[3];	/* stdout's and stderr's terminals */
};
int		 ttyout_start(struct ttyout *, char **);
void		 ttyout_stop(struct ttyout *);

/* confine.c: the files a UML of run or boot may reach */
int		 uml_confine(const struct uml *, const char *, struct landlock *,
		     char **);
int		 uml_args_need_helper(const struct strv *);

/* usernet.c: transport=user, libslirp beside UML */
struct usernet;
struct usernet_forward {
	int		 udp;
	struct in_addr	 host;		/* listened on */
	int		 host_port, guest_port;
};
struct usernet	*usernet_new(const env_t *, const struct strv *, char **);
int		 usernet_forward(const char *, struct usernet_forward *,
		     char **);
const struct spawn_peer *usernet_peer(struct usernet *, struct spawn_fd *);
void		 usernet_free(struct usernet *);

/* tuntap.c: transport=tuntap through the vector driver */
#define TUNTAP_FD	5	/* vecN:transport=fd,fd=TUNTAP_FD */
struct tuntap {
	int		 fd;		/* the tap */
	char		 name[16];	/* its interface */
	const char	*helper;	/* uml_net */
	char		*addr, *mask;	/* the guest's, routed to it */
	int		 routed;
};
int		 tuntap_up(struct tuntap *, const env_t *, const char *,
		     char **);
void		 tuntap_down(struct tuntap *);

/* hostif.c: [network] host_if, a tap made for the user beforehand */
int		 hostif_open(struct tuntap *, const char *, char **);

/* rundir.c: the directory the host and the guest share */
char		*rundir_make(const char *, char **);
void		 rundir_remove(const char *);
int		 rundir_sweep(void);

/* kernel.c: what a kernel offers, and needs of the host */
struct uml_kernel {
	char		*path;		/* on rootstrap's PATH */
	char		*version;	/* --version: "6.1.176" */
	int		 answered;	/* --help exited 0 */
	int		 is_uml;	/* ... and says User Mode Linux */
	int		 hostfs, ubd;	/* it has them */
	int		 seccomp;	/* the seccomp userspace mode (6.16) */
	int		 legacy;	/* ethN= and its transports (< 6.16) */
	int		 elf;		/* not a wrapper: legacy ones known */
	struct strv	 transports;	/* slirp, tuntap, ..., vec */
	unsigned long	 lpj;		/* its delay loop's calibration on
					   this host, from a boot; 0: none */
	char		*cachedir;	/* where the probe is kept, and */
	char		*probefile;	/* its file; NULL: not kept */
};
int		 uml_kernel_probe(const char *, const char *,
		     struct uml_kernel *);
void		 uml_kernel_keep_lpj(const struct uml_kernel *,
		     const char *);
void		 uml_kernel_free(struct uml_kernel *);
const char	*uml_tmpdir(void);

/* hotplug.c */
int		 uml_kernel_unhotplug(const char *, const char *, char **);
int		 uml_exec_dir(const char *, char **);
char		*uml_diagnose(const char *, const char *, const char *, int);

#endif
