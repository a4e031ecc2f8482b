import { createContext, useContext } from 'react'

/** Called when the gateway answers 401: the session expired or was signed out elsewhere. */
export const SessionEnded = createContext<() => void>(() => {})

export function useSessionEnded(): () => void {
  return useContext(SessionEnded)
}
