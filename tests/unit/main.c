/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules/modules.h"
#include "test.h"

/* Runs every DEFINE_TEST of list.h and reports TAP. */

#define DEFINE_TEST_ENTRY(n)	{ #n, n },
#undef DEFINE_TEST
#define DEFINE_TEST(n)		void n(void);
#include "list.h"
#undef DEFINE_TEST
#define DEFINE_TEST(n)		DEFINE_TEST_ENTRY(n)

static const struct {
	const char	*name;
	void		(*fn)(void);
} tests[] = {
#include "list.h"
};

int		 test_failures;
static char	 unit_tmpdir[] = "/tmp/rootstrap-unit.XXXXXX";
static int	 nfiles;
static struct strv files;	/* test_file()'s paths, freed at exit */

void
test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	test_failures++;
}

/* A temporary file holding content; its path lives until exit. */
char *
test_file(const char *content)
{
	char	*path;
	FILE	*f;

	xasprintf(&path, "%s/f%d.conf", unit_tmpdir, ++nfiles);
	if ((f = fopen(path, "w")) == NULL || fputs(content, f) < 0 ||
	    fclose(f) != 0) {
		perror(path);
		exit(99);
	}
	/* Owned here, so that the sanitizer run sees no leak. */
	strv_add(&files, path);
	free(path);
	return (files.v[files.n - 1]);
}

int
main(void)
{
	size_t	 i, n = sizeof tests / sizeof tests[0];
	int	 failed = 0, before;

	if (mkdtemp(unit_tmpdir) == NULL) {
		perror(unit_tmpdir);
		return (99);
	}
	printf("1..%zu\n", n);
	for (i = 0; i < n; i++) {
		before = test_failures;
		tests[i].fn();
		fflush(stdout);
		if (test_failures != before) {
			printf("not ok %zu - %s\n", i + 1, tests[i].name);
			failed++;
		} else
			printf("ok %zu - %s\n", i + 1, tests[i].name);
	}
	/* The test files go with their directory, or the run fails. */
	file_remove_tree(unit_tmpdir);
	if (access(unit_tmpdir, F_OK) == 0) {
		printf("# %s: not removed\n", unit_tmpdir);
		failed++;
	}
	strv_free(&files);
	return (failed != 0);
}
