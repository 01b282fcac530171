/* main.c -- mailsim's command line. */
#include <stdio.h>
#include <string.h>

#include "core/evq.h"
#include "mail/world.h" /* mail system CLI: --headless, --transcript (issue 4) */
#include "ui/ui.h"      /* the window, PNG frames, no-display transcript (issue 6) */

/* The window's simulator (issue 6): scenario s run to the end, into a new
 * trace. The window calls it again, with a fault added, when a host or link
 * is clicked. */
static struct trace *main_simulate(void *ctx, const struct scn_scenario *s, struct ms_error *err)
{
    (void)ctx;
    struct trace *tr = trace_new();
    struct world *w = world_new(s, tr, NULL, err);
    if (!w) {
        trace_free(tr);
        return NULL;
    }
    world_run(w, SIM_US_MAX);
    world_free(w);
    return tr;
}

int main(int argc, char **argv)
{
    int mail_rc = world_cli(argc, argv); /* issue 4: -1 when not its options */
    if (mail_rc >= 0) return mail_rc;
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("mailsim %s\n", MAILSIM_VERSION);
        return 0;
    }
    struct ui_sim sim = {NULL, main_simulate, world_transcript};
    return ui_cli_run(argc, argv, &sim);
}
