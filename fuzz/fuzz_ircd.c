/* fuzz_ircd: the IRC gateway's client layer (src/proto/irc/client.c and every command module
 * behind it, down to the core and the store) over a loopback connection the IRC handler adopts.
 * The first input byte picks the start: even, the client registers first (NICK fzN, USER), so
 * the rest reaches the commands of a registered client; odd, the rest is all the client sends.
 * Lines are split by the server as from any client (CR LF, LF). The core, its rooms and the
 * store carry over between inputs as in a long-running server. */
#include <stdio.h>

#include "kit.h"
#include "proto/irc/irc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned serial;
    kit_client_t k;
    app_t *app = kit_app();
    if (size < 1 || kit_connect(&k, irc_accept, app) < 0)
        return 0;
    if (data[0] % 2 == 0) {
        char reg[96];
        int n = snprintf(reg, sizeof(reg), "NICK fz%u\r\nUSER u 0 * :fuzz\r\n", ++serial);
        kit_send(&k, reg, (size_t)n);
    }
    kit_send(&k, data + 1, size - 1);
    kit_send(&k, "\r\n", 2);
    kit_run();
    kit_settle();
    return 0;
}
