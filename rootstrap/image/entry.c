/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "image.h"
#include "image-ext2.h"

/*
 * One archive entry's inode (populate.c): made the way its kind is made,
 * filled with its data, given its owner, mode, times and attributes.
 * What ext4 cannot hold is refused here rather than handed to libext2fs,
 * which trusts its caller: a symbolic link target over a block, a device
 * number wider than ext4's encoding, more links than an inode counts, a
 * second name for a directory, a size past what an inode maps.
 */

static int
file_type(mode_t mode)
{
	switch (mode & AE_IFMT) {
	case AE_IFREG:
		return (EXT2_FT_REG_FILE);
	case AE_IFDIR:
		return (EXT2_FT_DIR);
	case AE_IFLNK:
		return (EXT2_FT_SYMLINK);
	case AE_IFCHR:
		return (EXT2_FT_CHRDEV);
	case AE_IFBLK:
		return (EXT2_FT_BLKDEV);
	case AE_IFIFO:
		return (EXT2_FT_FIFO);
	case AE_IFSOCK:
		return (EXT2_FT_SOCK);
	}
	return (EXT2_FT_UNKNOWN);
}

/* Owner, mode bits and times of an entry onto an inode. */
static void
set_attrs(struct ext2_inode *inode, struct archive_entry *e)
{
	unsigned int	 uid = archive_entry_uid(e), gid = archive_entry_gid(e);

	inode->i_mode = (inode->i_mode & LINUX_S_IFMT) |
	    (archive_entry_mode(e) & 07777);
	inode->i_uid = uid & 0xffff;
	inode->osd2.linux2.l_i_uid_high = uid >> 16;
	inode->i_gid = gid & 0xffff;
	inode->osd2.linux2.l_i_gid_high = gid >> 16;
	inode->i_mtime = archive_entry_mtime(e);
	inode->i_atime = archive_entry_atime_is_set(e) ?
	    archive_entry_atime(e) : inode->i_mtime;
	inode->i_ctime = archive_entry_ctime_is_set(e) ?
	    archive_entry_ctime(e) : inode->i_mtime;
}

/* A new inode of any kind but directory and symlink, linked at name. */
static int
new_inode(struct populate *p, ext2_ino_t dir, const char *name,
    const char *path, struct archive_entry *e, ext2_ino_t *ino)
{
	struct ext2_inode	 inode;
	ext2_extent_handle_t	 h;
	mode_t			 mode = archive_entry_mode(e);
	unsigned int		 maj, min;
	errcode_t		 rv;

	memset(&inode, 0, sizeof inode);
	if (S_ISCHR(mode) || S_ISBLK(mode)) {
		/* What ext4's encodings hold: 12 bits of major, 20 of minor. */
		maj = archive_entry_rdevmajor(e);
		min = archive_entry_rdevminor(e);
		if (maj > 0xfff || min > 0xfffff)
			return (populate_refuse(p, "'%s' has a device number "
			    "ext4 cannot hold (%u, %u)", name_shown(path), maj,
			    min));
		if (maj < 256 && min < 256)
			inode.i_block[0] = maj * 256 + min;
		else
			inode.i_block[1] = (min & 0xff) | (maj << 8) |
			    ((min & ~0xffU) << 12);
	}
	if ((rv = ext2fs_new_inode(p->fs, dir, mode, NULL, ino)) != 0)
		return (populate_fail(p, path, rv, "allocating an inode"));
	inode.i_mode = mode;
	inode.i_links_count = 1;
	set_attrs(&inode, e);
	if (S_ISREG(mode) && ext2fs_has_feature_extents(p->fs->super)) {
		/* An empty extent tree in i_block, as the kernel would. */
		if ((rv = ext2fs_extent_open2(p->fs, *ino, &inode, &h)) != 0)
			return (populate_fail(p, path, rv,
			    "starting its extent tree"));
		ext2fs_extent_free(h);
	}
	if ((rv = ext2fs_write_new_inode(p->fs, *ino, &inode)) != 0)
		return (populate_fail(p, path, rv, "writing its inode"));
	ext2fs_inode_alloc_stats2(p->fs, *ino, +1, 0);
	if ((rv = dirs_link(p->dirs, dir, name, *ino, file_type(mode))) != 0)
		return (populate_fail(p, path, rv, "linking it"));
	return (0);
}

/* A symbolic link, its target within the one block ext4 allows. */
static int
new_symlink(struct populate *p, ext2_ino_t dir, const char *name,
    const char *path, const char *target, ext2_ino_t *ino)
{
	size_t		 max = p->fs->blocksize - 1;
	errcode_t	 rv;

	if (max > IMAGE_PATH_MAX)
		max = IMAGE_PATH_MAX;
	if (target == NULL || *target == '\0')
		return (populate_refuse(p, "'%s' is a symbolic link to "
		    "nothing", name_shown(path)));
	if (strlen(target) > max)
		return (populate_refuse(p, "'%s' is a symbolic link to a "
		    "target longer than %zu bytes", name_shown(path), max));
	if ((rv = ext2fs_new_inode(p->fs, dir, LINUX_S_IFLNK | 0777, NULL,
	    ino)) != 0 ||
	    (rv = ext2fs_symlink(p->fs, dir, *ino, NULL, target)) != 0 ||
	    (rv = dirs_link(p->dirs, dir, name, *ino, EXT2_FT_SYMLINK)) != 0)
		return (populate_fail(p, path, rv,
		    "making the symbolic link"));
	return (0);
}

/* Another name for a file already in the image; never a directory. */
int
entry_link(struct populate *p, ext2_ino_t dir, const char *name,
    const char *path, const char *hard)
{
	struct ext2_inode	 inode;
	ext2_ino_t		 ino;
	errcode_t		 rv;
	char			*target;
	int			 type, rc;

	if (populate_path(p, hard, &target) != 0)
		return (-1);
	/* "" is the root: a directory. */
	rc = 0;
	ino = EXT2_ROOT_INO;
	type = EXT2_FT_DIR;
	if (*target != '\0')
		rc = populate_walk(p, path, target, 0, &ino, &type);
	free(target);
	if (rc > 0)
		return (populate_refuse(p, "'%s' links to '%s', which is not "
		    "there", name_shown(path), name_shown(hard)));
	if (rc < 0)
		return (-1);
	/* A directory with two names makes a cycle (issue 13). */
	if (type == EXT2_FT_DIR)
		return (populate_refuse(p, "'%s' is a hard link to the "
		    "directory '%s'", name_shown(path), name_shown(hard)));
	if ((rv = ext2fs_read_inode(p->fs, ino, &inode)) != 0)
		return (populate_fail(p, path, rv, "making a hard link"));
	if (inode.i_links_count >= EXT2_LINK_MAX)
		return (populate_refuse(p, "'%s' would be link %d to '%s', "
		    "more than ext4 counts", name_shown(path),
		    inode.i_links_count + 1, name_shown(hard)));
	if ((rv = dirs_link(p->dirs, dir, name, ino, type)) != 0)
		return (populate_fail(p, path, rv, "making a hard link"));
	inode.i_links_count++;
	if ((rv = ext2fs_write_inode(p->fs, ino, &inode)) != 0)
		return (populate_fail(p, path, rv, "making a hard link"));
	return (0);
}

/* The entry's data, from memory (populate_file) or the archive. */
static int
write_mem(struct populate *p, ext2_file_t f, const char *path)
{
	unsigned int	 done;
	errcode_t	 rv;

	rv = ext2fs_file_write(f, p->buf, p->buflen, &done);
	if (rv != 0 || done != p->buflen)
		return (populate_fail(p, path, rv != 0 ? rv :
		    EXT2_ET_SHORT_WRITE, "writing it"));
	return (0);
}

/*
 * From the archive, block by block as libarchive hands them out: where a
 * sparse member has a hole no block comes, and none is allocated.
 */
static int
write_blocks(struct populate *p, struct archive *a, struct archive_entry *e,
    ext2_file_t f, const char *path)
{
	la_int64_t	 size = archive_entry_size(e), off;
	const void	*data;
	size_t		 len, chunk;
	unsigned int	 done;
	errcode_t	 rv;
	int		 r;

	if (size < 0)
		return (populate_refuse(p, "'%s' has a negative size",
		    name_shown(path)));
	/* The whole size first: past what ext4 holds, nothing is written. */
	if ((rv = ext2fs_file_set_size2(f, size)) != 0)
		return (populate_fail(p, path, rv, "setting its size"));
	while ((r = archive_read_data_block(a, &data, &len, &off)) ==
	    ARCHIVE_OK) {
		if (off < 0 || (la_int64_t)len > size - off)
			return (populate_refuse(p, "'%s' has data past its "
			    "size", name_shown(path)));
		if ((rv = ext2fs_file_llseek(f, off, EXT2_SEEK_SET, NULL)) != 0)
			return (populate_fail(p, path, rv, "writing it"));
		for (; len > 0; len -= chunk) {
			chunk = len < (1U << 20) ? len : (1U << 20);
			if (image_interrupted(&p->cause))
				return (-1);
			rv = ext2fs_file_write(f, data, chunk, &done);
			if (rv != 0 || done != chunk)
				return (populate_fail(p, path, rv != 0 ? rv :
				    EXT2_ET_SHORT_WRITE, "writing it"));
			data = (const char *)data + chunk;
		}
	}
	if (r != ARCHIVE_EOF) {
		xasprintf(&p->cause, "%s: %s: %s", p->tarball, name_shown(path),
		    archive_error_string(a) != NULL ? archive_error_string(a) :
		    "cannot read its data");
		return (-1);
	}
	return (0);
}

/* A regular file's data, written where the entry has it. */
int
entry_data(struct populate *p, struct archive *a, struct archive_entry *e,
    ext2_ino_t ino, const char *path)
{
	ext2_file_t	 f;
	errcode_t	 rv;
	int		 rc;

	if ((rv = ext2fs_file_open(p->fs, ino, EXT2_FILE_WRITE, &f)) != 0)
		return (populate_fail(p, path, rv, "opening it"));
	if (a == NULL)
		rc = write_mem(p, f, path);
	else
		rc = write_blocks(p, a, e, f, path);
	if ((rv = ext2fs_file_close(f)) != 0 && rc == 0)
		rc = populate_fail(p, path, rv, "closing it");
	return (rc);
}

/* The entry's extended attributes, ACLs in the xattr format tar has. */
static int
set_xattrs(struct populate *p, struct archive_entry *e, ext2_ino_t ino,
    const char *path)
{
	struct ext2_xattr_handle *h;
	const char	*name;
	const void	*value;
	size_t		 size;
	errcode_t	 rv;

	if (archive_entry_xattr_reset(e) == 0)
		return (0);
	if ((rv = ext2fs_xattrs_open(p->fs, ino, &h)) != 0)
		return (populate_fail(p, path, rv, "reading its attributes"));
	if ((rv = ext2fs_xattrs_read(h)) != 0) {
		ext2fs_xattrs_close(&h);
		return (populate_fail(p, path, rv, "reading its attributes"));
	}
	while (archive_entry_xattr_next(e, &name, &value, &size) ==
	    ARCHIVE_OK) {
		if ((rv = ext2fs_xattr_set(h, name, value, size)) != 0) {
			ext2fs_xattrs_close(&h);
			return (populate_fail(p, path, rv,
			    "setting an attribute"));
		}
	}
	if ((rv = ext2fs_xattrs_close(&h)) != 0)
		return (populate_fail(p, path, rv, "writing its attributes"));
	return (0);
}

/* The new inode for e at name in dir: its kind's own way of making it. */
int
entry_make(struct populate *p, struct archive_entry *e, ext2_ino_t dir,
    const char *name, const char *path, ext2_ino_t *ino)
{
	mode_t		 mode = archive_entry_mode(e);
	errcode_t	 rv;

	if (S_ISDIR(mode)) {
		if ((rv = dirs_mkdir(p->dirs, dir, name, ino)) != 0)
			return (populate_fail(p, path, rv,
			    "making the directory"));
		return (0);
	}
	if (S_ISLNK(mode))
		return (new_symlink(p, dir, name, path,
		    archive_entry_symlink(e), ino));
	if (file_type(mode) == EXT2_FT_UNKNOWN)
		return (populate_refuse(p, "'%s' is of no file type ext4 has",
		    name_shown(path)));
	return (new_inode(p, dir, name, path, e, ino));
}

/* Owner, mode, times and extended attributes, once the data is in. */
int
entry_attrs(struct populate *p, struct archive_entry *e, ext2_ino_t ino,
    const char *path)
{
	struct ext2_inode	 inode;
	errcode_t		 rv;

	if ((rv = ext2fs_read_inode(p->fs, ino, &inode)) != 0)
		return (populate_fail(p, path, rv, "reading its inode"));
	set_attrs(&inode, e);
	if ((rv = ext2fs_write_inode(p->fs, ino, &inode)) != 0)
		return (populate_fail(p, path, rv, "writing its inode"));
	return (set_xattrs(p, e, ino, path));
}
