/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef ROOTSTRAP_GUEST_H
#define ROOTSTRAP_GUEST_H

/*
 * The guest side: the builder, which is init (PID 1) inside UML, runs the
 * plan's modules or `rootstrap run`'s command; the shortcut (its own
 * static program) stands in for two maintainer-script helpers while
 * packages are configured. Calls modules, conf and util; the host never
 * calls into it: it reads what the guest writes in the run directory.
 */

#include "modules/modules.h"

/* command.c: rootstrap run's command; its exit status, or -1 */
int		 command_prepare(const struct runspec *);
int		 command_run(const struct runspec *);

/* agent.c: rootstrap start's instance, commands on con1 until stopped */
int		 agent_serve(const struct runspec *);

/* input.c: its stdin, from the host's on con3 */
int		 input_open(const char *, pid_t *);

#endif
