/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "build.h"

/* How much of the transcript a failure quotes. */
#define FAIL_QUOTE_LINES	15

/*
 * How a build ends early, from any of its steps: the message, everything
 * it made removed, and the exit status (128+N when signal N stopped it).
 */

/* Remove everything a build made, whatever stage it reached. */
void
build_cleanup(struct build *b)
{
	char	*copy;

	if (b->tmpimage != NULL) {
		/* The shrink's working copy too (image_shrink). */
		xasprintf(&copy, "%s.shrink", b->tmpimage);
		unlink(copy);
		free(copy);
		unlink(b->tmpimage);
		free(b->tmpimage);
		b->tmpimage = NULL;
	}
	if (b->rundir != NULL) {
		rundir_remove(b->rundir);
		free(b->rundir);
		b->rundir = NULL;
	}
}

void
build_fail(struct build *b, int status, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	/* A transcript the terminal did not show whole: how it ends. */
	if (b->logpath != NULL &&
	    (log_fd != STDOUT_FILENO || log_steps_only()))
		log_quote_tail(FAIL_QUOTE_LINES);
	if (fmt != NULL) {
		va_start(ap, fmt);
		xvasprintf(&msg, fmt, ap);
		va_end(ap);
		log_error("%s", msg);
		free(msg);
	}
	if (b->logpath != NULL)
		log_error("the whole transcript is in %s", b->logpath);
	build_cleanup(b);
	if (spawn_signal != 0)
		status = 128 + spawn_signal;
	exit(status);
}

