/* test_imap_server.c -- IMAP server engine: every NO/BAD path, literals
 * (bad-inputs I1-I4), IDLE (I13), nesting (I6), sequence sets (I7, I8),
 * state across sessions, concurrent sessions, backpressure (I17), verdicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "proto/imap_test_util.h"

#define GREETING "* OK IMAP4rev1 Service Ready\r\n"
#define LOGIN "a0 LOGIN bob secret\r\n"
#define LOGIN_OK "a0 OK LOGIN completed\r\n"
#define SELECT "s0 SELECT INBOX\r\n"
#define SELECT_OK                                                                                  \
    "* 2 EXISTS\r\n* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n* 2 RECENT\r\n"      \
    "* OK [UNSEEN 1] Message 1 is the first unseen message\r\n"                                    \
    "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft \\*)] Limited\r\n"        \
    "* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT 3] Predicted next UID\r\n"                   \
    "s0 OK [READ-WRITE] SELECT completed\r\n"

/* Run in against a fresh bob fixture and compare the whole output. */
static void expect(const char *in, const char *want)
{
    struct mbox_store *st = mbox_store_new(1);
    imap_t_fixture_bob(st);
    char *got = imap_t_session(st, in, 1000000);
    assert_string_equal(got, want);
    free(got);
    /* and one byte at a time (X1) */
    mbox_store_free(st);
    st = mbox_store_new(1);
    imap_t_fixture_bob(st);
    got = imap_t_session(st, in, 1);
    assert_string_equal(got, want);
    free(got);
    mbox_store_free(st);
}

static void test_preauth_refusals(void **state)
{
    (void)state;
    expect("a1 SELECT INBOX\r\na2 LOGIN bob wrong\r\na3 LOGIN bob\r\na4 AUTHENTICATE CRAM-MD5\r\n"
           "a5 FETCH 1 FLAGS\r\n\r\n+x NOOP\r\na6 LOGOUT\r\n",
           GREETING "a1 BAD Command not allowed in the not authenticated state\r\n"
                    "a2 NO [AUTHENTICATIONFAILED] Invalid credentials\r\n"
                    "a3 BAD Missing argument\r\n"
                    "a4 NO Unsupported authentication mechanism\r\n"
                    "a5 BAD Command not allowed in the not authenticated state\r\n"
                    "* BAD Empty command line\r\n* BAD Invalid tag\r\n"
                    "* BYE IMAP4rev1 Server logging out\r\na6 OK LOGOUT completed\r\n");
}

static void test_other_protocols(void **state)
{
    (void)state;
    /* X8 and L1: an HTTP request gets BYE; a run of garbage ends the session */
    expect("GET / HTTP/1.1\r\nHost: x\r\n\r\n",
           GREETING "* BYE This is an IMAP server, not a web server\r\n");
    /* only the first line is checked: later it is an ordinary bad command */
    expect("a1 NOOP\r\nDELETE /x HTTP/1.1\r\n",
           GREETING "a1 OK NOOP completed\r\nDELETE BAD Unknown command\r\n");
    expect("x\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\nx\r\n",
           GREETING "x BAD Missing command\r\nx BAD Missing command\r\nx BAD Missing command\r\n"
                    "x BAD Missing command\r\nx BAD Missing command\r\nx BAD Missing command\r\n"
                    "x BAD Missing command\r\nx BAD Missing command\r\nx BAD Missing command\r\n"
                    "x BAD Missing command\r\n* BYE Too many invalid commands\r\n");
}

static void test_literal_toobig_sync(void **state)
{
    (void)state;
    /* I1: no "+" and a NO [TOOBIG] at once; 20 digits saturate, never wrap */
    expect(
        "a1 LOGIN {4294967296}\r\na2 LOGIN {99999999999999999999}\r\na3 LOGIN {1025}\r\na4 NOOP\r\n",
        GREETING "a1 NO [TOOBIG] Literal too large\r\na2 NO [TOOBIG] Literal too large\r\n"
                 "a3 NO [TOOBIG] Literal too large\r\na4 OK NOOP completed\r\n");
}

static void test_literal_toobig_plus(void **state)
{
    (void)state;
    /* I2: the 2000 octets are read and dropped, never run as commands */
    char in[4096];
    size_t n = (size_t)snprintf(in, sizeof in, "a1 LOGIN {2000+}\r\n");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(in + n, sizeof in - n, "a9 LOGOUT\r\n123456789");
    n += (size_t)snprintf(in + n, sizeof in - n, " {3+}\r\nxyz\r\na2 NOOP\r\n");
    expect(in, GREETING "a1 BAD [TOOBIG] Literal too large\r\na2 OK NOOP completed\r\n");
}

static void test_literal_wrong_command(void **state)
{
    (void)state;
    /* I3: literal for an unknown command or in the wrong state: BAD, no "+" */
    expect("a1 FROB {5}\r\na2 SELECT {5}\r\na3 NOOP {5+}\r\nhello\r\na4 NOOP\r\n", GREETING
           "a1 BAD Unknown command or literal where none is allowed\r\n"
           "a2 BAD Command not allowed in this state\r\n"
           "a3 BAD Unknown command or literal where none is allowed\r\na4 OK NOOP completed\r\n");
}

static void test_literal_zero_and_plus(void **state)
{
    (void)state;
    /* I4: {0} is a valid empty string; LITERAL+ needs no "+" */
    expect(
        "a1 LOGIN {3+}\r\nbob {6+}\r\nsecret\r\na2 CREATE {0}\r\n\r\na3 CREATE {4+}\r\nWork\r\n"
        "a4 LIST \"\" {1}\r\n*\r\n",
        GREETING
        "a1 OK LOGIN completed\r\n+ Ready for literal data\r\n"
        "a2 NO [CANNOT] Invalid mailbox name\r\na3 OK CREATE completed\r\n+ Ready for literal data\r\n"
        "* LIST (\\HasNoChildren) \"/\" INBOX\r\n* LIST (\\HasNoChildren) \"/\" Work\r\na4 OK LIST completed\r\n");
}

static void test_quoted_and_bare_eol(void **state)
{
    (void)state;
    /* I5, I15, X3: quoted strings refuse CR/LF/NUL and bad escapes; a bare
     * LF ends a hand-typed command with BAD and a hint, and the next line is
     * a command again */
    static const char in[] = LOGIN "a1 CREATE \"a\\b\"\r\na2 CREATE \"abc\r\na3 NOOP\na4 NOOP\r\n"
                                   "a5 CREATE \"x\0y\"\r\na6 CREATE \"q\\\"x\"\r\n";
    struct mbox_store *st = mbox_store_new(1);
    struct imap_server *s = imap_t_server(st);
    struct imap_t_out o = {0};
    imap_t_feed(s, in, sizeof in - 1, 7, &o);
    assert_string_equal(
        o.p, GREETING LOGIN_OK
        "a1 BAD Invalid escape in quoted string\r\n"
        "a2 BAD Unterminated quoted string\r\n"
        "a3 BAD Bare LF received; end each line with CRLF (RFC 9051 2.2; with nc, use nc -C)\r\n"
        "a4 OK NOOP completed\r\n"
        "a5 BAD Invalid characters in command (NUL, bare CR or LF)\r\n"
        "a6 NO [CANNOT] Invalid mailbox name\r\n");
    free(o.p);
    imap_server_free(s);
    mbox_store_free(st);
}

/* RFC 3501 §6.2.1: STARTTLS only when offered (CAPABILITY lists it until
 * it is done), only before login, once; plaintext after it in the same
 * flight is dropped. */
static void test_starttls(void **state)
{
    (void)state;
    struct mbox_store *st = mbox_store_new(1);
    char *out = imap_t_session(st, "a1 STARTTLS\r\n", 7);
    assert_string_equal(out, GREETING "a1 BAD Unknown command\r\n");
    free(out);
    struct imap_server_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.store = st;
    cfg.check_login = imap_t_login;
    cfg.starttls = true;
    struct imap_server *s = imap_server_new(&cfg);
    struct imap_t_out o = {0};
    static const char in[] = "a1 CAPABILITY\r\na2 STARTTLS\r\na3 LOGIN bob secret\r\n";
    imap_t_feed(s, in, sizeof in - 1, SIZE_MAX, &o); /* one flight */
    assert_string_equal(o.p,
                        GREETING "* CAPABILITY "
                                 "IMAP4rev1 LITERAL+ SASL-IR IDLE MOVE UNSELECT "
                                 "UIDPLUS AUTH=PLAIN STARTTLS\r\na1 OK CAPABILITY completed\r\n"
                                 "a2 OK Begin TLS negotiation now\r\n");
    free(o.p);
    memset(&o, 0, sizeof o);
    static const char in2[] = "a4 CAPABILITY\r\na5 STARTTLS\r\n" LOGIN "a6 STARTTLS\r\n";
    imap_t_feed(s, in2, sizeof in2 - 1, 7, &o);
    assert_string_equal(o.p, "* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE MOVE UNSELECT UIDPLUS "
                             "AUTH=PLAIN\r\na4 OK CAPABILITY completed\r\n"
                             "a5 BAD TLS already active\r\n" LOGIN_OK
                             "a6 BAD Command not allowed in the authenticated state\r\n");
    free(o.p);
    imap_server_free(s);
    mbox_store_free(st);
}

static void test_long_line(void **state)
{
    (void)state;
    /* I14: 8192 octets are accepted, more is BAD and the stream resyncs */
    char *in = malloc(20000);
    size_t n = (size_t)sprintf(in, "a1 CREATE ");
    memset(in + n, 'x', 9000);
    n += 9000;
    n += (size_t)sprintf(in + n, "\r\na2 NOOP\r\n");
    in[n] = '\0';
    expect(in, GREETING "* BAD [TOOBIG] Command line too long\r\na2 OK NOOP completed\r\n");
    free(in);
}

static void test_nesting_and_search(void **state)
{
    (void)state;
    /* I6: nesting is capped; SEARCH keys */
    expect(
        LOGIN SELECT
        "a1 SEARCH ((((((((((ALL))))))))))\r\na2 SEARCH FROM alice\r\n"
        "a3 SEARCH OR FROM carol SUBJECT notes\r\na4 SEARCH NOT FROM carol\r\na5 SEARCH BODY photo\r\n"
        "a6 SEARCH TEXT \"image/jpeg\"\r\na7 SEARCH LARGER 400\r\na8 SEARCH SMALLER 400 UNSEEN\r\n"
        "a9 SEARCH SINCE 5-Jan-2026 BEFORE 6-Jan-2026\r\nb1 SEARCH ON 4-Jan-2026\r\n"
        "b2 UID SEARCH UID 2:*\r\nb3 SEARCH 2:* NEW\r\nb4 SEARCH HEADER Message-ID \"<2@\"\r\n"
        "b5 SEARCH SINCE 32-Jan-2026\r\nb6 SEARCH FLAGGED\r\nb7 SEARCH WIBBLE\r\nb8 SEARCH\r\n"
        "b9 SEARCH SENTON 5-Jan-2026\r\nc1 SEARCH SENTBEFORE 5-Jan-2026\r\nc2 SEARCH SENTSINCE 6-Jan-2026\r\n",
        GREETING LOGIN_OK SELECT_OK
        "a1 BAD Too deeply nested\r\n"
        "* SEARCH 1\r\na2 OK SEARCH completed\r\n* SEARCH 1 2\r\na3 OK SEARCH completed\r\n"
        "* SEARCH 1\r\na4 OK SEARCH completed\r\n* SEARCH 2\r\na5 OK SEARCH completed\r\n"
        "* SEARCH 2\r\na6 OK SEARCH completed\r\n* SEARCH 2\r\na7 OK SEARCH completed\r\n"
        "* SEARCH 1\r\na8 OK SEARCH completed\r\n* SEARCH 1 2\r\na9 OK SEARCH completed\r\n"
        "* SEARCH\r\nb1 OK SEARCH completed\r\n* SEARCH 2\r\nb2 OK UID SEARCH completed\r\n"
        "* SEARCH 2\r\nb3 OK SEARCH completed\r\n* SEARCH 2\r\nb4 OK SEARCH completed\r\n"
        "b5 BAD Invalid date\r\n* SEARCH\r\nb6 OK SEARCH completed\r\nb7 BAD Unknown search key\r\n"
        "b8 BAD Missing arguments\r\n* SEARCH 1 2\r\nb9 OK SEARCH completed\r\n"
        "* SEARCH\r\nc1 OK SEARCH completed\r\n* SEARCH\r\nc2 OK SEARCH completed\r\n");
}

static void test_fetch_items(void **state)
{
    (void)state;
    expect(
        LOGIN
        "e1 EXAMINE INBOX\r\na1 FETCH 1 (UID FLAGS RFC822.SIZE INTERNALDATE)\r\n"
        "a2 FETCH 1 BODY[HEADER.FIELDS (SUBJECT FROM)]\r\na3 FETCH 1 BODY[HEADER.FIELDS.NOT (From To Date Message-ID)]\r\n"
        "a4 FETCH 1 BODY[TEXT]<6.5>\r\na5 FETCH 1 BODY[]<0.99999999999>\r\na6 FETCH 1 BODY[3]\r\n"
        "a7 FETCH 1 FAST\r\na8 FETCH 2 BODY[1.TEXT]\r\na9 FETCH 1 BODY[]<5.0>\r\nb1 FETCH 1 BODY[HEADER\r\n"
        "b2 FETCH 1 RFC822.HEADER\r\nb3 STORE 1 +FLAGS \\Seen\r\n",
        GREETING LOGIN_OK
        "* 2 EXISTS\r\n* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n* 2 RECENT\r\n"
        "* OK [UNSEEN 1] Message 1 is the first unseen message\r\n"
        "* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n"
        "* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT 3] Predicted next UID\r\n"
        "e1 OK [READ-ONLY] EXAMINE completed\r\n"
        "* 1 FETCH (UID 1 FLAGS (\\Recent) RFC822.SIZE 175 INTERNALDATE \" 5-Jan-2026 09:00:00 +0000\")\r\n"
        "a1 OK FETCH completed\r\n"
        "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {59}\r\nFrom: Alice <alice@example.org>\r\n"
        "Subject: Lecture notes\r\n\r\n)\r\na2 OK FETCH completed\r\n"
        "* 1 FETCH (BODY[HEADER.FIELDS.NOT (From To Date Message-ID)] {26}\r\nSubject: Lecture notes\r\n\r\n)\r\n"
        "a3 OK FETCH completed\r\n"
        "* 1 FETCH (BODY[TEXT]<6> {5}\r\nattac)\r\na4 OK FETCH completed\r\n"
        "* 1 FETCH (BODY[]<0> {175}\r\n"
        "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n"
        "Subject: Lecture notes\r\nDate: Mon, 05 Jan 2026 09:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n"
        "\r\nNotes attached next week.\r\n)\r\na5 OK FETCH completed\r\n"
        "* 1 FETCH (BODY[3] NIL)\r\na6 OK FETCH completed\r\n"
        "* 1 FETCH (FLAGS (\\Recent) INTERNALDATE \" 5-Jan-2026 09:00:00 +0000\" RFC822.SIZE 175)\r\n"
        "a7 OK FETCH completed\r\n"
        "* 2 FETCH (BODY[1.TEXT] NIL)\r\na8 OK FETCH completed\r\n"
        "a9 BAD Invalid partial range\r\nb1 BAD Expected ]\r\n"
        "* 1 FETCH (RFC822.HEADER {148}\r\nFrom: Alice <alice@example.org>\r\nTo: bob@example.net\r\n"
        "Subject: Lecture notes\r\nDate: Mon, 05 Jan 2026 09:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n"
        "\r\n)\r\nb2 OK FETCH completed\r\n"
        "b3 NO [READ-ONLY] Mailbox is read-only\r\n");
}

static void test_mailbox_commands(void **state)
{
    (void)state;
    expect(
        LOGIN
        "a1 CREATE a/b/c\r\na2 LIST \"\" *\r\na3 LIST a %\r\na4 DELETE a\r\na5 RENAME a x/y\r\n"
        "a6 LIST \"\" x*\r\na7 DELETE INBOX\r\na8 DELETE nope\r\na9 CREATE inbox\r\nb1 SUBSCRIBE x/y/b\r\n"
        "b2 SUBSCRIBE nope\r\nb3 LSUB \"\" *\r\nb4 UNSUBSCRIBE x/y/b\r\nb5 LSUB \"\" *\r\n"
        "b6 RENAME x/y x/y/z\r\nb7 CREATE ~bob\r\nb8 STATUS nope (MESSAGES)\r\nb9 LIST \"\" \"\"\r\n",
        GREETING LOGIN_OK
        "a1 OK CREATE completed\r\n"
        "* LIST (\\HasNoChildren) \"/\" INBOX\r\n* LIST (\\HasChildren) \"/\" a\r\n"
        "* LIST (\\HasChildren) \"/\" a/b\r\n* LIST (\\HasNoChildren) \"/\" a/b/c\r\na2 OK LIST completed\r\n"
        "* LIST (\\HasChildren) \"/\" a\r\na3 OK LIST completed\r\n"
        "a4 NO [CANNOT] Mailbox has inferior hierarchical names\r\na5 OK RENAME completed\r\n"
        "* LIST (\\HasChildren) \"/\" x\r\n* LIST (\\HasChildren) \"/\" x/y\r\n* LIST (\\HasChildren) \"/\" x/y/b\r\n"
        "* LIST (\\HasNoChildren) \"/\" x/y/b/c\r\na6 OK LIST completed\r\n"
        "a7 NO [CANNOT] INBOX cannot be deleted\r\na8 NO [NONEXISTENT] No such mailbox\r\n"
        "a9 NO [ALREADYEXISTS] Mailbox already exists\r\nb1 OK SUBSCRIBE completed\r\n"
        "b2 NO [NONEXISTENT] No such mailbox\r\n* LSUB (\\HasChildren) \"/\" x/y/b\r\nb3 OK LSUB completed\r\n"
        "b4 OK UNSUBSCRIBE completed\r\nb5 OK LSUB completed\r\nb6 NO [CANNOT] Invalid mailbox name\r\n"
        "b7 OK CREATE completed\r\nb8 NO [NONEXISTENT] No such mailbox\r\n"
        "* LIST (\\Noselect) \"/\" \"\"\r\nb9 OK LIST completed\r\n");
}

static void test_append(void **state)
{
    (void)state;
    expect(
        LOGIN
        "c1 APPEND nope {1}\r\nc2 APPEND INBOX (\\Seen) \" 7-Jan-2026 10:00:00 +0100\" {2+}\r\nhi\r\n"
        "c3 STATUS INBOX (MESSAGES UNSEEN RECENT UIDNEXT)\r\nc4 APPEND INBOX (\\Recent) {2+}\r\nhi\r\n"
        "c5 APPEND INBOX \"31-Feb-2026 10:00:00 +0100\" {2+}\r\nhi\r\nc6 SELECT INBOX\r\nc7 FETCH 3 (FLAGS INTERNALDATE)\r\n",
        GREETING LOGIN_OK
        "c1 NO [TRYCREATE] No such mailbox\r\nc2 OK [APPENDUID 1 3] APPEND completed\r\n"
        "* STATUS INBOX (MESSAGES 3 UNSEEN 2 RECENT 3 UIDNEXT 4)\r\nc3 OK STATUS completed\r\n"
        "c4 BAD Invalid system flag\r\nc5 OK [APPENDUID 1 4] APPEND completed\r\n"
        "* 4 EXISTS\r\n* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n* 4 RECENT\r\n"
        "* OK [UNSEEN 1] Message 1 is the first unseen message\r\n"
        "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft \\*)] Limited\r\n"
        "* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT 5] Predicted next UID\r\n"
        "c6 OK [READ-WRITE] SELECT completed\r\n"
        "* 3 FETCH (FLAGS (\\Seen \\Recent) INTERNALDATE \" 7-Jan-2026 09:00:00 +0000\")\r\nc7 OK FETCH completed\r\n");
}

static void test_store_expunge_close(void **state)
{
    (void)state;
    expect(
        LOGIN SELECT
        "a1 STORE 1:* FLAGS.SILENT (\\Deleted $Later)\r\na2 FETCH 1:2 FLAGS\r\n"
        "a3 STORE 2 -FLAGS (\\Deleted)\r\na4 UID STORE 2 +FLAGS (\\Answered)\r\na5 STORE 1 FLAGS (\\Bogus)\r\n"
        "a6 STORE 1 XFLAGS (\\Seen)\r\na7 EXPUNGE\r\na8 FETCH 1 UID\r\na9 STORE 2 FLAGS ()\r\n"
        "b1 STORE 1 +FLAGS (\\Deleted)\r\nb2 CLOSE\r\nb3 STATUS INBOX (MESSAGES)\r\nb4 FETCH 1 UID\r\n",
        GREETING LOGIN_OK SELECT_OK
        "* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Later)\r\n"
        "a1 OK FLAGS completed\r\n"
        "* 1 FETCH (FLAGS (\\Deleted \\Recent $Later))\r\n* 2 FETCH (FLAGS (\\Deleted \\Recent $Later))\r\n"
        "a2 OK FETCH completed\r\n* 2 FETCH (FLAGS (\\Recent $Later))\r\na3 OK -FLAGS completed\r\n"
        "* 2 FETCH (UID 2 FLAGS (\\Answered \\Recent $Later))\r\na4 OK +FLAGS completed\r\n"
        "a5 BAD Invalid system flag\r\na6 BAD Expected FLAGS, +FLAGS or -FLAGS\r\n"
        "* 1 EXPUNGE\r\na7 OK EXPUNGE completed\r\n* 1 FETCH (UID 2)\r\na8 OK FETCH completed\r\n"
        "a9 BAD Invalid message sequence number\r\n"
        "* 1 FETCH (FLAGS (\\Answered \\Deleted \\Recent $Later))\r\nb1 OK +FLAGS completed\r\n"
        "b2 OK CLOSE completed\r\n* STATUS INBOX (MESSAGES 0)\r\nb3 OK STATUS completed\r\n"
        "b4 BAD Command not allowed in the authenticated state\r\n");
}

static void test_uidplus(void **state)
{
    (void)state;
    expect(
        LOGIN SELECT
        "u1 CREATE L\r\nu2 COPY 1:2 L\r\nu3 UID MOVE 2 L\r\nu4 STORE 1 +FLAGS.SILENT (\\Deleted)\r\n"
        "u5 UID EXPUNGE 5:9\r\nu6 UID EXPUNGE 1\r\nu7 UID EXPUNGE x\r\nu8 APPEND L {1+}\r\nx\r\n",
        GREETING LOGIN_OK SELECT_OK
        "u1 OK CREATE completed\r\nu2 OK [COPYUID 2 1:2 1:2] COPY completed\r\n"
        "* OK [COPYUID 2 2 3] Moved\r\n* 2 EXPUNGE\r\nu3 OK UID MOVE completed\r\nu4 OK +FLAGS completed\r\n"
        "u5 OK UID EXPUNGE completed\r\n* 1 EXPUNGE\r\nu6 OK UID EXPUNGE completed\r\n"
        "u7 BAD Invalid sequence set\r\nu8 OK [APPENDUID 2 4] APPEND completed\r\n");
    /* a COPYUID longer than the event text still goes out whole */
    struct mbox_store *st = mbox_store_new(1);
    struct mbox_user *u = mbox_user_get(st, "bob", true);
    struct mbox_folder *f = mbox_folder_find(u, "INBOX", 5);
    for (int i = 0; i < 200; i++) mbox_append(f, "x\r\n", 3, 0, 0, NULL);
    mbox_folder_create(u, "L", 1);
    char cmd[2048];
    size_t n = (size_t)sprintf(cmd, LOGIN SELECT "c1 COPY 1");
    for (int i = 3; i < 200; i += 2) n += (size_t)sprintf(cmd + n, ",%d", i);
    sprintf(cmd + n, " L\r\n");
    char *out = imap_t_session(st, cmd, 4096);
    const char *t = strstr(out, "c1 OK [COPYUID 2 1,3,5,7,");
    assert_non_null(t);
    assert_non_null(strstr(t, ",197,199 1:100] COPY completed\r\n"));
    free(out);
    mbox_store_free(st);
}

static void test_authenticate_plain(void **state)
{
    (void)state;
    /* base64("\0bob\0secret") = AGJvYgBzZWNyZXQ= ; ("\0bob\0bad") = AGJvYgBiYWQ= */
    expect(
        "a1 AUTHENTICATE PLAIN\r\n*\r\na2 AUTHENTICATE PLAIN\r\n!!!\r\na3 AUTHENTICATE PLAIN AGJvYgBiYWQ=\r\n"
        "a4 AUTHENTICATE PLAIN\r\nAGJvYgBzZWNyZXQ=\r\na5 AUTHENTICATE PLAIN\r\n",
        GREETING
        "+ \r\na1 BAD Authentication cancelled\r\n+ \r\na2 BAD Invalid base64 in SASL response\r\n"
        "a3 NO [AUTHENTICATIONFAILED] Invalid credentials\r\n+ \r\na4 OK AUTHENTICATE completed\r\n"
        "a5 BAD Command not allowed in the authenticated state\r\n");
}

static void test_seqset_ranges(void **state)
{
    (void)state;
    /* I7, I8 */
    expect(
        LOGIN SELECT
        "a1 FETCH 1,,2 UID\r\na2 FETCH 1, UID\r\na3 FETCH ,1 UID\r\na4 FETCH 1: UID\r\n"
        "a5 FETCH :5 UID\r\na6 FETCH 1:2:3 UID\r\na7 FETCH *:1 UID\r\na8 UID FETCH 9:* UID\r\n"
        "a9 UID FETCH 4294967295 UID\r\nb1 UID FETCH 4294967296 UID\r\nb2 FETCH 3:* UID\r\nb3 COPY 9 INBOX\r\n",
        GREETING LOGIN_OK SELECT_OK
        "a1 BAD Invalid sequence set\r\na2 BAD Invalid sequence set\r\n"
        "a3 BAD Invalid sequence set\r\na4 BAD Invalid sequence set\r\na5 BAD Invalid sequence set\r\n"
        "a6 BAD Invalid sequence set\r\n* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 2)\r\na7 OK FETCH completed\r\n"
        "* 2 FETCH (UID 2)\r\na8 OK UID FETCH completed\r\na9 OK UID FETCH completed\r\n"
        "b1 BAD Number out of range\r\nb2 BAD Invalid message sequence number\r\n"
        "b3 BAD Invalid message sequence number\r\n");
}

static void test_idle(void **state)
{
    (void)state;
    struct mbox_store *st = mbox_store_new(1);
    imap_t_fixture_bob(st);
    struct imap_server *s = imap_t_server(st);
    struct imap_t_out o = {0};
    const char *in = LOGIN SELECT "i1 IDLE\r\n";
    imap_t_feed(s, in, strlen(in), 1000, &o);
    assert_true(imap_server_idling(s));
    o.len = 0;
    /* mail arrives while idling: EXISTS at once (RFC 2177) */
    struct mbox_folder *f = mbox_folder_find(mbox_user_get(st, "bob", false), "INBOX", 5);
    mbox_append(f, "x\r\n", 3, 0, 0, NULL);
    imap_server_notify(s);
    imap_t_drain(s, &o);
    assert_string_equal(o.p, "* 3 EXISTS\r\n* 3 RECENT\r\n");
    o.len = 0;
    o.p[0] = '\0';
    /* expunged elsewhere while idling: reported now (allowed during IDLE) */
    mbox_expunge_at(f, 0);
    imap_server_notify(s);
    imap_t_drain(s, &o);
    assert_string_equal(o.p, "* 1 EXPUNGE\r\n");
    o.len = 0;
    /* anything but DONE ends IDLE with BAD (I13, hoodiecrow idle.js) */
    imap_t_feed(s, "i2 NOOP\r\n", 9, 1000, &o);
    assert_string_equal(o.p, "i1 BAD Expected DONE\r\n");
    o.len = 0;
    imap_t_feed(s, "i3 IDLE\r\ndone\r\n", 15, 1000, &o);
    assert_string_equal(o.p, "+ idling\r\ni3 OK IDLE terminated\r\n");
    o.len = 0;
    /* IDLE without DONE: only the caller's 30-minute timer ends it */
    imap_t_feed(s, "i4 IDLE\r\n", 9, 1000, &o);
    assert_int_equal(imap_server_timeout_us(s), 30 * SIM_US_PER_MIN);
    imap_server_timeout(s);
    imap_t_drain(s, &o);
    assert_string_equal(o.p, "+ idling\r\n* BYE Autologout; idle for too long\r\n");
    assert_true(imap_server_done(s));
    assert_int_equal(imap_server_state(s), IMAP_S_LOGOUT);
    free(o.p);
    imap_server_free(s);
    mbox_store_free(st);
}

static void test_two_sessions(void **state)
{
    (void)state;
    /* state persists: a second device sees folders, moves and flags */
    struct mbox_store *st = mbox_store_new(1);
    imap_t_fixture_bob(st);
    char *a = imap_t_session(st,
                             LOGIN SELECT "a1 CREATE Lectures\r\na2 MOVE 1 Lectures\r\n"
                                          "a3 STORE 1 +FLAGS (\\Flagged)\r\na4 LOGOUT\r\n",
                             100);
    assert_non_null(strstr(a, "* 1 EXPUNGE\r\na2 OK MOVE completed\r\n"));
    free(a);
    char *b = imap_t_session(st,
                             LOGIN "b1 LIST \"\" *\r\nb2 SELECT INBOX\r\nb3 FETCH 1 (UID FLAGS)\r\n"
                                   "b4 STATUS Lectures (MESSAGES UIDNEXT)\r\n",
                             100);
    assert_non_null(strstr(b, "* LIST (\\HasNoChildren) \"/\" Lectures\r\n"));
    assert_non_null(strstr(b, "* 1 EXISTS\r\n"));
    assert_non_null(strstr(b, "* 0 RECENT\r\n")); /* the first session had \Recent */
    assert_non_null(strstr(b, "* 1 FETCH (UID 2 FLAGS (\\Flagged))\r\n"));
    assert_non_null(strstr(b, "* STATUS Lectures (MESSAGES 1 UIDNEXT 2)\r\n"));
    free(b);
    mbox_store_free(st);
}

static void test_concurrent_expunge(void **state)
{
    (void)state;
    /* I16: another session's EXPUNGE is not reported during FETCH/STORE/
     * SEARCH, and sequence numbers stay put until it is */
    struct mbox_store *st = mbox_store_new(1);
    imap_t_fixture_bob(st);
    struct imap_server *a = imap_t_server(st), *b = imap_t_server(st);
    struct imap_t_out oa = {0}, ob = {0};
    const char *in = LOGIN SELECT;
    imap_t_feed(a, in, strlen(in), 1000, &oa);
    imap_t_feed(b, in, strlen(in), 1000, &ob);
    oa.len = 0;
    const char *x = "x1 STORE 1 +FLAGS.SILENT (\\Deleted)\r\nx2 EXPUNGE\r\n";
    imap_t_feed(b, x, strlen(x), 1000, &ob);
    const char *y = "y1 FETCH 2 UID\r\ny2 SEARCH ALL\r\ny3 NOOP\r\ny4 FETCH 1 UID\r\n";
    imap_t_feed(a, y, strlen(y), 1000, &oa);
    assert_string_equal(
        oa.p,
        "* 2 FETCH (UID 2)\r\ny1 OK FETCH completed\r\n* SEARCH 2\r\ny2 OK SEARCH completed\r\n"
        "* 1 EXPUNGE\r\ny3 OK NOOP completed\r\n* 1 FETCH (UID 2)\r\ny4 OK FETCH completed\r\n");
    /* flags changed by b show up in a as FETCH FLAGS */
    oa.len = 0;
    const char *z = "z1 STORE 1 +FLAGS.SILENT (\\Flagged)\r\n";
    imap_t_feed(b, z, strlen(z), 1000, &ob);
    imap_t_feed(a, "y5 NOOP\r\n", 9, 1000, &oa);
    assert_string_equal(oa.p, "* 1 FETCH (FLAGS (\\Flagged \\Recent))\r\ny5 OK NOOP completed\r\n");
    free(oa.p);
    free(ob.p);
    imap_server_free(a);
    imap_server_free(b);
    mbox_store_free(st);
}

static void test_selected_deleted_elsewhere(void **state)
{
    (void)state;
    struct mbox_store *st = mbox_store_new(1);
    imap_t_fixture_bob(st);
    struct mbox_user *u = mbox_user_get(st, "bob", false);
    mbox_folder_create(u, "Old", 3);
    char *a;
    struct imap_server *s = imap_t_server(st);
    struct imap_t_out o = {0};
    const char *in = LOGIN "s1 SELECT Old\r\n";
    imap_t_feed(s, in, strlen(in), 1000, &o);
    mbox_folder_delete(u, "Old", 3);
    o.len = 0;
    imap_t_feed(s, "n1 NOOP\r\n", 9, 1000, &o);
    assert_string_equal(o.p,
                        "* OK [CLOSED] Selected mailbox was deleted\r\nn1 OK NOOP completed\r\n");
    assert_int_equal(imap_server_state(s), IMAP_S_AUTH);
    (void)a;
    free(o.p);
    imap_server_free(s);
    mbox_store_free(st);
}

static struct imap_server *hook_session;
static void notify_hook(void *ctx, struct mbox_user *u, struct mbox_folder *f,
                        enum mbox_change what)
{
    (void)ctx;
    (void)u;
    (void)f;
    (void)what;
    if (hook_session) imap_server_notify(hook_session);
}

static void test_hook_reentry(void **state)
{
    (void)state;
    /* the mail layer notifies from the store hook; the session's own
     * \Recent bookkeeping changes the store too: no double report */
    struct mbox_store *st = mbox_store_new(1);
    imap_t_fixture_bob(st);
    mbox_store_set_hook(st, notify_hook, NULL);
    struct imap_server *s = imap_t_server(st);
    hook_session = s;
    struct imap_t_out o = {0};
    const char *in = LOGIN SELECT "i1 IDLE\r\n";
    imap_t_feed(s, in, strlen(in), 1000, &o);
    o.len = 0;
    struct mbox_folder *f = mbox_folder_find(mbox_user_get(st, "bob", false), "INBOX", 5);
    mbox_append(f, "x\r\n", 3, 0, 0, NULL);
    mbox_append(f, "y\r\n", 3, 0, 0, NULL);
    imap_t_feed(s, "DONE\r\nf1 FETCH 1:* UID\r\n", 25, 1000, &o);
    assert_string_equal(
        o.p, "* 3 EXISTS\r\n* 3 RECENT\r\n* 4 EXISTS\r\n* 4 RECENT\r\ni1 OK IDLE terminated\r\n"
             "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)\r\n* 4 FETCH (UID 4)\r\n"
             "f1 OK FETCH completed\r\n");
    hook_session = NULL;
    free(o.p);
    imap_server_free(s);
    mbox_store_free(st);
}

static void test_backpressure(void **state)
{
    (void)state;
    /* I17, X5: FETCH 1:* over 3000 messages streams under a 4 KiB mark;
     * input behind it waits */
    struct mbox_store *st = mbox_store_new(1);
    struct mbox_user *u = mbox_user_get(st, "bob", true);
    struct mbox_folder *f = mbox_folder_find(u, "INBOX", 5);
    for (int i = 0; i < 3000; i++)
        mbox_append(f, "Subject: x\r\n\r\nbody\r\n", 20, MBOX_F_SEEN, 0, NULL);
    struct imap_server_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.store = st;
    cfg.check_login = imap_t_login;
    cfg.out_high_water = 4096;
    struct imap_server *s = imap_server_new(&cfg);
    const char *in = LOGIN SELECT "f1 FETCH 1:* (UID FLAGS)\r\nf2 NOOP\r\n";
    size_t len = strlen(in), used = imap_server_recv(s, in, len);
    assert_true(used < len); /* f2 is not taken while f1 streams */
    const char *p;
    size_t n = imap_server_out(s, &p), most = n, total = 0, fetches = 0;
    while (n) {
        for (size_t i = 0; i + 8 < n; i++) fetches += memcmp(p + i, " FETCH (", 8) == 0;
        total += n;
        imap_server_out_done(s, n);
        used += imap_server_recv(s, in + used, len - used);
        n = imap_server_out(s, &p);
        if (n > most) most = n;
    }
    assert_int_equal(used, len);
    assert_int_equal(fetches, 3000);
    assert_true(most < 4096 + 200);
    assert_true(total > 3000 * 20);
    imap_server_free(s);
    mbox_store_free(st);
}

static void test_verdict_and_events(void **state)
{
    (void)state;
    struct mbox_store *st = mbox_store_new(1);
    struct imap_server_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.store = st;
    cfg.host = "mail.example.net";
    struct imap_server *s = imap_server_new(&cfg);
    struct imap_t_out o = {0};
    const char *in = "a1 LOGIN carol pw\r\na2 NOOP\r\n";
    size_t used = imap_t_feed(s, in, strlen(in), 1000, &o);
    assert_int_equal(used, 19); /* waits for the verdict */
    struct imap_event ev;
    assert_true(imap_server_event(s, &ev));
    assert_int_equal(ev.kind, IMAP_EV_LOGIN);
    assert_string_equal(ev.user, "carol");
    assert_string_equal(ev.pass, "pw");
    assert_false(imap_server_event(s, &ev));
    imap_server_verdict(s, true);
    imap_t_feed(s, in + used, strlen(in) - used, 1000, &o);
    assert_string_equal(
        o.p,
        "* OK mail.example.net IMAP4rev1 Service Ready\r\na1 OK LOGIN completed\r\na2 OK NOOP completed\r\n");
    assert_true(imap_server_event(s, &ev));
    assert_int_equal(ev.kind, IMAP_EV_STATE);
    assert_string_equal(imap_state_name(ev.from), "not authenticated");
    assert_string_equal(imap_state_name(ev.to), "authenticated");
    assert_true(imap_server_event(s, &ev));
    assert_int_equal(ev.kind, IMAP_EV_COMMAND);
    assert_string_equal(ev.tag, "a1");
    assert_string_equal(ev.command, "LOGIN");
    assert_int_equal(ev.result, IMAP_OK);
    assert_non_null(mbox_user_get(st, "carol", false)); /* the store made her INBOX */
    free(o.p);
    imap_server_free(s);
    mbox_store_free(st);
}

static void test_list_patterns(void **state)
{
    (void)state;
    /* I11, I12: wildcards, "..", and a pattern built to make backtracking blow up */
    struct mbox_store *st = mbox_store_new(1);
    struct mbox_user *u = mbox_user_get(st, "bob", true);
    mbox_folder_create(u, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 56);
    mbox_folder_create(u, "Work/2026", 9);
    char *out =
        imap_t_session(st,
                       LOGIN "l1 LIST \"\" \"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\"\r\n"
                             "l2 LIST \"\" \"../*\"\r\nl3 LIST Work/ %\r\nl4 LIST \"\" inbox\r\n"
                             "l5 LIST \"\" %/%\r\nl6 SELECT \"../INBOX\"\r\n",
                       1000);
    assert_string_equal(out, GREETING LOGIN_OK
                        "l1 OK LIST completed\r\nl2 OK LIST completed\r\n"
                        "* LIST (\\HasNoChildren) \"/\" Work/2026\r\nl3 OK LIST completed\r\n"
                        "* LIST (\\HasNoChildren) \"/\" INBOX\r\nl4 OK LIST completed\r\n"
                        "* LIST (\\HasNoChildren) \"/\" Work/2026\r\nl5 OK LIST completed\r\n"
                        "l6 NO [NONEXISTENT] Mailbox does not exist\r\n");
    free(out);
    mbox_store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preauth_refusals),
        cmocka_unit_test(test_literal_toobig_sync),
        cmocka_unit_test(test_other_protocols),
        cmocka_unit_test(test_literal_toobig_plus),
        cmocka_unit_test(test_literal_wrong_command),
        cmocka_unit_test(test_literal_zero_and_plus),
        cmocka_unit_test(test_quoted_and_bare_eol),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_starttls),
        cmocka_unit_test(test_nesting_and_search),
        cmocka_unit_test(test_fetch_items),
        cmocka_unit_test(test_mailbox_commands),
        cmocka_unit_test(test_append),
        cmocka_unit_test(test_store_expunge_close),
        cmocka_unit_test(test_authenticate_plain),
        cmocka_unit_test(test_uidplus),
        cmocka_unit_test(test_seqset_ranges),
        cmocka_unit_test(test_idle),
        cmocka_unit_test(test_two_sessions),
        cmocka_unit_test(test_concurrent_expunge),
        cmocka_unit_test(test_selected_deleted_elsewhere),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_verdict_and_events),
        cmocka_unit_test(test_list_patterns),
        cmocka_unit_test(test_hook_reentry),
    };
    return cmocka_run_group_tests_name("imap_server", tests, NULL, NULL);
}
