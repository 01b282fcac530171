/* imap_test_util.h -- helpers shared by the IMAP tests: run a server engine
 * over a byte string in chunks and collect everything it sends. */
#ifndef MAILSIM_TESTS_IMAP_TEST_UTIL_H
#define MAILSIM_TESTS_IMAP_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/imap_server.h"

static inline bool imap_t_login(void *ctx, const char *user, const char *pass)
{
    (void)ctx;
    return (strcmp(user, "bob") == 0 && strcmp(pass, "secret") == 0) ||
           (strcmp(user, "mrc") == 0 && strcmp(pass, "secret") == 0) ||
           (strcmp(user, "\"user") == 0 && strcmp(pass, "sec\"ret{") == 0);
}

struct imap_t_out {
    char *p;
    size_t len, cap;
};

static inline void imap_t_add(struct imap_t_out *o, const char *p, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->p = realloc(o->p, o->cap);
    }
    memcpy(o->p + o->len, p, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static inline void imap_t_drain(struct imap_server *s, struct imap_t_out *o)
{
    const char *p;
    size_t n = imap_server_out(s, &p);
    if (n) imap_t_add(o, p, n);
    imap_server_out_done(s, n);
}

/* Feed in[0..len) in chunks of at most chunk bytes, draining output as it
 * comes. Returns the bytes consumed. */
static inline size_t imap_t_feed(struct imap_server *s, const char *in, size_t len, size_t chunk,
                                 struct imap_t_out *o)
{
    size_t pos = 0;
    int stall = 0;
    imap_t_drain(s, o);
    while (pos < len && !imap_server_done(s) && stall < 1000) {
        size_t k = len - pos < chunk ? len - pos : chunk;
        size_t used = imap_server_recv(s, in + pos, k);
        pos += used;
        stall = used ? 0 : stall + 1;
        imap_t_drain(s, o);
    }
    imap_t_drain(s, o);
    return pos;
}

static inline struct imap_server *imap_t_server(struct mbox_store *st)
{
    struct imap_server_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.store = st;
    cfg.check_login = imap_t_login;
    cfg.epoch_unix = 1767603600; /* 2026-01-05 09:00:00 UTC */
    return imap_server_new(&cfg);
}

/* One whole session: returns the output (caller frees). */
static inline char *imap_t_session(struct mbox_store *st, const char *in, size_t chunk)
{
    struct imap_server *s = imap_t_server(st);
    struct imap_t_out o = {0};
    imap_t_add(&o, "", 0);
    imap_t_feed(s, in, strlen(in), chunk, &o);
    imap_server_free(s);
    return o.p;
}

/* ---- fixtures ---------------------------------------------------------- */

/* The message of RFC 3501 §8 (its header exactly as the RFC shows it for
 * BODY[HEADER]; a body of 92 lines and 3028 octets as its BODY says). */
static inline char *imap_t_rfc3501_msg(size_t *len)
{
    static const char hdr[] = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
                              "From: Terry Gray <gray@cac.washington.edu>\r\n"
                              "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
                              "To: imap@cac.washington.edu\r\n"
                              "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
                              "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
                              "MIME-Version: 1.0\r\n"
                              "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
                              "\r\n";
    size_t hl = sizeof hdr - 1, bl = 3028;
    char *m = malloc(hl + bl);
    memcpy(m, hdr, hl);
    char *b = m + hl;
    for (int i = 0; i < 91; i++) {
        memcpy(b, "Minutes of the IMAP WG meeting.", 31);
        memcpy(b + 31, "\r\n", 2);
        b += 33;
    }
    memcpy(b, "End of the minutes ....", 23);
    memcpy(b + 23, "\r\n", 2);
    *len = hl + bl;
    return m;
}

/* User mrc with the INBOX of RFC 3501 §8: 18 messages, 17 and 18 recent,
 * 1-16 seen, message 12 the one above, UIDVALIDITY 3857529045. */
static inline void imap_t_fixture_rfc3501(struct mbox_store *st)
{
    struct mbox_user *u = mbox_user_get(st, "mrc", true);
    struct mbox_folder *f = mbox_folder_find(u, "INBOX", 5);
    mbox_folder_set_uidvalidity(f, 3857529045u);
    for (int i = 1; i <= 18; i++) {
        size_t len;
        char *m;
        char small[128];
        if (i == 12) {
            m = imap_t_rfc3501_msg(&len);
        } else {
            len = (size_t)snprintf(small, sizeof small,
                                   "From: a@example.org\r\nSubject: m%d\r\n\r\nbody %d\r\n", i, i);
            m = malloc(len);
            memcpy(m, small, len);
        }
        /* 17-Jul-1996 09:44:25 UTC, in seconds since 1970 */
        sim_us when = ((sim_us)837596665 - 1767603600) * SIM_US_PER_S;
        mbox_append(f, m, len, i <= 16 ? MBOX_F_SEEN : 0, when, NULL);
        free(m);
        if (i <= 16)
            mbox_flags_set(f, (size_t)i - 1,
                           mbox_msg_at(f, (size_t)i - 1)->flags & ~(uint64_t)MBOX_F_RECENT);
    }
}

static const char imap_t_plain[] = "From: Alice <alice@example.org>\r\n"
                                   "To: bob@example.net\r\n"
                                   "Subject: Lecture notes\r\n"
                                   "Date: Mon, 05 Jan 2026 09:00:00 +0000\r\n"
                                   "Message-ID: <1@example.org>\r\n"
                                   "\r\n"
                                   "Notes attached next week.\r\n";

static const char imap_t_photo[] = "From: Carol <carol@example.org>\r\n"
                                   "To: bob@example.net\r\n"
                                   "Subject: Photo\r\n"
                                   "Date: Mon, 05 Jan 2026 09:05:00 +0000\r\n"
                                   "Message-ID: <2@example.org>\r\n"
                                   "MIME-Version: 1.0\r\n"
                                   "Content-Type: multipart/mixed; boundary=\"=_b\"\r\n"
                                   "\r\n"
                                   "--=_b\r\n"
                                   "Content-Type: text/plain; charset=us-ascii\r\n"
                                   "\r\n"
                                   "Here is the photo.\r\n"
                                   "--=_b\r\n"
                                   "Content-Type: image/jpeg; name=\"cat.jpg\"\r\n"
                                   "Content-Transfer-Encoding: base64\r\n"
                                   "Content-Disposition: attachment; filename=\"cat.jpg\"\r\n"
                                   "\r\n"
                                   "/9j/4AAQSkZJRgABAQ==\r\n"
                                   "--=_b--\r\n";

/* User bob: INBOX with a plain message (uid 1) and a multipart photo
 * message (uid 2), both unseen. UIDVALIDITY of INBOX is 1. */
static inline void imap_t_fixture_bob(struct mbox_store *st)
{
    struct mbox_user *u = mbox_user_get(st, "bob", true);
    struct mbox_folder *f = mbox_folder_find(u, "INBOX", 5);
    mbox_append(f, imap_t_plain, sizeof imap_t_plain - 1, 0, 0, NULL);
    mbox_append(f, imap_t_photo, sizeof imap_t_photo - 1, 0, 300 * SIM_US_PER_S, NULL);
}

#endif
