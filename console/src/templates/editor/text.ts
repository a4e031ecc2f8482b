// How the notifier's SMS figures read on screen; the figures themselves come from its preview
// (POST /v1/templates/preview), which owns the GSM-7 and UCS-2 rules.

import type { SmsLength } from '../../api/types'

export function encodingName(encoding: string): string {
  return encoding === 'gsm7' ? 'GSM-7' : encoding === 'ucs2' ? 'UCS-2' : encoding
}

export function segmentsText(sms: SmsLength): string {
  return `${sms.segments} segment${sms.segments === 1 ? '' : 's'}`
}
