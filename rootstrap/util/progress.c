/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/ioctl.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * The live line on a terminal: where the current step is (bytes fetched,
 * packages unpacked, packages configured in the guest and which one),
 * redrawn in place with a carriage return and an erase-line, as apt shows
 * its downloads. It is only ever drawn on a terminal, never with -v (the
 * terminal then shows everything) or -q, and never goes to the transcript:
 * the step lines do. Whatever prints a line to the terminal erases it
 * first (progress_clear); the next update draws it again.
 */

static int	 progress_fd = -1;
static int	 progress_drawn;
static char	*progress_label;

/* dpkg's "Setting up PKG (VERSION) ..." lines, counted against a total. */
static int	 setup_watch;
static size_t	 setup_done;
static size_t	 setup_total;

#define ERASE_LINE	"\r\033[K"

/*
 * Draw on fd, where the step lines go, if it is a terminal, else on
 * stderr if that is one (as curl does when its output is redirected);
 * not at all for fd -1 (-q) or with -v.
 */
void
progress_init(int fd)
{
	progress_fd = -1;
	if (fd == -1 || log_verbose)
		return;
	if (isatty(fd))
		progress_fd = fd;
	else if (isatty(STDERR_FILENO))
		progress_fd = STDERR_FILENO;
}

int
progress_active(void)
{
	return (progress_fd != -1);
}

/* The current step's name, shown before each update's detail. */
void
progress_begin(const char *label)
{
	free(progress_label);
	progress_label = xstrdup(label);
}

/* The terminal's width, less one so the line never wraps. */
static size_t
progress_width(void)
{
	struct winsize	 ws;

	if (ioctl(progress_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return (ws.ws_col - 1);
	return (79);
}

/*
 * Redraw the line: "rootstrap: LABEL DETAIL", cut to the terminal's
 * width. Bytes that are not printable ASCII (a package name comes from the
 * guest's console) are shown as '?', so nothing can move the cursor.
 */
void
progress_update(const char *fmt, ...)
{
	va_list		 ap;
	char		*detail, *line;
	size_t		 i, len, width;
	int		 n;

	if (progress_fd == -1)
		return;
	va_start(ap, fmt);
	xvasprintf(&detail, fmt, ap);
	va_end(ap);
	n = xasprintf(&line, "%s%s: %s%s%s", ERASE_LINE, log_prefix,
	    progress_label != NULL ? progress_label : "",
	    progress_label != NULL ? " " : "", detail);
	free(detail);
	len = (size_t)n;
	for (i = sizeof ERASE_LINE - 1; i < len; i++) {
		if (line[i] < 0x20 || line[i] > 0x7e)
			line[i] = '?';
	}
	width = progress_width() + sizeof ERASE_LINE - 1;
	if (len > width)
		len = width;
	(void)fd_write_all(progress_fd, line, len);
	progress_drawn = 1;
	free(line);
}

/* Erase the line, if drawn, before something else is printed. */
void
progress_clear(void)
{
	if (!progress_drawn)
		return;
	(void)fd_write_all(progress_fd, ERASE_LINE, sizeof ERASE_LINE - 1);
	progress_drawn = 0;
}

/*
 * Another process has the line now and erases it (run's terminal relay,
 * uml/ttyout.c, before the command's first output): forget it here.
 */
void
progress_forget(void)
{
	progress_drawn = 0;
}

/* The step is over: erase the line, and count no more setups. */
void
progress_end(void)
{
	progress_clear();
	free(progress_label);
	progress_label = NULL;
	setup_watch = 0;
}

/*
 * From now on count the packages dpkg sets up in the guest, total of
 * them (0: not known), as their lines pass through the transcript.
 */
void
progress_watch_setups(size_t total)
{
	progress_begin("configuring");
	setup_watch = 1;
	setup_done = 0;
	setup_total = total;
}

/*
 * A whole line of a program's output (without its newline): dpkg's
 * "Setting up PKG (VERSION) ..." counts one more package configured.
 */
void
progress_program_line(const char *line, size_t len)
{
	static const char	 setup[] = "Setting up ";
	size_t			 n;

	if (progress_fd == -1 || !setup_watch || len < sizeof setup ||
	    memcmp(line, setup, sizeof setup - 1) != 0)
		return;
	line += sizeof setup - 1;
	len -= sizeof setup - 1;
	for (n = 0; n < len && n < 128 && line[n] != ' '; n++)
		;
	setup_done++;
	if (setup_total > 0 && setup_done <= setup_total)
		progress_update("%zu/%zu: %.*s", setup_done, setup_total,
		    (int)n, line);
	else
		progress_update("%zu: %.*s", setup_done, (int)n, line);
}
