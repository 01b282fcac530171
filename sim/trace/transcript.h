/* transcript.h -- the textbook dialogue of a trace, read from the trace alone:
 *
 *   --- connection 3: mail.example.org -> mail.example.net:25 (SMTP) ---
 *   00:00:01.031  S: 220 mail.example.net ESMTP
 *   00:00:01.042  C: EHLO mail.example.org
 *                 [POP3 server: TRANSACTION -> UPDATE]
 *
 * Each line once, as its writer sent it; a POP3 or IMAP server's change of
 * state after the line that caused it, as the engine reported it; message
 * fates, mailbox counts, DNS and narration between them. */
#ifndef MAILSIM_TRACE_TRANSCRIPT_H
#define MAILSIM_TRACE_TRANSCRIPT_H

#include <stdio.h>

#include "trace/trace.h"

/* Write the transcript of tr to f. Returns 0, or -1 on a write error. */
int trace_transcript(const struct trace *tr, FILE *f);

#endif
