/* The body of a JSON session (jsess_t), shared by session.c (commands, sending) and resume.c
 * (tokens, detaching, the resume command) only. */
#ifndef PARLEY_PROTO_JSON_SESSION_INT_H
#define PARLEY_PROTO_JSON_SESSION_INT_H

#include "group.h"
#include "proto/json/json_proto.h"
#include "util/bucket.h"
#include "util/list.h"

typedef struct pending_say {
    uint64_t msg_id;
    int64_t ts;
    json_t *id;
} pending_say_t;

struct jresume;

/* What a command handler returns when it has answered by itself. */
enum { DEFERRED = 1 };

struct jsess {
    const json_transport_t *tr; /* NULL while detached (and once closing) */
    void *t;                    /* the transport's connection */
    group_t *group;
    session_t *s;
    list_t node;            /* all sessions, for shutdown */
    pending_say_t *pending; /* says waiting for durability; NULL when none */
    uint32_t npending, cap;
    /* flood control (see flood_allow) */
    bucket_t commands, messages;
    bucket_t violations; /* empties as rate-limited commands come faster than one a second */
    int64_t account;     /* the account said hello with a token; 0: a guest */
    uint64_t token_tag; /* which of the account's tokens (auth_token_tag), to close on revocation */
    uint64_t seq;       /* the sequence number of the last message sent (the welcome is 1) */
    struct jresume *resume; /* NULL: not resumable (no hello yet, or resume_window = 0) */
    uint8_t slot;           /* what is sent is encoded for this slot (the last transport's) */
    bool ending;            /* the server ends it (slow reader, …): no detaching */
};

/* Sends one message encoded for js->slot (the caller keeps its reference): numbers it, keeps it
 * for replay if the session is resumable, and queues it on the transport if attached. */
void jsess__send(jsess_t *js, rbuf_t *b);
/* Sends obj (takes the reference) as one message. */
void jsess__send_obj(jsess_t *js, json_t *obj);
/* Sets the core session's address (for guest bans) from the transport's peer. */
void jsess__set_address(jsess_t *js);
/* Closes the transport, if any, with code and reason and ends the session (frees js). */
void jsess__end(jsess_t *js, uint16_t code, const char *reason);

/* ---- resume.c ---- */
/* Makes js resumable (after its hello): a new token, registered in js's group. Adds "resume"
 * (the token) and "resume_window" to the hello's result. No-op when resume_window is 0. */
void jresume__start(jsess_t *js, json_t *result);
/* Keeps b (message number js->seq) for replay; called by jsess__send. */
void jresume__sent(jsess_t *js, rbuf_t *b);
/* The transport went away: the session waits for a resume for resume_window seconds. */
void jresume__detach(jsess_t *js);
/* Unregisters (the token answers expired from now on) and frees js->resume. */
void jresume__free(jsess_t *js);
/* The resume command (needs no hello). */
int jresume__cmd(jsess_t *js, json_t *req, json_t **result);

#endif
