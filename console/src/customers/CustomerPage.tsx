import type { CustomerEnrollment, CustomerView, Message } from '../api/types'
import { Facts } from '../common/Facts'
import { count, when, words } from '../common/format'
import { chainHref } from '../common/route'
import { Status } from '../common/Status'
import { Head } from '../common/Table'
import { usePages } from '../common/usePages'
import { useApi } from '../common/useApi'
import { CustomerLookup } from './CustomerLookup'
import { LotList, PurchaseList } from './History'
import { customerMessages, customerView, describeDecision, expiryTimeline } from './customers'

function Profile({ view }: { view: CustomerView }) {
  const { profile, contact } = view
  const consents = Object.entries(contact?.consents ?? {})
  return (
    <section className="panel" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile and consents</h2>
      <dl className="pairs">
        <dt>Name</dt>
        <dd>{profile.name ?? '—'}</dd>
        <dt>Email</dt>
        <dd>{profile.email ?? '—'}</dd>
        <dt>Phone</dt>
        <dd>{profile.phone ?? '—'}</dd>
        <dt>City</dt>
        <dd>{profile.city ?? '—'}</dd>
        <dt>Birthday</dt>
        <dd>{profile.birthday ?? '—'}</dd>
        <dt>Time zone</dt>
        <dd>{profile.time_zone}</dd>
        <dt>Member since</dt>
        <dd>{when(profile.created_at)}</dd>
        <dt>Consents</dt>
        <dd>
          {consents.length
            ? consents.map(([channel, yes]) => `${channel} ${yes ? 'yes' : 'no'}`).join(', ')
            : 'none recorded'}
        </dd>
      </dl>
    </section>
  )
}

function Points({ view }: { view: CustomerView }) {
  const { balance } = view
  const lots = expiryTimeline(balance.expiring)
  const most = Math.max(1, ...lots.map((l) => l.daysLeft))
  return (
    <section className="panel" aria-labelledby="points-title">
      <h2 id="points-title">Points</h2>
      <Facts
        facts={[
          ['Available', count(balance.available)],
          ['Pending', count(balance.pending)],
          ['Reserved', count(balance.reserved)],
          ['Debt', count(balance.debt)],
          ['Tier', balance.tier ?? '—'],
        ]}
      />
      <h3>Expiring</h3>
      {lots.length ? (
        <ol className="timeline" aria-label="Points by expiry date">
          {lots.map((lot) => (
            <li key={lot.expiresAt}>
              <span>{count(lot.amount)} points</span>
              <span className="track" aria-hidden="true">
                <span style={{ width: `${(lot.daysLeft / most) * 100}%` }} />
              </span>
              <span>
                {when(lot.expiresAt)} ({lot.daysLeft} days)
              </span>
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">No points expire.</p>
      )}
    </section>
  )
}

function Segments({ view }: { view: CustomerView }) {
  return (
    <section className="panel" aria-labelledby="segments-title">
      <h2 id="segments-title">Segments now</h2>
      {view.segments.length ? (
        <ul>
          {view.segments.map((s) => (
            <li key={s.segment_id}>
              {s.name} <span className="muted">{s.segment_id}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">In no segment.</p>
      )}
    </section>
  )
}

function EnrollmentRow({ item }: { item: CustomerEnrollment }) {
  const passed = item.steps.map((s) => words(s.step)).join(' → ')
  return (
    <tr>
      <th scope="row">
        <a href={chainHref(item.chain_id, item.version)}>{item.chain_id}</a> v{item.version}
      </th>
      <td>{item.holdout ? 'holdout' : 'treated'}</td>
      <td>
        <span className={`badge ${item.status}`}>{item.status}</span>
        {item.exit_reason ? ` ${words(item.exit_reason)}` : ''}
      </td>
      <td>{passed || '—'}</td>
      <td>{when(item.enrolled_at)}</td>
    </tr>
  )
}

function Enrollments({ view }: { view: CustomerView }) {
  return (
    <section className="panel" aria-labelledby="customer-enrollments-title">
      <h2 id="customer-enrollments-title">Chains</h2>
      <table>
        <Head columns={['Chain', 'Group', 'Status', 'Steps passed', 'Enrolled']} />
        <tbody>
          {view.enrollments.items.map((item) => (
            <EnrollmentRow key={item.id} item={item} />
          ))}
        </tbody>
      </table>
    </section>
  )
}

function MessageRow({ message, timeZone }: { message: Message; timeZone: string }) {
  return (
    <tr>
      <td>{when(message.created_at)}</td>
      <th scope="row">{message.template}</th>
      <td>{(message.channels ?? [message.channel]).join(' → ')}</td>
      <td>
        <span className={`badge ${message.status}`}>{message.status}</span>
        {message.reason ? ` ${words(message.reason)}` : ''}
      </td>
      <td>
        <ul className="decisions">
          {message.decisions.map((d) => (
            <li key={d.decided_at + d.action}>{describeDecision(d, timeZone)}</li>
          ))}
        </ul>
      </td>
      <td className="muted">{message.source}</td>
    </tr>
  )
}

function MessageList({ view }: { view: CustomerView }) {
  const { rows, next } = usePages(view.messages, (cursor) => customerMessages(view.profile.id, cursor))
  return (
    <section className="panel wide" aria-labelledby="messages-title">
      <h2 id="messages-title">Messages and policy decisions</h2>
      <table>
        <caption>Newest first; times of deferral in the customer&apos;s time zone</caption>
        <Head columns={['Created', 'Template', 'Channels', 'Status', 'Decisions', 'Source']} />
        <tbody>
          {rows.map((m) => (
            <MessageRow key={m.id} message={m} timeZone={view.profile.time_zone} />
          ))}
        </tbody>
      </table>
      {next && (
        <button type="button" onClick={next}>
          More messages
        </button>
      )}
    </section>
  )
}

/** One customer as support and marketers see them: profile, points, purchases and returns,
 * lots with their sources, chains and messages. */
export default function CustomerPage({ customerId }: { customerId: string }) {
  const view = useApi(() => customerView(customerId), [customerId])
  return (
    <>
      <CustomerLookup key={customerId} initial={customerId} />
      <section aria-labelledby="customer-title">
        <Status loaded={view}>
          {(data) => (
            <>
              <h2 id="customer-title" className="page-title">
                {data.profile.name ?? data.profile.email ?? data.profile.id}
              </h2>
              <div className="panels">
                <Profile view={data} />
                <Points view={data} />
                <Segments view={data} />
                <PurchaseList view={data} />
                <LotList view={data} />
                <Enrollments view={data} />
                <MessageList view={data} />
              </div>
            </>
          )}
        </Status>
      </section>
    </>
  )
}
