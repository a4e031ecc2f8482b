// What the editor works out from the text as it is typed, before the notifier sees it: the
// variables it uses, and the SMS length of the text (the notifier's rules in
// services/notifier/notifier/domain/sms.py; its preview stays the figure that counts).

/** Filled by the notifier or passed by every chain and campaign (notifier/templates.py). */
export const VOCABULARY = ['name', 'click_url', 'unsubscribe_url', 'balance', 'expiring_points', 'expiring_date', 'offer', 'link']

// Names Jinja knows itself, and the filters the notifier adds.
const BUILT_INS = new Set(['loop', 'true', 'false', 'none', 'True', 'False', 'None', 'range', 'date', 'money'])

/**
 * The variables the text reads: the first name of each `{{ … }}` and `{% if/for … %}` expression,
 * less loop variables the text defines itself (`{% for item in cart %}` defines `item`).
 */
export function usedVariables(text: string): string[] {
  const used = new Set<string>()
  const defined = new Set<string>()
  for (const [, tag, expression] of text.matchAll(/\{(\{|%)-?\s*([\s\S]*?)-?\s*[}%]\}/g)) {
    let source = expression ?? ''
    if (tag === '%') {
      const loop = /^for\s+(\w+)(?:\s*,\s*(\w+))?\s+in\s+([\s\S]*)$/.exec(source)
      if (loop) {
        defined.add(loop[1]!)
        if (loop[2]) defined.add(loop[2])
        source = loop[3]!
      } else if (/^(if|elif)\s/.test(source)) source = source.replace(/^(if|elif)\s+/, '')
      else continue
    }
    // Names outside strings that are not attributes (`.x`), filters (`| x`) or calls' keywords.
    const bare = source.replace(/(['"])(?:\\.|(?!\1).)*\1/g, '')
    for (const [name] of bare.matchAll(/(?<![.\w|]\s*)(?<![.|])\b[A-Za-z_]\w*\b/g)) {
      if (!BUILT_INS.has(name) && !/^(and|or|not|in|is|if|else)$/.test(name)) used.add(name)
    }
  }
  return [...used].filter((name) => !defined.has(name)).sort()
}

/** Used but neither in the vocabulary nor declared: the notifier would refuse to save them. */
export function unknownVariables(texts: string[], declared: string[]): string[] {
  const known = new Set([...VOCABULARY, ...declared])
  return [...new Set(texts.flatMap(usedVariables))].filter((name) => !known.has(name)).sort()
}

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
// Characters of the extension table take two septets (escape + character).
const GSM_EXTENSION = '^{}\\[~]|€\f'

export type SmsLength = { encoding: 'gsm7' | 'ucs2'; units: number; segments: number }

function segments(units: number, single: number, part: number): number {
  return units <= single ? 1 : Math.ceil(units / part)
}

export function smsLength(text: string): SmsLength {
  const chars = [...text]
  if (chars.every((ch) => GSM_BASIC.includes(ch) || GSM_EXTENSION.includes(ch))) {
    const units = chars.reduce((n, ch) => n + (GSM_EXTENSION.includes(ch) ? 2 : 1), 0)
    return { encoding: 'gsm7', units, segments: segments(units, 160, 153) }
  }
  return { encoding: 'ucs2', units: text.length, segments: segments(text.length, 70, 67) }
}
