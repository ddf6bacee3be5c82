// Owns the active engine: loads the configured model, reports status, and swaps models without dropping requests.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Engine } from '../core/engine';
import { ClozeError, errorText } from '../core/errors';
import { modelSpecKey, openModel } from '../train/modelSource';
import type { ModelStatus, ServiceSettings } from '../protocol';

export class ModelHost {
  private engine: Engine | undefined;
  private loading: Promise<Engine | undefined> | undefined;
  private key = '';
  private status: ModelStatus = { state: 'loading', pid: process.pid };
  lastLatencyMs: number | undefined;

  constructor(
    private readonly log: (message: string) => void,
    private readonly onStatus: (status: ModelStatus) => void,
    private readonly onError: (error: ClozeError) => void,
  ) {}

  get current(): ModelStatus {
    return { ...this.status, lastLatencyMs: this.lastLatencyMs, modelRuns: this.engine?.runs, pid: process.pid };
  }

  /** Loads the model the settings name, unless it is already the active one. */
  configure(settings: ServiceSettings): Promise<Engine | undefined> {
    // A model trained on this workspace is the most specific choice; the setting and the bundled model follow.
    // A Hub id (org/name) stays an id: the engine resolves it from the Hugging Face cache.
    const dir = modelSpecKey(settings.trainedModel || settings.model || settings.bundledModel, existsSync);
    const key = JSON.stringify([dir, settings.devices, settings.precision]);
    if (key === this.key && this.loading) return this.loading;
    this.key = key;
    this.setStatus({ state: 'loading', model: path.basename(dir), modelDir: dir, pid: process.pid });
    const started = Date.now();
    const load = openModel(dir, { devices: settings.devices, precision: settings.precision, log: this.log }).then(
      async (engine) => {
        if (this.key !== key) {
          await engine.dispose();
          return this.engine;
        }
        const old = this.engine;
        this.engine = engine;
        this.lastLatencyMs = undefined;
        const i = engine.info;
        this.log(`Loaded ${i.name} from ${i.dir} (${path.basename(i.onnxFile)}, ${i.precision}, ${i.modelType}, vocab ${i.vocabSize}, ${i.maxTokens} positions) on ${i.device.toUpperCase()} in ${Date.now() - started} ms`);
        this.setStatus({ state: 'ready', model: i.name, modelDir: i.dir, device: i.device, maskToken: i.maskToken, fallbacks: [...i.fallbacks], pid: process.pid });
        await old?.dispose();
        return engine;
      },
      (e: unknown) => {
        if (this.key !== key) return this.engine;
        const err = e instanceof ClozeError ? e : new ClozeError('model-corrupt', `The model in ${dir} could not be loaded: ${errorText(e)}`, errorText(e));
        this.log(`Model load failed: ${err.message}`);
        // The previous model, if any, stays in service: a bad choice must not leave the user with nothing.
        this.setStatus({
          state: 'error',
          model: path.basename(dir),
          modelDir: dir,
          error: err.userMessage + (this.engine ? ` Still using ${this.engine.info.name}.` : ''),
          errorCode: err.code,
          device: this.engine?.info.device,
          pid: process.pid,
        });
        this.onError(err);
        return this.engine;
      },
    );
    this.loading = load;
    return load;
  }

  /** The engine to use now, waiting for a load in progress. */
  async ready(): Promise<Engine | undefined> {
    return (await this.loading) ?? this.engine;
  }

  private setStatus(s: ModelStatus): void {
    this.status = s;
    this.onStatus(this.current);
  }

  async dispose(): Promise<void> {
    await this.engine?.dispose();
  }
}
