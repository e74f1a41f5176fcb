/* exitcode.h - the exit statuses every dmo program shares (dmo(7)). */
/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef DMO_EXITCODE_H
#define DMO_EXITCODE_H

#define DMO_EXIT_OK	0	/* all input processed, nothing rejected */
#define DMO_EXIT_DATA	1	/* rejects beyond the limit, check failed */
#define DMO_EXIT_USAGE	2	/* bad option, argument, config or schema */
#define DMO_EXIT_IO	3	/* open/read/write/network/database failure */
#define DMO_EXIT_CRYPTO	4	/* wrong key, authentication failure */

#endif
