/* main.c -- mailsim's command line. */
#include <stdio.h>
#include <string.h>

#include "mail/world.h" /* mail system CLI: --headless, --transcript (issue 4) */

int main(int argc, char **argv)
{
    int mail_rc = world_cli(argc, argv); /* issue 4: -1 when not its options */
    if (mail_rc >= 0) return mail_rc;
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("mailsim %s\n", MAILSIM_VERSION);
        return 0;
    }
    fprintf(stderr, "mailsim: under construction\n");
    return 2;
}
