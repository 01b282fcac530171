/* test_mbox.c -- the mailbox store: names as keys (bad-inputs I11), UIDs,
 * UIDVALIDITY, hierarchy, rename, copy with keywords, lock, change hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "store/mbox.h"

#define S(x) x, strlen(x)

static void test_names(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",  "..",   ".",     "../x",        "a/../../b", "/etc/passwd", "a//b", "a/", "x*",
        "%", "a\tb", "a\x01", "caf\xc3\xa9", "a\"b",      "a\\b",        "&Jjo", "&!-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(mbox_name_valid(S(bad[i])));
    static const char *const good[] = {"INBOX", "Lectures", "a/b/c", "~user", "..a",
                                       "a..",   "&Jjo-",    "&-",    "x y"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(mbox_name_valid(S(good[i])));
    char long_name[MBOX_NAME_MAX + 2];
    memset(long_name, 'a', sizeof long_name);
    assert_true(mbox_name_valid(long_name, MBOX_NAME_MAX));
    assert_false(mbox_name_valid(long_name, MBOX_NAME_MAX + 1));
    char out[MBOX_NAME_MAX + 1];
    assert_true(mbox_name_canon(S("iNbOx/Sub"), out));
    assert_string_equal(out, "INBOX/Sub");
    assert_true(mbox_name_canon(S("inboxes"), out));
    assert_string_equal(out, "inboxes");
}

static void test_folders(void **state)
{
    (void)state;
    struct mbox_store *st = mbox_store_new(100);
    struct mbox_user *u = mbox_user_get(st, "bob", true);
    assert_null(mbox_user_get(st, "alice", false));
    assert_null(mbox_user_get(st, "bad user", true));
    assert_non_null(mbox_folder_find(u, S("inbox")));
    assert_int_equal(mbox_folder_create(u, S("a/b/c/")), MBOX_OK); /* superiors too */
    assert_int_equal(mbox_folder_count(u), 4);
    assert_string_equal(mbox_folder_name(mbox_folder_at(u, 0)), "INBOX");
    assert_string_equal(mbox_folder_name(mbox_folder_at(u, 3)), "a/b/c");
    assert_int_equal(mbox_folder_create(u, S("a/b")), MBOX_EEXIST);
    assert_int_equal(mbox_folder_create(u, S("Inbox")), MBOX_EEXIST);
    assert_int_equal(mbox_folder_create(u, S("../etc")), MBOX_EBADNAME);
    assert_int_equal(mbox_folder_delete(u, S("a")), MBOX_ECHILD);
    assert_int_equal(mbox_folder_delete(u, S("INBOX")), MBOX_EINBOX);
    assert_int_equal(mbox_folder_delete(u, S("zz")), MBOX_ENOENT);
    assert_string_equal(mbox_strerror(MBOX_ECHILD), "mailbox has inferior hierarchical names");
    /* rename takes inferiors along and keeps the folder's identity */
    struct mbox_folder *c = mbox_folder_find(u, S("a/b/c"));
    uint64_t id = mbox_folder_id(c);
    uint32_t v = mbox_folder_uidvalidity(c);
    assert_int_equal(mbox_folder_rename(u, S("a/b"), S("x/y")), MBOX_OK);
    assert_null(mbox_folder_find(u, S("a/b/c")));
    assert_ptr_equal(mbox_folder_find(u, S("x/y/c")), c);
    assert_ptr_equal(mbox_folder_by_id(u, id), c);
    assert_int_equal(mbox_folder_uidvalidity(c), v);
    assert_int_equal(mbox_folder_rename(u, S("x"), S("x/q")), MBOX_EBADNAME);
    assert_int_equal(mbox_folder_rename(u, S("x/y"), S("a")), MBOX_EEXIST);
    /* a re-created name gets a new, larger UIDVALIDITY (RFC 3501 §2.3.1.1) */
    assert_int_equal(mbox_folder_delete(u, S("x/y/c")), MBOX_OK);
    assert_null(mbox_folder_by_id(u, id));
    assert_int_equal(mbox_folder_create(u, S("x/y/c")), MBOX_OK);
    assert_true(mbox_folder_uidvalidity(mbox_folder_find(u, S("x/y/c"))) > v);
    /* subscriptions are names, sorted, independent of folders */
    assert_int_equal(mbox_subscribe(u, S("zeta"), true), MBOX_OK);
    assert_int_equal(mbox_subscribe(u, S("inbox"), true), MBOX_OK);
    assert_int_equal(mbox_subscribe(u, S(".."), true), MBOX_EBADNAME);
    assert_int_equal(mbox_sub_count(u), 2);
    assert_string_equal(mbox_sub_at(u, 0), "INBOX");
    assert_int_equal(mbox_subscribe(u, S("zeta"), false), MBOX_OK);
    assert_int_equal(mbox_sub_count(u), 1);
    mbox_store_free(st);
}

static int hook_calls;
static void hook(void *ctx, struct mbox_user *u, struct mbox_folder *f, enum mbox_change what)
{
    (void)ctx;
    (void)u;
    (void)f;
    (void)what;
    hook_calls++;
}

static void test_messages(void **state)
{
    (void)state;
    struct mbox_store *st = mbox_store_new(0);
    mbox_store_set_hook(st, hook, NULL);
    struct mbox_user *u = mbox_user_get(st, "bob", true);
    struct mbox_folder *in = mbox_folder_find(u, S("INBOX"));
    assert_int_equal(mbox_folder_uidvalidity(in), 1);
    uint32_t uid;
    for (int i = 0; i < 5; i++)
        assert_int_equal(mbox_append(in, S("m\r\n"), MBOX_F_SEEN, i, &uid), MBOX_OK);
    assert_int_equal(uid, 5);
    assert_int_equal(mbox_folder_uidnext(in), 6);
    assert_false(mbox_folder_set_uidvalidity(in, 7)); /* held messages */
    assert_true(mbox_expunge_at(in, 1));
    assert_false(mbox_expunge_at(in, 9));
    assert_int_equal(mbox_find_uid(in, 2), SIZE_MAX);
    assert_int_equal(mbox_find_uid(in, 3), 1);
    assert_int_equal(mbox_lower_bound(in, 2), 1);
    assert_int_equal(mbox_msg_at(in, 0)->flags, MBOX_F_SEEN | MBOX_F_RECENT);
    assert_int_equal(mbox_total_bytes(in), 12);
    /* keywords are per folder and copied by name */
    int k;
    assert_int_equal(mbox_keyword_intern(in, S("$Work"), &k), MBOX_OK);
    assert_int_equal(mbox_keyword_intern(in, S("$work"), &k), MBOX_OK);
    assert_int_equal(k, 0);
    assert_int_equal(mbox_keyword_intern(in, S("\\Seen"), &k), MBOX_EBADKEYWORD);
    assert_int_equal(mbox_keyword_intern(in, S("a b"), &k), MBOX_EBADKEYWORD);
    assert_true(mbox_flags_set(in, 0, MBOX_F_FLAGGED | MBOX_KW_BIT(0) | MBOX_KW_BIT(5)));
    assert_int_equal(mbox_msg_at(in, 0)->flags,
                     MBOX_F_FLAGGED | MBOX_KW_BIT(0)); /* unknown bit dropped */
    assert_int_equal(mbox_folder_create(u, S("Work")), MBOX_OK);
    struct mbox_folder *w = mbox_folder_find(u, S("Work"));
    assert_int_equal(mbox_keyword_intern(w, S("other"), &k), MBOX_OK);
    assert_int_equal(mbox_copy(in, 0, w, &uid), MBOX_OK);
    assert_int_equal(uid, 1);
    assert_string_equal(mbox_keyword_at(w, 1), "$Work");
    assert_int_equal(mbox_msg_at(w, 0)->flags, MBOX_F_FLAGGED | MBOX_F_RECENT | MBOX_KW_BIT(1));
    assert_int_equal(mbox_msg_at(w, 0)->internal_date, 0);
    assert_int_equal(mbox_copy(in, 99, w, NULL), MBOX_ENOMSG);
    /* copy into the same folder (the array may move) */
    assert_int_equal(mbox_copy(in, 3, in, &uid), MBOX_OK);
    assert_int_equal(uid, 6);
    /* renaming INBOX moves its messages and leaves it empty */
    assert_int_equal(mbox_folder_rename(u, S("INBOX"), S("Old")), MBOX_OK);
    assert_int_equal(mbox_count(mbox_folder_find(u, S("INBOX"))), 0);
    assert_int_equal(mbox_count(mbox_folder_find(u, S("Old"))), 5);
    assert_true(hook_calls > 10);
    uint64_t ch = mbox_folder_changes(w);
    mbox_append(w, S("x"), 0, 0, NULL);
    assert_int_equal(mbox_folder_changes(w), ch + 1);
    mbox_store_free(st);
}

static void test_lock(void **state)
{
    (void)state;
    struct mbox_store *st = mbox_store_new(1);
    struct mbox_folder *in = mbox_folder_find(mbox_user_get(st, "bob", true), S("INBOX"));
    int a, b;
    assert_true(mbox_lock(in, &a));
    assert_true(mbox_lock(in, &a));
    assert_false(mbox_lock(in, &b));
    assert_ptr_equal(mbox_lock_owner(in), &a);
    mbox_unlock(in, &b); /* not the owner: no effect */
    assert_false(mbox_lock(in, &b));
    mbox_unlock(in, &a);
    assert_true(mbox_lock(in, &b));
    /* delivery is not blocked by a POP3 lock */
    assert_int_equal(mbox_append(in, S("x"), 0, 0, NULL), MBOX_OK);
    mbox_store_free(st);
}

/* The unseen count follows appends, flag changes, expunges and renames. */
static size_t count_unseen(const struct mbox_folder *f)
{
    size_t n = 0;
    for (size_t i = 0; i < mbox_count(f); i++) n += !(mbox_msg_at(f, i)->flags & MBOX_F_SEEN);
    return n;
}

static void test_unseen(void **state)
{
    (void)state;
    struct mbox_store *st = mbox_store_new(1);
    struct mbox_user *u = mbox_user_get(st, "bob", true);
    struct mbox_folder *in = mbox_folder_find(u, S("INBOX"));
    assert_non_null(in);
    for (int i = 0; i < 6; i++) mbox_append(in, S("m"), i % 3 == 0 ? MBOX_F_SEEN : 0, 0, NULL);
    assert_int_equal(mbox_unseen(in), 4);
    assert_true(mbox_flags_set(in, 1, MBOX_F_SEEN));
    assert_true(mbox_flags_set(in, 1, MBOX_F_SEEN | MBOX_F_FLAGGED)); /* no change to \Seen */
    assert_true(mbox_flags_set(in, 0, 0));
    assert_int_equal(mbox_unseen(in), count_unseen(in));
    assert_true(mbox_expunge_at(in, 2));
    assert_true(mbox_expunge_at(in, 0));
    assert_int_equal(mbox_unseen(in), count_unseen(in));
    size_t before = mbox_unseen(in);
    assert_int_equal(mbox_folder_rename(u, S("INBOX"), S("Old")), MBOX_OK);
    assert_int_equal(mbox_unseen(mbox_folder_find(u, S("INBOX"))), 0);
    assert_int_equal(mbox_unseen(mbox_folder_find(u, S("Old"))), before);
    mbox_store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),    cmocka_unit_test(test_folders),
        cmocka_unit_test(test_messages), cmocka_unit_test(test_lock),
        cmocka_unit_test(test_unseen),
    };
    return cmocka_run_group_tests_name("mbox", tests, NULL, NULL);
}
