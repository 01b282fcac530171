/* dsn.h -- delivery status notifications (bounces): RFC 3464 inside an
 * RFC 6522 multipart/report; report-type=delivery-status.
 *
 * A DSN has three parts: a text/plain explanation naming each recipient, the
 * reason and the remote server's reply; a message/delivery-status part with
 * the per-message fields (Reporting-MTA, Arrival-Date) and one group of
 * per-recipient fields per recipient (Final-Recipient, Action, Status,
 * Remote-MTA, Diagnostic-Code, Last-Attempt-Date), RFC 3464 §2.2 and §2.3;
 * and the original message's header as text/rfc822-headers (RFC 6522 §4).
 * It comes from "Mail Delivery Subsystem <MAILER-DAEMON@domain>" and must be
 * sent with the null reverse-path MAIL FROM:<> (RFC 5321 §4.5.5); the caller
 * does that. Text from remote servers is made printable ASCII (other octets
 * become '?') before it is written: it crosses into a header-like part. */
#ifndef MAILSIM_FORMAT_DSN_H
#define MAILSIM_FORMAT_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "format/msg.h"

/* Most recipients in one DSN. */
#define DSN_MAX_RECIPIENTS 100

enum dsn_action { DSN_FAILED, DSN_DELAYED };

/* One recipient's outcome. status is an RFC 3463 code "5.1.1" / "4.4.1";
 * remote_mta (may be NULL) the host that replied; diagnostic (may be NULL)
 * that host's reply, e.g. "550 5.1.1 <bob@example.net>: no such user", or
 * our own reason ("connection refused for 5 days"); reason is one line for
 * people ("the recipient's server says this mailbox does not exist"). */
struct dsn_recipient {
    const char *addr;
    enum dsn_action action;
    const char *status;
    const char *remote_mta;
    const char *diagnostic;
    const char *reason;
    sim_us last_attempt;
};

/* What the reporting server knows. reporting_mta is its host name, domain
 * goes into MAILER-DAEMON@domain, to is the original reverse path (the
 * sender; never empty: no DSN for a DSN, RFC 5321 §6.1), original[0..len) is
 * the original message (only its header is copied). seed and serial make
 * the Message-ID and boundary deterministic. arrival is when the message
 * was received, now when the DSN is made. */
struct dsn_spec {
    const char *reporting_mta;
    const char *domain;
    const char *to;
    const struct dsn_recipient *rcpts;
    size_t n_rcpts;
    const char *original;
    size_t original_len;
    sim_us arrival;
    sim_us now;
    int64_t epoch_unix;
    uint64_t seed;
    uint64_t serial;
};

/* Append a complete DSN message (header and body, CRLF lines, 7-bit) to
 * out. Returns false, leaving out unchanged and err filled (exact text, e.g.
 * "dsn: empty recipient list"), when the spec is unusable: no recipient,
 * too many, an empty sender, a status that is not class.subject.detail with
 * class 4 or 5 matching the action, or a name with CR/LF/NUL. */
bool dsn_build(struct msg_buf *out, const struct dsn_spec *s, struct ms_error *err);

/* One recipient group of a DSN that was read back. Strings are unfolded
 * field values, NUL-terminated, owned by the report, NULL when absent; the
 * type prefixes ("rfc822; ", "dns; ", "smtp; ") are kept. */
struct dsn_report_rcpt {
    char *final_recipient;
    char *action;
    char *status;
    char *remote_mta;
    char *diagnostic;
};

struct dsn_report {
    char *reporting_mta;
    struct dsn_report_rcpt *rcpts;
    size_t n_rcpts;   /* at most DSN_MAX_RECIPIENTS */
    bool has_headers; /* a text/rfc822-headers or message/rfc822 part follows */
};

/* Read msg[0..len) as a DSN: true when it is a multipart/report with
 * report-type=delivery-status holding a message/delivery-status part
 * (RFC 6522 §3, RFC 3464 §2); out is filled (free with dsn_report_free).
 * False otherwise, with out zeroed. Groups are separated by empty lines;
 * the first is per-message, each later non-empty one is a recipient. */
bool dsn_read(const char *msg, size_t len, struct dsn_report *out);
/* Release a report. Safe on a zeroed report. */
void dsn_report_free(struct dsn_report *r);

/* Copy s into out as printable ASCII on one line: octets outside 32..126
 * become '?', at most max_len bytes (the rest dropped, "..." appended).
 * Returns bytes written (out needs max_len + 4). Can't fail. */
size_t dsn_sanitize(const char *s, size_t n, char *out, size_t max_len);

#endif
