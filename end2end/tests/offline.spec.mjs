import { test, expect } from '@playwright/test';
import { apiPost, apiUser, hydrated, nameFor, signUp } from './helpers.mjs';

/** Loads a page online and waits until the service worker controls it. */
async function visitWithWorker(page, path) {
  await page.goto(path);
  await hydrated(page);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  if (!(await page.evaluate(() => !!navigator.serviceWorker.controller))) {
    // The first load installs the worker; the next one is controlled by it.
    await page.reload();
    await hydrated(page);
  }
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
}

test('the app shell and the last feed load offline after one online visit', async ({ page, context, request }) => {
  const token = await apiUser(request);
  const title = `Read on the train ${Date.now()}`;
  await apiPost(request, token, title);
  await visitWithWorker(page, '/');
  await expect(page.getByRole('link', { name: title })).toBeVisible();

  await context.setOffline(true);
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('link', { name: title })).toBeVisible();
  await expect(page.getByTestId('offline-banner')).toBeVisible();
  await context.setOffline(false);
});

test('a search page seen before is shown from local storage, marked as cached', async ({ page, context, request }) => {
  const token = await apiUser(request);
  const tag = `cached${Date.now()}`;
  await apiPost(request, token, `${tag} post`);
  await page.goto(`/?q=${tag}`);
  await hydrated(page);
  await expect(page.locator('.post-card')).toHaveCount(1);
  // Navigate away and back client-side while offline: the server cannot be asked.
  await page.goto('/');
  await hydrated(page);
  await context.setOffline(true);
  await page.getByRole('searchbox', { name: 'Search posts' }).fill(tag);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('cached-feed')).toBeVisible();
  await expect(page.locator('.post-card')).toHaveCount(1);
  await context.setOffline(false);
});

test('a post written offline appears exactly once after going back online', async ({ page, context }) => {
  await signUp(page);
  await visitWithWorker(page, '/');
  await context.setOffline(true);
  // Client-side navigation to the editor needs no network.
  await page.getByRole('link', { name: 'New post' }).click();
  const title = `Written offline ${Date.now()}`;
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Content').fill('Typed in a tunnel.');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change');

  await context.setOffline(false);
  await expect(page.getByTestId('outbox-outcomes')).toContainText(`Sent your new post “${title}”`);
  await expect(page.getByTestId('outbox-pending')).toHaveCount(0);
  await page.goto('/');
  await expect(page.getByRole('link', { name: title })).toHaveCount(1);
});

test('a vote cast offline is applied when the connection returns', async ({ page, context, request }) => {
  const token = await apiUser(request);
  const post = await apiPost(request, token, `Vote for me ${Date.now()}`);
  await signUp(page);
  await page.goto(`/posts/${post.id}`);
  await hydrated(page);
  await context.setOffline(true);
  await page.getByRole('button', { name: '▲' }).click();
  await expect(page.getByTestId('vote-count')).toHaveText('1');
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change');
  await context.setOffline(false);
  await expect(page.getByTestId('outbox-pending')).toHaveCount(0);
  const after = await request.get(`/api/posts/${post.id}`, { headers: { Authorization: `Bearer ${token}` } });
  expect((await after.json()).votes).toBe(1);
});

test('a draft survives a reload', async ({ page }) => {
  await signUp(page);
  await page.goto('/posts/new');
  await hydrated(page);
  await page.getByLabel('Title').fill('Half-written thought');
  await page.getByLabel('Content').fill('It was a dark and stormy');
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('draft-restored')).toBeVisible();
  await expect(page.getByLabel('Title')).toHaveValue('Half-written thought');
  await expect(page.getByLabel('Content')).toHaveValue('It was a dark and stormy');
});

test('logout leaves no user data in local storage', async ({ page }) => {
  await signUp(page);
  await page.goto('/posts/new');
  await hydrated(page);
  await page.getByLabel('Title').fill('A draft to forget');
  await page.goto('/');
  await hydrated(page);
  // Keys of a logged-in user are postboard:<id>:…; anonymous reading uses postboard:anon:….
  const userKeys = () => page.evaluate(() => Object.keys(localStorage)
    .filter((key) => key.startsWith('postboard:') && !key.startsWith('postboard:anon:')));
  expect((await userKeys()).length).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
  await expect.poll(userKeys).toEqual([]);
});

test('a page reached by client-side navigation is kept for offline use too', async ({ page, context }) => {
  const email = await signUp(page);
  await visitWithWorker(page, '/');
  await page.getByRole('link', { name: 'My posts' }).click();
  await expect(page.getByRole('heading', { name: 'My posts' })).toBeVisible();
  // The worker fetches its copy in the background.
  await expect.poll(() => page.evaluate(async () => !!(await caches.match('/me')))).toBe(true);
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'My posts' })).toBeVisible();
  await expect(page.getByTestId('current-user')).toHaveText(nameFor(email));
  await context.setOffline(false);
});

test('an own post just seen can be edited offline, from its local copy', async ({ page, context, request }) => {
  await signUp(page);
  // A post of one's own, written online.
  await page.getByRole('link', { name: 'New post' }).click();
  await hydrated(page);
  const title = `Edit me offline ${Date.now()}`;
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Content').fill('The first version.');
  await page.getByRole('button', { name: 'Save' }).click();
  // Saving opens the post.
  await expect(page.getByRole('heading', { name: title })).toBeVisible();
  await hydrated(page);

  // Offline: "Edit" opens the editor on the copy the browser kept.
  await context.setOffline(true);
  await page.getByRole('link', { name: 'Edit' }).click();
  await expect(page.getByTestId('local-copy')).toBeVisible();
  await expect(page.getByLabel('Title')).toHaveValue(title);
  await expect(page.getByLabel('Content')).toHaveValue('The first version.');
  await page.getByLabel('Content').fill('The second version, written offline.');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('outbox-pending')).toContainText('1 change');

  await context.setOffline(false);
  await expect(page.getByTestId('outbox-outcomes')).toContainText(`Sent your edit of “${title}”`);
  const token = await apiUser(request);
  const found = await request.get(`/api/posts/?search=${encodeURIComponent(title)}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const [post] = await found.json();
  expect(post.Post.content).toBe('The second version, written offline.');
});

test('offline, nobody is shown a page kept for someone else', async ({ page, context }) => {
  const first = await signUp(page);
  // The worker installs while the first user is logged in (as after a deploy).
  await page.evaluate(async () => {
    for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister();
    for (const name of await caches.keys()) await caches.delete(name);
  });
  await visitWithWorker(page, '/me');
  await expect(page.getByTestId('current-user')).toHaveText(nameFor(first));

  // The first user logs out; a second one logs in and looks at the feed.
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
  await signUp(page);
  await page.goto('/');
  await hydrated(page);

  // Offline, the page the first user saw is not there for the second, nor is the shell theirs.
  await context.setOffline(true);
  for (const path of ['/me', '/posts/999999999']) {
    await page.goto(path).catch(() => undefined);
    const html = await page.content();
    expect(html, path).not.toContain(nameFor(first));
  }
  await context.setOffline(false);
});
