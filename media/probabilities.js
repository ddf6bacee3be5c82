// Renders the candidates the extension posts; builds DOM nodes (never HTML strings) so model output cannot inject markup.
(function () {
  const root = document.getElementById('root');
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const pct = (p) => (p >= 0.001 ? (p * 100).toFixed(p >= 0.1 ? 1 : 2) + '%' : (p * 100).toExponential(1) + '%');
  window.addEventListener('message', (event) => {
    const msg = event.data;
    if (!msg || msg.type !== 'fill') return;
    const r = msg.result;
    root.replaceChildren();
    root.appendChild(el('h2', '', `${r.candidates.length} most likely ${r.wholeWords ? 'whole words' : 'fills'}`));
    root.appendChild(el('p', 'muted', `model ${r.model} · entropy ${r.entropy.toFixed(2)} bits · ${r.latencyMs} ms`));
    // Whole-word scores are ranked per piece and shared among the words listed (docs/whole-words.md), not the model's
    // probability over every word: the view must not present them as that.
    if (r.wholeWords) root.appendChild(el('p', 'muted', `percentages: each word's share of the ${r.candidates.length} listed, not a probability over all words`));
    const ctx = el('div', 'context');
    const line = msg.context || '';
    const i = line.search(/\[MASK\]|<mask>/);
    if (i >= 0) {
      const m = line.slice(i).match(/^(\[MASK\]|<mask>)/)[0];
      ctx.append(line.slice(0, i), el('mark', '', m), line.slice(i + m.length));
    } else ctx.textContent = line;
    root.appendChild(ctx);
    const table = el('table');
    const max = Math.max(...r.candidates.map((c) => c.score), 1e-9);
    for (const c of r.candidates) {
      const tr = el('tr');
      tr.appendChild(el('td', 'word', (c.joinLeft ? '…' : '') + (c.text.trim() ? c.text : JSON.stringify(c.text))));
      const bar = el('td', 'bar');
      const track = el('div', 'track');
      const fill = el('div', 'fill');
      fill.style.width = `${(100 * c.score) / max}%`;
      track.appendChild(fill);
      bar.appendChild(track);
      tr.appendChild(bar);
      tr.appendChild(el('td', 'p', pct(c.score)));
      table.appendChild(tr);
    }
    root.appendChild(table);
    if (r.joint && r.joint.length) {
      root.appendChild(el('h2', '', 'Together with the other masks nearby'));
      const jt = el('table');
      for (const j of r.joint) {
        const tr = el('tr');
        tr.appendChild(el('td', 'word', j.texts.join(' … ')));
        tr.appendChild(el('td', 'p', pct(j.score)));
        jt.appendChild(tr);
      }
      root.appendChild(jt);
    }
  });
})();
