// Turns predictions into what the editor shows: completion items and the hover's probability view.
import { CompletionItem, CompletionItemKind, InsertTextFormat, MarkupKind, type Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { FillResult, WireCandidate } from './protocol';

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

/** The edit range: a piece that continues the previous word also removes the space before the mask. */
export function editRange(doc: TextDocument, mask: Range, c: WireCandidate): Range {
  if (!c.joinLeft) return mask;
  const lineStart = doc.offsetAt({ line: mask.start.line, character: 0 });
  let start = doc.offsetAt(mask.start);
  const text = doc.getText();
  while (start > lineStart && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  return { start: doc.positionAt(start), end: mask.end };
}

export function completionItems(doc: TextDocument, fill: FillResult): CompletionItem[] {
  return fill.candidates.map((c, i) => {
    const range = editRange(doc, fill.range, c);
    return {
      label: shown(c),
      kind: CompletionItemKind.Text,
      detail: `${percent(c.score)} · ${fill.model}`,
      labelDetails: { description: percent(c.score) },
      documentation: { kind: MarkupKind.Markdown, value: `\`${bar(c.score)}\` ${percent(c.score)}\n\nvocabulary piece \`${c.token}\` (id ${c.id}); entropy of this mask ${fill.entropy.toFixed(2)} bits` },
      sortText: String(i).padStart(4, '0'),
      // VS Code filters items by the text from the edit's start to the cursor; the mask itself must match every item.
      filterText: doc.getText(range),
      preselect: i === 0,
      insertTextFormat: InsertTextFormat.PlainText,
      textEdit: { range, newText: c.insert },
      data: { score: c.score },
    };
  });
}

export function hoverMarkdown(fill: FillResult, showViewCommand?: string): string {
  const lines = [
    `**Cloze** — ${fill.candidates.length} most likely fills · entropy ${fill.entropy.toFixed(2)} bits · ${fill.model}${showViewCommand ? ` · ${showViewCommand}` : ''}`,
    '',
    '| candidate | probability | |',
    '|:--|:--|--:|',
    ...fill.candidates.map((c) => `| \`${shown(c).replace(/\|/g, '\\|').replace(/`/g, 'ˋ')}\` | \`${bar(c.score)}\` | ${percent(c.score)} |`),
  ];
  if (fill.joint?.length) {
    lines.push('', `**Together** with the other masks nearby: ${fill.joint.map((j) => `${j.texts.map((t) => `\`${t.replace(/`/g, 'ˋ')}\``).join(' … ')} ${percent(j.score)}`).join(' · ')}`);
  }
  return lines.join('\n');
}
