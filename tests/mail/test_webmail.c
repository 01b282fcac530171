/* test_webmail.c -- webmail pages escape everything, routes, and the compose
 * form decoder rejects bad input with exact errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "mail/webmail.h"

static void test_inbox_page(void **state)
{
    (void)state;
    const struct webmail_summary m[] = {
        {"1896.1", "Alice <alice@example.org>", "Lunch & <b>tea</b>?",
         "Mon, 7 Oct 2024 10:00:00 +0000", 1234, false},
        {"a/b?c#d\"e", "\"Eve\" <eve@evil.example>", "<script>alert('x')</script>", "today", 7,
         true},
    };
    size_t len;
    char *p = webmail_render_inbox("bob@example.org", m, 2, &len);
    assert_int_equal(len, strlen(p));
    assert_string_equal(
        p,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>Inbox of bob@example.org</title>\n</head>\n<body>\n"
        "<h1>Inbox of bob@example.org</h1>\n<p><a href=\"/compose\">Write a message</a></p>\n"
        "<table>\n<tr><th>From</th><th>Subject</th><th>Date</th><th>Size</th></tr>\n"
        "<tr class=\"unseen\"><td>Alice &lt;alice@example.org&gt;</td><td><a href=\"/message/1896.1\">"
        "Lunch &amp; &lt;b&gt;tea&lt;/b&gt;?</a></td><td>Mon, 7 Oct 2024 10:00:00 +0000</td><td>1234</td></tr>\n"
        "<tr><td>&quot;Eve&quot; &lt;eve@evil.example&gt;</td><td><a href=\"/message/a%2Fb%3Fc%23d%22e\">"
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</a></td><td>today</td><td>7</td></tr>\n"
        "</table>\n</body>\n</html>\n");
    free(p);
    p = webmail_render_inbox("<bob>", NULL, 0, &len);
    assert_non_null(strstr(p, "<h1>Inbox of &lt;bob&gt;</h1>"));
    assert_non_null(strstr(p, "<p>No messages.</p>\n"));
    free(p);
}

static void test_message_page(void **state)
{
    (void)state;
    static const char text[] = "Hi Bob,\r\n<img src=x onerror=alert(1)>\r\nA\x00"
                               "B\x1b[31m\r\n";
    const struct webmail_message m = {
        "u1", "Alice <alice@example.org>", "bob@example.org", "", "today", text, sizeof text - 1};
    size_t len;
    char *p = webmail_render_message(&m, &len);
    assert_string_equal(p,
                        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                        "<title>(no subject)</title>\n</head>\n<body>\n"
                        "<p><a href=\"/inbox\">Back to the inbox</a></p>\n<h1>(no subject)</h1>\n"
                        "<dl>\n<dt>From</dt><dd>Alice &lt;alice@example.org&gt;</dd>\n"
                        "<dt>To</dt><dd>bob@example.org</dd>\n<dt>Date</dt><dd>today</dd>\n</dl>\n"
                        "<pre>Hi Bob,\n&lt;img src=x onerror=alert(1)&gt;\nA\xef\xbf\xbd"
                        "B\xef\xbf\xbd[31m\n</pre>\n"
                        "</body>\n</html>\n");
    free(p);
}

static void test_compose_page(void **state)
{
    (void)state;
    size_t len;
    char *p = webmail_render_compose("alice@example.org", NULL, "\"to\" is <bad>", &len);
    assert_non_null(strstr(p, "<p class=\"error\">&quot;to&quot; is &lt;bad&gt;</p>\n"));
    assert_non_null(
        strstr(p,
               "<form method=\"post\" action=\"/send\" "
               "enctype=\"application/x-www-form-urlencoded\">\n<p>From: alice@example.org</p>\n"));
    assert_non_null(strstr(p, "<input name=\"to\" maxlength=\"254\">"));
    assert_non_null(strstr(p, "<textarea name=\"body\""));
    free(p);
    p = webmail_render_compose("a", NULL, NULL, &len);
    assert_null(strstr(p, "class=\"error\""));
    free(p);
}

static void test_routes(void **state)
{
    (void)state;
    char uid[71];
    assert_int_equal(webmail_route("GET", "/", uid, sizeof uid), WEBMAIL_INBOX);
    assert_int_equal(webmail_route("GET", "/inbox?page=2", uid, sizeof uid), WEBMAIL_INBOX);
    assert_int_equal(webmail_route("HEAD", "/compose", uid, sizeof uid), WEBMAIL_COMPOSE);
    assert_int_equal(webmail_route("POST", "/send", uid, sizeof uid), WEBMAIL_SEND);
    assert_int_equal(webmail_route("GET", "/send", uid, sizeof uid), WEBMAIL_BAD_METHOD);
    assert_int_equal(webmail_route("POST", "/inbox", uid, sizeof uid), WEBMAIL_BAD_METHOD);
    assert_int_equal(webmail_route("GET", "/message/a%2Fb%3Fc%23d%22e", uid, sizeof uid),
                     WEBMAIL_MESSAGE);
    assert_string_equal(uid, "a/b?c#d\"e");
    assert_int_equal(webmail_route("GET", "/message/", uid, sizeof uid), WEBMAIL_NOT_FOUND);
    assert_int_equal(webmail_route("GET", "/message/a%20b", uid, sizeof uid), WEBMAIL_NOT_FOUND);
    assert_int_equal(webmail_route("GET", "/message/a%00b", uid, sizeof uid), WEBMAIL_NOT_FOUND);
    assert_int_equal(webmail_route("GET", "/message/a%2", uid, sizeof uid), WEBMAIL_NOT_FOUND);
    assert_int_equal(webmail_route("GET", "/message/%zz", uid, sizeof uid), WEBMAIL_NOT_FOUND);
    char long_target[100] = "/message/";
    memset(long_target + 9, 'x', 71);
    assert_int_equal(webmail_route("GET", long_target, uid, sizeof uid), WEBMAIL_NOT_FOUND);
    long_target[9 + 70] = '\0';
    assert_int_equal(webmail_route("GET", long_target, uid, sizeof uid), WEBMAIL_MESSAGE);
    assert_int_equal(webmail_route("GET", "/../etc/passwd", uid, sizeof uid), WEBMAIL_NOT_FOUND);
    assert_int_equal(webmail_route("GET", "/inboxx", uid, sizeof uid), WEBMAIL_NOT_FOUND);
}

static void test_form_good(void **state)
{
    (void)state;
    static const char in[] =
        "to=bob%40example.org&subject=Caf%C3%A9+%26+tea&body=Line+1%0D%0ALine+2%0A.%0D";
    struct webmail_form f;
    struct ms_error e;
    assert_true(webmail_form_decode(in, sizeof in - 1, &f, &e));
    assert_string_equal(f.to, "bob@example.org");
    assert_string_equal(f.subject, "Caf\xc3\xa9 & tea");
    assert_string_equal(f.body, "Line 1\r\nLine 2\r\n.\r\n");
    assert_int_equal(f.body_len, 19);
    webmail_form_free(&f);
    /* fields in any order, empty subject and body */
    static const char in2[] = "body=&subject=&to=a.b-c%2Bd@x-y.example";
    assert_true(webmail_form_decode(in2, sizeof in2 - 1, &f, &e));
    assert_string_equal(f.to, "a.b-c+d@x-y.example");
    assert_string_equal(f.subject, "");
    assert_int_equal(f.body_len, 0);
    webmail_form_free(&f);
}

static void test_form_bad(void **state)
{
    (void)state;
    static char long_subject[400], long_body[WEBMAIL_BODY_MAX + 64];
    strcpy(long_subject, "to=a@b&body=&subject=");
    memset(long_subject + strlen(long_subject), 's', 201);
    strcpy(long_body, "to=a@b&subject=&body=");
    memset(long_body + strlen(long_body), 'b', WEBMAIL_BODY_MAX + 1);
    static const struct {
        const char *in;
        size_t len;
        const char *where, *msg;
    } cases[] = {
        {"to=a@b&subject=Hi%0D%0ABcc:+eve@evil&body=x", 0, "subject", "line break in subject"},
        {"to=a@b%0ABcc:eve@evil&subject=&body=", 0, "to", "line break in to"},
        {"to=a@b&subject=%0D&body=", 0, "subject", "line break in subject"},
        {"to=a@b&subject=a%00b&body=", 0, "subject", "NUL byte in subject"},
        {"to=a@b&subject=&body=a%00", 0, "body", "NUL byte in body"},
        {"to=a@b&subject=%1B[31m&body=", 0, "subject", "control character 0x1B in subject"},
        {"to=a@b&subject=&body=%07", 0, "body", "control character 0x07 in body"},
        {"to=a@b&subject=%C3%28&body=", 0, "subject", "invalid UTF-8 in subject"},
        {"to=a@b&subject=&body=%C0%AF", 0, "body", "invalid UTF-8 in body"},
        {"to=a@b&subject=&body=%ED%A0%80", 0, "body", "invalid UTF-8 in body"},
        {"to=a@b&subject=&body=%F4%90%80%80", 0, "body", "invalid UTF-8 in body"},
        {"to=a@b&subject=&body=%E2%82", 0, "body", "invalid UTF-8 in body"},
        {"to=a@b&subject=%zz&body=", 0, "subject", "bad percent escape at offset 15"},
        {"to=a@b&subject=&body=%4", 0, "body", "bad percent escape at offset 21"},
        {"to=a@b&subject=&body=100%", 0, "body", "bad percent escape at offset 24"},
        {"to=a@b&subject=&body=x&to=c@d", 0, "to", "field \"to\" given twice"},
        {"to=a@b&subject=&body=&cc=e@f", 0, "form", "unknown field \"cc\""},
        {"to=a@b&subject=&body=&%74o=x", 0, "to", "field \"to\" given twice"},
        {"to=a@b&subject=", 0, "body", "missing field \"body\""},
        {"to=&subject=&body=", 0, "to", "missing field \"to\""},
        {"subject=&body=", 0, "to", "missing field \"to\""},
        {"to=a@b&&subject=&body=", 0, "form", "empty field at offset 7"},
        {"to=a@b&subject&body=", 0, "form", "field without '=' at offset 7"},
        {"", 0, "form", "empty field at offset 0"},
        {"to=a@b&subject=&body=&", 0, "form", "empty field at offset 22"},
        {"to=a b&subject=&body=", 0, "form", "byte 0x20 at offset 4 is not allowed in a form"},
        {"to=a@b&subject=\r\n&body=", 0, "form", "byte 0x0D at offset 15 is not allowed in a form"},
        {"to=a@b&subject=\xc3\xa9&body=", 0, "form",
         "byte 0xC3 at offset 15 is not allowed in a form"},
        {"to=bob&subject=&body=", 0, "to", "\"to\" is not an address of the form local@domain"},
        {"to=a@b@c&subject=&body=", 0, "to", "\"to\" is not an address of the form local@domain"},
        {"to=%3Ca@b%3E&subject=&body=", 0, "to",
         "\"to\" is not an address of the form local@domain"},
        {"to=a@b,c@d&subject=&body=", 0, "to", "\"to\" is not an address of the form local@domain"},
        {"to=a@-b.example&subject=&body=", 0, "to",
         "\"to\" is not an address of the form local@domain"},
        {"to=.a@b&subject=&body=", 0, "to", "\"to\" is not an address of the form local@domain"},
        {"to=a@b..c&subject=&body=", 0, "to", "\"to\" is not an address of the form local@domain"},
        {"to=a%09@b&subject=&body=", 0, "to", "control character 0x09 in to"},
        {long_subject, 0, "subject", "subject longer than 200 octets"},
        {long_body, 0, "body", "body longer than 65536 octets"},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct webmail_form f;
        struct ms_error e;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        bool ok = webmail_form_decode(cases[i].in, len, &f, &e);
        if (ok || strcmp(e.where, cases[i].where) != 0 || strcmp(e.msg, cases[i].msg) != 0) {
            print_error("case %zu: ok=%d where='%s' msg='%s'\n", i, ok, e.where, e.msg);
            bad++;
        }
        assert_null(f.body);
        webmail_form_free(&f);
    }
    assert_int_equal(bad, 0);
}

static void test_escape(void **state)
{
    (void)state;
    char *s = webmail_escape("a<b>&\"'\x01\t\n", 10);
    assert_string_equal(s, "a&lt;b&gt;&amp;&quot;&#39;\xef\xbf\xbd\t\n");
    free(s);
    s = webmail_escape("", 0);
    assert_string_equal(s, "");
    free(s);
}

/* What the browser encodes, the server decodes to the same fields. */
static void test_form_round_trip(void **state)
{
    (void)state;
    size_t len;
    char *enc = webmail_form_encode(NULL, "bob@example.org", "Caf\xc3\xa9 & <tea> 100%",
                                    "Hi Bob,\r\n.\r\nsee you+later\r\n", &len);
    assert_string_equal(enc, "to=bob%40example.org&subject=Caf%C3%A9+%26+%3Ctea%3E+100%25"
                             "&body=Hi+Bob%2C%0D%0A.%0D%0Asee+you%2Blater%0D%0A");
    assert_int_equal(len, strlen(enc));
    struct webmail_form f;
    struct ms_error e;
    assert_true(webmail_form_decode(enc, len, &f, &e));
    assert_string_equal(f.to, "bob@example.org");
    assert_string_equal(f.subject, "Caf\xc3\xa9 & <tea> 100%");
    assert_string_equal(f.body, "Hi Bob,\r\n.\r\nsee you+later\r\n");
    webmail_form_free(&f);
    free(enc);
    /* a subject with CRLF encodes fine but never decodes into a header */
    enc = webmail_form_encode(NULL, "a@b", "x\r\nBcc: eve@evil", "", &len);
    assert_false(webmail_form_decode(enc, len, &f, &e));
    assert_string_equal(e.msg, "line break in subject");
    free(enc);
}

/* The compose page carries the token in a hidden field; the browser reads
 * it back and posts it first; the decoder returns it; a second token field
 * and an over-long one are refused. */
static void test_form_token(void **state)
{
    (void)state;
    size_t len;
    char *page = webmail_render_compose("alice@example.org", "0123abcd", NULL, &len);
    assert_non_null(strstr(page, "<input type=\"hidden\" name=\"token\" value=\"0123abcd\">"));
    char tok[WEBMAIL_TOKEN_MAX + 1];
    assert_true(webmail_page_token(page, len, tok, sizeof tok));
    assert_string_equal(tok, "0123abcd");
    free(page);
    page = webmail_render_compose("alice@example.org", NULL, NULL, &len);
    assert_null(strstr(page, "token"));
    assert_false(webmail_page_token(page, len, tok, sizeof tok));
    free(page);
    char *enc = webmail_form_encode(tok[0] ? tok : "0123abcd", "bob@example.org", "s", "b", &len);
    assert_string_equal(enc, "token=0123abcd&to=bob%40example.org&subject=s&body=b");
    struct webmail_form f;
    struct ms_error e;
    assert_true(webmail_form_decode(enc, len, &f, &e));
    assert_string_equal(f.token, "0123abcd");
    webmail_form_free(&f);
    free(enc);
    static const char twice[] = "token=a&token=b&to=b%40c.d&subject=&body=";
    assert_false(webmail_form_decode(twice, sizeof twice - 1, &f, &e));
    assert_string_equal(e.msg, "field \"token\" given twice");
    char longer[200];
    snprintf(longer, sizeof longer, "token=%065d&to=b%%40c.d&subject=&body=", 0);
    assert_false(webmail_form_decode(longer, strlen(longer), &f, &e));
    assert_string_equal(e.where, "token");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inbox_page),   cmocka_unit_test(test_message_page),
        cmocka_unit_test(test_compose_page), cmocka_unit_test(test_routes),
        cmocka_unit_test(test_form_good),    cmocka_unit_test(test_form_bad),
        cmocka_unit_test(test_escape),       cmocka_unit_test(test_form_round_trip),
        cmocka_unit_test(test_form_token),
    };
    return cmocka_run_group_tests_name("webmail", tests, NULL, NULL);
}
