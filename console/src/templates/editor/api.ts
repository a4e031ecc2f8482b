import { api, ApiError, unwrap } from '../../api/client'
import type { components } from '../../api/schema'

type Schemas = components['schemas']
export type Template = Schemas['TemplateRead']
export type TemplateWrite = Schemas['TemplateWrite']
export type DraftPreview = Schemas['DraftPreview']
export type DraftPreviewRequest = Schemas['DraftPreviewRequest']
export type TestSent = Schemas['TestSent']

const templatePath = (name: string, channel: string) => ({
  params: { path: { name, channel: channel as 'email' | 'sms' | 'push' | 'messenger' } },
})

export function readTemplate(name: string, channel: string): Promise<Template> {
  return unwrap(api.GET('/v1/templates/{name}/{channel}', templatePath(name, channel)))
}

export function saveTemplate(name: string, channel: string, body: TemplateWrite): Promise<Template> {
  return unwrap(api.PUT('/v1/templates/{name}/{channel}', { ...templatePath(name, channel), body }))
}

/** Texts as typed, rendered by the notifier for the customer (or a sample one), or the problem. */
export async function previewDraft(body: DraftPreviewRequest, signal?: AbortSignal): Promise<DraftPreview | ApiError> {
  try {
    return await unwrap<DraftPreview>(api.POST('/v1/templates/preview', { body, signal }))
  } catch (error) {
    if (error instanceof ApiError && error.status < 500 && error.status !== 401) return error
    throw error
  }
}

export function testSend(name: string, channel: string, customerId: string): Promise<TestSent> {
  return unwrap(api.POST('/v1/templates/{name}/{channel}/test-send', { ...templatePath(name, channel), body: { customer_id: customerId, variables: {} } }))
}
