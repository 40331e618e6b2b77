/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/*
 * deb822, the format of control files, Packages, Release and dpkg's
 * status: "Field: value" lines, a value continued on lines that start
 * with a blank. The text may be downloaded data: nothing is assumed of it
 * but that it is len bytes.
 */

/*
 * The value of field name in the first stanza of text, its continuation
 * lines joined with single spaces and trailing blanks dropped; NULL if
 * the stanza has no such field.
 */
char *
control_field(const char *text, size_t len, const char *name)
{
	const char	*p = text, *end = text + len, *eol, *v;
	size_t		 nlen = strlen(name);
	struct buf	 b = { NULL, 0, 0 };
	int		 found = 0;

	while (p < end && *p != '\n') {
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		if (found) {
			/* A continuation line, or the end of our field. */
			if (*p != ' ' && *p != '\t')
				break;
			p += strspn(p, " \t");
			buf_add(&b, " ", 1);
			buf_add(&b, p, eol > p ? eol - p : 0);
		} else if ((size_t)(eol - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			v = p + nlen + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			buf_add(&b, v, eol - v);
			found = 1;
		}
		p = eol + 1;
	}
	if (!found)
		return (NULL);
	while (b.len > 0 && isspace((unsigned char)b.s[b.len - 1]))
		b.s[--b.len] = '\0';
	return (b.s);
}
