import type { NotebookOutput } from './notebookFile.js';

type DisplayOutput = Extract<NotebookOutput, { output_type: 'display_data' | 'execute_result' }>;

/** Display outputs by `transient.display_id`, shared by all cells of one run so updates reach earlier cells. */
export type DisplayRegistry = Map<string, DisplayOutput[]>;

/**
 * Turns the iopub messages of one execute request into nbformat-4 outputs, the way a notebook
 * front end does: consecutive stream text of the same name is merged, `update_display_data`
 * replaces every output with the same display id (in any cell of the run), `clear_output` empties
 * the cell (at the next output when `wait` is set), and the transient fields are not stored.
 */
export class CellOutputCollector {
  readonly outputs: NotebookOutput[] = [];
  /** Everything written to stderr by this cell, for error messages. */
  stderr = '';
  private clearPending = false;

  constructor(private readonly displays: DisplayRegistry = new Map()) {}

  /** Applies one iopub message; returns false for message types that carry no output (status, execute_input...). */
  handle(msgType: string, content: Record<string, unknown>): boolean {
    switch (msgType) {
      case 'stream': {
        const name = content.name === 'stderr' ? 'stderr' : 'stdout';
        const text = String(content.text ?? '');
        if (name === 'stderr') this.stderr += text;
        this.flushClear();
        const last = this.outputs[this.outputs.length - 1];
        if (last && last.output_type === 'stream' && last.name === name) {
          last.text = (Array.isArray(last.text) ? last.text.join('') : last.text) + text;
        } else {
          this.outputs.push({ output_type: 'stream', name, text });
        }
        return true;
      }
      case 'display_data':
      case 'execute_result': {
        this.flushClear();
        const data = asRecord(content.data);
        const metadata = asRecord(content.metadata);
        const out: DisplayOutput =
          msgType === 'display_data'
            ? { output_type: 'display_data', data, metadata }
            : {
                output_type: 'execute_result',
                data,
                metadata,
                execution_count: typeof content.execution_count === 'number' ? content.execution_count : null,
              };
        this.outputs.push(out);
        const id = displayId(content);
        if (id !== undefined) {
          const list = this.displays.get(id) ?? [];
          list.push(out);
          this.displays.set(id, list);
        }
        return true;
      }
      case 'update_display_data': {
        const id = displayId(content);
        for (const out of (id !== undefined && this.displays.get(id)) || []) {
          out.data = asRecord(content.data);
          out.metadata = asRecord(content.metadata);
        }
        return true;
      }
      case 'error': {
        this.flushClear();
        const traceback = Array.isArray(content.traceback) ? content.traceback.map(String) : [];
        this.outputs.push({
          output_type: 'error',
          ename: String(content.ename ?? ''),
          evalue: String(content.evalue ?? ''),
          traceback,
        });
        this.stderr += traceback.length
          ? traceback.join('\n') + '\n'
          : `${String(content.ename ?? 'Error')}: ${String(content.evalue ?? '')}\n`;
        return true;
      }
      case 'clear_output':
        if (content.wait === true) this.clearPending = true;
        else this.outputs.length = 0;
        return true;
      default:
        return false;
    }
  }

  private flushClear(): void {
    if (this.clearPending) {
      this.outputs.length = 0;
      this.clearPending = false;
    }
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {};
}

function displayId(content: Record<string, unknown>): string | undefined {
  const transient = content.transient;
  if (typeof transient !== 'object' || transient === null) return undefined;
  const id = (transient as Record<string, unknown>).display_id;
  return typeof id === 'string' ? id : undefined;
}
