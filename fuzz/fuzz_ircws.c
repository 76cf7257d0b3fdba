/* fuzz_ircws: IRC over WebSocket (GET /irc, src/proto/irc/ws.c): after an accepted upgrade, the
 * input is what the client sends, as WebSocket frames (masked, as a client must). The first byte
 * picks the subprotocol offered: 0 mod 3 text.ircv3.net, 1 binary.ircv3.net, 2 none. Reaches the
 * subprotocol's framing of replies (one frame per line, text or binary), binary messages, and the
 * IRC client layer behind it. */
#include "kit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const subs[] = {"text.ircv3.net", "binary.ircv3.net", NULL};
    kit_client_t k;
    if (size < 1)
        return 0;
    const char *sub = subs[data[0] % 3];
    /* as in fuzz_ws: one retry on a fresh connection, and a second failure is a finding */
    if (kit_ws_open(&k, "/irc", sub) < 0) {
        kit_settle();
        if (kit_ws_open(&k, "/irc", sub) < 0)
            __builtin_trap();
    }
    kit_send(&k, data + 1, size - 1);
    kit_run();
    kit_settle();
    return 0;
}
