/**
 * A spinner on stderr, only when stderr is a terminal: stdout stays clean for reports and pipes.
 * It counts checks and probed targets as they finish; `phase` names what runs before the checks
 * (the demo's simulated mesh starting).
 */
import ora, { type Ora } from 'ora';
import type { Check } from '../core/check.js';
import { useColor } from './output.js';

export interface Progress {
  /** what runs now, before the checks */
  phase(text: string): void;
  checkStarted(check: Pick<Check, 'title'>): void;
  checkFinished(): void;
  targetProbed(done: number, total: number): void;
  stop(): void;
}

const SILENT: Progress = { phase() {}, checkStarted() {}, checkFinished() {}, targetProbed() {}, stop() {} };

/** What the spinner knows: the phase before the checks, the checks started and finished, the targets probed. */
export interface ProgressState {
  phase: string;
  current: string;
  started: number;
  done: number;
  targets?: [done: number, total: number];
}

/** The spinner's line for a state. */
export function progressText(state: ProgressState): string {
  if (state.started === 0) return state.phase;
  const targets = state.targets ? ` · ${state.targets[0]}/${state.targets[1]} targets probed` : '';
  const current = state.current && state.done < state.started ? ` · ${state.current}` : '';
  return `${state.done}/${state.started} checks done${targets}${current}`;
}

/** Keeps a ProgressState up to date and hands each new text to `show`. */
export function trackProgress(first: string, show: (text: string) => void, stop: () => void = () => {}): Progress {
  const state: ProgressState = { phase: first, current: '', started: 0, done: 0 };
  const render = () => show(progressText(state));
  let stopped = false;
  return {
    phase: (text) => {
      state.phase = text;
      render();
    },
    checkStarted: (check) => {
      state.started += 1;
      state.current = check.title;
      render();
    },
    checkFinished: () => {
      state.done += 1;
      render();
    },
    targetProbed: (done, total) => {
      state.targets = [done, total];
      render();
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      stop();
    },
  };
}

export function startProgress(stream: NodeJS.WriteStream = process.stderr, first = 'diagnosing'): Progress {
  if (!stream.isTTY || process.env.CI) return SILENT;
  const spinner: Ora = ora({ stream, color: useColor(stream) ? 'cyan' : false, discardStdin: false }).start(first);
  return trackProgress(first, (text) => (spinner.text = text), () => spinner.stop());
}
