#!/bin/sh
# format-files.sh -- the C files that .clang-format governs, one a line:
# sim/, tests/ and web/ (*.c and *.h).
ls sim/*.c sim/*/*.c sim/*/*.h tests/*/*.c tests/*/*.h web/*.c web/*.h 2>/dev/null
