import { lazy, Suspense, useCallback, useEffect, useState } from 'react'
import { CampaignsPage } from './campaigns/CampaignsPage'
import { ChainsPage } from './chains/ChainsPage'
import { CustomerLookup } from './customers/CustomerLookup'
import { useRoute, type Route } from './common/route'
import { Shell } from './layout/Shell'
import { SessionEnded } from './session/context'
import { currentSession, signOut } from './session/session'
import { SignIn } from './session/SignIn'

// The graph and chart libraries load with the screens that draw them, not on sign-in.
const ChainPage = lazy(() => import('./chains/ChainPage'))
const SegmentsPage = lazy(() => import('./segments/SegmentsPage'))
const BuilderPage = lazy(() => import('./builder/BuilderPage'))
const NewChainPage = lazy(() => import('./builder/NewChainPage'))
const SegmentEditor = lazy(() => import('./segments/builder/SegmentEditor'))
const TemplateEditor = lazy(() => import('./templates/editor/TemplateEditor'))
const PoliciesPage = lazy(() => import('./policies/PoliciesPage'))
const ResultsPage = lazy(() => import('./results/ResultsPage'))
const CustomerPage = lazy(() => import('./customers/CustomerPage'))
const TemplatesPage = lazy(() => import('./templates/TemplatesPage'))
const TemplatePage = lazy(() => import('./templates/TemplatePage'))

type Session = 'checking' | 'signed-out' | 'signed-in'

function Screen({ route }: { route: Route }) {
  switch (route.screen) {
    case 'chain':
      return <ChainPage chainId={route.chainId} version={route.version} />
    case 'results':
      return <ResultsPage chainId={route.chainId} />
    case 'customers':
      return <CustomerLookup />
    case 'customer':
      return <CustomerPage customerId={route.customerId} />
    case 'templates':
      return <TemplatesPage />
    case 'template':
      return <TemplatePage name={route.name} channel={route.channel} />
    case 'build':
      return <BuilderPage chainId={route.chainId} />
    case 'new-chain':
      return <NewChainPage />
    case 'policies':
      return <PoliciesPage />
    case 'template-edit':
      return <TemplateEditor name={route.name} channel={route.channel} />
    case 'segment-edit':
      return <SegmentEditor segmentId={route.segmentId} />
    case 'segments':
      return <SegmentsPage />
    case 'campaigns':
      return <CampaignsPage />
    default:
      return <ChainsPage />
  }
}

export function App() {
  const [session, setSession] = useState<Session>('checking')
  const route = useRoute()
  const ended = useCallback(() => setSession('signed-out'), [])

  useEffect(() => {
    currentSession().then((found) => setSession(found ? 'signed-in' : 'signed-out'))
  }, [])

  async function leave() {
    await signOut()
    setSession('signed-out')
  }

  if (session === 'checking') return <p role="status">Loading…</p>
  if (session === 'signed-out') return <SignIn onSignedIn={() => setSession('signed-in')} />
  return (
    <SessionEnded.Provider value={ended}>
      <Shell route={route} onSignOut={leave}>
        <Suspense fallback={<p role="status">Loading…</p>}>
          <Screen route={route} />
        </Suspense>
      </Shell>
    </SessionEnded.Provider>
  )
}
