/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "image.h"
#include "image-ext2.h"

/*
 * Reading an image that may be hostile (export.c). libext2fs reads what
 * an inode says, however much that is; here every size is bounded by what
 * ext4 allows an inode and every block is checked before its data is
 * used: inside the filesystem, and never used twice, so that no amount of
 * cross-linked blocks or extents makes the export longer than the image
 * itself, and no directory can be entered twice (a cycle). Holes are
 * reported as holes, so a file that claims a terabyte and stores nothing
 * costs nothing.
 */

#define FSREAD_MAX_SMALL	(16UL << 20)	/* read_small's most */

struct map_ctx {
	struct fsread	*r;
	const char	*path;
	uint64_t	 size;
	struct fsmap	*map;
	uint64_t	 next;		/* the first logical block not seen */
	char		*why;
};

static int printflike(3, 4)
fsread_fail(struct fsread *r, char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	xasprintf(cause, "%s: %s", r->image, why);
	free(why);
	return (-1);
}

int
fsread_open(struct fsread *r, const char *image, char **cause)
{
	errcode_t	 rv;

	memset(r, 0, sizeof *r);
	r->image = image;
	add_error_table(&et_ext2_error_table);
	rv = ext2fs_open(image, EXT2_FLAG_64BITS, 0, 0, unix_io_manager,
	    &r->fs);
	if (rv != 0) {
		xasprintf(cause, "%s: %s while opening the filesystem", image,
		    error_message(rv));
		return (-1);
	}
	/* Trees of extents, not a bit per block a hostile superblock asks. */
	r->fs->default_bitmap_type = EXT2FS_BMAP64_RBTREE;
	if ((rv = ext2fs_allocate_block_bitmap(r->fs, "blocks read",
	    &r->blocks)) != 0 ||
	    (rv = ext2fs_allocate_inode_bitmap(r->fs, "inodes read",
	    &r->inodes)) != 0) {
		xasprintf(cause, "%s: %s while starting to read", image,
		    error_message(rv));
		fsread_close(r);
		return (-1);
	}
	return (0);
}

void
fsread_close(struct fsread *r)
{
	if (r->blocks != NULL)
		ext2fs_free_block_bitmap(r->blocks);
	if (r->inodes != NULL)
		ext2fs_free_inode_bitmap(r->inodes);
	if (r->fs != NULL)
		ext2fs_close_free(&r->fs);
}

/* 1 when ino was read already; marks it read. */
int
fsread_seen(struct fsread *r, ext2_ino_t ino)
{
	if (ext2fs_test_inode_bitmap2(r->inodes, ino))
		return (1);
	ext2fs_mark_inode_bitmap2(r->inodes, ino);
	return (0);
}

/* The most bytes ext4 lets an inode map, extents or block pointers. */
static uint64_t
max_size(ext2_filsys fs, const struct ext2_inode *inode)
{
	uint64_t	 a = fs->blocksize / 4;

	if (inode->i_flags & EXT4_EXTENTS_FL)
		return (((uint64_t)1 << 32) * fs->blocksize);
	return ((12 + a + a * a + a * a * a) * fs->blocksize);
}

static int
map_block(ext2_filsys fs, blk64_t *blk, e2_blkcnt_t n, blk64_t ref,
    int offset, void *arg)
{
	struct map_ctx	*c = arg;
	struct fsmap	*m = c->map;
	uint64_t	 off;

	(void)ref;
	(void)offset;
	if (image_interrupted(&c->why))
		return (BLOCK_ABORT);
	if (*blk < fs->super->s_first_data_block ||
	    *blk >= ext2fs_blocks_count(fs->super)) {
		xasprintf(&c->why, "'%s': block %llu is outside the "
		    "filesystem", name_shown(c->path),
		    (unsigned long long)*blk);
		return (BLOCK_ABORT);
	}
	if (ext2fs_fast_test_block_bitmap2(c->r->blocks, *blk)) {
		xasprintf(&c->why, "'%s': block %llu is used twice (the image "
		    "is corrupt)", name_shown(c->path),
		    (unsigned long long)*blk);
		return (BLOCK_ABORT);
	}
	ext2fs_fast_mark_block_bitmap2(c->r->blocks, *blk);
	if (n < 0 || m == NULL)
		return (0);		/* a block of the map itself */
	if ((uint64_t)n < c->next) {
		xasprintf(&c->why, "'%s': its block map goes backwards",
		    name_shown(c->path));
		return (BLOCK_ABORT);
	}
	c->next = n + 1;
	off = (uint64_t)n * fs->blocksize;
	if (off >= c->size)
		return (0);		/* allocated past the end */
	if (m->n > 0 && m->v[m->n - 1].off + m->v[m->n - 1].len == off) {
		m->v[m->n - 1].len += fs->blocksize;
	} else {
		m->v = xreallocarray(m->v, m->n + 1, sizeof *m->v);
		m->v[m->n].off = off;
		m->v[m->n].len = fs->blocksize;
		m->n++;
	}
	if (off + fs->blocksize > c->size)
		m->v[m->n - 1].len -= off + fs->blocksize - c->size;
	return (0);
}

/*
 * Where ino's data is, within its size: *map lists the ranges that have
 * blocks (the rest are holes); NULL only checks and claims the blocks (a
 * directory's, before libext2fs reads it).
 */
int
fsread_map(struct fsread *r, ext2_ino_t ino, struct ext2_inode *inode,
    const char *path, struct fsmap *map, char **cause)
{
	struct map_ctx	 c;
	uint64_t	 size = EXT2_I_SIZE(inode);
	size_t		 inline_size;
	errcode_t	 rv;

	if (map != NULL)
		memset(map, 0, sizeof *map);
	if (size > max_size(r->fs, inode))
		return (fsread_fail(r, cause, "'%s': a size of %llu bytes, "
		    "more than ext4 holds", name_shown(path),
		    (unsigned long long)size));
	if (inode->i_flags & EXT4_INLINE_DATA_FL) {
		if ((rv = ext2fs_inline_data_size(r->fs, ino,
		    &inline_size)) != 0)
			return (fsread_fail(r, cause, "'%s': %s while reading "
			    "its inline data", name_shown(path),
			    error_message(rv)));
		/* In the inode, as ext4 keeps it; libext2fs copies it whole. */
		if (size > inline_size ||
		    inline_size > EXT2_INODE_SIZE(r->fs->super))
			return (fsread_fail(r, cause, "'%s': inline data of "
			    "%zu bytes for a size of %llu", name_shown(path),
			    inline_size, (unsigned long long)size));
		if (map != NULL && size > 0) {
			map->v = xcalloc(1, sizeof *map->v);
			map->v[0].len = size;
			map->n = 1;
		}
		return (0);
	}
	if (!ext2fs_inode_has_valid_blocks2(r->fs, inode))
		return (0);
	memset(&c, 0, sizeof c);
	c.r = r;
	c.path = path;
	c.size = size;
	c.map = map;
	rv = ext2fs_block_iterate3(r->fs, ino, BLOCK_FLAG_READ_ONLY, NULL,
	    map_block, &c);
	if (c.why == NULL && rv != 0)
		xasprintf(&c.why, "'%s': %s while reading its block map",
		    name_shown(path), error_message(rv));
	if (c.why != NULL) {
		fsread_fail(r, cause, "%s", c.why);
		free(c.why);
		if (map != NULL)
			free(map->v);
		return (-1);
	}
	return (0);
}

/* A symbolic link's target: at most a block, as ext4 has them. */
int
fsread_symlink(struct fsread *r, ext2_ino_t ino, struct ext2_inode *inode,
    const char *path, char **target, char **cause)
{
	size_t		 size = EXT2_I_SIZE(inode), len;

	*target = NULL;
	if (size == 0 || size >= r->fs->blocksize || size > IMAGE_PATH_MAX)
		return (fsread_fail(r, cause, "'%s': a symbolic link of %zu "
		    "bytes, which ext4 does not make", name_shown(path), size));
	if (ext2fs_is_fast_symlink(inode) &&
	    !(inode->i_flags & EXT4_INLINE_DATA_FL)) {
		*target = xstrndup((const char *)inode->i_block, size);
		return (0);
	}
	if ((*target = fsread_small(r, ino, inode, path, &len,
	    cause)) == NULL)
		return (-1);
	if (len != size || strlen(*target) != size) {
		free(*target);
		*target = NULL;
		return (fsread_fail(r, cause, "'%s': a symbolic link shorter "
		    "than its size", name_shown(path)));
	}
	return (0);
}

/*
 * A small file's content, read whole (NUL-terminated); one larger than
 * FSREAD_MAX_SMALL is refused.
 */
char *
fsread_small(struct fsread *r, ext2_ino_t ino, struct ext2_inode *inode,
    const char *path, size_t *len, char **cause)
{
	ext2_file_t	 f;
	errcode_t	 rv;
	unsigned int	 got;
	uint64_t	 size = EXT2_I_SIZE(inode);
	char		*buf;

	if (size > FSREAD_MAX_SMALL) {
		fsread_fail(r, cause, "'%s': %llu bytes, too many to read "
		    "whole", name_shown(path), (unsigned long long)size);
		return (NULL);
	}
	if (fsread_map(r, ino, inode, path, NULL, cause) != 0)
		return (NULL);
	buf = xmalloc(size + 1);
	if ((rv = ext2fs_file_open2(r->fs, ino, inode, 0, &f)) != 0) {
		fsread_fail(r, cause, "'%s': %s while opening it",
		    name_shown(path), error_message(rv));
		free(buf);
		return (NULL);
	}
	rv = ext2fs_file_read(f, buf, size, &got);
	ext2fs_file_close(f);
	if (rv != 0) {
		fsread_fail(r, cause, "'%s': %s while reading it",
		    name_shown(path), error_message(rv));
		free(buf);
		return (NULL);
	}
	buf[got] = '\0';
	*len = got;
	return (buf);
}
