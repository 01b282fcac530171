/* ui_place.h -- where each host of a scenario stands in the network panel
 * when the file gives no "pos": placed by role and by the way mail travels.
 *
 * The panel reads left to right as a message travels in Kurose and Ross's
 * figures: the sending user agents at the left edge, their mail servers
 * inward, routers, DNS and web servers in the middle, the receiving servers
 * and their user agents on the right. Servers stand in the upper band and
 * user agents in the lower band of their side, so a device's link to the
 * router never runs under a server's label, and a device is never drawn on
 * its server. Positions are fractions of the panel, in [0, 1]. */
#ifndef MAILSIM_UI_PLACE_H
#define MAILSIM_UI_PLACE_H

#include <stddef.h>

#include "scenario/scenario.h"

/* Fill x[h] and y[h] (arrays of s->n_hosts) with the automatic position of
 * every host of s, whether or not it has a "pos" (the caller lets "pos"
 * win). Deterministic: the same scenario gives the same places. Can't
 * fail. */
void ui_place_hosts(const struct scn_scenario *s, double *x, double *y);

/* Which side of the panel host h stands on: -1 left (sending), 0 middle,
 * +1 right (receiving), as ui_place_hosts placed it. side has s->n_hosts
 * entries. Can't fail. */
void ui_place_sides(const struct scn_scenario *s, int *side);

#endif
