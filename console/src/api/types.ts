// Bodies the gateway's OpenAPI still documents as open objects (the orchestrator's chains,
// campaigns and analytics). Once the gateway types them, these become aliases of
// components["schemas"][...] from the generated schema and the compiler finds every use.

export type Channel = 'email' | 'push' | 'sms' | 'messenger'

export type Trigger =
  | { kind: 'event'; event: string }
  | { kind: 'segment_entered'; segments: string[] }
  | { kind: 'schedule'; schedule: string; days_before?: number | null }

export type Wait =
  | { type: 'duration'; duration: string }
  | { type: 'until_local_time'; at: string; after_days?: number }
  | { type: 'event'; event: string; timeout: string; on_timeout?: string | null }

export type Step = { id: string; next?: string | null } & (
  | { kind: 'send'; template: string; channels: Channel[] }
  | { kind: 'wait'; wait: Wait }
  | { kind: 'grant_bonus'; amount: number; lifetime_days: number }
  | { kind: 'branch'; cases: { when: { type: string }; goto: string }[] }
  | { kind: 'exit'; reason?: string }
)

export type ChainDefinition = {
  id: string
  name: string
  description?: string
  trigger: Trigger
  steps: Step[]
  holdout_share?: number
}

export type Chain = {
  id: string
  name: string
  status: string
  active_version: number | null
  draft: ChainDefinition
}

export type ChainVersion = { chain_id: string; version: number; definition: ChainDefinition }

export type Uplift = {
  treated_rate: number
  holdout_rate: number
  difference: number
  ci95_low: number
  ci95_high: number
  relative: number | null
}

export type VersionFigures = {
  version: number
  enrolled: number
  treated: number
  holdout: number
  active: number
  exited: Record<string, number>
  revenue: number
  cost: number
  roi: number | null
  uplift: Uplift | null
  steps: Record<string, { messages: Record<string, number>; points_granted: number }>
}

export type ChainAnalytics = { chain_id: string; versions: VersionFigures[] }

export type CampaignProgress = { processed: number; granted: number; sent: number; failed: number }

export type Campaign = {
  id: string
  name: string
  segment: string
  status: string
  runs: number
  progress: CampaignProgress
}

export type Segment = {
  id: string
  kind: string
  name: string
  description: string | null
  member_count?: number | null
}

export type RfmDistribution = {
  window_days: number
  scored_customers: number
  segments: Record<string, number>
}
