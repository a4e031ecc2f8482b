import type { components } from '../api/schema'
import type { Definition } from './definition'
import { messagesFor, type FieldError } from './errors'
import { CheckField, ListField, NumberField, SelectField, TextField } from './fields'

type Schemas = components['schemas']
type Trigger = Definition['trigger']
type Props = { definition: Definition; errors: FieldError[]; onChange: (d: Definition) => void }

const TRIGGER_EVENTS: Schemas['EventTrigger']['event'][] = [
  'member.registered', 'purchase.confirmed', 'purchase.returned', 'cart.updated', 'bonus.expiring', 'member.tier_changed',
]
const EXIT_EVENTS: Schemas['ExitConditions']['on_events'] = ['cart.cleared', 'purchase.returned', 'member.tier_changed']

function triggerOf(kind: Trigger['kind']): Trigger {
  if (kind === 'event') return { kind, event: 'member.registered', filters: [] }
  if (kind === 'segment_entered') return { kind, segments: ['recency.cooling'] }
  return { kind, schedule: 'birthday', days_before: 0 }
}

function TriggerPanel({ definition, errors, onChange }: Props) {
  const trigger = definition.trigger
  const set = (next: Trigger) => onChange({ ...definition, trigger: next })
  const at = (field: string) => messagesFor(errors, null, `trigger.${field}`)
  return (
    <fieldset>
      <legend>Trigger</legend>
      <SelectField label="Starts on" value={trigger.kind} options={[
        { value: 'event', label: 'an event' },
        { value: 'segment_entered', label: 'entering a segment' },
        { value: 'schedule', label: 'a schedule' },
      ]} onChange={(kind) => set(triggerOf(kind))} />
      {trigger.kind === 'event' && (
        <SelectField label="Event" value={trigger.event} options={TRIGGER_EVENTS} errors={at('event')} onChange={(event) => set({ ...trigger, event })} />
      )}
      {trigger.kind === 'segment_entered' && (
        <ListField label="Segments (ids, comma-separated)" value={trigger.segments} errors={at('segments')} onChange={(segments) => set({ ...trigger, segments })} />
      )}
      {trigger.kind === 'schedule' && (
        <>
          <SelectField label="Schedule" value={trigger.schedule} options={['birthday', 'date', 'quarterly'] as const} onChange={(schedule) => set({ ...trigger, schedule })} />
          <NumberField label="Days before" value={trigger.days_before} errors={at('days_before')} onChange={(days_before) => set({ ...trigger, days_before })} />
          <NumberField label="Month" value={trigger.month} errors={at('month')} onChange={(month) => set({ ...trigger, month })} />
          <NumberField label="Day" value={trigger.day} errors={at('day')} onChange={(day) => set({ ...trigger, day })} />
        </>
      )}
    </fieldset>
  )
}

function AudiencePanel({ definition, errors, onChange }: Props) {
  const audience = definition.audience
  const set = (patch: Partial<Schemas['Audience']>) => onChange({ ...definition, audience: { ...audience, ...patch } })
  const at = (field: string) => messagesFor(errors, null, `audience.${field}`)
  return (
    <fieldset>
      <legend>Audience and re-entry</legend>
      <TextField label="Only customers in segment (optional)" value={audience.segment_id ?? ''} errors={at('segment_id')} onChange={(v) => set({ segment_id: v || null })} />
      <SelectField label="Re-entry" value={audience.reentry} errors={at('reentry')} options={[
        { value: 'never', label: 'never' },
        { value: 'after_exit', label: 'after the last enrollment ended' },
        { value: 'after_cooldown', label: 'after a cooldown' },
      ]} onChange={(reentry) => set({ reentry, cooldown: reentry === 'after_cooldown' ? (audience.cooldown ?? 'P30D') : null })} />
      {audience.reentry === 'after_cooldown' && (
        <TextField label="Cooldown (ISO 8601)" value={audience.cooldown ?? ''} errors={at('cooldown')} onChange={(v) => set({ cooldown: v || null })} />
      )}
    </fieldset>
  )
}

function ExitsPanel({ definition, errors, onChange }: Props) {
  const exits = definition.exits
  const set = (patch: Partial<Schemas['ExitConditions']>) => onChange({ ...definition, exits: { ...exits, ...patch } })
  const at = (field: string) => messagesFor(errors, null, `exits.${field}`)
  return (
    <fieldset>
      <legend>Exit conditions</legend>
      <CheckField label="A purchase ends the chain" checked={exits.on_purchase} onChange={(on_purchase) => set({ on_purchase })} />
      <CheckField label="Redeeming the chain's bonus ends it" checked={exits.on_bonus_redeemed} onChange={(on_bonus_redeemed) => set({ on_bonus_redeemed })} />
      {EXIT_EVENTS.map((event) => (
        <CheckField key={event} label={`${event} ends it`} checked={exits.on_events.includes(event)}
          onChange={(on) => set({ on_events: on ? [...exits.on_events, event] : exits.on_events.filter((e) => e !== event) })} />
      ))}
      <ListField label="Entering these chains ends it" value={exits.on_enrollment_in} errors={at('on_enrollment_in')} onChange={(on_enrollment_in) => set({ on_enrollment_in })} />
      <TextField label="At most (ISO 8601 duration)" value={exits.max_duration ?? ''} errors={at('max_duration')} onChange={(v) => set({ max_duration: v || null })} />
      <NumberField label="At most this many messages" value={exits.max_touches} errors={at('max_touches')} onChange={(max_touches) => set({ max_touches })} />
    </fieldset>
  )
}

/** The chain's settings outside its steps: trigger, audience, exits, goal and holdout. */
export function ChainSettings(props: Props) {
  const { definition, errors, onChange } = props
  return (
    <div className="chain-settings">
      <h2>Chain settings</h2>
      <TextField label="Name" value={definition.name} errors={messagesFor(errors, null, 'name')} onChange={(name) => onChange({ ...definition, name })} />
      <TriggerPanel {...props} />
      <AudiencePanel {...props} />
      <ExitsPanel {...props} />
      <fieldset>
        <legend>Goal and holdout</legend>
        <TextField label="Goal: a purchase within (ISO 8601)" value={definition.goal.attribution_window} errors={messagesFor(errors, null, 'goal')}
          onChange={(attribution_window) => onChange({ ...definition, goal: { ...definition.goal, attribution_window } })} />
        <NumberField label="Holdout share (%)" step={0.5} value={Math.round(definition.holdout_share * 1000) / 10} errors={messagesFor(errors, null, 'holdout_share')}
          hint="0–50 % of enrollments receive nothing, so uplift is measured"
          onChange={(v) => onChange({ ...definition, holdout_share: (v ?? 0) / 100 })} />
      </fieldset>
    </div>
  )
}
