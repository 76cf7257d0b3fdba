// Browser end-to-end test of the web client: real chromium pages against a running parleyd.
// Run it through run.sh, which starts the server and sets PARLEY_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { chromium } from 'playwright-core';

const BASE = process.env.PARLEY_URL;
const TLS_BASE = process.env.PARLEY_TLS_URL; // the same server over HTTPS (self-signed)
const IRC_PORT = process.env.PARLEY_IRC_PORT; // the server's IRC listener
const SCREENSHOT = process.env.PARLEY_SCREENSHOT ?? '/tmp/parley-e2e.png';
const PRIVATE_SCREENSHOT = SCREENSHOT.replace(/\.png$/, '-private.png');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ALICE_COLOUR = '#2b9bd1';

let browser;
const pageErrors = [];

before(async () => {
  assert.ok(BASE, 'PARLEY_URL must name the server, e.g. http://127.0.0.1:8080/');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

after(async () => {
  await browser?.close();
});

// Each person gets their own browser context, so nothing (storage, cookies) is shared.
async function openPage(who) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => pageErrors.push(`${who}: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(`${who}: console: ${m.text()}`));
  await page.goto(BASE);
  await page.locator('#connection-status[data-state="open"]').waitFor();
  return page;
}

async function join(page, nick, { lurk = false } = {}) {
  await page.fill('#nick-input', nick);
  if (lurk) await page.check('#lurk-checkbox');
  await page.click('#join-button');
}

async function joined(page, room = 'lobby') {
  await page.locator('#login').waitFor({ state: 'hidden' });
  await page.locator(`#room-tabs [data-tab="${room}"].active`).waitFor();
  await page.locator(`#room-list [data-room="${room}"].joined`).waitFor();
}

async function send(page, text) {
  await page.fill('#message-input', text);
  await page.press('#message-input', 'Enter');
}

const member = (page, nick) => page.locator(`#member-list .member[data-nick="${nick}"]`);
const messageFrom = (page, nick, text) =>
  page.locator(`#messages .message:not(.private)[data-nick="${nick}"]`).filter({ hasText: text });

test('two people chat in the lobby', async (t) => {
  const alice = await openPage('alice');
  const bob = await openPage('bob');

  await t.test('alice picks a nickname and colour and enters the lobby', async () => {
    await alice.click(`#login-swatches .swatch[data-colour="${ALICE_COLOUR}"]`);
    await join(alice, 'alice');
    await joined(alice);
    assert.equal(await alice.textContent('#me-nick'), 'alice');
    await member(alice, 'alice').waitFor();
    assert.equal(await alice.locator('#admin-link').isHidden(), true, 'no Administration link for a guest');
  });

  await t.test('a nickname that is taken is refused inline', async () => {
    await join(bob, 'ALICE');
    const error = bob.locator('#login-error');
    await error.waitFor();
    assert.equal(await error.getAttribute('data-code'), 'nick_taken');
    assert.ok((await error.textContent()).trim().length > 0, 'the server message is shown');
    assert.equal(await bob.locator('#nick-input').getAttribute('aria-invalid'), 'true');
    assert.ok(await bob.locator('#login').isVisible(), 'the nickname card stays open');
  });

  await t.test('bob enters and each sees the other', async () => {
    await join(bob, 'bob');
    await joined(bob);
    await member(bob, 'alice').waitFor();
    await member(alice, 'bob').waitFor();
    await alice.locator('#messages .system-line').filter({ hasText: 'bob entered' }).waitFor();
  });

  await t.test('alice says something and bob sees it under her nick and colour', async () => {
    await send(alice, 'hello from alice');
    const line = messageFrom(bob, 'alice', 'hello from alice');
    await line.waitFor();
    assert.equal(await line.locator('.nick').textContent(), 'alice');
    const colour = await line.locator('.nick').evaluate((n) => getComputedStyle(n).color);
    assert.equal(colour, 'rgb(43, 155, 209)');
    // The sender sees the line once, marked stored when the say's reply arrives.
    await messageFrom(alice, 'alice', 'hello from alice').locator('.msg-status.stored').waitFor();
    assert.equal(await messageFrom(alice, 'alice', 'hello from alice').count(), 1);
    assert.equal(await alice.inputValue('#message-input'), '', 'Enter sent and cleared the box');
  });

  await t.test('bob answers and alice sees it', async () => {
    await bob.fill('#message-input', 'hi alice <b>not bold</b>');
    await bob.click('#send-button');
    const line = messageFrom(alice, 'bob', 'hi alice');
    await line.waitFor();
    assert.equal(await line.locator('.text').textContent(), 'hi alice <b>not bold</b>');
    assert.equal(await line.locator('.text b').count(), 0, 'user text is not parsed as HTML');
  });

  await t.test('alice sends bob a private message', async () => {
    await member(alice, 'bob').locator('.member-open').click();
    await alice.locator('#pm-target').waitFor();
    assert.equal(await alice.textContent('#pm-nick'), 'bob');
    await send(alice, 'psst, bob');
    const got = bob.locator('#messages .message.private.incoming').filter({ hasText: 'psst, bob' });
    await got.waitFor();
    assert.match(await got.locator('.pm-badge').textContent(), /private from alice/);
    const sent = alice.locator('#messages .message.private.outgoing').filter({ hasText: 'psst, bob' });
    await sent.waitFor();
    assert.match(await sent.locator('.pm-badge').textContent(), /private to bob/);
    await alice.click('#pm-cancel');
    await alice.locator('#pm-target').waitFor({ state: 'hidden' });
  });

  await t.test('an error reply is shown with its message', async () => {
    await send(bob, 'x'.repeat(4001));
    const toast = bob.locator('#toasts .toast[data-code="text_too_long"]');
    await toast.waitFor();
    assert.ok((await toast.locator('.toast-message').textContent()).trim().length > 0);
    assert.equal((await bob.inputValue('#message-input')).length, 4001, 'the text is given back');
    await bob.fill('#message-input', '');
  });

  await t.test('a lurker is counted but not listed, and cannot talk', async () => {
    const carol = await openPage('carol');
    await join(carol, 'carol', { lurk: true });
    await joined(carol);
    await alice.locator('#lurker-count[data-count="1"]').waitFor();
    assert.match(await alice.textContent('#lurker-count'), /1 lurker/);
    assert.equal(await member(alice, 'carol').count(), 0);
    await member(carol, 'alice').waitFor();
    await carol.locator('#lurk-notice').waitFor();
    assert.ok(await carol.locator('#message-input').isDisabled());
    await messageFrom(carol, 'alice', 'hello from alice').waitFor(); // history on entry
    await carol.context().close();
    await alice.locator('#lurker-count[data-count="0"]').waitFor();
  });

  await t.test('alice invites bob to a private table and they talk there', async () => {
    await member(alice, 'bob').locator('.member-invite').click();
    await alice.locator('#messages .system-line').filter({ hasText: 'You invited bob' }).waitFor();
    const card = bob.locator('#invites .invite[data-from="alice"]');
    await card.waitFor();
    assert.match(await card.textContent(), /alice invites you to a private table\s*from Lobby/);
    await card.locator('.invite-accept').click();
    await card.waitFor({ state: 'detached' });
    for (const page of [alice, bob]) {
      const tab = page.locator('#room-tabs .tab.private.active');
      await tab.waitFor();
      assert.match(await tab.textContent(), /alice & bob/);
      await tab.locator('svg.lock').waitFor();
      assert.match(await page.textContent('#room-title'), /alice & bob/);
      await member(page, 'alice').waitFor();
      await member(page, 'bob').waitFor();
    }
    assert.equal(await alice.locator('#room-list .room', { hasText: 'alice & bob' }).count(), 0,
      'a private room is not in the room list');
    await send(alice, 'just us <i>two</i>');
    await messageFrom(bob, 'alice', 'just us').waitFor();
    await send(bob, 'indeed');
    await messageFrom(alice, 'bob', 'indeed').waitFor();
    assert.equal(await messageFrom(alice, 'alice', 'just us').locator('.text i').count(), 0);
    await bob.screenshot({ path: PRIVATE_SCREENSHOT });
  });

  await t.test('a declined invitation is told to the inviter', async () => {
    await alice.click('#room-tabs [data-tab="lobby"] .tab-open');
    await bob.click('#room-tabs [data-tab="lobby"] .tab-open');
    await member(alice, 'bob').locator('.member-invite').click();
    const card = bob.locator('#invites .invite[data-from="alice"]');
    await card.locator('.invite-decline').click();
    await alice.locator('#toasts .toast.notice').filter({ hasText: 'bob declined your invitation' }).waitFor();
  });

  await t.test('alice ignores bob: the server stops his messages to her, not to others', async () => {
    const dave = await openPage('dave');
    await join(dave, 'dave');
    await joined(dave);
    await member(alice, 'dave').waitFor();
    await member(alice, 'bob').locator('.member-ignore').click();
    await alice.locator('#messages .system-line')
      .filter({ hasText: 'You ignore bob. Their messages are hidden.' }).waitFor();
    await member(alice, 'bob').locator('.tag-ignored').waitFor();
    assert.match(await member(alice, 'bob').getAttribute('class'), /\bignored\b/);
    await send(bob, 'can you hear me');
    await messageFrom(dave, 'bob', 'can you hear me').waitFor();
    // dave speaks after bob's line reached him; alice gets dave's line after bob's would have come.
    await send(dave, 'marker from dave');
    await messageFrom(alice, 'dave', 'marker from dave').waitFor();
    assert.equal(await messageFrom(alice, 'bob', 'can you hear me').count(), 0);
    await member(alice, 'bob').locator('.member-ignore').click();
    await member(alice, 'bob').locator('.tag-ignored').waitFor({ state: 'detached' });
    await send(bob, 'back again');
    await messageFrom(alice, 'bob', 'back again').waitFor();
    await dave.context().close();
  });

  await t.test('someone who changes nickname is shown renamed', async () => {
    // carol is a bare WebSocket client (as an IRC user's NICK would be: the same nick_changed)
    const done = bob.evaluate(async (url) => {
      const ws = new WebSocket(url);
      const replies = [];
      ws.onmessage = (e) => replies.push(JSON.parse(e.data));
      await new Promise((ok, fail) => {
        ws.onopen = ok;
        ws.onerror = () => fail(new Error('the WebSocket did not open'));
        setTimeout(() => fail(new Error('the WebSocket did not open in 5 s')), 5000);
      });
      const ask = async (msg) => {
        ws.send(JSON.stringify(msg));
        for (let i = 0; i < 100 && !replies.some((r) => r.id === msg.id); i++) {
          await new Promise((ok) => setTimeout(ok, 50));
        }
        return replies.find((r) => r.id === msg.id);
      };
      await ask({ type: 'hello', id: 1, nick: 'carol' });
      await ask({ type: 'enter', id: 2, room: 'lobby' });
      const renamed = await ask({ type: 'nick', id: 3, nick: 'caroline' });
      window.carolSocket = ws; // kept open until the page closes
      return renamed;
    }, `${BASE.replace(/^http/, 'ws').replace(/\/$/, '')}/ws`);
    const renamed = await done;
    assert.equal(renamed?.type, 'ok', JSON.stringify(renamed));
    assert.equal(renamed.nick, 'caroline');
    const bounded = { timeout: 10000 };
    await member(alice, 'carol').waitFor({ state: 'detached', ...bounded });
    await member(alice, 'caroline').waitFor(bounded);
    await alice.locator('#messages .system-line').filter({ hasText: 'is now known as caroline' })
      .waitFor(bounded);
  });

  await t.test('screenshot for people to look at', async () => {
    await alice.screenshot({ path: SCREENSHOT });
  });

  await t.test('when bob goes away alice sees him leave', async () => {
    await bob.context().close();
    await alice.locator('#messages .system-line').filter({ hasText: 'bob disconnected' }).waitFor();
    await member(alice, 'bob').waitFor({ state: 'detached' });
  });

  await alice.context().close();
  assert.deepEqual(pageErrors, [], 'no script errors in the pages');
});

// A page whose browser has no WebSocket falls back to SSE; one forced to long-poll uses it. Both
// chat with a WebSocket page, and the status pill's title names the transport.
test('without a WebSocket the client falls back to SSE, and long-poll chats too', async () => {
  const errorsBefore = pageErrors.length;
  async function openWith(who, { init, query = '' }) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    if (init) await context.addInitScript(init);
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => pageErrors.push(`${who}: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(`${who}: console: ${m.text()}`));
    await page.goto(new URL(query, BASE).href);
    await page.locator('#connection-status[data-state="open"]').waitFor();
    return page;
  }
  const web = await openPage('wendy');
  const sse = await openWith('sam', { init: () => { delete window.WebSocket; } });
  const poll = await openWith('paula', { query: '?transport=poll' });
  try {
    assert.equal(await web.getAttribute('#connection-status', 'title'), 'Connected over WebSocket');
    assert.equal(await sse.getAttribute('#connection-status', 'title'), 'Connected over SSE');
    assert.equal(await poll.getAttribute('#connection-status', 'title'), 'Connected over long-poll');
    for (const [page, nick] of [[web, 'wendy'], [sse, 'sam'], [poll, 'paula']]) {
      await join(page, nick);
      await joined(page);
    }
    await member(sse, 'paula').waitFor();
    await send(sse, 'over server-sent events');
    await messageFrom(web, 'sam', 'over server-sent events').waitFor();
    await messageFrom(poll, 'sam', 'over server-sent events').waitFor();
    await send(poll, 'over long-poll');
    await messageFrom(web, 'paula', 'over long-poll').waitFor();
    await messageFrom(sse, 'paula', 'over long-poll').waitFor();
    await send(web, 'over a WebSocket');
    await messageFrom(sse, 'wendy', 'over a WebSocket').waitFor();
    await messageFrom(poll, 'wendy', 'over a WebSocket').waitFor();
  } finally {
    for (const page of [web, sse, poll]) await page.context().close();
  }
  // the tunnels' sessions end after their grace period: their nicks are not checked here
  assert.deepEqual(pageErrors.slice(errorsBefore), [], 'no script errors in the pages');
});

// The WebSocket dies under the page (no quit): the client reconnects, resumes its session and
// shows what was said meanwhile, once; the others never see it leave.
test('a lost WebSocket resumes and the missed messages arrive', async () => {
  const errorsBefore = pageErrors.length;
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  // keep every WebSocket the page opens, so the test can break the current one
  await context.addInitScript(() => {
    const Native = window.WebSocket;
    window.__sockets = [];
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        window.__sockets.push(this);
      }
    };
  });
  const rita = await context.newPage();
  rita.setDefaultTimeout(15000);
  rita.on('pageerror', (e) => pageErrors.push(`rita: ${e.message}`));
  await rita.goto(BASE);
  await rita.locator('#connection-status[data-state="open"]').waitFor();
  const tom = await openPage('tom');
  try {
    await join(rita, 'rita');
    await joined(rita);
    await join(tom, 'tom');
    await joined(tom);
    await member(rita, 'tom').waitFor();
    await send(tom, 'before the break');
    await messageFrom(rita, 'tom', 'before the break').waitFor();
    // break the socket and hold the reconnection back until tom has spoken
    await rita.evaluate(() => {
      window.__held = window.WebSocket;
      window.WebSocket = class { constructor() { throw new Error('offline'); } };
      window.__sockets.at(-1).close();
    });
    await rita.locator('#connection-status[data-state="waiting"]').waitFor();
    await send(tom, 'while rita was away 1');
    await send(tom, 'while rita was away 2');
    await messageFrom(tom, 'tom', 'while rita was away 2').waitFor();
    await rita.evaluate(() => { window.WebSocket = window.__held; });
    await rita.click('#retry-button');
    await messageFrom(rita, 'tom', 'while rita was away 2').waitFor();
    await rita.locator('#connection-status[data-state="open"]').waitFor();
    assert.equal(await messageFrom(rita, 'tom', 'while rita was away 1').count(), 1);
    assert.equal(await messageFrom(rita, 'tom', 'before the break').count(), 1, 'no duplicates');
    assert.equal(await rita.evaluate(() => window.__sockets.length), 2, 'one reconnection');
    await send(rita, 'back again');
    await messageFrom(tom, 'rita', 'back again').waitFor();
    const parted = tom.locator('#messages .system-line').filter({ hasText: /rita (left|disconnected)/ });
    assert.equal(await parted.count(), 0, 'tom never saw rita go');
  } finally {
    await context.close();
    await tom.context().close();
  }
  assert.deepEqual(pageErrors.slice(errorsBefore), [], 'no script errors in the pages');
});

// The page, its WebSocket (wss) and the SSE fallback over HTTPS on one TLS listener, in a browser
// that accepts the test's self-signed certificate.
test('over HTTPS the client chats over wss and falls back to SSE', { skip: !TLS_BASE && 'no PARLEY_TLS_URL' }, async () => {
  const tlsBrowser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'],
  });
  const errors = [];
  async function open(who, init) {
    const context = await tlsBrowser.newContext({ viewport: { width: 1280, height: 760 } });
    if (init) await context.addInitScript(init);
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => errors.push(`${who}: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`${who}: console: ${m.text()}`));
    const response = await page.goto(TLS_BASE);
    assert.match(response.headers()['strict-transport-security'] ?? '', /^max-age=\d+$/);
    await page.locator('#connection-status[data-state="open"]').waitFor();
    return page;
  }
  try {
    const tina = await open('tina');
    const theo = await open('theo');
    const stella = await open('stella', () => { delete window.WebSocket; });
    assert.equal(await tina.evaluate(() => location.protocol), 'https:');
    assert.equal(await tina.getAttribute('#connection-status', 'title'), 'Connected over WebSocket');
    assert.equal(await stella.getAttribute('#connection-status', 'title'), 'Connected over SSE');
    for (const [page, nick] of [[tina, 'tina'], [theo, 'theo'], [stella, 'stella']]) {
      await join(page, nick);
      await joined(page);
    }
    await member(tina, 'stella').waitFor();
    await send(tina, 'hello over wss');
    await messageFrom(theo, 'tina', 'hello over wss').waitFor();
    await messageFrom(stella, 'tina', 'hello over wss').waitFor();
    await send(stella, 'and over SSE on https');
    await messageFrom(tina, 'stella', 'and over SSE on https').waitFor();
  } finally {
    await tlsBrowser.close();
  }
  assert.deepEqual(errors, [], 'no script errors in the pages');
});

test('a chat group under /g/NAME/ is its own chat server', async () => {
  const errorsBefore = pageErrors.length;
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => pageErrors.push(`acme: ${e.message}`));
  await page.goto(new URL('g/acme/', BASE).href);
  await page.locator('#connection-status[data-state="open"]').waitFor();
  // the nickname alice is taken in the default group above, not here
  await page.locator('#login-room option[value="support"]').waitFor({ state: 'attached' });
  await page.selectOption('#login-room', 'support');
  await join(page, 'alice');
  await joined(page, 'support');
  await page.locator('#room-list [data-room="support"]').waitFor();
  assert.equal(await page.locator('#room-list [data-room="lobby"]').count(), 0,
    "the default group's lobby is not listed in acme");
  await send(page, 'hello acme');
  await messageFrom(page, 'alice', 'hello acme').waitFor();
  await context.close();
  assert.deepEqual(pageErrors.slice(errorsBefore), [], 'no script errors in the group page');
});

test('the administration page manages folders, rooms, access lists, user groups, the word list and chat groups, and shows the status', async (t) => {
  const errorsBefore = pageErrors.length;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => pageErrors.push(`admin: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && !/status of 401/.test(m.text()) &&
    pageErrors.push(`admin: console: ${m.text()}`));
  await page.goto(new URL('admin.html', BASE).href);
  // The REST API as the panels should have left it.
  const adminGet = async (path) => {
    const res = await page.request.get(new URL(`api/v1/admin/${path}`, BASE).href,
      { headers: { Authorization: 'Bearer e2e-admin-token' } });
    assert.equal(res.status(), 200, `GET ${path}: ${await res.text()}`);
    return res.json();
  };
  const roomOf = async (name) => (await (await page.request.get(new URL(`api/v1/rooms/${name}`, BASE).href)).json()).room;
  const folderPaths = (node) => [node.path, ...node.folders.flatMap(folderPaths)];
  const notice = (text) => page.locator('#toasts .toast.notice').filter({ hasText: text }).last().waitFor();
  const tab = (name) => page.click(`.admin-tabs button[data-panel="${name}"]`);
  const byWho = (a, b) => a.who.localeCompare(b.who);

  await t.test('a wrong token is refused', async () => {
    await page.fill('#signin-token', 'wrong');
    await page.click('#signin-form button[type="submit"]');
    await page.locator('#signin-error').filter({ hasText: /token/ }).waitFor();
    assert.equal(await page.locator('#admin-panels').isHidden(), true);
  });

  await t.test('the admin token opens the panels on the folder tree', async () => {
    await page.fill('#signin-token', 'e2e-admin-token');
    await page.click('#signin-form button[type="submit"]');
    await page.locator('#tree-body tr.folder-row[data-folder="/"]').waitFor();
    await page.locator('#tree-body tr.room-row[data-room="lobby"]').waitFor();
  });

  await t.test('a folder is created and a room made in it and edited', async () => {
    await page.fill('#folder-form input[name="path"]', '/events');
    await page.click('#folder-form button[type="submit"]');
    await page.locator('#tree-body tr.folder-row[data-folder="/events"]').waitFor();
    assert.ok(folderPaths((await adminGet('folders')).folder).includes('/events'));

    await page.click('#tree-body tr[data-folder="/events"] .folder-new-room');
    assert.equal(await page.inputValue('#room-form select[name="folder"]'), '/events');
    await page.fill('#room-form input[name="name"]', 'gallery');
    await page.fill('#room-form input[name="title"]', 'Gallery');
    await page.click('#room-form button[type="submit"]');
    const row = page.locator('#tree-body tr.room-row[data-room="gallery"]');
    await row.waitFor();
    // shown under its folder
    const order = await page.$$eval('#tree-body tr', (rows) => rows.map((r) => r.dataset.folder ?? r.dataset.room));
    assert.equal(order[order.indexOf('gallery') - 1], '/events');
    assert.equal((await roomOf('gallery')).folder, '/events');

    await row.locator('.room-edit').click();
    await row.locator('input[name="topic"]').fill('Pictures only');
    await row.locator('input[name="capacity"]').fill('12');
    await row.locator('input[name="moderated"]').check();
    await row.locator('.room-save').click();
    await page.locator('#tree-body tr.room-row:not(.editing)[data-room="gallery"]').filter({ hasText: 'Pictures only' }).waitFor();
    const room = await roomOf('gallery');
    assert.deepEqual([room.title, room.topic, room.capacity, room.moderated], ['Gallery', 'Pictures only', 12, true]);
  });

  await t.test('a folder is moved with its rooms; empty ones are deleted', async () => {
    const events = page.locator('#tree-body tr[data-folder="/events"]');
    assert.equal(await events.locator('.folder-delete').isDisabled(), true, 'a folder with a room cannot be deleted');
    await events.locator('.folder-rename').click();
    await events.locator('input[name="path"]').fill('/shows');
    await events.locator('.folder-save').click();
    await page.locator('#tree-body tr.folder-row[data-folder="/shows"]').waitFor();
    assert.equal((await roomOf('gallery')).folder, '/shows');

    await page.fill('#folder-form input[name="path"]', '/scratch');
    await page.click('#folder-form button[type="submit"]');
    const scratch = page.locator('#tree-body tr.folder-row[data-folder="/scratch"]');
    await scratch.waitFor();
    page.once('dialog', (d) => d.accept());
    await scratch.locator('.folder-delete').click();
    await scratch.waitFor({ state: 'detached' });
    assert.ok(!folderPaths((await adminGet('folders')).folder).includes('/scratch'));

    await page.fill('#room-form input[name="name"]', 'spare');
    await page.click('#room-form button[type="submit"]');
    const spare = page.locator('#tree-body tr.room-row[data-room="spare"]');
    await spare.waitFor();
    page.once('dialog', (d) => d.accept());
    await spare.locator('.room-delete').click();
    await spare.waitFor({ state: 'detached' });
    const res = await page.request.get(new URL('api/v1/rooms/spare', BASE).href);
    assert.equal(res.status(), 404);
    await page.evaluate(() => document.querySelector('#toasts').replaceChildren());
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-admin.png'), fullPage: true });
  });

  let gwen;
  await t.test("a room's access list makes it read-only for guests, then hides it", async () => {
    await tab('acl');
    await page.selectOption('#acl-object', 'room:gallery');
    await page.locator('#acl-status[data-state="inherits"][data-from=""]').filter({ hasText: 'room gallery' }).waitFor();
    await page.click('#acl-add');
    await page.selectOption('#acl-body tr:nth-child(1) select[name="who"]', 'guests');
    await page.selectOption('#acl-body tr:nth-child(1) select[name="right"]', 'read_only');
    await page.click('#acl-add');
    await page.selectOption('#acl-body tr:nth-child(2) select[name="who"]', 'registered');
    await page.selectOption('#acl-body tr:nth-child(2) select[name="right"]', 'participant');
    await page.click('#acl-add');
    await page.fill('#acl-body tr:nth-child(3) input[name="name"]', 'erin');
    await page.selectOption('#acl-body tr:nth-child(3) select[name="right"]', 'host');
    await page.click('#acl-save');
    await page.locator('#acl-status[data-state="own"]').waitFor();
    assert.equal(await page.locator('#acl-body tr').count(), 3);
    const { acl } = await adminGet('acl/room/gallery');
    assert.deepEqual(acl.sort(byWho), [
      { who: 'guests', right: 'read_only' },
      { who: 'registered', right: 'participant' },
      { who: 'user', name: 'erin', right: 'host' },
    ]);
    await page.evaluate(() => document.querySelector('#toasts').replaceChildren());
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-admin-acl.png'), fullPage: true });

    // A guest sees the room marked read-only and enters it as a lurker.
    gwen = await openPage('gwen');
    await join(gwen, 'gwen');
    await joined(gwen);
    const listed = gwen.locator('#room-list [data-room="gallery"]');
    await listed.locator('.tag-read-only').waitFor();
    await listed.locator('.room-open').click();
    await gwen.locator('#room-tabs [data-tab="gallery"].active').waitFor();
    await gwen.locator('#lurk-notice[data-right="read_only"]').waitFor();
    assert.ok(await gwen.locator('#message-input').isDisabled());
    assert.equal(await gwen.locator('#unlurk-button').isHidden(), true);

    // none: the room is taken from the guest at once and no longer listed.
    await page.selectOption('#acl-body tr:nth-child(1) select[name="right"]', 'none');
    await page.click('#acl-save');
    await notice('Access list of room gallery saved');
    assert.deepEqual((await adminGet('acl/room/gallery')).acl.find((e) => e.who === 'guests'), { who: 'guests', right: 'none' });
    await gwen.locator('#room-tabs [data-tab="gallery"]').waitFor({ state: 'detached' });
    await listed.waitFor({ state: 'detached' });
  });

  await t.test('a table inherits from its room, a room from its folder', async () => {
    await page.fill('#acl-table', '2');
    await page.press('#acl-table', 'Enter');
    await page.locator('#acl-status[data-state="inherits"][data-from="room/gallery"]').waitFor();
    assert.match(await page.textContent('#acl-inherited'), /guests: none/);
    assert.equal((await adminGet('acl/room/gallery/table/2')).acl, null);
    await page.fill('#acl-table', '');
    await page.press('#acl-table', 'Enter');
    await page.locator('#acl-status[data-state="own"]').waitFor();
    page.once('dialog', (d) => d.accept());
    await page.click('#acl-remove');
    await page.locator('#acl-status[data-state="inherits"][data-from=""]').waitFor();
    assert.equal((await adminGet('acl/room/gallery')).acl, null);

    await page.selectOption('#acl-object', 'folder:/shows');
    await page.locator('#acl-status[data-state="inherits"]').filter({ hasText: 'folder /shows' }).waitFor();
    await page.click('#acl-add');
    await page.selectOption('#acl-body tr:nth-child(1) select[name="who"]', 'guests');
    await page.selectOption('#acl-body tr:nth-child(1) select[name="right"]', 'read_only');
    await page.click('#acl-save');
    await page.locator('#acl-status[data-state="own"]').filter({ hasText: 'folder /shows' }).waitFor();
    await page.selectOption('#acl-object', 'room:gallery');
    await page.locator('#acl-status[data-state="inherits"][data-from="folder/shows"]').waitFor();
    assert.deepEqual((await adminGet('acl/folder/shows')).acl, [{ who: 'guests', right: 'read_only' }]);
    // A user entry without a name is refused before asking the server.
    await page.click('#acl-add');
    await page.click('#acl-save');
    await page.locator('#toasts .toast[data-code="invalid"]').filter({ hasText: 'needs a name' }).waitFor();
    assert.equal((await adminGet('acl/room/gallery')).acl, null);
    await gwen.context().close();
  });

  await t.test('a user group is created, changed and deleted', async () => {
    await tab('usergroups');
    await page.fill('#usergroup-form input[name="name"]', 'staff');
    await page.fill('#usergroup-form textarea[name="members"]', 'erin, ann\nbob\n');
    await page.click('#usergroup-form button[type="submit"]');
    const row = page.locator('#usergroups-body tr[data-user-group="staff"]');
    await row.filter({ hasText: 'bob' }).waitFor();
    let group = (await adminGet('user-groups')).groups.find((g) => g.name === 'staff');
    assert.deepEqual(group.members.sort(), ['ann', 'bob', 'erin']);
    await row.locator('.usergroup-edit').click();
    assert.equal(await page.inputValue('#usergroup-form input[name="name"]'), 'staff');
    await page.fill('#usergroup-form textarea[name="members"]', 'erin');
    await page.click('#usergroup-form button[type="submit"]');
    await row.filter({ hasNotText: 'bob' }).waitFor();
    group = (await adminGet('user-groups')).groups.find((g) => g.name === 'staff');
    assert.deepEqual(group.members, ['erin']);
    await page.evaluate(() => document.querySelector('#toasts').replaceChildren());
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-admin-usergroups.png'), fullPage: true });
    page.once('dialog', (d) => d.accept());
    await row.locator('.usergroup-delete').click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await adminGet('user-groups')).groups.some((g) => g.name === 'staff'), false);
  });

  await t.test('guests are switched off for the group, then back to the configuration', async () => {
    await tab('settings');
    const allow = page.locator('#settings-form input[name="allow_guests"]');
    await page.locator('#settings-form [data-setting="allow_guests"][data-source="config"]').waitFor();
    assert.equal(await allow.isChecked(), true);
    assert.equal(await page.inputValue('#settings-form select[name="guests"]'), 'participant');
    await allow.uncheck();
    page.once('dialog', (d) => d.accept());
    await page.click('#settings-form button[type="submit"]');
    await page.locator('#settings-form [data-setting="allow_guests"][data-source="admin"]').waitFor();
    const settings = await adminGet('settings');
    assert.equal(settings.allow_guests, false);
    assert.deepEqual(settings.overridden, ['allow_guests']);
    await page.evaluate(() => document.querySelector('#toasts').replaceChildren());
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-admin-guests.png'), fullPage: true });
    const guest = await openPage('ursula');
    await join(guest, 'ursula');
    await guest.locator('#login-error[data-code="guests_not_allowed"]').waitFor();
    await guest.context().close();
    await page.click('#settings-form [data-setting="allow_guests"] .setting-reset');
    await page.locator('#settings-form [data-setting="allow_guests"][data-source="config"]').waitFor();
    assert.equal(await allow.isChecked(), true);
    assert.deepEqual(await adminGet('settings'),
      { allow_guests: true, registered: 'participant', guests: 'participant', overridden: [] });
  });

  await t.test('the word list is saved and reset', async () => {
    await page.click('.admin-tabs button[data-panel="words"]');
    await page.fill('#words-text', 'fiddlesticks\n  drat  \n');
    await page.click('#words-form button[type="submit"]');
    await page.locator('#words-source[data-source="admin"]').waitFor();
    assert.equal(await page.inputValue('#words-text'), 'fiddlesticks\ndrat');
    await page.click('#words-reset');
    await page.locator('#words-source[data-source="config"]').waitFor();
  });

  await t.test('a chat group is created, gets a lobby and is deleted', async () => {
    await page.click('.admin-tabs button[data-panel="groups"]');
    await page.locator('#groups-body tr[data-group="acme"]').waitFor();
    await page.fill('#group-form input[name="name"]', 'beta');
    await page.fill('#group-form input[name="hosts"]', 'beta.example, chat.beta.example');
    await page.click('#group-form button[type="submit"]');
    const row = page.locator('#groups-body tr[data-group="beta"]');
    await row.waitFor();
    assert.equal(await row.locator('input').inputValue(), 'beta.example, chat.beta.example');
    const res = await page.request.get(new URL('g/beta/api/v1/rooms', BASE).href);
    assert.deepEqual((await res.json()).rooms.map((r) => r.name), ['lobby']);
    await page.evaluate(() => document.querySelector('#toasts').replaceChildren());
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-admin-groups.png') });
    page.once('dialog', (d) => d.accept());
    await row.locator('.group-delete').click();
    await row.waitFor({ state: 'detached' });
  });

  await t.test('the status panel shows the snapshot and two charts, and refreshes itself', async () => {
    await tab('status');
    const lobbyUsers = page.locator('#status-body tr.status-room[data-name="lobby"] td.num').first();
    await lobbyUsers.waitFor();
    const before = Number(await lobbyUsers.textContent());
    assert.equal(await page.locator('#status-summary .status-figure').count(), 5);
    for (const id of ['#status-chart-users', '#status-chart-mpm']) {
      const line = page.locator(`${id} svg polyline`);
      await line.waitFor({ state: 'attached' }); // a flat line has no height
      // the group's first sample and the snapshot itself at least
      const points = (await line.getAttribute('points')).trim().split(/\s+/);
      assert.ok(points.length >= 2, `${id}: ${points}`);
      assert.equal(await page.locator(`${id} svg circle`).count(), 1);
    }
    // someone comes in and speaks: the open panel shows it without being touched
    const zoe = await openPage('zoe');
    await join(zoe, 'zoe');
    await joined(zoe);
    await send(zoe, 'status check');
    await messageFrom(zoe, 'zoe', 'status check').waitFor();
    await page.waitForFunction((n) => Number(document.querySelector(
      '#status-body tr.status-room[data-name="lobby"] td.num').textContent) > n, before, { timeout: 20000 });
    const mpm = Number(await page.locator('#status-body tr.status-room[data-name="lobby"] td.num').last().textContent());
    assert.ok(mpm >= 1, `lobby messages per minute ${mpm}`);
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-admin-status.png'), fullPage: true });
    await zoe.context().close();
  });

  await context.close();
  assert.deepEqual(pageErrors.slice(errorsBefore), [], 'no script errors in the admin page');
});

test('host controls show only to hosts, and a host broadcasts and edits', async (t) => {
  const errorsBefore = pageErrors.length;
  const admin = async (method, path, data) => {
    const context = await browser.newContext();
    const res = await context.request.fetch(new URL(`api/v1/admin/${path}`, BASE).href, {
      method, data, headers: { Authorization: 'Bearer e2e-admin-token' },
    });
    assert.ok(res.ok(), `${method} ${path}: ${res.status()} ${await res.text()}`);
    await context.close();
  };
  // A room whose table 1 is for hosts (every guest at it) and table 2 for participants.
  await admin('POST', 'rooms', { name: 'stage', title: 'Stage', capacity: 1 });
  await admin('PUT', 'acl/room/stage', { acl: [{ who: 'guests', right: 'host' }] });
  await admin('PUT', 'acl/room/stage/table/2', { acl: [{ who: 'guests', right: 'participant' }] });
  const hana = await openPage('hana');
  const pete = await openPage('pete');
  for (const [page, nick] of [[hana, 'hana'], [pete, 'pete']]) {
    await page.locator('#login-room option[value="stage"]').waitFor({ state: 'attached' });
    await page.selectOption('#login-room', 'stage');
    await join(page, nick);
    await joined(page, 'stage');
  }

  await t.test('the host sees the controls, the participant does not', async () => {
    await hana.locator('#host-tools').waitFor();
    assert.equal(await pete.locator('#host-tools').isHidden(), true);
    assert.equal(await pete.locator('.member-eject').count(), 0);
  });

  await t.test('a broadcast reaches the other table, shown apart', async () => {
    hana.once('dialog', (d) => d.accept('the show starts now'));
    await hana.click('#host-broadcast');
    const line = pete.locator('#messages .message.broadcast').filter({ hasText: 'the show starts now' });
    await line.waitFor();
    assert.match(await line.textContent(), /hana/);
  });

  await t.test("the room's topic changes for everyone in it", async () => {
    hana.once('dialog', (d) => d.accept('Tonight: the show'));
    await hana.click('#host-topic');
    await pete.locator('#room-topic').filter({ hasText: 'Tonight: the show' }).waitFor();
  });

  await t.test('the stage: a banner shown as text, a link image beside the chat', async () => {
    const banner = '<img src=x onerror="window.hacked=1"><b>Live</b> & more';
    hana.once('dialog', (d) => d.accept(banner));
    await hana.click('#host-banner');
    const shown = pete.locator('#stage-banner');
    await shown.filter({ hasText: 'Live' }).waitFor();
    assert.equal(await shown.textContent(), banner, 'the HTML-looking banner is shown literally');
    assert.equal(await shown.locator('*').count(), 0, 'no elements made from the banner');
    const picture = new URL('favicon.svg', BASE).href; // an image the test server has
    const answers = [picture, 'Our guest'];
    const onDialog = (d) => d.accept(answers.shift());
    hana.on('dialog', onDialog);
    await hana.click('#host-link');
    const img = pete.locator('#stage-side img.stage-image');
    await img.waitFor({ state: 'attached' });
    hana.off('dialog', onDialog);
    assert.equal(await img.getAttribute('src'), picture);
    await pete.waitForFunction(() => document.querySelector('#stage-side img')?.naturalWidth > 0);
    assert.equal(await pete.textContent('#stage-side .stage-caption'), 'Our guest');
    // a late entrant gets the stage with its enter result
    const lena = await openPage('lena');
    await lena.locator('#login-room option[value="stage"]').waitFor({ state: 'attached' });
    await lena.selectOption('#login-room', 'stage');
    await join(lena, 'lena');
    await joined(lena, 'stage');
    assert.equal(await lena.locator('#stage-banner').textContent(), banner);
    await lena.locator('#stage-side img.stage-image').waitFor({ state: 'attached' });
    assert.equal(await pete.evaluate(() => window.hacked), undefined);
    await lena.context().close();
  });

  await t.test('a host records the table, then plays it back: played messages are marked', async () => {
    const title = '<b>rehearsal</b>';
    hana.once('dialog', (d) => d.accept(title));
    await hana.click('#host-record');
    await hana.locator('#rec-indicator').waitFor();
    assert.equal(await pete.locator('#rec-indicator').isHidden(), true, 'pete is at another table');
    for (const text of ['first take', 'second take']) {
      await send(hana, text);
      await hana.locator('#messages .message').filter({ hasText: text }).waitFor();
    }
    await hana.click('#host-record'); // now "Stop recording"
    await hana.locator('#rec-indicator').waitFor({ state: 'hidden' });
    await hana.click('#host-recordings');
    const item = hana.locator('#recordings-list .recording-item').filter({ hasText: title });
    await item.waitFor();
    assert.equal(await item.locator('.rec-name').textContent(), title, 'the title is shown as text');
    assert.match(await item.locator('.rec-meta').textContent(), /^2 messages/);
    await hana.fill('#play-speed', '4');
    await item.locator('.rec-play').click();
    const played = hana.locator('#messages .message.playback');
    await played.filter({ hasText: 'second take' }).waitFor();
    assert.deepEqual(await played.locator('.text').allTextContents(), ['first take', 'second take']);
    assert.equal(await played.first().locator('.replay-badge').textContent(), 'replay');
    assert.equal(await hana.locator('#messages .message:not(.playback)').filter({ hasText: 'first take' }).count(), 1);
    await hana.locator('#messages .system-line').filter({ hasText: 'The replay finished' }).waitFor();
    await hana.locator('#play-indicator').waitFor({ state: 'hidden' });
    await hana.click('#recordings-close');
  });

  await t.test('losing host rights hides the controls at once', async () => {
    await admin('PUT', 'acl/room/stage', { acl: [{ who: 'guests', right: 'participant' }] });
    await hana.locator('#host-tools').waitFor({ state: 'hidden' });
  });

  await hana.context().close();
  await pete.context().close();
  assert.deepEqual(pageErrors.slice(errorsBefore), [], 'no script errors in the host test');
});

test('register, come back logged in, log out', async () => {
  const erin = await openPage('erin');
  await erin.check('input[name="mode"][value="register"]');
  await erin.locator('#account-fields').waitFor();
  assert.equal(await erin.locator('#guest-fields').isHidden(), true);
  await erin.fill('#account-name', 'erin');
  await erin.fill('#account-email', 'erin@example.org');
  await erin.fill('#account-password', 'correct horse');
  await erin.click('#join-button');
  await joined(erin);
  assert.equal(await erin.locator('#me-nick').textContent(), 'erin');
  assert.equal(await erin.locator('#admin-link').isHidden(), true, 'no Administration link for a non-sysop');
  // A new account is provisional: the banner asks for the code from the mail.
  await erin.locator('#validate-banner').waitFor();
  await erin.fill('#validate-code', '000000');
  await erin.click('#validate-banner button[type="submit"]');
  await erin.locator('#toasts').filter({ hasText: 'wrong' }).waitFor();
  // The browser logs the refused request (400) as a console error: that one is expected.
  const expected = pageErrors.findIndex((e) => e.startsWith('erin: console: Failed to load resource') && e.includes('400'));
  if (expected >= 0) pageErrors.splice(expected, 1);

  // The token stays in the browser: a reload joins as the account without a password.
  assert.ok(await erin.evaluate(() => localStorage.getItem('parley.token:/')));
  await erin.reload();
  await erin.locator('#account-signed').waitFor();
  assert.equal(await erin.locator('#account-who').textContent(), 'erin');
  await erin.click('#join-button');
  await joined(erin);
  assert.equal(await erin.locator('#me-nick').textContent(), 'erin');

  // Logging out forgets the token: the join card offers the choice again.
  await erin.click('#logout-button');
  await erin.locator('#account-modes').waitFor();
  assert.equal(await erin.evaluate(() => localStorage.getItem('parley.token:/')), null);
  // Logging in again with the password works.
  await erin.locator('#connection-status[data-state="open"]').waitFor();
  await erin.check('input[name="mode"][value="login"]');
  await erin.fill('#account-name', 'erin');
  await erin.fill('#account-password', 'correct horse');
  await erin.click('#join-button');
  await joined(erin);
  await erin.context().close();
  assert.deepEqual(pageErrors, [], 'no script errors in the pages');
});

test('the sysop signs in to the administration page with the one-time password', async () => {
  const log = readFileSync(process.env.PARLEY_LOG, 'utf8');
  const oneTime = log.match(/auth\[default\]: no sysop account existed: created 'sysop' with the one-time password (\S+)/)[1];
  const errorsBefore = pageErrors.length;
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => pageErrors.push(`sysop: ${e.message}`));
  await page.goto(new URL('admin.html', BASE).href);
  await page.fill('#sysop-name', 'sysop');
  await page.fill('#sysop-password', oneTime);
  await page.click('#sysop-form button[type="submit"]');
  await page.locator('#sysop-change').waitFor();
  await page.fill('#sysop-new', 'my own sysop password');
  await page.click('#sysop-change button[type="submit"]');
  await page.locator('#admin-panels').waitFor();
  await page.locator('#tab-groups').waitFor(); // the default group's sysops manage chat groups
  await page.click('.admin-tabs button[data-panel="banned"]');
  await page.fill('#banned-form input[name="pattern"]', 'spam.example');
  await page.click('#banned-form button[type="submit"]');
  await page.locator('#banned-list li[data-pattern="spam.example"]').waitFor();
  const res = await page.request.post(new URL('api/v1/auth/register', BASE).href,
    { data: { name: 'spammer', email: 'x@mail.spam.example', password: 'long enough' } });
  assert.equal(res.status(), 403);
  await page.locator('#banned-list li[data-pattern="spam.example"] button').click();
  await page.locator('#banned-list li[data-pattern="spam.example"]').waitFor({ state: 'detached' });

  // In the chat the sysop gets the Administration link (erin, a plain account, did not).
  const chat = await openPage('sysop-chat');
  await chat.check('input[name="mode"][value="login"]');
  await chat.fill('#account-name', 'sysop');
  await chat.fill('#account-password', 'my own sysop password');
  await chat.click('#join-button');
  await joined(chat);
  await chat.locator('#admin-link').waitFor();
  assert.equal(new URL(await chat.locator('#admin-link').evaluate((a) => a.href)).pathname, '/admin.html');

  // The sysop (a host everywhere) ejects a guest with a ban; the Bans panel lifts it.
  const mallory = await openPage('mallory');
  await join(mallory, 'mallory');
  await joined(mallory);
  await member(chat, 'mallory').locator('.member-eject').waitFor();
  chat.once('dialog', (d) => d.accept('10'));
  await member(chat, 'mallory').locator('.member-eject').click();
  await mallory.locator('#toasts .toast.notice').filter({ hasText: 'sysop ejected you' }).waitFor();
  await mallory.context().close();
  await page.click('.admin-tabs button[data-panel="bans"]');
  const ban = page.locator('#bans-body tr[data-who="nick:mallory"][data-room="lobby"]');
  await ban.waitFor();
  assert.match(await ban.textContent(), /mallory.*lobby.*whole room.*sysop/s);
  await page.evaluate(() => document.querySelector('#toasts').replaceChildren());
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-admin-bans.png'), fullPage: true });
  await ban.locator('.ban-lift').click();
  await ban.waitFor({ state: 'detached' });
  await page.locator('#bans-empty').waitFor();
  const bans = await (await page.request.get(new URL('api/v1/admin/bans', BASE).href,
    { headers: { Authorization: 'Bearer e2e-admin-token' } })).json();
  assert.deepEqual(bans.bans, []);
  // Lifted: the same guest (same nickname, same address) may enter the lobby again.
  const back = await openPage('mallory again');
  await join(back, 'mallory');
  await joined(back);
  await back.context().close();
  await chat.context().close();
  await context.close();
  assert.deepEqual(pageErrors.slice(errorsBefore), [], 'no script errors in the admin page');
});

test('a hosted event: stage above, audience tables below, a monitor forwards a question the host puts on stage', async (t) => {
  const errorsBefore = pageErrors.length;
  const request = async (method, path, data, auth = 'e2e-admin-token') => {
    const context = await browser.newContext();
    const res = await context.request.fetch(new URL(path, BASE).href, {
      method, data, headers: auth ? { Authorization: `Bearer ${auth}` } : {},
    });
    const body = res.status() === 204 ? null : await res.json();
    assert.ok(res.ok(), `${method} ${path}: ${res.status()} ${JSON.stringify(body)}`);
    await context.close();
    return body;
  };
  // The speaker, host and monitor are accounts named in the event's roles.
  for (const name of ['ada', 'hester', 'mona']) {
    await request('POST', 'api/v1/auth/register', { name, email: `${name}@example.org`, password: 'event password' }, null);
  }
  await request('POST', 'api/v1/admin/events', {
    name: 'talk', title: 'Ask Ada', audience_capacity: 1, speakers: ['ada'], hosts: ['hester'], monitors: ['mona'],
  });

  async function signIn(who) {
    const page = await openPage(who);
    await page.check('input[name="mode"][value="login"]');
    await page.fill('#account-name', who);
    await page.fill('#account-password', 'event password');
    await page.click('#join-button');
    await joined(page);
    return page;
  }
  async function joinEvent(page) {
    const button = page.locator('#event-list [data-join-event="talk"]');
    await button.waitFor();
    await button.click();
    await page.locator('#event-bar').waitFor();
  }
  const ada = await signIn('ada');
  const hester = await signIn('hester');
  const mona = await signIn('mona');
  const gina = await openPage('gina');
  const gabe = await openPage('gabe');
  for (const [page, nick] of [[gina, 'gina'], [gabe, 'gabe']]) {
    await join(page, nick);
    await joined(page);
  }

  await t.test('each joins in their role: the audience at their own table, the stage read-only above', async () => {
    for (const page of [ada, hester, mona, gina, gabe]) await joinEvent(page);
    assert.equal(await gina.textContent('#event-role'), 'audience');
    assert.equal(await ada.textContent('#event-role'), 'speaker');
    assert.equal(await mona.textContent('#event-role'), 'monitor');
    assert.equal(await hester.textContent('#event-role'), 'host');
    // audience_capacity 1: gina and gabe sit at two audience tables
    await gina.locator('#room-tabs [data-tab="talk-audience"].active').waitFor();
    await gina.locator('#event-stage').waitFor();
    assert.equal(await gina.locator('#event-stage-composer').isHidden(), true, 'no stage composer for the audience');
    assert.equal(await gina.locator('#event-monitor').isHidden(), true, 'no monitor view for the audience');
    assert.equal(await gina.locator('#event-end').isHidden(), true);
    await hester.locator('#event-end').waitFor();
    await mona.locator('#event-monitor').waitFor();
  });

  await t.test('the speaker talks on stage and the audience reads it above its table', async () => {
    await ada.locator('#event-stage-composer').waitFor();
    await ada.fill('#event-stage-input', 'Hello everyone, ask me anything');
    await ada.press('#event-stage-input', 'Enter');
    for (const page of [gina, gabe, hester]) {
      await page.locator('#event-stage-log .message[data-nick="ada"]').filter({ hasText: 'ask me anything' }).waitFor();
    }
  });

  await t.test('a question at an audience table reaches the monitor view, is forwarded backstage and put on stage', async () => {
    await send(gina, 'Which engine came first?');
    await messageFrom(gina, 'gina', 'Which engine came first?').waitFor();
    // gabe sits at the other table: he does not get it
    const card = mona.locator('#event-monitor .monitor-table .message[data-nick="gina"]').filter({ hasText: 'Which engine' });
    await card.waitFor();
    assert.equal(await mona.locator('#event-monitor .monitor-table').count(), 2, 'both audience tables are watched');
    await mona.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-monitor.png') });
    await card.locator('.forward-backstage').click();
    const question = hester.locator('#messages .message.question[data-asked-by="gina"]');
    await question.waitFor();
    assert.match(await question.textContent(), /gina asks: Which engine came first\?/);
    await question.locator('.forward-stage').click();
    for (const page of [gina, gabe, ada]) {
      await page.locator('#event-stage-log .message.question[data-asked-by="gina"]').filter({ hasText: 'gina asks:' }).waitFor();
    }
    assert.equal(await gabe.locator('#messages .message[data-nick="gina"]').count(), 0, 'table talk stays at its table');
    await gina.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-event.png') });
  });

  await t.test('the host announces to every audience table, then ends the event for everyone', async () => {
    hester.once('dialog', (d) => d.accept('Five minutes left'));
    await hester.click('#event-broadcast');
    for (const page of [gina, gabe]) {
      await page.locator('#messages .message.broadcast').filter({ hasText: 'Five minutes left' }).waitFor();
    }
    hester.once('dialog', (d) => d.accept());
    await hester.click('#event-end');
    for (const page of [gina, gabe, ada, mona, hester]) {
      await page.locator('#toasts').filter({ hasText: 'Ask Ada has ended' }).waitFor();
      await page.locator('#event-bar').waitFor({ state: 'hidden' });
      assert.equal(await page.locator('#room-tabs [data-tab^="talk"]').count(), 0, 'out of the event rooms');
    }
  });

  for (const page of [ada, hester, mona, gina, gabe]) await page.context().close();
  assert.deepEqual(pageErrors.slice(errorsBefore), [], 'no script errors in the event test');
});

// A raw IRC client on the server's IRC listener: lines in and out, nothing interpreted.
class IrcClient {
  static WAIT_MS = 10000;
  #socket;
  #buffer = '';
  #pending = []; // lines read and not yet taken by expect()
  #wake = () => {};
  #closed = false;

  constructor(socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (data) => {
      this.#buffer += data;
      for (let end; (end = this.#buffer.indexOf('\r\n')) >= 0;) {
        this.#pending.push(this.#buffer.slice(0, end));
        this.#buffer = this.#buffer.slice(end + 2);
      }
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
  }

  static async registered(nick) {
    const socket = net.createConnection({ host: '127.0.0.1', port: Number(IRC_PORT) });
    await new Promise((ok, fail) => {
      socket.once('connect', ok);
      socket.once('error', fail);
    });
    const irc = new IrcClient(socket);
    irc.send(`NICK ${nick}`, 'USER u 0 * :E2E IRC user');
    await irc.expect((l) => / 001 /.test(l), 'welcome (001)');
    await irc.expect((l) => / (376|422) /.test(l), 'end of MOTD');
    return irc;
  }

  send(...lines) {
    this.#socket.write(lines.map((l) => `${l}\r\n`).join(''));
  }

  // The first pending or arriving line matching pred; lines before it stay pending. Waits at
  // most WAIT_MS.
  async expect(pred, what) {
    const deadline = Date.now() + IrcClient.WAIT_MS;
    for (;;) {
      const i = this.#pending.findIndex(pred);
      if (i >= 0) return this.#pending.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0 || this.#closed) {
        throw new Error(`IRC: no ${what}; pending: ${JSON.stringify(this.#pending.slice(-10))}`);
      }
      await new Promise((ok) => {
        const timer = setTimeout(ok, left);
        this.#wake = () => {
          clearTimeout(timer);
          ok();
        };
      });
    }
  }

  // Every line read so far that matches pred, after a PING round trip: what the server sent
  // before answering the PING has all arrived.
  async seen(pred) {
    const token = `barrier${Date.now()}`;
    this.send(`PING ${token}`);
    await this.expect((l) => / PONG /.test(l) && l.endsWith(token), `PONG ${token}`);
    return this.#pending.filter(pred);
  }

  close() {
    this.#socket.destroy();
  }
}

test('a web user changes nickname from the header and with /nick; web and IRC table-mates see it', { skip: !IRC_PORT && 'no PARLEY_IRC_PORT' }, async (t) => {
  const errorsBefore = pageErrors.length;
  const hana = await openPage('hana');
  const ivan = await openPage('ivan');
  let irc = null;
  const renamedAt = (page, from, to) => page.locator('#messages .system-line')
    .filter({ hasText: from }).filter({ hasText: `is now known as ${to}` });
  const nickLine = (from, to) => (l) => l === `:${from}!parley@parley NICK ${to}`;
  // a web user's line on IRC starts with their colour's mIRC code
  const privmsg = (from, text) => (l) => l.startsWith(`:${from}!parley@parley PRIVMSG #lobby :`) &&
    l.replace(/^[^:]*:[^:]*:(\x03\d\d)?/, '') === text;
  try {
    await t.test('two web users and an IRC user sit at one table', async () => {
      await join(hana, 'hana');
      await joined(hana);
      await join(ivan, 'ivan');
      await joined(ivan);
      irc = await IrcClient.registered('irma');
      irc.send('JOIN #lobby');
      await irc.expect((l) => l.startsWith(':irma!') && / JOIN /.test(l), 'JOIN #lobby');
      await irc.expect((l) => / 366 /.test(l), 'end of NAMES');
      for (const nick of ['ivan', 'irma']) await member(hana, nick).waitFor();
      await member(ivan, 'hana').waitFor();
    });

    await t.test('the header opens the nickname form, prefilled and focused', async () => {
      await hana.click('#colour-button');
      await hana.locator('#colour-popover').waitFor();
      assert.equal(await hana.getAttribute('#colour-button', 'aria-expanded'), 'true');
      assert.equal(await hana.inputValue('#rename-input'), 'hana');
      assert.equal(await hana.evaluate(() => document.activeElement.id), 'rename-input');
      assert.equal(await hana.locator('label[for="rename-input"]').textContent(), 'Nickname');
      await hana.keyboard.press('Escape');
      await hana.locator('#colour-popover').waitFor({ state: 'hidden' });
      assert.equal(await hana.getAttribute('#colour-button', 'aria-expanded'), 'false');
    });

    await t.test('hana renames with the form; ivan and the IRC user see it', async () => {
      await hana.click('#colour-button');
      await hana.fill('#rename-input', 'hanna');
      await hana.press('#rename-input', 'Enter');
      await hana.locator('#colour-popover').waitFor({ state: 'hidden' });
      await hana.locator('#me-nick', { hasText: 'hanna' }).waitFor();
      assert.equal(await hana.textContent('#me-nick'), 'hanna');
      await renamedAt(ivan, 'hana', 'hanna').waitFor();
      await member(ivan, 'hanna').waitFor();
      await member(ivan, 'hana').waitFor({ state: 'detached' });
      await member(hana, 'hanna').waitFor();
      await irc.expect(nickLine('hana', 'hanna'), 'NICK hanna');
      await send(hana, 'said as hanna');
      await messageFrom(ivan, 'hanna', 'said as hanna').waitFor();
      await irc.expect(privmsg('hanna', 'said as hanna'), 'PRIVMSG from hanna');
    });

    await t.test('a taken nickname is refused next to the field and the old one stays', async () => {
      await hana.click('#colour-button');
      await hana.fill('#rename-input', 'IVAN');
      await hana.click('#rename-button');
      const error = hana.locator('#rename-error');
      await error.waitFor();
      assert.equal(await error.getAttribute('data-code'), 'nick_taken');
      assert.equal(await error.getAttribute('role'), 'alert');
      assert.match(await error.textContent(), /already called “IVAN”/);
      assert.equal(await hana.getAttribute('#rename-input', 'aria-invalid'), 'true');
      assert.equal(await hana.textContent('#me-nick'), 'hanna');
      assert.ok(await hana.locator('#colour-popover').isVisible(), 'the form stays open');
      assert.deepEqual(await irc.seen((l) => / NICK /.test(l)), [], 'no NICK line for a refusal');
      await hana.fill('#rename-input', '9lives');
      await hana.press('#rename-input', 'Enter');
      await hana.locator('#rename-error[data-code="nick_invalid"]').waitFor();
      assert.match(await hana.textContent('#rename-error'), /cannot be a nickname: use 2–24 letters/);
      await hana.keyboard.press('Escape');
      await hana.locator('#colour-popover').waitFor({ state: 'hidden' });
      await member(ivan, 'hanna').waitFor();
    });

    await t.test('/nick in the composer renames too and is not sent as a message', async () => {
      await send(hana, '/nick hannah');
      await hana.locator('#me-nick', { hasText: 'hannah' }).waitFor();
      assert.equal(await hana.inputValue('#message-input'), '');
      await renamedAt(ivan, 'hanna', 'hannah').waitFor();
      await member(ivan, 'hannah').waitFor();
      await irc.expect(nickLine('hanna', 'hannah'), 'NICK hannah');
      // any other /word is text; the line after it shows nothing came in between
      await send(hana, '/shrug not a command');
      await messageFrom(ivan, 'hannah', '/shrug not a command').waitFor();
      await irc.expect(privmsg('hannah', '/shrug not a command'), 'PRIVMSG /shrug');
      assert.equal(await ivan.locator('#messages .message').filter({ hasText: '/nick' }).count(), 0);
      assert.deepEqual(await irc.seen((l) => l.includes('/nick')), []);
      // /nick alone opens the nickname form
      await send(hana, '/nick');
      await hana.locator('#colour-popover').waitFor();
      assert.equal(await hana.evaluate(() => document.activeElement.id), 'rename-input');
      assert.equal(await hana.inputValue('#rename-input'), 'hannah');
      await hana.keyboard.press('Escape');
      await hana.locator('#colour-popover').waitFor({ state: 'hidden' });
      assert.equal(await hana.inputValue('#message-input'), '');
    });

    await t.test('a refused /nick shows a toast and gives the text back', async () => {
      await send(hana, '/nick ivan');
      const toast = hana.locator('#toasts .toast[data-code="nick_taken"]');
      await toast.waitFor();
      assert.match(await toast.locator('.toast-message').textContent(), /already called “ivan”/);
      assert.equal(await hana.inputValue('#message-input'), '/nick ivan');
      assert.equal(await hana.textContent('#me-nick'), 'hannah');
      await hana.fill('#message-input', '');
    });
  } finally {
    irc?.close();
    await hana.context().close();
    await ivan.context().close();
  }
  assert.deepEqual(pageErrors.slice(errorsBefore), [], 'no script errors in the nickname test');
});
