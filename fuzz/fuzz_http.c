/* fuzz_http: bytes from a client on a fresh HTTP connection (llhttp, the limits, the router,
 * REST, static files, the WebSocket handshake, the tunnels' endpoints). The first byte picks how
 * the rest is split into reads (1..256 bytes each, or all at once), so requests that arrive in
 * pieces and pipelined requests are covered. */
#include "kit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kit_client_t k;
    if (size == 0 || kit_connect(&k, NULL, NULL) < 0)
        return 0;
    size_t step = data[0] == 0 ? size : data[0];
    data++;
    size--;
    while (size > 0) {
        size_t n = size < step ? size : step;
        kit_send(&k, data, n);
        kit_run();
        kit_recv(&k, NULL, 0);
        data += n;
        size -= n;
    }
    kit_settle();
    return 0;
}
