/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"

/*
 * The uml module's part for an image whose init is systemd: a login on
 * UML's console (tty0) as soon as the root filesystem is writable. As
 * Debian ships it, the console getty waits for the whole system: for
 * sysinit.target, which waits for udev to go through every device (4 s
 * under UML), and for user sessions to be allowed; and boot shows status
 * lines, the reason getty@.service waits for the boot to go quiet
 * (Type=idle). Here the console's getty starts early and undelayed,
 * status lines show only for errors, and a service with nothing to do
 * under UML (e2scrub_reap: LVM snapshots) is masked. Root may log in
 * before user sessions are allowed: pam_nologin lets root in.
 *
 * systemd runs every generator before it starts anything, each a process
 * that maps libsystemd-shared: about 0.1 s each under UML. Those that can
 * find nothing to do on a UML disk are masked: no crypttab, integritytab
 * or veritytab in an image rootstrap makes, no GPT on a ubd device, no
 * resume from hibernation. The others (fstab, getty, sysv, rc-local, the
 * kernel command line's debug and run options, system updates) stay.
 *
 * systemd starts modprobe@.service five times at boot (configfs, dm_mod,
 * efi_pstore, fuse, loop) and systemd-modules-load.service, each a process
 * on the CPU the console's getty waits for; under UML there is nothing to
 * load unless the running kernel's modules are in the image
 * (install_modules). A drop-in makes that their condition, which systemd
 * checks itself, without a process: skipped, not failed, so what requires
 * them still starts.
 */
static const char *const idle_generators[] = {
	"systemd-cryptsetup-generator",
	"systemd-integritysetup-generator",
	"systemd-veritysetup-generator",
	"systemd-gpt-auto-generator",
	"systemd-hibernate-resume-generator",
	NULL
};

#define SYSTEMD_ETC	GUEST_TARGET "/etc/systemd/system"

static const char early_getty[] =
"# Written by rootstrap: the login on UML's console (tty0), as soon as\n"
"# the root filesystem is writable, rather than when the whole system is\n"
"# up (getty@.service waits for sysinit.target and user sessions).\n"
"[Unit]\n"
"Description=Getty on UML's console %I\n"
"Documentation=man:agetty(8)\n"
"DefaultDependencies=no\n"
"After=systemd-remount-fs.service\n"
"Before=getty.target shutdown.target\n"
"Conflicts=shutdown.target rescue.service\n"
"IgnoreOnIsolate=yes\n"
"ConditionPathExists=/dev/tty0\n"
"\n"
"[Service]\n"
"ExecStart=-/sbin/agetty -o '-p -- \\\\u' --noclear - $TERM\n"
"Type=simple\n"
"Restart=always\n"
"RestartSec=0\n"
"UtmpIdentifier=%I\n"
"StandardInput=tty\n"
"StandardOutput=tty\n"
"TTYPath=/dev/%I\n"
"TTYReset=yes\n"
"TTYVHangup=yes\n"
"TTYVTDisallocate=yes\n"
"IgnoreSIGPIPE=no\n"
"SendSIGHUP=yes\n"
"UnsetEnvironment=LANG LANGUAGE LC_CTYPE LC_NUMERIC LC_TIME LC_COLLATE "
"LC_MONETARY LC_MESSAGES LC_PAPER LC_NAME LC_ADDRESS LC_TELEPHONE "
"LC_MEASUREMENT LC_IDENTIFICATION\n"
"\n"
"[Install]\n"
"WantedBy=getty.target\n";

static const char quiet_status[] =
"# Written by rootstrap: boot status lines only for errors, so that the\n"
"# console's login prompt (started early) is not written over.\n"
"[Manager]\n"
"ShowStatus=error\n";

/* Units with nothing to load without the running kernel's modules. */
static const char *const module_loaders[] = {
	"modprobe@.service",
	"systemd-modules-load.service",
	NULL
};

static const char modules_condition[] =
"# Written by rootstrap: under UML only the running kernel's modules in\n"
"# the image (the uml module's install_modules) can be loaded.\n"
"[Unit]\n"
"ConditionDirectoryNotEmpty=/lib/modules/%v\n";

/* Remove every link matching a glob inside the target. */
static void
unlink_glob(const char *pattern)
{
	glob_t	 g;
	size_t	 i;

	if (glob(pattern, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
	}
}

int
uml_systemd(char **cause)
{
	struct stat	 st;
	char		 shipped[256], mask[256];
	size_t		 i;

	/* UML's console is tty0; tty1-6 do not exist here. */
	unlink_glob(SYSTEMD_ETC "/getty.target.wants/getty@tty[1-9]*.service");
	/* Without logind it would start gettys on tty2-6 as well. */
	if (file_symlink("/dev/null", SYSTEMD_ETC "/getty-static.service",
	    cause) != 0 ||
	    file_write(SYSTEMD_ETC "/getty@tty0.service", early_getty, 0644,
	    cause) != 0 ||
	    file_symlink("/etc/systemd/system/getty@tty0.service",
	    SYSTEMD_ETC "/getty.target.wants/getty@tty0.service", cause) != 0 ||
	    file_write(GUEST_TARGET "/etc/systemd/system.conf.d/"
	    "rootstrap-uml.conf", quiet_status, 0644, cause) != 0)
		return (-1);
	for (i = 0; idle_generators[i] != NULL; i++) {
		snprintf(shipped, sizeof shipped, "%s/lib/systemd/"
		    "system-generators/%s", GUEST_TARGET, idle_generators[i]);
		snprintf(mask, sizeof mask, "%s/etc/systemd/system-generators/"
		    "%s", GUEST_TARGET, idle_generators[i]);
		if (lstat(shipped, &st) == 0 &&
		    file_symlink("/dev/null", mask, cause) != 0)
			return (-1);
	}
	if ((lstat(GUEST_TARGET "/lib/systemd/system/e2scrub_reap.service",
	    &st) == 0 || lstat(GUEST_TARGET
	    "/usr/lib/systemd/system/e2scrub_reap.service", &st) == 0) &&
	    file_symlink("/dev/null", SYSTEMD_ETC "/e2scrub_reap.service",
	    cause) != 0)
		return (-1);
	for (i = 0; module_loaders[i] != NULL; i++) {
		snprintf(shipped, sizeof shipped, "%s/lib/systemd/system/%s",
		    GUEST_TARGET, module_loaders[i]);
		snprintf(mask, sizeof mask, "%s/%s.d/rootstrap-uml.conf",
		    SYSTEMD_ETC, module_loaders[i]);
		if (lstat(shipped, &st) == 0 &&
		    file_write(mask, modules_condition, 0644, cause) != 0)
			return (-1);
	}
	return (0);
}
