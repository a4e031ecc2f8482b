/** Undo and redo over whole values: every edit pushes the state it replaces. */
export type History<T> = { past: T[]; present: T; future: T[] }

// Enough for an afternoon's editing; the oldest states drop off first.
const LIMIT = 200

export function start<T>(present: T): History<T> {
  return { past: [], present, future: [] }
}

/** A new state; an edit made after undoing drops the states that were undone. */
export function push<T>(history: History<T>, next: T): History<T> {
  if (Object.is(next, history.present)) return history
  return { past: [...history.past, history.present].slice(-LIMIT), present: next, future: [] }
}

export function undo<T>(history: History<T>): History<T> {
  const previous = history.past.at(-1)
  if (previous === undefined) return history
  return { past: history.past.slice(0, -1), present: previous, future: [history.present, ...history.future] }
}

export function redo<T>(history: History<T>): History<T> {
  const [next, ...rest] = history.future
  if (next === undefined) return history
  return { past: [...history.past, history.present], present: next, future: rest }
}
