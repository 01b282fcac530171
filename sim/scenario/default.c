/* default.c -- the lesson built into the binary: `mailsim` with no file.
 *
 * It is scenarios/01-alice-to-bob.json itself, byte for byte: the Makefile
 * turns that file into a C string literal at build time
 * (scripts/embed-text.sh writes $(BUILD)/gen/default_lesson.inc, remade
 * whenever the file changes), so the built-in lesson and lesson 01 cannot
 * differ. Alice (example.org) writes to Bob (example.net): her PC submits
 * to her mail server, which asks DNS for example.net's MX and relays to
 * Bob's server; Bob reads the message with POP3. It is loaded by the same
 * loader as any file (tests/scenario/test_scenario.c checks that it loads
 * and equals the file). */
#include <stdio.h>
#include <string.h>

#include "scenario/scenario.h"

static const char scn_default_text[] = {
#include "default_lesson.inc"
};

const char *scn_default_json(void)
{
    return scn_default_text;
}

struct scn_scenario *scn_load_default(void)
{
    struct scn_error err;
    struct scn_scenario *s =
        scn_load_buffer(scn_default_text, strlen(scn_default_text), "<default>", NULL, NULL, &err);
    if (!s) ms_fatal("built-in scenario does not load: %s", err.text);
    return s;
}
