/* main.c -- mailsim's command line. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("mailsim %s\n", MAILSIM_VERSION);
        return 0;
    }
    fprintf(stderr, "mailsim: under construction\n");
    return 2;
}
