/* test_mime.c -- MIME build -> parse gives the same tree; malformed input
 * (no closing boundary, quoted boundaries, no boundary, deep nesting, too
 * many parts); IMAP section paths; enclosed messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/mime.h"

#define S(lit) lit, sizeof(lit) - 1

static bool str_is(const struct mime_str *s, const char *lit)
{
    return s->p && s->len == strlen(lit) && memcmp(s->p, lit, s->len) == 0;
}

/* Every offset lies inside the message and the tree links are consistent. */
static void check_tree(const struct mime_tree *t)
{
    assert_true(t->n_parts >= 1 && t->n_parts <= MIME_MAX_PARTS);
    for (size_t i = 0; i < t->n_parts; i++) {
        const struct mime_part *p = &t->parts[i];
        assert_true(p->start <= t->len);
        assert_int_equal(p->body_off, p->start + p->hdr_len);
        assert_true(p->body_off + p->body_len <= t->len);
        assert_true(p->depth <= MIME_MAX_DEPTH + 1);
        int n = 0;
        for (int c = p->first_child; c >= 0; c = t->parts[c].next_sibling) {
            assert_int_equal(t->parts[c].parent, (int)i);
            assert_true(c > (int)i);
            n++;
        }
        assert_int_equal(n, p->n_children);
        assert_true(!p->is_multipart || p->n_children > 0);
    }
}

static unsigned char photo[5000];
static const char html[] = "<p>Hello Bob, <img src=\"cid:photo1@example.org\"></p>\n";
static const char plain[] = "Hello Bob,\nthe photo of the caf\xC3\xA9.\n--\nAlice\n";
static const char plain_crlf[] = "Hello Bob,\r\nthe photo of the caf\xC3\xA9.\r\n--\r\nAlice\r\n";

static void build_sample(struct msg_buf *msg, uint64_t seed)
{
    mime_fake_content(photo, sizeof photo, 7, "image/jpeg");
    static struct mime_node rel[2], alt[2], top[2], root;
    rel[0] = (struct mime_node){.leaf = {.type = "text",
                                         .subtype = "html",
                                         .cte = MIME_CTE_OTHER,
                                         .content = (const unsigned char *)html,
                                         .len = sizeof html - 1}};
    rel[1] = (struct mime_node){.leaf = {.type = "image",
                                         .subtype = "jpeg",
                                         .filename = "photo.jpg",
                                         .content_id = "<photo1@example.org>",
                                         .inline_disp = true,
                                         .cte = MIME_CTE_OTHER,
                                         .content = photo,
                                         .len = sizeof photo}};
    alt[0] = (struct mime_node){.leaf = {.type = "text",
                                         .subtype = "plain",
                                         .cte = MIME_CTE_OTHER,
                                         .content = (const unsigned char *)plain,
                                         .len = sizeof plain - 1}};
    alt[1] = (struct mime_node){.is_multipart = true,
                                .subtype = "related",
                                .related_type = "text/html",
                                .children = rel,
                                .n_children = 2};
    top[0] = (struct mime_node){.is_multipart = true,
                                .subtype = "alternative",
                                .children = alt,
                                .n_children = 2};
    top[1] = (struct mime_node){.leaf = {.type = "application",
                                         .subtype = "pdf",
                                         .filename = "Notes d'\xC3\xA9t\xC3\xA9.pdf",
                                         .description = "Lecture notes",
                                         .cte = MIME_CTE_OTHER,
                                         .content = photo,
                                         .len = 1000}};
    root = (struct mime_node){.is_multipart = true,
                              .subtype = "mixed",
                              .children = top,
                              .n_children = 2};
    struct msg_buf f = {0}, b = {0};
    struct ms_error err = {0};
    assert_int_equal(mime_build(&f, &b, &root, seed, &err), MIME_OK);
    msg_buf_adds(msg, "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: photo\r\n");
    msg_buf_add(msg, f.data, f.len);
    msg_buf_add(msg, "\r\n", 2);
    msg_buf_add(msg, b.data, b.len);
    msg_buf_free(&f);
    msg_buf_free(&b);
}

static void expect_body(const struct mime_tree *t, int idx, const void *want, size_t n)
{
    assert_true(idx >= 0);
    size_t dl;
    unsigned char *d = mime_decode_body(t, &t->parts[idx], &dl);
    assert_non_null(d);
    assert_int_equal(dl, n);
    assert_memory_equal(d, want, n);
    free(d);
}

static void test_build_parse_same_tree(void **state)
{
    (void)state;
    struct msg_buf m = {0};
    build_sample(&m, 1);
    for (size_t i = 0; i < m.len; i++) assert_true((unsigned char)m.data[i] < 128); /* 7-bit */
    struct mime_scan sc;
    mime_scan((const unsigned char *)m.data, m.len, &sc);
    assert_true(sc.is_7bit);
    assert_true(sc.longest_line <= 78);

    struct mime_tree t;
    mime_parse(&t, m.data, m.len);
    check_tree(&t);
    assert_int_equal(t.error, MIME_OK);
    assert_int_equal(t.n_parts, 7);
    const struct {
        const char *sec, *type, *sub;
        enum mime_cte cte;
    } want[] = {
        {"1", "multipart", "alternative", MIME_CTE_7BIT},
        {"1.1", "text", "plain", MIME_CTE_QP},
        {"1.2", "multipart", "related", MIME_CTE_7BIT},
        {"1.2.1", "text", "html", MIME_CTE_7BIT},
        {"1.2.2", "image", "jpeg", MIME_CTE_BASE64},
        {"2", "application", "pdf", MIME_CTE_BASE64},
    };
    assert_true(str_is(&t.parts[0].type, "multipart"));
    assert_true(str_is(&t.parts[0].subtype, "mixed"));
    assert_true(t.parts[0].is_multipart);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int k = mime_find_section(&t, want[i].sec, strlen(want[i].sec));
        assert_int_equal(k, (int)i + 1); /* depth-first order */
        assert_true(str_is(&t.parts[k].type, want[i].type));
        assert_true(str_is(&t.parts[k].subtype, want[i].sub));
        assert_int_equal(t.parts[k].cte, want[i].cte);
    }
    int txt = mime_find_section(&t, S("1.1"));
    expect_body(&t, txt, plain_crlf, sizeof plain_crlf - 1);
    assert_true(str_is(mime_param_get(&t.parts[txt], "charset"), "utf-8"));
    expect_body(&t, mime_find_section(&t, S("1.2.1")),
                "<p>Hello Bob, <img src=\"cid:photo1@example.org\"></p>\r\n", sizeof html);
    int img = mime_find_section(&t, S("1.2.2"));
    expect_body(&t, img, photo, sizeof photo);
    assert_true(str_is(&t.parts[img].id, "<photo1@example.org>"));
    assert_true(str_is(&t.parts[img].disposition, "inline"));
    assert_true(str_is(mime_disp_param_get(&t.parts[img], "filename"), "photo.jpg"));
    int rel = mime_find_section(&t, S("1.2"));
    assert_true(str_is(mime_param_get(&t.parts[rel], "type"), "text/html"));
    int pdf = mime_find_section(&t, S("2"));
    expect_body(&t, pdf, photo, 1000);
    assert_true(str_is(&t.parts[pdf].disposition, "attachment"));
    assert_true(str_is(mime_disp_param_get(&t.parts[pdf], "filename*"),
                       "utf-8''Notes%20d%27%C3%A9t%C3%A9.pdf"));
    assert_true(str_is(&t.parts[pdf].description, "Lecture notes"));
    /* The MIME header of part 2 is exactly its own fields plus the empty line. */
    const char *h = m.data + t.parts[pdf].start;
    assert_memory_equal(h, "Content-Type: application/pdf;", 30);
    assert_memory_equal(h + t.parts[pdf].hdr_len - 4, "\r\n\r\n", 4);
    /* Lines: 1000 bytes of base64 = 1336 chars in 18 lines. */
    assert_int_equal(t.parts[pdf].body_lines, 18);
    /* Paths that name nothing. */
    const char *bad[] = {"0",    "3",  "1.3", "2.1",  "1.1.1", "",
                         ".",    "1.", ".1",  "1..2", "01x",   "99999999999999999999",
                         "1.2.3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(mime_find_section(&t, bad[i], strlen(bad[i])), -1);
    assert_int_equal(mime_next(&t, 0), 1);
    assert_int_equal(mime_next(&t, 6), -1);
    mime_tree_free(&t);
    mime_tree_free(&t);

    /* Same seed, same bytes; another seed, other boundaries. */
    struct msg_buf m2 = {0}, m3 = {0};
    build_sample(&m2, 1);
    build_sample(&m3, 2);
    assert_int_equal(m.len, m2.len);
    assert_memory_equal(m.data, m2.data, m.len);
    assert_true(m.len != m3.len || memcmp(m.data, m3.data, m.len) != 0);
    msg_buf_free(&m);
    msg_buf_free(&m2);
    msg_buf_free(&m3);
}

static void test_boundary_never_in_content(void **state)
{
    (void)state;
    const char text[] = "hello\r\n";
    struct mime_node kids[1] = {{.leaf = {.type = "text",
                                          .subtype = "plain",
                                          .cte = MIME_CTE_7BIT,
                                          .content = (const unsigned char *)text,
                                          .len = sizeof text - 1}}};
    struct mime_node root = {.is_multipart = true,
                             .subtype = "mixed",
                             .children = kids,
                             .n_children = 1};
    struct msg_buf f = {0}, b = {0};
    assert_int_equal(mime_build(&f, &b, &root, 5, NULL), MIME_OK);
    const char *bp = strstr(f.data, "boundary=\"") + 10;
    char boundary[80] = "--";
    size_t bl = (size_t)(strchr(bp, '"') - bp);
    memcpy(boundary + 2, bp, bl);
    boundary[2 + bl] = '\0';
    /* Now put that exact delimiter line in the content and build again. */
    char evil[200];
    snprintf(evil, sizeof evil, "line one\r\n%s\r\nline three\r\n%s--\r\n", boundary, boundary);
    kids[0].leaf.content = (const unsigned char *)evil;
    kids[0].leaf.len = strlen(evil);
    struct msg_buf f2 = {0}, b2 = {0};
    assert_int_equal(mime_build(&f2, &b2, &root, 5, NULL), MIME_OK);
    const char *bp2 = strstr(f2.data, "boundary=\"") + 10;
    size_t bl2 = (size_t)(strchr(bp2, '"') - bp2);
    assert_true(bl2 > bl);                      /* lengthened until absent from the content */
    assert_memory_equal(bp2, boundary + 2, bl); /* ...starting from the same one */
    char nb[80];
    memcpy(nb, bp2, bl2);
    nb[bl2] = '\0';
    assert_null(strstr(evil, nb));
    struct msg_buf m = {0};
    msg_buf_add(&m, f2.data, f2.len);
    msg_buf_add(&m, "\r\n", 2);
    msg_buf_add(&m, b2.data, b2.len);
    struct mime_tree t;
    mime_parse(&t, m.data, m.len);
    assert_int_equal(t.error, MIME_OK);
    assert_int_equal(t.n_parts, 2);
    expect_body(&t, 1, evil, strlen(evil));
    mime_tree_free(&t);
    msg_buf_free(&m);
    msg_buf_free(&f);
    msg_buf_free(&b);
    msg_buf_free(&f2);
    msg_buf_free(&b2);
}

static void test_build_errors(void **state)
{
    (void)state;
    struct msg_buf f = {0}, b = {0};
    struct ms_error err = {0};
    struct mime_node n = {.leaf = {.type = "text",
                                   .subtype = "plain",
                                   .cte = MIME_CTE_7BIT,
                                   .content = (const unsigned char *)"caf\xC3\xA9",
                                   .len = 5}};
    assert_int_equal(mime_build(&f, &b, &n, 1, &err), MIME_E_BUILD);
    assert_string_equal(err.msg, "content of text/plain is not 7bit (2 octets >= 128, 0 NUL, "
                                 "longest line 5)");
    n.leaf.type = "text plain";
    assert_int_equal(mime_build(&f, &b, &n, 1, &err), MIME_E_BUILD);
    assert_string_equal(err.msg, "bad media type \"text plain/plain\" (expected two tokens like "
                                 "text/plain)");
    struct mime_node empty = {.is_multipart = true, .subtype = "mixed"};
    assert_int_equal(mime_build(&f, &b, &empty, 1, &err), MIME_E_BUILD);
    assert_string_equal(err.msg, "multipart/mixed with no parts (RFC 2046 §5.1.1 needs one)");
    n.leaf.type = "text";
    n.leaf.cte = MIME_CTE_OTHER;
    n.leaf.filename = "a\r\nb";
    assert_int_equal(mime_build(&f, &b, &n, 1, &err), MIME_E_BUILD);
    assert_string_equal(err.msg, "bad file name \"a\r\nb\" (empty, or holds CR, LF or NUL)");
    assert_int_equal(f.len, 0);
    assert_int_equal(b.len, 0);
    assert_string_equal(mime_strerror(MIME_E_TOO_DEEP), "MIME nesting deeper than the limit");
}

static void test_top_leaf(void **state)
{
    (void)state;
    struct msg_buf f = {0}, b = {0};
    struct mime_node n = {.leaf = {.type = "text",
                                   .subtype = "plain",
                                   .cte = MIME_CTE_OTHER,
                                   .content = (const unsigned char *)"Hi Bob\nbye",
                                   .len = 10}};
    assert_int_equal(mime_build(&f, &b, &n, 1, NULL), MIME_OK);
    assert_string_equal(f.data, "MIME-Version: 1.0\r\n"
                                "Content-Type: text/plain; charset=us-ascii\r\n"
                                "Content-Transfer-Encoding: 7bit\r\n");
    assert_string_equal(b.data, "Hi Bob\r\nbye\r\n");
    msg_buf_free(&f);
    msg_buf_free(&b);
}

static void test_malformed(void **state)
{
    (void)state;
    struct mime_tree t;
    /* Missing closing boundary: the last part runs to the end. */
    const char a[] = "Content-Type: multipart/mixed; boundary=xyz\r\n\r\n"
                     "--xyz\r\n\r\none\r\n--xyz\r\nContent-Type: text/html\r\n\r\ntwo\r\n";
    mime_parse(&t, S(a));
    check_tree(&t);
    assert_int_equal(t.error, MIME_E_NO_CLOSE);
    assert_int_equal(t.n_parts, 3);
    expect_body(&t, 1, "one", 3);
    expect_body(&t, 2, "two\r\n", 5);
    assert_true(str_is(&t.parts[2].subtype, "html"));
    mime_tree_free(&t);
    /* A quoted boundary holding ';', '=' and a space; transport padding;
     * preamble and epilogue ignored; comments in the field. */
    const char b[] =
        "Content-Type: (c) Multipart/Mixed (x); Boundary=\"a;b= c\"; x=\"q\\\"\"\r\n\r\n"
        "preamble\r\n--a;b= c \t\r\nX-A: 1\r\n\r\nfirst\r\n--a;b= c\r\n\r\nsecond"
        "\r\n--a;b= c--  \r\nepilogue\r\n";
    mime_parse(&t, S(b));
    check_tree(&t);
    assert_int_equal(t.error, MIME_OK);
    assert_true(str_is(&t.parts[0].type, "multipart"));
    assert_true(str_is(mime_param_get(&t.parts[0], "boundary"), "a;b= c"));
    assert_true(str_is(mime_param_get(&t.parts[0], "x"), "q\""));
    assert_int_equal(t.n_parts, 3);
    expect_body(&t, 1, "first", 5);
    expect_body(&t, 2, "second", 6);
    assert_true(str_is(&t.parts[2].type, "text")); /* default */
    assert_true(str_is(mime_param_get(&t.parts[2], "charset"), "us-ascii"));
    mime_tree_free(&t);
    /* No boundary parameter: a leaf with the error recorded. */
    const char c[] = "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n--x--\r\n";
    mime_parse(&t, S(c));
    assert_int_equal(t.error, MIME_E_NO_BOUNDARY);
    assert_int_equal(t.n_parts, 1);
    assert_false(t.parts[0].is_multipart);
    assert_int_equal(mime_find_section(&t, S("1")), 0);
    mime_tree_free(&t);
    /* A boundary that never occurs. */
    const char d[] = "Content-Type: multipart/mixed; boundary=q\r\n\r\n--x\r\n\r\nbody\r\n";
    mime_parse(&t, S(d));
    assert_int_equal(t.error, MIME_E_NO_PARTS);
    assert_int_equal(t.n_parts, 1);
    mime_tree_free(&t);
    /* "--q" followed by other text is not a delimiter for boundary q. */
    const char e[] =
        "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\n--qq\r\n--q--\r\n";
    mime_parse(&t, S(e));
    assert_int_equal(t.n_parts, 2);
    expect_body(&t, 1, "--qq", 4);
    mime_tree_free(&t);
    /* Bad Content-Type falls back to text/plain; LF-only lines work. */
    const char f[] = "Content-Type: /\nX\n\nbody\n";
    mime_parse(&t, S(f));
    assert_int_equal(t.error, MIME_E_BAD_CONTENT_TYPE);
    assert_true(str_is(&t.parts[0].subtype, "plain"));
    assert_int_equal(t.parts[0].hdr_len, 19);
    assert_true(t.parts[0].defects & (1u << MIME_E_BAD_HEADER)); /* the "X" line */
    mime_tree_free(&t);
    /* Empty input. */
    mime_parse(&t, "", 0);
    check_tree(&t);
    assert_int_equal(t.n_parts, 1);
    assert_int_equal(mime_find_section(&t, S("1")), 0);
    mime_tree_free(&t);
    /* Broken base64 decodes to NULL, never to garbage. */
    const char g[] = "Content-Transfer-Encoding: BASE64\r\n\r\nQUJD\r\nR!==\r\n";
    mime_parse(&t, S(g));
    assert_int_equal(t.parts[0].cte, MIME_CTE_BASE64);
    size_t dl;
    assert_null(mime_decode_body(&t, &t.parts[0], &dl));
    mime_tree_free(&t);
}

static void test_deep_nesting_capped(void **state)
{
    (void)state;
    struct msg_buf m = {0};
    for (int i = 0; i < 1000; i++)
        msg_buf_addf(&m, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i);
    msg_buf_adds(&m, "\r\nleaf\r\n");
    for (int i = 999; i >= 0; i--) msg_buf_addf(&m, "--b%d--\r\n", i);
    struct mime_tree t;
    mime_parse(&t, m.data, m.len);
    check_tree(&t);
    assert_int_equal(t.error, MIME_E_TOO_DEEP);
    assert_int_equal(t.n_parts, MIME_MAX_DEPTH + 1);
    assert_true(t.parts[MIME_MAX_DEPTH].defects & (1u << MIME_E_TOO_DEEP));
    assert_false(t.parts[MIME_MAX_DEPTH].is_multipart);
    mime_tree_free(&t);
    msg_buf_free(&m);
    /* Enclosed messages nest too and are capped the same way. */
    for (int i = 0; i < 1000; i++) msg_buf_adds(&m, "Content-Type: message/rfc822\r\n\r\n");
    msg_buf_adds(&m, "Subject: inner\r\n\r\nx\r\n");
    mime_parse(&t, m.data, m.len);
    check_tree(&t);
    assert_int_equal(t.error, MIME_E_TOO_DEEP);
    assert_int_equal(t.n_parts, MIME_MAX_DEPTH + 1);
    mime_tree_free(&t);
    msg_buf_free(&m);
}

static void test_many_parts_capped(void **state)
{
    (void)state;
    struct msg_buf m = {0};
    msg_buf_adds(&m, "Content-Type: multipart/mixed; boundary=z\r\n\r\n");
    for (int i = 0; i < 5000; i++) msg_buf_adds(&m, "--z\r\n\r\np\r\n");
    msg_buf_adds(&m, "--z--\r\n");
    struct mime_tree t;
    mime_parse(&t, m.data, m.len);
    check_tree(&t);
    assert_int_equal(t.error, MIME_E_TOO_MANY_PARTS);
    assert_int_equal(t.n_parts, MIME_MAX_PARTS);
    assert_int_equal(t.parts[0].n_children, MIME_MAX_PARTS - 1);
    assert_int_equal(mime_find_section(&t, S("999")), 999);
    assert_int_equal(mime_find_section(&t, S("1000")), -1);
    mime_tree_free(&t);
    msg_buf_free(&m);
}

static void test_enclosed_message(void **state)
{
    (void)state;
    const char msg[] =
        "Subject: outer\r\n"
        "Content-Type: multipart/mixed; boundary=o\r\n\r\n"
        "--o\r\n\r\nsee attached\r\n"
        "--o\r\nContent-Type: message/rfc822\r\n\r\n"
        "Subject: inner\r\n"
        "Content-Type: multipart/alternative; boundary=i\r\n\r\n"
        "--i\r\n\r\nplain\r\n--i\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--i--\r\n"
        "--o\r\nContent-Type: message/rfc822\r\n\r\n"
        "Subject: simple\r\n\r\njust text\r\n"
        "--o--\r\n";
    struct mime_tree t;
    mime_parse(&t, S(msg));
    check_tree(&t);
    assert_int_equal(t.error, MIME_OK);
    int two = mime_find_section(&t, S("2"));
    assert_true(t.parts[two].is_message);
    int inner = t.parts[two].message;
    assert_int_equal(inner, t.parts[two].first_child);
    assert_int_equal(t.parts[inner].start, t.parts[two].body_off);
    assert_memory_equal(msg + t.parts[inner].start, "Subject: inner\r\n", 16);
    assert_true(str_is(&t.parts[inner].subtype, "alternative"));
    int p21 = mime_find_section(&t, S("2.1"));
    int p22 = mime_find_section(&t, S("2.2"));
    expect_body(&t, p21, "plain", 5);
    expect_body(&t, p22, "<b>x</b>", 8);
    assert_int_equal(t.parts[p22].depth, 3);
    int three = mime_find_section(&t, S("3"));
    int p31 = mime_find_section(&t, S("3.1"));
    assert_int_equal(p31, t.parts[three].message); /* non-multipart body: itself */
    expect_body(&t, p31, "just text", 9);
    assert_int_equal(mime_find_section(&t, S("3.2")), -1);
    assert_int_equal(mime_find_section(&t, S("2.3")), -1);
    assert_int_equal(mime_find_section(&t, S("1.1")), -1);
    /* The message/rfc822 body and its line count (RFC 3501 body-fld-lines). */
    assert_int_equal(t.parts[three].body_lines, 3);
    mime_tree_free(&t);
    /* multipart/digest: parts default to message/rfc822. */
    const char dg[] = "Content-Type: multipart/digest; boundary=d\r\n\r\n"
                      "--d\r\n\r\nSubject: one\r\n\r\nbody\r\n--d--\r\n";
    mime_parse(&t, S(dg));
    assert_true(str_is(&t.parts[1].type, "message"));
    assert_true(t.parts[1].is_message);
    assert_int_equal(mime_find_section(&t, S("1.1")), 2);
    mime_tree_free(&t);
    /* An encoded message/rfc822 is not opened. */
    const char enc[] = "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                       "U3ViamVjdDogeA0KDQp5DQo=\r\n";
    mime_parse(&t, S(enc));
    assert_int_equal(t.error, MIME_E_ENCODED_MESSAGE);
    assert_int_equal(t.n_parts, 1);
    mime_tree_free(&t);
}

static void test_build_message(void **state)
{
    (void)state;
    struct msg_mailbox to = {"Bob", "bob@example.net"};
    struct msg_header_spec h = {.from = {"Alice", "alice@example.org"},
                                .to = &to,
                                .n_to = 1,
                                .subject = "Hi",
                                .date_t = 0,
                                .epoch_unix = 1767225600,
                                .message_id = "<1@example.org>"};
    struct mime_node n = {.leaf = {.type = "text",
                                   .subtype = "plain",
                                   .cte = MIME_CTE_OTHER,
                                   .content = (const unsigned char *)"Hello\n",
                                   .len = 6}};
    struct msg_buf out = {0};
    struct ms_error err = {0};
    assert_int_equal(mime_build_message(&out, &h, &n, 1, &err), MIME_OK);
    const char want[] = "From: Alice <alice@example.org>\r\n"
                        "To: Bob <bob@example.net>\r\n"
                        "Subject: Hi\r\n"
                        "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
                        "Message-ID: <1@example.org>\r\n"
                        "MIME-Version: 1.0\r\n"
                        "Content-Type: text/plain; charset=us-ascii\r\n"
                        "Content-Transfer-Encoding: 7bit\r\n"
                        "\r\n"
                        "Hello\r\n";
    assert_int_equal(out.len, sizeof want - 1);
    assert_memory_equal(out.data, want, sizeof want - 1);
    msg_buf_free(&out);
    h.subject = "Hi\r\nBcc: eve@evil.example";
    assert_int_equal(mime_build_message(&out, &h, &n, 1, &err), MIME_E_BUILD);
    assert_string_equal(err.msg, "header \"Subject\": value contains CR at offset 2 (would start "
                                 "a new header line)");
    assert_int_equal(out.len, 0);
}

static void test_param_decoded(void **state)
{
    (void)state;
    const char m[] = "Content-Type: application/pdf; name=\"=?UTF-8?Q?caf=C3=A9?=.pdf\"\r\n"
                     "Content-Disposition: attachment;\r\n"
                     " filename*0*=utf-8''Notes%20d%27;\r\n"
                     " filename*1*=%C3%A9t%C3%A9;\r\n"
                     " filename*2=\".pdf\"; title*=iso-8859-1'fr'%E9t%E9; plain=x%41\r\n\r\n";
    struct mime_tree t;
    mime_parse(&t, S(m));
    struct msg_buf b = {0};
    assert_true(mime_param_decoded(&t.parts[0], true, "filename", &b));
    assert_string_equal(b.data, "Notes d'\xC3\xA9t\xC3\xA9.pdf");
    msg_buf_free(&b);
    assert_true(mime_param_decoded(&t.parts[0], true, "title", &b));
    assert_string_equal(b.data, "\xC3\xA9t\xC3\xA9");
    msg_buf_free(&b);
    assert_true(mime_param_decoded(&t.parts[0], true, "plain", &b));
    assert_string_equal(b.data, "x%41"); /* not extended: no percent-decoding */
    msg_buf_free(&b);
    assert_true(mime_param_decoded(&t.parts[0], false, "name", &b));
    assert_string_equal(b.data, "caf\xC3\xA9.pdf");
    msg_buf_free(&b);
    assert_false(mime_param_decoded(&t.parts[0], false, "filename", &b));
    assert_int_equal(b.len, 0);
    mime_tree_free(&t);
    /* What the builder writes for a non-ASCII file name reads back. */
    struct mime_node n = {.leaf = {.type = "image",
                                   .subtype = "png",
                                   .filename = "\xC3\xA9t\xC3\xA9 \"2026\".png",
                                   .cte = MIME_CTE_BASE64,
                                   .content = (const unsigned char *)"x",
                                   .len = 1}};
    struct msg_buf f = {0}, body = {0};
    assert_int_equal(mime_build(&f, &body, &n, 1, NULL), MIME_OK);
    msg_buf_add(&f, "\r\n", 2);
    mime_parse(&t, f.data, f.len);
    assert_true(mime_param_decoded(&t.parts[0], true, "filename", &b));
    assert_string_equal(b.data, "\xC3\xA9t\xC3\xA9 \"2026\".png");
    msg_buf_free(&b);
    mime_tree_free(&t);
    msg_buf_free(&f);
    msg_buf_free(&body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_parse_same_tree),
        cmocka_unit_test(test_boundary_never_in_content),
        cmocka_unit_test(test_build_errors),
        cmocka_unit_test(test_top_leaf),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_deep_nesting_capped),
        cmocka_unit_test(test_many_parts_capped),
        cmocka_unit_test(test_enclosed_message),
        cmocka_unit_test(test_build_message),
        cmocka_unit_test(test_param_decoded),
    };
    return cmocka_run_group_tests_name("mime", tests, NULL, NULL);
}
