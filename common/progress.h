/* progress.h - a status line on a terminal while a program works. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_PROGRESS_H
#define DMO_PROGRESS_H

/*
 * One line on the standard error, redrawn at most 5 times a second:
 * records in and out, rejected, bytes read, the rate, the time so far.
 * It is on when stderr is a terminal (and TERM is not "dumb") and the
 * program's records do not go to a pipe (the last stage of a pipeline
 * shows its line, not every stage) or to the terminal, or when
 * --progress asks (then, on anything but a terminal, a plain line each
 * second and one at the end); --no-progress turns it off.  The line is
 * erased before any message and at the end.
 *
 * Programs call dmo_run_tick(run) (cli.h) once per record read: a
 * decrement and a test, and every few thousand records at most a look at
 * the clock (dmo_progress_tick).  dmo_run_start starts it and
 * dmo_run_finish ends it; run->reader, when set, gives the bytes read so
 * far from the current source.
 */
struct dmo_run;

void	 dmo_progress_start(struct dmo_run *);
void	 dmo_progress_tick(struct dmo_run *);
void	 dmo_progress_end(struct dmo_run *);

/* Erase the line, if one is shown, before a message (err.c, cli.c). */
void	 dmo_progress_clear(void);

#endif
