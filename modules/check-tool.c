/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdlib.h>
#include <string.h>

#include "modules.h"

/*
 * Check that the guest will find tool: the guest sees the host's files, so
 * look along the configured PATH here. Reports against section's key (the
 * entry that chose the tool) or [global] PATH. Returns 0 if found.
 */
int
module_check_tool(struct conf *c, const env_t *env, const char *tool,
    const char *section, const char *key)
{
	const struct entry	*e = NULL;
	const char		*path = env_get(env, "PATH");
	char			*found;

	if ((found = which_in(path, tool)) != NULL) {
		free(found);
		return (0);
	}
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
