/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#ifndef ROOTSTRAP_SHORTCUT_H
#define ROOTSTRAP_SHORTCUT_H

/*
 * The shortcut program (shortcut.c): one answer function per helper it
 * stands in for. Each returns the helper's exit status, or -1 for "let
 * the real helper, at real (NAME.rootstrap-real), answer".
 */
int	cacerts_answer(int, char **, const char *);
int	addgroup_answer(int, char **, const char *);
int	systemd_enable_answer(int, char **, const char *);
int	shortcut_known(const char *, const char *const *);

#endif
