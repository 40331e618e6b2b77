/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rootstrap.h"

/*
 * The plan: the checked configuration turned into the list of guest steps,
 * each with the exact environment it will run with. The host writes it to
 * the run directory; the builder inside UML reads it back, so the guest
 * never parses rootstrap.conf itself.
 */

#define PLAN_MAGIC	"rootstrap-plan 1"
#define PLAN_MAX	(1024 * 1024)

/* Keys of [global] that are not rootstrap's own but the modules'. */
static int
global_passthrough(const char *key)
{
	size_t	 len = strlen(key);
	const char *s;

	if (len > 6 && strcmp(key + len - 6, "_proxy") == 0)
		return (1);
	for (s = key; *s != '\0'; s++) {
		if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '_')
			return (0);
	}
	return (isupper((unsigned char)*key));
}

static int
valid_module_name(const char *name)
{
	return (*name != '\0' && *name != '.' &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == strlen(name));
}

/* Defaults, then the config's values, of one section's keys. */
static void
env_section(env_t *env, const struct conf *c, const char *section,
    const struct key *keys)
{
	const struct key	*k;
	size_t			 i;

	for (k = keys; k != NULL && k->name != NULL; k++) {
		if (k->def != NULL)
			env_set(env, k->name, k->def);
	}
	for (i = 0; i < c->n; i++) {
		if (strcmp(c->e[i].section, section) == 0)
			env_set(env, c->e[i].key, c->e[i].value);
	}
}

/* Check every entry's section, key and value; errors go into c. */
static void
check_entries(struct conf *c, const struct strv *names)
{
	const struct module	*m;
	const struct key	*keys, *k;
	const struct entry	*e;
	struct strv		 bad = { 0 };
	char			*cause, *list;
	size_t			 i, j;
	int			 user;

	for (i = 0; i < c->n; i++) {
		e = &c->e[i];
		m = module_find(e->section);
		user = 0;
		for (j = 0; j < names->n; j++)
			user |= strcmp(names->v[j], e->section) == 0;
		if (strcmp(e->section, "global") == 0)
			keys = global_keys;
		else if (m != NULL)
			keys = m->keys;
		else if (user)
			continue;	/* a user module's keys are its own */
		else {
			for (j = 0; j < bad.n; j++) {
				if (strcmp(bad.v[j], e->section) == 0)
					break;
			}
			if (j == bad.n) {
				strv_add(&bad, e->section);
				conf_error(c, e, "unknown section [%s] (not "
				    "[global], a stock module or a module in "
				    "modules=)", e->section);
			}
			continue;
		}
		/* A module's section may also override [global] keys. */
		if ((k = key_find(keys, e->key)) == NULL)
			k = key_find(global_keys, e->key);
		if (k == NULL) {
			if (global_passthrough(e->key))
				continue;
			if (keys == global_keys) {
				list = keys_list(keys);
				conf_error(c, e, "unknown key '%s' in [global] "
				    "(known: %s)", e->key, list);
			} else if (keys != NULL) {
				list = keys_list(keys);
				conf_error(c, e, "unknown key '%s' in [%s] "
				    "(known: %s, or a [global] key)", e->key,
				    e->section, list);
			} else {
				list = NULL;
				conf_error(c, e, "unknown key '%s' in [%s] "
				    "(known: only [global] keys)", e->key,
				    e->section);
			}
			free(list);
			continue;
		}
		if (key_valid(k, e->value, &cause) != 0) {
			conf_error(c, e, "%s: %s", e->key, cause);
			free(cause);
		}
	}
	strv_free(&bad);
}

/* Find a module along the module path; NULL if it is not there. */
static char *
module_locate(const char *name, const struct strv *dirs)
{
	struct stat	 st;
	char		*p;
	size_t		 i;

	for (i = 0; i < dirs->n; i++) {
		xasprintf(&p, "%s/%s", dirs->v[i], name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			return (p);
		free(p);
	}
	return (NULL);
}

static void
module_dirs(struct strv *dirs, const char *modulepath,
    const struct plan_ctx *ctx)
{
	struct strv	 sv = { 0 };
	size_t		 i;

	strv_split(&sv, modulepath, ":");
	for (i = 0; i < sv.n; i++) {
		if (sv.v[i][0] == '/')
			strv_add(dirs, sv.v[i]);
		else
			strv_addf(dirs, "%s/%s", ctx->workdir, sv.v[i]);
	}
	strv_free(&sv);
	if (ctx->sitedir != NULL)
		strv_add(dirs, ctx->sitedir);
	if (ctx->stockdir != NULL)
		strv_add(dirs, ctx->stockdir);
}

static void
step_env(struct step *s, const struct conf *c, const struct plan_ctx *ctx)
{
	const struct key *keys = s->stock != NULL ? s->stock->keys : NULL;

	env_section(&s->env, c, "global", global_keys);
	env_section(&s->env, c, s->name, keys);
	if (s->stock != NULL && strcmp(s->name, "network") == 0)
		network_defaults(&s->env);
	env_set(&s->env, "ROOTSTRAP_MODULE", s->name);
	env_set(&s->env, "ROOTSTRAP_IMAGE", ctx->image);
	env_set(&s->env, "ROOTSTRAP_DEVICE", GUEST_DEVICE);
	env_set(&s->env, "ROOTSTRAP_TARGET", GUEST_TARGET);
	env_set(&s->env, "ROOTSTRAP_RUNDIR", ctx->rundir);
	env_set(&s->env, "ROOTSTRAP_WORKDIR", ctx->workdir);
	env_set(&s->env, "ROOTSTRAP_VERSION", PACKAGE_VERSION);
	env_set(&s->env, "TMPDIR", GUEST_TMPDIR);
}

/*
 * Check the whole configuration and build the plan. Every problem is added
 * to c->errors; returns -1 if there were any.
 */
int
plan_make(struct plan *p, struct conf *c, const struct plan_ctx *ctx)
{
	const struct entry	*e;
	struct strv		 names = { 0 }, dirs = { 0 };
	struct step		*s;
	const char		*cache;
	char			*path;
	size_t			 i;

	memset(p, 0, sizeof *p);
	env_section(&p->global, c, "global", global_keys);
	strv_split(&names, env_get(&p->global, "modules"), " \t");
	check_entries(c, &names);

	if ((e = conf_find(c, "global", "PATH")) == NULL ||
	    *e->value == '\0')
		conf_error(c, e, "[global] PATH is required (e.g. "
		    "PATH=/usr/sbin:/usr/bin:/sbin:/bin)");
	e = conf_find(c, "global", "modules");
	if (names.n == 0)
		conf_error(c, e, "modules: the list of modules is empty");

	module_dirs(&dirs, env_get(&p->global, "modulepath"), ctx);
	for (i = 0; i < names.n; i++) {
		p->steps = xreallocarray(p->steps, p->nsteps + 1,
		    sizeof *p->steps);
		s = &p->steps[p->nsteps++];
		memset(s, 0, sizeof *s);
		s->name = xstrdup(names.v[i]);
		if (!valid_module_name(s->name)) {
			conf_error(c, e, "modules: invalid module name '%s'",
			    s->name);
			continue;
		}
		path = module_locate(s->name, &dirs);
		if (path != NULL && ctx->stockdir != NULL &&
		    strncmp(path, ctx->stockdir, strlen(ctx->stockdir)) == 0 &&
		    path[strlen(ctx->stockdir)] == '/') {
			free(path);
			path = NULL;
		}
		if (path == NULL && (s->stock = module_find(s->name)) == NULL) {
			char *list = strv_join(&dirs, ":");
			conf_error(c, e, "modules: unknown module '%s' (not a "
			    "stock module, and not found in %s)", s->name,
			    list);
			free(list);
			continue;
		}
		if (path != NULL && access(path, X_OK) != 0)
			conf_error(c, e, "modules: module '%s': %s is not "
			    "executable", s->name, path);
		s->path = path;
		step_env(s, c, ctx);
	}

	/* Sections the stock modules read, whether or not they run. */
	env_section(&p->net, c, "global", global_keys);
	env_section(&p->net, c, "network", module_find("network")->keys);
	network_defaults(&p->net);
	env_section(&p->debian, c, "global", global_keys);
	env_section(&p->debian, c, "debian", module_find("debian")->keys);
	env_section(&p->uml, c, "global", global_keys);
	env_section(&p->uml, c, "uml", module_find("uml")->keys);
	p->fstype = xstrdup(env_get(&p->global, "fstype"));

	/* Checks of values only make sense once the types are right. */
	if (c->errors.n == 0 &&
	    !host_has_program(env_get(&p->global, "kernel")))
		conf_error(c, conf_find(c, "global", "kernel"), "kernel: %s: "
		    "not found (apt-get install user-mode-linux, or set "
		    "kernel=)", env_get(&p->global, "kernel"));
	if (c->errors.n == 0) {
		for (i = 0; i < p->nsteps; i++) {
			s = &p->steps[i];
			if (s->stock != NULL && s->stock->check != NULL)
				s->stock->check(c, &s->env);
		}
	}
	for (i = 0; i < p->nsteps; i++) {
		s = &p->steps[i];
		if (s->stock != NULL && strcmp(s->name, "debian") == 0 &&
		    *(cache = env_get(&s->env, "cache")) != '\0')
			strv_add(&p->rw, cache);
	}
	strv_free(&names);
	strv_free(&dirs);
	return (c->errors.n == 0 ? 0 : -1);
}

static int
plan_put_env(FILE *f, const char *tag, const env_t *env)
{
	size_t	 i;

	fprintf(f, "%s\n", tag);
	for (i = 0; i < env->n; i++)
		fprintf(f, "\t%s\n", env->v[i]);
	return (0);
}

/* Write the plan for the builder: one directive a line, env indented. */
int
plan_write(const struct plan *p, const char *path, char **cause)
{
	FILE	*f;
	size_t	 i;
	char	*tag;

	if ((f = fopen(path, "w")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	fprintf(f, "%s\nfstype %s\n", PLAN_MAGIC, p->fstype);
	for (i = 0; i < p->rw.n; i++)
		fprintf(f, "rw %s\n", p->rw.v[i]);
	plan_put_env(f, "section global", &p->global);
	plan_put_env(f, "section network", &p->net);
	plan_put_env(f, "section debian", &p->debian);
	plan_put_env(f, "section uml", &p->uml);
	for (i = 0; i < p->nsteps; i++) {
		xasprintf(&tag, "module %s %s", p->steps[i].name,
		    p->steps[i].path != NULL ? p->steps[i].path : "-");
		plan_put_env(f, tag, &p->steps[i].env);
		free(tag);
	}
	fprintf(f, "end\n");
	if (ferror(f) | (fclose(f) != 0)) {
		xasprintf(cause, "%s: write error", path);
		return (-1);
	}
	return (0);
}

/* Read a plan written by plan_write. */
int
plan_read(struct plan *p, const char *path, char **cause)
{
	char		*buf, *line, *save, *sp;
	env_t		*cur = NULL;
	struct step	*s;
	int		 ended = 0, rc = -1;

	memset(p, 0, sizeof *p);
	if ((buf = guest_read(path, PLAN_MAX)) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	line = strtok_r(buf, "\n", &save);
	if (line == NULL || strcmp(line, PLAN_MAGIC) != 0) {
		xasprintf(cause, "%s: not a rootstrap plan", path);
		goto out;
	}
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (line[0] == '\t' && cur != NULL)
			strv_add(cur, line + 1);
		else if (strncmp(line, "fstype ", 7) == 0)
			p->fstype = xstrdup(line + 7);
		else if (strncmp(line, "rw ", 3) == 0)
			strv_add(&p->rw, line + 3);
		else if (strcmp(line, "section global") == 0)
			cur = &p->global;
		else if (strcmp(line, "section network") == 0)
			cur = &p->net;
		else if (strcmp(line, "section debian") == 0)
			cur = &p->debian;
		else if (strcmp(line, "section uml") == 0)
			cur = &p->uml;
		else if (strncmp(line, "module ", 7) == 0 &&
		    (sp = strchr(line + 7, ' ')) != NULL) {
			p->steps = xreallocarray(p->steps, p->nsteps + 1,
			    sizeof *p->steps);
			s = &p->steps[p->nsteps++];
			memset(s, 0, sizeof *s);
			s->name = xstrndup(line + 7, sp - (line + 7));
			if (strcmp(sp + 1, "-") == 0)
				s->stock = module_find(s->name);
			else
				s->path = xstrdup(sp + 1);
			cur = &s->env;
		} else if (strcmp(line, "end") == 0) {
			ended = 1;
			break;
		} else {
			xasprintf(cause, "%s: bad line '%s'", path, line);
			goto out;
		}
	}
	if (!ended || p->fstype == NULL) {
		xasprintf(cause, "%s: truncated plan", path);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	return (rc);
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

void
plan_free(struct plan *p)
{
	size_t	 i;

	for (i = 0; i < p->nsteps; i++) {
		free(p->steps[i].name);
		free(p->steps[i].path);
		strv_free(&p->steps[i].env);
	}
	free(p->steps);
	strv_free(&p->rw);
	strv_free(&p->global);
	strv_free(&p->net);
	strv_free(&p->debian);
	strv_free(&p->uml);
	free(p->fstype);
	memset(p, 0, sizeof *p);
}
