/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "guest.h"

/*
 * rootstrap run's stdin, in the guest: the frames the host's relay writes
 * on con3 (RUN_INPUT_FRAME in util.h) undone by a decoder process into a
 * pipe, whose read end is the command's stdin. A tty passes every byte
 * only once raw, so the host is told to start after that; the end frame
 * closes the pipe, which the command reads as end-of-file.
 */

/* Frames from tty into out until the end frame; the decoder's body. */
static int
decode(int tty, int out)
{
	unsigned char	 buf[2 + RUN_INPUT_FRAME], hdr[2];
	size_t		 hdrlen = 0, left = 0, take, i;
	ssize_t		 n;

	for (;;) {
		if ((n = read(tty, buf, sizeof buf)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (1);
		for (i = 0; i < (size_t)n; i += take) {
			if (left == 0) {
				hdr[hdrlen++] = buf[i];
				take = 1;
				if (hdrlen < 2)
					continue;
				hdrlen = 0;
				if ((left = (size_t)hdr[0] << 8 | hdr[1]) == 0)
					return (0);
				continue;
			}
			take = (size_t)n - i < left ? (size_t)n - i : left;
			if (fd_write_all(out, buf + i, take) != 0)
				return (0);	/* stdin closed: no more */
			left -= take;
		}
	}
}

/*
 * The command's stdin from con3 (tty): the pipe's read end, or -1; *pid is
 * the decoder, for the caller to end once the command has.
 */
int
input_open(const char *tty, pid_t *pid)
{
	struct termios	 t;
	int		 fd, p[2];

	*pid = -1;
	if ((fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1) {
		log_error("%s: %s (the command's stdin)", tty, strerror(errno));
		return (-1);
	}
	if (tcgetattr(fd, &t) == -1 || (cfmakeraw(&t),
	    tcsetattr(fd, TCSANOW, &t)) == -1 || pipe2(p, O_CLOEXEC) == -1) {
		log_error("%s: %s (the command's stdin)", tty, strerror(errno));
		close(fd);
		return (-1);
	}
	if ((*pid = fork()) == 0) {
		signal(SIGPIPE, SIG_IGN);
		close(p[0]);
		/* Raw now: the host may send. */
		if (write(fd, (char[]){ RUN_INPUT_READY }, 1) != 1)
			_exit(1);
		_exit(decode(fd, p[1]));
	}
	close(fd);
	close(p[1]);
	if (*pid == -1) {
		log_error("fork: %s (the command's stdin)", strerror(errno));
		close(p[0]);
		return (-1);
	}
	return (p[0]);
}
