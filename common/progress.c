/* progress.c - a status line on a terminal while a program works. */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "format.h"
#include "io.h"
#include "progress.h"

#define FD		2
#define TTY_EVERY	0.2	/* seconds between redraws on a terminal */
#define LOG_EVERY	1.0	/* and between lines elsewhere */
#define CHECK_EVERY	0.05	/* aim: a look at the clock this often */
#define MAX_TICK	4096	/* records between looks, at most */

/* One run shows progress at a time: the state is here, for the hooks. */
static struct {
	struct dmo_run		*run;
	int			 tty;
	int			 shown;		/* a line is on the terminal */
	struct timespec		 start;
	struct timespec		 check;		/* last look at the clock */
	unsigned long long	 check_in;	/* run->in then */
	struct timespec		 draw;		/* last line drawn */
	unsigned long long	 draw_in;
	double			 rate;		/* records per second */
	int			 drawn;		/* a line was ever drawn */
} P;

static double
diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) +
	    (double)(a->tv_nsec - b->tv_nsec) / 1e9;
}

static void
put(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(FD, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return;		/* a status line is not worth failing */
		}
		p += w;
		n -= (size_t)w;
	}
}

/* 999 -> "999", 12345678 -> "12.3 M": numbers read at a glance. */
static void
count(char *buf, size_t len, double v, const char *unit, double base)
{
	static const char *const dec[] = { "", "k", "M", "G", "T", "P" };
	static const char *const bin[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi" };
	const char *const *pre = base == 1024 ? bin : dec;
	size_t i = 0;

	while (v >= 1000 && i + 1 < sizeof(dec) / sizeof(dec[0])) {
		v /= base;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0f%s%s", v, *unit != '\0' ? " " : "",
		    unit);
	else
		snprintf(buf, len, "%.1f %s%s", v, pre[i], unit);
}

static void
draw(const struct timespec *now)
{
	struct dmo_run *run = P.run;
	unsigned long long bytes = run->bytes_in;
	double secs = diff(now, &P.start), dt = diff(now, &P.draw);
	char line[512], b[32], r[32];
	struct winsize ws;
	unsigned long s;
	size_t n;

	if (run->reader != NULL)
		bytes += dmo_reader_bytes(run->reader);
	/* The rate over the last interval, smoothed. */
	if (dt > 0 && P.drawn) {
		double inst = (double)(run->in - P.draw_in) / dt;

		P.rate = P.rate == 0 ? inst : 0.5 * P.rate + 0.5 * inst;
	} else if (secs > 0)
		P.rate = (double)run->in / secs;
	count(b, sizeof(b), (double)bytes, "B", 1024);
	count(r, sizeof(r), P.rate, "", 1000);
	s = (unsigned long)secs;
	n = (size_t)snprintf(line, sizeof(line), "%s: %llu in, %llu out, "
	    "%llu rejected, %s, %s rec/s, %lu:%02lu:%02lu", dmo_getprogname(),
	    run->in, run->out, run->rejected, b, r, s / 3600, s / 60 % 60,
	    s % 60);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	if (P.tty) {
		/* Never wrap: a wrapped line cannot be redrawn in place. */
		if (ioctl(FD, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 &&
		    n > (size_t)ws.ws_col - 1)
			n = (size_t)ws.ws_col - 1;
		put("\r", 1);
		put(line, n);
		put("\033[K", 3);
		P.shown = 1;
	} else {
		line[n] = '\n';
		put(line, n + 1);
	}
	P.draw = *now;
	P.draw_in = run->in;
	P.drawn = 1;
}

/* The input pauses: keep the line moving while we wait. */
static void
on_wait(void *arg)
{
	struct dmo_run *run = arg;
	struct timespec now;

	if (P.run != run)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (diff(&now, &P.draw) >= (P.tty ? TTY_EVERY : LOG_EVERY))
		draw(&now);
}

void
dmo_progress_start(struct dmo_run *run)
{
	const char *term = getenv("TERM");
	int tty = isatty(FD) && (term == NULL || strcmp(term, "dumb") != 0);
	struct stat st;

	/*
	 * Records going to a pipe mean a later stage, whose line this one
	 * would fight over the same terminal line; records going to the
	 * terminal itself would be cut by the line.  Both stay quiet.
	 */
	if (!run->output_elsewhere && (isatty(STDOUT_FILENO) ||
	    (fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode))))
		tty = 0;
	if (run->progress == 0 || (run->progress < 0 && !tty) ||
	    P.run != NULL)
		return;
	memset(&P, 0, sizeof(P));
	P.run = run;
	P.tty = isatty(FD);
	P.start = run->start;
	clock_gettime(CLOCK_MONOTONIC, &P.check);
	P.draw = P.check;
	/* Programs tick as they read: the first line shows one record. */
	run->tick = 2;
	dmo_io_on_wait(on_wait, run);
}

void
dmo_progress_tick(struct dmo_run *run)
{
	struct timespec now;
	double dt, want;
	unsigned long long n;

	if (P.run != run) {
		run->tick = 0;		/* off: wraps to ULONG_MAX */
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* Look again after about CHECK_EVERY's worth of records. */
	dt = diff(&now, &P.check);
	n = run->in - P.check_in;
	want = dt > 0 ? (double)n * CHECK_EVERY / dt : MAX_TICK;
	run->tick = want < 1 ? 1 : want > MAX_TICK ? MAX_TICK :
	    (unsigned long)want;
	P.check = now;
	P.check_in = run->in;
	if (!P.drawn || diff(&now, &P.draw) >= (P.tty ? TTY_EVERY :
	    LOG_EVERY))
		draw(&now);
}

void
dmo_progress_end(struct dmo_run *run)
{
	struct timespec now;

	if (P.run != run)
		return;
	if (P.tty)
		dmo_progress_clear();
	else {
		clock_gettime(CLOCK_MONOTONIC, &now);
		draw(&now);
	}
	P.run = NULL;
	run->tick = 0;
}

void
dmo_progress_clear(void)
{
	if (!P.shown)
		return;
	put("\r\033[K", 4);
	P.shown = 0;
	/* Draw again at the next look at the clock. */
	P.drawn = 0;
}
