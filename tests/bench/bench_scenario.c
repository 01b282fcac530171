/* bench_scenario.c -- how fast the scenario loader reads a big file.
 *
 * Generates a scenario of about 7 MiB (10 domains x 100 users, many
 * messages), then loads it from memory several times and prints:
 *   bench scenario_load_mib_per_s <MiB/s> MiB/s
 *   bench scenario_load_ms <ms> ms
 *   bench scenario_save_ms <ms> ms */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scenario/scenario.h"

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    struct scn_gen_opts o = scn_gen_opts_default();
    o.domains = 10;
    o.users = 100;
    o.messages = 4000;
    struct scn_scenario *s = scn_generate(42, &o);
    double t0 = bench_now();
    size_t len;
    char *json = scn_to_json(s, &len);
    double save_ms = (bench_now() - t0) * 1000;
    if (len > SCN_MAX_FILE_BYTES) {
        fprintf(stderr, "bench_scenario: generated %zu bytes, over the cap\n", len);
        return 1;
    }
    const int rounds = 5;
    double best = 1e9;
    for (int i = 0; i < rounds; i++) {
        struct scn_error err;
        t0 = bench_now();
        struct scn_scenario *r = scn_load_buffer(json, len, "bench", NULL, NULL, &err);
        double dt = bench_now() - t0;
        if (!r) {
            fprintf(stderr, "bench_scenario: %s\n", err.text);
            return 1;
        }
        scn_free(r);
        if (dt < best) best = dt;
    }
    printf("bench scenario_file_bytes %zu bytes\n", len);
    printf("bench scenario_load_mib_per_s %.1f MiB/s\n", (double)len / (1024.0 * 1024.0) / best);
    printf("bench scenario_load_ms %.1f ms\n", best * 1000);
    printf("bench scenario_save_ms %.1f ms\n", save_ms);
    free(json);
    scn_free(s);
    return 0;
}
