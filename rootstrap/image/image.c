/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "image.h"
#include "image-ext2.h"

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
	char	*dup1, *dup2, *dir, *new;
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
	xasprintf(&new, "%s/.%s.rootstrap-XXXXXX.new", dir, basename(dup2));
	free(dir);
	free(dup1);
	free(dup2);
	if ((fd = mkostemps(new, 4, O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s while creating the image", new,
		    strerror(errno));
		free(new);
		*tmp = NULL;
		return (-1);
	}
	/*
	 * Locked for our whole life before it gets its real name, so that
	 * another build's sweep (stale.c) never sees it unlocked. The
	 * descriptor stays open on purpose.
	 */
	*tmp = xstrndup(new, strlen(new) - 4);
	if (flock(fd, LOCK_EX) == -1 ||
	    ftruncate(fd, (off_t)(mb * 1024 * 1024)) == -1 ||
	    fchmod(fd, 0644) == -1 || rename(new, *tmp) == -1) {
		xasprintf(cause, "%s: %s while sizing the image to %llu MB",
		    *tmp, strerror(errno), (unsigned long long)mb);
		close(fd);
		unlink(new);
		free(new);
		free(*tmp);
		*tmp = NULL;
		return (-1);
	}
	free(new);
	log_info("allocated %llu MB sparse image %s", (unsigned long long)mb,
	    *tmp);
	return (0);
}

/*
 * mke2fs on path (a file, so no root is needed). Returns 0, or -1 with
 * *cause.
 */
int
image_mkfs(const char *path, const struct mkfs *m, char **cause)
{
	struct strv	 argv = { 0 };
	int		 rc;

	strv_add(&argv, MKE2FS);
	strv_add(&argv, "-q");
	strv_add(&argv, "-F");
	strv_add(&argv, "-t");
	strv_add(&argv, m->fstype);
	if (m->inodes != 0)
		strv_addf(&argv, "-N%llu", (unsigned long long)m->inodes);
	if (m->uuid != NULL)
		strv_addf(&argv, "-U%s", m->uuid);
	if (m->hash_seed != NULL)
		strv_addf(&argv, "-Ehash_seed=%s", m->hash_seed);
	strv_add(&argv, path);
	if ((rc = spawn_run(argv.v, 0, 0, cause)) > 0)
		xasprintf(cause, "mke2fs exited with status %d", rc);
	strv_free(&argv);
	return (rc == 0 ? 0 : -1);
}

/*
 * The size in MB of a fresh filesystem for bytes of files: a quarter more
 * for ext4's own blocks (inode tables, directories, the journal), and
 * extra_mb on top.
 */
uint64_t
image_size_mb(uint64_t bytes, uint64_t extra_mb)
{
	uint64_t	 mb = bytes / 1048576;

	return (mb + mb / 4 + extra_mb);
}

/* Inodes for a fresh filesystem of entries files, with room to spare. */
uint64_t
image_inodes(uint64_t entries)
{
	return (entries + entries / 4 + 1024);
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
	const char	*tool = strrchr(argv[0], '/');
	int		 rc;

	progress_update("%s (%s)", what, tool != NULL ? tool + 1 : argv[0]);
	rc = spawn_run(argv, 0, 0, cause);
	if (rc < 0)
		return (-1);
	if (rc > okmax) {
		xasprintf(cause, "%s exited with status %d while %s", argv[0],
		    rc, what);
		return (-1);
	}
	return (0);
}

/* resize2fs to a size in filesystem blocks; force skips its minimum. */
static int
resize_to(const char *path, blk64_t blocks, unsigned int bs, int force,
    char **cause)
{
	char	 size[32];
	char	*argv[] = { RESIZE2FS, (char *)path, size, NULL, NULL };

	snprintf(size, sizeof size, "%llus",
	    (unsigned long long)blocks * (bs / 512));
	if (force) {
		argv[1] = "-f";
		argv[2] = (char *)path;
		argv[3] = size;
	}
	return (run_tool("resizing", argv, 0, cause));
}

/*
 * resize2fs's estimate of the smallest size is generous: with freespace 64
 * a minbase image keeps twice that. Below it, resize2fs -f is tried on a
 * copy, and the copy is kept only if e2fsck then finds it clean.
 *
 * The copy is a temporary file beside the image (file_temp: a name no one
 * can guess or plant a link at, locked for a sweep) and the tools reach
 * it through /dev/fd, never by its name: in a directory others may write
 * to, a name opened again could by then be theirs.
 */
static int
shrink_forced(const char *path, blk64_t want, unsigned int bs)
{
	char	*copy = NULL, *cause = NULL, fdpath[32];
	char	*cp[] = { "cp", "--sparse=always", (char *)path, fdpath, NULL };
	char	*check[] = { E2FSCK, "-f", "-n", fdpath, NULL };
	int	 fd, tools = -1, rc = -1;

	if ((fd = file_temp(path, &copy, &cause)) == -1)
		goto out;
	/* A descriptor of the copy, without close-on-exec, for the tools. */
	if ((tools = fcntl(fd, F_DUPFD, STDERR_FILENO + 1)) == -1) {
		xasprintf(&cause, "%s: %s", copy, strerror(errno));
		goto out;
	}
	snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", tools);
	if (run_tool("copying", cp, 0, &cause) == 0 &&
	    resize_to(fdpath, want, bs, 1, &cause) == 0 &&
	    run_tool("checking the shrunk copy", check, 0, &cause) == 0 &&
	    rename(copy, path) == 0)
		rc = 0;
out:
	if (tools != -1)
		close(tools);
	if (rc != 0) {
		log_info("forced shrink not used: %s",
		    cause != NULL ? cause : strerror(errno));
		if (fd != -1) {
			unlink(copy);
			close(fd);
		}
	}
	/* Else fd stays open: it holds the lock of what is now path. */
	free(cause);
	free(copy);
	return (rc);
}

/*
 * Shrink the filesystem so that about freemb MB stay free, then cut the
 * file to match. Where resize2fs refuses the size (see shrink_forced) and
 * forcing it fails, -M is repeated while it still gains (one pass stops
 * well above its own minimum) and the filesystem grown back to freemb.
 */
int
image_shrink(const char *path, uint64_t freemb, char **cause)
{
	blk64_t		 total, used, want, before;
	unsigned int	 bs;
	char		*fsck[] = { E2FSCK, "-f", "-y", (char *)path, NULL };
	char		*minimum[] = { RESIZE2FS, "-M", (char *)path, NULL };
	char		*ignored = NULL;
	int		 pass, fd;

	progress_begin("shrinking the image:");
	if (run_tool("checking before the shrink", fsck, 1, cause) != 0)
		return (-1);
	if (image_usage(path, &total, &used, &bs, cause) != 0)
		return (-1);
	want = used + freemb * 1024 * 1024 / bs;
	if (want < total && resize_to(path, want, bs, 0, &ignored) != 0 &&
	    shrink_forced(path, want, bs) != 0) {
		for (pass = 0; pass < 6; pass++) {
			before = total;
			if (run_tool("shrinking to the minimum", minimum, 0,
			    cause) != 0 ||
			    image_usage(path, &total, &used, &bs, cause) != 0)
				return (-1);
			if (total + before / 100 >= before)
				break;
		}
		want = used + freemb * 1024 * 1024 / bs;
		if (want > total && resize_to(path, want, bs, 0, cause) != 0)
			return (-1);
	}
	free(ignored);
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
	progress_end();
	log_info("shrunk to %llu MB, %llu MB free",
	    (unsigned long long)total * bs / 1048576,
	    (unsigned long long)(total - used) * bs / 1048576);
	return (0);
}

/*
 * A name from an archive or an image, as a message shows it: bytes that
 * are not printable as octal escapes (a name must not work the terminal),
 * and a name too long to read cut to its start. The last four stay valid,
 * so that one message may show a few.
 */
const char *
name_shown(const char *name)
{
	static char	 shown[4][160];
	static int	 next;
	char		*out = shown[next];
	size_t		 n = 0;
	unsigned char	 c;

	next = (next + 1) % 4;
	for (; (c = *name) != '\0' && n < 120; name++) {
		if (c < 0x20 || c == 0x7f || c == '\\')
			n += snprintf(out + n, 160 - n, "\\%03o", c);
		else
			out[n++] = c;
	}
	if (*name != '\0')
		n += snprintf(out + n, 160 - n, "...");
	out[n] = '\0';
	return (out);
}

/*
 * Whether SIGINT, SIGTERM or SIGHUP asked us to stop (spawn_init sends
 * them to a signalfd), and then *cause says which. The loops over an
 * archive's entries or an image's blocks call it every time round, so
 * the signalfd is read at most every 20 ms.
 */
int
image_interrupted(char **cause)
{
	static long long	 last;
	struct timespec		 ts;
	long long		 now;

	if (spawn_signal == 0) {
		clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
		now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now - last < 20)
			return (0);
		last = now;
		if (!spawn_interrupted())
			return (0);
	}
	xasprintf(cause, "interrupted by %s", strsignal(spawn_signal));
	return (1);
}

/*
 * Remove the temporary files of dead builds in dir: images, their shrunk
 * copies, and whatever else lock_sweep finds. Returns how many.
 */
int
image_sweep(const char *dir)
{
	return (lock_sweep(dir));
}
