/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules/modules.h"
#include "test.h"

/* The environment each module gets, and the plan the builder reads. */

static void
assert_plan(struct plan *p, struct conf *c, const struct plan_ctx *ctx)
{
	if (plan_make(p, c, ctx) != 0) {
		test_fail(__FILE__, __LINE__, "plan_make failed");
		for (size_t i = 0; i < c->errors.n; i++)
			printf("#   %s\n", c->errors.v[i]);
	}
}

static struct step *
step_named(struct plan *p, const char *name)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		if (strcmp(p->steps[i].name, name) == 0)
			return (&p->steps[i]);
	}
	return (NULL);
}

DEFINE_TEST(test_env_section_wins)
{
	struct conf	 c;
	struct plan	 p;
	struct plan_ctx	 ctx = { stock_modules, "/img/x", "/run/d", "/work",
			    NULL, NULL };
	struct step	*s;

	conf_init(&c);
	conf_load(&c, test_file("[global]\nPATH=" TEST_PATH "\nmodules=mkfs uml\n"
	    "fstype=ext3\nLANG=C.UTF-8\nhttp_proxy=http://p:3128/\n"
	    "[uml]\nfstype=ext2\nroot_password=pw\n"), 1);
	assert_plan(&p, &c, &ctx);
	assert_int(p.nsteps, 2);
	s = step_named(&p, "uml");
	assert_true(s != NULL && s->stock != NULL && s->path == NULL);
	assert_str(env_get(&s->env, "fstype"), "ext2");
	assert_str(env_get(&s->env, "root_password"), "pw");
	assert_str(env_get(&s->env, "install_modules"), "no");
	assert_str(env_get(&s->env, "PATH"), TEST_PATH);
	assert_str(env_get(&s->env, "LANG"), "C.UTF-8");
	assert_str(env_get(&s->env, "http_proxy"), "http://p:3128/");
	assert_str(env_get(&s->env, "ROOTSTRAP_MODULE"), "uml");
	assert_str(env_get(&s->env, "ROOTSTRAP_IMAGE"), "/img/x");
	assert_str(env_get(&s->env, "ROOTSTRAP_DEVICE"), "/dev/ubda");
	assert_str(env_get(&s->env, "ROOTSTRAP_TARGET"), "/run/target");
	assert_str(env_get(&s->env, "ROOTSTRAP_RUNDIR"), "/run/d");
	assert_str(env_get(&s->env, "ROOTSTRAP_WORKDIR"), "/work");
	s = step_named(&p, "mkfs");
	assert_str(env_get(&s->env, "fstype"), "ext3");
	assert_true(env_get(&s->env, "root_password") == NULL);
	assert_str(p.fstype, "ext3");
	plan_free(&p);
	conf_free(&c);
}

DEFINE_TEST(test_env_network_defaults)
{
	struct conf	 c;
	struct plan	 p;
	struct plan_ctx	 ctx = { stock_modules, "/i", "/r", "/w", NULL,
			    NULL };

	conf_init(&c);
	conf_load(&c, test_file("[global]\nPATH=" TEST_PATH "\nmodules=mkfs\n"), 1);
	assert_plan(&p, &c, &ctx);
	assert_str(env_get(&p.net, "transport"), "user");
	assert_str(env_get(&p.net, "interface"), "vec0");
	assert_str(env_get(&p.net, "uml"), "10.0.2.15");
	assert_str(env_get(&p.net, "gateway"), "10.0.2.2");
	assert_str(env_get(&p.net, "nameserver"), "10.0.2.3");
	assert_str(env_get(&p.net, "hostname"), "rootstrap");
	plan_free(&p);
	conf_free(&c);

	conf_init(&c);
	conf_load(&c, test_file("[global]\nPATH=" TEST_PATH "\nmodules=mkfs\n"
	    "[network]\ntransport=tuntap\nhost=192.168.7.1\n"
	    "uml=192.168.7.2\n"), 1);
	assert_plan(&p, &c, &ctx);
	assert_str(env_get(&p.net, "uml"), "192.168.7.2");
	/* With tuntap the way out is the host end, where uml_net NATs. */
	assert_str(env_get(&p.net, "gateway"), "192.168.7.1");
	assert_str(env_get(&p.net, "interface"), "eth0");
	plan_free(&p);
	conf_free(&c);

	conf_init(&c);
	conf_load(&c, test_file("[global]\nPATH=" TEST_PATH "\nmodules=mkfs\n"
	    "[network]\ntransport=tuntap\nhost=192.168.7.1\n"
	    "uml=192.168.7.2\ngateway=192.168.7.254\n"), 1);
	assert_plan(&p, &c, &ctx);
	assert_str(env_get(&p.net, "gateway"), "192.168.7.254");
	plan_free(&p);
	conf_free(&c);

	/* The legacy slirp transport: the same addresses, on eth0. */
	conf_init(&c);
	conf_load(&c, test_file("[global]\nPATH=" TEST_PATH "\nmodules=mkfs\n"
	    "[network]\ntransport=slirp\n"), 1);
	assert_plan(&p, &c, &ctx);
	assert_str(env_get(&p.net, "interface"), "eth0");
	assert_str(env_get(&p.net, "uml"), "10.0.2.15");
	assert_str(env_get(&p.net, "gateway"), "10.0.2.2");
	assert_str(env_get(&p.net, "nameserver"), "10.0.2.3");
	plan_free(&p);
	conf_free(&c);
}

DEFINE_TEST(test_env_user_module_on_path)
{
	struct conf	 c;
	struct plan	 p;
	struct plan_ctx	 ctx = { stock_modules, "/i", "/r", "/w", NULL,
			    NULL };
	char		*mod = test_file("#!/bin/sh\nexit 0\n");
	char		*dir = xstrdup(mod), *conftext, *want;

	*strrchr(dir, '/') = '\0';
	chmod(mod, 0755);
	ctx.workdir = dir;
	xasprintf(&conftext, "[global]\nPATH=" TEST_PATH "\nmodulepath=.\n"
	    "modules=mkfs %s\n[%s]\nanything=goes\n", strrchr(mod, '/') + 1,
	    strrchr(mod, '/') + 1);
	conf_init(&c);
	conf_load(&c, test_file(conftext), 1);
	assert_plan(&p, &c, &ctx);
	assert_int(p.nsteps, 2);
	xasprintf(&want, "%s/./%s", dir, strrchr(mod, '/') + 1);
	assert_str(p.steps[1].path, want);
	assert_str(env_get(&p.steps[1].env, "anything"), "goes");
	free(want);
	free(conftext);
	free(dir);
	plan_free(&p);
	conf_free(&c);
}

DEFINE_TEST(test_plan_round_trip)
{
	struct conf	 c;
	struct plan	 p, q;
	struct plan_ctx	 ctx = { stock_modules, "/i", "/r", "/w", NULL,
			    NULL };
	char		*path = test_file(""), *cause = NULL;

	conf_init(&c);
	conf_load(&c, test_file("[global]\nPATH=" TEST_PATH "\nmodules=mkfs mount\n"
	    "[debian]\ncache=/var/cache/x\n[network]\nhostname=box\n"), 1);
	assert_plan(&p, &c, &ctx);
	assert_int(plan_write(&p, path, &cause), 0);
	assert_int(plan_read(&q, path, stock_modules, &cause), 0);
	assert_int(q.nsteps, 2);
	assert_str(q.steps[1].name, "mount");
	assert_true(q.steps[1].stock == stock_module("mount"));
	assert_int(q.steps[1].env.n, p.steps[1].env.n);
	assert_str(env_get(&q.net, "hostname"), "box");
	assert_str(env_get(&q.debian, "cache"), "/var/cache/x");
	assert_str(q.fstype, "ext4");
	plan_free(&p);
	plan_free(&q);
	conf_free(&c);
}
