/* demo.h -- the built-in default world until the scenario loader lands:
 * two hosts joined by one link, and one TCP transfer from the first to a
 * sink service on the second (the client sends, closes; the server reads
 * to EOF and closes). Kept apart from the network code so it can go. */
#ifndef MAILSIM_NET_DEMO_H
#define MAILSIM_NET_DEMO_H

#include <stddef.h>
#include <stdint.h>

#include "net/net.h"

struct net_demo;

/* Build the demo world in n (which must be empty): hosts "alice-pc" and
 * "mail.example.org", a 20 ms 10 Mbit/s link, a sink on port 25 and a
 * connection from alice-pc sending `bytes` bytes at time 0. Run the queue
 * afterwards. Free with net_demo_free() before net_free(). */
struct net_demo *net_demo_new(struct net *n, size_t bytes);
/* Bytes the sink received so far, and whether they were the ones sent in
 * order. */
size_t net_demo_received(const struct net_demo *d, int *in_order);
/* NULL is a no-op. */
void net_demo_free(struct net_demo *d);

#endif
