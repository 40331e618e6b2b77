/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

/*
 * What the host hands the builder through the run directory, as record
 * files (util/recfile.c): the plan of a build, or the command of a
 * `rootstrap run`: its arguments, the host directories to share and the
 * network to bring up.
 */

#define PLAN_MAGIC	"rootstrap-plan 2"
#define PLAN_MAX	(1024 * 1024)
#define RUNSPEC_MAGIC	"rootstrap-run 2"
#define RUNSPEC_MAX	(1024 * 1024)

/* The stock sections the plan carries, by their record's value. */
static env_t *
plan_section(struct plan *p, const char *name)
{
	if (strcmp(name, "global") == 0)
		return (&p->global);
	if (strcmp(name, "network") == 0)
		return (&p->net);
	if (strcmp(name, "debian") == 0)
		return (&p->debian);
	if (strcmp(name, "uml") == 0)
		return (&p->uml);
	return (NULL);
}

static void
put_env(struct recfile *r, const char *tag, const char *name,
    const env_t *env)
{
	size_t	 i;

	recfile_add(r, tag, name);
	for (i = 0; i < env->n; i++)
		recfile_add(r, "env", env->v[i]);
}

/* Write the plan for the builder. */
int
plan_write(const struct plan *p, const char *path, char **cause)
{
	struct recfile	 r = { { 0 }, { 0 } };
	size_t		 i;
	int		 rc;

	recfile_add(&r, "fstype", p->fstype);
	for (i = 0; i < p->rw.n; i++)
		recfile_add(&r, "rw", p->rw.v[i]);
	put_env(&r, "section", "global", &p->global);
	put_env(&r, "section", "network", &p->net);
	put_env(&r, "section", "debian", &p->debian);
	put_env(&r, "section", "uml", &p->uml);
	for (i = 0; i < p->nsteps; i++) {
		put_env(&r, "module", p->steps[i].name, &p->steps[i].env);
		if (p->steps[i].path != NULL)
			recfile_add(&r, "path", p->steps[i].path);
	}
	rc = recfile_write(path, PLAN_MAGIC, &r, cause);
	recfile_free(&r);
	return (rc);
}

/* Read a plan written by plan_write; stock steps are found in modules. */
int
plan_read(struct plan *p, const char *path,
    const struct module *const *modules, char **cause)
{
	struct recfile	 r;
	struct step	*s = NULL;
	env_t		*cur = NULL;
	const char	*tag, *v;
	size_t		 i;

	memset(p, 0, sizeof *p);
	p->epoch = -1;
	if (recfile_read(path, PLAN_MAGIC, PLAN_MAX, &r, cause) != 0)
		return (-1);
	for (i = 0; i < r.tags.n; i++) {
		tag = r.tags.v[i];
		v = r.values.v[i];
		if (strcmp(tag, "env") == 0 && cur != NULL)
			strv_add(cur, v);
		else if (strcmp(tag, "fstype") == 0 && p->fstype == NULL)
			p->fstype = xstrdup(v);
		else if (strcmp(tag, "rw") == 0)
			strv_add(&p->rw, v);
		else if (strcmp(tag, "section") == 0 &&
		    (cur = plan_section(p, v)) != NULL)
			s = NULL;
		else if (strcmp(tag, "module") == 0) {
			p->steps = xreallocarray(p->steps, p->nsteps + 1,
			    sizeof *p->steps);
			s = &p->steps[p->nsteps++];
			memset(s, 0, sizeof *s);
			s->name = xstrdup(v);
			s->stock = module_in(modules, v);
			cur = &s->env;
		} else if (strcmp(tag, "path") == 0 && s != NULL &&
		    s->path == NULL) {
			s->path = xstrdup(v);
			s->stock = NULL;
		} else {
			xasprintf(cause, "%s: bad record '%s %s'", path, tag, v);
			recfile_free(&r);
			plan_free(p);
			return (-1);
		}
	}
	recfile_free(&r);
	if (p->fstype == NULL) {
		xasprintf(cause, "%s: no fstype", path);
		plan_free(p);
		return (-1);
	}
	return (0);
}

/* The plan as -n shows it: what would run, from where, with what. */
void
plan_print(const struct plan *p, int fd)
{
	FILE	*f;
	size_t	 i, j;
	int	 nfd;

	if ((nfd = dup(fd)) == -1 || (f = fdopen(nfd, "w")) == NULL)
		return;
	for (i = 0; i < p->nsteps; i++) {
		fprintf(f, "module %s: %s\n", p->steps[i].name,
		    p->steps[i].path != NULL ? p->steps[i].path : "(stock)");
		for (j = 0; j < p->steps[i].env.n; j++)
			fprintf(f, "\t%s\n", p->steps[i].env.v[j]);
	}
	fclose(f);
}

int
runspec_write(const struct runspec *rs, const char *path, char **cause)
{
	struct recfile	 r = { { 0 }, { 0 } };
	size_t		 i;
	int		 rc;

	recfile_add(&r, "net", rs->net);
	if (rs->workdir != NULL)
		recfile_add(&r, "cwd", rs->workdir);
	if (rs->input)
		recfile_add(&r, "stdin", "con3");
	if (rs->serve)
		recfile_add(&r, "serve", "con1");
	for (i = 0; i < rs->shares.n; i++)
		recfile_add(&r, "share", rs->shares.v[i]);
	for (i = 0; i < rs->argv.n; i++)
		recfile_add(&r, "arg", rs->argv.v[i]);
	rc = recfile_write(path, RUNSPEC_MAGIC, &r, cause);
	recfile_free(&r);
	return (rc);
}

int
runspec_read(struct runspec *rs, const char *path, char **cause)
{
	struct recfile	 r;
	const char	*tag, *v;
	size_t		 i, n;

	memset(rs, 0, sizeof *rs);
	if (recfile_read(path, RUNSPEC_MAGIC, RUNSPEC_MAX, &r, cause) != 0)
		return (-1);
	for (i = 0; i < r.tags.n; i++) {
		tag = r.tags.v[i];
		v = r.values.v[i];
		if (strcmp(tag, "arg") == 0)
			strv_add(&rs->argv, v);
		else if (strcmp(tag, "share") == 0)
			strv_add(&rs->shares, v);
		else if (strcmp(tag, "net") == 0 && rs->net == NULL)
			rs->net = xstrdup(v);
		else if (strcmp(tag, "cwd") == 0 && rs->workdir == NULL)
			rs->workdir = xstrdup(v);
		else if (strcmp(tag, "stdin") == 0 && strcmp(v, "con3") == 0)
			rs->input = 1;
		else if (strcmp(tag, "serve") == 0 && strcmp(v, "con1") == 0)
			rs->serve = 1;
		else {
			xasprintf(cause, "%s: bad record '%s %s'", path, tag, v);
			break;
		}
	}
	n = r.tags.n;
	recfile_free(&r);
	if (i == n && ((rs->argv.n == 0 && !rs->serve) ||
	    rs->net == NULL))
		xasprintf(cause, "%s: no command or no network", path);
	else if (i == n)
		return (0);
	runspec_free(rs);
	return (-1);
}

void
runspec_free(struct runspec *rs)
{
	strv_free(&rs->argv);
	strv_free(&rs->shares);
	free(rs->net);
	free(rs->workdir);
	memset(rs, 0, sizeof *rs);
}
