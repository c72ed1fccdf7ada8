import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cleanEnv, spawnWithLimit } from './server.js';
import type { SwarmCommand, SwarmReply } from './socket-swarm.js';

const SWARM = fileURLToPath(new URL('./socket-swarm.ts', import.meta.url));

const swarms = new Set<SocketSwarm>();

/** Every swarm still running (for the cleanup on failure or Ctrl-C). */
export function runningSwarms(): SocketSwarm[] {
  return [...swarms];
}

/** The parent's handle on a socket-swarm child process. */
export class SocketSwarm {
  readonly child: ChildProcess;
  private readonly waiting: Array<{ type: SwarmReply['type']; resolve: (reply: SwarmReply) => void }> = [];
  private output = '';
  private exited = false;

  constructor(nofile?: number) {
    this.child = spawnWithLimit(['--import', 'tsx', SWARM], { env: cleanEnv(), nofile, ipc: true, serialization: 'advanced' });
    this.child.stdout!.on('data', (chunk: Buffer) => this.keep(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => this.keep(chunk));
    this.child.on('message', (message: SwarmReply) => {
      const index = this.waiting.findIndex((w) => w.type === message.type || message.type === 'error');
      if (index >= 0) this.waiting.splice(index, 1)[0]!.resolve(message);
    });
    this.child.once('exit', (code) => {
      this.exited = true;
      swarms.delete(this);
      for (const w of this.waiting.splice(0)) w.resolve({ type: 'error', message: `socket swarm exited with ${code}:\n${this.output}` });
    });
    swarms.add(this);
  }

  get pid(): number {
    return this.child.pid!;
  }

  private keep(chunk: Buffer): void {
    this.output = (this.output + chunk.toString()).slice(-4000);
  }

  private request<T extends SwarmReply['type']>(command: SwarmCommand, expect: T): Promise<Extract<SwarmReply, { type: T }>> {
    if (this.exited) return Promise.reject(new Error(`socket swarm is not running:\n${this.output}`));
    return new Promise((resolve, reject) => {
      this.waiting.push({
        type: expect,
        resolve: (reply) => {
          if (reply.type === 'error') reject(new Error(reply.message));
          else resolve(reply as Extract<SwarmReply, { type: T }>);
        },
      });
      this.child.send(command);
    });
  }

  /** Opens `count` sockets; with `tokens`, socket i signs in with tokens[i]; with `boards`, it subscribes to boards[i % length]. */
  connect(url: string, count: number, concurrency = 100, timeoutMs = 30_000, tokens?: string[], boards?: string[]) {
    return this.request({ type: 'connect', url, count, concurrency, timeoutMs, ...(tokens ? { tokens } : {}), ...(boards ? { boards } : {}) }, 'connected');
  }

  record(on: boolean): void {
    if (!this.exited) this.child.send({ type: 'record', on } satisfies SwarmCommand);
  }

  report() {
    return this.request({ type: 'report' }, 'report');
  }

  close() {
    return this.request({ type: 'close' }, 'closed');
  }

  /** Ends the child (its sockets close with it). */
  async kill(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }
}
