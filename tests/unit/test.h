/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

/*
 * A small unit test harness in the libarchive shape: DEFINE_TEST(name)
 * functions listed in a generated list.h, assertions that report file:line
 * and carry on, one TAP line per test.
 */

#ifndef TEST_H
#define TEST_H

#include <string.h>

/* Where the host has mke2fs and debootstrap, for the modules' checks. */
#define TEST_PATH	"/usr/sbin:/usr/bin:/sbin:/bin"

#define DEFINE_TEST(name)	void name(void); void name(void)

extern int	 test_failures;
void		 test_fail(const char *, int, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
char		*test_file(const char *);

#define assert_true(e) do {						\
	if (!(e))							\
		test_fail(__FILE__, __LINE__, "assertion failed: %s", #e); \
} while (0)

#define assert_int(a, b) do {						\
	long long _a = (a), _b = (b);					\
	if (_a != _b)							\
		test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", \
		    #a, _a, _b);					\
} while (0)

#define assert_str(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0)		\
		test_fail(__FILE__, __LINE__, "%s is \"%s\", expected \"%s\"", \
		    #a, _a ? _a : "(null)", _b ? _b : "(null)");	\
} while (0)

#endif
