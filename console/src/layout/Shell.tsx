import type { ReactNode } from 'react'
import type { Route } from '../common/route'

const SECTIONS = [
  { href: '#/chains', label: 'Chains', screens: ['chains', 'chain', 'results', 'build', 'new-chain'] },
  { href: '#/segments', label: 'Segments', screens: ['segments', 'segment-edit'] },
  { href: '#/campaigns', label: 'Campaigns', screens: ['campaigns'] },
  { href: '#/customers', label: 'Customers', screens: ['customers', 'customer'] },
  { href: '#/templates', label: 'Templates', screens: ['templates', 'template', 'template-edit'] },
  { href: '#/policies', label: 'Policies', screens: ['policies'] },
]

export function Shell({
  route,
  onSignOut,
  children,
}: {
  route: Route
  onSignOut: () => void
  children: ReactNode
}) {
  return (
    <>
      <header className="top">
        <span className="brand">Retention console</span>
        <nav aria-label="Sections">
          {SECTIONS.map((section) => (
            <a
              key={section.href}
              href={section.href}
              aria-current={section.screens.includes(route.screen) ? 'page' : undefined}
            >
              {section.label}
            </a>
          ))}
        </nav>
        <button type="button" className="quiet" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="content">{children}</main>
    </>
  )
}
