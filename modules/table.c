/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <string.h>

#include "modules.h"

/*
 * The stock modules, in their default order: the one list of them. The
 * default modules= follows it, and so do the links to the builder that
 * `make` and `make install` put in the stock module directory (the
 * builder prints the list, see guest/builder.c). The rest of rootstrap
 * knows a stock module only through struct module; each mod-*.c file is
 * one.
 */

extern const struct module module_network;
extern const struct module module_mkfs;
extern const struct module module_mount;
extern const struct module module_debian;
extern const struct module module_uml;
extern const struct module module_umount;

const struct module *const stock_modules[] = {
	&module_network,
	&module_mkfs,
	&module_mount,
	&module_debian,
	&module_uml,
	&module_umount,
	NULL,
};

const struct module *
stock_module(const char *name)
{
	return (module_in(stock_modules, name));
}
