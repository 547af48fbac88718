/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rfc3339.h: the one parser and formatter of RFC 3339 times (section 5.6
 * "date-time"), replacing the two parsers of the anchor and ledger
 * plugins, which disagreed (NAN against -1 on failure; "z" accepted by
 * one only; "Zjunk" accepted by the other; neither checked ranges).
 *
 * rfc3339_parse accepts exactly
 *   YYYY-MM-DD ("T" | "t") hh:mm:ss [ "." 1*DIGIT ] ("Z" | "z" | ("+"|"-") hh:mm)
 * with the whole string consumed: four-digit year, two-digit fields,
 * month 1-12, day within its month (29 February only in leap years),
 * hour 0-23, minute 0-59, second 0-60 (60, a leap second, counts as the
 * next second: POSIX time has none), offset hours 0-23 and minutes 0-59.
 * An offset is applied (12:00+02:00 is 10:00Z). Anything else (spaces,
 * signs in fields, a missing zone, trailing text) fails: a time read
 * from a ledger or a node is evidence, and a lenient parse of a broken
 * one would move it silently.
 */
#ifndef LIB_RFC3339_H
#define LIB_RFC3339_H

#include <stddef.h>

/* Seconds since the epoch (with fraction) of s into *t. Returns 0, or -1
 * (and *t untouched) when s is not an RFC 3339 date-time as above. */
int rfc3339_parse(const char *s, double *t);

/* Writes t (seconds since the epoch) as UTC "YYYY-MM-DDThh:mm:ssZ", or
 * with milliseconds (truncated) "YYYY-MM-DDThh:mm:ss.mmmZ" when ms is set.
 * out needs RFC3339_MAX bytes; returns out ("" when it is too small). */
#define RFC3339_MAX 32
char *rfc3339_format(double t, int ms, char *out, size_t outlen);

#endif
