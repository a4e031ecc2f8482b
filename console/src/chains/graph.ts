import type { ChainDefinition, Step, StepFigures, Trigger, VersionFigures, VersionSteps } from '../api/types'

export type NodeKind = 'trigger' | Step['kind'] | 'left'

export type GraphNode = {
  id: string
  kind: NodeKind
  title: string
  detail: string
  figures: string[]
  position: { x: number; y: number }
}

export type GraphEdge = { id: string; source: string; target: string; label?: string }

export type Graph = { nodes: GraphNode[]; edges: GraphEdge[] }

export const TRIGGER_ID = '__trigger'
const END_ID = '__end'
const COLUMN = 240
const ROW = 130

function describeTrigger(trigger: Trigger): string {
  if (trigger.kind === 'event') return `on ${trigger.event}`
  if (trigger.kind === 'segment_entered') return `on entering ${trigger.segments.join(', ')}`
  return `on schedule: ${trigger.schedule}`
}

function describeStep(step: Step): string {
  switch (step.kind) {
    case 'send':
      return `${step.template} by ${step.channels.join(' → ')}`
    case 'wait':
      if (step.wait.type === 'duration') return `wait ${step.wait.duration}`
      if (step.wait.type === 'until_local_time') return `until ${step.wait.at} local time`
      return `until ${step.wait.event}, at most ${step.wait.timeout}`
    case 'grant_bonus':
      return `${step.amount} points for ${step.lifetime_days} days`
    case 'branch':
      return `${step.cases.length} case${step.cases.length === 1 ? '' : 's'}`
    case 'exit':
      return `exit: ${step.reason ?? 'completed'}`
  }
}

/** Where a step leads: its cases or timeout target, then its `next` or the following step. */
export function successors(steps: Step[], index: number): { target: string; label?: string }[] {
  const step = steps[index]!
  const following = step.next ?? steps[index + 1]?.id ?? END_ID
  if (step.kind === 'exit') return []
  const out: { target: string; label?: string }[] = []
  if (step.kind === 'branch') {
    for (const branch of step.cases) out.push({ target: branch.goto, label: branch.when.type })
    out.push({ target: following, label: 'otherwise' })
  } else if (step.kind === 'wait' && step.wait.type === 'event') {
    out.push({ target: following, label: step.wait.event })
    if (step.wait.on_timeout) out.push({ target: step.wait.on_timeout, label: 'timeout' })
  } else {
    out.push({ target: following })
  }
  return out
}

function reached(found: StepFigures): number {
  return found.reached.treated + found.reached.holdout
}

/** Reached, waiting now and left by reason: the step report's counts for one node. */
function arrivals(found: StepFigures | undefined): string[] {
  if (!found) return []
  const lines = [`${reached(found)} reached`]
  if (found.waiting) lines.push(`${found.waiting} waiting now`)
  for (const [reason, n] of Object.entries(found.exited)) lines.push(`${n} left here: ${reason.replaceAll('_', ' ')}`)
  return lines
}

function stepFigures(step: Step, figures: VersionFigures | undefined, found?: StepFigures): string[] {
  const seen = figures?.steps[step.id]
  const lines = arrivals(found)
  if (seen) {
    const messages = Object.entries(seen.messages)
    if (messages.length) lines.push(messages.map(([ch, n]) => `${n} ${ch}`).join(', ') + ' sent')
    if (seen.points_granted) lines.push(`${seen.points_granted} points granted`)
  }
  if (step.kind === 'exit') {
    const left = figures?.exited[step.reason ?? 'completed']
    if (left) lines.push(`${left} left here`)
  }
  return lines
}

/** Rows by distance from the trigger, so a chain reads top to bottom. */
function depths(ids: string[], edges: GraphEdge[]): Map<string, number> {
  const depth = new Map<string, number>([[TRIGGER_ID, 0]])
  const queue = [TRIGGER_ID]
  while (queue.length) {
    const current = queue.shift()!
    for (const edge of edges.filter((e) => e.source === current)) {
      if (!depth.has(edge.target)) {
        depth.set(edge.target, depth.get(current)! + 1)
        queue.push(edge.target)
      }
    }
  }
  let last = Math.max(...depth.values())
  for (const id of ids) if (!depth.has(id)) depth.set(id, ++last)
  return depth
}

function place(nodes: Omit<GraphNode, 'position'>[], edges: GraphEdge[]): GraphNode[] {
  const depth = depths(
    nodes.map((n) => n.id),
    edges,
  )
  const perRow = new Map<number, number>()
  return nodes.map((node) => {
    const row = depth.get(node.id)!
    const column = perRow.get(row) ?? 0
    perRow.set(row, column + 1)
    return { ...node, position: { x: column * COLUMN, y: row * ROW } }
  })
}

/** An edge's flow where it is exact: the arrivals at a target that only this edge leads to. */
function withFlows(edges: GraphEdge[], report: Map<string, StepFigures>): GraphEdge[] {
  const incoming = new Map<string, number>()
  for (const edge of edges) incoming.set(edge.target, (incoming.get(edge.target) ?? 0) + 1)
  return edges.map((edge) => {
    const found = report.get(edge.target)
    if (!found || incoming.get(edge.target) !== 1) return edge
    const flow = `${reached(found)} →`
    return { ...edge, label: edge.label ? `${edge.label}: ${flow}` : flow }
  })
}

/**
 * The chain as a graph: trigger → steps → exits, with the version's figures on each node and,
 * given the step report of the same version, arrivals on the nodes and flows on the edges.
 */
export function chainGraph(
  definition: ChainDefinition,
  figures?: VersionFigures,
  stepReport?: VersionSteps,
): Graph {
  const steps = definition.steps
  const report = new Map((stepReport?.steps ?? []).map((found) => [found.step, found]))
  const before = Object.entries(stepReport?.exited_before_first_step ?? {}).map(
    ([reason, n]) => `${n} left before the first step: ${reason.replaceAll('_', ' ')}`,
  )
  const nodes: Omit<GraphNode, 'position'>[] = [
    {
      id: TRIGGER_ID,
      kind: 'trigger',
      title: 'Trigger',
      detail: describeTrigger(definition.trigger),
      figures: figures ? [`${figures.enrolled} enrolled`, `${figures.active} in the chain now`, ...before] : before,
    },
    ...steps.map((step) => ({
      id: step.id,
      kind: step.kind,
      title: step.id.replaceAll('_', ' '),
      detail: describeStep(step),
      figures: stepFigures(step, figures, report.get(step.id)),
    })),
  ]
  const edges: GraphEdge[] = []
  if (steps[0]) edges.push({ id: `${TRIGGER_ID}->${steps[0].id}`, source: TRIGGER_ID, target: steps[0].id })
  steps.forEach((step, index) => {
    for (const { target, label } of successors(steps, index)) {
      edges.push({ id: `${step.id}->${target}:${label ?? ''}`, source: step.id, target, label })
    }
  })
  const exitReasons = new Set(steps.flatMap((s) => (s.kind === 'exit' ? [s.reason ?? 'completed'] : [])))
  if (edges.some((e) => e.target === END_ID)) {
    exitReasons.add('completed')
    const left = figures?.exited.completed
    nodes.push({ id: END_ID, kind: 'left', title: 'End', detail: 'last step done', figures: left ? [`${left} left here`] : [] })
  }
  // Exits the chain's conditions cause at any step (a purchase, a return, a time limit).
  for (const [reason, left] of Object.entries(figures?.exited ?? {})) {
    if (exitReasons.has(reason)) continue
    nodes.push({ id: `__left_${reason}`, kind: 'left', title: `Left: ${reason.replaceAll('_', ' ')}`, detail: 'at any step', figures: [`${left} left`] })
  }
  return { nodes: place(nodes, edges), edges: withFlows(edges, report) }
}
