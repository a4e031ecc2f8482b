// The console's first load in Debian's Chromium, as `make bench` measures it (benchmarks/
// bench_console.py): the sign-in page, then the chains screen once signed in, each RUNS times
// in a fresh browser context (an empty cache), from navigation timing and paint timing.
//   CONSOLE_URL, MARKETER_KEY, CHROMIUM  as for walk.mjs;  RUNS  how many loads of each
// Prints one JSON line: every run's figures per screen, and the scripts each screen loaded.
import { env, launch, signIn, WAIT } from './common.mjs'

const consoleUrl = env('CONSOLE_URL')
const runs = Number(env('RUNS'))

/** Navigation and paint timing of the page's load, in milliseconds from the navigation's start. */
function timing() {
  const [nav] = performance.getEntriesByType('navigation')
  const paint = performance.getEntriesByName('first-contentful-paint')[0]
  const scripts = performance
    .getEntriesByType('resource')
    .filter((r) => r.initiatorType === 'script' || r.name.endsWith('.js'))
    .map((r) => ({ name: new URL(r.name).pathname, bytes: r.encodedBodySize }))
  return {
    response_start_ms: nav.responseStart - nav.startTime,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd - nav.startTime,
    load_ms: nav.loadEventEnd - nav.startTime,
    first_contentful_paint_ms: paint ? paint.startTime : null,
    scripts,
  }
}

/** Loads `url` in a new context (nothing cached) and waits until `ready` is on screen. */
async function load(browser, url, ready, storageState) {
  const context = await browser.newContext({ storageState, viewport: { width: 1280, height: 860 } })
  try {
    const page = await context.newPage()
    await page.goto(url, { waitUntil: 'load' })
    await ready(page).waitFor(WAIT)
    // When what the marketer came for is on screen: the screen is usable from here on.
    const usable = await page.evaluate(() => performance.now())
    return { ...(await page.evaluate(timing)), usable_ms: usable }
  } finally {
    await context.close()
  }
}

/** The session cookie of a signed-in marketer, for loads of the chains screen. */
async function signedIn(browser) {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(consoleUrl)
  await signIn(page, env('MARKETER_KEY'))
  await page.getByRole('heading', { name: 'Chains', exact: true }).waitFor(WAIT)
  const state = await context.storageState()
  await context.close()
  return state
}

const browser = await launch()
try {
  const signInForm = (page) => page.getByLabel('Marketer key')
  const chainRows = (page) => page.getByRole('row').nth(1)
  const measured = { sign_in: [], chains: [] }
  // One load first, not counted: Chromium and the gateway start their own caches and pools.
  await load(browser, consoleUrl, signInForm)
  for (let i = 0; i < runs; i += 1) measured.sign_in.push(await load(browser, consoleUrl, signInForm))
  const session = await signedIn(browser)
  for (let i = 0; i < runs; i += 1) measured.chains.push(await load(browser, `${consoleUrl}#/chains`, chainRows, session))
  console.log(JSON.stringify(measured))
} finally {
  await browser.close()
}
