/* meter.c - time a shell command (best of n) and take its peak memory. */
/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * usage: meter [-n runs] [-p prepare] command
 *
 * Runs command with /bin/sh -c, runs times (default 3), with stdin and
 * stdout on /dev/null unless the command redirects them, and stderr
 * passed through.  Before each run, prepare (if given) runs the same way,
 * untimed; it is how bench/run starts each load with a fresh database.
 * Prints one line on stdout:
 *
 *	best-wall-seconds peak-rss-kib status cpu-seconds
 *
 * best-wall-seconds is the shortest wall-clock time of the runs;
 * peak-rss-kib is the largest resident set of any process of any run (what
 * wait4(2) reports in ru_maxrss: the command's own processes, each
 * measured alone, as GNU time's %M); status is 0 when every run exited 0,
 * else the first failure's exit status, or 128 plus the signal number, and
 * the runs stop there; cpu-seconds is user plus system time of the fastest
 * run.  This is what /usr/bin/time -f %M and a date(1) loop would give,
 * without depending on the time package or a shell's clock.
 */
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run cmd with sh -c; return its status as the shell would show it. */
static int
run(const char *cmd, struct rusage *ru)
{
	pid_t pid;
	int fd, st;

	if ((pid = fork()) == -1) {
		perror("meter: fork");
		exit(3);
	}
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) == -1) {
			perror("meter: /dev/null");
			_exit(127);
		}
		dup2(fd, 0);
		dup2(fd, 1);
		if (fd > 2)
			close(fd);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		perror("meter: /bin/sh");
		_exit(127);
	}
	while (wait4(pid, &st, 0, ru) == -1) {
		if (errno != EINTR) {
			perror("meter: wait4");
			exit(3);
		}
	}
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

int
main(int argc, char *argv[])
{
	struct rusage ru;
	const char *prep = NULL;
	double best = -1, cpu = 0, t0, t;
	long maxrss = 0, runs = 3, i;
	char *end;
	int ch, st = 0;

	while ((ch = getopt(argc, argv, "n:p:")) != -1) {
		switch (ch) {
		case 'n':
			runs = strtol(optarg, &end, 10);
			if (*end != '\0' || runs < 1 || runs > 1000) {
				fprintf(stderr, "meter: bad run count: \"%s\"\n",
				    optarg);
				return 2;
			}
			break;
		case 'p':
			prep = optarg;
			break;
		default:
			fputs("usage: meter [-n runs] [-p prepare] command\n",
			    stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fputs("usage: meter [-n runs] [-p prepare] command\n", stderr);
		return 2;
	}
	for (i = 0; i < runs && st == 0; i++) {
		if (prep != NULL && (st = run(prep, &ru)) != 0) {
			fprintf(stderr, "meter: prepare command failed: "
			    "status %d\n", st);
			return 3;
		}
		t0 = now();
		st = run(argv[optind], &ru);
		t = now() - t0;
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
		if (best < 0 || t < best) {
			best = t;
			cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			    (double)(ru.ru_utime.tv_usec +
			    ru.ru_stime.tv_usec) / 1e6;
		}
	}
	printf("%.3f %ld %d %.3f\n", best, maxrss, st, cpu);
	return ferror(stdout) || fflush(stdout) == EOF ? 3 : 0;
}
