import type { SmsLength } from '../api/types'
import { Facts } from '../common/Facts'
import { money } from '../common/format'

/** What one SMS of this text costs: its encoding, length, segments and price per send. */
export function SmsFacts({ sms }: { sms: SmsLength }) {
  const facts: [string, string | number][] = [
    ['Encoding', sms.encoding],
    ['Length', sms.units],
    ['Segments', sms.segments],
    ['Cost per send', money(sms.cost_per_send)],
  ]
  if (sms.warning) facts.push(['Note', sms.warning])
  return <Facts facts={facts} />
}
