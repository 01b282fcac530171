/* pcap_tls.h -- the pcap export's view of connections after STARTTLS: the
 * bytes a real capture would show there are TLS records, not the plaintext
 * the simulated engines exchanged (pcap_tls.c says how they are made). */
#ifndef MAILSIM_TRACE_PCAP_TLS_H
#define MAILSIM_TRACE_PCAP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

struct pcap_tls;

/* Read the trace's protocol lines: which directions of which connections
 * went into TLS, from which stream offset, cut into which records. NULL
 * when none did (or, with *oom set, when memory ran out). */
struct pcap_tls *pcap_tls_scan(const struct trace *tr, bool *oom);
/* pcap_tls_free(NULL) is a no-op. */
void pcap_tls_free(struct pcap_tls *p);
/* A SYN from src on conn with sequence number seq: the stream's origin. */
void pcap_tls_syn(struct pcap_tls *p, uint32_t conn, uint32_t src, uint32_t seq);
/* Overwrite the octets of a segment (from src on conn, first octet at seq)
 * that travel inside TLS with the TLS records' octets at the same stream
 * offsets. Returns how many octets were overwritten (0: all in clear). */
size_t pcap_tls_cover(const struct pcap_tls *p, uint32_t conn, uint32_t src, uint32_t seq,
                      uint8_t *payload, size_t len);

#endif
