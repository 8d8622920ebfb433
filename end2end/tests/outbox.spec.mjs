// The offline outbox under faults: a write leaves it only on a definitive answer, several tabs
// share it without losing or doubling a write, a full storage says so, and logging out never
// silently wipes what is waiting.
import { test, expect } from '@playwright/test';
import { PASSWORD, apiUser, hydrated, signUp } from './helpers.mjs';

// page.route does not see requests that a service worker handles; these tests need every
// server call to go through it.
test.use({ serviceWorkers: 'block' });

/** Writes a post through the editor while the browser is offline; returns its title. */
async function writeOffline(page, label) {
  await page.getByRole('link', { name: 'New post' }).click();
  await hydrated(page);
  const title = `${label} ${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Content').fill(`Written offline: ${label}.`);
  await page.getByRole('button', { name: 'Save' }).click();
  return title;
}

/** Makes the server answer the page's new posts with 503 until `recover()` is called. */
async function restartingServer(page) {
  let unavailable = true;
  await page.route('**/rpc/create_post', (route) => (unavailable
    ? route.fulfill({ status: 503, contentType: 'application/json', body: '"Unavailable"' })
    : route.continue()));
  return { recover: () => { unavailable = false; } };
}

/** How many posts with this exact title the server holds. */
async function storedCount(request, title) {
  const token = await apiUser(request);
  const response = await request.get(`/api/posts/?search=${encodeURIComponent(title)}&limit=100`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(response.status()).toBe(200);
  return (await response.json()).filter((item) => item.Post.title === title).length;
}

test('a write answered 503 stays queued, says so, and is sent once the server recovers', async ({ page, context, request }) => {
  await signUp(page);
  const server = await restartingServer(page);
  await context.setOffline(true);
  const title = await writeOffline(page, 'Through a restart');
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change');

  const refused = page.waitForResponse('**/rpc/create_post');
  await context.setOffline(false);
  expect((await refused).status()).toBe(503);
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change');
  await expect(page.getByTestId('outbox-pending')).toContainText('trying again');
  expect(await storedCount(request, title)).toBe(0);

  server.recover();
  await expect(page.getByTestId('outbox-outcomes')).toContainText(`Sent your new post “${title}”`, { timeout: 20_000 });
  await expect(page.getByTestId('outbox-pending')).toHaveCount(0);
  expect(await storedCount(request, title)).toBe(1);
});

test('a 401 keeps the queue until the same user logs in again; another account never sends it', async ({ page, context, request }) => {
  const email = await signUp(page);
  await context.setOffline(true);
  const title = await writeOffline(page, 'After the session ended');
  // Meanwhile the session ended (expired, or ended from another device).
  await context.clearCookies();
  await context.setOffline(false);
  await expect(page.getByTestId('outbox-login')).toContainText('Log in again');
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change');
  expect(await storedCount(request, title)).toBe(0);

  // Someone else logs in on this browser: nothing is waiting for them, nothing is sent as them.
  await signUp(page);
  await expect(page.getByTestId('outbox-pending')).toHaveCount(0);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
  expect(await storedCount(request, title)).toBe(0);

  // The writer logs in again: the write goes, as theirs.
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('outbox-outcomes')).toContainText(`Sent your new post “${title}”`);
  expect(await storedCount(request, title)).toBe(1);
});

test('two tabs writing offline share one outbox, and each write is stored exactly once', async ({ page, context, request }) => {
  await signUp(page);
  const other = await context.newPage();
  await other.goto('/');
  await hydrated(other);
  await context.setOffline(true);
  const first = await writeOffline(page, 'From the first tab');
  const second = await writeOffline(other, 'From the second tab');
  // Each tab sees the other's write waiting.
  await expect(page.getByTestId('outbox-pending')).toContainText('2 changes');
  await expect(other.getByTestId('outbox-pending')).toContainText('2 changes');

  await context.setOffline(false);
  await expect(page.getByTestId('outbox-pending')).toHaveCount(0, { timeout: 20_000 });
  await expect(other.getByTestId('outbox-pending')).toHaveCount(0, { timeout: 20_000 });
  expect(await storedCount(request, first)).toBe(1);
  expect(await storedCount(request, second)).toBe(1);
});

test('a write queued in one tab while another sends the outbox is not lost', async ({ page, context, request }) => {
  await signUp(page);
  // This tab sends slowly.
  await page.route('**/rpc/create_post', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await route.continue();
  });
  await context.setOffline(true);
  const first = await writeOffline(page, 'Sent slowly');
  const sending = page.waitForRequest('**/rpc/create_post');
  await context.setOffline(false);
  await sending;
  // While it sends, a second tab, whose connection is down, queues a write.
  const other = await context.newPage();
  await other.goto('/');
  await hydrated(other);
  const cdp = await context.newCDPSession(other);
  await cdp.send('Network.emulateNetworkConditions', {
    offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  const second = await writeOffline(other, 'Queued during the send');
  // The first tab's send ends while the second is still offline.
  await expect(page.getByTestId('outbox-outcomes')).toContainText(`Sent your new post “${first}”`);
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });

  await expect(page.getByTestId('outbox-pending')).toHaveCount(0, { timeout: 20_000 });
  await expect(other.getByTestId('outbox-pending')).toHaveCount(0, { timeout: 20_000 });
  expect(await storedCount(request, first)).toBe(1);
  expect(await storedCount(request, second)).toBe(1);
});

test('when storage is full, cached pages go first, and a write that still cannot be kept says so', async ({ page, context }) => {
  await signUp(page);
  await page.goto('/');
  await hydrated(page);
  // Fill localStorage to its quota with someone else's data, around the feed page just cached.
  const filled = await page.evaluate(() => {
    const chunk = 'x'.repeat(256 * 1024);
    let n = 0;
    try {
      for (;;) { localStorage.setItem(`other-app:${n}`, chunk); n += 1; }
    } catch {
      // Full. Top up with smaller and smaller pieces, to the last few bytes.
      for (const size of [16 * 1024, 1024, 64, 4]) {
        const piece = 'y'.repeat(size);
        try { for (let m = 0; ; m += 1) localStorage.setItem(`o${size}:${m}`, piece); } catch { /* full */ }
      }
    }
    return n;
  });
  expect(filled).toBeGreaterThan(0);
  const cachedPages = () => page.evaluate(() => Object.keys(localStorage).filter((key) => /^postboard:[^:]+:feed:/.test(key)).length);
  const cachedBefore = await cachedPages();
  expect(cachedBefore).toBeGreaterThan(0);

  // A small write fits once the cached feed page is dropped.
  await context.setOffline(true);
  await writeOffline(page, 'Fits');
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change');
  expect(await cachedPages()).toBeLessThan(cachedBefore);

  // A long one does not: the editor keeps the text and says so.
  await page.getByRole('link', { name: 'New post' }).click();
  await hydrated(page);
  const content = 'A long thought. '.repeat(1200);
  await page.getByLabel('Title').fill('Too long to keep');
  await page.getByLabel('Content').fill(content);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'storage is full' })).toBeVisible();
  await expect(page.getByLabel('Content')).toHaveValue(content);
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change');
  await context.setOffline(false);
});

test('logging out with writes waiting asks first, and offline it is refused', async ({ page, context, request }) => {
  await signUp(page);
  await page.route('**/rpc/create_post', (route) => route.fulfill({
    status: 503, contentType: 'application/json', body: '"Unavailable"',
  }));
  await context.setOffline(true);
  const title = await writeOffline(page, 'Not yet sent');

  // Offline: logging out cannot reach the server, so it is refused and nothing is wiped.
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'You are offline' })).toBeVisible();
  await expect(page.getByTestId('current-user')).toBeVisible();
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change');

  // Online, with the write still refused: the user is asked, and can keep it.
  await context.setOffline(false);
  await page.getByRole('button', { name: 'Log out' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText('1 change');
  await dialog.getByRole('button', { name: 'Stay logged in' }).click();
  await expect(page.getByTestId('current-user')).toBeVisible();
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change');

  // Or discard it and log out.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Discard 1 change and log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
  const left = await page.evaluate(() => Object.keys(localStorage).filter((key) => /^postboard:\d+:/.test(key)));
  expect(left).toEqual([]);
  expect(await storedCount(request, title)).toBe(0);
});

test('after another account logs in from a second tab, the first tab does not send its writes as theirs', async ({ page, context, request }) => {
  await signUp(page);
  // The first tab's write is refused for now (the server restarts), so it waits to be retried.
  const server = await restartingServer(page);
  await context.setOffline(true);
  const title = await writeOffline(page, 'Not for the next account');
  const refused = page.waitForResponse('**/rpc/create_post');
  await context.setOffline(false);
  await refused;
  await expect(page.getByTestId('outbox-pending')).toContainText('trying again');

  // Someone else signs up in a second tab: the browser's cookies are now theirs.
  const other = await context.newPage();
  await signUp(other);
  server.recover();

  // The first tab's retry is refused by the server, and the write waits for its writer.
  await expect(page.getByTestId('outbox-login')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change');
  expect(await storedCount(request, title)).toBe(0);
});

test('a post whose save fails on the way while the browser says online is queued, not lost', async ({ page, request }) => {
  await signUp(page);
  // The connection drops during the save (the browser still thinks it is online).
  let dropping = true;
  await page.route('**/rpc/create_post', (route) => (dropping ? route.abort('connectionreset') : route.continue()));
  await page.getByRole('link', { name: 'New post' }).click();
  await hydrated(page);
  const title = `Saved on a flaky line ${Date.now()}`;
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Content').fill('Sent through a tunnel.');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change');

  dropping = false;
  await expect(page.getByTestId('outbox-outcomes')).toContainText(`Sent your new post “${title}”`, { timeout: 20_000 });
  expect(await storedCount(request, title)).toBe(1);
});

test('a save that hangs without an answer is given up after 30 s, kept, and sent again', async ({ page, request }) => {
  test.setTimeout(90_000);
  await signUp(page);
  // The first request never gets an answer (a connection that neither carries nor fails).
  let hanging = true;
  await page.route('**/rpc/create_post', (route) => (hanging ? undefined : route.continue()));
  await page.getByRole('link', { name: 'New post' }).click();
  await hydrated(page);
  const title = `Through a dead zone ${Date.now()}`;
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Content').fill('The line went quiet.');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change', { timeout: 40_000 });

  hanging = false;
  await expect(page.getByTestId('outbox-outcomes')).toContainText(`Sent your new post “${title}”`, { timeout: 20_000 });
  expect(await storedCount(request, title)).toBe(1);
});

test('a write the server keeps failing on can be copied and discarded, so it holds nothing back', async ({ page, request }) => {
  await signUp(page);
  await page.route('**/rpc/create_post', (route) => route.fulfill({
    status: 500, contentType: 'application/json', body: '"Internal"',
  }));
  await page.getByRole('link', { name: 'New post' }).click();
  await hydrated(page);
  const title = `Always failing ${Date.now()}`;
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Content').fill('Keep a copy of this.');
  await page.getByRole('button', { name: 'Save' }).click();
  const pending = page.getByTestId('outbox-pending');
  await expect(pending).toContainText('failed several times', { timeout: 30_000 });
  await pending.getByText('What you wrote').click();
  await expect(pending.getByRole('textbox', { name: 'What you wrote' })).toHaveValue(/Keep a copy of this\./);
  await pending.getByRole('button', { name: `Discard your new post “${title}”` }).click();
  await expect(pending).toHaveCount(0);
  expect(await storedCount(request, title)).toBe(0);
});
