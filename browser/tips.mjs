// Tip-offs in a real browser: a citizen, with no account, sends an
// anonymous tip with a photo from a phone-like browser and keeps the code
// and the secret; the commune officer finds it, sees the photo (stored
// without EXIF or GPS) and replies; the citizen reads the reply with code
// and secret. No cookie is set for the citizen. `.ci/run` then searches the
// server's log and the whole database for the client's address and this
// user agent. Run against `antq serve --demo` (see .ci/run).
import { chromium } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:18080';
const agent = process.env.PROBE_AGENT ?? 'antq-anonymity-probe/1.0';
const here = dirname(fileURLToPath(import.meta.url));
const photo = join(here, '..', 'tests', 'fixtures', 'photo-with-gps.jpg');
const reply = 'Công an xã Khổng Lào đã tiếp nhận tin báo và đang xác minh. Cảm ơn bạn.';

function check(condition, what) {
  if (!condition) throw new Error(`FAILED: ${what}`);
  console.log(`ok - ${what}`);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const citizenContext = await browser.newContext({ userAgent: agent, javaScriptEnabled: false });
  const citizen = await citizenContext.newPage();
  await citizen.goto(`${base}/tin-bao`);
  check((await citizen.textContent('#what-is-recorded')).includes('không ghi'), 'the page says what is not recorded');
  await citizen.selectOption('#t-province-pick', '12');
  await Promise.all([citizen.waitForNavigation(), citizen.click('#pick-province button')]);
  await citizen.selectOption('#t-commune', '03583');
  await citizen.selectOption('#t-category', 'ma_tuy');
  await citizen.fill('#t-description', 'Có người lạ bán ma túy ở quán nước đầu bản Nà Cúng, thường sau 21 giờ. <script>alert(1)</script>');
  await citizen.setInputFiles('#t-photos', photo);
  await citizen.check('input[name=anonymous]');
  // The form's token is good 2 seconds after it was served.
  await citizen.waitForTimeout(2500);
  await Promise.all([citizen.waitForNavigation(), citizen.click('#tip-form button[type=submit]')]);
  const code = (await citizen.textContent('#tracking-code')).trim();
  const secret = (await citizen.textContent('#secret')).trim();
  check(/^\d{4}-\d{4}-\d{4}$/.test(code), `the citizen gets a tracking code (${code})`);
  check(secret.length === 19, 'and a separate secret');
  check((await citizenContext.cookies()).length === 0, 'no cookie is set for the citizen');

  const officer = await (await browser.newContext()).newPage();
  await officer.goto(`${base}/login`);
  await officer.fill('#username', 'khonglao.ca');
  await officer.fill('#password', 'antq-demo-2025');
  await Promise.all([officer.waitForNavigation(), officer.click('button[type=submit]')]);
  await officer.goto(`${base}/units/03583/tips`);
  const link = officer.locator('#tips a', { hasText: code });
  check((await link.count()) === 1, 'the tip is in the commune officer\'s inbox');
  await Promise.all([officer.waitForNavigation(), link.click()]);
  check((await officer.textContent('#tip-description')).includes('<script>alert(1)</script>'), 'markup is shown as text');
  check((await officer.locator('script', { hasText: 'alert(1)' }).count()) === 0, 'and never runs');
  const src = await officer.getAttribute('img.tip-photo', 'src');
  const bytes = Buffer.from(await (await officer.request.get(`${base}${src}`)).body());
  check(bytes[0] === 0xff && bytes[1] === 0xd8, 'the photo is a JPEG');
  check(!bytes.includes(Buffer.from('Exif')) && !bytes.includes(Buffer.from('GPS')), 'the stored photo has no EXIF or GPS data');
  await officer.fill('#m-body', reply);
  await Promise.all([officer.waitForNavigation(), officer.click('#message-form button[type=submit]')]);
  check((await officer.textContent('#tip-messages')).includes(reply), 'the officer replies');

  await citizen.goto(`${base}/tin-bao/tra-cuu`);
  await citizen.fill('#l-code', code.replace(/-/g, ' '));
  await citizen.fill('#l-secret', 'sai-ma-bi-mat');
  await Promise.all([citizen.waitForNavigation(), citizen.click('#lookup button')]);
  check((await citizen.textContent('#lookup-error')).includes('không đúng'), 'a wrong secret is refused without saying whether the code exists');
  await citizen.fill('#l-code', code);
  await citizen.fill('#l-secret', secret);
  await Promise.all([citizen.waitForNavigation(), citizen.click('#lookup button')]);
  check((await citizen.textContent('#messages')).includes(reply), 'the citizen reads the reply with code and secret');
  check((await citizenContext.cookies()).length === 0, 'still no cookie');
} finally {
  await browser.close();
}
