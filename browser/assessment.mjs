// The November assessment in a real browser: the commune officer registers
// a village for the year, rates its teams and opens its assessment on the
// Thông tư 124 set, judges the criteria antq does not compute and submits;
// a reviewer of another province cannot open it; the commune's reviewer
// returns it with a reason; the officer adds the missing record and
// resubmits; the approval moves the commune's recognised share at once (the
// province reviewer's window shows it); the recognition issues the
// certificate, whose PDF text (pdftotext) names the village with its
// diacritics. Run against `antq serve --demo` (see .ci/run).
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:18080';
const password = 'antq-demo-2025';
const village = 'Bản Nà Cúng';

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

async function submitForm(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const work = mkdtempSync(join(tmpdir(), 'antq-assessment-'));
try {
  const year = new Date().getFullYear();
  const officer = await (await browser.newContext({ acceptDownloads: true })).newPage();
  await login(officer, 'khonglao.ca');

  // The records criterion 1 and 5 are computed from.
  await officer.goto(`${base}/units/03583/registrations?year=${year}`);
  await officer.selectOption('#r-subject', { label: village });
  await officer.fill('#r-on', `15/02/${year}`);
  await officer.fill('#r-res', `Nghị quyết số 01-NQ/CB năm ${year}`);
  await officer.fill('#r-hr', '118');
  await officer.fill('#r-hg', '118');
  await submitForm(officer, '#register button[type=submit]');
  check((await officer.textContent('.notice')).includes('Đã ghi nhận đăng ký'), 'the village registers for the year');
  await officer.goto(`${base}/units/03583/teams`);
  const teamLinks = await officer.locator('#teams ~ table a', { hasText: village }).evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  check(teamLinks.length === 2, 'the village has two teams');
  for (const href of teamLinks) {
    await officer.goto(`${base}${href}?year=${year}`);
    const row = officer.locator('tr[id^=rate-team-]');
    await row.locator('select').selectOption('tot');
    await Promise.all([officer.waitForNavigation(), row.locator('button').click()]);
  }

  // Open the assessment: criterion 1 is computed, with its figure.
  await officer.goto(`${base}/units/03583/assessments?year=${year}`);
  await officer.selectOption('#n-subject', { label: village });
  await officer.fill('#n-year', String(year));
  await submitForm(officer, '#new-assessment button[type=submit]');
  const url = officer.url().split('?')[0];
  check(/\/assessments\/\d+$/.test(url), 'the assessment is opened');
  check((await officer.textContent('#status')).includes('Đang soạn'), 'it starts as a draft');
  check((await officer.textContent('#computed-1')).includes('118/118 hộ'), 'criterion 1 shows the households registered, computed');
  check((await officer.textContent('#deadline')).includes(`15/11/${year}`), 'the deadline of Điều 9 is shown');

  // Submitting with criteria not judged is refused, naming them.
  await submitForm(officer, '#submit-assessment');
  check((await officer.textContent('#judge .error')).includes('chưa đánh giá'), 'submitting with open criteria is refused');
  for (const code of ['2', '3', '4', '5']) {
    await officer.check(`input[name="verdict.${code}"][value=dat]`);
    await officer.fill(`#n-${code}`, `Biên bản họp ngày 20/10/${year}: đạt tiêu chí ${code}.`);
  }
  await submitForm(officer, '#submit-assessment');
  check((await officer.textContent('#status')).includes('Đã gửi'), 'the assessment is submitted');
  check((await officer.locator('#approve-form').count()) === 0, 'the officer has no approval form: no one approves their own submission');

  // A reviewer of another province does not see it.
  const other = await (await browser.newContext()).newPage();
  await login(other, 'sonla.ptxd');
  const denied = await other.goto(url);
  check(denied.status() === 404, 'a reviewer of another province gets 404');
  check(!(await other.content()).includes(village), 'and nothing of the village shows');

  // The commune returns it with a reason.
  const commune = await (await browser.newContext()).newPage();
  await login(commune, 'khonglao.ubnd');
  await commune.goto(url);
  await submitForm(commune, '#return-form button[type=submit]');
  check((await commune.textContent('#return-form .error')).includes('Lý do trả lại'), 'a return without a reason is refused');
  await commune.fill('#r-reason', 'Bổ sung biên bản họp khu dân cư.');
  await submitForm(commune, '#return-form button[type=submit]');
  check((await commune.textContent('#status')).includes('Bị trả lại'), 'the assessment is returned');

  // The officer adds the record and resubmits.
  await officer.goto(url);
  check((await officer.textContent('#return-reason')).includes('Bổ sung biên bản'), 'the officer reads the reason');
  const record = join(work, 'bien-ban-hop.pdf');
  writeFileSync(record, '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  await officer.selectOption('#e-criterion', '3');
  await officer.setInputFiles('#e-file', record);
  await submitForm(officer, '#upload-evidence button[type=submit]');
  check((await officer.locator('#criterion-3 .file', { hasText: 'bien-ban-hop.pdf' }).count()) === 1, 'the record is attached to criterion 3');
  await submitForm(officer, '#submit-assessment');
  check((await officer.textContent('#status')).includes('Đã gửi'), 'the assessment is resubmitted');
  check((await officer.textContent('#history')).includes('Gửi lại sau khi bị trả'), 'the history shows the resubmission');

  // Approval moves the commune's recognised share at once.
  const province = await (await browser.newContext()).newPage();
  await login(province, 'laichau.ptxd');
  await province.goto(`${base}/units/03583/assessments?year=${year}`);
  const before = (await province.textContent('#sum-recognised-villages')).trim();
  await commune.goto(url);
  await submitForm(commune, '#approve-form button[type=submit]');
  check((await commune.textContent('#status')).includes('Đã phê duyệt'), 'the commune approves');
  await province.reload();
  const after = (await province.textContent('#sum-recognised-villages')).trim();
  const recognised = (s) => Number(s.split('/')[0]);
  check(recognised(after) === recognised(before) + 1, `the recognised share changes at once (${before} → ${after})`);

  // Recognition and the certificate.
  await commune.fill('#c-number', `07/QĐ-UBND-${year}`);
  await submitForm(commune, '#recognise-form button[type=submit]');
  check((await commune.textContent('#status')).includes('Đã công nhận'), 'the village is recognised');
  const [download] = await Promise.all([officer.waitForEvent('download'), officer.goto(url).then(() => officer.click('#certificate'))]);
  const pdf = join(work, 'giay-cong-nhan.pdf');
  await download.saveAs(pdf);
  const text = execFileSync('pdftotext', [pdf, '-'], { encoding: 'utf8' });
  check(text.includes(village), 'the certificate names the village with its diacritics');
  check(text.includes('GIẤY CÔNG NHẬN') && text.includes('AN TOÀN VỀ AN NINH, TRẬT TỰ'), 'the certificate carries its title');
  check(text.includes('ỦY BAN NHÂN DÂN XÃ KHỔNG LÀO') && text.includes(`07/QĐ-UBND-${year}`), 'the certificate names its authority and number');
} finally {
  await browser.close();
}
