/* report.h - a profile document rendered as one self-contained HTML page. */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_REPORT_H
#define DMO_REPORT_H

#include "buf.h"
#include "err.h"
#include "json.h"

/*
 * Render the profile document (the shape dmo-profile --format json
 * writes, dmo-profile(1)) as HTML, appended to out.  The page needs
 * nothing else: the style is inline, charts are inline SVG, there is no
 * script and no reference to anything outside the file.  Every name and
 * value of the document is escaped; invalid UTF-8 shows as U+FFFD,
 * control bytes as their visible pictures (U+2400...), and long values
 * are cut (the whole value stays in the document, not in the page).
 * Members missing from the document are left out of the page.  checks,
 * when not NULL, is a check report (dmo_checks_json): the page then
 * opens with the rules and their results.  title names the data (file
 * names), may be NULL.
 *
 * Returns 0, or -1 with err set (DMO_EXIT_USAGE) when the document is
 * not an object.
 */
int	 dmo_report_html(struct dmo_buf *out, const struct dmo_doc *profile,
	    const struct dmo_doc *checks, const char *title,
	    struct dmo_err *err);

/*
 * HTML-escape p[0..n) into out, cut after about max bytes ("…" added;
 * 0: no limit), with the UTF-8 and control byte rules above.
 */
void	 dmo_report_escape(struct dmo_buf *out, const char *p, size_t n,
	    size_t max);

#endif
