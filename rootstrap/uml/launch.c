/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml.h"

/*
 * The one place a UML kernel is started: its command line (memory, the
 * root, the image, init, consoles, the network transport, skipped boot
 * work), the PATH it finds uml_net on, the user-mode network beside it,
 * and how the run ended, told from what the kernel said as it went.
 */

/*
 * Debian's UML kernel has RAID-6 and XOR code built in (for btrfs), and
 * times each of its algorithms at every boot: 0.9 s of a 1.3 s boot here.
 * The guests rootstrap builds in and runs commands in use neither (no md
 * RAID, no btrfs RAID-5/6), so those initcalls are skipped: RAID-6's is
 * raid6_select_algo up to 6.x, raid6_init in 7.x; a kernel ignores the
 * names it does not have. `rootstrap boot` skips them too (a booted
 * image rarely runs md RAID-6 or btrfs RAID-5/6 under UML); its user's
 * own initcall_blacklist=, even empty, wins.
 */
#define UML_SKIP_BENCHMARKS "initcall_blacklist=" \
	"raid6_select_algo,raid6_init,calibrate_xor_blocks"

/* Whether the arguments say KEY=... already (the user's choice wins). */
static int
has_arg(const struct strv *argv, const char *key)
{
	size_t	 i, n = strlen(key);

	for (i = 0; i < argv->n; i++) {
		if (strncmp(argv->v[i], key, n) == 0)
			return (1);
	}
	return (0);
}

/* [network] host_if: the user's own tap (hostif.c), or NULL. */
static const char *
host_if(const struct uml *u)
{
	const char	*v;

	if (u->net == NULL ||
	    strcmp(env_get(u->net, "transport"), "tuntap") != 0 ||
	    (v = env_get(u->net, "host_if")) == NULL || *v == '\0')
		return (NULL);
	return (v);
}

/*
 * Whether transport=tuntap goes through the vector driver (tuntap.c,
 * hostif.c): a descriptor rootstrap opened, handed to UML.
 */
static int
tuntap_vector(const struct uml *u)
{
	return (u->net != NULL && u->probe != NULL && !u->probe->legacy &&
	    strcmp(env_get(u->net, "transport"), "tuntap") == 0);
}

/* Whether UML runs uml_net itself (eth0=tuntap,,,HOST): see confine.c. */
static int
legacy_tuntap(const struct uml *u)
{
	return (u->net != NULL && !tuntap_vector(u) &&
	    strcmp(env_get(u->net, "transport"), "tuntap") == 0);
}

/* The kernel argument that gives the guest its interface, per [network]. */
static void
net_arg(const struct uml *u, struct strv *argv)
{
	const env_t	*net = u->net;
	const char	*iface = env_get(net, "interface");
	const char	*t = env_get(net, "transport");
	const char	*slirp = env_get(net, "slirp");
	struct strv	 words = { 0 };
	char		*cmd;

	if (tuntap_vector(u))
		/* vecN, the number of the ethN asked for. */
		strv_addf(argv, "vec%s:transport=fd,fd=%d,vec=0",
		    iface + strcspn(iface, "0123456789"), TUNTAP_FD);
	else if (strcmp(t, "slirp") == 0) {
		/* UML splits the command at commas: eth0=slirp,MAC,CMD,ARG */
		strv_split(&words, slirp != NULL ? slirp : "", " \t");
		cmd = strv_join(&words, ",");
		strv_addf(argv, "%s=slirp,,%s", iface, cmd);
		free(cmd);
		strv_free(&words);
	} else if (strcmp(t, "tuntap") == 0 && host_if(u) != NULL)
		/* The named tap, opened by UML: no helper. */
		strv_addf(argv, "%s=tuntap,%s", iface, host_if(u));
	else if (strcmp(t, "tuntap") == 0)
		strv_addf(argv, "%s=tuntap,,,%s", iface, env_get(net, "host"));
	else if (strcmp(t, "user") == 0)
		strv_addf(argv, "%s:transport=fd,fd=%d", iface, USERNET_FD);
}

/*
 * Whether the kernel has the transport [network] asks for: the legacy
 * ethN= ones (slirp, tuntap) went in Linux 6.16, where only the vector
 * driver is left. transport=tuntap goes through it there (tuntap.c).
 */
int
uml_net_check(const struct uml_kernel *k, const env_t *net, char **cause)
{
	const char	*t;

	if (k == NULL || net == NULL || k->legacy ||
	    strcmp((t = env_get(net, "transport")), "slirp") != 0)
		return (0);
	xasprintf(cause, "transport=slirp: %s (%s) has no slirp transport (UML "
	    "dropped its legacy network transports in Linux 6.16); use "
	    "transport=user, the same network without the slirp program",
	    k->path, k->version);
	return (-1);
}

/* UML's whole command line for u. */
void
uml_argv(const struct uml *u, struct strv *argv)
{
	size_t	 i;

	strv_add(argv, u->kernel);
	if (u->mem != NULL)
		strv_addf(argv, "mem=%s", u->mem);
	/*
	 * Linux 6.16's seccomp mode: a guest's system calls and page faults
	 * without a ptrace round trip each. auto: ptrace where the host
	 * refuses it.
	 */
	if (u->probe != NULL && u->probe->seccomp &&
	    !has_arg(&u->args, "seccomp="))
		strv_add(argv, "seccomp=auto");
	if (u->init != NULL) {
		/*
		 * The host's root through hostfs, read-only: the guest
		 * writes only where the builder binds in a writable place.
		 */
		strv_add(argv, "root=/dev/root");
		strv_add(argv, "rootfstype=hostfs");
		strv_add(argv, "rootflags=/");
		strv_add(argv, "ro");
	}
	if (!has_arg(&u->args, "initcall_blacklist="))
		strv_add(argv, UML_SKIP_BENCHMARKS);
	/* The delay loop as calibrated here before: uml_kernel_keep_lpj. */
	if (u->probe != NULL && u->probe->lpj != 0 &&
	    !has_arg(&u->args, "lpj="))
		strv_addf(argv, "lpj=%lu", u->probe->lpj);
	if (u->ubd0 != NULL)
		strv_addf(argv, "ubd0=%s", u->ubd0);
	if (u->init != NULL)
		strv_addf(argv, "init=%s", u->init);
	switch (u->console) {
	case UML_CONSOLE_LOG:
		strv_add(argv, "con0=fd:0,fd:1");
		strv_add(argv, "con=null");
		if (!log_verbose)
			strv_add(argv, "quiet");
		break;
	case UML_CONSOLE_COMMAND:
		/* con1 carries the command's stdout, con2 its stderr. */
		strv_add(argv, "con=null");
		strv_add(argv, log_verbose ? "con0=fd:0,fd:2" : "con0=null");
		strv_add(argv, "con1=fd:0,fd:1");
		strv_add(argv, log_verbose ? "con2=null,fd:2" :
		    "con2=null,fd:3");
		/* con3, our stdin in frames: see input.c. */
		if (u->input)
			strv_addf(argv, "con3=fd:%d,fd:%d", INPUT_IN_FD,
			    INPUT_OUT_FD);
		if (!log_verbose) {
			strv_add(argv, "quiet");
			strv_add(argv, "loglevel=0");
		}
		break;
	case UML_CONSOLE_TERMINAL:
		break;
	case UML_CONSOLE_AGENT:
		/* The console into our log; con1 the agent's link. */
		strv_add(argv, "con=null");
		strv_add(argv, "con0=null,fd:1");
		strv_addf(argv, "con1=fd:%d,fd:%d", AGENT_IN_FD, AGENT_OUT_FD);
		if (!log_verbose)
			strv_add(argv, "quiet");
		break;
	}
	if (u->init != NULL)
		strv_addf(argv, "rsrun=%s", u->rundir);
	/* UML's pid file and mconsole socket: not in ~/.uml, gone with us. */
	if (!has_arg(&u->args, "uml_dir="))
		strv_addf(argv, "uml_dir=%s", u->rundir);
	if (u->console == UML_CONSOLE_TERMINAL) {
		if (!has_arg(&u->args, "con0=") && !has_arg(&u->args, "con="))
			strv_add(argv, "con0=fd:0,fd:1");
		if (!has_arg(&u->args, "con="))
			strv_add(argv, "con=null");
	}
	if (u->net != NULL)
		net_arg(u, argv);
	for (i = 0; i < u->args.n; i++)
		strv_add(argv, u->args.v[i]);
}

/*
 * What the kernel says as it runs. A guest whose image writes failed (the
 * host's disk full) may still see every module succeed: its page cache
 * hid the errors, and the kernel's message is the only trace. Both are
 * looked for across the seam with the previous chunk.
 */
struct watch {
	char	 seam[64];
	size_t	 seamlen;
	int	 io_error;
	int	 panicked;
};

static void
watch_output(const char *buf, size_t n, void *arg)
{
	struct watch	*w = arg;
	size_t		 len = w->seamlen + n, keep;
	char		*text = xmalloc(len + 1);

	memcpy(text, w->seam, w->seamlen);
	memcpy(text + w->seamlen, buf, n);
	if (memmem(text, len, "I/O error, dev ubd", 18) != NULL)
		w->io_error = 1;
	if (memmem(text, len, "Kernel panic - not syncing", 26) != NULL)
		w->panicked = 1;
	keep = len < sizeof w->seam ? len : sizeof w->seam;
	memcpy(w->seam, text + len - keep, keep);
	w->seamlen = keep;
	free(text);
}

/*
 * UML runs the uml_net helper (transport=tuntap) by name from its PATH, so
 * ours (in dir) goes first. Empty entries are dropped: UML's own lookup
 * would take one as the current directory. Returns the PATH to restore.
 */
static char *
path_first(const char *dir)
{
	const char	*old = getenv("PATH");
	struct strv	 dirs = { 0 };
	char		*saved, *joined;

	saved = xstrdup(old != NULL ? old : "");
	strv_add(&dirs, dir);
	strv_split(&dirs, old != NULL ? old : "/usr/bin:/bin", ":");
	joined = strv_join(&dirs, ":");
	setenv("PATH", joined, 1);
	free(joined);
	strv_free(&dirs);
	return (saved);
}

/*
 * UML makes its memory file in TMPDIR (else /dev/shm, else /tmp) and
 * unlinks it at once. Confined, it is given a directory of its own
 * there, named after its run directory (rundir_sweep removes a dead
 * one's), and TMPDIR pointing at it: the user's other files in that
 * place, other runs' among them, are not the guest's to reach. Returns
 * the directory, or NULL with *cause.
 */
static char *
memdir_make(const struct uml *u, char **cause)
{
	const char	*slash = strrchr(u->rundir, '/');
	char		*dir;

	xasprintf(&dir, "%s/%s" ".mem", uml_tmpdir(),
	    slash != NULL ? slash + 1 : u->rundir);
	if (mkdir(dir, 0700) == -1) {
		xasprintf(cause, "%s: %s (UML's memory directory)", dir,
		    strerror(errno));
		free(dir);
		return (NULL);
	}
	return (dir);
}

/* UML, confined in memdir's name if it is not NULL. */
static void
launch(const struct uml *u, const char *memdir, struct uml_result *r)
{
	struct strv		 argv = { 0 };
	struct spawn		 sp;
	struct spawn_result	 sr;
	struct usernet		*un = NULL;
	struct tuntap		 tap;
	struct input		 in = { -1 };
	struct ttyout		 tty = { -1, { -1, -1, -1 } };
	struct watch		 w;
	struct landlock		 ll;
	char			*line, *path = NULL, *helper = NULL, *cause;
	char			*tmpdir_was = NULL;
	int			 in_fd = -1, out_fd = -1;

	memset(r, 0, sizeof *r);
	memset(&w, 0, sizeof w);
	memset(&sp, 0, sizeof sp);
	if (uml_net_check(u->probe, u->net, &r->cause) != 0) {
		r->end = UML_NOT_STARTED;
		return;
	}
	uml_argv(u, &argv);
	if (u->console == UML_CONSOLE_LOG) {
		line = strv_join(&argv, " ");
		log_info("booting UML: %s", line);
		free(line);
	}
	sp.argv = argv.v;
	sp.timeout = u->timeout;
	/* UML carries each guest process in a host one: see SPAWN_ONECPU. */
	sp.flags = SPAWN_ONECPU;
	if (u->console == UML_CONSOLE_COMMAND)
		sp.flags |= SPAWN_PASSTHROUGH | (log_verbose ? 0 : SPAWN_FD3);
	else if (u->console == UML_CONSOLE_TERMINAL)
		sp.flags |= SPAWN_PASSTHROUGH | SPAWN_STDIN;
	else if (u->console == UML_CONSOLE_AGENT) {
		sp.flags |= SPAWN_PASSTHROUGH;
		/* UML's alone: the supervisor sees EOF when UML ends. */
		sp.give[sp.ngive].fd = u->agent_in;
		sp.give[sp.ngive].away = 1;
		sp.give[sp.ngive++].as = AGENT_IN_FD;
		sp.give[sp.ngive].fd = u->agent_out;
		sp.give[sp.ngive].away = 1;
		sp.give[sp.ngive++].as = AGENT_OUT_FD;
	}
	sp.seen = watch_output;
	sp.seen_arg = &w;
	if (u->net != NULL && strcmp(env_get(u->net, "transport"),
	    "user") == 0) {
		if ((un = usernet_new(u->net, &u->forwards, &r->cause)) ==
		    NULL) {
			r->end = UML_NOT_STARTED;
			strv_free(&argv);
			return;
		}
		sp.peer = usernet_peer(un, &sp.give[sp.ngive++]);
	}
	tap.fd = -1;
	if (host_if(u) != NULL) {
		/* Opened here either way: a clear error before UML starts. */
		if (hostif_open(&tap, host_if(u), &r->cause) != 0) {
			r->end = UML_NOT_STARTED;
			strv_free(&argv);
			return;
		}
		log_info("host_if: tap %s, %s", host_if(u), tuntap_vector(u) ?
		    "handed to the vector driver" : "opened by UML");
		if (tuntap_vector(u)) {
			sp.give[sp.ngive].fd = tap.fd;
			sp.give[sp.ngive++].as = TUNTAP_FD;
		} else {
			/* The legacy driver opens it by name itself. */
			close(tap.fd);
			tap.fd = -1;
		}
	} else if (tuntap_vector(u)) {
		xasprintf(&helper, "%s/uml_net", u->libexecdir != NULL ?
		    u->libexecdir : "");
		if (u->libexecdir == NULL || access(helper, X_OK) != 0) {
			free(helper);
			helper = xstrdup("uml_net");
		}
		if (tuntap_up(&tap, u->net, helper, &r->cause) != 0) {
			r->end = UML_NOT_STARTED;
			free(helper);
			strv_free(&argv);
			return;
		}
		sp.give[sp.ngive].fd = tap.fd;
		sp.give[sp.ngive++].as = TUNTAP_FD;
	}
	if (u->input && u->console == UML_CONSOLE_COMMAND) {
		if (input_start(&in, &in_fd, &out_fd, &r->cause) != 0) {
			r->end = UML_NOT_STARTED;
			if (tap.fd != -1)
				tuntap_down(&tap);
			if (un != NULL)
				usernet_free(un);
			free(helper);
			strv_free(&argv);
			return;
		}
		sp.give[sp.ngive].fd = in_fd;
		sp.give[sp.ngive++].as = INPUT_IN_FD;
		sp.give[sp.ngive].fd = out_fd;
		sp.give[sp.ngive++].as = INPUT_OUT_FD;
	}
	if (memdir != NULL) {
		if (uml_confine(u, memdir, &ll, &cause) == 0) {
			sp.confine = &ll;
			if (getenv("TMPDIR") != NULL)
				tmpdir_was = xstrdup(getenv("TMPDIR"));
			setenv("TMPDIR", memdir, 1);
		} else {
			log_debug("not confined: %s", cause);
			free(cause);
		}
	} else if (u->confine)
		log_debug("not confined: eth=tuntap,, runs uml_net, whose "
		    "privilege a confined UML cannot give");
	if (u->libexecdir != NULL)
		path = path_first(u->libexecdir);
	/* A command's output on our terminal: see ttyout.c. */
	if (u->console == UML_CONSOLE_COMMAND &&
	    ttyout_start(&tty, &cause) != 0) {
		log_debug("terminal relay: %s", cause);
		free(cause);
	}
	spawn(&sp, &sr);
	ttyout_stop(&tty);
	if (u->init != NULL)
		uml_kernel_keep_lpj(u->probe, u->rundir);
	if (in_fd != -1) {
		close(in_fd);
		close(out_fd);
		input_stop(&in);
	}
	if (sp.confine != NULL) {
		landlock_close(&ll);
		if (tmpdir_was != NULL)
			setenv("TMPDIR", tmpdir_was, 1);
		else
			unsetenv("TMPDIR");
		free(tmpdir_was);
	}
	if (path != NULL) {
		setenv("PATH", path, 1);
		free(path);
	}
	if (un != NULL)
		usernet_free(un);
	if (tap.fd != -1)
		tuntap_down(&tap);
	free(helper);
	strv_free(&argv);

	r->io_error = w.io_error;
	r->cause = sr.cause;
	switch (sr.end) {
	case SPAWN_EXITED:
		r->end = w.panicked ? UML_PANICKED : UML_EXITED;
		r->status = sr.code;
		break;
	case SPAWN_SIGNALED:
		r->end = UML_KILLED;
		r->status = sr.code;
		break;
	case SPAWN_TIMEDOUT:
		r->end = UML_TIMEDOUT;
		break;
	case SPAWN_INTERRUPTED:
		r->end = UML_INTERRUPTED;
		break;
	case SPAWN_PEER_FAILED:
		r->end = UML_NET_FAILED;
		break;
	case SPAWN_NOT_STARTED:
		r->end = UML_NOT_STARTED;
		break;
	}
}

/* Run UML as u says, under supervision; *r says how it ended. */
void
uml_launch(const struct uml *u, struct uml_result *r)
{
	char	*memdir = NULL;

	memset(r, 0, sizeof *r);
	if (u->confine && !uml_args_need_helper(&u->args) &&
	    !legacy_tuntap(u) && (memdir = memdir_make(u, &r->cause)) == NULL) {
		r->end = UML_NOT_STARTED;
		return;
	}
	launch(u, memdir, r);
	if (memdir != NULL) {
		file_remove_tree(memdir);
		free(memdir);
	}
}

void
uml_result_free(struct uml_result *r)
{
	free(r->cause);
	memset(r, 0, sizeof *r);
}
