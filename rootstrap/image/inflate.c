/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>

#include "image.h"

/*
 * Decompressing the .debs (xz, mostly) is most of the host's unpacking
 * time. Worker threads do it ahead, into memory, while unpack.c writes
 * the packages before into the image: libext2fs allows one writer only,
 * and the packages are written in the set's order, so the image is the
 * same whatever the threads do. How far ahead they may go is bounded in
 * packages and in bytes, except for the package the writer waits for.
 */

#define INFLATE_THREADS	4		/* at most; fewer with fewer CPUs */
#define AHEAD_PACKAGES	16		/* past the one being written */
#define AHEAD_BYTES	(256UL << 20)	/* done and not yet taken */

struct inflater {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	const struct debset	*set;
	struct inflated		*v;
	int			*done;
	size_t			 next;		/* to hand to a worker */
	size_t			 taken;		/* handed to the writer */
	size_t			 ahead;		/* bytes done, not taken */
	int			 stop;
	atomic_int		 abandon;	/* stop, read without mu */
	pthread_t		 threads[INFLATE_THREADS];
	int			 nthreads;
};

/* A member of the outer ar archive, read as an archive of its own. */
struct nested {
	struct archive	*outer;
	char		 buf[65536];
};

static la_ssize_t
nested_read(struct archive *a, void *arg, const void **data)
{
	struct nested	*n = arg;

	(void)a;
	*data = n->buf;
	return (archive_read_data(n->outer, n->buf, sizeof n->buf));
}

/*
 * The member, decompressed, whole in memory; given up half way when the
 * writer has stopped (abandon), which inflate_stop then waits for.
 */
static int
read_member(struct archive *outer, const char *path, const char *name,
    struct inflated_member *m, atomic_int *abandon, char **cause)
{
	struct nested		*n = xmalloc(sizeof *n);
	struct archive		*a = archive_read_new();
	struct archive_entry	*e;
	size_t			 cap = 1 << 20;
	la_ssize_t		 r = 0;

	n->outer = outer;
	m->len = 0;
	m->data = xmalloc(cap);
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open(a, n, NULL, nested_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK)
		r = -1;
	while (r >= 0) {
		if (m->len + 65536 + 1 > cap) {
			cap *= 2;
			m->data = xreallocarray(m->data, cap, 1);
		}
		if (atomic_load(abandon)) {
			archive_set_error(a, EINTR, "stopped");
			r = -1;
			break;
		}
		if ((r = archive_read_data(a, m->data + m->len, 65536)) <= 0)
			break;
		m->len += r;
	}
	if (r < 0) {
		xasprintf(cause, "%s: %s: %s", path, name,
		    archive_error_string(a) != NULL ?
		    archive_error_string(a) : "cannot read it");
		free(m->data);
		m->data = NULL;
	} else
		m->data[m->len] = '\0';
	archive_read_free(a);
	free(n);
	return (r < 0 ? -1 : 0);
}

/* control.tar and data.tar of one .deb, in that order, decompressed. */
static void
inflate_deb(const char *path, struct inflated *x, atomic_int *abandon)
{
	struct archive		*a = archive_read_new();
	struct archive_entry	*e;
	const char		*name;
	int			 r;

	archive_read_support_format_ar(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		xasprintf(&x->error, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		if (strncmp(name, "control.tar", 11) == 0 &&
		    x->control.data == NULL) {
			if (read_member(a, path, "control.tar", &x->control,
			    abandon, &x->error) != 0)
				goto out;
		} else if (strncmp(name, "data.tar", 8) == 0 &&
		    x->data.data == NULL) {
			if (x->control.data == NULL) {
				xasprintf(&x->error, "%s: data.tar before "
				    "control.tar", path);
				goto out;
			}
			if (read_member(a, path, "data.tar", &x->data,
			    abandon, &x->error) != 0)
				goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		xasprintf(&x->error, "%s: %s", path, archive_error_string(a));
	else if (x->data.data == NULL)
		xasprintf(&x->error, "%s: not a Debian package (no %s)", path,
		    x->control.data != NULL ? "data.tar" : "control.tar");
out:
	archive_read_free(a);
}

static void
inflated_free(struct inflated *x)
{
	free(x->control.data);
	free(x->data.data);
	free(x->error);
	memset(x, 0, sizeof *x);
}

static void *
worker(void *arg)
{
	struct inflater	*f = arg;
	size_t		 i;

	pthread_mutex_lock(&f->mu);
	while (!f->stop && f->next < f->set->n) {
		/* The one the writer needs next may always start. */
		if (f->next != f->taken &&
		    (f->next - f->taken >= AHEAD_PACKAGES ||
		    f->ahead >= AHEAD_BYTES)) {
			pthread_cond_wait(&f->cv, &f->mu);
			continue;
		}
		i = f->next++;
		pthread_mutex_unlock(&f->mu);
		inflate_deb(f->set->v[i].path, &f->v[i], &f->abandon);
		pthread_mutex_lock(&f->mu);
		f->done[i] = 1;
		f->ahead += f->v[i].control.len + f->v[i].data.len;
		pthread_cond_broadcast(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	return (NULL);
}

static int
cpus(void)
{
	cpu_set_t	 set;

	if (sched_getaffinity(0, sizeof set, &set) == -1)
		return (1);
	return (CPU_COUNT(&set));
}

struct inflater *
inflate_start(const struct debset *set)
{
	struct inflater	*f = xcalloc(1, sizeof *f);
	int		 n = cpus();

	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->set = set;
	f->v = xcalloc(set->n + 1, sizeof *f->v);
	f->done = xcalloc(set->n + 1, sizeof *f->done);
	if (n > INFLATE_THREADS)
		n = INFLATE_THREADS;
	while (f->nthreads < n && pthread_create(&f->threads[f->nthreads],
	    NULL, worker, f) == 0)
		f->nthreads++;
	return (f);
}

/*
 * Package i, decompressed: NULL, and the reason in cause, when it could
 * not be read or a signal asked us to stop while we waited for it. Taken
 * in order; the memory stays the inflater's until inflate_release().
 */
const struct inflated *
inflate_take(struct inflater *f, size_t i, char **cause)
{
	struct timespec	 ts;

	pthread_mutex_lock(&f->mu);
	f->taken = i;
	pthread_cond_broadcast(&f->cv);
	while (!f->done[i] && f->nthreads > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&f->cv, &f->mu, &ts);
		if (image_interrupted(cause)) {
			pthread_mutex_unlock(&f->mu);
			return (NULL);
		}
	}
	pthread_mutex_unlock(&f->mu);
	/* No thread could be started: do it here. */
	if (!f->done[i]) {
		inflate_deb(f->set->v[i].path, &f->v[i], &f->abandon);
		f->done[i] = 1;
	}
	if (f->v[i].error != NULL) {
		*cause = xstrdup(f->v[i].error);
		return (NULL);
	}
	return (&f->v[i]);
}

void
inflate_release(struct inflater *f, size_t i)
{
	pthread_mutex_lock(&f->mu);
	if (f->done[i] && f->nthreads > 0)
		f->ahead -= f->v[i].control.len + f->v[i].data.len;
	inflated_free(&f->v[i]);
	f->taken = i + 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

void
inflate_stop(struct inflater *f)
{
	size_t	 i;
	int	 t;

	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	atomic_store(&f->abandon, 1);
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	for (t = 0; t < f->nthreads; t++)
		pthread_join(f->threads[t], NULL);
	for (i = 0; i < f->set->n; i++)
		inflated_free(&f->v[i]);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f->v);
	free(f->done);
	free(f);
}
