/* generate.c -- random but valid scenarios from a seed, for the random
 * fault runs that check the simulation invariants (bad-inputs d.3).
 *
 * The generator writes scenario JSON with cJSON and loads it with the
 * normal loader, so every generated model has passed the same checks as a
 * file, and scn_to_json of it is a replayable file. Bodies hold lines that
 * start with '.', lines that are only ".", lines longer than 998 octets and
 * 8-bit (UTF-8) text, so dot-stuffing, line limits and transfer encodings
 * are exercised; faults take servers and
 * links down and (mostly) back up, and links may lose segments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/dur.h"
#include "core/rng.h"
#include "scenario/ld.h"
#include "scenario/scenario.h"

struct scn_gen_act {
    sim_us at;
    size_t order;
    cJSON *obj;
};

struct scn_gen {
    struct rng r;
    struct scn_gen_act *acts;
    size_t n, cap;
};

static cJSON *scn_gen_act(struct scn_gen *g, sim_us at, const char *kind)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 32;
        g->acts = ms_xrealloc(g->acts, g->cap * sizeof *g->acts);
    }
    cJSON *o = cJSON_CreateObject();
    char d[32];
    cJSON_AddStringToObject(o, "at", dur_format(at, d, sizeof d));
    cJSON_AddStringToObject(o, "action", kind);
    g->acts[g->n] = (struct scn_gen_act){at, g->n, o};
    g->n++;
    return o;
}

static int scn_gen_act_cmp(const void *a, const void *b)
{
    const struct scn_gen_act *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static const char *const scn_gen_words[] = {
    "mail",   "queue", "retry",   "server", "lecture", "photo",  "lunch",
    "report", "draft", "meeting", "Friday", "budget",  "hello",  "notes",
    "SMTP",   "relay", "bounce",  "again",  "today",   "please",
};

static void scn_gen_words_into(struct scn_gen *g, char *buf, size_t cap, size_t words)
{
    size_t o = 0;
    for (size_t i = 0; i < words; i++) {
        const char *w = scn_gen_words[rng_below(&g->r, MS_ARRAY_LEN(scn_gen_words))];
        int n = snprintf(buf + o, cap - o, "%s%s", i ? " " : "", w);
        if (n < 0 || (size_t)n >= cap - o) break;
        o += (size_t)n;
    }
}

/* A body with ordinary lines, dot lines and sometimes a very long line. */
static char *scn_gen_body(struct scn_gen *g)
{
    size_t cap = 8192, o = 0;
    char *b = ms_xmalloc(cap);
    size_t lines = 1 + (size_t)rng_below(&g->r, 8);
    b[0] = '\0';
    for (size_t i = 0; i < lines; i++) {
        char line[1600];
        switch (rng_below(&g->r, 10)) {
        case 0:
            strcpy(line, ".");
            break;
        case 1:
            strcpy(line, "..");
            break;
        case 2:
            strcpy(line, ".hidden line that starts with a dot");
            break;
        case 3: {
            size_t n = 900 + (size_t)rng_below(&g->r, 600);
            for (size_t k = 0; k < n; k++) line[k] = (char)('a' + (k % 26));
            line[n] = '\0';
            break;
        }
        case 4:
            line[0] = '\0';
            break;
        case 5:
            strcpy(line, "Gr\xc3\xbc\xc3\x9f"
                         "e aus K\xc3\xb6ln \xe2\x80\x94 caf\xc3\xa9 na\xc3\xafve");
            break; /* 8-bit text */
        default:
            scn_gen_words_into(g, line, sizeof line, 3 + (size_t)rng_below(&g->r, 10));
            break;
        }
        size_t l = strlen(line);
        if (o + l + 2 > cap) break;
        memcpy(b + o, line, l);
        o += l;
        b[o++] = '\n';
        b[o] = '\0';
    }
    return b;
}

struct scn_gen_opts scn_gen_opts_default(void)
{
    struct scn_gen_opts o = {0, 0, 0, true, false};
    return o;
}

struct scn_scenario *scn_generate(uint64_t seed, const struct scn_gen_opts *opts)
{
    struct scn_gen_opts o = opts ? *opts : scn_gen_opts_default();
    struct scn_gen g;
    memset(&g, 0, sizeof g);
    g.r = rng_stream(seed, "scenario-generator");
    unsigned ndom = o.domains ? o.domains : 2 + (unsigned)rng_below(&g.r, 3);
    unsigned nusr = o.users ? o.users : 1 + (unsigned)rng_below(&g.r, 4);
    unsigned nmsg = o.messages ? o.messages : 1 + (unsigned)rng_below(&g.r, 12);
    if (ndom > 200) ndom = 200;
    if (nusr > 1000) nusr = 1000;
    if (nmsg > 100000) nmsg = 100000;
    char name[128], text[256];

    cJSON *root = cJSON_CreateObject();
    snprintf(text, sizeof text, "Random scenario %llu", (unsigned long long)seed);
    cJSON_AddStringToObject(root, "title", text);
    cJSON_AddStringToObject(root, "description",
                            "Generated: servers and links fail and recover while mail flows.");
    cJSON_AddNumberToObject(root, "seed", (double)(seed & ((UINT64_C(1) << 53) - 1)));
    cJSON *hosts = cJSON_AddArrayToObject(root, "hosts");
    cJSON *links = cJSON_AddArrayToObject(root, "links");

    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "name", "internet");
    cJSON_AddStringToObject(h, "kind", "router");
    cJSON_AddItemToArray(hosts, h);
    h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "name", "dns");
    cJSON_AddStringToObject(h, "kind", "dns");
    bool declare_mx = rng_below(&g.r, 2) == 0;
    cJSON *mx = declare_mx ? cJSON_AddArrayToObject(h, "mx") : NULL;
    cJSON_AddItemToArray(hosts, h);

    static const char *const intervals[] = {"10m", "30m", "1h"};
    static const char *const giveups[] = {"4h", "1d", "5d"};
    for (unsigned d = 0; d < ndom; d++) {
        h = cJSON_CreateObject();
        snprintf(name, sizeof name, "mail.d%u.example", d);
        cJSON_AddStringToObject(h, "name", name);
        cJSON_AddStringToObject(h, "kind", "mail_server");
        snprintf(text, sizeof text, "d%u.example", d);
        cJSON_AddStringToObject(h, "domain", text);
        if (mx) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "domain", text);
            cJSON_AddStringToObject(r, "host", name);
            cJSON_AddItemToArray(mx, r);
        }
        cJSON *users = cJSON_AddArrayToObject(h, "users");
        for (unsigned u = 0; u < nusr; u++) {
            cJSON *us = cJSON_CreateObject();
            snprintf(text, sizeof text, "u%u", u);
            cJSON_AddStringToObject(us, "name", text);
            snprintf(text, sizeof text, "pw%u-%u", d, u);
            cJSON_AddStringToObject(us, "password", text);
            snprintf(text, sizeof text, "User %u of d%u", u, d);
            cJSON_AddStringToObject(us, "display_name", text);
            cJSON_AddItemToArray(users, us);
        }
        cJSON *retry = cJSON_AddObjectToObject(h, "retry");
        unsigned iv = (unsigned)rng_below(&g.r, 3);
        cJSON_AddStringToObject(retry, "interval", intervals[iv]);
        cJSON_AddStringToObject(retry, "give_up", giveups[iv + (unsigned)rng_below(&g.r, 3 - iv)]);
        cJSON_AddItemToArray(hosts, h);
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "a", name);
        cJSON_AddStringToObject(l, "b", "internet");
        snprintf(text, sizeof text, "%ums", 1 + (unsigned)rng_below(&g.r, 50));
        cJSON_AddStringToObject(l, "latency", text);
        if (o.faults && rng_below(&g.r, 4) == 0) {
            cJSON_AddNumberToObject(l, "loss", (double)rng_below(&g.r, 50) / 1000.0);
        }
        cJSON_AddItemToArray(links, l);
        for (unsigned u = 0; u < nusr; u++) {
            h = cJSON_CreateObject();
            snprintf(name, sizeof name, "pc-u%u-d%u", u, d);
            cJSON_AddStringToObject(h, "name", name);
            cJSON_AddStringToObject(h, "kind", u % 3 == 2 ? "laptop" : "pc");
            snprintf(text, sizeof text, "u%u@d%u.example", u, d);
            cJSON_AddStringToObject(h, "owner", text);
            cJSON_AddItemToArray(hosts, h);
            l = cJSON_CreateObject();
            cJSON_AddStringToObject(l, "a", name);
            cJSON_AddStringToObject(l, "b", "internet");
            cJSON_AddStringToObject(l, "latency", "2ms");
            cJSON_AddItemToArray(links, l);
        }
    }
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "a", "dns");
    cJSON_AddStringToObject(l, "b", "internet");
    cJSON_AddItemToArray(links, l);

    /* Messages within the first two hours. */
    for (unsigned m = 0; m < nmsg; m++) {
        sim_us at =
            (sim_us)rng_below(&g.r, 2 * (uint64_t)SIM_US_PER_H / SIM_US_PER_S) * SIM_US_PER_S;
        unsigned d = (unsigned)rng_below(&g.r, ndom), u = (unsigned)rng_below(&g.r, nusr);
        cJSON *a = scn_gen_act(&g, at, "send");
        snprintf(text, sizeof text, "u%u@d%u.example", u, d);
        cJSON_AddStringToObject(a, "from", text);
        snprintf(text, sizeof text, "pc-u%u-d%u", u, d);
        cJSON_AddStringToObject(a, "device", text);
        cJSON *to = cJSON_AddArrayToObject(a, "to");
        unsigned nr = 1 + (unsigned)rng_below(&g.r, 3);
        for (unsigned k = 0; k < nr; k++) {
            unsigned rd = (unsigned)rng_below(&g.r, ndom), ru = (unsigned)rng_below(&g.r, nusr);
            unsigned kind = (unsigned)rng_below(&g.r, 20);
            if (kind == 0) {
                snprintf(text, sizeof text, "nobody@d%u.example", rd); /* unknown user: 550 */
            } else if (kind == 1) {
                snprintf(text, sizeof text, "u%u@nowhere.example", ru); /* no MX */
            } else {
                snprintf(text, sizeof text, "u%u@d%u.example", ru, rd);
            }
            cJSON_AddItemToArray(to, cJSON_CreateString(text));
        }
        char subj[200];
        scn_gen_words_into(&g, subj, sizeof subj, 2 + (size_t)rng_below(&g.r, 5));
        if (rng_below(&g.r, 6) == 0)
            strcat(subj, " \xe2\x80\x93 R\xc3\xa9sum\xc3\xa9"); /* non-ASCII subject */
        cJSON_AddStringToObject(a, "subject", subj);
        char *body = scn_gen_body(&g);
        cJSON_AddStringToObject(a, "body", body);
        free(body);
        if (rng_below(&g.r, 8) == 0) {
            cJSON *atts = cJSON_AddArrayToObject(a, "attachments");
            cJSON *att = cJSON_CreateObject();
            cJSON_AddStringToObject(att, "name", "photo.jpg");
            cJSON_AddStringToObject(att, "type", "image/jpeg");
            cJSON_AddNumberToObject(att, "size", (double)(1 + rng_below(&g.r, 200000)));
            cJSON_AddItemToArray(atts, att);
        }
    }
    /* Reading: after the messages, every device fetches its owner's mail
     * (no random draws, so the rest of the scenario is the same as without). */
    for (unsigned d = 0; o.fetch && d < ndom; d++) {
        for (unsigned u = 0; u < nusr; u++) {
            sim_us at = 2 * SIM_US_PER_H + (sim_us)(d * nusr + u + 1) * SIM_US_PER_MIN;
            cJSON *a = scn_gen_act(&g, at, "check_mail");
            snprintf(text, sizeof text, "u%u@d%u.example", u, d);
            cJSON_AddStringToObject(a, "user", text);
            snprintf(text, sizeof text, "pc-u%u-d%u", u, d);
            cJSON_AddStringToObject(a, "device", text);
            cJSON_AddStringToObject(a, "protocol", u % 2 ? "imap" : "pop3");
            if (u % 2 == 0) cJSON_AddStringToObject(a, "mode", "keep");
        }
    }
    /* Faults: servers and links go down and mostly come back. */
    if (o.faults) {
        for (unsigned d = 0; d < ndom; d++) {
            if (rng_below(&g.r, 2)) continue;
            snprintf(name, sizeof name, "mail.d%u.example", d);
            sim_us down = (sim_us)rng_below(&g.r, 3 * 3600) * SIM_US_PER_S;
            cJSON_AddStringToObject(scn_gen_act(&g, down, "host_down"), "host", name);
            if (rng_below(&g.r, 5) == 0) continue; /* gone for good: bounces */
            sim_us up = down + (sim_us)(600 + rng_below(&g.r, 2 * 86400)) * SIM_US_PER_S;
            cJSON_AddStringToObject(scn_gen_act(&g, up, "host_up"), "host", name);
        }
        for (unsigned d = 0; d < ndom; d++) {
            if (rng_below(&g.r, 3)) continue;
            snprintf(name, sizeof name, "mail.d%u.example", d);
            sim_us down = (sim_us)rng_below(&g.r, 3 * 3600) * SIM_US_PER_S;
            cJSON *a = scn_gen_act(&g, down, "link_down");
            cJSON_AddStringToObject(a, "a", name);
            cJSON_AddStringToObject(a, "b", "internet");
            sim_us up = down + (sim_us)(60 + rng_below(&g.r, 4 * 3600)) * SIM_US_PER_S;
            a = scn_gen_act(&g, up, "link_up");
            cJSON_AddStringToObject(a, "a", name);
            cJSON_AddStringToObject(a, "b", "internet");
        }
    }
    qsort(g.acts, g.n, sizeof *g.acts, scn_gen_act_cmp);
    cJSON *tl = cJSON_AddArrayToObject(root, "timeline");
    for (size_t i = 0; i < g.n; i++) cJSON_AddItemToArray(tl, g.acts[i].obj);
    free(g.acts);

    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json) ms_fatal("scn_generate: out of memory printing seed %llu", (unsigned long long)seed);
    char src[64];
    snprintf(src, sizeof src, "<generated %llu>", (unsigned long long)seed);
    struct scn_error err;
    struct scn_scenario *s = scn_load_text(json, strlen(json), src, NULL, NULL, &err);
    if (!s)
        ms_fatal("scn_generate: seed %llu made an invalid scenario: %s", (unsigned long long)seed,
                 err.text);
    cJSON_free(json);
    return s;
}
