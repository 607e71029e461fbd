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

  // Registries: a model point replicated from another, a team with three
  // members, their ratings under the 20% rule, the summary after each step.
  const figure = async (id) => Number((await page.textContent(id)).replace(/\./g, ''));
  await page.goto(`${base}/units/03583/models`);
  const pointsBefore = await figure('#sum-points');
  await page.selectOption('#p-type', { label: 'Camera an ninh' });
  await page.fill('#p-name', `Camera ${village}`);
  await page.fill('#p-started', '01/10/2025');
  const source = await page.locator('#p-from option', { hasText: 'Camera an ninh Bản Khổng Lào' }).first().getAttribute('value');
  await page.selectOption('#p-from', source);
  await Promise.all([page.waitForNavigation(), page.click('#add-point button[type=submit]')]);
  check(/\/model-points\/\d+/.test(page.url()), 'the model point is created');
  const tree = await page.textContent('#tree');
  check(tree.includes('Camera an ninh Bản Khổng Lào') && tree.includes('← điểm này'), 'the replication tree shows the source and the new point');
  await page.goto(`${base}/units/03583/models`);
  check((await figure('#sum-points')) === pointsBefore + 1, 'the summary counts the new point at once');

  await page.goto(`${base}/units/03583/teams`);
  const teamsBefore = await figure('#sum-teams');
  const membersBefore = await figure('#sum-members');
  await page.selectOption('#t-kind', 'to_bao_ve_antt');
  await page.fill('#t-name', `Tổ ${village}`);
  await page.fill('#t-established', '01/01/2025');
  await page.locator('#add-team label', { hasText: village }).locator('input').check();
  await Promise.all([page.waitForNavigation(), page.click('#add-team button[type=submit]')]);
  const teamUrl = page.url().split('?')[0];
  check(/\/teams\/\d+$/.test(teamUrl), 'the team is created');
  const people = [['A', 'to_truong', '1980'], ['B', 'to_pho', '1985'], ['C', 'to_vien', '1990']];
  for (const [who, role, born] of people) {
    await page.fill('#m-name', `Thành viên ${who} ${village}`);
    await page.selectOption('#m-role', role);
    await page.fill('#m-birth', born);
    await page.fill('#m-joined', '01/01/2025');
    await Promise.all([page.waitForNavigation(), page.click('#add-member button[type=submit]')]);
    check((await page.textContent('.notice')).includes('Đã thêm thành viên'), `member ${who} is added`);
  }
  await page.goto(`${base}/units/03583/teams`);
  check((await figure('#sum-teams')) === teamsBefore + 1, 'the summary counts the new team at once');
  check((await figure('#sum-members')) === membersBefore + 3, 'the summary counts the three members at once');

  await page.goto(`${teamUrl}?year=2025`);
  const remaining = Number((await page.textContent('#quota-member')).match(/thêm (\d+)/)[1]);
  check(remaining >= 1 && remaining < 3, `the form says how many more may be rated xuất sắc (${remaining})`);
  for (let i = 0; i < remaining + 1; i++) {
    const row = page.locator('tr[id^=rate-member-]', { hasText: `Thành viên ${people[i][0]} ${village}` });
    await row.locator('select').selectOption('xuat_sac');
    await Promise.all([page.waitForNavigation(), row.locator('button').click()]);
  }
  check((await page.textContent('#rating-error')).includes('20%'), 'one xuất sắc too many is refused under the 20% rule');
  const rated = page.locator('tr[id^=rate-member-] td:nth-child(2)', { hasText: 'Hoàn thành xuất sắc nhiệm vụ' });
  check((await rated.count()) === remaining, 'exactly the allowed number are rated xuất sắc');

  await Promise.all([page.waitForNavigation(), page.click('button.link')]);
  check(page.url().endsWith('/login'), 'logout returns to the login page');

  await login(page, 'laichau.ptxd');
  await page.goto(`${base}/audit?unit=03583&action=village`);
  const row = page.locator('#audit tr', { hasText: village });
  check((await row.count()) === 1, 'the province reviewer sees the write in the audit log');
  check((await row.textContent()).includes('khonglao.ca'), 'the audit row names the officer');
  check((await row.textContent()).includes('Thêm thôn/tổ dân phố'), 'the audit row names the action');
} finally {
  await browser.close();
}
