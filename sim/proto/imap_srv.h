/* imap_srv.h -- private to the IMAP server engine (imap_server.c, imap_fetch.c).
 *
 * The session struct, the per-session view of the selected mailbox (message
 * sequence numbers map to UIDs here, RFC 3501 §2.3.1.2, so another session's
 * EXPUNGE never renumbers ours until we report it) and the FETCH job that
 * streams responses under backpressure. Nothing here is API. */
#ifndef MAILSIM_PROTO_IMAP_SRV_H
#define MAILSIM_PROTO_IMAP_SRV_H

#include "proto/imap_server.h"
#include "proto/line_sess.h"

#define IMAP_LINE_MAX (8192 + 2) /* RFC 7162 §4 suggests >= 8192 octets */
#define IMAP_CMD_MAX (64 * 1024) /* non-literal octets of one command */
#define IMAP_FETCH_ITEMS 32
#define IMAP_FIELDS_MAX 32
#define IMAP_EVENTS 64
#define IMAP_OUT_MAX                                                                               \
    ((size_t)64 << 20)  /* the output's ceiling: far above a FETCH of the largest message */
#define IMAP_MAX_BAD 10 /* consecutive BAD replies before BYE (bad-inputs L1) */

enum imap_in_mode {
    IMAP_IN_LINE,     /* framing command lines */
    IMAP_IN_LITERAL,  /* copying an accepted literal into the command */
    IMAP_IN_DISCARD,  /* dropping an over-limit {n+} literal (RFC 7888 §4) */
    IMAP_IN_SKIPREST, /* dropping the rest of a refused command */
};

enum imap_wait {
    IMAP_W_NONE,
    IMAP_W_IDLE,       /* RFC 2177: waiting for DONE */
    IMAP_W_AUTH_PLAIN, /* sent "+ ", waiting for the SASL response */
    IMAP_W_VERDICT,    /* IMAP_EV_LOGIN raised */
    IMAP_W_FETCH,      /* a FETCH is streaming */
};

struct imap_view {
    uint32_t uid;
    uint64_t flags; /* as last reported to the client, without \Recent */
    bool recent;    /* \Recent belongs to this session */
    bool gone;      /* expunged in the store, not yet reported */
};

enum imap_fi_kind {
    IMAP_FI_FLAGS,
    IMAP_FI_INTERNALDATE,
    IMAP_FI_SIZE,
    IMAP_FI_UID,
    IMAP_FI_ENVELOPE,
    IMAP_FI_BODYSTRUCTURE,
    IMAP_FI_BODY,
    IMAP_FI_SECTION,
    IMAP_FI_RFC822,
    IMAP_FI_RFC822_HEADER,
    IMAP_FI_RFC822_TEXT,
};
enum imap_sec_kind {
    IMAP_SEC_ALL,
    IMAP_SEC_HEADER,
    IMAP_SEC_FIELDS,
    IMAP_SEC_FIELDS_NOT,
    IMAP_SEC_TEXT,
    IMAP_SEC_MIME
};

struct imap_fetch_item {
    enum imap_fi_kind kind;
    bool peek;
    enum imap_sec_kind sec;
    const char *path; /* "1.2" part numbers, into the command buffer */
    size_t path_len;
    const char *fields[IMAP_FIELDS_MAX];
    size_t field_len[IMAP_FIELDS_MAX];
    size_t nfields;
    bool partial;
    uint64_t p_off, p_len;
};

struct imap_fetch_job {
    char tag[IMAP_TAG_MAX + 1];
    bool uid;
    struct imap_fetch_item items[IMAP_FETCH_ITEMS];
    size_t nitems;
    struct imap_range ranges[IMAP_SEQSET_MAX];
    size_t nranges, ri;
    uint64_t next; /* bit 32: started; low bits: view index */
    bool any_gone;
};

struct imap_server {
    struct imap_server_cfg cfg;
    enum imap_state state;
    enum imap_wait wait;
    bool done;
    sim_us now;

    /* input framing */
    enum imap_in_mode in;
    uint64_t lit_left;
    struct imap_buf cmd;
    size_t cmd_lit_total;
    uint64_t cmd_offset;     /* where the command being framed began (literals included) */
    const char *reject_text; /* refused command: reply after skipping */
    enum imap_result reject_result;

    struct imap_buf stage; /* responses being formatted; imap_srv_log_sync() moves them out */
    struct line_sess ss;   /* reader, output, events, offsets, session log */

    /* session */
    struct mbox_user *user;
    uint64_t sel_id; /* mbox_folder_id of the selected folder */
    bool readonly;
    struct imap_view *view;
    size_t vn, vcap;
    uint64_t sel_changes;
    size_t sel_nkw; /* keywords announced in FLAGS */
    char wait_tag[IMAP_TAG_MAX + 1];
    char cur_cmd[16];
    char pend_user[MBOX_USER_MAX + 1];
    bool no_expunge;
    bool syncing;
    bool bare_lf_line; /* the line being handled ended with a bare LF */
    bool tls;          /* STARTTLS done (RFC 3501 §6.2.1) */
    unsigned bad_run;  /* consecutive BAD replies */
    uint64_t commands; /* command lines executed */
    /* inside imap_srv_sync (hook re-entry guard) */ /* FETCH, STORE, SEARCH: no EXPUNGE now */
    uint32_t uid_max;                                /* highest UID in the view so far */
    size_t recent_sent;                              /* last RECENT count reported */
    struct imap_fetch_job job;
};

/* imap_server.c */
/* The only place the state changes (style.md); raises IMAP_EV_STATE. */
void imap_srv_enter_state(struct imap_server *s, enum imap_state st);
/* Move the responses formatted since the last call into the session's
 * output (the session log sees them there). */
void imap_srv_log_sync(struct imap_server *s);
/* Output bytes waiting: formatted and not yet sent. */
size_t imap_srv_pending(const struct imap_server *s);
/* Reply BAD (and return false) when the cursor has an error or extra input. */
bool imap_srv_args_end(struct imap_server *s, struct imap_cur *c, const char *tag);
/* Forget the selected mailbox's view. */
void imap_srv_close_view(struct imap_server *s);
/* Take new messages of f into the view (claiming \Recent when read-write). */
void imap_srv_view_grow(struct imap_server *s, struct mbox_folder *f);
/* \Recent messages in the view. */
size_t imap_srv_recent_count(const struct imap_server *s);
void imap_srv_untagged(struct imap_server *s, const char *fmt, ...) MS_PRINTF(2, 3);
void imap_srv_tagged(struct imap_server *s, const char *tag, enum imap_result r, const char *fmt,
                     ...) MS_PRINTF(4, 5);
struct mbox_folder *imap_srv_sel(struct imap_server *s);
/* Send "* FLAGS" when the folder gained keywords since last announced. */
void imap_srv_flags_news(struct imap_server *s, struct mbox_folder *f);
/* Report changes of the selected folder; expunges only when allowed. */
void imap_srv_sync(struct imap_server *s, bool allow_expunge);
void imap_srv_flags(struct imap_buf *b, const struct mbox_folder *f, uint64_t flags, bool recent);
void imap_srv_date(struct imap_buf *b, sim_us t, int64_t epoch_unix);
/* Parse a date "1-Feb-1994" into days since 1970-01-01. */
bool imap_srv_parse_date(const char *s, size_t n, int64_t *days);

/* flag-list for APPEND and STORE: "(" [flag *(SP flag)] ")" or, unless
 * paren_required, bare flags. Keywords are interned into f; *err is set (and
 * true returned) when f has no room for one more. \Recent is refused. */
bool imap_parse_flags(struct imap_cur *c, struct mbox_folder *f, uint64_t *out, bool paren_required,
                      const char **err);

/* imap_mailbox.c: each gets the cursor after the command name and its SP. */
void imap_cmd_select(struct imap_server *s, struct imap_cur *c, const char *tag);
void imap_cmd_examine(struct imap_server *s, struct imap_cur *c, const char *tag);
void imap_cmd_create(struct imap_server *s, struct imap_cur *c, const char *tag);
void imap_cmd_delete(struct imap_server *s, struct imap_cur *c, const char *tag);
void imap_cmd_rename(struct imap_server *s, struct imap_cur *c, const char *tag);
void imap_cmd_subscribe(struct imap_server *s, struct imap_cur *c, const char *tag);
void imap_cmd_unsubscribe(struct imap_server *s, struct imap_cur *c, const char *tag);
void imap_cmd_list(struct imap_server *s, struct imap_cur *c, const char *tag);
void imap_cmd_lsub(struct imap_server *s, struct imap_cur *c, const char *tag);
void imap_cmd_status(struct imap_server *s, struct imap_cur *c, const char *tag);
void imap_cmd_append(struct imap_server *s, struct imap_cur *c, const char *tag);

/* imap_fetch.c: each gets the cursor after the command name (and its SP). */
void imap_cmd_fetch(struct imap_server *s, struct imap_cur *c, const char *tag, bool uid);
void imap_fetch_continue(struct imap_server *s);
void imap_cmd_store(struct imap_server *s, struct imap_cur *c, const char *tag, bool uid);
void imap_cmd_search(struct imap_server *s, struct imap_cur *c, const char *tag, bool uid);
void imap_cmd_copy(struct imap_server *s, struct imap_cur *c, const char *tag, bool uid, bool move);
void imap_cmd_expunge(struct imap_server *s, const char *tag, bool silent);
/* UID EXPUNGE set (RFC 4315 §2.1): only \Deleted messages in the set. */
void imap_cmd_uid_expunge(struct imap_server *s, struct imap_cur *c, const char *tag);
/* Append a uid-set for the ascending list v[0..n) ("3:5,9"). */
void imap_srv_uidset(struct imap_buf *b, const uint32_t *v, size_t n);

#endif
