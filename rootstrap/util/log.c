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
int		 log_copy_fd = -1;
const char	*log_prefix = "rootstrap";

/*
 * The transcript's last bytes, to quote when a build fails and its
 * transcript went only to a file: what the failing step said last.
 */
static char	 log_tail[4096];
static size_t	 log_tail_len;

static void
tail_keep(const char *buf, size_t len)
{
	if (len >= sizeof log_tail) {
		buf += len - sizeof log_tail;
		len = sizeof log_tail;
	}
	if (log_tail_len + len > sizeof log_tail) {
		size_t	 drop = log_tail_len + len - sizeof log_tail;

		memmove(log_tail, log_tail + drop, log_tail_len - drop);
		log_tail_len -= drop;
	}
	memcpy(log_tail + log_tail_len, buf, len);
	log_tail_len += len;
}

static void	 log_vwrite(int, const char *, const char *, va_list)
		     printflike(3, 0);

/*
 * Best effort: the transcript has nowhere to report its own failure. A
 * line for the terminal first erases the progress line there.
 */
static void
write_all(int fd, const char *buf, size_t len)
{
	if (fd == STDOUT_FILENO || fd == STDERR_FILENO)
		progress_clear();
	(void)fd_write_all(fd, buf, len);
}

/* The transcript: to log_fd, and to the log file beside it if any. */
void
log_write(const char *buf, size_t len)
{
	write_all(log_fd, buf, len);
	if (log_copy_fd != -1)
		write_all(log_copy_fd, buf, len);
	tail_keep(buf, len);
}

/*
 * Whether the terminal shows the steps only: the transcript goes whole to
 * a file beside it and -v did not ask for everything.
 */
int
log_steps_only(void)
{
	return (log_copy_fd != -1 && !log_verbose);
}

/*
 * The output of the programs a build runs (the UML console, e2fsck,
 * resize2fs): whole into the transcript; with log_steps_only(), only the
 * builder's own lines (one per module and mount) reach the terminal, not
 * dpkg's, the kernel's or e2fsck's. Each whole line is shown to the
 * progress display too, which counts the packages dpkg sets up.
 */
void
log_program(const char *buf, size_t len)
{
	static char	 line[1024];
	static size_t	 linelen;
	static int	 overflow;
	static const char step[] = "rootstrap-builder: ";
	size_t		 i;

	if (!log_steps_only()) {
		log_write(buf, len);
		if (!progress_active())
			return;
	} else {
		write_all(log_copy_fd, buf, len);
		tail_keep(buf, len);
	}
	for (i = 0; i < len; i++) {
		if (linelen < sizeof line)
			line[linelen++] = buf[i];
		else
			overflow = 1;
		if (buf[i] != '\n')
			continue;
		if (!overflow)
			progress_program_line(line, linelen - 1);
		if (log_steps_only() && !overflow &&
		    linelen > sizeof step - 1 &&
		    memcmp(line, step, sizeof step - 1) == 0)
			write_all(log_fd, line, linelen);
		linelen = 0;
		overflow = 0;
	}
}

/*
 * The transcript's last n lines, each quoted with "  | ", on stderr: for
 * a failure whose transcript the terminal did not show.
 */
void
log_quote_tail(int n)
{
	size_t	 i = log_tail_len;
	int	 lines = 0;
	char	*line;
	size_t	 start, end;

	/* Back to the start of the n-th line from the end. */
	if (i > 0 && log_tail[i - 1] == '\n')
		i--;
	for (; i > 0; i--)
		if (log_tail[i - 1] == '\n' && ++lines == n)
			break;
	if (i == log_tail_len)
		return;
	xasprintf(&line, "%s: the transcript ends:\n", log_prefix);
	write_all(STDERR_FILENO, line, strlen(line));
	free(line);
	for (start = i; start < log_tail_len; start = end + 1) {
		for (end = start; end < log_tail_len && log_tail[end] != '\n';
		    end++)
			;
		xasprintf(&line, "  | %.*s\n", (int)(end - start),
		    log_tail + start);
		write_all(STDERR_FILENO, line, strlen(line));
		free(line);
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
		write_all(STDERR_FILENO, line, len);
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
