/* load.h -- what load.c (hosts, links, top level) and load_timeline.c
 * (actions, questions, variants) share. Internal to sim/scenario. */
#ifndef MAILSIM_SCENARIO_LOAD_H
#define MAILSIM_SCENARIO_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "scenario/ld.h"
#include "scenario/scenario.h"

#define ALL_KEYS UINT64_MAX
#define KIND_DEVICES                                                                               \
    ((1u << SCN_HOST_PC) | (1u << SCN_HOST_LAPTOP) | (1u << SCN_HOST_PHONE) |                      \
     (1u << SCN_HOST_BROWSER))
#define KIND_BIT(k) (1u << (k))

/* A name and the index it stands for, sorted for binary search. */
struct scn_idx {
    const char *key;
    size_t idx;
};

struct scn_pair {
    size_t lo, hi, idx;
};

/* Lookup tables built while loading, freed at the end. */
struct scn_ctx {
    struct scn_ld *L;
    struct scn_scenario *s;
    struct scn_idx *hosts_by_name; /* sorted, case-insensitive */
    struct scn_idx *servers_by_domain;
    size_t n_servers;
    struct scn_idx **users_by_name;    /* per host (NULL unless mail server) */
    const struct scn_variant *variant; /* while reading a variant's timeline */
    struct scn_pair *pairs;            /* links by (lower, higher) host index */
    size_t n_pairs;
};

/* Resolve a host-name member; kinds is a bitmask of accepted kinds (0: any),
 * kinds_text names them for the message. */
bool scn_ref_host(struct scn_ctx *C, const cJSON *item, unsigned kinds, const char *kinds_text,
                  size_t *out);
/* Resolve "user@domain" into (server host, user index); *text gets a copy. */
bool scn_ref_user(struct scn_ctx *C, const cJSON *item, char **text, size_t *server, size_t *user);
/* Members present but not allowed for this kind, in file order. */
bool scn_check_allowed(struct scn_ld *L, const cJSON *obj, const char *const *keys, size_t n,
                       uint64_t allowed, const char *what);
/* The link joining hosts a and b, or SCN_NONE. */
size_t scn_ctx_link(const struct scn_ctx *C, size_t a, size_t b);
/* chaos {connect, greeting, rcpt, data, after_dot}. */
bool scn_read_chaos(struct scn_ld *L, const cJSON *item, struct scn_chaos *c);
/* The "smtp" object of a mail server into o (defaults first). */
void scn_smtp_opts_default(struct scn_smtp_opts *o);
bool scn_read_smtp(struct scn_ld *L, const cJSON *item, struct scn_smtp_opts *o);
/* Free the texts of o (not o). */
void scn_smtp_texts_free(struct scn_smtp_texts *t);
/* Copy o onto the smtp fields of m (texts duplicated, old ones freed). */
void scn_smtp_opts_apply(struct scn_mail_server *m, const struct scn_smtp_opts *o);
/* retry {interval, give_up}; has_i / has_g (may be NULL) say which were given. */
bool scn_read_retry(struct scn_ld *L, const cJSON *item, sim_us *interval, sim_us *give_up,
                    bool *has_i, bool *has_g);
/* Error at `at` unless give_up >= interval. */
bool scn_check_giveup(struct scn_ld *L, const cJSON *at, sim_us interval, sim_us give_up);

/* load_timeline.c */
bool scn_read_timeline(struct scn_ctx *C, const cJSON *item, struct scn_action **out,
                       size_t *n_out);
bool scn_read_questions(struct scn_ctx *C, const cJSON *item);
bool scn_read_variants(struct scn_ctx *C, const cJSON *item);
/* Apply variant vi in place: overrides onto hosts, timeline merged, the
 * variants list released, .variant set. */
void scn_apply_in_place(struct scn_scenario *s, size_t vi);

#endif
