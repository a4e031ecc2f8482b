import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  type Connection,
  type Edge,
  type Node,
  type NodeProps,
} from '@xyflow/react'
import '@xyflow/react/dist/style.css'
import { memo, useMemo } from 'react'
import type { ChainDefinition } from '../api/types'
import { chainGraph, TRIGGER_ID, type GraphNode } from '../chains/graph'
import type { Definition } from './definition'
import { messagesFor, type FieldError } from './errors'

type NodeData = Omit<GraphNode, 'id' | 'position'> & { problems: string[]; selected: boolean }

const BuilderNode = memo(function BuilderNode({ data }: NodeProps<Node<NodeData>>) {
  const classes = ['step-node', data.kind, data.problems.length ? 'has-problems' : '', data.selected ? 'chosen' : '']
  return (
    <div className={classes.join(' ')}>
      <Handle type="target" position={Position.Top} />
      <div className="step-kind">{data.kind.replace('_', ' ')}</div>
      <div className="step-title">{data.title}</div>
      <div className="step-detail">{data.detail}</div>
      {data.problems.map((message) => (
        <div key={message} className="node-problem">
          ⚠ {message}
        </div>
      ))}
      {data.kind !== 'exit' && data.kind !== 'left' && <Handle type="source" position={Position.Bottom} />}
    </div>
  )
})

const NODE_TYPES = { step: BuilderNode }

/**
 * The draft on the canvas, laid out by the same code as the chain's read-only graph. Clicking a
 * node selects it for the side panel; dragging from a step's lower handle to another step makes
 * that step its next (or a wait's timeout branch).
 */
export function BuilderCanvas({
  definition,
  errors,
  selected,
  onSelect,
  onConnect,
}: {
  definition: Definition
  errors: FieldError[]
  selected: string | null
  onSelect: (id: string) => void
  onConnect: (source: string, target: string) => void
}) {
  const graph = useMemo(() => chainGraph(definition as ChainDefinition), [definition])
  const nodes = useMemo<Node<NodeData>[]>(() => {
    const index = new Map(definition.steps.map((s, i) => [s.id, i]))
    return graph.nodes.map(({ id, position, ...data }) => {
      const step = index.get(id)
      const problems = id === TRIGGER_ID ? messagesFor(errors, null, 'trigger') : step === undefined ? [] : messagesFor(errors, step)
      return {
        id,
        position,
        type: 'step',
        data: { ...data, problems, selected: selected === id },
        draggable: false,
        ariaLabel: `${data.title}: ${data.detail}${problems.length ? `. Problems: ${problems.join('; ')}` : ''}`,
      }
    })
  }, [graph, errors, selected, definition.steps])
  const edges = useMemo<Edge[]>(() => graph.edges.map((edge) => ({ ...edge, type: 'smoothstep' })), [graph])
  return (
    <div className="graph builder-graph" role="figure" aria-label="The draft as a graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        fitView
        fitViewOptions={{ maxZoom: 1 }}
        minZoom={0.1}
        onNodeClick={(_event, node) => onSelect(node.id)}
        onConnect={(c: Connection) => onConnect(c.source, c.target)}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  )
}
