/* fuzz_json: the JSON command layer of a session (proto/json/session.c and the command modules
 * behind it, down to the core and the store) over the direct socket transport: each input line is
 * one client message. The session is new for each input; the core, its rooms and the store carry
 * over between inputs as in a long-running server. */
#include "kit.h"
#include "proto/json/json_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kit_client_t k;
    app_t *app = kit_app();
    if (kit_connect(&k, json_direct_accept, app) < 0)
        return 0;
    kit_send(&k, data, size);
    kit_send(&k, "\n", 1);
    kit_run();
    kit_settle();
    return 0;
}
