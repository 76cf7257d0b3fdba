/* fuzz_ws: WebSocket frames after a successful upgrade on GET /ws: framing (wslay), masking,
 * fragmentation, control frames, UTF-8 checks, max_message, and the JSON session the messages
 * reach. The input is what the client sends after its handshake. */
#include "kit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kit_client_t k;
    /* The fixed handshake must always be accepted. It went unanswered twice in about 10^6
     * executions and never again with the same inputs (docs/FUZZING.md, "Open"): one retry on a
     * fresh connection, and a second failure is a finding. */
    if (kit_ws_open(&k, "/ws", NULL) < 0) {
        kit_settle();
        if (kit_ws_open(&k, "/ws", NULL) < 0)
            __builtin_trap();
    }
    kit_send(&k, data, size);
    kit_run();
    kit_settle();
    return 0;
}
