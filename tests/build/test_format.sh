#!/bin/sh
# Every C file of sim/, tests/ and web/ is as .clang-format says
# (scripts/format-check.sh; 'make format' fixes a file that is not). A
# missing clang-format fails with the command that installs it.
exec sh scripts/format-check.sh
