/* http.c - HTTP(S) sources and targets through libcurl (the one user of it). */
/* SPDX-License-Identifier: BSD-2-Clause */
#include <sys/stat.h>

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>	/* isfinite: a macro, no libm */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "cli.h"
#include "exitcode.h"
#include "formatimpl.h"
#include "hash.h"
#include "http.h"
#include "io.h"

#define EXCERPT_MAX	200	/* bytes of an error body kept for messages */
#define BACKOFF_CAP	60.0	/* seconds: the longest computed backoff */

/* ------------------------------------------------------------ options */

void
dmo_http_opts_init(struct dmo_http_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout = 30;
	o->stall_timeout = 60;
	o->retries = 3;
	o->retry_delay = 1;
}

void
dmo_http_opts_release(struct dmo_http_opts *o)
{
	size_t i;

	for (i = 0; i < o->nheaders; i++) {
		explicit_bzero(o->headers[i], strlen(o->headers[i]));
		free(o->headers[i]);
	}
	free(o->headers);
	if (o->bearer != NULL) {
		explicit_bzero(o->bearer, strlen(o->bearer));
		free(o->bearer);
	}
	memset(o, 0, sizeof(*o));
}

/*
 * Read a secret file whole.  Refused when group or others may read or
 * write it (ssh's rule for private keys): a token that others can read
 * is a token already leaked.
 */
static int
read_secret(const char *path, struct dmo_buf *b, struct dmo_err *err)
{
	struct dmo_loc loc = { path, 0, 0 };
	struct stat st;
	char chunk[4096];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		dmo_err_sys(err, DMO_EXIT_USAGE, &loc, "%s", "");
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (!S_ISREG(st.st_mode))
			dmo_err_set(err, DMO_EXIT_USAGE, &loc,
			    "not a regular file");
		else
			dmo_err_sys(err, DMO_EXIT_USAGE, &loc, "%s", "");
		close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		dmo_err_set(err, DMO_EXIT_USAGE, &loc, "permissions %04o are "
		    "too open for a secret: chmod 600 it",
		    (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			dmo_err_sys(err, DMO_EXIT_USAGE, &loc, "read error");
			close(fd);
			return -1;
		}
		dmo_buf_add(b, chunk, (size_t)n);
		if (b->len > 1024 * 1024) {
			dmo_err_set(err, DMO_EXIT_USAGE, &loc,
			    "too large for a secret file");
			close(fd);
			return -1;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	dmo_buf_cstr(b);
	return 0;
}

static void
wipe(struct dmo_buf *b)
{
	if (b->p != NULL)
		explicit_bzero(b->p, b->cap);
	dmo_buf_release(b);
}

/* A token: no control bytes, no spaces (they would split the header). */
static int
set_bearer(struct dmo_http_opts *o, const char *tok, size_t len,
    const char *where, struct dmo_err *err)
{
	struct dmo_loc loc = { where, 0, 0 };
	size_t i;

	while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r' ||
	    tok[len - 1] == ' ' || tok[len - 1] == '\t'))
		len--;
	if (len == 0) {
		dmo_err_set(err, DMO_EXIT_USAGE, &loc, "empty bearer token");
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)tok[i] <= 0x20 || tok[i] == 0x7f) {
			/* Never quote a secret in a message. */
			dmo_err_set(err, DMO_EXIT_USAGE, &loc, "bearer token "
			    "has a space or control byte at offset %zu", i);
			return -1;
		}
	if (o->bearer != NULL) {
		explicit_bzero(o->bearer, strlen(o->bearer));
		free(o->bearer);
	}
	o->bearer = dmo_xmemdup(tok, len);
	return 0;
}

/* "Name: value" lines; blank lines and lines starting with # are skipped. */
static int
add_header_file(struct dmo_http_opts *o, const char *path,
    struct dmo_err *err)
{
	struct dmo_buf b = DMO_BUF_INIT;
	const char *p, *end, *nl;
	unsigned long line = 0;

	if (read_secret(path, &b, err) != 0) {
		wipe(&b);
		return -1;
	}
	for (p = b.p, end = b.p + b.len; p != NULL && p < end; p = nl + 1) {
		struct dmo_loc loc = { path, ++line, 0 };
		const char *q, *colon;
		size_t len;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0 || *p == '#')
			continue;
		for (q = p; q < p + len && *q != ':'; q++)
			if ((unsigned char)*q <= 0x20 || *q == 0x7f ||
			    strchr("()<>@,;\\\"/[]?={}", *q) != NULL)
				break;
		colon = q;
		if (colon == p || colon >= p + len || *colon != ':') {
			dmo_err_set(err, DMO_EXIT_USAGE, &loc, "not a "
			    "'Name: value' header line");
			wipe(&b);
			return -1;
		}
		for (q = colon + 1; q < p + len; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t') ||
			    *q == 0x7f) {
				dmo_err_set(err, DMO_EXIT_USAGE, &loc, "header "
				    "'%.*s': control byte in the value",
				    (int)(colon - p), p);
				wipe(&b);
				return -1;
			}
		o->headers = dmo_xreallocarray(o->headers, o->nheaders + 1,
		    sizeof(*o->headers));
		o->headers[o->nheaders++] = dmo_xmemdup(p, len);
	}
	wipe(&b);
	return 0;
}

static int
bad_value(struct dmo_err *err, const char *opt, const char *what,
    const char *arg)
{
	dmo_err_set(err, DMO_EXIT_USAGE, NULL, "option '%s': %s: %s", opt,
	    what, dmo_quote(arg, strlen(arg)));
	return -1;
}

int
dmo_http_option(struct dmo_http_opts *o, int ch, const char *arg,
    struct dmo_err *err)
{
	struct dmo_buf b = DMO_BUF_INIT;
	unsigned long long n;
	const char *v;
	int rc;

	switch (ch) {
	case DMO_HTTP_OPT_BEARER_ENV:
		if ((v = getenv(arg)) == NULL || *v == '\0') {
			dmo_err_set(err, DMO_EXIT_USAGE, NULL, "option "
			    "'--bearer-env': environment variable '%s' is "
			    "not set", arg);
			return -1;
		}
		return set_bearer(o, v, strlen(v), arg, err) == 0 ? 1 : -1;
	case DMO_HTTP_OPT_BEARER_FILE:
		if (read_secret(arg, &b, err) != 0) {
			wipe(&b);
			return -1;
		}
		rc = set_bearer(o, b.p != NULL ? b.p : "", b.len, arg, err);
		wipe(&b);
		return rc == 0 ? 1 : -1;
	case DMO_HTTP_OPT_CACERT:
		if (access(arg, R_OK) != 0) {
			struct dmo_loc loc = { arg, 0, 0 };

			dmo_err_sys(err, DMO_EXIT_USAGE, &loc, "%s", "");
			return -1;
		}
		o->cacert = arg;
		return 1;
	case DMO_HTTP_OPT_CONNECT_TIMEOUT:
		if (dmo_parse_seconds(arg, &o->connect_timeout) != 0)
			return bad_value(err, "--connect-timeout",
			    "not a duration", arg);
		return 1;
	case DMO_HTTP_OPT_HEADER_FILE:
		return add_header_file(o, arg, err) == 0 ? 1 : -1;
	case DMO_HTTP_OPT_INSECURE:
		o->insecure = 1;
		return 1;
	case DMO_HTTP_OPT_RETRIES:
		if (dmo_parse_ull(arg, &n) != 0 || n > 1000)
			return bad_value(err, "--retries", "not a count from 0 "
			    "to 1000", arg);
		o->retries = (unsigned long)n;
		return 1;
	case DMO_HTTP_OPT_RETRY_DELAY:
		if (dmo_parse_seconds(arg, &o->retry_delay) != 0)
			return bad_value(err, "--retry-delay", "not a duration",
			    arg);
		return 1;
	case DMO_HTTP_OPT_RETRY_MAX_TIME:
		if (dmo_parse_seconds(arg, &o->retry_max_time) != 0)
			return bad_value(err, "--retry-max-time",
			    "not a duration", arg);
		return 1;
	case DMO_HTTP_OPT_STALL_TIMEOUT:
		if (dmo_parse_seconds(arg, &o->stall_timeout) != 0)
			return bad_value(err, "--stall-timeout",
			    "not a duration", arg);
		return 1;
	case DMO_HTTP_OPT_TIMEOUT:
		if (dmo_parse_seconds(arg, &o->timeout) != 0)
			return bad_value(err, "--timeout", "not a duration",
			    arg);
		return 1;
	}
	return 0;
}

int
dmo_http_is_url(const char *s)
{
	return s != NULL && (strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0);
}

/* ------------------------------------------------------ shared parts */

/*
 * A password in the URL would be a secret in argv (and in every message
 * and source field that names the URL): refused.  0, or -1 (err set).
 */
static int
check_url(const char *url, struct dmo_err *err)
{
	CURLU *u = curl_url();
	char *pw = NULL;
	int rc = 0;

	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "a password in a URL "
		    "is a secret on the command line: use ~/.netrc or "
		    "--header-file");
		rc = -1;
	}
	curl_free(pw);
	curl_url_cleanup(u);
	return rc;
}

static void
global_init(void)
{
	static int done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = 1;
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Uniform in [0, 1): full jitter needs no better randomness. */
static double
jitter(void)
{
	static uint64_t s;

	if (s == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		s = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
		    ((uint64_t)getpid() << 40) ^ 0x9e3779b97f4a7c15ULL;
	}
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return (double)(s >> 11) / 9007199254740992.0;
}

static void
sleep_for(double secs)
{
	struct timespec ts;

	if (secs <= 0)
		return;
	/* Let downstream see what we have before we pause. */
	dmo_io_before_wait();
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

/* One request's response, as the header callback saw it. */
struct resp {
	long		 status;
	char		 reason[64];	/* the status line's reason phrase */
	char		*ctype;
	char		*link_next;	/* Link: <..>; rel="next" */
	double		 retry_after;	/* seconds, or -1 */
	struct dmo_buf	 excerpt;	/* the start of an error body */
	char		 errbuf[CURL_ERROR_SIZE];
};

static void
resp_reset(struct resp *rs)
{
	rs->status = 0;
	rs->reason[0] = '\0';
	free(rs->ctype);
	rs->ctype = NULL;
	free(rs->link_next);
	rs->link_next = NULL;
	rs->retry_after = -1;
	rs->excerpt.len = 0;
}

static void
resp_release(struct resp *rs)
{
	resp_reset(rs);
	dmo_buf_release(&rs->excerpt);
}

/* Retry-After: delay-seconds or an HTTP-date. */
static double
parse_retry_after(const char *v)
{
	char *end;
	double d;
	time_t t;

	while (*v == ' ' || *v == '\t')
		v++;
	if (*v >= '0' && *v <= '9') {
		errno = 0;
		d = strtod(v, &end);
		while (*end == ' ' || *end == '\t')
			end++;
		return errno == 0 && *end == '\0' && isfinite(d) ? d : -1;
	}
	if ((t = curl_getdate(v, NULL)) < 0)
		return -1;
	d = difftime(t, time(NULL));
	return d > 0 ? d : 0;
}

/*
 * RFC 8288: Link: <uri>; rel="next"; title="x", <uri2>; rel=prev.  The
 * first link whose rel list has "next"; NULL when there is none.
 */
static char *parse_link_next(const char *, const char *);

char *
dmo_http_link_next(const char *value)
{
	return parse_link_next(value, value + strlen(value));
}

double
dmo_http_retry_after(const char *value)
{
	return parse_retry_after(value);
}

static char *
parse_link_next(const char *p, const char *end)
{
	while (p < end) {
		const char *u0, *u1;
		int next = 0;

		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p >= end || *p != '<')
			return NULL;
		u0 = p + 1;
		if ((u1 = memchr(u0, '>', (size_t)(end - u0))) == NULL)
			return NULL;
		p = u1 + 1;
		/* Parameters up to the next ',' outside quotes. */
		while (p < end && *p != ',') {
			const char *n0, *n1, *v0, *v1;

			while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
				p++;
			n0 = p;
			while (p < end && *p != '=' && *p != ';' && *p != ',' &&
			    *p != ' ' && *p != '\t')
				p++;
			n1 = p;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			v0 = v1 = p;
			if (p < end && *p == '=') {
				p++;
				while (p < end && (*p == ' ' || *p == '\t'))
					p++;
				if (p < end && *p == '"') {
					v0 = ++p;
					while (p < end && *p != '"') {
						if (*p == '\\' && p + 1 < end)
							p++;
						p++;
					}
					v1 = p;
					if (p < end)
						p++;
				} else {
					v0 = p;
					while (p < end && *p != ';' &&
					    *p != ',' && *p != ' ' && *p != '\t')
						p++;
					v1 = p;
				}
			}
			if (n1 - n0 == 3 && strncasecmp(n0, "rel", 3) == 0) {
				/* rel is a space-separated list of types. */
				const char *q = v0;

				while (q < v1) {
					const char *w = q;

					while (q < v1 && *q != ' ')
						q++;
					if (q - w == 4 &&
					    strncasecmp(w, "next", 4) == 0)
						next = 1;
					while (q < v1 && *q == ' ')
						q++;
				}
			}
			if (n1 == n0 && p < end && *p != ',' && *p != ';')
				p++;	/* junk: step over it */
		}
		if (next && u1 > u0)
			return dmo_xmemdup(u0, (size_t)(u1 - u0));
	}
	return NULL;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct resp *rs = ctx;
	size_t n = size * nmemb, len = n, nlen;
	const char *colon, *v, *e;

	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or a 100): start over. */
		const char *sp = memchr(p, ' ', len), *sp2;

		resp_reset(rs);
		if (sp != NULL) {
			rs->status = strtol(sp + 1, NULL, 10);
			sp2 = memchr(sp + 1, ' ', len - (size_t)(sp + 1 - p));
			if (sp2 != NULL) {
				size_t rl = len - (size_t)(sp2 + 1 - p);

				if (rl >= sizeof(rs->reason))
					rl = sizeof(rs->reason) - 1;
				memcpy(rs->reason, sp2 + 1, rl);
				rs->reason[rl] = '\0';
			}
		}
		return n;
	}
	if ((colon = memchr(p, ':', len)) == NULL)
		return n;
	nlen = (size_t)(colon - p);
	v = colon + 1;
	e = p + len;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (nlen == 12 && strncasecmp(p, "content-type", 12) == 0) {
		free(rs->ctype);
		rs->ctype = dmo_xmemdup(v, (size_t)(e - v));
	} else if (nlen == 4 && strncasecmp(p, "link", 4) == 0) {
		if (rs->link_next == NULL)
			rs->link_next = parse_link_next(v, e);
	} else if (nlen == 11 && strncasecmp(p, "retry-after", 11) == 0) {
		char *s = dmo_xmemdup(v, (size_t)(e - v));

		rs->retry_after = parse_retry_after(s);
		free(s);
	}
	return n;
}

/* The options every request shares; 0 or -1 (err set). */
static int
setup_easy(CURL *c, const struct dmo_http_opts *o, struct resp *rs,
    struct curl_slist **hdrs, struct dmo_err *err)
{
	struct curl_slist *h = NULL;
	struct dmo_buf b = DMO_BUF_INIT;
	size_t i;

	for (i = 0; i < o->nheaders; i++)
		h = curl_slist_append(h, o->headers[i]);
	if (o->bearer != NULL) {
		dmo_buf_printf(&b, "Authorization: Bearer %s", o->bearer);
		h = curl_slist_append(h, b.p);
		wipe(&b);
	}
	*hdrs = h;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "dmo/" DMO_VERSION);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, rs->errbuf);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, rs);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(o->connect_timeout * 1000));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o->timeout * 1000));
	if (o->cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	if (o->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	(void)err;
	return 0;
}

/* The error text of a failed transfer. */
static const char *
curl_msg(CURLcode rc, const struct resp *rs)
{
	return rs->errbuf[0] != '\0' ? rs->errbuf : curl_easy_strerror(rc);
}

/* Worth another try: time-outs, refused or cut connections. */
static int
transient_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
		return 1;
	default:
		return 0;
	}
}

static int
transient_status(long s)
{
	return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 ||
	    s == 504;
}

/* "HTTP 503 Service Unavailable: "body excerpt"" into err. */
static void
status_error(struct dmo_err *err, int code, const char *url,
    const struct resp *rs, const char *prefix)
{
	struct dmo_loc loc = { url, 0, 0 };
	const char *ex = rs->excerpt.p;
	size_t exlen = rs->excerpt.len;

	while (exlen > 0 && (ex[exlen - 1] == '\n' || ex[exlen - 1] == '\r' ||
	    ex[exlen - 1] == ' '))
		exlen--;
	if (exlen > 0)
		dmo_err_set(err, code, &loc, "%sHTTP %ld%s%s: %s", prefix,
		    rs->status, *rs->reason ? " " : "", rs->reason,
		    dmo_quote(ex, exlen));
	else
		dmo_err_set(err, code, &loc, "%sHTTP %ld%s%s", prefix,
		    rs->status, *rs->reason ? " " : "", rs->reason);
}

/* Put fmt and ": " before err's message. */
static void __attribute__((format(printf, 2, 3)))
err_wrap(struct dmo_err *err, const char *fmt, ...)
{
	char head[256], old[sizeof(err->msg)];
	size_t hl, ol;
	va_list ap;

	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	hl = strlen(head);
	ol = strnlen(old, sizeof(old) - 1);
	if (hl + 2 + ol >= sizeof(err->msg))
		ol = sizeof(err->msg) - 1 - hl - 2;
	memcpy(err->msg, head, hl);
	memcpy(err->msg + hl, ": ", 2);
	memcpy(err->msg + hl + 2, old, ol);
	err->msg[hl + 2 + ol] = '\0';
}

/*
 * Retries of one request: tries so far, when the first began.  wait
 * sleeps before the next try and returns 0, or -1 when no try is left
 * (err then says so, built on the last failure in err).
 */
struct tries {
	unsigned long	 n;		/* tries made */
	double		 t0;
	unsigned long long total_retries;
};

static int
retry_wait(struct tries *t, const struct dmo_http_opts *o, double retry_after,
    struct dmo_err *err)
{
	double delay, cap, left;

	if (t->n > o->retries) {
		if (t->n > 1)
			err_wrap(err, "gave up after %lu tries", t->n);
		return -1;
	}
	if (retry_after >= 0)
		delay = retry_after;
	else {
		cap = o->retry_delay * (double)(1UL << (t->n - 1 < 30 ?
		    t->n - 1 : 30));
		if (cap > BACKOFF_CAP)
			cap = BACKOFF_CAP;
		delay = cap * jitter();
	}
	if (o->retry_max_time > 0) {
		left = o->retry_max_time - (now() - t->t0);
		if (delay > left) {
			if (retry_after >= 0)
				err_wrap(err, "gave up after %lu tr%s: the "
				    "server asks to wait %gs, more than "
				    "--retry-max-time allows", t->n,
				    t->n == 1 ? "y" : "ies", retry_after);
			else
				err_wrap(err, "gave up after %lu tr%s "
				    "(--retry-max-time)", t->n,
				    t->n == 1 ? "y" : "ies");
			return -1;
		}
	}
	sleep_for(delay);
	t->total_retries++;
	return 0;
}

/* ---------------------------------------------------------- sources */

/*
 * A URL read page after page.  The body streams: curl's multi interface
 * is pumped from the dmo_in read function, body bytes go straight into
 * the reader's buffer (the rest of a chunk waits in stage), and outputs
 * are flushed before each wait.
 */
struct src {
	const struct dmo_http_opts *o;
	CURLM		*multi;
	CURL		*easy;
	struct curl_slist *hdrs;
	struct resp	 rs;
	char		*url;		/* this page */
	const char	*captures[2];
	int		 in_multi;
	int		 paused;	/* on_body said CURL_WRITEFUNC_PAUSE */
	/* the transfer */
	int		 done;
	CURLcode	 result;
	int		 failed;	/* the body could not be read whole */
	struct dmo_err	 ferr;
	long		 status;	/* 0 until the first body byte */
	struct dmo_buf	 stage;
	size_t		 stage_pos;
	char		*dst;
	size_t		 dstcap, dstlen;
	double		 last_data;
	unsigned long long body_bytes;
	long long	 expect;	/* Content-Length, or -1 */
	/* pages */
	struct tries	 tries;
	unsigned long long pages;
	unsigned long long page_records;
	unsigned long long pageno, offset;	/* --page-param, --offset-param */
	int		 finished;
};

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct src *h = ctx;
	size_t n = size * nmemb, total = n, k;

	h->last_data = now();
	if (h->status == 0) {
		curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->status);
		if (h->status == 0)
			h->status = h->rs.status;
	}
	if (h->status < 200 || h->status > 299) {
		if (h->rs.excerpt.len < EXCERPT_MAX)
			dmo_buf_add(&h->rs.excerpt, p,
			    n < EXCERPT_MAX - h->rs.excerpt.len ? n :
			    EXCERPT_MAX - h->rs.excerpt.len);
		return total;
	}
	/*
	 * Hold at most one chunk: while one waits in stage, pause the
	 * transfer (curl keeps the chunk and gives it again on unpause).
	 */
	if (h->stage_pos < h->stage.len) {
		h->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	h->body_bytes += n;
	if (h->dst != NULL && h->dstlen < h->dstcap) {
		k = h->dstcap - h->dstlen < n ? h->dstcap - h->dstlen : n;
		memcpy(h->dst + h->dstlen, p, k);
		h->dstlen += k;
		p += k;
		n -= k;
	}
	if (n > 0) {
		if (h->stage_pos == h->stage.len)
			h->stage_pos = h->stage.len = 0;
		dmo_buf_add(&h->stage, p, n);
	}
	if (h->o->progress != NULL)
		h->o->progress(h->o->progress_ctx, h->body_bytes, h->expect);
	return total;
}

/* Run curl; wait (flushing outputs first) when it has nothing for us. */
static void
pump(struct src *h, int may_wait)
{
	CURLMsg *m;
	int running, q, nfds = 0;
	size_t before = h->dstlen + h->stage.len;

	curl_multi_perform(h->multi, &running);
	while ((m = curl_multi_info_read(h->multi, &q)) != NULL)
		if (m->msg == CURLMSG_DONE) {
			h->done = 1;
			h->result = m->data.result;
		}
	if (h->done || !may_wait || h->dstlen + h->stage.len != before)
		return;
	curl_multi_poll(h->multi, NULL, 0, 0, &nfds);
	if (nfds == 0) {
		dmo_io_before_wait();
		curl_multi_poll(h->multi, NULL, 0, 200, NULL);
	}
}

static void
src_stop(struct src *h)
{
	if (h->in_multi) {
		curl_multi_remove_handle(h->multi, h->easy);
		h->in_multi = 0;
	}
}

/* Start a request for h->url. */
static void
src_start(struct src *h)
{
	src_stop(h);
	resp_reset(&h->rs);
	h->rs.errbuf[0] = '\0';
	h->done = 0;
	h->failed = 0;
	h->paused = 0;
	h->result = CURLE_OK;
	h->status = 0;
	h->stage.len = h->stage_pos = 0;
	h->body_bytes = 0;
	h->expect = -1;
	h->last_data = now();
	curl_easy_setopt(h->easy, CURLOPT_URL, h->url);
	curl_multi_add_handle(h->multi, h->easy);
	h->in_multi = 1;
}

/* The transfer ended badly: say why in err. */
static void
xfer_error(struct src *h, struct dmo_err *err)
{
	struct dmo_loc loc = { h->url, 0, 0 };

	if (h->result == CURLE_PARTIAL_FILE)
		dmo_err_set(err, DMO_EXIT_IO, &loc, "body cut short after "
		    "%llu bytes: %s", h->body_bytes, curl_msg(h->result,
		    &h->rs));
	else
		dmo_err_set(err, DMO_EXIT_IO, &loc, "%s",
		    curl_msg(h->result, &h->rs));
}

/* Has the body stalled (no byte for --stall-timeout while we wait)? */
static int
stalled(struct src *h, double since)
{
	double t = h->last_data > since ? h->last_data : since;

	return h->o->stall_timeout > 0 && now() - t > h->o->stall_timeout;
}

static void
stall_error(struct src *h, struct dmo_err *err)
{
	struct dmo_loc loc = { h->url, 0, 0 };

	src_stop(h);
	h->done = 1;
	h->result = CURLE_OPERATION_TIMEDOUT;
	dmo_err_set(err, DMO_EXIT_IO, &loc, "transfer stalled: no data for "
	    "%gs (--stall-timeout)", h->o->stall_timeout);
}

static ssize_t
src_read(void *ctx, char *buf, size_t n, struct dmo_err *err)
{
	struct src *h = ctx;
	double since = now();
	size_t k;

	if (h->failed) {
		*err = h->ferr;
		return -1;
	}
	while (h->stage_pos == h->stage.len && !h->done) {
		h->dst = buf;
		h->dstcap = n;
		h->dstlen = 0;
		if (h->paused) {
			/* This may hand over the held chunk at once. */
			h->paused = 0;
			curl_easy_pause(h->easy, CURLPAUSE_CONT);
		}
		pump(h, h->dstlen == 0);
		h->dst = NULL;
		if (h->dstlen > 0)
			return (ssize_t)h->dstlen;
		if (!h->done && stalled(h, since)) {
			stall_error(h, &h->ferr);
			h->failed = 1;
			*err = h->ferr;
			return -1;
		}
	}
	if (h->stage_pos < h->stage.len) {
		k = h->stage.len - h->stage_pos < n ? h->stage.len -
		    h->stage_pos : n;
		memcpy(buf, h->stage.p + h->stage_pos, k);
		h->stage_pos += k;
		return (ssize_t)k;
	}
	if (h->result == CURLE_OK)
		return 0;
	xfer_error(h, &h->ferr);
	h->failed = 1;
	*err = h->ferr;
	return -1;
}

/* The format a Content-Type names, or DMO_FMT_AUTO. */
static enum dmo_format
format_by_type(const char *ct)
{
	size_t len;

	if (ct == NULL)
		return DMO_FMT_AUTO;
	len = strcspn(ct, "; \t");
#define IS(s)	(len == sizeof(s) - 1 && strncasecmp(ct, s, len) == 0)
	if (IS("text/csv") || IS("application/csv"))
		return DMO_FMT_CSV;
	if (IS("text/tab-separated-values"))
		return DMO_FMT_TSV;
	if (IS("application/x-ndjson") || IS("application/ndjson") ||
	    IS("application/jsonl") || IS("application/x-jsonlines") ||
	    IS("application/jsonlines") || IS("application/x-ldjson"))
		return DMO_FMT_NDJSON;
	if (IS("application/json") || IS("text/json") ||
	    (len > 5 && strncasecmp(ct + len - 5, "+json", 5) == 0))
		return DMO_FMT_JSON;
#undef IS
	return DMO_FMT_AUTO;
}

/* The path of a URL, for choosing a format by its extension. */
static char *
url_path(const char *url)
{
	CURLU *u = curl_url();
	char *p = NULL, *r;

	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &p, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return dmo_xstrdup(url);
	}
	r = dmo_xstrdup(p);
	curl_free(p);
	curl_url_cleanup(u);
	return r;
}

/* ref resolved against base (RFC 3986), or NULL. */
static char *
url_resolve(const char *base, const char *ref)
{
	CURLU *u = curl_url();
	char *p = NULL, *r = NULL;

	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &p, 0) == CURLUE_OK) {
		r = dmo_xstrdup(p);
		curl_free(p);
	}
	curl_url_cleanup(u);
	return r;
}

/*
 * The value of query parameter name in url (NULL when absent), and with
 * set != NULL, the url with that parameter replaced by name=set.
 */
static char *
url_param(const char *url, const char *name, const char *set, char **value)
{
	CURLU *u = curl_url();
	char *q = NULL, *r = NULL, *p;
	struct dmo_buf nq = DMO_BUF_INIT, pair = DMO_BUF_INIT;
	size_t nlen = strlen(name);
	const char *s, *amp;

	if (value != NULL)
		*value = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return NULL;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &q, 0) != CURLUE_OK)
		q = NULL;
	for (s = q; s != NULL && *s != '\0'; s = amp != NULL ? amp + 1 : "") {
		size_t len;

		amp = strchr(s, '&');
		len = amp != NULL ? (size_t)(amp - s) : strlen(s);
		if (len >= nlen && strncmp(s, name, nlen) == 0 &&
		    (len == nlen || s[nlen] == '=')) {
			if (value != NULL && *value == NULL)
				*value = len > nlen ? dmo_xmemdup(s + nlen + 1,
				    len - nlen - 1) : dmo_xstrdup("");
			continue;
		}
		if (nq.len > 0)
			dmo_buf_addc(&nq, '&');
		dmo_buf_add(&nq, s, len);
	}
	if (set != NULL) {
		curl_url_set(u, CURLUPART_QUERY, nq.len > 0 ? dmo_buf_cstr(&nq) :
		    NULL, 0);
		dmo_buf_printf(&pair, "%s=%s", name, set);
		curl_url_set(u, CURLUPART_QUERY, dmo_buf_cstr(&pair),
		    CURLU_APPENDQUERY | CURLU_URLENCODE);
		if (curl_url_get(u, CURLUPART_URL, &p, 0) == CURLUE_OK) {
			r = dmo_xstrdup(p);
			curl_free(p);
		}
	}
	curl_free(q);
	dmo_buf_release(&nq);
	dmo_buf_release(&pair);
	curl_url_cleanup(u);
	return r;
}

/*
 * A captured JSON value as text: a string decoded, a number as written.
 * NULL for null, false, "" and anything else (no next page).
 */
static char *
capture_text(const char *v, size_t len, int *bad)
{
	struct dmo_buf b = DMO_BUF_INIT;
	size_t i;

	*bad = 0;
	if (len == 0 || strcmp(v, "null") == 0 || strcmp(v, "false") == 0)
		return NULL;
	if ((*v >= '0' && *v <= '9') || *v == '-')
		return dmo_xmemdup(v, len);
	if (*v != '"' || len < 2) {
		*bad = 1;
		return NULL;
	}
	for (i = 1; i < len - 1; i++) {
		char c = v[i];

		if (c != '\\') {
			dmo_buf_addc(&b, c);
			continue;
		}
		if (++i >= len - 1)
			break;
		switch (v[i]) {
		case 'b': dmo_buf_addc(&b, '\b'); break;
		case 'f': dmo_buf_addc(&b, '\f'); break;
		case 'n': dmo_buf_addc(&b, '\n'); break;
		case 'r': dmo_buf_addc(&b, '\r'); break;
		case 't': dmo_buf_addc(&b, '\t'); break;
		case 'u': {
			unsigned cp = 0, k;

			for (k = 1; k <= 4 && i + k < len - 1; k++) {
				char d = v[i + k];

				cp = cp * 16 + (unsigned)(d >= 'a' ? d - 'a' + 10 :
				    d >= 'A' ? d - 'A' + 10 : d - '0');
			}
			i += 4;
			/* URLs and cursors are ASCII; others pass as UTF-8. */
			if (cp < 0x80)
				dmo_buf_addc(&b, (int)cp);
			else if (cp < 0x800) {
				dmo_buf_addc(&b, (int)(0xc0 | (cp >> 6)));
				dmo_buf_addc(&b, (int)(0x80 | (cp & 0x3f)));
			} else {
				dmo_buf_addc(&b, (int)(0xe0 | (cp >> 12)));
				dmo_buf_addc(&b, (int)(0x80 | ((cp >> 6) &
				    0x3f)));
				dmo_buf_addc(&b, (int)(0x80 | (cp & 0x3f)));
			}
			break;
		}
		default:
			dmo_buf_addc(&b, v[i]);
		}
	}
	if (b.len == 0) {
		dmo_buf_release(&b);
		return NULL;
	}
	return (char *)dmo_buf_cstr(&b);
}

/*
 * The URL of the page after the one just read, or NULL when it was the
 * last.  -1 (err set) when the server's answer makes no sense.
 */
static int
next_url(struct dmo_reader *r, struct src *h, char **next,
    struct dmo_err *err)
{
	const struct dmo_http_opts *o = h->o;
	struct dmo_loc loc = { h->url, 0, 0 };
	char *eff = NULL, *v, num[32];
	const char *cv;
	size_t clen;
	int bad;

	*next = NULL;
	if (o->next_field != NULL || o->cursor_field != NULL) {
		const char *opt = o->next_field != NULL ? "--next-field" :
		    "--cursor-field";

		if ((cv = dmo_reader_capture(r, 0, &clen)) == NULL)
			return 0;
		v = capture_text(cv, clen, &bad);
		if (bad) {
			dmo_err_set(err, DMO_EXIT_DATA, &loc, "option '%s': "
			    "not a string or number: %s", opt,
			    dmo_quote(cv, clen));
			return -1;
		}
		if (v == NULL)
			return 0;
		if (o->next_field != NULL) {
			curl_easy_getinfo(h->easy, CURLINFO_EFFECTIVE_URL,
			    &eff);
			*next = url_resolve(eff != NULL ? eff : h->url, v);
			if (*next == NULL) {
				dmo_err_set(err, DMO_EXIT_DATA, &loc, "option "
				    "'--next-field': not a URL: %s",
				    dmo_quote(v, strlen(v)));
				free(v);
				return -1;
			}
		} else
			*next = url_param(h->url, o->cursor_param, v, NULL);
		free(v);
		return 0;
	}
	if (o->page_param != NULL || o->offset_param != NULL) {
		if (h->page_records == 0)
			return 0;	/* an empty page is the end */
		if (o->page_param != NULL) {
			h->pageno++;
			snprintf(num, sizeof(num), "%llu", h->pageno);
			*next = url_param(h->url, o->page_param, num, NULL);
		} else {
			h->offset += o->page_size > 0 ? o->page_size :
			    h->page_records;
			snprintf(num, sizeof(num), "%llu", h->offset);
			*next = url_param(h->url, o->offset_param, num, NULL);
		}
		return 0;
	}
	if (h->rs.link_next != NULL) {
		curl_easy_getinfo(h->easy, CURLINFO_EFFECTIVE_URL, &eff);
		*next = url_resolve(eff != NULL ? eff : h->url,
		    h->rs.link_next);
	}
	return 0;
}

/*
 * Request the current page (with retries) until a 2xx answer starts.
 * 0, or -1 (err set).
 */
static int
page_request(struct src *h, struct dmo_err *err)
{
	for (;;) {
		double since;
		int retry, stall = 0;

		h->tries.n++;
		if (h->tries.n == 1)
			h->tries.t0 = now();
		src_start(h);
		since = now();
		/* Until the first body byte, or the end. */
		while (h->stage.len == 0 && !h->done) {
			pump(h, 1);
			if (!h->done && h->status == 0 && stalled(h, since)) {
				stall_error(h, err);
				stall = 1;
			}
		}
		if (h->done && h->result != CURLE_OK) {
			if (!stall)
				xfer_error(h, err);
			retry = transient_curl(h->result);
		} else {
			if (h->status == 0)
				curl_easy_getinfo(h->easy,
				    CURLINFO_RESPONSE_CODE, &h->status);
			if (h->status >= 200 && h->status <= 299)
				return 0;
			/* An error answer: read its body for the message. */
			since = now();
			while (!h->done && !stalled(h, since))
				pump(h, 1);
			status_error(err, h->status == 401 ||
			    h->status == 403 ? DMO_EXIT_CRYPTO : DMO_EXIT_IO,
			    h->url, &h->rs, "");
			retry = transient_status(h->status);
		}
		src_stop(h);
		if (!retry || retry_wait(&h->tries, h->o, h->rs.retry_after,
		    err) != 0)
			return -1;
		dmo_err_clear(err);
	}
}

/*
 * Open the current page: request it, and start the reader on its body
 * (format detection reads its first bytes, so a transfer may fail
 * here too, and is retried: nothing of the page was passed on yet).
 * 0, or -1 (err set).
 */
static int
page_open(struct dmo_reader *r, struct src *h, struct dmo_err *err)
{
	const struct dmo_http_opts *o = h->o;
	struct dmo_in *in;
	enum dmo_format hint;
	curl_off_t cl = -1;
	char *path;
	ssize_t n;
	int rc;

	for (;;) {
		if (page_request(h, err) != 0)
			return -1;
		curl_easy_getinfo(h->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
		    &cl);
		h->expect = cl;
		free(r->source);
		r->source = dmo_xstrdup(h->url);
		if ((in = r->file) == NULL) {
			in = dmo_in_from_fn(src_read, h, r->source);
			in->warn = r->opts.warn;
			r->file = in;
		}
		in->name = r->source;
		in->pos = in->end = 0;
		in->eof = 0;
		r->in = in;
		/* A compressed file or an archive: its members are sources. */
		n = dmo_in_peek_some(in, 512, err);
		if (n >= 0 && dmo_archive_sniff((const unsigned char *)in->buf +
		    in->pos, (size_t)n)) {
			r->archive = dmo_archive_open(in, r->source,
			    r->opts.member_glob, err);
			if (r->archive != NULL)
				return 0;	/* members start on reading */
			rc = -1;
		} else if (n < 0)
			rc = -1;
		else {
			hint = format_by_type(h->rs.ctype);
			path = url_path(h->url);
			rc = dmo_reader_start(r, path, hint, err);
			free(path);
		}
		if (rc == 0)
			break;
		err->loc.file = r->source;
		src_stop(h);
		if (!h->failed || !transient_curl(h->result) ||
		    retry_wait(&h->tries, o, -1, err) != 0)
			return -1;
		dmo_err_clear(err);
	}
	if ((o->next_field != NULL || o->cursor_field != NULL) &&
	    r->format != DMO_FMT_JSON) {
		dmo_err_set(err, DMO_EXIT_USAGE, NULL, "option '%s' needs a "
		    "JSON document, not %s", o->next_field != NULL ?
		    "--next-field" : "--cursor-field",
		    dmo_format_name(r->format));
		return -1;
	}
	return 0;
}

struct dmo_reader *
dmo_http_reader_open(const char *url, const struct dmo_read_opts *opts,
    struct dmo_err *err)
{
	struct dmo_reader *r;
	struct src *h;
	char *v = NULL;

	global_init();
	if (check_url(url, err) != 0)
		return NULL;
	r = dmo_xcalloc(1, sizeof(*r));
	h = dmo_xcalloc(1, sizeof(*h));
	r->http = h;
	r->opts = *opts;
	r->source = dmo_xstrdup(url);
	h->o = opts->http;
	h->url = dmo_xstrdup(url);
	h->captures[0] = h->o->next_field != NULL ? h->o->next_field :
	    h->o->cursor_field;
	h->captures[1] = NULL;
	if (h->captures[0] != NULL)
		r->opts.captures = h->captures;
	h->multi = curl_multi_init();
	h->easy = curl_easy_init();
	if (h->multi == NULL || h->easy == NULL) {
		dmo_err_set(err, DMO_EXIT_IO, NULL, "cannot start libcurl");
		dmo_reader_free(r);
		return NULL;
	}
	setup_easy(h->easy, h->o, &h->rs, &h->hdrs, err);
	curl_easy_setopt(h->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h->easy, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* Fewer, larger reads: the body is the hot path (bench/README). */
	curl_easy_setopt(h->easy, CURLOPT_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, h);
	/* The page or offset the URL starts at: 1 and 0 when it has none. */
	h->pageno = 1;
	if (h->o->page_param != NULL) {
		url_param(url, h->o->page_param, NULL, &v);
		if (v != NULL && dmo_parse_ull(v, &h->pageno) != 0)
			h->pageno = 1;
		free(v);
	}
	if (h->o->offset_param != NULL) {
		url_param(url, h->o->offset_param, NULL, &v);
		if (v != NULL && dmo_parse_ull(v, &h->offset) != 0)
			h->offset = 0;
		free(v);
	}
	if (page_open(r, h, err) != 0) {
		/* Errors outlive the reader: point them at the caller's name. */
		err->loc.file = url;
		dmo_reader_free(r);
		return NULL;
	}
	return r;
}

/* The archive of this page is read: back to the page's own bytes. */
static void
end_archive(struct dmo_reader *r)
{
	dmo_reader_stop(r);
	dmo_archive_free(r->archive);
	r->archive = NULL;
	r->in = r->file;
}

int
dmo_http_reader_next(struct dmo_reader *r, struct dmo_record *rec,
    struct dmo_err *err)
{
	struct src *h = r->http;
	char *next;
	int rc;

	for (;;) {
		if (h->finished)
			return DMO_READ_EOF;
		if (!r->started && r->archive == NULL &&
		    page_open(r, h, err) != 0) {
			h->finished = 1;
			return DMO_READ_FATAL;
		}
		if (!r->started) {
			/* An archive: its next member (format.c). */
			rc = dmo_reader_next_member(r, err);
			if (rc == 0) {
				end_archive(r);
				goto page_end;
			}
			rc = rc < 0 ? DMO_READ_FATAL : r->ops->next(r, rec, err);
		} else
			rc = r->ops->next(r, rec, err);
		if (rc == DMO_READ_RECORD || rc == DMO_READ_BAD ||
		    rc == DMO_READ_CONTROL) {
			h->page_records++;
			return rc;
		}
		if (rc == DMO_READ_FATAL) {
			if (r->archive != NULL)
				end_archive(r);
			dmo_reader_stop(r);
			src_stop(h);
			/*
			 * A transfer that failed before this page gave a
			 * record may be tried again; after that, a retry
			 * would pass the page's first records on twice.
			 */
			if (h->failed && h->page_records == 0 &&
			    transient_curl(h->result) &&
			    retry_wait(&h->tries, h->o, -1, err) == 0) {
				dmo_err_clear(err);
				continue;
			}
			if (h->failed && h->page_records > 0 &&
			    transient_curl(h->result))
				err_wrap(err, "not retried, %llu record%s of "
				    "this page already passed on",
				    h->page_records,
				    h->page_records == 1 ? "" : "s");
			if (err->loc.file == NULL)
				err->loc.file = r->source;
			h->finished = 1;
			return rc;
		}
		if (r->archive != NULL) {
			dmo_reader_stop(r);	/* the next member */
			continue;
		}
page_end:
		/* The end of this page: which one is next? */
		if (next_url(r, h, &next, err) != 0) {
			dmo_reader_stop(r);
			h->finished = 1;
			return DMO_READ_FATAL;
		}
		dmo_reader_stop(r);
		src_stop(h);
		h->pages++;
		if (next != NULL && strcmp(next, h->url) == 0) {
			struct dmo_loc loc = { h->url, 0, 0 };

			dmo_err_set(err, DMO_EXIT_IO, &loc, "the next page "
			    "is this page again: stopped");
			free(next);
			h->finished = 1;
			return DMO_READ_FATAL;
		}
		if (next == NULL || (h->o->max_pages > 0 &&
		    h->pages >= h->o->max_pages)) {
			free(next);
			h->finished = 1;
			return DMO_READ_EOF;
		}
		free(h->url);
		h->url = next;
		h->tries.n = 0;
		h->page_records = 0;
	}
}

void
dmo_http_reader_free(void *p)
{
	struct src *h = p;

	if (h == NULL)
		return;
	src_stop(h);
	if (h->easy != NULL)
		curl_easy_cleanup(h->easy);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	curl_slist_free_all(h->hdrs);
	resp_release(&h->rs);
	dmo_buf_release(&h->stage);
	free(h->url);
	free(h);
}

/* ---------------------------------------------------------- targets */

struct dmo_http_sink {
	const struct dmo_http_opts *o;
	CURL		*easy;
	struct curl_slist *hdrs;
	struct resp	 rs;
	char		*url;
	char		*ctype;	/* "Content-Type: ..." */
	struct tries	 tries;
};

static size_t
on_sink_body(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct resp *rs = ctx;
	size_t n = size * nmemb;

	if (rs->excerpt.len < EXCERPT_MAX)
		dmo_buf_add(&rs->excerpt, p, n < EXCERPT_MAX - rs->excerpt.len ?
		    n : EXCERPT_MAX - rs->excerpt.len);
	return n;
}

struct dmo_http_sink *
dmo_http_sink_new(const char *url, const struct dmo_http_opts *o,
    const char *content_type, struct dmo_err *err)
{
	struct dmo_http_sink *s;
	struct dmo_buf b = DMO_BUF_INIT;

	global_init();
	if (check_url(url, err) != 0)
		return NULL;
	s = dmo_xcalloc(1, sizeof(*s));
	s->o = o;
	s->url = dmo_xstrdup(url);
	if ((s->easy = curl_easy_init()) == NULL) {
		dmo_err_set(err, DMO_EXIT_IO, NULL, "cannot start libcurl");
		free(s->url);
		free(s);
		return NULL;
	}
	dmo_buf_printf(&b, "Content-Type: %s", content_type);
	s->ctype = (char *)dmo_buf_cstr(&b);
	setup_easy(s->easy, o, &s->rs, &s->hdrs, err);
	curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
	curl_easy_setopt(s->easy, CURLOPT_POST, 1L);
	/* A request blocks here: curl watches for stalls (whole seconds). */
	if (o->stall_timeout > 0) {
		curl_easy_setopt(s->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
		long secs = (long)o->stall_timeout;

		if ((double)secs < o->stall_timeout)
			secs++;	/* ceil, without libm */
		curl_easy_setopt(s->easy, CURLOPT_LOW_SPEED_TIME, secs);
	}
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_sink_body);
	curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, &s->rs);
	return s;
}

int
dmo_http_sink_post(struct dmo_http_sink *s, const char *body, size_t len,
    const char *key, long *status, char *reason, size_t reasonlen,
    struct dmo_err *err)
{
	struct curl_slist *h = NULL, *p;
	struct dmo_buf kb = DMO_BUF_INIT;
	CURLcode rc;
	int retry, ret = -1;

	for (p = s->hdrs; p != NULL; p = p->next)
		h = curl_slist_append(h, p->data);
	h = curl_slist_append(h, s->ctype);
	/* No 100-continue round trip for large batches. */
	h = curl_slist_append(h, "Expect:");
	if (key != NULL) {
		dmo_buf_printf(&kb, "Idempotency-Key: %s", key);
		h = curl_slist_append(h, dmo_buf_cstr(&kb));
		dmo_buf_release(&kb);
	}
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	s->tries.n = 0;
	*status = 0;
	for (;;) {
		struct dmo_loc loc = { s->url, 0, 0 };

		s->tries.n++;
		if (s->tries.n == 1)
			s->tries.t0 = now();
		resp_reset(&s->rs);
		s->rs.errbuf[0] = '\0';
		dmo_io_before_wait();
		rc = curl_easy_perform(s->easy);
		if (rc != CURLE_OK) {
			dmo_err_set(err, DMO_EXIT_IO, &loc, "%s",
			    curl_msg(rc, &s->rs));
			retry = transient_curl(rc);
		} else {
			curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE,
			    status);
			if (*status >= 200 && *status <= 299) {
				ret = 0;
				break;
			}
			s->rs.status = *status;
			if (*status >= 400 && *status <= 499 &&
			    !transient_status(*status) && *status != 401 &&
			    *status != 403) {
				struct dmo_err tmp;

				status_error(&tmp, DMO_EXIT_DATA, s->url,
				    &s->rs, "");
				snprintf(reason, reasonlen, "%s", tmp.msg);
				ret = 1;
				break;
			}
			status_error(err, *status == 401 || *status == 403 ?
			    DMO_EXIT_CRYPTO : DMO_EXIT_IO, s->url, &s->rs,
			    *status >= 300 && *status <= 399 ?
			    "redirects are not followed for uploads: " : "");
			retry = transient_status(*status);
		}
		if (!retry || retry_wait(&s->tries, s->o, s->rs.retry_after,
		    err) != 0)
			break;
		dmo_err_clear(err);
	}
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);
	curl_slist_free_all(h);
	return ret;
}

unsigned long long
dmo_http_sink_retries(const struct dmo_http_sink *s)
{
	return s->tries.total_retries;
}

void
dmo_http_sink_free(struct dmo_http_sink *s)
{
	if (s == NULL)
		return;
	curl_easy_cleanup(s->easy);
	curl_slist_free_all(s->hdrs);
	resp_release(&s->rs);
	free(s->url);
	free(s->ctype);
	free(s);
}

/* Two FNV-1a-style lanes with a strong finaliser (not cryptographic). */

static void
lanes(uint64_t h[2], const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h[0] = (h[0] ^ c[i]) * 0x100000001b3ULL;
		h[1] = (h[1] ^ c[i]) * 0x100000001b3ULL;
		h[1] ^= h[1] >> 29;
	}
}

void
dmo_http_batch_key(const char *url, unsigned long long seq, const char *body,
    size_t len, char key[33])
{
	uint64_t h[2] = { 0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL };
	char s[32];

	lanes(h, url, strlen(url) + 1);
	snprintf(s, sizeof(s), "%llu", seq);
	lanes(h, s, strlen(s) + 1);
	lanes(h, body, len);
	h[0] = dmo_hash_splitmix64(h[0] ^ len);
	h[1] = dmo_hash_splitmix64(h[1] ^ h[0]);
	snprintf(key, 33, "%016llx%016llx", (unsigned long long)h[0],
	    (unsigned long long)h[1]);
}
