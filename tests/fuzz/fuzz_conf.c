/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules/modules.h"

/*
 * libFuzzer target for everything a configuration file reaches before a
 * build: the INI reader (conf.c), the key checks (keys.c), the plan and
 * the stock modules' checks (plan.c, modules/), and the plan's round trip
 * through the run directory (plan_write, then plan_read as the builder
 * does). Any crash, leak or undefined behaviour is a bug.
 */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static int	 conf_fd = -1;
static char	 conf_path[64];
static char	 plan_path[] = "/tmp/fuzz_conf.plan.XXXXXX";

static void
remove_plan(void)
{
	unlink(plan_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int	 fd;

	/* The input is a file to conf_load; memory is the fastest file. */
	if ((conf_fd = memfd_create("fuzz.conf", MFD_CLOEXEC)) == -1)
		abort();
	snprintf(conf_path, sizeof conf_path, "/proc/self/fd/%d", conf_fd);
	if ((fd = mkstemp(plan_path)) == -1)
		abort();
	close(fd);
	atexit(remove_plan);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 c;
	struct plan	 p, back;
	struct plan_ctx	 ctx;
	char		*cause = NULL;

	if (ftruncate(conf_fd, 0) == -1 ||
	    pwrite(conf_fd, data, size, 0) != (ssize_t)size)
		abort();

	conf_init(&c);
	conf_load(&c, conf_path, 1);
	memset(&ctx, 0, sizeof ctx);
	ctx.modules = stock_modules;
	ctx.image = "/tmp/fuzz.img";
	ctx.rundir = "/tmp/RUNDIR";
	ctx.workdir = "/";
	ctx.stockdir = "/nonexistent/modules";
	ctx.sitedir = "/nonexistent/site";
	if (plan_make(&p, &c, &ctx) == 0) {
		/* What the host writes, the builder must read back. */
		if (plan_write(&p, plan_path, &cause) != 0)
			abort();
		memset(&back, 0, sizeof back);
		if (plan_read(&back, plan_path, stock_modules, &cause) != 0) {
			fprintf(stderr, "plan_read: %s\n", cause);
			abort();
		}
		if (back.nsteps != p.nsteps)
			abort();
		plan_free(&back);
	}
	free(cause);
	plan_free(&p);
	conf_free(&c);
	return (0);
}
