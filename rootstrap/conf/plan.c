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

#include "conf.h"

/*
 * The plan: the checked configuration turned into the list of guest steps,
 * each with the exact environment it will run with. The host writes it to
 * the run directory (planfile.c); the builder inside UML reads it back, so
 * the guest never parses rootstrap.conf itself.
 */

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

/*
 * Defaults, then the config's values, of one section's keys. [global]
 * modules= defaults to every stock module, in the table's order.
 */
static void
env_section(env_t *env, const struct conf *c, const char *section,
    const struct key *keys, const struct plan_ctx *ctx)
{
	const struct key	*k;
	struct strv		 names = { 0 };
	char			*list;
	size_t			 i;

	for (k = keys; k != NULL && k->name != NULL; k++) {
		if (k->def != NULL)
			env_set(env, k->name, k->def);
		else if (keys == global_keys &&
		    strcmp(k->name, "modules") == 0) {
			for (i = 0; ctx->modules[i] != NULL; i++)
				strv_add(&names, ctx->modules[i]->name);
			list = strv_join(&names, " ");
			env_set(env, k->name, list);
			free(list);
			strv_free(&names);
		}
	}
	for (i = 0; i < c->n; i++) {
		if (strcmp(c->e[i].section, section) == 0)
			env_set(env, c->e[i].key, c->e[i].value);
	}
}

/* Check every entry's section, key and value; errors go into c. */
static void
check_entries(struct conf *c, const struct strv *names,
    const struct module *const *modules)
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
		m = module_in(modules, e->section);
		user = strv_has(names, e->section);
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

/* A stock section's keys: [global]'s, its own, and its module's defaults. */
static void
section_env(env_t *env, const struct conf *c, const struct module *m,
    const struct plan_ctx *ctx)
{
	env_section(env, c, "global", global_keys, ctx);
	env_section(env, c, m->name, m->keys, ctx);
	if (m->defaults != NULL)
		m->defaults(env);
}

static void
step_env(struct step *s, const struct conf *c, const struct plan_ctx *ctx)
{
	if (s->stock != NULL)
		section_env(&s->env, c, s->stock, ctx);
	else {
		env_section(&s->env, c, "global", global_keys, ctx);
		env_section(&s->env, c, s->name, NULL, ctx);
	}
	env_set(&s->env, "ROOTSTRAP_MODULE", s->name);
	env_set(&s->env, "ROOTSTRAP_IMAGE", ctx->image);
	env_set(&s->env, "ROOTSTRAP_DEVICE", GUEST_DEVICE);
	env_set(&s->env, "ROOTSTRAP_TARGET", GUEST_TARGET);
	env_set(&s->env, "ROOTSTRAP_RUNDIR", ctx->rundir);
	env_set(&s->env, "ROOTSTRAP_WORKDIR", ctx->workdir);
	env_set(&s->env, "ROOTSTRAP_VERSION", PACKAGE_VERSION);
	env_set(&s->env, "TMPDIR", GUEST_TMPDIR);
}

/* One step for each name of modules=, stock or found on the module path. */
static void
plan_steps(struct plan *p, struct conf *c, const struct strv *names,
    const struct plan_ctx *ctx)
{
	const struct entry	*e = conf_find(c, "global", "modules");
	struct strv		 dirs = { 0 };
	struct step		*s;
	char			*path, *list;
	size_t			 i;

	module_dirs(&dirs, env_get(&p->global, "modulepath"), ctx);
	for (i = 0; i < names->n; i++) {
		p->steps = xreallocarray(p->steps, p->nsteps + 1,
		    sizeof *p->steps);
		s = &p->steps[p->nsteps++];
		memset(s, 0, sizeof *s);
		s->name = xstrdup(names->v[i]);
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
		if (path == NULL &&
		    (s->stock = module_in(ctx->modules, s->name)) == NULL) {
			list = strv_join(&dirs, ":");
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
	strv_free(&dirs);
}

/*
 * Check the whole configuration and build the plan. Every problem is added
 * to c->errors; returns -1 if there were any.
 */
int
plan_make(struct plan *p, struct conf *c, const struct plan_ctx *ctx)
{
	const struct entry	*e;
	struct strv		 names = { 0 };
	const struct step	*s;
	size_t			 i;
	int			 checked;

	memset(p, 0, sizeof *p);
	env_section(&p->global, c, "global", global_keys, ctx);
	strv_split(&names, env_get(&p->global, "modules"), " \t");
	check_entries(c, &names, ctx->modules);

	if ((e = conf_find(c, "global", "PATH")) == NULL ||
	    *e->value == '\0')
		conf_error(c, e, "[global] PATH is required (e.g. "
		    "PATH=/usr/sbin:/usr/bin:/sbin:/bin)");
	if (names.n == 0)
		conf_error(c, conf_find(c, "global", "modules"),
		    "modules: the list of modules is empty");
	/* A directory name under the kernel cache: no way out of it. */
	if ((e = conf_find(c, "global", "kernel_suite")) != NULL &&
	    (strchr(e->value, '/') != NULL || *e->value == '.'))
		conf_error(c, e, "kernel_suite: invalid suite '%s'", e->value);
	plan_steps(p, c, &names, ctx);
	strv_free(&names);

	/* Sections the stock modules read, whether or not they run. */
	section_env(&p->net, c, module_in(ctx->modules, "network"), ctx);
	section_env(&p->debian, c, module_in(ctx->modules, "debian"), ctx);
	section_env(&p->uml, c, module_in(ctx->modules, "uml"), ctx);
	/* Last: it takes the key out of every environment made above. */
	plan_resolve_epoch(p, c);
	plan_resolve_proxies(p);
	p->fstype = xstrdup(env_get(&p->global, "fstype"));

	/* Checks of values only make sense once the types are right. */
	if (c->errors.n == 0 &&
	    strcmp(env_get(&p->global, "kernel"), "auto") != 0 &&
	    !host_has_program(env_get(&p->global, "kernel")))
		conf_error(c, conf_find(c, "global", "kernel"), "kernel: %s: "
		    "not found (apt-get install user-mode-linux, or set "
		    "kernel=)", env_get(&p->global, "kernel"));
	for (i = 0, checked = c->errors.n == 0; i < p->nsteps && checked;
	    i++) {
		s = &p->steps[i];
		if (s->stock != NULL && s->stock->check != NULL)
			s->stock->check(c, &s->env);
	}
	for (i = 0; i < p->nsteps; i++) {
		s = &p->steps[i];
		if (s->stock != NULL && s->stock->writes != NULL)
			s->stock->writes(&s->env, &p->rw);
	}
	return (c->errors.n == 0 ? 0 : -1);
}

/* The stock module name in table, or NULL. */
const struct module *
module_in(const struct module *const *table, const char *name)
{
	size_t	 i;

	for (i = 0; table[i] != NULL; i++) {
		if (strcmp(table[i]->name, name) == 0)
			return (table[i]);
	}
	return (NULL);
}

/*
 * The first step of a stock module that has the property: that gives the
 * network, reads the archive, fills the image on the host. NULL: none.
 */
const struct step *
plan_stock(const struct plan *p, enum module_has what)
{
	const struct step	*s;
	size_t			 i;

	for (i = 0; i < p->nsteps; i++) {
		s = &p->steps[i];
		if (s->stock == NULL)
			continue;
		if ((what == HAS_NETWORK && s->stock->gives_network) ||
		    (what == HAS_ARCHIVE && s->stock->reads_archive) ||
		    (what == HAS_HOST_FILL && s->stock->fills_on_host != NULL &&
		    s->stock->fills_on_host(&s->env)))
			return (s);
	}
	return (NULL);
}

/* Take step i out of the plan. */
void
plan_remove(struct plan *p, size_t i)
{
	struct step	*s = &p->steps[i];

	free(s->name);
	free(s->path);
	strv_free(&s->env);
	memmove(s, s + 1, (p->nsteps - i - 1) * sizeof *s);
	p->nsteps--;
}

void
plan_free(struct plan *p)
{
	while (p->nsteps > 0)
		plan_remove(p, p->nsteps - 1);
	free(p->steps);
	strv_free(&p->rw);
	strv_free(&p->global);
	strv_free(&p->net);
	strv_free(&p->debian);
	strv_free(&p->uml);
	free(p->fstype);
	memset(p, 0, sizeof *p);
}
