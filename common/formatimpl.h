/* formatimpl.h - what format.c shares with the format implementations. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_FORMATIMPL_H
#define DMO_FORMATIMPL_H

#include "archive.h"
#include "format.h"

/*
 * One table per format.  format.c opens the source, chooses the format,
 * then calls init once per source (each archive member is a source),
 * next for each record, fini when the source ends.  next has the
 * contract of dmo_reader_next; it sets rec->loc and fills r->raw for a
 * bad record.  The format's own state goes in r->state.
 */
struct dmo_reader_ops {
	int	(*init)(struct dmo_reader *, struct dmo_err *);
	int	(*next)(struct dmo_reader *, struct dmo_record *,
		    struct dmo_err *);
	void	(*fini)(struct dmo_reader *);
};

struct dmo_reader {
	struct dmo_read_opts		 opts;
	struct dmo_in			*in;	/* the current source's bytes */
	struct dmo_in			*file;	/* the file opened (archive) */
	struct dmo_archive		*archive;
	char				*source;	/* current source name */
	enum dmo_format			 format;	/* current source's */
	const struct dmo_reader_ops	*ops;
	void				*state;
	struct dmo_buf			 raw;	/* text of the last bad record */
	struct dmo_control		 ctl;	/* the last control frame */
	int				 complete;	/* binary trailer seen */
	int				 started;	/* init called */
	unsigned long long		 recno;	/* records in this source */
	struct dmo_buf			 capture[DMO_MAX_CAPTURES];
	int				 captured[DMO_MAX_CAPTURES];
	void				*http;	/* http.c: pages of a URL */
};

struct dmo_writer_ops {
	int	(*init)(struct dmo_writer *, struct dmo_err *);
	int	(*write)(struct dmo_writer *, const struct dmo_record *,
		    struct dmo_err *);
	int	(*control)(struct dmo_writer *, const struct dmo_control *,
		    struct dmo_err *);	/* may be NULL: dropped */
	int	(*finish)(struct dmo_writer *, struct dmo_err *);	/* or NULL */
	void	(*fini)(struct dmo_writer *);	/* or NULL */
};

struct dmo_writer {
	struct dmo_write_opts		 opts;
	struct dmo_out			*out;
	const struct dmo_writer_ops	*ops;
	void				*state;
	unsigned long long		 count;	/* records written */
};

extern const struct dmo_reader_ops dmo_csv_reader_ops;	/* CSV and TSV */
extern const struct dmo_reader_ops dmo_ndjson_reader_ops;
extern const struct dmo_reader_ops dmo_json_reader_ops;
extern const struct dmo_reader_ops dmo_frame_reader_ops;
extern const struct dmo_reader_ops dmo_sqlite_reader_ops;	/* sqlite.c */
/* sqlite.c: the SQLite rows of dmo_reader_next_write, as NDJSON text. */
int	 dmo_sqlite_next_json(struct dmo_reader *, struct dmo_out *,
	    struct dmo_record *, struct dmo_err *);
extern const struct dmo_reader_ops dmo_pg_reader_ops;	/* pg.c */

extern const struct dmo_writer_ops dmo_csv_writer_ops;	/* CSV and TSV */
extern const struct dmo_writer_ops dmo_ndjson_writer_ops;
extern const struct dmo_writer_ops dmo_frame_writer_ops;

/*
 * CSV dialect sniffing over the first bytes of a source (csv.c): fills
 * in whichever of *delim, *quote, *header are "sniff" (0, 0, -1).
 */
void	 dmo_csv_sniff(const char *p, size_t n, int *delim, int *quote,
	    int *header);

/*
 * format.c: start the reader for the source now in r->in.  name gives
 * the extension; hint is the format the transport names (an HTTP
 * Content-Type) or DMO_FMT_AUTO.  The options' format wins, then hint,
 * then the name and the first bytes.  stop ends it (fini).
 */
int	 dmo_reader_start(struct dmo_reader *, const char *name,
	    enum dmo_format hint, struct dmo_err *);
void	 dmo_reader_stop(struct dmo_reader *);
/*
 * format.c: with r->archive open, stop the current member and start the
 * next: 1, 0 at the end of the archive, -1 on error (err set).
 */
int	 dmo_reader_next_member(struct dmo_reader *, struct dmo_err *);

/* The binary magic (frame.c); see dmo-frame(5). */
#define DMO_FRAME_MAGIC		"\x89" "DMO\r\n\x1a\n"
#define DMO_FRAME_MAGIC_LEN	8

#endif
