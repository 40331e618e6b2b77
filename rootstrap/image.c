/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "rootstrap.h"

/*
 * The image file on the host: made sparse under a temporary name next to
 * its final path (so the final rename is atomic and a failed build never
 * touches an existing file), and shrunk after the build so that about
 * freespace MB stay free.
 */

/* Create a sparse file of mb MB beside path; *tmp gets its name. */
int
image_allocate(const char *path, uint64_t mb, char **tmp, char **cause)
{
	char	*dup1, *dup2, *dir;
	int	 fd;

	/* Absolute: the guest and the run directory's link refer to it. */
	dup1 = xstrdup(path);
	dup2 = xstrdup(path);
	if ((dir = realpath(dirname(dup1), NULL)) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(dup1);
		free(dup2);
		return (-1);
	}
	xasprintf(tmp, "%s/.%s.rootstrap-XXXXXX", dir, basename(dup2));
	free(dir);
	free(dup1);
	free(dup2);
	if ((fd = mkstemp(*tmp)) == -1) {
		xasprintf(cause, "%s: %s while creating the image", *tmp,
		    strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return (-1);
	}
	if (ftruncate(fd, (off_t)(mb * 1024 * 1024)) == -1 ||
	    fchmod(fd, 0644) == -1) {
		xasprintf(cause, "%s: %s while sizing the image to %llu MB",
		    *tmp, strerror(errno), (unsigned long long)mb);
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return (-1);
	}
	close(fd);
	log_info("allocated %llu MB sparse image %s", (unsigned long long)mb,
	    *tmp);
	return (0);
}

/* The filesystem's size and use, in blocks. */
static int
image_usage(const char *path, blk64_t *total, blk64_t *used,
    unsigned int *blocksize, char **cause)
{
	ext2_filsys	 fs = NULL;
	errcode_t	 retval;

	retval = ext2fs_open(path, 0, 0, 0, unix_io_manager, &fs);
	if (retval) {
		xasprintf(cause, "%s: %s while opening the filesystem", path,
		    error_message(retval));
		return (-1);
	}
	*total = ext2fs_blocks_count(fs->super);
	*used = *total - ext2fs_free_blocks_count(fs->super);
	*blocksize = fs->blocksize;
	ext2fs_close_free(&fs);
	return (0);
}

static int
run_tool(const char *what, char *const *argv, int okmax, char **cause)
{
	int	 rc;

	rc = spawn_run(argv, 0, cause);
	if (rc < 0)
		return (-1);
	if (rc > okmax) {
		xasprintf(cause, "%s exited with status %d while %s", argv[0],
		    rc, what);
		return (-1);
	}
	return (0);
}

/*
 * Shrink the filesystem so that about freemb MB stay free, then cut the
 * file to match. resize2fs refuses sizes below its own estimate of the
 * minimum; then it is shrunk to that minimum and grown by freemb instead.
 */
int
image_shrink(const char *path, uint64_t freemb, char **cause)
{
	blk64_t		 total, used, want;
	unsigned int	 bs;
	char		 size[32];
	char		*fsck[] = { E2FSCK, "-f", "-y", (char *)path, NULL };
	char		*resize[] = { RESIZE2FS, (char *)path, size, NULL };
	char		*minimum[] = { RESIZE2FS, "-M", (char *)path, NULL };
	char		*ignored = NULL;
	int		 fd;

	if (run_tool("checking before the shrink", fsck, 1, cause) != 0)
		return (-1);
	if (image_usage(path, &total, &used, &bs, cause) != 0)
		return (-1);
	want = used + freemb * 1024 * 1024 / bs;
	if (want < total) {
		snprintf(size, sizeof size, "%llus",
		    (unsigned long long)(want * (bs / 512)));
		if (run_tool("shrinking", resize, 0, &ignored) != 0) {
			free(ignored);
			log_info("shrinking to the minimum, then growing by "
			    "%llu MB", (unsigned long long)freemb);
			if (run_tool("shrinking to the minimum", minimum, 0,
			    cause) != 0 ||
			    image_usage(path, &total, &used, &bs, cause) != 0)
				return (-1);
			snprintf(size, sizeof size, "%llus",
			    (unsigned long long)((total + freemb * 1024 *
			    1024 / bs) * (bs / 512)));
			if (run_tool("growing", resize, 0, cause) != 0)
				return (-1);
		}
	}
	if (image_usage(path, &total, &used, &bs, cause) != 0)
		return (-1);
	if ((fd = open(path, O_WRONLY)) == -1 ||
	    ftruncate(fd, (off_t)total * bs) == -1) {
		xasprintf(cause, "%s: %s while truncating", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	close(fd);
	log_info("shrunk to %llu MB, %llu MB free",
	    (unsigned long long)total * bs / 1048576,
	    (unsigned long long)(total - used) * bs / 1048576);
	return (0);
}
