/* error.c -- filling a struct ms_error (see common.h). */
#include "core/common.h"

#include <stdio.h>
#include <string.h>

bool ms_error_vset(struct ms_error *err, int code, const char *where, const char *fmt, va_list ap)
{
    if (!err) return false;
    memset(err, 0, sizeof *err);
    err->code = code;
    snprintf(err->where, sizeof err->where, "%s", where ? where : "");
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return false;
}

bool ms_error_set(struct ms_error *err, int code, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ms_error_vset(err, code, where, fmt, ap);
    va_end(ap);
    return false;
}
