/* dns_wire.c -- RFC 1035 messages: build queries and answers, parse strictly. */
#include "proto/dns_wire.h"

#include "core/ascii.h"
#include "core/common.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dns_zone_rec {
    char name[DNS_NAME_TEXT_MAX];
    uint16_t type;
    uint32_t ttl;
    uint16_t pref;
    char target[DNS_NAME_TEXT_MAX];
    uint8_t addr[4];
};

struct dns_zone {
    struct dns_zone_rec *rec;
    size_t n, cap;
};

/* Remembered name suffixes already written into an answer, for compression. */
#define DNS_COMP_MAX 32
struct dns_comp {
    uint16_t off[DNS_COMP_MAX];
    char text[DNS_COMP_MAX][DNS_NAME_TEXT_MAX];
    size_t n;
};

/* An output cursor that refuses to run past cap. */
struct dns_out {
    uint8_t *p;
    size_t len, cap;
    bool overflow;
};

static const char *const dns_err_text[DNS_E_COUNT] = {
#define DNS_ERR_TEXT(n, s) s,
    DNS_ERR_MAP(DNS_ERR_TEXT)
#undef DNS_ERR_TEXT
};

static const char *const dns_rcode_names[] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
};

static bool dns_label_byte_ok(uint8_t c);
static bool dns_name_eq(const char *a, const char *b);
static void dns_put8(struct dns_out *o, uint8_t v);
static void dns_put16(struct dns_out *o, uint16_t v);
static void dns_put32(struct dns_out *o, uint32_t v);
static void dns_put_name(struct dns_out *o, const char *name, struct dns_comp *c);
static uint16_t dns_get16(const uint8_t *p);
static enum dns_err dns_read_name(const uint8_t *msg, size_t len, size_t *pos, char *out,
                                  size_t *err_off);
static enum dns_err dns_read_rr(const uint8_t *msg, size_t len, size_t *pos, struct dns_rr *rr,
                                size_t *err_off);

const char *dns_strerror(enum dns_err e)
{
    if ((unsigned)e >= DNS_E_COUNT) return "unknown DNS error";
    return dns_err_text[e];
}

const char *dns_type_name(uint16_t type)
{
    switch (type) {
    case DNS_T_A:
        return "A";
    case DNS_T_CNAME:
        return "CNAME";
    case DNS_T_MX:
        return "MX";
    default:
        return "TYPE?";
    }
}

const char *dns_rcode_name(uint8_t rcode)
{
    if (rcode < MS_ARRAY_LEN(dns_rcode_names)) return dns_rcode_names[rcode];
    return "RCODE?";
}

static bool dns_label_byte_ok(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

bool dns_name_valid(const char *name)
{
    size_t n = strlen(name), label = 0;
    /* Wire form: one length octet per label plus the root octet = n + 2. */
    if (n == 0 || n + 2 > DNS_NAME_WIRE_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '.') {
            if (label == 0) return false; /* empty label, or leading dot */
            label = 0;
            continue;
        }
        if (!dns_label_byte_ok((uint8_t)name[i])) return false;
        if (++label > DNS_LABEL_MAX) return false;
    }
    return label > 0; /* no trailing dot */
}

/* RFC 1035 §2.3.3: compare without regard to ASCII case. */
static bool dns_name_eq(const char *a, const char *b)
{
    return ascii_casecmp(a, b) == 0;
}

static void dns_put8(struct dns_out *o, uint8_t v)
{
    if (o->len + 1 > o->cap) {
        o->overflow = true;
        return;
    }
    o->p[o->len++] = v;
}

static void dns_put16(struct dns_out *o, uint16_t v)
{
    dns_put8(o, (uint8_t)(v >> 8));
    dns_put8(o, (uint8_t)v);
}

static void dns_put32(struct dns_out *o, uint32_t v)
{
    dns_put16(o, (uint16_t)(v >> 16));
    dns_put16(o, (uint16_t)v);
}

/* Write a (valid) name; with c, replace the longest suffix already written
 * by a pointer and remember the new suffixes (RFC 1035 §4.1.4). */
static void dns_put_name(struct dns_out *o, const char *name, struct dns_comp *c)
{
    const char *s = name;
    while (*s) {
        if (c) {
            for (size_t i = 0; i < c->n; i++) {
                if (dns_name_eq(c->text[i], s)) {
                    dns_put16(o, (uint16_t)(0xC000u | c->off[i]));
                    return;
                }
            }
            if (c->n < DNS_COMP_MAX && o->len < 0x4000) {
                c->off[c->n] = (uint16_t)o->len;
                snprintf(c->text[c->n], sizeof c->text[c->n], "%s", s);
                c->n++;
            }
        }
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        dns_put8(o, (uint8_t)l);
        for (size_t i = 0; i < l; i++) dns_put8(o, (uint8_t)s[i]);
        s += l;
        if (*s == '.') s++;
    }
    dns_put8(o, 0);
}

size_t dns_query_build(uint16_t id, const char *name, uint16_t qtype, uint8_t *out, size_t cap)
{
    if (!dns_name_valid(name)) return 0;
    struct dns_out o = {out, 0, cap, false};
    dns_put16(&o, id);
    dns_put16(&o, 0x0100); /* QR=0, OPCODE=QUERY, RD=1 */
    dns_put16(&o, 1);      /* QDCOUNT */
    dns_put16(&o, 0);
    dns_put16(&o, 0);
    dns_put16(&o, 0);
    dns_put_name(&o, name, NULL);
    dns_put16(&o, qtype);
    dns_put16(&o, DNS_C_IN);
    return o.overflow ? 0 : o.len;
}

static uint16_t dns_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* Read a possibly compressed name at *pos into out (dotted text); *pos moves
 * past the name as it appears at its place (a pointer counts 2 octets). */
static enum dns_err dns_read_name(const uint8_t *msg, size_t len, size_t *pos, char *out,
                                  size_t *err_off)
{
    size_t p = *pos, wire = 0, o = 0;
    size_t limit = p; /* a pointer must point before the label it replaces */
    bool jumped = false;
    out[0] = '\0';
    for (;;) {
        if (p >= len) {
            *err_off = p;
            return DNS_E_TRUNCATED;
        }
        uint8_t b = msg[p];
        if ((b & 0xC0) == 0xC0) {
            if (p + 1 >= len) {
                *err_off = p;
                return DNS_E_TRUNCATED;
            }
            size_t target = (size_t)(dns_get16(msg + p) & 0x3FFF);
            /* Strictly backwards from the earliest label read so far: every
             * hop moves left, so a loop cannot form (RFC 1035 §4.1.4). */
            if (target >= limit) {
                *err_off = p;
                return DNS_E_POINTER_FORWARD;
            }
            if (!jumped) *pos = p + 2;
            jumped = true;
            limit = target;
            p = target;
            continue;
        }
        if (b & 0xC0) {
            *err_off = p;
            return DNS_E_LABEL_TYPE;
        }
        wire += 1u + b;
        if (wire > DNS_NAME_WIRE_MAX) {
            *err_off = p;
            return DNS_E_NAME_TOO_LONG;
        }
        if (b == 0) {
            if (!jumped) *pos = p + 1;
            out[o] = '\0';
            return DNS_E_OK;
        }
        if (p + 1 + b > len) {
            *err_off = p;
            return DNS_E_TRUNCATED;
        }
        if (o > 0) out[o++] = '.';
        for (size_t i = 0; i < b; i++) {
            uint8_t c = msg[p + 1 + i];
            if (!dns_label_byte_ok(c)) {
                *err_off = p + 1 + i;
                return DNS_E_LABEL_BYTE;
            }
            out[o++] = (char)c;
        }
        p += 1u + b;
    }
}

/* Read one record into rr (NULL: read and check it, keep nothing). */
static enum dns_err dns_read_rr(const uint8_t *msg, size_t len, size_t *pos, struct dns_rr *rr,
                                size_t *err_off)
{
    struct dns_rr tmp;
    memset(&tmp, 0, sizeof tmp);
    struct dns_rr *r = rr != NULL ? rr : &tmp;
    memset(r, 0, sizeof *r);
    enum dns_err e = dns_read_name(msg, len, pos, r->name, err_off);
    if (e != DNS_E_OK) return e;
    size_t p = *pos;
    if (p + 10 > len) {
        *err_off = p;
        return DNS_E_TRUNCATED;
    }
    r->type = dns_get16(msg + p);
    r->rclass = dns_get16(msg + p + 2);
    r->ttl = ((uint32_t)dns_get16(msg + p + 4) << 16) | dns_get16(msg + p + 6);
    size_t rdlen = dns_get16(msg + p + 8);
    p += 10;
    if (p + rdlen > len) {
        *err_off = p - 2;
        return DNS_E_TRUNCATED;
    }
    size_t end = p + rdlen;
    if (r->type == DNS_T_A) {
        if (rdlen != 4) {
            *err_off = p - 2;
            return DNS_E_RDLENGTH;
        }
        memcpy(r->addr, msg + p, 4);
    } else if (r->type == DNS_T_MX || r->type == DNS_T_CNAME) {
        size_t q = p;
        if (r->type == DNS_T_MX) {
            if (rdlen < 3) {
                *err_off = p - 2;
                return DNS_E_RDLENGTH;
            }
            r->pref = dns_get16(msg + p);
            q += 2;
        }
        /* The name must end exactly where RDLENGTH says. */
        e = dns_read_name(msg, end, &q, r->target, err_off);
        if (e == DNS_E_TRUNCATED) e = DNS_E_RDLENGTH;
        if (e != DNS_E_OK) return e;
        if (q != end) {
            *err_off = q;
            return DNS_E_RDLENGTH;
        }
    }
    *pos = end;
    return DNS_E_OK;
}

enum dns_err dns_parse(const uint8_t *msg, size_t len, struct dns_msg *m, size_t *err_off)
{
    size_t scratch;
    if (!err_off) err_off = &scratch;
    *err_off = 0;
    /* Everything up to the records; each record is zeroed as it is read and
     * none past the counts is ever read, so the 16 KiB of record slots are
     * not cleared on every call. */
    memset(m, 0, offsetof(struct dns_msg, an));
    m->ns_count = m->ar_count = 0;
    if (len < DNS_HEADER_LEN) {
        *err_off = len;
        return DNS_E_SHORT_HEADER;
    }
    if (len > DNS_UDP_MAX) {
        *err_off = DNS_UDP_MAX;
        return DNS_E_TOO_LONG;
    }
    m->id = dns_get16(msg);
    uint16_t fl = dns_get16(msg + 2);
    m->qr = (fl & 0x8000) != 0;
    m->opcode = (uint8_t)((fl >> 11) & 0xF);
    m->aa = (fl & 0x0400) != 0;
    m->tc = (fl & 0x0200) != 0;
    m->rd = (fl & 0x0100) != 0;
    m->ra = (fl & 0x0080) != 0;
    m->rcode = (uint8_t)(fl & 0xF);
    size_t qd = dns_get16(msg + 4), an = dns_get16(msg + 6);
    size_t ns = dns_get16(msg + 8), ar = dns_get16(msg + 10);
    if (qd != 1) { /* mailsim asks one question per message, as resolvers do */
        *err_off = 4;
        return DNS_E_QDCOUNT;
    }
    if (an > DNS_RR_MAX || ar > DNS_RR_MAX) {
        *err_off = an > DNS_RR_MAX ? 6 : 10;
        return DNS_E_TOO_MANY;
    }
    size_t pos = DNS_HEADER_LEN;
    enum dns_err e = dns_read_name(msg, len, &pos, m->qname, err_off);
    if (e != DNS_E_OK) return e;
    if (pos + 4 > len) {
        *err_off = pos;
        return DNS_E_TRUNCATED;
    }
    m->qtype = dns_get16(msg + pos);
    m->qclass = dns_get16(msg + pos + 2);
    pos += 4;
    for (size_t i = 0; i < an; i++) {
        e = dns_read_rr(msg, len, &pos, &m->an[i], err_off);
        if (e != DNS_E_OK) return e;
    }
    m->an_count = an;
    for (size_t i = 0; i < ns; i++) {
        e = dns_read_rr(msg, len, &pos, NULL, err_off);
        if (e != DNS_E_OK) return e;
    }
    m->ns_count = ns;
    for (size_t i = 0; i < ar; i++) {
        e = dns_read_rr(msg, len, &pos, &m->ar[i], err_off);
        if (e != DNS_E_OK) return e;
    }
    m->ar_count = ar;
    if (pos != len) {
        *err_off = pos;
        return DNS_E_TRAILING;
    }
    return DNS_E_OK;
}

struct dns_zone *dns_zone_new(void)
{
    return ms_xcalloc(1, sizeof(struct dns_zone));
}

void dns_zone_free(struct dns_zone *z)
{
    if (!z) return;
    free(z->rec);
    free(z);
}

static struct dns_zone_rec *dns_zone_push(struct dns_zone *z)
{
    if (z->n == z->cap) {
        z->cap = z->cap ? z->cap * 2 : 8;
        z->rec = ms_xrealloc(z->rec, z->cap * sizeof *z->rec);
    }
    struct dns_zone_rec *r = &z->rec[z->n++];
    memset(r, 0, sizeof *r);
    return r;
}

bool dns_zone_add_mx(struct dns_zone *z, const char *domain, uint16_t pref, const char *exchange,
                     uint32_t ttl)
{
    if (!dns_name_valid(domain) || !dns_name_valid(exchange)) return false;
    struct dns_zone_rec *r = dns_zone_push(z);
    snprintf(r->name, sizeof r->name, "%s", domain);
    snprintf(r->target, sizeof r->target, "%s", exchange);
    r->type = DNS_T_MX;
    r->pref = pref;
    r->ttl = ttl;
    return true;
}

bool dns_zone_add_a(struct dns_zone *z, const char *name, const uint8_t addr[4], uint32_t ttl)
{
    if (!dns_name_valid(name)) return false;
    struct dns_zone_rec *r = dns_zone_push(z);
    snprintf(r->name, sizeof r->name, "%s", name);
    memcpy(r->addr, addr, 4);
    r->type = DNS_T_A;
    r->ttl = ttl;
    return true;
}

/* Write one record from the zone. */
static void dns_put_rr(struct dns_out *o, const struct dns_zone_rec *r, struct dns_comp *c)
{
    dns_put_name(o, r->name, c);
    dns_put16(o, r->type);
    dns_put16(o, DNS_C_IN);
    dns_put32(o, r->ttl);
    if (r->type == DNS_T_A) {
        dns_put16(o, 4);
        for (int i = 0; i < 4; i++) dns_put8(o, r->addr[i]);
        return;
    }
    size_t rdlen_at = o->len;
    dns_put16(o, 0);
    dns_put16(o, r->pref);
    dns_put_name(o, r->target, c);
    if (!o->overflow) {
        size_t rdlen = o->len - rdlen_at - 2;
        o->p[rdlen_at] = (uint8_t)(rdlen >> 8);
        o->p[rdlen_at + 1] = (uint8_t)rdlen;
    }
}

size_t dns_answer_build(const struct dns_zone *z, const uint8_t *q, size_t qlen, uint8_t *out,
                        size_t cap)
{
    struct dns_msg *m = ms_xmalloc(sizeof *m);
    size_t off;
    enum dns_err e = dns_parse(q, qlen, m, &off);
    size_t result = 0;
    struct dns_out o = {out, 0, cap, false};
    struct dns_comp *comp = ms_xmalloc(sizeof *comp); /* only entries below n are read */
    comp->n = 0;
    if (qlen < DNS_HEADER_LEN || (q[2] & 0x80)) goto done; /* nothing to answer */
    uint16_t id = dns_get16(q);
    uint16_t rd = (uint16_t)(dns_get16(q + 2) & 0x0100);
    if (e != DNS_E_OK || m->opcode != 0) {
        dns_put16(&o, id);
        dns_put16(&o, (uint16_t)(0x8000 | rd | (e != DNS_E_OK ? DNS_R_FORMERR : DNS_R_NOTIMP)));
        for (int i = 0; i < 4; i++) dns_put16(&o, 0);
        result = o.overflow ? 0 : o.len;
        goto done;
    }
    uint8_t rcode = DNS_R_NOERROR;
    bool known = false;
    size_t nans = 0;
    for (size_t i = 0; i < z->n; i++) {
        if (!dns_name_eq(z->rec[i].name, m->qname)) continue;
        known = true;
        if (z->rec[i].type == m->qtype) nans++;
    }
    if (m->qclass != DNS_C_IN || (m->qtype != DNS_T_A && m->qtype != DNS_T_MX))
        rcode = DNS_R_NOTIMP;
    else if (!known)
        rcode = DNS_R_NXDOMAIN;
    if (rcode != DNS_R_NOERROR) nans = 0;
    /* Additional section: the A records of the MX exchanges (§3.3.9). */
    size_t nadd = 0;
    if (rcode == DNS_R_NOERROR && m->qtype == DNS_T_MX) {
        for (size_t i = 0; i < z->n; i++) {
            if (z->rec[i].type != DNS_T_MX || !dns_name_eq(z->rec[i].name, m->qname)) continue;
            for (size_t j = 0; j < z->n; j++)
                if (z->rec[j].type == DNS_T_A && dns_name_eq(z->rec[j].name, z->rec[i].target))
                    nadd++;
        }
        if (nadd > DNS_RR_MAX) nadd = DNS_RR_MAX;
        if (nans > DNS_RR_MAX) nans = DNS_RR_MAX;
    }
    if (nans > DNS_RR_MAX) nans = DNS_RR_MAX;
    dns_put16(&o, id);
    dns_put16(&o, (uint16_t)(0x8000 | 0x0400 | rd | 0x0080 | rcode)); /* QR AA RD RA */
    dns_put16(&o, 1);
    dns_put16(&o, (uint16_t)nans);
    dns_put16(&o, 0);
    dns_put16(&o, (uint16_t)nadd);
    dns_put_name(&o, m->qname, comp);
    dns_put16(&o, m->qtype);
    dns_put16(&o, m->qclass);
    size_t w = 0;
    for (size_t i = 0; i < z->n && w < nans; i++) {
        if (z->rec[i].type != m->qtype || !dns_name_eq(z->rec[i].name, m->qname)) continue;
        dns_put_rr(&o, &z->rec[i], comp);
        w++;
    }
    w = 0;
    for (size_t i = 0; i < z->n && w < nadd; i++) {
        if (z->rec[i].type != DNS_T_MX || !dns_name_eq(z->rec[i].name, m->qname)) continue;
        for (size_t j = 0; j < z->n && w < nadd; j++) {
            if (z->rec[j].type == DNS_T_A && dns_name_eq(z->rec[j].name, z->rec[i].target)) {
                dns_put_rr(&o, &z->rec[j], comp);
                w++;
            }
        }
    }
    if (o.overflow && cap >= DNS_HEADER_LEN) {
        /* RFC 1035 §4.1.1 TC: the answer did not fit; send the header only. */
        o.overflow = false;
        o.len = 0;
        dns_put16(&o, id);
        dns_put16(&o, (uint16_t)(0x8000 | 0x0400 | 0x0200 | rd | 0x0080 | rcode));
        for (int i = 0; i < 4; i++) dns_put16(&o, 0);
    }
    result = o.overflow ? 0 : o.len;
done:
    free(comp);
    free(m);
    return result;
}

char *dns_msg_summary(const struct dns_msg *m, char *buf, size_t cap)
{
    size_t o = 0;
    int n;
#define DNS_APPEND(...)                                                                            \
    do {                                                                                           \
        n = snprintf(buf + o, o < cap ? cap - o : 0, __VA_ARGS__);                                 \
        if (n > 0) o += (size_t)n;                                                                 \
        if (o >= cap) return buf;                                                                  \
    } while (0)
    if (cap == 0) return buf;
    buf[0] = '\0';
    if (!m->qr) {
        DNS_APPEND("query 0x%04x %s %s?", m->id, dns_type_name(m->qtype), m->qname);
        return buf;
    }
    DNS_APPEND("answer 0x%04x %s%s", m->id, dns_rcode_name(m->rcode), m->tc ? " TC" : "");
    for (size_t i = 0; i < m->an_count + m->ar_count; i++) {
        const struct dns_rr *r = i < m->an_count ? &m->an[i] : &m->ar[i - m->an_count];
        DNS_APPEND("%s %s %s", i == 0 ? ":" : ";", r->name, dns_type_name(r->type));
        if (r->type == DNS_T_MX)
            DNS_APPEND(" %u %s", (unsigned)r->pref, r->target);
        else if (r->type == DNS_T_A)
            DNS_APPEND(" %u.%u.%u.%u", r->addr[0], r->addr[1], r->addr[2], r->addr[3]);
        else if (r->type == DNS_T_CNAME)
            DNS_APPEND(" %s", r->target);
    }
    if (m->an_count == 0 && m->rcode == DNS_R_NOERROR) DNS_APPEND(" (no records)");
#undef DNS_APPEND
    return buf;
}
