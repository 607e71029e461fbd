// The officer's first journey, in a real browser: log in, find the commune by
// a search without diacritics, add a village, see it listed; then a province
// reviewer sees the write in the audit log. Run against a server started
// with `antq serve --demo` (see .ci/run); BASE_URL says where.
import { chromium } from 'playwright-core';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:18080';
const password = 'antq-demo-2025';
const village = `Bản Thử Nghiệm ${Date.now()}`;

function check(condition, what) {
  if (!condition) throw new Error(`FAILED: ${what}`);
  console.log(`ok - ${what}`);
}

async function login(page, username) {
  await page.goto(`${base}/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  await login(page, 'khonglao.ca');
  check(page.url().endsWith('/units/03583'), 'the officer lands on Xã Khổng Lào');

  await page.goto(`${base}/search`);
  await page.fill('#q', 'khong lao');
  await Promise.all([page.waitForNavigation(), page.click('form[role=search] button')]);
  const hit = page.locator('table a', { hasText: 'Xã Khổng Lào' });
  check((await hit.count()) === 1, '"khong lao" finds Xã Khổng Lào');
  await Promise.all([page.waitForNavigation(), hit.click()]);
  check((await page.textContent('h1')).includes('Xã Khổng Lào'), 'the commune page opens');

  await page.fill('#v-name', village);
  await page.selectOption('#v-kind', 'Bản');
  await page.fill('#v-households', '42');
  await page.check('input[name=border_area]');
  await Promise.all([page.waitForNavigation(), page.click('#add-village button[type=submit]')]);
  check((await page.textContent('.notice')).includes('Đã thêm'), 'the page confirms the new village');
  check((await page.locator('#villages + table td a', { hasText: village }).count()) === 1, 'the village is listed');

  await Promise.all([page.waitForNavigation(), page.click('button.link')]);
  check(page.url().endsWith('/login'), 'logout returns to the login page');

  await login(page, 'laichau.ptxd');
  await page.goto(`${base}/audit?unit=03583`);
  const row = page.locator('#audit tr', { hasText: village });
  check((await row.count()) === 1, 'the province reviewer sees the write in the audit log');
  check((await row.textContent()).includes('khonglao.ca'), 'the audit row names the officer');
  check((await row.textContent()).includes('Thêm thôn/tổ dân phố'), 'the audit row names the action');
} finally {
  await browser.close();
}
