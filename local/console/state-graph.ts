/** How one state can be left: its `Next`, a `Choice` branch or `Default`, or a `Catch`. */
export interface StateTransition {
  readonly to: string;
  readonly kind: 'next' | 'choice' | 'default' | 'catch';
  /** The errors a catcher matches (only for `catch`). */
  readonly errors?: readonly string[];
}

/** A retrier of a state: the errors it matches and how many times it retries them. */
export interface StateRetrier {
  readonly errors: readonly string[];
  readonly maxAttempts: number;
}

/** One state of the machine, as the console draws it. */
export interface GraphState {
  readonly name: string;
  readonly type: string;
  readonly comment?: string;
  /** Row of the drawing: the longest distance from `StartAt`, so every transition points down. */
  readonly layer: number;
  readonly transitions: readonly StateTransition[];
  readonly retry: readonly StateRetrier[];
  /** `Succeed`, `Fail`, or `End: true`: the execution stops here. */
  readonly terminal: boolean;
}

/** The state machine's shape: its states in drawing order (by layer, then definition order). */
export interface StateGraph {
  readonly comment?: string;
  readonly startAt: string;
  readonly states: readonly GraphState[];
  readonly layers: number;
}

interface AslState {
  readonly Type: string;
  readonly Comment?: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: readonly { readonly Next: string }[];
  readonly Catch?: readonly { readonly ErrorEquals: readonly string[]; readonly Next: string }[];
  readonly Retry?: readonly { readonly ErrorEquals: readonly string[]; readonly MaxAttempts?: number }[];
}

interface AslDefinition {
  readonly Comment?: string;
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/** ASL's default when a retrier gives no MaxAttempts. */
const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * Reads an ASL definition (JSON text) into the states and transitions the console draws. Loops, which
 * run-query has none of, are drawn by ignoring the edges that close them.
 */
export function stateGraphOf(definitionJson: string): StateGraph {
  const definition = JSON.parse(definitionJson) as AslDefinition;
  const names = Object.keys(definition.States);
  if (!definition.States[definition.StartAt]) {
    throw new Error(`StartAt names '${definition.StartAt}', which is not a state of the definition`);
  }
  const transitions = new Map(names.map((name) => [name, transitionsOf(definition.States[name])]));
  const layers = longestPathLayers(definition.StartAt, names, transitions);
  const order = new Map(names.map((name, i) => [name, i]));
  const states = names
    .map((name): GraphState => {
      const state = definition.States[name];
      return {
        name,
        type: state.Type,
        ...(state.Comment ? { comment: state.Comment } : {}),
        layer: layers.get(name) ?? 0,
        transitions: transitions.get(name) ?? [],
        retry: (state.Retry ?? []).map((r) => ({
          errors: r.ErrorEquals,
          maxAttempts: r.MaxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        })),
        terminal: state.Type === 'Succeed' || state.Type === 'Fail' || state.End === true,
      };
    })
    .sort((a, b) => a.layer - b.layer || (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  return {
    ...(definition.Comment ? { comment: definition.Comment } : {}),
    startAt: definition.StartAt,
    states,
    layers: Math.max(0, ...states.map((s) => s.layer)) + 1,
  };
}

function transitionsOf(state: AslState): StateTransition[] {
  const out: StateTransition[] = [];
  const add = (t: StateTransition) => {
    if (!out.some((o) => o.to === t.to && o.kind === t.kind)) out.push(t);
  };
  if (state.Next) add({ to: state.Next, kind: 'next' });
  for (const choice of state.Choices ?? []) add({ to: choice.Next, kind: 'choice' });
  if (state.Default) add({ to: state.Default, kind: 'default' });
  for (const c of state.Catch ?? []) add({ to: c.Next, kind: 'catch', errors: c.ErrorEquals });
  return out;
}

/** Layer of each state reachable from `start`: the longest path to it; unreachable states go last. */
function longestPathLayers(
  start: string,
  names: readonly string[],
  transitions: ReadonlyMap<string, readonly StateTransition[]>,
): Map<string, number> {
  // Depth-first order that ignores back edges, then relax edges in topological order.
  const visited = new Set<string>();
  const onStack = new Set<string>();
  const postOrder: string[] = [];
  const backEdges = new Set<string>();
  const visit = (name: string) => {
    visited.add(name);
    onStack.add(name);
    for (const t of transitions.get(name) ?? []) {
      if (!transitions.has(t.to)) continue;
      if (onStack.has(t.to)) backEdges.add(`${name}->${t.to}`);
      else if (!visited.has(t.to)) visit(t.to);
    }
    onStack.delete(name);
    postOrder.push(name);
  };
  visit(start);
  const layer = new Map<string, number>([[start, 0]]);
  for (const name of postOrder.reverse()) {
    const from = layer.get(name) ?? 0;
    for (const t of transitions.get(name) ?? []) {
      if (!transitions.has(t.to) || backEdges.has(`${name}->${t.to}`)) continue;
      layer.set(t.to, Math.max(layer.get(t.to) ?? 0, from + 1));
    }
  }
  const deepest = Math.max(0, ...layer.values());
  for (const name of names) if (!visited.has(name)) layer.set(name, deepest + 1);
  return layer;
}
