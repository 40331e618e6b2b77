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
 * first time it is used; and a directory that outgrows its first block is
 * turned into an htree, as the kernel does, so that ext2fs_link's own
 * htree code (dx_link) finds the one leaf a new name goes into.
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

/*
 * A directory of one full block becomes an htree of one leaf, as the
 * kernel's make_indexed_dir leaves it: the block's names move to a new
 * block 1, and block 0 becomes the root, "." and ".." followed by the
 * index, whose one entry covers every hash. ext2fs_link then splits the
 * leaf and grows the tree itself.
 */
static errcode_t
dir_index(struct dirs *d, ext2_ino_t dir, struct ext2_inode *inode)
{
	ext2_filsys			 fs = d->fs;
	struct ext2_dir_entry		*dot, *dotdot;
	struct ext2_dx_root_info	*root;
	struct ext2_dx_countlimit	*limits;
	struct ext2_dx_entry		*entries;
	unsigned int			 len, csum = 0;
	blk64_t				 pblk0, pblk1;
	char				*root_buf = NULL, *leaf = NULL;
	errcode_t			 rv;

	if (ext2fs_has_feature_metadata_csum(fs->super))
		csum = sizeof(struct ext2_dx_tail);
	if ((rv = ext2fs_get_mem(fs->blocksize, &root_buf)) != 0 ||
	    (rv = ext2fs_get_mem(fs->blocksize, &leaf)) != 0 ||
	    (rv = ext2fs_bmap2(fs, dir, inode, NULL, 0, 0, NULL,
	    &pblk0)) != 0 ||
	    (rv = ext2fs_read_dir_block4(fs, pblk0, root_buf, 0, dir)) != 0)
		goto out;
	/*
	 * ext2fs_new_dir_block's "." and "..", as ext2fs_mkdir made them;
	 * EXT2_ET_DIR_CORRUPTED, before anything is written, if not.
	 */
	dot = (struct ext2_dir_entry *)root_buf;
	dotdot = (struct ext2_dir_entry *)(root_buf + 12);
	if (dot->rec_len != 12 || ext2fs_dirent_name_len(dot) != 1 ||
	    ext2fs_dirent_name_len(dotdot) != 2 ||
	    (rv = ext2fs_get_rec_len(fs, dotdot, &len)) != 0 ||
	    len > fs->blocksize - 12) {
		rv = rv != 0 ? rv : EXT2_ET_DIR_CORRUPTED;
		goto out;
	}

	/* The leaf: the same block with "." and ".." one unused entry. */
	memcpy(leaf, root_buf, fs->blocksize);
	dot = (struct ext2_dir_entry *)leaf;
	dot->inode = 0;
	ext2fs_dirent_set_name_len(dot, 0);
	ext2fs_dirent_set_file_type(dot, 0);
	if ((rv = ext2fs_set_rec_len(fs, 12 + len, dot)) != 0)
		goto out;
	if ((rv = ext2fs_inode_size_set(fs, inode,
	    2 * (ext2_off64_t)fs->blocksize)) != 0 ||
	    (rv = ext2fs_fallocate(fs, EXT2_FALLOCATE_FORCE_INIT |
	    EXT2_FALLOCATE_ZERO_BLOCKS, dir, inode, 0, 1, 1)) != 0 ||
	    (rv = ext2fs_bmap2(fs, dir, inode, NULL, 0, 1, NULL,
	    &pblk1)) != 0 ||
	    (rv = ext2fs_write_dir_block4(fs, pblk1, leaf, 0, dir)) != 0)
		goto out;

	/* The root: ".." spans the block, the index follows it. */
	dotdot = (struct ext2_dir_entry *)(root_buf + 12);
	if ((rv = ext2fs_set_rec_len(fs, fs->blocksize - 12, dotdot)) != 0)
		goto out;
	memset(root_buf + 24, 0, fs->blocksize - 24);
	root = (struct ext2_dx_root_info *)(root_buf + 24);
	root->hash_version = fs->super->s_def_hash_version;
	root->info_length = sizeof *root;
	limits = (struct ext2_dx_countlimit *)(root_buf + 32);
	limits->limit = ext2fs_cpu_to_le16((fs->blocksize - 32 - csum) /
	    sizeof(struct ext2_dx_entry));
	limits->count = ext2fs_cpu_to_le16(1);
	entries = (struct ext2_dx_entry *)limits;
	entries[0].block = ext2fs_cpu_to_le32(1);
	if ((rv = ext2fs_write_dir_block4(fs, pblk0, root_buf, 0, dir)) != 0)
		goto out;
	inode->i_flags |= EXT2_INDEX_FL;
	rv = ext2fs_write_inode(fs, dir, inode);
out:
	ext2fs_free_mem(&root_buf);
	ext2fs_free_mem(&leaf);
	return (rv);
}

/* Room for one more name in dir: an index, or one more block. */
static errcode_t
dir_grow(struct dirs *d, ext2_ino_t dir)
{
	struct ext2_inode	 inode;
	errcode_t		 rv;

	if ((rv = ext2fs_read_inode(d->fs, dir, &inode)) != 0)
		return (rv);
	/* A full htree (millions of names) is where ext2fs_link stops. */
	if (inode.i_flags & EXT2_INDEX_FL)
		return (EXT2_ET_DIR_NO_SPACE);
	/* A first block not laid out as ext2fs_mkdir's stays linear. */
	if (ext2fs_has_feature_dir_index(d->fs->super) &&
	    !(inode.i_flags & EXT4_INLINE_DATA_FL) &&
	    EXT2_I_SIZE(&inode) == d->fs->blocksize &&
	    (rv = dir_index(d, dir, &inode)) != EXT2_ET_DIR_CORRUPTED)
		return (rv);
	return (ext2fs_expand_dir(d->fs, dir));
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
	rv = ext2fs_link(d->fs, dir, name, ino, type);
	if (rv == EXT2_ET_DIR_NO_SPACE && (rv = dir_grow(d, dir)) == 0)
		rv = ext2fs_link(d->fs, dir, name, ino, type);
	if (rv == 0)
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
