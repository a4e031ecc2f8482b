import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'

export const CSRF_COOKIE = 'rp_csrf'
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

/** The double-submit token the gateway set at sign-in; readable on purpose (not HttpOnly). */
export function csrfToken(cookies: string = document.cookie): string | undefined {
  for (const part of cookies.split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === CSRF_COOKIE) return decodeURIComponent(value.join('='))
  }
  return undefined
}

const csrf: Middleware = {
  onRequest({ request }) {
    const token = csrfToken()
    if (!SAFE.has(request.method) && token) request.headers.set('X-CSRF-Token', token)
    return request
  },
}

/** The gateway's public API, typed from console/openapi.json; the session cookie rides along. */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' })
api.use(csrf)

/** One entry of a 422's `errors`: `field` (a dotted path) from the gateway, `path` from segments. */
export type ProblemError = { field?: string; path?: string; message?: string; reason?: string; type?: string }

export type Problem = {
  code: string
  title: string
  detail: string
  status: number
  errors?: ProblemError[]
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly errors: ProblemError[]

  constructor(status: number, problem: Partial<Problem> | undefined) {
    super(problem?.detail || problem?.title || `HTTP ${status}`)
    this.status = status
    this.code = problem?.code ?? 'unknown'
    this.errors = problem?.errors ?? []
  }
}

/** The body of a successful answer, or an ApiError carrying the problem's code. */
export async function unwrap<T>(
  call: Promise<{ data?: unknown; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call
  if (!response.ok) throw new ApiError(response.status, error as Partial<Problem> | undefined)
  return data as T
}
