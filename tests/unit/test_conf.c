/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modules/modules.h"
#include "test.h"

/* rootstrap.conf parsing: syntax, layering, and each error message. */

#define GOOD_GLOBAL	"[global]\nPATH=" TEST_PATH "\n"

/* Load text as one file; returns the conf (errors in c->errors). */
static char *
load(struct conf *c, const char *text)
{
	char	*path = test_file(text);

	conf_init(c);
	conf_load(c, path, 1);
	return (path);
}

/* Load, build the plan, and expect exactly one error, "FILE:LINE: msg". */
static void
expect_error(const char *text, int line, const char *msg)
{
	struct conf	 c;
	struct plan	 p;
	struct plan_ctx	 ctx = { stock_modules, "/img", "/run", "/work",
			    "/nonexistent", NULL };
	char		*path, *want;

	path = load(&c, text);
	plan_make(&p, &c, &ctx);
	if (line > 0)
		xasprintf(&want, "%s:%d: %s", path, line, msg);
	else
		want = xstrdup(msg);
	if (c.errors.n != 1) {
		test_fail(__FILE__, __LINE__, "%zu errors for \"%s\"",
		    c.errors.n, msg);
		for (size_t i = 0; i < c.errors.n; i++)
			printf("#   %s\n", c.errors.v[i]);
	} else
		assert_str(c.errors.v[0], want);
	free(want);
	plan_free(&p);
	conf_free(&c);
}

DEFINE_TEST(test_conf_syntax)
{
	struct conf	 c;

	load(&c, "# comment\n; another\n[global]\nPATH = /bin\n"
	    "fstype: ext2 ; inline comment\nmodules=mkfs\n   mount\n"
	    "umlargs=a;b\n[debian]\ninclude=a b\n  c\n\n  d\n");
	assert_int(c.errors.n, 0);
	assert_str(conf_get(&c, "global", "PATH"), "/bin");
	assert_str(conf_get(&c, "global", "fstype"), "ext2");
	assert_str(conf_get(&c, "global", "modules"), "mkfs mount");
	assert_str(conf_get(&c, "global", "umlargs"), "a;b");
	assert_str(conf_get(&c, "debian", "include"), "a b c d");
	assert_int(conf_find(&c, "debian", "include")->line, 10);
	conf_free(&c);
}

DEFINE_TEST(test_conf_layering)
{
	struct conf	 c;
	char		*a = test_file("[global]\nPATH=/a\nfstype=ext2\n");
	char		*b = test_file("[global]\nfstype=ext3\n");

	conf_init(&c);
	assert_int(conf_load(&c, a, 1), 0);
	assert_int(conf_load(&c, b, 1), 0);
	assert_int(conf_load(&c, "/nonexistent/rootstrap.conf", 0), 0);
	assert_str(conf_get(&c, "global", "PATH"), "/a");
	assert_str(conf_get(&c, "global", "fstype"), "ext3");
	assert_str(conf_find(&c, "global", "fstype")->file, b);
	assert_int(conf_find(&c, "global", "fstype")->line, 2);
	conf_free(&c);
}

DEFINE_TEST(test_conf_missing_required_file)
{
	struct conf	 c;

	conf_init(&c);
	assert_int(conf_load(&c, "/nonexistent/x.conf", 1), -1);
	assert_int(c.errors.n, 1);
	assert_str(c.errors.v[0],
	    "/nonexistent/x.conf: No such file or directory");
	conf_free(&c);
}

DEFINE_TEST(test_conf_all_syntax_errors)
{
	struct conf	 c;
	char		*path, *want;
	char		 longline[300];

	memset(longline, 'x', sizeof longline);
	memcpy(longline, "[global]\nkey=", 13);
	longline[sizeof longline - 2] = '\n';
	longline[sizeof longline - 1] = '\0';
	path = load(&c, "stray=1\n[global\nPATH=/bin\njust words\n[ok]\n");
	assert_int(c.errors.n, 4);
	xasprintf(&want, "%s:1: 'stray' is outside any [section]", path);
	assert_str(c.errors.v[0], want);
	free(want);
	xasprintf(&want, "%s:2: section header without a closing ']'", path);
	assert_str(c.errors.v[1], want);
	free(want);
	/* The broken header left PATH outside any section, as it is. */
	xasprintf(&want, "%s:3: 'PATH' is outside any [section]", path);
	assert_str(c.errors.v[2], want);
	free(want);
	xasprintf(&want, "%s:4: expected 'key = value', '[section]' or a "
	    "comment", path);
	assert_str(c.errors.v[3], want);
	free(want);
	conf_free(&c);

	path = load(&c, longline);
	assert_int(c.errors.n, 1);
	xasprintf(&want, "%s:2: line longer than 199 characters (continue a "
	    "long value on indented lines)", path);
	if (c.errors.n == 1)
		assert_str(c.errors.v[0], want);
	free(want);
	conf_free(&c);
}

DEFINE_TEST(test_conf_semantic_errors)
{
	expect_error("[global]\nfstype=ext4\n", 0,
	    "rootstrap: [global] PATH is required (e.g. "
	    "PATH=/usr/sbin:/usr/bin:/sbin:/bin)");
	expect_error(GOOD_GLOBAL "modules=\n", 3,
	    "modules: the list of modules is empty");
	expect_error(GOOD_GLOBAL "modules=mkfs\n[bogus]\nx=1\n", 5,
	    "unknown section [bogus] (not [global], a stock module or a "
	    "module in modules=)");
	expect_error(GOOD_GLOBAL "modules=mkfs\nfsytpe=ext4\n", 4,
	    "unknown key 'fsytpe' in [global] (known: fstype, initialsize, "
	    "freespace, modules, PATH, umlargs, http_proxy, https_proxy, "
	    "ftp_proxy, no_proxy, kernel, kernel_suite, "
	    "kernel_check_valid_until, mem, timeout, modulepath, "
	    "source_date_epoch)");
	expect_error(GOOD_GLOBAL "modules=mkfs\n[uml]\nroot_pasword=x\n", 5,
	    "unknown key 'root_pasword' in [uml] (known: install_modules, "
	    "root_password, or a [global] key)");
	expect_error(GOOD_GLOBAL "modules=mkfs\n[mkfs]\nsize=1\n", 5,
	    "unknown key 'size' in [mkfs] (known: only [global] keys)");
	expect_error(GOOD_GLOBAL "modules=mkfs\n[mkfs]\nfstype=ntfs\n", 5,
	    "fstype: invalid value 'ntfs' (one of ext2|ext3|ext4)");
	expect_error(GOOD_GLOBAL "modules=mkfs\nfstype=xfs\n", 4,
	    "fstype: invalid value 'xfs' (one of ext2|ext3|ext4)");
	expect_error(GOOD_GLOBAL "modules=mkfs\ninitialsize=lots\n", 4,
	    "initialsize: invalid size 'lots' (a whole number of MB, "
	    "greater than 0)");
	expect_error(GOOD_GLOBAL "modules=mkfs\ninitialsize=0\n", 4,
	    "initialsize: invalid size '0' (a whole number of MB, "
	    "greater than 0)");
	expect_error(GOOD_GLOBAL "modules=mkfs\nfreespace=-1\n", 4,
	    "freespace: invalid size '-1' (a whole number of MB)");
	expect_error(GOOD_GLOBAL "modules=mkfs\ntimeout=soon\n", 4,
	    "timeout: invalid number of seconds 'soon'");
	expect_error(GOOD_GLOBAL "modules=mkfs\nmem=12X\n", 4,
	    "mem: invalid memory size '12X' (e.g. 512M or 1G; at least 64M)");
	expect_error(GOOD_GLOBAL "modules=mkfs\n[network]\numl=10.0.2\n", 5,
	    "uml: invalid IPv4 address '10.0.2'");
	expect_error(GOOD_GLOBAL "modules=mkfs\n[network]\ntransport=ppp\n", 5,
	    "transport: invalid value 'ppp' (one of slirp|tuntap|user|none)");
	expect_error(GOOD_GLOBAL "modules=mkfs\n[network]\nhostname=a_b\n", 5,
	    "hostname: invalid hostname 'a_b' (letters, digits and '-', at "
	    "most 63)");
	expect_error(GOOD_GLOBAL "modules=mkfs\n[debian]\nclean=maybe\n", 5,
	    "clean: invalid boolean 'maybe' (yes or no)");
	expect_error(GOOD_GLOBAL "modules=mkfs nosuchmodule\n", 3,
	    "modules: unknown module 'nosuchmodule' (not a stock module, and "
	    "not found in /nonexistent)");
	expect_error(GOOD_GLOBAL "modules=mkfs ../x\n", 3,
	    "modules: invalid module name '../x'");
	expect_error(GOOD_GLOBAL "modules=network\n[network]\ntransport=tuntap\n"
	    "uml=192.168.7.2\n", 5, "[network] host: the host-side address is required with "
	    "transport=tuntap");
	expect_error(GOOD_GLOBAL "modules=network\n[network]\ninterface=wlan0\n"
	    "transport=none\n", 5,
	    "interface: invalid UML interface 'wlan0' for transport=none "
	    "(eth0, eth1, ...)");
	/* transport=user: the vector driver's vecN, and one network. */
	expect_error(GOOD_GLOBAL "modules=network\n[network]\ninterface=eth0\n"
	    "transport=user\n", 5,
	    "interface: invalid UML interface 'eth0' for transport=user "
	    "(vec0, vec1, ...)");
	expect_error(GOOD_GLOBAL "modules=network\n[network]\ntransport=user\n"
	    "gateway=10.0.3.2\n", 6,
	    "gateway: 10.0.3.2 is not another address in the guest's network "
	    "10.0.2.15/255.255.255.0");
	expect_error(GOOD_GLOBAL "modules=network\n[network]\ntransport=user\n"
	    "nameserver=10.0.2.15\n", 6,
	    "nameserver: 10.0.2.15 is not another address in the guest's "
	    "network 10.0.2.15/255.255.255.0");
	expect_error(GOOD_GLOBAL "modules=network\n[network]\ntransport=user\n"
	    "netmask=255.0.255.0\n", 6,
	    "netmask: '255.0.255.0' is not a netmask");
}

DEFINE_TEST(test_conf_errors_collected)
{
	struct conf	 c;
	struct plan	 p;
	struct plan_ctx	 ctx = { stock_modules, "/img", "/run", "/work", NULL,
			    NULL };

	load(&c, "[global]\nfstype=zfs\nmem=tiny\n[nope]\na=b\n");
	plan_make(&p, &c, &ctx);
	/* fstype, mem, [nope] and the missing PATH: all four at once. */
	assert_int(c.errors.n, 4);
	plan_free(&p);
	conf_free(&c);
}
