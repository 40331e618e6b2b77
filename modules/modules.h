/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef ROOTSTRAP_MODULES_H
#define ROOTSTRAP_MODULES_H

/*
 * The stock modules (network, mkfs, mount, debian, uml, umount): their
 * table, and what they share. Linked into both the host program (which
 * checks their settings) and the builder (which runs them in the guest);
 * so they call only the conf and util layers.
 */

#include "conf/conf.h"

/* table.c: the stock modules, in their default order */
extern const struct module *const stock_modules[];
const struct module *stock_module(const char *);

/* check-tool.c */
int		 module_check_tool(struct conf *, const env_t *, const char *,
		     const char *, const char *);

/* uml-swap.c: [uml] swap=, the image's /swapfile */
int		 uml_swapfile(uint64_t, const char *, char **);
/* uml-systemd.c: the uml module's fix-ups for systemd */
int		 uml_systemd(char **);

/* mod-network.c: the guest network of `rootstrap run` and `boot` */
#define NETWORK_TUNTAP_HOST	"10.213.47.1"	/* uml_net's default range */
#define NETWORK_TUNTAP_GUEST	"10.213.47.2"
void		 network_env(env_t *, const char *);
char		*network_spec_valid(const char *);

/* mod-network-user.c */
void		 usernet_check(struct conf *, const env_t *);

/*
 * debian-configure.c: the guest half of [debian] method=host. While it
 * configures, the shortcut (guest/shortcut.c) stands in for these helpers,
 * each real one moved aside to NAME SHORTCUT_REAL_SUFFIX.
 */
#define SHORTCUT_MAINT_HELPER	"/usr/bin/dpkg-maintscript-helper"
#define SHORTCUT_SYSTEMD_HELPER	"/usr/bin/deb-systemd-helper"
#define SHORTCUT_CACERTS	"/usr/sbin/update-ca-certificates"
#define SHORTCUT_REAL_SUFFIX	".rootstrap-real"
/* and for this one, left in place, from a directory before it on PATH. */
#define SHORTCUT_ADDGROUP	"/usr/sbin/addgroup"
#define SHORTCUT_SHADOW_DIR	"/usr/local/sbin"
int		 debian_configure(const env_t *, char **);
void		 debian_target_env(const env_t *, struct strv *);

#endif
