import type { ReactNode } from 'react'
import type { CustomerView, Lot, Purchase } from '../api/types'
import { count, money, when, words } from '../common/format'
import { Head } from '../common/Table'
import { usePages } from '../common/usePages'
import { customerLots, customerPurchases, describeReturn, lotOrigin } from './customers'

function PurchaseRow({ purchase }: { purchase: Purchase }) {
  return (
    <tr data-txid={purchase.txid}>
      <td>{when(purchase.confirmed_at)}</td>
      <th scope="row">
        {purchase.txid} <span className="muted">at {purchase.store_id}</span>
      </th>
      <td className="number">{money(purchase.total_amount)}</td>
      <td className="number">{money(purchase.paid_amount)}</td>
      <td className="number">{count(purchase.redeemed_points)}</td>
      <td className="number">{count(purchase.accrued_points)}</td>
      <td>
        {purchase.returns.length ? (
          <ul className="decisions">
            {purchase.returns.map((r) => (
              <li key={r.return_id}>{describeReturn(r)}</li>
            ))}
          </ul>
        ) : (
          '—'
        )}
      </td>
    </tr>
  )
}

type Paged = {
  id: string
  title: string
  caption: string
  columns: string[]
  empty: string
  more: string
  rows: ReactNode[]
  next: (() => void) | null
}

/** A titled table of rows paged on with a button, or a line saying there is nothing yet. */
function PagedTable({ id, title, caption, columns, empty, more, rows, next }: Paged) {
  return (
    <section className="panel wide" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {rows.length ? (
        <table>
          <caption>{caption}</caption>
          <Head columns={columns} />
          <tbody>{rows}</tbody>
        </table>
      ) : (
        <p className="muted">{empty}</p>
      )}
      {next && (
        <button type="button" onClick={next}>
          {more}
        </button>
      )}
    </section>
  )
}

/** The customer's confirmed purchases, newest first, each with its returns. */
export function PurchaseList({ view }: { view: CustomerView }) {
  const { rows, next } = usePages(view.purchases, (cursor) => customerPurchases(view.profile.id, cursor))
  return (
    <PagedTable
      id="purchases-title"
      title="Purchases and returns"
      caption="Newest first; money in the shop's currency, points as whole points"
      columns={['Confirmed', 'Receipt', 'Total#', 'Paid#', 'Points redeemed#', 'Points accrued#', 'Returns']}
      empty="No purchases yet."
      more="More purchases"
      rows={rows.map((p) => (
        <PurchaseRow key={`${p.store_id}/${p.txid}`} purchase={p} />
      ))}
      next={next}
    />
  )
}

function LotRow({ lot }: { lot: Lot }) {
  const origin = lotOrigin(lot)
  return (
    <tr data-lot={lot.id}>
      <td>{when(lot.created_at)}</td>
      <th scope="row">{origin.href ? <a href={origin.href}>{origin.text}</a> : origin.text}</th>
      <td className="number">
        {count(lot.remaining)} of {count(lot.initial)}
      </td>
      <td>
        <span className={`badge ${lot.state}`}>{words(lot.state)}</span>
      </td>
      <td>{when(lot.active_from)}</td>
      <td>{when(lot.expires_at)}</td>
    </tr>
  )
}

/** Every lot of points, newest first, with where it came from: a receipt, a chain, a campaign. */
export function LotList({ view }: { view: CustomerView }) {
  const { rows, next } = usePages(view.lots, (cursor) => customerLots(view.profile.id, cursor))
  return (
    <PagedTable
      id="lots-title"
      title="Lots of points and where they came from"
      caption="Newest first; points a return restores go back to the lot they came from"
      columns={['Created', 'Source', 'Points left#', 'State', 'Spendable from', 'Expires']}
      empty="No points yet."
      more="More lots"
      rows={rows.map((lot) => (
        <LotRow key={lot.id} lot={lot} />
      ))}
      next={next}
    />
  )
}
