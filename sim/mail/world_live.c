/* world_live.c -- accessors for live mode (see world_live.h). */
#include "mail/world_live.h"

#include "mail/world_int.h"

struct net *world_net(struct world *w)
{
    return w->net;
}

struct evq *world_evq(struct world *w)
{
    return w->q;
}
