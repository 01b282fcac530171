/* dns_wire.h -- sans-I/O DNS on the wire: MX and A questions and answers.
 *
 * RFC 1035 §4.1 message format (12-octet header, question, answer, authority,
 * additional), §4.1.4 name compression, §3.3.9 MX RDATA, §3.4.1 A RDATA,
 * §2.3.4 limits (label 63, name 255 octets, UDP message 512 octets), RFC 974 /
 * RFC 5321 §5.1 MX use. Invariants: the parser never reads outside
 * (msg, len); a compression pointer must point strictly before the label it
 * replaces (RFC 1035 "a prior occurrence"), so pointer loops are impossible;
 * names are kept as dotted text of letters, digits, '-' and '_' only, so a
 * parsed name can never smuggle a CR, LF or NUL into a transcript. */
#ifndef MAILSIM_PROTO_DNS_WIRE_H
#define MAILSIM_PROTO_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_UDP_MAX 512   /* RFC 1035 §2.3.4: UDP messages */
#define DNS_HEADER_LEN 12 /* RFC 1035 §4.1.1 */
#define DNS_LABEL_MAX 63  /* RFC 1035 §2.3.4 */
#define DNS_NAME_WIRE_MAX 255
#define DNS_NAME_TEXT_MAX 254 /* dotted text, NUL included (253 chars) */
#define DNS_RR_MAX 16         /* records kept per section by the parser */

enum dns_type { DNS_T_A = 1, DNS_T_CNAME = 5, DNS_T_MX = 15 };
enum dns_class { DNS_C_IN = 1 };

/* RFC 1035 §4.1.1 RCODE values. */
enum dns_rcode {
    DNS_R_NOERROR = 0,
    DNS_R_FORMERR = 1,
    DNS_R_SERVFAIL = 2,
    DNS_R_NXDOMAIN = 3,
    DNS_R_NOTIMP = 4,
    DNS_R_REFUSED = 5,
};

/* Parse errors, with their printable reasons (one X-macro table). */
#define DNS_ERR_MAP(X)                                                                             \
    X(OK, "no error")                                                                              \
    X(SHORT_HEADER, "message shorter than the 12-octet header")                                    \
    X(TRUNCATED, "record runs past the end of the message")                                        \
    X(TOO_LONG, "message longer than 512 octets")                                                  \
    X(LABEL_TYPE, "label type 01 or 10 is reserved")                                               \
    X(POINTER_FORWARD, "compression pointer does not point to a prior name")                       \
    X(NAME_TOO_LONG, "name longer than 255 octets")                                                \
    X(LABEL_BYTE, "label holds a byte outside letters, digits, '-' and '_'")                       \
    X(QDCOUNT, "question count is not 1")                                                          \
    X(RDLENGTH, "RDATA length disagrees with its record type")                                     \
    X(TRAILING, "bytes after the last record")                                                     \
    X(TOO_MANY, "more records than the parser keeps")

enum dns_err {
#define DNS_ERR_ENUM(n, s) DNS_E_##n,
    DNS_ERR_MAP(DNS_ERR_ENUM)
#undef DNS_ERR_ENUM
        DNS_E_COUNT
};

/* One resource record, decoded. For MX, pref and target are set; for A,
 * addr; for CNAME, target. Unknown types keep only name/type/class/ttl. */
struct dns_rr {
    char name[DNS_NAME_TEXT_MAX];
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;
    uint16_t pref;
    char target[DNS_NAME_TEXT_MAX];
    uint8_t addr[4];
};

/* One decoded message (query or response). Authority records are counted
 * and skipped; answer and additional records are kept. */
struct dns_msg {
    uint16_t id;
    bool qr, aa, tc, rd, ra;
    uint8_t opcode;
    uint8_t rcode;
    char qname[DNS_NAME_TEXT_MAX];
    uint16_t qtype;
    uint16_t qclass;
    size_t an_count;
    struct dns_rr an[DNS_RR_MAX];
    size_t ns_count;
    size_t ar_count;
    struct dns_rr ar[DNS_RR_MAX];
};

/* The printable reason of e ("compression pointer does not point to a prior
 * name"). Never NULL. */
const char *dns_strerror(enum dns_err e);
/* "MX", "A" or "CNAME" for those types, "TYPE?" otherwise. Never NULL. */
const char *dns_type_name(uint16_t type);
/* "NOERROR", "NXDOMAIN", ... for rcode 0-5, "RCODE?" otherwise. */
const char *dns_rcode_name(uint8_t rcode);

/* True if name is dotted text of 1..63-octet labels of [A-Za-z0-9_-] whose
 * wire form fits 255 octets. A trailing dot is not accepted. */
bool dns_name_valid(const char *name);

/* Build a standard query (RD set) for (name, qtype, IN) with the given id.
 * Returns the length written, or 0 if name is invalid or cap is too small. */
size_t dns_query_build(uint16_t id, const char *name, uint16_t qtype, uint8_t *out, size_t cap);

/* Parse msg[0..len) strictly. On success returns DNS_E_OK and fills *m (the
 * record slots past an_count and ar_count are left as they were);
 * otherwise returns the first error and, when err_off is not NULL, the
 * offset at which it was found. *m is unspecified after an error. */
enum dns_err dns_parse(const uint8_t *msg, size_t len, struct dns_msg *m, size_t *err_off);

/* A zone table: what the simulated resolver knows. Names compare without
 * regard to ASCII case (RFC 1035 §2.3.3). */
struct dns_zone;

/* New empty zone. Free with dns_zone_free(). Can't fail. */
struct dns_zone *dns_zone_new(void);
/* Free z; NULL is a no-op. */
void dns_zone_free(struct dns_zone *z);
/* Add "domain MX pref exchange". Returns false if a name is invalid. */
bool dns_zone_add_mx(struct dns_zone *z, const char *domain, uint16_t pref, const char *exchange,
                     uint32_t ttl);
/* Add "name A a.b.c.d". Returns false if the name is invalid. */
bool dns_zone_add_a(struct dns_zone *z, const char *name, const uint8_t addr[4], uint32_t ttl);

/* Answer the query q[0..qlen) from z into out (cap >= DNS_UDP_MAX is always
 * enough). MX answers carry the exchanges' A records in the additional
 * section (RFC 1035 §3.3.9). Names in answers are compressed (§4.1.4).
 * A query that cannot be parsed but has a header gets FORMERR; a query that
 * is a response, or has no header, gets no answer (returns 0). An unknown
 * name gets NXDOMAIN, a known name without records of the type NOERROR with
 * no answers, a type other than A or MX NOTIMP. Returns the bytes written. */
size_t dns_answer_build(const struct dns_zone *z, const uint8_t *q, size_t qlen, uint8_t *out,
                        size_t cap);

/* Print a one-line summary of a parsed message, as dig does:
 *   "query 0x1234 MX example.net?"
 *   "answer 0x1234 NOERROR: example.net MX 10 mail.example.net; mail.example.net A 192.0.2.25"
 * into buf[cap]; returns buf. Can't fail (truncates). */
char *dns_msg_summary(const struct dns_msg *m, char *buf, size_t cap);

#endif
