/* ua_eml.h -- a real message file sent as it is.
 *
 * A scenario "send" whose only attachment has kind "eml" submits that file's
 * bytes instead of a composed message. The file must be an RFC 5322 message
 * (§2.1: a header block of fields, then optionally an empty line and the
 * body) that SMTP can carry unchanged: no NUL octets and no line longer
 * than 998 octets (RFC 5321 §4.5.3.1.6, RFC 5322 §2.1.1). Bare LF line ends
 * become CRLF (§2.3); nothing else is changed: the headers, Message-ID and
 * MIME structure travel exactly as written. Only a file without a
 * Message-ID gets one on top (ua.c), since the world follows each message
 * by it (RFC 5322 §3.6.4: every message SHOULD have one). 8-bit octets are allowed here:
 * the SMTP client sends BODY=8BITMIME when the server offers it (RFC 6152)
 * and refuses the message otherwise. */
#ifndef MAILSIM_MAIL_UA_EML_H
#define MAILSIM_MAIL_UA_EML_H

#include "core/common.h"
#include "format/msg.h"
#include "scenario/scenario.h"

#include <stdbool.h>
#include <stddef.h>

/* The eml attachment of m when m is sent from a message file, else NULL. */
const struct scn_attachment *ua_eml_of(const struct scn_message *m);

/* Append the file data[0..len) to out as the message to submit (CRLF line
 * ends, ending in CRLF). Returns false with err (and out unchanged in
 * meaning; the caller frees it) when the file is not a message SMTP can
 * send as it is: "the file was not read", "the file is empty", "line N has
 * a NUL byte", "line N has a bare CR", "line N is M octets, over SMTP's
 * limit of 998", "it has no header block: line 1 is not a header field". */
bool ua_eml_prepare(const unsigned char *data, size_t len, struct msg_buf *out,
                    struct ms_error *err);

/* Make s's first "send" action send the message file data[0..len) (copied)
 * instead of its own subject, body and attachments; name is the file's
 * name (its last path element is kept). The envelope stays the action's
 * from and recipients. Returns false with err when s has no send action
 * or the file cannot be sent (ua_eml_prepare). */
bool ua_eml_import(struct scn_scenario *s, const char *name, const unsigned char *data, size_t len,
                   struct ms_error *err);

/* ua_eml_import with the file at path (read whole, at most
 * SCN_MAX_MESSAGE_BYTES). Errors as ua_eml_import, or "cannot read it:
 * <strerror>", "it is larger than the limit of N bytes"; err->msg never
 * names the path (the caller does). */
bool ua_eml_import_file(struct scn_scenario *s, const char *path, struct ms_error *err);

#endif
