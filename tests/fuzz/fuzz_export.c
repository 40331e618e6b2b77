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
 * libFuzzer target for rootstrap export on a corrupted image: the input
 * is an ext2/3/4 image (zero-padded to IMAGE_MIN, so that the seeds in
 * corpus/export/, made by make-export-corpus.sh, can leave out their
 * trailing zeros), read by image_export as it reads any image, its tar
 * written to /dev/null. An odd-sized input is exported as a reproducible
 * image's is (SOURCE_DATE_EPOCH), for the normalisation. Any crash, leak,
 * undefined behaviour, or a run past libFuzzer's time or memory limits
 * (a loop, a size trusted) is a bug.
 */

#define IMAGE_MIN	(128 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static int	 image_fd = -1;
static char	 image_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int	 null;

	(void)argc;
	(void)argv;
	if ((image_fd = memfd_create("fuzz.img", MFD_CLOEXEC)) == -1)
		abort();
	snprintf(image_path, sizeof image_path, "/proc/self/fd/%d", image_fd);
	/* The archive goes to stdout ("-"): no file, no fsync per run. */
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
	    pwrite(image_fd, data, size, 0) != (ssize_t)size ||
	    (size < IMAGE_MIN && ftruncate(image_fd, IMAGE_MIN) == -1))
		abort();
	if (image_export(image_path, "-", (size & 1) ? 1700000000 : -1,
	    &cause) != 0 && cause == NULL)
		abort();
	free(cause);
	return (0);
}
