/* main.c -- mailsim's command line. */
#include <stdio.h>
#include <string.h>

#include "ui/ui.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("mailsim %s\n", MAILSIM_VERSION);
        return 0;
    }
    /* The window, offscreen rendering and the no-display transcript (sim/ui). */
    return ui_cli_main(argc, argv, NULL);
}
