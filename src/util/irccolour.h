/* IRC text formatting and Parley's message colours, both ways (docs/ARCHITECTURE.md, "IRC
 * colours"). Pure functions on byte slices: no allocation, no IRC connection code.
 *
 * Parley's web client shows a message as plain text in its sender's colour ("#rrggbb", the
 * message colour of docs/PROTOCOL.md); it has no inline formatting. So:
 *   - web -> IRC: the text is prefixed with the sender's colour as the nearest of the 16 standard
 *     mIRC colours (always two digits, "\x03" "04"), the one palette every client shows alike
 *     (codes 16..98 render differently or not at all in many clients). White (0) and black (1)
 *     are never chosen: each vanishes on one of the usual client themes; "#ffffff" becomes light
 *     grey (15), "#000000" grey (14). If the text starts with "," and a digit, two bold codes
 *     (a no-op) keep it from reading as a background colour. IRC formatting bytes in the web text
 * are dropped (a web user cannot see them, so they must not style what IRC users see); CR and NUL
 * are dropped; a line ends at LF.
 *   - IRC -> web: every formatting code is removed (colour \x03 with up to two digits and an
 *     optional ",NN" background, hex colour \x04RRGGBB[,RRGGBB], bold \x02, italics \x1d,
 *     underline \x1f, strike-through \x1e, monospace \x11, reverse \x16, reset \x0f); the
 *     foreground colour in effect at the first visible character, if any, is reported as
 *     "#rrggbb" (codes 0..98 by the extended palette of modern.ircdocs.horse; 99 is "default").
 * Output never splits a UTF-8 sequence when it must be truncated.
 *
 * Threads: any. */
#ifndef PARLEY_UTIL_IRCCOLOUR_H
#define PARLEY_UTIL_IRCCOLOUR_H

#include <stddef.h>

#define IRCCOLOUR_HEX_LEN 8 /* "#rrggbb" and its NUL */

/* The standard colour (2..15) nearest to "#rrggbb" (either case): a nearly grey colour (chroma
 * below 15 %) becomes grey 14 or light grey 15 by lightness, any other the chromatic code (2..13)
 * nearest in hue, then lightness. -1 if s is not "#rrggbb". */
int irccolour_nearest(const char *s);
/* The RGB of IRC colour code (0..98) as "#rrggbb" in out: 0, or -1 (99 "default", or out of
 * range). */
int irccolour_hex(int code, char out[IRCCOLOUR_HEX_LEN]);

/* One IRC line from web text: colour's code (nothing if colour is NULL or invalid), then text
 * up to its first LF, cleaned as above. Writes at most cap - 1 bytes and a NUL into out (cap >=
 * 1); returns the bytes written. *used (may be NULL) gets the input bytes consumed, the LF
 * included, so a caller sends text[*used..] as the next line; a line cut short by cap stops
 * before the UTF-8 sequence that did not fit. The colour prefix needs cap >= 8 (else it is left
 * out), so any cap >= 5 consumes at least one byte of a non-empty text: a loop over the lines
 * ends. */
size_t irccolour_to_irc(const char *colour, const char *text, size_t len, char *out, size_t cap,
                        size_t *used);

/* Plain text from an IRC message: the formatting codes removed. Writes at most cap - 1 bytes and
 * a NUL into out (cap >= 1; len + 1 always suffices); returns the bytes written. fg (may be
 * NULL) gets the foreground colour at the first visible character as "#rrggbb", or "" if none. */
size_t irccolour_strip(const char *in, size_t len, char *out, size_t cap,
                       char fg[IRCCOLOUR_HEX_LEN]);

#endif
