/* fuzz_dns.c -- the strict DNS parser and the zone answerer on any bytes.
 * Oracles: no crash or UB; a parsed name never holds CR, LF or NUL; every
 * answer the zone builds (longer than a bare header) parses back cleanly and
 * echoes the query id. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dns_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_zone *z;
    if (!z) {
        const uint8_t a[4] = {192, 0, 2, 25};
        z = dns_zone_new();
        dns_zone_add_mx(z, "example.net", 10, "mail.example.net", 3600);
        dns_zone_add_mx(z, "example.net", 20, "backup.example.org", 3600);
        dns_zone_add_a(z, "mail.example.net", a, 3600);
        dns_zone_add_a(z, "backup.example.org", a, 60);
    }
    struct dns_msg *m = malloc(sizeof *m);
    size_t off = 0;
    if (dns_parse(data, size, m, &off) == DNS_E_OK) {
        if (strpbrk(m->qname, "\r\n")) abort();
        for (size_t i = 0; i < m->an_count; i++)
            if (strpbrk(m->an[i].name, "\r\n") || strpbrk(m->an[i].target, "\r\n")) abort();
        char s[1024];
        dns_msg_summary(m, s, sizeof s);
    } else if (off > size) {
        abort();
    }
    uint8_t out[DNS_UDP_MAX];
    size_t n = dns_answer_build(z, data, size, out, sizeof out);
    if (n > DNS_HEADER_LEN) {
        if (dns_parse(out, n, m, NULL) != DNS_E_OK) abort();
        if (m->id != (uint16_t)((data[0] << 8) | data[1])) abort();
    }
    free(m);
    return 0;
}
