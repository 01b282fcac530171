/* ui_rfc.c -- what a protocol line means, with its RFC section, for the
 * inspector: SMTP (RFC 5321, RFC 3207, RFC 4954), POP3 (RFC 1939), IMAP
 * (RFC 3501, IMAP4rev1), HTTP (RFC 9110/9112). A small table, matched on the verb (or
 * reply code, or IMAP command after the tag), case-insensitively. */
#include <ctype.h>
#include <string.h>

#include "ui/ui.h"
#include "core/ascii.h"

struct ui_rfc_row {
    const char *proto;
    const char *word; /* verb, reply code or prefix */
    const char *meaning;
    const char *rfc;
};

static const struct ui_rfc_row ui_rfc_rows[] = {
    {"SMTP", "EHLO", "Client greets and asks for the server's extensions", "RFC 5321 §4.1.1.1"},
    {"SMTP", "HELO", "Client greets (old style, no extensions)", "RFC 5321 §4.1.1.1"},
    {"SMTP", "MAIL", "Starts a mail transaction: the envelope sender", "RFC 5321 §4.1.1.2"},
    {"SMTP", "RCPT", "Names one envelope recipient", "RFC 5321 §4.1.1.3"},
    {"SMTP", "DATA", "Asks to send the message text, ended by a line with one dot",
     "RFC 5321 §4.1.1.4"},
    {"SMTP", "RSET", "Aborts the current mail transaction", "RFC 5321 §4.1.1.5"},
    {"SMTP", "VRFY", "Asks whether a mailbox exists", "RFC 5321 §4.1.1.6"},
    {"SMTP", "NOOP", "Does nothing; the server answers 250", "RFC 5321 §4.1.1.9"},
    {"SMTP", "QUIT", "Ends the session; the server answers 221 and closes", "RFC 5321 §4.1.1.10"},
    {"SMTP", "STARTTLS", "Asks to switch the connection to TLS", "RFC 3207 §4"},
    {"SMTP", "AUTH", "Authenticates the user (submission)", "RFC 4954 §4"},
    {"SMTP", ".", "End of the message text (the lone dot)", "RFC 5321 §4.1.1.4"},
    {"SMTP", "220", "Service ready: the server's greeting", "RFC 5321 §4.2, §3.1"},
    {"SMTP", "221", "Service closing the connection", "RFC 5321 §4.2.2"},
    {"SMTP", "250", "Requested action okay, completed", "RFC 5321 §4.2.2"},
    {"SMTP", "251", "User not local; will forward", "RFC 5321 §4.2.2"},
    {"SMTP", "354", "Start mail input; end with <CRLF>.<CRLF>", "RFC 5321 §4.2.2"},
    {"SMTP", "421", "Service not available, closing (try again later)", "RFC 5321 §4.2.2"},
    {"SMTP", "450", "Mailbox unavailable, try again later (temporary)", "RFC 5321 §4.2.2"},
    {"SMTP", "451", "Local error in processing, try again later", "RFC 5321 §4.2.2"},
    {"SMTP", "452", "Insufficient storage / too many recipients", "RFC 5321 §4.2.2, §4.5.3.1.10"},
    {"SMTP", "500", "Syntax error, command unrecognized", "RFC 5321 §4.2.2"},
    {"SMTP", "501", "Syntax error in parameters", "RFC 5321 §4.2.2"},
    {"SMTP", "502", "Command not implemented", "RFC 5321 §4.2.2"},
    {"SMTP", "503", "Bad sequence of commands", "RFC 5321 §4.2.2"},
    {"SMTP", "530", "Authentication required", "RFC 4954 §6"},
    {"SMTP", "550", "Mailbox unavailable: permanent failure, the message bounces",
     "RFC 5321 §4.2.2"},
    {"SMTP", "552", "Exceeded storage allocation (message too big)", "RFC 5321 §4.2.2"},
    {"SMTP", "554", "Transaction failed (permanent)", "RFC 5321 §4.2.2"},
    {"SMTP", "From:", "Message header: the author (part of the text, not the envelope)",
     "RFC 5322 §3.6.2"},
    {"SMTP", "To:", "Message header: the primary recipients (not the envelope)", "RFC 5322 §3.6.3"},
    {"SMTP", "Subject:", "Message header: the topic", "RFC 5322 §3.6.5"},
    {"SMTP", "Date:", "Message header: when it was written", "RFC 5322 §3.6.1"},
    {"SMTP", "Message-ID:", "Message header: the message's unique id", "RFC 5322 §3.6.4"},
    {"SMTP", "Received:", "Trace header added by each server on the way", "RFC 5321 §4.4"},
    {"SMTP", "MIME-Version:", "The message uses MIME", "RFC 2045 §4"},
    {"SMTP", "Content-Type:", "MIME type of the body or part", "RFC 2045 §5"},
    {"SMTP", "Content-Transfer-Encoding:", "How the part is encoded (base64, quoted-printable)",
     "RFC 2045 §6"},
    {"POP3", "USER", "Names the mailbox to open", "RFC 1939 §7"},
    {"POP3", "PASS", "Gives the password (in clear)", "RFC 1939 §7"},
    {"POP3", "APOP", "Authenticates with an MD5 digest instead of the password", "RFC 1939 §7"},
    {"POP3", "STAT", "How many messages, how many octets", "RFC 1939 §5"},
    {"POP3", "LIST", "Size of each message", "RFC 1939 §5"},
    {"POP3", "RETR", "Sends a whole message", "RFC 1939 §5"},
    {"POP3", "DELE", "Marks a message deleted (removed at QUIT)", "RFC 1939 §5"},
    {"POP3", "NOOP", "Does nothing", "RFC 1939 §5"},
    {"POP3", "RSET", "Unmarks deleted messages", "RFC 1939 §5"},
    {"POP3", "TOP", "Sends the header and the first lines of a message", "RFC 1939 §7"},
    {"POP3", "UIDL", "Unique id of each message", "RFC 1939 §7"},
    {"POP3", "CAPA", "Lists the server's capabilities", "RFC 2449 §5"},
    {"POP3", "QUIT", "Ends the session; deletions happen now (UPDATE state)", "RFC 1939 §6"},
    {"POP3", "+OK", "Positive reply", "RFC 1939 §3"},
    {"POP3", "-ERR", "Negative reply", "RFC 1939 §3"},
    {"POP3", ".", "End of a multi-line reply", "RFC 1939 §3"},
    {"IMAP", "CAPABILITY", "Lists the server's capabilities", "RFC 3501 §6.1.1"},
    {"IMAP", "LOGIN", "Authenticates with user name and password", "RFC 3501 §6.2.3"},
    {"IMAP", "AUTHENTICATE", "Authenticates with a SASL mechanism", "RFC 3501 §6.2.2"},
    {"IMAP", "SELECT", "Opens a mailbox read-write", "RFC 3501 §6.3.1"},
    {"IMAP", "EXAMINE", "Opens a mailbox read-only", "RFC 3501 §6.3.2"},
    {"IMAP", "CREATE", "Creates a mailbox", "RFC 3501 §6.3.3"},
    {"IMAP", "LIST", "Lists mailboxes", "RFC 3501 §6.3.8"},
    {"IMAP", "STATUS", "Counts in a mailbox without selecting it", "RFC 3501 §6.3.10"},
    {"IMAP", "FETCH", "Retrieves parts of messages (header, body, flags)", "RFC 3501 §6.4.5"},
    {"IMAP", "STORE", "Changes message flags", "RFC 3501 §6.4.6"},
    {"IMAP", "SEARCH", "Finds messages matching criteria", "RFC 3501 §6.4.4"},
    {"IMAP", "MOVE", "Moves messages to another mailbox", "RFC 6851 §3.1"},
    {"IMAP", "COPY", "Copies messages to another mailbox", "RFC 3501 §6.4.7"},
    {"IMAP", "EXPUNGE", "Removes messages flagged \\Deleted", "RFC 3501 §6.4.3"},
    {"IMAP", "UID", "The command that follows uses UIDs", "RFC 3501 §6.4.8"},
    {"IMAP", "IDLE", "Waits for the server to report changes", "RFC 2177 §3"},
    {"IMAP", "LOGOUT", "Ends the session", "RFC 3501 §6.1.3"},
    {"IMAP", "*", "Untagged response: data from the server", "RFC 3501 §7"},
    {"IMAP", "+", "Continuation request: send the rest", "RFC 3501 §7.5"},
    {"IMAP", "OK", "Tagged reply: the command completed", "RFC 3501 §7.1.1"},
    {"IMAP", "NO", "Tagged reply: the command failed", "RFC 3501 §7.1.2"},
    {"IMAP", "BAD", "Tagged reply: protocol error in the command", "RFC 3501 §7.1.3"},
    {"HTTP", "GET", "Asks for a resource", "RFC 9110 §9.3.1"},
    {"HTTP", "POST", "Sends data to a resource (a form)", "RFC 9110 §9.3.3"},
    {"HTTP", "HEAD", "Like GET, header only", "RFC 9110 §9.3.2"},
    {"HTTP", "HTTP/1.1 200", "OK: here is the resource", "RFC 9110 §15.3.1"},
    {"HTTP", "HTTP/1.1 302", "Found: go to Location", "RFC 9110 §15.4.3"},
    {"HTTP", "HTTP/1.1 303", "See Other: fetch Location with GET", "RFC 9110 §15.4.4"},
    {"HTTP", "HTTP/1.1 401", "Unauthorized: log in first", "RFC 9110 §15.5.2"},
    {"HTTP", "HTTP/1.1 404", "Not Found", "RFC 9110 §15.5.5"},
    {"HTTP", "Host:", "Which site on this server", "RFC 9110 §7.2"},
    {"HTTP", "Content-Length:", "Bytes in the body", "RFC 9110 §8.6"},
    {"HTTP", "Cookie:", "Session state the browser sends back", "RFC 6265 §5.4"},
    {"DNS", "MX?", "Asks which servers take mail for the domain", "RFC 1035 §3.3.9, RFC 5321 §5.1"},
};

/* Does line (len) start with word, followed by the end, a space, '-' (SMTP
 * continuation) or anything when word ends in ':'? */
static bool ui_rfc_starts(const char *line, size_t len, const char *word)
{
    size_t wl = strlen(word);
    if (len < wl || ascii_ncasecmp(line, word, wl) != 0) return false;
    if (len == wl || word[wl - 1] == ':') return true;
    char c = line[wl];
    return c == ' ' || c == '-' || c == '\r' || c == '\n' || c == ':';
}

bool ui_rfc_explain(const char *proto, const char *line, size_t len, const char **meaning,
                    const char **rfc)
{
    *meaning = "";
    *rfc = "";
    if (!proto || !line) return false;
    /* IMAP: skip the tag of a tagged command or reply. */
    if (ascii_casecmp(proto, "IMAP") == 0 && len > 0 && line[0] != '*' && line[0] != '+') {
        size_t i = 0;
        while (i < len && line[i] != ' ') i++;
        if (i < len) {
            line += i + 1;
            len -= i + 1;
        }
    }
    if (ascii_casecmp(proto, "HTTP") == 0 && len > 12 && strncmp(line, "HTTP/1.", 7) == 0) {
        for (size_t i = 0; i < MS_ARRAY_LEN(ui_rfc_rows); i++) {
            const struct ui_rfc_row *r = &ui_rfc_rows[i];
            if (strcmp(r->proto, "HTTP") == 0 && strncmp(r->word, "HTTP/", 5) == 0 &&
                memcmp(line + 9, r->word + 9, 3) == 0) {
                *meaning = r->meaning;
                *rfc = r->rfc;
                return true;
            }
        }
        return false;
    }
    for (size_t i = 0; i < MS_ARRAY_LEN(ui_rfc_rows); i++) {
        const struct ui_rfc_row *r = &ui_rfc_rows[i];
        if (ascii_casecmp(r->proto, proto) != 0) continue;
        if (strcmp(r->word, ".") == 0) {
            if (len >= 1 && line[0] == '.' && (len == 1 || line[1] == '\r' || line[1] == '\n')) {
                *meaning = r->meaning;
                *rfc = r->rfc;
                return true;
            }
            continue;
        }
        if (ui_rfc_starts(line, len, r->word)) {
            *meaning = r->meaning;
            *rfc = r->rfc;
            return true;
        }
    }
    /* SMTP reply codes not in the table: by their first digit (RFC 5321 §4.2.1). */
    if (ascii_casecmp(proto, "SMTP") == 0 && len >= 3 && isdigit((unsigned char)line[0]) &&
        isdigit((unsigned char)line[1]) && isdigit((unsigned char)line[2])) {
        static const char *const first[] = {"",
                                            "",
                                            "Positive completion reply",
                                            "Positive intermediate reply",
                                            "Transient negative reply: try again later",
                                            "Permanent negative reply"};
        int d = line[0] - '0';
        if (d >= 2 && d <= 5) {
            *meaning = first[d];
            *rfc = "RFC 5321 §4.2.1";
            return true;
        }
    }
    return false;
}
