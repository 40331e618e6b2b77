/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

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
 * file; its first line doubles as an address. The parsers return their
 * errors (only the helper's main turns them into refusals), so each input
 * runs to its end and leaks are checked.
 */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static int	 policy_fd = -1;
static char	 policy_path[] = "/tmp/fuzz_umlnet.policy.XXXXXX";

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
	char		*line, why[512];

	if (ftruncate(policy_fd, 0) == -1 ||
	    pwrite(policy_fd, data, size, 0) != (ssize_t)size)
		abort();
	/* Refused or not, it must say why in a string, and leave p usable. */
	why[0] = '\0';
	if (policy_load(&p, policy_path, why, sizeof why) != 0 &&
	    strlen(why) == 0)
		abort();

	line = strndup((const char *)data, size);
	line[strcspn(line, "\n")] = '\0';
	if (parse_ipv4(line, &addr) == 0) {
		(void)policy_allows(p.gates, p.ngates, addr);
		(void)policy_allows(p.guests, p.nguests, addr);
	}
	free(line);
	return (0);
}
