import { useState, type FormEvent } from 'react'
import { customerHref } from '../common/route'

/** Find a customer by id (from a receipt, a support ticket or an enrollment). */
export function CustomerLookup({ initial = '' }: { initial?: string }) {
  const [id, setId] = useState(initial)
  function open(event: FormEvent) {
    event.preventDefault()
    if (id.trim()) window.location.hash = customerHref(id.trim())
  }
  return (
    <section aria-labelledby="lookup-title">
      <h1 id="lookup-title">Customers</h1>
      <form className="lookup" onSubmit={open} role="search">
        <label htmlFor="customer-id">Customer id</label>
        <input id="customer-id" value={id} onChange={(e) => setId(e.target.value)} autoComplete="off" />
        <button type="submit">Open</button>
      </form>
    </section>
  )
}
