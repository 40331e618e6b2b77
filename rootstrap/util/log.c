/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * The transcript: rootstrap's own lines and the UML console go to one
 * descriptor (stdout, or the -o log). Errors also go to stderr when the
 * transcript is a file, so a user watching the terminal sees why it failed.
 */

int		 log_verbose;
int		 log_fd = STDOUT_FILENO;
const char	*log_prefix = "rootstrap";

static void	 log_vwrite(int, const char *, const char *, va_list)
		     printflike(3, 0);

/* Write all of buf, retrying short writes; the transcript is best effort. */
void
log_write(const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(log_fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

static void
log_vwrite(int to_stderr, const char *tag, const char *fmt, va_list ap)
{
	char	*msg, *line;
	int	 len;

	xvasprintf(&msg, fmt, ap);
	len = xasprintf(&line, "%s: %s%s\n", log_prefix, tag, msg);
	if (!to_stderr || log_fd != STDOUT_FILENO)
		log_write(line, len);
	if (to_stderr && log_fd != STDERR_FILENO)
		(void)!write(STDERR_FILENO, line, len);
	free(line);
	free(msg);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(0, "", fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(0, "warning: ", fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(1, "", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite(0, "debug: ", fmt, ap);
	va_end(ap);
}

/* Something that cannot happen did: say so and stop. */
void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(1, "fatal: ", fmt, ap);
	va_end(ap);
	exit(EXIT_BUILD);
}
