/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/*
 * rootstrap ls: the user's running instances, as a table or as JSON for
 * programs; dead ones are swept on the way (uml/instance.c).
 */

/* s as a JSON string. */
static void
json_string(FILE *f, const char *s)
{
	const unsigned char	*p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static int
cmd_ls(int argc, char **argv)
{
	struct instance	*list;
	char		 when[32];
	time_t		 t;
	size_t		 i, n;
	int		 json = 0;

	log_fd = STDERR_FILENO;
	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0))
		return (CMD_HELP);
	else if (argc != 1)
		return (CMD_USAGE);
	if (instance_list(&list, &n) != 0)
		return (EXIT_BUILD);
	if (json)
		printf("[");
	else if (n > 0)
		printf("%-20s %8s %-8s %-19s %s\n", "NAME", "PID", "SNAPSHOT",
		    "STARTED", "IMAGE");
	for (i = 0; i < n; i++) {
		if (json) {
			printf("%s\n  {\"name\": ", i == 0 ? "" : ",");
			json_string(stdout, list[i].name);
			printf(", \"pid\": %ld, \"image\": ", (long)list[i].pid);
			json_string(stdout, list[i].image);
			printf(", \"snapshot\": %s, \"started\": %lld, "
			    "\"idle\": %d, \"dir\": ", list[i].snapshot ?
			    "true" : "false", list[i].started, list[i].idle);
			json_string(stdout, list[i].dir);
			printf("}");
		} else {
			t = (time_t)list[i].started;
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S",
			    localtime(&t));
			printf("%-20s %8ld %-8s %-19s %s\n", list[i].name,
			    (long)list[i].pid, list[i].snapshot ? "yes" : "no",
			    when, list[i].image);
		}
		instance_free(&list[i]);
	}
	if (json)
		printf("%s]\n", n > 0 ? "\n" : "");
	free(list);
	return (fflush(stdout) == 0 ? 0 : EXIT_BUILD);
}

const struct cmd_entry cmd_ls_entry = {
	.name = "ls",
	.usage = "[--json]",
	.help =
"List the running instances (rootstrap start) of this user: name, the\n"
"supervisor's pid, whether on a snapshot, when started, the image.\n"
"\n"
"      --json             as a JSON array of objects\n",
	.exec = cmd_ls,
};
