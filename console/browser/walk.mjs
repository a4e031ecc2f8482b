// A marketer's walk through the console in Debian's Chromium, against a running platform.
// Started by tests/console/test_console.py, which creates the data through the API first.
//   CONSOLE_URL   http://127.0.0.1:<gateway port>/console/
//   MARKETER_KEY  a marketer key; POS_KEY a POS key (which must not sign in)
//   CHAIN_ID      a published chain with enrollments; CAMPAIGN_NAME a started campaign
//   BUYER         a customer enrolled in the chain, who buys while the graph is open
//   SCREENSHOTS   where to save the screenshots (docs/console/ when run for the docs)
// Prints one JSON line of measurements; exits non-zero on the first failed check.
import { accessible, check, env, purchase, runWalk, shoot, signIn, WAIT } from './common.mjs'

const consoleUrl = env('CONSOLE_URL')
const chainId = env('CHAIN_ID')
const marketerKey = env('MARKETER_KEY')
const origin = new URL(consoleUrl).origin
const measured = {}

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
  await purchase(origin, env('BUYER'))
  await exit.getByText('2 left', { exact: true }).waitFor({ timeout: 60_000 })
  measured.purchase_to_graph_ms = Date.now() - bought
}

async function segments(page) {
  await page.getByRole('link', { name: 'Segments' }).click()
  const heatMap = page.getByRole('img', { name: /^RFM heat map/ })
  await heatMap.waitFor(WAIT)
  await heatMap.locator('svg').waitFor(WAIT)
  const cells = await heatMap.locator('text').allTextContents()
  check(cells.some((t) => t.includes('Champions')), 'the heat map names its segments')
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
  segments,
  campaigns,
  signOut,
  keyboard,
])
