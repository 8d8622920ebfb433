import { test, expect } from '@playwright/test';
import { PASSWORD, hydrated, nameFor, signUp, uniqueEmail } from './helpers.mjs';

test('a newcomer signs up, stays logged in across a reload, logs out and back in', async ({ page }) => {
  const email = await signUp(page);

  // The server-rendered HTML already knows the user (no flash of "Log in").
  const html = await (await page.request.get('/')).text();
  expect(html).toContain(nameFor(email));
  await page.reload();
  await expect(page.getByTestId('current-user')).toHaveText(nameFor(email));

  await hydrated(page);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
  await expect(page.getByTestId('current-user')).toHaveCount(0);

  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('current-user')).toHaveText(nameFor(email));
});

test('wrong credentials and a weak password are explained on the form', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('E-mail').fill(uniqueEmail('nobody'));
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid Credentials');

  await page.goto('/register');
  await hydrated(page);
  await page.getByLabel('E-mail').fill('not-an-email@nowhere');
  await page.getByLabel('Password').fill(PASSWORD);
  // The browser's own checks are bypassed to see the server's message.
  await page.locator('form.auth-form').evaluate((form) => { form.noValidate = true; });
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.locator('.field-errors[data-field="email"]')).toContainText('not a valid email');
});

test('no token is ever readable by scripts', async ({ page }) => {
  await signUp(page);
  expect(await page.evaluate(() => document.cookie)).toBe('');
  expect(await page.evaluate(() => JSON.stringify(window.localStorage))).not.toContain('ey');
});
