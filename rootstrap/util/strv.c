/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/*
 * String vectors: argv and envp arrays that stay NULL-terminated, so they
 * can be handed to execve(2) as they are.
 */

void
strv_add(struct strv *sv, const char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap == 0 ? 8 : sv->cap * 2;
		sv->v = xreallocarray(sv->v, sv->cap, sizeof *sv->v);
	}
	sv->v[sv->n++] = xstrdup(s);
	sv->v[sv->n] = NULL;
}

void
strv_addf(struct strv *sv, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	strv_add(sv, s);
	free(s);
}

/* Add each non-empty field of s, split at any character of seps. */
void
strv_split(struct strv *sv, const char *s, const char *seps)
{
	size_t	 len;

	while (*s != '\0') {
		s += strspn(s, seps);
		len = strcspn(s, seps);
		if (len == 0)
			break;
		char *w = xstrndup(s, len);
		strv_add(sv, w);
		free(w);
		s += len;
	}
}

/* Whether s is one of the strings of sv. */
int
strv_has(const struct strv *sv, const char *s)
{
	size_t	 i;

	for (i = 0; i < sv->n; i++) {
		if (strcmp(sv->v[i], s) == 0)
			return (1);
	}
	return (0);
}

void
strv_free(struct strv *sv)
{
	size_t	 i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

char *
strv_join(const struct strv *sv, const char *sep)
{
	size_t	 i, len = 1, seplen = strlen(sep), n;
	char	*s, *p;

	for (i = 0; i < sv->n; i++)
		len += strlen(sv->v[i]) + seplen;
	p = s = xmalloc(len);
	for (i = 0; i < sv->n; i++) {
		if (i > 0) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		n = strlen(sv->v[i]);
		memcpy(p, sv->v[i], n);
		p += n;
	}
	*p = '\0';
	return (s);
}

/* The value of key in an environment vector, or NULL. */
const char *
env_get(const env_t *env, const char *key)
{
	size_t	 i, len = strlen(key);

	for (i = 0; i < env->n; i++) {
		if (strncmp(env->v[i], key, len) == 0 && env->v[i][len] == '=')
			return (env->v[i] + len + 1);
	}
	return (NULL);
}

/* Set key, replacing an earlier value so the last setter wins. */
void
env_set(env_t *env, const char *key, const char *value)
{
	size_t	 i, len = strlen(key);
	char	*s;

	xasprintf(&s, "%s=%s", key, value);
	for (i = 0; i < env->n; i++) {
		if (strncmp(env->v[i], key, len) == 0 && env->v[i][len] == '=') {
			free(env->v[i]);
			env->v[i] = s;
			return;
		}
	}
	strv_add(env, s);
	free(s);
}

/* Remove key, if it is set. */
void
env_unset(env_t *env, const char *key)
{
	size_t	 i, len = strlen(key);

	for (i = 0; i < env->n; i++) {
		if (strncmp(env->v[i], key, len) == 0 && env->v[i][len] == '=') {
			free(env->v[i]);
			memmove(&env->v[i], &env->v[i + 1],
			    (env->n - i) * sizeof *env->v);
			env->n--;
			return;
		}
	}
}

int
str_yes(const char *s)
{
	if (s == NULL)
		return (0);
	return (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 ||
	    strcmp(s, "1") == 0 || strcasecmp(s, "on") == 0);
}

/* One line for a file: backslash and newline escaped. */
char *
str_escape(const char *s)
{
	char	*out = xmalloc(strlen(s) * 2 + 1), *p = out;

	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '\n') {
			*p++ = '\\';
			*p++ = *s == '\n' ? 'n' : '\\';
		} else
			*p++ = *s;
	}
	*p = '\0';
	return (out);
}

char *
str_unescape(const char *s)
{
	char	*out = xmalloc(strlen(s) + 1), *p = out;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			*p++ = *s == 'n' ? '\n' : *s;
		} else
			*p++ = *s;
	}
	*p = '\0';
	return (out);
}
