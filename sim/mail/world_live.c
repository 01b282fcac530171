/* world_live.c -- accessors for live mode (see world_live.h). */
#include "mail/world_live.h"

#include "mail/world_int.h"

#include "core/md5.h"

struct net *world_net(struct world *w)
{
    return w->net;
}

struct evq *world_evq(struct world *w)
{
    return w->q;
}

void world_live_web_secret(struct world *w, const unsigned char *secret, size_t n)
{
    md5_hex(secret, n, w->web_secret);
}
