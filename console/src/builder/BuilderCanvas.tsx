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
import { memo, useCallback, useMemo } from 'react'
import type { ChainDefinition } from '../api/types'
import { chainGraph, TRIGGER_ID, type GraphNode } from '../chains/graph'
import type { Definition } from './definition'
import { messagesFor, type FieldError } from './errors'

type NodeData = Omit<GraphNode, 'id' | 'position'> & { problems: string[]; selected: boolean }

function sameLook(a: NodeProps<Node<NodeData>>, b: NodeProps<Node<NodeData>>): boolean {
  const [x, y] = [a.data, b.data]
  return x.kind === y.kind && x.title === y.title && x.detail === y.detail && x.selected === y.selected && x.problems.join() === y.problems.join()
}

// Each edit makes new node objects; a node whose look did not change is not drawn again.
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
}, sameLook)

const NODE_TYPES = { step: BuilderNode }
const FIT = { maxZoom: 1 }

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
  const select = useCallback((_event: unknown, node: Node) => onSelect(node.id), [onSelect])
  const link = useCallback((c: Connection) => onConnect(c.source, c.target), [onConnect])
  return (
    <div className="graph builder-graph" role="figure" aria-label="The draft as a graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        fitView
        fitViewOptions={FIT}
        minZoom={0.1}
        onNodeClick={select}
        onConnect={link}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  )
}
