// Activities and awards in a real browser: the commune officer records an
// outreach session and sees the commune's attendance total change at once
// while the province reviewer, in a second window, sees the province's total
// change too; the festival day of 2023 shows the seed's award counts; a
// team member's Kỷ niệm chương eligibility is read with its reason; a
// 17 MB file of sessions goes through the page's import form. Run
// against a server started with `antq serve --demo` (see .ci/run).
import { chromium } from 'playwright-core';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:18080';
const password = 'antq-demo-2025';

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

// "10.480" → 10480
const number = (text) => Number(text.trim().replace(/\./g, ''));

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const today = new Date();
  const year = today.getFullYear();
  const dd = String(today.getDate()).padStart(2, '0');
  const mm = String(today.getMonth() + 1).padStart(2, '0');
  const topic = `Tuyên truyền thử nghiệm ${Date.now()}`;

  const province = await (await browser.newContext()).newPage();
  await login(province, 'laichau.ptxd');
  await province.goto(`${base}/units/12/activities?year=${year}`);
  const provinceBefore = number(await province.textContent('#sum-attendance'));

  const page = await (await browser.newContext()).newPage();
  await login(page, 'khonglao.ca');
  await page.goto(`${base}/units/03583/activities?kind=session&year=${year}`);
  const communeBefore = number(await page.textContent('#sum-attendance'));
  const sessionsBefore = number(await page.textContent('#sum-sessions'));
  await page.fill('#a-date', `${dd}/${mm}/${year}`);
  await page.fill('#a-title', topic);
  await page.selectOption('#a-subtype', 'hop_dan');
  await page.fill('#a-attendance', '1.250');
  await Promise.all([page.waitForNavigation(), page.click('#add-activity button[type=submit]')]);
  check((await page.textContent('.notice')).includes('Đã ghi nhận hoạt động'), 'the session is recorded');
  check((await page.locator('#activities tr', { hasText: topic }).count()) === 1, 'the session is listed');
  check(number(await page.textContent('#sum-attendance')) === communeBefore + 1250, 'the commune\'s attendance total rises by 1.250 at once');
  check(number(await page.textContent('#sum-sessions')) === sessionsBefore + 1, 'the commune counts one more session');

  await province.reload();
  check(number(await province.textContent('#sum-attendance')) === provinceBefore + 1250, 'the province\'s attendance total rises by 1.250 at once');
  check((await province.locator('#activities tr', { hasText: topic }).count()) === 1, 'the province reviewer sees the commune\'s session');

  const bad = `${dd}/${mm}/${year}`;
  await page.fill('#a-date', bad);
  await page.fill('#a-title', 'Số người âm');
  await page.fill('#a-attendance', '-3');
  await Promise.all([page.waitForNavigation(), page.click('#add-activity button[type=submit]')]);
  check((await page.textContent('.field-error')).includes('Số lượt người tham gia'), 'a negative attendance is refused, naming the field');

  // The import form takes a file larger than the other forms' 16 MB: 17 MB
  // of sessions with the longest note a session takes, spooled by the server.
  const header = 'ma_hoat_dong,loai,ma_don_vi,ten_don_vi,ma_thon,ma_don_vi_cu,ngay,ngay_ket_thuc,tu_nam,' +
    'den_nam,nam,noi_dung,phan_loai,cap,so_luot_nguoi,so_quyet_dinh,don_vi_tham_gia,ghi_chu\n';
  const note = 'ạ'.repeat(2000);
  const lines = [header];
  let size = Buffer.byteLength(header);
  while (size <= 17 * 1024 * 1024) {
    const line = `,session,03583,,,,${dd}/${mm}/${year},,,,,Tệp lớn ${lines.length},hop_dan,,2,,,${note}\n`;
    lines.push(line);
    size += Buffer.byteLength(line);
  }
  const rows = lines.length - 1;
  await page.goto(`${base}/units/03583/activities?kind=session&year=${year}`);
  const beforeImport = number(await page.textContent('#sum-sessions'));
  await page.setInputFiles('#act-file', { name: 'hoat-dong.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('')) });
  await Promise.all([page.waitForNavigation(), page.click('#import-activities button[type=submit]')]);
  check((await page.textContent('.notice')).includes('Đã nhập danh sách hoạt động'), `a 17 MB file of ${rows} sessions is imported through the page`);
  await page.goto(`${base}/units/03583/activities?kind=session&year=${year}`);
  check(number(await page.textContent('#sum-sessions')) === beforeImport + rows, 'the commune counts every imported session at once');

  await page.goto(`${base}/units/03583/festival-days?year=2023`);
  await Promise.all([page.waitForNavigation(), page.click('#festival-days a')]);
  const sentences = await page.textContent('#award-sentences');
  check(sentences.includes('Bộ Công an tặng Bằng khen cho 1 tập thể, 1 cá nhân, tặng Kỷ niệm chương cho 5 cá nhân'), 'the 2023 festival day shows the ministry\'s awards as the seed counts them');
  check(sentences.includes('UBND huyện Phong Thổ tặng Giấy khen cho 6 tập thể, 12 cá nhân'), 'and the district\'s');

  await page.goto(`${base}/units/03583/teams`);
  await Promise.all([page.waitForNavigation(), page.click('a:text("Tổ bảo vệ an ninh, trật tự Bản Khổng Lào")')]);
  const members = page.locator('tr[id^=member-] a');
  await Promise.all([page.waitForNavigation(), members.nth(0).click()]);
  await Promise.all([page.waitForNavigation(), page.click('#badge-link')]);
  check((await page.textContent('#badge-verdict')).includes('Đủ điều kiện'), 'a member with earlier commune-police service is eligible for the Kỷ niệm chương');
  check((await page.textContent('#badge-reasons')).includes('Thời gian tham gia lực lượng'), 'the page says how the years were counted');

  await page.goBack();
  await page.goBack();
  await Promise.all([page.waitForNavigation(), page.locator('tr[id^=member-] a').nth(2).click()]);
  await Promise.all([page.waitForNavigation(), page.click('#badge-link')]);
  check((await page.textContent('#badge-verdict')).includes('Chưa đủ điều kiện'), 'a newer member is not yet eligible');
  const reason = await page.textContent('#badge-reasons');
  check(/còn thiếu [\d,]+ năm/.test(reason), `the reason names the missing years (${reason.match(/còn thiếu [\d,]+ năm/)?.[0]})`);
} finally {
  await browser.close();
}
