// An accessibility scan of every page with axe-core, logged out and logged in: no serious or
// critical violation may appear (WCAG 2.x A and AA rules, as axe reports them).
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { apiPost, apiUser, hydrated, signUp } from './helpers.mjs';

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

/** The serious and critical violations on the current page, one line each. */
async function seriousViolations(page) {
  // Evaluated through the DevTools protocol: the page's CSP does not apply to it.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.map((node) => node.target.join(' ')),
    }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.targets.join(', ')}`);
}

async function scan(page, path) {
  const response = await page.goto(path);
  expect(response.status(), path).toBe(200);
  await hydrated(page);
  expect(await seriousViolations(page), path).toEqual([]);
}

test('no page has a serious or critical accessibility violation', async ({ page, request }) => {
  const token = await apiUser(request);
  const post = await apiPost(request, token, 'An accessible post');
  const author = `/u/${encodeURIComponent(post.owner.name)}`;
  for (const path of ['/', '/login', '/register', `/posts/${post.id}`, '/?q=accessible', author, '/account']) {
    await scan(page, path);
  }
  await signUp(page);
  for (const path of ['/', '/posts/new', '/me', `/posts/${post.id}`, author, '/account']) {
    await scan(page, path);
  }
});
