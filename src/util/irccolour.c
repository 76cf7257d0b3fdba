/* IRC formatting codes and colours (see irccolour.h). */
#include "util/irccolour.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/hex.h"

enum {
    F_BOLD = 0x02,
    F_COLOUR = 0x03,
    F_HEX = 0x04,
    F_RESET = 0x0f,
    F_MONO = 0x11,
    F_REVERSE = 0x16,
    F_ITALIC = 0x1d,
    F_STRIKE = 0x1e,
    F_UNDERLINE = 0x1f,
};

/* Codes 0..15 (mirc.com), 16..98 (modern.ircdocs.horse, "Colors"), as 0xRRGGBB. */
static const uint32_t palette[99] = {
    0xffffff, 0x000000, 0x00007f, 0x009300, 0xff0000, 0x7f0000, 0x9c009c, 0xfc7f00,
    0xffff00, 0x00fc00, 0x009393, 0x00ffff, 0x0000fc, 0xff00ff, 0x7f7f7f, 0xd2d2d2, /* 16: */
    0x470000, 0x472100, 0x474700, 0x324700, 0x004700, 0x00472c, 0x004747, 0x002747,
    0x000047, 0x2e0047, 0x470047, 0x47002a, /* 28: */
    0x740000, 0x743a00, 0x747400, 0x517400, 0x007400, 0x007449, 0x007474, 0x004074,
    0x000074, 0x4b0074, 0x740074, 0x740045, /* 40: */
    0xb50000, 0xb56300, 0xb5b500, 0x7db500, 0x00b500, 0x00b571, 0x00b5b5, 0x0063b5,
    0x0000b5, 0x7500b5, 0xb500b5, 0xb5006b, /* 52: */
    0xff0000, 0xff8c00, 0xffff00, 0xb2ff00, 0x00ff00, 0x00ffa0, 0x00ffff, 0x008cff,
    0x0000ff, 0xa500ff, 0xff00ff, 0xff0098, /* 64: */
    0xff5959, 0xffb459, 0xffff71, 0xcfff60, 0x6fff6f, 0x65ffc9, 0x6dffff, 0x59b4ff,
    0x5959ff, 0xc459ff, 0xff66ff, 0xff59bc, /* 76: */
    0xff9c9c, 0xffd39c, 0xffff9c, 0xe2ff9c, 0x9cff9c, 0x9cffdb, 0x9cffff, 0x9cd3ff,
    0x9c9cff, 0xdc9cff, 0xff9cff, 0xff94d3, /* 88: */
    0x000000, 0x131313, 0x282828, 0x363636, 0x4d4d4d, 0x656565, 0x818181, 0x9f9f9f,
    0xbcbcbc, 0xe2e2e2, 0xffffff,
};

/* Six hex digits at s (at least 6 bytes readable) as 0xRRGGBB, or -1. */
static long rgb6(const char *s)
{
    long v = 0;
    for (int i = 0; i < 6; i++) {
        int h = hex_digit(s[i]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* Hue (0..360), chroma and lightness (0..1) of 0xRRGGBB. */
static void hcl(long v, double *h, double *c, double *l)
{
    double r = (double)(v >> 16 & 0xff) / 255, g = (double)(v >> 8 & 0xff) / 255,
           b = (double)(v & 0xff) / 255;
    double max = r > g ? (r > b ? r : b) : (g > b ? g : b);
    double min = r < g ? (r < b ? r : b) : (g < b ? g : b);
    *c = max - min;
    *l = (max + min) / 2;
    if (*c == 0)
        *h = 0;
    else if (max == r)
        *h = 60 * fmod((g - b) / *c + 6, 6);
    else if (max == g)
        *h = 60 * ((b - r) / *c + 2);
    else
        *h = 60 * ((r - g) / *c + 4);
}

/* Colours that are nearly grey go to grey (14) or light grey (15) by lightness; the others to
 * the chromatic colour (2..13) nearest in hue first, then lightness. A plain RGB distance sends
 * most mid-tone web colours to grey, which loses what the colour was for. */
int irccolour_nearest(const char *s)
{
    if (s == NULL || s[0] != '#' || strlen(s) != 7)
        return -1;
    long v = rgb6(s + 1);
    if (v < 0)
        return -1;
    double h, c, l;
    hcl(v, &h, &c, &l);
    bool grey = c < 0.15;
    int best = -1;
    double best_d = 0;
    for (int i = grey ? 14 : 2; i < (grey ? 16 : 14); i++) {
        double ph, pc, pl;
        hcl((long)palette[i], &ph, &pc, &pl);
        double dh = fabs(h - ph);
        if (dh > 180)
            dh = 360 - dh;
        double d = grey ? fabs(l - pl) : 4 * (dh / 180) * (dh / 180) + (l - pl) * (l - pl);
        if (best < 0 || d < best_d) {
            best = i;
            best_d = d;
        }
    }
    return best;
}

/* 0xRRGGBB as "#rrggbb". */
static void hex_put(long v, char out[IRCCOLOUR_HEX_LEN])
{
    static const char digits[] = "0123456789abcdef";
    out[0] = '#';
    for (int i = 0; i < 6; i++)
        out[1 + i] = digits[v >> (20 - 4 * i) & 0xf];
    out[7] = '\0';
}

int irccolour_hex(int code, char out[IRCCOLOUR_HEX_LEN])
{
    if (code < 0 || code > 98)
        return -1;
    hex_put((long)palette[code], out);
    return 0;
}

static bool is_format(unsigned char c)
{
    return c == F_BOLD || c == F_COLOUR || c == F_HEX || c == F_RESET || c == F_MONO ||
           c == F_REVERSE || c == F_ITALIC || c == F_STRIKE || c == F_UNDERLINE;
}

/* The colour prefix is written only with room for it, a guard and one UTF-8 sequence after it (and
 * the NUL): so a call with cap >= 5 always consumes something. */
#define PREFIX_ROOM (3 + 4 + 1)

/* The length of the UTF-8 sequence at s[i] (len bytes in all): its lead byte's length if that many
 * continuation bytes follow, else 1 (a stray byte, copied alone, so it never swallows a code). */
static size_t seq_len(const char *s, size_t i, size_t len)
{
    unsigned char c = (unsigned char)s[i];
    size_t n = c >= 0xf0 && c < 0xf8   ? 4
               : c >= 0xe0 && c < 0xf0 ? 3
               : c >= 0xc0 && c < 0xe0 ? 2
                                       : 1;
    if (n > len - i)
        return 1;
    for (size_t k = 1; k < n; k++)
        if (((unsigned char)s[i + k] & 0xc0) != 0x80)
            return 1;
    return n;
}

size_t irccolour_to_irc(const char *colour, const char *text, size_t len, char *out, size_t cap,
                        size_t *used)
{
    size_t o = 0, i = 0;
    int code = irccolour_nearest(colour);
    if (code >= 0 && cap >= PREFIX_ROOM) {
        snprintf(out, cap, "\x03%02d", code);
        o = 3;
    }
    size_t start = o;
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            i++;
            break;
        }
        if (is_format(c) || c == '\r' || c == '\0') {
            i++;
            continue;
        }
        size_t n = seq_len(text, i, len);
        /* ",5" right after the colour would read as its background: two bolds (a no-op) apart */
        bool guard = o == start && start > 0 && c == ',' && i + 1 < len && text[i + 1] >= '0' &&
                     text[i + 1] <= '9';
        if (o + n + (guard ? 2 : 0) > cap - 1)
            break;
        if (guard) {
            out[o++] = F_BOLD;
            out[o++] = F_BOLD;
        }
        memcpy(out + o, text + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
    if (used)
        *used = i;
    return o;
}

/* Reads up to two decimal digits at in[*i]: the number, or -1 if none. */
static int digits2(const char *in, size_t len, size_t *i)
{
    int v = -1;
    for (int k = 0; k < 2 && *i < len && in[*i] >= '0' && in[*i] <= '9'; k++, (*i)++)
        v = (v < 0 ? 0 : v * 10) + (in[*i] - '0');
    return v;
}

size_t irccolour_strip(const char *in, size_t len, char *out, size_t cap,
                       char fg[IRCCOLOUR_HEX_LEN])
{
    size_t o = 0, i = 0;
    long cur = -1; /* the foreground in effect, 0xRRGGBB, or -1 (default) */
    bool seen = false;
    if (fg)
        fg[0] = '\0';
    while (i < len) {
        unsigned char c = (unsigned char)in[i];
        if (c == F_COLOUR) {
            i++;
            int f = digits2(in, len, &i);
            /* ",NN" is a background only after a foreground and with a digit after the comma */
            if (f >= 0 && i + 1 < len && in[i] == ',' && in[i + 1] >= '0' && in[i + 1] <= '9') {
                i++;
                digits2(in, len, &i);
            }
            cur = f >= 0 && f <= 98 ? (long)palette[f] : -1; /* none or 99: default */
            continue;
        }
        if (c == F_HEX) {
            i++;
            long f = i + 6 <= len ? rgb6(in + i) : -1;
            if (f >= 0) {
                i += 6;
                if (i + 7 <= len && in[i] == ',' && rgb6(in + i + 1) >= 0)
                    i += 7;
            }
            cur = f;
            continue;
        }
        if (is_format(c)) {
            if (c == F_RESET)
                cur = -1;
            i++;
            continue;
        }
        size_t n = seq_len(in, i, len);
        if (o + n > cap - 1)
            break;
        if (!seen && fg && cur >= 0)
            hex_put(cur, fg);
        seen = true;
        memcpy(out + o, in + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
    return o;
}
