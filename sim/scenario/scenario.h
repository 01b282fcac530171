/* scenario.h -- the validated scenario model: a lesson as plain C structs.
 *
 * A scenario file (JSON, docs/scenario-format.md) is untrusted input. The
 * loader (scn_load_file / scn_load_buffer) checks everything before it
 * returns a model, so consumers may rely on these invariants:
 *   - every string is valid UTF-8, NUL-terminated, has no NUL inside, and
 *     strings that reach the wire (names, addresses, subjects, passwords,
 *     folder names, IMAP criteria) hold no CR, LF or other control byte;
 *   - every host / user / link reference is resolved to an index that is in
 *     range (SCN_NONE only where the field is documented as optional);
 *   - durations are >= 0 and <= SCN_MAX_TIME, counts are under the SCN_MAX_*
 *     caps, probabilities are in [0, 1];
 *   - the timeline is sorted by time (files must list actions in time order).
 * Loading is atomic: on any error nothing is returned and the error names
 * file:line:col and the field path. The file on disk is never written by
 * the loader. Everything in a model is owned by it; scn_free releases all. */
#ifndef MAILSIM_SCENARIO_SCENARIO_H
#define MAILSIM_SCENARIO_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

/* "No such index": optional references that are absent. */
#define SCN_NONE ((size_t)-1)

/* Hard caps, so a scenario cannot exhaust memory or hang the app (J9). */
#define SCN_MAX_FILE_BYTES (8u * 1024u * 1024u) /* scenario file size */
#define SCN_MAX_DEPTH 64                        /* JSON nesting */
#define SCN_MAX_HOSTS 10000
#define SCN_MAX_LINKS 100000
#define SCN_MAX_USERS 1000000   /* over all servers */
#define SCN_MAX_ACTIONS 1000000 /* timeline, all variants */
#define SCN_MAX_RECIPIENTS 1000 /* to + cc + bcc of one message */
#define SCN_MAX_ATTACHMENTS 100
#define SCN_MAX_ATTACH_BYTES (16u * 1024u * 1024u)  /* one attachment (size or file) */
#define SCN_MAX_MESSAGE_BYTES (64u * 1024u * 1024u) /* attachments of one message */
#define SCN_MAX_TOTAL_BYTES                                                                        \
    (UINT64_C(1) << 30)                         /* all attachments, pages and
                                                   * transfers of a scenario */
#define SCN_MAX_TEXT_BYTES (1u * 1024u * 1024u) /* a body, html or narration */
#define SCN_MAX_TIME (366 * SIM_US_PER_DAY)     /* latest action, longest give-up */
#define SCN_IMAP_MAX_WAIT SIM_US_PER_DAY        /* an IMAP "idle" or "wait" step */
#define SCN_POP3_MAX_WAIT SIM_US_PER_DAY        /* a POP3 "wait" step */

/* ------------------------------------------------------------------ hosts */

enum scn_host_kind {
    SCN_HOST_PC,          /* user agent device */
    SCN_HOST_LAPTOP,      /* user agent device */
    SCN_HOST_PHONE,       /* user agent device */
    SCN_HOST_BROWSER,     /* user agent device that speaks HTTP (webmail, web_get) */
    SCN_HOST_MAIL_SERVER, /* SMTP relay + submission, POP3, IMAP, webmail */
    SCN_HOST_ROUTER,      /* forwards packets; "the Internet" can be one router */
    SCN_HOST_DNS,         /* answers MX (and A) questions */
    SCN_HOST_WEB_SERVER,  /* serves pages and their objects over HTTP */
    SCN_HOST_KIND_COUNT
};

/* JSON spelling of each kind: "pc", "laptop", ..., "web_server". */
extern const char *const scn_host_kind_names[SCN_HOST_KIND_COUNT];

/* True for pc, laptop, phone and browser: hosts that run a user agent. */
bool scn_host_kind_is_device(enum scn_host_kind k);

/* A mailbox owner on a mail server. Address is name@server-domain. */
struct scn_user {
    char *name;         /* local part, RFC 5321 dot-atom, e.g. "bob" */
    char *password;     /* printable ASCII, no spaces; "" when not given */
    char *display_name; /* for From:/To: headers; "" when not given */
};

/* Per-stage failure probabilities of a server's SMTP sessions
 * ("chaos"), drawn from the seeded RNG; all 0 by default. */
struct scn_chaos {
    double connect;   /* refuse the TCP connection */
    double greeting;  /* answer 421 instead of 220 */
    double rcpt;      /* answer 451 to RCPT */
    double data;      /* answer 451 to DATA */
    double after_dot; /* drop the connection after the final dot, before 250 */
    double refuse;    /* greet with 554: no service for this client (permanent) */
};

/* A mail server's own wording of its positive SMTP replies ("smtp":
 * {"replies": {...}}): the text after the code; NULL keeps the engine's.
 * Printable ASCII, at most SCN_MAX_REPLY_TEXT characters; placeholders
 * {host}, {client}, {sender}, {rcpt} (struct smtp_server_texts). */
#define SCN_MAX_REPLY_TEXT 200
struct scn_smtp_texts {
    char *greeting, *helo, *mail, *rcpt, *data, *queued, *quit;
};

/* When an SMTP client asks for STARTTLS (RFC 3207): never, when the server
 * offers it, or always (no mail in clear: a temporary failure otherwise).
 * JSON spelling "off", "opportunistic", "required". */
enum scn_tls_use { SCN_TLS_OFF, SCN_TLS_OPPORTUNISTIC, SCN_TLS_REQUIRED, SCN_TLS_USE_COUNT };
extern const char *const scn_tls_use_names[SCN_TLS_USE_COUNT];

/* STARTTLS of a mail server (all off by default). The simulation has no
 * cryptography: the lines after STARTTLS travel as plaintext, marked as what
 * only the two endpoints would see. */
struct scn_smtp_tls {
    bool offer;             /* "starttls": the EHLO reply offers STARTTLS (25 and 587) */
    bool auth_needs;        /* "auth_needs_starttls": AUTH only inside TLS (RFC 4954 §4) */
    enum scn_tls_use relay; /* "relay_starttls": its own SMTP client, relaying on */
};

/* The "smtp" object of a mail server, as a variant may replace it whole. */
struct scn_smtp_opts {
    bool submission, auth_required, eightbitmime, pipelining;
    uint64_t size_limit;
    uint32_t max_recipients;
    bool helo_client;
    struct scn_smtp_tls tls;
    struct scn_smtp_texts texts;
};

struct scn_mail_server {
    char *domain;           /* the mail domain it serves, e.g. "example.net" */
    struct scn_user *users; /* n_users, in file order */
    size_t n_users;
    /* SMTP features. */
    bool submission;             /* listens on 587 for its own users (default true) */
    bool auth_required;          /* 587 requires AUTH (default false) */
    bool eightbitmime;           /* advertises 8BITMIME (default true) */
    bool pipelining;             /* advertises PIPELINING (default true) */
    uint64_t size_limit;         /* SIZE in bytes; 0 = no limit advertised (default 10 MiB) */
    uint32_t max_recipients;     /* per transaction, >= 1 (default 100) */
    bool helo_client;            /* its SMTP client greets with HELO, never EHLO
                              * (RFC 5321 4.1.1.1): no extension, lock-step */
    struct scn_smtp_texts texts; /* reply wording; NULL members: the engine's */
    struct scn_smtp_tls tls;     /* STARTTLS offered and used */
    /* Queue. */
    sim_us retry_interval; /* > 0 (default 30m) */
    sim_us give_up;        /* >= retry_interval (default 5d) */
    /* Teaching switches. */
    bool lenient_data;   /* UNSAFE legacy server: LF "." CRLF ends DATA (smuggling lesson) */
    bool accept_bare_lf; /* UNSAFE legacy server: keeps a bare LF in message data and
                              * relays it unchanged (the smuggling lesson's outbound half) */
    bool webmail;        /* serves webmail over HTTP on port 80 (default false) */
    struct scn_chaos chaos;
};

/* One MX record: mail for domain goes to host (a mail server). */
struct scn_mx {
    char *domain;        /* e.g. "example.net" */
    char *host;          /* host name of a mail server */
    size_t host_index;   /* into scn_scenario.hosts; always a mail server */
    uint16_t preference; /* lower is tried first (default 10) */
};

struct scn_dns {
    struct scn_mx *mx; /* records written in the file for this host */
    size_t n_mx;
};

struct scn_web_object {
    char *name;    /* path-less name, e.g. "photo1.jpg"; served as /name */
    char *type;    /* MIME type, e.g. "image/jpeg" */
    uint64_t size; /* bytes of generated content */
};

struct scn_web_page {
    char *path;                     /* request target, starts with '/' */
    char *title;                    /* "" when not given */
    uint64_t size;                  /* bytes of the HTML itself (default 1024) */
    struct scn_web_object *objects; /* referenced by the page, fetched after it */
    size_t n_objects;
};

struct scn_web_server {
    struct scn_web_page *pages;
    size_t n_pages;
};

struct scn_host {
    char *name; /* DNS-style host name, unique (case-insensitive) */
    enum scn_host_kind kind;
    bool has_ipv4; /* false: the world assigns an address */
    uint32_t ipv4; /* host byte order, e.g. 0xC0000201 for 192.0.2.1 */
    bool has_pos;  /* false: automatic layout */
    double x, y;   /* screen position, each in [0, 1] */
    bool up;       /* initially up (default true) */
    /* Devices only: the user who owns it ("alice@example.org"), or all
     * SCN_NONE / NULL when it has no owner. */
    char *owner;         /* address text as written */
    size_t owner_server; /* host index of the owner's mail server */
    size_t owner_user;   /* index into that server's users */
    /* Exactly the member for .kind is meaningful; the others are zero. */
    struct scn_mail_server mail; /* SCN_HOST_MAIL_SERVER */
    struct scn_dns dns;          /* SCN_HOST_DNS */
    struct scn_web_server web;   /* SCN_HOST_WEB_SERVER */
};

/* ------------------------------------------------------------------ links */

struct scn_link {
    size_t a, b;            /* host indices, a != b; at most one link per pair */
    sim_us latency;         /* one-way propagation delay (default 10ms) */
    uint64_t bandwidth_bps; /* bits per second, > 0 (default 10 Mbit/s) */
    double loss;            /* probability a segment is lost, [0, 1) (default 0) */
    uint32_t mtu;           /* bytes, 576..65535 (default 1500) */
    bool up;                /* initially up (default true) */
};

/* --------------------------------------------------------------- messages */

enum scn_attach_kind {
    SCN_ATTACH_GENERATED, /* "size": content is generated from the seed */
    SCN_ATTACH_FILE,      /* "file": bytes read from a file next to the scenario */
    SCN_ATTACH_EML,       /* "file" with kind "eml": the file IS the whole message
                           * (RFC 5322); the send then has no subject, body, html
                           * or other attachments (--import-eml) */
    SCN_ATTACH_KIND_COUNT
};
extern const char *const scn_attach_kind_names[SCN_ATTACH_KIND_COUNT];

struct scn_attachment {
    enum scn_attach_kind kind;
    char *name;          /* file name shown in the message, e.g. "photo.jpg" */
    char *type;          /* MIME type (default "application/octet-stream";
                    * "message/rfc822" for eml) */
    uint64_t size;       /* bytes: as given (generated) or the file's length */
    char *path;          /* FILE/EML: relative path as written (no "..", not
                    * absolute); NULL for GENERATED */
    unsigned char *data; /* FILE/EML: the file's bytes (size of them), read at
                          * load time; NULL for GENERATED or when the load
                          * options said no_files */
};

/* What a user writes: used by "send" and by webmail "send". */
struct scn_message {
    char **to, **cc, **bcc;   /* addresses "local@domain", RFC 5321 Mailbox; may
                             * name unknown users or domains (that is a lesson) */
    size_t n_to, n_cc, n_bcc; /* n_to + n_cc + n_bcc >= 1 */
    char *subject;            /* "" when not given; no CR/LF */
    char *body;               /* text/plain, may contain LF (the composer makes
                               * CRLF), lines starting with '.', long lines */
    char *html;               /* NULL when not given: text/html alternative */
    struct scn_attachment *attachments;
    size_t n_attachments;
};

/* -------------------------------------------------------------- timeline */

enum scn_action_kind {
    SCN_ACT_SEND,       /* user agent composes and submits a message */
    SCN_ACT_CHECK_MAIL, /* user agent fetches mail with POP3 or IMAP */
    SCN_ACT_WEBMAIL,    /* browser uses the user's webmail */
    SCN_ACT_WEB_GET,    /* browser fetches a page and its objects */
    SCN_ACT_HOST_DOWN,
    SCN_ACT_HOST_UP,
    SCN_ACT_LINK_DOWN,
    SCN_ACT_LINK_UP,
    SCN_ACT_LINK_SET,     /* change latency / bandwidth / loss (window sliders) */
    SCN_ACT_SERVER_SET,   /* change retry interval / give-up (window sliders) */
    SCN_ACT_NARRATE,      /* text shown to the audience */
    SCN_ACT_TCP_TRANSFER, /* raw bytes over one TCP connection (foundation demo) */
    SCN_ACT_KIND_COUNT
};
/* JSON spelling: "send", "check_mail", ..., "tcp_transfer". */
extern const char *const scn_action_kind_names[SCN_ACT_KIND_COUNT];

struct scn_send {
    char *from;                /* "alice@example.org": an existing user */
    size_t from_server;        /* host index of the sender's mail server */
    size_t from_user;          /* index into its users */
    size_t device;             /* host index of the device (pc/laptop/phone/browser) */
    bool no_auth;              /* the user agent does not authenticate even when its
                           * server requires it ("auth": false; gets 530) */
    bool raw_body;             /* UNSAFE: the body goes on the wire byte for byte
                           * ("\r\n" and a lone "\n" as written): the smuggling
                           * lesson's attacker; plain text only */
    enum scn_tls_use starttls; /* the user agent's STARTTLS on submission
                                * (default off) */
    bool direct_delivery;      /* skip the own server: the UA connects to the
                           * recipient's side itself (lesson 07) */
    size_t direct_host;        /* with direct_delivery: the host to connect to, or
                           * SCN_NONE to let the UA look up the MX */
    struct scn_message msg;
};

enum scn_access_proto { SCN_PROTO_POP3, SCN_PROTO_IMAP, SCN_PROTO_COUNT };
enum scn_pop3_mode { SCN_POP3_DELETE, SCN_POP3_KEEP, SCN_POP3_MODE_COUNT };

enum scn_imap_op {
    SCN_IMAP_LIST,         /* LIST "" pattern */
    SCN_IMAP_SELECT,       /* SELECT mailbox */
    SCN_IMAP_SEARCH,       /* SEARCH criteria */
    SCN_IMAP_FETCH_HEADER, /* FETCH set BODY.PEEK[HEADER] */
    SCN_IMAP_FETCH_PART,   /* FETCH set BODY[part] */
    SCN_IMAP_MOVE,         /* MOVE set mailbox */
    SCN_IMAP_STORE_FLAGS,  /* STORE set +FLAGS/-FLAGS/FLAGS (flags) */
    SCN_IMAP_CREATE,       /* CREATE mailbox */
    SCN_IMAP_LOGOUT,       /* LOGOUT (also implied at the end of the list) */
    SCN_IMAP_NOOP,         /* NOOP: the server's updates since the last command */
    SCN_IMAP_IDLE,         /* IDLE until an update arrives or "for" has passed (RFC 2177) */
    SCN_IMAP_WAIT,         /* no command for "for": the user reads, the session stays */
    SCN_IMAP_OP_COUNT
};
extern const char *const scn_imap_op_names[SCN_IMAP_OP_COUNT];

enum scn_store_mode { SCN_STORE_ADD, SCN_STORE_REMOVE, SCN_STORE_REPLACE, SCN_STORE_COUNT };

/* One IMAP step; fields not used by op are NULL / 0. */
struct scn_imap_action {
    enum scn_imap_op op;
    char *mailbox;  /* SELECT, MOVE (destination), CREATE; no CR/LF/NUL,
                      * no "..", not starting with '/' */
    char *pattern;  /* LIST (default "*") */
    char *criteria; /* SEARCH, e.g. "FROM alice UNSEEN" (default "ALL") */
    char *set;      /* FETCH_*, MOVE, STORE: sequence set (default "1:*") */
    bool uid;       /* set is UIDs (UID FETCH/MOVE/STORE) */
    char *part;     /* FETCH_PART: section like "2" or "1.2" */
    char **flags;   /* STORE_FLAGS: e.g. "\\Seen", "\\Flagged", "$Lecture" */
    size_t n_flags;
    enum scn_store_mode store_mode; /* STORE_FLAGS (default ADD) */
    sim_us wait;                    /* IDLE: longest time idling (default 30m, RFC 2177 §3's
                      * re-issue bound); WAIT: how long (required) */
};

/* A POP3 step, after the download (STAT, UIDL, LIST, RETR, DELE) and
 * before QUIT, in the TRANSACTION state (RFC 1939 §5). */
enum scn_pop3_op {
    SCN_POP3_NOOP, /* NOOP: the server answers +OK and nothing changes */
    SCN_POP3_WAIT, /* no command for "for": the session stays open, and the
                    * server's autologout timer (at least 10 minutes, RFC
                    * 1939 §3) runs */
    SCN_POP3_OP_COUNT
};
extern const char *const scn_pop3_op_names[SCN_POP3_OP_COUNT];

struct scn_pop3_action {
    enum scn_pop3_op op;
    sim_us wait; /* WAIT: how long (required) */
};

struct scn_check_mail {
    char *user;        /* "bob@example.net": an existing user */
    size_t server;     /* host index of the user's mail server */
    size_t user_index; /* index into its users */
    size_t device;     /* host index of a device */
    enum scn_access_proto proto;
    enum scn_pop3_mode pop3_mode; /* POP3 (default DELETE) */
    bool retr_after_dele;         /* POP3: RETR the first message again
                                            * after its DELE (-ERR, RFC 1939 5) */
    char *password;               /* what the user types, or NULL for
                                            * the right one (a wrong one: -ERR / NO) */
    struct scn_imap_action *imap; /* IMAP: in order; empty means
                                            * select INBOX, fetch headers */
    size_t n_imap;
    struct scn_pop3_action *pop3; /* POP3: after the download, in order */
    size_t n_pop3;
    bool stay; /* "logout": false: no LOGOUT (IMAP) or
                                            * QUIT (POP3, so no UPDATE: nothing
                                            * marked is deleted, RFC 1939 §6)
                                            * after the steps; the session stays
                                            * until the server's autologout */
};

enum scn_webmail_op { SCN_WEBMAIL_INBOX, SCN_WEBMAIL_READ, SCN_WEBMAIL_SEND, SCN_WEBMAIL_OP_COUNT };
extern const char *const scn_webmail_op_names[SCN_WEBMAIL_OP_COUNT]; /* "inbox", "read", "send" */

struct scn_webmail {
    char *user; /* an existing user whose server has webmail on */
    size_t server, user_index;
    size_t device; /* a browser */
    enum scn_webmail_op op;
    uint32_t message;       /* READ: 1-based position in the inbox (default 1) */
    struct scn_message msg; /* SEND: what is composed in the form */
};

struct scn_web_get {
    size_t device; /* a browser */
    size_t server; /* a web server */
    char *path;    /* one of the server's pages */
    size_t page;   /* index into the server's pages */
};

struct scn_link_set {
    size_t link;                               /* index into links */
    bool has_latency, has_bandwidth, has_loss; /* which fields change */
    sim_us latency;
    uint64_t bandwidth_bps;
    double loss;
};

struct scn_server_set {
    size_t host; /* a mail server */
    bool has_retry_interval, has_give_up;
    sim_us retry_interval;
    sim_us give_up; /* result must still be >= the interval */
};

struct scn_tcp_transfer {
    size_t from, to; /* host indices, distinct */
    uint16_t port;   /* 1..65535 */
    uint64_t bytes;  /* 1..SCN_MAX_ATTACH_BYTES */
};

struct scn_action {
    sim_us at; /* from the start of the lesson, 0..SCN_MAX_TIME */
    enum scn_action_kind kind;
    /* NARRATE only: an optional name a variant can replace it by, and, in
     * a variant's timeline, the main timeline's narration this one replaces
     * (by that id, or with "replace": true the one at the same time). */
    char *id;             /* NULL when not given */
    bool replaces;        /* in a variant: replaces main timeline[replaced] */
    bool replace_by_time; /* ... written as "replace": true (not by id) */
    size_t replaced;
    union {
        struct scn_send send;             /* SEND */
        struct scn_check_mail check;      /* CHECK_MAIL */
        struct scn_webmail webmail;       /* WEBMAIL */
        struct scn_web_get web_get;       /* WEB_GET */
        size_t host;                      /* HOST_DOWN, HOST_UP */
        size_t link;                      /* LINK_DOWN, LINK_UP */
        struct scn_link_set link_set;     /* LINK_SET */
        struct scn_server_set server_set; /* SERVER_SET */
        char *text;                       /* NARRATE */
        struct scn_tcp_transfer tcp;      /* TCP_TRANSFER */
    } u;
};

/* ------------------------------------------------------------------ quiz */

/* A question written in the scenario, shown when the lesson
 * reaches time at. */
struct scn_question {
    sim_us at;
    char *text;     /* the question */
    char **choices; /* 2..6 choices */
    size_t n_choices;
    size_t answer; /* index of the right choice */
    char *explain; /* shown with the answer, e.g. the RFC section; "" if none */
};

/* ---------------------------------------------------------------- variants */

/* What a variant may change on one host (bits of scn_host_override.set). */
enum {
    SCN_OVR_UP = 1u << 0,
    SCN_OVR_RETRY_INTERVAL = 1u << 1,
    SCN_OVR_GIVE_UP = 1u << 2,
    SCN_OVR_CHAOS = 1u << 3,
    SCN_OVR_LENIENT_DATA = 1u << 4,
    SCN_OVR_WEBMAIL = 1u << 5,
    SCN_OVR_SMTP = 1u << 6,
};

struct scn_host_override {
    size_t host;  /* host index */
    unsigned set; /* SCN_OVR_* bits: which fields below apply */
    bool up;
    sim_us retry_interval, give_up;
    struct scn_chaos chaos;
    bool lenient_data, webmail;
    struct scn_smtp_opts smtp; /* SCN_OVR_SMTP: replaces the whole smtp object */
};

/* A named variant of the same topology (--variant NAME). Applying
 * it changes the listed host settings and adds (or, with replace_timeline,
 * replaces) timeline actions. */
struct scn_variant {
    char *name;        /* unique among the variants */
    char *description; /* "" when not given */
    struct scn_host_override *hosts;
    size_t n_hosts;
    bool replace_timeline;
    bool has_seed; /* the variant runs with its own seed */
    uint64_t seed;
    struct scn_action *timeline; /* sorted like the main timeline */
    size_t n_timeline;
};

/* -------------------------------------------------------------- scenario */

struct scn_scenario {
    char *source;   /* file name as given, or "<default>"/"<buffer>" */
    char *base_dir; /* directory attachment files were read from, or NULL */
    char *schema;   /* the file's "$schema", kept for saving; NULL when absent */
    char *title;
    char *description;    /* "" when not given; a variant's own once applied */
    uint64_t seed;        /* 0..2^53-1 (default 1) */
    int64_t epoch;        /* start of the lesson, Unix seconds UTC (for Date:) */
    int32_t epoch_tz_min; /* zone offset to print in Date:, minutes east of UTC */
    bool quiz;            /* quiz mode on from the start */
    struct scn_host *hosts;
    size_t n_hosts;
    struct scn_link *links;
    size_t n_links;
    struct scn_action *timeline; /* in time order (as in the file) */
    size_t n_timeline;
    struct scn_question *questions; /* sorted by at */
    size_t n_questions;
    struct scn_variant *variants;
    size_t n_variants;
    char *variant; /* name of the variant applied, or NULL */
    /* Effective MX table, what the DNS hosts answer: the records written on
     * dns hosts, or, when no dns host lists any, one record (preference 10)
     * per mail server for its domain (mx_derived = true). Sorted by domain,
     * then preference, then host name. */
    struct scn_mx *mx;
    size_t n_mx;
    bool mx_derived;
};

/* The lesson's title as every view shows it: the title, and the variant
 * running when one is ("Server down — variant \"a week\""), into buf (always
 * terminated). Can't fail. */
void scn_display_title(const struct scn_scenario *s, char *buf, size_t n);

/* "scenario: host_down mail.example.net", "scenario: send alice@example.org":
 * an action as the future-event view lists it, into buf (always
 * terminated). Can't fail. */
void scn_action_describe(const struct scn_scenario *s, const struct scn_action *a, char *buf,
                         size_t n);


/* ---------------------------------------------------------------- loading */

/* One error, fully formatted in text:
 *   "scenarios/x.json:14:9: hosts[2].retry.interval: \"30 min\" is not a
 *    duration (try \"30m\")"
 * line and col are 1-based (col counts UTF-8 characters); 0 when the error
 * has no position (file cannot be opened, too big). path is "" at the top. */
struct scn_error {
    char file[256];
    unsigned line, col;
    char path[256];
    char msg[512];
    char text[1100];
};

struct scn_load_opts {
    const char *variant; /* apply this variant (NULL: none); a name no variant
                           * has is an error that lists the names. The result
                           * has .variant set and no .variants */
    bool no_files;       /* do not read attachment files (data stays NULL;
                           * paths still checked); used by the fuzzer */
};

/* Load and validate the scenario in file path (at most SCN_MAX_FILE_BYTES).
 * opts may be NULL. Returns a new model (free with scn_free), or NULL with
 * *err filled (err may be NULL). The file is opened read-only, never
 * written. Attachment files are read relative to the file's directory. */
struct scn_scenario *scn_load_file(const char *path, const struct scn_load_opts *opts,
                                   struct scn_error *err);

/* Same, from len bytes at data (need not be NUL-terminated; NULs in it are
 * errors). name is used in error messages and as .source. base_dir is where
 * attachment files are looked up (NULL: attachments with "file" are errors
 * unless opts->no_files). */
struct scn_scenario *scn_load_buffer(const char *data, size_t len, const char *name,
                                     const char *base_dir, const struct scn_load_opts *opts,
                                     struct scn_error *err);

/* The built-in lesson (Alice at example.org sends to Bob at example.net
 * through their mail servers, across an Internet router, with DNS).
 * Aborts only if the embedded text were invalid, which a test rules out. */
struct scn_scenario *scn_load_default(void);
/* The embedded JSON text of the default scenario (static, NUL-terminated). */
const char *scn_default_json(void);

/* A new model with variant name applied (host overrides, timeline added or
 * replaced, .variant set, .variants emptied). NULL with *err when no
 * variant has that name or the result is invalid (give-up < retry). */
struct scn_scenario *scn_apply_variant(const struct scn_scenario *s, const char *name,
                                       struct scn_error *err);

/* A deep copy of s (through scn_to_json and the loader, so it is checked
 * again; attachment files are re-read from s->base_dir). NULL with *err only
 * if a file changed on disk meanwhile. */
struct scn_scenario *scn_clone(const struct scn_scenario *s, struct scn_error *err);

/* Insert *a into s's timeline in time order, after every action with the
 * same time (so a fault injected from the window at the cursor's time runs
 * after what was already scheduled then). Takes ownership of the strings
 * and arrays inside *a (they must be malloc'd, as the loader's are); the
 * indices in *a must be valid for s. Returns the new action's index.
 * Aborts only on out of memory. */
size_t scn_timeline_insert(struct scn_scenario *s, const struct scn_action *a);

/* Release a model and everything it owns. scn_free(NULL) is a no-op. */
void scn_free(struct scn_scenario *s);

/* ----------------------------------------------------------------- saving */

/* The model as JSON text (malloc'd, NUL-terminated, *len without the NUL
 * when len is not NULL), in the file format; loading it gives an equal
 * model (same scn_dump). Attachments with files are written as their path.
 * Can't fail (aborts only on out of memory). */
char *scn_to_json(const struct scn_scenario *s, size_t *len);

/* Write the model to path: to a temporary file in the same directory, then
 * rename. Refuses (false, *err) when path exists and overwrite is false, so
 * the original is never replaced unless asked (--save-scenario).
 * Attachment files are written as their paths relative to the original
 * scenario's folder: save next to it (or copy the files) to replay. */
bool scn_save(const struct scn_scenario *s, const char *path, bool overwrite,
              struct scn_error *err);

/* A canonical text dump of every field of the model, one per line, for tests
 * (golden models, round trips). malloc'd; can't fail. */
char *scn_dump(const struct scn_scenario *s);

/* --------------------------------------------------------------- lookups */

/* Index of the host called name (case-insensitive), or SCN_NONE. */
size_t scn_find_host(const struct scn_scenario *s, const char *name);
/* Index of the mail server serving domain (case-insensitive), or SCN_NONE. */
size_t scn_find_domain(const struct scn_scenario *s, const char *domain);
/* Index of the link joining hosts a and b (either order), or SCN_NONE. */
size_t scn_find_link(const struct scn_scenario *s, size_t a, size_t b);
/* The best (lowest preference) MX host index for domain, or SCN_NONE. */
size_t scn_mx_lookup(const struct scn_scenario *s, const char *domain);

/* -------------------------------------------------------------- generator */

struct scn_gen_opts {
    unsigned domains;  /* mail domains (default 2..4 from the seed when 0) */
    unsigned users;    /* users per domain (default 1..4) */
    unsigned messages; /* send actions (default 1..12) */
    bool faults;       /* hosts and links going down and up, loss (default on
                         * via scn_gen_opts_default) */
    bool fetch;        /* every device then fetches its owner's mail: even
                         * users with POP3, keeping it on the server (a local
                         * inbox on the device beside the server's mailbox),
                         * odd users with IMAP (default off) */
};
/* Default generator options: everything chosen from the seed, faults on. */
struct scn_gen_opts scn_gen_opts_default(void);

/* A random but valid scenario from seed: mail servers with users,
 * devices, routers, DNS, links with loss, messages whose bodies hold '.'
 * lines and long lines, hosts and links going down and up. Same seed and
 * opts, same model. opts may be NULL. scn_to_json gives a replayable file. */
struct scn_scenario *scn_generate(uint64_t seed, const struct scn_gen_opts *opts);

#endif
