/** A spinner on stderr, only when stderr is a terminal: stdout stays clean for reports and pipes. */
import ora, { type Ora } from 'ora';
import { useColor } from './output.js';

export interface Progress {
  update(text: string): void;
  tick(): void;
  stop(): void;
}

export function startProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || process.env.CI) return { update() {}, tick() {}, stop() {} };
  let done = 0;
  const spinner: Ora = ora({ stream, color: useColor(stream) ? 'cyan' : false, discardStdin: false }).start('diagnosing');
  return {
    update: (text) => {
      spinner.text = `${text} (${done} done)`;
    },
    tick: () => {
      done += 1;
    },
    stop: () => spinner.stop(),
  };
}
