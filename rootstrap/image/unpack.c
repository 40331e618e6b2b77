/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "image.h"

/*
 * Unpacking a package set into a fresh image on the host, leaving what
 * debootstrap's first stage and then "dpkg --unpack" of every package
 * would leave: each .deb's files (conffiles as NAME.dpkg-new), its control
 * files and file list in /var/lib/dpkg/info, the status file with every
 * package "install ok unpacked", and the directories, device nodes and
 * files debootstrap makes itself. What is left needs root or the
 * packages' own programs: the guest runs the preinst scripts and one
 * "dpkg --configure --pending" (mod-debian.c).
 *
 * In the guest each process costs 20-40 ms; a "dpkg --unpack" of the whole
 * set there takes about 40 s, the same work here well under a second per
 * package.
 */

/* The top directories debootstrap turns into links into /usr (merge_usr). */
static const char *const merged_dirs[] = {
	"bin", "lib", "lib32", "lib64", "libo32", "libx32", "sbin", NULL
};

/* One member of a control.tar, kept for /var/lib/dpkg/info. */
struct member {
	char	*name;
	mode_t	 mode;
	char	*data;
	size_t	 len;
};

/* The package being unpacked. */
struct pkg {
	const struct deb *deb;
	char		*name;		/* as dpkg names its info files */
	char		*control;	/* the .deb's own control file */
	struct strv	 conffiles;	/* "/etc/..." */
	struct member	*m;
	size_t		 nm;
	struct buf	 list;		/* the .list file */
};

struct unpack {
	struct populate	*p;
	struct dpkgdb	 db;
	int		 merged[8];	/* merged_dirs linked yet */
	time_t		 now;
	uint64_t	 files;
};

/* A decompressed control.tar or data.tar (inflate.c), as an archive. */
static struct archive *
tar_open(const struct inflated_member *m)
{
	struct archive	*a = archive_read_new();

	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, m->data, m->len) != ARCHIVE_OK) {
		archive_read_free(a);
		return (NULL);
	}
	return (a);
}

/* "./usr/bin/" → "usr/bin"; "./" → "". */
static char *
norm_path(const char *name)
{
	size_t	 len;
	char	*s;

	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (*name == '/')
		name++;
	if (strcmp(name, ".") == 0)
		name = "";
	s = xstrdup(name);
	len = strlen(s);
	while (len > 0 && s[len - 1] == '/')
		s[--len] = '\0';
	return (s);
}

/*
 * Where a path of a package lands: under /usr when it goes through one of
 * the merged directories, whose link to usr/ is made on first use, as
 * debootstrap's merge_usr leaves them.
 */
static int
merge_link(struct unpack *u, size_t i, char **cause)
{
	char	*link;
	int	 rc = 0;

	if (u->merged[i])
		return (0);
	xasprintf(&link, "usr/%s", merged_dirs[i]);
	rc = populate_put(u->p, merged_dirs[i], AE_IFLNK | 0777, link, 0, 0,
	    u->now, cause);
	free(link);
	u->merged[i] = rc == 0;
	return (rc);
}

static int
redirect(struct unpack *u, const char *path, char **out, char **cause)
{
	size_t	 i, len;

	for (i = 0; merged_dirs[i] != NULL; i++) {
		len = strlen(merged_dirs[i]);
		if (strncmp(path, merged_dirs[i], len) == 0 &&
		    (path[len] == '\0' || path[len] == '/'))
			break;
	}
	if (merged_dirs[i] == NULL) {
		*out = xstrdup(path);
		return (0);
	}
	if (merge_link(u, i, cause) != 0)
		return (-1);
	xasprintf(out, "usr/%s", path);
	return (0);
}

/*
 * A package that ships the merged-/usr link itself (trixie's base-files:
 * ./bin -> usr/bin) asks for what redirect() already makes: 1 when the
 * entry is such a link, which is then made once and not written again.
 */
static int
is_merge_link(struct unpack *u, const char *path, struct archive_entry *e,
    char **cause)
{
	const char	*target;
	size_t		 i;

	if (archive_entry_filetype(e) != AE_IFLNK ||
	    (target = archive_entry_symlink(e)) == NULL)
		return (0);
	for (i = 0; merged_dirs[i] != NULL; i++) {
		if (strcmp(path, merged_dirs[i]) != 0)
			continue;
		if (strncmp(target, "/", 1) == 0)
			target++;
		if (strncmp(target, "usr/", 4) != 0 ||
		    strcmp(target + 4, merged_dirs[i]) != 0)
			return (0);
		return (merge_link(u, i, cause) == 0 ? 1 : -1);
	}
	return (0);
}

static int
is_conffile(const struct pkg *k, const char *path)
{
	size_t	 i;

	for (i = 0; i < k->conffiles.n; i++) {
		if (strcmp(k->conffiles.v[i] + 1, path) == 0)
			return (1);
	}
	return (0);
}

/* control.tar: every member in memory; control and conffiles parsed. */
static int
read_control(struct pkg *k, const struct inflated_member *tar, char **cause)
{
	struct archive		*a;
	struct archive_entry	*e;
	struct member		*m;
	char			*name, *line, *save, *copy, *word;
	la_int64_t		 size;
	int			 r;

	if ((a = tar_open(tar)) == NULL) {
		xasprintf(cause, "%s: control.tar: cannot read it",
		    k->deb->path);
		return (-1);
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		name = norm_path(archive_entry_pathname(e));
		size = archive_entry_size(e);
		/* Only plain files; "list" is ours to write. */
		if (*name == '\0' || !S_ISREG(archive_entry_mode(e)) ||
		    strchr(name, '/') != NULL || strcmp(name, "list") == 0 ||
		    size > (1 << 24)) {
			free(name);
			continue;
		}
		k->m = xreallocarray(k->m, k->nm + 1, sizeof *k->m);
		m = &k->m[k->nm++];
		m->name = name;
		m->mode = archive_entry_mode(e) & 0777;
		m->data = xmalloc(size + 1);
		m->len = 0;
		while (m->len < (size_t)size &&
		    (r = archive_read_data(a, m->data + m->len,
		    size - m->len)) > 0)
			m->len += r;
		m->data[m->len] = '\0';
		if (m->len != (size_t)size) {
			xasprintf(cause, "%s: control.tar: %s: %s", k->deb->path,
			    name, r < 0 ? archive_error_string(a) :
			    "cut short");
			archive_read_free(a);
			return (-1);
		}
		if (strcmp(name, "control") == 0)
			k->control = xstrdup(m->data);
		else if (strcmp(name, "conffiles") == 0) {
			/* "[flag ...] /path" per line; the path is last. */
			copy = xstrdup(m->data);
			for (line = strtok_r(copy, "\n", &save); line != NULL;
			    line = strtok_r(NULL, "\n", &save)) {
				word = strrchr(line, ' ');
				word = word != NULL ? word + 1 : line;
				if (*word == '/')
					strv_add(&k->conffiles, word);
			}
			free(copy);
		}
	}
	if (r != ARCHIVE_EOF && r != ARCHIVE_OK) {
		xasprintf(cause, "%s: control.tar: %s", k->deb->path,
		    archive_error_string(a));
		archive_read_free(a);
		return (-1);
	}
	archive_read_free(a);
	if (k->control == NULL) {
		xasprintf(cause, "%s: no control file", k->deb->path);
		return (-1);
	}
	return (0);
}

/* data.tar: every entry into the image, and into the package's list. */
static int
read_data(struct unpack *u, struct pkg *k, const struct inflated_member *tar,
    char **cause)
{
	struct archive		*a;
	struct archive_entry	*e;
	char			*path, *to = NULL, *link, *lto;
	int			 r, rc = -1;

	if ((a = tar_open(tar)) == NULL) {
		xasprintf(cause, "%s: data.tar: cannot read it", k->deb->path);
		return (-1);
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		path = norm_path(archive_entry_pathname(e));
		/* dpkg lists every entry, "/." for the top. */
		buf_addf(&k->list, "/%s\n", *path == '\0' ? "." : path);
		if ((r = is_merge_link(u, path, e, cause)) != 0) {
			free(path);
			if (r < 0)
				goto out;
			continue;
		}
		if (redirect(u, path, &to, cause) != 0) {
			free(path);
			goto out;
		}
		if (is_conffile(k, path)) {
			/* dpkg --configure moves it into place. */
			xasprintf(&link, "%s.dpkg-new", to);
			free(to);
			to = link;
		}
		free(path);
		archive_entry_copy_pathname(e, *to == '\0' ? "./" : to);
		if ((link = (char *)archive_entry_hardlink(e)) != NULL) {
			link = norm_path(link);
			if (redirect(u, link, &lto, cause) != 0) {
				free(link);
				goto out;
			}
			archive_entry_copy_hardlink(e, lto);
			free(lto);
			free(link);
		}
		/* Its messages name the .deb (populate_source). */
		if (populate_entry(u->p, a, e, cause) != 0)
			goto out;
		free(to);
		to = NULL;
		u->files++;
	}
	if (r != ARCHIVE_EOF) {
		xasprintf(cause, "%s: data.tar: %s", k->deb->path,
		    archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	free(to);
	archive_read_free(a);
	return (rc);
}

/* /var/lib/dpkg/info/NAME.*: the list and every control member but one. */
static int
write_info(struct unpack *u, struct pkg *k, char **cause)
{
	char	*path;
	size_t	 i;
	int	 rc = 0;

	xasprintf(&path, "var/lib/dpkg/info/%s.list", k->name);
	rc = populate_put(u->p, path, AE_IFREG | 0644, k->list.s, k->list.len,
	    0, u->now, cause);
	free(path);
	for (i = 0; i < k->nm && rc == 0; i++) {
		if (strcmp(k->m[i].name, "control") == 0)
			continue;
		xasprintf(&path, "var/lib/dpkg/info/%s.%s", k->name,
		    k->m[i].name);
		rc = populate_put(u->p, path, AE_IFREG | k->m[i].mode,
		    k->m[i].data, k->m[i].len, 0, u->now, cause);
		free(path);
	}
	return (rc);
}

static void
pkg_free(struct pkg *k)
{
	size_t	 i;

	for (i = 0; i < k->nm; i++) {
		free(k->m[i].name);
		free(k->m[i].data);
	}
	free(k->m);
	free(k->name);
	free(k->control);
	strv_free(&k->conffiles);
	free(k->list.s);
}

/* Names that become file names in /var/lib/dpkg/info (Debian policy 5.6.1). */
static int
valid_name(const char *s)
{
	return (*s != '\0' && *s != '.' && s[strspn(s,
	    "abcdefghijklmnopqrstuvwxyz0123456789+-.")] == '\0');
}

static int
unpack_deb(struct unpack *u, const struct deb *d, const struct inflated *x,
    char **cause)
{
	struct pkg	 k;
	char		*ma, *arch;
	size_t		 i;
	int		 rc = -1;

	memset(&k, 0, sizeof k);
	k.deb = d;
	populate_source(u->p, d->path);
	if (read_control(&k, &x->control, cause) != 0)
		goto out;
	/* Multi-Arch: same packages' files carry the arch. */
	ma = control_field(k.control, strlen(k.control), "Multi-Arch");
	arch = control_field(k.control, strlen(k.control), "Architecture");
	k.name = control_field(k.control, strlen(k.control), "Package");
	if (k.name == NULL || arch == NULL || !valid_name(k.name) ||
	    !valid_name(arch)) {
		xasprintf(cause, "%s: control lacks a valid Package or "
		    "Architecture", d->path);
		free(ma);
		free(arch);
		goto out;
	}
	if (ma != NULL && strcmp(ma, "same") == 0) {
		free(ma);
		xasprintf(&ma, "%s:%s", k.name, arch);
		free(k.name);
		k.name = ma;
		ma = NULL;
	}
	free(ma);
	free(arch);
	if (read_data(u, &k, &x->data, cause) != 0 ||
	    write_info(u, &k, cause) != 0)
		goto out;
	dpkgdb_add(&u->db, k.name, k.control, &k.conffiles,
	    d->control != NULL ? d->control : k.control);
	for (i = 0; i < k.nm; i++) {
		if (strcmp(k.m[i].name, "triggers") == 0)
			dpkgdb_triggers(&u->db, k.name, k.m[i].data);
	}
	rc = 0;
out:
	pkg_free(&k);
	return (rc);
}

/*
 * Unpack every package of set into the freshly made filesystem in image.
 * debian is the [debian] section (mirror, dist, components); the files'
 * times are epoch's, or now's when it is -1.
 */
int
unpack_debs(const char *image, const struct debset *set, const env_t *debian,
    long long epoch, char **cause)
{
	struct unpack		 u;
	struct inflater		*f = NULL;
	const struct inflated	*x;
	char			*why = NULL;
	size_t			 i;
	int			 rc = -1;

	memset(&u, 0, sizeof u);
	u.now = epoch >= 0 ? (time_t)epoch : time(NULL);
	if ((u.p = populate_open(image, image, cause)) == NULL)
		return (-1);
	f = inflate_start(set);
	progress_begin("unpacking");
	for (i = 0; i < set->n; i++) {
		progress_update("%zu/%zu: %s", i + 1, set->n,
		    set->v[i].package);
		if ((x = inflate_take(f, i, cause)) == NULL ||
		    unpack_deb(&u, &set->v[i], x, cause) != 0)
			goto out;
		inflate_release(f, i);
	}
	if (debootstrap_base(u.p, &u.db, debian, u.now, cause) != 0)
		goto out;
	log_info("unpacked %zu packages (%llu files) into the image", set->n,
	    (unsigned long long)u.files);
	rc = 0;
out:
	progress_end();
	inflate_stop(f);
	dpkgdb_free(&u.db);
	if (rc != 0)
		populate_discard(u.p);
	else if (populate_close(u.p, &why) != 0) {
		xasprintf(cause, "%s: %s", image, why);
		rc = -1;
	}
	free(why);
	return (rc);
}

/* Bytes the unpacked set needs: the sum of its Installed-Size fields. */
uint64_t
unpack_size(const struct debset *set)
{
	uint64_t	 kb = 0;
	char		*v;
	size_t		 i;

	for (i = 0; i < set->n; i++) {
		if (set->v[i].control == NULL ||
		    (v = control_field(set->v[i].control,
		    strlen(set->v[i].control), "Installed-Size")) == NULL)
			continue;
		kb += strtoull(v, NULL, 10);
		free(v);
	}
	return (kb * 1024);
}
