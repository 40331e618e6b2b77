/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ext2fs/ext2fs.h>

#include "image.h"
#include "image-ext2.h"

/*
 * The directories populate.c fills. ext2fs_lookup and ext2fs_link read a
 * linear directory from its first block on for every name, so n files in
 * one directory cost n² block reads (100,000 files: ten minutes). Here a
 * name is looked up in a hash table in memory, filled from a directory the
 * first time it is used, and linked into the directory's last block (or a
 * new one), so that each name costs one block read and one write.
 */

struct name {
	char		*s;		/* NULL: a free slot */
	uint32_t	 dir;
	uint32_t	 ino;
	int		 type;		/* EXT2_FT_* */
};

struct dirs {
	ext2_filsys		 fs;
	struct name		*v;	/* open addressing; size a power of 2 */
	size_t			 size, used;
	ext2fs_inode_bitmap	 loaded; /* directories whose names are in v */
};

static size_t
name_hash(uint32_t dir, const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;	/* FNV-1a */
	int		 i;

	for (i = 0; i < 4; i++) {
		h ^= (dir >> (8 * i)) & 0xff;
		h *= 1099511628211ULL;
	}
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return ((size_t)h);
}

/* The slot of name in dir, or the free slot where it would go. */
static struct name *
name_slot(struct name *v, size_t size, uint32_t dir, const char *s)
{
	size_t	 i = name_hash(dir, s) & (size - 1);

	while (v[i].s != NULL && (v[i].dir != dir || strcmp(v[i].s, s) != 0))
		i = (i + 1) & (size - 1);
	return (&v[i]);
}

static void
name_add(struct dirs *d, uint32_t dir, const char *s, size_t len,
    uint32_t ino, int type)
{
	struct name	*old = d->v, *n;
	size_t		 i, oldsize = d->size;
	char		*copy = xstrndup(s, len);

	/* At most half full, so that probes stay short. */
	if (2 * (d->used + 1) > d->size) {
		d->size *= 2;
		d->v = xcalloc(d->size, sizeof *d->v);
		for (i = 0; i < oldsize; i++) {
			if (old[i].s != NULL)
				*name_slot(d->v, d->size, old[i].dir,
				    old[i].s) = old[i];
		}
		free(old);
	}
	n = name_slot(d->v, d->size, dir, copy);
	if (n->s != NULL) {
		/* A name the directory holds twice: keep the first. */
		free(copy);
		return;
	}
	n->s = copy;
	n->dir = dir;
	n->ino = ino;
	n->type = type;
	d->used++;
}

static int
load_one(ext2_ino_t dir, int entry, struct ext2_dir_entry *de, int offset,
    int blocksize, char *buf, void *arg)
{
	struct dirs	*d = arg;
	int		 len = ext2fs_dirent_name_len(de);

	(void)entry;
	(void)offset;
	(void)blocksize;
	(void)buf;
	if ((len == 1 && de->name[0] == '.') ||
	    (len == 2 && de->name[0] == '.' && de->name[1] == '.'))
		return (0);
	name_add(d, dir, de->name, len, de->inode,
	    ext2fs_dirent_file_type(de));
	return (0);
}

/* A directory's names into the table, the first time it is used. */
static errcode_t
dir_load(struct dirs *d, ext2_ino_t dir)
{
	errcode_t	 rv;

	if (ext2fs_test_inode_bitmap2(d->loaded, dir))
		return (0);
	rv = ext2fs_dir_iterate2(d->fs, dir, 0, NULL, load_one, d);
	if (rv == 0)
		ext2fs_mark_inode_bitmap2(d->loaded, dir);
	return (rv);
}

/* A new, empty last block for dir, as ext2fs_expand_dir adds one. */
static errcode_t
dir_add_block(struct dirs *d, ext2_ino_t dir, struct ext2_inode *inode,
    blk64_t lblk, blk64_t *pblk)
{
	ext2_filsys	 fs = d->fs;
	char		*block = NULL;
	errcode_t	 rv;

	if ((rv = ext2fs_inode_size_set(fs, inode,
	    (lblk + 1) * (ext2_off64_t)fs->blocksize)) != 0 ||
	    (rv = ext2fs_fallocate(fs, EXT2_FALLOCATE_FORCE_INIT,
	    dir, inode, ext2fs_find_inode_goal(fs, dir, inode, lblk), lblk,
	    1)) != 0 ||
	    (rv = ext2fs_write_inode(fs, dir, inode)) != 0 ||
	    (rv = ext2fs_bmap2(fs, dir, inode, NULL, 0, lblk, NULL,
	    pblk)) != 0 ||
	    (rv = ext2fs_new_dir_block(fs, 0, 0, &block)) != 0)
		return (rv);
	rv = ext2fs_write_dir_block4(fs, *pblk, block, 0, dir);
	ext2fs_free_mem(&block);
	return (rv);
}

/*
 * Put name in the first free room of block buf, from its last entry on:
 * 0, or EXT2_ET_DIR_NO_SPACE. Whatever the new entry's record leaves
 * over is zeroed, so no stale byte reaches the image.
 */
static errcode_t
block_add(struct dirs *d, char *buf, const char *name, ext2_ino_t ino,
    int type)
{
	ext2_filsys		 fs = d->fs;
	struct ext2_dir_entry	*de, *last = NULL;
	unsigned int		 off, rec_len, used, end = fs->blocksize;
	unsigned int		 namelen = strlen(name);
	unsigned int		 need = EXT2_DIR_REC_LEN(namelen);
	errcode_t		 rv;

	if (ext2fs_has_feature_metadata_csum(fs->super))
		end -= sizeof(struct ext2_dir_entry_tail);
	for (off = 0; off < end; off += rec_len) {
		last = (struct ext2_dir_entry *)(buf + off);
		if ((rv = ext2fs_get_rec_len(fs, last, &rec_len)) != 0)
			return (rv);
		if (rec_len < 8 || off + rec_len > end)
			return (EXT2_ET_DIR_CORRUPTED);
	}
	off -= rec_len;
	used = last->inode != 0 ? EXT2_DIR_REC_LEN(
	    ext2fs_dirent_name_len(last)) : 0;
	if (rec_len < used + need)
		return (EXT2_ET_DIR_NO_SPACE);
	if (used > 0) {
		/* The last entry keeps what it needs; the rest is ours. */
		if ((rv = ext2fs_set_rec_len(fs, used, last)) != 0)
			return (rv);
		off += used;
		rec_len -= used;
	}
	memset(buf + off, 0, rec_len);
	de = (struct ext2_dir_entry *)(buf + off);
	if ((rv = ext2fs_set_rec_len(fs, rec_len, de)) != 0)
		return (rv);
	de->inode = ino;
	ext2fs_dirent_set_name_len(de, namelen);
	if (ext2fs_has_feature_filetype(fs->super))
		ext2fs_dirent_set_file_type(de, type);
	memcpy(de->name, name, namelen);
	return (0);
}

/*
 * Link name into dir's last block, or into a new block after it: what
 * ext2fs_link does, without reading every block before the last to find
 * room (which made n names in a directory cost n² block reads). The
 * directory stays linear, which the kernel reads at any size (only its
 * lookups are slower than an htree's): libext2fs 1.47's htree insertion
 * (dx_split_leaf) writes the uninitialised slack of malloc'd buffers
 * into the image, which valgrind reports and which would make a
 * reproducible image depend on the heap.
 */
static errcode_t
dir_append(struct dirs *d, ext2_ino_t dir, const char *name, ext2_ino_t ino,
    int type)
{
	ext2_filsys		 fs = d->fs;
	struct ext2_inode	 inode;
	blk64_t			 lblk, pblk;
	char			*buf = NULL;
	errcode_t		 rv;

	if ((rv = ext2fs_read_inode(fs, dir, &inode)) != 0)
		return (rv);
	/* Inline, indexed or odd-sized directories: libext2fs's way. */
	if ((inode.i_flags & (EXT4_INLINE_DATA_FL | EXT2_INDEX_FL)) ||
	    EXT2_I_SIZE(&inode) == 0 ||
	    EXT2_I_SIZE(&inode) % fs->blocksize != 0) {
		rv = ext2fs_link(fs, dir, name, ino, type);
		if (rv == EXT2_ET_DIR_NO_SPACE &&
		    (rv = ext2fs_expand_dir(fs, dir)) == 0)
			rv = ext2fs_link(fs, dir, name, ino, type);
		return (rv);
	}
	lblk = EXT2_I_SIZE(&inode) / fs->blocksize - 1;
	if ((rv = ext2fs_get_mem(fs->blocksize, &buf)) != 0 ||
	    (rv = ext2fs_bmap2(fs, dir, &inode, NULL, 0, lblk, NULL,
	    &pblk)) != 0 ||
	    (rv = ext2fs_read_dir_block4(fs, pblk, buf, 0, dir)) != 0)
		goto out;
	rv = block_add(d, buf, name, ino, type);
	if (rv == EXT2_ET_DIR_NO_SPACE) {
		if ((rv = dir_add_block(d, dir, &inode, ++lblk, &pblk)) != 0 ||
		    (rv = ext2fs_read_dir_block4(fs, pblk, buf, 0, dir)) != 0 ||
		    (rv = block_add(d, buf, name, ino, type)) != 0)
			goto out;
	} else if (rv != 0)
		goto out;
	rv = ext2fs_write_dir_block4(fs, pblk, buf, 0, dir);
out:
	ext2fs_free_mem(&buf);
	return (rv);
}

struct dirs *
dirs_new(ext2_filsys fs)
{
	struct dirs	*d = xcalloc(1, sizeof *d);

	d->fs = fs;
	d->size = 1024;
	d->v = xcalloc(d->size, sizeof *d->v);
	if (ext2fs_allocate_inode_bitmap(fs, "loaded directories",
	    &d->loaded) != 0)
		fatal("out of memory");
	return (d);
}

void
dirs_free(struct dirs *d)
{
	size_t	 i;

	if (d == NULL)
		return;
	for (i = 0; i < d->size; i++)
		free(d->v[i].s);
	free(d->v);
	ext2fs_free_inode_bitmap(d->loaded);
	free(d);
}

/* name in dir: its inode and EXT2_FT_* type, or EXT2_ET_FILE_NOT_FOUND. */
errcode_t
dirs_lookup(struct dirs *d, ext2_ino_t dir, const char *name,
    ext2_ino_t *ino, int *type)
{
	struct name	*n;
	errcode_t	 rv;

	if ((rv = dir_load(d, dir)) != 0)
		return (rv);
	n = name_slot(d->v, d->size, dir, name);
	if (n->s == NULL)
		return (EXT2_ET_FILE_NOT_FOUND);
	*ino = n->ino;
	if (type != NULL)
		*type = n->type;
	return (0);
}

/* Link ino as name (not there yet, at most EXT2_NAME_LEN) into dir. */
errcode_t
dirs_link(struct dirs *d, ext2_ino_t dir, const char *name, ext2_ino_t ino,
    int type)
{
	errcode_t	 rv;

	if ((rv = dir_load(d, dir)) != 0)
		return (rv);
	if ((rv = dir_append(d, dir, name, ino, type)) == 0)
		name_add(d, dir, name, strlen(name), ino, type);
	return (rv);
}

/*
 * A new directory name in parent, made as ext2fs_mkdir makes one but
 * linked here. Past EXT2_LINK_MAX subdirectories the parent's link count
 * is 1, as the kernel leaves it (dir_nlink).
 */
errcode_t
dirs_mkdir(struct dirs *d, ext2_ino_t parent, const char *name,
    ext2_ino_t *ino)
{
	struct ext2_inode	 inode;
	errcode_t		 rv;
	int			 many;

	if ((rv = ext2fs_read_inode(d->fs, parent, &inode)) != 0)
		return (rv);
	many = inode.i_links_count == 1 ||
	    inode.i_links_count >= EXT2_LINK_MAX;
	if (many && !ext2fs_has_feature_dir_nlink(d->fs->super))
		return (EXT2_ET_TOO_MANY_REFS);
	if ((rv = ext2fs_new_inode(d->fs, parent, LINUX_S_IFDIR | 0755, NULL,
	    ino)) != 0 ||
	    (rv = ext2fs_mkdir(d->fs, parent, *ino, NULL)) != 0)
		return (rv);
	ext2fs_mark_inode_bitmap2(d->loaded, *ino);
	if (many) {
		if ((rv = ext2fs_read_inode(d->fs, parent, &inode)) != 0)
			return (rv);
		inode.i_links_count = 1;
		if ((rv = ext2fs_write_inode(d->fs, parent, &inode)) != 0)
			return (rv);
	}
	return (dirs_link(d, parent, name, *ino, EXT2_FT_DIR));
}
