// The account page: rename, sessions, password and deletion, as a user does them; and the
// header on a phone and on a desktop.
import { test, expect } from '@playwright/test';
import { PASSWORD, hydrated, nameFor, signUp } from './helpers.mjs';

const NEW_PASSWORD = 'an even better passphrase';

test('on the account page a user renames, ends another session, changes the password and deletes the account', async ({ page, request }) => {
  const email = await signUp(page);
  // The same user logged in elsewhere, with a command-line client.
  const login = await request.post('/api/login', {
    form: { username: email, password: PASSWORD },
    headers: { 'User-Agent': 'curl/8.5.0' },
  });
  expect(login.status()).toBe(200);
  const elsewhere = await login.json();

  await page.getByTestId('current-user').click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await expect(page.getByTestId('account-email')).toHaveText(email);

  // Rename: the header follows.
  const newName = `${nameFor(email).slice(0, 20)} renamed`;
  await page.getByLabel('Display name').fill(newName);
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await expect(page.getByTestId('current-user')).toHaveText(newName);

  // Two sessions: this browser, and curl, which is ended from here.
  const sessions = page.getByTestId('sessions').locator('li');
  await expect(sessions).toHaveCount(2);
  await expect(sessions.filter({ hasText: 'This browser' })).toHaveCount(1);
  await page.getByRole('button', { name: 'Log out curl' }).click();
  await expect(sessions).toHaveCount(1);
  const refreshed = await request.post('/api/token/refresh', {
    data: { refresh_token: elsewhere.refresh_token },
  });
  expect(refreshed.status()).toBe(401);

  // A wrong current password is explained; the right one changes it.
  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('alert')).toHaveText('The current password is not right.');
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Password changed.')).toBeVisible();
  await expect(page.getByTestId('current-user')).toHaveText(newName);

  // Deleting the account logs the browser out, and the account is gone.
  await page.getByLabel('Your password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Delete my account' }).click();
  // Logged out: the header offers to log in (the page itself may say so too, once it has
  // re-rendered for a visitor).
  await expect(page.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible();
  await expect(page.getByTestId('current-user')).toHaveCount(0);
  const again = await request.post('/api/login', { form: { username: email, password: NEW_PASSWORD } });
  expect(again.status()).toBe(403);
});

/** The header's items: their text, the row they sit on (0 = the first) and their right edge. */
async function headerItems(page) {
  const boxes = await page.locator('.site-header nav > *:visible').evaluateAll((items) =>
    items.map((item) => {
      const box = item.getBoundingClientRect();
      return { text: item.textContent.trim(), middle: (box.top + box.bottom) / 2, left: box.left, right: box.right };
    }));
  // Items whose middles are within a few pixels share a row (they are centred in it).
  const rows = [];
  for (const middle of boxes.map((box) => box.middle).sort((a, b) => a - b)) {
    if (!rows.length || middle - rows[rows.length - 1] > 8) rows.push(middle);
  }
  return boxes.map((box) => ({
    text: box.text,
    row: rows.findIndex((middle) => Math.abs(box.middle - middle) <= 8),
    left: box.left,
    right: box.right,
  }));
}

test('the header fits a phone in two rows and a desktop in one', async ({ page }) => {
  // The longest name there can be.
  const email = `${'w'.repeat(24)}-${Date.now() % 100000}@example.com`;
  await page.setViewportSize({ width: 1280, height: 800 });
  await signUp(page, email);
  const wide = await headerItems(page);
  expect(wide.every((item) => item.row === 0), JSON.stringify(wide)).toBe(true);

  await page.setViewportSize({ width: 375, height: 700 });
  const narrow = await headerItems(page);
  const row = (text) => narrow.find((item) => item.text.startsWith(text))?.row;
  expect(Math.max(...narrow.map((item) => item.row)), JSON.stringify(narrow)).toBe(1);
  expect(row('Postboard')).toBe(0);
  expect(row('wwwww')).toBe(0);
  expect(row('New post')).toBe(1);
  expect(row('My posts')).toBe(1);
  expect(row('Log out')).toBe(1);
  for (const item of narrow) {
    expect(item.left, `${item.text} keeps the page margin`).toBeGreaterThanOrEqual(8);
    expect(item.right, `${item.text} keeps the page margin`).toBeLessThanOrEqual(375 - 8);
  }
  // Nothing scrolls sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
});

test('the account page asks a visitor to log in', async ({ page }) => {
  await page.goto('/account');
  await hydrated(page);
  await expect(page.getByText('to manage your account')).toBeVisible();
  await expect(page.getByRole('main').getByRole('link', { name: 'Log in' })).toBeVisible();
});
