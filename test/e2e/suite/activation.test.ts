// The service starts when it is first needed (a mask in a document, or a Cloze command), not at window start-up.
// Runs first in the suite (file order), before any other test has started the service.
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { closeAllEditors, completionsAt, openDocument, positionAfter } from './clozeExtension';

interface LazyApi {
  serviceStarted(): boolean;
  readonly activationMs: number;
  status(): Promise<{ state: string; model: string; serverPid?: number }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident memory of a process in MiB (Linux /proc), for the report. */
function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Child processes of this extension host that run Cloze's service bundle. */
function serviceProcesses(): number[] {
  if (!fs.existsSync('/proc')) return [];
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === process.pid && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dist/server.js');
    } catch {
      return false;
    }
  });
}

describe('Cloze starts its service lazily', () => {
  after(closeAllEditors);

  it('a window without masks runs no service; typing [MASK] starts it and the fill follows', async () => {
    const ext = vscode.extensions.getExtension<LazyApi>('cloze.cloze');
    assert.ok(ext);
    const api = await ext.activate();
    console.log(`      activation: ${api.activationMs.toFixed(1)} ms (activate() itself)`);
    assert.strictEqual(api.serviceStarted(), false, 'the service started at activation');

    const ed = await openDocument('A plain note with no mask in it.\n');
    await sleep(1500);
    assert.strictEqual(api.serviceStarted(), false, 'a document without a mask started the service');
    assert.deepStrictEqual(serviceProcesses(), [], 'a service process is running');
    const hostAlone = rssMiB(process.pid);

    await ed.edit((b) => b.insert(new vscode.Position(1, 0), 'This program is free [MASK].'));
    for (let i = 0; i < 100 && !api.serviceStarted(); i++) await sleep(100);
    assert.ok(api.serviceStarted(), 'typing a mask did not start the service');
    const st = await api.status();
    assert.strictEqual(st.state, 'ready', `service state ${st.state}`);
    const items = await completionsAt(ed.document, positionAfter(ed.document, '[MASK]'), ']');
    assert.ok(items.length > 0, 'no completions after the lazy start');
    const pids = serviceProcesses();
    assert.strictEqual(pids.length, 1, `service processes: ${pids.join(', ')}`);
    const service = rssMiB(pids[0]);
    console.log(`      memory: extension host ${hostAlone?.toFixed(0)} MiB without the service; ` +
      `with it: host ${rssMiB(process.pid)?.toFixed(0)} MiB + service ${service?.toFixed(0)} MiB (model ${st.model})`);
  });
});
