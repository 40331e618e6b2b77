/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

/*
 * Key tables and value checks. Each section's keys are declared once with
 * a type and default; the checks here give every bad value the same shape
 * of message.
 */

const struct key global_keys[] = {
	{ "fstype",	 KEY_ENUM,	"ext4",		"ext2|ext3|ext4" },
	{ "initialsize", KEY_MB,	"1024",		NULL },
	{ "freespace",	 KEY_MB0,	"0",		NULL },
	{ "modules",	 KEY_LIST,	NULL,		NULL },	/* plan.c */
	{ "PATH",	 KEY_STRING,	NULL,		NULL },
	{ "umlargs",	 KEY_STRING,	"",		NULL },
	{ "http_proxy",	 KEY_STRING,	NULL,		NULL },
	{ "https_proxy", KEY_STRING,	NULL,		NULL },
	{ "ftp_proxy",	 KEY_STRING,	NULL,		NULL },
	{ "no_proxy",	 KEY_STRING,	NULL,		NULL },
	{ "kernel",	 KEY_STRING,	"auto",		NULL },
	{ "kernel_suite", KEY_STRING,	"sid",		NULL },
	{ "kernel_check_valid_until", KEY_BOOL, "no",	NULL },
	{ "mem",	 KEY_MEM,	"512M",		NULL },
	{ "timeout",	 KEY_SECONDS,	"3600",		NULL },
	{ "modulepath",	 KEY_PATHLIST,	"",		NULL },
	{ "source_date_epoch", KEY_EPOCH, NULL,	NULL },
	{ NULL,		 KEY_STRING,	NULL,		NULL },
};

const struct key *
key_find(const struct key *keys, const char *name)
{
	for (; keys != NULL && keys->name != NULL; keys++) {
		if (strcmp(keys->name, name) == 0)
			return (keys);
	}
	return (NULL);
}

/* "a, b, c": the names a section accepts, for "unknown key" messages. */
char *
keys_list(const struct key *keys)
{
	struct strv	 sv = { 0 };
	char		*s;

	for (; keys != NULL && keys->name != NULL; keys++)
		strv_add(&sv, keys->name);
	s = sv.n > 0 ? strv_join(&sv, ", ") : xstrdup("none");
	strv_free(&sv);
	return (s);
}

static int
valid_mem(const char *s)
{
	char			*end;
	unsigned long long	 v;

	if (!isdigit((unsigned char)*s))
		return (0);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || v == 0)
		return (0);
	if (*end == '\0')
		return (v >= 64ULL * 1024 * 1024);	/* bytes */
	if (end[1] != '\0')
		return (0);
	switch (*end) {
	case 'K':
		return (v >= 64 * 1024);
	case 'M':
		return (v >= 64);
	case 'G':
		return (v <= 64);
	}
	return (0);
}

static int
valid_hostname(const char *s)
{
	size_t	 len = strlen(s), i;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return (0);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return (0);
	}
	return (1);
}

static int
valid_choice(const char *choices, const char *s)
{
	size_t	 len;

	while (*choices != '\0') {
		len = strcspn(choices, "|");
		if (strlen(s) == len && strncmp(choices, s, len) == 0)
			return (1);
		choices += len;
		if (*choices == '|')
			choices++;
	}
	return (0);
}

/* Check one value against its key; on error *cause says what is wrong. */
int
key_valid(const struct key *k, const char *v, char **cause)
{
	struct in_addr	 in;
	uint64_t	 mb;
	long long	 epoch;

	switch (k->type) {
	case KEY_STRING:
	case KEY_LIST:
	case KEY_PATHLIST:
		return (0);
	case KEY_MB:
		if (parse_uint(v, PARSE_MB_MAX, &mb) == 0 && mb > 0)
			return (0);
		xasprintf(cause, "invalid size '%s' (a whole number of MB, "
		    "greater than 0)", v);
		return (-1);
	case KEY_MB0:
		if (parse_uint(v, PARSE_MB_MAX, &mb) == 0)
			return (0);
		xasprintf(cause, "invalid size '%s' (a whole number of MB)", v);
		return (-1);
	case KEY_SECONDS:
		if (parse_uint(v, PARSE_SECONDS_MAX, &mb) == 0 && mb > 0)
			return (0);
		xasprintf(cause, "invalid number of seconds '%s'", v);
		return (-1);
	case KEY_EPOCH:
		if (epoch_parse(v, &epoch) == 0)
			return (0);
		xasprintf(cause, "invalid epoch '%s' (" EPOCH_HELP ")", v);
		return (-1);
	case KEY_MEM:
		if (valid_mem(v))
			return (0);
		xasprintf(cause, "invalid memory size '%s' (e.g. 512M or 1G; "
		    "at least 64M)", v);
		return (-1);
	case KEY_BOOL:
		if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "no") == 0 ||
		    strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0 ||
		    strcasecmp(v, "on") == 0 || strcasecmp(v, "off") == 0 ||
		    strcmp(v, "1") == 0 || strcmp(v, "0") == 0)
			return (0);
		xasprintf(cause, "invalid boolean '%s' (yes or no)", v);
		return (-1);
	case KEY_ENUM:
		if (valid_choice(k->choices, v))
			return (0);
		xasprintf(cause, "invalid value '%s' (one of %s)", v,
		    k->choices);
		return (-1);
	case KEY_IPV4:
		if (*v == '\0' || inet_pton(AF_INET, v, &in) == 1)
			return (0);
		xasprintf(cause, "invalid IPv4 address '%s'", v);
		return (-1);
	case KEY_HOSTNAME:
		if (valid_hostname(v))
			return (0);
		xasprintf(cause, "invalid hostname '%s' (letters, digits and "
		    "'-', at most 63)", v);
		return (-1);
	}
	return (0);
}
