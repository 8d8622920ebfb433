// Post times as a reader far from UTC sees them: how long ago, and the exact time in their own
// time zone on hover (the server renders UTC; the browser rewrites it after hydration).
import { test, expect } from '@playwright/test';
import { apiPost, apiUser, hydrated } from './helpers.mjs';

test.use({ timezoneId: 'Asia/Tokyo' });

test("a post's time reads as how long ago, with the exact local time on hover", async ({ page, request }) => {
  const token = await apiUser(request);
  const post = await apiPost(request, token, 'A post with a time');
  await page.goto(`/posts/${post.id}`);
  await hydrated(page);
  const time = page.locator('.meta time').first();
  await expect(time).toHaveText(/just now|min ago/);
  const datetime = await time.getAttribute('datetime');
  const local = await page.evaluate((at) => new Date(at).toLocaleString(), datetime);
  await expect(time).toHaveAttribute('title', local);
  expect(local).not.toContain('UTC');
});
