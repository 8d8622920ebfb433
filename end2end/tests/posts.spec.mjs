import { test, expect } from '@playwright/test';
import { apiPost, apiUser, hydrated, signUp } from './helpers.mjs';

test('write a post with inline validation, edit it, vote on it and delete it', async ({ page }) => {
  await signUp(page);
  await page.getByRole('link', { name: 'New post' }).click();
  await hydrated(page);

  // Inline validation before submitting: a title of spaces is refused as you type.
  const title = page.getByLabel('Title');
  await title.fill('   ');
  await expect(page.locator('.hint[data-field="title"]')).toContainText('at least 1 character');
  await expect(page.getByRole('button', { name: 'Save' })).toBeDisabled();

  const name = `My first post ${Date.now()}`;
  await title.fill(name);
  await page.getByLabel('Content').fill('Hello <script>window.__pwned = true</script> world');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
  // User text is shown as text: the tag is visible and never ran.
  await expect(page.locator('.post .content')).toContainText('<script>');
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();

  // Edit.
  await page.getByRole('link', { name: 'Edit' }).click();
  await hydrated(page);
  await page.getByLabel('Title').fill(`${name} (edited)`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { name: `${name} (edited)` })).toBeVisible();

  // Vote: the count changes at once and the server agrees after a reload.
  await hydrated(page);
  const count = page.getByTestId('vote-count').first();
  await expect(count).toHaveText('0');
  await page.getByRole('button', { name: '▲' }).first().click();
  await expect(count).toHaveText('1');
  await page.waitForLoadState('networkidle');
  await page.reload();
  await expect(page.getByTestId('vote-count').first()).toHaveText('1');

  // Delete, with confirmation.
  await hydrated(page);
  await page.getByText('Delete…').click();
  await page.getByRole('button', { name: 'Yes, delete this post' }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/');
  await expect(page.getByRole('link', { name: `${name} (edited)` })).toHaveCount(0);
});

test('pages of the feed are links that keep the search', async ({ page, request }) => {
  const token = await apiUser(request);
  const tag = `page${Date.now()}`;
  for (let n = 1; n <= 12; n += 1) {
    await apiPost(request, token, `${tag} number ${n}`);
  }
  await page.goto(`/?q=${tag}`);
  await hydrated(page);
  await expect(page.locator('.post-card')).toHaveCount(10);
  await expect(page.locator('.post-card').first()).toContainText(`${tag} number 12`);
  await page.getByRole('link', { name: 'Older →' }).click();
  // The next page starts after the last post seen (a cursor), not at an offset.
  await expect(page).toHaveURL(new RegExp(`q=${tag}&before=\\d+$`));
  await expect(page.locator('.post-card')).toHaveCount(2);
  await expect(page.locator('.post-card').last()).toContainText(`${tag} number 1`);
  await expect(page.getByRole('link', { name: 'Older →' })).toHaveCount(0);
  // A post written meanwhile does not shift the page.
  await apiPost(request, token, `${tag} number 13`);
  // The URL is the state: reloading shows the same page.
  await page.reload();
  await expect(page.locator('.post-card')).toHaveCount(2);
  await expect(page.locator('.post-card').first()).toContainText(`${tag} number 2`);
  await page.getByRole('link', { name: '← Newest' }).click();
  await expect(page.locator('.post-card').first()).toContainText(`${tag} number 13`);
});

test('a short search says it looks through the newest posts only', async ({ page }) => {
  await page.goto('/?q=zq');
  await hydrated(page);
  await expect(page.getByTestId('short-search')).toContainText('newest 2000 posts');
  await expect(page.getByTestId('empty-feed')).toHaveText('No posts match this search.');
  await page.goto('/?q=zqx');
  await hydrated(page);
  await expect(page.getByTestId('short-search')).toHaveCount(0);
});

test('drafts show only in their owner\'s "My posts"', async ({ page }) => {
  await signUp(page);
  await page.goto('/posts/new');
  await hydrated(page);
  const name = `Secret draft ${Date.now()}`;
  await page.getByLabel('Title').fill(name);
  await page.getByLabel('Content').fill('not ready yet');
  await page.getByLabel(/Published/).uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await page.goto('/me');
  await expect(page.getByRole('link', { name })).toBeVisible();
  await expect(page.locator('.badge')).toContainText(['Draft']);
});
