import type { components } from './schema'

type Schemas = components['schemas']

// Bodies the gateway's OpenAPI still documents as open objects (the chain report, segments)
// are written out here; the typed ones are aliases of the generated schema, so a contract
// change breaks the build. The chain definition keeps its hand-written discriminated union:
// the generated step models carry defaults, which makes `kind` optional there.

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

export type Chain = Omit<Schemas['ChainOut'], 'draft'> & { draft: ChainDefinition }

export type ChainVersion = Omit<Schemas['VersionOut'], 'definition'> & { definition: ChainDefinition }

export type Uplift = {
  treated_rate: number
  holdout_rate: number
  difference: number
  ci95_low: number
  ci95_high: number
  relative: number | null
}

/** A total in minor units with its 95 % interval (bounds null while a group is too small). */
export type Interval = { estimate: number; ci95_low: number | null; ci95_high: number | null }

export type Split = Schemas['Split']

/** Every figure of a chain version against its holdout (`orchestrator/analytics.py`). */
export type Figures = {
  enrolled: number
  treated: number
  holdout: number
  active: number
  exited: Record<string, number>
  conversions: Split
  uplift: Uplift | null
  incremental_revenue: Interval | null
  attributed_revenue: number
  returned_revenue: number
  messages_by_channel: Record<string, { sent: number; failed: number; cost: number }>
  points_granted: number
  cost: {
    messages: number
    sms_segments: number
    points_redeemed: number
    points: number
    total: number
  }
  incremental_gross_profit: number | null
  incremental_roi: number | null
  minimum_detectable_effect: { conversion: number | null; revenue_per_customer: number | null }
}

export type VersionFigures = Figures & {
  version: number
  steps: Record<string, { messages: Record<string, number>; points_granted: number }>
}

export type ChainAnalytics = {
  chain_id: string
  point_value: number
  margin_bp: number
  total: Figures
  versions: VersionFigures[]
}

export type StepReport = Schemas['StepReport']
export type VersionSteps = Schemas['VersionSteps']
export type StepFigures = Schemas['StepFigures']
export type Day = Schemas['Day']

export type EnrollmentPage = Schemas['EnrollmentPage']
export type Enrollment = Schemas['EnrollmentItem']

export type CustomerView = Schemas['CustomerView']
export type Messages = Schemas['Messages']
export type Purchase = Schemas['Purchase']
export type Purchases = Schemas['Purchases']
export type Lot = Schemas['Lot']
export type Lots = Schemas['Lots']
export type Message = Schemas['Message']
export type CustomerEnrollment = Schemas['CustomerEnrollment']

export type Template = Schemas['TemplateRead']
export type TemplatePage = Schemas['TemplatePage']
export type Preview = Schemas['Preview']
export type SmsLength = Schemas['SmsLength']

export type CampaignProgress = Schemas['CampaignProgress']

export type Campaign = Schemas['CampaignOut']

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
