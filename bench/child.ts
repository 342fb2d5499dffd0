import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Helper processes for benchmarks that must not share a heap or a JIT with what they
 * measure against: `child_process.fork` with the same TypeScript loader, and one question
 * at a time over IPC.
 */
export function forkBench(file: URL, args: string[] = [], extraExecArgv: string[] = []): ChildProcess {
  return fork(fileURLToPath(file), args, {
    execArgv: [...extraExecArgv, '--import', 'tsx/esm', '--conditions=@spool/source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Sends `message` and resolves with the child's next message; rejects if it exits first. */
export function ask<T = unknown>(child: ChildProcess, message: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`benchmark child exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (reply) => {
      child.off('exit', onExit);
      resolve(reply as T);
    });
    child.send(message);
  });
}
