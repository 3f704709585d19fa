#!/usr/bin/env node
/**
 * A tiny static server for the demo page (node:http, no dependencies).
 *
 *   /            demo/index.html
 *   /<file>      demo/<file>          (the page, its CSS, demo/dist/app.js, demo/dist/corpus.txt)
 *   /lib/<file>  dist/browser/<file>  (the dsmoe browser bundle the page's import map points at)
 *
 * Only files under those two folders are served; anything else is a 404.
 * Run `node scripts/build.mjs browser demo` first (`npm run demo` does both).
 *
 *   PORT=5173 node scripts/serve-demo.mjs     (PORT=0 picks a free port)
 */
import { createServer } from 'node:http';
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.safetensors': 'application/octet-stream',
};

/** Maps a URL path onto a file inside one of the served folders, or null. */
function resolveFile(urlPath) {
  const [base, rest] = urlPath.startsWith('/lib/')
    ? [join(root, 'dist', 'browser'), urlPath.slice('/lib/'.length)]
    : [join(root, 'demo'), urlPath === '/' ? 'index.html' : urlPath.slice(1)];
  const file = normalize(join(base, decodeURIComponent(rest)));
  if (!file.startsWith(base + sep)) return null;
  if (!existsSync(file) || !statSync(file).isFile()) return null;
  return file;
}

/**
 * Starts the server; resolves to { server, port, url } once it listens.
 * `extra` maps additional URL paths to files (tests use it to serve a checkpoint).
 */
export function serveDemo({ port = Number(process.env.PORT ?? 5173), host = '127.0.0.1', extra = {} } = {}) {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = extra[path] ?? resolveFile(path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolveListen({ server, port: actual, url: `http://${host}:${actual}/` });
    });
  });
}

if (process.argv[1] && realpathSync(resolve(process.argv[1])) === realpathSync(fileURLToPath(import.meta.url))) {
  const { url } = await serveDemo();
  console.log(`dsmoe demo: ${url}`);
}
