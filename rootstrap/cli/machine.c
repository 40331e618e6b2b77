/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/*
 * The options run and start share, which say how the guest machine is
 * made (-k -m -N -p -s -S -u -v), parsed once here, and the struct uml
 * they come to. The commands keep their own options and what they do.
 */

/* HOST[:GUEST][:rw], checked and made absolute: "rw|ro HOST GUEST". */
static void
share_add(struct strv *shares, const char *arg)
{
	char	*copy = xstrdup(arg), *host, *guest, *mode, *abs;
	int	 rw = 0;

	host = copy;
	if ((guest = strchr(copy, ':')) != NULL) {
		*guest++ = '\0';
		if ((mode = strchr(guest, ':')) != NULL) {
			*mode++ = '\0';
			if (strcmp(mode, "rw") != 0 && strcmp(mode, "ro") != 0)
				errx(EXIT_USAGE, "--share %s: '%s' is neither "
				    "rw nor ro", arg, mode);
			rw = strcmp(mode, "rw") == 0;
		} else if (strcmp(guest, "rw") == 0 || strcmp(guest, "ro") == 0) {
			rw = strcmp(guest, "rw") == 0;
			guest = NULL;
		}
	}
	if ((abs = realpath(host, NULL)) == NULL)
		err(EXIT_USAGE, "--share %s: %s", arg, host);
	if (guest == NULL || *guest == '\0')
		guest = abs;
	if (*guest != '/' || strstr(guest, "/../") != NULL ||
	    strchr(guest, '\n') != NULL || strchr(abs, '\n') != NULL ||
	    strchr(abs, ' ') != NULL || strchr(guest, ' ') != NULL)
		errx(EXIT_USAGE, "--share %s: paths must be absolute, without "
		    "spaces or '..'", arg);
	strv_addf(shares, "%s %s %s", rw ? "rw" : "ro", abs, guest);
	free(abs);
	free(copy);
}

void
machine_init(struct machine *m, struct runspec *spec)
{
	memset(m, 0, sizeof *m);
	m->kernel = "auto";
	m->mem = "256M";
	free(spec->net);
	spec->net = xstrdup("none");
}

/* 1 if ch is one of MACHINE_OPTS (and taken), 0 if it is not. */
int
machine_option(struct machine *m, struct runspec *spec, int ch,
    const char *arg)
{
	const struct key	 mem = { "mem", KEY_MEM, NULL, NULL };
	struct usernet_forward	 fwd;
	char			*cause;

	switch (ch) {
	case 'k':
		m->kernel = arg;
		break;
	case 'm':
		if (key_valid(&mem, arg, &cause) != 0)
			errx(EXIT_USAGE, "--mem: %s", cause);
		m->mem = arg;
		break;
	case 'N':
		if ((cause = network_spec_valid(arg)) != NULL)
			errx(EXIT_USAGE, "--net: %s", cause);
		free(spec->net);
		spec->net = xstrdup(arg);
		m->net_given = 1;
		break;
	case 'p':
		if (usernet_forward(arg, &fwd, &cause) != 0)
			errx(EXIT_USAGE, "--publish %s", cause);
		strv_add(&m->forwards, arg);
		break;
	case 's':
		share_add(&spec->shares, arg);
		break;
	case 'S':
		m->snapshot = 1;
		break;
	case 'u':
		m->umlargs = arg;
		break;
	case 'v':
		log_verbose++;
		break;
	default:
		return (0);
	}
	return (1);
}

/* After the options: forwarded ports need the user-mode network. */
void
machine_args_done(struct machine *m, struct runspec *spec)
{
	if (m->forwards.n > 0 && !m->net_given) {
		free(spec->net);
		spec->net = xstrdup("user");
	} else if (m->forwards.n > 0 && strcmp(spec->net, "user") != 0)
		errx(EXIT_USAGE, "--publish: ports are forwarded by the "
		    "user-mode network alone, not -N %s", spec->net);
}

/*
 * The image a regular file UML can open, writable unless a snapshot;
 * cmd ("run", "start") for the hint.
 */
void
machine_image_usable(const struct machine *m, const char *image,
    const char *given, const char *cmd)
{
	struct stat	 st;

	if (stat(image, &st) != 0)
		err(EXIT_USAGE, "%s", given);
	if (!S_ISREG(st.st_mode))
		errx(EXIT_USAGE, "%s: not a regular file", given);
	if (access(image, m->snapshot ? R_OK : R_OK | W_OK) == 0)
		return;
	if (m->snapshot)
		err(EXIT_USAGE, "%s", given);
	err(EXIT_USAGE, "%s (use --snapshot to %s on a read-only image)",
	    given, cmd);
}

/*
 * What the options make of u (the memory, the forwards, what its
 * confinement lets it reach for the shares, the network and the extra
 * kernel arguments); net holds the network's settings for as long as u
 * is used. machine_uml_free undoes it.
 */
void
machine_uml(const struct machine *m, const struct runspec *spec,
    struct uml *u, env_t *net)
{
	struct strv	 share = { 0 };
	size_t		 i;

	u->mem = m->mem;
	u->forwards = m->forwards;
	for (i = 0; i < spec->shares.n; i++) {
		/* "ro|rw HOST GUEST", as share_add wrote it */
		strv_split(&share, spec->shares.v[i], " ");
		strv_add(strcmp(share.v[0], "rw") == 0 ? &u->reach_rw :
		    &u->reach_ro, share.v[1]);
		strv_free(&share);
	}
	if (strcmp(spec->net, "none") != 0) {
		/* The builder gives the guest these same settings. */
		network_env(net, spec->net);
		u->net = net;
	}
	if (m->umlargs != NULL)
		strv_split(&u->args, m->umlargs, " \t");
}

void
machine_uml_free(struct machine *m, struct uml *u, env_t *net)
{
	strv_free(&u->args);
	strv_free(&u->reach_ro);
	strv_free(&u->reach_rw);
	strv_free(net);
	strv_free(&m->forwards);
}
