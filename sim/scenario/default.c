/* default.c -- the lesson built into the binary: `mailsim` with no file.
 *
 * Alice (example.org) writes to Bob (example.net). Her PC submits to her
 * mail server, which asks DNS for example.net's MX and relays across the
 * Internet to Bob's server, which files it in Bob's mailbox; Bob reads it
 * with POP3. The text is a normal scenario file and is loaded by the same
 * loader (a test checks that it loads). */
#include <stdio.h>
#include <string.h>

#include "scenario/scenario.h"

static const char scn_default_text[] =
    "{\n"
    "  \"title\": \"Alice writes to Bob\",\n"
    "  \"description\": \"A message travels from Alice's PC to her mail server, across the Internet to Bob's mail server, and into Bob's mailbox.\",\n"
    "  \"seed\": 1,\n"
    "  \"epoch\": \"2025-03-03T09:00:00+01:00\",\n"
    "  \"hosts\": [\n"
    "    {\"name\": \"alice-pc\", \"kind\": \"pc\", \"ip\": \"192.0.2.10\", \"pos\": {\"x\": 0.08, \"y\": 0.75}, \"owner\": \"alice@example.org\"},\n"
    "    {\"name\": \"mail.example.org\", \"kind\": \"mail_server\", \"ip\": \"192.0.2.25\", \"pos\": {\"x\": 0.25, \"y\": 0.4},\n"
    "     \"domain\": \"example.org\",\n"
    "     \"users\": [{\"name\": \"alice\", \"password\": \"wonderland\", \"display_name\": \"Alice Liddell\"}]},\n"
    "    {\"name\": \"internet\", \"kind\": \"router\", \"ip\": \"203.0.113.1\", \"pos\": {\"x\": 0.5, \"y\": 0.4}},\n"
    "    {\"name\": \"dns\", \"kind\": \"dns\", \"ip\": \"203.0.113.53\", \"pos\": {\"x\": 0.5, \"y\": 0.1},\n"
    "     \"mx\": [{\"domain\": \"example.org\", \"host\": \"mail.example.org\", \"preference\": 10},\n"
    "            {\"domain\": \"example.net\", \"host\": \"mail.example.net\", \"preference\": 10}]},\n"
    "    {\"name\": \"mail.example.net\", \"kind\": \"mail_server\", \"ip\": \"198.51.100.25\", \"pos\": {\"x\": 0.75, \"y\": 0.4},\n"
    "     \"domain\": \"example.net\",\n"
    "     \"users\": [{\"name\": \"bob\", \"password\": \"builder\", \"display_name\": \"Bob Smith\"}]},\n"
    "    {\"name\": \"bob-pc\", \"kind\": \"pc\", \"ip\": \"198.51.100.10\", \"pos\": {\"x\": 0.92, \"y\": 0.75}, \"owner\": \"bob@example.net\"}\n"
    "  ],\n"
    "  \"links\": [\n"
    "    {\"a\": \"alice-pc\", \"b\": \"internet\", \"latency\": \"5ms\", \"bandwidth\": \"100Mbps\"},\n"
    "    {\"a\": \"mail.example.org\", \"b\": \"internet\", \"latency\": \"10ms\", \"bandwidth\": \"1Gbps\"},\n"
    "    {\"a\": \"dns\", \"b\": \"internet\", \"latency\": \"10ms\", \"bandwidth\": \"1Gbps\"},\n"
    "    {\"a\": \"mail.example.net\", \"b\": \"internet\", \"latency\": \"30ms\", \"bandwidth\": \"1Gbps\"},\n"
    "    {\"a\": \"bob-pc\", \"b\": \"internet\", \"latency\": \"5ms\", \"bandwidth\": \"100Mbps\"}\n"
    "  ],\n"
    "  \"timeline\": [\n"
    "    {\"at\": \"0s\", \"action\": \"narrate\", \"text\": \"Alice writes to Bob. Her user agent hands the message to her own mail server (SMTP submission, port 587).\"},\n"
    "    {\"at\": \"1s\", \"action\": \"send\", \"from\": \"alice@example.org\", \"device\": \"alice-pc\",\n"
    "     \"to\": [\"bob@example.net\"], \"subject\": \"Lunch on Friday?\",\n"
    "     \"body\": \"Hi Bob,\\n\\nshall we have lunch on Friday at noon?\\n\\nAlice\\n\"},\n"
    "    {\"at\": \"2s\", \"action\": \"narrate\", \"text\": \"mail.example.org asks DNS for the MX of example.net, then opens a TCP connection to port 25 of mail.example.net and relays the message with SMTP.\"},\n"
    "    {\"at\": \"1m\", \"action\": \"narrate\", \"text\": \"Bob's mail server has put the message in Bob's mailbox. Bob's PC now fetches it with POP3 (port 110).\"},\n"
    "    {\"at\": \"1m\", \"action\": \"check_mail\", \"user\": \"bob@example.net\", \"device\": \"bob-pc\", \"protocol\": \"pop3\", \"mode\": \"delete\"}\n"
    "  ]\n"
    "}\n";

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
