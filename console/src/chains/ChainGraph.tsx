import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeProps,
} from '@xyflow/react'
import '@xyflow/react/dist/style.css'
import { useMemo } from 'react'
import type { Graph, GraphNode } from './graph'

type StepData = Omit<GraphNode, 'id' | 'position'>

function StepNode({ data }: NodeProps<Node<StepData>>) {
  return (
    <div className={`step-node ${data.kind}`}>
      <Handle type="target" position={Position.Top} />
      <div className="step-kind">{data.kind.replace('_', ' ')}</div>
      <div className="step-title">{data.title}</div>
      <div className="step-detail">{data.detail}</div>
      {data.figures.map((line) => (
        <div key={line} className="step-figure">
          {line}
        </div>
      ))}
      <Handle type="source" position={Position.Bottom} />
    </div>
  )
}

const NODE_TYPES = { step: StepNode }

/** The chain drawn with React Flow: read-only in part 1, pan and zoom to explore. */
export function ChainGraph({ graph }: { graph: Graph }) {
  const nodes = useMemo<Node<StepData>[]>(
    () =>
      graph.nodes.map(({ id, position, ...data }) => ({
        id,
        position,
        data,
        type: 'step',
        draggable: false,
        connectable: false,
        ariaLabel: `${data.title}: ${data.detail}. ${data.figures.join('. ')}`,
      })),
    [graph],
  )
  const edges = useMemo<Edge[]>(
    () => graph.edges.map((edge) => ({ ...edge, type: 'smoothstep' })),
    [graph],
  )
  // Open on the trigger and the first steps at a readable size; the rest is a pan away.
  const opening = useMemo(
    () => ({ nodes: graph.nodes.slice(0, 8).map(({ id }) => ({ id })), maxZoom: 1 }),
    [graph],
  )
  return (
    <div className="graph" role="figure" aria-label="The chain as a graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        fitView
        fitViewOptions={opening}
        minZoom={0.2}
        nodesConnectable={false}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  )
}
