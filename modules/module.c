/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rootstrap.h"

/*
 * The stock modules, in their default order. The pipeline only knows this
 * interface; each mod-*.c file is one module.
 */

extern const struct module module_network;
extern const struct module module_mkfs;
extern const struct module module_mount;
extern const struct module module_debian;
extern const struct module module_uml;
extern const struct module module_umount;

const struct module *const module_table[] = {
	&module_network,
	&module_mkfs,
	&module_mount,
	&module_debian,
	&module_uml,
	&module_umount,
	NULL,
};

const struct module *
module_find(const char *name)
{
	size_t	 i;

	for (i = 0; module_table[i] != NULL; i++) {
		if (strcmp(module_table[i]->name, name) == 0)
			return (module_table[i]);
	}
	return (NULL);
}

/* Where the host finds name (on rootstrap's own PATH), or NULL. */
char *
host_which(const char *name)
{
	struct strv	 dirs = { 0 };
	const char	*path = getenv("PATH");
	char		*p = NULL;
	size_t		 i;

	if (strchr(name, '/') != NULL)
		return (access(name, X_OK) == 0 ? xstrdup(name) : NULL);
	strv_split(&dirs, path != NULL ? path : "/usr/bin:/bin", ":");
	for (i = 0; i < dirs.n; i++) {
		xasprintf(&p, "%s/%s", dirs.v[i], name);
		if (access(p, X_OK) == 0)
			break;
		free(p);
		p = NULL;
	}
	strv_free(&dirs);
	return (p);
}

int
host_has_program(const char *name)
{
	char	*p = host_which(name);

	free(p);
	return (p != NULL);
}

/*
 * Check that the guest will find tool: the guest sees the host's files, so
 * look along the configured PATH here. Reports against section's key (the
 * entry that chose the tool) or [global] PATH. Returns 0 if found.
 */
int
module_check_tool(struct conf *c, const env_t *env, const char *tool,
    const char *section, const char *key)
{
	struct strv		 dirs = { 0 };
	const struct entry	*e = NULL;
	const char		*path = env_get(env, "PATH");
	char			*p;
	size_t			 i;
	int			 found = 0;

	if (strchr(tool, '/') != NULL)
		found = access(tool, X_OK) == 0;
	else if (path != NULL) {
		strv_split(&dirs, path, ":");
		for (i = 0; i < dirs.n && !found; i++) {
			xasprintf(&p, "%s/%s", dirs.v[i], tool);
			found = access(p, X_OK) == 0;
			free(p);
		}
		strv_free(&dirs);
	}
	if (found)
		return (0);
	if (key != NULL)
		e = conf_find(c, section, key);
	if (e == NULL) {
		e = conf_find(c, "global", "PATH");
		conf_error(c, e, "%s: not found in PATH %s (install it, or fix "
		    "PATH in [global])", tool, path != NULL ? path : "(unset)");
	} else
		conf_error(c, e, "%s: %s: not found in PATH %s", key, tool,
		    path != NULL ? path : "(unset)");
	return (-1);
}
