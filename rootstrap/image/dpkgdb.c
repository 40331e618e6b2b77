/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image.h"

/*
 * dpkg's database as "dpkg --unpack" leaves it for packages it has not yet
 * configured: a status stanza "install ok unpacked" per package, conffiles
 * marked "newconffile" (dpkg --configure then moves NAME.dpkg-new into
 * place and records its hash), and the trigger interests dpkg registers
 * while unpacking (triggers/File and triggers/NAME), so that the packages
 * configured later activate them as they would after a real unpack.
 */

/* A stanza, without its blank line, then one blank line. */
static void
add_stanza(struct buf *b, const char *stanza)
{
	size_t	 len = strlen(stanza);

	while (len > 0 && stanza[len - 1] == '\n')
		len--;
	buf_add(b, stanza, len);
	buf_add(b, "\n\n", 2);
}

/*
 * Package name (NAME or NAME:ARCH), unpacked from a .deb with this control
 * file and these conffiles; avail is its stanza for the available file.
 */
void
dpkgdb_add(struct dpkgdb *db, const char *name, const char *control,
    const struct strv *conffiles, const char *avail)
{
	const char	*line, *next;
	char		*priority;
	size_t		 i;

	buf_addf(&db->status, "Package: %.*s\nStatus: install ok unpacked\n",
	    (int)strcspn(name, ":"), name);
	/*
	 * The archive's Priority overrides the package's own: a status file
	 * debootstrap leaves has the Packages file's.
	 */
	if ((priority = control_field(avail, strlen(avail), "Priority")) != NULL)
		buf_addf(&db->status, "Priority: %s\n", priority);
	for (line = control; *line != '\0' && *line != '\n'; line = next) {
		next = strchr(line, '\n');
		next = next != NULL ? next + 1 : line + strlen(line);
		if (strncasecmp(line, "Package:", 8) == 0 ||
		    strncasecmp(line, "Status:", 7) == 0 ||
		    (priority != NULL &&
		    strncasecmp(line, "Priority:", 9) == 0))
			continue;
		buf_add(&db->status, line, next - line);
		if (next[-1] != '\n')
			buf_add(&db->status, "\n", 1);
	}
	if (conffiles->n > 0) {
		buf_add(&db->status, "Conffiles:\n", 11);
		for (i = 0; i < conffiles->n; i++)
			buf_addf(&db->status, " %s newconffile\n",
			    conffiles->v[i]);
	}
	buf_add(&db->status, "\n", 1);
	free(priority);
	add_stanza(&db->available, avail);
}

/*
 * The interests of a package's triggers control file: "interest[-await]
 * NAME" or "interest-noawait NAME"; NAME is a path for a file trigger.
 */
void
dpkgdb_triggers(struct dpkgdb *db, const char *name, const char *triggers)
{
	struct strv	 lines = { 0 }, words = { 0 };
	const char	*suffix;
	size_t		 i, j;

	strv_split(&lines, triggers, "\n");
	for (i = 0; i < lines.n; i++) {
		strv_free(&words);
		memset(&words, 0, sizeof words);
		if (lines.v[i][strspn(lines.v[i], " \t")] == '#')
			continue;
		strv_split(&words, lines.v[i], " \t");
		if (words.n != 2)
			continue;
		if (strcmp(words.v[0], "interest") == 0 ||
		    strcmp(words.v[0], "interest-await") == 0)
			suffix = "";
		else if (strcmp(words.v[0], "interest-noawait") == 0)
			suffix = "/noawait";
		else
			continue;
		if (words.v[1][0] == '/') {
			buf_addf(&db->file_triggers, "%s %s%s\n", words.v[1],
			    name, suffix);
			continue;
		}
		/* A trigger's name becomes a file name: keep it one. */
		if (strchr(words.v[1], '/') != NULL || words.v[1][0] == '.')
			continue;
		for (j = 0; j < db->trigger_names.n; j++) {
			if (strcmp(db->trigger_names.v[j], words.v[1]) == 0)
				break;
		}
		if (j == db->trigger_names.n) {
			strv_add(&db->trigger_names, words.v[1]);
			db->trigger_files = xreallocarray(db->trigger_files,
			    j + 1, sizeof *db->trigger_files);
			memset(&db->trigger_files[j], 0,
			    sizeof db->trigger_files[j]);
		}
		buf_addf(&db->trigger_files[j], "%s%s\n", name, suffix);
	}
	strv_free(&words);
	strv_free(&lines);
}

void
dpkgdb_free(struct dpkgdb *db)
{
	size_t	 i;

	free(db->status.s);
	free(db->available.s);
	free(db->file_triggers.s);
	for (i = 0; i < db->trigger_names.n; i++)
		free(db->trigger_files[i].s);
	free(db->trigger_files);
	strv_free(&db->trigger_names);
	memset(db, 0, sizeof *db);
}
