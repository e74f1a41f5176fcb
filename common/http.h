/* http.h - HTTP(S) sources and targets through libcurl (the one user of it). */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_HTTP_H
#define DMO_HTTP_H

#include <stddef.h>

#include "err.h"

/*
 * What a request needs, for sources and targets alike.  Secrets never come
 * from argv: headers and bearer tokens are read from files (refused when
 * group- or world-readable, as ssh does) or the environment; ~/.netrc is
 * used when it has the host (CURLOPT_NETRC_OPTIONAL).
 */
struct dmo_http_opts {
	char		**headers;	/* "Name: value", as sent */
	size_t		  nheaders;
	char		 *bearer;	/* token, or NULL */
	const char	 *cacert;	/* CA bundle for TLS, or NULL */
	int		  insecure;	/* no TLS verification (--insecure) */
	double		  connect_timeout;	/* seconds; 0: none */
	double		  timeout;	/* whole request; 0: none */
	double		  stall_timeout;	/* no body byte for so long */
	unsigned long	  retries;	/* tries after the first */
	double		  retry_delay;	/* backoff base, seconds */
	double		  retry_max_time;	/* per request; 0: no limit */

	/* Sources: pagination (at most one way to find the next page). */
	const char	 *next_field;	/* body path of the next URL */
	const char	 *cursor_field;	/* body path of a cursor ... */
	const char	 *cursor_param;	/* ... sent in this query parameter */
	const char	 *page_param;	/* page=1, 2, ... */
	const char	 *offset_param;	/* offset=0, N, 2N, ... */
	unsigned long long page_size;	/* N for offset_param */
	unsigned long long max_pages;	/* 0: no limit */

	/*
	 * Progress: called as body bytes arrive with the bytes so far and the
	 * expected total (-1 when unknown).  common/progress.c hooks in here.
	 */
	void		(*progress)(void *ctx, unsigned long long bytes,
			    long long total);
	void		 *progress_ctx;
};

/*
 * Options both programs take (long only; codes 400 and up, clear of
 * DMO_OPT_PROGRAM_BASE).  A program lists DMO_HTTP_LONGOPTS in its
 * struct option array and passes the codes to dmo_http_option().
 */
enum {
	DMO_HTTP_OPT_BEARER_ENV = 400,
	DMO_HTTP_OPT_BEARER_FILE,
	DMO_HTTP_OPT_CACERT,
	DMO_HTTP_OPT_CONNECT_TIMEOUT,
	DMO_HTTP_OPT_HEADER_FILE,
	DMO_HTTP_OPT_INSECURE,
	DMO_HTTP_OPT_RETRIES,
	DMO_HTTP_OPT_RETRY_DELAY,
	DMO_HTTP_OPT_RETRY_MAX_TIME,
	DMO_HTTP_OPT_STALL_TIMEOUT,
	DMO_HTTP_OPT_TIMEOUT,
	DMO_HTTP_OPT_END
};

#define DMO_HTTP_LONGOPTS \
	{ "bearer-env",		required_argument, NULL, DMO_HTTP_OPT_BEARER_ENV }, \
	{ "bearer-file",	required_argument, NULL, DMO_HTTP_OPT_BEARER_FILE }, \
	{ "cacert",		required_argument, NULL, DMO_HTTP_OPT_CACERT }, \
	{ "connect-timeout",	required_argument, NULL, DMO_HTTP_OPT_CONNECT_TIMEOUT }, \
	{ "header-file",	required_argument, NULL, DMO_HTTP_OPT_HEADER_FILE }, \
	{ "insecure",		no_argument,	   NULL, DMO_HTTP_OPT_INSECURE }, \
	{ "retries",		required_argument, NULL, DMO_HTTP_OPT_RETRIES }, \
	{ "retry-delay",	required_argument, NULL, DMO_HTTP_OPT_RETRY_DELAY }, \
	{ "retry-max-time",	required_argument, NULL, DMO_HTTP_OPT_RETRY_MAX_TIME }, \
	{ "stall-timeout",	required_argument, NULL, DMO_HTTP_OPT_STALL_TIMEOUT }, \
	{ "timeout",		required_argument, NULL, DMO_HTTP_OPT_TIMEOUT }

/*
 * The --help lines for them; pad (a string of spaces) lines the text up
 * with the program's other options.
 */
#define DMO_HTTP_HELP(pad) \
    "      --bearer-env VAR      " pad "HTTP: send 'Authorization: Bearer' with the token in VAR\n" \
    "      --bearer-file FILE    " pad "HTTP: the same with the token in FILE (mode 600)\n" \
    "      --cacert FILE         " pad "HTTP: verify TLS peers with the CA certificates in FILE\n" \
    "      --connect-timeout T   " pad "HTTP: give up connecting after T (default 30s)\n" \
    "      --header-file FILE    " pad "HTTP: send the 'Name: value' lines of FILE (mode 600)\n" \
    "      --insecure            " pad "HTTP: do not verify TLS certificates (dangerous)\n" \
    "      --retries N           " pad "HTTP: retry a failed request N times (default 3)\n" \
    "      --retry-delay T       " pad "HTTP: first backoff delay, doubled each try (default 1s)\n" \
    "      --retry-max-time T    " pad "HTTP: stop retrying a request after T (default: no limit)\n" \
    "      --stall-timeout T     " pad "HTTP: fail when no byte arrives for T (default 60s)\n" \
    "      --timeout T           " pad "HTTP: fail a request that takes longer than T\n"

void	 dmo_http_opts_init(struct dmo_http_opts *);
void	 dmo_http_opts_release(struct dmo_http_opts *);

/*
 * Handle one of the DMO_HTTP_OPT_* codes.  Returns 1 when handled, 0 when
 * ch is not one of them, -1 on a bad value or an unreadable or too open
 * secret file (err set: code DMO_EXIT_USAGE, or DMO_EXIT_IO).
 */
int	 dmo_http_option(struct dmo_http_opts *, int ch, const char *arg,
	    struct dmo_err *);

/* Is this operand an http:// or https:// URL? */
int	 dmo_http_is_url(const char *);

/*
 * Sources.  format.c opens a URL through these (see formatimpl.h): the
 * body streams into the reader chosen by Content-Type, the URL's
 * extension, then the first bytes; pages follow one another as one
 * source.
 */
struct dmo_reader;
struct dmo_record;
struct dmo_read_opts;

struct dmo_reader *dmo_http_reader_open(const char *url,
	    const struct dmo_read_opts *, struct dmo_err *);
int	 dmo_http_reader_next(struct dmo_reader *, struct dmo_record *,
	    struct dmo_err *);
void	 dmo_http_reader_free(void *http);

/*
 * Targets.  A sink POSTs bodies to one URL.  dmo_http_sink_post sends
 * one batch with its idempotency key, retrying 408, 429, 5xx and network
 * failures with backoff (honouring Retry-After).  Returns:
 *    0  accepted (2xx);
 *    1  refused for good (another 4xx): *status and reason (the status
 *       line and an excerpt of the body) say why;
 *   -1  failed after the last try, or an authentication failure (err
 *       set: code DMO_EXIT_IO, or DMO_EXIT_CRYPTO for 401 and 403).
 */
struct dmo_http_sink;

struct dmo_http_sink *dmo_http_sink_new(const char *url,
	    const struct dmo_http_opts *, const char *content_type,
	    struct dmo_err *);
int	 dmo_http_sink_post(struct dmo_http_sink *, const char *body,
	    size_t len, const char *idempotency_key, long *status,
	    char *reason, size_t reasonlen, struct dmo_err *);
unsigned long long dmo_http_sink_retries(const struct dmo_http_sink *);
void	 dmo_http_sink_free(struct dmo_http_sink *);

/*
 * Parsers of response headers (for the tests, and for anyone): the URL of
 * the first rel="next" link of a Link header value (RFC 8288), as written
 * (the caller resolves it; free it), or NULL; and the seconds a
 * Retry-After value asks for (delay-seconds or an HTTP-date; 0 for a date
 * past), or -1 when it is neither.
 */
char	*dmo_http_link_next(const char *value);
double	 dmo_http_retry_after(const char *value);

/*
 * An idempotency key for batch seq of body sent to url: 32 hex digits
 * from a 128-bit digest of the three, so a retry and a re-run of the same
 * input with the same batching send the same key.
 */
void	 dmo_http_batch_key(const char *url, unsigned long long seq,
	    const char *body, size_t len, char key[33]);

#endif
