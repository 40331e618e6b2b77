/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/mman.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image.h"

/*
 * libFuzzer target for rootstrap import of a hostile archive: the input
 * is a tarball (any format and compression libarchive reads), written by
 * populate_from_tar into a fresh 4 MB ext4 image, as an import does. An
 * image the import accepted must then export cleanly, the export reading
 * it as a hostile image: a refusal there means the import wrote a
 * filesystem that is not sound. Any crash, leak, undefined behaviour or
 * run past libFuzzer's limits is a bug too.
 */

#define IMAGE_SIZE	(4 * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static char	*template;		/* a fresh filesystem, made once */
static int	 image_fd = -1, tar_fd = -1;
static char	 image_path[64], tar_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct mkfs	 m;
	char		 path[] = "/tmp/fuzz_import.XXXXXX";
	char		*cause = NULL;
	int		 fd, null;

	(void)argc;
	(void)argv;
	/* mke2fs once; every run starts from a copy of what it made. */
	memset(&m, 0, sizeof m);
	m.fstype = "ext4";
	if ((fd = mkstemp(path)) == -1 || ftruncate(fd, IMAGE_SIZE) == -1 ||
	    image_mkfs(path, &m, &cause) != 0) {
		fprintf(stderr, "fuzz_import: %s\n", cause != NULL ? cause :
		    "cannot make the template image");
		abort();
	}
	template = malloc(IMAGE_SIZE);
	if (template == NULL ||
	    pread(fd, template, IMAGE_SIZE, 0) != IMAGE_SIZE)
		abort();
	close(fd);
	unlink(path);
	if ((image_fd = memfd_create("fuzz.img", MFD_CLOEXEC)) == -1 ||
	    (tar_fd = memfd_create("fuzz.tar", MFD_CLOEXEC)) == -1)
		abort();
	snprintf(image_path, sizeof image_path, "/proc/self/fd/%d", image_fd);
	snprintf(tar_path, sizeof tar_path, "/proc/self/fd/%d", tar_fd);
	/* The export of what was imported goes to stdout ("-"), and so
	 * does log_info's "wrote N files". */
	if ((null = open("/dev/null", O_WRONLY)) == -1 ||
	    dup2(null, STDOUT_FILENO) == -1)
		abort();
	close(null);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*cause = NULL;

	if (ftruncate(image_fd, 0) == -1 ||
	    pwrite(image_fd, template, IMAGE_SIZE, 0) != IMAGE_SIZE ||
	    ftruncate(tar_fd, 0) == -1 ||
	    pwrite(tar_fd, data, size, 0) != (ssize_t)size)
		abort();
	if (populate_from_tar(image_path, tar_path, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return (0);
	}
	if (image_export(image_path, "-", -1, &cause) != 0) {
		fprintf(stderr, "fuzz_import: the import made an image its "
		    "export refuses: %s\n", cause);
		abort();
	}
	return (0);
}
