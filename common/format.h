/* format.h - record readers and writers, one small ops table per format. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_FORMAT_H
#define DMO_FORMAT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "io.h"
#include "record.h"

enum dmo_format {
	DMO_FMT_AUTO = 0,
	DMO_FMT_CSV,
	DMO_FMT_TSV,
	DMO_FMT_NDJSON,
	DMO_FMT_JSON,		/* a document: array of objects, or objects */
	DMO_FMT_BINARY		/* dmo-frame(5) */
};

/* "csv", "tsv", "ndjson", "json", "binary"; and back (-1 if unknown). */
const char *dmo_format_name(enum dmo_format);
int	 dmo_format_parse(const char *);

/* What to do with a CSV row whose field count differs from the header. */
enum dmo_ragged {
	DMO_RAGGED_REJECT = 0,	/* default */
	DMO_RAGGED_PAD,		/* missing fields become empty (null with --infer) */
	DMO_RAGGED_TRUNCATE	/* extra fields dropped; short rows padded */
};

/* What to do with bytes that are not UTF-8. */
enum dmo_utf8 {
	DMO_UTF8_REJECT = 0,	/* the record is rejected (default) */
	DMO_UTF8_REPLACE,	/* each bad sequence becomes U+FFFD */
	DMO_UTF8_KEEP		/* string values keep their bytes; names and
				   nested JSON are replaced (dmo-clean) */
};

struct dmo_read_opts {
	enum dmo_format	 format;	/* DMO_FMT_AUTO: detect */
	int		 delim;		/* CSV: 0 sniff */
	int		 quote;		/* CSV: 0 sniff ('"'), -1 none */
	int		 header;	/* CSV: -1 sniff, 0 none, 1 first row */
	enum dmo_ragged	 ragged;
	int		 infer;		/* CSV: type numbers, booleans, nulls */
	enum dmo_dup	 dup;
	enum dmo_utf8	 utf8;
	size_t		 max_record;	/* bytes; 0: the default (256 MiB) */
	int		 follow;	/* tail -F a regular file */
	const char	*member_glob;	/* archives: members to read */
	const char	*query;		/* databases: SQL for an operand
					   that names no table */
	void		(*warn)(const struct dmo_err *);	/* notices */
	/*
	 * JSON documents: the records are the elements of the array at this
	 * dotted path of object keys ("data.items"), and the values at the
	 * captures paths (NULL-terminated, at most DMO_MAX_CAPTURES) are kept
	 * for dmo_reader_capture.  NULL: the top-level array or objects.
	 */
	const char	*records_path;
	const char *const *captures;
	/* URLs (http.h): how to fetch them; NULL: URLs are file names. */
	const struct dmo_http_opts *http;
};

#define DMO_MAX_CAPTURES	2

#define DMO_MAX_RECORD_DEFAULT	((size_t)256 << 20)

/*
 * A control frame (dmo-frame(5)): a frame that a filter does not
 * interpret and passes on untouched: checkpoints, metadata.  type is the
 * frame's type byte (a lowercase letter), payload its bytes.
 */
struct dmo_control {
	int		 type;
	const char	*payload;
	size_t		 len;
};

/*
 * The checkpoint control frame 'c' (dmo-frame(5), "Checkpoint frame"):
 * the bookmark of an incremental run, sent by dmo-extract after the
 * records it covers and saved by dmo-load once they are committed.
 * state is the absolute path of the state file, field the bookmark
 * field, bookmark the text of its largest value sent so far (NULL when
 * no record has passed yet), records the records sent before it.
 * Decoded pointers point into the control frame's payload.
 */
#define DMO_CONTROL_CHECKPOINT	'c'
#define DMO_CHECKPOINT_VERSION	1

struct dmo_checkpoint {
	const char		*state;
	size_t			 statelen;
	const char		*field;
	size_t			 fieldlen;
	const char		*bookmark;	/* NULL: none */
	size_t			 bookmarklen;
	unsigned long long	 records;
};

/* Append the payload of a checkpoint frame to b. */
void	 dmo_checkpoint_encode(const struct dmo_checkpoint *, struct dmo_buf *b);
/*
 * Decode a checkpoint frame's payload.  0, or -1 with err set (code
 * DMO_EXIT_DATA) when it is damaged or of a later version.
 */
int	 dmo_checkpoint_decode(const char *p, size_t len,
	    struct dmo_checkpoint *, struct dmo_err *);

struct dmo_reader;
struct dmo_writer;
struct dmo_http_opts;

/*
 * Open a source: a path, or "-"/NULL for stdin.  Compressed files and
 * archives are opened through libarchive (each member a source in turn);
 * the format is detected from the first bytes and the name unless opts
 * say.  Returns NULL with err set (code DMO_EXIT_IO for open failures,
 * DMO_EXIT_USAGE for an unknown format).
 */
struct dmo_reader *dmo_reader_open(const char *path,
	    const struct dmo_read_opts *, struct dmo_err *);
void	 dmo_reader_free(struct dmo_reader *);

/*
 * Database sources are operands too: "sqlite:PATH#TABLE", or
 * "sqlite:PATH" with opts->query; a PostgreSQL URI (postgres://...,
 * postgresql://...) with "#[schema.]table" or opts->query.  Rows are read
 * a few at a time (sqlite3_step; a server-side cursor), each a record
 * whose loc.line is its row number.  dmo_reader_db_check says whether
 * path is such an operand (1) or not (0), and checks it without opening
 * anything: -1 with err set (code DMO_EXIT_USAGE) for a missing file
 * name, both or neither of a table and a query, a password in a URI.
 */
int	 dmo_reader_db_check(const char *path, const char *query,
	    struct dmo_err *);

/*
 * Read the next record into rec (reused; see record.h).  Returns:
 *   DMO_READ_RECORD  a record;
 *   DMO_READ_CONTROL a control frame: see dmo_reader_control();
 *   DMO_READ_EOF     end of input;
 *   DMO_READ_BAD     a bad record: err says why and where, the raw text
 *                    is at dmo_reader_raw(); reading can go on;
 *   DMO_READ_FATAL   the source cannot be read further (I/O error, a
 *                    truncated binary stream): err says why.
 * Warnings (e.g. skipped archive members) go to opts->warn.
 */
#define DMO_READ_CONTROL	2
#define DMO_READ_RECORD		1
#define DMO_READ_EOF		0
#define DMO_READ_BAD		(-1)
#define DMO_READ_FATAL		(-2)

int	 dmo_reader_next(struct dmo_reader *, struct dmo_record *,
	    struct dmo_err *);

/*
 * dmo_reader_next for a caller that writes every record unchanged to w
 * (dmo-extract without --source-field or --since-field).  A source that
 * can write its records in w's format itself, without building them
 * (SQLite rows as NDJSON), does so and returns DMO_READ_WRITTEN: the
 * record went to w and is counted there, and rec holds only its loc and
 * recno.  DMO_READ_WRITE_FAILED: writing failed (err as from
 * dmo_writer_write's -2).  Any other return is dmo_reader_next's, with
 * the record in rec for the caller to write.
 */
#define DMO_READ_WRITTEN	3
#define DMO_READ_WRITE_FAILED	(-3)

int	 dmo_reader_next_write(struct dmo_reader *, struct dmo_writer *,
	    struct dmo_record *, struct dmo_err *);

/*
 * Binary record frames read by one thread and decoded by others (a
 * filter with threads, dmo-encrypt).  dmo_reader_next_frame is
 * dmo_reader_next, except that a whole record frame under a schema is
 * not decoded: it returns DMO_READ_FRAME with the frame in *f (its
 * payload valid until the next call) and counts it as read.  The names
 * its values go with are dmo_reader_schema's, a record of nulls whose
 * shape stands for them, valid until the next call.  pending says that
 * the caller holds frames not yet decoded with dmo_reader_decode_frame:
 * then anything else (a schema or control frame, damage, the end of the
 * source) returns DMO_READ_SYNC, nothing read, for the caller to decode
 * what it holds first and call again.
 *
 * dmo_frame_decode decodes the payload into rec, which holds the
 * schema's names (a dmo_record_copy of dmo_reader_schema), as
 * dmo_reader_next would: 0, or -1 for anything but good values, for
 * dmo_reader_decode_frame to say what is wrong.  It touches no reader:
 * any thread may call it, each with its own rec and stack (scratch).
 *
 * dmo_reader_decode_frame decodes f, with a payload that is a copy of
 * the one handed out, exactly as dmo_reader_next would have: in input
 * order, before the next call with pending 0.  A DMO_READ_FATAL frame
 * ends its source; the caller drops the frames it holds after it.
 */
#define DMO_READ_FRAME		4
#define DMO_READ_SYNC		5

struct dmo_frame_ref {
	const char		*payload;
	size_t			 len;
	unsigned long long	 foff;		/* its stream offset */
	unsigned long long	 recno;		/* in its source */
};

int	 dmo_reader_next_frame(struct dmo_reader *, int pending,
	    struct dmo_record *, struct dmo_frame_ref *, struct dmo_err *);
const struct dmo_record *dmo_reader_schema(const struct dmo_reader *);
int	 dmo_frame_decode(const char *payload, size_t len,
	    struct dmo_record *rec, struct dmo_buf *stack);
int	 dmo_reader_decode_frame(struct dmo_reader *,
	    const struct dmo_frame_ref *, struct dmo_record *,
	    struct dmo_err *);

const char *dmo_reader_raw(const struct dmo_reader *, size_t *len);
const struct dmo_control *dmo_reader_control(const struct dmo_reader *);
/* The source currently read, e.g. "data.zip/2024.csv". */
const char *dmo_reader_source(const struct dmo_reader *);
enum dmo_format dmo_reader_format(const struct dmo_reader *);
unsigned long long dmo_reader_bytes(const struct dmo_reader *);
/* For binary input: 1 when the trailer was seen (the stream is whole). */
int	 dmo_reader_complete(const struct dmo_reader *);
/*
 * The JSON text of the value at captures[i] in the current document, or
 * NULL when the document has not had it (yet).
 */
const char *dmo_reader_capture(const struct dmo_reader *, size_t i,
	    size_t *len);

struct dmo_write_opts {
	enum dmo_format	 format;	/* NDJSON, CSV, TSV or BINARY */
	int		 delim;		/* CSV: 0 means ',' */
	int		 header;	/* CSV/TSV: 1 (default) or 0 */
	int		 formula_escape;	/* CSV: neutralise =, +, -, @ */
};

struct dmo_writer;

struct dmo_writer *dmo_writer_new(struct dmo_out *,
	    const struct dmo_write_opts *, struct dmo_err *);
/*
 * Write one record.  Returns 0, -1 when this record cannot be written in
 * the format (nothing written; err says why, code DMO_EXIT_DATA; the
 * caller rejects it), or -2 on a write error (code DMO_EXIT_IO).
 */
int	 dmo_writer_write(struct dmo_writer *, const struct dmo_record *,
	    struct dmo_err *);
/* Pass a control frame on (binary); text formats drop it.  0 or -2. */
int	 dmo_writer_control(struct dmo_writer *, const struct dmo_control *,
	    struct dmo_err *);
/* Finish the stream (binary: the trailer with the count) and flush. */
int	 dmo_writer_finish(struct dmo_writer *, struct dmo_err *);

/*
 * Encode rec's values as the payload of a binary record frame, into b
 * (its content replaced), and point rec->frame at it: a binary writer
 * then copies the payload as it copies a record from the binary reader.
 * For a thread that readies records that another thread writes
 * (dmo-clean --threads).  Returns 0, or -1 when the record is too large
 * for a frame (rec->frame is left NULL; the writer will say why).
 */
int	 dmo_frame_encode(struct dmo_record *rec, struct dmo_buf *b);
/* The same, appended to b; rec->frame is not set.  0 or -1. */
int	 dmo_frame_append(const struct dmo_record *rec, struct dmo_buf *b);
void	 dmo_writer_free(struct dmo_writer *);
unsigned long long dmo_writer_count(const struct dmo_writer *);

#endif
