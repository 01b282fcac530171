/* export.h -- the trace written for other tools: pcap for Wireshark and
 * tshark, a Mermaid sequence diagram for slides, and JSON lines for scripts.
 *
 * Each export reads only the trace. pcap: one Ethernet/IPv4/TCP (or UDP)
 * frame per segment as its sender put it on the wire (first transmissions and
 * retransmissions; router hops are not repeated), with correct IPv4 and
 * TCP/UDP checksums (RFC 791 §3.1, RFC 9293 §3.1, RFC 768) and the simulated
 * time plus an epoch as the timestamp. Mermaid: one arrow per protocol line
 * sent, notes for narration and message fates. JSON lines: one object per
 * record, documented in docs/exports.md. All three are deterministic. */
#ifndef MAILSIM_TRACE_EXPORT_H
#define MAILSIM_TRACE_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "trace/trace.h"

/* An epoch for traces without a scenario (tests): Monday 5 January 2026,
 * 09:00:00 UTC. mailsim's exports use the scenario's start instead, the
 * clock of the messages' Date: and Received: fields. */
#define EXPORT_EPOCH_UNIX INT64_C(1767603600)

/* Write a classic pcap file (microsecond timestamps, LINKTYPE_ETHERNET) of
 * every segment and datagram sent. epoch_unix is the wall-clock second of
 * simulated time 0. Returns the number of frames written, or -1 on a write
 * error (errno set by stdio). */
long pcap_write(const struct trace *tr, FILE *f, int64_t epoch_unix);

/* Write a Markdown file holding one Mermaid sequenceDiagram of the protocol
 * lines (```mermaid fence included). Returns the number of arrows, or -1 on a
 * write error. */
long mmd_write(const struct trace *tr, FILE *f, const char *title);

/* Write one JSON object per record, one per line (UTF-8, LF-terminated).
 * Returns the number of records written, or -1 on a write error. */
long jsonl_write(const struct trace *tr, FILE *f);

/* Write s[0..len) as a JSON string literal with quotes: control characters,
 * '"' and '\\' escaped; valid UTF-8 kept; each byte that is not part of
 * valid UTF-8 written as the lone surrogate \udcXX (PEP 383
 * "surrogateescape"), so it never reads as the character U+00XX. Returns 0,
 * or -1 on a write error. */
int jsonl_write_string(FILE *f, const void *s, size_t len);

#endif
