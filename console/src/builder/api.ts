import { api, ApiError, unwrap } from '../api/client'
import type { components } from '../api/schema'
import type { Definition } from './definition'

type Schemas = components['schemas']
export type ChainOut = Schemas['ChainOut']
export type VersionOut = Schemas['VersionOut']
export type StepTestSent = Schemas['StepTestSent']
export type MessageTemplate = Schemas['TemplateRead']

const chainPath = (chainId: string) => ({ params: { path: { chain_id: chainId } } })

export function readChain(chainId: string): Promise<ChainOut> {
  return unwrap(api.GET('/v1/chains/{chain_id}', chainPath(chainId)))
}

export function readVersion(chainId: string, version: number): Promise<VersionOut> {
  return unwrap(
    api.GET('/v1/chains/{chain_id}/versions/{number}', {
      params: { path: { chain_id: chainId, number: version } },
    }),
  )
}

export function builtInChains(): Promise<Definition[]> {
  return unwrap(api.GET('/v1/chains/templates'))
}

export function copyBuiltIn(templateId: string, chainId: string): Promise<ChainOut> {
  return unwrap(
    api.POST('/v1/chains/templates/{template_id}/copy', {
      params: { path: { template_id: templateId } },
      body: { id: chainId },
    }),
  )
}

export function createDraft(definition: Definition): Promise<ChainOut> {
  return unwrap(api.POST('/v1/chains', { body: definition }))
}

export function saveDraft(definition: Definition): Promise<ChainOut> {
  return unwrap(api.PUT('/v1/chains/{chain_id}', { ...chainPath(definition.id), body: definition }))
}

/** The API's verdict on a definition: no problems, or the 422's problems, each with its path. */
export async function validate(definition: Definition, signal?: AbortSignal): Promise<ApiError | null> {
  try {
    await unwrap(api.POST('/v1/chains/validate', { body: definition, signal }))
    return null
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) return error
    throw error
  }
}

export function publish(chainId: string): Promise<VersionOut> {
  return unwrap(api.POST('/v1/chains/{chain_id}/publish', chainPath(chainId)))
}

export function testSendStep(
  chainId: string,
  stepId: string,
  customerId: string,
  channel: Schemas['StepTestSendRequest']['channel'],
): Promise<StepTestSent> {
  return unwrap(
    api.POST('/v1/chains/{chain_id}/steps/{step_id}/test-send', {
      params: { path: { chain_id: chainId, step_id: stepId } },
      body: { customer_id: customerId, channel },
    }),
  )
}

/** Every message template name, for the send step's picker. */
export async function messageTemplateNames(): Promise<string[]> {
  const page = await unwrap<Schemas['TemplatePage']>(api.GET('/v1/templates', { params: { query: { limit: 200 } } }))
  return [...new Set(page.items.map((t) => t.name))].sort()
}

/** How many customers the segments hold now (unknown segments count as none). */
export async function customersIn(segmentIds: string[]): Promise<number> {
  const sizes = await Promise.all(
    segmentIds.map((id) =>
      unwrap<{ member_count?: number | null }>(
        api.GET('/v1/segments/{segment_id}', { params: { path: { segment_id: id } } }),
      ).then(
        (s) => s.member_count ?? 0,
        () => 0,
      ),
    ),
  )
  return sizes.reduce((a, b) => a + b, 0)
}

/** The path one customer would take through `request.definition` (nothing is sent or granted). */
export function dryRun(chainId: string, request: Schemas['DryRunIn']): Promise<Schemas['DryRunOut']> {
  return unwrap(api.POST('/v1/chains/{chain_id}/dry-run', { ...chainPath(chainId), body: request }))
}
