import { api, unwrap } from '../api/client'
import type { Preview, Template, TemplatePage } from '../api/types'

export type Channel = 'email' | 'sms' | 'push' | 'messenger'

/** Every template, following the pages until the last. */
export async function listTemplates(): Promise<Template[]> {
  const found: Template[] = []
  let cursor: string | null = null
  do {
    const page: TemplatePage = await unwrap(
      api.GET('/v1/templates', { params: { query: { limit: 200, cursor } } }),
    )
    found.push(...page.items)
    cursor = page.next_cursor
  } while (cursor)
  return found
}

export function getTemplate(name: string, channel: Channel): Promise<Template> {
  return unwrap(
    api.GET('/v1/templates/{name}/{channel}', { params: { path: { name, channel } } }),
  )
}

/** The template rendered for one customer: nothing is sent, nothing is saved. */
export function previewTemplate(name: string, channel: Channel, customerId: string): Promise<Preview> {
  return unwrap(
    api.POST('/v1/templates/{name}/{channel}/preview', {
      params: { path: { name, channel } },
      body: { customer_id: customerId, variables: {} },
    }),
  )
}

/** Templates grouped by channel, each group sorted by name. */
export function byChannel(templates: Template[]): [string, Template[]][] {
  const groups = new Map<string, Template[]>()
  for (const t of templates) groups.set(t.channel, [...(groups.get(t.channel) ?? []), t])
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([channel, list]) => [channel, list.sort((a, b) => a.name.localeCompare(b.name))])
}
