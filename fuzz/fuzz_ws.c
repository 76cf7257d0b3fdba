/* fuzz_ws: WebSocket frames after a successful upgrade on GET /ws: framing (wslay), masking,
 * fragmentation, control frames, UTF-8 checks, max_message, and the JSON session the messages
 * reach. The input is what the client sends after its handshake. */
#include <string.h>

#include "kit.h"

static const char upgrade[] = "GET /ws HTTP/1.1\r\n"
                              "Host: localhost\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kit_client_t k;
    if (kit_connect(&k, NULL, NULL) < 0)
        return 0;
    kit_send(&k, upgrade, sizeof(upgrade) - 1);
    kit_run();
    char answer[512];
    kit_recv(&k, answer, sizeof answer);
    if (strncmp(answer, "HTTP/1.1 101 ", 13) != 0)
        __builtin_trap(); /* the fixed handshake must always be accepted */
    kit_send(&k, data, size);
    kit_run();
    kit_settle();
    return 0;
}
