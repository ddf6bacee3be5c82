// The one builder of ONNX graphs that load but are not fill-mask models, for the unit and e2e broken-model tests.
import { onnx } from 'onnx-proto';

/** A valid graph that is not a fill-mask model: its int64 input (named `inputName`) → one number per call, as "logits". */
export function notFillMaskOnnx(inputName = 'input_ids'): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'not-fill-mask',
      node: [
        { opType: 'Cast', input: [inputName], output: ['f'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
        { opType: 'ReduceSum', input: ['f'], output: ['logits'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      ],
      input: [{ name: inputName, type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [{ dimParam: 'b' }, { dimParam: 's' }] } } } }],
      output: [{ name: 'logits', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
