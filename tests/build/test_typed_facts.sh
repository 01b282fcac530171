#!/bin/sh
# test_typed_facts.sh -- the delivery invariant, the transcript and the window
# read the trace's typed fields, never its display text: no code under sim/
# looks for "[body " or "[dsn " tags, compares a reason to "gave up", finds
# the DATA acknowledgement by a state name or the bytes "250", or decodes a
# DNS datagram in the window, or copies an ehlo-keyword out of an EHLO
# reply line (the engine records it: trace_line.ext), and live mode
# (sim/bridge) never reads a reply's bytes to tell what it said: the
# engines' facts do (verb, code, LINE_F_OK/ERR/BAD). Each pattern is first
# shown to match a line of the kind it forbids, so the check cannot pass by
# matching nothing.
set -u
fail=0
check() { # pattern, a forbidden example, what it means[, where: sim/ by default]
    if ! printf '%s\n' "$2" | grep -qE "$1"; then
        echo "FAIL: pattern for $3 does not match its own example"; fail=1; return
    fi
    hits=$(grep -rnE "$1" "${4:-sim/}" 2>/dev/null)
    if [ -n "$hits" ]; then
        echo "FAIL: $3:"; echo "$hits"; fail=1
    fi
}
check '"\[(body|dsn) ' 'if (memcmp(text + i, "[body ", 6) == 0)' 'a tag parsed out of message text'
check '(strncmp|memcmp)\([^;]*"gave up"' 'f.gave_up = strncmp(tbuf, "gave up", 7) == 0;' 'give-up read from the reason text'
check 'state_(before|after)\), "DATA"' 'strcmp(trace_str(tr, ln->state_before), "DATA") == 0' 'the DATA phase found by a state name'
check 'memcmp\(d, "(250|354)"' 'if (dl >= 3 && memcmp(d, "250", 3) == 0)' 'a reply recognised by its bytes'
check 'kw\[[a-z]+\+\+\] = \(char\)' 'if (k + 1 < kwlen) kw[k++] = (char)d[i];' 'an ehlo-keyword copied out of a line'
check 'static void ui_dns_text' 'static void ui_dns_text(const uint8_t *p, size_t len, char *out, size_t max)' 'DNS wire format decoded in the window'
# Live mode: the protocol engines parse the wire; the bridge reads their facts.
check '(memcmp|strncmp|strstr)\([^;]*"(-ERR|\+OK|BAD|NO|\* BYE|[0-9]{3})' 'return len >= 4 && memcmp(line, "-ERR", 4) == 0;' 'live mode reading a reply by its bytes' sim/bridge/
check "\[[0-9]\] == '[0-9]'" "return len >= 4 && line[0] == '5' && line[1] == '0';" 'live mode reading a reply code by its digits' sim/bridge/
check 'is_(error|http)_(reply|request)\(' 'if (bridge_is_error_reply(s->p, q->bytes, q->len))' 'live mode classifying lines itself' sim/bridge/
[ "$fail" -eq 0 ] && echo "ok: no code parses the trace's display text"
exit $fail
