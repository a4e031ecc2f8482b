// What the browser walks share: environment, checks, axe, screenshots, Chromium.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

export const env = (name) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}
// Generous: the platform shares a small machine with other test sessions.
export const WAIT = { timeout: 60_000 }
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`)
}

export async function shoot(page, name) {
  await page.screenshot({ path: join(env('SCREENSHOTS'), `${name}.png`), fullPage: true })
}

/** axe-core in the page; serious or critical violations fail the walk. */
export async function accessible(page, screen) {
  // Evaluated through the DevTools protocol, so the console's CSP stays on while it runs.
  await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] })
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
  })
  check(violations.length === 0, `${screen} has serious axe violations: ${violations.join('; ')}`)
}

export async function signIn(page, key) {
  await page.getByLabel('Marketer key').fill(key)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/**
 * A page in a context that works offline on a shop's network (any request off the gateway's
 * origin is refused and reported), with the page's errors and the API's answers recorded.
 */
async function openPage(browser, origin) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
  const seen = { foreign: [], errors: [], answers: [] }
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) {
      return route.continue()
    }
    seen.foreign.push(url)
    return route.abort()
  })
  const page = await context.newPage()
  page.on('pageerror', (error) => seen.errors.push(String(error)))
  page.on('response', (r) => r.url().includes('/v1/') && seen.answers.push(`${r.status()} ${r.request().method()} ${r.url()}`))
  return { page, seen }
}

/** Runs the walk; on a failure prints what the marketer saw and what the API answered last. */
async function walkThrough(page, seen, steps) {
  try {
    await steps()
  } catch (error) {
    await shoot(page, 'failure').catch(() => {})
    console.error(await page.locator('body').innerText().catch(() => ''))
    console.error(seen.answers.slice(-20).join('\n'))
    throw error
  }
  check(seen.foreign.length === 0, `requests left the gateway's origin: ${seen.foreign.join(', ')}`)
  check(seen.errors.length === 0, `the page threw: ${seen.errors.join('; ')}`)
}

/** A purchase at the till, as the POS makes it, through the gateway. */
export async function purchase(origin, customerId) {
  const txid = `walk-${Date.now()}`
  const headers = { authorization: `Bearer ${env('POS_KEY')}`, 'content-type': 'application/json' }
  const receipt = {
    customer_id: customerId,
    store_id: 'berlin-01',
    channel: 'offline',
    lines: [{ sku: 'LAMP', category: 'lamps', quantity: 1, price: 5000 }],
    txid,
  }
  const reserved = await fetch(`${origin}/v1/purchases`, { method: 'POST', headers, body: JSON.stringify(receipt) })
  check(reserved.status === 201, `the purchase is reserved (${reserved.status})`)
  const confirmed = await fetch(`${origin}/v1/purchases/${txid}/confirm`, { method: 'POST', headers, body: '{}' })
  check(confirmed.status === 200, `the purchase is confirmed (${confirmed.status})`)
  return txid
}

/** The till takes the lamp of `purchase` back; the return's answer. */
export async function returnLamp(origin, txid) {
  const headers = { authorization: `Bearer ${env('POS_KEY')}`, 'content-type': 'application/json' }
  const body = { return_id: `back-${txid}`, lines: [{ sku: 'LAMP', quantity: 1 }] }
  const answer = await fetch(`${origin}/v1/purchases/${txid}/returns`, { method: 'POST', headers, body: JSON.stringify(body) })
  check(answer.status === 201, `the lamp is returned (${answer.status})`)
  return answer.json()
}

/** Chromium, one page on the gateway's origin, each step in turn, the measurements as one JSON line. */
export async function runWalk(origin, measured, steps) {
  const browser = await launch()
  try {
    const { page, seen } = await openPage(browser, origin)
    await walkThrough(page, seen, async () => {
      for (const step of steps) await step(page)
    })
    console.log(JSON.stringify(measured))
  } finally {
    await browser.close()
  }
}
