// A marketer's walk through the console in Debian's Chromium, against a running platform.
// Started by tests/console/test_console.py, which creates the data through the API first.
//   CONSOLE_URL   http://127.0.0.1:<gateway port>/console/
//   MARKETER_KEY  a marketer key; POS_KEY a POS key (which must not sign in)
//   CHAIN_ID      a published chain with enrollments; CAMPAIGN_NAME a started campaign
//   BUYER         a customer enrolled in the chain, who buys while the graph is open
//   ENROLLED      how many customers the test enrolled in CHAIN_ID
//   BIG_CHAIN     a draft chain of fifty steps, drawn to measure the graph's responsiveness
//   SMS_TEMPLATE  a template with an SMS text, previewed for BUYER
//   SCREENSHOTS   where to save the screenshots (docs/console/ when run for the docs)
// Prints one JSON line of measurements; exits non-zero on the first failed check.
import { join } from 'node:path'
import { accessible, check, env, purchase, returnLamp, runWalk, shoot, signIn, WAIT } from './common.mjs'

const consoleUrl = env('CONSOLE_URL')
const screenshots = env('SCREENSHOTS')
const chainId = env('CHAIN_ID')
const marketerKey = env('MARKETER_KEY')
const origin = new URL(consoleUrl).origin
const measured = {}
let boughtTxid = null // the walk's own purchase, made while the chain's graph is open

async function firstLoad(page) {
  const started = Date.now()
  await page.goto(consoleUrl)
  await page.getByLabel('Marketer key').waitFor(WAIT)
  measured.first_load_ms = Date.now() - started
  measured.navigation_ms = await page.evaluate(() => {
    const [nav] = performance.getEntriesByType('navigation')
    return Math.round(nav.loadEventEnd - nav.startTime)
  })
}

async function refusesPosKey(page) {
  await signIn(page, env('POS_KEY'))
  await page.getByText('only marketer keys open the console').waitFor(WAIT)
  await accessible(page, 'sign-in')
  await shoot(page, 'sign-in')
}

async function chainsList(page) {
  await signIn(page, marketerKey)
  const row = page.getByRole('row').filter({ hasText: chainId })
  await row.waitFor(WAIT)
  await row.getByText('active', { exact: true }).waitFor(WAIT)
  // The key went to the gateway once: nothing in storage, and the session cookie is HttpOnly.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))
  check(!stored.includes(marketerKey), 'the key must not be kept in web storage')
  const cookies = await page.evaluate(() => document.cookie)
  check(!cookies.includes('rp_session'), 'the session cookie must be HttpOnly')
  await accessible(page, 'chains')
  await shoot(page, 'chains')
  // Pause and resume, each confirmed: writes that pass the gateway's CSRF check.
  page.on('dialog', (dialog) => dialog.accept())
  await row.getByRole('button', { name: /^pause/ }).click()
  await row.getByText('paused', { exact: true }).waitFor(WAIT)
  await row.getByRole('button', { name: /^resume/ }).click()
  await row.getByText('active', { exact: true }).waitFor(WAIT)
}

async function chainGraph(page) {
  await page.getByRole('row').filter({ hasText: chainId }).getByRole('link').click()
  await page.locator('.react-flow__node').first().waitFor(WAIT)
  const nodes = await page.locator('.react-flow__node').count()
  check(nodes >= 11, `the reactivation graph has its trigger and ten steps (saw ${nodes})`)
  await page.locator('.react-flow__node').filter({ hasText: 'enrolled' }).waitFor(WAIT)
  await page.locator('.react-flow__node').filter({ hasText: 'Left: purchase' }).waitFor(WAIT)
  await page.locator('.react-flow__edge path').first().waitFor({ ...WAIT, state: 'attached' })
  const drawn = await page.$$eval('.react-flow__edge path.react-flow__edge-path', (paths) =>
    paths.filter((path) => (path.getAttribute('d') ?? '').length > 0).length,
  )
  check(drawn >= nodes - 1, `every step is reached by a drawn edge (${drawn} edges)`)
  measured.graph_nodes = nodes
  measured.graph_edges = drawn
  await accessible(page, 'chain graph')
  await shoot(page, 'chain-graph')
  // The page polls every 5 s: a purchase while it is open moves a customer to the exit.
  const exit = page.locator('.react-flow__node').filter({ hasText: 'Left: purchase' })
  await exit.getByText('1 left', { exact: true }).waitFor(WAIT)
  const bought = Date.now()
  boughtTxid = await purchase(origin, env('BUYER'))
  await exit.getByText('2 left', { exact: true }).waitFor({ timeout: 60_000 })
  measured.purchase_to_graph_ms = Date.now() - bought
}

// The console's own formats (src/common/format.ts), to read the numbers as a marketer sees them.
const integer = new Intl.NumberFormat('en-GB')
const formats = {
  count: (n) => integer.format(n),
  money: (n) => (n / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
  percent: (n) => `${(n * 100).toFixed(1)} %`,
  ratio: (n) => n.toFixed(2),
}

/** The marketer API as the signed-in page calls it: the session cookie rides along. */
async function apiJson(page, path) {
  return page.evaluate(async (url) => {
    const answer = await fetch(url)
    if (!answer.ok) throw new Error(`${url}: ${answer.status}`)
    return answer.json()
  }, path)
}

async function figureMismatches(page, figures, steps, daily) {
  const expected = [
    ['Treated', figures.treated, 'count'],
    ['Holdout', figures.holdout, 'count'],
    ['Conversions treated', figures.conversions.treated, 'count'],
    ['Conversions holdout', figures.conversions.holdout, 'count'],
    ['Uplift', figures.uplift?.difference ?? null, 'percent'],
    ['Incremental revenue', figures.incremental_revenue?.estimate ?? null, 'money'],
    ['Attributed revenue', figures.attributed_revenue, 'money'],
    ['Cost', figures.cost.total, 'money'],
    ['Incremental gross profit', figures.incremental_gross_profit, 'money'],
    ['ROI', figures.incremental_roi, 'ratio'],
  ]
  const wrong = []
  for (const [label, value, format] of expected) {
    const shown = page.locator('#results-figures > div').filter({ has: page.getByText(label, { exact: true }) }).locator('dd')
    const raw = await shown.getAttribute('data-value')
    const text = await shown.innerText()
    const wanted = value === null ? '—' : formats[format](value)
    if (raw !== String(value ?? '') || !text.startsWith(wanted)) wrong.push(`${label}: shown ${text} (${raw}), API ${value}`)
  }
  for (const day of daily.filter((d) => d.revenue.treated || d.revenue.holdout)) {
    const api = [day.revenue.treated, day.revenue.holdout, day.revenue_per_member.treated, day.revenue_per_member.holdout]
    const cells = page.locator(`table[aria-label="Daily revenue"] tr[data-date="${day.date}"] td`)
    const raw = await cells.evaluateAll((tds) => tds.map((td) => td.getAttribute('data-value')))
    const text = await cells.allInnerTexts()
    if (raw.join('|') !== api.join('|') || text.join('|') !== api.map(formats.money).join('|')) {
      wrong.push(`revenue on ${day.date}: shown ${text} (${raw}), API ${api}`)
    }
  }
  for (const step of steps.steps) {
    const cells = await page.locator(`tr[data-step="${step.step}"] td`).allInnerTexts()
    const left = Object.values(step.exited).reduce((a, b) => a + b, 0)
    const api = [step.reached.treated, step.reached.holdout, step.waiting, left, step.messages.sent ?? 0, step.points_granted]
    if (cells.join('|') !== api.map(formats.count).join('|')) wrong.push(`${step.step}: shown ${cells}, API ${api}`)
  }
  return wrong
}

/** Screen 3: every number shown is the analytics API's, exactly. */
async function chainResults(page) {
  await page.getByRole('link', { name: /^Funnel, daily series/ }).click()
  await page.getByRole('heading', { name: /^Results: / }).waitFor(WAIT)
  const chain = await apiJson(page, `/v1/chains/${chainId}`)
  let wrong = ['not compared yet']
  for (let attempt = 0; attempt < 5 && wrong.length; attempt++) {
    if (attempt) await page.reload()
    await page.locator('#results-figures').waitFor(WAIT)
    await page.getByRole('img', { name: /^Funnel by step/ }).locator('svg').waitFor(WAIT)
    const analytics = await apiJson(page, `/v1/analytics/chains/${chainId}`)
    const report = await apiJson(page, `/v1/analytics/chains/${chainId}/steps`)
    const figures = analytics.versions.find((v) => v.version === chain.active_version)
    const steps = report.versions.find((v) => v.version === chain.active_version)
    const enrolled = Number(env('ENROLLED'))
    check(figures.treated + figures.holdout === enrolled, `the results count every enrollment (${figures.treated} + ${figures.holdout})`)
    wrong = await figureMismatches(page, figures, steps, report.daily)
    const revenueDays = report.daily.filter((d) => d.revenue.treated || d.revenue.holdout).length
    check(revenueDays > 0, 'the purchases made conversions with revenue')
    measured.results_compared = { figures: 10, steps: steps.steps.length, revenue_days: revenueDays }
  }
  check(wrong.length === 0, `the results match the analytics API: ${wrong.join('; ')}`)
  await page.getByRole('img', { name: /^Daily conversions/ }).locator('svg').waitFor(WAIT)
  await page.getByRole('img', { name: /^Daily revenue per member/ }).locator('svg').waitFor(WAIT)
  // With both groups present the uplift is drawn as an error bar with its interval.
  if ((await apiJson(page, `/v1/analytics/chains/${chainId}`)).versions[0].uplift) {
    await page.getByRole('img', { name: /^Conversion uplift .* 95 % interval/ }).waitFor(WAIT)
  }
  await accessible(page, 'chain results')
  await shoot(page, 'chain-results')
}

/** Polls `ready` every half second until it holds (a list re-renders after its fetch). */
async function until(ready, what, timeoutMs = WAIT.timeout) {
  const deadline = Date.now() + timeoutMs
  while (!(await ready())) {
    check(Date.now() < deadline, `waited too long for ${what}`)
    await new Promise((done) => setTimeout(done, 500))
  }
}

/** The step filter: the buyer's exit step keeps the buyer, another step drops them, and each
 * shows as many rows as the API lists there. */
async function stepFilter(list, buyer) {
  // The chain's list names no step for exited enrollments; the customer's own says where they left.
  const mine = await apiJson(list.page(), `/v1/customers/${env('BUYER')}/enrollments`)
  const left = { step: mine.items.find((e) => e.chain_id === chainId).exit_step }
  const options = await list.getByLabel('Step').locator('option').evaluateAll((os) => os.map((o) => o.value))
  check(options.includes(left.step), `the step filter offers the chain's steps and ${left.step} (${options.join(', ')})`)
  const other = options.find((o) => o && o !== left.step)
  for (const [step, kept] of other ? [[left.step, true], [other, false]] : [[left.step, true]]) {
    await list.getByLabel('Step').selectOption(step)
    await buyer.waitFor({ ...WAIT, state: kept ? 'visible' : 'detached' })
    const api = await apiJson(list.page(), `/v1/chains/${chainId}/enrollments?status=exited&step=${encodeURIComponent(step)}`)
    const rows = list.locator('tbody tr')
    await until(async () => (await rows.count()) === api.items.length, `the step ${step} to show the API's ${api.items.length} enrollments`)
  }
  measured.step_filter = { kept: left.step, dropped: other }
  await list.getByLabel('Step').selectOption('')
  await buyer.waitFor(WAIT)
}

/** Screen 2's list: both enrollments, the exited filter, a link to each customer. */
async function chainEnrollments(page) {
  await page.getByRole('link', { name: /^← The chain/ }).click()
  const list = page.locator('section[aria-labelledby="enrollments-title"]')
  const buyer = list.getByRole('row').filter({ hasText: env('BUYER') })
  await buyer.waitFor(WAIT)
  await list.getByLabel('Status').selectOption('active')
  await buyer.waitFor({ ...WAIT, state: 'detached' })
  await list.getByLabel('Status').selectOption('exited')
  await buyer.getByText('purchase').waitFor(WAIT)
  check((await list.locator('tbody tr').count()) === 2, 'both customers left on a purchase')
  await stepFilter(list, buyer)
  // The step report's counts on the nodes: arrivals at the first step.
  await page.locator('.react-flow__node').filter({ hasText: 'reached' }).first().waitFor(WAIT)
  await list.scrollIntoViewIfNeeded()
  await accessible(page, 'chain enrollments')
  await list.screenshot({ path: join(screenshots, 'chain-enrollments.png') })
  await buyer.getByRole('link', { name: env('BUYER') }).click()
}

/** The customer's purchases with their returns, and each lot's source, as the API has them. */
async function history(page) {
  const returned = await returnLamp(origin, boughtTxid)
  await page.reload()
  const purchases = page.locator('section[aria-labelledby="purchases-title"]')
  const bought = purchases.locator(`tr[data-txid="${boughtTxid}"]`)
  await bought.getByText(`return back-${boughtTxid}`).waitFor(WAIT)
  const view = await apiJson(page, `/v1/customers/${env('BUYER')}/view`)
  for (const p of view.purchases.items) {
    const cells = await purchases.locator(`tr[data-txid="${p.txid}"] td`).allInnerTexts()
    const api = [formats.money(p.total_amount), formats.money(p.paid_amount), formats.count(p.redeemed_points), formats.count(p.accrued_points)]
    check(cells.slice(1, 5).join('|') === api.join('|'), `purchase ${p.txid} shows ${cells}, API ${api}`)
  }
  const refund = formats.money(returned.refunded_amount)
  check((await bought.innerText()).includes(`refunded ${refund}`), `the return shows its refund of ${refund}`)
  const lots = page.locator('section[aria-labelledby="lots-title"]')
  for (const lot of view.lots.items) {
    const row = lots.locator(`tr[data-lot="${lot.id}"]`)
    const text = await row.innerText()
    check(text.includes(`${formats.count(lot.remaining)} of ${formats.count(lot.initial)}`), `lot ${lot.id} shows its points: ${text}`)
    check(text.includes(lot.state), `lot ${lot.id} shows its state ${lot.state}: ${text}`)
    if (lot.purchase) check(text.includes(`purchase ${lot.purchase.txid} at ${lot.purchase.store_id}`), `an accrual names its receipt: ${text}`)
    if (lot.reference?.startsWith('campaign:')) check(text.includes(`campaign ${lot.reference.slice(9)}`), `a campaign's lot names it: ${text}`)
  }
  const sources = view.lots.items.map((l) => l.source)
  check(sources.includes('purchase'), `the buyer's purchase made a lot (${sources})`)
  measured.customer_history = { purchases: view.purchases.items.length, lots: view.lots.items.length }
}

/** Screen 6, reached from the enrollment list and by a lookup of the id. */
async function customer(page) {
  await page.getByRole('heading', { name: 'Profile and consents' }).waitFor(WAIT)
  const chains = page.locator('section[aria-labelledby="customer-enrollments-title"]')
  const row = chains.getByRole('row').filter({ hasText: chainId })
  await row.getByText('purchase').waitFor(WAIT)
  const passed = await row.locator('td').nth(2).innerText()
  check(passed.length > 1 && passed !== '—', `the enrollment lists the steps passed (${passed})`)
  await page.getByText('email yes').waitFor(WAIT)
  const messages = page.locator('section[aria-labelledby="messages-title"]')
  await messages.waitFor(WAIT)
  const view = await apiJson(page, `/v1/customers/${env('BUYER')}/view`)
  const shownMessages = await messages.locator('tbody tr').count()
  check(shownMessages === view.messages.items.length, `every message of the first page is shown (${shownMessages})`)
  measured.customer_messages = shownMessages
  await history(page)
  await accessible(page, 'customer')
  await shoot(page, 'customer')
  // The lookup: a customer id typed in opens the same page.
  await page.getByRole('link', { name: 'Customers' }).click()
  // The customer page has a lookup of its own: fill the lookup screen's, once it has replaced it.
  await page.getByRole('heading', { name: 'Profile and consents' }).waitFor({ ...WAIT, state: 'detached' })
  await page.getByLabel('Customer id').fill(env('BUYER'))
  await page.getByLabel('Customer id').press('Enter')
  await page.getByRole('heading', { name: 'Profile and consents' }).waitFor(WAIT)
}

/** Screen 7: templates per channel; an SMS template's segments and cost; a preview. */
async function templates(page) {
  await page.getByRole('link', { name: 'Templates' }).click()
  const sms = page.locator('section[aria-labelledby="channel-sms"]')
  await sms.getByRole('link', { name: env('SMS_TEMPLATE'), exact: true }).waitFor(WAIT)
  await accessible(page, 'templates')
  await shoot(page, 'templates')
  await sms.getByRole('link', { name: env('SMS_TEMPLATE'), exact: true }).click()
  await page.getByText('Cost per send').first().waitFor(WAIT)
  await page.getByLabel('Customer id').fill(env('BUYER'))
  await page.getByRole('button', { name: 'Preview' }).click()
  const preview = page.getByRole('region', { name: 'Rendered preview' })
  await preview.waitFor(WAIT)
  const api = await page.evaluate(
    async ([name, customerId]) => {
      const token = document.cookie.split('; ').find((c) => c.startsWith('rp_csrf='))?.split('=')[1]
      const answer = await fetch(`/v1/templates/${name}/sms/preview`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': decodeURIComponent(token ?? '') },
        body: JSON.stringify({ customer_id: customerId, variables: {} }),
      })
      return answer.json()
    },
    [env('SMS_TEMPLATE'), env('BUYER')],
  )
  check((await preview.locator('pre').innerText()) === api.body, 'the preview shows the rendered text')
  const segments = await preview.locator('div').filter({ has: page.getByText('Segments', { exact: true }) }).locator('dd').innerText()
  check(segments === String(api.sms.segments), `the preview counts the SMS segments (${segments})`)
  await accessible(page, 'template preview')
  await shoot(page, 'template-preview')
}

/** A fifty-step chain: drawn, zoomed and panned without stalling the page. */
async function bigGraph(page) {
  const started = Date.now()
  await page.goto(`${consoleUrl}#/chains/${encodeURIComponent(env('BIG_CHAIN'))}`)
  await page.locator('.react-flow__node').nth(50).waitFor(WAIT)
  measured.graph50_draw_ms = Date.now() - started
  const nodes = await page.locator('.react-flow__node').count()
  check(nodes >= 51, `the fifty-step chain draws every step (saw ${nodes})`)
  const frame = () => page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))))
  const timed = async (act) => {
    const t = Date.now()
    await act()
    await frame()
    return Date.now() - t
  }
  const pane = page.locator('.react-flow__pane')
  const box = await pane.boundingBox()
  const steps = []
  steps.push(await timed(() => page.getByRole('button', { name: 'Zoom Out' }).click()))
  steps.push(await timed(() => page.getByRole('button', { name: 'Fit View' }).click()))
  steps.push(
    await timed(async () => {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
      await page.mouse.down()
      await page.mouse.move(box.x + box.width / 2, box.y + 40, { steps: 10 })
      await page.mouse.up()
    }),
  )
  steps.push(await timed(() => page.mouse.wheel(0, -400)))
  measured.graph50_interactions_ms = steps
  const viewport = await page.locator('.react-flow__viewport').getAttribute('style')
  check(/scale\(/.test(viewport ?? ''), 'the graph answers zoom and pan')
  await accessible(page, 'fifty-step chain')
  await shoot(page, 'chain-graph-50')
}

async function segments(page) {
  await page.getByRole('link', { name: 'Segments' }).click()
  const heatMap = page.getByRole('img', { name: /^RFM heat map/ })
  await heatMap.waitFor(WAIT)
  await heatMap.locator('svg').waitFor(WAIT)
  const cells = await heatMap.locator('text').allTextContents()
  check(cells.some((t) => t.includes('Champions')), 'the heat map names its segments')
  check(cells.some((t) => /\d/.test(t)), 'the heat map cells show their counts')
  const recency = page.getByRole('img', { name: /^Recency buckets/ })
  await recency.locator('svg').waitFor(WAIT)
  await page.getByRole('row').filter({ hasText: 'recency.never_bought' }).waitFor(WAIT)
  await accessible(page, 'segments')
  await shoot(page, 'segments')
}

async function campaigns(page) {
  await page.getByRole('link', { name: 'Campaigns' }).click()
  const row = page.getByRole('row').filter({ hasText: env('CAMPAIGN_NAME') })
  await row.waitFor(WAIT)
  await row.getByRole('progressbar').first().waitFor(WAIT)
  await accessible(page, 'campaigns')
  await shoot(page, 'campaigns')
}

async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByLabel('Marketer key').waitFor(WAIT)
  const status = await page.evaluate(async () => (await fetch('/v1/session')).status)
  check(status === 401, `after sign-out the session is gone (got ${status})`)
  await page.reload()
  await page.getByLabel('Marketer key').waitFor(WAIT)
}

async function keyboard(page) {
  // The sign-in form is usable without a mouse: Tab to the field, type, Enter.
  await page.keyboard.press('Tab')
  const focused = await page.evaluate(() => document.activeElement?.id)
  check(focused === 'key', `Tab reaches the key field first (focused ${focused})`)
  await page.keyboard.type(marketerKey)
  await page.keyboard.press('Enter')
  await page.getByRole('button', { name: 'Sign out' }).waitFor(WAIT)
}

await runWalk(origin, measured, [
  firstLoad,
  refusesPosKey,
  chainsList,
  chainGraph,
  chainResults,
  chainEnrollments,
  customer,
  templates,
  bigGraph,
  segments,
  campaigns,
  signOut,
  keyboard,
])
