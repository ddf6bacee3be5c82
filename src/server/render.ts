// Turns predictions into what the editor shows: completion items and the hover's probability view.
import { CompletionItem, CompletionItemKind, InsertTextFormat, MarkupKind, type Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { mdCode, mdText } from '../protocol/markdown';
import type { FillResult, WireCandidate } from '../protocol';

const BAR_WIDTH = 20;

export function percent(p: number): string {
  if (p >= 0.1) return `${(p * 100).toFixed(1)}%`;
  if (p >= 0.001) return `${(p * 100).toFixed(2)}%`;
  return `${(p * 100).toExponential(1)}%`;
}

export function bar(p: number, width = BAR_WIDTH): string {
  const eighths = Math.round(Math.max(0, Math.min(1, p)) * width * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  return '█'.repeat(full) + (part ? '▏▎▍▌▋▊▉'[part - 1] : '') + ' '.repeat(width - full - (part ? 1 : 0));
}

/** How a candidate reads in a list: visible even when it is punctuation or whitespace. */
export function shown(c: WireCandidate): string {
  const t = c.text.trim() === '' ? JSON.stringify(c.text) : c.text;
  return c.joinLeft ? `…${t}` : t;
}

/** The blanks before the mask that a piece continuing the previous word removes; undefined when there are none. */
export function gapBefore(doc: TextDocument, mask: Range): Range | undefined {
  const lineStart = doc.offsetAt({ line: mask.start.line, character: 0 });
  const end = doc.offsetAt(mask.start);
  const text = doc.getText();
  let start = end;
  while (start > lineStart && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  return start < end ? { start: doc.positionAt(start), end: mask.start } : undefined;
}

/** What a candidate's percentage means: the model's probability of one piece, or a share of the whole words listed. */
function scoreNote(fill: FillResult): string {
  return fill.wholeWords ? ` (share of the ${fill.candidates.length} words listed)` : '';
}

/** How a candidate is made of vocabulary pieces, for its documentation. */
function piecesNote(c: WireCandidate): string {
  return c.pieces ? `whole word of ${c.pieces.length} pieces ${mdCode(c.token)}` : `vocabulary piece ${mdCode(c.token)} (id ${c.id})`;
}

/**
 * With other masks nearby: the consistent combinations first (each fills every mask of the combination, this one
 * through the main edit and the others through additional edits), then this mask's own candidates.
 */
function jointItems(doc: TextDocument, fill: FillResult): CompletionItem[] {
  const ranges = fill.jointRanges;
  if (!fill.joint?.length || !ranges) return [];
  const here = ranges.findIndex((r) => r.start.line === fill.range.start.line && r.start.character === fill.range.start.character);
  if (here < 0) return [];
  return fill.joint.map((j, i) => ({
    label: j.texts.map((t) => (t.trim() === '' ? JSON.stringify(t) : t)).join(' … '),
    kind: CompletionItemKind.Snippet,
    detail: `${percent(j.score)} together · ${ranges.length} masks · ${fill.model}`,
    labelDetails: { description: `${percent(j.score)} together` },
    documentation: { kind: MarkupKind.Markdown, value: `Fills the ${ranges.length} masks nearby at once: ${j.texts.map((t) => mdCode(t)).join(' … ')}.\n\nJoint probability ${percent(j.score)} (each word conditioned on the ones chosen before it).` },
    // Before the single words ('0000'…): with several masks the combination is what fills them all.
    sortText: `!${String(i).padStart(3, '0')}`,
    filterText: doc.getText(fill.range),
    preselect: i === 0,
    insertTextFormat: InsertTextFormat.PlainText,
    textEdit: { range: fill.range, newText: j.inserts[here] },
    additionalTextEdits: ranges.flatMap((r, m) => (m === here ? [] : [{ range: r, newText: j.inserts[m] }])),
    data: { score: j.score, joint: true },
  }));
}

export function completionItems(doc: TextDocument, fill: FillResult): CompletionItem[] {
  const gap = gapBefore(doc, fill.range);
  const joint = jointItems(doc, fill);
  return [...joint, ...fill.candidates.map((c, i) => ({
    label: shown(c),
    kind: CompletionItemKind.Text,
    detail: `${percent(c.score)}${scoreNote(fill)} · ${fill.model}`,
    labelDetails: { description: percent(c.score) },
    documentation: { kind: MarkupKind.Markdown, value: `\`${bar(c.score)}\` ${percent(c.score)}${scoreNote(fill)}\n\n${piecesNote(c)}; entropy of this mask ${fill.entropy.toFixed(2)} bits` },
    sortText: String(i).padStart(4, '0'),
    // Every item replaces exactly the mask and is filtered by it, so VS Code ranks them all alike, by probability
    // (items whose edit also covered the space before the mask were ranked below the others whatever their score).
    filterText: doc.getText(fill.range),
    preselect: i === 0 && joint.length === 0,
    insertTextFormat: InsertTextFormat.PlainText,
    textEdit: { range: fill.range, newText: c.insert },
    // A piece that continues the previous word also removes the space before the mask.
    ...(c.joinLeft && gap ? { additionalTextEdits: [{ range: gap, newText: '' }] } : {}),
    data: { score: c.score },
  }))];
}

export function hoverMarkdown(fill: FillResult, showViewCommand?: string): string {
  const lines = [
    `**Cloze** — ${fill.candidates.length} most likely ${fill.wholeWords ? 'whole words (percentages: share of these words)' : 'fills'} · entropy ${fill.entropy.toFixed(2)} bits · ${mdText(fill.model)}${showViewCommand ? ` · ${showViewCommand}` : ''}`,
    '',
    '| candidate | probability | |',
    '|:--|:--|--:|',
    ...fill.candidates.map((c) => `| ${mdCode(shown(c), true)} | \`${bar(c.score)}\` | ${percent(c.score)} |`),
  ];
  if (fill.joint?.length) {
    lines.push('', `**Together** with the other masks nearby: ${fill.joint.map((j) => `${j.texts.map((t) => mdCode(t)).join(' … ')} ${percent(j.score)}`).join(' · ')}`);
  }
  return lines.join('\n');
}
