import { templateHref } from '../common/route'
import { Status } from '../common/Status'
import { Head } from '../common/Table'
import { useApi } from '../common/useApi'
import { byChannel, listTemplates } from './templates'

/** Every template, per channel; each opens its text, SMS cost and a preview. */
export default function TemplatesPage() {
  const templates = useApi(listTemplates, [])
  return (
    <section aria-labelledby="templates-title">
      <h1 id="templates-title">Templates</h1>
      <Status loaded={templates}>
        {(list) => (
          <div className="panels">
            {byChannel(list).map(([channel, group]) => (
              <section key={channel} className="panel" aria-labelledby={`channel-${channel}`}>
                <h2 id={`channel-${channel}`}>{channel}</h2>
                <table>
                  <Head columns={['Template', 'Category', 'Origin', 'SMS segments#']} />
                  <tbody>
                    {group.map((t) => (
                      <tr key={t.name}>
                        <th scope="row">
                          <a href={templateHref(t.name, t.channel)}>{t.name}</a>
                        </th>
                        <td>{t.category}</td>
                        <td>{t.origin}</td>
                        <td className="number">{t.sms ? t.sms.segments : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            ))}
          </div>
        )}
      </Status>
    </section>
  )
}
