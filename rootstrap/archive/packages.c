/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"

/*
 * Packages files: deb822 stanzas separated by blank lines. Only the fields
 * resolving and fetching need are copied out; each stanza's whole text is
 * kept by reference, because dpkg's status wants it verbatim. The text is
 * downloaded data, so every field is bounded and a stanza without a
 * Package field is an error naming its line.
 */

#define STANZA_MAX	(1024 * 1024)	/* debian's largest are ~20 KB */

static char	*field_value(const char *, const char *);
static int	 stanza_parse(struct stanza *, const char *, size_t);

static char *
field_value(const char *stanza, const char *name)
{
	return (control_field(stanza, strlen(stanza), name));
}

static int
stanza_parse(struct stanza *st, const char *text, size_t len)
{
	char	*copy, *size, *end;

	memset(st, 0, sizeof *st);
	st->text = text;
	st->len = len;
	copy = xstrndup(text, len);
	st->package = field_value(copy, "Package");
	st->version = field_value(copy, "Version");
	st->arch = field_value(copy, "Architecture");
	st->priority = field_value(copy, "Priority");
	st->essential = field_value(copy, "Essential");
	st->depends = field_value(copy, "Depends");
	st->predepends = field_value(copy, "Pre-Depends");
	st->filename = field_value(copy, "Filename");
	st->sha256 = field_value(copy, "SHA256");
	if ((size = field_value(copy, "Size")) != NULL) {
		errno = 0;
		st->size = strtoull(size, &end, 10);
		if (errno != 0 || *size == '\0' || *end != '\0' ||
		    !isdigit((unsigned char)*size))
			st->size = UINT64_MAX;
		free(size);
	}
	free(copy);
	return (st->package != NULL && *st->package != '\0' ? 0 : -1);
}

static void
stanza_free(struct stanza *st)
{
	free(st->package);
	free(st->version);
	free(st->arch);
	free(st->priority);
	free(st->essential);
	free(st->depends);
	free(st->predepends);
	free(st->filename);
	free(st->sha256);
}

/*
 * Add the stanzas of buf (len bytes, NUL-terminated; the index keeps it)
 * to idx. name is where buf came from, for messages.
 */
int
index_add(struct index *idx, char *buf, size_t len, const char *name,
    char **cause)
{
	const char	*p = buf, *end = buf + len, *start = NULL, *eol = buf;
	u_int		 line = 0, first = 0;
	int		 blank;
	struct stanza	 st;
	size_t		 cap = idx->n;

	idx->bufs = xreallocarray(idx->bufs, idx->nbufs + 1, sizeof *idx->bufs);
	idx->bufs[idx->nbufs++] = buf;
	if (memchr(buf, '\0', len) != NULL) {
		xasprintf(cause, "%s: contains a NUL byte (not a Packages file)",
		    name);
		return (-1);
	}
	for (;;) {
		/* A blank line, or the end of the text, ends a stanza. */
		blank = p >= end;
		if (!blank) {
			if ((eol = memchr(p, '\n', end - p)) == NULL)
				eol = end;
			line++;
			blank = strspn(p, " \t") == (size_t)(eol - p);
		}
		if (blank && start != NULL) {
			if (p - start > STANZA_MAX) {
				xasprintf(cause, "%s:%u: stanza longer than "
				    "%d bytes", name, first, STANZA_MAX);
				return (-1);
			}
			if (stanza_parse(&st, start, p - start) != 0) {
				stanza_free(&st);
				xasprintf(cause, "%s:%u: stanza without a "
				    "Package field", name, first);
				return (-1);
			}
			if (idx->n == cap) {
				cap = cap == 0 ? 1024 : cap * 2;
				idx->v = xreallocarray(idx->v, cap,
				    sizeof *idx->v);
			}
			idx->v[idx->n++] = st;
			start = NULL;
		} else if (!blank && start == NULL) {
			start = p;
			first = line;
		}
		if (p >= end)
			break;
		p = eol + 1 < end ? eol + 1 : end;
	}
	return (0);
}

static int
index_cmp(const void *a, const void *b)
{
	const struct stanza	*sa = *(struct stanza *const *)a;
	const struct stanza	*sb = *(struct stanza *const *)b;
	int			 rc;

	if ((rc = strcmp(sa->package, sb->package)) != 0)
		return (rc);
	/* The highest version first; a missing one is lowest. */
	if (sa->version == NULL || sb->version == NULL)
		return ((sa->version == NULL) - (sb->version == NULL));
	if ((rc = version_compare(sb->version, sa->version)) != 0)
		return (rc);
	return (sa < sb ? -1 : sa > sb);
}

/* Make index_lookup work; after the last index_add. */
void
index_sort(struct index *idx)
{
	size_t	 i;

	free(idx->byname);
	idx->byname = xreallocarray(NULL, idx->n + 1, sizeof *idx->byname);
	for (i = 0; i < idx->n; i++)
		idx->byname[i] = &idx->v[i];
	qsort(idx->byname, idx->n, sizeof *idx->byname, index_cmp);
}

/*
 * The stanza of package name, its highest version if the indexes hold
 * several (debootstrap takes whichever comes last; the archive has one).
 */
const struct stanza *
index_lookup(const struct index *idx, const char *name)
{
	size_t	 lo = 0, hi = idx->n, mid;
	int	 rc;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		rc = strcmp(idx->byname[mid]->package, name);
		if (rc < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < idx->n && strcmp(idx->byname[lo]->package, name) == 0)
		return (idx->byname[lo]);
	return (NULL);
}

void
index_free(struct index *idx)
{
	size_t	 i;

	free(idx->byname);

	for (i = 0; i < idx->n; i++)
		stanza_free(&idx->v[i]);
	for (i = 0; i < idx->nbufs; i++)
		free(idx->bufs[i]);
	free(idx->v);
	free(idx->bufs);
	memset(idx, 0, sizeof *idx);
}

/* dpkg's ordering of one character: ~ before the end, letters first. */
static int
version_order(int c)
{
	if (isdigit(c))
		return (0);
	if (isalpha(c))
		return (c);
	if (c == '~')
		return (-1);
	if (c != 0)
		return (c + 256);
	return (0);
}

/* Compare two upstream versions or revisions, as dpkg does. */
static int
version_part(const char *a, const char *b)
{
	int	 diff, ac, bc;

	while (*a != '\0' || *b != '\0') {
		diff = 0;
		while ((*a != '\0' && !isdigit((unsigned char)*a)) ||
		    (*b != '\0' && !isdigit((unsigned char)*b))) {
			ac = version_order((unsigned char)*a);
			bc = version_order((unsigned char)*b);
			if (ac != bc)
				return (ac - bc);
			if (*a != '\0')
				a++;
			if (*b != '\0')
				b++;
		}
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		while (isdigit((unsigned char)*a) &&
		    isdigit((unsigned char)*b)) {
			if (diff == 0)
				diff = *a - *b;
			a++;
			b++;
		}
		if (isdigit((unsigned char)*a))
			return (1);
		if (isdigit((unsigned char)*b))
			return (-1);
		if (diff != 0)
			return (diff);
	}
	return (0);
}

/* Split [epoch:]upstream[-revision]; the caller frees *up. */
static unsigned long
version_split(const char *v, char **up, const char **rev)
{
	const char	*colon = strchr(v, ':'), *dash;
	unsigned long	 epoch = 0;

	if (colon != NULL) {
		epoch = strtoul(v, NULL, 10);
		v = colon + 1;
	}
	*up = xstrdup(v);
	if ((dash = strrchr(*up, '-')) != NULL) {
		*(char *)dash = '\0';
		*rev = v + (dash - *up) + 1;
	} else
		*rev = "";
	return (epoch);
}

/* <0, 0, >0 as Debian version a sorts before, with, after b. */
int
version_compare(const char *a, const char *b)
{
	unsigned long	 ea, eb;
	const char	*ra, *rb;
	char		*ua, *ub;
	int		 rc;

	ea = version_split(a, &ua, &ra);
	eb = version_split(b, &ub, &rb);
	if (ea != eb)
		rc = ea < eb ? -1 : 1;
	else if ((rc = version_part(ua, ub)) == 0)
		rc = version_part(ra, rb);
	free(ua);
	free(ub);
	return (rc < 0 ? -1 : rc > 0);
}
