import { api, unwrap } from '../api/client'

export type SessionInfo = { expires_at: string; csrf_token: string }

export async function currentSession(): Promise<SessionInfo | null> {
  const { data, response } = await api.GET('/v1/session')
  return response.ok ? (data as SessionInfo) : null
}

/** The key goes to the gateway once; the browser keeps only the HttpOnly cookie it answers with. */
export async function signIn(key: string): Promise<SessionInfo> {
  return unwrap<SessionInfo>(api.POST('/v1/session', { body: { key } }))
}

export async function signOut(): Promise<void> {
  await api.DELETE('/v1/session')
}
