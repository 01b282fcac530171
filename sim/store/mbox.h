/* mbox.h -- the in-memory mailbox store: users, folders, messages, flags, UIDs.
 *
 * The server's state, shared by IMAP and POP3 sessions and by local delivery:
 * it outlives every session, so a second device sees what the first did.
 * Invariants (RFC 3501 §2.3.1.1): within a folder UIDs strictly increase in
 * message order and are never reused; UIDNEXT only grows; UIDVALIDITY is fixed
 * for the life of a folder and a re-created name gets a new, larger value.
 * Folder names are keys, never file paths (bad-inputs I11): "/" is only the
 * hierarchy delimiter, "INBOX" is matched case-insensitively, and names with
 * CTL, 8-bit bytes, wildcards or empty, "." or ".." components are refused.
 * Everything is deterministic: no clock, no hash order, folders kept sorted. */
#ifndef MAILSIM_STORE_MBOX_H
#define MAILSIM_STORE_MBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

#define MBOX_NAME_MAX 200     /* longest folder name, octets */
#define MBOX_USER_MAX 64      /* longest user name, octets */
#define MBOX_KEYWORD_MAX 32   /* longest keyword, octets */
#define MBOX_KEYWORDS 32      /* keywords per folder (RFC 3501 §2.3.2) */
#define MBOX_FOLDERS_MAX 1000 /* folders per user */
#define MBOX_DELIM '/'

/* System flags (RFC 3501 §2.3.2). Bits 32..63 of a message's flags are the
 * folder's keywords, keyword i being bit (32 + i). */
enum mbox_flag {
    MBOX_F_SEEN = 1u << 0,
    MBOX_F_ANSWERED = 1u << 1,
    MBOX_F_FLAGGED = 1u << 2,
    MBOX_F_DELETED = 1u << 3,
    MBOX_F_DRAFT = 1u << 4,
    MBOX_F_RECENT = 1u << 5,
};
#define MBOX_F_SYSTEM 0x3fu
#define MBOX_KW_BIT(i) ((uint64_t)1 << (32 + (i)))

/* Error codes; mbox_strerror() gives the text. */
#define MBOX_ERRORS(X)                                                                             \
    X(MBOX_OK, "success")                                                                          \
    X(MBOX_ENOENT, "no such mailbox")                                                              \
    X(MBOX_EEXIST, "mailbox already exists")                                                       \
    X(MBOX_EBADNAME, "invalid mailbox name")                                                       \
    X(MBOX_EINBOX, "INBOX cannot be deleted")                                                      \
    X(MBOX_ECHILD, "mailbox has inferior hierarchical names")                                      \
    X(MBOX_ELOCKED, "mailbox is locked by another session")                                        \
    X(MBOX_ETOOMANY, "too many mailboxes")                                                         \
    X(MBOX_EKEYWORDS, "too many keywords in this mailbox")                                         \
    X(MBOX_EBADKEYWORD, "invalid keyword")                                                         \
    X(MBOX_EUIDS, "mailbox has run out of UIDs")                                                   \
    X(MBOX_ENOMSG, "no such message")
#define MBOX_ERR_ENUM(name, text) name,
enum mbox_err { MBOX_ERRORS(MBOX_ERR_ENUM) MBOX_ERR_COUNT };
#undef MBOX_ERR_ENUM

/* One stored message. Owned by its folder; pointers from mbox_msg_at() are
 * borrowed until the folder next changes (append, expunge, delete). */
struct mbox_msg {
    uint32_t uid;
    uint64_t flags;       /* enum mbox_flag | MBOX_KW_BIT(i) */
    sim_us internal_date; /* simulated time the server received it (RFC 3501 §2.3.3) */
    char *raw;            /* the RFC 5322 bytes, owned */
    size_t len;
};

struct mbox_store;
struct mbox_user;
struct mbox_folder;

/* What changed, for the notification hook. */
enum mbox_change { MBOX_CH_APPEND, MBOX_CH_EXPUNGE, MBOX_CH_FLAGS, MBOX_CH_FOLDERS };

/* Called after every change to any folder of any user. f is NULL for
 * MBOX_CH_FOLDERS. Must not change the store. It may call
 * imap_server_notify() on any session, even the one making the change: the
 * engine ignores a notification that arrives while it is reporting. */
typedef void mbox_hook_fn(void *ctx, struct mbox_user *u, struct mbox_folder *f,
                          enum mbox_change what);

/* A new empty store. UIDVALIDITY values are handed out from first_uidvalidity
 * upwards, one per folder created (0 means 1). Can't fail. */
struct mbox_store *mbox_store_new(uint32_t first_uidvalidity);
/* Free the store, its users, folders and messages. NULL is a no-op. */
void mbox_store_free(struct mbox_store *st);
/* Install the one change hook (NULL to remove). */
void mbox_store_set_hook(struct mbox_store *st, mbox_hook_fn *fn, void *ctx);
/* Text for an error code. Can't fail. */
const char *mbox_strerror(enum mbox_err e);

/* The user named name (1..MBOX_USER_MAX printable ASCII octets, compared
 * exactly). With create, a missing user is made with an empty INBOX.
 * Returns NULL when missing (and !create) or the name is invalid. */
struct mbox_user *mbox_user_get(struct mbox_store *st, const char *name, bool create);
/* The user's name and store. Can't fail. */
const char *mbox_user_name(const struct mbox_user *u);
struct mbox_store *mbox_user_store(struct mbox_user *u);

/* True when name[0..len) is acceptable as a folder name (see header). */
bool mbox_name_valid(const char *name, size_t len);
/* Canonical form of a name: "INBOX" (any case) as the first component becomes
 * "INBOX". Writes at most MBOX_NAME_MAX + 1 bytes incl. NUL into out. Returns
 * false for an invalid name. */
bool mbox_name_canon(const char *name, size_t len, char *out);

/* Create a folder, and any missing superiors (RFC 3501 §6.3.3). A trailing
 * delimiter is ignored. Errors: EBADNAME, EEXIST, ETOOMANY. */
enum mbox_err mbox_folder_create(struct mbox_user *u, const char *name, size_t len);
/* Delete a folder and its messages. Errors: ENOENT, EINBOX, ECHILD (it has
 * inferiors: deliberately refused rather than keeping a \Noselect name). */
enum mbox_err mbox_folder_delete(struct mbox_user *u, const char *name, size_t len);
/* Rename a folder and its inferiors (RFC 3501 §6.3.5). Renaming INBOX moves
 * its messages to a new folder and leaves INBOX empty. Errors: ENOENT,
 * EEXIST, EBADNAME, ETOOMANY. */
enum mbox_err mbox_folder_rename(struct mbox_user *u, const char *from, size_t flen, const char *to,
                                 size_t tlen);
/* Find a folder by name (INBOX case-insensitive); NULL when missing. */
struct mbox_folder *mbox_folder_find(struct mbox_user *u, const char *name, size_t len);
/* Folders in name order (strcmp); index 0..count-1. */
size_t mbox_folder_count(const struct mbox_user *u);
struct mbox_folder *mbox_folder_at(struct mbox_user *u, size_t i);
/* True when some folder lies below f in the hierarchy. */
bool mbox_folder_has_children(struct mbox_user *u, const struct mbox_folder *f);

/* The folder's canonical name (borrowed; changes on RENAME). Can't fail. */
const char *mbox_folder_name(const struct mbox_folder *f);
/* A number unique to this folder in the store, kept across RENAME: sessions
 * hold it instead of a pointer that a DELETE elsewhere would leave dangling. */
uint64_t mbox_folder_id(const struct mbox_folder *f);
/* The folder of user u with this id, or NULL once it was deleted. */
struct mbox_folder *mbox_folder_by_id(struct mbox_user *u, uint64_t id);
/* Owner, UIDVALIDITY and UIDNEXT (RFC 3501 §2.3.1.1). Can't fail. */
struct mbox_user *mbox_folder_user(struct mbox_folder *f);
uint32_t mbox_folder_uidvalidity(const struct mbox_folder *f);
uint32_t mbox_folder_uidnext(const struct mbox_folder *f);
/* Counter that grows on every change to the folder (append, expunge, flags). */
uint64_t mbox_folder_changes(const struct mbox_folder *f);
/* Set UIDVALIDITY of an empty folder (tests replaying RFC examples). Returns
 * false when the folder holds or held messages. */
bool mbox_folder_set_uidvalidity(struct mbox_folder *f, uint32_t v);

/* Subscriptions (RFC 3501 §6.3.6): a set of names, independent of whether
 * the folder exists. Errors: EBADNAME. */
enum mbox_err mbox_subscribe(struct mbox_user *u, const char *name, size_t len, bool on);
/* How many names are subscribed. */
size_t mbox_sub_count(const struct mbox_user *u);
/* The i-th subscribed name, in name order. */
const char *mbox_sub_at(const struct mbox_user *u, size_t i);

/* Messages, in UID order, index 0..count-1; mbox_msg_at returns NULL out
 * of range. */
size_t mbox_count(const struct mbox_folder *f);
const struct mbox_msg *mbox_msg_at(const struct mbox_folder *f, size_t i);
/* Messages without \\Seen (kept as they change: O(1)). Can't fail. */
size_t mbox_unseen(const struct mbox_folder *f);
/* Index of the message with this UID, or SIZE_MAX. O(log n). */
size_t mbox_find_uid(const struct mbox_folder *f, uint32_t uid);
/* Index of the first message with UID >= uid (== count when none). */
size_t mbox_lower_bound(const struct mbox_folder *f, uint32_t uid);
/* Total octets of all messages. */
size_t mbox_total_bytes(const struct mbox_folder *f);

/* Append a copy of raw[0..len) with flags and internal date; \Recent is added.
 * *uid_out (may be NULL) gets the new UID. Errors: EUIDS (UIDNEXT would
 * pass 2^32-1). Delivery ignores the POP3 lock: it is advisory. */
enum mbox_err mbox_append(struct mbox_folder *f, const char *raw, size_t len, uint64_t flags,
                          sim_us internal_date, uint32_t *uid_out);
/* Copy message i of src to the end of dst with its flags (keywords mapped by
 * name) and internal date; \Recent is set on the copy. Errors: ENOMSG, EUIDS,
 * EKEYWORDS. */
enum mbox_err mbox_copy(struct mbox_folder *src, size_t i, struct mbox_folder *dst,
                        uint32_t *uid_out);
/* Remove message i. Returns false when i is out of range. */
bool mbox_expunge_at(struct mbox_folder *f, size_t i);
/* Set the flags of message i (keyword bits must name existing keywords).
 * Returns false when i is out of range. */
bool mbox_flags_set(struct mbox_folder *f, size_t i, uint64_t flags);

/* Keywords of a folder (RFC 3501 §2.3.2): atoms of 1..MBOX_KEYWORD_MAX octets
 * not starting with '\'. Find returns the index or -1; intern adds it.
 * Intern errors: EBADKEYWORD, EKEYWORDS. Matching is case-insensitive. */
int mbox_keyword_find(const struct mbox_folder *f, const char *kw, size_t len);
enum mbox_err mbox_keyword_intern(struct mbox_folder *f, const char *kw, size_t len, int *idx);
size_t mbox_keyword_count(const struct mbox_folder *f);
const char *mbox_keyword_at(const struct mbox_folder *f, size_t i);

/* The per-folder lock held by a POP3 session (RFC 1939 §4). Returns false
 * when someone else holds it. owner is an opaque non-NULL token. */
bool mbox_lock(struct mbox_folder *f, const void *owner);
/* Release the lock if owner holds it (otherwise nothing happens). */
void mbox_unlock(struct mbox_folder *f, const void *owner);
/* The holder of the lock, or NULL. */
const void *mbox_lock_owner(const struct mbox_folder *f);

#endif
