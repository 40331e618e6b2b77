/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef ROOTSTRAP_UTIL_H
#define ROOTSTRAP_UTIL_H

/*
 * The bottom layer: allocation, strings, the transcript, files, locks and
 * running programs. It knows nothing of configurations, images or UML;
 * everything else in rootstrap may call it.
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define printflike(a, b) __attribute__((format(printf, a, b)))

/* Exit statuses, documented in rootstrap(1). */
#define EXIT_BUILD	1
#define EXIT_USAGE	2
#define EXIT_TIMEOUT	124	/* run, boot: the guest ran out of time */
#define EXIT_NOGUEST	125	/* run: the command never got to run */

/* xmalloc.c: allocation that never returns NULL */
void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xreallocarray(void *, size_t, size_t);
char		*xstrdup(const char *);
char		*xstrndup(const char *, size_t);
int		 xasprintf(char **, const char *, ...) printflike(2, 3);
int		 xvasprintf(char **, const char *, va_list);

/* strv.c: a growable NULL-terminated vector of strings (argv, envp) */
struct strv {
	char	**v;
	size_t	  n;
	size_t	  cap;
};
/* An environment: "KEY=VALUE" strings. */
typedef struct strv env_t;
void		 strv_add(struct strv *, const char *);
void		 strv_addf(struct strv *, const char *, ...) printflike(2, 3);
void		 strv_split(struct strv *, const char *, const char *);
int		 strv_has(const struct strv *, const char *);
void		 strv_free(struct strv *);
char		*strv_join(const struct strv *, const char *);
const char	*env_get(const env_t *, const char *);
void		 env_set(env_t *, const char *, const char *);
void		 env_unset(env_t *, const char *);
int		 str_yes(const char *);
char		*str_escape(const char *);
char		*str_unescape(const char *);

/* buf.c: a growable string */
struct buf {
	char	*s;		/* NUL-terminated once anything is added */
	size_t	 len;
	size_t	 cap;
};
void		 buf_add(struct buf *, const void *, size_t);
void		 buf_addf(struct buf *, const char *, ...) printflike(2, 3);
void		 buf_free(struct buf *);

/* parse.c: numbers from configuration files and the command line */
int		 parse_uint(const char *, uint64_t, uint64_t *);
#define PARSE_MB_MAX		(16ULL * 1024 * 1024)
#define PARSE_SECONDS_MAX	2147483ULL	/* INT_MAX ms */
int		 ifname_valid(const char *);

/* control.c: deb822 (control file, Packages and Release) fields */
char		*control_field(const char *, size_t, const char *);

/* log.c: the transcript */
extern int	 log_verbose;
extern int	 log_fd;
extern int	 log_copy_fd;
extern const char *log_prefix;
void		 log_info(const char *, ...) printflike(1, 2);
void		 log_warnx(const char *, ...) printflike(1, 2);
void		 log_error(const char *, ...) printflike(1, 2);
void		 log_debug(const char *, ...) printflike(1, 2);
void		 log_write(const char *, size_t);
void		 log_quote_tail(int);
void		 log_program(const char *, size_t);
int		 log_steps_only(void);

/* progress.c: the live line on a terminal */
void		 progress_init(int);
int		 progress_active(void);
void		 progress_begin(const char *);
void		 progress_update(const char *, ...) printflike(1, 2);
void		 progress_clear(void);
void		 progress_forget(void);
void		 progress_end(void);
void		 progress_watch_setups(size_t);
void		 progress_program_line(const char *, size_t);
__attribute__((noreturn)) void fatal(const char *, ...) printflike(1, 2);

/* file.c: whole files, directories, links */
char		*file_read(const char *, size_t, size_t *);
int		 file_write(const char *, const char *, mode_t, char **);
int		 file_temp(const char *, char **, char **);
int		 file_copy(const char *, const char *, char **);
int		 fd_write_all(int, const void *, size_t);
int		 file_copy_to(const char *, int, const char *, char **);
int		 file_mkdirs(const char *, mode_t, char **);
int		 file_symlink(const char *, const char *, char **);
int		 file_is_mountpoint(const char *);
void		 file_remove_tree(const char *);
long long	 file_free_mb(const char *);
char		*path_join(const char *, const char *);
char		*path_dir(const char *);
const char	*tmpdir(void);

/* which.c: programs on a PATH */
char		*which_in(const char *, const char *);
char		*host_which(const char *);
int		 host_has_program(const char *);

/* lock.c: temporary files owned by a live process, found by their lock */
int		 lock_is_stale(const char *);
int		 lock_sweep(const char *);
int		 lock_image(const char *, int);

/* trust.c: files and directories no other user could have written */
struct stat;
char		*trust_stat(const struct stat *);
char		*trust_dir(const char *, char **);

/* recfile.c: the files of a run directory, one record a line */
struct recfile {
	struct strv	 tags;
	struct strv	 values;
};
int		 recfile_write(const char *, const char *,
		     const struct recfile *, char **);
int		 recfile_read(const char *, const char *, size_t,
		     struct recfile *, char **);
void		 recfile_add(struct recfile *, const char *, const char *);
void		 recfile_free(struct recfile *);

/*
 * `rootstrap run`'s stdin crosses into the guest on a UML console, a raw
 * tty, which has no end-of-file of its own: in frames, two bytes of
 * length (big-endian) then that many bytes, a frame of length 0 ending
 * it. The guest writes RUN_INPUT_READY once its tty is raw; the host
 * sends nothing before, which a tty still cooked would mangle.
 */
#define RUN_INPUT_FRAME	4096
#define RUN_INPUT_READY	'R'

/*
 * frame.c: the wire of a long-lived instance (`rootstrap start`), the same
 * on both of its links: `rootstrap exec` and the supervisor on the control
 * socket, the supervisor and the guest's agent on a raw UML console. A
 * frame is its type (a byte), its stream (two bytes, big-endian: one
 * command, 0 for the instance itself), the payload's length (two bytes)
 * and the payload. The agent sends FRAME_READY once its tty is raw; the
 * host sends nothing before.
 */
#define FRAME_HDR	5
#define FRAME_DATA	4096	/* the most a data frame carries */
#define FRAME_MAX	65535
#define FRAME_READY	'R'	/* guest: commands may run (stream 0) */
#define FRAME_OPEN	'O'	/* a command: OPEN's payload below */
#define FRAME_STDIN	'I'	/* its stdin; empty: end-of-file */
#define FRAME_SIGNAL	'K'	/* a signal for it: one byte */
#define FRAME_STDOUT	'o'	/* its stdout */
#define FRAME_STDERR	'e'	/* its stderr */
#define FRAME_EXIT	'X'	/* its exit status: one byte; the end */
#define FRAME_ERROR	'E'	/* supervisor: a refusal, as text; the end */
#define FRAME_STOP	'Q'	/* shut down (stream 0) */
#define FRAME_TAKEN	'A'	/* guest: stdin bytes the command took
				   (four bytes): the host sends at most
				   FRAME_WINDOW more than it was told */
#define FRAME_WINDOW	(64 * 1024)
/*
 * The link itself is under flow control too: the host sends at most
 * FRAME_LINK_WINDOW bytes on con1 that the agent has not said it read
 * (FRAME_TAKEN on stream 0). A guest tty holds 4096 bytes of input; once
 * nearly full it throttles UML's console, which then stops reading its
 * host fd for good, so the link must never fill it.
 */
#define FRAME_LINK_WINDOW	2048
/*
 * OPEN's payload: the timeout in seconds (four bytes, 0: none), then
 * NUL-terminated strings: the working directory, then "e" VAR=VALUE or
 * "a" ARGUMENT for each variable and argument, in order.
 */
struct frame {
	int			 type;
	unsigned		 stream;
	size_t			 len;
	const unsigned char	*data;
};
void		 frame_put(struct buf *, int, unsigned, const void *, size_t);
int		 frame_send(int, int, unsigned, const void *, size_t);
ssize_t		 frame_fill(int, struct buf *);
int		 frame_next(const struct buf *, struct frame *);
void		 frame_drop(struct buf *, const struct frame *);

/* spawn.c: host programs under supervision */
extern int	 spawn_signal;		/* the signal that interrupted us */
void		 spawn_init(void);
int		 spawn_interrupted(void);
#define SPAWN_PASSTHROUGH	0x1	/* output not into the transcript */
#define SPAWN_FD3		0x2	/* our stderr as fd 3, its own to null */
#define SPAWN_STDIN		0x4	/* our stdin, and our terminal, for it */
#define SPAWN_ONECPU		0x8	/* on one CPU: UML, see spawn.c */
/* A process run beside a spawned program, in its process group. */
struct spawn_peer {
	const char	*name;		/* for messages */
	int		(*main)(void *);	/* its body; returns its status */
	void		*arg;
};
/* A descriptor handed to a spawned program, as another number. */
struct spawn_fd {
	int		 fd;		/* ours; may be close-on-exec */
	int		 as;		/* the program's: 1 (its stdout), or > 3 */
	int		 away;		/* the program's alone: spawn closes
					   ours once it is started (or not) */
};
#define SPAWN_FDS	4
/* How a spawned program ended. */
enum spawn_end {
	SPAWN_EXITED,		/* code: its exit status */
	SPAWN_SIGNALED,		/* code: the signal */
	SPAWN_TIMEDOUT,		/* killed at the deadline */
	SPAWN_INTERRUPTED,	/* we were: spawn_signal says by what */
	SPAWN_PEER_FAILED,	/* code: the peer's status, 128+N a signal */
	SPAWN_NOT_STARTED,	/* cause says why */
};
/* landlock.c: what a program and its children may open, make, remove */
struct landlock {
	int		 fd;		/* the ruleset */
	int		 abi;		/* the kernel's Landlock version */
	unsigned long long handled;	/* the rights it refuses unless allowed */
};
#define LANDLOCK_READ	0x1	/* read files, list directories */
#define LANDLOCK_EXEC	0x2	/* execute files */
#define LANDLOCK_WRITE	0x4	/* write, truncate, make, remove, rename */
#define LANDLOCK_DEVICE	0x8	/* a device: read, write, ioctl */
int		 landlock_open(struct landlock *, char **);
int		 landlock_allow(struct landlock *, const char *, int, char **);
int		 landlock_enter(const struct landlock *);
void		 landlock_close(struct landlock *);

struct spawn {
	char *const		*argv;
	int			 timeout;	/* seconds; 0: none */
	int			 flags;
	const struct spawn_peer	*peer;
	struct spawn_fd		 give[SPAWN_FDS];
	size_t			 ngive;
	/* Each chunk of output as it passes (after the transcript). */
	void			(*seen)(const char *, size_t, void *);
	void			*seen_arg;
	/* Not NULL: the output is kept here, not in the transcript. */
	struct buf		*capture;
	size_t			 capture_max;
	/* Not NULL: the program runs inside this ruleset. */
	const struct landlock	*confine;
};
struct spawn_result {
	enum spawn_end	 end;
	int		 code;
	char		*cause;		/* for every end but SPAWN_EXITED */
};
void		 spawn(const struct spawn *, struct spawn_result *);
int		 spawn_run(char *const *, int, int, char **);
int		 spawn_capture(char *const *, int, struct buf *, size_t,
		     char **);
const char	*spawn_tail(void);

/* child.c: a program run to its end by PID 1 (the guest's builder) */
int		 child_run(char *const *, char *const *, const char *, char **);

#endif
