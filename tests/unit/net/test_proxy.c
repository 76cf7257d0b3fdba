/* The PROXY protocol parser: v1 and v2 headers whole and split byte by byte, the v1 length limit,
 * v2 IPv4/IPv6/unix/LOCAL and TLVs, the bytes after the header left alone, and garbage. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/proxy.h"

/* Feeds data in pieces of `step` bytes (0: all at once); returns proxy_feed's last result and
 * the bytes of data that belonged to the header in *used_total. */
static int feed_in_steps(proxy_parser_t *p, const char *data, size_t len, size_t step,
                         size_t *used_total, proxy_result_t *out)
{
    size_t off = 0;
    int rc = 0;
    *used_total = 0;
    if (step == 0)
        step = len;
    while (off < len) {
        size_t n = len - off < step ? len - off : step, used = 0;
        rc = proxy_feed(p, data + off, n, &used, out);
        *used_total += used;
        if (rc != 0)
            return rc;
        assert_int_equal(used, n);
        off += n;
    }
    return rc;
}

static void check_ipv4(const proxy_result_t *r, const char *ip, unsigned port)
{
    char name[64];
    const struct sockaddr_in *a = (const struct sockaddr_in *)&r->src;
    assert_int_equal(r->family, AF_INET);
    assert_non_null(inet_ntop(AF_INET, &a->sin_addr, name, sizeof(name)));
    assert_string_equal(name, ip);
    assert_int_equal(ntohs(a->sin_port), port);
}

static void test_v1_tcp4_whole_and_split(void **state)
{
    static const char h[] = "PROXY TCP4 192.0.2.7 10.0.0.1 40000 443\r\nGET / HTTP/1.1\r\n";
    size_t hl = strlen("PROXY TCP4 192.0.2.7 10.0.0.1 40000 443\r\n");
    for (size_t step = 0; step <= 3; step++) {
        proxy_parser_t p;
        proxy_result_t r;
        size_t used;
        proxy_init(&p, PROXY_V1);
        assert_int_equal(feed_in_steps(&p, h, strlen(h), step, &used, &r), 1);
        assert_int_equal(used, hl); /* the request after it is not taken */
        check_ipv4(&r, "192.0.2.7", 40000);
    }
}

static void test_v1_tcp6_and_unknown(void **state)
{
    static const char h6[] = "PROXY TCP6 2001:db8::5 2001:db8::1 1234 80\r\n";
    proxy_parser_t p;
    proxy_result_t r;
    size_t used;
    char name[64];
    proxy_init(&p, PROXY_ANY);
    assert_int_equal(proxy_feed(&p, h6, strlen(h6), &used, &r), 1);
    assert_int_equal(r.family, AF_INET6);
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&r.src;
    inet_ntop(AF_INET6, &a->sin6_addr, name, sizeof(name));
    assert_string_equal(name, "2001:db8::5");
    assert_int_equal(ntohs(a->sin6_port), 1234);

    static const char hu[] = "PROXY UNKNOWN whatever follows\r\n";
    proxy_init(&p, PROXY_V1);
    assert_int_equal(proxy_feed(&p, hu, strlen(hu), &used, &r), 1);
    assert_int_equal(r.family, AF_UNSPEC);
}

static void test_v1_max_length(void **state)
{
    /* the longest valid line is 107 bytes: it passes; one more byte without a line end fails */
    char line[PROXY_V1_MAX + 8];
    proxy_parser_t p;
    proxy_result_t r;
    size_t used;
    snprintf(line, sizeof(line), "PROXY UNKNOWN %0*d\r\n", PROXY_V1_MAX - 16, 7);
    assert_int_equal(strlen(line), PROXY_V1_MAX);
    proxy_init(&p, PROXY_V1);
    assert_int_equal(feed_in_steps(&p, line, strlen(line), 1, &used, &r), 1);
    assert_int_equal(used, PROXY_V1_MAX);

    memset(line, 'x', sizeof(line));
    memcpy(line, "PROXY TCP4 ", 11);
    proxy_init(&p, PROXY_V1);
    assert_int_equal(feed_in_steps(&p, line, sizeof(line), 5, &used, &r), -EPROTO);
}

static void test_v1_malformed(void **state)
{
    static const char *const bad[] = {
        "PROXY TCP4 192.0.2.7 10.0.0.1 40000\r\n",       /* a field missing */
        "PROXY TCP4 192.0.2.7 10.0.0.1 40000 443 9\r\n", /* one too many */
        "PROXY TCP4 192.0.2.300 10.0.0.1 40000 443\r\n", /* not an address */
        "PROXY TCP4 2001:db8::1 10.0.0.1 40000 443\r\n", /* wrong family */
        "PROXY TCP4 192.0.2.7 10.0.0.1 70000 443\r\n",   /* port out of range */
        "PROXY TCP4 192.0.2.7  10.0.0.1 40000 443\r\n",  /* two spaces */
        "PROXY TCP4 192.0.2.7 10.0.0.1 40000 443\n",     /* no CR */
        "PROXY UDP4 192.0.2.7 10.0.0.1 40000 443\r\n",   /* not TCP */
        "PROXY TCP4 192.0.2.7 10.0.0.1 +4000 443\r\n",   /* sign */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        proxy_parser_t p;
        proxy_result_t r;
        size_t used;
        proxy_init(&p, PROXY_ANY);
        assert_int_equal(proxy_feed(&p, bad[i], strlen(bad[i]), &used, &r), -EPROTO);
    }
}

/* A v2 header: signature, version 2 + cmd, family, the address block of len bytes. */
static size_t v2(uint8_t *out, uint8_t cmd, uint8_t fam, const void *addr, size_t len)
{
    static const uint8_t sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    memcpy(out, sig, 12);
    out[12] = (uint8_t)(0x20 | cmd);
    out[13] = fam;
    out[14] = (uint8_t)(len >> 8);
    out[15] = (uint8_t)len;
    memcpy(out + 16, addr, len);
    return 16 + len;
}

static void test_v2_ipv4_with_tlvs_split(void **state)
{
    uint8_t addr[12 + 7] = {198, 51, 100, 9, 10, 0, 0, 1, 0x9c, 0x40, 0x01, 0xbb,
                            /* a TLV (type 0x04 NOOP, length 4) to skip */
                            0x04, 0x00, 0x04, 1, 2, 3, 4};
    uint8_t buf[300];
    size_t n = v2(buf, 1, 0x11, addr, sizeof(addr));
    memcpy(buf + n, "\x16\x03\x01", 3); /* a TLS ClientHello begins */
    for (size_t step = 0; step <= 2; step++) {
        proxy_parser_t p;
        proxy_result_t r;
        size_t used;
        proxy_init(&p, PROXY_V2);
        assert_int_equal(feed_in_steps(&p, (char *)buf, n + 3, step, &used, &r), 1);
        assert_int_equal(used, n);
        check_ipv4(&r, "198.51.100.9", 40000);
    }
}

static void test_v2_ipv6_unix_local(void **state)
{
    uint8_t addr[216] = {0x20, 0x01, 0x0d, 0xb8};
    addr[15] = 0x42;
    addr[32] = 0x12;
    addr[33] = 0x34;
    uint8_t buf[300];
    proxy_parser_t p;
    proxy_result_t r;
    size_t used;
    char name[64];

    size_t n = v2(buf, 1, 0x21, addr, 36);
    proxy_init(&p, PROXY_ANY);
    assert_int_equal(proxy_feed(&p, (char *)buf, n, &used, &r), 1);
    assert_int_equal(r.family, AF_INET6);
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&r.src)->sin6_addr, name, sizeof(name));
    assert_string_equal(name, "2001:db8::42");
    assert_int_equal(ntohs(((struct sockaddr_in6 *)&r.src)->sin6_port), 0x1234);

    memcpy(addr, "/run/lb.sock", 13);
    n = v2(buf, 1, 0x31, addr, 216);
    proxy_init(&p, PROXY_V2);
    assert_int_equal(feed_in_steps(&p, (char *)buf, n, 7, &used, &r), 1);
    assert_int_equal(used, n);
    assert_int_equal(r.family, AF_UNIX);

    n = v2(buf, 0, 0x00, addr, 0); /* LOCAL: a health check */
    proxy_init(&p, PROXY_V2);
    assert_int_equal(proxy_feed(&p, (char *)buf, n, &used, &r), 1);
    assert_int_equal(r.family, AF_UNSPEC);

    n = v2(buf, 0, 0x11, addr, 12); /* LOCAL with an address block: skipped, still LOCAL */
    proxy_init(&p, PROXY_V2);
    assert_int_equal(proxy_feed(&p, (char *)buf, n, &used, &r), 1);
    assert_int_equal(used, n);
    assert_int_equal(r.family, AF_UNSPEC);
}

static void test_v2_malformed(void **state)
{
    uint8_t addr[36] = {0};
    uint8_t buf[64];
    struct {
        uint8_t cmd, fam;
        size_t len;
    } bad[] = {
        {1, 0x11, 11}, /* IPv4 block too short */
        {1, 0x21, 12}, /* IPv6 block too short */
        {1, 0x12, 12}, /* DGRAM */
        {1, 0x41, 12}, /* unknown family */
        {2, 0x11, 12}, /* unknown command */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        proxy_parser_t p;
        proxy_result_t r;
        size_t used;
        size_t n = v2(buf, bad[i].cmd, bad[i].fam, addr, bad[i].len);
        proxy_init(&p, PROXY_ANY);
        assert_int_equal(proxy_feed(&p, (char *)buf, n, &used, &r), -EPROTO);
    }
    size_t n = v2(buf, 1, 0x11, addr, 12);
    buf[12] = 0x11; /* version 1 in the binary header */
    proxy_parser_t p;
    proxy_result_t r;
    size_t used;
    proxy_init(&p, PROXY_V2);
    assert_int_equal(proxy_feed(&p, (char *)buf, n, &used, &r), -EPROTO);
}

static void test_garbage_and_the_wrong_version(void **state)
{
    proxy_parser_t p;
    proxy_result_t r;
    size_t used;
    proxy_init(&p, PROXY_ANY);
    assert_int_equal(proxy_feed(&p, "GET / HTTP/1.1\r\n", 16, &used, &r), -EPROTO);
    proxy_init(&p, PROXY_ANY);
    assert_int_equal(proxy_feed(&p, "\x16\x03\x01\x02", 4, &used, &r), -EPROTO); /* bare TLS */
    proxy_init(&p, PROXY_ANY);
    assert_int_equal(proxy_feed(&p, "PROXZ", 5, &used, &r), -EPROTO);
    /* a v1 header on a v2-only listener and the other way round */
    proxy_init(&p, PROXY_V2);
    assert_int_equal(proxy_feed(&p, "PROXY ", 6, &used, &r), -EPROTO);
    uint8_t buf[64], addr[12] = {0};
    size_t n = v2(buf, 1, 0x11, addr, 12);
    proxy_init(&p, PROXY_V1);
    assert_int_equal(proxy_feed(&p, (char *)buf, n, &used, &r), -EPROTO);
    /* an incomplete header wants more and takes everything given */
    proxy_init(&p, PROXY_ANY);
    assert_int_equal(proxy_feed(&p, (char *)buf, 10, &used, &r), 0);
    assert_int_equal(used, 10);
}

static void test_mode_names(void **state)
{
    proxy_mode_t m;
    assert_int_equal(proxy_mode_parse("any", &m), 0);
    assert_int_equal(m, PROXY_ANY);
    assert_string_equal(proxy_mode_name(PROXY_V2), "v2");
    assert_int_equal(proxy_mode_parse("v3", &m), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_tcp4_whole_and_split),
        cmocka_unit_test(test_v1_tcp6_and_unknown),
        cmocka_unit_test(test_v1_max_length),
        cmocka_unit_test(test_v1_malformed),
        cmocka_unit_test(test_v2_ipv4_with_tlvs_split),
        cmocka_unit_test(test_v2_ipv6_unix_local),
        cmocka_unit_test(test_v2_malformed),
        cmocka_unit_test(test_garbage_and_the_wrong_version),
        cmocka_unit_test(test_mode_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
