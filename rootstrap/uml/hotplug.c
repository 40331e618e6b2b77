/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uml.h"

/*
 * Debian builds its UML 6.1 with CONFIG_UEVENT_HELPER_PATH="/sbin/hotplug",
 * so at every device event of a boot the kernel starts that helper. No
 * Debian system has it, but under UML each attempt still costs a host
 * process: about 700 of them, and 3 s, at each boot on this kind of host
 * (newer Debian kernels are built without the helper). No boot option
 * turns it off before the events happen (sysctl.kernel.hotplug= is applied
 * after the drivers' initcalls), but the path is a writable array in the
 * kernel's data: a copy of the binary with its first byte zero starts no
 * helper. Made only where the array is exactly where and what it must be.
 */

#define HELPER_PATH	"/sbin/hotplug"
#define HELPER_LEN	256		/* UEVENT_HELPER_PATH_LEN */
#define KERNEL_MAX	(256UL << 20)

/* The section holding file offset off, or NULL; shdrs checked in bounds. */
static const Elf64_Shdr *
section_of(const char *img, size_t len, size_t off)
{
	const Elf64_Ehdr	*eh = (const Elf64_Ehdr *)img;
	const Elf64_Shdr	*sh;
	size_t			 i;

	if (len < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof *sh || eh->e_shoff > len ||
	    eh->e_shnum > (len - eh->e_shoff) / sizeof *sh)
		return (NULL);
	for (i = 0; i < eh->e_shnum; i++) {
		sh = (const Elf64_Shdr *)(img + eh->e_shoff) + i;
		if (sh->sh_type == SHT_PROGBITS && off >= sh->sh_offset &&
		    off - sh->sh_offset < sh->sh_size)
			return (sh);
	}
	return (NULL);
}

/*
 * Write dst: a copy of the kernel src that starts no uevent helper.
 * Returns 1 if it was written, 0 if src has no such helper (nothing to
 * do), -1 with *cause.
 */
int
uml_kernel_unhotplug(const char *src, const char *dst, char **cause)
{
	const Elf64_Shdr	*sh;
	const char		*p, *hit = NULL;
	char			*img, *tmp;
	size_t			 len, i, n = sizeof HELPER_PATH;
	int			 fd, rc = -1;

	if ((img = file_read(src, KERNEL_MAX, &len)) == NULL) {
		xasprintf(cause, "%s: %s", src, strerror(errno));
		return (-1);
	}
	/* Exactly one such array, in the kernel's writable data. */
	for (p = img; (p = memmem(p, img + len - p, HELPER_PATH, n)) != NULL;
	    p += n) {
		if (hit != NULL) {
			free(img);
			return (0);
		}
		hit = p;
	}
	if (hit == NULL || (size_t)(hit - img) + HELPER_LEN > len ||
	    (sh = section_of(img, len, hit - img)) == NULL ||
	    (sh->sh_flags & (SHF_WRITE | SHF_ALLOC)) != (SHF_WRITE | SHF_ALLOC) ||
	    (hit - img) - sh->sh_offset + HELPER_LEN > sh->sh_size) {
		free(img);
		return (0);
	}
	for (i = n; i < HELPER_LEN; i++) {
		if (hit[i] != '\0') {
			free(img);
			return (0);
		}
	}
	img[hit - img] = '\0';
	xasprintf(&tmp, "%s.XXXXXX", dst);
	if ((fd = mkstemp(tmp)) == -1)
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
	else if (write(fd, img, len) != (ssize_t)len || fchmod(fd, 0755) != 0 ||
	    close(fd) != 0 || rename(tmp, dst) != 0) {
		xasprintf(cause, "%s: %s", dst, strerror(errno));
		unlink(tmp);
	} else
		rc = 1;
	free(tmp);
	free(img);
	return (rc);
}
