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
