/** Runs the `semgate` command as an operator would: a child process of bin/semgate.js. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Run { code: number; stdout: string; stderr: string }

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** From the repository root, with SEMGATE_KEY cleared so only `--key` counts. */
export function semgate(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/semgate.js', ...args], { cwd: ROOT, env: { ...process.env, SEMGATE_KEY: '' }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}
