// Shared steps for the browser tests.
import { expect } from '@playwright/test';

export const PASSWORD = 'correct horse battery';

/** An e-mail address no other test uses. */
export function uniqueEmail(prefix = 'user') {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Waits until the WASM has hydrated the page (the app marks <body> then). */
export async function hydrated(page) {
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
}

/** The display name `signUp` chooses for an address: its local part. */
export function nameFor(email) {
  return email.split('@')[0].slice(0, 30);
}

/** Signs up through the UI with a display name; the header then shows the name. */
export async function signUp(page, email = uniqueEmail()) {
  await page.goto('/register');
  await hydrated(page);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Display name').fill(nameFor(email));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('current-user')).toHaveText(nameFor(email));
  return email;
}

/** Creates a user and posts through the REST API; returns the bearer token. */
export async function apiUser(request, email = uniqueEmail('api')) {
  const created = await request.post('/api/users/', { data: { email, password: PASSWORD } });
  expect(created.status()).toBe(201);
  const login = await request.post('/api/login', { form: { username: email, password: PASSWORD } });
  expect(login.status()).toBe(200);
  return (await login.json()).access_token;
}

export async function apiPost(request, token, title, content = `About ${title}`) {
  const response = await request.post('/api/posts/', {
    data: { title, content },
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(response.status()).toBe(201);
  return response.json();
}
