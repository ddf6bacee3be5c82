// A small typed builder for ONNX graphs: unique value names, deduplicated constants, typed attributes, subgraphs.
import { DType, Dim, TensorData, onnx, tensorProto, typedArray, valueInfo } from './proto';

declare const valueBrand: unique symbol;
/** The name of a tensor in a graph. Branded so that arbitrary strings are not mistaken for graph values. */
export type Value = string & { readonly [valueBrand]: true };

/** Typed attribute values: ONNX distinguishes int from float attributes, so the caller says which. */
export type Attr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'graph'; readonly value: Graph }
  | { readonly kind: 'tensor'; readonly value: onnx.ITensorProto };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  graph: (value: Graph): Attr => ({ kind: 'graph', value }),
  tensor: (dtype: DType, dims: readonly number[], data: TensorData): Attr => ({ kind: 'tensor', value: tensorProto('value', dtype, dims, data) }),
};

/** Hands out names unique across a model, shared by a graph and its subgraphs (ONNX forbids shadowing). */
class NameScope {
  private readonly used = new Set<string>();
  private counter = 0;
  fresh(hint: string): string {
    let name: string;
    do name = `${hint}_${++this.counter}`; while (this.used.has(name));
    this.used.add(name);
    return name;
  }
  claim(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX value name used twice: ${name}`);
    this.used.add(name);
    return name;
  }
}

function attrProto(name: string, a: Attr): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int': return { name, type: T.INT, i: a.value };
    case 'float': return { name, type: T.FLOAT, f: a.value };
    case 'ints': return { name, type: T.INTS, ints: [...a.value] };
    case 'string': return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'graph': return { name, type: T.GRAPH, g: a.value.toProto() };
    case 'tensor': return { name, type: T.TENSOR, t: a.value };
  }
}

export class Graph {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly constants = new Map<string, Value>();
  private readonly prefixes: string[] = [];

  constructor(readonly name: string, private readonly names: NameScope = new NameScope()) {}

  /** A graph for a control-flow body (Loop, If): shares this graph's names and may read its values. */
  subgraph(name: string): Graph {
    return new Graph(name, this.names);
  }

  /** Runs `build` with `prefix` prepended to generated names, so that a dumped graph reads like the model. */
  scope<T>(prefix: string, build: () => T): T {
    this.prefixes.push(prefix);
    try {
      return build();
    } finally {
      this.prefixes.pop();
    }
  }

  input(name: string, dtype: DType, shape?: readonly Dim[]): Value {
    this.inputs.push(valueInfo(this.names.claim(name), dtype, shape));
    return name as Value;
  }

  /** Declares `value` a graph output called `name` (through an Identity when the names differ). */
  output(value: Value, name: string, dtype?: DType, shape?: readonly Dim[]): void {
    if (value !== name) this.nodes.push({ opType: 'Identity', input: [value], output: [this.names.claim(name)] });
    this.outputs.push(valueInfo(name, dtype, shape));
  }

  initializer(name: string, dtype: DType, dims: readonly number[], data: TensorData): Value {
    this.initializers.push(tensorProto(this.names.claim(name), dtype, dims, data));
    return name as Value;
  }

  /** A constant tensor (an initializer), shared by every use of the same dtype, shape and values. */
  constant(dtype: DType, values: ArrayLike<number> | ArrayLike<bigint>, dims: readonly number[] = [values.length]): Value {
    const data = typedArray(dtype, values);
    const key = `${dtype}|${dims.join(',')}|${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')}`;
    const hit = this.constants.get(key);
    if (hit) return hit;
    const name = this.names.fresh('const') as Value;
    this.initializers.push(tensorProto(name, dtype, dims, data));
    this.constants.set(key, name);
    return name;
  }

  scalar(dtype: DType, value: number): Value {
    return this.constant(dtype, [value], []);
  }

  /** int64 vector, the type of every shape/axes operand. */
  ints(values: readonly number[]): Value {
    return this.constant('int64', values);
  }

  /** Appends a node with one output. Empty-string inputs mean "optional input omitted". */
  op(type: string, inputs: readonly (Value | '')[], attrs: Record<string, Attr> = {}): Value {
    return this.opN(type, inputs, 1, attrs)[0];
  }

  opN(type: string, inputs: readonly (Value | '')[], outputs: number, attrs: Record<string, Attr> = {}): Value[] {
    const hint = [...this.prefixes, type].join('/');
    const out = Array.from({ length: outputs }, () => this.names.fresh(hint) as Value);
    this.nodes.push({
      opType: type,
      input: [...inputs],
      output: out,
      attribute: Object.entries(attrs).map(([k, a]) => attrProto(k, a)),
    });
    return out;
  }

  toProto(): onnx.IGraphProto {
    return {
      name: this.name,
      node: this.nodes,
      input: this.inputs,
      output: this.outputs,
      initializer: this.initializers,
    };
  }
}
