/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "modules/modules.h"
#include "test.h"

/* dpkg's database as the host-side unpacker writes it (dpkgdb.c). */

DEFINE_TEST(test_control_field)
{
	const char	*c = "Package: libc6\nVersion: 2.36\nmulti-arch: same\n"
			    "Description: GNU C\n Library\n\t and more  \n"
			    "Priority: optional\n";
	const char	*two = "Package: a\n\nPriority: x\n";
	char		*v;

	assert_str((v = control_field(c, strlen(c), "Package")), "libc6");
	free(v);
	/* Field names are not case-sensitive. */
	assert_str((v = control_field(c, strlen(c), "Multi-Arch")), "same");
	free(v);
	/* Continuation lines join, with one space each; trailing blanks go. */
	assert_str((v = control_field(c, strlen(c), "Description")),
	    "GNU C Library and more");
	free(v);
	/* The field after a continued one is found. */
	assert_str((v = control_field(c, strlen(c), "Priority")), "optional");
	free(v);
	assert_true(control_field(c, strlen(c), "Essential") == NULL);
	/* A field of a second stanza is not this one's. */
	assert_true(control_field(two, strlen(two), "Priority") == NULL);
	/* Only len bytes are read: the text need not end in NUL. */
	assert_true(control_field(c, 10, "Version") == NULL);
}

DEFINE_TEST(test_dpkgdb_status_unpacked)
{
	struct dpkgdb	 db;
	struct strv	 conffiles = { 0 };

	memset(&db, 0, sizeof db);
	strv_add(&conffiles, "/etc/login.defs");
	dpkgdb_add(&db, "login", "Package: login\nPriority: optional\n"
	    "Version: 1\n", &conffiles, "Package: login\nPriority: required\n"
	    "Filename: pool/l/login.deb\n");
	/* The archive's Priority wins, conffiles wait to be moved. */
	assert_str(db.status.s, "Package: login\n"
	    "Status: install ok unpacked\n"
	    "Priority: required\n"
	    "Version: 1\n"
	    "Conffiles:\n /etc/login.defs newconffile\n\n");
	assert_str(db.available.s, "Package: login\nPriority: required\n"
	    "Filename: pool/l/login.deb\n\n");
	strv_free(&conffiles);
	dpkgdb_free(&db);
}

DEFINE_TEST(test_dpkgdb_multiarch_name)
{
	struct dpkgdb	 db;
	struct strv	 none = { 0 };

	memset(&db, 0, sizeof db);
	dpkgdb_add(&db, "zlib1g:amd64", "Package: zlib1g\n", &none,
	    "Package: zlib1g\n");
	assert_true(strncmp(db.status.s, "Package: zlib1g\n", 16) == 0);
	dpkgdb_free(&db);
}

DEFINE_TEST(test_dpkgdb_triggers)
{
	struct dpkgdb	 db;

	memset(&db, 0, sizeof db);
	dpkgdb_triggers(&db, "libc-bin", "# comment\ninterest-await ldconfig\n");
	dpkgdb_triggers(&db, "debianutils",
	    "interest-noawait /usr/share/debianutils/shells.d\n");
	dpkgdb_triggers(&db, "man-db", "interest-noawait ldconfig\n"
	    "activate-noawait ldconfig\ninterest ../../etc/evil\n");
	assert_str(db.file_triggers.s,
	    "/usr/share/debianutils/shells.d debianutils/noawait\n");
	assert_int(db.trigger_names.n, 1);
	assert_str(db.trigger_names.v[0], "ldconfig");
	assert_str(db.trigger_files[0].s, "libc-bin\nman-db/noawait\n");
	dpkgdb_free(&db);
}
