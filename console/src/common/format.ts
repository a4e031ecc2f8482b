const number = new Intl.NumberFormat('en-GB')

export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : number.format(value)
}

/** Money arrives in integer minor units. */
export function money(minor: number): string {
  return (minor / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
}

export function percent(share: number | null | undefined, digits = 1): string {
  return share === null || share === undefined ? '—' : `${(share * 100).toFixed(digits)} %`
}

const stamp = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
})

/** Times arrive tz-aware; the console shows them in UTC, said so, to match the API. */
export function when(iso: string | null | undefined): string {
  return iso ? `${stamp.format(new Date(iso))} UTC` : '—'
}

export function words(code: string): string {
  return code.replaceAll('_', ' ')
}
