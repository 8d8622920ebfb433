import { test, expect } from '@playwright/test';
import { apiPost, apiUser, hydrated } from './helpers.mjs';

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the home page is fully rendered on the server', async ({ page, request }) => {
    const token = await apiUser(request);
    await apiPost(request, token, 'Rendered on the server');
    const response = await page.goto('/');
    expect(response.status()).toBe(200);
    await expect(page.getByRole('heading', { name: 'Latest posts' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Rendered on the server' }).first()).toBeVisible();
  });

  test('the search form works and keeps the term in the box', async ({ page, request }) => {
    const token = await apiUser(request);
    const marker = `plain${Date.now()}`;
    await apiPost(request, token, `Found without ${marker} scripts`);
    await page.goto('/');
    await page.getByRole('searchbox', { name: 'Search posts' }).fill(marker);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page).toHaveURL(new RegExp(`/\\?q=${marker}$`));
    await expect(page.getByRole('link', { name: `Found without ${marker} scripts` })).toBeVisible();
    await expect(page.getByRole('searchbox', { name: 'Search posts' })).toHaveValue(marker);
  });

  test('an unknown address is a 404 page', async ({ page }) => {
    const response = await page.goto('/no/such/page');
    expect(response.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  });
});

test('the page hydrates and the search box navigates without a reload', async ({ page, request }) => {
  const token = await apiUser(request);
  const marker = `needle${Date.now()}`;
  await apiPost(request, token, `A post with a ${marker} in it`);
  await page.goto('/');
  await hydrated(page);
  // A marker on window survives client-side navigation but not a full page load.
  await page.evaluate(() => { window.__stillTheSamePage = true; });
  await page.getByRole('searchbox', { name: 'Search posts' }).fill(marker);
  await page.getByRole('button', { name: 'Search' }).click();
  // The address holds the term and nothing else (no empty `&=` pair from the button).
  await expect(page).toHaveURL(new RegExp(`/\\?q=${marker}$`));
  await expect(page.getByRole('link', { name: `A post with a ${marker} in it` })).toBeVisible();
  await expect(page.locator('.post-card')).toHaveCount(1);
  // Enter submits too, and the term is percent-encoded.
  await page.getByRole('searchbox', { name: 'Search posts' }).fill(`${marker} in`);
  await page.getByRole('searchbox', { name: 'Search posts' }).press('Enter');
  await expect(page).toHaveURL(new RegExp(`/\\?q=${marker}%20in$`));
  await expect(page.getByRole('heading', { name: `Posts matching “${marker} in”` })).toBeVisible();
  await expect(page.locator('.post-card')).toHaveCount(1);
  expect(await page.evaluate(() => window.__stillTheSamePage)).toBe(true);
});

test('pages carry a nonce-based Content-Security-Policy and no script is blocked', async ({ page }) => {
  const violations = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  const response = await page.goto('/');
  const policy = response.headers()['content-security-policy'];
  expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+'/);
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).not.toContain('unsafe-inline');
  expect(response.headers()['x-content-type-options']).toBe('nosniff');
  await hydrated(page);
  expect(violations).toEqual([]);
});
