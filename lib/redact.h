/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact.h: the one redactor of probe-agent, for any text that names where
 * a check looked (a result's target, a URL or conninfo quoted in an error).
 *
 * Linked into the agent (which redacts every target, so that a third-party
 * plugin's cannot leak) and into the plugins' common kit (which redact what
 * they print themselves); neither includes the other's code. It denies by
 * default: what is shown is what is known to be harmless.
 *
 * - URLs (any scheme://, anywhere in the text): every userinfo, with or
 *   without a colon, becomes "REDACTED" (http://TOKEN@h/ ->
 *   http://REDACTED@h/); an authority with a ':' but no '@' ends at the
 *   last '@' before the query (postgresql://u:pa/ss@h/db), or of the whole
 *   URL when its "port" is not a number; a non-numeric port alone is
 *   redacted. Every query or fragment value whose name is not on the
 *   allow-list is "REDACTED", and so is a query word without '='; path
 *   segments and fragment words that look like API keys (24 or more
 *   letters, digits, '-', '_', mixing letters and digits) too.
 * - key=value text (libpq conninfo, and anything like it): after any white
 *   space, punctuation or at the start, with white space allowed around
 *   '=', a value quoted with '...' and backslash escapes or unquoted; every
 *   value whose key is not on the allow-list is "REDACTED". An allowed
 *   value that is itself a conninfo or URL (dbname='user=u password=p') is
 *   redacted in turn.
 * - The output is valid UTF-8 without control characters: white space
 *   (tab, newline...) becomes a space, any other control character (C0,
 *   DEL, C1) and every invalid byte U+FFFD. Redacting twice changes nothing.
 *
 * The allow-list (names compared without case): libpq's harmless keywords
 * (host, hostaddr, port, dbname, user, passfile and sslkey, which are file
 * names, sslmode, application_name...) and a few query names (limit,
 * offset, page, per_page, format, sort, order, version, chain...).
 */
#ifndef LIB_REDACT_H
#define LIB_REDACT_H

#include <stddef.h>

/* The word that stands for a redacted part. */
#define REDACT_WORD "REDACTED"

/* malloc'd copy of text fit to print (see above). NULL only when text is
 * NULL or out of memory. */
char *redact_target(const char *text);

/* 1 when the value of a query parameter or conninfo keyword named
 * [name, name+len) may be shown, 0 when it is redacted. */
int redact_name_shown(const char *name, size_t len);

#endif
