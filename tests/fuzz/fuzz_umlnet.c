/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml_net.h"

/*
 * libFuzzer target for what uml_net reads that a caller or an
 * administrator controls: its policy file (policy_load, with the ranges,
 * group and numbers it parses) and the addresses of a request
 * (parse_ipv4, then the policy's range check). The input is the policy
 * file; its first line doubles as an address.
 *
 * In the helper refuse() answers in protocol and exits. Here it jumps
 * back instead, so what an exit would free (the policy's FILE) is left:
 * leak detection is off for this target, and the descriptor that was
 * open is closed by hand.
 */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);
int	__lsan_is_turned_off(void);

static jmp_buf	 refused;
static int	 policy_fd = -1;
static char	 policy_path[] = "/tmp/fuzz_umlnet.policy.XXXXXX";

int
__lsan_is_turned_off(void)
{
	return (1);
}

void
refuse(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	/* Formatted as the helper would, so the format is exercised. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	longjmp(refused, 1);
}

static void
remove_policy(void)
{
	unlink(policy_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* policy_load refuses links (O_NOFOLLOW): a real file, then. */
	if ((policy_fd = mkstemp(policy_path)) == -1)
		abort();
	atexit(remove_policy);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy	 p;
	uint32_t	 addr;
	char		*line;
	int		 next;

	if (ftruncate(policy_fd, 0) == -1 ||
	    pwrite(policy_fd, data, size, 0) != (ssize_t)size)
		abort();
	/* The descriptor policy_load will get, to close after a refusal. */
	if ((next = dup(0)) == -1)
		abort();
	close(next);

	memset(&p, 0, sizeof p);
	if (setjmp(refused) == 0)
		policy_load(&p, policy_path);
	else
		close(next);

	line = strndup((const char *)data, size);
	line[strcspn(line, "\n")] = '\0';
	if (parse_ipv4(line, &addr) == 0) {
		(void)policy_allows(p.gates, p.ngates, addr);
		(void)policy_allows(p.guests, p.nguests, addr);
	}
	free(line);
	return (0);
}
