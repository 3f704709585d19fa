import type { Server } from 'node:http';

export interface ServeDemoOptions {
  /** Default: $PORT or 5173; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Extra URL paths mapped to files (e.g. a checkpoint for a test). */
  extra?: Record<string, string>;
}

export function serveDemo(opts?: ServeDemoOptions): Promise<{ server: Server; port: number; url: string }>;
