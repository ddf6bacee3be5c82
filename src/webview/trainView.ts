// The training view's page script: live loss and held-out accuracy charts, run stats and the before/after table.
// Runs inside the webview (a browser), bundled with Chart.js into media/trainView.js; it imports nothing from vscode.
import { Chart, type ChartConfiguration, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend } from 'chart.js';
import { percent } from '../protocol/format';
import type { TrainEvalEvent, TrainHistoryEntry, TrainPreview, TrainProgressEvent, TrainScore, TrainSummary, TrainViewMessage } from '../protocol';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Legend);

type Score = TrainScore;
type Progress = TrainProgressEvent;
type EvalEvent = TrainEvalEvent;
type Preview = TrainPreview;
type Summary = TrainSummary;
type HistoryEntry = TrainHistoryEntry;
type Message = TrainViewMessage;

const $ = (id: string) => document.getElementById(id)!;
const fmtTime = (s: number) => (Number.isFinite(s) ? `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}` : '…');
const css = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

function lineChart(canvas: string, label: string, color: string, yTitle: string, asPercent: boolean): Chart<'line', { x: number; y: number }[]> {
  const fg = css('--vscode-foreground', '#888');
  const grid = css('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
  const cfg: ChartConfiguration<'line', { x: number; y: number }[]> = {
    type: 'line',
    data: { datasets: [{ label, data: [], borderColor: color, backgroundColor: color, pointRadius: asPercent ? 3 : 0, borderWidth: 2, tension: 0.2 }] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { type: 'linear', title: { display: true, text: 'step', color: fg }, ticks: { color: fg }, grid: { color: grid } },
        y: { title: { display: true, text: yTitle, color: fg }, ticks: { color: fg, callback: (v) => (asPercent ? percent(Number(v)) : String(v)) }, grid: { color: grid } },
      },
      plugins: { legend: { labels: { color: fg } } },
    },
  };
  return new Chart(($(canvas) as HTMLCanvasElement).getContext('2d')!, cfg);
}

const lossChart = lineChart('loss', 'training loss', css('--vscode-charts-blue', '#3794ff'), 'loss (nats)', false);
const accChart = lineChart('accuracy', 'held-out top-1', css('--vscode-charts-green', '#89d185'), 'accuracy', true);

function cell(tr: HTMLTableRowElement, text: string, cls?: string): void {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
}

function scoreTable(before?: Score, after?: Score): void {
  const body = $('scores');
  body.replaceChildren();
  const rows: [string, (s: Score) => string, boolean][] = [
    ['top-1 accuracy', (s) => percent(s.top1), true],
    ['top-5 accuracy', (s) => percent(s.top5), true],
    ['perplexity', (s) => s.perplexity.toFixed(1), false],
  ];
  for (const [name, f, higherIsBetter] of rows) {
    const tr = document.createElement('tr');
    cell(tr, name);
    cell(tr, before ? f(before) : '…');
    cell(tr, after ? f(after) : '…');
    if (before && after) {
      const d = name === 'perplexity' ? after.perplexity - before.perplexity : 100 * ((name.startsWith('top-1') ? after.top1 : after.top5) - (name.startsWith('top-1') ? before.top1 : before.top5));
      const good = higherIsBetter ? d > 0 : d < 0;
      cell(tr, `${d > 0 ? '+' : ''}${d.toFixed(1)}${name === 'perplexity' ? '' : ' pts'}`, good ? 'good' : 'bad');
    } else cell(tr, '');
    body.appendChild(tr);
  }
}

let before: Score | undefined;

window.addEventListener('message', (event: MessageEvent<Message>) => {
  const m = event.data;
  switch (m.type) {
    case 'reset':
      lossChart.data.datasets[0].data = [];
      accChart.data.datasets[0].data = [];
      lossChart.update();
      accChart.update();
      before = undefined;
      scoreTable();
      $('title').textContent = m.title;
      $('files').textContent = m.preview
        ? `${m.preview.trainFiles} training files, ${m.preview.heldOutFiles} held out · ${m.preview.tokens.toLocaleString()} tokens · model ${m.preview.model}` +
          (m.preview.skipped.length ? ` · skipped: ${m.preview.skipped.map((s) => `${s.count} ${s.reason}`).join(', ')}` : '')
        : '';
      $('state').textContent = 'starting…';
      break;
    case 'progress': {
      const e = m.e;
      lossChart.data.datasets[0].data.push({ x: e.step, y: e.loss });
      lossChart.update();
      $('step').textContent = e.totalSteps ? `${e.step} / ${e.totalSteps}` : String(e.step);
      $('speed').textContent = `${Math.round(e.tokensPerSec).toLocaleString()} tokens/s`;
      $('eta').textContent = fmtTime(e.etaSec);
      $('lossv').textContent = e.loss.toFixed(3);
      $('state').textContent = 'training';
      break;
    }
    case 'eval':
      accChart.data.datasets[0].data.push({ x: m.e.step, y: m.e.top1 });
      accChart.update();
      if (m.e.phase === 'before') before = m.e;
      scoreTable(before, m.e.phase === 'after' ? m.e : undefined);
      break;
    case 'summary':
      scoreTable(m.s.before ?? before, m.s.after);
      $('state').textContent = m.s.stopped === 'cancelled' ? `stopped at step ${m.s.step}; checkpoint kept — resume any time` : `finished: ${m.s.step} steps in ${m.s.minutes.toFixed(1)} min`;
      break;
    case 'history': {
      const body = $('history');
      body.replaceChildren();
      for (const h of m.entries) {
        const tr = document.createElement('tr');
        cell(tr, new Date(h.date).toLocaleString());
        cell(tr, h.mode);
        cell(tr, `${h.minutes.toFixed(1)} min / ${h.steps} steps`);
        cell(tr, String(h.files));
        cell(tr, h.before && h.after ? `${percent(h.before.top1)} → ${percent(h.after.top1)}` : '—');
        body.appendChild(tr);
      }
      break;
    }
    case 'state':
      $('state').textContent = m.text;
      break;
  }
});
