/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "conf.h"

/*
 * Reading rootstrap.conf. inih does the INI syntax; a line-counting reader
 * around it lets every message name FILE:LINE, and lines inih rejected
 * without a callback are found afterwards, so all errors of all files are
 * reported in one go rather than only the first.
 */

enum line_kind {
	LINE_EMPTY,		/* blank or comment */
	LINE_SECTION,
	LINE_BAD_SECTION,
	LINE_DATA,		/* should have produced a callback */
	LINE_TOO_LONG,
};

struct conf_file {
	struct conf	*conf;
	const char	*path;
	FILE		*f;
	u_int		 line;		/* line the reader handed out last */
	enum line_kind	*kinds;
	int		*handled;
	char		**lineerr;	/* reported in line order at the end */
	size_t		 nlines;
	int		 starts_blank;	/* the current line is indented */
	char		*prev_section;
	char		*prev_key;
	int		 maxline;	/* inih's line buffer, less the NUL */
};

static char	*conf_reader(char *, int, void *);
static int	 conf_handler(void *, const char *, const char *,
		     const char *);
static void	 conf_add_error(struct conf *, const char *, u_int,
		     const char *, ...) printflike(4, 5);
static int	 conf_load_file(struct conf *, const char *, int, int);

void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof *c);
}

static void
conf_add_error(struct conf *c, const char *file, u_int line,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (line != 0)
		strv_addf(&c->errors, "%s:%u: %s", file, line, msg);
	else
		strv_addf(&c->errors, "%s: %s", file, msg);
	free(msg);
}

/* Report a problem with an entry; e may be NULL for a built-in default. */
void
conf_error(struct conf *c, const struct entry *e, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (e != NULL)
		conf_add_error(c, e->file, e->line, "%s", msg);
	else
		strv_addf(&c->errors, "rootstrap: %s", msg);
	free(msg);
}

/* Classify a raw line the way inih will see it. */
static enum line_kind
line_classify(const char *s)
{
	s += strspn(s, " \t\r\n");
	if (strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	if (*s == '\0' || *s == '#' || *s == ';')
		return (LINE_EMPTY);
	if (*s == '[')
		return (strchr(s, ']') != NULL ? LINE_SECTION : LINE_BAD_SECTION);
	return (LINE_DATA);
}

/* inih's reader: one line per call, counted, with a length cap. */
static char *
conf_reader(char *str, int num, void *arg)
{
	struct conf_file	*cf = arg;
	char			*buf = NULL;
	size_t			 size = 0;
	ssize_t			 len;
	enum line_kind		 kind;

	len = getline(&buf, &size, cf->f);
	if (len == -1) {
		free(buf);
		return (NULL);
	}
	cf->line++;
	cf->kinds = xreallocarray(cf->kinds, cf->line, sizeof *cf->kinds);
	cf->handled = xreallocarray(cf->handled, cf->line,
	    sizeof *cf->handled);
	cf->lineerr = xreallocarray(cf->lineerr, cf->line,
	    sizeof *cf->lineerr);
	cf->nlines = cf->line;
	cf->handled[cf->line - 1] = 0;
	cf->lineerr[cf->line - 1] = NULL;
	cf->starts_blank = (buf[0] == ' ' || buf[0] == '\t');

	kind = line_classify(buf);
	cf->maxline = num - 1;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len >= num - 1) {
		kind = LINE_TOO_LONG;
		buf[0] = '\0';
	}
	cf->kinds[cf->line - 1] = kind;
	strncpy(str, buf, num - 1);
	str[num - 1] = '\0';
	free(buf);
	return (str);
}

/* Whether value has ConfigParser's %(name)s in it. */
static int
has_interpolation(const char *value)
{
	const char	*p = value;
	size_t		 n;

	while ((p = strstr(p, "%(")) != NULL) {
		p += 2;
		n = strspn(p, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (n > 0 && p[n] == ')' && p[n + 1] == 's')
			return (1);
	}
	return (0);
}

static int
conf_handler(void *arg, const char *section, const char *key,
    const char *value)
{
	struct conf_file	*cf = arg;
	struct conf		*c = cf->conf;
	const struct entry	*e;
	char			*joined;

	cf->handled[cf->line - 1] = 1;
	if (*section == '\0') {
		xasprintf(&cf->lineerr[cf->line - 1],
		    "'%s' is outside any [section]", key);
		return (1);
	}

	/*
	 * The original read this file with Python's ConfigParser, which
	 * replaced %(name)s with another key's value. Taken literally here
	 * it would reach a module or a program unexpanded: say so.
	 */
	if (has_interpolation(value)) {
		xasprintf(&cf->lineerr[cf->line - 1], "%s: '%%(name)s' "
		    "interpolation is not supported (it was ConfigParser's): "
		    "write the value itself", key);
		return (1);
	}

	/* An indented line continues the key before it (ConfigParser). */
	if (cf->starts_blank && cf->prev_key != NULL &&
	    strcmp(cf->prev_section, section) == 0 &&
	    strcmp(cf->prev_key, key) == 0 &&
	    (e = conf_find(c, section, key)) != NULL) {
		if (*e->value == '\0')
			joined = xstrdup(value);
		else
			xasprintf(&joined, "%s %s", e->value, value);
		conf_set(c, section, key, joined, cf->path, e->line);
		free(joined);
		return (1);
	}

	conf_set(c, section, key, value, cf->path, cf->line);
	free(cf->prev_section);
	free(cf->prev_key);
	cf->prev_section = xstrdup(section);
	cf->prev_key = xstrdup(key);
	return (1);
}

/*
 * The layers every command reads, each overriding the one before: the
 * system file (ROOTSTRAP_SYSTEM_CONF names another; empty: none),
 * ./rootstrap.conf, then extra (-c), which must exist.
 *
 * ./rootstrap.conf is read only if it is ours or root's and no one else
 * may write it, as ssh reads its files: it can name programs rootstrap
 * runs (kernel=, slirp=, modules), and a directory someone else made
 * should not make us run theirs. The other two are named on purpose.
 */
void
conf_load_layers(struct conf *c, const char *extra)
{
	const char	*system = getenv("ROOTSTRAP_SYSTEM_CONF");

	if (system == NULL)
		system = SYSCONFDIR "/rootstrap/rootstrap.conf";
	if (*system != '\0')
		conf_load(c, system, 0);
	conf_load_file(c, CONF_LOCAL, 0, 1);
	if (extra != NULL)
		conf_load(c, extra, 1);
}

/*
 * Read one file into c, overriding keys set by earlier files. A missing
 * file is fine unless required. Returns -1 if the file added errors.
 */
int
conf_load(struct conf *c, const char *path, int required)
{
	return (conf_load_file(c, path, required, 0));
}

/* conf_load, and with strict, only a file no one else could have written. */
static int
conf_load_file(struct conf *c, const char *path, int required, int strict)
{
	struct conf_file	 cf;
	struct stat		 st;
	size_t			 before = c->errors.n, i;
	char			*why = NULL;

	memset(&cf, 0, sizeof cf);
	cf.conf = c;
	cf.path = path;
	if ((cf.f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !required)
			return (0);
		conf_add_error(c, path, 0, "%s", strerror(errno));
		return (-1);
	}
	/* The file opened, not the name: it cannot be swapped in between. */
	if (strict && fstat(fileno(cf.f), &st) == 0 &&
	    (why = trust_stat(&st)) != NULL) {
		conf_add_error(c, path, 0, "%s; not read, as it could name "
		    "programs for rootstrap to run (kernel=, slirp=)", why);
		free(why);
		fclose(cf.f);
		return (-1);
	}
	ini_parse_stream(conf_reader, &cf, conf_handler, &cf);
	/* A directory opens fine and fails only here: say which error. */
	if (ferror(cf.f))
		conf_add_error(c, path, 0, "%s while reading", strerror(errno));
	fclose(cf.f);

	/* inih skips bad lines silently after the first; name each one. */
	for (i = 0; i < cf.nlines; i++) {
		if (cf.lineerr[i] != NULL) {
			conf_add_error(c, path, i + 1, "%s", cf.lineerr[i]);
			free(cf.lineerr[i]);
		}
		if (cf.handled[i])
			continue;
		switch (cf.kinds[i]) {
		case LINE_EMPTY:
		case LINE_SECTION:
			break;
		case LINE_BAD_SECTION:
			conf_add_error(c, path, i + 1,
			    "section header without a closing ']'");
			break;
		case LINE_DATA:
			conf_add_error(c, path, i + 1,
			    "expected 'key = value', '[section]' or a comment");
			break;
		case LINE_TOO_LONG:
			conf_add_error(c, path, i + 1,
			    "line longer than %d characters (continue a long "
			    "value on indented lines)", cf.maxline);
			break;
		}
	}
	free(cf.kinds);
	free(cf.handled);
	free(cf.lineerr);
	free(cf.prev_section);
	free(cf.prev_key);
	return (c->errors.n == before ? 0 : -1);
}

void
conf_set(struct conf *c, const char *section, const char *key,
    const char *value, const char *file, u_int line)
{
	struct entry	*e;
	size_t		 i;

	for (i = 0; i < c->n; i++) {
		e = &c->e[i];
		if (strcmp(e->section, section) == 0 &&
		    strcmp(e->key, key) == 0) {
			free(e->value);
			free(e->file);
			e->value = xstrdup(value);
			e->file = xstrdup(file);
			e->line = line;
			return;
		}
	}
	c->e = xreallocarray(c->e, c->n + 1, sizeof *c->e);
	e = &c->e[c->n++];
	e->section = xstrdup(section);
	e->key = xstrdup(key);
	e->value = xstrdup(value);
	e->file = xstrdup(file);
	e->line = line;
}

const struct entry *
conf_find(const struct conf *c, const char *section, const char *key)
{
	size_t	 i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->e[i].section, section) == 0 &&
		    strcmp(c->e[i].key, key) == 0)
			return (&c->e[i]);
	}
	return (NULL);
}

const char *
conf_get(const struct conf *c, const char *section, const char *key)
{
	const struct entry	*e = conf_find(c, section, key);

	return (e != NULL ? e->value : NULL);
}

void
conf_free(struct conf *c)
{
	size_t	 i;

	for (i = 0; i < c->n; i++) {
		free(c->e[i].section);
		free(c->e[i].key);
		free(c->e[i].value);
		free(c->e[i].file);
	}
	free(c->e);
	strv_free(&c->errors);
	memset(c, 0, sizeof *c);
}
