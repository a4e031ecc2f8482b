import type { SmsLength } from '../api/types'
import { money } from '../common/format'

/** What one SMS of this text costs: its encoding, length, segments and price per send. */
export function SmsFacts({ sms }: { sms: SmsLength }) {
  return (
    <dl className="figures">
      <div>
        <dt>Encoding</dt>
        <dd>{sms.encoding}</dd>
      </div>
      <div>
        <dt>Length</dt>
        <dd>{sms.units}</dd>
      </div>
      <div>
        <dt>Segments</dt>
        <dd>{sms.segments}</dd>
      </div>
      <div>
        <dt>Cost per send</dt>
        <dd>{money(sms.cost_per_send)}</dd>
      </div>
      {sms.warning && (
        <div>
          <dt>Note</dt>
          <dd>{sms.warning}</dd>
        </div>
      )}
    </dl>
  )
}
