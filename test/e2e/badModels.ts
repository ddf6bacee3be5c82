// Broken model folders (each derived from a real fixture) that the extension must reject with a clear message.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { notFillMaskOnnx } from '../badOnnx';
import { e2eTempDir } from './tempDirs';

function copyModel(src: string, label: string): string {
  const dir = path.join(e2eTempDir('bad-model'), label);
  fs.cpSync(src, dir, { recursive: true });
  for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644); // the fixtures may be read-only in a checkout
  return dir;
}

export function missingModelDir(): string {
  return path.join(e2eTempDir('missing'), `cloze-no-such-model-${crypto.randomBytes(4).toString('hex')}`);
}

/** A complete folder whose model.onnx is random bytes. */
export function garbageOnnxModel(src: string): string {
  const dir = copyModel(src, 'garbage-onnx');
  fs.writeFileSync(path.join(dir, 'model.onnx'), crypto.randomBytes(64 * 1024));
  return dir;
}

/** A valid tokenizer and model, but no token is declared as (or spelled like) the mask token. */
export function noMaskTokenModel(src: string): string {
  const dir = copyModel(src, 'no-mask-token');
  const rewrite = (file: string, edit: (json: Record<string, unknown>) => void) => {
    const p = path.join(dir, file);
    if (!fs.existsSync(p)) return;
    const json = JSON.parse(fs.readFileSync(p, 'utf8')) as Record<string, unknown>;
    edit(json);
    fs.writeFileSync(p, JSON.stringify(json, null, 2));
  };
  rewrite('special_tokens_map.json', (j) => { delete j.mask_token; });
  rewrite('tokenizer_config.json', (j) => {
    delete j.mask_token;
    const decoder = j.added_tokens_decoder as Record<string, { content: string }> | undefined;
    for (const t of Object.values(decoder ?? {})) if (t.content === '[MASK]' || t.content === '<mask>') t.content = '[UNUSED0]';
  });
  const tok = fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8');
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), tok.split('"[MASK]"').join('"[UNUSED0]"').split('"<mask>"').join('"<unused0>"'));
  return dir;
}

/** Tokenizer and config intact; model.onnx is a valid graph whose only input is `x` (no input_ids). */
export function wrongInputsModel(src: string): string {
  const dir = copyModel(src, 'wrong-inputs');
  fs.writeFileSync(path.join(dir, 'model.onnx'), notFillMaskOnnx('x'));
  return dir;
}

/** Markdown a hostile model folder could carry: a command link, a remote image (a beacon), raw HTML, a table break. */
export const HOSTILE_MARKDOWN = '[run](command:cloze.showProbabilities?%5B%5D) ![beacon](https://example.invalid/p.png) <b>x</b>';

/**
 * A working model whose name (config `_name_or_path`) and whose best piece for `word` are hostile markdown: the
 * vocabulary entry of `word` is renamed, so the fill that used to be `word` now reads as `HOSTILE_MARKDOWN` + a line break.
 */
export function hostileTextModel(src: string, word: string): { dir: string; piece: string } {
  const dir = copyModel(src, 'hostile-text');
  const piece = `${HOSTILE_MARKDOWN}\n| row |`;
  const configFile = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(configFile, JSON.stringify({ ...config, _name_or_path: `evil/${HOSTILE_MARKDOWN}` }, null, 2));
  const tokFile = path.join(dir, 'tokenizer.json');
  const tok = JSON.parse(fs.readFileSync(tokFile, 'utf8')) as { model: { vocab: Record<string, number> } };
  const id = tok.model.vocab[word];
  if (id === undefined) throw new Error(`"${word}" is not in the vocabulary of ${src}`);
  delete tok.model.vocab[word];
  tok.model.vocab[piece] = id;
  fs.writeFileSync(tokFile, JSON.stringify(tok));
  return { dir, piece };
}
