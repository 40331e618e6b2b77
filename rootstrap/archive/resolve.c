/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdlib.h>
#include <string.h>

#include "archive.h"

/*
 * Which packages to install: the same choice debootstrap makes, so a host
 * fetch and an in-guest debootstrap give one system. From debootstrap's
 * debian-common and resolve_deps:
 * - "required" is every Priority: required package; "base" is apt for
 *   minbase, apt and build-essential for buildd, every Priority: important
 *   package for the default variant; ca-certificates joins base for an
 *   https mirror; bookworm adds usr-is-merged to required, and from
 *   bookworm on usrmerge is never pulled in as a dependency.
 * - include joins base; exclude leaves both lists (but a dependency can
 *   bring an excluded package back, as in debootstrap).
 * - Each list is closed over Depends and Pre-Depends, taking the first
 *   alternative, dropping versions and ":any"; a name no stanza has (a
 *   virtual package) is dropped, not looked up in Provides.
 * - base loses what required already has.
 */

/* Suites before bookworm: no usr-is-merged rule (debian-common). */
static const char *const old_suites[] = {
	"etch", "etch-m68k", "lenny", "squeeze", "wheezy", "jessie",
	"jessie-kfreebsd", "stretch", "buster", "bullseye", NULL
};

static int	 str_cmp(const void *, const void *);
static void	 set_sort(struct strv *);
static int	 set_has(const struct strv *, const char *);
static void	 set_without(struct strv *, const struct strv *);
static void	 deps_add(struct strv *, const char *);
static void	 resolve_close(const struct index *, struct strv *,
		     const struct strv *);

static int
str_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Sort and drop duplicates: the lists are sets. */
static void
set_sort(struct strv *s)
{
	size_t	 i, j;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof *s->v, str_cmp);
	for (i = j = 1; i < s->n; i++) {
		if (strcmp(s->v[i], s->v[j - 1]) == 0)
			free(s->v[i]);
		else
			s->v[j++] = s->v[i];
	}
	s->n = j;
	s->v[j] = NULL;
}

static int
set_has(const struct strv *s, const char *name)
{
	return (s->n > 0 && bsearch(&name, s->v, s->n, sizeof *s->v,
	    str_cmp) != NULL);
}

/* s minus drop (drop sorted). */
static void
set_without(struct strv *s, const struct strv *drop)
{
	size_t	 i, j;

	for (i = j = 0; i < s->n; i++) {
		if (set_has(drop, s->v[i]))
			free(s->v[i]);
		else
			s->v[j++] = s->v[i];
	}
	s->n = j;
	if (s->v != NULL)
		s->v[j] = NULL;
}

/* The first alternative of each relation in a Depends-style field. */
static void
deps_add(struct strv *out, const char *field)
{
	char	*copy, *rel, *save = NULL, *end;

	if (field == NULL)
		return;
	copy = xstrdup(field);
	for (rel = strtok_r(copy, ",", &save); rel != NULL;
	    rel = strtok_r(NULL, ",", &save)) {
		rel += strspn(rel, " \t");
		end = rel + strcspn(rel, " \t|(:[<");
		if (end == rel)
			continue;
		*end = '\0';
		strv_add(out, rel);
	}
	free(copy);
}

/* What a package Pre-Depends on, then what it Depends on. */
static void
deps_of(const struct stanza *st, struct strv *out)
{
	deps_add(out, st->predepends);
	deps_add(out, st->depends);
}

/* debootstrap's resolve_deps: close names over the dependencies. */
static void
resolve_close(const struct index *idx, struct strv *names,
    const struct strv *nodeps)
{
	struct strv		 all = { 0 }, cur = { 0 }, next;
	const struct stanza	*st;
	size_t			 i;

	for (i = 0; i < names->n; i++) {
		strv_add(&all, names->v[i]);
		strv_add(&cur, names->v[i]);
	}
	set_sort(&all);
	set_sort(&cur);
	while (cur.n > 0) {
		memset(&next, 0, sizeof next);
		for (i = 0; i < cur.n; i++) {
			if ((st = index_lookup(idx, cur.v[i])) != NULL)
				deps_of(st, &next);
		}
		set_sort(&next);
		set_without(&next, nodeps);
		/* Only real packages not seen before go round again. */
		strv_free(&cur);
		memset(&cur, 0, sizeof cur);
		for (i = 0; i < next.n; i++) {
			if (index_lookup(idx, next.v[i]) != NULL &&
			    !set_has(&all, next.v[i]))
				strv_add(&cur, next.v[i]);
		}
		strv_free(&next);
		for (i = 0; i < cur.n; i++)
			strv_add(&all, cur.v[i]);
		set_sort(&all);
	}
	strv_free(&cur);
	strv_free(names);
	*names = all;
}

/*
 * Choose the packages: *required and *base, sorted, as debootstrap
 * would print them. -1 with *cause for an unknown variant or a package
 * asked for by name that no index has.
 */
int
resolve_select(const struct index *idx, const struct resolve_in *in,
    struct strv *required, struct strv *base, char **cause)
{
	struct strv	 nodeps = { 0 }, exclude = { 0 }, missing = { 0 };
	const char	*v = in->variant;
	char		*list;
	size_t		 i;
	int		 old = 0, rc = -1;

	memset(required, 0, sizeof *required);
	memset(base, 0, sizeof *base);
	for (i = 0; old_suites[i] != NULL; i++)
		old |= strcmp(in->suite, old_suites[i]) == 0;

	for (i = 0; i < idx->n; i++) {
		if (idx->v[i].priority != NULL &&
		    strcmp(idx->v[i].priority, "required") == 0)
			strv_add(required, idx->v[i].package);
	}
	if (*v == '\0' || strcmp(v, "-") == 0 || strcmp(v, "default") == 0) {
		for (i = 0; i < idx->n; i++) {
			if (idx->v[i].priority != NULL &&
			    strcmp(idx->v[i].priority, "important") == 0)
				strv_add(base, idx->v[i].package);
		}
	} else if (strcmp(v, "minbase") == 0)
		strv_add(base, "apt");
	else if (strcmp(v, "buildd") == 0) {
		strv_add(base, "apt");
		strv_add(base, "build-essential");
	} else {
		xasprintf(cause, "variant: unsupported variant '%s' (minbase, "
		    "buildd, or default)", v);
		goto out;
	}
	if (strncmp(in->mirror, "https://", 8) == 0)
		strv_add(base, "ca-certificates");
	if (strcmp(in->suite, "bookworm") == 0)
		strv_add(required, "usr-is-merged");
	if (!old)
		strv_add(&nodeps, "usrmerge");
	for (i = 0; i < in->include.n; i++)
		strv_add(base, in->include.v[i]);
	for (i = 0; i < in->exclude.n; i++)
		strv_add(&exclude, in->exclude.v[i]);
	set_sort(&exclude);
	set_sort(&nodeps);
	set_without(base, &exclude);
	set_without(required, &exclude);

	resolve_close(idx, required, &nodeps);
	resolve_close(idx, base, &nodeps);
	set_without(base, required);

	/* Only names asked for can be unknown; dependencies are real. */
	for (i = 0; i < required->n; i++) {
		if (index_lookup(idx, required->v[i]) == NULL)
			strv_add(&missing, required->v[i]);
	}
	for (i = 0; i < base->n; i++) {
		if (index_lookup(idx, base->v[i]) == NULL)
			strv_add(&missing, base->v[i]);
	}
	if (missing.n > 0) {
		list = strv_join(&missing, " ");
		xasprintf(cause, "no such package in the indexes: %s", list);
		free(list);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		strv_free(required);
		strv_free(base);
	}
	strv_free(&nodeps);
	strv_free(&exclude);
	strv_free(&missing);
	return (rc);
}

struct order {
	const struct index	 *idx;
	const struct strv	 *set;		/* sorted: the names to order */
	char			 *seen;		/* per name of set */
	const struct stanza	**out;
	size_t			  n;
};

/* Depth first: what a package depends on goes before it. */
static void
order_visit(struct order *o, const char *name)
{
	const char		**hit;
	const struct stanza	 *st;
	struct strv		  deps = { 0 };
	size_t			  i, at;

	hit = bsearch(&name, o->set->v, o->set->n, sizeof *o->set->v,
	    str_cmp);
	if (hit == NULL)
		return;
	at = hit - (const char **)o->set->v;
	if (o->seen[at])
		return;
	o->seen[at] = 1;
	if ((st = index_lookup(o->idx, name)) == NULL)
		return;
	deps_of(st, &deps);
	for (i = 0; i < deps.n; i++)
		order_visit(o, deps.v[i]);
	strv_free(&deps);
	o->out[o->n++] = st;
}

/*
 * The stanzas of required and base in installation order: Essential,
 * then required packages first, and each after its dependencies unless a
 * cycle prevents it. Returns an array of *n entries; the caller frees it.
 */
const struct stanza **
resolve_order(const struct index *idx, const struct strv *required,
    const struct strv *base, size_t *n)
{
	struct strv		 all = { 0 };
	struct order		 o;
	const struct stanza	*st;
	size_t			 i, pass;

	for (i = 0; i < required->n; i++)
		strv_add(&all, required->v[i]);
	for (i = 0; i < base->n; i++)
		strv_add(&all, base->v[i]);
	set_sort(&all);
	memset(&o, 0, sizeof o);
	o.idx = idx;
	o.set = &all;
	o.seen = xcalloc(all.n + 1, 1);
	o.out = xcalloc(all.n + 1, sizeof *o.out);

	/*
	 * Essential packages first: nothing declares a dependency on them,
	 * yet everything may use them. Then required, then the rest.
	 */
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < all.n; i++) {
			st = index_lookup(idx, all.v[i]);
			if (st == NULL)
				continue;
			if (pass == 0 && (st->essential == NULL ||
			    strcmp(st->essential, "yes") != 0))
				continue;
			if (pass == 1 && !set_has(required, all.v[i]))
				continue;
			order_visit(&o, all.v[i]);
		}
	}
	free(o.seen);
	strv_free(&all);
	*n = o.n;
	return (o.out);
}
