// The dashboard and the report in a real browser: the province's officer
// opens Tỉnh Lai Châu's figures for the phase 2013–2023, which are counted
// on the map of that time (the 8 districts of then), switches the map of
// communes to another indicator, reads the report and downloads it as DOCX
// and XLSX; python-docx and openpyxl open both and find seed 001's figures.
// Run against `antq serve --demo` (see .ci/run).
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:18080';
const password = 'antq-demo-2025';
const figures = ['10.480 buổi', '860.500 lượt người', '956/956 bản', '106 xã', '90.500 hộ', '828 cơ quan, doanh nghiệp, trường học'];

function check(condition, what) {
  if (!condition) throw new Error(`FAILED: ${what}`);
  console.log(`ok - ${what}`);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const work = mkdtempSync(join(tmpdir(), 'antq-dashboard-'));
try {
  const page = await (await browser.newContext({ acceptDownloads: true })).newPage();
  await page.goto(`${base}/login`);
  await page.fill('#username', 'laichau.ptxd');
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);

  await page.goto(`${base}/units/12/dashboard`);
  await page.fill('#p-period', '2013-2023');
  await Promise.all([page.waitForNavigation(), page.click('#period-form button[type=submit]')]);
  check((await page.textContent('#period-label')).includes('giai đoạn 2013–2023'), 'the phase 2013–2023 is shown');
  check((await page.textContent('#map-label')).includes('trước 01/07/2025'), 'it is counted on the map of its time by default');
  check((await page.textContent('#ind-so_buoi_tuyen_truyen')).includes('10.480'), 'the sessions of the phase are 10.480');
  check((await page.textContent('#ind-so_thon_dang_ky')).includes('956'), '956 villages registered');
  check((await page.textContent('#ind-so_gia_dinh_van_hoa')).includes('61.956'), 'the entered total of gia đình văn hóa is 61.956');
  check((await page.locator('#completeness li').count()) === 3, 'completeness: registration, assessment and festival day');
  const districts = await page.locator('#children tbody tr').count();
  check(districts === 8, `the breakdown is by the 8 districts of then (${districts})`);

  // The map of communes: 106 points on the old map, coloured by the indicator chosen.
  check((await page.getAttribute('#commune-map svg', 'data-indicator')) === 'so_buoi_tuyen_truyen', 'the map is coloured by sessions first');
  const points = await page.locator('#commune-map svg > circle').count();
  check(points >= 106, `the map has a point for each of the 106 communes of then (${points} with the legend)`);
  await page.selectOption('#m-colour', 'so_ho_dang_ky');
  await Promise.all([page.waitForNavigation(), page.click('#map-form button[type=submit]')]);
  check((await page.getAttribute('#commune-map svg', 'data-indicator')) === 'so_ho_dang_ky', 'the map switches to registered households');
  check((await page.textContent('#commune-map svg title')).includes('Số hộ gia đình đăng ký'), 'the map says what it shows');
  check((await page.textContent('#ind-so_buoi_tuyen_truyen')).includes('10.480'), 'the period and map stay when the map indicator changes');

  // The same period on today's map.
  await Promise.all([page.waitForNavigation(), page.click('#other-map')]);
  check((await page.textContent('#map-label')).includes('hiện nay'), 'the other map is one click away');
  check((await page.locator('#children tbody tr').count()) === 38, 'today the province has 38 communes');
  await page.goBack();

  // The report, read and downloaded.
  await Promise.all([page.waitForNavigation(), page.click('#report-page')]);
  const text = await page.textContent('#report');
  for (const f of figures) check(text.includes(f), `the report says "${f}"`);
  const save = async (selector, name) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
    const path = join(work, name);
    await download.saveAs(path);
    return path;
  };
  const docx = await save('#dl-docx', 'report.docx');
  const xlsx = await save('#dl-xlsx', 'report.xlsx');
  const checker = join(dirname(fileURLToPath(import.meta.url)), 'check_report.py');
  console.log(execFileSync('python3', [checker, docx, xlsx, ...figures], { encoding: 'utf8' }).trim());
} finally {
  await browser.close();
}
