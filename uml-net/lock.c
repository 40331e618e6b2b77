/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "uml_net.h"

/*
 * One uml_net request at a time, on the whole host: what a request checks
 * (max_taps, max_addresses, the addresses the host uses) and what it then
 * makes must be one step, or requests racing each other all pass the
 * checks before any of them makes anything.
 *
 * The lock is flock(2) on the helper's own executable, opened through
 * /proc/self/exe. Why there: uml_net runs with the caller's user ID and
 * no privilege over files (only CAP_NET_ADMIN), so it cannot create a
 * lock file where only root may write; and one where the caller may write
 * (/tmp, /run/lock) the caller could remove, replace, or make a link or a
 * file of their own, so that each request locked a different file. The
 * installed executable is root's, in root's directory: a caller who could
 * replace it would not need it. It exists while the program runs, and
 * nothing is created, so there is nothing to race for. flock needs a
 * descriptor open for reading (not O_PATH), so the group must be able to
 * read the executable, as make install leaves it (0750, 4750).
 *
 * What a caller can do is open it too and hold the lock. Others' requests
 * then wait LOCK_WAIT_MS and are refused in protocol (UML does not hang):
 * a member of the group can deny the others service, as they can by
 * taking the policy's addresses, but gains nothing. A copy of the program
 * is another file with a lock of its own; only a privileged copy matters,
 * and making one takes root.
 */

#define LOCK_WAIT_MS	5000
#define LOCK_STEP_MS	10

void
lock_take(void)
{
	struct timespec	 step = { 0, LOCK_STEP_MS * 1000000L };
	int		 fd, waited = 0;

	if ((fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) == -1)
		refuse("opening the lock, /proc/self/exe: %s", strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			refuse("locking /proc/self/exe: %s", strerror(errno));
		if (waited >= LOCK_WAIT_MS)
			refuse("another request has held the lock (uml_net's "
			    "executable) for %d s; nothing done",
			    LOCK_WAIT_MS / 1000);
		nanosleep(&step, NULL);
		waited += LOCK_STEP_MS;
	}
	/* Held until the program exits: fd is never closed. */
}
