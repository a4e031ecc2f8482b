// The builders in Debian's Chromium, against a running platform: a chain built on the canvas
// from an empty draft, published, and ended by a purchase. Started by
// tests/console/test_builders.py, which makes the customers through the API first.
//   CONSOLE_URL, MARKETER_KEY, POS_KEY, SCREENSHOTS  as for walk.mjs
//   CHAIN_ID     the id to give the new chain
//   TESTER       a customer flagged as a test recipient (also dry-run); ENROLLEE a customer to enroll
//   BIG_CHAIN    a draft chain of fifty steps, to time edits on
//   SEGMENT_NAME the name for the segment built in the rule builder
//   SMS_TESTER   a test recipient with a phone, for the template editor
//   CAMPAIGN_NAME the name for the campaign made on the campaigns screen, over CAMPAIGN_SEGMENT
// Prints one JSON line of measurements; exits non-zero on the first failed check.
import { accessible, check, env, purchase, runWalk, shoot, signIn, WAIT } from './common.mjs'

const consoleUrl = env('CONSOLE_URL')
const origin = new URL(consoleUrl).origin
const chainId = env('CHAIN_ID')
const measured = {}

const node = (page, stepId) => page.locator('.react-flow__node').filter({ hasText: stepId.replaceAll('_', ' ') })
const outline = (page) => page.getByRole('navigation', { name: 'Steps' })
const stepButton = (page, id) => outline(page).locator('ol > li > button.link').filter({ hasText: ` ${id} ` })
// The selected step's or the chain's fields, in the side panel.
const field = (page, label) => page.locator('aside.inspector').getByLabel(label, { exact: typeof label === 'string' })

async function verdict(page, text) {
  await page.locator('.verdict').filter({ hasText: text }).waitFor(WAIT)
}

async function addStep(page, kind) {
  await page.getByLabel('New step').selectOption(kind)
  await outline(page).getByRole('button', { name: /^Add / }).click()
}

/** Tab (only the keyboard) until the focused element is named `name`, then press Enter. */
async function tabTo(page, name) {
  for (let i = 0; i < 120; i += 1) {
    await page.keyboard.press('Tab')
    const focused = await page.evaluate(() => {
      const el = document.activeElement
      return el ? (el.getAttribute('aria-label') ?? el.textContent ?? '').trim() : ''
    })
    if (focused === name) return page.keyboard.press('Enter')
  }
  throw new Error(`check failed: Tab never reached ${name}`)
}

async function stepIds(page) {
  return (await outline(page).locator('ol > li > button').allTextContents()).map((t) => t.split(' ')[1])
}

async function newChain(page) {
  await page.goto(consoleUrl)
  await signIn(page, env('MARKETER_KEY'))
  await page.getByRole('link', { name: 'New chain' }).click()
  await page.getByLabel(/^Chain id/).fill(chainId)
  await page.getByLabel('Name', { exact: true }).fill('Reactivation, built on the canvas')
  await accessible(page, 'new chain')
  await page.getByRole('button', { name: 'Create the draft' }).click()
  await page.getByRole('heading', { name: `Edit the draft of ${chainId}` }).waitFor(WAIT)
  await verdict(page, 'No problems')
}

async function buildSteps(page) {
  await field(page, 'Starts on').selectOption('segment_entered')
  await field(page, /^Segments/).fill('recency.cooling')
  await addStep(page, 'grant_bonus')
  await field(page, 'Points').fill('200')
  await field(page, 'Lifetime (days)').fill('14')
  await addStep(page, 'send')
  // A send step has no template yet: the API names the field, the node and the field show it.
  await node(page, 'send_1').locator('.node-problem').waitFor(WAIT)
  const template = page.locator('.inspector .field.invalid').filter({ hasText: 'Template' })
  await template.locator('.error').waitFor(WAIT)
  measured.problem_on_node = await node(page, 'send_1').locator('.node-problem').innerText()
  await accessible(page, 'builder with a problem')
  await shoot(page, 'builder-problem')
  await field(page, 'Template').selectOption('reactivation_offer')
  await page.getByRole('button', { name: '+ push' }).click()
  await verdict(page, 'No problems')
  check((await node(page, 'send_1').locator('.node-problem').count()) === 0, 'the fixed node shows no problem')
  await addStep(page, 'wait')
  await field(page, /^Duration/).fill('P3D')
  await addStep(page, 'send')
  await field(page, 'Template').selectOption('reactivation_reminder')
  await verdict(page, 'No problems')
  const ids = await stepIds(page)
  check(ids.join() === 'grant_bonus_1,send_1,wait_1,send_2,done', `the steps in order (${ids})`)
}

async function keyboardOnly(page) {
  await page.getByRole('heading', { name: `Edit the draft of ${chainId}` }).click()
  await tabTo(page, 'Move wait_1 down')
  check((await stepIds(page))[3] === 'wait_1', 'moved down from the keyboard')
  await page.keyboard.press('Control+z')
  await page.waitForFunction(() => document.querySelector('nav[aria-label="Steps"] ol li:nth-child(3)')?.textContent?.includes('wait_1'))
  await page.keyboard.press('Control+y')
  await page.waitForFunction(() => document.querySelector('nav[aria-label="Steps"] ol li:nth-child(4)')?.textContent?.includes('wait_1'))
  await page.getByRole('button', { name: 'Undo' }).click()
  check((await stepIds(page))[2] === 'wait_1', 'undo puts it back')
  await tabTo(page, 'Save draft')
  await verdict(page, 'Draft saved')
}

async function jsonView(page) {
  await page.getByRole('button', { name: 'JSON view' }).click()
  const text = page.getByLabel('The draft as JSON')
  const json = await text.inputValue()
  check(json.includes('"amount": 200'), 'the JSON shows the canvas')
  await text.fill(json.replace('"amount": 200', '"amount": 250'))
  await node(page, 'grant_bonus_1').getByText('250 points for 14 days').waitFor(WAIT)
  await page.getByRole('button', { name: 'JSON view' }).click()
  await stepButton(page, 'grant_bonus_1').click()
  check((await field(page, 'Points').inputValue()) === '250', 'the form follows the JSON')
}

async function testSend(page) {
  await page.getByRole('button', { name: 'Save draft' }).click()
  await verdict(page, 'Draft saved')
  await stepButton(page, 'send_1').click()
  await field(page, 'Test recipient (customer id)').fill(env('TESTER'))
  await page.getByRole('button', { name: 'Send a test' }).click()
  await page.getByText('Sent by email').waitFor(WAIT)
  await accessible(page, 'builder')
  await shoot(page, 'builder')
}

/** The draft on the canvas dry-run for the test recipient, who buys during the wait. */
async function dryRun(page) {
  const panel = page.getByRole('region', { name: /^Dry run/ })
  await panel.getByLabel('Customer (id)').fill(env('TESTER'))
  await panel.getByLabel(/^Starts at/).fill('2027-03-10T11:00')
  await panel.getByLabel('Assume a purchase at').fill('2027-03-12T11:00')
  await panel.getByRole('button', { name: 'Run the dry run' }).click()
  const path = panel.getByRole('list', { name: `The path of ${env('TESTER')}` })
  await path.waitFor(WAIT)
  const offer = path.locator('> li').filter({ hasText: 'send_1 · send' })
  await offer.getByText(/^reactivation_offer by email/).waitFor(WAIT)
  measured.dry_run_offer = await offer.locator('li').first().innerText()
  await path.locator('> li').filter({ hasText: 'grant_bonus_1' }).getByText(/^Grant: 250 points/).waitFor(WAIT)
  await path.getByText('Exit: purchase').waitFor(WAIT)
  await accessible(page, 'builder with a dry run')
  await shoot(page, 'builder-dry-run')
}

async function publishAndWatch(page) {
  await page.getByRole('button', { name: 'Review and publish' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByText(/in recency\.cooling now/).waitFor(WAIT)
  await accessible(page, 'publish dialog')
  await shoot(page, 'builder-publish')
  await dialog.getByRole('button', { name: 'Publish now' }).click()
  await page.getByRole('heading', { name: 'Reactivation, built on the canvas' }).waitFor(WAIT)
  await page.getByLabel('Version').locator('option', { hasText: 'version 1 (live)' }).waitFor({ ...WAIT, state: 'attached' })
  const enrollee = env('ENROLLEE')
  const enrolled = await fetch(`${origin}/v1/chains/${chainId}/enrollments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env('MARKETER_KEY')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customer_id: enrollee }),
  })
  check(enrolled.status === 201, `the test customer is enrolled (${enrolled.status})`)
  await page.locator('.react-flow__node').filter({ hasText: '1 enrolled' }).waitFor(WAIT)
  await purchase(origin, enrollee)
  const left = page.locator('.react-flow__node').filter({ hasText: 'Left: purchase' })
  await left.getByText('1 left', { exact: true }).waitFor(WAIT)
}

async function policies(page) {
  await page.getByRole('link', { name: 'Policies' }).click()
  const programme = page.getByRole('form', { name: "The programme's policy" })
  const cap = programme.getByLabel('Marketing messages a day (at most)')
  await cap.fill('500')
  await programme.getByRole('button', { name: 'Save' }).click()
  // Above the API's limit of 100: the 422 lands on the field.
  await programme.locator('.field.invalid .error').waitFor(WAIT)
  await cap.fill('3')
  await programme.getByRole('button', { name: 'Save' }).click()
  await programme.getByText('Saved', { exact: true }).waitFor(WAIT)
  await page.getByLabel('Chain', { exact: true }).selectOption(chainId)
  const override = page.getByRole('form', { name: `Policy of ${chainId}` })
  await override.getByLabel(/^Quiet from/).fill('22:00')
  await override.getByRole('button', { name: 'Save' }).click()
  await override.getByText('Saved', { exact: true }).waitFor(WAIT)
  await accessible(page, 'policies')
  await shoot(page, 'policies')
}

/** A campaign made on the campaigns screen (two refusals shown on their fields), started, paused and resumed. */
async function campaigns(page) {
  const name = env('CAMPAIGN_NAME')
  await page.getByRole('link', { name: 'Campaigns' }).click()
  const form = page.getByRole('form', { name: 'New campaign' })
  await form.getByLabel('Name', { exact: true }).fill(name)
  await form.getByLabel(/^Segment/).fill('no.such.segment')
  await form.getByLabel('Points', { exact: true }).fill('50')
  await form.getByLabel('Send a message').check()
  await form.getByLabel('Template', { exact: true }).selectOption('reactivation_offer')
  await form.getByLabel('push', { exact: true }).check()
  const holdout = form.getByLabel(/^Holdout share/)
  await holdout.fill('0.9')
  await form.getByRole('button', { name: 'Create the campaign' }).click()
  // Above the API's 0.5: the gateway's 422 lands on the field.
  await form.locator('.field.invalid').filter({ hasText: 'Holdout share' }).locator('.error').waitFor(WAIT)
  await holdout.fill('0.1')
  await form.getByRole('button', { name: 'Create the campaign' }).click()
  // A segment segments does not know: 422 unknown_segment, shown on the segment.
  const segment = form.locator('.field.invalid').filter({ hasText: 'Segment' }).locator('.error')
  await segment.waitFor(WAIT)
  measured.campaign_problem = await segment.innerText()
  await accessible(page, 'new campaign with a problem')
  await form.getByLabel(/^Segment/).fill(env('CAMPAIGN_SEGMENT'))
  // One member a second over a segment of dozens: still running when it is paused.
  await form.getByLabel(/^Members a second/).fill('1')
  await form.getByLabel(/^Batch size/).fill('1')
  await form.getByRole('button', { name: 'Create the campaign' }).click()
  await form.getByText(`Created ${name}`).waitFor(WAIT)
  const row = page.getByRole('row').filter({ hasText: name })
  const status = (text) => row.locator('.badge').filter({ hasText: new RegExp(`^${text}$`) }).waitFor(WAIT)
  await status('draft')
  await row.getByRole('button', { name: `Start ${name}` }).click()
  await status('running')
  await row.getByRole('button', { name: `Pause ${name}` }).click()
  await status('paused')
  await row.getByRole('button', { name: `Resume ${name}` }).click()
  await status('running')
  await row.getByRole('progressbar').first().waitFor(WAIT)
  await accessible(page, 'campaigns with a new campaign')
  await shoot(page, 'campaigns-manage')
  // Left paused: the platform is shared by the test session, and a campaign still granting and
  // sending to every never-bought customer would reach the customers of the tests after it.
  await row.getByRole('button', { name: `Pause ${name}` }).click()
  await status('paused')
}

/** Edits on a fifty-step draft, from the click to the next frame. */
async function fiftySteps(page) {
  await page.goto(`${consoleUrl}#/chains/${env('BIG_CHAIN')}/edit`)
  await outline(page).locator('ol > li').nth(49).waitFor(WAIT)
  const times = []
  for (let i = 0; i < 10; i += 1) {
    const button = outline(page).getByRole('button', { name: `Move step_${20 + i} down` })
    times.push(
      await button.evaluate(async (el) => {
        const started = performance.now()
        el.click()
        await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)))
        return performance.now() - started
      }),
    )
  }
  times.sort((a, b) => a - b)
  measured.edit_ms_median = Math.round(times[5])
  measured.edit_ms_max = Math.round(times[9])
}

async function segmentBuilder(page) {
  await page.getByRole('link', { name: 'Segments' }).click()
  await page.getByRole('link', { name: 'New segment' }).click()
  await page.getByLabel('Segment name').fill(env('SEGMENT_NAME'))
  const rule = (label) => page.getByRole('group', { name: label, exact: true })
  await rule('Rule 1').getByLabel('Segment').selectOption('recency.active')
  await rule('The rule').getByRole('button', { name: 'Add to the rule: bought in a category' }).click()
  await rule('Rule 2').getByLabel('Category').fill('lamps')
  // The enrolled customer bought a lamp a moment ago: the preview counts them.
  await page.locator('.big-count').filter({ hasText: /^[1-9][\d,]* customers$/ }).waitFor(WAIT)
  check((await page.locator('.sample li').count()) >= 1, 'the preview shows a sample of members')
  // A range the wrong way round: the API's problem shows on the rule it belongs to.
  await rule('The rule').getByRole('button', { name: 'Add to the rule: purchases or spend' }).click()
  await rule('Rule 3').getByLabel('Comparison').selectOption('between')
  await rule('Rule 3').getByLabel('From').fill('5')
  await rule('Rule 3').locator('.error').waitFor(WAIT)
  measured.segment_problem = await rule('Rule 3').locator('.error').first().innerText()
  await accessible(page, 'segment builder with a problem')
  await shoot(page, 'segment-builder')
  await rule('Rule 3').getByLabel('To', { exact: true }).fill('10')
  await page.locator('.big-count').waitFor(WAIT)
  check((await rule('Rule 3').locator('.error').count()) === 0, 'the fixed rule shows no problem')
  await rule('Rule 3').getByRole('button', { name: 'Remove rule 3' }).click()
  await page.getByRole('button', { name: 'Create the segment' }).click()
  await page.getByRole('heading', { name: /^Edit the segment / }).waitFor(WAIT)
  await page.getByLabel('Description', { exact: true }).fill('Bought a lamp lately')
  await page.getByRole('button', { name: 'Save a new version' }).click()
  await page.getByText('Saved', { exact: true }).waitFor(WAIT)
  page.once('dialog', (dialog) => dialog.accept())
  await page.getByRole('button', { name: 'Delete the segment' }).click()
  await page.getByRole('heading', { name: 'Segments', exact: true }).waitFor(WAIT)
}

/** The notifier's answer for an SMS text as the editor asks for it. */
async function draftPreview(body, variables, customerId) {
  const answer = await fetch(`${origin}/v1/templates/preview`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env('MARKETER_KEY')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'sms', body, variables, language: 'en', customer_id: customerId, values: {} }),
  })
  check(answer.status === 200, `the draft preview answers (${answer.status})`)
  return answer.json()
}

/** Types `body` and checks the figures the editor shows for it are the notifier's, figure by figure. */
async function typeAndCompare(page, body, variables, customerId) {
  const expected = await draftPreview(body, variables, customerId)
  await page.getByLabel('Text', { exact: true }).fill(body)
  await page.locator('.rendered pre').filter({ hasText: expected.body }).waitFor(WAIT)
  const figures = page.locator('dl.sms-figures[aria-busy="false"]')
  await figures.waitFor(WAIT)
  const cell = (term) => figures.locator('div').filter({ has: page.getByRole('term').filter({ hasText: term }) }).getByRole('definition')
  const shown = {
    encoding: await cell('Encoding').locator('data').getAttribute('value'),
    units: Number(await cell('Characters').innerText()),
    segments: Number(await cell('Segments').innerText()),
    cost_per_send: Number(await cell('Cost a send').locator('data').getAttribute('value')),
  }
  for (const [figure, value] of Object.entries(shown)) {
    check(value === expected.sms[figure], `the ${figure} shown as typed is the notifier's (${value}, ${expected.sms[figure]})`)
  }
  return expected
}

async function templateEditor(page) {
  const saved = await fetch(`${origin}/v1/templates/reactivation_final/sms`, {
    headers: { authorization: `Bearer ${env('MARKETER_KEY')}` },
  })
  const { variables } = await saved.json()
  await page.goto(`${consoleUrl}#/templates/reactivation_final/sms/edit`)
  const text = page.getByLabel('Text', { exact: true })
  await text.waitFor(WAIT)
  const tester = env('SMS_TESTER')
  await page.getByLabel(/^Customer for the preview/).fill(tester)
  const typo = await typeAndCompare(page, 'Hi {{ name }}, {{ pionts }} points wait for you: {{ click_url }}', variables, tester)
  check(typo.unknown_variables.join() === 'pionts', 'the notifier names the unknown variable')
  await page.getByText('Unknown variables: pionts').waitFor(WAIT)
  check(await page.getByRole('button', { name: 'Save the template' }).isDisabled(), 'unknown variables block the save')
  const long = await typeAndCompare(page, 'a'.repeat(161), variables, tester)
  check(long.sms.encoding === 'gsm7' && long.sms.segments === 2, '161 GSM-7 characters take two segments')
  const russian = await typeAndCompare(page, 'Привет {{ name }}, 300 points wait for you: {{ click_url }}', variables, tester)
  check(russian.sms.encoding === 'ucs2', 'Cyrillic is sent as UCS-2')
  await page.getByRole('definition').filter({ hasText: 'UCS-2' }).waitFor(WAIT)
  const plain = await typeAndCompare(page, 'Hi {{ name }}, 300 points wait for you: {{ click_url }}', variables, tester)
  check(plain.sms.encoding === 'gsm7' && plain.body.startsWith('Hi Dana,'), 'the text is rendered for the customer')
  measured.template_sms = plain.sms
  await page.getByRole('button', { name: 'Save the template' }).click()
  await page.getByText('Saved', { exact: true }).waitFor(WAIT)
  measured.template_preview = await page.locator('.rendered p').last().innerText()
  await accessible(page, 'template editor')
  await shoot(page, 'template-editor')
  await page.getByRole('button', { name: 'Send a test' }).click()
  await page.getByText(/^Test sent by sms/).waitFor(WAIT)
}

await runWalk(origin, measured, [
  newChain,
  buildSteps,
  keyboardOnly,
  jsonView,
  testSend,
  dryRun,
  publishAndWatch,
  segmentBuilder,
  templateEditor,
  policies,
  campaigns,
  fiftySteps,
])
