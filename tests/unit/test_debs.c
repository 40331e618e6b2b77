/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdlib.h>
#include <string.h>

#include "archive/archive.h"
#include "test.h"

/* Packages and Release parsing, dpkg's version order, and the selection. */

static void
index_text(struct index *idx, const char *text)
{
	char	*cause = NULL;

	memset(idx, 0, sizeof *idx);
	if (index_add(idx, xstrdup(text), strlen(text), "test", &cause) != 0)
		test_fail(__FILE__, __LINE__, "index_add: %s", cause);
	free(cause);
	index_sort(idx);
}

DEFINE_TEST(test_debs_version_compare)
{
	assert_int(version_compare("1.0", "1.0"), 0);
	assert_int(version_compare("1.0", "1.1"), -1);
	assert_int(version_compare("1.10", "1.9"), 1);
	assert_int(version_compare("1:0.1", "2.0"), 1);
	assert_int(version_compare("1.0~rc1", "1.0"), -1);
	assert_int(version_compare("1.0", "1.0+b1"), -1);
	assert_int(version_compare("1.0-1", "1.0-1.1"), -1);
	assert_int(version_compare("1.0a", "1.0-1"), 1);
	assert_int(version_compare("2.36-9+deb12u4", "2.36-9+deb12u10"), -1);
	assert_int(version_compare("0:1.2", "1.2"), 0);
	assert_int(version_compare("1.002", "1.2"), 0);
	assert_int(version_compare("1.0~~", "1.0~"), -1);
	assert_int(version_compare("a", "+"), -1);
}

DEFINE_TEST(test_debs_index_parse)
{
	struct index		 idx;
	const struct stanza	*st;

	index_text(&idx,
	    "Package: b\nVersion: 1\nDepends: a (>= 1),\n c | d\n"
	    "Size: 42\nSHA256: abc\n\n\n"
	    "Package: a\nVersion: 2\nPriority: required\nEssential: yes\n"
	    "\n"
	    "Package: a\nVersion: 10\nPriority: required\n"
	    "Filename: pool/a_10_all.deb");
	assert_int(idx.n, 3);
	st = index_lookup(&idx, "b");
	assert_true(st != NULL);
	if (st != NULL) {
		assert_str(st->depends, "a (>= 1), c | d");
		assert_int(st->size, 42);
		assert_true(strncmp(st->text, "Package: b\n", 11) == 0);
		assert_int(st->text[st->len - 1], '\n');
		assert_true(strstr(st->text, "Package: a") > st->text + st->len
		    - 1);
	}
	/* The highest version of a name wins; no trailing newline is fine. */
	st = index_lookup(&idx, "a");
	assert_true(st != NULL);
	if (st != NULL) {
		assert_str(st->version, "10");
		assert_str(st->filename, "pool/a_10_all.deb");
	}
	assert_true(index_lookup(&idx, "c") == NULL);
	index_free(&idx);
}

DEFINE_TEST(test_debs_index_errors)
{
	struct index	 idx;
	char		*cause = NULL;
	const char	*text = "Package: a\n\nVersion: 1\nSize: x\n";

	memset(&idx, 0, sizeof idx);
	assert_int(index_add(&idx, xstrdup(text), strlen(text), "P", &cause),
	    -1);
	assert_str(cause, "P:3: stanza without a Package field");
	free(cause);
	index_free(&idx);
}

static const char release_text[] =
    "Origin: Debian\nSuite: stable\nCodename: bookworm\n"
    "Date: Sat, 10 Jun 2023 08:54:47 UTC\n"
    "SHA256:\n"
    " 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    " 1234 main/binary-amd64/Packages.xz\n"
    " fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
    "   99 main/binary-amd64/Release\n";

DEFINE_TEST(test_debs_release_parse)
{
	struct release			 rel;
	const struct release_file	*f;
	char				*cause = NULL;

	assert_int(release_parse(&rel, release_text, strlen(release_text),
	    &cause), 0);
	assert_int(rel.nfiles, 2);
	f = release_find(&rel, "main/binary-amd64/Packages.xz");
	assert_true(f != NULL);
	if (f != NULL) {
		assert_int(f->size, 1234);
		assert_str(f->sha256, "0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdef");
	}
	assert_true(release_find(&rel, "main/binary-i386/Packages.xz") ==
	    NULL);
	assert_int(release_check(&rel, "bookworm", 1700000000, &cause), 0);
	assert_int(release_check(&rel, "stable", 1700000000, &cause), 0);
	assert_int(release_check(&rel, "trixie", 1700000000, &cause), -1);
	assert_str(cause, "it is for suite 'stable' (codename 'bookworm'), "
	    "not 'trixie'");
	free(cause);
	cause = NULL;

	/* An expired file is refused; one still valid is not. */
	rel.valid_until = xstrdup("Sat, 17 Jun 2023 08:54:47 UTC");
	assert_int(release_check(&rel, "bookworm", 1686000000, &cause), 0);
	assert_int(release_check(&rel, "bookworm", 1700000000, &cause), -1);
	assert_str(cause, "it expired (Valid-Until: Sat, 17 Jun 2023 "
	    "08:54:47 UTC)");
	free(cause);
	release_free(&rel);
}

DEFINE_TEST(test_debs_release_bad)
{
	struct release	 rel;
	char		*cause = NULL;
	const char	*t1 = "Suite: x\n";
	const char	*t2 = "SHA256:\n nothex 12 main/Packages\n";
	const char	*t3 = "SHA256:\n 0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef 12 ../etc/passwd\n";

	assert_int(release_parse(&rel, t1, strlen(t1), &cause), -1);
	assert_str(cause, "no SHA256 field");
	free(cause);
	release_free(&rel);
	assert_int(release_parse(&rel, t2, strlen(t2), &cause), -1);
	assert_str(cause, "bad SHA256 line near 'nothex'");
	free(cause);
	release_free(&rel);
	assert_int(release_parse(&rel, t3, strlen(t3), &cause), -1);
	free(cause);
	release_free(&rel);
}

/*
 * A tiny archive: what debootstrap would choose from it, with the first
 * alternative taken, virtual packages dropped, usrmerge kept out and an
 * excluded package brought back by a dependency.
 */
static const char archive_text[] =
    "Package: libc6\nPriority: required\nVersion: 1\n\n"
    "Package: dpkg\nPriority: required\nEssential: yes\nVersion: 1\n"
    "Pre-Depends: libc6, tar\n\n"
    "Package: tar\nPriority: required\nVersion: 1\n"
    "Depends: libc6:any\n\n"
    "Package: usr-is-merged\nPriority: optional\nVersion: 1\n\n"
    "Package: usrmerge\nPriority: optional\nVersion: 1\n\n"
    "Package: apt\nPriority: important\nVersion: 1\n"
    "Depends: gpgv | gpgv2, libc6 (>= 2), mail-transport-agent,"
    " usrmerge\n\n"
    "Package: gpgv\nPriority: optional\nVersion: 1\nDepends: dpkg\n\n"
    "Package: gpgv2\nPriority: optional\nVersion: 1\n\n"
    "Package: vim\nPriority: optional\nVersion: 1\nDepends: gpgv2\n\n";

static char *
joined(const struct strv *sv)
{
	return (strv_join(sv, " "));
}

DEFINE_TEST(test_debs_resolve)
{
	struct index		 idx;
	struct resolve_in	 in;
	struct strv		 req, base;
	const struct stanza	**order;
	char			*cause = NULL, *s;
	size_t			 n, i;

	index_text(&idx, archive_text);
	memset(&in, 0, sizeof in);
	in.suite = "bookworm";
	in.variant = "minbase";
	in.mirror = "http://deb.debian.org/debian";
	assert_int(resolve_select(&idx, &in, &req, &base, &cause), 0);
	assert_str(s = joined(&req), "dpkg libc6 tar usr-is-merged");
	free(s);
	assert_str(s = joined(&base), "apt gpgv");
	free(s);

	/* Required and Essential first, each after what it needs. */
	order = resolve_order(&idx, &req, &base, &n);
	assert_int(n, 6);
	s = xstrdup("");
	for (i = 0; i < n; i++) {
		char *t = s;
		xasprintf(&s, "%s%s%s", t, i ? " " : "", order[i]->package);
		free(t);
	}
	assert_str(s, "libc6 tar dpkg usr-is-merged gpgv apt");
	free(s);
	free(order);
	strv_free(&req);
	strv_free(&base);

	/* include and exclude; https adds ca-certificates (missing here). */
	strv_add(&in.include, "vim");
	strv_add(&in.exclude, "tar");
	assert_int(resolve_select(&idx, &in, &req, &base, &cause), 0);
	assert_str(s = joined(&req), "dpkg libc6 tar usr-is-merged");
	free(s);
	assert_str(s = joined(&base), "apt gpgv gpgv2 vim");
	free(s);
	strv_free(&req);
	strv_free(&base);
	in.mirror = "https://deb.debian.org/debian";
	assert_int(resolve_select(&idx, &in, &req, &base, &cause), -1);
	assert_str(cause, "no such package in the indexes: ca-certificates");
	free(cause);
	cause = NULL;

	/* The default variant takes Priority: important; bullseye no rule. */
	in.mirror = "http://deb.debian.org/debian";
	in.variant = "";
	in.suite = "bullseye";
	strv_free(&in.include);
	assert_int(resolve_select(&idx, &in, &req, &base, &cause), 0);
	assert_str(s = joined(&req), "dpkg libc6 tar");
	free(s);
	assert_str(s = joined(&base), "apt gpgv usrmerge");
	free(s);
	strv_free(&req);
	strv_free(&base);

	in.variant = "fakechroot";
	assert_int(resolve_select(&idx, &in, &req, &base, &cause), -1);
	assert_str(cause, "variant: unsupported variant 'fakechroot' "
	    "(minbase, buildd, or default)");
	free(cause);
	strv_free(&in.exclude);
	index_free(&idx);
}
