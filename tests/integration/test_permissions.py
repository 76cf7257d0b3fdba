"""The permission matrix through the real server, with real accounts (docs/PROTOCOL.md, "Access
rights"; docs/OPERATIONS.md, "Access control").

`test_matrix` runs every action by every class of person under every right and compares each
outcome with the documented one; a failing cell is reported as `right × class × action: expected
…, got …` (all failing cells of a right at once). The other tests cover how rights are found
(nested folders, overriding lists, tables, user groups, `registered` versus `guests`), rights that
change while people are inside, the site switch `[access] allow_guests`, and bans.

People are made as in life: accounts are registered over REST and validated by the link of their
mail (accounts_kit.py); the sysop is made with `parleyd --create-sysop` before the server starts.
"""

import pytest

from accounts_kit import FAST, Accounts, connect_account, create_sysop, follow_link
from conftest import FLOOD_OFF
from parley_client import Client, close_all, eventually, http_get, http_request

ADMIN_TOKEN = "perm-admin-token"
WORD = "darn"  # on the moderation word list
CONFIG = f"""
[server]
admin_token = {ADMIN_TOKEN}
[moderation]
words = {WORD}
[room lobby]
title = Lobby
[room matrix]
title = Matrix
capacity = 2
"""

RIGHTS = ("none", "read_only", "moderated", "participant", "host")
CLASSES = ("guest", "provisional", "registered", "host", "sysop", "ejected")

# The documented outcome of each action for each right someone has in the room. `rooms`: the right
# the listing shows, or "hidden". `enter` and `hop`: "member" or "lurker" (ok, seated so), else the
# error code. `say` and `pm` send a text holding a listed word, then a clean one: "ok" both are
# delivered, "moderated" the first is refused with `moderated` (nobody gets it) and the second
# delivered, else the error code both get. Every other "ok" is checked by its effect on the others
# (invited, ejected, broadcast, room_updated, table_updated events).
OUTCOMES = """
right        rooms        tables        enter         hop          say          pm           invite       edit_table   edit_room    broadcast    eject
none         hidden       no_such_room  no_such_room  not_in_room  not_in_room  not_in_room  not_in_room  not_in_room  not_in_room  not_in_room  not_in_room
read_only    read_only    ok            lurker        lurker       read_only    read_only    read_only    forbidden    forbidden    forbidden    forbidden
moderated    moderated    ok            member        member       moderated    moderated    ok           forbidden    forbidden    forbidden    forbidden
participant  participant  ok            member        member       ok           ok           ok           forbidden    forbidden    forbidden    forbidden
host         host         ok            member        member       ok           ok           ok           ok           ok           ok           ok
"""  # noqa: E501
_head, *_rows = [line.split() for line in OUTCOMES.strip().splitlines()]
ACTIONS = tuple(_head[1:])
EXPECTED = {row[0]: dict(zip(ACTIONS, row[1:])) for row in _rows}

# The rooms of the matrix: the right their list gives registered accounts and guests, and one more
# whose list gives participant in a room flagged moderated (where everyone below host who may
# write has moderated).
MODERATED_ROOM = "participant in a moderated room"
SETUPS = RIGHTS + (MODERATED_ROOM,)


def effective_right(room_right, cls):
    """The right each class has in a room whose list gives `room_right` to registered accounts and
    guests: the host is named in the list, sysops are hosts everywhere, and a ban means none."""
    if room_right == MODERATED_ROOM:
        room_right = "moderated"
    return {"host": "host", "sysop": "host", "ejected": "none"}.get(cls, room_right)


def expected(room_right, cls, action):
    return EXPECTED[effective_right(room_right, cls)][action]


def test_expected_table_is_complete():
    assert tuple(EXPECTED) == RIGHTS and len(ACTIONS) == 11
    assert all(len(row) == len(ACTIONS) for row in EXPECTED.values())


# ---- helpers ------------------------------------------------------------------------------------

def admin(server, method, path, body=None, token=ADMIN_TOKEN):
    return http_request(server.port, method, "/api/v1/admin" + path, body=body,
                        headers={"Authorization": f"Bearer {token}"})


def put_acl(server, path, entries, token=ADMIN_TOKEN):
    r = admin(server, "PUT", "/acl" + path, {"acl": entries}, token)
    assert r.status == 200, (r.status, r.body)
    return r.json()


def user(name, right):
    return {"who": "user", "name": name, "right": right}


def group(name, right):
    return {"who": "group", "name": name, "right": right}


def registered(right):
    return {"who": "registered", "right": right}


def guests(right):
    return {"who": "guests", "right": right}


def start(parley, smtp, extra="", sysop="boss"):
    """A server with CONFIG (+ extra), mail to `smtp`, fast hashing and a sysop made with
    --create-sysop before the start; returns (server, Accounts)."""
    server = parley(FAST + smtp.config() + CONFIG + extra, start=False)
    if sysop:
        create_sysop(server, sysop)
    server.start()
    return server, Accounts(server, smtp)


def room_rights(rooms_reply):
    return {r["name"]: r["right"] for r in rooms_reply["rooms"]}


def nicks(view):
    return [m["nick"] for m in view["members"]]


async def outcome(client, type_, **args):
    """"ok" or the error code of one command."""
    reply = await client.request(type_, **args)
    return "ok" if reply["type"] == "ok" else reply["code"]


# ---- the matrix ---------------------------------------------------------------------------------

class Matrix:
    """One server whose room `matrix` (capacity 2) has the list
    [hank: host, buddy: participant, filler: participant, registered: R, guests: R].
    buddy sits at table 1 (the partner for pm and invite, the one ejected); filler keeps table 2
    open for hops. evan was ejected with a ban by hank before the list got R."""

    def __init__(self, server, kit, room_right):
        self.server, self.kit, self.right = server, kit, room_right
        self.failures = []
        self.clients = []

    def check(self, cls, action, got, detail=""):
        want = expected(self.right, cls, action)
        if got != want:
            self.failures.append(f"{self.right} × {cls} × {action}: expected {want}, got {got}"
                                 + (f" ({detail})" if detail else ""))

    async def connect(self, cls, name):
        if cls == "guest":
            c = await Client.connect(self.server.port, name)
        else:
            c = await connect_account(self.server.port, self.kit.tokens[name])
        self.clients.append(c)
        return c

    async def setup(self):
        kit = self.kit
        kit.provisional("pia")
        for name in ("rex", "hank", "evan", "buddy", "filler"):
            kit.registered(name)
        kit.sysop("boss")
        everyone = [user("hank", "host"), user("buddy", "participant"),
                    user("filler", "participant")]
        put_acl(self.server, "/room/matrix", everyone + [registered("participant"),
                                                         guests("participant")])
        self.buddy = await self.connect("registered", "buddy")
        self.filler = await self.connect("registered", "filler")
        self.evan = await self.connect("ejected", "evan")
        self.hank = await self.connect("host", "hank")
        # table 1: buddy and evan (full), table 2: filler, then hank (full)
        for c, table in ((self.buddy, 1), (self.evan, 1), (self.filler, 2), (self.hank, 2)):
            assert (await c.enter("matrix"))["table"]["table"] == table
        ok = await self.hank.cmd("eject", room="matrix", nick="evan", ban=3600, reason="matrix")
        assert (await self.evan.event("ejected", room="matrix"))["until"] == ok["until"]
        await self.hank.cmd("leave", room="matrix")
        # Now the right under test, set with the sysop's token.
        right = "participant" if self.right == MODERATED_ROOM else self.right
        put_acl(self.server, "/room/matrix", everyone + [registered(right), guests(right)],
                token=kit.tokens["boss"])
        if self.right == MODERATED_ROOM:
            r = admin(self.server, "PATCH", "/rooms/matrix", {"moderated": True},
                      token=kit.tokens["boss"])
            assert r.status == 200 and r.json()["room"]["moderated"] is True, r
            assert (await self.buddy.event("rights", room="matrix"))["right"] == "moderated"
        self.actors = {
            "guest": await self.connect("guest", "gus"),
            "provisional": await self.connect("provisional", "pia"),
            "registered": await self.connect("registered", "rex"),
            "host": self.hank,
            "sysop": await self.connect("sysop", "boss"),
            "ejected": self.evan,
        }
        assert self.actors["provisional"].hello_reply["class"] == "provisional"
        assert self.actors["sysop"].hello_reply["sysop"] is True

    async def delivered(self, to, type_, actor, texts):
        """The next `type_` events from `actor` that `to` gets are exactly `texts`, in order."""
        key = "nick" if type_ == "message" else "from"
        for text in texts:
            ev = await to.wait_for(lambda m: m.get("type") == type_ and m.get(key) == actor.nick,
                                   what=f"{type_} from {actor.nick}")
            if ev["text"] != text:
                return f"{to.nick} got {ev['text']!r} where {text!r} was due"
        return None

    async def talk(self, cls, actor, action):
        """say or pm: a text with a listed word, then a clean one."""
        args = {"room": "matrix"}
        if action == "pm":
            args["to"] = "buddy"
        word_text, clean_text = f"{WORD} it, {actor.nick} ({action})", f"hello from {actor.nick}"
        word = await outcome(actor, action, text=word_text, **args)
        clean = await outcome(actor, action, text=clean_text, **args)
        event = "message" if action == "say" else "private"
        if word == clean == "ok":
            got, due = "ok", [word_text, clean_text]
        elif word == "moderated" and clean == "ok":
            got, due = "moderated", [clean_text]
        elif word == clean:
            got, due = word, []
        else:
            got, due = f"listed word: {word}, clean: {clean}", []
        problem = await self.delivered(self.buddy, event, actor, due) if due else None
        self.check(cls, action, got if problem is None else f"{got} but {problem}")

    async def run_actor(self, cls):
        actor, buddy = self.actors[cls], self.buddy
        right = effective_right(self.right, cls)

        rooms = room_rights(await actor.cmd("rooms"))
        self.check(cls, "rooms", rooms.get("matrix", "hidden"))
        reply = await actor.request("tables", room="matrix")
        got = "ok" if reply["type"] == "ok" else reply["code"]
        if got == "ok" and [t["number"] for t in reply["tables"]] != [1, 2]:
            got = f"ok but tables {[t['number'] for t in reply['tables']]}"
        self.check(cls, "tables", got)

        reply = await actor.request("enter", room="matrix")
        entered = reply["type"] == "ok"
        if entered:
            view = reply["table"]
            got = "member" if actor.nick in nicks(view) else "lurker"
            if got == "lurker" and view["lurkers"] < 1:
                got = "neither member nor lurker"
            if reply["right"] != right or view["table"] != 1:
                got += f" but right {reply['right']} at table {view['table']}"
        else:
            got = reply["code"]
        self.check(cls, "enter", got)

        reply = await actor.request("hop", room="matrix", table=2)
        if reply["type"] == "ok":
            got = "member" if actor.nick in nicks(reply["table"]) else "lurker"
            if reply["right"] != right:
                got += f" but right {reply['right']}"
            back = await actor.request("hop", room="matrix", table=1)
            if back["type"] != "ok":
                got += f" but hopping back: {back['code']}"
        else:
            got = reply["code"]
        self.check(cls, "hop", got)

        await self.talk(cls, actor, "say")
        await self.talk(cls, actor, "pm")

        got = await outcome(actor, "invite", room="matrix", to="buddy")
        if got == "ok":
            inv = await buddy.event("invited", from_=actor.nick)
            await buddy.cmd("decline", invite=inv["invite"])
            await actor.event("invite_declined", by="buddy")
        self.check(cls, "invite", got)

        topic = f"{actor.nick}'s table"
        got = await outcome(actor, "edit_table", room="matrix", table=1, topic=topic)
        if got == "ok":
            await buddy.event("table_updated", room="matrix", table=1, topic=topic)
        self.check(cls, "edit_table", got)

        topic = f"{actor.nick}'s room"
        got = await outcome(actor, "edit_room", room="matrix", topic=topic)
        if got == "ok":
            await buddy.wait_for(lambda m: m.get("type") == "room_updated" and
                                 m["room"]["topic"] == topic, what="room_updated")
        self.check(cls, "edit_room", got)

        text = f"broadcast by {actor.nick}"
        got = await outcome(actor, "broadcast", room="matrix", text=text)
        if got == "ok":
            await buddy.event("broadcast", room="matrix", table=1, text=text)
            await self.filler.event("broadcast", room="matrix", table=2, text=text)
        self.check(cls, "broadcast", got)

        got = await outcome(actor, "eject", room="matrix", nick="buddy")  # no ban
        if got == "ok":
            ev = await buddy.event("ejected", room="matrix")
            if (ev["by"], ev["until"], ev["table"]) != (actor.nick, None, None):
                got = f"ok but {ev}"
            assert (await buddy.enter("matrix"))["table"]["table"] == 1
        self.check(cls, "eject", got)

        if entered:
            await actor.cmd("leave", room="matrix")

    async def run(self):
        try:
            await self.setup()
            for cls in CLASSES:
                await self.run_actor(cls)
        finally:
            await close_all(self.clients)


@pytest.mark.parametrize("room_right", SETUPS)
async def test_matrix(parley, smtp, room_right):
    """right × class × action ((5 + 1) × 6 × 11 cells); one server per right."""
    server, kit = start(parley, smtp, FLOOD_OFF)
    m = Matrix(server, kit, room_right)
    await m.run()
    assert not m.failures, f"{len(m.failures)} failing cells:\n" + "\n".join(m.failures)


# ---- how a right is found -----------------------------------------------------------------------

async def test_nested_folders_and_overriding_lists(parley, smtp):
    """A folder's list applies to the rooms inside it, however deep; the first list up the chain
    (table, room, folder, parent folders) decides alone, without merging."""
    server, kit = start(parley, smtp)
    for path in ("/club", "/club/inner", "/club/inner/deep"):
        assert admin(server, "POST", "/folders", {"path": path}).status == 201
    r = admin(server, "POST", "/rooms", {"name": "cellar", "folder": "/club/inner/deep",
                                         "capacity": 2})
    assert r.status == 201, r
    kit.registered("rex")
    kit.provisional("pia")
    gus = await Client.connect(server.port, "gus")
    rex = await connect_account(server.port, kit.tokens["rex"])
    pia = await connect_account(server.port, kit.tokens["pia"])
    people = {"guest": gus, "provisional": pia, "registered": rex}

    async def rights():
        return {who: room_rights(await c.cmd("rooms")).get("cellar", "hidden")
                for who, c in people.items()}

    try:
        assert await rights() == {"guest": "participant", "provisional": "participant",
                                  "registered": "participant"}  # [access] defaults
        # the root's list reaches three folders down
        put_acl(server, "/folder", [registered("read_only")])
        assert await rights() == {"guest": "hidden", "provisional": "hidden",
                                  "registered": "read_only"}
        # a nearer folder's list replaces it (no registered entry there: none)
        put_acl(server, "/folder/club", [guests("read_only")])
        assert await rights() == {"guest": "read_only", "provisional": "read_only",
                                  "registered": "hidden"}
        # the middle folder has no list: /club/inner/deep still inherits /club's
        put_acl(server, "/folder/club/inner/deep", [registered("moderated"), guests("none")])
        assert await rights() == {"guest": "hidden", "provisional": "hidden",
                                  "registered": "moderated"}
        # the room's own list overrides every folder's
        put_acl(server, "/room/cellar", [registered("participant"), guests("participant")])
        assert await rights() == {"guest": "participant", "provisional": "participant",
                                  "registered": "participant"}
        # the public REST API shows what a guest may see
        assert http_get(server.port, "/api/v1/rooms/cellar").status == 200
        # removing the room's list: the folders decide again
        put_acl(server, "/room/cellar", None)
        assert await rights() == {"guest": "hidden", "provisional": "hidden",
                                  "registered": "moderated"}
        assert http_get(server.port, "/api/v1/rooms/cellar").status == 404
        put_acl(server, "/folder/club/inner/deep", None)
        put_acl(server, "/folder/club", None)
        assert await rights() == {"guest": "hidden", "provisional": "hidden",
                                  "registered": "read_only"}
        # moving the room out of the tree of lists: the root's list decides
        assert admin(server, "PATCH", "/rooms/cellar", {"folder": "/"}).status == 200
        put_acl(server, "/folder/club", [guests("host"), registered("host")])
        assert await rights() == {"guest": "hidden", "provisional": "hidden",
                                  "registered": "read_only"}
        # renaming a folder keeps its list on the rooms inside
        assert admin(server, "PATCH", "/rooms/cellar", {"folder": "/club/inner"}).status == 200
        assert await rights() == {"guest": "host", "provisional": "host", "registered": "host"}
        assert admin(server, "PATCH", "/folders/club", {"path": "/society"}).status == 200
        assert await rights() == {"guest": "host", "provisional": "host", "registered": "host"}
        # people inside: a list two folders up changes, and the room moves, under them
        await gus.enter("cellar")
        await rex.enter("cellar")
        put_acl(server, "/folder/society", [guests("none"), registered("host")])
        assert (await gus.event("rights", room="cellar"))["right"] == "none"
        await rex.event("member_left", room="cellar", nick="gus", reason="access")
        await rex.no_event("rights")
        assert admin(server, "PATCH", "/rooms/cellar", {"folder": "/"}).status == 200
        assert (await rex.event("rights", room="cellar"))["right"] == "read_only"
        assert admin(server, "PATCH", "/rooms/cellar", {"folder": "/society/inner"}).status == 200
        assert (await rex.event("rights", room="cellar"))["right"] == "host"
        put_acl(server, "/folder/society", [guests("host"), registered("host")])
        server.restart()
    finally:
        await close_all([gus, rex, pia])
    # and after a restart
    gus = await Client.connect(server.port, "gus")
    try:
        assert room_rights(await gus.cmd("rooms"))["cellar"] == "host"
        assert (await gus.enter("cellar"))["room"]["folder"] == "/society/inner"
    finally:
        await gus.close()


async def test_table_lists_override_the_room(parley, smtp):
    """A table's list decides at that table, above or below the room's; none in the room is none
    at every table whatever the table's list says."""
    server, kit = start(parley, smtp)
    kit.registered("rex")
    kit.registered("ria")
    put_acl(server, "/room/matrix", [guests("read_only"), registered("participant")])
    put_acl(server, "/room/matrix/table/2", [guests("participant"), registered("read_only")])
    put_acl(server, "/room/matrix/table/3", [guests("host"), registered("none")])
    gus, amy, cy, dee = [await Client.connect(server.port, n) for n in ("gus", "amy", "cy", "dee")]
    rex = await connect_account(server.port, kit.tokens["rex"])
    ria = await connect_account(server.port, kit.tokens["ria"])
    try:
        # table 1 has the room's list: the guest lurks, rex talks
        reply = await gus.enter("matrix")
        assert (reply["table"]["table"], reply["right"], nicks(reply["table"])) == \
            (1, "read_only", [])
        await gus.fail("read_only", "say", room="matrix", text="hi")
        reply = await rex.enter("matrix")
        assert (reply["table"]["table"], reply["right"]) == (1, "participant")
        # table 1 is full: amy gets table 2, where guests may talk
        reply = await amy.enter("matrix")
        assert (reply["table"]["table"], reply["right"]) == (2, "participant")
        await amy.say("matrix", "table two talks")
        # rex lurks at table 2, and talks again back at table 1
        reply = await rex.cmd("hop", room="matrix", table=2)
        assert reply["right"] == "read_only" and nicks(reply["table"]) == ["amy"]
        await amy.event("lurkers", room="matrix", table=2, count=1)
        await rex.fail("read_only", "say", room="matrix", text="hi")
        assert (await rex.cmd("hop", room="matrix", table=1))["right"] == "participant"
        await rex.say("matrix", "back at one")
        # the guest hops to table 2 and is a member there
        reply = await gus.cmd("hop", room="matrix", table=2)
        assert reply["right"] == "participant" and nicks(reply["table"]) == ["amy", "gus"]
        await amy.event("member_hopped", room="matrix", nick="gus", from_=1, to=2)
        await gus.say("matrix", "now I can talk")
        reply = await cy.enter("matrix")  # beside rex at table 1, lurking
        assert (reply["table"]["table"], reply["right"]) == (1, "read_only")
        # tables 1 and 2 are full: dee opens table 3, where guests are hosts
        reply = await dee.enter("matrix")
        assert (reply["table"]["table"], reply["right"]) == (3, "host")
        # table 3 is none for registered accounts: ria gets table 4, and never sees 3
        reply = await ria.enter("matrix")
        assert (reply["table"]["table"], reply["right"]) == (4, "participant")
        tables = (await ria.cmd("tables", room="matrix"))["tables"]
        assert [t["number"] for t in tables] == [1, 2, 4]
        await ria.fail("no_such_table", "hop", room="matrix", table=3)
        await ria.fail("no_such_table", "edit_table", room="matrix", table=3, topic="x")
        # a host of table 3 alone: its topic yes; table 1, the room and broadcasts no
        reply = await dee.cmd("edit_table", room="matrix", table=3, topic="guests host here")
        assert reply["topic"] == "guests host here"
        await dee.event("table_updated", room="matrix", table=3, topic="guests host here")
        await dee.fail("forbidden", "edit_table", room="matrix", table=1, topic="mine")
        await dee.fail("forbidden", "edit_room", room="matrix", topic="mine")
        await dee.fail("forbidden", "broadcast", room="matrix", text="all hear me")
        await dee.fail("forbidden", "eject", room="matrix", nick="ria")
        # none in the room beats every table's list
        put_acl(server, "/room/matrix", [registered("participant")])
        for g in (gus, amy, cy, dee):
            assert (await g.event("rights", room="matrix"))["right"] == "none"
        put_acl(server, "/room/matrix/table/1", [guests("host")])
        await gus.fail("no_such_room", "enter", room="matrix")
        await gus.fail("no_such_room", "tables", room="matrix")
        assert "matrix" not in room_rights(await gus.cmd("rooms"))
        # rex (table 1, now the guests' host table) is out: the table's list decides there
        assert (await rex.event("rights", room="matrix"))["right"] == "none"
        await ria.no_event("rights")
    finally:
        await close_all([gus, amy, cy, dee, rex, ria])


async def test_user_groups_and_class_entries(parley, smtp):
    """Within the deciding list: the entry naming the account, else the highest right among the
    account's user groups, else its class entry (`registered`, or `guests` for guests and
    provisional accounts), else none."""
    server, kit = start(parley, smtp)
    for name in ("ann", "bob", "cat"):
        kit.registered(name)
    kit.provisional("pia")
    kit.provisional("pam")
    assert admin(server, "PUT", "/user-groups/crew", {"members": ["ann", "pia"]}).status == 200
    assert admin(server, "PUT", "/user-groups/staff", {"members": ["ann", "bob"]}).status == 200
    put_acl(server, "/room/lobby", [group("crew", "read_only"), group("staff", "host"),
                                    user("bob", "moderated"), registered("participant"),
                                    guests("none")])
    gus = await Client.connect(server.port, "gus")
    people = {"guest": gus}
    for name in ("ann", "bob", "cat", "pia", "pam"):
        people[name] = await connect_account(server.port, kit.tokens[name])
    try:
        async def rights():
            return {who: room_rights(await c.cmd("rooms")).get("lobby", "hidden")
                    for who, c in people.items()}

        assert await rights() == {
            "guest": "hidden",  # guests: none
            "ann": "host",  # the highest of her groups
            "bob": "moderated",  # his own entry beats his group
            "cat": "participant",  # registered
            "pia": "read_only",  # a provisional account in a group: the group's right
            "pam": "hidden",  # a provisional account is a guest for the list
        }
        # only `registered`: guests and provisional accounts have none
        put_acl(server, "/room/lobby", [registered("read_only")])
        assert await rights() == {"guest": "hidden", "ann": "read_only", "bob": "read_only",
                                  "cat": "read_only", "pia": "hidden", "pam": "hidden"}
        # only `guests`: registered accounts have none, provisional ones the guests' right
        put_acl(server, "/room/lobby", [guests("moderated")])
        assert await rights() == {"guest": "moderated", "ann": "hidden", "bob": "hidden",
                                  "cat": "hidden", "pia": "moderated", "pam": "moderated"}
        # a group's members change: the right follows at once, also for people inside
        put_acl(server, "/room/lobby", [group("crew", "host"), registered("participant"),
                                        guests("participant")])
        await people["cat"].enter("lobby")
        await gus.enter("lobby")
        await people["cat"].fail("forbidden", "broadcast", room="lobby", text="hear me")
        assert admin(server, "PUT", "/user-groups/crew", {"members": ["cat"]}).status == 200
        ev = await people["cat"].event("rights", room="lobby")
        assert ev == {"type": "rights", "room": "lobby", "table": 1, "right": "host"}
        await people["cat"].cmd("broadcast", room="lobby", text="hear me")
        await gus.event("broadcast", room="lobby", text="hear me")
        await gus.no_event("rights")
        assert admin(server, "DELETE", "/user-groups/crew").status == 200
        assert (await people["cat"].event("rights", room="lobby"))["right"] == "participant"
        await people["cat"].fail("forbidden", "broadcast", room="lobby", text="hear me")
    finally:
        await close_all(list(people.values()))


# ---- rights changed while inside ----------------------------------------------------------------

async def test_registered_rights_change_while_inside(parley, smtp):
    """A registered account inside the lobby: read_only makes it a lurker, participant a member
    again, none takes it out at once; the others see it happen and get no rights event."""
    server, kit = start(parley, smtp)
    kit.registered("rex")
    kit.registered("ann")
    base = [registered("participant"), guests("participant")]
    rex = await connect_account(server.port, kit.tokens["rex"])
    ann = await connect_account(server.port, kit.tokens["ann"])
    gus = await Client.connect(server.port, "gus")
    try:
        for c in (ann, gus, rex):
            assert (await c.enter("lobby"))["right"] == "participant"
        # down to read_only: a lurker
        put_acl(server, "/room/lobby", [user("rex", "read_only")] + base)
        ev = await rex.event("rights", room="lobby")
        assert ev == {"type": "rights", "room": "lobby", "table": 1, "right": "read_only"}
        for other in (ann, gus):
            await other.event("member_left", room="lobby", table=1, nick="rex", reason="access")
            await other.event("lurkers", room="lobby", table=1, count=1)
        assert nicks(await ann.cmd("members", room="lobby")) == ["ann", "gus"]
        await rex.fail("read_only", "say", room="lobby", text="may I?")
        await rex.fail("read_only", "pm", room="lobby", to="ann", text="may I?")
        await rex.fail("read_only", "invite", room="lobby", to="ann")
        await ann.say("lobby", "lurkers read")
        await rex.event("message", nick="ann", text="lurkers read")
        assert room_rights(await rex.cmd("rooms"))["lobby"] == "read_only"
        # back to participant: a member again
        put_acl(server, "/room/lobby", [user("rex", "participant")] + base)
        assert (await rex.event("rights", room="lobby"))["right"] == "participant"
        for other in (ann, gus):
            await other.event("lurkers", room="lobby", table=1, count=0)
            await other.event("member_entered", room="lobby", table=1, nick="rex")
        await rex.say("lobby", "I am back")
        await ann.event("message", nick="rex", text="I am back")
        # down to none: out at once
        put_acl(server, "/room/lobby", [user("rex", "none")] + base)
        ev = await rex.event("rights", room="lobby")
        assert ev == {"type": "rights", "room": "lobby", "table": 1, "right": "none"}
        for other in (ann, gus):
            await other.event("member_left", room="lobby", table=1, nick="rex", reason="access")
        assert nicks(await gus.cmd("members", room="lobby")) == ["ann", "gus"]
        await rex.fail("not_in_room", "say", room="lobby", text="hello?")
        await rex.fail("no_such_room", "enter", room="lobby")
        assert "lobby" not in room_rights(await rex.cmd("rooms"))
        for other in (ann, gus):
            await other.no_event("rights")
        # a right given back does not seat anyone: rex enters again himself
        put_acl(server, "/room/lobby", base)
        assert room_rights(await rex.cmd("rooms"))["lobby"] == "participant"
        await rex.fail("not_in_room", "say", room="lobby", text="hello?")
        assert (await rex.enter("lobby"))["right"] == "participant"
        await ann.event("member_entered", room="lobby", nick="rex")
    finally:
        await close_all([rex, ann, gus])


async def test_provisional_validates_while_inside(parley, smtp):
    """A provisional account has the guests' right; validating it (by code over REST, or by the
    link) while it is connected gives it the registered right at once."""
    server, kit = start(parley, smtp)
    kit.registered("ann")
    kit.provisional("pia")
    kit.provisional("pete")
    put_acl(server, "/room/lobby", [registered("participant"), guests("read_only")])
    assert admin(server, "POST", "/rooms", {"name": "vip"}).status == 201
    put_acl(server, "/room/vip", [registered("participant")])
    ann = await connect_account(server.port, kit.tokens["ann"])
    pia = await connect_account(server.port, kit.tokens["pia"])
    pete = await connect_account(server.port, kit.tokens["pete"])
    try:
        assert pia.hello_reply["class"] == "provisional"
        await ann.enter("lobby")
        for p in (pia, pete):
            reply = await p.enter("lobby", lurk=p is pete or None)  # pete lurks by choice
            assert reply["right"] == "read_only" and p.nick not in nicks(reply["table"])
            assert "vip" not in room_rights(await p.cmd("rooms"))
            await p.fail("no_such_room", "enter", room="vip")
        await pia.fail("read_only", "say", room="lobby", text="hello?")
        # pia enters the code of her mail
        kit.validate_by_code("pia")
        ev = await pia.event("account")
        assert (ev["name"], ev["class"], ev["sysop"]) == ("pia", "registered", False)
        ev = await pia.event("rights", room="lobby")
        assert ev == {"type": "rights", "room": "lobby", "table": 1, "right": "participant"}
        await ann.event("member_entered", room="lobby", table=1, nick="pia")
        await pia.say("lobby", "validated")
        await ann.event("message", nick="pia", text="validated")
        assert room_rights(await pia.cmd("rooms")) == {"lobby": "participant", "matrix":
                                                       "participant", "vip": "participant"}
        assert (await pia.enter("vip"))["right"] == "participant"
        # pete follows the link of his mail
        follow_link(server.port, kit.mail["pete"][0])
        assert (await pete.event("account"))["class"] == "registered"
        assert (await pete.event("rights", room="lobby"))["right"] == "participant"
        # ...but he chose to lurk, and lurks on
        await pete.fail("read_only", "say", room="lobby", text="me too")
        assert nicks(await ann.cmd("members", room="lobby")) == ["ann", "pia"]
        await pete.cmd("leave", room="lobby")
        assert (await pete.enter("lobby"))["right"] == "participant"
        await pete.say("lobby", "me too")
        await pete.enter("vip")
    finally:
        await close_all([ann, pia, pete])


async def test_allow_guests_no(parley, smtp):
    """`[access] allow_guests = no`: guests and provisional accounts may not say hello; registered
    accounts and sysops may."""
    server, kit = start(parley, smtp, "[access]\nallow_guests = no\n")
    kit.registered("rex")
    kit.provisional("pia")
    kit.sysop("boss")
    c = await Client.connect(server.port)
    try:
        await c.fail("guests_not_allowed", "hello", nick="gus")
        await c.fail("validation_required", "hello", token=kit.tokens["pia"])
        await c.fail("hello_first", "rooms")
    finally:
        await c.close()
    rex = await connect_account(server.port, kit.tokens["rex"])
    boss = await connect_account(server.port, kit.tokens["boss"])
    try:
        assert rex.hello_reply["class"] == "registered"
        assert boss.hello_reply["sysop"] is True
        await rex.enter("lobby")
        assert (await boss.enter("lobby"))["right"] == "host"
        kit.validate_by_code("pia")  # validated: now she may come in
        pia = await connect_account(server.port, kit.tokens["pia"])
        await pia.enter("lobby")
        await pia.close()
    finally:
        await close_all([rex, boss])


# ---- ejected and banned -------------------------------------------------------------------------

async def test_eject_with_ban_expiry_and_lift(parley, smtp):
    """A host ejects a registered account with a ban: it gets `ejected`, the room does not exist
    for it until the ban ends (also from a new connection); a ban lifted over the admin API lets
    it back at once. Hosts cannot eject hosts, nobody ejects a sysop, a sysop ejects anyone."""
    server, kit = start(parley, smtp)
    for name in ("hank", "ivy", "rex"):
        kit.registered(name)
    sysop = kit.sysop("boss")
    put_acl(server, "/room/lobby", [user("hank", "host"), user("ivy", "host"),
                                    registered("participant"), guests("participant")])
    hank = await connect_account(server.port, kit.tokens["hank"])
    ivy = await connect_account(server.port, kit.tokens["ivy"])
    rex = await connect_account(server.port, kit.tokens["rex"])
    boss = await connect_account(server.port, sysop)
    gus = await Client.connect(server.port, "gus")
    clients = [hank, ivy, rex, boss, gus]
    try:
        for c in (hank, rex, gus, ivy, boss):
            await c.enter("lobby")
        await hank.fail("forbidden", "eject", room="lobby", nick="ivy")  # a host
        await hank.fail("forbidden", "eject", room="lobby", nick="boss")  # a sysop
        await rex.fail("forbidden", "eject", room="lobby", nick="gus")

        # a short ban: out, invisible, back once it ends
        ok = await hank.cmd("eject", room="lobby", nick="rex", ban=1, reason="cool off")
        ev = await rex.event("ejected", room="lobby")
        assert ev == {"type": "ejected", "room": "lobby", "table": None, "by": "hank",
                      "reason": "cool off", "until": ok["until"]}
        await gus.event("member_left", room="lobby", nick="rex", reason="ejected")
        (ban,) = admin(server, "GET", "/bans").json()["bans"]
        assert (ban["who"], ban["table"], ban["by"], ban["address_hash"]) == \
            ("account:rex", None, "hank", "")  # an account is banned by name, not address
        await rex.fail("not_in_room", "say", room="lobby", text="hey")
        reply = await rex.request("enter", room="lobby")
        if reply["type"] == "error":  # (unless the second already passed)
            assert reply["code"] == "no_such_room"
            await rex.fail("no_such_room", "tables", room="lobby")
        await rex.enter("matrix")  # other rooms are not concerned
        await gus.cmd("say", room="lobby", text="guests on the same address are not banned")

        async def try_enter():
            reply = await rex.request("enter", room="lobby")
            return reply

        reply = await eventually(try_enter, lambda m: m["type"] == "ok", tries=200)
        assert reply["type"] == "ok" and reply["right"] == "participant", reply
        assert admin(server, "GET", "/bans").json()["bans"] == []

        # a long ban, also from a new connection, lifted with the sysop's token
        ok = await hank.cmd("eject", room="lobby", nick="rex", ban=3600)
        await rex.event("ejected", room="lobby", until=ok["until"])
        await rex.close()
        rex = await connect_account(server.port, kit.tokens["rex"])
        clients.append(rex)
        assert "lobby" not in room_rights(await rex.cmd("rooms"))
        await rex.fail("no_such_room", "enter", room="lobby")
        lift = {"room": "lobby", "who": "account:rex"}
        r = admin(server, "DELETE", "/bans", lift, token=sysop)
        assert r.status == 200, r
        assert admin(server, "DELETE", "/bans", lift, token=sysop).status == 404
        assert room_rights(await rex.cmd("rooms"))["lobby"] == "participant"
        assert (await rex.enter("lobby"))["right"] == "participant"

        # the sysop may eject a host
        await boss.cmd("eject", room="lobby", nick="ivy")
        await ivy.event("ejected", room="lobby", by="boss")
        # a lurker can be ejected too; the table sees the lurkers count
        lu = await Client.connect(server.port, "lu")
        clients.append(lu)
        await lu.enter("lobby", lurk=True)
        await gus.event("lurkers", room="lobby", count=1)
        await hank.cmd("eject", room="lobby", nick="lu")
        await lu.event("ejected", room="lobby", by="hank", until=None)
        await gus.event("lurkers", room="lobby", count=0)
    finally:
        await close_all(clients)


async def test_entries_name_accounts_in_any_spelling(parley, smtp):
    """Account names compare as nicknames do (case folding, NFKC), in access-list entries and in
    user groups as everywhere else: an entry for "hank" names the account "Hank"."""
    server, kit = start(parley, smtp)
    kit.registered("Hank")
    kit.registered("Zoë")
    assert admin(server, "PUT", "/user-groups/crew", {"members": ["ZOË"]}).status == 200
    put_acl(server, "/room/lobby", [user("hank", "host"), group("crew", "read_only"),
                                    registered("participant")])
    r = admin(server, "PUT", "/acl/room/lobby", {"acl": [user("hank", "host"),
                                                          user("HANK", "none")]})
    assert r.status == 400 and r.json()["error"]["code"] == "bad_request"
    hank = await connect_account(server.port, kit.tokens["Hank"])
    zoe = await connect_account(server.port, kit.tokens["Zoë"])
    try:
        assert room_rights(await hank.cmd("rooms"))["lobby"] == "host"
        assert room_rights(await zoe.cmd("rooms"))["lobby"] == "read_only"
        assert (await zoe.enter("lobby"))["right"] == "read_only"
        assert (await hank.enter("lobby"))["right"] == "host"
        await hank.cmd("broadcast", room="lobby", text="hosts in any spelling")
        # the lists keep the names as given
        assert admin(server, "GET", "/acl/room/lobby").json()["acl"][0]["name"] == "hank"
        assert admin(server, "GET", "/user-groups").json()["groups"][0]["members"] == ["ZOË"]
    finally:
        await close_all([hank, zoe])


async def test_group_settings_switch_guests_and_defaults_at_once(parley, smtp):
    """The chat group's settings (PATCH /api/v1/admin/settings): the default rights where no list
    applies change at once for people inside, and switching guests off closes connected guests and
    refuses new ones (and provisional accounts), as `[access] allow_guests = no` does."""
    server, kit = start(parley, smtp)
    kit.registered("rex")
    kit.provisional("pia")
    sysop = kit.sysop("boss")
    gus = await Client.connect(server.port, "gus")
    rex = await connect_account(server.port, kit.tokens["rex"])
    pia = await connect_account(server.port, kit.tokens["pia"])
    try:
        for c in (gus, rex, pia):
            await c.enter("lobby")
        r = admin(server, "PATCH", "/settings", {"guests": "read_only"}, token=sysop)
        assert r.status == 200 and r.json()["guests"] == "read_only", r
        for c in (gus, pia):
            assert (await c.event("rights", room="lobby"))["right"] == "read_only"
        await rex.event("lurkers", room="lobby", count=2)
        await rex.no_event("rights")
        # a list still decides where there is one
        put_acl(server, "/room/lobby", [guests("participant")])
        assert (await gus.event("rights", room="lobby"))["right"] == "participant"
        assert (await rex.event("rights", room="lobby"))["right"] == "none"
        put_acl(server, "/room/lobby", None)
        r = admin(server, "PATCH", "/settings", {"allow_guests": False}, token=sysop)
        assert r.status == 200 and r.json()["allow_guests"] is False, r
        await gus.wait_closed()
        assert (gus.close_code, gus.close_reason) == (1008, "guests are no longer admitted: log in")
        await pia.ping()  # an account (even provisional) connected before stays
        c = await Client.connect(server.port)
        try:
            await c.fail("guests_not_allowed", "hello", nick="gus")
            await c.fail("validation_required", "hello", token=kit.tokens["pia"])
        finally:
            await c.close()
        await rex.enter("lobby")
        r = admin(server, "PATCH", "/settings", {"allow_guests": None, "guests": None},
                  token=sysop)
        assert r.status == 200 and r.json()["allow_guests"] is True, r
        async with await Client.connect(server.port, "gus") as g:
            assert (await g.enter("lobby"))["right"] == "participant"
    finally:
        await close_all([gus, rex, pia])
