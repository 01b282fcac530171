#!/bin/sh
# The layer rules of docs/architecture.md hold: no folder under sim/ includes
# a layer it may not use, and no engine uses sockets or the machine's clock.
exec sh scripts/lint-layers.sh
